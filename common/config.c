/* config.c — the group directory TREES/GROUP/.container and its files.
 *
 * Every file is opened relative to a directory descriptor without following
 * symlinks, and checked with the sshd StrictModes rule (root-owned, not
 * writable by group or others) before it is run or read as root. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "internal.h"

const char *const cz_hook_names[CZ_HOOK_COUNT] = {
	[CZ_HOOK_BIND] = "bind",
	[CZ_HOOK_UNBIND] = "unbind",
	[CZ_HOOK_PROFILE] = "profile",
	[CZ_HOOK_STOP] = "stop",
};

static const struct {
	const char *name;
	enum cz_propagation prop;
} propagations[] = {
	{ "slave", CZ_PROP_SLAVE },
	{ "private", CZ_PROP_PRIVATE },
	{ "shared", CZ_PROP_SHARED },
};

static const struct {
	const char *longopt;
	char shortopt;
	int flag;		/* 0: accepted, no effect */
} unshare_opts[] = {
	{ "--mount", 'm', CLONE_NEWNS },
	{ "--uts", 'u', CLONE_NEWUTS },
	{ "--ipc", 'i', CLONE_NEWIPC },
	{ "--net", 'n', CLONE_NEWNET },
	{ "--pid", 'p', CLONE_NEWPID },
	{ "--cgroup", 'C', CLONE_NEWCGROUP },
	/* A pid namespace always gets its own PID 1 (our reaper). */
	{ "--fork", 'f', 0 },
};

const char *cz_propagation_name(enum cz_propagation p)
{
	size_t i;

	for (i = 0; i < sizeof propagations / sizeof propagations[0]; i++)
		if (propagations[i].prop == p)
			return propagations[i].name;
	return "?";
}

/* Next whitespace-separated word of *p into buf; false at the end.  A '#'
 * at the start of a word comments out the rest of the line. */
static bool next_word(const char **p, char *buf, size_t len, bool *toolong)
{
	const char *s = *p;
	size_t n = 0;

	*toolong = false;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s != '#')
			break;
		while (*s && *s != '\n')
			s++;
	}
	if (!*s)
		return false;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
		if (n + 1 < len)
			buf[n++] = *s;
		else
			*toolong = true;
		s++;
	}
	buf[n] = '\0';
	*p = s;
	return true;
}


static int unshare_word(const char *w, int *flags, struct cz_error *err)
{
	size_t i, j;
	char shown[80];

	if (w[0] == '-' && w[1] == '-') {
		for (i = 0; i < sizeof unshare_opts / sizeof unshare_opts[0]; i++)
			if (strcmp(w, unshare_opts[i].longopt) == 0) {
				*flags |= unshare_opts[i].flag;
				return 0;
			}
	} else if (w[0] == '-' && w[1]) {
		/* Bundled short options, as unshare(1) takes them: -fp */
		for (j = 1; w[j]; j++) {
			for (i = 0; i < sizeof unshare_opts / sizeof unshare_opts[0]; i++)
				if (w[j] == unshare_opts[i].shortopt)
					break;
			if (i == sizeof unshare_opts / sizeof unshare_opts[0])
				goto bad;
			*flags |= unshare_opts[i].flag;
		}
		return 0;
	}
bad:
	cz_printable(w, shown, sizeof shown);
	return cz_fail(err, EINVAL, "unsupported option '%s' (supported: --uts --ipc --net --pid --cgroup --fork)", shown);
}

int cz_parse_unshare_options(const char *text, int *nsflags, struct cz_error *err)
{
	char w[64];
	bool toolong;
	int flags = 0, r;

	while (next_word(&text, w, sizeof w, &toolong)) {
		r = unshare_word(w, &flags, err);
		if (r < 0)
			return r;
		if (toolong)
			return cz_fail(err, EINVAL, "unsupported option '%s...'", w);
	}
	*nsflags = flags & ~CLONE_NEWNS;
	return 0;
}

int cz_parse_propagation(const char *text, enum cz_propagation *prop, struct cz_error *err)
{
	const char *all = text;
	char w[32], extra[32], shown[80], line[64];
	bool toolong, toolong2;
	size_t i;

	if (!next_word(&text, w, sizeof w, &toolong)) {
		*prop = CZ_PROP_SLAVE;
		return 0;
	}
	if (!toolong && !next_word(&text, extra, sizeof extra, &toolong2))
		for (i = 0; i < sizeof propagations / sizeof propagations[0]; i++)
			if (strcmp(w, propagations[i].name) == 0) {
				*prop = propagations[i].prop;
				return 0;
			}
	/* Show the whole (first line of the) value. */
	all += strspn(all, " \t\n");
	snprintf(line, sizeof line, "%.*s", (int)strcspn(all, "\n"), all);
	cz_printable(line, shown, sizeof shown);
	return cz_fail(err, EINVAL, "invalid value '%s' (expected slave, private or shared)", shown);
}

/* cgroup-name: one relative cgroup path of valid name components. */
/* A file that holds one word: 1 and the word, 0 if empty, -1 if it is too
 * long (for len or outlen) or followed by another. */
static int only_word(const char *text, char *w, size_t len, size_t outlen)
{
	char extra[8];
	bool toolong, t2;

	if (!next_word(&text, w, len, &toolong))
		return 0;
	if (toolong || next_word(&text, extra, sizeof extra, &t2) || strlen(w) >= outlen)
		return -1;
	return 1;
}

int cz_parse_cgroup_name(const char *text, char *out, size_t outlen, struct cz_error *err)
{
	char w[256], comp[CZ_NAME_MAX + 2], shown[80];
	const char *s;
	int words = only_word(text, w, sizeof w, outlen);

	if (words == 0) {
		snprintf(out, outlen, "containerize");
		return 0;
	}
	if (words < 0)
		goto bad;
	for (s = w; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 0 || n > CZ_NAME_MAX)
			goto bad;
		memcpy(comp, s, n);
		comp[n] = '\0';
		if (!cz_name_valid(comp))
			goto bad;
		s += n;
		if (*s == '/' && !*++s)
			goto bad;
	}
	snprintf(out, outlen, "%s", w);
	return 0;
bad:
	cz_printable(w, shown, sizeof shown);
	return cz_fail(err, EINVAL, "invalid cgroup name '%s'", shown);
}

/* shell: one command word (a path or a name found in PATH inside). */
int cz_parse_shell(const char *text, char *out, size_t outlen, struct cz_error *err)
{
	char w[256], shown[80];
	const char *s;
	int n = only_word(text, w, sizeof w, outlen);

	if (n == 0) {
		out[0] = '\0';
		return 0;
	}
	if (n < 0)
		goto bad;
	for (s = w; *s; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f)
			goto bad;
	snprintf(out, outlen, "%s", w);
	return 0;
bad:
	cz_printable(w, shown, sizeof shown);
	return cz_fail(err, EINVAL, "invalid shell '%s' (one command, no arguments)", shown);
}

/* ephemeral-size: the size of a throwaway instance's tmpfs upper layer,
 * as tmpfs(5) takes it: a number of bytes with an optional k, m, g suffix,
 * or a percentage of RAM. */
int cz_parse_size(const char *text, char *out, size_t outlen, struct cz_error *err)
{
	char w[32], shown[80];
	int n = only_word(text, w, sizeof w, outlen);
	size_t digits;

	if (n == 0) {
		out[0] = '\0';
		return 0;
	}
	digits = strspn(w, "0123456789");
	if (n < 0 || digits == 0 || (w[digits] && (w[digits + 1] || !strchr("kKmMgG%", w[digits]))) ||
	    strspn(w, "0") == digits)
		goto bad;
	snprintf(out, outlen, "%s", w);
	return 0;
bad:
	cz_printable(n < 0 ? text : w, shown, sizeof shown);
	shown[strcspn(shown, "\n")] = '\0';
	return cz_fail(err, EINVAL, "invalid size '%s' (expected a number with an optional k, m, g or %% suffix)",
		       shown);
}

/* ephemeral-dir: the host directory that takes a throwaway instance's
 * upper layer instead of a tmpfs: an absolute path, no "." or ".."
 * component, no control character.  Opened without following symlinks at
 * every setup (overlay.c); checked here only for what it says. */
int cz_parse_dir(const char *text, char *out, size_t outlen, struct cz_error *err)
{
	char w[CZ_PATH_MAX], shown[80];
	const char *s;
	int n = only_word(text, w, sizeof w, outlen);

	if (n == 0) {
		out[0] = '\0';
		return 0;
	}
	if (n < 0 || w[0] != '/')
		goto bad;
	for (s = w; *s; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f)
			goto bad;
	for (s = w; *s;) {
		size_t len;
		s += strspn(s, "/");
		len = strcspn(s, "/");
		if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			goto bad;
		s += len;
	}
	snprintf(out, outlen, "%s", w);
	return 0;
bad:
	cz_printable(n < 0 ? text : w, shown, sizeof shown);
	shown[strcspn(shown, "\n")] = '\0';
	return cz_fail(err, EINVAL, "invalid directory '%s' (expected one absolute path, without . or .. "
		       "components, shorter than %zu bytes)", shown, outlen);
}

/* Check a config entry's owner and mode; strict callers refuse, root
 * callers get a warning in the log. */
int cz_group_trusted(const struct cz_config *cfg, const struct cz_group *g, const char *name,
		     const struct stat *sb, struct cz_error *err)
{
	int r = cz_check_trusted(sb);
	const char *why = r == -EPERM ? "not owned by root" : "writable by group or others";

	if (r == 0)
		return 0;
	if (cfg->strict)
		return cz_fail(err, EPERM, "refusing %s/%s: %s", g->confdir, name, why);
	cz_log(cfg, LOG_WARNING, "warning: %s/%s is %s", g->confdir, name, why);
	return 0;
}

static const char *const conf_files[] = { "unshare-options", "propagation", "cgroup-name", "shell",
					  "ephemeral-size", "ephemeral-dir" };
#define CONF_FILES (sizeof conf_files / sizeof conf_files[0])
#define FSTAB_BIT (1u << (CZ_HOOK_COUNT + CONF_FILES))

/* Which hooks and files .container has: bit h for hook h, bit
 * CZ_HOOK_COUNT + i for conf_files[i], FSTAB_BIT for fstab.  One directory read instead of a
 * failing fstatat for each of the usually absent ones. */
static int note_present(const char *name, void *data)
{
	unsigned *bits = data;
	size_t i;

	for (i = 0; i < CZ_HOOK_COUNT; i++)
		if (strcmp(name, cz_hook_names[i]) == 0)
			*bits |= 1u << i;
	for (i = 0; i < CONF_FILES; i++)
		if (strcmp(name, conf_files[i]) == 0)
			*bits |= 1u << (CZ_HOOK_COUNT + i);
	if (strcmp(name, "fstab") == 0)
		*bits |= FSTAB_BIT;
	return 0;
}

static int read_conf(const struct cz_config *cfg, struct cz_group *g, int confd,
		     const char *name, char *buf, size_t len, struct cz_error *err)
{
	struct stat sb;
	int r;

	if (fstatat(confd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return cz_fail(err, errno, "%s/%s: %m", g->confdir, name);
	}
	if (!S_ISREG(sb.st_mode))
		return cz_fail(err, EINVAL, "%s/%s: not a regular file", g->confdir, name);
	r = cz_group_trusted(cfg, g, name, &sb, err);
	if (r < 0)
		return r;
	r = cz_read_small_file(confd, name, buf, len);
	if (r < 0)
		return cz_fail(err, -r, "%s/%s: %s", g->confdir, name, strerror(-r));
	return 1;
}

/* fstab is only checked here (it may not be used: joiners and teardowns
 * have nothing to mount); the first session parses it. */
static int check_fstab(const struct cz_config *cfg, struct cz_group *g, int confd,
		       struct cz_error *err)
{
	struct stat sb;

	if (fstatat(confd, "fstab", &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cz_fail(err, errno, "%s/fstab: %m", g->confdir);
	if (!S_ISREG(sb.st_mode))
		return cz_fail(err, EINVAL, "%s/fstab: not a regular file", g->confdir);
	g->has_fstab = true;
	return cz_group_trusted(cfg, g, "fstab", &sb, err);
}

int cz_group_load_fstab(const struct cz_config *cfg, struct cz_group *g, struct cz_error *err)
{
	char name[CZ_PATH_MAX + 8];
	struct stat sb;
	int fd, r = 0;

	if (!g->has_fstab || g->fstab)
		return 0;
	snprintf(name, sizeof name, "%s/fstab", g->confdir);
	/* The descriptor is checked (what was checked at load may have been
	 * replaced since) and parsed: no second lookup of the path. */
	fd = cz_openat2(g->groupfd, ".container/fstab", O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
			RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	if (fd < 0)
		return cz_fail(err, errno, "%s: %m", name);
	if (fstat(fd, &sb) < 0)
		r = cz_fail(err, errno, "%s: %m", name);
	else if (!S_ISREG(sb.st_mode))
		r = cz_fail(err, EINVAL, "%s: not a regular file", name);
	else if (cfg->strict)
		r = cz_group_trusted(cfg, g, "fstab", &sb, err);	/* root was warned at load */
	if (r == 0)
		r = cz_fstab_parse(fd, name, &g->fstab, err);
	close(fd);
	return r;
}

static int load_files(const struct cz_config *cfg, struct cz_group *g, int confd,
		      struct cz_error *err)
{
	char buf[4096];
	struct stat sb;
	unsigned present = 0;
	int r, h;

	r = cz_dir_each(confd, note_present, &present);
	if (r < 0)
		return cz_fail(err, -r, "%s: %s", g->confdir, strerror(-r));
	for (h = 0; h < CZ_HOOK_COUNT; h++) {
		if (!(present & (1u << h)))
			continue;
		if (fstatat(confd, cz_hook_names[h], &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return cz_fail(err, errno, "%s/%s: %m", g->confdir, cz_hook_names[h]);
		}
		if (!S_ISREG(sb.st_mode))
			return cz_fail(err, EINVAL, "%s/%s: not a regular file", g->confdir, cz_hook_names[h]);
		r = cz_group_trusted(cfg, g, cz_hook_names[h], &sb, err);
		if (r < 0)
			return r;
		if (!(sb.st_mode & S_IXUSR))
			return cz_fail(err, EACCES, "%s/%s: not executable", g->confdir, cz_hook_names[h]);
		g->hook[h] = true;
	}

	if (present & FSTAB_BIT) {
		r = check_fstab(cfg, g, confd, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < CONF_FILES; i++) {
		buf[0] = '\0';
		if (!(present & (1u << (CZ_HOOK_COUNT + i))))
			r = 0;
		else
			r = read_conf(cfg, g, confd, conf_files[i], buf, sizeof buf, err);
		if (r < 0)
			return r;
		switch (i) {
		case 0: r = cz_parse_unshare_options(buf, &g->nsflags, err); break;
		case 1: r = cz_parse_propagation(buf, &g->prop, err); break;
		case 2: r = cz_parse_cgroup_name(buf, g->cgroup_name, sizeof g->cgroup_name, err); break;
		case 3: r = cz_parse_shell(buf, g->shell, sizeof g->shell, err); break;
		case 4: r = cz_parse_size(buf, g->upper_size, sizeof g->upper_size, err); break;
		default: r = cz_parse_dir(buf, g->upper_dir, sizeof g->upper_dir, err); break;
		}
		if (r < 0) {
			char msg[sizeof err->msg];
			snprintf(msg, sizeof msg, "%s", err->msg);
			return cz_fail(err, -r, "%s/%s: %s", g->confdir, conf_files[i], msg);
		}
	}
	return 0;
}

int cz_group_load(const struct cz_config *cfg, const char *group,
		  const char *container, struct cz_group *g, struct cz_error *err)
{
	struct stat sb;
	int confd = -1, r;
	bool conf_only;

	memset(g, 0, sizeof *g);
	g->groupfd = g->treefd = g->upperfd = -1;
	/* No container: the configuration only (--info), no tree. */
	conf_only = !container;
	if (conf_only)
		container = "";
	if (!cz_name_valid(group) || (!conf_only && !cz_name_valid(container)) ||
	    (cfg->base && !cz_name_valid(cfg->base))) {
		char shown[CZ_NAME_MAX * 2 + 16];
		const char *bad = !cz_name_valid(group) ? group : !conf_only && !cz_name_valid(container) ? container
												   : cfg->base;
		cz_printable(bad, shown, sizeof shown);
		return cz_fail(err, EINVAL, "invalid %s name '%s' (allowed: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most %d bytes)",
			       bad == group ? "group" : bad == container ? "container" : "base", shown, CZ_NAME_MAX);
	}
	if (cfg->base && strcmp(cfg->base, container) == 0)
		return cz_fail(err, EINVAL, "a throwaway instance needs a name other than its base's ('%s')", container);
	snprintf(g->group, sizeof g->group, "%s", group);
	snprintf(g->container, sizeof g->container, "%s", container);
	if ((size_t)snprintf(g->tree, sizeof g->tree, "%s/%s/%s", cfg->trees, group, container) >= sizeof g->tree ||
	    (size_t)snprintf(g->confdir, sizeof g->confdir, "%s/%s/.container", cfg->trees, group) >= sizeof g->confdir)
		return cz_fail(err, ENAMETOOLONG, "trees path too long (TREES/GROUP/CONTAINER must be under %d bytes)",
			       CZ_PATH_MAX);

	/* The trees root and the group directory are trusted paths: under a
	 * strict caller, someone else able to write them could swap
	 * .container or the tree for their own. */
	const char *gdir = g->groupdir;
	snprintf(g->groupdir, sizeof g->groupdir, "%s/%s", cfg->trees, group);
	g->groupfd = open(gdir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (g->groupfd < 0)
		return cz_fail(err, errno, "no group '%s': %s: %m", group, gdir);
	if (cfg->strict) {
		struct stat rsb;
		if (stat(cfg->trees, &rsb) < 0 || cz_check_trusted(&rsb) < 0)
			return cz_fail(err, EPERM, "refusing %s: not owned by root or writable by others", cfg->trees);
		if (fstat(g->groupfd, &rsb) < 0 || cz_check_trusted(&rsb) < 0)
			return cz_fail(err, EPERM, "refusing %s: not owned by root or writable by others", gdir);
	}
	confd = openat(g->groupfd, ".container", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (confd < 0 && errno == ENOENT)
		return cz_fail(err, ENOENT, "no group '%s': %s has no .container directory (create %s, "
			       "owned by root, mode 755; every file in it is optional)", group, gdir, g->confdir);
	if (confd < 0)
		return cz_fail(err, errno, "no group '%s': %s: %m", group, g->confdir);
	if (fstat(confd, &sb) < 0) {
		r = cz_fail(err, errno, "%s: %m", g->confdir);
		goto out;
	}
	if (cz_check_trusted(&sb) < 0) {
		const char *why = cz_check_trusted(&sb) == -EPERM ? "not owned by root" : "writable by group or others";
		if (cfg->strict) {
			r = cz_fail(err, EPERM, "refusing %s: %s", g->confdir, why);
			goto out;
		}
		cz_log(cfg, LOG_WARNING, "warning: %s is %s", g->confdir, why);
	}
	if (conf_only)
		goto files;
	if (cfg->base) {
		/* A throwaway instance: its own directory is made (or found
		 * empty) at setup; the base tree must be there. */
		snprintf(g->base, sizeof g->base, "%s", cfg->base);
		g->treefd = openat(g->groupfd, cfg->base, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (g->treefd < 0) {
			r = cz_fail(err, errno, "no base tree '%s' in group '%s': %s/%s: %s", cfg->base, group,
				    g->groupdir, cfg->base,
				    errno == ENOTDIR || errno == ELOOP ? "not a directory (symlinks are refused)" : strerror(errno));
			goto out;
		}
	} else {
		g->treefd = openat(g->groupfd, container, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (g->treefd < 0) {
		r = cz_fail(err, errno, "no container '%s' in group '%s': %s: %s", container, group,
			    g->tree, errno == ENOTDIR || errno == ELOOP ? "not a directory (symlinks are refused)" : strerror(errno));
		goto out;
	}
files:
	r = load_files(cfg, g, confd, err);
out:
	close(confd);
	return r;
}

void cz_group_close(struct cz_group *g)
{
	if (g->groupfd >= 0)
		close(g->groupfd);
	if (g->treefd >= 0)
		close(g->treefd);
	if (g->upperfd >= 0)
		close(g->upperfd);
	g->groupfd = g->treefd = g->upperfd = -1;
	cz_fstab_free(g->fstab);
	g->fstab = NULL;
}

/* Is name a hook or file that containerize runs or reads (--info)? */
bool cz_conf_name_known(const char *name)
{
	unsigned bits = 0;

	note_present(name, &bits);
	return bits != 0;
}
