/* frontend.h — the front ends of the containerize binary. */
#ifndef CZ_FRONTEND_H
#define CZ_FRONTEND_H

#include <stdarg.h>
#include <stdbool.h>

#include "containerize.h"

/* Exit statuses (SPEC 6). */
enum {
	CZ_EXIT_FAIL = 125,		/* containerize itself failed */
	CZ_EXIT_NOEXEC = 126,		/* COMMAND not executable */
	CZ_EXIT_NOTFOUND = 127,		/* COMMAND not found */
};

int cz_cli_main(int argc, char **argv);
int cz_login_main(int argc, char **argv);

/* syslog(3) (opened by cz_frontend_init: facility authpriv), skipped
 * when there is no /dev/log. */
void cz_syslog(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cz_vsyslog(int priority, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Who runs us, and the paths to use: the build-time ones, or for real
 * root without AT_SECURE the CONTAINERIZE_* environment overrides. */
struct cz_frontend {
	struct cz_config cfg;
	const char *conf;
	bool privileged_caller;		/* real uid 0, not setuid */
	uid_t caller_uid;		/* who ran us */
	char **caller_env;		/* their environment (for the allow-list) */
	char user[64];
	int fail_status;		/* containerize's own failures: CZ_EXIT_FAIL,
					   or --error-exit=N */
	bool command_status;		/* cz_enter_and_run returned the command's */
};
/* Paths, identity, log.  Through the setuid bit it also becomes root for
 * good (hooks must not run with the caller's real uid: dash and bash drop
 * privileges when ruid != euid) and clears the environment.  Returns -1
 * after printing an error if that fails. */
int cz_frontend_init(struct cz_frontend *fe, const char *ident);
void cz_frontend_free(struct cz_frontend *fe);

/* What runs inside. */
struct cz_command {
	char *const *argv;		/* NULL or empty: the shell */
	const char *shell;		/* the shell: "" = group's, else bash, else /bin/sh */
	const char *shell_from;		/* where shell was named (for messages) */
	const char *dash_c;		/* shell -c COMMAND */
	bool login;			/* the shell as a login shell: argv[0] "-bash" */
	const struct cz_identity *as;	/* NULL: stay root */
	char *const *env;		/* with as: filtered through the allow-list */
	const char *dir;		/* -d DIR: must exist inside, else 125 */
	const char *cwd;		/* the caller's directory, kept where it
					   exists inside (else /, with a note);
					   NULL with dir: the home directory of as */
};

/* Open a session in GROUP/CONTAINER, run cmd, close: the whole life of a
 * CLI or login-shell session.  INT, TERM, HUP and QUIT are held back while
 * the container is set up or torn down (a signal then must not leave half
 * of either); one that arrived during the setup ends the run with 128+N
 * without running the command, once the setup is undone. */
int cz_enter_and_run(struct cz_frontend *fe, const char *group, const char *container,
		     const struct cz_command *cmd);

/* --list --all and --info (info.c); id: the caller through the setuid
 * bit, who sees only what the map file grants them; NULL for root. */
int cz_list_all(struct cz_frontend *fe, const struct cz_identity *id);
int cz_info(struct cz_frontend *fe, const struct cz_identity *id, const char *group,
	    const char *container);

/* --hold: open a session in GROUP/CONTAINER, print "ready GROUP/CONTAINER
 * INSTANCE_PID" on stdout, hold it without running anything until stdin
 * ends or SIGTERM, SIGHUP, SIGINT or SIGQUIT comes, then close it. */
int cz_hold(struct cz_frontend *fe, const char *group, const char *container);

static inline char *cz_unconst_arg(const char *s)
{
	union { const char *c; char *m; } u = { .c = s };
	return u.m;
}

void cz_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A map file that cannot be used (cz_map_* < 0): logged, and the caller
 * told why (one line). */
void cz_map_unusable(const char *who, const struct cz_error *err);

/* The caller's resource limits (limits.c): saved, and raised to what
 * containerize needs, before any privileged work; handed back to COMMAND
 * before it runs.  -1 after printing why. */
int cz_limits_raise(void);
int cz_limits_restore(void);

#endif
