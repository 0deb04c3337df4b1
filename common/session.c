/* session.c — open, enter and close a session: the one sequence every
 * front end uses.
 *
 * Lock protocol (all under the exclusive `lock`):
 *   open:  state missing           -> set up
 *          state of an unfinished setup, of another boot, or with a `ref`
 *          nobody holds (LOCK_EX|LOCK_NB succeeds) -> stale: tear down,
 *          then set up
 *          else                    -> join
 *          then take `ref` shared and release `lock`.
 *   close: if `ref` can be taken exclusively we are the last: tear down.
 * A failed LOCK_SH -> LOCK_EX|LOCK_NB upgrade drops the shared lock (flock
 * upgrades are not atomic), harmless only because it is done under `lock`.
 * A SIGKILL anywhere releases our flocks; what it leaves is stale state
 * that the next run recognises. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "internal.h"

/* The first session of a process lives here, not on the heap: a front end
 * has just one, and the heap would be touched (faulted in) for it alone.
 * Measured with the dynamic glibc build, 1000 interleaved cold starts: 1%
 * less CPU time at the median, 3% at the 10th percentile.  Any further
 * session at the same time is allocated. */
static struct cz_session first_slot;
static int first_slot_used;

static struct cz_session *session_alloc(void)
{
	if (!__atomic_exchange_n(&first_slot_used, 1, __ATOMIC_ACQUIRE)) {
		memset(&first_slot, 0, sizeof first_slot);
		return &first_slot;
	}
	return calloc(1, sizeof(struct cz_session));
}

static void session_close_fds(struct cz_session *s)
{
	int i;

	for (i = 0; i < CZ_NS_COUNT; i++) {
		if (s->nsfd[i] >= 0)
			close(s->nsfd[i]);
		s->nsfd[i] = -1;
	}
	if (s->cgfd >= 0)
		close(s->cgfd);
	s->cgfd = -1;
}

static void session_free(struct cz_session *s)
{
	int i;

	session_close_fds(s);
	if (s->reffd >= 0)
		close(s->reffd);
	if (s->host_pid >= 0)
		close(s->host_pid);
	for (i = 0; i < CZ_NS_COUNT; i++)
		if (s->host_ns[i] >= 0)
			close(s->host_ns[i]);
	if (s->host_root >= 0)
		close(s->host_root);
	if (s->host_cwd >= 0)
		close(s->host_cwd);
	cz_joined_forget(s);
	cz_group_close(&s->g);
	if (s == &first_slot)
		__atomic_store_n(&first_slot_used, 0, __ATOMIC_RELEASE);
	else
		free(s);
}

/* Does a session hold `ref`?  1 (and *reffd open), 0 (none: no file, or
 * the exclusive probe succeeded), or -errno if we cannot tell now. */
static int ref_held(const struct cz_lock *lk, int *reffd, struct cz_error *err)
{
	int e;

	*reffd = openat(lk->dirfd, "ref", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*reffd < 0)
		return errno == ENOENT ? 0 : cz_fail(err, errno, "%s/ref: %m", lk->dir);
	if (flock(*reffd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return 1;	/* some session holds it */
		e = errno;
	} else {
		e = 0;
	}
	close(*reffd);
	*reffd = -1;
	return e ? cz_fail(err, e, "%s/ref: %s", lk->dir, strerror(e)) : 0;
}

/* Is the state we found under the lock a live instance?  1 (with *reffd),
 * 0 (stale: the proof the teardown needs), -errno if we cannot tell. */
int cz_state_is_live(const struct cz_lock *lk, const struct cz_state *st, int *reffd,
		     struct cz_error *err)
{
	int r;

	*reffd = -1;
	if (!st->complete)
		return 0;		/* its setup died holding the lock */
	r = cz_same_boot(st);
	if (r < 0)
		return cz_fail(err, -r, "reading the boot id: %s", strerror(-r));
	if (r == 0)
		return 0;		/* another boot: nothing of it is left */
	return ref_held(lk, reffd, err);
}

/* Tear down a stale instance (malformed: what its state says is partial:
 * no `stop`, every kind of pin).  -errno if that stopped on an error of
 * the moment: the state is then left for the next run. */
int cz_clean_stale(const struct cz_config *cfg, struct cz_lock *lk, struct cz_state *st,
		   bool malformed, struct cz_error *err)
{
	int same_boot = malformed ? 1 : cz_same_boot(st), r;
	struct cz_error e = { 0 };

	if (same_boot < 0)
		return cz_fail(err, -same_boot, "reading the boot id: %s", strerror(-same_boot));
	if (malformed)
		st->nsflags = ~0;
	cz_log(cfg, LOG_NOTICE, "cleaning up stale container %s/%s (instance %d%s)", lk->group,
	       lk->container, (int)st->pid, malformed ? ", malformed state" : !st->complete ? ", setup died" :
	       same_boot ? ", no session left" : ", other boot");
	/* stop only for an instance that ran; after a reboot its processes
	 * and mounts are gone, but unbind still undoes the tree changes. */
	r = cz_teardown(cfg, lk, NULL, st, !malformed && st->complete && same_boot, &e);
	if (r < 0 && !cz_state_gone(lk->dirfd))
		return cz_fail(err, -r, "cleaning up the stale instance of %s/%s: %s", lk->group,
			       lk->container, e.msg);
	if (r < 0)
		cz_log(cfg, LOG_ERR, "%s", e.msg);
	return 0;
}

static int open_live(struct cz_session *s, int dirfd, struct cz_error *err)
{
	int r = cz_open_pins(dirfd, s->st.nsflags, s->nsfd, err);

	if (r < 0)
		return r;
	s->cgfd = open(s->st.cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->cgfd < 0)
		return cz_fail(err, errno, "cgroup %s: %m", s->st.cgroup);
	if (s->st.nsflags & CLONE_NEWPID) {
		s->host_pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (s->host_pid < 0)
			return cz_fail(err, errno, "/proc/self/ns/pid: %m");
	}
	return 0;
}

/* A throwaway instance starts only while its base is not live: under the
 * base's lock (blk), taken before the instance's (throwaway.c), kept
 * until the instance is registered and its own lock taken. */
static int base_not_live(struct cz_session *s, struct cz_lock *blk, struct cz_error *err)
{
	struct cz_error e = { 0 };
	struct cz_state st;
	int r, reffd, n;

	r = cz_lock_take(&s->cfg, s->g.group, s->g.base, true, blk, err);
	if (r < 0)
		return r;
	r = cz_state_read(blk->dirfd, &st, &e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return cz_fail(err, -r, "%s/%s: %s (nothing was changed)", blk->group, blk->container, e.msg);
	r = cz_state_is_live(blk, &st, &reffd, err);
	if (r < 0)
		return r;
	if (r > 0) {
		n = cz_count_sessions(reffd);
		close(reffd);
		return cz_fail(err, EBUSY, "%s/%s is in use (instance %d, %d session%s): a throwaway instance of it "
			       "cannot start until it ends", blk->group, blk->container, (int)st.pid, n,
			       n == 1 ? "" : "s");
	}
	return cz_clean_stale(&s->cfg, blk, &st, false, err);
}

/* The base's lock for a throwaway instance: the base not live, and the
 * instances of it that died since (a SIGKILL) swept. */
static int lock_base(struct cz_session *s, struct cz_lock *blk, struct cz_error *err)
{
	char live[8];
	int r = base_not_live(s, blk, err);

	if (r == 0)
		cz_throwaway_live(&s->cfg, blk, live, sizeof live);
	return r;
}

static bool tree_removed(const struct cz_group *g)
{
	struct stat sb;

	return fstat(g->treefd, &sb) == 0 && sb.st_nlink == 0;
}

/* Under the lock of a container that is not live: a plain entry is
 * refused while throwaway instances of it live; a throwaway instance is
 * registered with its base, whose lock then goes (before the setup: its
 * processes must not inherit it). */
static int check_base(struct cz_session *s, struct cz_lock *lk, struct cz_lock *blk,
		      struct cz_error *err)
{
	char live[256];
	int r, n;

	if (s->cfg.base) {
		r = cz_throwaway_register(blk, lk->container, err);
		cz_lock_release(blk);
		return r;
	}
	n = cz_throwaway_live(&s->cfg, lk, live, sizeof live);
	if (n > 0)
		return cz_fail(err, EBUSY, "%s/%s is the base of %d live throwaway instance%s (%s): it cannot be "
			       "entered until they end", lk->group, lk->container, n, n == 1 ? "" : "s", live);
	return 0;
}

/* What is in the run dir decides: join a live instance, or clean up a
 * stale one and set up.  Nothing is removed without the proof of
 * staleness; a state that cannot be read now (EMFILE, ENOMEM, EIO, ...)
 * ends this run and changes nothing.
 * command: NULL, or where the setup process that became the command
 * (cz_session_start) leaves its pid.  blk: the base's lock, held for a
 * throwaway instance (cz_config.base). */
static int open_locked(struct cz_session *s, struct cz_lock *lk, struct cz_lock *blk, bool *setup,
		       pid_t *command, struct cz_error *err)
{
	struct cz_error e = { 0 };
	const char *base = s->cfg.base;
	int r, live;

	r = cz_state_read(lk->dirfd, &s->st, &e);
	if (r < 0 && r != -ENOENT && r != -EINVAL)
		return cz_fail(err, -r, "%s/%s: %s (nothing was changed)", lk->group, lk->container, e.msg);
	live = r == 0 ? cz_state_is_live(lk, &s->st, &s->reffd, err) :
	       r == -EINVAL ? ref_held(lk, &s->reffd, err) : 0;
	if (live < 0)
		return live;
	if (live && r == -EINVAL)
		return cz_fail(err, EUCLEAN, "%s/%s: %s, but sessions hold it: not joined (containerize --stop ends it)",
			       lk->group, lk->container, e.msg);
	if (live && base && strcmp(s->st.base, base) != 0) {
		if (s->st.base[0])
			return cz_fail(err, EBUSY, "%s/%s is live as a throwaway instance of %s, not of %s",
				       lk->group, lk->container, s->st.base, base);
		return cz_fail(err, EBUSY, "%s/%s is live and is not a throwaway instance", lk->group,
			       lk->container);
	}
	if (live) {
		/* Join: the exclusive probe failed, take our shared hold. */
		if (flock(s->reffd, LOCK_SH) < 0)
			return cz_fail(err, errno, "ref: %m");
		*setup = false;
		return open_live(s, lk->dirfd, err);
	}
	if (r != -ENOENT && (r = cz_clean_stale(&s->cfg, lk, &s->st, r == -EINVAL, err)) < 0)
		return r;
	/* A throwaway instance's directory went with it: nothing to enter. */
	if (r != -ENOENT && s->st.base[0] && !base)
		return cz_fail(err, ENOENT, "no container '%s' in group '%s': it was a throwaway instance of %s, "
			       "now ended", lk->container, lk->group, s->st.base);
	/* A plain entry of a name whose tree went while it waited for the
	 * lock (a throwaway instance that ended meanwhile). */
	if (!base && tree_removed(&s->g))
		return cz_fail(err, ENOENT, "no container '%s' in group '%s': %s was removed meanwhile",
			       lk->container, lk->group, s->g.tree);
	r = check_base(s, lk, blk, err);
	if (r < 0)
		return r;
	/* Our hold before the command can run: after it nothing of ours can
	 * fail and leave a command that ran without its instance's `stop`. */
	s->reffd = openat(lk->dirfd, "ref", O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->reffd < 0 || flock(s->reffd, LOCK_SH) < 0)
		return cz_fail(err, errno, "%s/ref: %m", lk->dir);
	*setup = true;
	if (s->g.nsflags & CLONE_NEWPID)
		command = NULL;		/* PID 1 is the reaper, not the command */
	r = cz_setup(&s->cfg, &s->g, lk, &s->st, command, err);
	if (r < 0 || r == CZ_SETUP_IN_CHILD)
		return r;
	/* The state is complete already (cz_setup, before the command ran).
	 * The setup process is the command already: nothing left to enter. */
	if (!(command && *command > 0))
		r = open_live(s, lk->dirfd, err);
	if (r < 0) {
		struct cz_error e2 = { 0 };
		if (cz_teardown(&s->cfg, lk, &s->g, &s->st, false, &e2) < 0)
			cz_log(&s->cfg, LOG_ERR, "%s", e2.msg);
	}
	return r;
}

static int session_open(const struct cz_config *cfg, const char *group,
			const char *container, struct cz_session **out, pid_t *command,
			struct cz_error *err)
{
	struct cz_session *s = session_alloc();
	struct cz_lock lk, blk = { .dirfd = -1, .lockfd = -1 };
	bool setup = false;
	int r, i;

	if (!s)
		return cz_fail(err, ENOMEM, "out of memory");
	s->cfg = *cfg;
	s->reffd = s->cgfd = s->host_pid = s->host_root = s->host_cwd = -1;
	for (i = 0; i < CZ_NS_COUNT; i++)
		s->nsfd[i] = s->host_ns[i] = -1;
	r = cz_group_load(cfg, group, container, &s->g, err);
	if (r < 0) {
		cz_log(cfg, LOG_WARNING | CZ_LOG_AUDIT, "refused %s for %s/%s: %s", cfg->user ? cfg->user : "?",
		       cz_name_valid(group) ? group : "(invalid)", cz_name_valid(container) ? container : "(invalid)", err->msg);
		session_free(s);
		return r;
	}
	if (cfg->base && s->g.prop == CZ_PROP_SHARED)
		r = cz_fail(err, EINVAL, "%s/propagation: a throwaway instance cannot have shared propagation",
			    s->g.confdir);
	else if (cfg->base && s->g.upper_size[0] && s->g.upper_dir[0])
		r = cz_fail(err, EINVAL, "%s: ephemeral-size (a tmpfs) and ephemeral-dir (a directory) exclude each "
			    "other", s->g.confdir);
	else if (cfg->base)
		r = lock_base(s, &blk, err);
	if (r == 0)
		r = cz_lock_take(cfg, group, container, true, &lk, err);
	if (r < 0) {
		cz_lock_release(&blk);
		cz_log(cfg, LOG_WARNING | CZ_LOG_AUDIT, "refused %s for %s/%s: %s", cfg->user ? cfg->user : "?",
		       group, container, err->msg);
		session_free(s);
		return r;
	}
	r = open_locked(s, &lk, &blk, &setup, command, err);
	cz_lock_release(&blk);
	if (r == CZ_SETUP_IN_CHILD) {
		/* The setup process, now the command: hold nothing. */
		cz_lock_release(&lk);
		*out = s;
		return CZ_SETUP_IN_CHILD;
	}
	/* A setup that failed and was undone: nothing is left in the entry.
	 * Never an entry with a state: a live instance's, or one whose
	 * teardown an error of the moment stopped (the next run ends it). */
	if (r < 0 && setup && cz_state_gone(lk.dirfd))
		cz_rundir_remove(cfg, group, &lk);
	cz_lock_release(&lk);
	/* A throwaway instance that did not start leaves its base's registry
	 * (and the base's run dir, if that is all it holds). */
	if (r < 0 && cfg->base)
		cz_throwaway_forget(cfg, group, cfg->base, container);
	if (r == -EINTR) {
		cz_log(cfg, LOG_NOTICE, "setup of %s/%s for %s interrupted, undone", group, container,
		       cfg->user ? cfg->user : "?");
		session_free(s);
		return r;
	}
	if (r < 0) {
		cz_log(cfg, LOG_ERR | CZ_LOG_AUDIT, "setup of %s/%s for %s failed: %s", group, container,
		       cfg->user ? cfg->user : "?", err->msg);
		session_free(s);
		return r;
	}
	s->did_setup = setup;
	cz_log(cfg, LOG_NOTICE, "%s %s/%s (instance %d) for %s", setup ? "set up" : "joined",
	       group, container, (int)s->st.pid, cfg->user ? cfg->user : "?");
	*out = s;
	return 0;
}

/* setns into everything but the pid namespace (done by the caller before
 * its fork); the mount namespace last. */
static int enter_namespaces(struct cz_session *s, struct cz_error *err)
{
	int i;

	for (i = 0; i < CZ_NS_COUNT; i++) {
		if (s->nsfd[i] < 0 || cz_ns_kinds[i].flag == CLONE_NEWPID)
			continue;
		if (setns(s->nsfd[i], cz_ns_kinds[i].flag) < 0)
			return cz_fail(err, errno, "entering the %s namespace: %m", cz_ns_kinds[i].name);
	}
	return 0;
}

static int pid_ns_index(void)
{
	int i;

	for (i = 0; i < CZ_NS_COUNT; i++)
		if (cz_ns_kinds[i].flag == CLONE_NEWPID)
			return i;
	return -1;
}

/* A child fully inside the container: all its namespaces (a pid namespace
 * included), its cgroup, root and cwd /.  Its pid in the parent, -errno
 * there on failure; 0 in the child, with err->code set if it could not get
 * inside. */
static pid_t session_fork(struct cz_session *s, struct cz_error *err)
{
	int pidx = pid_ns_index();
	pid_t pid;

	/* setns(CLONE_NEWPID) only changes where our children go. */
	if (s->nsfd[pidx] >= 0 && setns(s->nsfd[pidx], CLONE_NEWPID) < 0)
		return cz_fail(err, errno, "entering the pid namespace: %m");
	pid = cz_clone(0, s->cgfd);
	if (pid < 0) {
		int e = errno;
		if (s->host_pid >= 0)
			(void)!setns(s->host_pid, CLONE_NEWPID);
		return cz_fail(err, e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		/* A failure here is the child's: err->code says so. */
		enter_namespaces(s, err);
		session_close_fds(s);
		return 0;
	}
	if (s->host_pid >= 0 && setns(s->host_pid, CLONE_NEWPID) < 0)
		cz_log(&s->cfg, LOG_ERR, "returning to the host pid namespace: %m");
	/* The parent needs none of the container's namespaces any more. */
	session_close_fds(s);
	return pid;
}

/* The joining child of cz_session_spawn, started by cz_vclone: it uses
 * the parent's memory (the parent is stopped), so it writes nothing but
 * its own error, and leaves the session's descriptors to O_CLOEXEC. */
struct vchild {
	struct cz_session *s;
	cz_child_fn fn;
	void *arg;
	struct cz_error err;
};

static void vchild_main(void *data)
{
	struct vchild *c = data;

	enter_namespaces(c->s, &c->err);
	c->fn(c->s, c->arg, &c->err);
}

/* May a child that drops to a user before it executes share our memory?
 * Once its uid changes, only the dumpable flag of the memory keeps that
 * user from tracing it (ptrace, /proc/PID/mem, process_vm_writev:
 * __ptrace_may_access), and with it ours, root's.  The kernel sets the
 * flag to fs.suid_dumpable at the change (commit_creds): 0 or 2 keep the
 * user out; 1, which proc(5) calls insecure, would let them in. */
static bool drop_may_share(void)
{
	char v[8];

	return cz_read_small_file(AT_FDCWD, "/proc/sys/fs/suid_dumpable", v, sizeof v) > 0 &&
	       (v[0] == '0' || v[0] == '2') && (v[1] == '\n' || v[1] == '\0');
}

/* session_fork for cz_session_spawn: the child borrows our memory until
 * it executes the command (vclone.c), or, where that cannot be done or
 * would not be safe, a fork.  Its pid, or -errno. */
static pid_t session_vfork(struct cz_session *s, cz_child_fn fn, void *arg, bool drops,
			   struct cz_error *err)
{
	int pidx = pid_ns_index();
	struct vchild c = { .s = s, .fn = fn, .arg = arg };
	pid_t pid = -ENOSYS;

	if (s->nsfd[pidx] >= 0 && setns(s->nsfd[pidx], CLONE_NEWPID) < 0)
		return cz_fail(err, errno, "entering the pid namespace: %m");
	if (!drops || drop_may_share())
		pid = cz_vclone(s->cgfd, vchild_main, &c);
	if (pid == -ENOSYS) {
		pid = cz_clone(0, s->cgfd);
		if (pid == 0) {
			vchild_main(&c);
			_exit(127);	/* fn does not return */
		}
		if (pid < 0)
			pid = -errno;
	}
	if (pid < 0) {
		if (s->host_pid >= 0)
			(void)!setns(s->host_pid, CLONE_NEWPID);
		return cz_fail(err, -pid, "fork: %s", strerror(-pid));
	}
	if (s->host_pid >= 0 && setns(s->host_pid, CLONE_NEWPID) < 0)
		cz_log(&s->cfg, LOG_ERR, "returning to the host pid namespace: %m");
	session_close_fds(s);
	return pid;
}

int cz_session_open(const struct cz_config *cfg, const char *group,
		    const char *container, struct cz_session **out,
		    struct cz_error *err)
{
	return session_open(cfg, group, container, out, NULL, err);
}

/* cz_session_start and cz_session_spawn (fn non-NULL). */
static pid_t session_start(const struct cz_config *cfg, const char *group, const char *container,
			   struct cz_session **out, cz_child_fn fn, void *arg, bool drops,
			   struct cz_error *err)
{
	pid_t command = 0, pid;
	int r = session_open(cfg, group, container, out, &command, err);

	if (r == CZ_SETUP_IN_CHILD) {
		/* The setup process, a fork of ours: its memory is its own. */
		if (fn) {
			fn(*out, arg, err);
			_exit(127);
		}
		return 0;
	}
	if (r < 0)
		return r;
	if (command > 0) {
		/* Set up by a process that is now the command. */
		session_close_fds(*out);
		return command;
	}
	if (cfg->interrupted && cfg->interrupted(cfg->interrupted_data)) {
		struct cz_error e = { 0 };
		/* Joined (or set up with a pid namespace) but interrupted
		 * meanwhile: leave as if nothing had run. */
		cz_session_abort(*out, &e);
		*out = NULL;
		return cz_fail(err, EINTR, "interrupted");
	}
	pid = fn ? session_vfork(*out, fn, arg, drops, err) : session_fork(*out, err);
	if (pid < 0) {
		struct cz_error e = { 0 };
		/* Nothing ran: leave as if this session had never been. */
		if (cz_session_abort(*out, &e) < 0)
			cz_log(cfg, LOG_ERR, "%s", e.msg);
		*out = NULL;
	}
	return pid;
}

pid_t cz_session_start(const struct cz_config *cfg, const char *group,
		       const char *container, struct cz_session **out,
		       struct cz_error *err)
{
	return session_start(cfg, group, container, out, NULL, NULL, false, err);
}

pid_t cz_session_spawn(const struct cz_config *cfg, const char *group,
		       const char *container, struct cz_session **out,
		       cz_child_fn fn, void *arg, bool drops, struct cz_error *err)
{
	return session_start(cfg, group, container, out, fn, arg, drops, err);
}

/* The end of a session that could not do its part now (err says why):
 * its hold goes with it, and the next run finds the instance stale and
 * tears it down, hooks and all. */
static int left_for_next(struct cz_session *s, struct cz_error *err)
{
	char why[sizeof err->msg];

	snprintf(why, sizeof why, "%s", err->msg);
	return cz_fail(err, -err->code, "%s/%s: %s; if this was the last session, the next run tears it down",
		       s->g.group, s->g.container, why);
}

/* ran: whether the instance ever ran a command (else no `stop`). */
static int close_locked(struct cz_session *s, bool ran, struct cz_error *err)
{
	struct cz_state cur;
	struct cz_error e = { 0 };
	struct cz_lock lk;
	int r;

	r = cz_lock_take(&s->cfg, s->g.group, s->g.container, false, &lk, err);
	if (r == -ENOENT)
		return 0;		/* already torn down (--stop) */
	if (r < 0)
		return left_for_next(s, err);
	r = cz_state_read(lk.dirfd, &cur, &e);
	/* Gone, or another instance since (--stop, then a new setup): not
	 * ours.  Unreadable now, or malformed: the next run sees to it. */
	if (r < 0 && r != -ENOENT) {
		cz_lock_release(&lk);
		cz_fail(err, -r, "%s", e.msg);
		return left_for_next(s, err);
	}
	if (r < 0 || cur.pid != s->st.pid || cur.started != s->st.started) {
		cz_lock_release(&lk);
		return 0;
	}
	if (flock(s->reffd, LOCK_EX | LOCK_NB) == 0) {
		r = cz_teardown(&s->cfg, &lk, &s->g, &cur, ran, err);
		if (cz_state_gone(lk.dirfd)) {
			cz_rundir_remove(&s->cfg, s->g.group, &lk);
			cz_log(&s->cfg, LOG_NOTICE, "tore down %s/%s (instance %d) after the last session of %s",
			       s->g.group, s->g.container, (int)cur.pid, s->cfg.user ? s->cfg.user : "?");
			cz_lock_release(&lk);
			/* Out of the base's registry: its lock comes first, never
			 * while holding the instance's. */
			if (cur.base[0])
				cz_throwaway_forget(&s->cfg, s->g.group, cur.base, s->g.container);
			return r;
		} else {
			r = left_for_next(s, err);
		}
	} else if (errno != EWOULDBLOCK) {
		cz_fail(err, errno, "%s/ref: %m", lk.dir);
		r = left_for_next(s, err);
	} else {
		cz_log(&s->cfg, LOG_NOTICE, "left %s/%s (instance %d) for %s", s->g.group, s->g.container,
		       (int)cur.pid, s->cfg.user ? s->cfg.user : "?");
		r = 0;
	}
	cz_lock_release(&lk);
	return r;
}

static int session_end(struct cz_session *s, bool ran, struct cz_error *err)
{
	int r = 0;

	/* A PAM caller: back on the host and outside the instance cgroup,
	 * or no teardown from here (joinself.c). */
	if (s->joined_self)
		r = cz_joined_leave(s, err);
	if (r == 0)
		r = close_locked(s, ran, err);
	session_free(s);
	return r;
}

int cz_session_close(struct cz_session *s, struct cz_error *err)
{
	return session_end(s, true, err);
}

int cz_session_abort(struct cz_session *s, struct cz_error *err)
{
	/* Set up for nothing: the container never ran, so no `stop`. */
	return session_end(s, !s->did_setup, err);
}

void cz_session_forget(struct cz_session *s)
{
	session_free(s);
}

/* cz_stop writes its user into `ref` before it kills anything: every
 * session holds `ref` open, so it can still read it after the teardown
 * has removed the file. */
int cz_session_stopped_by(const struct cz_session *s, char *buf, size_t len)
{
	ssize_t n;

	if (len == 0 || s->reffd < 0)
		return 0;
	n = pread(s->reffd, buf, len - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return (int)strlen(buf);
}

const char *cz_session_shell(const struct cz_session *s)
{
	return s->g.shell;
}

pid_t cz_session_instance(const struct cz_session *s)
{
	return s->st.pid;
}
