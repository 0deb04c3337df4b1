/* Parsers of the group's plain files (SPEC 3). */
#include <errno.h>
#include <sched.h>

#include "../../common/internal.h"
#include "tap.h"

static int flags_of(const char *text, int *flags, struct cz_error *e)
{
	*flags = -1;
	memset(e, 0, sizeof *e);
	return cz_parse_unshare_options(text, flags, e);
}

int main(void)
{
	struct cz_error e;
	enum cz_propagation p;
	char buf[256];
	int f;

	ok(flags_of("", &f, &e) == 0 && f == 0, "empty unshare-options");
	ok(flags_of("--uts --ipc --net --pid --cgroup", &f, &e) == 0 &&
	   f == (CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP), "all long options");
	ok(flags_of("-u -i -n -p -C", &f, &e) == 0 &&
	   f == (CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP), "all short options");
	ok(flags_of("-fp\n", &f, &e) == 0 && f == CLONE_NEWPID, "bundled -fp");
	ok(flags_of("--fork --pid", &f, &e) == 0 && f == CLONE_NEWPID, "--fork accepted");
	ok(flags_of("--mount -m", &f, &e) == 0 && f == 0, "--mount is implied");
	ok(flags_of("# comment --net\n--uts  # trailing\n", &f, &e) == 0 && f == CLONE_NEWUTS, "comments");
	ok(flags_of("--user", &f, &e) == -EINVAL && strstr(e.msg, "'--user'"), "--user refused, named: %s", e.msg);
	ok(flags_of("--uts --propagation slave", &f, &e) == -EINVAL && strstr(e.msg, "--propagation"), "--propagation refused");
	ok(flags_of("-uX", &f, &e) == -EINVAL && strstr(e.msg, "-uX"), "unknown bundled short option");
	ok(flags_of("uts", &f, &e) == -EINVAL, "bare word refused");
	ok(flags_of("-", &f, &e) == -EINVAL, "lone dash refused");
	ok(flags_of("--bad\x01", &f, &e) == -EINVAL && strstr(e.msg, "\\x01"), "control characters escaped in the message");

	ok(cz_parse_propagation("", &p, &e) == 0 && p == CZ_PROP_SLAVE, "default slave");
	ok(cz_parse_propagation("slave\n", &p, &e) == 0 && p == CZ_PROP_SLAVE, "slave");
	ok(cz_parse_propagation("private", &p, &e) == 0 && p == CZ_PROP_PRIVATE, "private");
	ok(cz_parse_propagation(" shared \n", &p, &e) == 0 && p == CZ_PROP_SHARED, "shared");
	ok(cz_parse_propagation("rshared", &p, &e) == -EINVAL && strstr(e.msg, "'rshared'"), "bad value named: %s", e.msg);
	ok(cz_parse_propagation("slave private", &p, &e) == -EINVAL, "two values refused");

	ok(cz_parse_cgroup_name("", buf, sizeof buf, &e) == 0 && strcmp(buf, "containerize") == 0, "default cgroup name");
	ok(cz_parse_cgroup_name("builds\n", buf, sizeof buf, &e) == 0 && strcmp(buf, "builds") == 0, "cgroup name");
	ok(cz_parse_cgroup_name("builds/nightly", buf, sizeof buf, &e) == 0, "nested cgroup name");
	ok(cz_parse_cgroup_name("../x", buf, sizeof buf, &e) == -EINVAL, "cgroup name with ..");
	ok(cz_parse_cgroup_name("/abs", buf, sizeof buf, &e) == -EINVAL, "absolute cgroup name");
	ok(cz_parse_cgroup_name("a//b", buf, sizeof buf, &e) == -EINVAL, "empty component");
	ok(cz_parse_cgroup_name("a/", buf, sizeof buf, &e) == -EINVAL, "trailing slash");
	ok(cz_parse_cgroup_name("a b", buf, sizeof buf, &e) == -EINVAL, "two words");

	ok(cz_parse_shell("", buf, sizeof buf, &e) == 0 && buf[0] == '\0', "no shell");
	ok(cz_parse_shell("/bin/zsh\n", buf, sizeof buf, &e) == 0 && strcmp(buf, "/bin/zsh") == 0, "shell path");
	ok(cz_parse_shell("bash -l", buf, sizeof buf, &e) == -EINVAL, "shell with arguments refused");

	ok(cz_parse_size("", buf, sizeof buf, &e) == 0 && buf[0] == '\0', "no ephemeral-size");
	ok(cz_parse_size("8g\n", buf, sizeof buf, &e) == 0 && strcmp(buf, "8g") == 0, "size 8g");
	ok(cz_parse_size("  25%", buf, sizeof buf, &e) == 0 && strcmp(buf, "25%") == 0, "size 25%%");
	ok(cz_parse_size("1048576", buf, sizeof buf, &e) == 0 && strcmp(buf, "1048576") == 0, "size in bytes");
	ok(cz_parse_size("12q", buf, sizeof buf, &e) == -EINVAL && strstr(e.msg, "'12q'"), "size 12q refused");
	ok(cz_parse_size("0", buf, sizeof buf, &e) == -EINVAL, "size 0 refused (tmpfs: unlimited)");
	ok(cz_parse_size("1gg", buf, sizeof buf, &e) == -EINVAL, "size 1gg refused");
	ok(cz_parse_size("1g 2g", buf, sizeof buf, &e) == -EINVAL, "two sizes refused");
	ok(cz_parse_size("-1", buf, sizeof buf, &e) == -EINVAL, "negative size refused");
	ok(cz_parse_dir("", buf, sizeof buf, &e) == 0 && buf[0] == '\0', "no ephemeral-dir");
	ok(cz_parse_dir(" /srv/upper\n", buf, sizeof buf, &e) == 0 && strcmp(buf, "/srv/upper") == 0,
	   "ephemeral-dir /srv/upper");
	ok(cz_parse_dir("/", buf, sizeof buf, &e) == 0 && strcmp(buf, "/") == 0, "ephemeral-dir /");
	ok(cz_parse_dir("/srv/.up/x..y", buf, sizeof buf, &e) == 0, "dots inside components are fine");
	ok(cz_parse_dir("srv/upper", buf, sizeof buf, &e) == -EINVAL && strstr(e.msg, "'srv/upper'"),
	   "a relative ephemeral-dir refused");
	ok(cz_parse_dir("/srv/../etc", buf, sizeof buf, &e) == -EINVAL, "a .. component refused");
	ok(cz_parse_dir("/srv/./up", buf, sizeof buf, &e) == -EINVAL, "a . component refused");
	ok(cz_parse_dir("/srv/..", buf, sizeof buf, &e) == -EINVAL, "a trailing .. refused");
	ok(cz_parse_dir("/a /b", buf, sizeof buf, &e) == -EINVAL, "two paths refused");
	ok(cz_parse_dir("/a\x01b", buf, sizeof buf, &e) == -EINVAL, "a control character refused");
	ok(cz_parse_dir("/0123456789", buf, 8, &e) == -EINVAL, "a path too long for the buffer refused");
	return done_testing();
}
