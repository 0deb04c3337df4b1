/* main.c — one binary, two front ends: invoked as `containerize` it is the
 * CLI (root, or a mapped user through the setuid bit); under any other
 * name (containerize-shell, "-containerize-shell" from login) it is the
 * login shell.  The static build (CZ_TWIN, see twin.c) first hands a caller
 * who came through the setuid bit to its dynamically linked twin. */
#include <string.h>
#include <sys/prctl.h>
#include <sys/auxv.h>

#include "frontend.h"

#ifdef CZ_SANITIZE
/* LeakSanitizer stops the world with ptrace, which a setuid process (not
 * dumpable) does not allow: it would fail every setuid run.  Leaks are
 * still checked for every run by root. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return getauxval(AT_SECURE) != 0;
}
#endif

int main(int argc, char **argv)
{
	const char *name = argc > 0 && argv[0] ? argv[0] : "containerize-shell";
	const char *base = strrchr(name, '/');

#ifdef CZ_TWIN
	if (getauxval(AT_SECURE))
		return cz_twin_exec(CZ_TWIN, argv);
#endif
	base = base ? base + 1 : name;
#ifndef CZ_TWIN
	/* Handed over by the static build, we run under the twin's file
	 * name: ps and pgrep should still see the name we were called by. */
	if (getauxval(AT_SECURE))
		prctl(PR_SET_NAME, base[0] == '-' ? base + 1 : base);
#endif
	if (strcmp(base, "containerize") == 0)
		return cz_cli_main(argc, argv);
	return cz_login_main(argc, argv);
}
