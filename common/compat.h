/* compat.h — kernel interfaces that musl does not wrap.
 *
 * The static front end is built with musl (Makefile: a static glibc
 * program spends a fifth of a millisecond of every start probing the CPU
 * with cpuid, which traps to the hypervisor on a VM); everything else is
 * built with glibc.  glibc 2.36 wraps the new mount API, statx and
 * close_range; musl 1.2.3 does not.  These wrappers have glibc's names and
 * signatures, so the code is the same for both. */
#ifndef CZ_COMPAT_H
#define CZ_COMPAT_H

#ifndef __GLIBC__
#include <linux/close_range.h>
#include <linux/mount.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int open_tree(int dfd, const char *path, unsigned int flags)
{
	return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static inline int move_mount(int from_dfd, const char *from, int to_dfd, const char *to,
			     unsigned int flags)
{
	return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static inline int fsopen(const char *fstype, unsigned int flags)
{
	return (int)syscall(SYS_fsopen, fstype, flags);
}

static inline int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int fsmount(int fd, unsigned int flags, unsigned int attrs)
{
	return (int)syscall(SYS_fsmount, fd, flags, attrs);
}

static inline int mount_setattr(int dfd, const char *path, unsigned int flags,
				struct mount_attr *attr, size_t size)
{
	return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}

static inline int close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}

/* <linux/stat.h> cannot be included beside musl's <sys/stat.h> (both
 * define S_IFMT, with different spellings), so the part of struct statx
 * we read is declared here; the kernel fills the rest of the 256 bytes. */
struct statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, stx_spare0;
	uint64_t stx_ino, stx_size, stx_blocks;
	uint64_t stx_attributes_mask;
	uint64_t stx_rest[24];
};
_Static_assert(sizeof(struct statx) == 256, "struct statx is 256 bytes");
#define STATX_BASIC_STATS 0x000007ffU
#define STATX_ATTR_MOUNT_ROOT 0x00002000

static inline int statx(int dfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	return (int)syscall(SYS_statx, dfd, path, flags, mask, stx);
}

/* musl's posix_spawn has no "close from" action.  The static front end
 * is musl's only user and never passes a descriptor across an exec of its
 * own, so marking every descriptor from FROM close-on-exec in the caller
 * gives the spawned child the same set. */
static inline int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *fa, int from)
{
	(void)fa;
	return close_range((unsigned int)from, ~0U, CLOSE_RANGE_CLOEXEC) < 0 ? -1 : 0;
}
#endif

#endif
