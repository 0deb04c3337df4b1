/* pins.c — keep a container's namespaces alive without any process.
 *
 * Each namespace of the setup process is bind-mounted onto a file in the
 * run dir, as `unshare --mount=FILE` does, by the session process: from the
 * caller's mount namespace, where the run dir is. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

/* Linux 6.8; Debian 12's headers (6.1) do not have it. */
#ifndef NS_GET_MNTNS_ID
#define NS_GET_MNTNS_ID _IOR(NSIO, 0x5, uint64_t)
#endif

/* The kernel rule (fs/namespace.c: mnt_ns_loop, checked by do_loopback for
 * mount(MS_BIND) and by move_mount): the nsfs file of a mount namespace
 * may be bound only from a mount namespace whose id is smaller, i.e. made
 * before it; otherwise EINVAL.  That keeps a namespace from pinning itself
 * through a chain of pins.  The ids used to come from one global counter,
 * so a namespace we make was always newer than the caller's.  Kernel 6.18
 * draws namespace ids from per-CPU batches of 4096 (kernel/nstree.c:
 * ns_tree_gen_id -> gen_cookie_next), so a namespace made on a CPU whose
 * batch was taken before the batch the caller's namespace came from is
 * "older" than the caller's, and its pin is refused (later kernels went
 * back to one global counter).  From the initial
 * mount namespace (id made at boot, the smallest) that never happens; from
 * a nested one (`unshare -m`, a systemd unit with PrivateTmp=, another
 * container) it happens on every CPU whose batch is behind: half of all
 * starts on a 2-CPU machine.  NS_GET_MNTNS_ID (6.8+) gives the very id the
 * kernel compares, so cz_setup checks a new namespace in the setup process
 * before anything runs in it and makes it again on another CPU if needed.
 * Returns that id, or 0 if the kernel cannot tell (before 6.8, where ids
 * were one global sequence and the question does not arise). */
uint64_t cz_mntns_id(void)
{
	uint64_t id = 0;
	int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (ioctl(fd, NS_GET_MNTNS_ID, &id) < 0)
		id = 0;
	close(fd);
	return id;
}

/* The initial mount namespace's fixed inode number (uapi linux/nsfs.h:
 * MNT_NS_INIT_INO; 6.18 has it).  A kernel without it gets the id read. */
#define MNT_INIT_INO 0xEFFFFFF8U

uint64_t cz_mntns_caller_id(void)
{
	struct stat sb;

	/* The common case in one system call: the initial namespace was
	 * made first, at boot, so every namespace is newer than it. */
	if (stat("/proc/self/ns/mnt", &sb) == 0 && sb.st_ino == MNT_INIT_INO)
		return 0;
	return cz_mntns_id();
}

/* The kinds pinned for an instance with extra namespaces nsflags: the
 * mount namespace always. */
static bool pinned(const struct cz_ns_kind *k, int nsflags)
{
	return k->flag & (nsflags | CLONE_NEWNS);
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
	int i;

	for (i = 0; i < CZ_NS_COUNT; i++) {
		const struct cz_ns_kind *k = &cz_ns_kinds[i];
		if (!pinned(k, nsflags))
			continue;
		snprintf(src, sizeof src, "/proc/%d/ns/%s", (int)pid, k->name);
		snprintf(dst, sizeof dst, "%s/%s", lk->dir, k->name);
		/* A mount namespace older than ours cannot get here
		 * (cz_mntns_id): retrying the same bind cannot help. */
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			return cz_fail(err, errno, "pinning the %s namespace on %s: %m", k->name, dst);
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
		/* Not pinned?  The caller has made sure the instance is live,
		 * so the pin was made in another mount namespace: ours has a
		 * copy of the run dir without it (a private mount: the pin
		 * does not propagate, and copy_tree never copies a mount
		 * namespace's pin into a new namespace, CL_COPY_MNT_NS_FILE). */
		if (fstatfs(fds[i], &sfs) < 0 || sfs.f_type != NSFS_MAGIC)
			return cz_fail(err, ESTALE, "the %s namespace pin is not mounted in this mount namespace "
				       "(the container was set up from another one)", k->name);
	}
	return 0;
}
