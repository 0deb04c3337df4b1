/* main.c — one binary, two front ends: invoked as `containerize` it is the
 * CLI (root, or a mapped user through the setuid bit); under any other
 * name (containerize-shell, "-containerize-shell" from login) it is the
 * login shell. */
#include <string.h>
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

	base = base ? base + 1 : name;
	if (strcmp(base, "containerize") == 0)
		return cz_cli_main(argc, argv);
	return cz_login_main(argc, argv);
}
