/* list.c — --list and --stop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "internal.h"

static int list_group(const struct cz_config *cfg, int rfd, const char *group,
		      int (*fn)(const struct cz_list_entry *e, void *data), void *data)
{
	int gfd = openat(rfd, group, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = gfd >= 0 ? fdopendir(gfd) : NULL;
	struct dirent *de;
	int r = 0;

	(void)cfg;
	if (!d) {
		if (gfd >= 0)
			close(gfd);
		return 0;
	}
	while (r == 0 && (de = readdir(d))) {
		struct cz_state st;
		struct cz_error e;
		struct cz_list_entry ent;
		int cfd, reffd;

		if (!cz_name_valid(de->d_name))
			continue;
		cfd = openat(gfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (cfd < 0)
			continue;
		if (cz_state_read(cfd, &st, &e) == 0 && st.complete) {
			reffd = openat(cfd, "ref", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			ent = (struct cz_list_entry){
				.group = group, .container = de->d_name, .tree = st.tree,
				.cgroup = st.cgroup, .instance_pid = st.pid,
				.sessions = reffd >= 0 ? cz_count_sessions(reffd) : 0,
				.started = st.started,
			};
			if (ent.sessions < 0)
				ent.sessions = 0;
			if (reffd >= 0)
				close(reffd);
			r = fn(&ent, data);
		}
		close(cfd);
	}
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
	while (r == 0 && (de = readdir(d)))
		if (cz_name_valid(de->d_name))
			r = list_group(cfg, rfd, de->d_name, fn, data);
	closedir(d);
	return r;
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
	if (r < 0) {
		cz_rundir_remove(cfg, group, &lk);
		cz_lock_release(&lk);
		return cz_fail(err, ENOENT, "%s/%s is not set up", group, container);
	}
	r = cz_teardown(cfg, &lk, NULL, &st, st.complete, err);
	cz_rundir_remove(cfg, group, &lk);
	cz_lock_release(&lk);
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
