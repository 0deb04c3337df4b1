/* containerize.h — the one public interface of libcontainerize.
 *
 * The library sets up, joins and tears down filesystem containers for every
 * front end (the root CLI, the setuid login shell, the PAM module).  It never
 * exits, never prints and keeps no mutable globals: every call returns 0 or
 * -errno and, on failure, a one-line message in a struct cz_error that the
 * caller prints or logs.  Log events (setup, join, teardown, refusals) go
 * through the callback the caller installs in struct cz_config.
 */
#ifndef CONTAINERIZE_H
#define CONTAINERIZE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CZ_NAME_MAX 64

struct cz_error {
	int code;		/* -errno of the failure, 0 if none */
	char msg[512];		/* one line, no trailing newline */
};

/* priority is a syslog priority, ORed with CZ_LOG_AUDIT for a message
 * that only records what the caller is also told through struct cz_error
 * (a front end logs it but need not show it again). */
#define CZ_LOG_AUDIT 0x1000
typedef void (*cz_log_fn)(void *data, int priority, const char *fmt, va_list ap);

struct cz_config {
	const char *trees;	/* root of all trees, e.g. /trees */
	const char *rundir;	/* state, e.g. /run/containerize */
	const char *user;	/* who asked, for the log */
	bool strict;		/* untrusted caller: refuse hooks/config not
				   owned by root or writable by others */
	cz_log_fn log;		/* may be NULL */
	void *log_data;
};

/* Names: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most CZ_NAME_MAX bytes. */
bool cz_name_valid(const char *name);

/* A session is one holder of a reference on a live container. */
struct cz_session;

/* Lock, detect stale state, set the container up or find it live, take a
 * reference, unlock.  The calling process stays where it is (host side). */
int cz_session_open(const struct cz_config *cfg, const char *group,
		    const char *container, struct cz_session **out,
		    struct cz_error *err);

/* Fork a child that is fully inside the container: all its namespaces (a
 * pid namespace included: the child is in it), its cgroup, root and cwd /.
 * Returns the child's pid in the parent, 0 in the child, -errno on error
 * (in the parent, or in the child: then the child should _exit(125)). */
pid_t cz_session_fork(struct cz_session *s, struct cz_error *err);

/* Move the calling (single-threaded) process itself into the container's
 * namespaces and, if with_cgroup, its cgroup; the PAM module does this so
 * that everything its caller forks afterwards is inside.  Host-side work
 * (teardown in cz_session_close) still works afterwards. */
int cz_session_join_self(struct cz_session *s, bool with_cgroup,
			 struct cz_error *err);

/* Drop the reference; the last one out tears the container down.  Frees s. */
int cz_session_close(struct cz_session *s, struct cz_error *err);

/* Forget the session without touching the container (a forked child of
 * the holder, PAM_DATA_SILENT): closes descriptors, frees s. */
void cz_session_forget(struct cz_session *s);

/* Path of the instance cgroup and the command the group's `shell` file or
 * the default names (valid until the session is freed). */
const char *cz_session_shell(const struct cz_session *s);
pid_t cz_session_instance_pid(const struct cz_session *s);

/* --list: calls fn once per live container. */
struct cz_list_entry {
	const char *group, *container, *tree, *cgroup;
	pid_t instance_pid;
	int sessions;
	long long started;	/* unix time */
};
int cz_list(const struct cz_config *cfg,
	    int (*fn)(const struct cz_list_entry *e, void *data), void *data,
	    struct cz_error *err);

/* --stop: kill everything in the container and tear it down now.
 * -ENOENT if it is not set up. */
int cz_stop(const struct cz_config *cfg, const char *group,
	    const char *container, struct cz_error *err);

#endif
