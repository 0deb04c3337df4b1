/* setuid0.c — prints what a process can still do with root's ids: "setuid0 ok" or
 * "setuid0 failed", "setgid0 ok|failed", "setgroups ok|failed", and its uid/gid lines.
 * Built static, run inside a container as the user. */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	gid_t g = 0;

	printf("setgroups %s\n", setgroups(1, &g) == 0 ? "ok" : "failed");
	printf("setgid0 %s\n", setgid(0) == 0 ? "ok" : "failed");
	printf("setuid0 %s\n", setuid(0) == 0 ? "ok" : "failed");
	printf("ids %u %u %u %u\n", getuid(), geteuid(), getgid(), getegid());
	return 0;
}
