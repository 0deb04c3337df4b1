/* cli.c — `containerize [OPTIONS] GROUP CONTAINER [COMMAND [ARG...]]`. */
#include <errno.h>
#include <pwd.h>
#include <syslog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frontend.h"

static const char usage[] =
	"Usage: containerize [OPTIONS] GROUP CONTAINER [COMMAND [ARG...]]\n"
	"       containerize [OPTIONS] --ephemeral BASE GROUP NAME [COMMAND [ARG...]]\n"
	"       containerize [OPTIONS] --hold [--ephemeral BASE] GROUP CONTAINER\n"
	"       containerize --list [--all]\n"
	"       containerize --info GROUP [CONTAINER]\n"
	"       containerize --stop GROUP CONTAINER\n"
	"\n"
	"Run COMMAND (default: the group's shell) as root in the container\n"
	"TREES/GROUP/CONTAINER, setting it up if no session is live in it and\n"
	"joining it otherwise; the last session out tears it down.  A user that\n"
	"the map file grants the container runs COMMAND as themselves.\n"
	"\n"
	"Options:\n"
	"  --list          list live containers and their sessions (root only)\n"
	"  -l, --list --all\n"
	"                  list every group and container, live or not\n"
	"  --info G [C]    show group G's configuration and containers\n"
	"  --stop G C      kill everything in container G/C and tear it down (root only)\n"
	"  -d, --directory=DIR\n"
	"                  run COMMAND in DIR inside (default: the current directory\n"
	"                  where it exists inside, else /)\n"
	"  -u, --user=USER run COMMAND as USER of the host's user database (root only)\n"
	"  --ephemeral BASE  set GROUP/NAME up (if not live) as a throwaway instance:\n"
	"                  an overlay of GROUP/BASE whose writes end with it (root only)\n"
	"  --hold          run nothing: print \"ready GROUP/CONTAINER INSTANCE_PID\" and\n"
	"                  hold the session until stdin ends or SIGTERM/SIGHUP\n"
	"  --error-exit=N  exit N (1-255) instead of 125 when containerize itself fails\n"
	"  -h, --help      show this help\n"
	"  -V, --version   show the version\n"
	"  --              end of options\n"
	"\n"
	"Exit status: COMMAND's; 128+N if it was killed by signal N; 125 (or\n"
	"--error-exit's N) if containerize failed; 126 if COMMAND is not\n"
	"executable; 127 if not found.\n"
	"\n"
	"Trees: " CZ_TREES "  run dir: " CZ_RUNDIR "  map file: " CZ_CONF "\n"
	"See containerize(1) and containerize.conf(5).\n";

/* Where the options leave their values. */
struct options {
	const char *dir;	/* -d DIR */
	const char *user;	/* -u USER */
	bool all;		/* --list --all, -l */
	const char *error_exit;	/* --error-exit=N */
	bool hold;		/* --hold */
};

/* The caller's directory, as getcwd gives it. */
#define CZ_CWD_MAX 4096

static int print_entry(const struct cz_list_entry *e, void *data)
{
	char when[32];
	time_t t = (time_t)e->started;
	struct tm tm;

	(void)data;
	if (!localtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(when, sizeof when, "?");
	printf("%-16s %-16s %8d %-16s %8d  %s  %s\n", e->group, e->container, e->sessions,
	       e->base && e->base[0] ? e->base : "-", (int)e->instance_pid, when, e->cgroup);
	return 0;
}

static int do_list(struct cz_frontend *fe)
{
	struct cz_error err = { 0 };

	printf("%-16s %-16s %8s %-16s %8s  %-19s  %s\n", "GROUP", "CONTAINER", "SESSIONS", "BASE", "PID", "STARTED",
	       "CGROUP");
	if (cz_list(&fe->cfg, print_entry, NULL, &err) < 0) {
		cz_errx("%s", err.msg);
		return CZ_EXIT_FAIL;
	}
	return fflush(stdout) == 0 ? 0 : CZ_EXIT_FAIL;
}

static int do_stop(struct cz_frontend *fe, const char *group, const char *container)
{
	struct cz_error err = { 0 };

	if (cz_stop(&fe->cfg, group, container, &err) < 0) {
		cz_errx("%s", err.msg);
		return CZ_EXIT_FAIL;
	}
	return 0;
}

/* --list --all (group NULL) and --info: a caller through the setuid bit
 * sees only what the map file grants them. */
static int do_look(struct cz_frontend *fe, const char *group, const char *container)
{
	struct cz_identity id = { 0 };
	struct cz_error err = { 0 };
	int r;

	if (!fe->privileged_caller && cz_identity_load(fe->caller_uid, &id, &err) < 0) {
		cz_errx("%s", err.msg);
		return CZ_EXIT_FAIL;
	}
	if (group)
		r = cz_info(fe, fe->privileged_caller ? NULL : &id, group, container);
	else
		r = cz_list_all(fe, fe->privileged_caller ? NULL : &id);
	cz_identity_free(&id);
	return r;
}

/* A non-root caller (through the setuid bit) may enter exactly the
 * containers that a rule matching them names; decided before anything
 * else happens, from the host's user and group databases. */
static int authorize(struct cz_frontend *fe, const struct cz_identity *id,
		     const char *group, const char *container, struct cz_rule *rule)
{
	struct cz_who who = { id->user, id->groups, id->ngroups };
	struct cz_error err = { 0 };
	int r;

	if (!cz_name_valid(group) || !cz_name_valid(container)) {
		cz_errx("invalid %s name (allowed: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most %d bytes)",
			cz_name_valid(group) ? "container" : "group", CZ_NAME_MAX);
		return -1;
	}
	r = cz_map_allows(fe->conf, &who, group, container, rule, &err);
	if (r < 0) {
		cz_syslog(LOG_WARNING, "refused %s/%s for %s: the map file is unusable", group, container, id->user);
		cz_map_unusable(id->user, &err);
		return -1;
	}
	if (r == 0) {
		cz_syslog(LOG_WARNING, "refused %s/%s for %s: no rule in %s", group, container,
		       id->user, fe->conf);
		cz_errx("permission denied: no rule in %s gives %s the container %s/%s", fe->conf,
			id->user, group, container);
		return -1;
	}
	return 0;
}

/* -u USER: the host's user database names them, as for schroot -u. */
static int load_user(const char *name, struct cz_identity *id)
{
	struct cz_error err = { 0 };
	struct passwd *pw;
	char shown[80];

	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		cz_printable(name, shown, sizeof shown);
		cz_errx("-u %s: %s", shown, errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (cz_identity_load(pw->pw_uid, id, &err) < 0) {
		cz_errx("-u %s: %s", pw->pw_name, err.msg);
		return -1;
	}
	return 0;
}

static int do_run(struct cz_frontend *fe, const struct options *o, const char *group,
		  const char *container, char **argv)
{
	struct cz_command cmd = { .argv = argv, .env = fe->caller_env, .dir = o->dir };
	struct cz_error err = { 0 };
	struct cz_identity id = { 0 };
	struct cz_rule rule = { 0 };
	char cwd[CZ_CWD_MAX], rule_at[CZ_CWD_MAX];
	int r;

	/* The caller's directory, kept inside where it exists; getcwd fails
	 * for a directory removed meanwhile (then /, with the note). */
	if (!o->dir)
		cmd.cwd = getcwd(cwd, sizeof cwd) ? cwd : "(the current directory, removed)";
	if (o->user) {
		if (load_user(o->user, &id) < 0)
			return CZ_EXIT_FAIL;
		cmd.as = &id;
	} else if (!fe->privileged_caller) {
		if (cz_identity_load(fe->caller_uid, &id, &err) < 0) {
			cz_errx("%s", err.msg);
			return CZ_EXIT_FAIL;
		}
		if (authorize(fe, &id, group, container, &rule) < 0) {
			cz_identity_free(&id);
			return CZ_EXIT_FAIL;
		}
		cmd.as = &id;
		cmd.shell = rule.shell;	/* the rule's SHELL, if no COMMAND */
		snprintf(rule_at, sizeof rule_at, "line %d of %s", rule.line, fe->conf);
		cmd.shell_from = rule_at;
	}
	r = o->hold ? cz_hold(fe, group, container) : cz_enter_and_run(fe, group, container, &cmd);
	cz_identity_free(&id);
	return r;
}

/* Options that take a value: "-d DIR", "--directory DIR" or
 * "--directory=DIR".  1 and *out if argv[*i] is one, 0 if not, -1 (after
 * the message) if its value is missing. */
static int value_option(int argc, char **argv, int *i, const char *s, const char *l, const char **out)
{
	const char *a = argv[*i];
	size_t n = strlen(l);

	if (strcmp(a, s) == 0 || strcmp(a, l) == 0) {
		if (*i + 1 >= argc || !argv[*i + 1][0]) {
			cz_errx("%s needs an argument (try --help)", a);
			return -1;
		}
		*out = argv[++*i];
		return 1;
	}
	if (strncmp(a, l, n) != 0 || a[n] != '=')
		return 0;
	if (!a[n + 1]) {
		cz_errx("%s needs an argument (try --help)", l);
		return -1;
	}
	*out = a + n + 1;
	return 1;
}

/* --error-exit=N: 1 to 255, else -1 after the message. */
static int error_exit(const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > 255) {
		cz_errx("--error-exit needs a status from 1 to 255 (try --help)");
		return -1;
	}
	return (int)n;
}

static int cli(struct cz_frontend *fe, int argc, char **argv)
{
	struct options o = { 0 };
	enum { RUN, LIST, STOP, INFO } mode = RUN;
	int i, r;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return fflush(stdout) == 0 ? 0 : CZ_EXIT_FAIL;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("containerize %s\n", CZ_VERSION);
			return fflush(stdout) == 0 ? 0 : CZ_EXIT_FAIL;
		} else if (strcmp(a, "--list") == 0) {
			mode = LIST;
		} else if (strcmp(a, "-l") == 0) {
			mode = LIST;
			o.all = true;
		} else if (strcmp(a, "--all") == 0) {
			o.all = true;
		} else if (strcmp(a, "--info") == 0) {
			mode = INFO;
		} else if (strcmp(a, "--stop") == 0) {
			mode = STOP;
		} else if (strcmp(a, "--hold") == 0) {
			o.hold = true;
		} else if ((r = value_option(argc, argv, &i, "-d", "--directory", &o.dir)) != 0 ||
			   (r = value_option(argc, argv, &i, "-u", "--user", &o.user)) != 0 ||
			   (r = value_option(argc, argv, &i, "--ephemeral", "--ephemeral", &fe->cfg.base)) != 0 ||
			   (r = value_option(argc, argv, &i, "--error-exit", "--error-exit", &o.error_exit)) != 0) {
			if (r < 0)
				return CZ_EXIT_FAIL;
			if (o.error_exit && (fe->fail_status = error_exit(o.error_exit)) < 0) {
				fe->fail_status = CZ_EXIT_FAIL;
				return CZ_EXIT_FAIL;
			}
			o.error_exit = NULL;
		} else {
			cz_errx("unknown option '%.64s' (try --help)", a);
			return CZ_EXIT_FAIL;
		}
	}
	if (geteuid() != 0 || getuid() != 0) {
		cz_errx("permission denied: containerize must run as root (or be installed setuid root)");
		return CZ_EXIT_FAIL;
	}
	if (o.all && mode != LIST) {
		cz_errx("--all goes with --list (try --help)");
		return CZ_EXIT_FAIL;
	}
	if (!fe->privileged_caller && (mode == STOP || (mode == LIST && !o.all))) {
		cz_errx("permission denied: --list and --stop are for root");
		return CZ_EXIT_FAIL;
	}
	if (!fe->privileged_caller && o.user) {
		cz_errx("permission denied: -u is for root (commands run as you)");
		return CZ_EXIT_FAIL;
	}
	/* A mapped user gets the containers a rule names, not new trees. */
	if (!fe->privileged_caller && fe->cfg.base) {
		cz_errx("permission denied: --ephemeral is for root");
		return CZ_EXIT_FAIL;
	}
	if (mode != RUN && (o.user || o.dir)) {
		cz_errx("%s goes with a command, not with --list, --info or --stop (try --help)", o.user ? "-u" : "-d");
		return CZ_EXIT_FAIL;
	}
	if (mode != RUN && (o.hold || fe->cfg.base)) {
		cz_errx("--hold and --ephemeral go with GROUP and CONTAINER only (try --help)");
		return CZ_EXIT_FAIL;
	}
	if (o.hold && (o.user || o.dir)) {
		cz_errx("--hold runs no COMMAND: %s does not go with it (try --help)", o.user ? "-u" : "-d");
		return CZ_EXIT_FAIL;
	}
	switch (mode) {
	case LIST:
		if (i != argc) {
			cz_errx("--list takes no arguments (try --help)");
			return CZ_EXIT_FAIL;
		}
		return o.all ? do_look(fe, NULL, NULL) : do_list(fe);
	case INFO:
		if (argc - i < 1 || argc - i > 2) {
			cz_errx("--info needs GROUP and may take CONTAINER (try --help)");
			return CZ_EXIT_FAIL;
		}
		return do_look(fe, argv[i], argc - i == 2 ? argv[i + 1] : NULL);
	case STOP:
		if (argc - i != 2) {
			cz_errx("--stop needs GROUP and CONTAINER (try --help)");
			return CZ_EXIT_FAIL;
		}
		return do_stop(fe, argv[i], argv[i + 1]);
	case RUN:
		break;
	}
	if (argc - i < 2) {
		cz_errx("missing %s (try --help)", argc - i == 0 ? "GROUP and CONTAINER" : "CONTAINER");
		return CZ_EXIT_FAIL;
	}
	if (o.hold && argc - i > 2) {
		cz_errx("--hold runs no COMMAND (try --help)");
		return CZ_EXIT_FAIL;
	}
	return do_run(fe, &o, argv[i], argv[i + 1], argv + i + 2);
}

int cz_cli_main(int argc, char **argv)
{
	struct cz_frontend fe;
	int r;

	if (cz_frontend_init(&fe, "containerize") < 0)
		return CZ_EXIT_FAIL;
	r = cli(&fe, argc, argv);
	/* Our own failures as --error-exit asks; the command's status (and
	 * its child's failure to get there, which exits fail_status) passes
	 * as it is. */
	if (r == CZ_EXIT_FAIL && !fe.command_status)
		r = fe.fail_status;
	cz_frontend_free(&fe);
	return r;
}
