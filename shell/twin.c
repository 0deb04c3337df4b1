/* twin.c — the static build hands setuid callers to its dynamic twin.
 *
 * The installed binary is linked static-pie with musl (Makefile, STATIC=1):
 * no dynamic loader (a fifth of a cold start) and no glibc start-up (a
 * tenth: cpuid probes that trap to the hypervisor).  But musl reads users
 * and groups from /etc/passwd and /etc/group only; glibc resolves them
 * through nsswitch.conf modules (LDAP, sssd, systemd), which a static
 * program cannot load.  So a caller who came through the setuid bit — a
 * mapped user, a login shell — is handed at once, with argv and
 * environment untouched, to the same program linked dynamically with
 * glibc (LIBEXECDIR/containerize-shell, not setuid: it runs with the euid
 * 0 we have, and the kernel gives it AT_SECURE because ruid != euid).
 * Root (ruid 0, no AT_SECURE) never comes here, and root is in
 * /etc/passwd.  A user without the setuid bit (no AT_SECURE) stays here
 * too: without privilege, they are refused in any case.
 *
 * Before the exec every component of the twin's path is checked, from /,
 * without following symlinks: a directory or file there that someone
 * other than root could write would hand root to them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend.h"

static int check(int fd, bool dir)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (dir ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode))
		return -ELOOP;		/* a symlink (not followed), or worse */
	if (sb.st_uid != 0)
		return -EPERM;
	if (sb.st_mode & (S_IWGRP | S_IWOTH))
		return -EACCES;
	return 0;
}

static const char *reason(int r)
{
	return r == -EPERM ? "not owned by root" : r == -EACCES ? "writable by group or others" :
	       r == -ELOOP ? "not a plain file or directory (symlinks are not followed)" : strerror(-r);
}

/* Open path component by component from /, checking each; on failure
 * say which component and why. */
static int open_trusted(const char *path, char *why, size_t len)
{
	char sofar[PATH_MAX] = "", comp[NAME_MAX + 1];
	const char *p = path, *end;
	size_t n, used = 0;
	int fd, sub, r;
	bool last;

	if (path[0] != '/')
		return snprintf(why, len, "not an absolute path"), -EINVAL;
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = fd < 0 ? -errno : check(fd, true);
	while (r == 0) {
		p += strspn(p, "/");
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || n > NAME_MAX || used + n + 2 > sizeof sofar) {
			r = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		used += (size_t)snprintf(sofar + used, sizeof sofar - used, "/%s", comp);
		last = end[strspn(end, "/")] == '\0';
		sub = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = sub;
		r = sub < 0 ? -errno : check(sub, !last);
		if (r == 0 && last)
			return fd;
		p = end;
	}
	snprintf(why, len, "%s: %s", sofar[0] ? sofar : "/", reason(r));
	if (fd >= 0)
		close(fd);
	return r;
}

int cz_twin_exec(const char *twin, char **argv)
{
	extern char **environ;
	const char *name = argv && argv[0] ? argv[0] : "containerize-shell";
	const char *base = strrchr(name, '/');
	char why[PATH_MAX + 128];
	int fd = open_trusted(twin, why, sizeof why);

	base = base ? base + 1 : name;
	if (*base == '-')
		base++;		/* a login shell's argv[0] */
	if (fd >= 0) {
		/* By path, not by the descriptor: execveat would name the
		 * process after the descriptor ("3" in ps).  The path cannot
		 * change meanwhile: only root can write anywhere along it. */
		close(fd);
		execve(twin, argv, environ);
		snprintf(why, sizeof why, "%s", strerror(errno));
	}
	fprintf(stderr, "%s: cannot run %s: %s\n", base, twin, why);
	return CZ_EXIT_FAIL;
}
