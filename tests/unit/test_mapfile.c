/* The map file (SPEC 7): parsing, matching, %u, first match, trust. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/internal.h"
#include "tap.h"

static char path[] = "/tmp/cz-unit-map-XXXXXX";

static void write_map(const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		abort();
	if (chmod(path, mode) < 0)
		abort();
}

int main(void)
{
	struct cz_rule r;
	struct cz_error e;
	gid_t alice_groups[] = { 1000, 0 };	/* member of root's group (gid 0) */
	gid_t bob_groups[] = { 1001 };
	struct cz_who alice = { "alice", alice_groups, 2 }, bob = { "bob", bob_groups, 1 };
	char out[128];
	int fd;

	ok(cz_map_parse_line("alice debian bookworm /bin/bash\n", &r, &e) == 0 &&
	   strcmp(r.who, "alice") == 0 && strcmp(r.group, "debian") == 0 &&
	   strcmp(r.container, "bookworm") == 0 && strcmp(r.shell, "/bin/bash") == 0, "full rule");
	ok(cz_map_parse_line("*\tdebian\tsid", &r, &e) == 0 && r.shell[0] == '\0', "tabs, no shell");
	ok(cz_map_parse_line("   # comment", &r, &e) == 1, "comment line");
	ok(cz_map_parse_line("", &r, &e) == 1, "empty line");
	ok(cz_map_parse_line("@builders debian %u # trailing comment", &r, &e) == 0 &&
	   strcmp(r.container, "%u") == 0, "%%u and trailing comment");
	ok(cz_map_parse_line("alice debian", &r, &e) < 0, "too few fields");
	ok(cz_map_parse_line("alice debian a b c", &r, &e) < 0, "too many fields");
	ok(cz_map_parse_line("alice ../x c", &r, &e) < 0, "bad group");
	ok(cz_map_parse_line("alice g ../c", &r, &e) < 0, "bad container");
	ok(cz_map_parse_line("alice g c%x", &r, &e) < 0, "stray %%");
	ok(cz_map_parse_line("alice g c bash", &r, &e) < 0, "relative shell");
	ok(cz_map_parse_line("@ g c", &r, &e) < 0, "empty @group");

	ok(cz_expand_user("build-%u", "alice", out, sizeof out) && strcmp(out, "build-alice") == 0, "%%u expanded");
	ok(!cz_expand_user("%u", "a/b", out, sizeof out), "expansion must give a valid name");
	ok(!cz_expand_user("%u%u%u", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out, sizeof out), "expansion too long");

	ok(cz_map_parse_line("@root g c", &r, &e) == 0 && cz_map_matches(&r, &alice) && !cz_map_matches(&r, &bob),
	   "@group matches members only");
	ok(cz_map_parse_line("* g c", &r, &e) == 0 && cz_map_matches(&r, &bob), "* matches everyone");
	ok(cz_map_parse_line("alice g c", &r, &e) == 0 && !cz_map_matches(&r, &bob), "user matches only that user");

	fd = mkstemp(path);
	ok(fd >= 0, "temp map file");
	close(fd);
	write_map("# map\nbob g other\nalice g first /bin/zsh\n* g %u\n", 0644);
	ok(cz_map_lookup(path, &alice, &r, &e) == 1 && strcmp(r.container, "first") == 0 &&
	   strcmp(r.shell, "/bin/zsh") == 0 && r.line == 3, "first matching rule wins");
	ok(cz_map_lookup(path, &bob, &r, &e) == 1 && strcmp(r.container, "other") == 0, "bob's own rule");
	ok(cz_map_allows(path, &bob, "g", "bob", &r, &e) == 1, "a later rule also grants (%%u)");
	ok(cz_map_allows(path, &bob, "g", "first", &r, &e) == 0, "another user's container is not granted");
	ok(cz_map_allows(path, &alice, "h", "first", &r, &e) == 0, "another group is not granted");

	/* Lines of any length are read whole: a long comment never ends in a
	 * rule of its own (a 1 KiB fgets once read the tail of a 1,023-byte
	 * comment as a rule), a long rule is refused with its line number. */
	{
		static const size_t lens[] = { 1023, 1024, 4096, 100000 };
		const char *tail = " bob g smuggled";
		size_t i;
		for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
			size_t L = lens[i];
			char *text = malloc(2 * L + 200), *p = text;
			/* a comment of L bytes that ends in what looks like a rule */
			*p++ = '#';
			memset(p, 'x', L - 1 - strlen(tail));
			p += L - 1 - strlen(tail);
			p += sprintf(p, "%s\nbob g other\n", tail);
			write_map(text, 0644);
			ok(cz_map_allows(path, &bob, "g", "smuggled", &r, &e) == 0,
			   "a %zu-byte comment ending in a rule grants nothing", L);
			ok(cz_map_lookup(path, &bob, &r, &e) == 1 && strcmp(r.container, "other") == 0 && r.line == 2,
			   "... and the next line is rule 2 (%s)", e.msg);
			/* a rule padded with blanks to L bytes, then a rule */
			p = text + sprintf(text, "bob g padded");
			memset(p, ' ', L - (size_t)(p - text));
			p = text + L;
			p += sprintf(p, "\nbob g other\n");
			write_map(text, 0644);
			if (L < 1024)
				ok(cz_map_lookup(path, &bob, &r, &e) == 1 && strcmp(r.container, "padded") == 0,
				   "a %zu-byte rule is read whole (%s)", L, e.msg);
			else
				ok(cz_map_lookup(path, &bob, &r, &e) == -EINVAL && strstr(e.msg, ":1: line too long"),
				   "a %zu-byte rule is refused with its line number: %s", L, e.msg);
			/* a rule followed by a comment of L bytes, after a line */
			p = text + sprintf(text, "# first\nbob g ruled #");
			memset(p, 'y', L);
			p += L;
			p += sprintf(p, "\nbob two-fields\n");
			write_map(text, 0644);
			ok(cz_map_lookup(path, &bob, &r, &e) == -EINVAL && strstr(e.msg, ":3: "),
			   "after a rule with a %zu-byte comment the count of lines is right: %s", L, e.msg);
			write_map(text, 0644);
			text[strlen(text) - strlen("bob two-fields\n")] = '\0';
			write_map(text, 0644);
			ok(cz_map_lookup(path, &bob, &r, &e) == 1 && strcmp(r.container, "ruled") == 0 && r.line == 2,
			   "a rule with a %zu-byte comment is that rule", L);
			free(text);
		}
		fd = open(path, O_WRONLY | O_TRUNC);
		ok(fd >= 0 && write(fd, "bob g other\n# a\0bob g hidden\n", 30) == 30, "a NUL byte in a comment");
		close(fd);
		ok(cz_map_lookup(path, &bob, &r, &e) == -EINVAL && strstr(e.msg, ":2: NUL byte"),
		   "is refused with its line number: %s", e.msg);
	}

	write_map("alice g c\n", 0666);
	ok(cz_map_lookup(path, &alice, &r, &e) == -EPERM && strstr(e.msg, "ignored"), "world-writable file ignored: %s", e.msg);
	write_map("alice g c\n", 0620);
	ok(cz_map_lookup(path, &alice, &r, &e) == (getegid() == 0 ? 1 : -EPERM), "group-writable only if the group is root");
	write_map("alice g c\nonly-two fields\n", 0644);
	ok(cz_map_lookup(path, &bob, &r, &e) == -EINVAL && strstr(e.msg, ":2:"), "a malformed line is an error naming it: %s", e.msg);
	unlink(path);
	ok(cz_map_lookup(path, &alice, &r, &e) == 0, "a missing file maps nobody");
	if (getuid() == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		ok(fd >= 0 && write(fd, "alice g c\n", 10) == 10 && fchown(fd, 1000, 0) == 0, "file owned by a user");
		close(fd);
		ok(cz_map_lookup(path, &alice, &r, &e) == -EPERM, "a file not owned by root is ignored");
		unlink(path);
	}
	return done_testing();
}
