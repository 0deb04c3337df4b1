/* The mount table walk (libmount, loaded on first use), against the
 * kernel's own /proc/self/mountinfo: every mount once, paths with the
 * characters the kernel escapes (space, tab, newline, backslash), and each
 * propagation; libmount is not loaded before the walk nor left loaded
 * after it.  Runs in a mount namespace of its own; without the privilege
 * for one it skips. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/internal.h"
#include "tap.h"

struct want {
	char target[PATH_MAX];
	int seen;
	unsigned long propagation;
	char fstype[32], root[PATH_MAX];
};

static int look(const struct cz_mount *m, void *data)
{
	struct want *w = data;

	if (strcmp(m->target, w->target) != 0)
		return 0;
	w->seen++;
	w->propagation = m->propagation;
	snprintf(w->fstype, sizeof w->fstype, "%s", m->fstype);
	snprintf(w->root, sizeof w->root, "%s", m->root);
	return 0;
}

static int stop_at_first(const struct cz_mount *m, void *data)
{
	(void)m;
	++*(int *)data;
	return -EXDEV;
}

static int count(const struct cz_mount *m, void *data)
{
	(void)m;
	++*(int *)data;
	return 0;
}

/* Lines of the kernel's table: one per mount. */
static int kernel_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int c, n = 0;

	while (f && (c = getc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

static void find(struct want *w, const char *target)
{
	snprintf(w->target, sizeof w->target, "%s", target);
	w->seen = 0;
	w->propagation = 0;
	w->fstype[0] = w->root[0] = '\0';
	ok(cz_mountinfo_walk(look, w) == 0, "walk the table");
}

int main(void)
{
	static const char *const names[] = { "with space", "with\ttab", "with\nnewline", "back\\slash",
					      "\\040 not an escape" };
	char dir[] = "/tmp/cz-unit-mi-XXXXXX", path[PATH_MAX], sub[PATH_MAX];
	struct want w;
	size_t i;
	int calls = 0, n = 0;

	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("1..0 # SKIP no mount namespace here (%s)\n", strerror(errno));
		return 0;
	}
	if (!mkdtemp(dir) || mount("cz-unit", dir, "tmpfs", 0, "size=1m") < 0) {
		ok(0, "scratch tmpfs on %s: %s", dir, strerror(errno));
		return done_testing();
	}
	ok(!libmount_loaded(), "libmount is not loaded before the first walk (not linked)");
	ok(cz_mountinfo_walk(count, &n) == 0, "walk the whole table");
	ok(n == kernel_mounts() && n > 0, "every mount of the kernel's table once (%d)", n);
	ok(!libmount_loaded(), "libmount is unloaded after the walk");

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		ok(mkdir(path, 0755) == 0 && mount("cz-unit", path, "tmpfs", 0, "size=1m") == 0,
		   "mount on a path with an escaped character (%zu)", i);
		find(&w, path);
		ok(w.seen == 1, "found once, unescaped (%zu)", i);
		is_str(w.fstype, "tmpfs", "its type (%zu)", i);
		is_str(w.root, "/", "its root (%zu)", i);
	}

	/* A bind of a subdirectory: root is the subdirectory, escaped too. */
	snprintf(sub, sizeof sub, "%s/with space/in side", dir);
	snprintf(path, sizeof path, "%s/bound", dir);
	ok(mkdir(sub, 0755) == 0 && mkdir(path, 0755) == 0 && mount(sub, path, "none", MS_BIND, NULL) == 0,
	   "bind a subdirectory");
	find(&w, path);
	is_str(w.root, "/in side", "a bind's root is the subdirectory, unescaped");

	/* Propagation: private, shared, and a slave of a shared one. */
	snprintf(path, sizeof path, "%s/with space", dir);
	find(&w, path);
	ok(w.propagation == MS_PRIVATE, "private mount: MS_PRIVATE");
	ok(mount("none", path, "none", MS_SHARED, NULL) == 0, "make it shared");
	find(&w, path);
	ok(w.propagation & MS_SHARED, "shared mount: MS_SHARED");
	snprintf(sub, sizeof sub, "%s/back\\slash", dir);
	ok(mount(path, sub, "none", MS_BIND, NULL) == 0 && mount("none", sub, "none", MS_SLAVE, NULL) == 0,
	   "a slave bind of the shared mount");
	find(&w, sub);
	ok((w.propagation & MS_SLAVE) && !(w.propagation & MS_SHARED), "slave mount: MS_SLAVE");
	ok(mount("none", sub, "none", MS_UNBINDABLE, NULL) == 0, "make it unbindable");
	find(&w, sub);
	ok(w.propagation & MS_UNBINDABLE, "unbindable mount: MS_UNBINDABLE");

	ok(cz_mountinfo_walk(stop_at_first, &calls) == -EXDEV && calls == 1,
	   "a callback's error stops the walk and is returned");

	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return done_testing();
}
