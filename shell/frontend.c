/* frontend.c — what both front ends share: paths, identity, logging. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "frontend.h"

static const char *prog = "containerize";

void cz_map_unusable(const char *who, const struct cz_error *err)
{
	/* The whole file is unusable, for every user: the reason is theirs
	 * too.  It names the file, the line and a fixed reason, never the
	 * text of any rule. */
	cz_syslog(LOG_ERR, "%s", err->msg);
	cz_errx("permission denied for %s: the map file grants nothing until it is fixed: %s", who, err->msg);
}

/* One line, one write(2), no stdio: it is also called by a joining
 * child that borrows our memory (run.c), and a line never interleaves
 * with another process's.  A longer message is cut. */
void cz_errx(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof line, "%s: ", prog);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += (size_t)m < sizeof line - (size_t)n - 1 ? m : (int)(sizeof line - (size_t)n - 2);
	line[n++] = '\n';
	(void)!write(2, line, (size_t)n);
}

/* With no /dev/log (no syslog daemon: a minimal VM or container) glibc's
 * syslog still formats each message, reads /etc/localtime and tries a
 * socket: one lstat instead (README.org has the figures).  Checked per
 * message, so a daemon started later gets the next one. */
void cz_vsyslog(int priority, const char *fmt, va_list ap)
{
	struct stat sb;

	if (lstat("/dev/log", &sb) < 0 && errno == ENOENT)
		return;
	vsyslog(priority & LOG_PRIMASK, fmt, ap);
}

void cz_syslog(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cz_vsyslog(priority, fmt, ap);
	va_end(ap);
}

/* Everything goes to syslog (authpriv); warnings and errors that the
 * caller is not told otherwise also go to stderr. */
static void log_cb(void *data, int priority, const char *fmt, va_list ap)
{
	va_list ap2;

	(void)data;
	va_copy(ap2, ap);
	cz_vsyslog(priority, fmt, ap2);
	va_end(ap2);
	if (!(priority & CZ_LOG_AUDIT) && (priority & LOG_PRIMASK) <= LOG_WARNING) {
		fprintf(stderr, "%s: ", prog);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
}

static const char *override(bool allowed, const char *var, const char *def)
{
	const char *v = allowed ? getenv(var) : NULL;

	return v && v[0] == '/' ? v : def;
}

/* Through the setuid bit: keep the caller's environment aside for the
 * allow-list, then run with none of it, as root entirely. */
static int become_root(struct cz_frontend *fe)
{
	extern char **environ;
	size_t n = 0;

	while (environ && environ[n])
		n++;
	fe->caller_env = calloc(n + 1, sizeof *fe->caller_env);
	if (!fe->caller_env)
		return -1;
	/* The strings of the initial environment are never freed. */
	memcpy(fe->caller_env, environ, n * sizeof *environ);
	if (clearenv() != 0 || setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) < 0)
		return -1;
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return -1;
	return 0;
}

int cz_frontend_init(struct cz_frontend *fe, const char *ident)
{
	extern char **environ;
	struct passwd *pw;
	const char *sudo = getenv("SUDO_USER");

	prog = ident;
	memset(fe, 0, sizeof *fe);
	fe->fail_status = CZ_EXIT_FAIL;
	/* Before anything else: nothing of ours may run under the caller's
	 * limits (a user's RLIMIT_NOFILE or RLIMIT_FSIZE could make any step
	 * fail at will). */
	if (cz_limits_raise() < 0)
		return -1;
	/* syslog(3), facility authpriv.  A fixed ident, never argv[0]: glibc
	 * formats no name the caller chose (CVE-2023-6246).  Connected at the
	 * first message, on a datagram socket or else a stream one; with no
	 * /dev/log the message is dropped. */
	openlog(ident, LOG_PID, LOG_AUTHPRIV);
	fe->caller_uid = getuid();
	fe->caller_env = environ;
	/* Overrides only for a caller who is root anyway: never through the
	 * setuid bit (AT_SECURE), where the environment is the attacker's. */
	fe->privileged_caller = getuid() == 0 && getauxval(AT_SECURE) == 0;
	fe->cfg.trees = override(fe->privileged_caller, "CONTAINERIZE_TREES", CZ_TREES);
	fe->cfg.rundir = override(fe->privileged_caller, "CONTAINERIZE_RUNDIR", CZ_RUNDIR);
	fe->conf = override(fe->privileged_caller, "CONTAINERIZE_CONF", CZ_CONF);
	fe->cfg.strict = !fe->privileged_caller;
	fe->cfg.log = log_cb;
	/* No NSS lookup (files, nscd, ...) on root's path: it costs time on
	 * every start, for a name that is always root. */
	pw = fe->caller_uid == 0 ? NULL : getpwuid(fe->caller_uid);
	if (fe->caller_uid == 0 && fe->privileged_caller && sudo && strlen(sudo) < 24 &&
	    strcspn(sudo, "\n\r\t ") == strlen(sudo))
		snprintf(fe->user, sizeof fe->user, "root (sudo by %s)", sudo);
	else if (fe->caller_uid == 0)
		snprintf(fe->user, sizeof fe->user, "root");
	else if (pw)
		snprintf(fe->user, sizeof fe->user, "%s", pw->pw_name);
	else
		snprintf(fe->user, sizeof fe->user, "uid %u", (unsigned)fe->caller_uid);
	fe->cfg.user = fe->user;
	if (!fe->privileged_caller && geteuid() == 0 && become_root(fe) < 0) {
		cz_errx("cannot become root: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void cz_frontend_free(struct cz_frontend *fe)
{
	extern char **environ;

	if (fe->caller_env != environ)
		free(fe->caller_env);
	fe->caller_env = NULL;
}
