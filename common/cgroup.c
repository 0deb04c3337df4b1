/* cgroup.c — the instance cgroup: <cgroup2 mount>/<cgroup-name>/<pid>, or
 * on systemd hosts the leaf `payload` of the instance's scope unit
 * (<cgroup2 mount>/<slice path>/<unit>/payload, systemd.c).
 *
 * Every process of every session lives there, so the last session out can
 * kill whatever is left with one write to cgroup.kill (5.14+), even setsid
 * double-forked daemons, and know from cgroup.events when they are gone.
 * Creation and removal happen under the container lock: unlocked parallel
 * create/join/remove of one cgroup races (ENOENT, ENODEV, EEXIST). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int is_cgroup2(const struct cz_mount *m, void *data)
{
	char *buf = data;

	if (!m->fstype || strcmp(m->fstype, "cgroup2") != 0 || !m->root || strcmp(m->root, "/") != 0)
		return 0;
	snprintf(buf, PATH_MAX, "%s", m->target);
	return 1;
}

/* Out of line, with its buffer: the common case should not have 4 KiB
 * more stack (a page fault) for it. */
static __attribute__((noinline)) int cgroup_mount_slow(char *buf, size_t len)
{
	char found[PATH_MAX];
	int r;

	found[0] = '\0';
	r = cz_mountinfo_walk(is_cgroup2, found);
	if (r < 0)
		return r;
	if (!found[0] || strlen(found) >= len)
		return -ENOENT;
	snprintf(buf, len, "%s", found);
	return 0;
}

/* The cgroup2 mount: where systemd (pure v2) or a hybrid host puts it, as
 * statfs proves, else whatever /proc/self/mountinfo says. */
int cz_cgroup_mount(char *buf, size_t len)
{
	static const char *const usual[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs sfs;
	size_t i;

	for (i = 0; i < sizeof usual / sizeof usual[0]; i++)
		if (statfs(usual[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(buf, len, "%s", usual[i]);
			return 0;
		}
	return cgroup_mount_slow(buf, len);
}

/* populated 1 / 0 from the text of cgroup.events. */
static int parse_populated(const char *events)
{
	const char *p = strstr(events, "populated ");

	return p ? p[10] == '1' : -EINVAL;
}

/* populated 1 / 0 from cgroup.events, or -errno. */
static int cgroup_populated(const char *path)
{
	char file[CZ_PATH_MAX + 32], buf[256];
	int r;

	snprintf(file, sizeof file, "%s/cgroup.events", path);
	r = cz_read_small_file(AT_FDCWD, file, buf, sizeof buf);
	return r < 0 ? r : parse_populated(buf);
}

int cz_cgroup_path(const char *name, pid_t pid, char *path, size_t len, struct cz_error *err)
{
	char mnt[CZ_PATH_MAX];	/* the cgroup path must fit CZ_PATH_MAX anyway */
	int r = cz_cgroup_mount(mnt, sizeof mnt);

	if (r == -ENOENT)
		return cz_fail(err, -r, "no cgroup2 file system mounted (looked in /proc/self/mountinfo)");
	if (r < 0)
		return cz_fail(err, -r, "finding the cgroup2 mount in /proc/self/mountinfo: %s",
			       cz_mountinfo_strerror(r));
	if ((size_t)snprintf(path, len, "%s/%s/%d", mnt, name, (int)pid) >= len)
		return cz_fail(err, ENAMETOOLONG, "cgroup path too long");
	return 0;
}

/* mkdir, making missing parents first (only those: the walk up stops at the
 * first directory that exists, at the latest the cgroup2 mount). */
static int mkdir_up(char *path)
{
	char *slash;
	int r;

	if (mkdir(path, 0755) == 0 || errno != ENOENT)
		return errno == EEXIST ? -EEXIST : 0;
	slash = strrchr(path, '/');
	if (!slash || slash == path)
		return -ENOENT;
	*slash = '\0';
	r = mkdir_up(path);
	*slash = '/';
	if (r < 0 && r != -EEXIST)
		return r;
	return mkdir(path, 0755) == 0 ? 0 : -errno;
}

/* Out of line: its buffers would deepen the stack of the common case. */
static __attribute__((noinline)) int create_slow(const char *path, struct cz_error *err)
{
	char dir[CZ_PATH_MAX];
	int r = -ENOENT, tries;

	if (strlen(path) >= sizeof dir)
		return cz_fail(err, ENAMETOOLONG, "cgroup path too long");
	/* Another instance's teardown may remove an empty parent between two
	 * of our mkdirs: retry. */
	for (tries = 0; tries < 100 && r == -ENOENT; tries++) {
		snprintf(dir, sizeof dir, "%s", path);
		r = mkdir_up(dir);
	}
	if (r == -EEXIST) {
		/* Left by a crashed run with the same pid; reuse if empty. */
		if (cgroup_populated(path) == 0)
			return 0;
		return cz_fail(err, EBUSY, "cgroup %s is already in use", path);
	}
	if (r < 0)
		return cz_fail(err, -r, "creating cgroup %s: %s", path, strerror(-r));
	return 0;
}

int cz_cgroup_create(const char *path, struct cz_error *err)
{
	/* Usually the <cgroup-name> parent is there (it is kept). */
	if (mkdir(path, 0755) == 0)
		return 0;
	return create_slow(path, err);
}

static void kill_procs(const char *path)
{
	char file[CZ_PATH_MAX + 32], buf[4096], *p, *end;

	/* Before 5.14 there is no cgroup.kill: signal each listed process. */
	snprintf(file, sizeof file, "%s/cgroup.procs", path);
	if (cz_read_small_file(AT_FDCWD, file, buf, sizeof buf) < 0)
		return;
	for (p = buf; *p; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* populated from an open cgroup.events, re-reading it (which also re-arms
 * poll: kernfs reports POLLPRI until the file is read again). */
static int events_populated(int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return parse_populated(buf);
}

static __attribute__((noinline)) int kill_and_remove(const char *path, struct cz_error *err)
{
	char file[CZ_PATH_MAX + 32], killfile[CZ_PATH_MAX + 32];
	long long deadline, resent;
	struct pollfd pfd;
	int r;

	snprintf(file, sizeof file, "%s/cgroup.events", path);
	pfd.fd = open(file, O_RDONLY | O_CLOEXEC);
	if (pfd.fd < 0)
		return errno == ENOENT ? 0 : cz_fail(err, errno, "%s: %m", file);
	pfd.events = POLLPRI;
	snprintf(killfile, sizeof killfile, "%s/cgroup.kill", path);
	r = events_populated(pfd.fd);
	if (r == 1 && cz_write_file(killfile, "1") < 0)
		kill_procs(path);
	/* Dying processes leave within milliseconds; give up after 10 s. */
	deadline = now_ms() + 10000;
	resent = now_ms();
	while ((r = events_populated(pfd.fd)) == 1 && now_ms() < deadline) {
		/* Anything that got in meanwhile (a fork racing the kill). */
		if (now_ms() - resent >= 100) {
			if (cz_write_file(killfile, "1") < 0)
				kill_procs(path);
			resent = now_ms();
		}
		poll(&pfd, 1, 100);
	}
	close(pfd.fd);
	if (r == 1)
		return cz_fail(err, EBUSY, "cgroup %s: processes left after SIGKILL", path);
	if (rmdir(path) < 0 && errno != ENOENT)
		return cz_fail(err, errno, "removing cgroup %s: %m", path);
	/* The parent (<cgroup-name>) stays, as a systemd slice does: removing
	 * and making it again on every start costs two cgroup operations. */
	return 0;
}

/* Kill everything in the cgroup, wait until it is empty, remove it (its
 * parent, the group's <cgroup-name>, stays, as a systemd slice does). */
int cz_cgroup_kill(const char *path, struct cz_error *err)
{
	if (!path[0])
		return 0;
	/* Empty (the usual case: the last session's command has been reaped):
	 * the kernel lets it go at once, and refuses (EBUSY) while a process
	 * is left.  Cheaper than opening and reading cgroup.events first. */
	if (rmdir(path) == 0 || errno == ENOENT)
		return 0;
	return kill_and_remove(path, err);
}

/* The holder: systemd wants a process to put into a new scope, and the
 * setup process cannot be it (CLONE_INTO_CGROUP needs the cgroup before
 * the clone, and a container process must never live outside it).  It
 * then stays in the leaf for the instance's life: systemd stops and
 * removes a scope whose cgroup empties, and nothing else may be in there
 * for a while (a PAM session between its setup and its first fork, or
 * sessions whose processes have all exited).  The teardown's kill ends it
 * with the rest.  It holds nothing of ours and no terminal (a Ctrl-C for
 * the session's command is not for it), and init adopts it (double fork):
 * no child for a session process to reap. */
static void __attribute__((noreturn)) holder_main(void)
{
	sigset_t none;
	int fd;

	setsid();
	prctl(PR_SET_NAME, "cz-scope-hold");
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	close_range(3, ~0U, 0);	/* the lock among them */
	(void)!chdir("/");
	/* systemctl stop sends SIGTERM: die of it (our caller may block it,
	 * or forward it with a handler). */
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;)
		pause();
}

static pid_t holder_start(void)
{
	pid_t mid, pid = -1;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	mid = cz_clone(0, -1);
	if (mid == 0) {
		pid = cz_clone(0, -1);
		if (pid == 0)
			holder_main();
		(void)!write(p[1], &pid, sizeof pid);
		_exit(0);
	}
	close(p[1]);
	if (mid > 0) {
		while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
			;
		if (cz_read_all(p[0], &pid, sizeof pid) != (ssize_t)sizeof pid)
			pid = -1;
	}
	close(p[0]);
	if (pid < 0)
		errno = EAGAIN;
	return pid;
}

int cz_cgroup_scope(const char *unit, const char *slice, const char *desc, char *path, size_t len,
		    struct cz_error *err)
{
	char mnt[CZ_PATH_MAX], cg[CZ_PATH_MAX], procs[CZ_PATH_MAX + 16], pid[24];
	int r = cz_cgroup_mount(mnt, sizeof mnt);
	pid_t holder;

	if (r < 0)
		return cz_fail(err, -r, "no cgroup2 file system mounted (looked in /proc/self/mountinfo)");
	holder = holder_start();
	if (holder < 0)
		return cz_fail(err, errno, "fork: %m");
	r = cz_scope_start(unit, slice, desc, holder, cg, sizeof cg, err);
	/* systemd names the cgroup from its own root: ours, unless we are in
	 * another cgroup namespace than PID 1 (then the leaf is not found). */
	if (r == 0 && (size_t)snprintf(path, len, "%s%s/payload", mnt, cg) >= len)
		r = cz_fail(err, ENAMETOOLONG, "cgroup path too long");
	/* The scope's own cgroup is systemd's; below it is ours (Delegate=yes),
	 * and processes go into leaves only. */
	if (r == 0 && mkdir(path, 0755) < 0)
		r = cz_fail(err, errno, "creating cgroup %s in %s: %m", path, unit);
	if (r == 0) {
		snprintf(procs, sizeof procs, "%s/cgroup.procs", path);
		snprintf(pid, sizeof pid, "%d", (int)holder);
		r = cz_write_file(procs, pid);
		if (r < 0)
			r = cz_fail(err, -r, "moving into cgroup %s: %s", path, strerror(-r));
	}
	if (r < 0)
		kill(holder, SIGKILL);	/* the scope, empty then, goes too */
	return r;
}
