/* login.c — containerize-shell as a login shell (not yet implemented). */
#include "frontend.h"

int cz_login_main(int argc, char **argv)
{
	struct cz_frontend fe;

	(void)argc;
	(void)argv;
	cz_frontend_init(&fe, "containerize-shell");
	cz_errx("the login shell is not implemented yet");
	return CZ_EXIT_FAIL;
}
