/* hooks.c — run the group's hook scripts.
 *
 * A hook gets no stdin (/dev/null), writes to our stderr (so that
 * `$(containerize G C cmd)` captures only the command), inherits no
 * descriptor beyond 0-2, and runs with a fixed environment: PATH and the
 * CONTAINERIZE_* variables, never the caller's (a setuid caller controls
 * its own environment).  posix_spawn uses vfork semantics: cheap. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define HOOK_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status %#x", status);
}

/* A hook runs as root in full: uid, gid and no supplementary groups.  Our
 * caller may be root only by its effective uid (su run by a user opens the
 * PAM session so, with the user's gid and groups): sh and bash would then
 * drop to the real ids.  The ids are set for the spawn and restored; the
 * umask too, so the caller's cannot change what a hook creates. */
static int spawn_as_root(pid_t *child, const char *path, const posix_spawn_file_actions_t *fa,
			 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	gid_t *groups = NULL;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	mode_t mask = umask(022);
	int ngroups = 0, r;
	bool mixed;

	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	mixed = eu == 0 && (ru != 0 || rg != 0 || eg != 0);
	if (mixed) {
		ngroups = getgroups(0, NULL);
		groups = ngroups >= 0 ? calloc((size_t)ngroups + 1, sizeof *groups) : NULL;
		if (!groups || getgroups(ngroups, groups) != ngroups || setgroups(0, NULL) < 0 ||
		    setresgid(0, 0, -1) < 0 || setresuid(0, 0, -1) < 0) {
			free(groups);
			umask(mask);
			return EPERM;
		}
	}
	r = posix_spawn(child, path, fa, attr, argv, envp);
	/* Back as the caller was: groups and gids while still root, uids last. */
	if (mixed && (setgroups((size_t)ngroups, groups) < 0 || setresgid(rg, eg, sg) < 0 ||
		      setresuid(ru, eu, su) < 0))
		r = EPERM;	/* cannot happen as root; never continue mixed up */
	free(groups);
	umask(mask);
	return r;
}

int cz_hook_run(const struct cz_hook_env *he, const char *path, char *const argv[], int *status)
{
	char group[CZ_NAME_MAX + 32], inst[CZ_NAME_MAX + 32], tree[CZ_PATH_MAX + 32];
	char pid[48], cgroup[CZ_PATH_MAX + 32];
	char *envp[] = { cz_unconst(HOOK_PATH), group, inst, tree, pid, cgroup, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	pid_t child;
	int r;

	snprintf(group, sizeof group, "CONTAINERIZE_GROUP=%s", he->g->group);
	snprintf(inst, sizeof inst, "CONTAINERIZE_INSTANCE=%s", he->g->container);
	snprintf(tree, sizeof tree, "CONTAINERIZE_TREE=%s", he->g->tree);
	snprintf(pid, sizeof pid, "CONTAINERIZE_PID=%d", (int)he->pid);
	snprintf(cgroup, sizeof cgroup, "CONTAINERIZE_CGROUP=%s", he->cgroup ? he->cgroup : "");

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/* The marker, made in the hook's process after the fork: a SIGKILL
	 * of ours from then on leaves a hook that runs and its record. */
	r = 0;
	if (he->started && (r = posix_spawn_file_actions_addopen(&fa, 3, he->started, O_WRONLY | O_CREAT |
								 O_NOFOLLOW, 0600)) == 0)
		r = posix_spawn_file_actions_addclose(&fa, 3);
	posix_spawn_file_actions_addchdir_np(&fa, "/");
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (r == 0)
		r = spawn_as_root(&child, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return -r;
	while (waitpid(child, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* execve's ENOENT and ENOEXEC say nothing of their usual cause in a
 * script: the kernel read its first line and found no "#!", or an
 * interpreter path that does not exist — often because the line ends in a
 * carriage return (a file saved with DOS line endings).  The hook passed
 * the ownership checks; reading its first bytes tells which. */
static void exec_hint(enum cz_hook h, const char *path, int e, char *buf, size_t len)
{
	char line[256], *nl, *interp;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	ssize_t n = fd >= 0 ? read(fd, line, sizeof line - 1) : -1;

	buf[0] = '\0';
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return;
	line[n] = '\0';
	if (n >= 4 && memcmp(line, "\177ELF", 4) == 0) {
		if (e == ENOEXEC)
			snprintf(buf, len, " (a program for another machine)");
		return;
	}
	if (n < 2 || line[0] != '#' || line[1] != '!') {
		if (e == ENOEXEC)
			snprintf(buf, len, " (it has no #! line: make its first line one, such as #!/bin/sh)");
		return;
	}
	nl = strchr(line, '\n');
	if (nl && nl > line && nl[-1] == '\r') {
		snprintf(buf, len, " (its #! line ends with a carriage return: the file has DOS line endings; "
			 "convert it with dos2unix or sed -i 's/\\r$//')");
		return;
	}
	if (e != ENOENT)
		return;
	interp = line + 2 + strspn(line + 2, " \t");
	interp[strcspn(interp, " \t\r\n")] = '\0';
	if (interp[0] && access(interp, F_OK) < 0)
		snprintf(buf, len, " (its interpreter %.100s does not exist%s)", interp,
			 h == CZ_HOOK_PROFILE ? " in the tree: profile runs inside" : "");
}

int cz_hook_run_checked(const struct cz_hook_env *he, enum cz_hook h, const char *path,
			char *const argv[], struct cz_error *err)
{
	char how[96], hint[200];
	int status, r = cz_hook_run(he, path, argv, &status);

	if (r < 0) {
		exec_hint(h, path, -r, hint, sizeof hint);
		return cz_fail(err, -r, "%s hook %s could not run: %s%s", cz_hook_names[h], path, strerror(-r), hint);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	describe_status(status, how, sizeof how);
	return cz_fail(err, ECANCELED, "%s hook %s failed with %s", cz_hook_names[h], path, how);
}
