/* bare.c — the kernel sequence of a containerize cold start, and nothing
 * else: no run dir, lock or state files, no checks, no hooks, no log.
 *
 *   bare TREE PINDIR CGROUP-DIR
 *
 * Makes CGROUP-DIR/PID, clones a child into a new mount namespace and that
 * cgroup, which makes the host's mounts slaves, binds TREE onto itself with
 * /sys, /dev and /proc (recursive) and a tmpfs on /tmp below it, pivots
 * into it and detaches the old root; the parent bind-mounts the child's
 * mount namespace onto PINDIR/PID (PINDIR must be a private mount), lets
 * the child exec /bin/true, waits, unpins and removes the cgroup.  That is
 * what containerize must do at least; the bench measures it beside
 * containerize to show what the rest costs.  Exit status: 0, or 1 with a
 * message if a step failed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLONE_INTO_CGROUP_ 0x200000000ULL

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "bare: %s: %m\n", what);
	_exit(1);
}

static pid_t clone_into(int cgfd)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
		uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
	} args = { .flags = CLONE_NEWNS | CLONE_INTO_CGROUP_, .exit_signal = SIGCHLD,
		   .cgroup = (uint64_t)cgfd };

	return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

static void attach(int fromfd, int rootfd, const char *dir)
{
	int to = openat(rootfd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (to < 0 || syscall(SYS_move_mount, fromfd, "", to, "",
			      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die(dir);
	close(to);
	close(fromfd);
}

static int clone_tree(const char *path)
{
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path,
			      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

	if (fd < 0)
		die(path);
	return fd;
}

static void __attribute__((noreturn)) child(const char *tree, int ready, int go)
{
	int root, fs, tmp;
	char c = 1;

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		die("make / a slave");
	attach(clone_tree(tree), AT_FDCWD, tree);	/* TREE is a mount now */
	root = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		die(tree);
	attach(clone_tree("/sys"), root, "sys");
	attach(clone_tree("/dev"), root, "dev");
	attach(clone_tree("/proc"), root, "proc");
	fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die("tmpfs");
	tmp = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (tmp < 0)
		die("fsmount");
	attach(tmp, root, "tmp");
	if (fchdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		die("pivot_root");
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		_exit(1);
	execl("/bin/true", "true", (char *)NULL);
	die("/bin/true");
}

int main(int argc, char **argv)
{
	char cg[4096], pin[4096], ns[64], c;
	int up[2], down[2], cgfd, fd, status;
	pid_t pid;

	if (argc != 4) {
		fprintf(stderr, "usage: bare TREE PINDIR CGROUP-DIR\n");
		return 2;
	}
	snprintf(cg, sizeof cg, "%s/%d", argv[3], (int)getpid());
	snprintf(pin, sizeof pin, "%s/%d", argv[2], (int)getpid());
	if (mkdir(cg, 0755) < 0 || (cgfd = open(cg, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(cg);
	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0)
		die("pipe");
	pid = clone_into(cgfd);
	if (pid < 0)
		die("clone3");
	if (pid == 0)
		child(argv[1], up[1], down[0]);
	close(up[1]);
	close(down[0]);
	if (read(up[0], &c, 1) != 1)
		die("the child failed");
	snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", (int)pid);
	fd = open(pin, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || mount(ns, pin, NULL, MS_BIND, NULL) < 0)
		die(pin);
	close(fd);
	if (write(down[1], &c, 1) != 1)
		die("go");
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (umount2(pin, MNT_DETACH) < 0 || unlink(pin) < 0)
		die("unpin");
	if (rmdir(cg) < 0)
		die("rmdir cgroup");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
