/* teardown.c — the last session out (or --stop, or the run that finds
 * stale state) ends the instance: stop, kill, unpin, unbind, state.
 * Runs on the host side.  A failing hook is logged and teardown goes on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

/* Record how far the teardown got before each hook: a session killed in
 * the middle leaves state that makes the next run finish the teardown
 * without running a hook twice. */
struct progress {
	const struct cz_config *cfg;
	struct cz_lock *lk;
	struct cz_state *st;
	int phase;
	bool recorded;
};

static int progress(void *data)
{
	struct progress *p = data;
	struct cz_error e = { 0 };
	int r;

	p->st->teardown = p->phase;
	r = cz_state_write(p->lk, p->st, &e);
	if (r < 0 && cz_transient(r)) {
		/* Unrecorded, the hook would run again after a crash: not now;
		 * the next run may well record it. */
		p->st->teardown = p->phase - 1;
		cz_log(p->cfg, LOG_ERR, "%s", e.msg);
		return r;
	}
	if (r < 0)
		cz_log(p->cfg, LOG_ERR, "%s", e.msg);	/* never will: run it */
	p->recorded = r == 0;
	return 0;
}

/* The hook, with the progress recorded at the last moment before it
 * starts (struct cz_hook_env).  A hook that ran and failed is logged and
 * the teardown goes on; one that could not be started (EAGAIN, ENOMEM, its
 * progress not recorded) is undone from the record and, if that was an
 * error of the moment, stops the teardown here: -errno. */
static int run_hook(const struct cz_config *cfg, struct cz_lock *lk, const struct cz_group *g,
		    struct cz_state *st, enum cz_hook h, int phase, struct cz_error *err)
{
	struct progress p = { cfg, lk, st, phase, false };
	struct cz_hook_env he = { .g = g, .pid = st->pid, .cgroup = st->cgroup,
				  .starting = progress, .starting_data = &p };
	char path[CZ_PATH_MAX + 16], pid[24];
	char *argv[] = { path, st->tree, h == CZ_HOOK_STOP ? pid : NULL, NULL };
	struct cz_error e = { 0 };
	int r;

	snprintf(path, sizeof path, "%s/%s", g->confdir, cz_hook_names[h]);
	snprintf(pid, sizeof pid, "%d", (int)st->pid);
	r = cz_hook_run_checked(&he, h, path, argv, &e);
	if (r == 0 || r == -ECANCELED) {
		if (r < 0)
			cz_log(cfg, LOG_ERR, "%s", e.msg);
		return 0;
	}
	if (p.recorded) {
		struct cz_error e2 = { 0 };
		st->teardown = phase - 1;
		if (cz_state_write(lk, st, &e2) < 0)
			cz_log(cfg, LOG_ERR, "%s (the %s hook did not start)", e2.msg, cz_hook_names[h]);
	}
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
	bound = cz_exists(lk->dirfd, CZ_BIND_MARKER);
	if (have_group && ran && st.teardown < 1 && g->hook[CZ_HOOK_STOP] &&
	    (r = run_hook(cfg, lk, g, &st, CZ_HOOK_STOP, 1, err)) < 0)
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
	/* The mounts die with the mount namespace, once unpinned. */
	cz_unpin_namespaces(lk, st.nsflags);
	/* shared: the host's copies of the container's mounts hang below our
	 * host-side bind of the tree; detaching it takes them all. */
	if (cz_unshare_tree(&st, &e) < 0)
		cz_log(cfg, LOG_ERR, "%s", e.msg);
	/* unbind undoes what bind did: only if bind started, and only once. */
	if (have_group && bound && st.teardown < 2 && g->hook[CZ_HOOK_UNBIND] &&
	    (a = run_hook(cfg, lk, g, &st, CZ_HOOK_UNBIND, 2, err)) < 0) {
		r = a;
		goto out;
	}
	/* A throwaway instance's directory, once nothing is mounted on it. */
	cz_overlay_forget(cfg, &st);
	unlinkat(lk->dirfd, "state", 0);
	unlinkat(lk->dirfd, "ref", 0);
	unlinkat(lk->dirfd, CZ_BIND_MARKER, 0);
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
