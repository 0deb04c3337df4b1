/* error.c — error messages and the log callback. */
#include <errno.h>
#include <stdarg.h>
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
