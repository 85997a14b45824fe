/*
 * Fuzz target for aliases/parse.c (and target.c on each value): any bytes
 * as an aliases file, read from memory.  The reader must end (0) or stop
 * at a read error that cannot happen here, never crash; every entry has a
 * non-empty lower-case name of at most ALIAS_NAME_MAX bytes and a
 * non-empty value without NUL or newline, and fits ALIAS_ENTRY_MAX; every
 * error starts with "mem:" and holds no control character but its final
 * newline.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

#include "aliases/aliases.h"
#include "aliases/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Abort unless the error text is well formed. */
static void
check_why(const struct buf *why)
{
	if (why->len < 5 || memcmp(why->data, "mem:", 4) != 0 ||
	    why->data[why->len - 1] != '\n')
		abort();
	for (size_t i = 0; i + 1 < why->len; i++)
		if ((unsigned char)why->data[i] < 0x20 && why->data[i] != '\n')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alias_reader *r = alias_reader_mem("mem", data, size);
	struct target_list tl = { NULL, 0, 0 };
	struct alias_entry e;
	struct buf why = BUF_INIT, tw = BUF_INIT;
	unsigned long last = 0;
	int rc;

	alias_entry_init(&e);
	while ((rc = alias_reader_next(r, &e, &why)) != 0) {
		if (rc == -2)
			abort();
		if (rc == -1) {
			check_why(&why);
			buf_reset(&why);
			continue;
		}
		if (rc != 1 || e.name.len == 0 || e.name.len > ALIAS_NAME_MAX ||
		    e.value.len == 0 || e.value.len > ALIAS_ENTRY_MAX ||
		    memchr(e.value.data, '\0', e.value.len) != NULL ||
		    memchr(e.value.data, '\n', e.value.len) != NULL ||
		    memchr(e.name.data, '\0', e.name.len) != NULL ||
		    e.line <= last)
			abort();
		for (size_t i = 0; i < e.name.len; i++)
			if (e.name.data[i] >= 'A' && e.name.data[i] <= 'Z')
				abort();
		last = e.line;
		tl.n = 0;
		buf_reset(&tw);
		(void)target_split(e.value.data, e.value.len, 0, 1000, &tl, &tw);
		target_list_free(&tl);
	}
	alias_entry_free(&e);
	alias_reader_free(r);
	buf_free(&why);
	buf_free(&tw);
	return 0;
}
