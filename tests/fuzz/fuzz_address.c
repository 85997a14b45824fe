/*
 * Fuzz target for lib/address.c.  Every function gets the raw bytes with
 * each flag combination; invariants are checked with abort():
 *   - addr_split agrees with valid_mailbox, and its offsets stay in bounds;
 *   - a successful split never covers a control character;
 *   - quoting then unquoting gives back the original value whenever the
 *     quoted form is a valid local part;
 *   - addr_parse_path's output is a valid mailbox (or empty for "<>").
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/address.h"
#include "lib/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Abort unless cond holds: a crash the fuzzer records. */
static void
must(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int flagsets[] = { 0, ADDR_F_UTF8, ADDR_F_NO_DOMAIN,
	    ADDR_F_UTF8 | ADDR_F_NO_DOMAIN };
	const char *s = (const char *)data;
	struct buf q = BUF_INIT, v = BUF_INIT, why = BUF_INIT;
	struct addr_parts p;
	size_t base, ext;

	for (size_t f = 0; f < sizeof(flagsets) / sizeof(flagsets[0]); f++) {
		int flags = flagsets[f];
		int rc = addr_split(s, size, flags, &p, &why);

		must((rc == 0) == valid_mailbox(s, size, flags));
		if (rc == 0) {
			must(p.local_off + p.local_len <= size);
			must(p.domain_off + p.domain_len <= size);
			for (size_t i = 0; i < size; i++)
				must(data[i] >= 0x20 && data[i] != 0x7f);
			must(valid_localpart(s + p.local_off, p.local_len,
			    flags));
			if (p.domain_len > 0)
				must(valid_domain(s + p.domain_off,
				    p.domain_len, flags));
		}
		for (int null = 0; null < 2; null++) {
			buf_reset(&v);
			if (addr_parse_path(s, size, flags, null != 0, &v,
			    &why) == 0)
				must(v.len == 0 ? null != 0 :
				    valid_mailbox(v.data, v.len, flags));
		}
		buf_reset(&why);
	}
	if (addr_split_ext(s, size, "+-", &base, &ext))
		must(base >= 1 && base < size && ext == base + 1);
	else
		must(base == size && ext == size);

	buf_reset(&q);
	buf_reset(&v);
	addr_quote_local(&q, s, size);
	if (valid_localpart(q.data, q.len, ADDR_F_UTF8)) {
		must(addr_unquote_local(&v, q.data, q.len) == 0);
		must(v.len == size && (size == 0 || memcmp(v.data, s, size) == 0));
	}
	buf_free(&q);
	buf_free(&v);
	buf_free(&why);
	return 0;
}
