/* teardown.c — the last session out (or --stop, or the run that finds
 * stale state) ends the instance: stop, kill, unpin, unbind, state.
 * Runs on the host side.  A failing hook is logged and teardown goes on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/mount.h>
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
};

static void progress(void *data)
{
	struct progress *p = data;
	struct cz_error e = { 0 };

	p->st->teardown = p->phase;
	if (cz_state_write(p->lk, p->st, &e) < 0)
		cz_log(p->cfg, LOG_ERR, "%s", e.msg);
}

/* The hook, with the progress recorded at the last moment before it
 * starts (struct cz_hook_env). */
static void run_hook(const struct cz_config *cfg, struct cz_lock *lk, const struct cz_group *g,
		     struct cz_state *st, enum cz_hook h, int phase)
{
	struct progress p = { cfg, lk, st, phase };
	struct cz_hook_env he = { .g = g, .pid = st->pid, .cgroup = st->cgroup,
				  .starting = progress, .starting_data = &p };
	char path[CZ_PATH_MAX + 16], pid[24];
	char *argv[] = { path, st->tree, h == CZ_HOOK_STOP ? pid : NULL, NULL };
	struct cz_error e = { 0 };

	snprintf(path, sizeof path, "%s/%s", g->confdir, cz_hook_names[h]);
	snprintf(pid, sizeof pid, "%d", (int)st->pid);
	if (cz_hook_run_checked(&he, h, path, argv, &e) < 0)
		cz_log(cfg, LOG_ERR, "%s", e.msg);
}

int cz_teardown(const struct cz_config *cfg, struct cz_lock *lk, const struct cz_group *known,
		const struct cz_state *state, bool ran, struct cz_error *err)
{
	struct cz_state st = *state;
	struct cz_group *loaded = NULL;
	const struct cz_group *g = known;
	struct cz_error e = { 0 };
	bool have_group, bound;
	int r = 0;

	/* The session's own reading of the group (not copied: its
	 * descriptors are not ours to close), or a fresh one (on the heap:
	 * 4 KB more stack, a page fault, for every teardown, for a rare
	 * case). */
	if (!known) {
		loaded = malloc(sizeof *loaded);
		if (loaded && cz_group_load(cfg, lk->group, lk->container, loaded, &e) < 0) {
			cz_log(cfg, LOG_WARNING, "teardown without hooks: %s", e.msg);
			cz_group_close(loaded);
			free(loaded);
			loaded = NULL;
		} else if (!loaded) {
			cz_log(cfg, LOG_WARNING, "teardown without hooks: out of memory");
		}
		g = loaded;
	}
	have_group = g != NULL;
	bound = cz_exists(lk->dirfd, CZ_BIND_MARKER);
	if (have_group && ran && st.teardown < 1 && g->hook[CZ_HOOK_STOP])
		run_hook(cfg, lk, g, &st, CZ_HOOK_STOP, 1);
	if (cz_cgroup_kill(st.cgroup, &e) < 0) {
		cz_log(cfg, LOG_ERR, "%s", e.msg);
		r = cz_fail(err, -e.code, "%s", e.msg);
	}
	/* Empty now, so systemd would collect it soon by itself: stopping it
	 * makes it gone when we are done, and kills whatever escaped the leaf. */
	if (st.unit[0] && cz_scope_stop(st.unit, &e) < 0)
		cz_log(cfg, LOG_WARNING, "%s", e.msg);
	/* The mounts die with the mount namespace, once unpinned. */
	cz_unpin_namespaces(lk, st.nsflags);
	/* shared: the host's copies of the container's mounts hang below our
	 * host-side bind of the tree; detaching it takes them all. */
	if (st.prop == CZ_PROP_SHARED && umount2(st.tree, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL)
		cz_log(cfg, LOG_ERR, "unmounting %s: %m", st.tree);
	/* unbind undoes what bind did: only if bind started, and only once. */
	if (have_group && bound && st.teardown < 2 && g->hook[CZ_HOOK_UNBIND])
		run_hook(cfg, lk, g, &st, CZ_HOOK_UNBIND, 2);
	unlinkat(lk->dirfd, "state", 0);
	unlinkat(lk->dirfd, "ref", 0);
	unlinkat(lk->dirfd, CZ_BIND_MARKER, 0);
	if (loaded) {
		cz_group_close(loaded);
		free(loaded);
	}
	return r;
}
