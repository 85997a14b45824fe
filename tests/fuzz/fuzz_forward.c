/*
 * Fuzz target for forward/forward.c and aliases/target.c: any bytes as a
 * .forward or :include: file, and as an alias value.  The parsers return
 * 0 or -1, never crash; on 0 every target is a known kind with a
 * NUL-free, non-empty text of the length it says; on -1 the reason names
 * the file ("mem:LINE: ...") and holds no raw control character.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "aliases/target.h"
#include "forward/forward.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int rc, const struct target_list *l, const struct buf *why,
    const char *prefix)
{
	size_t i;

	if (rc != 0 && rc != -1)
		abort();
	if (rc == 0) {
		for (i = 0; i < l->n; i++)
			if (l->v[i].kind > TGT_INCLUDE || l->v[i].len == 0 ||
			    strlen(l->v[i].text) != l->v[i].len)
				abort();
		return;
	}
	if (why->len < strlen(prefix) || memcmp(why->data, prefix,
	    strlen(prefix)) != 0)
		abort();
	for (i = 0; i < why->len; i++)
		if ((unsigned char)why->data[i] < 0x20)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_list l = { NULL, 0, 0 };
	struct buf why = BUF_INIT;
	int rc;

	rc = forward_parse("mem", (const char *)data, size, 1000, &l, &why);
	check(rc, &l, &why, "mem:");
	target_list_free(&l);
	buf_reset(&why);
	rc = target_split((const char *)data, size, 0, 1000, &l, &why);
	check(rc, &l, &why, "line ");
	target_list_free(&l);
	buf_free(&why);
	return 0;
}
