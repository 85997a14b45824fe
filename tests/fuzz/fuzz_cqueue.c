/*
 * Fuzz target for lib/cqueue.c: any bytes as a client queue file.  The
 * reader returns 0 or -1; on 0 the message lies inside the input and every
 * field obeys the byte rules; on -1 the reason names an offset.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cqueue.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf why = BUF_INIT;
	struct cq_env e;

	if (cq_parse((const char *)data, size, 1 << 20, &e, &why) == 0) {
		if (e.msg_off < 0 || (size_t)(e.msg_off + e.msg_size) > size ||
		    e.nrcpts == 0 || e.nrcpts > CQ_RCPT_MAX)
			abort();
		for (size_t i = 0; i < e.nrcpts; i++)
			if (!cq_valid_field(e.rcpts[i], strlen(e.rcpts[i])))
				abort();
		if (!cq_valid_field(e.sender, strlen(e.sender)))
			abort();
		cq_env_free(&e);
	} else if (why.len < 7 || memcmp(why.data, "offset ", 7) != 0) {
		if (strstr(buf_cstr(&why), "recipient") == NULL &&
		    strstr(buf_cstr(&why), "option") == NULL)
			abort();
	}
	buf_free(&why);
	return 0;
}
