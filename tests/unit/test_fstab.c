/* The group fstab's parser (cz_fstab_parse): libmount reads the lines, we
 * check every option and keep the entries with their line numbers. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../../common/internal.h"
#include "tap.h"

static struct cz_error e;

/* Parse text as an fstab; 0 or -errno, *t the result. */
static int parse(const char *text, struct cz_fstab **t)
{
	int fd = memfd_create("fstab", MFD_CLOEXEC), r;

	memset(&e, 0, sizeof e);
	*t = NULL;
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -EIO;
	r = cz_fstab_parse(fd, "FSTAB", t, &e);
	close(fd);
	return r;
}

/* The entry's option list as "a,b=c" */
static const char *opts(const struct cz_fstab_entry *en)
{
	static char buf[512];
	const char *o;

	buf[0] = '\0';
	for (o = en->fsopts; *o; o += strlen(o) + 1)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? "," : "", o);
	return buf;
}

/* A refusal whose message has the line number and the needle. */
static void refused(const char *text, const char *needle, const char *what)
{
	struct cz_fstab *t;
	int r = parse(text, &t);

	ok(r < 0 && t == NULL && strstr(e.msg, needle), "%s: %s", what, e.msg);
	cz_fstab_free(t);
}

int main(void)
{
	struct cz_fstab *t;
	const struct cz_fstab_entry *en;

	ok(!libmount_loaded(), "libmount is not loaded before the first parse (not linked)");
	ok(parse("", &t) == 0 && t && t->n == 0, "empty file: no entries");
	ok(!libmount_loaded(), "libmount is unloaded after the parse");
	cz_fstab_free(t);
	ok(parse("# only\n\n   \n\t# comments\n", &t) == 0 && t && t->n == 0, "comments and blank lines only");
	cz_fstab_free(t);

	ok(parse("# the usual binds\n"
		 "\n"
		 "/usr/src\t/usr/src   none\trw,bind\t0 0\n"
		 "  # indented comment\n"
		 "tmpfs /srv/with\\040space tmpfs size=10m,mode=0755,x-mount.mkdir=0700,nosuid,nodev 0 2\n"
		 "/var/cache/apt/archives /var/cache/apt/archives none rbind,ro,noexec,comment=x,x-systemd.foo\n"
		 "proc /mnt/proc proc defaults\r\n"
		 "tmpfs /t tmpfs ro,noatime,sync,x-mount.mkdir", &t) == 0 && t && t->n == 5,
	   "5 entries among comments, blank lines, tabs and spaces: %s", e.msg);
	if (!t || t->n != 5)
		return done_testing();
	en = &t->e[0];
	ok(en->line == 3 && en->kind == CZ_FSTAB_BIND && strcmp(en->source, "/usr/src") == 0 &&
	   strcmp(en->target, "/usr/src") == 0 && strcmp(en->fstype, "none") == 0, "line 3: a bind");
	ok(en->attr_clr == MOUNT_ATTR_RDONLY && en->attr_set == 0 && en->mkdir_mode == -1, "rw clears read-only");
	en = &t->e[1];
	ok(en->line == 5 && en->kind == CZ_FSTAB_NEW, "line 5: a new file system");
	is_str(en->target, "/srv/with space", "\\040 is a space");
	is_str(opts(en), "size=10m,mode=0755", "fs options kept for fsconfig, x- options not");
	ok(en->mkdir_mode == 0700, "x-mount.mkdir=0700");
	ok(en->attr_set == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV), "nosuid,nodev as mount attributes");
	en = &t->e[2];
	ok(en->line == 6 && en->kind == CZ_FSTAB_RBIND, "line 6: rbind");
	ok(en->attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC), "ro,noexec; comment= and x-* ignored");
	en = &t->e[3];
	ok(en->line == 7 && strcmp(en->fstype, "proc") == 0 && opts(en)[0] == '\0', "line 7: defaults is nothing, CRLF ok");
	en = &t->e[4];
	ok(en->line == 8 && en->mkdir_mode == 0755, "last line without newline; x-mount.mkdir defaults to 0755");
	is_str(opts(en), "sync,ro", "superblock flags for a new file system (ro too)");
	ok(en->attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME) && (en->attr_clr & MOUNT_ATTR__ATIME),
	   "ro,noatime as attributes");
	cz_fstab_free(t);

	ok(parse("/a /b none bind,rw,ro,nosuid,suid,strictatime\n", &t) == 0 && t &&
	   t->e[0].attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_STRICTATIME) &&
	   t->e[0].attr_clr == (MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME), "the last of two opposite options wins");
	cz_fstab_free(t);
	ok(parse("/a /b none bind,rbind\n", &t) == 0 && t && t->e[0].kind == CZ_FSTAB_RBIND, "rbind wins over bind");
	cz_fstab_free(t);
	ok(parse("tmpfs /b tmpfs context=\"a,b\",size=1m\n", &t) == 0 && t &&
	   strcmp(opts(&t->e[0]), "context=\"a,b\",size=1m") == 0, "a quoted value with a comma is one option");
	cz_fstab_free(t);

	/* Malformed lines: an error with the line, never skipped. */
	refused("tmpfs /a tmpfs\n\nonly-two fields\ntmpfs /b tmpfs\n", "FSTAB:3: malformed line", "two fields");
	refused("tmpfs /a tmpfs\nlonely", "FSTAB:2: malformed line", "a malformed last line (no newline)");
	refused("# x\ntmpfs /a tmpfs defaults x 0\n", "FSTAB:2: malformed line", "dump not a number");
	refused("tmpfs /a tmpfs defaults 0 y\n", "FSTAB:1: malformed line", "pass not a number");
	refused("tmpfs /a tmpfs defaults 0 0 extra\n", "FSTAB:1: more than 6 fields", "a seventh field");
	refused("tmpfs /a tmpfs\r\n\r# not a comment for libmount\n", "FSTAB:2: malformed line",
		"a CR before the # is not a blank: malformed, as libmount reads it");
	refused("tmpfs /a tmpfs\n\ntmpfs /b tmpfs 0 0 0\v0\n", "FSTAB:3: more than 6 fields",
		"fields are separated by any white space");
	{
		int fd = memfd_create("fstab", MFD_CLOEXEC);
		static const char nul[] = "tmpfs /a tmpfs\n/x\0/y none bind\n";
		memset(&e, 0, sizeof e);
		ok(fd >= 0 && write(fd, nul, sizeof nul - 1) == (ssize_t)(sizeof nul - 1) &&
		   cz_fstab_parse(fd, "FSTAB", &t, &e) == -EINVAL && strstr(e.msg, "NUL"), "a NUL byte: %s", e.msg);
		close(fd);
	}

	/* Options: unknown or refused ones are named. */
	refused("tmpfs /a tmpfs defaults\n/a /b none bind,nofail\n", "FSTAB:2: unsupported option 'nofail'", "nofail");
	refused("/a /b none bind,noauto\n", "unsupported option 'noauto'", "noauto");
	refused("/a /b none bind,user\n", "unsupported option 'user'", "user");
	refused("/a /b none bind,remount\n", "unsupported option 'remount'", "remount");
	refused("/a /b none bind,private\n", "unsupported option 'private'", "propagation flags");
	refused("/a /b none bind,size=1m\n", "option 'size' does not apply to a bind mount", "fs option on a bind");
	refused("/a /b none bind,bogus\n", "option 'bogus' does not apply to a bind mount", "unknown option on a bind");
	refused("/a /b none bind,sync\n", "option 'sync' does not apply to a bind mount", "sync on a bind");
	refused("a /b none bind\n", "bind source 'a' is not an absolute path", "relative bind source");
	refused("LABEL=x /b ext4 defaults\n", "tags are not supported", "LABEL=");
	refused("/dev/sda2 none swap sw\n", "swap is not a mount", "swap");
	refused("tmpfs /a tmpfs x-mount.mkdir=9\n", "invalid mode '9'", "mkdir mode not octal");
	refused("tmpfs /a tmpfs x-mount.mkdir=17777\n", "invalid mode", "mkdir mode too big");
	refused("tmpfs /a tmpfs nosuid=1\n", "option 'nosuid' takes no value", "a flag with a value");
	refused("/a /b none bind,ro=0\n", "option 'ro' takes no value", "ro=0 on a bind");
	ok(!libmount_loaded(), "libmount is unloaded after failed parses too");
	return done_testing();
}
