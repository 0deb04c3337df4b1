/* run.c — run the command in the container as our child and pass on its
 * fate: the parent stays on the host side, holding the session, so the
 * teardown always runs from the host and a SIGKILLed parent leaves only
 * stale state that the next run recognises.
 *
 * The child stays in our process group, so the terminal's signals (Ctrl-C)
 * reach it directly; signals sent to us with kill(2) are forwarded.  A
 * SIGINT or SIGQUIT that the terminal sent (si_code SI_KERNEL) is not: the
 * whole foreground group got it, the child included, and must get it once.
 * A hangup is different: the kernel sends SIGHUP to the session leader
 * only (tty_signal_session_leader), which we are as a login shell, so it
 * is always passed on. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frontend.h"

extern char **environ;

static volatile sig_atomic_t child_pid;

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	bool from_keyboard = si->si_code == SI_KERNEL && (sig == SIGINT || sig == SIGQUIT);

	if (child_pid > 0 && !from_keyboard && si->si_pid != child_pid)
		kill(child_pid, sig);
}

static void set_signals(bool forwarding)
{
	struct sigaction sa = { 0 };
	size_t i;

	sigemptyset(&sa.sa_mask);
	if (forwarding) {
		sa.sa_sigaction = forward;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
	} else {
		sa.sa_handler = SIG_DFL;
	}
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &sa, NULL);
}

/* The shell to run: the rule's or group's, else bash, else /bin/sh. */
static const char *pick_shell(const char *configured)
{
	static const char *const bash[] = { "/bin/bash", "/usr/bin/bash" };
	size_t i;

	if (configured && configured[0])
		return configured;
	for (i = 0; i < sizeof bash / sizeof bash[0]; i++)
		if (access(bash[i], X_OK) == 0)
			return bash[i];
	return "/bin/sh";
}

/* Become the user (if any): the filter while still root, then the drop. */
static int become(const struct cz_command *cmd)
{
	struct cz_error err = { 0 };

	if (!cmd->as)
		return 0;
	if (cz_block_tiocsti(&err) < 0 || cz_drop_privileges(cmd->as, &err) < 0) {
		cz_errx("%s", err.msg);
		return -1;
	}
	return 0;
}

/* Where the command starts, decided inside the container (after the
 * join: paths resolve in the tree, never on the host) and as the user
 * where there is one (their permissions apply): -d DIR or nothing; else
 * the caller's directory if the same path exists inside, else / with a
 * note; the login shell's (no cwd given): the user's home directory. */
static int enter_dir(const struct cz_command *cmd, const char *where)
{
	if (cmd->dir) {
		if (chdir(cmd->dir) == 0)
			return 0;
		cz_errx("cannot change to directory %s in %s: %s", cmd->dir, where, strerror(errno));
		return -1;
	}
	if (cmd->cwd) {
		if (chdir(cmd->cwd) == 0)
			return 0;
		if (errno == ENOENT || errno == ENOTDIR)
			cz_errx("note: %s does not exist in %s, starting in /", cmd->cwd, where);
		else
			cz_errx("note: cannot change to %s in %s (%s), starting in /", cmd->cwd, where,
				strerror(errno));
		return chdir("/");
	}
	if (cmd->as && chdir(cmd->as->home) < 0) {
		cz_errx("warning: no home directory %s in the container: %s", cmd->as->home, strerror(errno));
		return chdir("/");
	}
	return 0;
}

/* The container a command runs in, for the child and its messages. */
struct place {
	const char *group, *container;
	char where[2 * CZ_NAME_MAX + 2];	/* GROUP/CONTAINER */
	char group_shell_file[4200];		/* the group's shell file, for messages */
};

/* What the command's process needs, made ready before the session starts:
 * a joining child borrows our memory (cz_session_spawn) and must not
 * allocate.  It writes only envp[shell_slot] and shell_env. */
struct child_plan {
	const struct cz_command *cmd;
	const struct place *p;
	int fail_status;
	char **envp;			/* the command's environment */
	int shell_slot;			/* envp's SHELL=, to fill in; -1: none */
	char shell_env[300];		/* SHELL=the shell picked inside */
	char marks[3][2 * CZ_NAME_MAX + 32];
	/* envp when it fits: the start-up path touches no heap (malloc's
	 * first use costs page faults and system calls). */
	char *small_env[256];
};

/* The command's environment says where it runs: debian_chroot (Debian's
 * bash prompt shows it, as in schroot) unless the caller set one, and the
 * names the hooks get too.  A new array (the strings are base's or the
 * plan's); NULL if out of memory. */
static char **command_env(struct child_plan *c, char *const *base, const char *group,
			  const char *container)
{
	static const char *const ours[] = { "CONTAINERIZE_GROUP=", "CONTAINERIZE_INSTANCE=" };
	bool chroot_set = false;
	size_t n = 0, i, o = 0;
	char **out;

	while (base && base[n])
		n++;
	out = n + 4 <= sizeof c->small_env / sizeof c->small_env[0] ? c->small_env : calloc(n + 4, sizeof *out);
	if (!out)
		return NULL;
	snprintf(c->marks[0], sizeof c->marks[0], "debian_chroot=%s/%s", group, container);
	snprintf(c->marks[1], sizeof c->marks[1], "%s%s", ours[0], group);
	snprintf(c->marks[2], sizeof c->marks[2], "%s%s", ours[1], container);
	for (i = 0; i < n; i++) {
		if (strncmp(base[i], ours[0], strlen(ours[0])) == 0 ||
		    strncmp(base[i], ours[1], strlen(ours[1])) == 0)
			continue;
		if (strncmp(base[i], "debian_chroot=", 14) == 0)
			chroot_set = true;
		out[o++] = base[i];
	}
	if (!chroot_set)
		out[o++] = c->marks[0];
	out[o++] = c->marks[1];
	out[o++] = c->marks[2];
	out[o] = NULL;
	return out;
}

/* The plan for cmd: its environment (the caller's, or for a user the
 * allow-list's) with the marks.  -1 after a message. */
static int plan_command(struct child_plan *c, char **clean, const char *group, const char *container)
{
	int i;

	c->shell_slot = -1;
	c->envp = command_env(c, clean ? clean : environ, group, container);
	if (!c->envp) {
		cz_errx("out of memory");
		return -1;
	}
	for (i = 0; clean && c->envp[i]; i++)
		if (strncmp(c->envp[i], "SHELL=", 6) == 0)
			c->shell_slot = i;
	return 0;
}

/* Why the exec failed, naming what ran and, for a shell, where it was
 * chosen: a shell in a shell file that the tree lacks must not read as
 * "command not found" of nothing in particular. */
static void exec_failed(const struct cz_command *cmd, const struct place *p, const char *shell,
			const char *from, int e)
{
	if (cmd->argv && cmd->argv[0])
		cz_errx("%s: %s", cmd->argv[0], e == ENOENT ? "command not found" : strerror(e));
	else if (!from && e == ENOENT)
		cz_errx("%s has no shell: no /bin/bash, /usr/bin/bash or /bin/sh in the tree "
			"(give a COMMAND, or name the shell in %s)", p->where, p->group_shell_file);
	else if (e == ENOENT)
		cz_errx("the shell %s (from %s) was not found in %s", shell, from, p->where);
	else
		cz_errx("the shell %s (from %s) cannot be run in %s: %s", shell, from ? from : "the default",
			p->where, strerror(e));
}

/* The command's process, inside the container: a joining one shares our
 * memory (the vfork rules of cz_session_spawn: nothing allocated, no
 * stdio buffer, writes only to the plan's SHELL slot and environ). */
static void __attribute__((noreturn)) child_exec(struct child_plan *c, const char *group_shell)
{
	const struct cz_command *cmd = c->cmd;
	const struct place *p = c->p;
	bool argv_given = cmd->argv && cmd->argv[0];
	bool own = cmd->shell && cmd->shell[0];
	/* Where the shell was chosen: the map rule, the group, else none. */
	const char *from = own ? cmd->shell_from : group_shell[0] ? p->group_shell_file : NULL;
	/* The shell runs, or names SHELL for a user; root's COMMAND needs
	 * none (no probing for bash on its way to exec). */
	const char *shell = argv_given && !cmd->as ? "" : pick_shell(own ? cmd->shell : group_shell);
	const char *base = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;
	char dashed[300];
	sigset_t none;
	int e;

	set_signals(false);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The caller's own limits, before the drop: RLIMIT_NPROC is checked
	 * against the user's processes when the uid changes. */
	if (cz_limits_restore() < 0 || become(cmd) < 0)
		_exit(c->fail_status);
	if (c->shell_slot >= 0) {
		if ((size_t)snprintf(c->shell_env, sizeof c->shell_env, "SHELL=%s", shell) >= sizeof c->shell_env) {
			cz_errx("the shell %s: name too long", shell);
			_exit(c->fail_status);
		}
		c->envp[c->shell_slot] = c->shell_env;
	}
	environ = c->envp;	/* execvp searches its PATH (the parent gets its own back) */
	if (enter_dir(cmd, p->where) < 0)
		_exit(c->fail_status);
	/* Descriptors the caller gave us beyond 0-2 do not pass (as sudo's
	 * closefrom); ours are all O_CLOEXEC. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (argv_given) {
		execvp(cmd->argv[0], cmd->argv);
	} else {
		char *av[4] = { cz_unconst_arg(base), NULL, NULL, NULL };
		if (cmd->dash_c) {
			av[1] = cz_unconst_arg("-c");
			av[2] = cz_unconst_arg(cmd->dash_c);
		} else if (cmd->login) {
			snprintf(dashed, sizeof dashed, "-%s", base);
			av[0] = dashed;
		}
		execvp(shell, av);
	}
	e = errno;
	exec_failed(cmd, p, shell, from, e);
	_exit(e == ENOENT ? CZ_EXIT_NOTFOUND : CZ_EXIT_NOEXEC);
}

/* cz_session_spawn's fn: inside the container (or err says why not). */
static void command_child(struct cz_session *s, void *arg, const struct cz_error *err)
{
	struct child_plan *c = arg;

	if (err->code) {
		cz_errx("%s", err->msg);
		_exit(c->fail_status);
	}
	child_exec(c, cz_session_shell(s));
}

/* The command runs; we wait, forwarding signals, then end the session. */
static int wait_command(struct cz_session *s, pid_t pid, const struct place *p, const sigset_t *held)
{
	struct cz_error err = { 0 };
	char by[128];
	int status = 0, ret;

	child_pid = pid;
	set_signals(true);
	sigprocmask(SIG_UNBLOCK, held, NULL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_BLOCK, held, NULL);
	child_pid = 0;
	set_signals(false);
	/* Killed with the whole container: say so, and by whom, rather than
	 * leave a bare "Killed" to explain it. */
	if (cz_session_stopped_by(s, by, sizeof by) > 0)
		cz_errx("%s was stopped with --stop by %s", p->where, by);
	if (WIFSIGNALED(status))
		ret = 128 + WTERMSIG(status);
	else
		ret = WEXITSTATUS(status);
	if (cz_session_close(s, &err) < 0)
		cz_errx("%s", err.msg);
	return ret;
}

/* The first of the held (forwarded) signals that is pending; 0 if none. */
static int pending_signal(void)
{
	sigset_t pending;
	size_t i;

	if (sigpending(&pending) < 0)
		return 0;
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		if (sigismember(&pending, forwarded[i]))
			return forwarded[i];
	return 0;
}

/* The first of the held signals that arrived, consumed; 0 if none. */
static int held_signal(const sigset_t *held)
{
	struct timespec zero = { 0, 0 };
	int sig = pending_signal();

	if (sig)
		while (sigtimedwait(held, NULL, &zero) > 0)
			;
	return sig;
}

/* cz_config.interrupted: has a held signal arrived?  (Left pending for
 * held_signal.)  The library asks just before it lets the command go. */
static bool interrupted(void *data)
{
	(void)data;
	return pending_signal() != 0;
}

int cz_enter_and_run(struct cz_frontend *fe, const char *group, const char *container,
		     const struct cz_command *cmd)
{
	struct place p = { .group = group, .container = container };
	struct child_plan c = { .cmd = cmd, .p = &p, .fail_status = fe->fail_status };
	struct cz_error err = { 0 };
	struct cz_session *s;
	char **clean = NULL;
	sigset_t held;
	int sig, ret;
	size_t i;
	pid_t pid;

	snprintf(p.where, sizeof p.where, "%s/%s", group, container);
	snprintf(p.group_shell_file, sizeof p.group_shell_file, "%s/%s/.container/shell", fe->cfg.trees, group);
	if (cmd->as && !(clean = cz_clean_env(cmd->env ? cmd->env : environ, cmd->as, ""))) {
		cz_errx("out of memory");
		return fe->fail_status;
	}
	if (plan_command(&c, clean, group, container) < 0) {
		free(clean);
		return fe->fail_status;
	}
	sigemptyset(&held);
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&held, forwarded[i]);
	sigprocmask(SIG_BLOCK, &held, NULL);
	/* A signal held back during the setup keeps the command from ever
	 * running: the library asks at the last moment before letting it go,
	 * and undoes the session (then returns -EINTR). */
	fe->cfg.interrupted = interrupted;
	fe->cfg.interrupted_data = NULL;
	pid = cz_session_spawn(&fe->cfg, group, container, &s, command_child, &c, cmd->as != NULL, &err);
	if (c.envp != c.small_env)
		free(c.envp);
	free(clean);
	if (pid < 0) {
		sig = held_signal(&held);
		if (pid != -EINTR || !sig)
			cz_errx("%s", err.msg);
		return sig ? 128 + sig : fe->fail_status;
	}
	ret = wait_command(s, pid, &p, &held);
	fe->command_status = true;
	sig = held_signal(&held);
	return sig ? 128 + sig : ret;
}

/* --hold's foothold inside the container: a process in its cgroup (and
 * namespaces) that does nothing.  When the container ends under the hold
 * (--stop, or systemctl stop of its unit), its death ends the hold too;
 * when the hold dies, PR_SET_PDEATHSIG takes it along. */
static void __attribute__((noreturn)) foothold(pid_t parent)
{
	sigset_t none;
	int fd;

	/* Nothing of the session's: a descriptor of `ref` kept here would
	 * keep the instance live after the hold died. */
	close_range(3, ~0U, 0);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, "cz-hold");
	set_signals(false);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;)
		pause();
}

/* --hold: until stdin ends, one of the ending signals comes (blocked,
 * read from a signalfd), or the foothold dies (SIGCHLD).  Whatever stdin
 * carries is read and dropped.  Returns 1 if the foothold died. */
static int hold_until_released(const sigset_t *ending, pid_t foot)
{
	struct pollfd pfd[2];
	struct signalfd_siginfo si;
	char buf[4096];
	int gone = 0;
	ssize_t n;

	pfd[0] = (struct pollfd){ .fd = 0, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = signalfd(-1, ending, SFD_CLOEXEC), .events = POLLIN };
	if (pfd[1].fd < 0)
		return -errno;
	while (!gone) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			n = read(pfd[1].fd, &si, sizeof si);
			if (n == (ssize_t)sizeof si && si.ssi_signo != SIGCHLD)
				break;
			gone = waitpid(foot, NULL, WNOHANG) == foot;
		}
		if (pfd[0].revents & (POLLNVAL | POLLERR))
			break;
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			n = read(0, buf, sizeof buf);
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				break;
		}
	}
	close(pfd[1].fd);
	return gone;
}

int cz_hold(struct cz_frontend *fe, const char *group, const char *container)
{
	struct cz_error err = { 0 };
	struct cz_session *s;
	sigset_t held, ending;
	pid_t parent = getpid(), foot;
	size_t i;
	int sig, ret = 0, r = 0;

	sigemptyset(&held);
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&held, forwarded[i]);
	sigaddset(&held, SIGCHLD);
	sigprocmask(SIG_BLOCK, &held, NULL);
	/* A reader that went away gets EPIPE, not the end of us: the
	 * session must still be closed. */
	signal(SIGPIPE, SIG_IGN);
	/* A signal during the setup: never ready, the setup undone. */
	fe->cfg.interrupted = interrupted;
	fe->cfg.interrupted_data = NULL;
	foot = cz_session_start(&fe->cfg, group, container, &s, &err);
	if (foot == 0) {
		if (err.code) {
			cz_errx("%s", err.msg);
			_exit(fe->fail_status);
		}
		foothold(parent);
	}
	if (foot < 0) {
		sig = held_signal(&held);
		if (foot != -EINTR || !sig)
			cz_errx("%s", err.msg);
		return sig ? 128 + sig : fe->fail_status;
	}
	if (printf("ready %s/%s %d\n", group, container, (int)cz_session_instance(s)) < 0 || fflush(stdout) != 0) {
		cz_errx("writing the ready line: %s", strerror(errno));
		ret = fe->fail_status;
	} else {
		ending = held;
		sigdelset(&ending, SIGUSR1);
		sigdelset(&ending, SIGUSR2);
		r = hold_until_released(&ending, foot);
		if (r < 0) {
			cz_errx("signalfd: %s", strerror(-r));
			ret = fe->fail_status;
		} else if (r > 0) {
			cz_errx("%s/%s ended under the hold", group, container);
		}
	}
	if (r <= 0) {
		kill(foot, SIGKILL);
		while (waitpid(foot, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (cz_session_close(s, &err) < 0) {
		cz_errx("%s", err.msg);
		ret = fe->fail_status;
	}
	held_signal(&held);	/* consumed: the hold ended as asked */
	return ret;
}
