/* preload.c — a library that announces itself when loaded: "PRELOADED pid N" on stderr.
 * Built as a shared object into a tree, to show whether LD_PRELOAD reached a process. */
#include <stdio.h>
#include <unistd.h>

__attribute__((constructor)) static void announce(void)
{
	fprintf(stderr, "PRELOADED pid %d\n", (int)getpid());
}
