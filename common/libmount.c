/* libmount.c — libmount, loaded with dlopen when a mount table is needed.
 *
 * As systemd does for libraries it needs only sometimes: the common path
 * (set up, join, tear down with the default slave propagation) reads no
 * mount table, and linking libmount would cost every start the loading
 * and relocation of libmount, libblkid, libselinux and libpcre2 (figures
 * in README.org).  By bare name, so a setuid run (AT_SECURE) finds it only
 * in the system's library directories; the front ends have cleared the
 * environment (LIBMOUNT_DEBUG, ...) before anything can load it.  No
 * global state: each user opens and closes it (a second dlopen while it is
 * loaded only counts a reference). */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "libmount-api.h"

#define CZ_LIBMOUNT_SONAME "libmount.so.1"

int cz_libmount_open(struct cz_libmount *lm, struct cz_error *err)
{
	const char *missing = NULL;

	memset(lm, 0, sizeof *lm);
	lm->handle = dlopen(CZ_LIBMOUNT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lm->handle)
		return cz_fail(err, ELIBACC, "cannot load %s (util-linux's libmount): %s",
			       CZ_LIBMOUNT_SONAME, dlerror());
	/* A void * to a function pointer: POSIX requires dlsym's result to
	 * convert; memcpy says so without a cast that ISO C frowns upon. */
#define CZ_LIBMOUNT_RESOLVE(name) \
	if (!missing) { \
		void *sym = dlsym(lm->handle, #name); \
		if (sym) \
			memcpy(&lm->name, &sym, sizeof sym); \
		else \
			missing = #name; \
	}
	CZ_LIBMOUNT_SYMBOLS(CZ_LIBMOUNT_RESOLVE)
#undef CZ_LIBMOUNT_RESOLVE
	if (missing) {
		cz_libmount_close(lm);
		return cz_fail(err, ELIBACC, "%s has no %s (libmount too old?)", CZ_LIBMOUNT_SONAME, missing);
	}
	return 0;
}

void cz_libmount_close(struct cz_libmount *lm)
{
	if (lm->handle)
		dlclose(lm->handle);
	memset(lm, 0, sizeof *lm);
}
