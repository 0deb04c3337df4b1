/* mountinfo.c — walk the mount table, /proc/self/mountinfo, with libmount.
 *
 * Read only when a table is needed: shared propagation, or a cgroup2
 * mount in an unusual place (the common path finds the cgroup2 mount by
 * statfs and the run dir by statx), so libmount is loaded here, on first
 * use (libmount.c).  libmount undoes the kernel's \ooo escapes in paths
 * and knows the optional fields (shared:N, master:N, unbindable). */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "internal.h"
#include "libmount-api.h"

/* libmount says MS_PRIVATE beside MS_SLAVE for a slave that is not also
 * shared, and nothing for a mount without optional fields; we say
 * MS_PRIVATE exactly when the mount is neither shared nor a slave. */
static unsigned long propagation(const struct cz_libmount *lm, struct libmnt_fs *fs)
{
	unsigned long flags = 0;

	if (lm->mnt_fs_get_propagation(fs, &flags) < 0)
		flags = 0;
	flags &= MS_SHARED | MS_SLAVE | MS_UNBINDABLE;
	if (!(flags & (MS_SHARED | MS_SLAVE)))
		flags |= MS_PRIVATE;
	return flags;
}

int cz_mountinfo_walk(int (*fn)(const struct cz_mount *m, void *data), void *data)
{
	struct cz_libmount lm;
	struct cz_error ignored;
	struct libmnt_table *tb;
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	int r;

	if (cz_libmount_open(&lm, &ignored) < 0)
		return -ELIBACC;
	errno = 0;
	tb = lm.mnt_new_table_from_file("/proc/self/mountinfo");
	r = tb ? 0 : errno ? -errno : -ENOMEM;
	it = tb ? lm.mnt_new_iter(MNT_ITER_FORWARD) : NULL;
	if (tb && !it)
		r = -ENOMEM;
	while (r == 0 && lm.mnt_table_next_fs(tb, it, &fs) == 0) {
		struct cz_mount m = {
			.target = lm.mnt_fs_get_target(fs),
			.fstype = lm.mnt_fs_get_fstype(fs),
			.root = lm.mnt_fs_get_root(fs),
			.propagation = propagation(&lm, fs),
		};

		if (m.target)
			r = fn(&m, data);
	}
	if (it)
		lm.mnt_free_iter(it);
	if (tb)
		lm.mnt_unref_table(tb);
	cz_libmount_close(&lm);
	return r < 0 ? r : 0;
}

const char *cz_mountinfo_strerror(int r)
{
	return r == -ELIBACC ? "libmount.so.1 (util-linux's libmount) cannot be loaded" : strerror(-r);
}
