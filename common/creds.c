/* creds.c — becoming the user for good, in the order util-linux and sudo
 * use: supplementary groups, then gid, then uid; then prove that root is
 * gone.  Also the environment allow-list and the TIOCSTI filter. */
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

int cz_identity_load(uid_t uid, struct cz_identity *id, struct cz_error *err)
{
	struct passwd *pw;
	int n = 64;

	memset(id, 0, sizeof *id);
	errno = 0;
	pw = getpwuid(uid);
	if (!pw)
		return cz_fail(err, errno ? errno : ENOENT, "no passwd entry for uid %u", (unsigned)uid);
	if (strlen(pw->pw_name) >= sizeof id->user || strlen(pw->pw_dir) >= sizeof id->home ||
	    strlen(pw->pw_shell) >= sizeof id->shell)
		return cz_fail(err, ENAMETOOLONG, "passwd entry for uid %u too long", (unsigned)uid);
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	snprintf(id->user, sizeof id->user, "%s", pw->pw_name);
	snprintf(id->home, sizeof id->home, "%s", pw->pw_dir);
	snprintf(id->shell, sizeof id->shell, "%s", pw->pw_shell);
	/* Read on the host, before the join: inside, /etc/group is the tree's. */
	for (;;) {
		gid_t *g = realloc(id->groups, (size_t)n * sizeof *g);
		int want = n;
		if (!g)
			return cz_fail(err, ENOMEM, "out of memory");
		id->groups = g;
		if (getgrouplist(id->user, id->gid, id->groups, &want) >= 0) {
			id->ngroups = want;
			return 0;
		}
		if (want <= n || want > 65536)
			return cz_fail(err, EINVAL, "cannot list the groups of %s", id->user);
		n = want;
	}
}

void cz_identity_free(struct cz_identity *id)
{
	free(id->groups);
	id->groups = NULL;
}

int cz_drop_privileges(const struct cz_identity *id, struct cz_error *err)
{
	uid_t r, e, s;

	if (setgroups((size_t)id->ngroups, id->groups) < 0)
		return cz_fail(err, errno, "setgroups: %m");
	if (setresgid(id->gid, id->gid, id->gid) < 0)
		return cz_fail(err, errno, "setresgid: %m");
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		return cz_fail(err, errno, "setresuid: %m");
	/* Paranoia, as util-linux: a way back must not exist. */
	if (id->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return cz_fail(err, EPERM, "privileges could be regained");
	if (getresuid(&r, &e, &s) < 0 || r != id->uid || e != id->uid || s != id->uid)
		return cz_fail(err, EPERM, "uid not dropped");
	return 0;
}

/* TIOCSTI (and TIOCLINUX) let a process push input into its terminal, to
 * be read by whoever reads it next: a privileged process that shares the
 * terminal (CVE-2017-5226).  The kernel still allows it here
 * (dev.tty.legacy_tiocsti=1), so the user's processes get a seccomp filter
 * that fails those two ioctls with EPERM — as bubblewrap does.  setsid()
 * would close the hole too but leaves an interactive shell without a
 * controlling terminal (no job control, no Ctrl-C).  Installed while we
 * are still root, so no_new_privs is not needed: sudo keeps working. */
#define ARG1_LO offsetof(struct seccomp_data, args[1])
#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define NATIVE_IOCTL 16
#define COMPAT_ARCH AUDIT_ARCH_I386
#define COMPAT_IOCTL 54
#define X32_IOCTL (0x40000000 | 514)
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define NATIVE_IOCTL 29
#define COMPAT_ARCH AUDIT_ARCH_ARM
#define COMPAT_IOCTL 54
#define X32_IOCTL 0xffffffff
#endif

int cz_block_tiocsti(struct cz_error *err)
{
#ifdef NATIVE_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_ARCH, 5, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* native (and x32) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_IOCTL, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_IOCTL, 3, 2),
		/* compat */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_IOCTL, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* ioctl: the request's low 32 bits (the kernel compares those) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG1_LO),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return cz_fail(err, errno, "installing the TIOCSTI filter: %m");
	return 0;
#else
	(void)err;
	return 0;
#endif
}

/* The variables a login may carry in; everything else (LD_*, IFS, ENV,
 * BASH_ENV, PATH, ...) is dropped. */
static const char *const allowed_env[] = {
	"TERM", "COLORTERM", "LANG", "LANGUAGE", "LC_*", "TZ", "DISPLAY",
	"SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "SSH_ORIGINAL_COMMAND",
};

static bool env_allowed(const char *kv)
{
	char name[128];
	size_t n = strcspn(kv, "=");
	size_t i;

	if (!kv[n] || n == 0 || n >= sizeof name)
		return false;
	memcpy(name, kv, n);
	name[n] = '\0';
	for (i = 0; i < sizeof allowed_env / sizeof allowed_env[0]; i++)
		if (fnmatch(allowed_env[i], name, 0) == 0)
			return strlen(kv + n + 1) < 4096 && !strchr(kv + n + 1, '\n');
	return false;
}

char **cz_clean_env(char *const *env, const struct cz_identity *id, const char *shell)
{
	const char *path = id->uid == 0 ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" :
			   "/usr/local/bin:/usr/bin:/bin:/usr/games";
	size_t n = 0, i, o = 0, len;
	char **out, *p;

	while (env && env[n])
		n++;
	/* One block, the array and our five strings: free() frees it all. */
	len = sizeof "HOME=" + sizeof "USER=" + sizeof "LOGNAME=" + sizeof "SHELL=" + sizeof "PATH=" +
	      strlen(id->home) + 2 * strlen(id->user) + strlen(shell) + strlen(path);
	out = calloc(1, (n + 6) * sizeof *out + len);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++)
		if (env_allowed(env[i]))
			out[o++] = env[i];
	p = (char *)(out + n + 6);
	out[o++] = p;
	p += sprintf(p, "HOME=%s", id->home) + 1;
	out[o++] = p;
	p += sprintf(p, "USER=%s", id->user) + 1;
	out[o++] = p;
	p += sprintf(p, "LOGNAME=%s", id->user) + 1;
	out[o++] = p;
	p += sprintf(p, "SHELL=%s", shell) + 1;
	out[o++] = p;
	sprintf(p, "PATH=%s", path);
	out[o] = NULL;
	return out;
}
