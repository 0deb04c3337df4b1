/* setup.c — the first session sets the container up.
 *
 * The session process (INSTANCE_PID) stays in the host namespaces.  It
 * clones a setup process straight into the new namespaces and the instance
 * cgroup (clone3 with CLONE_INTO_CGROUP: no window outside it), which runs
 * the kernel sequence of DESIGN.md and reports back through a pipe.  The
 * session process then pins the namespaces from the host side and lets the
 * setup process go: it exits, or stays as PID 1 of a pid namespace. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

enum { MSG_READY = 1, MSG_ERROR = 2, MSG_AGAIN = 3 };

struct setup_msg {
	int type;
	int code;
	char text[sizeof(((struct cz_error *)0)->msg)];
};

struct setup_child {
	const struct cz_group *g;
	const struct cz_state *st;
	int to_parent, from_parent;
	int dirfd;			/* the run dir of the container */
	bool becomes_command;		/* return instead of exiting once pinned:
					   one process fewer on the cold path */
	uint64_t caller_mntns;		/* the caller's mount namespace id, or 0 */
	const cpu_set_t *cpus;		/* made on one CPU: the mask to go back to */
};

/* What issue 14 added to every cold start, on hosts that need none of it:
 * is this a systemd host (one lstat), is the caller in a nested mount
 * namespace (one stat).  bench/run builds a variant of the same tree with
 * -DCZ_BENCH_NO_HOST_PROBES, where neither is asked, to show side by side
 * that a host without systemd and without nesting pays nothing for them
 * (bench/README.md).  Never for a real build: it breaks both cases. */
#ifdef CZ_BENCH_NO_HOST_PROBES
#define systemd_host() false
#define caller_mntns_id() UINT64_C(0)
#else
#define systemd_host() cz_systemd_host()
#define caller_mntns_id() cz_mntns_caller_id()
#endif

/* cz_setup's answer when the namespace made cannot be pinned from the
 * caller's (pins.c, cz_mntns_id): make it again on another CPU. */
#define SETUP_AGAIN 2

/* clone3 used as fork: glibc 2.36 has no wrapper.  The caller is
 * single-threaded, so fork's atfork bookkeeping is not needed. */
pid_t cz_clone(uint64_t flags, int cgroupfd)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
		uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
	} args = { .flags = flags, .exit_signal = SIGCHLD };

	if (cgroupfd >= 0) {
		args.flags |= 0x200000000ULL;	/* CLONE_INTO_CGROUP */
		args.cgroup = (uint64_t)cgroupfd;
	}
	return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

static void send_msg(int fd, int type, const struct cz_error *err)
{
	struct setup_msg m = { .type = type };

	if (err) {
		m.code = err->code;
		snprintf(m.text, sizeof m.text, "%s", err->msg);
	}
	(void)!cz_write_all(fd, &m, sizeof m);
}

/* PID 1 of a pid namespace: reap orphans until killed.  Holds no
 * descriptor of ours (the lock would never be released). */
static void __attribute__((noreturn)) reaper(void)
{
	sigset_t set;
	int fd, sig;

	prctl(PR_SET_NAME, "cz-init");
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	close_range(3, ~0U, 0);
	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGCHLD)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
			_exit(0);
	}
}

/* In the setup process, in the new namespaces, in kernel order.  Returns
 * only to become the session's command. */
static void setup_child_main(struct setup_child *c)
{
	const struct cz_group *g = c->g;
	struct cz_hook_env he = { .g = g, .pid = c->st->pid, .cgroup = c->st->cgroup };
	struct cz_error err = { 0 };
	int rootfd = -1, profilefd = -1, groupfd, upperfd = -1;
	char path[CZ_PATH_MAX + 16], go;
	uint64_t id;

	if (c->cpus)
		(void)!sched_setaffinity(0, sizeof *c->cpus, c->cpus);
	/* 0. Before anything runs or is mounted here: can the session pin
	 * this namespace?  (pins.c, cz_mntns_id: on 6.18 a nested caller gets
	 * an "older" namespace on some CPUs.) */
	if (c->caller_mntns && (id = cz_mntns_id()) != 0 && id <= c->caller_mntns) {
		send_msg(c->to_parent, MSG_AGAIN, NULL);
		_exit(0);
	}
	/* 1. Propagation before any mount. */
	if (cz_mount_propagation(g, &err) < 0)
		goto fail;
	/* A throwaway instance: its overlay root, there for `bind` too. */
	if (g->base[0]) {
		groupfd = cz_reopen_group(g, &err);
		if (groupfd < 0)
			goto fail;
		upperfd = cz_overlay_mount(g, groupfd, c->st->upper, &err);
		close(groupfd);
		if (upperfd < 0)
			goto fail;
	}
	/* 2. bind: in the new namespace, before anything is mounted. */
	if (g->hook[CZ_HOOK_BIND]) {
		char *argv[] = { path, cz_unconst(g->tree), cz_unconst(g->group), cz_unconst(g->container), NULL };
		int fd;
		snprintf(path, sizeof path, "%s/bind", g->confdir);
		/* For whoever cleans up after us: unbind is due from now on.
		 * Without the mark, no bind: its unbind could be lost. */
		fd = openat(c->dirfd, CZ_BIND_MARKER, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			cz_fail(&err, errno, "%s: %m", CZ_BIND_MARKER);
			goto fail;
		}
		close(fd);
		if (cz_hook_run_checked(&he, CZ_HOOK_BIND, path, argv, &err) < 0)
			goto fail;
	}
	/* 3. The tree as a mount, and /proc /sys /dev /tmp below it. */
	groupfd = cz_reopen_group(g, &err);
	if (groupfd < 0 || cz_mount_tree(g, groupfd, &rootfd, &err) < 0)
		goto fail;
	/* 3b. The group's fstab, in file order: after /proc /sys /dev /tmp,
	 * so an entry may mount below them; before pivot_root, since bind
	 * sources are host paths. */
	if (g->fstab && cz_fstab_mount(g, rootfd, &err) < 0)
		goto fail;
	if (g->hook[CZ_HOOK_PROFILE] && (profilefd = cz_clone_profile(g, groupfd, &err)) < 0)
		goto fail;
	/* 4. pivot_root. */
	if (cz_pivot_into(rootfd, g->prop == CZ_PROP_SHARED, &err) < 0)
		goto fail;
	/* 5. profile, chrooted. */
	if (profilefd >= 0 && cz_run_profile(&he, profilefd, &err) < 0)
		goto fail;
	if (upperfd >= 0)
		close(upperfd);
	send_msg(c->to_parent, MSG_READY, NULL);
	/* Stay until the namespaces are pinned (or the session died). */
	if (cz_read_all(c->from_parent, &go, 1) != 1)
		_exit(1);
	if (g->nsflags & CLONE_NEWPID)
		reaper();
	if (!c->becomes_command)
		_exit(0);
	close(c->to_parent);
	close(c->from_parent);
	if (rootfd >= 0)
		close(rootfd);
	if (groupfd >= 0)
		close(groupfd);
	return;
fail:
	if (cz_overlay_full(upperfd)) {
		char msg[sizeof err.msg];
		snprintf(msg, sizeof msg, "%s", err.msg);
		cz_fail(&err, ENOSPC, "%s (the upper layer of the throwaway instance is full: see %s "
			"in containerize.conf(5))", msg, g->upper_dir[0] ? "ephemeral-dir" : "ephemeral-size");
	}
	send_msg(c->to_parent, MSG_ERROR, &err);
	_exit(1);
}

/* Undo a setup that did not complete: the teardown without `stop` (kill
 * what it started, unpin, unbind if bind had started, remove the state).
 * If an error of the moment stops it, the state stays for the next run. */
static void setup_undo(const struct cz_config *cfg, struct cz_group *g, struct cz_lock *lk,
		       const struct cz_state *st)
{
	struct cz_error e = { 0 };

	if (cz_teardown(cfg, lk, g, st, false, &e) < 0)
		cz_log(cfg, LOG_ERR, "undoing the setup: %s", e.msg);
}

/* On a systemd host the instance gets a scope unit of its own, named
 * after group, container and instance, in the slice that cgroup-name
 * names (systemd.c). */
static int scope_names(const struct cz_group *g, struct cz_state *st, char *slice, size_t len,
		       struct cz_error *err)
{
	if (cz_scope_slice(g->cgroup_name, slice, len) < 0)
		return cz_fail(err, ENAMETOOLONG, "cgroup-name %s makes too long a slice name", g->cgroup_name);
	if (cz_scope_name(g->group, g->container, st->pid, st->unit, sizeof st->unit) < 0)
		return cz_fail(err, ENAMETOOLONG, "unit name too long");
	return 0;
}

/* Host side, before the namespaces exist: the state (naming the cgroup)
 * first, then the cgroup, then, for shared propagation, the tree's bind. */
static int prepare(const struct cz_config *cfg, struct cz_group *g, struct cz_lock *lk,
		   struct cz_state *st, int *statefd, struct cz_error *err)
{
	char slice[CZ_PATH_MAX];
	int r;

	memset(st, 0, sizeof *st);
	st->pid = getpid();
	st->started = cz_now();
	st->nsflags = g->nsflags;
	st->prop = g->prop;
	snprintf(st->tree, sizeof st->tree, "%s", g->tree);
	snprintf(st->base, sizeof st->base, "%s", g->base);
	if (g->base[0] && g->upper_dir[0])
		snprintf(st->upper, sizeof st->upper, "%s%s%s.%s.%d", g->upper_dir,
			 g->upper_dir[strlen(g->upper_dir) - 1] == '/' ? "" : "/", g->group, g->container,
			 (int)st->pid);
	/* State on a tmpfs cannot outlive the boot; elsewhere it records
	 * which boot it belongs to (an empty boot id means this one). */
	if (!cz_rundir_volatile(lk->dirfd) && cz_boot_id(st->boot_id, sizeof st->boot_id) < 0)
		return cz_fail(err, EIO, "cannot read the boot id");
	/* The cgroup's (or the scope unit's) name is known before it exists:
	 * record it first, so that a crash from here on leaves state naming
	 * what to clean. */
	if (systemd_host())
		r = scope_names(g, st, slice, sizeof slice, err);
	else
		r = cz_cgroup_path(g->cgroup_name, st->pid, st->cgroup, sizeof st->cgroup, err);
	if (r == 0)
		r = *statefd = cz_state_create(lk, st, err);
	if (r < 0)
		return r;
	r = 0;
	/* A throwaway instance's directory: recorded by the state (base=)
	 * before it exists, so a crash from here on leaves it to be removed;
	 * one that is not ours stays. */
	if (g->base[0] && (r = cz_overlay_dir(g, err)) < 0)
		st->base[0] = st->upper[0] = '\0';
	/* Its upper directory on disk (ephemeral-dir), likewise named by the
	 * state first; one that exists (not ours) stays. */
	if (r == 0 && st->upper[0] && (r = cz_overlay_upper(cfg, g, st, err)) < 0 && err->code == -EEXIST)
		st->upper[0] = '\0';
	if (r == 0 && st->unit[0]) {
		char desc[2 * CZ_NAME_MAX + 64];
		snprintf(desc, sizeof desc, "containerize %s/%s (instance %d)", g->group, g->container, (int)st->pid);
		r = cz_cgroup_scope(st->unit, slice, desc, st->cgroup, sizeof st->cgroup, err);
		if (r == 0)
			r = cz_state_rewrite(*statefd, lk, st, err);
	} else if (r == 0) {
		r = cz_cgroup_create(st->cgroup, err);
	}
	/* shared: the bind's mount id in the state, so that a teardown
	 * never detaches anything but it. */
	if (r == 0 && g->prop == CZ_PROP_SHARED && (r = cz_share_tree(g, &st->treemnt, err)) == 0)
		r = cz_state_rewrite(*statefd, lk, st, err);
	if (r < 0)
		setup_undo(cfg, g, lk, st);
	return r;
}

/* The session's side of the handshake: wait for READY, pin the namespaces
 * from here (the host), let the setup process go on. */
static int handshake(const struct cz_config *cfg, struct cz_group *g, struct cz_lock *lk,
		     struct cz_state *st, int statefd, pid_t pid, int up, int down, pid_t *command,
		     struct cz_error *err)
{
	struct setup_msg m = { 0 };
	ssize_t n;
	int r, status;

	/* While the setup process works (it takes longer): the pin files, and
	 * the run dir made private again for them (the session made sure it
	 * is a mount point): cheap, and it repairs a run dir someone made
	 * shared, without reading the mount table. */
	r = cz_rundir_private(cfg->rundir, err);
	if (r == 0)
		r = cz_pin_files(lk, g->nsflags, err);
	n = cz_read_all(up, &m, sizeof m);
	if (n == (ssize_t)sizeof m && m.type == MSG_AGAIN) {
		close(down);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (r == 0)
			return SETUP_AGAIN;	/* nothing ran in it: the rest stays */
		setup_undo(cfg, g, lk, st);
		return r;
	}
	if (n != (ssize_t)sizeof m || m.type != MSG_READY) {
		if (n == (ssize_t)sizeof m && m.type == MSG_ERROR)
			r = cz_fail(err, m.code ? -m.code : EIO, "%s", m.text);
		else
			r = cz_fail(err, EIO, "the setup process died");
		close(down);
		waitpid(pid, &status, 0);
		setup_undo(cfg, g, lk, st);
		return r;
	}
	if (r == 0)
		r = cz_pin_namespaces(lk, pid, g->nsflags, err);
	/* Complete before anything runs inside: a crash from here on leaves
	 * an instance whose teardown runs `stop`. */
	if (r == 0)
		r = cz_state_complete(statefd, lk, err);
	if (r == 0)
		st->complete = true;
	/* The last moment to keep the command from ever running. */
	if (r == 0 && command && cfg->interrupted && cfg->interrupted(cfg->interrupted_data))
		r = cz_fail(err, EINTR, "interrupted during the setup");
	if (r == 0 && cz_write_all(down, "g", 1) != 1)
		r = cz_fail(err, EIO, "the setup process died");
	close(down);
	if (r < 0 && command)
		kill(pid, SIGKILL);	/* it must not go on to be the command */
	if (r < 0 || (!(g->nsflags & CLONE_NEWPID) && !command)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			r = cz_fail(err, EIO, "the setup process failed");
	}
	if (r < 0) {
		setup_undo(cfg, g, lk, st);
		return r;
	}
	if (command)
		*command = pid;
	return 0;
}

/* One setup process: clone it into the namespaces and the cgroup, then
 * the handshake.  c->cpus set: we run on one CPU for the clone, and go
 * back to c->cpus right after it. */
static int start_one(const struct cz_config *cfg, struct cz_group *g, struct cz_lock *lk,
		     struct cz_state *st, int statefd, int cgfd, struct setup_child *c,
		     pid_t *command, struct cz_error *err)
{
	int up[2] = { -1, -1 }, down[2] = { -1, -1 }, r = 0;
	pid_t pid = -1;

	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
		r = cz_fail(err, errno, "setup: %m");
	} else {
		pid = cz_clone(CLONE_NEWNS | (uint64_t)g->nsflags, cgfd);
		if (pid < 0)
			r = cz_fail(err, errno, "creating the namespaces: %m");
	}
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		close(lk->lockfd);	/* never hold the container lock */
		lk->lockfd = -1;
		close(statefd);
		c->to_parent = up[1];
		c->from_parent = down[0];
		setup_child_main(c);
		close(cgfd);
		return CZ_SETUP_IN_CHILD;
	}
	if (c->cpus)
		(void)!sched_setaffinity(0, sizeof *c->cpus, c->cpus);
	if (up[1] >= 0)
		close(up[1]);
	if (down[0] >= 0)
		close(down[0]);
	if (pid > 0) {
		r = handshake(cfg, g, lk, st, statefd, pid, up[0], down[1], command, err);
		down[1] = -1;	/* closed by handshake */
	} else {
		setup_undo(cfg, g, lk, st);
	}
	if (up[0] >= 0)
		close(up[0]);
	if (down[1] >= 0)
		close(down[1]);
	return r;
}

/* Run on the next CPU to try that we may run on: every CPU of the machine,
 * not only those of our affinity mask (the CPU whose id batch is ahead may
 * be outside it; sched_setaffinity says which exist and are allowed), but
 * first, where the namespace that came out too old was most likely made
 * (we ran there just before the clone), last.  *k counts the tries made;
 * returns the CPU, or -1 when none is left. */
static int next_cpu(int *k, int first)
{
	cpu_set_t one;
	int cpu;

	while (++*k <= CPU_SETSIZE) {
		cpu = *k < CPU_SETSIZE ? *k : first;
		if (cpu < 0 || (*k < CPU_SETSIZE && cpu == first))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof one, &one) == 0)
			return cpu;
	}
	return -1;
}

int cz_setup(const struct cz_config *cfg, struct cz_group *g, struct cz_lock *lk,
	     struct cz_state *st, pid_t *command, struct cz_error *err)
{
	struct setup_child c = { .g = g, .st = st, .dirfd = lk->dirfd, .becomes_command = command != NULL };
	int statefd = -1, cgfd, k = -1, first, r;
	cpu_set_t cpus;

	/* Before anything exists: a bad fstab line costs nothing to undo. */
	r = cz_group_load_fstab(cfg, g, err);
	if (r < 0)
		return r;
	r = prepare(cfg, g, lk, st, &statefd, err);
	if (r < 0) {
		if (statefd >= 0)
			close(statefd);
		return r;
	}
	cgfd = open(st->cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		r = cz_fail(err, errno, "setup: %s: %m", st->cgroup);
		setup_undo(cfg, g, lk, st);
		close(statefd);
		return r;
	}
	c.caller_mntns = caller_mntns_id();
	/* Bounded: one try where we run, then one on each CPU. */
	first = sched_getcpu();
	while ((r = start_one(cfg, g, lk, st, statefd, cgfd, &c, command, err)) == SETUP_AGAIN) {
		if (!c.cpus && sched_getaffinity(0, sizeof cpus, &cpus) == 0)
			c.cpus = &cpus;
		if (!c.cpus || next_cpu(&k, first) < 0) {
			r = cz_fail(err, EINVAL, "every CPU made a mount namespace older than the caller's, "
				    "which the kernel would not let us pin (Linux 6.18 draws namespace ids from "
				    "per-CPU batches); run containerize from the initial mount namespace");
			if (c.cpus)
				(void)!sched_setaffinity(0, sizeof cpus, &cpus);
			setup_undo(cfg, g, lk, st);
			break;
		}
	}
	if (r == CZ_SETUP_IN_CHILD)
		return r;
	close(cgfd);
	close(statefd);
	return r;
}
