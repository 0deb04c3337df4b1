/* state.c — the state file of one live container.
 *
 * One "key=value" per line, "complete=" on the second.  A state with
 * complete=0 belongs to a setup that has not finished: whoever holds the
 * lock and reads it knows that setup died.
 *
 * The setup writes it in place (cz_state_create) and flips that one byte
 * when the namespaces are pinned (cz_state_complete): a rename costs as
 * much as the rest of the file work together.  Under the lock no session
 * reads it meanwhile; `--list` reads without the lock and skips a state
 * that is empty, unreadable or incomplete.  A later rewrite
 * (cz_state_write) goes to a temporary file and is renamed, so a reader
 * sees the old or the new state, never half of one.  The teardown's
 * progress is not in the state: its hooks' marker files (teardown.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int cz_boot_id(char *buf, size_t len)
{
	int r = cz_read_small_file(AT_FDCWD, "/proc/sys/kernel/random/boot_id", buf, len);

	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int cz_same_boot(const struct cz_state *st)
{
	char boot[64];
	int r;

	if (!st->boot_id[0])
		return 1;	/* recorded on a tmpfs, which a reboot empties */
	/* Not knowing (EMFILE, ...) is not "another boot": that would tear
	 * a live instance down without its `stop`. */
	r = cz_boot_id(boot, sizeof boot);
	if (r < 0)
		return r;
	return strcmp(boot, st->boot_id) == 0;
}

/* Characters of a unit name (unit_name_is_valid). */
#define UNIT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\"

#define STATE_HEAD "version=1\ncomplete="	/* then the byte cz_state_complete flips */
/* Longer than any state we write. */
#define STATE_MAX (2 * CZ_PATH_MAX + 800 + CZ_UPPER_MAX)

int cz_state_format(const struct cz_state *st, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 STATE_HEAD "%d\npid=%d\nboot_id=%s\nstarted=%lld\n"
			 "nsflags=%d\npropagation=%s\ntree=%s\ncgroup=%s\nunit=%s\ntreemnt=%llu\nteardown=%d\n%s%s%s%s%s%s",
			 st->complete ? 1 : 0, (int)st->pid, st->boot_id, st->started,
			 st->nsflags, cz_propagation_name(st->prop), st->tree, st->cgroup, st->unit,
			 (unsigned long long)st->treemnt, st->teardown, st->base[0] ? "base=" : "", st->base,
			 st->base[0] ? "\n" : "", st->upper[0] ? "upper=" : "", st->upper, st->upper[0] ? "\n" : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

static int parse_long(const char *v, long long min, long long max, long long *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static int set_field(struct cz_state *st, const char *k, const char *v, unsigned *seen)
{
	long long x;

	if (strcmp(k, "version") == 0)
		return strcmp(v, "1") == 0 ? 0 : -EINVAL;
	if (strcmp(k, "complete") == 0) {
		if (parse_long(v, 0, 1, &x) < 0)
			return -EINVAL;
		st->complete = x;
		*seen |= 1;
	} else if (strcmp(k, "pid") == 0) {
		if (parse_long(v, 1, 0x7fffffff, &x) < 0)
			return -EINVAL;
		st->pid = (pid_t)x;
		*seen |= 2;
	} else if (strcmp(k, "boot_id") == 0) {
		if (strlen(v) >= sizeof st->boot_id)
			return -EINVAL;
		strcpy(st->boot_id, v);
		*seen |= 4;
	} else if (strcmp(k, "started") == 0) {
		if (parse_long(v, 0, (long long)1 << 62, &st->started) < 0)
			return -EINVAL;
	} else if (strcmp(k, "nsflags") == 0) {
		if (parse_long(v, 0, 0x7fffffff, &x) < 0)
			return -EINVAL;
		st->nsflags = (int)x;
	} else if (strcmp(k, "propagation") == 0) {
		struct cz_error e;
		if (cz_parse_propagation(v, &st->prop, &e) < 0)
			return -EINVAL;
	} else if (strcmp(k, "tree") == 0) {
		if (strlen(v) >= sizeof st->tree || v[0] != '/')
			return -EINVAL;
		strcpy(st->tree, v);
		*seen |= 8;
	} else if (strcmp(k, "treemnt") == 0) {
		if (parse_long(v, 0, 0x7fffffffffffffffLL, &x) < 0)
			return -EINVAL;
		st->treemnt = (uint64_t)x;
	} else if (strcmp(k, "teardown") == 0) {
		if (parse_long(v, 0, 2, &x) < 0)
			return -EINVAL;
		st->teardown = (int)x;
	} else if (strcmp(k, "base") == 0) {
		/* A throwaway instance's base: its tree is an overlay of it. */
		if (v[0] && !cz_name_valid(v))
			return -EINVAL;
		strcpy(st->base, v);
	} else if (strcmp(k, "upper") == 0) {
		/* Removed, with all in it, at teardown: an absolute path, no
		 * . or .. (overlay.c opens it without following symlinks). */
		struct cz_error e;
		char dir[CZ_UPPER_MAX];
		if (strlen(v) >= sizeof st->upper || (v[0] && cz_parse_dir(v, dir, sizeof dir, &e) < 0))
			return -EINVAL;
		strcpy(st->upper, v);
	} else if (strcmp(k, "cgroup") == 0) {
		if (strlen(v) >= sizeof st->cgroup || (v[0] && v[0] != '/'))
			return -EINVAL;
		strcpy(st->cgroup, v);
	} else if (strcmp(k, "unit") == 0) {
		/* Handed to systemd to stop: only what cz_scope_name makes. */
		if (strlen(v) >= sizeof st->unit || strspn(v, UNIT_CHARS) != strlen(v) ||
		    (v[0] && (strncmp(v, "containerize-", 13) != 0 || !strstr(v, ".scope"))))
			return -EINVAL;
		strcpy(st->unit, v);
	}
	/* Unknown keys are kept for later versions: ignored. */
	return 0;
}

int cz_state_parse(const char *text, struct cz_state *st, struct cz_error *err)
{
	unsigned seen = 0;
	char line[CZ_PATH_MAX + 32];

	memset(st, 0, sizeof *st);
	while (*text) {
		size_t n = strcspn(text, "\n");
		char *eq;

		if (n >= sizeof line)
			return cz_fail(err, EINVAL, "state: line too long");
		memcpy(line, text, n);
		line[n] = '\0';
		text += n + (text[n] == '\n');
		if (!line[0])
			continue;
		eq = strchr(line, '=');
		if (!eq)
			return cz_fail(err, EINVAL, "state: malformed line");
		*eq = '\0';
		if (set_field(st, line, eq + 1, &seen) < 0)
			return cz_fail(err, EINVAL, "state: bad value for '%s'", line);
	}
	if (seen != 15)
		return cz_fail(err, EINVAL, "state: missing fields");
	return 0;
}

int cz_state_read(int dirfd, struct cz_state *st, struct cz_error *err)
{
	char buf[STATE_MAX];
	int r = cz_read_small_file(dirfd, "state", buf, sizeof buf);

	if (r == -ENOENT) {
		memset(st, 0, sizeof *st);
		return -ENOENT;
	}
	/* Larger than any state we write, or not a regular file (a symbolic
	 * link: ELOOP): what is there is not a state, whatever made it.  Any
	 * other failure to read says nothing about the state (EMFILE, ENOMEM,
	 * EIO, EINTR: an error of the moment) and is passed on as it is. */
	if (r == -EFBIG || r == -EINVAL || r == -ELOOP) {
		memset(st, 0, sizeof *st);
		return cz_fail(err, EINVAL, "state: %s", r == -EFBIG ? "too large" : "not a regular file");
	}
	if (r < 0)
		return cz_fail(err, -r, "state: %s", strerror(-r));
	return cz_state_parse(buf, st, err);
}

/* Write the state to NAME (created or truncated); its descriptor, or
 * -errno with err set (and NAME removed). */
static int write_state(const struct cz_lock *lk, const char *name, const struct cz_state *st,
		       struct cz_error *err)
{
	char buf[STATE_MAX];
	int n = cz_state_format(st, buf, sizeof buf), fd;
	ssize_t w;

	if (n < 0)
		return cz_fail(err, -n, "state: too long");
	fd = openat(lk->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cz_fail(err, errno, "%s/state: %m", lk->dir);
	w = cz_write_all(fd, buf, (size_t)n);
	if (w < 0) {
		close(fd);
		unlinkat(lk->dirfd, name, 0);
		return cz_fail(err, (int)-w, "%s/state: %s", lk->dir, strerror((int)-w));
	}
	return fd;
}

int cz_state_create(const struct cz_lock *lk, const struct cz_state *st, struct cz_error *err)
{
	/* A crash between open and write leaves an empty state, which the
	 * next run discards: nothing of the setup exists yet.  One write of a
	 * few hundred bytes is not torn by a signal. */
	return write_state(lk, "state", st, err);
}

int cz_state_rewrite(int fd, const struct cz_lock *lk, const struct cz_state *st, struct cz_error *err)
{
	char buf[STATE_MAX];
	int n = cz_state_format(st, buf, sizeof buf);
	ssize_t w;

	if (n < 0)
		return cz_fail(err, -n, "state: too long");
	/* Longer than what it replaces (it only fills in fields), so a
	 * crash between the two calls leaves the whole new text. */
	w = pwrite(fd, buf, (size_t)n, 0);
	if (w != n || ftruncate(fd, n) < 0)
		return cz_fail(err, w < 0 ? errno : EIO, "%s/state: %s", lk->dir, w < 0 ? strerror(errno) : "short write");
	return 0;
}

int cz_state_complete(int fd, const struct cz_lock *lk, struct cz_error *err)
{
	ssize_t w = pwrite(fd, "1", 1, sizeof STATE_HEAD - 1);

	if (w != 1)
		return cz_fail(err, w < 0 ? errno : EIO, "%s/state: %s", lk->dir, w < 0 ? strerror(errno) : "short write");
	return 0;
}

int cz_state_write(const struct cz_lock *lk, const struct cz_state *st, struct cz_error *err)
{
	int fd = write_state(lk, "state.new", st, err), e;

	if (fd < 0)
		return fd;
	if (close(fd) == 0 && renameat(lk->dirfd, "state.new", lk->dirfd, "state") == 0)
		return 0;
	e = errno;
	unlinkat(lk->dirfd, "state.new", 0);
	return cz_fail(err, e, "%s/state: %s", lk->dir, strerror(e));
}
