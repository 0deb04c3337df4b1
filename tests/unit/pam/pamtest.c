/* pamtest.c — drives one PAM session through a service file in a private confdir, the way a
 * login program does (pam_start_confdir, open_session, fork the user's command, wait,
 * close_session, pam_end).
 *
 * Usage: pamtest CONFDIR SERVICE USER [COMMAND [ARG...]]
 *
 * Prints, one per line on stdout:
 *   open PAM_NAME               the result of pam_open_session
 *   marker yes|no               whether PAMTEST_MARKER (a path) exists for this process after
 *                               open_session (only when PAMTEST_MARKER is set)
 *   command exit N | signal N   the command's status (only when one ran)
 *   close PAM_NAME              the result of pam_close_session (only after a successful open)
 * The command runs in a forked child after open_session, as the user (initgroups, setgid,
 * setuid) unless PAMTEST_AS_ROOT is set, with stdin/stdout/stderr inherited.
 * PAMTEST_HOLD=FILE: FILE is created (empty) before open_session; after open_session (and the
 * command) "held" is written to it and the process sleeps forever (for SIGKILL tests);
 * PAMTEST_HOLD_USR1 (with PAMTEST_HOLD): after "held", wait for SIGUSR1 instead of forever, then
 * close the session as usual.
 * PAMTEST_NOCLOSE: skip close_session.
 * Exit status: 0 if open_session succeeded, 2 if it returned PAM_IGNORE, 1 otherwise,
 * 3 on usage or setup errors. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *pam_name(int rc)
{
	switch (rc) {
	case PAM_SUCCESS: return "PAM_SUCCESS";
	case PAM_IGNORE: return "PAM_IGNORE";
	case PAM_SESSION_ERR: return "PAM_SESSION_ERR";
	case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
	case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
	case PAM_BUF_ERR: return "PAM_BUF_ERR";
	case PAM_SERVICE_ERR: return "PAM_SERVICE_ERR";
	case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
	case PAM_ABORT: return "PAM_ABORT";
	case PAM_AUTH_ERR: return "PAM_AUTH_ERR";
	case PAM_CRED_ERR: return "PAM_CRED_ERR";
	default: return "PAM_OTHER";
	}
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)data;
	*resp = calloc((size_t)n, sizeof **resp);
	if (!*resp)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_ERROR_MSG || msg[i]->msg_style == PAM_TEXT_INFO)
			fprintf(stderr, "pam: %s\n", msg[i]->msg);
	return PAM_SUCCESS;
}

int main(int argc, char **argv)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *pamh = NULL;
	const char *marker = getenv("PAMTEST_MARKER"), *hold = getenv("PAMTEST_HOLD");
	struct passwd *pw;
	int rc, st, holdfd = -1, sig;
	sigset_t usr1;

	if (argc < 4) {
		fprintf(stderr, "usage: pamtest CONFDIR SERVICE USER [COMMAND [ARG...]]\n");
		return 3;
	}
	pw = getpwnam(argv[3]);
	if (hold && getenv("PAMTEST_HOLD_USR1")) {
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);	/* from the start: no signal is missed */
	}
	/* opened before open_session: afterwards this process may be in another mount namespace */
	if (hold && (holdfd = open(hold, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		perror("pamtest: PAMTEST_HOLD");
		return 3;
	}
	rc = pam_start_confdir(argv[2], argv[3], &c, argv[1], &pamh);
	if (rc != PAM_SUCCESS) {
		printf("start %s\n", pam_name(rc));
		return 3;
	}
	pam_set_item(pamh, PAM_TTY, "cztest");
	pam_set_item(pamh, PAM_RHOST, "localhost");
	rc = pam_open_session(pamh, 0);
	printf("open %s\n", pam_name(rc));
	fflush(stdout);
	if (rc != PAM_SUCCESS) {
		pam_end(pamh, rc);
		return rc == PAM_IGNORE ? 2 : 1;
	}
	if (marker) {
		printf("marker %s\n", access(marker, F_OK) == 0 ? "yes" : "no");
		fflush(stdout);
	}
	if (argc > 4) {
		pid_t pid = fork();
		if (pid == 0) {
			if (!getenv("PAMTEST_AS_ROOT")) {
				if (!pw || initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
				    setuid(pw->pw_uid) < 0) {
					perror("pamtest: dropping to the user");
					_exit(120);
				}
			}
			execvp(argv[4], argv + 4);
			perror("pamtest: exec");
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0) {
			perror("pamtest: fork/wait");
			st = 126 << 8;
		}
		if (WIFSIGNALED(st))
			printf("command signal %d\n", WTERMSIG(st));
		else
			printf("command exit %d\n", WEXITSTATUS(st));
		fflush(stdout);
	}
	if (hold) {
		if (write(holdfd, "held\n", 5) != 5)
			return 3;
		if (getenv("PAMTEST_HOLD_USR1"))
			sigwait(&usr1, &sig);
		else
			for (;;)
				pause();
	}
	if (!getenv("PAMTEST_NOCLOSE")) {
		rc = pam_close_session(pamh, 0);
		printf("close %s\n", pam_name(rc));
	}
	fflush(stdout);
	pam_end(pamh, PAM_SUCCESS);
	return 0;
}
