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
	/* cz_session_start asks this just before it lets the command go
	 * (the first session's setup process, or a joining session's child):
	 * true if the caller was interrupted meanwhile.  The command then
	 * never runs, the session is undone (a setup as if it had failed,
	 * without running `stop`), and cz_session_start returns -EINTR.  It
	 * is asked after the namespaces are pinned and the state is complete,
	 * so that the command starts as soon as the answer is given.  NULL:
	 * never interrupted. */
	bool (*interrupted)(void *data);
	void *interrupted_data;
	/* Non-NULL: a container that is not live is set up as a throwaway
	 * instance whose root is an overlay of TREES/GROUP/<base> (writes go
	 * to an upper layer that lives only as long as the instance), and a
	 * live one is joined only if it is a throwaway instance of <base>. */
	const char *base;
};

/* Untrusted text made printable for a message: control bytes as \xNN. */
void cz_printable(const char *in, char *out, size_t len);

/* Names: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most CZ_NAME_MAX bytes. */
bool cz_name_valid(const char *name);

/* A session is one holder of a reference on a live container. */
struct cz_session;

/* Lock, detect stale state, set the container up or find it live, take a
 * reference, unlock.  The calling process stays where it is (host side). */
int cz_session_open(const struct cz_config *cfg, const char *group,
		    const char *container, struct cz_session **out,
		    struct cz_error *err);

/* cz_session_open, then a child fully inside the container (all its
 * namespaces, a pid namespace included; its cgroup; root and cwd /).  The
 * first session's setup process itself becomes that child (when there is
 * no pid namespace): one process fewer.
 * Returns the child's pid in the parent (holding the session in *out), 0
 * in the child (err->code set if it could not get inside: _exit(125)),
 * -errno in the parent on failure. */
pid_t cz_session_start(const struct cz_config *cfg, const char *group,
		       const char *container, struct cz_session **out,
		       struct cz_error *err);

/* cz_session_start for a child that only prepares and executes a
 * command: fn(session, arg, err) runs in it, inside the container
 * (err->code set if it could not get inside), and must end in execve or
 * _exit.  A joining child borrows the caller's memory and the caller is
 * stopped until fn has executed or exited (no page tables copied): fn
 * must keep the vfork rules (common/vclone.c): no malloc or stdio state
 * of its own, no writes to the caller's memory but what arg gives it for
 * that; environ it may set (execvp searches its PATH), the caller gets
 * its own back.  drops: fn drops privileges to a user before it executes
 * (the child is then a fork unless the kernel keeps that user out of its
 * memory: fs.suid_dumpable 0 or 2).  The first session's setup process (a
 * fork) runs fn too.  Returns the child's pid, or -errno. */
typedef void (*cz_child_fn)(struct cz_session *s, void *arg, const struct cz_error *err);
pid_t cz_session_spawn(const struct cz_config *cfg, const char *group,
		       const char *container, struct cz_session **out,
		       cz_child_fn fn, void *arg, bool drops, struct cz_error *err);

/* For a PAM caller (single-threaded, stays where it is for the login):
 * the caller enters the container's namespaces now, but not its cgroup;
 * every process it forks from now on starts inside (namespaces and
 * cgroup) and keeps nothing of the host, while the caller itself goes back
 * to its own namespaces right after each fork (joinself.c).  One such
 * session per process. */
int cz_session_join_self(struct cz_session *s, struct cz_error *err);

/* Drop the reference; the last one out tears the container down.  Frees s.
 * After join_self, the caller first goes back to the host's namespaces;
 * if it cannot, or if it is in the instance cgroup, it tears nothing down
 * (an error; the next run finds the instance stale). */
int cz_session_close(struct cz_session *s, struct cz_error *err);

/* As close, for a session whose command never ran (interrupted before):
 * if it set the container up and is the last, teardown skips `stop`. */
int cz_session_abort(struct cz_session *s, struct cz_error *err);

/* Forget the session without touching the container (a forked child of
 * the holder, PAM_DATA_SILENT): closes descriptors, frees s. */
void cz_session_forget(struct cz_session *s);

/* Who ended the container with --stop (cz_stop's cfg->user) while this
 * session held it: their name in buf and its length, 0 if nobody did. */
int cz_session_stopped_by(const struct cz_session *s, char *buf, size_t len);

/* The group's `shell` file ("" if none; valid until the session is freed). */
const char *cz_session_shell(const struct cz_session *s);

/* INSTANCE_PID of the container the session holds. */
pid_t cz_session_instance(const struct cz_session *s);

/* --list: calls fn once per live container. */
struct cz_list_entry {
	const char *group, *container, *tree, *cgroup;
	const char *base;	/* a throwaway instance's base, else "" */
	pid_t instance_pid;
	int sessions;
	long long started;	/* unix time */
};
int cz_list(const struct cz_config *cfg,
	    int (*fn)(const struct cz_list_entry *e, void *data), void *data,
	    struct cz_error *err);

/* --list --all and --info (read only, nothing locked).  fn is called for
 * each group under the trees root (container NULL), then for each of its
 * containers, sorted; only_group: that group only.  Directories with
 * valid names, never symlinks. */
int cz_trees_each(const struct cz_config *cfg, const char *only_group,
		  int (*fn)(const char *group, const char *container, void *data), void *data,
		  struct cz_error *err);
/* A container as its run-dir entry shows it now; sessions: live ones. */
enum cz_live { CZ_DOWN, CZ_LIVE, CZ_STALE, CZ_STARTING };
enum cz_live cz_container_state(const struct cz_config *cfg, const char *group,
				const char *container, int *sessions);
/* One entry of TREES/GROUP/.container. */
struct cz_conf_entry {
	const char *name;
	bool known;		/* a hook or file that containerize uses */
	bool hook;		/* named as a hook (bind, unbind, profile, stop) */
	char type;		/* 'f' file, 'd' directory, 'l' symlink, '?' other */
	unsigned mode, uid, gid;
	/* For a known entry: */
	const char *refused;	/* NULL, or why containerize refuses it for anyone */
	const char *strict;	/* NULL, or why a caller through the setuid bit is refused */
};
/* Every entry of the group's .container, sorted; -ENOENT without one. */
int cz_group_entries(const struct cz_config *cfg, const char *group,
		     int (*fn)(const struct cz_conf_entry *e, void *data), void *data,
		     struct cz_error *err);
/* The group's settings in effect (as root reads them). */
struct cz_group_settings {
	char propagation[16];
	char unshare_options[96];	/* "--uts --pid", "" for none */
	char shell[256];		/* "" if the group names none */
	char cgroup_name[256];
	char setuid_refusal[512];	/* "" if a setuid caller is let in */
};
int cz_group_settings(const struct cz_config *cfg, const char *group,
		      struct cz_group_settings *out, struct cz_error *err);

/* --stop: kill everything in the container and tear it down now.
 * -ENOENT if it is not set up. */
int cz_stop(const struct cz_config *cfg, const char *group,
	    const char *container, struct cz_error *err);

/* Who the user is, read from the host's databases before any join. */
struct cz_identity {
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char user[64], home[1024], shell[256];
};
int cz_identity_load(uid_t uid, struct cz_identity *id, struct cz_error *err);
void cz_identity_free(struct cz_identity *id);
/* setgroups, setresgid, setresuid; then check that root cannot come back. */
int cz_drop_privileges(const struct cz_identity *id, struct cz_error *err);
/* Fail TIOCSTI/TIOCLINUX with EPERM in this process and its descendants. */
int cz_block_tiocsti(struct cz_error *err);
/* A fresh environment: the allow-list of env, plus HOME USER LOGNAME SHELL
 * PATH for id (strings of env are reused, not copied); one allocation,
 * freed with free(). */
char **cz_clean_env(char *const *env, const struct cz_identity *id, const char *shell);

/* The map file (SPEC 7). */
struct cz_rule {
	char who[64];
	char group[CZ_NAME_MAX + 1];
	char container[128];	/* %u expanded once matched */
	char shell[256];	/* "" if none */
	int line;
};
struct cz_who {
	const char *user;
	const gid_t *groups;	/* all of the user's groups */
	int ngroups;
};
/* CONTAINER with %u replaced by user; false unless a valid name results. */
bool cz_expand_user(const char *pattern, const char *user, char *out, size_t len);
/* One line: 0 a rule, 1 blank or comment, -EINVAL malformed. */
int cz_map_parse_line(const char *text, struct cz_rule *r, struct cz_error *err);
bool cz_map_matches(const struct cz_rule *r, const struct cz_who *who);
/* 1 and *out = the first rule matching who; 0 none; -errno when the file
 * cannot be trusted or read (then it counts as empty: log err). */
int cz_map_lookup(const char *conf, const struct cz_who *who, struct cz_rule *out,
		  struct cz_error *err);
/* 1 if some rule matching who names group/container. */
int cz_map_allows(const char *conf, const struct cz_who *who, const char *group,
		  const char *container, struct cz_rule *out, struct cz_error *err);

#endif
