/* mountinfo.c — walk /proc/self/mountinfo.
 *
 * Read only when a table is needed: shared propagation, or a cgroup2
 * mount in an unusual place (the common path finds the cgroup2 mount by
 * statfs and the run dir by statx).  The format is proc(5)'s:
 *
 *   36 35 98:0 /root /target rw,noatime shared:1 master:2 - ext4 /dev/sda1 rw
 *
 * id, parent, dev, root, target, options, optional fields up to "-", then
 * type, source, super options.  The kernel escapes space, tab, newline and
 * backslash in paths as \ooo.  Parsed here rather than with libmount: the
 * static front end (musl) cannot load glibc's libmount, and linking it
 * into the dynamic builds costs 0.7 ms of every start (libblkid, libselinux,
 * libpcre2) for a table the common path never reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "internal.h"

/* Undo the kernel's \ooo escapes in place. */
static char *unescape(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return s;
}

/* Splits LINE into M; 0, or -EINVAL for a line not in the format. */
static int parse_line(char *line, struct cz_mount *m)
{
	char *field[6], *tag, *type, *save = NULL;
	int i;

	line[strcspn(line, "\n")] = '\0';
	for (i = 0; i < 6; i++)	/* id parent dev root target options */
		if (!(field[i] = strtok_r(i ? NULL : line, " ", &save)))
			return -EINVAL;
	m->root = unescape(field[3]);
	m->target = unescape(field[4]);
	m->propagation = 0;
	while ((tag = strtok_r(NULL, " ", &save)) && strcmp(tag, "-") != 0) {
		if (strncmp(tag, "shared:", 7) == 0)
			m->propagation |= MS_SHARED;
		else if (strncmp(tag, "master:", 7) == 0)
			m->propagation |= MS_SLAVE;
		else if (strcmp(tag, "unbindable") == 0)
			m->propagation |= MS_UNBINDABLE;
	}
	if (!(m->propagation & (MS_SHARED | MS_SLAVE)))
		m->propagation |= MS_PRIVATE;
	if (!tag || !(type = strtok_r(NULL, " ", &save)))
		return -EINVAL;
	m->fstype = unescape(type);
	return 0;
}

int cz_mountinfo_walk(int (*fn)(const struct cz_mount *m, void *data), void *data)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f)
		return -errno;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		struct cz_mount m;

		if (parse_line(line, &m) == 0)
			r = fn(&m, data);
	}
	free(line);
	fclose(f);
	return r < 0 ? r : 0;
}
