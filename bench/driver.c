/* driver.c — run commands interleaved and time each run.
 *
 *   driver [-n ROUNDS] [-w WARMUP] [-c K] [-H] [-e ERRFILE] -- \
 *          LABEL[@RUNS] CMD [ARG...] ::: LABEL[@RUNS] CMD [ARG...] ::: ...
 *
 * Every round runs each command once, in an order rotated by one each round
 * (A B C, B C A, C A B, ...), so that whatever the machine does meanwhile
 * falls on every command alike and ratios between them survive noise.  A
 * command given as LABEL@RUNS (RUNS < ROUNDS: a slow peer) runs only in
 * RUNS evenly spread rounds.  WARMUP rounds run first and are not counted.
 *
 * One run, timed with CLOCK_MONOTONIC:
 *   default  posix_spawn (vfork semantics: the cheapest start we can give
 *            every tool alike) .. waitpid;
 *   -c K     K copies spawned back to back, until the last is reaped
 *            (a batch of concurrent starts);
 *   -H       "held": the command is spawned with a pipe on stdin and one on
 *            stdout; once it has written a line to stdout (untimed), its
 *            stdin is closed and the time runs until it is reaped.  That
 *            is the cost of leaving: for a container, the teardown.
 * stdin is /dev/null (except -H), stdout /dev/null, stderr ERRFILE
 * (appended; default /dev/null).
 *
 * Output, one line per command (times in ms):
 *   LABEL RUNS MEDIAN P10 P90 MIN FAILS FIRST_FAILURE CPU_MEDIAN
 * FIRST_FAILURE is the wait status of the first failed run ("exit:N" or
 * "signal:N", "-" if none).  A failed run is not counted in the times.
 * CPU_MEDIAN is the median CPU time (user + system, from wait4: the
 * command's and its reaped descendants') of a run; "-" with -H.  On a busy
 * machine wall times mostly measure waiting for a CPU; CPU times much less
 * so, and their ratios say what each command itself costs.
 * Exit status 0, or 2 on a usage or system error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct cmd {
	const char *label;
	char **argv;
	int runs;		/* rounds it takes part in */
	double *t;		/* ms of each successful run */
	double *cpu;		/* CPU ms of each successful run */
	int n, fails;
	char first_fail[32];
};

static int rounds = 200, warmup = 5, batch = 1, held = 0;
static const char *errfile = "/dev/null";

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "driver: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static pid_t spawn(char **argv, int in, int out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	posix_spawn_file_actions_init(&fa);
	if (in >= 0)
		posix_spawn_file_actions_adddup2(&fa, in, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out >= 0)
		posix_spawn_file_actions_adddup2(&fa, out, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errfile, O_WRONLY | O_APPEND | O_CREAT, 0644);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		errno = r;
		die(argv[0]);
	}
	return pid;
}

/* Adds the CPU time of pid's run (and of its reaped descendants) to *cpu. */
static int reap(pid_t pid, double *cpu)
{
	struct rusage ru;
	int status;

	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4");
	*cpu += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	return status;
}

/* One timed run; returns the worst wait status of it. */
static int run_once(struct cmd *c, double *ms, double *cpu)
{
	static pid_t pids[4096];
	int i, status, worst = 0;
	double t0;

	*cpu = 0;
	if (held) {
		int pin[2], pout[2];
		char ch;
		ssize_t n;
		pid_t pid;

		if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0)
			die("pipe");
		pid = spawn(c->argv, pin[0], pout[1]);
		close(pin[0]);
		close(pout[1]);
		/* Ready once a full line has come out. */
		while ((n = read(pout[0], &ch, 1)) == 1 && ch != '\n')
			;
		t0 = now_ms();
		close(pin[1]);
		status = reap(pid, cpu);
		*ms = now_ms() - t0;
		close(pout[0]);
		return n == 1 ? status : (status ? status : 0x7f00);	/* never ready */
	}
	t0 = now_ms();
	for (i = 0; i < batch; i++)
		pids[i] = spawn(c->argv, -1, -1);
	for (i = 0; i < batch; i++) {
		status = reap(pids[i], cpu);
		if (status && !worst)
			worst = status;
	}
	*ms = now_ms() - t0;
	return worst;
}

/* Does command c (of `runs` runs) take part in round r of `rounds`? */
static int in_round(const struct cmd *c, int r)
{
	if (c->runs >= rounds)
		return 1;
	/* Spread: the rounds where floor(r*runs/rounds) steps up. */
	return (long)r * c->runs / rounds != (long)(r + 1) * c->runs / rounds;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double quantile(const double *t, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;

	if (n == 0)
		return 0;
	if (i + 1 >= n)
		return t[n - 1];
	return t[i] + (pos - i) * (t[i + 1] - t[i]);
}

static void __attribute__((noreturn)) usage(void)
{
	fputs("usage: driver [-n ROUNDS] [-w WARMUP] [-c K] [-H] [-e ERRFILE] -- "
	      "LABEL[@RUNS] CMD [ARG...] [::: LABEL[@RUNS] CMD [ARG...]]...\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct cmd cmds[32];
	int ncmd = 0, opt, i, r, k;

	while ((opt = getopt(argc, argv, "+n:w:c:He:")) != -1) {
		switch (opt) {
		case 'n': rounds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'c': batch = atoi(optarg); break;
		case 'H': held = 1; break;
		case 'e': errfile = optarg; break;
		default: usage();
		}
	}
	if (rounds < 1 || warmup < 0 || batch < 1 || batch > 4096 || optind >= argc)
		usage();
	/* Split the rest at ":::"; the word after each split is the label. */
	for (i = optind; i < argc; ) {
		struct cmd *c;
		char *at;

		if (ncmd == (int)(sizeof cmds / sizeof cmds[0]))
			usage();
		c = &cmds[ncmd++];
		memset(c, 0, sizeof *c);
		c->label = argv[i];
		c->runs = rounds;
		if ((at = strchr(argv[i], '@')) != NULL) {
			*at = '\0';
			c->runs = atoi(at + 1);
			if (c->runs < 1 || c->runs > rounds)
				c->runs = rounds;
		}
		c->argv = &argv[++i];
		while (i < argc && strcmp(argv[i], ":::") != 0)
			i++;
		if (i < argc)
			argv[i++] = NULL;	/* ends this argv */
		if (!c->argv[0])
			usage();
		c->t = calloc((size_t)c->runs + 1, sizeof *c->t);
		c->cpu = calloc((size_t)c->runs + 1, sizeof *c->cpu);
		if (!c->t || !c->cpu)
			die("calloc");
		strcpy(c->first_fail, "-");
	}
	signal(SIGPIPE, SIG_IGN);
	for (r = 0; r < warmup; r++)
		for (i = 0; i < ncmd; i++) {
			double ms, cpu;
			(void)run_once(&cmds[i], &ms, &cpu);
		}
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < ncmd; k++) {
			struct cmd *c = &cmds[(k + r) % ncmd];
			double ms, cpu;
			int st;

			if (!in_round(c, r) || c->n + c->fails >= c->runs)
				continue;
			st = run_once(c, &ms, &cpu);
			if (st == 0) {
				c->cpu[c->n] = cpu;
				c->t[c->n++] = ms;
				continue;
			}
			if (!c->fails++) {
				if (WIFSIGNALED(st))
					snprintf(c->first_fail, sizeof c->first_fail, "signal:%d", WTERMSIG(st));
				else
					snprintf(c->first_fail, sizeof c->first_fail, "exit:%d", WEXITSTATUS(st));
			}
		}
	}
	for (i = 0; i < ncmd; i++) {
		struct cmd *c = &cmds[i];
		char cpu[32] = "-";

		qsort(c->t, (size_t)c->n, sizeof *c->t, cmp_double);
		qsort(c->cpu, (size_t)c->n, sizeof *c->cpu, cmp_double);
		if (!held)
			snprintf(cpu, sizeof cpu, "%.3f", quantile(c->cpu, c->n, 0.5));
		printf("%s %d %.3f %.3f %.3f %.3f %d %s %s\n", c->label, c->n,
		       quantile(c->t, c->n, 0.5), quantile(c->t, c->n, 0.1),
		       quantile(c->t, c->n, 0.9), c->n ? c->t[0] : 0.0, c->fails, c->first_fail, cpu);
	}
	return fflush(stdout) == 0 ? 0 : 2;
}
