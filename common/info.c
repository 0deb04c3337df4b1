/* info.c — what `--list --all` and `--info` show: the groups and containers
 * under the trees root, the entries of a group's .container with the
 * verdict the loader would give each, and the group's effective settings.
 * Read only: nothing is locked, run or written, and no symlink under the
 * trees root is followed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct names {
	char **v;
	size_t n, cap;
	int dirfd;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_any_name(const char *name, void *data)
{
	struct names *ns = data;
	char **v, *copy;

	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 16;
		v = realloc(ns->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		ns->v = v;
		ns->cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	ns->v[ns->n++] = copy;
	return 0;
}

/* Directories (not symlinks) with valid names; .container never is one. */
static int add_dir_name(const char *name, void *data)
{
	struct names *ns = data;
	struct stat sb;

	if (!cz_name_valid(name) || fstatat(ns->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(sb.st_mode))
		return 0;
	return add_any_name(name, data);
}

static void free_names(struct names *ns)
{
	while (ns->n)
		free(ns->v[--ns->n]);
	free(ns->v);
	ns->v = NULL;
}

/* The sorted directory names under dirfd (which this reads through). */
static int sorted_dirs(int dirfd, struct names *ns)
{
	int r;

	memset(ns, 0, sizeof *ns);
	ns->dirfd = dirfd;
	r = cz_dir_each(dirfd, add_dir_name, ns);
	if (r < 0) {
		free_names(ns);
		return r;
	}
	if (ns->n)
		qsort(ns->v, ns->n, sizeof *ns->v, cmp_names);
	return 0;
}

int cz_trees_each(const struct cz_config *cfg, const char *only_group,
		  int (*fn)(const char *group, const char *container, void *data), void *data,
		  struct cz_error *err)
{
	struct names groups, trees;
	int rfd, gfd, r = 0;
	size_t i, j;

	rfd = open(cfg->trees, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return cz_fail(err, errno, "trees root %s: %m", cfg->trees);
	r = sorted_dirs(rfd, &groups);
	if (r < 0) {
		close(rfd);
		return cz_fail(err, -r, "trees root %s: %s", cfg->trees, strerror(-r));
	}
	for (i = 0; r == 0 && i < groups.n; i++) {
		if (only_group && strcmp(only_group, groups.v[i]) != 0)
			continue;
		gfd = openat(rfd, groups.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (gfd < 0)
			continue;	/* gone or swapped meanwhile */
		r = sorted_dirs(gfd, &trees);
		close(gfd);
		if (r < 0) {
			r = cz_fail(err, -r, "%s/%s: %s", cfg->trees, groups.v[i], strerror(-r));
			break;
		}
		r = fn(groups.v[i], NULL, data);
		for (j = 0; r == 0 && j < trees.n; j++)
			r = fn(groups.v[i], trees.v[j], data);
		free_names(&trees);
	}
	free_names(&groups);
	close(rfd);
	return r;
}

struct entries_walk {
	int confd;
	int (*fn)(const struct cz_conf_entry *e, void *data);
	void *data;
	struct names all;
};

/* What the loader (config.c) says of this entry: for everyone, then for
 * a caller through the setuid bit (StrictModes). */
static void judge(struct cz_conf_entry *e, const struct stat *sb)
{
	int t = cz_check_trusted(sb);

	e->refused = NULL;
	e->strict = NULL;
	if (!e->known)
		return;		/* never read: no rule applies */
	if (!S_ISREG(sb->st_mode))
		e->refused = S_ISLNK(sb->st_mode) ? "a symlink (never followed)" : "not a regular file";
	else if (e->hook && !(sb->st_mode & S_IXUSR))
		e->refused = "not executable";
	if (t == -EPERM)
		e->strict = "not owned by root";
	else if (t < 0)
		e->strict = "writable by group or others";
}

static void describe(struct cz_conf_entry *e, const char *name, const struct stat *sb)
{
	int h;

	memset(e, 0, sizeof *e);
	e->name = name;
	e->known = cz_conf_name_known(name);
	for (h = 0; h < CZ_HOOK_COUNT; h++)
		if (strcmp(name, cz_hook_names[h]) == 0)
			e->hook = true;
	e->type = S_ISREG(sb->st_mode) ? 'f' : S_ISDIR(sb->st_mode) ? 'd' : S_ISLNK(sb->st_mode) ? 'l' : '?';
	e->mode = sb->st_mode & 07777;
	e->uid = sb->st_uid;
	e->gid = sb->st_gid;
	judge(e, sb);
}

int cz_group_entries(const struct cz_config *cfg, const char *group,
		     int (*fn)(const struct cz_conf_entry *e, void *data), void *data,
		     struct cz_error *err)
{
	struct cz_conf_entry e;
	struct names ns = { 0 };
	char dir[CZ_PATH_MAX];
	struct stat sb;
	int confd, r;
	size_t i;

	if (!cz_name_valid(group))
		return cz_fail(err, EINVAL, "invalid group name");
	if ((size_t)snprintf(dir, sizeof dir, "%s/%s", cfg->trees, group) >= sizeof dir)
		return cz_fail(err, ENAMETOOLONG, "trees path too long");
	/* The group directory itself, never through a symlink. */
	r = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (r < 0)
		return cz_fail(err, errno, "no group '%s': %s: %m", group, dir);
	confd = openat(r, ".container", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	close(r);
	if (confd < 0)
		return cz_fail(err, errno, "%s/.container: %m", dir);
	r = cz_dir_each(confd, add_any_name, &ns);
	if (r == 0 && ns.n)
		qsort(ns.v, ns.n, sizeof *ns.v, cmp_names);
	for (i = 0; r == 0 && i < ns.n; i++) {
		if (fstatat(confd, ns.v[i], &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* removed meanwhile */
		describe(&e, ns.v[i], &sb);
		r = fn(&e, data);
	}
	if (r < 0 && !err->code)
		r = cz_fail(err, -r, "%s/.container: %s", dir, strerror(-r));
	free_names(&ns);
	close(confd);
	return r;
}

static void unshare_names(int nsflags, char *out, size_t len)
{
	size_t o = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < CZ_NS_COUNT; i++)
		if (nsflags & cz_ns_kinds[i].flag && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s--%s", o ? " " : "",
					      strcmp(cz_ns_kinds[i].name, "mnt") ? cz_ns_kinds[i].name : "mount");
}

int cz_group_settings(const struct cz_config *cfg, const char *group,
		      struct cz_group_settings *out, struct cz_error *err)
{
	struct cz_config quiet = *cfg;
	struct cz_error e = { 0 };
	struct cz_group g;
	int r;

	memset(out, 0, sizeof *out);
	/* What a setuid caller would meet: the strict rule, first refusal. */
	quiet.log = NULL;
	quiet.strict = true;
	if (cz_group_load(&quiet, group, NULL, &g, &e) < 0)
		snprintf(out->setuid_refusal, sizeof out->setuid_refusal, "%s", e.msg);
	cz_group_close(&g);
	/* What root gets: the values in effect. */
	quiet.strict = false;
	r = cz_group_load(&quiet, group, NULL, &g, err);
	if (r == 0) {
		snprintf(out->propagation, sizeof out->propagation, "%s", cz_propagation_name(g.prop));
		unshare_names(g.nsflags, out->unshare_options, sizeof out->unshare_options);
		snprintf(out->shell, sizeof out->shell, "%s", g.shell);
		snprintf(out->cgroup_name, sizeof out->cgroup_name, "%s", g.cgroup_name);
	}
	cz_group_close(&g);
	return r;
}
