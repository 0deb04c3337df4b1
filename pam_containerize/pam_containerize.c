/* pam_containerize.c — a PAM session module that puts the whole login
 * session inside the user's container.
 *
 * open_session sets the container up or joins it with the same library
 * code as the CLI, then joins the caller (sshd's monitor, su, login) to it
 * (cz_session_join_self, joinself.c): the caller enters the container's
 * namespaces, and everything it forks from then on — the user's shell —
 * starts inside, in the instance cgroup, while the caller goes back to
 * the host after each fork and never leaves its own cgroup (logind's
 * session scope on a systemd host).  close_session drops the session's
 * hold from the host side; the last one tears the container down.
 *
 * The module only returns PAM codes and logs through pam_syslog. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PAM_SM_SESSION
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "containerize.h"

#define DATA_NAME "pam_containerize_session"
#define PUBLIC __attribute__((visibility("default")))

struct options {
	const char *group, *container, *conf, *trees, *rundir;
	bool debug;
};

struct log_ctx {
	pam_handle_t *pamh;
	bool debug;
};

struct held {
	struct cz_session *s;
	pid_t opener;		/* only this process may end the session */
	struct log_ctx log;	/* the session logs through it until closed */
};

static void log_cb(void *data, int priority, const char *fmt, va_list ap)
{
	struct log_ctx *l = data;
	int prio = priority & LOG_PRIMASK;

	if (prio == LOG_DEBUG && !l->debug)
		return;
	pam_vsyslog(l->pamh, prio, fmt, ap);
}

static void parse_options(pam_handle_t *pamh, int argc, const char **argv, struct options *o)
{
	int i;

	memset(o, 0, sizeof *o);
	o->conf = CZ_CONF;
	o->trees = CZ_TREES;
	o->rundir = CZ_RUNDIR;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "group=", 6) == 0)
			o->group = a + 6;
		else if (strncmp(a, "container=", 10) == 0)
			o->container = a + 10;
		else if (strncmp(a, "conf=", 5) == 0)
			o->conf = a + 5;
		else if (strncmp(a, "trees=", 6) == 0)
			o->trees = a + 6;
		else if (strncmp(a, "rundir=", 7) == 0)
			o->rundir = a + 7;
		else if (strcmp(a, "debug") == 0)
			o->debug = true;
		else {
			char shown[256];
			cz_printable(a, shown, sizeof shown);
			pam_syslog(pamh, LOG_ERR, "unknown option: %s", shown);
		}
	}
}

/* Which container: the options', or the user's first rule.  Returns
 * PAM_SUCCESS, PAM_IGNORE (no rule) or PAM_SESSION_ERR. */
static int choose(pam_handle_t *pamh, const struct options *o, const struct cz_identity *id,
		  char group[CZ_NAME_MAX + 1], char container[128])
{
	struct cz_who who = { id->user, id->groups, id->ngroups };
	struct cz_error err = { 0 };
	struct cz_rule rule;
	int r;

	if (o->group || o->container) {
		if (!o->group || !o->container) {
			pam_syslog(pamh, LOG_ERR, "group= and container= go together");
			return PAM_SESSION_ERR;
		}
		snprintf(group, CZ_NAME_MAX + 1, "%s", o->group);
		if (!cz_name_valid(o->group) || !cz_expand_user(o->container, id->user, container, 128)) {
			pam_syslog(pamh, LOG_ERR, "invalid group= or container= for user %s", id->user);
			return PAM_SESSION_ERR;
		}
		return PAM_SUCCESS;
	}
	r = cz_map_lookup(o->conf, &who, &rule, &err);
	if (r < 0) {
		/* Fail closed: a broken map file must not let logins fall
		 * through to the host. */
		pam_syslog(pamh, LOG_ERR, "%s", err.msg);
		return PAM_SESSION_ERR;
	}
	if (r == 0) {
		if (o->debug)
			pam_syslog(pamh, LOG_DEBUG, "no container mapped for %s in %s", id->user, o->conf);
		return PAM_IGNORE;
	}
	snprintf(group, CZ_NAME_MAX + 1, "%s", rule.group);
	snprintf(container, 128, "%s", rule.container);
	return PAM_SUCCESS;
}

/* pam_end: in a forked child (PAM_DATA_SILENT, e.g. su's before exec) or a
 * process that is not the opener, just let go of our descriptors. */
static void cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	struct held *h = data;
	struct cz_error err = { 0 };

	(void)pamh;
	if (!h)
		return;
	if (!h->s) {
		/* Already closed by close_session. */
	} else if ((error_status & PAM_DATA_SILENT) || getpid() != h->opener) {
		cz_session_forget(h->s);
	} else {
		cz_session_close(h->s, &err);
	}
	free(h);
}

/* The session's environment says where it runs, as for containerize's
 * commands: debian_chroot (Debian's bash prompt shows it) unless already
 * set, CONTAINERIZE_GROUP, CONTAINERIZE_INSTANCE.  su, runuser, login and
 * sshd hand the PAM environment to the user's shell.  Not worth failing
 * the session for. */
static void put_env(pam_handle_t *pamh, const char *group, const char *container)
{
	char v[3 * CZ_NAME_MAX + 256];

	if (!pam_getenv(pamh, "debian_chroot")) {
		snprintf(v, sizeof v, "debian_chroot=%s/%s", group, container);
		(void)pam_putenv(pamh, v);
	}
	snprintf(v, sizeof v, "CONTAINERIZE_GROUP=%s", group);
	(void)pam_putenv(pamh, v);
	snprintf(v, sizeof v, "CONTAINERIZE_INSTANCE=%s", container);
	(void)pam_putenv(pamh, v);
}

PUBLIC int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	char group[CZ_NAME_MAX + 1], container[128];
	struct options o;
	struct cz_config cfg = { 0 };
	struct cz_identity id;
	struct cz_error err = { 0 };
	struct held *h;
	const char *user = NULL;
	struct passwd *pw;
	int r;

	(void)flags;
	parse_options(pamh, argc, argv, &o);
	if (pam_get_item(pamh, PAM_USER, (const void **)&user) != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_ERR, "no user");
		return PAM_SESSION_ERR;
	}
	pw = getpwnam(user);
	if (!pw) {
		char shown[256];
		cz_printable(user, shown, sizeof shown);
		pam_syslog(pamh, LOG_ERR, "unknown user %s", shown);
		return PAM_SESSION_ERR;
	}
	if (cz_identity_load(pw->pw_uid, &id, &err) < 0) {
		pam_syslog(pamh, LOG_ERR, "%s", err.msg);
		return PAM_SESSION_ERR;
	}
	r = choose(pamh, &o, &id, group, container);
	cz_identity_free(&id);
	if (r != PAM_SUCCESS)
		return r;

	h = calloc(1, sizeof *h);
	if (!h)
		return PAM_BUF_ERR;
	/* The session keeps the log context: it must outlive this call. */
	h->log = (struct log_ctx){ pamh, o.debug };
	cfg = (struct cz_config){ .trees = o.trees, .rundir = o.rundir, .user = pw->pw_name,
				  .strict = true, .log = log_cb, .log_data = &h->log };
	h->opener = getpid();
	if (cz_session_open(&cfg, group, container, &h->s, &err) < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot enter container %s/%s for %s: %s", group, container, user, err.msg);
		free(h);
		return PAM_SESSION_ERR;
	}
	if (cz_session_join_self(h->s, &err) < 0) {
		struct cz_error e2 = { 0 };
		pam_syslog(pamh, LOG_ERR, "cannot join container %s/%s for %s: %s", group, container, user, err.msg);
		cz_session_close(h->s, &e2);
		free(h);
		return PAM_SESSION_ERR;
	}
	if (pam_set_data(pamh, DATA_NAME, h, cleanup) != PAM_SUCCESS) {
		/* Inside already, but unable to end it properly later: fail closed. */
		pam_syslog(pamh, LOG_ERR, "pam_set_data failed");
		cleanup(pamh, h, 0);
		return PAM_SESSION_ERR;
	}
	put_env(pamh, group, container);
	if (o.debug)
		pam_syslog(pamh, LOG_DEBUG, "session of %s in %s/%s", user, group, container);
	return PAM_SUCCESS;
}

PUBLIC int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct held *h = NULL;
	struct cz_error err = { 0 };
	int r;

	(void)flags;
	(void)argc;
	(void)argv;
	if (pam_get_data(pamh, DATA_NAME, (const void **)&h) != PAM_SUCCESS || !h)
		return PAM_SUCCESS;
	if (getpid() != h->opener)
		return PAM_SUCCESS;	/* a forked child: not ours to end */
	r = cz_session_close(h->s, &err);
	h->s = NULL;
	/* Replacing the data runs cleanup(), which now only frees h. */
	pam_set_data(pamh, DATA_NAME, NULL, NULL);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "closing the container session: %s", err.msg);
		return PAM_SESSION_ERR;
	}
	return PAM_SUCCESS;
}
