/* dlopen.c — loads a PAM module as libpam does (RTLD_NOW) and reports its session entry
 * points. Usage: dlopen MODULE.so; prints "load ok" or "load failed: ...", then one line per
 * symbol: "SYMBOL yes|no" for pam_sm_open_session, pam_sm_close_session,
 * pam_sm_authenticate, pam_sm_setcred, pam_sm_acct_mgmt, pam_sm_chauthtok. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	static const char *syms[] = { "pam_sm_open_session", "pam_sm_close_session", "pam_sm_authenticate",
				      "pam_sm_setcred", "pam_sm_acct_mgmt", "pam_sm_chauthtok" };
	void *h;

	if (argc != 2)
		return 2;
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("load failed: %s\n", dlerror());
		return 1;
	}
	printf("load ok\n");
	for (unsigned i = 0; i < sizeof syms / sizeof syms[0]; i++)
		printf("%s %s\n", syms[i], dlsym(h, syms[i]) ? "yes" : "no");
	return 0;
}
