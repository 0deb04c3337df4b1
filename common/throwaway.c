/* throwaway.c — which throwaway instances of a base tree live.
 *
 * Changing a lower layer under a mounted overlay is undefined behaviour,
 * so a base is never entered (set up or joined) while a throwaway instance
 * of it lives, nor a throwaway instance started while the base is live.
 * Only our own state knows either: the base's run dir holds a registry,
 * RUNDIR/GROUP/BASE/throwaway/NAME, one empty file per instance.
 *
 * Locks, always in this order: the base's, then an instance's.  Starting
 * an instance takes the base's lock, checks that the base is not live,
 * registers NAME, takes NAME's lock and only then lets the base's go: an
 * entry of the base that checks the registry meanwhile waits on NAME's
 * lock and sees the instance once it is set up (or stale if that failed).
 * An entry is only a hint: it counts when NAME's state says NAME is a live
 * throwaway instance of this base (the same proof as for sessions, a held
 * `ref`).  Entries of dead instances are dropped when met, their stale
 * state torn down (its mounts, upper layer and directory), so that a
 * SIGKILL at any moment leaves nothing that the next start of an instance
 * of the base, or the next entry of the base, does not clean. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define REGISTRY "throwaway"

int cz_throwaway_register(const struct cz_lock *blk, const char *name, struct cz_error *err)
{
	int dfd, fd;

	if (mkdirat(blk->dirfd, REGISTRY, 0700) < 0 && errno != EEXIST)
		return cz_fail(err, errno, "%s/%s: %m", blk->dir, REGISTRY);
	dfd = openat(blk->dirfd, REGISTRY, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return cz_fail(err, errno, "%s/%s: %m", blk->dir, REGISTRY);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		close(dfd);
		return cz_fail(err, e, "%s/%s/%s: %s", blk->dir, REGISTRY, name, strerror(e));
	}
	close(fd);
	close(dfd);
	return 0;
}

/* Under the base's lock: is name a live throwaway instance of it?  A dead
 * one is torn down.  An instance we cannot check counts as live: refusing
 * an entry is better than changing a lower layer under an overlay. */
static bool probe(const struct cz_config *cfg, const struct cz_lock *blk, const char *name)
{
	struct cz_error e = { 0 };
	struct cz_state st;
	struct cz_lock lk;
	bool live = false;
	int r, reffd;

	r = cz_lock_take(cfg, blk->group, name, false, &lk, &e);
	if (r == -ENOENT)
		return false;
	if (r < 0) {
		cz_log(cfg, LOG_WARNING, "%s", e.msg);
		return true;
	}
	r = cz_state_read(lk.dirfd, &st, &e);
	if (r == 0 && strcmp(st.base, blk->container) == 0) {
		r = cz_state_is_live(&lk, &st, &reffd, &e);
		if (reffd >= 0)
			close(reffd);
		if (r == 0 && (r = cz_clean_stale(cfg, &lk, &st, false, &e)) == 0 && cz_state_gone(lk.dirfd))
			cz_rundir_remove(cfg, blk->group, &lk);
		live = r != 0;
	}
	if (r < 0 && r != -ENOENT) {
		cz_log(cfg, LOG_WARNING, "%s", e.msg);
		live = true;
	}
	cz_lock_release(&lk);
	return live;
}

struct walk {
	const struct cz_config *cfg;
	const struct cz_lock *blk;
	int dfd;
	const char *only;	/* NULL: every entry */
	char *live;
	size_t len;
	int n;
};

static int one(const char *name, void *data)
{
	struct walk *w = data;
	size_t used;

	if (w->only && strcmp(name, w->only) != 0)
		return 0;
	if (cz_name_valid(name) && probe(w->cfg, w->blk, name)) {
		w->n++;
		used = strlen(w->live);
		if (w->len > used)
			snprintf(w->live + used, w->len - used, "%s%s", used ? " " : "", name);
		return 0;
	}
	unlinkat(w->dfd, name, 0);
	return 0;
}

static int walk_registry(const struct cz_config *cfg, const struct cz_lock *blk, const char *only,
			 char *live, size_t len)
{
	struct walk w = { cfg, blk, -1, only, live, len, 0 };

	if (len)
		live[0] = '\0';
	w.dfd = openat(blk->dirfd, REGISTRY, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (w.dfd < 0)
		return 0;	/* the usual case: none ever registered */
	cz_dir_each(w.dfd, one, &w);
	close(w.dfd);
	if (w.n == 0)
		unlinkat(blk->dirfd, REGISTRY, AT_REMOVEDIR);
	return w.n;
}

int cz_throwaway_live(const struct cz_config *cfg, const struct cz_lock *blk, char *live, size_t len)
{
	return walk_registry(cfg, blk, NULL, live, len);
}

void cz_throwaway_forget(const struct cz_config *cfg, const char *group, const char *base,
			 const char *name)
{
	struct cz_error e = { 0 };
	struct cz_lock blk;
	char live[CZ_NAME_MAX + 1];

	if (cz_lock_take(cfg, group, base, false, &blk, &e) < 0)
		return;
	walk_registry(cfg, &blk, name, live, sizeof live);
	/* Nothing left of the base (no state, no registry): its entry goes. */
	if (!cz_exists(blk.dirfd, "state") && !cz_exists(blk.dirfd, REGISTRY))
		cz_rundir_remove(cfg, group, &blk);
	cz_lock_release(&blk);
}
