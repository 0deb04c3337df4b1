/* limits.c — containerize's own resource limits, not the caller's.
 *
 * A setuid program inherits the limits of whoever runs it, and a user can
 * set them to make its work fail at any chosen step (RLIMIT_NOFILE: the
 * Nth open; RLIMIT_FSIZE: SIGXFSZ at a state write).  So, as sudo does,
 * the front end saves the caller's limits before any privileged work,
 * gives itself what its work needs, and hands the caller's own limits back
 * to COMMAND just before it drops privileges and executes it.  Hooks are
 * root's and run with containerize's limits.
 *
 * Per resource (SECURITY.md, "Resource limits"): the soft limit raised to
 * the target, the hard limit with it if it is lower (that takes
 * CAP_SYS_RESOURCE, which root in some containers lacks: then the soft
 * limit goes up to the hard one, and a hard limit below the minimum is
 * refused with an error before anything is done). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "frontend.h"

#define MIB ((rlim_t)1 << 20)

static const struct need {
	int resource;
	const char *name;
	rlim_t target;		/* RLIM_INFINITY: none */
	rlim_t minimum;		/* below it (and not raisable): refused */
} needs[] = {
	/* A few dozen descriptors at most (pins, lock, state, pipes). */
	{ RLIMIT_NOFILE, "RLIMIT_NOFILE", 1024, 64 },
	/* A state write must not stop half-way (our files: a few KiB). */
	{ RLIMIT_FSIZE, "RLIMIT_FSIZE", RLIM_INFINITY, MIB },
	/* Root in full (real uid 0) is exempt at fork already, and so are
	 * hooks; raised anyway, so that a hook that becomes a user does not
	 * meet the caller's limit. */
	{ RLIMIT_NPROC, "RLIMIT_NPROC", RLIM_INFINITY, 0 },
	{ RLIMIT_AS, "RLIMIT_AS", RLIM_INFINITY, 256 * MIB },
	{ RLIMIT_DATA, "RLIMIT_DATA", RLIM_INFINITY, 256 * MIB },
	/* Not unlimited: an unlimited stack gives hooks the legacy mmap
	 * layout.  8 MiB is the usual default; we use far less. */
	{ RLIMIT_STACK, "RLIMIT_STACK", 8 * MIB, MIB },
	/* Milliseconds for us; hooks may take long. */
	{ RLIMIT_CPU, "RLIMIT_CPU", RLIM_INFINITY, 60 },
};
#define NNEEDS (sizeof needs / sizeof needs[0])

/* The caller's, for COMMAND; and their SIGXFSZ and SIGXCPU dispositions
 * (an ignored signal stays ignored across exec). */
static struct rlimit saved[NNEEDS], saved_core;
static struct sigaction saved_xfsz, saved_xcpu;
static bool raised;
/* Which of needs[] (bit i) and RLIMIT_CORE (bit NNEEDS) we changed: only
 * those go back (a system call each, on every start). */
static unsigned changed;

static rlim_t at_least(rlim_t have, rlim_t need)
{
	if (have == RLIM_INFINITY || need == RLIM_INFINITY)
		return RLIM_INFINITY;
	return have > need ? have : need;
}

static const char *shown(rlim_t v, char *buf, size_t len)
{
	if (v == RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

int cz_limits_raise(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct rlimit nocore;
	char b[32], b2[32];
	size_t i;
	int e;

	for (i = 0; i < NNEEDS; i++)
		if (getrlimit(needs[i].resource, &saved[i]) < 0) {
			cz_errx("%s: %s", needs[i].name, strerror(errno));
			return -1;
		}
	if (getrlimit(RLIMIT_CORE, &saved_core) < 0 || sigaction(SIGXFSZ, NULL, &saved_xfsz) < 0 ||
	    sigaction(SIGXCPU, NULL, &saved_xcpu) < 0) {
		cz_errx("saving the caller's limits: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < NNEEDS; i++) {
		struct rlimit want = saved[i];
		want.rlim_cur = at_least(want.rlim_cur, needs[i].target);
		want.rlim_max = at_least(want.rlim_max, want.rlim_cur);
		if (memcmp(&want, &saved[i], sizeof want) == 0)
			continue;
		changed |= 1U << i;
		if (setrlimit(needs[i].resource, &want) == 0)
			continue;
		/* EPERM: no CAP_SYS_RESOURCE.  As far as the hard limit goes. */
		e = errno;
		want = saved[i];
		want.rlim_cur = want.rlim_max;
		if (at_least(want.rlim_cur, needs[i].minimum) != want.rlim_cur) {
			cz_errx("cannot raise %s to %s: %s (your hard limit is %s)", needs[i].name,
				shown(needs[i].minimum, b, sizeof b), strerror(e), shown(want.rlim_max, b2, sizeof b2));
			return -1;
		}
		if (want.rlim_cur != saved[i].rlim_cur && setrlimit(needs[i].resource, &want) < 0) {
			cz_errx("cannot raise %s to %s: %s", needs[i].name, shown(want.rlim_cur, b, sizeof b),
				strerror(errno));
			return -1;
		}
	}
	/* No core dump of a root process that holds the caller's and the
	 * container's secrets (as sudo); the kernel makes a setuid process
	 * undumpable anyway unless fs.suid_dumpable says otherwise. */
	nocore = (struct rlimit){ 0, saved_core.rlim_max };
	if (saved_core.rlim_cur != 0) {
		changed |= 1U << NNEEDS;
		(void)setrlimit(RLIMIT_CORE, &nocore);
	}
	/* A limit lowered under us all the same (prlimit by root) must give
	 * EFBIG and an error we report, not a kill in the middle of a write;
	 * CPU time beyond the hard limit is SIGKILL whatever we do. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGXFSZ, &ign, NULL);
	sigaction(SIGXCPU, &ign, NULL);
	raised = true;
	return 0;
}

int cz_limits_restore(void)
{
	size_t i;

	if (!raised)
		return 0;
	for (i = 0; i < NNEEDS; i++)
		if ((changed & (1U << i)) && setrlimit(needs[i].resource, &saved[i]) < 0) {
			cz_errx("restoring your %s: %s", needs[i].name, strerror(errno));
			return -1;
		}
	if ((changed & (1U << NNEEDS)) && setrlimit(RLIMIT_CORE, &saved_core) < 0) {
		cz_errx("restoring your RLIMIT_CORE: %s", strerror(errno));
		return -1;
	}
	sigaction(SIGXFSZ, &saved_xfsz, NULL);
	sigaction(SIGXCPU, &saved_xcpu, NULL);
	return 0;
}
