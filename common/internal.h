/* internal.h — private to libcontainerize.  Every function here returns 0
 * or -errno and fills a struct cz_error; none prints or exits. */
#ifndef CZ_INTERNAL_H
#define CZ_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "containerize.h"

/* The longest path containerize builds or records, with its NUL: the tree
 * (TREES/GROUP/CONTAINER), the group's directories, the run dir entry and
 * the instance cgroup.  Not PATH_MAX: each 4 KiB that the group, the state
 * and the lock span costs a page fault at first touch (3 us on a VM) and
 * a copy at fork, on every start.  A longer TREES or RUNDIR is refused with
 * an error that says so. */
#define CZ_PATH_MAX 1024

/* A throwaway instance's upper directory on the host: ephemeral-dir (less
 * than 256 bytes), "/GROUP.NAME.PID". */
#define CZ_UPPER_MAX (256 + 2 * CZ_NAME_MAX + 16)

#define CZ_ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- errors and log (error.c) ---- */
/* Fill err with -code and a formatted message; returns -code (code > 0). */
int cz_fail(struct cz_error *err, int code, const char *fmt, ...) CZ_ATTR_PRINTF(3, 4);
void cz_log(const struct cz_config *cfg, int prio, const char *fmt, ...) CZ_ATTR_PRINTF(3, 4);
/* code (errno, either sign) is an error of the moment, not a verdict. */
bool cz_transient(int code);

/* ---- namespaces (ns.c) ---- */
struct cz_ns_kind {
	int flag;		/* CLONE_NEW* */
	const char *name;	/* /proc/PID/ns/<name> and the pin file name */
};
/* Every namespace we may pin, in setns order: mount namespace last, since
 * entering it changes what paths mean. */
extern const struct cz_ns_kind cz_ns_kinds[];
#define CZ_NS_COUNT 6

/* ---- group configuration (config.c) ---- */
enum cz_propagation { CZ_PROP_SLAVE, CZ_PROP_PRIVATE, CZ_PROP_SHARED };

/* The group's fstab, parsed (fstab.c): one allocation, the entries then
 * their strings; cz_fstab_free frees it. */
enum cz_fstab_kind { CZ_FSTAB_NEW, CZ_FSTAB_BIND, CZ_FSTAB_RBIND };
struct cz_fstab_entry {
	int line;			/* in the file, for messages */
	enum cz_fstab_kind kind;
	int mkdir_mode;			/* x-mount.mkdir's, -1 without it */
	int nsb;			/* superblock flags, first in fsopts */
	uint64_t attr_set, attr_clr;	/* MOUNT_ATTR_* */
	const char *source, *target, *fstype;
	const char *fsopts;		/* "key" or "key=value" strings, each
					   NUL-ended, then an empty one */
};
struct cz_fstab {
	size_t n;
	struct cz_fstab_entry e[];
};

enum cz_hook { CZ_HOOK_BIND, CZ_HOOK_UNBIND, CZ_HOOK_PROFILE, CZ_HOOK_STOP, CZ_HOOK_COUNT };
extern const char *const cz_hook_names[CZ_HOOK_COUNT];

struct cz_group {
	char group[CZ_NAME_MAX + 1];
	char container[CZ_NAME_MAX + 1];
	char tree[CZ_PATH_MAX];		/* TREES/GROUP/CONTAINER */
	char confdir[CZ_PATH_MAX];	/* TREES/GROUP/.container */
	char groupdir[CZ_PATH_MAX];	/* TREES/GROUP */
	int groupfd;			/* O_PATH of TREES/GROUP (host namespace) */
	int treefd;			/* O_PATH of the tree, no symlink */
	bool hook[CZ_HOOK_COUNT];	/* present and trusted */
	char cgroup_name[256];
	int nsflags;			/* extra CLONE_NEW* besides NEWNS */
	enum cz_propagation prop;
	char shell[256];
	bool has_fstab;			/* .container/fstab exists, trusted */
	struct cz_fstab *fstab;		/* parsed by cz_group_load_fstab */
	/* A throwaway instance (cz_config.base): its base tree's name (treefd
	 * is then the base's), and the size of its tmpfs upper layer from the
	 * group's `ephemeral-size` ("" = tmpfs's default), or the host
	 * directory that holds it instead (`ephemeral-dir`, "" = none) and,
	 * during a setup, the instance's own directory in it (upperfd). */
	char base[CZ_NAME_MAX + 1];
	char upper_size[32];
	char upper_dir[256];
	int upperfd;
};

/* Parsers: pure functions on a text buffer (unit-tested, fuzzed). */
int cz_parse_unshare_options(const char *text, int *nsflags, struct cz_error *err);
int cz_parse_propagation(const char *text, enum cz_propagation *prop, struct cz_error *err);
int cz_parse_cgroup_name(const char *text, char *out, size_t outlen, struct cz_error *err);
int cz_parse_shell(const char *text, char *out, size_t outlen, struct cz_error *err);
int cz_parse_size(const char *text, char *out, size_t outlen, struct cz_error *err);
int cz_parse_dir(const char *text, char *out, size_t outlen, struct cz_error *err);
const char *cz_propagation_name(enum cz_propagation p);

/* Open TREES/GROUP, its .container and the tree and read every file;
 * container NULL: the configuration only (no tree, treefd -1). */
int cz_group_load(const struct cz_config *cfg, const char *group,
		  const char *container, struct cz_group *g, struct cz_error *err);
void cz_group_close(struct cz_group *g);
/* Is name a hook or file that containerize runs or reads? */
bool cz_conf_name_known(const char *name);
/* Parse .container/fstab into g->fstab (host side, before the setup:
 * only the first session needs it, and a bad line then costs nothing). */
int cz_group_load_fstab(const struct cz_config *cfg, struct cz_group *g, struct cz_error *err);

/* ---- fstab (fstab.c) ---- */
/* Parse the fstab open at fd (name: for messages) with libmount. */
int cz_fstab_parse(int fd, const char *name, struct cz_fstab **out, struct cz_error *err);
void cz_fstab_free(struct cz_fstab *t);
/* In the setup process: mount g->fstab's entries below the tree rootfd,
 * in file order. */
int cz_fstab_mount(const struct cz_group *g, int rootfd, struct cz_error *err);

/* ---- run dir, locks, state (rundir.c, state.c) ---- */
struct cz_state {
	bool complete;			/* false while the setup runs */
	pid_t pid;			/* INSTANCE_PID */
	char boot_id[64];
	long long started;		/* unix time */
	int nsflags;
	enum cz_propagation prop;
	char tree[CZ_PATH_MAX];
	char cgroup[CZ_PATH_MAX];	/* absolute instance cgroup dir */
	char unit[256];			/* systemd hosts: the instance's scope unit */
	uint64_t treemnt;		/* shared: our bind of the tree on the host
					   (its mount id), 0 if none was made */
	int teardown;			/* read only: how far the teardown of a state
				   written before the hook markers got (1: `stop`
				   started, 2: `unbind` too) */
	char base[CZ_NAME_MAX + 1];	/* a throwaway instance's base, else "" */
	char upper[CZ_UPPER_MAX];	/* its upper layer's directory on the host
					   (ephemeral-dir), else "" */
};

struct cz_lock;
int cz_state_format(const struct cz_state *st, char *buf, size_t len);
int cz_state_parse(const char *text, struct cz_state *st, struct cz_error *err);
/* 0; -ENOENT (no state); -EINVAL: malformed (a setup that died writing
 * it), st holding the fields read up to the fault; any other -errno: the
 * state could not be read now (an error of the moment, cz_transient). */
int cz_state_read(int dirfd, struct cz_state *st, struct cz_error *err);
/* Replace the state (through state.new and a rename). */
int cz_state_write(const struct cz_lock *lk, const struct cz_state *st, struct cz_error *err);
/* The setup's first state, written in place: its open descriptor, for
 * cz_state_complete to mark it complete (one byte) once pinned. */
int cz_state_create(const struct cz_lock *lk, const struct cz_state *st, struct cz_error *err);
int cz_state_complete(int fd, const struct cz_lock *lk, struct cz_error *err);
/* Replace that first state in place with a longer one (fields filled in). */
int cz_state_rewrite(int fd, const struct cz_lock *lk, const struct cz_state *st, struct cz_error *err);
int cz_boot_id(char *buf, size_t len);
/* Does the state belong to this boot?  An empty boot id (state on a tmpfs)
 * does, by construction. */
int cz_same_boot(const struct cz_state *st);		/* 1, 0, or -errno */
/* Is the run dir (dirfd: a directory in it) on a file system that a
 * reboot empties (tmpfs)? */
bool cz_rundir_volatile(int dirfd);

struct cz_lock {
	int dirfd;			/* RUNDIR/GROUP/CONTAINER */
	int lockfd;
	char dir[CZ_PATH_MAX];
	char group[CZ_NAME_MAX + 1];
	char container[CZ_NAME_MAX + 1];
};
/* Make RUNDIR a private tmpfs mount (once) so namespace pins can live
 * there; cz_rundir_private makes it private again (at every setup). */
int cz_rundir_prepare(const char *rundir, struct cz_error *err);
int cz_rundir_private(const char *rundir, struct cz_error *err);
/* Lock RUNDIR/GROUP/CONTAINER; create: prepare the run dir (before any
 * entry is opened) and make the entry if it is missing. */
int cz_lock_take(const struct cz_config *cfg, const char *group,
		 const char *container, bool create, struct cz_lock *lk,
		 struct cz_error *err);
void cz_lock_release(struct cz_lock *lk);
/* Marker made by the setup process right before the bind hook starts:
 * unbind runs at teardown only if it exists. */
#define CZ_BIND_MARKER "bind-started"
/* Markers made by the teardown's stop and unbind hooks' own processes
 * (cz_hook_env.started): a hook whose marker exists is never run again. */
#define CZ_STOP_MARKER "stop-started"
#define CZ_UNBIND_MARKER "unbind-started"
/* Remove everything of the container from the run dir, the lock last. */
void cz_rundir_remove(const struct cz_config *cfg, const char *group, struct cz_lock *lk);
int cz_count_sessions(int reffd);
/* Under the lock: is the state a live instance (some session holds
 * `ref`)?  1 (with *reffd open), 0 (stale: the proof the teardown needs),
 * -errno if we cannot tell now. */
int cz_state_is_live(const struct cz_lock *lk, const struct cz_state *st, int *reffd,
		     struct cz_error *err);
/* Under the lock: tear down the stale instance st (malformed: its state
 * is partial: no `stop`, every kind of pin); -errno if an error of the
 * moment stopped that, and the state is left for the next run. */
int cz_clean_stale(const struct cz_config *cfg, struct cz_lock *lk, struct cz_state *st,
		   bool malformed, struct cz_error *err);

/* ---- throwaway instances (overlay.c, throwaway.c) ---- */
/* In the new mount namespace, before `bind`: a tmpfs on the instance's
 * (empty) directory (or, with ephemeral-dir, its directory upper there,
 * made on the host: g->upperfd), the overlay of the base on top.  Returns a descriptor of the upper layer's
 * file system (to tell a full upper from other failures) or -errno. */
int cz_overlay_mount(const struct cz_group *g, int groupfd, const char *upper, struct cz_error *err);
/* Does the upper layer (cz_overlay_mount's descriptor) have no space or
 * inode left? */
bool cz_overlay_full(int upperfd);
/* Host side, under the instance's lock: the instance's directory (made,
 * or adopted if it is an empty directory left by a crash), removed by
 * cz_overlay_forget at teardown. */
int cz_overlay_dir(const struct cz_group *g, struct cz_error *err);
/* Host side, with ephemeral-dir, once the state names it (st->upper): the
 * instance's upper directory made there, open in g->upperfd. */
int cz_overlay_upper(const struct cz_config *cfg, struct cz_group *g, const struct cz_state *st,
		     struct cz_error *err);
void cz_overlay_forget(const struct cz_config *cfg, const struct cz_state *st);
/* The base's registry of its throwaway instances: RUNDIR/GROUP/BASE/
 * throwaway/NAME, made and read under the base's lock (blk), whose holder
 * may take an instance's lock (the only order: base, then instance). */
int cz_throwaway_register(const struct cz_lock *blk, const char *name, struct cz_error *err);
/* The live throwaway instances of the base, space-separated in live;
 * stale ones are cleaned up and forgotten.  Returns their number. */
int cz_throwaway_live(const struct cz_config *cfg, const struct cz_lock *blk, char *live,
		      size_t len);
/* Without any lock held: drop name from base's registry if it is not live. */
void cz_throwaway_forget(const struct cz_config *cfg, const char *group, const char *base,
			 const char *name);

/* ---- pins (pins.c) ---- */
/* The files the pins go onto, made beforehand (cz_pin_files), then the
 * binds of the namespaces of process pid onto them. */
int cz_pin_files(const struct cz_lock *lk, int nsflags, struct cz_error *err);
int cz_pin_namespaces(const struct cz_lock *lk, pid_t pid, int nsflags, struct cz_error *err);
/* nsflags: the kinds the state says were pinned (~0: every kind found). */
void cz_unpin_namespaces(const struct cz_lock *lk, int nsflags);
int cz_open_pins(int dirfd, int nsflags, int fds[CZ_NS_COUNT], struct cz_error *err);
/* The id of our mount namespace (NS_GET_MNTNS_ID), 0 if the kernel cannot
 * tell: a new namespace can be pinned from the caller's only if its id is
 * greater (the kernel rule: pins.c). */
uint64_t cz_mntns_id(void);
/* The caller's id where a namespace we make may be older than it (6.18,
 * nested), else 0: then the check can be skipped. */
uint64_t cz_mntns_caller_id(void);

/* ---- mount table (mountinfo.c, through libmount) ---- */
struct cz_mount {
	const char *target, *fstype, *root;	/* unescaped */
	unsigned long propagation;	/* MS_SHARED, MS_SLAVE or MS_PRIVATE, | MS_UNBINDABLE */
};
/* Calls fn for every mount of ours until it returns nonzero (< 0: error,
 * returned), or -errno if the table cannot be read: -ELIBACC when
 * libmount cannot be loaded. */
int cz_mountinfo_walk(int (*fn)(const struct cz_mount *m, void *data), void *data);
/* What a walk's -errno means, for a message. */
const char *cz_mountinfo_strerror(int r);

/* ---- cgroup (cgroup.c) ---- */
int cz_cgroup_mount(char *buf, size_t len);
int cz_cgroup_path(const char *name, pid_t pid, char *path, size_t len, struct cz_error *err);
int cz_cgroup_create(const char *path, struct cz_error *err);
int cz_cgroup_kill(const char *path, struct cz_error *err);
/* systemd hosts: the scope unit `unit` in `slice`, the instance cgroup (a
 * leaf below it) in path, and a process holding it there till teardown. */
int cz_cgroup_scope(const char *unit, const char *slice, const char *desc, char *path, size_t len,
		    struct cz_error *err);

/* ---- systemd (systemd.c) ---- */
bool cz_systemd_host(void);
int cz_unit_escape(const char *in, char *out, size_t len);
int cz_scope_name(const char *group, const char *container, pid_t pid, char *out, size_t len);
int cz_scope_slice(const char *cgroup_name, char *out, size_t len);
/* Start the transient scope unit (Delegate=yes) with process pid in it and
 * wait for its job; its cgroup as systemd names it (from the cgroup2 root)
 * in cg.  Stop: wait for the stop job; a unit already gone is no error. */
int cz_scope_start(const char *unit, const char *slice, const char *desc, pid_t pid, char *cg,
		   size_t cglen, struct cz_error *err);
int cz_scope_stop(const char *unit, struct cz_error *err);

/* ---- hooks (hooks.c) ---- */
struct cz_hook_env {
	const struct cz_group *g;
	pid_t pid;
	const char *cgroup;
	/* If set, the absolute path of a marker file that the hook's own
	 * process creates right before it executes the hook (teardown.c):
	 * the record "this hook started" then exists if and only if the
	 * hook's process does, whatever SIGKILLs its parent.  A record made
	 * by the parent before the spawn would lose the hook for good if a
	 * SIGKILL landed between the two. */
	const char *started;
};
/* Run a hook with stdin /dev/null and stdout on our stderr; the status is
 * a wait status, returns -errno only if it could not be started (then
 * cz_hook_run_checked's message says "could not run"; a hook that ran and
 * failed is -ECANCELED there). */
int cz_hook_run(const struct cz_hook_env *he, const char *path, char *const argv[], int *status);
int cz_hook_run_checked(const struct cz_hook_env *he, enum cz_hook h, const char *path,
			char *const argv[], struct cz_error *err);

/* ---- setup and teardown (setup.c, mounts.c, teardown.c) ---- */
/* With command non-NULL (and no pid namespace), the setup process goes on
 * to be the command: cz_setup returns CZ_SETUP_IN_CHILD in it, and its
 * pid in *command in the parent once everything is pinned. */
#define CZ_SETUP_IN_CHILD 1
int cz_setup(const struct cz_config *cfg, struct cz_group *g, struct cz_lock *lk,
	     struct cz_state *st, pid_t *command, struct cz_error *err);
/* In the new namespaces: propagation, standard mounts, pivot_root. */
int cz_mount_propagation(const struct cz_group *g, struct cz_error *err);
int cz_reopen_group(const struct cz_group *g, struct cz_error *err);
int cz_mount_tree(const struct cz_group *g, int groupfd, int *rootfd, struct cz_error *err);
int cz_pivot_into(int rootfd, bool shared, struct cz_error *err);
/* shared: the host-side bind of the tree, its mount id in *mntid; and the
 * teardown's undoing of it (only if the mount on the tree is still ours). */
int cz_share_tree(const struct cz_group *g, uint64_t *mntid, struct cz_error *err);
int cz_unshare_tree(const struct cz_state *st, struct cz_error *err);
int cz_clone_profile(const struct cz_group *g, int groupfd, struct cz_error *err);
int cz_run_profile(const struct cz_hook_env *he, int mfd, struct cz_error *err);

/* Full teardown of the instance in st: stop, kill, unpin, unbind, state. */
/* known: the group as the caller read it, or NULL to read it again. */
/* An error of the moment (cz_transient) stops it with the state left in
 * place, for the next run to finish; cz_state_gone tells the caller
 * whether the run-dir entry may be removed. */
int cz_teardown(const struct cz_config *cfg, struct cz_lock *lk, const struct cz_group *known,
		const struct cz_state *st, bool ran, struct cz_error *err);
bool cz_state_gone(int dirfd);

pid_t cz_clone(uint64_t flags, int cgroupfd);
/* fn(arg) in a child that shares our memory, stopped until it executes or
 * exits (vclone.c); its pid, -ENOSYS where that cannot be done (fork
 * then), or -errno. */
pid_t cz_vclone(int cgroupfd, void (*fn)(void *), void *arg);

/* ---- sessions (session.c, joinself.c) ---- */
struct cz_session {
	struct cz_config cfg;
	struct cz_group g;
	struct cz_state st;
	int reffd;
	int nsfd[CZ_NS_COUNT];
	int cgfd;
	int host_pid;			/* the caller's pid namespace, for its children */
	bool did_setup;			/* this session set the instance up */
	/* join_self (joinself.c): the caller's own namespaces, root and
	 * cwd to go back to; whether it is inside now */
	bool joined_self, inside, fork_failed;
	int host_ns[CZ_NS_COUNT];
	int host_root, host_cwd;
};
/* Before the teardown of a joined session: the caller back on the host
 * and not in the instance cgroup, or -errno (then no teardown from it). */
int cz_joined_leave(struct cz_session *s, struct cz_error *err);
/* The session is freed: its caller's forks are left alone from now on. */
void cz_joined_forget(struct cz_session *s);

/* ---- small helpers (util.c) ---- */
/* execve and posix_spawn take char *const argv[] for historical reasons
 * and never write to the strings. */
static inline char *cz_unconst(const char *s)
{
	union { const char *c; char *m; } u = { .c = s };
	return u.m;
}

int cz_read_small_file(int dirfd, const char *name, char *buf, size_t len);
/* The time in seconds, by the system call: the vDSO's first use in a
 * process costs two page faults (its symbols, its data page), more than
 * the call itself. */
long long cz_now(void);
int cz_write_file(const char *path, const char *text);
int cz_check_trusted(const struct stat *sb);
/* openat2(2) (glibc 2.36 has no wrapper): path opened from dirfd with
 * flags, resolved under the RESOLVE_* rules of resolve.  A descriptor, or
 * -1 with errno set. */
int cz_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve);
/* cz_check_trusted for something of group g named name (shown as
 * CONFDIR/NAME): refused under setuid (cfg->strict), a warning in the log
 * for root's own runs. */
int cz_group_trusted(const struct cz_config *cfg, const struct cz_group *g, const char *name,
		     const struct stat *sb, struct cz_error *err);
bool cz_exists(int dirfd, const char *name);
/* Call fn for every entry of the directory but . and .. until it returns
 * nonzero (returned); reads from dirfd's position, which it moves.  One
 * getdents64 for a small directory, and one more to see its end: cheaper
 * than probing for a handful of names that are usually absent. */
int cz_dir_each(int dirfd, int (*fn)(const char *name, void *data), void *data);
ssize_t cz_write_all(int fd, const void *buf, size_t len);
ssize_t cz_read_all(int fd, void *buf, size_t len);

#endif
