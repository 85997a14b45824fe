/*
 * Fuzz target for lib/addrlist.c: any bytes as an address-list field body.
 * The parser ends, returns 0 or -1, and every address it hands over is
 * non-empty, inside the input's length, and free of white space outside
 * quoted strings and literals.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "lib/addrlist.h"
#include "lib/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
check(void *arg, const char *a, size_t n)
{
	size_t max = *(size_t *)arg;
	char in = 0;	/* '"' or ']' while inside one */

	if (n == 0 || n > max)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (in != 0) {
			if (a[i] == '\\')
				i++;
			else if (a[i] == in)
				in = 0;
			continue;
		}
		if (a[i] == '"')
			in = '"';
		else if (a[i] == '[')
			in = ']';
		else if (a[i] == ' ' || a[i] == '\t' || a[i] == '\n')
			abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf why = BUF_INIT;
	int rc = addrlist_parse((const char *)data, size, check, &size, &why);

	if (rc != 0 && (rc != -1 || why.len == 0))
		abort();
	buf_free(&why);
	return 0;
}
