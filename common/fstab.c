/* fstab.c — the group's fstab: fstab(5) lines mounted at setup.
 *
 * Two halves.  The host side reads .container/fstab with libmount's fstab
 * parser, checks every option and keeps the entries in one allocation
 * (struct cz_fstab) before anything of the setup exists: a bad line costs
 * no namespace, no cgroup and no hook.  The setup process then mounts them
 * in the new mount namespace, in file order, with the new mount API only:
 * every target is resolved inside the tree (openat2 RESOLVE_IN_ROOT), so a
 * symlink or `..` in the tree can never make it mount on a host path, and
 * the child needs no libmount. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "libmount-api.h"

/* The largest fstab read: far beyond any real one, small enough to hold. */
#define FSTAB_MAX (64 * 1024)

/* ---------------------------------------------------------------- options */

enum opt_kind {
	OPT_SET,	/* a mount attribute set */
	OPT_CLEAR,	/* ... cleared (over the source's, for a bind) */
	OPT_ATIME,	/* one of the atime modes (a field, not a bit) */
	OPT_BIND,
	OPT_RBIND,
	OPT_SB,		/* a superblock flag, for a new file system only */
	OPT_IGNORED,	/* mount(8)'s defaults: nothing to do */
	OPT_MKDIR,	/* x-mount.mkdir[=MODE] */
};

/* mount(8)'s options that containerize does; anything else libmount
 * classes as a VFS or userspace option is refused by name (noauto,
 * nofail, user, _netdev, loop=, remount, move, the propagation flags...):
 * silently ignoring them would hide a mistake. */
static const struct {
	const char *name;
	enum opt_kind kind;
	unsigned attr;		/* MOUNT_ATTR_* */
} known_opts[] = {
	{ "ro", OPT_SET, MOUNT_ATTR_RDONLY },
	{ "rw", OPT_CLEAR, MOUNT_ATTR_RDONLY },
	{ "nosuid", OPT_SET, MOUNT_ATTR_NOSUID },
	{ "suid", OPT_CLEAR, MOUNT_ATTR_NOSUID },
	{ "nodev", OPT_SET, MOUNT_ATTR_NODEV },
	{ "dev", OPT_CLEAR, MOUNT_ATTR_NODEV },
	{ "noexec", OPT_SET, MOUNT_ATTR_NOEXEC },
	{ "exec", OPT_CLEAR, MOUNT_ATTR_NOEXEC },
	{ "nodiratime", OPT_SET, MOUNT_ATTR_NODIRATIME },
	{ "diratime", OPT_CLEAR, MOUNT_ATTR_NODIRATIME },
	{ "nosymfollow", OPT_SET, MOUNT_ATTR_NOSYMFOLLOW },
	{ "symfollow", OPT_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
	{ "relatime", OPT_ATIME, MOUNT_ATTR_RELATIME },
	/* The kernel's default when neither noatime nor strictatime is asked. */
	{ "atime", OPT_ATIME, MOUNT_ATTR_RELATIME },
	{ "noatime", OPT_ATIME, MOUNT_ATTR_NOATIME },
	{ "strictatime", OPT_ATIME, MOUNT_ATTR_STRICTATIME },
	{ "bind", OPT_BIND, 0 },
	{ "rbind", OPT_RBIND, 0 },
	{ "sync", OPT_SB, 0 },
	{ "dirsync", OPT_SB, 0 },
	{ "lazytime", OPT_SB, 0 },
	{ "async", OPT_IGNORED, 0 },
	{ "auto", OPT_IGNORED, 0 },
	{ "nouser", OPT_IGNORED, 0 },
	{ "defaults", OPT_IGNORED, 0 },
	{ "x-mount.mkdir", OPT_MKDIR, 0 },
	{ "X-mount.mkdir", OPT_MKDIR, 0 },
};

/* Parse state: the table being built and the first error. */
struct parse {
	const struct cz_libmount *lm;
	const char *name;		/* the file, for messages */
	struct cz_error *err;
	const int *lines;		/* line number of each entry */
	size_t nlines;
};

/* Called by libmount for a line it cannot parse: by default it skips the
 * line; a negative return stops the parse there.  (When the bad line is
 * the last, libmount still returns success: the caller counts the
 * entries, and the first missing one is the bad line.) */
static int parse_error(struct libmnt_table *tb, const char *filename, int line)
{
	(void)tb;
	(void)filename;
	(void)line;
	return -EINVAL;
}

/* The line number of each entry.  libmount keeps none: its reader skips
 * lines that are empty or start with '#' after spaces and tabs, and every
 * other line is one entry (or a malformed line), in order.  Also refuses what it would let pass: a NUL
 * byte (the rest of its line would be dropped) and fields past the sixth
 * (ignored by it). */
static int scan_lines(const char *text, size_t len, int **out, size_t *n, struct parse *p)
{
	size_t i, count = 0, max = 1;
	int line = 0, *lines;

	if (memchr(text, '\0', len))
		return cz_fail(p->err, EINVAL, "%s: not a text file (NUL byte)", p->name);
	for (i = 0; i < len; i++)
		max += text[i] == '\n';
	lines = malloc(max * sizeof *lines);
	if (!lines)
		return cz_fail(p->err, ENOMEM, "%s: out of memory", p->name);
	for (i = 0; i < len;) {
		size_t next = i + strcspn(text + i, "\n"), end = next, j = i + strspn(text + i, " \t");
		int fields = 0;

		line++;
		if (end > i && text[end - 1] == '\r')
			end--;		/* as libmount: one CR before the LF */
		if (j < end && text[j] != '#') {
			lines[count++] = line;
			for (;;) {	/* fields: separated by isspace() */
				j += strspn(text + j, " \t\v\f\r");
				if (j >= end)
					break;
				fields++;
				j += strcspn(text + j, " \t\n\v\f\r");
			}
		}
		if (fields > 6) {
			free(lines);
			return cz_fail(p->err, EINVAL, "%s:%d: more than 6 fields", p->name, line);
		}
		i = next + 1;
	}
	*out = lines;
	*n = count;
	return 0;
}

static int find_opt(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof known_opts / sizeof known_opts[0]; i++)
		if (strlen(known_opts[i].name) == len && memcmp(known_opts[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Appends "name" or "name=value" and its NUL to the entry's option list. */
static void add_fsopt(char **pool, const char *name, size_t namesz, const char *value, size_t valsz)
{
	memcpy(*pool, name, namesz);
	*pool += namesz;
	if (value) {
		*(*pool)++ = '=';
		memcpy(*pool, value, valsz);
		*pool += valsz;
	}
	*(*pool)++ = '\0';
}

/* The VFS and userspace options of one entry (as libmount split them). */
static int vfs_options(const char *optstr, struct cz_fstab_entry *e, char **pool, bool *sb_ro,
		       struct parse *p, int line)
{
	char *s = cz_unconst(optstr), *name, *value, shown[80], word[64];
	size_t namesz, valsz;
	int i, r;

	while (s && (r = p->lm->mnt_optstr_next_option(&s, &name, &namesz, &value, &valsz)) == 0) {
		snprintf(word, sizeof word, "%.*s", (int)namesz, name);
		i = find_opt(name, namesz);
		if (i < 0 && (strncasecmp(word, "x-", 2) == 0 || strcmp(word, "comment") == 0))
			continue;	/* other tools' notes, ignored as by mount(8) */
		cz_printable(word, shown, sizeof shown);
		if (i < 0)
			return cz_fail(p->err, EINVAL, "%s:%d: unsupported option '%s'", p->name, line, shown);
		if (value && known_opts[i].kind != OPT_MKDIR)
			return cz_fail(p->err, EINVAL, "%s:%d: option '%s' takes no value", p->name, line, shown);
		switch (known_opts[i].kind) {
		case OPT_SET:
			e->attr_set |= known_opts[i].attr;
			e->attr_clr &= ~known_opts[i].attr;
			if (known_opts[i].attr == MOUNT_ATTR_RDONLY)
				*sb_ro = true;
			break;
		case OPT_CLEAR:
			e->attr_clr |= known_opts[i].attr;
			e->attr_set &= ~known_opts[i].attr;
			if (known_opts[i].attr == MOUNT_ATTR_RDONLY)
				*sb_ro = false;
			break;
		case OPT_ATIME:
			e->attr_set = (e->attr_set & ~MOUNT_ATTR__ATIME) | known_opts[i].attr;
			e->attr_clr |= MOUNT_ATTR__ATIME;
			break;
		case OPT_BIND:
			if (e->kind != CZ_FSTAB_RBIND)
				e->kind = CZ_FSTAB_BIND;
			break;
		case OPT_RBIND:
			e->kind = CZ_FSTAB_RBIND;
			break;
		case OPT_SB:
			add_fsopt(pool, name, namesz, NULL, 0);
			e->nsb++;
			break;
		case OPT_MKDIR: {
			char mode[16], *end;
			unsigned long m = 0755;
			if (value) {
				snprintf(mode, sizeof mode, "%.*s", (int)valsz, value);
				errno = 0;
				m = strtoul(mode, &end, 8);
				if (valsz == 0 || valsz >= sizeof mode || *end || errno || m > 07777)
					return cz_fail(p->err, EINVAL, "%s:%d: x-mount.mkdir: invalid mode '%.*s' (octal)",
						       p->name, line, (int)(valsz > 16 ? 16 : valsz), value);
			}
			e->mkdir_mode = (int)m;
			break;
		}
		case OPT_IGNORED:
			break;
		}
	}
	if (s && r < 0)
		return cz_fail(p->err, EINVAL, "%s:%d: malformed options", p->name, line);
	return 0;
}

static const char *copy_str(char **pool, const char *s)
{
	char *d = *pool;
	size_t n = strlen(s) + 1;

	memcpy(d, s, n);
	*pool += n;
	return d;
}

/* One libmount entry into e, its strings into *pool. */
static int one_entry(struct libmnt_fs *fs, struct cz_fstab_entry *e, char **pool, struct parse *p)
{
	const char *src = p->lm->mnt_fs_get_source(fs), *tgt = p->lm->mnt_fs_get_target(fs);
	const char *type = p->lm->mnt_fs_get_fstype(fs), *fsopt = p->lm->mnt_fs_get_fs_options(fs);
	char *s = cz_unconst(fsopt), *name, *value, shown[80], word[64];
	size_t namesz, valsz;
	bool sb_ro = false;
	int r;

	e->kind = CZ_FSTAB_NEW;
	e->mkdir_mode = -1;
	if (!src || !tgt || !type || !*src || !*tgt || !*type)
		return cz_fail(p->err, EINVAL, "%s:%d: malformed line", p->name, e->line);
	e->source = copy_str(pool, src);
	e->target = copy_str(pool, tgt);
	e->fstype = copy_str(pool, type);
	e->fsopts = *pool;
	r = vfs_options(p->lm->mnt_fs_get_vfs_options(fs), e, pool, &sb_ro, p, e->line);
	if (r == 0)
		r = vfs_options(p->lm->mnt_fs_get_user_options(fs), e, pool, &sb_ro, p, e->line);
	if (r < 0)
		return r;
	/* libmount leaves "ro=0" to the file system, whose superblock
	 * parser would take it for "ro": refuse our options with a value. */
	while (s && (r = p->lm->mnt_optstr_next_option(&s, &name, &namesz, &value, &valsz)) == 0)
		if (find_opt(name, namesz) >= 0) {
			snprintf(word, sizeof word, "%.*s", (int)namesz, name);
			cz_printable(word, shown, sizeof shown);
			return cz_fail(p->err, EINVAL, "%s:%d: option '%s' takes no value", p->name, e->line, shown);
		}
	s = cz_unconst(fsopt);
	if (e->kind != CZ_FSTAB_NEW) {
		/* A bind takes the source's file system as it is. */
		if (fsopt && *fsopt) {
			snprintf(word, sizeof word, "%.*s", (int)strcspn(fsopt, ",="), fsopt);
			cz_printable(word, shown, sizeof shown);
			return cz_fail(p->err, EINVAL, "%s:%d: option '%s' does not apply to a bind mount",
				       p->name, e->line, shown);
		}
		if (e->nsb) {
			cz_printable(e->fsopts, shown, sizeof shown);
			return cz_fail(p->err, EINVAL, "%s:%d: option '%s' does not apply to a bind mount",
				       p->name, e->line, shown);
		}
		/* Bind sources are host paths, resolved before pivot_root. */
		if (src[0] != '/') {
			cz_printable(src, shown, sizeof shown);
			return cz_fail(p->err, EINVAL, "%s:%d: bind source '%s' is not an absolute path",
				       p->name, e->line, shown);
		}
	} else {
		if (strncmp(src, "LABEL=", 6) == 0 || strncmp(src, "UUID=", 5) == 0 ||
		    strncmp(src, "PARTUUID=", 9) == 0 || strncmp(src, "PARTLABEL=", 10) == 0) {
			cz_printable(src, shown, sizeof shown);
			return cz_fail(p->err, EINVAL, "%s:%d: source '%s': tags are not supported (name the device)",
				       p->name, e->line, shown);
		}
		if (strcmp(type, "swap") == 0)
			return cz_fail(p->err, EINVAL, "%s:%d: swap is not a mount", p->name, e->line);
		/* A read-only superblock too, as mount(8) asks with MS_RDONLY. */
		if (sb_ro)
			add_fsopt(pool, "ro", 2, NULL, 0);
		while (s && (r = p->lm->mnt_optstr_next_option(&s, &name, &namesz, &value, &valsz)) == 0)
			add_fsopt(pool, name, namesz, value, valsz);
		if (s && r < 0)
			return cz_fail(p->err, EINVAL, "%s:%d: malformed options", p->name, e->line);
	}
	*(*pool)++ = '\0';	/* the list's end */
	return 0;
}

/* The table into one allocation: the entries, then their strings. */
static int build(struct libmnt_table *tb, struct parse *p, struct cz_fstab **out)
{
	struct libmnt_iter *it = p->lm->mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	struct cz_fstab *t = NULL;
	size_t n = (size_t)p->lm->mnt_table_get_nents(tb), size = 0, i;
	char *pool;
	int r = 0;

	if (!it)
		return cz_fail(p->err, ENOMEM, "%s: out of memory", p->name);
	if (n != p->nlines) {
		r = cz_fail(p->err, EAGAIN, "%s: changed while being read", p->name);
		goto out;
	}
	/* Room for every string, every option as a list item (each no longer
	 * than the option string) and a "ro" and the list's end. */
	while (p->lm->mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *o = p->lm->mnt_fs_get_options(fs);
		size += strlen(p->lm->mnt_fs_get_source(fs) ? p->lm->mnt_fs_get_source(fs) : "") +
			strlen(p->lm->mnt_fs_get_target(fs) ? p->lm->mnt_fs_get_target(fs) : "") +
			strlen(p->lm->mnt_fs_get_fstype(fs) ? p->lm->mnt_fs_get_fstype(fs) : "") + (o ? strlen(o) : 0) + 16;
	}
	t = calloc(1, sizeof *t + n * sizeof t->e[0] + size);
	if (!t) {
		r = cz_fail(p->err, ENOMEM, "%s: out of memory", p->name);
		goto out;
	}
	t->n = n;
	pool = (char *)&t->e[n];
	p->lm->mnt_reset_iter(it, MNT_ITER_FORWARD);
	for (i = 0; r == 0 && p->lm->mnt_table_next_fs(tb, it, &fs) == 0; i++) {
		t->e[i].line = p->lines[i];
		r = one_entry(fs, &t->e[i], &pool, p);
	}
out:
	p->lm->mnt_free_iter(it);
	if (r < 0)
		free(t);
	else
		*out = t;
	return r;
}

int cz_fstab_parse(int fd, const char *name, struct cz_fstab **out, struct cz_error *err)
{
	struct parse p = { .name = name, .err = err };
	struct cz_libmount lm = { 0 };
	struct libmnt_table *tb = NULL;
	char *text = malloc(FSTAB_MAX + 2), path[32];	/* + the NUL the scan stops at */
	int *lines = NULL, r;
	size_t n;
	ssize_t len;

	*out = NULL;
	if (!text)
		return cz_fail(err, ENOMEM, "%s: out of memory", name);
	len = pread(fd, text, FSTAB_MAX + 1, 0);
	if (len < 0) {
		r = cz_fail(err, errno, "%s: %m", name);
		goto out;
	}
	if (len > FSTAB_MAX) {
		r = cz_fail(err, EFBIG, "%s: larger than %d bytes", name, FSTAB_MAX);
		goto out;
	}
	text[len] = '\0';	/* scan_lines' strspn/strcspn must stop at the end */
	r = scan_lines(text, (size_t)len, &lines, &p.nlines, &p);
	if (r < 0)
		goto out;
	p.lines = lines;
	r = cz_libmount_open(&lm, err);
	if (r < 0) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		r = cz_fail(err, -r, "%s: %s", name, msg);
		goto out;
	}
	p.lm = &lm;
	/* libmount's own fstab reader (mnt_table_parse_fstab: the fstab format
	 * for sure, where the stream reader guesses it from the first line),
	 * on the descriptor already checked: no path is looked up again. */
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	tb = lm.mnt_new_table();
	if (!tb) {
		r = cz_fail(err, ENOMEM, "%s: out of memory", name);
		goto out;
	}
	lm.mnt_table_set_parser_errcb(tb, parse_error);
	r = lm.mnt_table_parse_fstab(tb, path);
	n = (size_t)lm.mnt_table_get_nents(tb);
	if (r < 0 && r != -EINVAL)
		r = cz_fail(err, -r, "%s: cannot parse: %s", name, strerror(-r));
	else if (n < p.nlines)
		r = cz_fail(err, EINVAL, "%s:%d: malformed line (SOURCE TARGET TYPE [OPTIONS [DUMP [PASS]]])",
			    name, p.lines[n]);
	else
		r = build(tb, &p, out);
out:
	if (tb)
		lm.mnt_unref_table(tb);
	if (p.lm)
		cz_libmount_close(&lm);
	free(lines);
	free(text);
	return r;
}

void cz_fstab_free(struct cz_fstab *t)
{
	free(t);
}

/* ---------------------------------------------------------------- mounting */

struct ctx {
	const struct cz_group *g;
	const struct cz_fstab_entry *e;
	struct cz_error *err;
};

#define FAIL(c, code, fmt, ...) \
	cz_fail((c)->err, (code), "%s/fstab:%d: " fmt, (c)->g->confdir, (c)->e->line, ##__VA_ARGS__)

/* Inside the tree, whatever its symlinks say: RESOLVE_IN_ROOT treats the
 * tree as / for every component (an absolute symlink to /etc means
 * TREE/etc, `..` stops at the tree), and no /proc magic link may jump out
 * of it. */
static int in_tree(int rootfd, const char *path, int flags)
{
	return cz_openat2(rootfd, path, (uint64_t)(O_PATH | O_CLOEXEC | flags), RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* x-mount.mkdir: each missing directory of the target, made in the
 * directory its parent resolved to inside the tree (one name, no slash:
 * mkdirat cannot follow anything), with the mode asked whatever our umask
 * (the caller's, under setuid). */
static int make_dirs(const struct ctx *c, int rootfd, const char *path, mode_t mode)
{
	char buf[CZ_PATH_MAX];
	size_t end = 0, len = strlen(path);
	int parent = -1, fd, r = 0;

	if (len >= sizeof buf)
		return FAIL(c, ENAMETOOLONG, "target too long");
	memcpy(buf, path, len + 1);
	while (end < len) {
		size_t start = end + strspn(buf + end, "/");
		if (start >= len)
			break;
		end = start + strcspn(buf + start, "/");
		buf[end] = '\0';
		fd = in_tree(rootfd, buf, O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			mode_t old = umask(0);
			int e = mkdirat(parent >= 0 ? parent : rootfd, buf + start, mode) < 0 ? errno : 0;
			umask(old);
			fd = e && e != EEXIST ? (errno = e, -1) : in_tree(rootfd, buf, O_DIRECTORY);
		}
		if (fd < 0) {
			r = FAIL(c, errno, "x-mount.mkdir: %s: %m", buf);
			break;
		}
		if (parent >= 0)
			close(parent);
		parent = fd;
		if (end < len)
			buf[end] = '/';
	}
	if (parent >= 0)
		close(parent);
	return r;
}

/* A bind: a copy of the host's mount at the source (recursive for rbind),
 * its attributes set while it is still detached, so a read-only bind is
 * never writable for a moment. */
static int clone_source(const struct ctx *c)
{
	const struct cz_fstab_entry *e = c->e;
	unsigned rec = e->kind == CZ_FSTAB_RBIND ? AT_RECURSIVE : 0;
	/* Set, never loosened: rw, suid, dev or exec do not undo what the
	 * source mount has (mount(8) leaves a bind as its source unless asked
	 * for more); an atime mode replaces the source's. */
	struct mount_attr attr = { .attr_set = e->attr_set, .attr_clr = e->attr_clr & MOUNT_ATTR__ATIME };
	int src, mfd, r;

	src = cz_openat2(AT_FDCWD, e->source, O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS);
	if (src < 0)
		return FAIL(c, errno, "source %s: %m", e->source);
	mfd = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
	r = mfd < 0 ? FAIL(c, errno, "cloning %s: %m", e->source) : 0;
	close(src);
	if (r < 0)
		return r;
	/* For rbind the attributes go on every mount below too: a read-only
	 * rbind with writable submounts would not be read-only. */
	if ((attr.attr_set || attr.attr_clr) &&
	    mount_setattr(mfd, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0) {
		r = FAIL(c, errno, "setting the options of %s: %m", e->source);
		close(mfd);
		return r;
	}
	return mfd;
}

/* The kernel's own words for a refused option ("e tmpfs: Unknown
 * parameter 'x'"), if it logged any: fsconfig's failure is only EINVAL. */
static void fs_log(int fs, char *buf, size_t len)
{
	ssize_t n = read(fs, buf, len - 1);

	if (n > 2 && buf[1] == ' ') {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		memmove(buf, buf + 2, strlen(buf + 2) + 1);
	} else {
		buf[0] = '\0';
	}
}

/* A new file system: fsopen, each option one fsconfig call (so a refused
 * one is named), the superblock, then a detached mount with the
 * attributes. */
static int new_fs(const struct ctx *c)
{
	const struct cz_fstab_entry *e = c->e;
	char msg[160], shown[80];
	const char *o;
	int fs, mfd = -1, r = 0;

	fs = fsopen(e->fstype, FSOPEN_CLOEXEC);
	if (fs < 0) {
		cz_printable(e->fstype, shown, sizeof shown);
		if (errno == ENODEV)
			return FAIL(c, ENODEV, "unknown file system type '%s'", shown);
		return FAIL(c, errno, "%s: %m", shown);
	}
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", e->source, 0) < 0)
		r = FAIL(c, errno, "%s: source %s: %m", e->fstype, e->source);
	for (o = e->fsopts; r == 0 && *o; o += strlen(o) + 1) {
		char key[256];
		const char *eq = strchr(o, '=');
		int k;

		snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - o) : (int)strlen(o), o);
		k = eq ? fsconfig(fs, FSCONFIG_SET_STRING, key, eq + 1, 0) : fsconfig(fs, FSCONFIG_SET_FLAG, key, NULL, 0);
		if (k < 0) {
			int saved = errno;
			fs_log(fs, msg, sizeof msg);
			cz_printable(o, shown, sizeof shown);
			r = FAIL(c, saved, "option '%s' refused: %s", shown, *msg ? msg : strerror(saved));
		}
	}
	if (r == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int saved = errno;
		fs_log(fs, msg, sizeof msg);
		r = FAIL(c, saved, "%s on %s: %s", e->fstype, e->source, *msg ? msg : strerror(saved));
	}
	if (r == 0 && (mfd = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)e->attr_set)) < 0)
		r = FAIL(c, errno, "%s: mounting: %m", e->fstype);
	close(fs);
	return r < 0 ? r : mfd;
}

/* Is fd the tree's root?  A mount there would be stacked under the root
 * that pivot_root then takes (rootfd): it would hide nothing and be lost. */
static bool is_root(int rootfd, int fd)
{
	struct stat a, b;

	return fstat(rootfd, &a) == 0 && fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int mount_entry(const struct ctx *c, int rootfd)
{
	const struct cz_fstab_entry *e = c->e;
	int target, mfd, r = 0;

	if (e->mkdir_mode >= 0 && make_dirs(c, rootfd, e->target, (mode_t)e->mkdir_mode) < 0)
		return -1;
	/* The mount first (a missing source is the likelier mistake), then
	 * its place. */
	mfd = e->kind == CZ_FSTAB_NEW ? new_fs(c) : clone_source(c);
	if (mfd < 0)
		return mfd;
	target = in_tree(rootfd, e->target, 0);
	if (target < 0)
		r = FAIL(c, errno, "target %s: %m%s", e->target,
			 errno == ENOENT && e->mkdir_mode < 0 ? " (x-mount.mkdir makes it)" : "");
	else if (is_root(rootfd, target))
		r = FAIL(c, EINVAL, "target %s is the tree's root", e->target);
	else if (move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		r = FAIL(c, errno, "mounting on %s: %m", e->target);
	if (target >= 0)
		close(target);
	close(mfd);
	return r;
}

int cz_fstab_mount(const struct cz_group *g, int rootfd, struct cz_error *err)
{
	struct ctx c = { .g = g, .err = err };
	size_t i;

	for (i = 0; g->fstab && i < g->fstab->n; i++) {
		c.e = &g->fstab->e[i];
		if (mount_entry(&c, rootfd) < 0)
			return err->code ? err->code : -EIO;
	}
	return 0;
}
