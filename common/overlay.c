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
#include <stdio.h>
#include <string.h>
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

int cz_overlay_mount(const struct cz_group *g, int groupfd, struct cz_error *err)
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
	r = upfd = mount_upper(g, target, &sb, err);
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
	/* On top of the tmpfs: TREE now shows the merged tree. */
	if (move_mount(mfd, "", upfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		goto fail;
	r = upfd;
	upfd = -1;
	goto out;
fail:
	e = errno;
	fs_reason(fs, e, why, sizeof why);
	r = cz_fail(err, e, "overlay of %s/%s on %s: %s", g->groupdir, g->base, g->tree, why);
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

void cz_overlay_forget(const struct cz_config *cfg, const struct cz_state *st)
{
	/* Only ever an empty directory: the instance's files were in the
	 * upper layer, gone with its namespace. */
	if (st->base[0] && rmdir(st->tree) < 0 && errno != ENOENT)
		cz_log(cfg, LOG_ERR, "removing %s: %m", st->tree);
}
