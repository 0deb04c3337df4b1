/* libmount-api.h — libmount, loaded on first use (libmount.c).
 *
 * The program is not linked with libmount: most runs never read a mount
 * table, and linking it would load libblkid, libselinux and libpcre2 at
 * every start (README.org, "Where the time goes").  Code that needs it
 * opens it, calls through the table, and closes it:
 *
 *	struct cz_libmount lm;
 *	int r = cz_libmount_open(&lm, err);	// err names libmount.so.1 and why
 *	if (r < 0)
 *		return r;
 *	tb = lm.mnt_new_table_from_file("/proc/self/mountinfo");
 *	...
 *	cz_libmount_close(&lm);
 *
 * To use another function, add it to CZ_LIBMOUNT_SYMBOLS: the field has
 * the name and the type of the function in <libmount.h>, so a call through
 * the table is checked like a direct one, and a direct call does not link. */
#ifndef CZ_LIBMOUNT_API_H
#define CZ_LIBMOUNT_API_H

#include <libmount/libmount.h>

#include "containerize.h"

#define CZ_LIBMOUNT_SYMBOLS(X) \
	X(mnt_new_table) \
	X(mnt_new_table_from_file) \
	X(mnt_free_table) \
	X(mnt_unref_table) \
	X(mnt_table_parse_file) \
	X(mnt_table_parse_stream) \
	X(mnt_table_parse_fstab) \
	X(mnt_table_set_parser_errcb) \
	X(mnt_table_get_nents) \
	X(mnt_table_next_fs) \
	X(mnt_new_iter) \
	X(mnt_reset_iter) \
	X(mnt_free_iter) \
	X(mnt_fs_get_source) \
	X(mnt_fs_get_srcpath) \
	X(mnt_fs_get_target) \
	X(mnt_fs_get_fstype) \
	X(mnt_fs_get_root) \
	X(mnt_fs_get_options) \
	X(mnt_fs_get_vfs_options) \
	X(mnt_fs_get_fs_options) \
	X(mnt_fs_get_user_options) \
	X(mnt_fs_get_optional_fields) \
	X(mnt_fs_get_propagation) \
	X(mnt_fs_get_freq) \
	X(mnt_fs_get_passno) \
	X(mnt_get_builtin_optmap) \
	X(mnt_optstr_get_flags) \
	X(mnt_optstr_get_option) \
	X(mnt_optstr_next_option) \
	X(mnt_split_optstr)

struct cz_libmount {
	void *handle;
#define CZ_LIBMOUNT_FIELD(name) __typeof__(name) *name;
	CZ_LIBMOUNT_SYMBOLS(CZ_LIBMOUNT_FIELD)
#undef CZ_LIBMOUNT_FIELD
};

/* Loads libmount.so.1 and resolves every symbol of the list: 0, or
 * -ELIBACC with err saying what could not be loaded.  Every successful
 * open needs its close. */
int cz_libmount_open(struct cz_libmount *lm, struct cz_error *err);
void cz_libmount_close(struct cz_libmount *lm);

#endif
