/*
 * cqdump: print a client queue file through lib/cqueue.c's parser, for the
 * submit tests: "sender S", "opt NAME=VALUE", "rcpt R" lines, then a line
 * "--" and the message bytes.  Exit 0, or 1 with the parser's reason.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cqueue.h"
#include "lib/iox.h"

int
main(int argc, char **argv)
{
	struct buf data = BUF_INIT, why = BUF_INIT;
	struct cq_env e;
	int fd;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0 ||
	    iox_read_all(fd, &data, 256u << 20) < 0) {
		fprintf(stderr, "usage: cqdump FILE (readable)\n");
		return 1;
	}
	if (cq_parse(data.data, data.len, (off_t)1 << 32, &e, &why) < 0) {
		fprintf(stderr, "cqdump: %s: %s\n", argv[1], buf_cstr(&why));
		return 1;
	}
	printf("sender %s\n", e.sender);
	for (size_t i = 0; i < e.nopts; i++)
		printf("opt %s=%s\n", e.opt_name[i], e.opt_value[i]);
	for (size_t i = 0; i < e.nrcpts; i++)
		printf("rcpt %s\n", e.rcpts[i]);
	printf("--\n");
	fflush(stdout);
	(void)iox_write_full(1, data.data + e.msg_off, (size_t)e.msg_size);
	cq_env_free(&e);
	buf_free(&data);
	return 0;
}
