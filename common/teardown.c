/* teardown.c — the last session out (or --stop, or the run that finds
 * stale state) ends the instance: stop, kill, unpin, unbind, state.
 * Runs on the host side.  A failing hook is logged and teardown goes on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

/* How far the teardown got is in marker files beside the state, each made
 * by its hook's own process right before the hook executes (hooks.c): a
 * session killed at any moment leaves state that makes the next run finish
 * the teardown, running every hook that has not started and none twice.
 * Their names carry the instance (pid and start time): one left by a crash
 * after its state went never speaks for a later instance there. */
static const char *const markers[CZ_HOOK_COUNT] = {
	[CZ_HOOK_STOP] = CZ_STOP_MARKER,
	[CZ_HOOK_UNBIND] = CZ_UNBIND_MARKER,
};

static void marker_name(const struct cz_state *st, enum cz_hook h, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%d.%lld", markers[h], (int)st->pid, st->started);
}

/* Has hook h started?  (phase: what a state of a version before the
 * markers recorded instead, st->teardown.) */
static bool started(const struct cz_lock *lk, const struct cz_state *st, enum cz_hook h, int phase)
{
	char name[96];

	marker_name(st, h, name, sizeof name);
	return st->teardown >= phase || cz_exists(lk->dirfd, name);
}

/* A hook runs with containerize's own limits (the front end raised them
 * for its work and its hooks).  A file size limit lowered under a running
 * containerize (root's prlimit --pid) below what a state write needs would
 * make the hook fail half-way: an error of the moment, as it is for our
 * own writes, and the next run, with its own limits, starts the hook. */
#define HOOK_MIN_FSIZE 4096

static int limits_ok(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < HOOK_MIN_FSIZE)
		return -EFBIG;
	return 0;
}

/* The hook, its marker made by its own process.  A hook that ran and
 * failed is logged and the teardown goes on; one that could not be started
 * (EAGAIN, ENOMEM, its marker not made) leaves no marker and, if that was
 * an error of the moment, stops the teardown here: -errno. */
static int run_hook(const struct cz_config *cfg, struct cz_lock *lk, const struct cz_group *g,
		    struct cz_state *st, enum cz_hook h, struct cz_error *err)
{
	char path[CZ_PATH_MAX + 16], pid[24], name[96], marker[CZ_PATH_MAX + 100];
	struct cz_hook_env he = { .g = g, .pid = st->pid, .cgroup = st->cgroup, .started = marker };
	char *argv[] = { path, st->tree, h == CZ_HOOK_STOP ? pid : NULL, NULL };
	struct cz_error e = { 0 };
	int r;

	snprintf(path, sizeof path, "%s/%s", g->confdir, cz_hook_names[h]);
	snprintf(pid, sizeof pid, "%d", (int)st->pid);
	marker_name(st, h, name, sizeof name);
	snprintf(marker, sizeof marker, "%s/%s", lk->dir, name);
	if ((r = limits_ok()) < 0)
		return cz_fail(err, -r, "%s hook %s not started: %s (a file size limit below %d bytes)",
			       cz_hook_names[h], path, strerror(-r), HOOK_MIN_FSIZE);
	r = cz_hook_run_checked(&he, h, path, argv, &e);
	if (r == 0 || r == -ECANCELED) {
		if (r < 0)
			cz_log(cfg, LOG_ERR, "%s", e.msg);
		return 0;
	}
	/* Not started (its process may have made the marker, then failed to
	 * execute it): the next run may try again. */
	unlinkat(lk->dirfd, name, 0);
	if (cz_transient(r))
		return cz_fail(err, -r, "%s", e.msg);
	cz_log(cfg, LOG_ERR, "%s", e.msg);
	return 0;
}

/* The group for a teardown that was not given one: NULL (logged) if it is
 * gone or refused now, and then the teardown goes on without hooks; -errno
 * in *r if it could not be read for a reason of the moment. */
static struct cz_group *load_group(const struct cz_config *cfg, struct cz_lock *lk, int *r,
				   struct cz_error *err)
{
	/* On the heap: 4 KB more stack, a page fault, for every teardown,
	 * for a rare case. */
	struct cz_group *g = malloc(sizeof *g);
	struct cz_error e = { 0 };

	*r = 0;
	if (!g) {
		*r = cz_fail(err, ENOMEM, "teardown of %s/%s: out of memory", lk->group, lk->container);
		return NULL;
	}
	if (cz_group_load(cfg, lk->group, lk->container, g, &e) == 0)
		return g;
	cz_group_close(g);
	free(g);
	if (cz_transient(e.code))
		*r = cz_fail(err, -e.code, "teardown of %s/%s: %s", lk->group, lk->container, e.msg);
	else
		cz_log(cfg, LOG_WARNING, "teardown without hooks: %s", e.msg);
	return NULL;
}

/* Returns 0 or -errno.  If an error of the moment stopped it before the
 * end (it says so in err), the state is left in place, with the progress
 * made, for the next run to finish: the caller keeps the run-dir entry.
 * Any other failure (a hook, processes that would not die) is logged, and
 * the teardown goes on to the end. */
int cz_teardown(const struct cz_config *cfg, struct cz_lock *lk, const struct cz_group *known,
		const struct cz_state *state, bool ran, struct cz_error *err)
{
	struct cz_state st = *state;
	struct cz_group *loaded = NULL;
	const struct cz_group *g = known;
	struct cz_error e = { 0 };
	bool have_group, bound;
	int r = 0, a;

	/* The session's own reading of the group (not copied: its
	 * descriptors are not ours to close), or a fresh one. */
	if (!known) {
		/* A throwaway instance is read as one: its directory may be
		 * gone already. */
		struct cz_config c = *cfg;
		c.base = st.base[0] ? st.base : NULL;
		loaded = load_group(&c, lk, &r, err);
		if (r < 0)
			return r;
		g = loaded;
	}
	have_group = g != NULL;
	if (!st.tree[0] && g)
		snprintf(st.tree, sizeof st.tree, "%s", g->tree);	/* a malformed state */
	if (have_group && ran && g->hook[CZ_HOOK_STOP] && !started(lk, &st, CZ_HOOK_STOP, 1) &&
	    (r = run_hook(cfg, lk, g, &st, CZ_HOOK_STOP, err)) < 0)
		goto out;
	if ((a = cz_cgroup_kill(st.cgroup, &e)) < 0) {
		r = cz_fail(err, -a, "%s", e.msg);
		if (cz_transient(a))
			goto out;	/* unbind must not run while they live */
		cz_log(cfg, LOG_ERR, "%s", e.msg);
	}
	/* Empty now, so systemd would collect it soon by itself: stopping it
	 * makes it gone when we are done, and kills whatever escaped the leaf. */
	if (st.unit[0] && cz_scope_stop(st.unit, &e) < 0)
		/* An unfinished setup's scope usually failed to start, or was
		 * collected once empty: not worth a word to the user then. */
		cz_log(cfg, st.complete ? LOG_WARNING : LOG_INFO, "%s", e.msg);
	/* Only now, with nothing of the instance left alive: the setup
	 * process of a session that died may have gone on and made the bind
	 * marker (then started bind) until this kill. */
	bound = cz_exists(lk->dirfd, CZ_BIND_MARKER);
	/* The mounts die with the mount namespace, once unpinned. */
	cz_unpin_namespaces(lk, st.nsflags);
	/* shared: the host's copies of the container's mounts hang below our
	 * host-side bind of the tree; detaching it takes them all. */
	if (cz_unshare_tree(&st, &e) < 0)
		cz_log(cfg, LOG_ERR, "%s", e.msg);
	/* unbind undoes what bind did: only if bind started, and only once. */
	if (have_group && bound && g->hook[CZ_HOOK_UNBIND] && !started(lk, &st, CZ_HOOK_UNBIND, 2) &&
	    (a = run_hook(cfg, lk, g, &st, CZ_HOOK_UNBIND, err)) < 0) {
		r = a;
		goto out;
	}
	/* A throwaway instance's directory, once nothing is mounted on it. */
	cz_overlay_forget(cfg, &st);
	/* bind's marker before the state: a crash in between leaves a state
	 * whose unbind is not due (it ran), never an entry without a state
	 * that holds it for the next instance there. */
	unlinkat(lk->dirfd, CZ_BIND_MARKER, 0);
	unlinkat(lk->dirfd, "state", 0);
	unlinkat(lk->dirfd, "ref", 0);
	for (a = 0; a < CZ_HOOK_COUNT; a++) {
		char name[96];
		if (!markers[a])
			continue;
		marker_name(&st, (enum cz_hook)a, name, sizeof name);
		unlinkat(lk->dirfd, name, 0);
	}
out:
	if (loaded) {
		cz_group_close(loaded);
		free(loaded);
	}
	return r;
}

/* Is the state gone (the teardown went to the end, or there was none)?
 * Only then may the run-dir entry go: an entry whose state is left holds
 * a teardown that the next run finishes. */
bool cz_state_gone(int dirfd)
{
	struct stat sb;

	return fstatat(dirfd, "state", &sb, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}
