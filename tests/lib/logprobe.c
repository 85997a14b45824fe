/*
 * logprobe: for tests/lib/log-syslog.sh.  Binds a datagram socket at the
 * path given (the sandbox makes it /dev/log), logs one warning through
 * lib/log.c to syslog only, and prints the datagram syslog(3) sent.
 */
#include <config.h>

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	char msg[2048];
	ssize_t n;
	int s;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: logprobe socket-path\n");
		return 64;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, argv[1], strlen(argv[1]));
	(void)unlink(argv[1]);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("logprobe: socket");
		return 71;
	}
	log_init("/usr/sbin/logprobe", LOG_F_SYSLOG);
	log_warn("%s: %s", "/var/mail/bob", "is a symbolic link\nforged line");
	pfd.fd = s;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1) {
		fprintf(stderr, "logprobe: nothing arrived\n");
		return 75;
	}
	n = recv(s, msg, sizeof(msg) - 1, 0);
	if (n < 0) {
		perror("logprobe: recv");
		return 74;
	}
	msg[n] = '\0';
	printf("%s\n", msg);
	return 0;
}
