/*
 * input: the buffered reader under LMTP and pipe mode, and the framing of
 * message data.
 *
 * Input: bytes from the LMTP client or the MTA's pipe (untrusted), read in
 * whatever pieces the kernel returns.  Framing is per logical line, never
 * per read: a line is everything up to LF however long it is and however it
 * was split, so a line that happens to end at a buffer boundary can never
 * be taken for the end of DATA (sendmail's mail.local, CVE-2000-0319).
 * Command lines are limited (reader_line's max); message lines are not,
 * they stream into the spool.  Every read waits at most timeout_ms.
 *
 * Diagnostics: return codes; r->timed_out and r->err say why a read failed.
 *
 * SECURITY: the buffer is a fixed-size window (64 KiB); lengths are tracked
 * with it and nothing is copied into fixed storage.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/iox.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

#define READER_CAP	65536

void
reader_init(struct reader *r, int fd, int timeout_ms)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->timeout_ms = timeout_ms;
	r->cap = READER_CAP;
	r->buf = xmalloc(r->cap);
}

void
reader_free(struct reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* A new line starts: it must be complete within timeout_ms. */
static void
reader_line_starts(struct reader *r)
{
	if (r->timeout_ms >= 0)
		r->line_deadline = iox_now_ms() + r->timeout_ms;
}

/* Read more bytes after the unread ones; 1, 0 at EOF, -1 on error. */
int
reader_fill(struct reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->len == r->cap) {
		r->err = ENOBUFS;	/* callers consume before refilling */
		return -1;
	}
	if (r->before_block != NULL)
		r->before_block(r->arg);
	for (;;) {
		if (r->timeout_ms >= 0) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
			long long wait = r->timeout_ms;
			int pr;

			if (r->line_deadline > 0) {
				long long left = r->line_deadline -
				    iox_now_ms();

				wait = left < 0 ? 0 : left < wait ? left : wait;
			}
			pr = poll(&pfd, 1, (int)wait);

			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0) {
				r->err = errno;
				return -1;
			}
			if (pr == 0) {
				r->timed_out = true;
				r->err = ETIMEDOUT;
				return -1;
			}
		}
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->err = errno;
			return -1;
		}
		if (n == 0) {
			r->eof = true;
			return 0;
		}
		r->len += (size_t)n;
		return 1;
	}
}

/* One command line without its CRLF or LF. */
int
reader_line(struct reader *r, struct buf *line, size_t max)
{
	bool toolong = false;

	buf_reset(line);
	reader_line_starts(r);
	for (;;) {
		char *start = r->buf + r->off;
		size_t avail = r->len - r->off;
		char *nl = memchr(start, '\n', avail);
		size_t take = nl != NULL ? (size_t)(nl - start) : avail;
		int rc;

		if (!toolong && line->len + take <= max + 1)
			buf_append(line, start, take);
		else
			toolong = true;
		if (nl != NULL) {
			r->off += take + 1;
			r->line_deadline = 0;
			if (line->len > 0 && line->data[line->len - 1] == '\r')
				buf_truncate(line, line->len - 1);
			if (toolong || line->len > max)
				return -2;
			return 1;
		}
		r->off = r->len;
		if ((rc = reader_fill(r)) <= 0) {
			r->line_deadline = 0;
			return rc;
		}
	}
}

/*
 * DATA.  At the start of each line, look at enough bytes to tell the end
 * marker (".\r\n" or ".\n") from a stuffed dot; elsewhere, copy up to the
 * next LF.  A line that ends exactly at the end of the buffer is just a
 * line: the decision waits for its next bytes.
 */
int
reader_data(struct reader *r, struct spool *sp)
{
	bool bol = true;
	int rc = -1;

	reader_line_starts(r);
	for (;;) {
		char *p = r->buf + r->off;
		size_t avail = r->len - r->off;

		if (bol && avail >= 1 && p[0] == '.') {
			if (avail >= 2 && p[1] == '\n') {
				r->off += 2;
				rc = 0;
				break;
			}
			if (avail >= 3 && p[1] == '\r' && p[2] == '\n') {
				r->off += 3;
				rc = 0;
				break;
			}
			if (avail >= 3 || (avail == 2 && p[1] != '\r')) {
				/* DOT-STUFFING: drop the first dot. */
				r->off++;
				bol = false;
				continue;
			}
			/* "." or ".\r" so far: need the next byte. */
		} else if (avail > 0) {
			char *nl = memchr(p, '\n', avail);
			size_t take = nl != NULL ? (size_t)(nl - p) + 1 : avail;

			if (sp != NULL)
				spool_put(sp, p, take);
			r->off += take;
			bol = nl != NULL;
			if (bol)
				reader_line_starts(r);
			continue;
		}
		if (reader_fill(r) <= 0)
			break;
	}
	r->line_deadline = 0;
	return rc;
}

/* BDAT: n raw bytes. */
int
reader_chunk(struct reader *r, struct spool *sp, unsigned long long n)
{
	while (n > 0) {
		size_t avail = r->len - r->off;
		size_t take = avail < n ? avail : (size_t)n;

		if (take > 0) {
			if (sp != NULL)
				spool_put(sp, r->buf + r->off, take);
			r->off += take;
			n -= take;
			continue;
		}
		if (reader_fill(r) <= 0)
			return -1;
	}
	return 0;
}

/* Pipe mode: to EOF. */
int
reader_all(struct reader *r, struct spool *sp)
{
	for (;;) {
		int rc;

		if (r->len > r->off) {
			spool_put(sp, r->buf + r->off, r->len - r->off);
			r->off = r->len;
		}
		if ((rc = reader_fill(r)) <= 0)
			return rc;
	}
}
