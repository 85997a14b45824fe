/*
 * Fuzz target for mail.local's LMTP server (mail.local/lmtp.c, input.c,
 * spool.c, resolve.c): any bytes as what a client sends.  The session must
 * end, never crash, and never leak; the delivery step is replaced by a
 * stand-in that gives each recipient a result chosen by its first letter,
 * so reply paths for every outcome are exercised (delivery itself is
 * tested for real in tests/mail.local/).
 */
#include <config.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/iox.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Stand-in for deliver.c: a result for each recipient, no files, given
 * only at deliver_finish() (the recipients must live until then: LMTP
 * reads the next message meanwhile).
 */
struct dbatch {
	struct rcpt *rv;
	size_t	 n;
};

struct dbatch *
deliver_start(struct spool *sp, const char *sender, struct rcpt *rv,
    size_t n, const char *session)
{
	struct dbatch *b = xcalloc(1, sizeof(*b));

	(void)sp;
	(void)sender;
	(void)session;
	b->rv = rv;
	b->n = n;
	return b;
}

/* Input first (a memfd always has it, or its end): reading goes on. */
int
deliver_wait(struct dbatch *b, int fd)
{
	(void)b;
	(void)fd;
	return 1;
}

void
deliver_finish(struct dbatch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct rcpt *r = &b->rv[i];

		free(r->text);
		free(r->dsn);
		r->text = NULL;
		r->dsn = NULL;
		switch (r->addr[0]) {
		case 't':
			r->status = EX_TEMPFAIL;
			r->dsn = xstrdup("4.2.2");
			r->text = xstrdup("mailbox full");
			break;
		case 'p':
			r->status = EX_UNAVAILABLE;
			r->dsn = xstrdup("5.4.6");
			break;
		default:
			r->status = EX_OK;
		}
	}
	free(b);
}

/* No delivery processes: nothing to tell about the spools. */
void
worker_spools(struct spool *v, size_t n)
{
	(void)v;
	(void)n;
}

/* Stand-in for expand_io.c: names starting with 'a' are aliases. */
int
xio_is_alias(const char *local, struct buf *why)
{
	(void)why;
	return local[0] == 'a' ? 1 : 0;
}

/* No delivery processes to end. */
void
deliver_shutdown(void)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int out = -1;
	int in;

	if (out < 0 && (out = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	if ((in = memfd_create("lmtp-in", MFD_CLOEXEC)) < 0)
		abort();
	if (iox_write_full(in, data, size) < 0 || lseek(in, 0, SEEK_SET) != 0)
		abort();
	(void)lmtp_session(in, out);
	(void)close(in);
	return 0;
}
