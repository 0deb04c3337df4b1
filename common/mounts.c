/* mounts.c — the mount sequence inside a new mount namespace.
 *
 * Mount targets are resolved inside the tree with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) and mounts are attached to those descriptors with the
 * new mount API: a tree whose `proc` is a symlink to /etc can never make us
 * mount over a host path (plain mount(2) on "TREE/proc" would follow it).
 * Symlinked or missing targets are refused with an error. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* Step 1, before any other mount.  Where / is shared (systemd hosts, a
 * namespace made with `unshare --propagation shared`) our copy of every
 * mount is a peer of the host's: every later mount of ours would appear on
 * the host, and every unmount would take the host's copy too, the detach
 * of the old root after pivot_root first of all.  So everything becomes a
 * slave (or private) in one recursive call: it reaches every mount of the
 * namespace, including those covered by another (a path reaches only the
 * top of a stack, and /dev/shm or /proc mounted twice is common).
 *
 * shared: the tree must stay a peer of the host's bind of it (made by
 * cz_share_tree), so that mounts made under it here appear there.  A
 * clone of it taken now, before / goes slave, is such a peer (with copies
 * of whatever is mounted below it); once everything else is a slave it is
 * mounted back on the tree: its parent propagates nothing, and the old
 * root that pivot_root detaches holds only slaves. */
int cz_mount_propagation(const struct cz_group *g, struct cz_error *err)
{
	unsigned long flags = g->prop == CZ_PROP_PRIVATE ? MS_PRIVATE : MS_SLAVE;
	int groupfd = -1, peer = -1, r = 0;

	if (g->prop == CZ_PROP_SHARED) {
		groupfd = cz_reopen_group(g, err);
		if (groupfd < 0)
			return groupfd;
		peer = open_tree(groupfd, g->container, OPEN_TREE_CLONE | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW |
				 OPEN_TREE_CLOEXEC);
		if (peer < 0) {
			r = cz_fail(err, errno, "cloning %s: %m", g->tree);
			goto out;
		}
	}
	if (mount(NULL, "/", NULL, MS_REC | flags, NULL) < 0)
		r = cz_fail(err, errno, "making / %s: %m", g->prop == CZ_PROP_PRIVATE ? "private" : "slave");
	else if (peer >= 0 && move_mount(peer, "", groupfd, g->container, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		r = cz_fail(err, errno, "mounting %s back as a peer of the host's: %m", g->tree);
out:
	if (peer >= 0)
		close(peer);
	if (groupfd >= 0)
		close(groupfd);
	return r;
}

/* Host side, before the namespace exists: the tree becomes a shared mount
 * of its own, whose peer in the container carries mounts back.  A bind of
 * a shared mount is a peer of it: on a host whose / is shared, a plain
 * recursive bind of the tree would be a peer of /, its copies of the
 * host's mounts below the tree peers of those, and the unmount of anything
 * in it (the teardown detaches it) would propagate to the host's mounts at
 * the same places: a mount of the host's on TREE/srv, say.  So, before the
 * clone is attached (only then can anything propagate from it), what is
 * below its top becomes a slave (it still gets the host's mounts) and
 * shared anew (the container's copies are its peers), and the top a peer
 * group of its own. */
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U	/* Linux 6.8: not reused, unlike STATX_MNT_ID */
#endif

/* The id of the mount that fd/path is on (unique where the kernel has such
 * ids), or 0. */
static uint64_t mount_id(int fd, const char *path, int flags)
{
	struct statx sx;

	if (statx(fd, path, flags, STATX_MNT_ID | STATX_MNT_ID_UNIQUE, &sx) < 0 ||
	    !(sx.stx_mask & (STATX_MNT_ID | STATX_MNT_ID_UNIQUE)))
		return 0;
	return sx.stx_mnt_id;
}

int cz_share_tree(const struct cz_group *g, uint64_t *mntid, struct cz_error *err)
{
	struct mount_attr slave = { .propagation = MS_SLAVE }, priv = { .propagation = MS_PRIVATE },
			  shared = { .propagation = MS_SHARED };
	struct stat a, b;
	int treefd, fd = -1, r = 0;

	/* Opened again: a teardown since g was read (a stale instance's,
	 * under this lock) may have detached the mount g->treefd is on. */
	treefd = openat(g->groupfd, g->container, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (treefd < 0 || fstat(treefd, &a) < 0 || fstat(g->treefd, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) {
		r = cz_fail(err, treefd < 0 ? errno : ESTALE, "%s changed during setup", g->tree);
		goto out;
	}
	fd = open_tree(treefd, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH | OPEN_TREE_CLOEXEC);
	if (fd < 0 ||
	    mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave, sizeof slave) < 0 ||
	    mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &shared, sizeof shared) < 0 ||
	    mount_setattr(fd, "", AT_EMPTY_PATH, &priv, sizeof priv) < 0 ||
	    mount_setattr(fd, "", AT_EMPTY_PATH, &shared, sizeof shared) < 0 ||
	    move_mount(fd, "", treefd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		r = cz_fail(err, errno, "binding %s for shared propagation: %m", g->tree);
	else
		*mntid = mount_id(fd, "", AT_EMPTY_PATH);
out:
	if (fd >= 0)
		close(fd);
	if (treefd >= 0)
		close(treefd);
	return r;
}

/* Detach our bind of the tree, and only ours: the path reaches the top of
 * whatever is stacked there, which need not be it (a mount the host made
 * over ours since; the host's own mount of the tree when ours was never
 * made, or after a reboot).  The copies of the container's mounts hang
 * below it: they go with it. */
int cz_unshare_tree(const struct cz_state *st, struct cz_error *err)
{
	if (!st->treemnt || cz_same_boot(st) != 1)
		return 0;
	if (mount_id(AT_FDCWD, st->tree, AT_SYMLINK_NOFOLLOW) != st->treemnt)
		return cz_fail(err, EBUSY, "not unmounting %s: the mount on top is not the bind containerize made "
			       "for shared propagation", st->tree);
	if (umount2(st->tree, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		return cz_fail(err, errno, "unmounting %s: %m", st->tree);
	return 0;
}

static int open_target(int rootfd, const struct cz_group *g, const char *name, struct cz_error *err)
{
	int fd = cz_openat2(rootfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
			    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);

	if (fd >= 0)
		return fd;
	struct stat sb;
	if ((errno == ENOTDIR || errno == ELOOP) && fstatat(rootfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode))
		errno = ELOOP;
	switch (errno) {
	case ELOOP:
		return cz_fail(err, ELOOP, "%s/%s is a symbolic link: refusing to mount through it", g->tree, name);
	case ENOTDIR:
		return cz_fail(err, ENOTDIR, "%s/%s is not a directory", g->tree, name);
	case ENOENT:
		return cz_fail(err, ENOENT, "%s/%s does not exist (the tree needs proc, sys, dev and tmp directories)", g->tree, name);
	default:
		return cz_fail(err, errno, "%s/%s: %m", g->tree, name);
	}
}

static int attach(int mntfd, int target, const struct cz_group *g, const char *name, struct cz_error *err)
{
	if (move_mount(mntfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cz_fail(err, errno, "mounting %s/%s: %m", g->tree, name);
	return 0;
}

/* Recursive bind of a host directory (/proc, /sys, /dev), made slave so a
 * recursive unmount of it can never reach the host's own submounts (on a
 * host whose /dev is shared, umount of a plain rbind takes /dev/pts). */
static int bind_host(int rootfd, const struct cz_group *g, const char *name, struct cz_error *err)
{
	struct mount_attr attr = { .propagation = MS_SLAVE };
	char src[16];
	int target, mfd, r;

	target = open_target(rootfd, g, name, err);
	if (target < 0)
		return target;
	snprintf(src, sizeof src, "/%s", name);
	mfd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC);
	if (mfd < 0) {
		r = cz_fail(err, errno, "cloning %s: %m", src);
		goto out;
	}
	r = attach(mfd, target, g, name, err);
	if (r == 0 && mount_setattr(mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
		r = cz_fail(err, errno, "making %s/%s slave: %m", g->tree, name);
	close(mfd);
out:
	close(target);
	return r;
}

/* A new file system instance (tmpfs, proc) mounted on a target in the tree. */
static int mount_new(int rootfd, const struct cz_group *g, const char *name, const char *fstype,
		     const char *mode, unsigned attrs, struct cz_error *err)
{
	int target, fs, mfd = -1, r;

	target = open_target(rootfd, g, name, err);
	if (target < 0)
		return target;
	fs = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fs < 0) {
		r = cz_fail(err, errno, "%s for %s/%s: %m", fstype, g->tree, name);
		goto out;
	}
	if ((mode && fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mfd = fsmount(fs, FSMOUNT_CLOEXEC, attrs)) < 0) {
		r = cz_fail(err, errno, "%s for %s/%s: %m", fstype, g->tree, name);
		goto out;
	}
	r = attach(mfd, target, g, name, err);
out:
	if (mfd >= 0)
		close(mfd);
	if (fs >= 0)
		close(fs);
	close(target);
	return r;
}

/* Descriptors opened before the new mount namespace existed point at the
 * host's mounts, which open_tree(OPEN_TREE_CLONE) refuses (EINVAL): open
 * the group directory again by path, and check that it is the same one. */
int cz_reopen_group(const struct cz_group *g, struct cz_error *err)
{
	struct stat a, b;
	int fd = open(g->groupdir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return cz_fail(err, errno, "%s: %m", g->groupdir);
	if (fstat(fd, &a) < 0 || fstat(g->groupfd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		return cz_fail(err, ESTALE, "%s changed during setup", g->groupdir);
	}
	return fd;
}

/* pivot_root refuses a shared put_old: in shared mode the old root goes
 * below /tmp, which is made private (the host keeps its copy). */
static int private_tmp(int rootfd, const struct cz_group *g, struct cz_error *err)
{
	struct mount_attr attr = { .propagation = MS_PRIVATE };
	int fd = open_target(rootfd, g, "tmp", err);

	if (fd < 0)
		return fd;
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0 ||
	    mkdirat(fd, ".containerize-oldroot", 0700) < 0) {
		close(fd);
		return cz_fail(err, errno, "%s/tmp: %m", g->tree);
	}
	close(fd);
	return 0;
}

/* Bind the tree onto itself (pivot_root needs a mount point; the bind hook
 * may have mounted on or below it: resolve it again, after the hook), then
 * the standard set below it.  *rootfd refers to the new root. */
int cz_mount_tree(const struct cz_group *g, int groupfd, int *rootfd, struct cz_error *err)
{
	int treefd, rfd, r;

	treefd = openat(groupfd, g->container, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (treefd < 0)
		return cz_fail(err, errno, "%s: %m", g->tree);
	if (g->prop == CZ_PROP_SHARED) {
		/* Already a mount, the peer of the host's: use it as it is. */
		rfd = treefd;
		r = 0;
	} else {
		rfd = open_tree(treefd, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH | OPEN_TREE_CLOEXEC);
		if (rfd < 0) {
			r = cz_fail(err, errno, "cloning %s: %m", g->tree);
			close(treefd);
			return r;
		}
		r = attach(rfd, treefd, g, ".", err);
		close(treefd);
	}
	if (r == 0)
		r = bind_host(rfd, g, "sys", err);
	if (r == 0)
		r = bind_host(rfd, g, "dev", err);
	if (r == 0) {
		/* A pid namespace gets a proc of its own: the host's would show
		 * (and let root signal) every host process. */
		if (g->nsflags & CLONE_NEWPID)
			r = mount_new(rfd, g, "proc", "proc", NULL,
				      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
		else
			r = bind_host(rfd, g, "proc", err);
	}
	if (r == 0)
		r = mount_new(rfd, g, "tmp", "tmpfs", "1777", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
	if (r == 0 && g->prop == CZ_PROP_SHARED)
		r = private_tmp(rfd, g, err);
	if (r < 0) {
		close(rfd);
		return r;
	}
	*rootfd = rfd;
	return 0;
}

/* pivot_root(".", ".") stacks the old root on the new one; the detach then
 * drops the whole host tree from this namespace, so no chroot trick (and no
 * joiner) can get back to it.  A bare chroot can be escaped by root. */
int cz_pivot_into(int rootfd, bool shared, struct cz_error *err)
{
	const char *old = shared ? "tmp/.containerize-oldroot" : ".";

	if (fchdir(rootfd) < 0)
		return cz_fail(err, errno, "entering the tree: %m");
	if (syscall(SYS_pivot_root, ".", old) < 0)
		return cz_fail(err, errno, "pivot_root into the tree: %m");
	if (umount2(old, MNT_DETACH) < 0)
		return cz_fail(err, errno, "detaching the old root: %m");
	if (shared)
		rmdir(old);
	if (chdir("/") < 0)
		return cz_fail(err, errno, "chdir /: %m");
	return 0;
}

/* A detached bind of the profile hook, made before pivot_root hides the
 * host's files. */
int cz_clone_profile(const struct cz_group *g, int groupfd, struct cz_error *err)
{
	int fd = open_tree(groupfd, ".container/profile", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (fd < 0)
		return cz_fail(err, errno, "%s/profile: %m", g->confdir);
	return fd;
}

/* The profile hook runs chrooted in the container: its file is bind-mounted
 * (as it is, root-owned) under the fresh /tmp for that run only. */
int cz_run_profile(const struct cz_hook_env *he, int mfd, struct cz_error *err)
{
	static const char path[] = "/tmp/.containerize-profile";
	char *argv[] = { cz_unconst(path), NULL };
	int fd, r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
	if (fd < 0)
		return cz_fail(err, errno, "profile hook: %s: %m", path);
	close(fd);
	if (move_mount(mfd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		r = cz_fail(err, errno, "profile hook: binding it on %s: %m", path);
		unlink(path);
		return r;
	}
	r = cz_hook_run_checked(he, CZ_HOOK_PROFILE, path, argv, err);
	umount2(path, MNT_DETACH);
	unlink(path);
	if (r < 0 && strstr(err->msg, path)) {
		/* Name the hook by its real path, not where it was bound. */
		char head[sizeof err->msg], tail[sizeof err->msg], *p = strstr(err->msg, path);
		snprintf(tail, sizeof tail, "%s", p + strlen(path));
		snprintf(head, sizeof head, "%.*s", (int)(p - err->msg), err->msg);
		cz_fail(err, -err->code, "%s%.200s/profile%s", head, he->g->confdir, tail);
	}
	return r;
}
