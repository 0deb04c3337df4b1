/* run.c — run the command in the container as our child and pass on its
 * fate: the parent stays on the host side, holding the session, so the
 * teardown always runs from the host and a SIGKILLed parent leaves only
 * stale state that the next run recognises.
 *
 * The child stays in our process group, so the terminal's signals (Ctrl-C)
 * reach it directly; signals sent to us with kill(2) are forwarded.  One
 * that the terminal sent (si_code SI_KERNEL) is not forwarded: the child
 * already has it, and must get it once. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend.h"

static volatile sig_atomic_t child_pid;

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (child_pid > 0 && si->si_code != SI_KERNEL && si->si_pid != child_pid)
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

static void __attribute__((noreturn)) child_exec(char *const argv[], const char *shell, int errfd,
						  cz_child_prep_fn prep, void *data)
{
	sigset_t none;
	int e;

	set_signals(false);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prep && prep(data) < 0)
		_exit(CZ_EXIT_FAIL);
	/* Descriptors the caller gave us beyond 0-2 do not pass (as sudo's
	 * closefrom); ours are all O_CLOEXEC. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (argv && argv[0]) {
		execvp(argv[0], argv);
	} else {
		const char *sh = shell && shell[0] ? shell : "bash";
		char *av[] = { cz_unconst_arg(sh), NULL };
		execvp(sh, av);
		if (errno == ENOENT && !(shell && shell[0])) {
			char *av2[] = { cz_unconst_arg("/bin/sh"), NULL };
			execv("/bin/sh", av2);
		}
	}
	e = errno;
	(void)!write(errfd, &e, sizeof e);
	_exit(e == ENOENT ? CZ_EXIT_NOTFOUND : CZ_EXIT_NOEXEC);
}

int cz_run_in_session(struct cz_session *s, char *const argv[], cz_child_prep_fn prep, void *data)
{
	struct cz_error err = { 0 };
	const char *what = argv && argv[0] ? argv[0] : cz_session_shell(s);
	int pipefd[2], status = 0, e = 0, ret;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		cz_errx("pipe: %s", strerror(errno));
		cz_session_close(s, &err);
		return CZ_EXIT_FAIL;
	}
	set_signals(true);
	pid = cz_session_fork(s, &err);
	if (pid == 0) {
		if (err.code) {
			cz_errx("%s", err.msg);
			_exit(CZ_EXIT_FAIL);
		}
		close(pipefd[0]);
		child_exec(argv, cz_session_shell(s), pipefd[1], prep, data);
	}
	close(pipefd[1]);
	if (pid < 0) {
		cz_errx("%s", err.msg);
		close(pipefd[0]);
		set_signals(false);
		cz_session_close(s, &err);
		return CZ_EXIT_FAIL;
	}
	child_pid = pid;
	if (read(pipefd[0], &e, sizeof e) != (ssize_t)sizeof e)
		e = 0;
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	set_signals(false);
	if (e)
		cz_errx("%s: %s", what && what[0] ? what : "bash",
			e == ENOENT ? "command not found" : strerror(e));
	if (WIFSIGNALED(status))
		ret = 128 + WTERMSIG(status);
	else
		ret = WEXITSTATUS(status);
	err.code = 0;
	if (cz_session_close(s, &err) < 0)
		cz_errx("%s", err.msg);
	return ret;
}
