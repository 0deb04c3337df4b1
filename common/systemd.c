/* systemd.c — on hosts run by systemd, each instance lives in a transient
 * scope unit of its own, made through systemd's D-Bus API.
 *
 * systemd owns the cgroup tree on such a host: a process moved into a
 * cgroup made behind its back escapes the login session's lifetime and the
 * slices, and systemd.io/CGROUP_DELEGATION forbids it.  A scope with
 * Delegate=yes hands us its subtree; the instance's processes live in a
 * leaf below it (delegation rule: processes only in leaves), so
 * cgroup.kill and cgroup.events work there as elsewhere.  The unit goes
 * away by itself once its subtree is empty (systemd watches cgroup.events);
 * the teardown also stops it, so that it is gone when the teardown ends.
 *
 * sd-bus comes from libsystemd, loaded with dlopen on systemd hosts only:
 * elsewhere nothing of it is loaded.  As root we talk to PID 1 directly on
 * /run/systemd/private (what systemctl does as root): no dbus-daemon in
 * the way, and signals reach every direct connection without Subscribe. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#if __has_include(<systemd/sd-bus.h>)
#include <systemd/sd-bus.h>
#define CZ_HAVE_SDBUS 1
#endif

#define SYSTEMD_PRIVATE "/run/systemd/private"
#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* A scope's job is done once its cgroup exists and the PID is in it:
 * milliseconds.  Anything near this bound means systemd is stuck. */
#define SD_TIMEOUT_US (15ULL * 1000000)

bool cz_systemd_host(void)
{
	struct stat sb;

	/* What sd_booted(3) checks: systemd makes it early at boot. */
	return lstat("/run/systemd/system", &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* systemd's unit name escaping (systemd.unit(5), unit_name_escape): '/'
 * becomes '-', every byte outside [A-Za-z0-9:_.] (and a leading '.')
 * becomes \xNN.  Our names only ever need '-' and '+' escaped. */
int cz_unit_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	const char *p;

	for (p = in; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			     c == ':' || c == '_' || (c == '.' && p != in);
		if (c == '/') {
			if (o + 1 >= len)
				return -ENAMETOOLONG;
			out[o++] = '-';
		} else if (plain) {
			if (o + 1 >= len)
				return -ENAMETOOLONG;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= len)
				return -ENAMETOOLONG;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= len)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

/* The longest unit name systemd accepts (UNIT_NAME_MAX - 1). */
#define UNIT_NAME_LEN 255

/* containerize-GROUP-CONTAINER-PID.scope, each name escaped; if that is too
 * long for systemd, containerize-PID.scope (the description still names
 * group and container). */
int cz_scope_name(const char *group, const char *container, pid_t pid, char *out, size_t len)
{
	char g[4 * CZ_NAME_MAX + 1], c[4 * CZ_NAME_MAX + 1];
	int n = -1;

	if (cz_unit_escape(group, g, sizeof g) == 0 && cz_unit_escape(container, c, sizeof c) == 0)
		n = snprintf(out, len, "containerize-%s-%s-%d.scope", g, c, (int)pid);
	if (n < 0 || (size_t)n >= len || n > UNIT_NAME_LEN)
		n = snprintf(out, len, "containerize-%d.scope", (int)pid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* cgroup-name a/b/c names the slice a-b-c.slice (/a.slice/a-b.slice/a-b-c.slice),
 * each component escaped, so that a '-' in a name does not make a level. */
int cz_scope_slice(const char *cgroup_name, char *out, size_t len)
{
	char comp[4 * CZ_NAME_MAX + 1], part[CZ_NAME_MAX + 1];
	const char *s = cgroup_name;
	size_t o = 0;

	while (*s) {
		size_t n = strcspn(s, "/");
		if (n == 0 || n > CZ_NAME_MAX)
			return -EINVAL;
		memcpy(part, s, n);
		part[n] = '\0';
		if (cz_unit_escape(part, comp, sizeof comp) < 0)
			return -ENAMETOOLONG;
		if (o + strlen(comp) + 2 >= len)
			return -ENAMETOOLONG;
		o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "-" : "", comp);
		s += n + (s[n] == '/');
	}
	if (!o || o + sizeof ".slice" > len || o + sizeof ".slice" - 1 > UNIT_NAME_LEN)
		return -ENAMETOOLONG;
	snprintf(out + o, len - o, ".slice");
	return 0;
}

#ifdef CZ_HAVE_SDBUS
/* The part of sd-bus we use, resolved from libsystemd.so.0.  Field names
 * are the symbols without their "sd_". */
struct sdbus {
	int (*bus_new)(sd_bus **);
	int (*bus_set_address)(sd_bus *, const char *);
	int (*bus_start)(sd_bus *);
	sd_bus *(*bus_flush_close_unref)(sd_bus *);
	int (*bus_match_signal)(sd_bus *, sd_bus_slot **, const char *, const char *, const char *,
				const char *, sd_bus_message_handler_t, void *);
	sd_bus_slot *(*bus_slot_unref)(sd_bus_slot *);
	int (*bus_message_new_method_call)(sd_bus *, sd_bus_message **, const char *, const char *,
					   const char *, const char *);
	int (*bus_message_append)(sd_bus_message *, const char *, ...);
	int (*bus_message_open_container)(sd_bus_message *, char, const char *);
	int (*bus_message_close_container)(sd_bus_message *);
	int (*bus_message_read)(sd_bus_message *, const char *, ...);
	sd_bus_message *(*bus_message_unref)(sd_bus_message *);
	int (*bus_call)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
	int (*bus_process)(sd_bus *, sd_bus_message **);
	int (*bus_wait)(sd_bus *, uint64_t);
	int (*bus_get_property_string)(sd_bus *, const char *, const char *, const char *,
				       const char *, sd_bus_error *, char **);
	int (*bus_path_encode)(const char *, const char *, char **);
	void (*bus_error_free)(sd_bus_error *);
	int (*bus_error_has_name)(const sd_bus_error *, const char *);
};

#define SYM(f) { "sd_" #f, offsetof(struct sdbus, f) }
static const struct { const char *name; size_t off; } syms[] = {
	SYM(bus_new), SYM(bus_set_address), SYM(bus_start), SYM(bus_flush_close_unref),
	SYM(bus_match_signal), SYM(bus_slot_unref), SYM(bus_message_new_method_call),
	SYM(bus_message_append), SYM(bus_message_open_container), SYM(bus_message_close_container),
	SYM(bus_message_read), SYM(bus_message_unref), SYM(bus_call), SYM(bus_process), SYM(bus_wait),
	SYM(bus_get_property_string), SYM(bus_path_encode), SYM(bus_error_free), SYM(bus_error_has_name),
};

/* Loaded once per process and kept: a process needs it at most for one
 * setup and one teardown, and unloading libsystemd is not supported. */
static const struct sdbus *sdbus_load(struct cz_error *err)
{
	static struct sdbus sd;
	static int loaded;	/* 0 not yet, 1 loaded */
	void *h, *p;
	size_t i;

	if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE))
		return &sd;
	h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		cz_fail(err, ENOSYS, "systemd host, but libsystemd.so.0 cannot be loaded: %s", dlerror());
		return NULL;
	}
	for (i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		p = dlsym(h, syms[i].name);
		if (!p) {
			cz_fail(err, ENOSYS, "libsystemd.so.0 has no %s", syms[i].name);
			return NULL;	/* h stays loaded: harmless, and it is rare */
		}
		memcpy((char *)&sd + syms[i].off, &p, sizeof p);
	}
	__atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
	return &sd;
}

struct job_wait {
	const struct sdbus *sd;
	char path[256];		/* the job object, "" until known */
	char result[32];	/* "" until JobRemoved for it came */
};

static int on_job_removed(sd_bus_message *m, void *data, sd_bus_error *ret)
{
	struct job_wait *w = data;
	const char *path = NULL, *unit = NULL, *result = NULL;
	uint32_t id;

	(void)ret;
	if (w->sd->bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 || !path || !result)
		return 0;
	if (w->path[0] && strcmp(path, w->path) == 0)
		snprintf(w->result, sizeof w->result, "%s", result);
	return 0;
}

static long long mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A direct connection to PID 1, with a JobRemoved match installed before
 * any call (a job can finish before its call's reply is read). */
static int connect_pid1(const struct sdbus *sd, sd_bus **bus, sd_bus_slot **slot, struct job_wait *w,
			struct cz_error *err)
{
	int r;

	*bus = NULL;
	*slot = NULL;
	r = sd->bus_new(bus);
	if (r >= 0)
		r = sd->bus_set_address(*bus, "unix:path=" SYSTEMD_PRIVATE);
	if (r >= 0)
		r = sd->bus_start(*bus);
	if (r < 0) {
		if (*bus)
			sd->bus_flush_close_unref(*bus);
		*bus = NULL;
		return cz_fail(err, -r, "cannot reach systemd at %s: %s", SYSTEMD_PRIVATE, strerror(-r));
	}
	r = sd->bus_match_signal(*bus, slot, NULL, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, w);
	if (r < 0) {
		sd->bus_flush_close_unref(*bus);
		*bus = NULL;
		return cz_fail(err, -r, "systemd: watching for JobRemoved: %s", strerror(-r));
	}
	return 0;
}

static void disconnect(const struct sdbus *sd, sd_bus *bus, sd_bus_slot *slot)
{
	sd->bus_slot_unref(slot);
	sd->bus_flush_close_unref(bus);
}

/* The reply's job path into w; then process messages until its JobRemoved.
 * Returns 0 if the job's result is "done".  WHAT is the verb ("start"). */
static int wait_job(const struct sdbus *sd, sd_bus *bus, sd_bus_message *reply, struct job_wait *w,
		    const char *what, const char *unit, struct cz_error *err)
{
	long long deadline = mono_us() + (long long)SD_TIMEOUT_US;
	const char *job = NULL;
	int r;

	r = sd->bus_message_read(reply, "o", &job);
	if (r < 0 || !job || strlen(job) >= sizeof w->path)
		return cz_fail(err, EPROTO, "systemd: job to %s %s: unexpected reply", what, unit);
	snprintf(w->path, sizeof w->path, "%s", job);
	while (!w->result[0]) {
		r = sd->bus_process(bus, NULL);
		if (r < 0)
			return cz_fail(err, -r, "systemd: job to %s %s: connection lost: %s", what, unit, strerror(-r));
		if (r > 0)
			continue;
		if (mono_us() >= deadline)
			return cz_fail(err, ETIMEDOUT, "systemd: job to %s %s: no answer in %llu s", what, unit,
				       SD_TIMEOUT_US / 1000000);
		r = sd->bus_wait(bus, (uint64_t)(deadline - mono_us()));
		if (r < 0)
			return cz_fail(err, -r, "systemd: job to %s %s: %s", what, unit, strerror(-r));
	}
	if (strcmp(w->result, "done") != 0)
		return cz_fail(err, EIO, "systemd: job to %s %s: %s", what, unit, w->result);
	return 0;
}

static int call_failed(const struct sdbus *sd, sd_bus_error *e, int r, const char *what, const char *unit,
		       struct cz_error *err)
{
	r = cz_fail(err, r < 0 ? -r : EIO, "systemd refused to %s %s: %s", what, unit,
		    e->message ? e->message : e->name ? e->name : strerror(r < 0 ? -r : EIO));
	sd->bus_error_free(e);
	return r;
}

/* The scope's cgroup as systemd reports it (relative to the cgroup2 root). */
static int scope_cgroup(const struct sdbus *sd, sd_bus *bus, const char *unit, char *cg, size_t cglen,
			struct cz_error *err)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *path = NULL, *val = NULL;
	int r = sd->bus_path_encode(SD_PATH "/unit", unit, &path);

	if (r < 0)
		return cz_fail(err, -r, "systemd: unit path of %s: %s", unit, strerror(-r));
	r = sd->bus_get_property_string(bus, SD_DEST, path, "org.freedesktop.systemd1.Scope", "ControlGroup",
					&e, &val);
	free(path);
	if (r < 0)
		return call_failed(sd, &e, r, "tell the cgroup of", unit, err);
	if (val[0] != '/' || (size_t)snprintf(cg, cglen, "%s", val) >= cglen) {
		free(val);
		return cz_fail(err, EPROTO, "systemd: %s has no usable cgroup", unit);
	}
	free(val);
	return 0;
}

/* The arguments of StartTransientUnit: name, mode, properties, aux units. */
struct scope_args {
	const char *unit, *slice, *desc;
	pid_t pid;
};

static int append_start(const struct sdbus *sd, sd_bus_message *m, const void *args)
{
	const struct scope_args *a = args;
	int r = sd->bus_message_append(m, "ss", a->unit, "fail");

	if (r >= 0)
		r = sd->bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sd->bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", a->desc,
					   "Slice", "s", a->slice, "Delegate", "b", 1,
					   /* a failed scope is collected too: nothing of ours stays */
					   "CollectMode", "s", "inactive-or-failed",
					   "PIDs", "au", 1, (uint32_t)a->pid);
	if (r >= 0)
		r = sd->bus_message_close_container(m);
	if (r >= 0)
		r = sd->bus_message_append(m, "a(sa(sv))", 0);
	return r;
}

/* The arguments of StopUnit: name, mode. */
static int append_stop(const struct sdbus *sd, sd_bus_message *m, const void *args)
{
	return sd->bus_message_append(m, "ss", (const char *)args, "replace");
}

/* One Manager METHOD on UNIT whose reply is a job (VERB names it in
 * messages): connect, call with the arguments APPEND adds, wait for the
 * job; then, if CG is given, read the unit's cgroup into it.  A unit that
 * does not exist (NoSuchUnit) is no error when GONE_OK: it emptied and
 * systemd collected it. */
static int manager_job_call(const struct sdbus *sd, const char *method, const char *verb, const char *unit,
			    int (*append)(const struct sdbus *, sd_bus_message *, const void *),
			    const void *args, bool gone_ok, char *cg, size_t cglen, struct cz_error *err)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	struct job_wait w = { .sd = sd };
	sd_bus_slot *slot;
	sd_bus *bus;
	int r;

	r = connect_pid1(sd, &bus, &slot, &w, err);
	if (r < 0)
		return r;
	r = sd->bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, method);
	if (r >= 0)
		r = append(sd, m, args);
	if (r < 0) {
		r = cz_fail(err, -r, "systemd: building the request to %s %s: %s", verb, unit, strerror(-r));
		goto out;
	}
	r = sd->bus_call(bus, m, SD_TIMEOUT_US, &e, &reply);
	if (r < 0 && gone_ok && sd->bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) {
		sd->bus_error_free(&e);
		r = 0;
	} else if (r < 0) {
		r = call_failed(sd, &e, r, verb, unit, err);
	} else {
		r = wait_job(sd, bus, reply, &w, verb, unit, err);
		if (r == 0 && cg)
			r = scope_cgroup(sd, bus, unit, cg, cglen, err);
	}
out:
	sd->bus_message_unref(reply);
	sd->bus_message_unref(m);
	disconnect(sd, bus, slot);
	return r;
}

int cz_scope_start(const char *unit, const char *slice, const char *desc, pid_t pid, char *cg,
		   size_t cglen, struct cz_error *err)
{
	const struct sdbus *sd = sdbus_load(err);
	const struct scope_args a = { .unit = unit, .slice = slice, .desc = desc, .pid = pid };

	if (!sd)
		return err->code;
	return manager_job_call(sd, "StartTransientUnit", "start", unit, append_start, &a, false, cg, cglen, err);
}

int cz_scope_stop(const char *unit, struct cz_error *err)
{
	const struct sdbus *sd = sdbus_load(err);

	if (!sd)
		return err->code;
	return manager_job_call(sd, "StopUnit", "stop", unit, append_stop, unit, true, NULL, 0, err);
}
#else
int cz_scope_start(const char *unit, const char *slice, const char *desc, pid_t pid, char *cg,
		   size_t cglen, struct cz_error *err)
{
	(void)slice, (void)desc, (void)pid, (void)cg, (void)cglen;
	return cz_fail(err, ENOSYS, "systemd host, but this build has no sd-bus to make %s", unit);
}

int cz_scope_stop(const char *unit, struct cz_error *err)
{
	return cz_fail(err, ENOSYS, "systemd host, but this build has no sd-bus to stop %s", unit);
}
#endif
