/* list.c — --list and --stop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "internal.h"

/* One container's entry: 1 if it is listed (live and complete), 0 if not
 * (gone meanwhile, a setup under way or dead, malformed), -errno if what
 * it is cannot be told now: --list then fails rather than leave it out. */
static int list_one(int gfd, const char *group, const char *name,
		    int (*fn)(const struct cz_list_entry *e, void *data), void *data,
		    struct cz_error *err)
{
	struct cz_state st;
	struct cz_error e = { 0 };
	struct cz_list_entry ent;
	int cfd, reffd, r;

	cfd = openat(gfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (cfd < 0)
		return errno == ENOENT ? 0 : cz_fail(err, errno, "%s/%s: %m", group, name);
	r = cz_state_read(cfd, &st, &e);
	if (r < 0 || !st.complete) {
		close(cfd);
		return r == 0 || r == -ENOENT || r == -EINVAL ? 0 : cz_fail(err, -r, "%s/%s: %s", group, name, e.msg);
	}
	ent = (struct cz_list_entry){
		.group = group, .container = name, .tree = st.tree, .cgroup = st.cgroup,
		.base = st.base, .instance_pid = st.pid, .started = st.started,
	};
	reffd = openat(cfd, "ref", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (reffd >= 0) {
		ent.sessions = cz_count_sessions(reffd);
		close(reffd);
	} else {
		ent.sessions = errno == ENOENT ? 0 : -errno;
	}
	close(cfd);
	if (ent.sessions < 0)
		return cz_fail(err, -ent.sessions, "%s/%s: counting its sessions: %s", group, name,
			       strerror(-ent.sessions));
	return fn(&ent, data);
}

static int list_group(int rfd, const char *group,
		      int (*fn)(const struct cz_list_entry *e, void *data), void *data,
		      struct cz_error *err)
{
	int gfd = openat(rfd, group, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = gfd >= 0 ? fdopendir(gfd) : NULL;
	struct dirent *de;
	int r = 0;

	if (!d) {
		if (gfd < 0 && errno == ENOENT)
			return 0;	/* its last container went meanwhile */
		r = cz_fail(err, errno, "%s: %m", group);
		if (gfd >= 0)
			close(gfd);
		return r;
	}
	for (errno = 0; r == 0 && (de = readdir(d)); errno = 0)
		if (cz_name_valid(de->d_name))
			r = list_one(gfd, group, de->d_name, fn, data, err);
	if (r == 0 && errno)
		r = cz_fail(err, errno, "%s: %m", group);
	closedir(d);
	return r;
}

int cz_list(const struct cz_config *cfg,
	    int (*fn)(const struct cz_list_entry *e, void *data), void *data,
	    struct cz_error *err)
{
	int rfd = open(cfg->rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (rfd < 0)
		return errno == ENOENT ? 0 : cz_fail(err, errno, "run dir %s: %m", cfg->rundir);
	d = fdopendir(rfd);
	if (!d) {
		close(rfd);
		return cz_fail(err, errno, "run dir %s: %m", cfg->rundir);
	}
	for (errno = 0; r == 0 && (de = readdir(d)); errno = 0)
		if (cz_name_valid(de->d_name))
			r = list_group(rfd, de->d_name, fn, data, err);
	if (r == 0 && errno)
		r = cz_fail(err, errno, "run dir %s: %m", cfg->rundir);
	closedir(d);
	return r;
}

/* For the sessions about to be killed (cz_session_stopped_by): who
 * stopped the container, written into `ref`, which they hold open. */
static void note_stopper(const struct cz_config *cfg, const struct cz_lock *lk)
{
	char line[128];
	int fd = openat(lk->dirfd, "ref", O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	int n;

	if (fd < 0)
		return;
	n = snprintf(line, sizeof line, "%s\n", cfg->user ? cfg->user : "root");
	if (n > 0 && (size_t)n < sizeof line)
		(void)!pwrite(fd, line, (size_t)n, 0);
	close(fd);
}

int cz_stop(const struct cz_config *cfg, const char *group,
	    const char *container, struct cz_error *err)
{
	struct cz_state st;
	struct cz_error e = { 0 };
	struct cz_lock lk;
	int r;

	if (!cz_name_valid(group) || !cz_name_valid(container)) {
		char shown[CZ_NAME_MAX * 2 + 16];
		bool bad_group = !cz_name_valid(group);
		cz_printable(bad_group ? group : container, shown, sizeof shown);
		return cz_fail(err, EINVAL, "invalid %s name '%s'", bad_group ? "group" : "container", shown);
	}
	r = cz_lock_take(cfg, group, container, false, &lk, err);
	if (r == -ENOENT)
		return cz_fail(err, ENOENT, "%s/%s is not set up", group, container);
	if (r < 0)
		return r;
	r = cz_state_read(lk.dirfd, &st, &e);
	if (r == -ENOENT) {
		cz_rundir_remove(cfg, group, &lk);
		cz_lock_release(&lk);
		return cz_fail(err, ENOENT, "%s/%s is not set up", group, container);
	}
	if (r < 0 && r != -EINVAL) {
		cz_lock_release(&lk);
		return cz_fail(err, -r, "%s/%s: %s (nothing was changed)", group, container, e.msg);
	}
	/* Malformed: what the state says is partial; no `stop`, every pin. */
	if (r == -EINVAL)
		st.nsflags = ~0;
	note_stopper(cfg, &lk);
	r = cz_teardown(cfg, &lk, NULL, &st, r == 0 && st.complete, err);
	if (!cz_state_gone(lk.dirfd)) {
		cz_lock_release(&lk);
		snprintf(e.msg, sizeof e.msg, "%s", err->msg);
		return cz_fail(err, -r, "stopping %s/%s: %s; left for the next run to finish", group, container,
			       e.msg);
	}
	cz_rundir_remove(cfg, group, &lk);
	cz_lock_release(&lk);
	if (st.base[0])
		cz_throwaway_forget(cfg, group, st.base, container);
	cz_log(cfg, LOG_NOTICE, "stopped %s/%s (instance %d) for %s", group, container, (int)st.pid,
	       cfg->user ? cfg->user : "?");
	return r;
}

enum cz_live cz_container_state(const struct cz_config *cfg, const char *group,
				const char *container, int *sessions)
{
	char dir[CZ_PATH_MAX];
	struct cz_state st;
	struct cz_error e = { 0 };
	enum cz_live live = CZ_DOWN;
	int dfd, reffd, n;

	*sessions = 0;
	if ((size_t)snprintf(dir, sizeof dir, "%s/%s/%s", cfg->rundir, group, container) >= sizeof dir)
		return CZ_DOWN;
	/* Read without the lock: a snapshot, for people to read. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return CZ_DOWN;
	if (cz_state_read(dfd, &st, &e) == 0) {
		live = !st.complete ? CZ_STARTING : CZ_STALE;
		reffd = st.complete && cz_same_boot(&st) ? openat(dfd, "ref", O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
		if (reffd >= 0) {
			n = cz_count_sessions(reffd);
			if (n > 0) {
				*sessions = n;
				live = CZ_LIVE;
			}
			close(reffd);
		}
	}
	close(dfd);
	return live;
}
