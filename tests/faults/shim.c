/* shim.c — an LD_PRELOAD library that makes the Nth open, read, write or
 * rename of a container's run-dir files (lock, state, state.new, ref) fail
 * once with a given errno, as a limit, a full disk or a signal would.
 *
 *   CZ_FAULT_DIR=RUNDIR   only files below it count
 *   CZ_FAULT_OP=open|read|write|rename
 *   CZ_FAULT_N=N          the Nth such call fails (counted per process;
 *                         a forked child goes on from its parent's count)
 *   CZ_FAULT_ERRNO=EMFILE|ENFILE|ENOMEM|EIO|EINTR|EFBIG|ENOSPC|EAGAIN
 *   CZ_FAULT_LOG=FILE     one line "OP N ERRNO PATH" per fault made
 *
 * For root's runs of a dynamically linked containerize (the dynamic loader
 * ignores LD_PRELOAD for a setuid caller).  No fault is made in a process
 * that has exec'd something else: the variables do not reach hooks, whose
 * environment containerize builds itself. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const names[] = { "lock", "state", "state.new", "ref" };
static const struct { const char *name; int code; } codes[] = {
	{ "EMFILE", EMFILE }, { "ENFILE", ENFILE }, { "ENOMEM", ENOMEM }, { "EIO", EIO },
	{ "EINTR", EINTR }, { "EFBIG", EFBIG }, { "ENOSPC", ENOSPC }, { "EAGAIN", EAGAIN },
};

static long calls;

/* Is path a counted file, and is op the one to fail?  Then the errno to
 * fail this call with, else 0. */
static int fault(const char *op, const char *path)
{
	const char *dir = getenv("CZ_FAULT_DIR"), *want = getenv("CZ_FAULT_OP");
	const char *n = getenv("CZ_FAULT_N"), *code = getenv("CZ_FAULT_ERRNO"), *log = getenv("CZ_FAULT_LOG");
	const char *base;
	size_t i, dl;
	int e = 0;

	if (!dir || !want || !n || !code || !path || strcmp(op, want) != 0)
		return 0;
	dl = strlen(dir);
	if (strncmp(path, dir, dl) != 0 || path[dl] != '/')
		return 0;
	base = strrchr(path, '/') + 1;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(base, names[i]) == 0)
			break;
	if (i == sizeof names / sizeof names[0] || ++calls != atol(n))
		return 0;
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(code, codes[i].name) == 0)
			e = codes[i].code;
	if (e && log) {
		char line[4200];
		int len = snprintf(line, sizeof line, "%s %ld %s %s %d\n", op, calls, code, path, (int)getpid());
		int fd = (int)syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			(void)!syscall(SYS_write, fd, line, (size_t)len);
			syscall(SYS_close, fd);
		}
	}
	return e;
}

/* The path of an open descriptor (for read and write). */
static int fd_fault(const char *op, int fd)
{
	char link[64], path[4096];
	long n;

	if (!getenv("CZ_FAULT_OP") || strcmp(getenv("CZ_FAULT_OP"), op) != 0)
		return 0;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = syscall(SYS_readlinkat, AT_FDCWD, link, path, sizeof path - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	return fault(op, path);
}

/* An absolute path for a name relative to dirfd. */
static int at_fault(const char *op, int dirfd, const char *name)
{
	char link[64], path[8192];
	long n;

	if (!getenv("CZ_FAULT_OP") || strcmp(getenv("CZ_FAULT_OP"), op) != 0 || !name)
		return 0;
	if (name[0] == '/' || dirfd == AT_FDCWD)
		return fault(op, name);
	snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
	n = syscall(SYS_readlinkat, AT_FDCWD, link, path, 4096);
	if (n <= 0)
		return 0;
	snprintf(path + n, sizeof path - (size_t)n, "/%s", name);
	return fault(op, path);
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

/* The mode argument of an open that creates (absent otherwise: reading it
 * would be undefined). */
#define OPEN_MODE(flags, mode)						\
	do {								\
		if ((flags) & (O_CREAT | __O_TMPFILE)) {		\
			va_list ap;					\
			va_start(ap, flags);				\
			mode = va_arg(ap, mode_t);			\
			va_end(ap);					\
		}							\
	} while (0)

/* Fail the call with the errno that expr gives, unless that is 0 (expr is
 * a counted check: evaluated once). */
#define FAIL_IF(expr)							\
	do {								\
		int e_ = (expr);					\
		if (e_) {						\
			errno = e_;					\
			return -1;					\
		}							\
	} while (0)

int openat(int dirfd, const char *name, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	FAIL_IF(at_fault("open", dirfd, name));
	return NEXT(openat)(dirfd, name, flags, mode);
}

ssize_t read(int fd, void *buf, size_t len)
{
	FAIL_IF(fd_fault("read", fd));
	return NEXT(read)(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	FAIL_IF(fd_fault("write", fd));
	return NEXT(write)(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	FAIL_IF(fd_fault("write", fd));
	return NEXT(pwrite)(fd, buf, len, off);
}

int renameat(int olddirfd, const char *oldname, int newdirfd, const char *newname)
{
	FAIL_IF(at_fault("rename", newdirfd, newname));
	return NEXT(renameat)(olddirfd, oldname, newdirfd, newname);
}

/* The same under their other names (plain, _FORTIFY_SOURCE, LFS): glibc
 * makes every one of them the same system call as the *at form above. */
int rename(const char *oldname, const char *newname)
{
	return renameat(AT_FDCWD, oldname, AT_FDCWD, newname);
}

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	(void)buflen;
	return read(fd, buf, len);
}

int open(const char *name, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return openat(AT_FDCWD, name, flags, mode);
}

int openat64(int dirfd, const char *name, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return openat(dirfd, name, flags, mode);
}

int open64(const char *name, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return openat(AT_FDCWD, name, flags, mode);
}
