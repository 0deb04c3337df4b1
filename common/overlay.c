/* overlay.c — the root of a throwaway instance: an overlay of the base tree.
 *
 * The instance's directory TREES/GROUP/NAME is an empty directory on the
 * host, made at setup (or adopted when a crash left it) and removed at
 * teardown.  Inside the new mount namespace, before the `bind` hook, a
 * tmpfs is mounted on it for the upper layer and the overlay (lower = the
 * base tree) on top: every mount lives in the container's namespace only,
 * so the upper's memory goes with the namespace and nothing reaches the
 * host, whatever kills us.  After pivot_root neither the tmpfs nor the
 * base is reachable from inside; only the overlay is.
 *
 * With the group's `ephemeral-dir`, the upper layer is instead a directory
 * of the instance's own in that host directory, DIR/GROUP.NAME.PID: named
 * in the state before it is made, made and opened at setup without
 * following a symlink anywhere on the path, and removed with all in it at
 * teardown (the same walk, fd-relative, never following a symlink nor
 * leaving its file system), so that the next run sweeps it after a SIGKILL.
 *
 * Overlay options are set, not left to the module's defaults, so that an
 * instance behaves the same on every host: metacopy=off (a metadata-only
 * copy-up trusts xattrs in the upper: the kernel documentation warns
 * against it with layers that are not fully trusted), redirect_dir=off
 * (renaming a directory of the base fails with EXDEV and tools copy it
 * instead, as with the module's default), index=off (no hard-link
 * bookkeeping across instances of one base).  xino stays the default. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <unistd.h>

#include "internal.h"

static const char *const ovl_options[][2] = {
	{ "metacopy", "off" },
	{ "redirect_dir", "off" },
	{ "index", "off" },
};

/* The kernel's own words for a refused fsconfig (the fs context log:
 * lines "e overlayfs: ..."), else strerror. */
static void fs_reason(int fs, int e, char *buf, size_t len)
{
	char msg[256];
	ssize_t n = read(fs, msg, sizeof msg - 1);

	if (n > 2 && msg[1] == ' ') {
		msg[n] = '\0';
		msg[strcspn(msg, "\n")] = '\0';
		snprintf(buf, len, "%s (%s)", strerror(e), msg + 2);
	} else {
		snprintf(buf, len, "%s", strerror(e));
	}
}

/* The upper's tmpfs, attached on the instance's directory (target), with
 * `upper` made like the base's root (the merged root takes the upper
 * root's owner and mode) and `work`. */
static int mount_upper(const struct cz_group *g, int target, const struct stat *base,
		       struct cz_error *err)
{
	char why[400];
	int fs, mfd = -1, e;

	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return cz_fail(err, errno, "tmpfs for %s: %m", g->tree);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
	    (g->upper_size[0] && fsconfig(fs, FSCONFIG_SET_STRING, "size", g->upper_size, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		e = errno;
		fs_reason(fs, e, why, sizeof why);
		close(fs);
		if (g->upper_size[0])
			return cz_fail(err, e, "tmpfs of size %s (%s/ephemeral-size) for %s: %s", g->upper_size,
				       g->confdir, g->tree, why);
		return cz_fail(err, e, "tmpfs for %s: %s", g->tree, why);
	}
	/* No nosuid/nodev: the overlay opens upper files through this
	 * mount, and the instance should behave as its base would. */
	mfd = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	e = errno;
	close(fs);
	if (mfd < 0)
		return cz_fail(err, e, "tmpfs for %s: %s", g->tree, strerror(e));
	if (move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 ||
	    mkdirat(mfd, "upper", 0700) < 0 ||
	    fchownat(mfd, "upper", base->st_uid, base->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(mfd, "upper", base->st_mode & 07777, 0) < 0 || mkdirat(mfd, "work", 0700) < 0) {
		e = errno;
		close(mfd);
		return cz_fail(err, e, "the upper layer of %s: %s%s", g->tree, strerror(e),
			       e == ENOSPC ? " (see ephemeral-size in containerize.conf(5))" : "");
	}
	return mfd;
}

/* The parent directory of path, opened without following a symlink
 * anywhere on the way (a component in a directory someone else may write
 * could be swapped for one); its last component in *last. */
static int open_parent(const char *path, const char **last)
{
	char dir[CZ_UPPER_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash || !slash[1] || (size_t)(slash - path) >= sizeof dir) {
		errno = EINVAL;
		return -1;
	}
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	*last = slash + 1;
	return cz_openat2(AT_FDCWD, dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC,
			  RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

/* The upper layer in the instance's directory of ephemeral-dir: `upper`
 * like the base's root and `work`, as mount_upper does on the tmpfs.  The
 * directory is opened again here, in the new mount namespace (overlayfs
 * takes layers only from mounts of the caller's namespace), and must be
 * the one made on the host (g->upperfd).  Returns its descriptor. */
static int disk_upper(const struct cz_group *g, const char *path, const struct stat *base,
		      struct cz_error *err)
{
	const char *name = NULL;
	struct stat a, b;
	int pfd, fd = -1, e;

	pfd = open_parent(path, &name);
	if (pfd >= 0) {
		fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(pfd);
	}
	if (fd < 0)
		return cz_fail(err, errno, "%s: %m", path);
	if (fstat(fd, &a) < 0 || fstat(g->upperfd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		return cz_fail(err, EBUSY, "%s was replaced during the setup", path);
	}
	if (mkdirat(fd, "upper", 0700) < 0 || fchownat(fd, "upper", base->st_uid, base->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(fd, "upper", base->st_mode & 07777, 0) < 0 || mkdirat(fd, "work", 0700) < 0) {
		e = errno;
		close(fd);
		return cz_fail(err, e, "the upper layer of %s in %s (ephemeral-dir): %s", g->tree, g->upper_dir,
			       strerror(e));
	}
	return fd;
}

int cz_overlay_mount(const struct cz_group *g, int groupfd, const char *upperdir, struct cz_error *err)
{
	char lower[64], upper[64], work[64], why[400];
	int lowerfd, target = -1, upfd = -1, fs = -1, mfd = -1, r, e;
	struct stat sb;
	size_t i;

	lowerfd = openat(groupfd, g->base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lowerfd < 0 || fstat(lowerfd, &sb) < 0) {
		r = cz_fail(err, errno, "the base tree %s/%s: %m", g->groupdir, g->base);
		goto out;
	}
	target = openat(groupfd, g->container, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0) {
		r = cz_fail(err, errno, "%s: %m", g->tree);
		goto out;
	}
	r = upfd = g->upperfd >= 0 ? disk_upper(g, upperdir, &sb, err) : mount_upper(g, target, &sb, err);
	if (r < 0)
		goto out;
	/* Layers by descriptor (magic links of this process): no path a
	 * tree owner could swap between our checks and the kernel's lookup. */
	snprintf(lower, sizeof lower, "/proc/self/fd/%d", lowerfd);
	snprintf(upper, sizeof upper, "/proc/self/fd/%d/upper", upfd);
	snprintf(work, sizeof work, "/proc/self/fd/%d/work", upfd);
	fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0) {
		r = cz_fail(err, errno, "overlay for %s: %m (is the overlay module available?)", g->tree);
		goto out;
	}
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
		goto fail;
	for (i = 0; i < sizeof ovl_options / sizeof ovl_options[0]; i++)
		if (fsconfig(fs, FSCONFIG_SET_STRING, ovl_options[i][0], ovl_options[i][1], 0) < 0)
			goto fail;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto fail;
	mfd = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		goto fail;
	/* On top of the tmpfs (or on the directory): TREE now shows the
	 * merged tree. */
	if (move_mount(mfd, "", g->upperfd >= 0 ? target : upfd, "", MOVE_MOUNT_F_EMPTY_PATH |
		       MOVE_MOUNT_T_EMPTY_PATH) < 0)
		goto fail;
	r = upfd;
	upfd = -1;
	goto out;
fail:
	e = errno;
	fs_reason(fs, e, why, sizeof why);
	r = cz_fail(err, e, "overlay of %s/%s on %s: %s%s%s%s", g->groupdir, g->base, g->tree, why,
		    g->upperfd >= 0 ? " (its upper layer in " : "", g->upper_dir, g->upperfd >= 0 ? ", ephemeral-dir)" : "");
out:
	if (mfd >= 0)
		close(mfd);
	if (fs >= 0)
		close(fs);
	if (upfd >= 0)
		close(upfd);
	if (target >= 0)
		close(target);
	if (lowerfd >= 0)
		close(lowerfd);
	return r;
}

bool cz_overlay_full(int upperfd)
{
	struct statfs sfs;

	return upperfd >= 0 && fstatfs(upperfd, &sfs) == 0 && (sfs.f_bavail == 0 || sfs.f_ffree == 0);
}

static int any_entry(const char *name, void *data)
{
	(void)name;
	(void)data;
	return 1;
}

int cz_overlay_dir(const struct cz_group *g, struct cz_error *err)
{
	struct stat sb;
	int fd, r;

	if (mkdirat(g->groupfd, g->container, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return cz_fail(err, errno, "making %s: %m", g->tree);
	/* Left by a crash (or a reboot) of an instance of that name: an empty
	 * directory, which no tree is (a tree has proc, sys, dev, tmp). */
	fd = openat(g->groupfd, g->container, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cz_fail(err, EEXIST, "%s exists and is not a directory: a throwaway instance needs a new name",
			       g->tree);
	r = fstat(fd, &sb) == 0 && sb.st_uid == 0 ? cz_dir_each(fd, any_entry, NULL) : 1;
	close(fd);
	if (r != 0)
		return cz_fail(err, EEXIST, "%s exists: a throwaway instance needs a name that is not a tree", g->tree);
	return 0;
}

int cz_overlay_upper(const struct cz_config *cfg, struct cz_group *g, const struct cz_state *st,
		     struct cz_error *err)
{
	const char *name = NULL;
	char what[sizeof g->upper_dir + 16];
	struct stat sb;
	int dfd, r;

	dfd = open_parent(st->upper, &name);
	if (dfd < 0)
		return cz_fail(err, errno, "%s/ephemeral-dir %s: %s", g->confdir, g->upper_dir,
			       errno == ELOOP ? "a symbolic link on the path (refused)" : strerror(errno));
	/* The same rule as for the group's files: root's, not writable by
	 * group or others (a warning for root's own runs). */
	if (fstat(dfd, &sb) < 0) {
		r = cz_fail(err, errno, "%s: %m", g->upper_dir);
		goto out;
	}
	snprintf(what, sizeof what, "ephemeral-dir %s", g->upper_dir);
	if ((r = cz_group_trusted(cfg, g, what, &sb, err)) < 0)
		goto out;
	if (mkdirat(dfd, name, 0700) < 0) {
		r = cz_fail(err, errno, "making %s (ephemeral-dir): %m", st->upper);
		goto out;
	}
	g->upperfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = g->upperfd < 0 ? cz_fail(err, errno, "%s: %m", st->upper) : 0;
out:
	close(dfd);
	return r;
}

/* Removing an upper directory: fd-relative, never following a symlink nor
 * entering another file system; a directory nested deeper than MAX_DEPTH is
 * moved up to the top and removed in a later pass (bounded stack and
 * descriptors, however deep the instance nested its directories). */
#define MAX_DEPTH 32

struct rm {
	int top, fd, depth, err;
	dev_t dev;
	unsigned seq;		/* names of the moved-up directories */
	bool again;		/* one was moved up: another pass */
};

/* The instance's root may have made a file or directory of its upper
 * layer immutable or append-only (through the overlay): take that off, so
 * that it can go.  Whether it had one. */
static bool unflag(int fd)
{
	int flags;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || !(flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)))
		return false;
	flags &= ~(FS_IMMUTABLE_FL | FS_APPEND_FL);
	return ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
}

/* Unlink a file that is not a directory; an EPERM may be its flags (or
 * its directory's, unflagged when opened). */
static int rm_file(int dfd, const char *name, const struct stat *sb)
{
	int fd;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EPERM || !S_ISREG(sb->st_mode))
		return errno;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || !unflag(fd)) {
		if (fd >= 0)
			close(fd);
		return EPERM;
	}
	close(fd);
	return unlinkat(dfd, name, 0) == 0 || errno == ENOENT ? 0 : errno;
}

static int rm_entry(const char *name, void *data)
{
	struct rm *w = data, sub;
	struct stat sb;
	char up[32];
	int r;

	if (fstatat(w->fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			w->err = errno;
		return 0;
	}
	if (!S_ISDIR(sb.st_mode)) {
		if ((r = rm_file(w->fd, name, &sb)) != 0)
			w->err = r;
		return 0;
	}
	if (sb.st_dev != w->dev) {
		w->err = EXDEV;		/* a mount: not ours to empty */
		return 0;
	}
	if (w->depth >= MAX_DEPTH) {
		/* (an immutable directory cannot be moved) */
		if ((sub.fd = openat(w->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			unflag(sub.fd);
			close(sub.fd);
		}
		do {
			snprintf(up, sizeof up, ".cz-deep.%u", w->seq++);
			r = renameat2(w->fd, name, w->top, up, RENAME_NOREPLACE);
		} while (r < 0 && errno == EEXIST && w->seq < 1000000);
		if (r < 0)
			w->err = errno;
		else
			w->again = true;
		return 0;
	}
	sub = *w;
	sub.fd = openat(w->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub.fd < 0) {
		w->err = errno;
		return 0;
	}
	sub.depth++;
	unflag(sub.fd);
	if (cz_dir_each(sub.fd, rm_entry, &sub) < 0)
		sub.err = errno;
	close(sub.fd);
	w->seq = sub.seq;
	w->again = sub.again;
	if (sub.err)
		w->err = sub.err;
	if (unlinkat(w->fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !sub.again)
		w->err = errno;
	return 0;
}

static int remove_upper(const char *path)
{
	const char *name = NULL;
	struct rm w = { .top = -1 };
	struct stat sb;
	int pfd, pass, e;

	/* Not reached without a symlink, or gone: not made by us. */
	pfd = open_parent(path, &name);
	if (pfd < 0)
		return errno == ENOENT || errno == ELOOP || errno == ENOTDIR ? 0 : -errno;
	w.top = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (w.top < 0 || fstat(w.top, &sb) < 0) {
		e = errno;
		close(pfd);
		if (w.top >= 0)
			close(w.top);
		return e == ENOENT ? 0 : -e;
	}
	w.dev = sb.st_dev;
	unflag(w.top);
	/* Each pass empties what it reaches; the directories moved up are
	 * reached by the next one. */
	for (pass = 0; pass < 10000; pass++) {
		w.fd = w.top;
		w.err = 0;
		w.again = false;
		if (lseek(w.top, 0, SEEK_SET) < 0 || cz_dir_each(w.top, rm_entry, &w) < 0)
			w.err = errno;
		if (lseek(w.top, 0, SEEK_SET) < 0 || cz_dir_each(w.top, any_entry, NULL) == 0 ||
		    (w.err && !w.again))
			break;
	}
	close(w.top);
	e = unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? errno : 0;
	close(pfd);
	return -(w.err ? w.err : e);
}

void cz_overlay_forget(const struct cz_config *cfg, const struct cz_state *st)
{
	int r;

	/* The instance's directory: only ever an empty one, the overlay and
	 * the tmpfs were mounted on it in the namespace, gone now. */
	if (st->base[0] && rmdir(st->tree) < 0 && errno != ENOENT)
		cz_log(cfg, LOG_ERR, "removing %s: %m", st->tree);
	/* Its upper directory on the host (ephemeral-dir), with all in it. */
	if (st->upper[0] && (r = remove_upper(st->upper)) < 0)
		cz_log(cfg, LOG_ERR, "removing %s (the upper layer of %s): %s", st->upper, st->tree, strerror(-r));
}
