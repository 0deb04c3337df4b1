/* The state file: format, parse, round trip, corruption. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../common/internal.h"
#include "tap.h"

int main(void)
{
	struct cz_state a = { 0 }, b;
	struct cz_error e;
	char buf[2 * PATH_MAX + 512] = { 0 }, dir[] = "/tmp/cz-unit-XXXXXX";
	int dfd;

	a.complete = true;
	a.pid = 4242;
	snprintf(a.boot_id, sizeof a.boot_id, "0b6c0f3e-1111-2222-3333-444455556666");
	a.started = 1795000000;
	a.nsflags = CLONE_NEWPID | CLONE_NEWUTS;
	a.prop = CZ_PROP_PRIVATE;
	snprintf(a.tree, sizeof a.tree, "/trees/debian/bookworm");
	snprintf(a.cgroup, sizeof a.cgroup, "/sys/fs/cgroup/unified/containerize/4242");

	ok(cz_state_format(&a, buf, sizeof buf) > 0, "format");
	ok(cz_state_parse(buf, &b, &e) == 0, "parse what we wrote");
	ok(b.complete && b.pid == 4242 && b.started == a.started && b.nsflags == a.nsflags &&
	   b.prop == CZ_PROP_PRIVATE, "numbers survive");
	is_str(b.boot_id, a.boot_id, "boot id survives");
	is_str(b.tree, a.tree, "tree survives");
	is_str(b.cgroup, a.cgroup, "cgroup survives");
	is_str(b.unit, "", "no unit (not a systemd host)");
	snprintf(a.unit, sizeof a.unit, "containerize-deb\\x2dian-book\\x2bworm-4242.scope");
	ok(cz_state_format(&a, buf, sizeof buf) > 0 && cz_state_parse(buf, &b, &e) == 0, "format and parse with a unit");
	is_str(b.unit, a.unit, "unit survives");
	ok(cz_state_parse("version=1\ncomplete=1\npid=1\nboot_id=x\ntree=/t\nunit=sshd.service\n", &b, &e) < 0,
	   "a unit that is not ours refused");
	ok(cz_state_parse("version=1\ncomplete=1\npid=1\nboot_id=x\ntree=/t\nunit=containerize-a b.scope\n", &b, &e) < 0,
	   "a unit name with a space refused");
	a.unit[0] = '\0';
	is_str(b.base, "", "a plain container has no base");
	ok(strstr(buf, "base=") == NULL, "a plain container's state has no base line");
	snprintf(a.base, sizeof a.base, "bookworm");
	ok(cz_state_format(&a, buf, sizeof buf) > 0 && cz_state_parse(buf, &b, &e) == 0, "a throwaway instance's state");
	is_str(b.base, "bookworm", "its base survives");
	ok(strstr(buf, "upper=") == NULL, "no upper line without ephemeral-dir");
	snprintf(a.upper, sizeof a.upper, "/srv/upper/debian.try1.4242");
	ok(cz_state_format(&a, buf, sizeof buf) > 0 && cz_state_parse(buf, &b, &e) == 0, "with ephemeral-dir");
	is_str(b.upper, a.upper, "its upper directory survives");
	a.base[0] = a.upper[0] = '\0';
	ok(cz_state_parse("version=1\ncomplete=1\npid=3\nboot_id=x\ntree=/t\nbase=../x\n", &b, &e) < 0,
	   "an invalid base name refused");
	ok(b.treemnt == 0, "no bind of the tree (not shared)");
	a.treemnt = 0x80000000123ULL;	/* a unique mount id is 64 bits */
	ok(cz_state_format(&a, buf, sizeof buf) > 0 && cz_state_parse(buf, &b, &e) == 0 &&
	   b.treemnt == a.treemnt, "the tree's bind (mount id) survives");
	a.treemnt = 0;
	ok(cz_state_parse("version=1\ncomplete=1\npid=1\nboot_id=x\ntree=/t\ntreemnt=-1\n", &b, &e) < 0,
	   "a negative mount id refused");

	ok(cz_state_parse("", &b, &e) < 0, "empty state refused");
	ok(cz_state_parse("version=1\ncomplete=1\npid=12\n", &b, &e) < 0, "missing fields refused");
	ok(cz_state_parse("version=2\ncomplete=1\npid=1\nboot_id=x\ntree=/t\n", &b, &e) < 0, "unknown version refused");
	ok(cz_state_parse("version=1\ncomplete=1\npid=-3\nboot_id=x\ntree=/t\n", &b, &e) < 0, "negative pid refused");
	ok(cz_state_parse("version=1\ncomplete=1\npid=3x\nboot_id=x\ntree=/t\n", &b, &e) < 0, "junk pid refused");
	ok(cz_state_parse("version=1\ncomplete=1\npid=3\nboot_id=x\ntree=rel\n", &b, &e) < 0, "relative tree refused");
	ok(cz_state_parse("garbage", &b, &e) < 0, "garbage refused");
	ok(cz_state_parse("version=1\ncomplete=1\npid=3\nboot_id=\ntree=/t\n", &b, &e) == 0 && !b.boot_id[0],
	   "an empty boot id (state on a tmpfs) parses");
	ok(cz_same_boot(&b) == 1, "... and belongs to this boot");
	ok(cz_boot_id(b.boot_id, sizeof b.boot_id) == 0 && cz_same_boot(&b) == 1, "this boot's id is this boot");
	snprintf(b.boot_id, sizeof b.boot_id, "00000000-1111-2222-3333-444444444444");
	ok(cz_same_boot(&b) == 0, "another boot id is another boot");
	ok(cz_state_parse("version=1\ncomplete=0\npid=3\nboot_id=x\ntree=/t\nfuture=1\n", &b, &e) == 0 && !b.complete,
	   "unknown keys ignored, incomplete setup read");
	ok(cz_state_parse("version=1\ncomplete=1\npid=3\nboot_id=x\ntree=/t\nteardown=2\n", &b, &e) == 0 && b.teardown == 2,
	   "teardown progress read");
	ok(cz_state_parse("version=1\ncomplete=1\npid=3\nboot_id=x\ntree=/t\nteardown=3\n", &b, &e) < 0,
	   "bad teardown progress refused");
	ok(cz_state_parse("version=1\ncomplete=1\npid=3\nboot_id=x\ntree=/t\nbase=b\nupper=/u/g.n.3\n", &b, &e) == 0 &&
	   strcmp(b.upper, "/u/g.n.3") == 0, "a throwaway instance's upper directory read");
	ok(cz_state_parse("version=1\ncomplete=1\npid=3\nboot_id=x\ntree=/t\nupper=u/g.n.3\n", &b, &e) < 0,
	   "a relative upper directory refused");
	ok(cz_state_parse("version=1\ncomplete=1\npid=3\nboot_id=x\ntree=/t\nupper=/u/../etc\n", &b, &e) < 0,
	   "an upper directory with .. refused");

	ok(mkdtemp(dir) != NULL, "temp dir");
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct cz_lock lk = { .dirfd = dfd, .lockfd = -1 };
	snprintf(lk.dir, sizeof lk.dir, "%s", dir);
	ok(cz_state_write(&lk, &a, &e) == 0, "write");
	ok(cz_state_read(dfd, &b, &e) == 0 && b.pid == 4242, "read back");
	ok(faccessat(dfd, "state.new", F_OK, 0) < 0, "no temporary file left");
	unlinkat(dfd, "state", 0);
	ok(cz_state_read(dfd, &b, &e) == -ENOENT, "missing state is -ENOENT");

	/* The setup's state: written in place, completed by one byte. */
	struct cz_state inc = a;
	inc.complete = false;
	int sfd = cz_state_create(&lk, &inc, &e);
	ok(sfd >= 0, "create the setup's state");
	ok(cz_state_read(dfd, &b, &e) == 0 && !b.complete && b.pid == 4242, "it reads as an unfinished setup");
	ok(faccessat(dfd, "state.new", F_OK, 0) < 0, "no temporary file for it");
	ok(cz_state_complete(sfd, &lk, &e) == 0, "mark it complete");
	ok(cz_state_read(dfd, &b, &e) == 0 && b.complete && b.pid == 4242 && b.started == a.started &&
	   b.nsflags == a.nsflags && b.prop == a.prop, "it reads as complete, every field as written");
	is_str(b.cgroup, a.cgroup, "the cgroup survives the byte flip");
	close(sfd);
	ok(cz_state_write(&lk, &a, &e) == 0 && cz_state_read(dfd, &b, &e) == 0 && b.complete,
	   "a later rewrite replaces it");
	int fd = openat(dfd, "state", O_WRONLY | O_TRUNC);
	close(fd);
	ok(cz_state_read(dfd, &b, &e) == -EINVAL && b.pid == 0,
	   "an empty state (a crash before the write) is malformed (-EINVAL)");

	/* Malformed (-EINVAL, the fields before the fault kept) or missing
	 * (-ENOENT): verdicts.  Anything else: an error of the moment. */
	ok(!cz_state_gone(dfd), "a state file is not gone");
	fd = openat(dfd, "state", O_WRONLY | O_TRUNC);
	ok(write(fd, buf, 60) == 60, "a state cut short (RLIMIT_FSIZE, a crash)");
	close(fd);
	ok(cz_state_read(dfd, &b, &e) == -EINVAL && b.pid == 4242, "cut short: -EINVAL, with the pid read before the cut");
	fd = openat(dfd, "state", O_WRONLY | O_TRUNC);
	for (int i = 0; i < 8; i++)
		ok(write(fd, buf, sizeof buf / 2) == (ssize_t)sizeof buf / 2, "longer than any state (%d)", i);
	close(fd);
	ok(cz_state_read(dfd, &b, &e) == -EINVAL, "a state too large to be one is malformed: %s", e.msg);
	unlinkat(dfd, "state", 0);
	ok(cz_state_gone(dfd), "no state file: gone");
	ok(symlinkat("/etc/hostname", dfd, "state") == 0, "a symbolic link as state");
	ok(cz_state_read(dfd, &b, &e) == -EINVAL, "is malformed, not followed: %s", e.msg);
	ok(!cz_state_gone(dfd), "and not gone");
	unlinkat(dfd, "state", 0);
	ok(mkdirat(dfd, "state", 0700) == 0, "a directory as state");
	ok(cz_state_read(dfd, &b, &e) == -EINVAL, "is malformed: %s", e.msg);
	unlinkat(dfd, "state", AT_REMOVEDIR);

	ok(cz_transient(EMFILE) && cz_transient(-ENFILE) && cz_transient(ENOMEM) && cz_transient(EAGAIN) &&
	   cz_transient(EINTR) && cz_transient(EIO) && cz_transient(EFBIG) && cz_transient(ENOSPC),
	   "limits, memory, signals, device errors and a full disk are errors of the moment");
	ok(!cz_transient(ENOENT) && !cz_transient(EINVAL) && !cz_transient(EPERM) && !cz_transient(EACCES) &&
	   !cz_transient(ECANCELED) && !cz_transient(0), "missing, malformed, refused, a failed hook are not");
	close(dfd);
	rmdir(dir);
	return done_testing();
}
