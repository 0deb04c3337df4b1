/* login.c — containerize-shell as a login shell (setuid root).
 *
 * sshd, su and login run it as the user's shell: as "-containerize-shell"
 * (a login shell), plainly, or with -c COMMAND (ssh remote commands, scp,
 * rsync, sftp).  It enters the container that the user's first rule in
 * the map file names — set up or joined, the same code as the CLI — then
 * becomes the user for good and runs the rule's shell inside. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "frontend.h"

static const char usage[] =
	"Usage: containerize-shell [-l|--login] [-c COMMAND]\n"
	"A login shell that puts the user in the container that "
	CZ_CONF " maps them to.\n";

int cz_login_main(int argc, char **argv)
{
	struct cz_command cmd = { 0 };
	struct cz_frontend fe;
	struct cz_identity id;
	struct cz_error err = { 0 };
	struct cz_rule rule;
	struct cz_who who;
	char rule_at[4200];
	int i, r;

	if (cz_frontend_init(&fe, "containerize-shell") < 0)
		return CZ_EXIT_FAIL;
	cmd.login = argc > 0 && argv[0] && argv[0][0] == '-';
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--login") == 0) {
			cmd.login = true;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc && i + 2 == argc) {
			cmd.dash_c = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			cz_errx("unexpected argument '%.64s' (usage: containerize-shell [-l] [-c COMMAND])", argv[i]);
			return CZ_EXIT_FAIL;
		}
	}
	if (geteuid() != 0 || getuid() != 0) {
		cz_errx("containerize-shell must be installed setuid root");
		return CZ_EXIT_FAIL;
	}
	if (cz_identity_load(fe.caller_uid, &id, &err) < 0) {
		cz_errx("%s", err.msg);
		return CZ_EXIT_FAIL;
	}
	who = (struct cz_who){ id.user, id.groups, id.ngroups };
	r = cz_map_lookup(fe.conf, &who, &rule, &err);
	if (r < 0) {
		cz_syslog(LOG_WARNING, "refused login of %s: the map file is unusable", id.user);
		cz_map_unusable(id.user, &err);
		cz_identity_free(&id);
		return CZ_EXIT_FAIL;
	}
	if (r == 0) {
		cz_syslog(LOG_WARNING, "refused login of %s: no container mapped in %s", id.user, fe.conf);
		cz_errx("no container is mapped for user '%s' in %s", id.user, fe.conf);
		cz_identity_free(&id);
		return CZ_EXIT_FAIL;
	}
	cmd.shell = rule.shell;
	snprintf(rule_at, sizeof rule_at, "line %d of %s", rule.line, fe.conf);
	cmd.shell_from = rule_at;
	cmd.as = &id;
	cmd.env = fe.caller_env;
	r = cz_enter_and_run(&fe, rule.group, rule.container, &cmd);
	cz_frontend_free(&fe);
	cz_identity_free(&id);
	return r;
}
