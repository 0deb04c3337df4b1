/* info.c — `containerize --list --all` (-l) and `containerize --info GROUP
 * [CONTAINER]`: what exists under the trees root, and how a group is
 * configured.  Root sees everything; a caller through the setuid bit sees
 * only the containers that the map file grants them (and their groups). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"

static const char *const live_names[] = {
	[CZ_DOWN] = "down", [CZ_LIVE] = "live", [CZ_STALE] = "stale", [CZ_STARTING] = "starting",
};

/* Who may see what: NULL for root, else the caller's identity. */
struct viewer {
	struct cz_frontend *fe;
	const struct cz_identity *id;
};

/* May the viewer see this container?  A map file that cannot be used
 * grants nothing (authorize() says why when they try to enter). */
static bool granted(const struct viewer *v, const char *group, const char *container)
{
	struct cz_who who;
	struct cz_rule rule;
	struct cz_error err = { 0 };

	if (!v->id)
		return true;
	who = (struct cz_who){ v->id->user, v->id->groups, v->id->ngroups };
	return cz_map_allows(v->fe->conf, &who, group, container, &rule, &err) > 0;
}

/* ---- --list --all */

struct hooks_files {
	char hooks[256], files[256];
};

static void add_word(char *buf, size_t len, const char *w)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? "," : "", w);
}

static int collect_entry(const struct cz_conf_entry *e, void *data)
{
	struct hooks_files *hf = data;

	if (e->hook)
		add_word(hf->hooks, sizeof hf->hooks, e->name);
	else if (e->known)
		add_word(hf->files, sizeof hf->files, e->name);
	return 0;
}

struct all_walk {
	struct viewer v;
	char group_line[768];	/* printed before the group's first visible container */
};

static int list_all_entry(const char *group, const char *container, void *data)
{
	struct all_walk *w = data;
	struct cz_error err = { 0 };
	struct hooks_files hf = { "", "" };
	int sessions;
	enum cz_live live;

	if (!container) {
		if (cz_group_entries(&w->v.fe->cfg, group, collect_entry, &hf, &err) < 0)
			snprintf(w->group_line, sizeof w->group_line, "%-16s %-16s %-8s %8s  %s\n", group, "-",
				 "invalid", "-", "no .container directory");
		else
			snprintf(w->group_line, sizeof w->group_line, "%-16s %-16s %-8s %8s  hooks=%s files=%s\n",
				 group, "-", "group", "-", hf.hooks[0] ? hf.hooks : "-", hf.files[0] ? hf.files : "-");
		if (!w->v.id) {
			fputs(w->group_line, stdout);
			w->group_line[0] = '\0';
		}
		return 0;
	}
	if (!granted(&w->v, group, container))
		return 0;
	if (w->group_line[0]) {
		fputs(w->group_line, stdout);
		w->group_line[0] = '\0';
	}
	live = cz_container_state(&w->v.fe->cfg, group, container, &sessions);
	printf("%-16s %-16s %-8s %8d\n", group, container, live_names[live], sessions);
	return 0;
}

int cz_list_all(struct cz_frontend *fe, const struct cz_identity *id)
{
	struct all_walk w = { .v = { fe, id } };
	struct cz_error err = { 0 };

	printf("%-16s %-16s %-8s %8s  %s\n", "GROUP", "CONTAINER", "STATE", "SESSIONS", "HOOKS AND FILES");
	if (cz_trees_each(&fe->cfg, NULL, list_all_entry, &w, &err) < 0) {
		cz_errx("%s", err.msg);
		return CZ_EXIT_FAIL;
	}
	return fflush(stdout) == 0 ? 0 : CZ_EXIT_FAIL;
}

/* ---- --info GROUP [CONTAINER] */

static void owner(char *buf, size_t len, unsigned uid, unsigned gid)
{
	struct passwd *pw = getpwuid(uid);
	struct group *gr = getgrgid(gid);
	char u[32], g[32];

	snprintf(u, sizeof u, "%u", uid);
	snprintf(g, sizeof g, "%u", gid);
	snprintf(buf, len, "%s:%s", pw ? pw->pw_name : u, gr ? gr->gr_name : g);
}

static int print_conf_entry(const struct cz_conf_entry *e, void *data)
{
	char own[80], shown[80];
	const char *kind = !e->known ? "other" : e->hook ? "hook" : "file";

	(void)data;
	owner(own, sizeof own, e->uid, e->gid);
	cz_printable(e->name, shown, sizeof shown);
	printf("  %-16s %-7s %-16s %04o  ", shown, kind, own, e->mode);
	if (!e->known)
		printf("not used by containerize\n");
	else if (e->refused)
		printf("refused: %s\n", e->refused);
	else if (e->strict)
		printf("refused under setuid: %s\n", e->strict);
	else
		printf("ok\n");
	return 0;
}

struct info_walk {
	struct viewer v;
	const char *only;	/* CONTAINER, or NULL */
	int shown;
};

static int print_container(const char *group, const char *container, void *data)
{
	struct info_walk *w = data;
	int sessions;
	enum cz_live live;

	if (!container || (w->only && strcmp(w->only, container) != 0) || !granted(&w->v, group, container))
		return 0;
	live = cz_container_state(&w->v.fe->cfg, group, container, &sessions);
	if (live == CZ_LIVE)
		printf("  %-16s %s, %d session%s\n", container, live_names[live], sessions, sessions == 1 ? "" : "s");
	else
		printf("  %-16s %s\n", container, live_names[live]);
	w->shown++;
	return 0;
}

static void print_settings(const struct cz_frontend *fe, const char *group, const struct cz_group_settings *gs)
{
	const char *why = gs->setuid_refusal;

	if (strncmp(why, "refusing ", 9) == 0)
		why += 9;
	printf("setuid callers:  %s%s\n", why[0] ? "refused: " : "accepted", why);
	printf("propagation:     %s\n", gs->propagation);
	printf("unshare-options: %s\n", gs->unshare_options[0] ? gs->unshare_options : "none");
	if (gs->shell[0])
		printf("shell:           %s (from %s/%s/.container/shell)\n", gs->shell, fe->cfg.trees, group);
	else
		printf("shell:           bash, else /bin/sh (the default: no .container/shell)\n");
	printf("cgroup-name:     %s\n", gs->cgroup_name);
}

static int count_granted(const char *group, const char *container, void *data)
{
	struct info_walk *w = data;

	if (container && granted(&w->v, group, container))
		w->shown++;
	return 0;
}

/* The tree of GROUP/CONTAINER: a directory, not a symlink (as the loader
 * wants it). */
static bool tree_exists(const struct cz_frontend *fe, const char *group, const char *container)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof path, "%s/%s/%s", fe->cfg.trees, group, container);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int cz_info(struct cz_frontend *fe, const struct cz_identity *id, const char *group, const char *container)
{
	struct info_walk w = { .v = { fe, id }, .only = container };
	struct cz_group_settings gs;
	struct cz_error err = { 0 };
	int r;

	if (!cz_name_valid(group) || (container && !cz_name_valid(container))) {
		cz_errx("invalid %s name (allowed: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most %d bytes)",
			cz_name_valid(group) ? "container" : "group", CZ_NAME_MAX);
		return CZ_EXIT_FAIL;
	}
	/* A caller through the setuid bit learns nothing of a group (not
	 * even whether it exists) unless a rule grants them one of its
	 * containers. */
	if (id) {
		if (container ? !granted(&w.v, group, container) :
		    cz_trees_each(&fe->cfg, group, count_granted, &w, &err) < 0 || w.shown == 0) {
			if (container)
				cz_errx("permission denied: no rule in %s gives %s the container %s/%s", fe->conf,
					id->user, group, container);
			else
				cz_errx("permission denied: no rule in %s gives %s a container of the group %s",
					fe->conf, id->user, group);
			return CZ_EXIT_FAIL;
		}
		w.shown = 0;
	}
	r = cz_group_settings(&fe->cfg, group, &gs, &err);
	if (r < 0 && (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)) {
		cz_errx("%s", err.msg);
		return CZ_EXIT_FAIL;
	}
	if (container && !tree_exists(fe, group, container)) {
		cz_errx("no container '%s' in group '%s': %s/%s/%s is not a directory (symlinks are refused)",
			container, group, fe->cfg.trees, group, container);
		return CZ_EXIT_FAIL;
	}
	printf("group:           %s\n", group);
	printf("directory:       %s/%s/.container\n", fe->cfg.trees, group);
	if (r < 0)
		printf("unusable:        %s\n", err.msg);
	else
		print_settings(fe, group, &gs);
	printf("entries:\n");
	err = (struct cz_error){ 0 };
	if (cz_group_entries(&fe->cfg, group, print_conf_entry, NULL, &err) < 0)
		printf("  (%s)\n", err.msg);
	printf("containers:\n");
	if (cz_trees_each(&fe->cfg, group, print_container, &w, &err) < 0)
		printf("  (%s)\n", err.msg);
	else if (w.shown == 0)
		printf("  (none)\n");
	return fflush(stdout) == 0 ? 0 : CZ_EXIT_FAIL;
}
