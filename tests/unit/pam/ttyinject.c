/* ttyinject.c — tries to push a character into its terminal's input (TIOCSTI, the
 * CVE-2017-5226 class) and to use TIOCLINUX; prints "TIOCSTI ok" or "TIOCSTI errno NAME",
 * same for TIOCLINUX.  Built static, run inside a container. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

static const char *ename(int e)
{
	return e == EPERM ? "EPERM" : e == EACCES ? "EACCES" : e == EIO ? "EIO" : e == ENOTTY ? "ENOTTY" :
	       e == EINVAL ? "EINVAL" : strerror(e);
}

int main(void)
{
	char c = '\n';
	char sub = 0;

	if (ioctl(0, TIOCSTI, &c) == 0)
		printf("TIOCSTI ok\n");
	else
		printf("TIOCSTI errno %s\n", ename(errno));
	if (ioctl(0, TIOCLINUX, &sub) == 0)
		printf("TIOCLINUX ok\n");
	else
		printf("TIOCLINUX errno %s\n", ename(errno));
	return 0;
}
