/*
 * Fuzz target for queue/relay.c's SMTP reply parser: any bytes as what a
 * server sends, split into lines on LF (a CR before the LF removed, as
 * relay.c's line reader does).  Each line goes to smtp_reply_line; after a
 * complete reply (1) or a malformed line (-1) the parser is reset, as
 * relay.c does per reply.  It must never crash or leak, a complete reply
 * must have a code of 200-599 whose class matches its dsn, and the text
 * must stay bounded and printable (no control byte).
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

#include "queue/queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Abort unless a complete reply is sane. */
static void
check_reply(const struct smtp_reply *r)
{
	size_t i;

	if (r->code < 200 || r->code > 599 || r->nlines < 1)
		abort();
	if (r->dsn[0] != '\0' && r->dsn[0] != '0' + r->code / 100)
		abort();
	if (r->text.len > 4096)
		abort();
	for (i = 0; i < r->text.len; i++)
		if ((unsigned char)r->text.data[i] < 0x20 ||
		    (unsigned char)r->text.data[i] >= 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply r;
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t len;
	int rc;

	smtp_reply_init(&r);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		rc = smtp_reply_line(&r, p, len);
		if (rc == 1)
			check_reply(&r);
		if (rc != 0 && rc != 1 && rc != -1)
			abort();
		if (rc != 0)
			smtp_reply_reset(&r);
		p = nl != NULL ? nl + 1 : end;
	}
	smtp_reply_free(&r);
	return 0;
}
