/* joinself.c — a PAM caller's session: the caller is inside only until it
 * forks; what it forks is inside for good.
 *
 * sshd's monitor, su, runuser and login call pam_open_session, fork the
 * user's processes, and later call pam_close_session from the same
 * process.  That process must stay where the login put it:
 *   - in its own cgroup: on a systemd host that is logind's session scope,
 *     and moving its only process out makes systemd stop the scope (the
 *     session is gone for logind while the user is still logged in);
 *   - in the host's mount namespace by the time pam_systemd's
 *     close_session runs (Linux-PAM runs close_session in stack order, so
 *     pam_systemd, from common-session, comes before us): it talks to
 *     logind over the system bus socket of the host's /run;
 *   - alive through the teardown, which kills everything in the instance
 *     cgroup: never in there.
 * So open_session enters the container's namespaces, not its cgroup (a
 * caller that execs without forking runs inside: fail closed), and fork
 * handlers do the rest.  Before a fork the caller is (again) inside, so the
 * child starts in the container's namespaces; the child moves itself into
 * the instance cgroup (then into its cgroup namespace, which would forbid
 * the move from outside it) and drops every descriptor of ours: a process
 * inside must not hold a way back to the host.  The parent goes back to
 * the host's namespaces, root and cwd.  A child that cannot get all the way
 * in exits at once.  Processes made by vfork, posix_spawn or clone(2)
 * run no fork handlers: a caller must fork (sshd, su, runuser, login do).
 *
 * pthread_atfork handlers are process-wide and there is no argument to
 * pass them, hence the one static pointer: one joined session per process.
 * A PAM module's handlers are unregistered when it is unloaded (glibc does
 * that for each DSO's handlers at dlclose). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "internal.h"

/* The session whose caller's forks go inside; NULL in the children. */
static struct cz_session *joined;
static int handlers_registered;

/* Into every pinned namespace but the cgroup's (children do that after
 * their cgroup move); the mount namespace last, as everywhere. */
static int enter(struct cz_session *s, struct cz_error *err)
{
	int i;

	for (i = 0; i < CZ_NS_COUNT; i++) {
		int flag = cz_ns_kinds[i].flag;
		if (s->nsfd[i] < 0 || flag == CLONE_NEWCGROUP)
			continue;
		if (setns(s->nsfd[i], flag) < 0)
			return cz_fail(err, errno, "entering the %s namespace: %m", cz_ns_kinds[i].name);
	}
	s->inside = true;
	return 0;
}

/* Back to the namespaces the caller had, then its root and cwd (setns of a
 * mount namespace sets both to that namespace's root). */
static int leave(struct cz_session *s, struct cz_error *err)
{
	int i;

	for (i = CZ_NS_COUNT - 1; i >= 0; i--) {
		if (s->host_ns[i] < 0)
			continue;
		if (setns(s->host_ns[i], cz_ns_kinds[i].flag) < 0)
			return cz_fail(err, errno, "returning to the host's %s namespace: %m", cz_ns_kinds[i].name);
	}
	if (fchdir(s->host_root) < 0 || chroot(".") < 0 || fchdir(s->host_cwd) < 0)
		return cz_fail(err, errno, "returning to the caller's root and directory: %m");
	s->inside = false;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Every descriptor a process inside must not keep. */
static void drop_fds(struct cz_session *s)
{
	int i;

	for (i = 0; i < CZ_NS_COUNT; i++) {
		close_fd(&s->nsfd[i]);
		close_fd(&s->host_ns[i]);
	}
	close_fd(&s->cgfd);
	close_fd(&s->host_root);
	close_fd(&s->host_cwd);
}

static void before_fork(void)
{
	struct cz_session *s = joined;
	struct cz_error e = { 0 };

	if (!s)
		return;
	s->fork_failed = !s->inside && enter(s, &e) < 0;
	if (s->fork_failed) {
		struct cz_error e2 = { 0 };
		/* e.g. setns(CLONE_NEWNS) in a process with threads: the child
		 * will exit; the caller must not stay half inside. */
		cz_log(&s->cfg, LOG_ERR, "fork: the child cannot start inside %s/%s: %s", s->g.group,
		       s->g.container, e.msg);
		if (leave(s, &e2) < 0)
			cz_log(&s->cfg, LOG_ERR, "%s", e2.msg);
	}
}

static void in_parent(void)
{
	struct cz_session *s = joined;
	struct cz_error e = { 0 };

	if (s && s->inside && leave(s, &e) < 0)
		cz_log(&s->cfg, LOG_ERR, "%s", e.msg);	/* close_session tries again */
}

static void in_child(void)
{
	struct cz_session *s = joined;
	int fd, cgidx = -1, i;

	if (!s)
		return;
	joined = NULL;		/* its own children inherit all this */
	for (i = 0; i < CZ_NS_COUNT; i++)
		if (cz_ns_kinds[i].flag == CLONE_NEWCGROUP)
			cgidx = i;
	if (s->fork_failed)
		_exit(125);
	fd = openat(s->cgfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		cz_log(&s->cfg, LOG_ERR, "fork: the child cannot join cgroup %s: %m", s->st.cgroup);
		_exit(125);
	}
	close(fd);
	if (s->nsfd[cgidx] >= 0 && setns(s->nsfd[cgidx], CLONE_NEWCGROUP) < 0) {
		cz_log(&s->cfg, LOG_ERR, "fork: the child cannot enter the cgroup namespace: %m");
		_exit(125);
	}
	drop_fds(s);
}

int cz_session_join_self(struct cz_session *s, struct cz_error *err)
{
	int i, r;

	if (joined)
		return cz_fail(err, EBUSY, "this process has joined a container already");
	for (i = 0; i < CZ_NS_COUNT; i++) {
		char path[32];
		if (s->nsfd[i] < 0 || cz_ns_kinds[i].flag == CLONE_NEWCGROUP)
			continue;
		snprintf(path, sizeof path, "/proc/self/ns/%s", cz_ns_kinds[i].name);
		s->host_ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (s->host_ns[i] < 0)
			return cz_fail(err, errno, "%s: %m", path);
	}
	s->host_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	s->host_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->host_cwd < 0)
		s->host_cwd = s->host_root >= 0 ? dup(s->host_root) : -1;
	if (s->host_root < 0 || s->host_cwd < 0)
		return cz_fail(err, errno, "opening the caller's root and directory: %m");
	if (!handlers_registered) {
		r = pthread_atfork(before_fork, in_parent, in_child);
		if (r != 0)
			return cz_fail(err, r, "pthread_atfork: %s", strerror(r));
		handlers_registered = 1;
	}
	s->joined_self = true;
	r = enter(s, err);
	if (r < 0) {
		struct cz_error e = { 0 };
		if (leave(s, &e) < 0)
			cz_log(&s->cfg, LOG_ERR, "%s", e.msg);
		return r;
	}
	joined = s;
	return 0;
}

/* Where the caller is: its cgroup v2 path (from /proc/self/cgroup) is the
 * instance cgroup or below it.  Then the teardown's kill would take it. */
static bool in_instance_cgroup(const struct cz_session *s)
{
	char line[CZ_PATH_MAX + 64], mnt[CZ_PATH_MAX], mine[2 * CZ_PATH_MAX];
	char *p;
	size_t n;

	if (!s->st.cgroup[0] || cz_read_small_file(AT_FDCWD, "/proc/self/cgroup", line, sizeof line) < 0 ||
	    cz_cgroup_mount(mnt, sizeof mnt) < 0)
		return false;
	p = strstr(line, "0::");
	if (!p || (p != line && p[-1] != '\n'))
		return false;
	p += 3;
	p[strcspn(p, "\n")] = '\0';
	/* A cgroup path too long to compare is not the instance's. */
	if ((size_t)snprintf(mine, sizeof mine, "%s%s", mnt, strcmp(p, "/") == 0 ? "" : p) >= sizeof mine)
		return false;
	n = strlen(s->st.cgroup);
	return strncmp(mine, s->st.cgroup, n) == 0 && (mine[n] == '\0' || mine[n] == '/');
}

int cz_joined_leave(struct cz_session *s, struct cz_error *err)
{
	int r;

	if (joined == s)
		joined = NULL;
	/* Never ignore a failure here: a teardown from inside would unpin
	 * and kill around the process doing it.  Fail safe: the caller's
	 * hold goes with it, and the next run finds the instance stale. */
	if (s->inside) {
		r = leave(s, err);
		if (r < 0)
			return cz_fail(err, -r, "%s; the teardown of %s/%s is left to the next run", err->msg,
				       s->g.group, s->g.container);
	}
	if (in_instance_cgroup(s))
		return cz_fail(err, EBUSY, "the closing process is in the cgroup of %s/%s; "
			       "the teardown is left to the next run", s->g.group, s->g.container);
	return 0;
}

void cz_joined_forget(struct cz_session *s)
{
	if (joined == s)
		joined = NULL;
}
