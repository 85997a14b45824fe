/*
 * relaytest: run queue/relay.c's relay_deliver() once, for the scripted
 * SMTP sessions of tests/queue/smtp-sink.py.
 *
 *	relaytest [-t SECONDS] RELAYHOST HELO SENDER MESSAGE-FILE RCPT...
 *
 * The message file is sent from byte 0 to its end; -t sets every timeout
 * (connect, reply, end of data) to SECONDS.  Output: one line per
 * recipient, "RCPT STATUS DSN MTA|TEXT", the text as relay.c made it.
 * Exit 0 when relay_deliver returned, 2 on a usage or file error.
 * Inputs are the test script's own; nothing here is privileged.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

#include "queue/queue.h"

int
main(int argc, char **argv)
{
	struct qresult *res;
	struct stat st;
	size_t i, n;
	int fd, t;

	if (argc > 2 && argv[1][0] == '-' && argv[1][1] == 't') {
		t = atoi(argv[2]);
		relay_set_timeouts(t, t, t);
		argv += 2;
		argc -= 2;
	}
	if (argc < 6) {
		fprintf(stderr, "usage: relaytest [-t S] RELAYHOST HELO SENDER "
		    "FILE RCPT...\n");
		return 2;
	}
	if ((fd = open(argv[4], O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0) {
		perror(argv[4]);
		return 2;
	}
	n = (size_t)(argc - 5);
	res = xcalloc(n, sizeof(*res));
	for (i = 0; i < n; i++)
		buf_init(&res[i].text);
	relay_deliver(argv[1], argv[2], argv[3], argv + 5, n, fd, 0,
	    st.st_size, res);
	for (i = 0; i < n; i++) {
		printf("%s %d %s %s|%s\n", argv[5 + i], res[i].status,
		    res[i].dsn[0] != '\0' ? res[i].dsn : "-",
		    res[i].mta[0] != '\0' ? res[i].mta : "-",
		    buf_cstr(&res[i].text));
		buf_free(&res[i].text);
	}
	free(res);
	(void)close(fd);
	return 0;
}
