/* util.c — small I/O helpers shared by the library. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

ssize_t cz_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t cz_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Read a small regular file below dirfd without following a symlink; the
 * text is NUL-terminated.  Returns its length or -errno (-EFBIG if it does
 * not fit). */
int cz_read_small_file(int dirfd, const char *name, char *buf, size_t len)
{
	struct stat sb;
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	n = cz_read_all(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return (int)n;
	if ((size_t)n == len - 1)
		return -EFBIG;
	buf[n] = '\0';
	return (int)n;
}

int cz_write_file(const char *path, const char *text)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	n = cz_write_all(fd, text, strlen(text));
	if (close(fd) < 0 && n >= 0)
		n = -errno;
	return n < 0 ? (int)n : 0;
}

int cz_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .resolve = resolve };

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* The sshd StrictModes rule: owned by root, not writable by group or
 * others.  Returns 0 if trusted, else -EPERM (not root's) or -EACCES. */
int cz_check_trusted(const struct stat *sb)
{
	if (sb->st_uid != 0)
		return -EPERM;
	if (sb->st_mode & (S_IWGRP | S_IWOTH))
		return -EACCES;
	return 0;
}

void cz_printable(const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (!in)
		in = "";
	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (*in && o + 4 < len)
		o += (size_t)snprintf(out + o, len - o, "...");
	out[o] = '\0';
}

/* By our effective ids: faccessat() without AT_EACCESS checks with the
 * real ones, which a PAM caller such as su run by a user does not have. */
bool cz_exists(int dirfd, const char *name)
{
	struct stat sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

int cz_dir_each(int dirfd, int (*fn)(const char *name, void *data), void *data)
{
	union {
		char bytes[2048];
		uint64_t align;
	} buf;
	ssize_t n;
	int r = 0;

	/* getdents64 rather than readdir: no DIR (a malloc) and no second
	 * descriptor for a directory we hold open already. */
	while (r == 0 && (n = getdents64(dirfd, buf.bytes, sizeof buf.bytes)) > 0) {
		for (ssize_t at = 0; r == 0 && at < n;) {
			const struct dirent64 *d = (const void *)(buf.bytes + at);
			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
				r = fn(d->d_name, data);
			at += d->d_reclen;
		}
	}
	if (r == 0 && n < 0)
		r = -errno;
	return r;
}

long long cz_now(void)
{
	struct timespec ts = { 0 };

	syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec;
}
