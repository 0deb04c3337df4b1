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

static bool under(const char *path, const char *top)
{
	size_t n = strlen(top);

	return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* shared: the tree (made a shared mount on the host side beforehand)
 * stays a peer of the host's, so mounts made below it inside appear on the
 * host; every other shared mount becomes a slave, one by one. */
struct slave_walk {
	const char *tree;
	struct cz_error *err;
	bool failed;		/* err says why */
};

static int slave_one(const struct cz_mount *m, void *data)
{
	struct slave_walk *w = data;

	if (!(m->propagation & MS_SHARED) || under(m->target, w->tree))
		return 0;
	if (mount(NULL, m->target, NULL, MS_SLAVE, NULL) < 0 && errno != ENOENT && errno != EINVAL) {
		w->failed = true;
		return cz_fail(w->err, errno, "making %s slave: %m", m->target);
	}
	return 0;
}

static int slave_all_but(const char *tree, struct cz_error *err)
{
	struct slave_walk w = { tree, err, false };
	int r = cz_mountinfo_walk(slave_one, &w);

	if (r < 0 && !w.failed)
		return cz_fail(err, -r, "reading /proc/self/mountinfo: %s", cz_mountinfo_strerror(r));
	return r;
}

/* Step 1, before any other mount: where / is shared (systemd hosts) every
 * later mount of ours would otherwise propagate back to the host. */
int cz_mount_propagation(enum cz_propagation p, const char *tree, struct cz_error *err)
{
	unsigned long flags = p == CZ_PROP_PRIVATE ? MS_PRIVATE : MS_SLAVE;

	if (p == CZ_PROP_SHARED)
		return slave_all_but(tree, err);
	if (mount(NULL, "/", NULL, MS_REC | flags, NULL) < 0)
		return cz_fail(err, errno, "making / %s: %m", p == CZ_PROP_PRIVATE ? "private" : "slave");
	return 0;
}

/* Host side, before the namespace exists: the tree becomes a shared mount
 * of its own, whose peer in the container carries mounts back. */
int cz_share_tree(const struct cz_group *g, struct cz_error *err)
{
	if (mount(g->tree, g->tree, NULL, MS_BIND | MS_REC, NULL) < 0)
		return cz_fail(err, errno, "binding %s for shared propagation: %m", g->tree);
	if (mount(NULL, g->tree, NULL, MS_SHARED, NULL) < 0) {
		int e = errno;
		umount2(g->tree, MNT_DETACH);
		return cz_fail(err, e, "making %s shared: %m", g->tree);
	}
	return 0;
}

static int open_target(int rootfd, const struct cz_group *g, const char *name, struct cz_error *err)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, name, &how, sizeof how);

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
