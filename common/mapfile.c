/* mapfile.c — /etc/containerize.conf: who lands in which container.
 *
 *   WHO GROUP CONTAINER [SHELL]      # WHO: user, @unixgroup or *
 *
 * CONTAINER may contain %u (the user name).  The first rule matching the
 * user is where their login shell and PAM sessions land; a non-root user
 * may enter exactly the containers that some rule matching them names.
 * The file is trusted only if root owns it and others cannot write it;
 * otherwise it is ignored as a whole (and the caller logs why). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Split one line into at most 5 words; returns the count (5 = too many). */
static int split(char *line, char *w[5])
{
	int n = 0;
	char *p = line, *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	while (n < 5) {
		p += strspn(p, " \t\r");
		if (!*p)
			break;
		w[n++] = p;
		p += strcspn(p, " \t\r");
		if (*p)
			*p++ = '\0';
	}
	return n;
}

int cz_map_parse_line(const char *text, struct cz_rule *r, struct cz_error *err)
{
	char line[1024], *w[5];
	/* Up to the comment: a comment may be as long as it likes, a rule
	 * cannot be (its fields have their own limits, well below this). */
	size_t len = strcspn(text, "#\n");
	int n;

	if (len >= sizeof line)
		return cz_fail(err, EINVAL, "line too long (a rule is at most %zu bytes)", sizeof line - 1);
	memcpy(line, text, len);
	line[len] = '\0';
	n = split(line, w);
	if (n == 0)
		return 1;
	if (n < 3 || n > 4)
		return cz_fail(err, EINVAL, "%s%d field%s (expected WHO GROUP CONTAINER [SHELL])",
			       n > 4 ? "more than " : "", n > 4 ? 4 : n, n == 1 ? "" : "s");
	if (strlen(w[0]) >= sizeof r->who || (w[0][0] == '@' && !w[0][1]))
		return cz_fail(err, EINVAL, "bad WHO");
	if (!cz_name_valid(w[1]))
		return cz_fail(err, EINVAL, "bad GROUP");
	/* %u stands for a name: check the rest with a stand-in. */
	if (strlen(w[2]) >= sizeof r->container)
		return cz_fail(err, EINVAL, "bad CONTAINER");
	{
		char probe[sizeof r->container * 2], *o = probe;
		const char *s;
		for (s = w[2]; *s; s++) {
			if (s[0] == '%' && s[1] == 'u') {
				*o++ = 'u';
				s++;
			} else {
				*o++ = *s;
			}
		}
		*o = '\0';
		if (!cz_name_valid(probe) || strchr(probe, '%'))
			return cz_fail(err, EINVAL, "bad CONTAINER");
	}
	if (n == 4 && (w[3][0] != '/' || strlen(w[3]) >= sizeof r->shell))
		return cz_fail(err, EINVAL, "SHELL must be an absolute path");
	snprintf(r->who, sizeof r->who, "%s", w[0]);
	snprintf(r->group, sizeof r->group, "%s", w[1]);
	snprintf(r->container, sizeof r->container, "%s", w[2]);
	snprintf(r->shell, sizeof r->shell, "%s", n == 4 ? w[3] : "");
	return 0;
}

bool cz_expand_user(const char *pattern, const char *user, char *out, size_t len)
{
	size_t o = 0;

	for (; *pattern; pattern++) {
		const char *add = pattern;
		size_t n = 1;
		if (pattern[0] == '%' && pattern[1] == 'u') {
			add = user;
			n = strlen(user);
			pattern++;
		}
		if (o + n >= len)
			return false;
		memcpy(out + o, add, n);
		o += n;
	}
	out[o] = '\0';
	return cz_name_valid(out);
}

bool cz_map_matches(const struct cz_rule *r, const struct cz_who *who)
{
	if (strcmp(r->who, "*") == 0)
		return true;
	if (r->who[0] == '@') {
		struct group *gr = getgrnam(r->who + 1);
		int i;
		if (!gr)
			return false;
		for (i = 0; i < who->ngroups; i++)
			if (who->groups[i] == gr->gr_gid)
				return true;
		return false;
	}
	return strcmp(r->who, who->user) == 0;
}

/* The next line, whole (getline: no length at which a line is split and
 * its tail read as a line of its own).  1, 0 at the end, or -errno (a NUL
 * byte in the line, which would hide the rest of it from the parser, is
 * -EINVAL with its message in err). */
static int next_line(FILE *f, char **line, size_t *size, struct cz_error *err)
{
	ssize_t n;

	errno = 0;
	n = getline(line, size, f);
	if (n < 0)
		return errno ? cz_fail(err, errno, "%m") : 0;
	if (strlen(*line) != (size_t)n)
		return cz_fail(err, EINVAL, "NUL byte in the line");
	return 1;
}

/* Walk the rules matching who; fn returns nonzero to stop. */
static int map_walk(const char *conf, const struct cz_who *who,
		    int (*fn)(const struct cz_rule *r, void *data), void *data,
		    struct cz_error *err)
{
	struct stat sb;
	char *line = NULL;
	size_t size = 0;
	struct cz_rule r;
	struct cz_error e = { 0 };
	FILE *f;
	int fd, lineno = 0, ret = 0, got;

	fd = open(conf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : cz_fail(err, errno, "%s: %m", conf);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return cz_fail(err, EINVAL, "%s: not a regular file", conf);
	}
	if (sb.st_uid != 0 || (sb.st_mode & S_IWOTH) || ((sb.st_mode & S_IWGRP) && sb.st_gid != 0)) {
		close(fd);
		return cz_fail(err, EPERM, "%s is ignored: not owned by root or writable by others", conf);
	}
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return cz_fail(err, errno, "%s: %m", conf);
	}
	/* A malformed line anywhere makes the whole file unusable: a typo
	 * must not silently change who lands where. */
	while ((got = next_line(f, &line, &size, &e)) > 0) {
		lineno++;
		if (cz_map_parse_line(line, &r, &e) < 0)
			break;
	}
	if (got != 0) {
		ret = cz_fail(err, got < 0 ? -got : EINVAL, "%s:%d: %s", conf, lineno + (got < 0), e.msg);
		free(line);
		fclose(f);
		return ret;
	}
	rewind(f);
	lineno = 0;
	while (ret == 0 && (got = next_line(f, &line, &size, &e)) > 0) {
		int p;
		lineno++;
		p = cz_map_parse_line(line, &r, &e);
		if (p == 0 && cz_map_matches(&r, who)) {
			char name[sizeof r.container];
			if (!cz_expand_user(r.container, who->user, name, sizeof name))
				continue;	/* %u gave no valid name for this user */
			snprintf(r.container, sizeof r.container, "%s", name);
			r.line = lineno;
			ret = fn(&r, data);
		}
	}
	if (ret == 0 && got < 0)
		ret = cz_fail(err, -got, "%s:%d: %s", conf, lineno + 1, e.msg);
	free(line);
	fclose(f);
	return ret < 0 ? ret : ret > 0;
}

static int take_first(const struct cz_rule *r, void *data)
{
	*(struct cz_rule *)data = *r;
	return 1;
}

int cz_map_lookup(const char *conf, const struct cz_who *who, struct cz_rule *out,
		  struct cz_error *err)
{
	return map_walk(conf, who, take_first, out, err);
}

struct allow_query {
	const char *group, *container;
	struct cz_rule *rule;
};

static int take_if_names(const struct cz_rule *r, void *data)
{
	struct allow_query *q = data;

	if (strcmp(r->group, q->group) || strcmp(r->container, q->container))
		return 0;
	*q->rule = *r;
	return 1;
}

int cz_map_allows(const char *conf, const struct cz_who *who, const char *group,
		  const char *container, struct cz_rule *out, struct cz_error *err)
{
	struct allow_query q = { group, container, out };

	return map_walk(conf, who, take_if_names, &q, err);
}
