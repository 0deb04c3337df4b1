/* error.c — error messages and the log callback. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>

#include "internal.h"

int cz_fail(struct cz_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (code <= 0)
		code = EIO;
	if (err) {
		err->code = -code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return -code;
}

void cz_log(const struct cz_config *cfg, int prio, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (!cfg || !cfg->log)
		return;
	va_start(ap, fmt);
	cfg->log(cfg->log_data, prio, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* An error of the moment: a limit of the caller's (EMFILE, EFBIG under
 * RLIMIT_FSIZE, EAGAIN under RLIMIT_NPROC), memory, a full disk, an
 * interrupted call, a device error.  The run that meets one gives up and
 * leaves every file as it was: the same step may work on the next run.
 * Any other error is a verdict on what was found (missing, malformed,
 * refused) and may be acted on. */
bool cz_transient(int code)
{
	switch (code < 0 ? -code : code) {
	case EMFILE:
	case ENFILE:
	case ENOMEM:
	case EAGAIN:
	case EINTR:
	case EIO:
	case EFBIG:
	case ENOSPC:
	case EDQUOT:
	case ENOBUFS:
	case ENOLCK:
		return true;
	default:
		return false;
	}
}
