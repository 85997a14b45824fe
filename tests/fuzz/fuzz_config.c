/*
 * Fuzz target for lib/config.c: any bytes as a postern.conf.  The parser
 * must return 0 or -1, never crash, and on -1 explain itself with at least
 * one "mem:..." line; the error text never holds a raw control character.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf why = BUF_INIT;
	int rc;

	rc = config_parse_buf("mem", (const char *)data, size, &why);
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && (why.len < 4 || memcmp(why.data, "mem:", 4) != 0))
		abort();
	for (size_t i = 0; i < why.len; i++)
		if ((unsigned char)why.data[i] < 0x20 && why.data[i] != '\n')
			abort();
	buf_free(&why);
	return 0;
}
