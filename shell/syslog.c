/* syslog.c — the front ends' messages to /dev/log.
 *
 * glibc's syslog(3) creates and connects a socket for every message while
 * it is not connected, and with no /dev/log it tries again each time: two
 * messages (set up, tore down) cost 0.1 to 0.3 ms of every cold start here,
 * measured.  This sender connects once per process; if there is nothing to
 * connect to it gives up for good, and a connection that a restarted
 * syslog daemon dropped is made again once.  The format is glibc's
 * ("<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE"), facility authpriv. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "frontend.h"

static const char *ident = "containerize";
static int log_fd = -2;		/* -2: not tried yet; -1: no syslog here */
static int log_type = SOCK_DGRAM;

void cz_syslog_open(const char *name)
{
	ident = name;
}

/* A datagram socket, as journald and rsyslog serve; a stream one for a
 * daemon that listens on one (as glibc falls back). */
static int log_connect(void)
{
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	struct stat sb;
	size_t i;
	int fd;

	/* No syslog daemon (a fresh Debian 12 has none): one lstat instead of
	 * a socket and a failing connect, 15 us of a cold start. */
	if (lstat(sa.sun_path, &sb) < 0)
		return -1;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			log_type = types[i];
			return fd;
		}
		close(fd);
		if (errno != EPROTOTYPE)
			break;
	}
	return -1;
}

void cz_vsyslog(int priority, const char *fmt, va_list ap)
{
	char msg[1024], line[1280], stamp[32];
	struct tm tm;
	time_t now;
	int n;

	if (log_fd == -2)
		log_fd = log_connect();
	if (log_fd < 0)
		return;
	now = time(NULL);
	if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof stamp, "%b %e %T", &tm))
		stamp[0] = '\0';
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = snprintf(line, sizeof line, "<%d>%s %s[%d]: %s", LOG_AUTHPRIV | (priority & LOG_PRIMASK),
		     stamp, ident, (int)getpid(), msg);
	if (n >= (int)sizeof line)
		n = sizeof line - 1;
	if (log_type == SOCK_STREAM)
		n++;		/* the NUL ends a message on a stream */
	if (send(log_fd, line, (size_t)n, MSG_NOSIGNAL) < 0 &&
	    (errno == ECONNREFUSED || errno == ENOTCONN)) {
		close(log_fd);
		log_fd = log_connect();
		if (log_fd >= 0)
			(void)!send(log_fd, line, (size_t)n, MSG_NOSIGNAL);
	}
}

void cz_syslog(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cz_vsyslog(priority, fmt, ap);
	va_end(ap);
}
