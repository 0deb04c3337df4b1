/* pins.c — keep a container's namespaces alive without any process.
 *
 * Each namespace of the setup process is bind-mounted onto a file in the
 * run dir, as `unshare --mount=FILE` does.  The bind is made from the host
 * mount namespace: the kernel refuses to bind a mount namespace into one
 * that is not older than it, and on 6.18 the check fails at random from a
 * nested namespace — we retry a bounded number of times and then say so. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* The kinds pinned for an instance with extra namespaces nsflags: the
 * mount namespace always. */
static bool pinned(const struct cz_ns_kind *k, int nsflags)
{
	return k->flag & (nsflags | CLONE_NEWNS);
}

static int pin_one(const char *src, const char *dst)
{
	struct timespec ts = { 0, 1000000 };
	int tries;

	for (tries = 0; tries < 20; tries++) {
		if (mount(src, dst, NULL, MS_BIND, NULL) == 0)
			return 0;
		if (errno != EINVAL)
			break;
		nanosleep(&ts, NULL);
	}
	return -errno;
}

int cz_pin_files(const struct cz_lock *lk, int nsflags, struct cz_error *err)
{
	int i, fd;

	for (i = 0; i < CZ_NS_COUNT; i++) {
		const struct cz_ns_kind *k = &cz_ns_kinds[i];
		if (!pinned(k, nsflags))
			continue;
		fd = openat(lk->dirfd, k->name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return cz_fail(err, errno, "%s/%s: %m", lk->dir, k->name);
		close(fd);
	}
	return 0;
}

int cz_pin_namespaces(const struct cz_lock *lk, pid_t pid, int nsflags, struct cz_error *err)
{
	char src[64], dst[CZ_PATH_MAX + 16];
	int i, r;

	for (i = 0; i < CZ_NS_COUNT; i++) {
		const struct cz_ns_kind *k = &cz_ns_kinds[i];
		if (!pinned(k, nsflags))
			continue;
		snprintf(src, sizeof src, "/proc/%d/ns/%s", (int)pid, k->name);
		snprintf(dst, sizeof dst, "%s/%s", lk->dir, k->name);
		r = pin_one(src, dst);
		if (r == -EINVAL)
			return cz_fail(err, EINVAL, "pinning the %s namespace on %s: %s (is containerize running inside another mount namespace?)",
				       k->name, dst, strerror(EINVAL));
		if (r < 0)
			return cz_fail(err, -r, "pinning the %s namespace on %s: %s", k->name, dst, strerror(-r));
	}
	return 0;
}

void cz_unpin_namespaces(const struct cz_lock *lk, int nsflags)
{
	int i;

	for (i = 0; i < CZ_NS_COUNT; i++) {
		const struct cz_ns_kind *k = &cz_ns_kinds[i];
		char path[CZ_PATH_MAX + 16];

		/* The kinds the state names were pinned: unmount, then remove
		 * (a pin left by another boot is a plain file: unlinked).  Any
		 * other kind is normally absent; if not, cz_rundir_remove
		 * sweeps it. */
		if (!pinned(k, nsflags))
			continue;
		snprintf(path, sizeof path, "%s/%s", lk->dir, k->name);
		umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
		unlinkat(lk->dirfd, k->name, 0);
	}
}

int cz_open_pins(int dirfd, int nsflags, int fds[CZ_NS_COUNT], struct cz_error *err)
{
	struct statfs sfs;
	int i;

	for (i = 0; i < CZ_NS_COUNT; i++)
		fds[i] = -1;
	for (i = 0; i < CZ_NS_COUNT; i++) {
		const struct cz_ns_kind *k = &cz_ns_kinds[i];
		if (!pinned(k, nsflags))
			continue;
		fds[i] = openat(dirfd, k->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fds[i] < 0)
			return cz_fail(err, errno, "opening the %s namespace pin: %m", k->name);
		/* Not pinned (a file left by a crash or another boot)? */
		if (fstatfs(fds[i], &sfs) < 0 || sfs.f_type != NSFS_MAGIC)
			return cz_fail(err, ESTALE, "the %s namespace pin is not mounted", k->name);
	}
	return 0;
}
