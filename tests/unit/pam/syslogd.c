/* syslogd.c — a minimal syslog catcher for tests: binds a datagram socket at PATH (normally
 * /dev/log, only when nothing else provides it) and appends every message, one line each, to
 * FILE.  Writes PATH.ready-style readiness by creating FILE before the first receive.
 * Usage: syslogd SOCKET_PATH OUTPUT_FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8192];
	FILE *out;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof sa.sun_path)
		return 2;
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("syslogd: bind");
		return 1;
	}
	chmod(argv[1], 0666);
	out = fopen(argv[2], "a");
	if (!out)
		return 1;
	setvbuf(out, NULL, _IOLBF, 0);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
		if (n < 0)
			continue;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
			n--;
		buf[n] = '\0';
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = ' ';
		fprintf(out, "%s\n", buf);
	}
}
