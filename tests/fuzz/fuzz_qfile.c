/*
 * Fuzz target for queue/qfile.c, the trusted queue file parser: any bytes
 * as a file's head (through the M line) and as its appended records.  The
 * parser returns 0 or -1, never crashes or leaks; on 0 every recipient
 * index in a record was in range and every text is NUL-terminated.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "queue/queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data, *split;
	struct buf why = BUF_INIT;
	struct qmsg m;
	size_t hlen = size;
	int rc;

	/* A line "--" splits head and records, as a real file's message. */
	if ((split = memmem(d, size, "\n--\n", 4)) != NULL)
		hlen = (size_t)(split - d) + 1;
	memset(&m, 0, sizeof(m));
	m.fd = -1;
	rc = qfile_parse_mem(&m, d, hlen, split ? split + 4 : "",
	    split ? size - hlen - 3 : 0, &why);
	if (rc != 0 && rc != -1)
		abort();
	if (rc == 0)
		for (size_t i = 0; i < m.nr; i++)
			if (m.r[i].addr == NULL || strlen(m.r[i].dsn) >= 16)
				abort();
	qmsg_free(&m);
	buf_free(&why);
	return 0;
}
