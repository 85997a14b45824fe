/*
 * Fuzz target for lib/nsscheck.c: any bytes as an nsswitch.conf.
 * nss_files_only must return 0 or -1, and on -1 name the file and line
 * ("mem:N: ") in a reason without a raw control character; a text with no
 * "passwd", "group" or "initgroups" in it (in any case) is always accepted.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/nsscheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Does [d, d + n) hold s, in any case? */
static int
has_word(const uint8_t *d, size_t n, const char *s)
{
	size_t k = strlen(s), i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp((const char *)d + i, s, k) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf why = BUF_INIT;
	int rc;

	rc = nss_files_only((const char *)data, size, "mem", &why);
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && (why.len < 5 || memcmp(why.data, "mem:", 4) != 0))
		abort();
	if (rc == -1 && !has_word(data, size, "passwd") &&
	    !has_word(data, size, "group"))
		abort();
	for (size_t i = 0; i < why.len; i++)
		if ((unsigned char)why.data[i] < 0x20)
			abort();
	buf_free(&why);
	return 0;
}
