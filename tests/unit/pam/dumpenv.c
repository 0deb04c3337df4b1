/* dumpenv.c — a stand-in login shell for tests: prints exactly what it was started with.
 *   arg N VALUE      each argv element (arg 0 is argv[0])
 *   env NAME=VALUE   each environment entry, in order
 *   fds N N N        its open descriptors (without the one used to list them)
 *   cwd PATH
 *   ids RUID EUID SUID RGID EGID SGID
 * Built static, used as the rule's SHELL inside a container. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	char cwd[4096];
	DIR *d;
	struct dirent *de;

	for (int i = 0; i < argc; i++)
		printf("arg %d %s\n", i, argv[i]);
	for (char **p = environ; *p; p++)
		printf("env %s\n", *p);
	d = opendir("/proc/self/fd");
	printf("fds");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			printf(" %s", de->d_name);
	printf("\n");
	if (d)
		closedir(d);
	printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	printf("ids %u %u %u %u %u %u\n", r, e, s, rg, eg, sg);
	return 0;
}
