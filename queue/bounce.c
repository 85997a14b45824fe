/*
 * bounce: an RFC 3464 delivery status notification (a non-delivery report,
 * or with req->delay a delay warning), written to a descriptor as one
 * message with LF line ends, the way the queue stores messages.
 *
 * The message: From: Mail Delivery System <MAILER-DAEMON@hostname>, To:
 * the original sender, Subject, Date and Message-ID, Auto-Submitted:
 * auto-replied (RFC 3834: no vacation program answers it), and a
 * multipart/report (RFC 6522) of three parts: text/plain for people (one
 * paragraph per recipient with its diagnostic), message/delivery-status
 * (RFC 3464: Reporting-MTA, X-Postern-Queue-ID, Original-Envelope-Id,
 * Arrival-Date; per recipient Final-Recipient, Original-Recipient when it
 * differs, Action, Status, Remote-MTA, Diagnostic-Code, Last-Attempt-
 * Date, and Will-Retry-Until for a delay; Remote-MTA is the host part
 * of the result's "host[addr]"), then the original's header
 * section as text/rfc822-headers, or with ret_full the whole original as
 * message/rfc822.
 *
 * Diagnostic-Code: "smtp; TEXT" when the recipient has a remote MTA (the
 * text holds that server's reply), "x-unix; TEXT" otherwise (a local
 * reason: mail.local's result, the queue's own, an expiry).  Status is the
 * recipient's RFC 3463 code, or 4.0.0 / 5.0.0 from its sysexits class
 * when it has none or a malformed one.
 *
 * Inputs: the request (trusted: from the queue runner), whose addresses
 * and texts still came from outside at some point.  Every generated line
 * holding such data is cleaned (bytes outside printable ASCII become '?',
 * so no CR or LF can start a new field), each value is bounded to
 * BOUNCE_VALUE_MAX bytes and folded at blanks near 78 columns: no line we
 * generate reaches 998 bytes.  The original message is copied byte for
 * byte with pread in BOUNCE_CHUNK pieces (constant memory; msgfd's offset
 * is never used or moved).  The MIME boundary holds the queue id, the
 * time, the pid and a counter, and is checked against the copied bytes:
 * when it occurs there, another one is made.
 *
 * Diagnostics: 0, or -1 with errno (a write or read error; EIO when the
 * original is shorter than msg_size).  Nothing is logged here.
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/iox.h"
#include "lib/xalloc.h"

#include "queue/queue.h"

#define BOUNCE_CHUNK		65536
#define BOUNCE_VALUE_MAX	900	/* one field value or paragraph */
#define BOUNCE_FOLD		78
#define BOUNCE_TRIES		8	/* boundaries tried */

static unsigned long bounce_counter;

/* Append s cleaned: printable ASCII kept, all else '?', at most max bytes. */
static void
bounce_clean(struct buf *b, const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return;
	for (n = 0; n < max && s[n] != '\0'; n++) {
		if (s[n] == '\t')
			buf_append_byte(b, ' ');
		else if ((unsigned char)s[n] >= 0x20 &&
		    (unsigned char)s[n] < 0x7f)
			buf_append_byte(b, (unsigned char)s[n]);
		else
			buf_append_byte(b, '?');
	}
}

/*
 * Append "prefix value\n", value cleaned and bounded, folded at blanks so
 * lines stay near BOUNCE_FOLD columns; continuation lines start with
 * indent (a blank for header fields).
 */
static void
bounce_fold(struct buf *b, const char *prefix, const char *value,
    const char *indent)
{
	struct buf v = BUF_INIT;
	size_t col, i, j, wl;

	buf_append_str(b, prefix);
	col = strlen(prefix);
	bounce_clean(&v, value, BOUNCE_VALUE_MAX);
	for (i = 0; i < v.len; i = j) {
		/* A word and the blanks before it. */
		for (j = i; j < v.len && v.data[j] == ' '; j++)
			;
		for (; j < v.len && v.data[j] != ' '; j++)
			;
		wl = j - i;
		if (col + wl > BOUNCE_FOLD && col > strlen(indent) &&
		    v.data[i] == ' ') {
			buf_append_byte(b, '\n');
			buf_append_str(b, indent);
			col = strlen(indent);
			while (i < j && v.data[i] == ' ') {
				i++;
				wl--;
			}
		}
		buf_append(b, v.data + i, wl);
		col += wl;
	}
	buf_append_byte(b, '\n');
	buf_free(&v);
}

/* Append a field "Name: value" (value cleaned, bounded, folded). */
static void
bounce_field(struct buf *b, const char *name, const char *value)
{
	struct buf p = BUF_INIT;

	buf_printf(&p, "%s: ", name);
	bounce_fold(b, buf_cstr(&p), value, " ");
	buf_free(&p);
}


/* Append s keeping only [A-Za-z0-9], at most 64 bytes (ids in tokens). */
static void
bounce_token(struct buf *b, const char *s)
{
	size_t n;

	for (n = 0; s != NULL && n < 64 && s[n] != '\0'; n++)
		if ((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9'))
			buf_append_byte(b, (unsigned char)s[n]);
}

/* True when dsn is "C.S.D" with C 2, 4 or 5 and up to 3 digits each. */
static bool
bounce_valid_dsn(const char *d)
{
	size_t i = 2, n, part;

	if (d == NULL || (d[0] != '2' && d[0] != '4' && d[0] != '5') ||
	    d[1] != '.')
		return false;
	for (part = 0; part < 2; part++) {
		for (n = 0; d[i] >= '0' && d[i] <= '9'; n++)
			i++;
		if (n == 0 || n > 3)
			return false;
		if (part == 0 && d[i++] != '.')
			return false;
	}
	return d[i] == '\0';
}

/*
 * Read [0, len) of the original in chunks, calling fn on each (fn: 0 go
 * on, 1 stop, -1 fail): 0, or -1 with errno.
 */
static int
bounce_each_chunk(const struct bounce_req *req, off_t len, char *chunk,
    int (*fn)(void *, const char *, size_t), void *arg)
{
	off_t done = 0;
	ssize_t n;
	size_t want;
	int rc;

	while (done < len) {
		want = len - done > BOUNCE_CHUNK ? BOUNCE_CHUNK :
		    (size_t)(len - done);
		n = pread(req->msgfd, chunk, want, req->msg_off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		if ((rc = fn(arg, chunk, (size_t)n)) != 0)
			return rc < 0 ? -1 : 0;
		done += n;
	}
	return 0;
}

/* Looking for the end of the header section, across chunks. */
struct hdr_scan {
	off_t	 pos;		/* bytes seen */
	off_t	 end;		/* header section length, -1 until found */
	char	 prev;		/* last byte seen */
};

/* Chunk callback: note where the first empty line starts. */
static int
bounce_scan_hdr(void *arg, const char *p, size_t n)
{
	struct hdr_scan *h = arg;
	size_t i;

	for (i = 0; i < n && h->end < 0; i++) {
		if (p[i] == '\n' && (h->prev == '\n' || h->pos == 0))
			h->end = h->pos;	/* the empty line's own LF */
		h->prev = p[i];
		h->pos++;
	}
	return h->end >= 0 ? 1 : 0;
}

/* Searching for the boundary in the copied bytes, across chunks. */
struct bnd_scan {
	const char *bnd;
	size_t	 blen;
	struct buf tail;	/* the last blen - 1 bytes seen */
	bool	 found;
};

/* Chunk callback: does the boundary occur? */
static int
bounce_scan_bnd(void *arg, const char *p, size_t n)
{
	struct bnd_scan *s = arg;
	size_t i, keep;

	if (s->found)
		return 0;
	buf_append(&s->tail, p, n);
	for (i = 0; i + s->blen <= s->tail.len; i++)
		if (s->tail.data[i] == s->bnd[0] &&
		    memcmp(s->tail.data + i, s->bnd, s->blen) == 0) {
			s->found = true;
			return 1;
		}
	keep = s->blen - 1;
	if (s->tail.len > keep)
		buf_consume(&s->tail, s->tail.len - keep);
	return 0;
}

/* Chunk callback: write the bytes to the output fd. */
static int
bounce_copy(void *arg, const char *p, size_t n)
{
	return iox_write_full(*(const int *)arg, p, n);
}

/* The human-readable part. */
static void
bounce_text_part(struct buf *b, const struct bounce_req *req)
{
	const struct bounce_rcpt *r;
	struct buf p = BUF_INIT;
	size_t i;
	long hours;

	buf_append_str(b, "This is the mail system at host ");
	bounce_clean(b, req->hostname, 255);
	buf_append_str(b, ".\n\n");
	if (req->delay) {
		hours = (long)((time(NULL) - req->arrival) / 3600);
		buf_printf(b, "####################################"
		    "################################\n"
		    "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND "
		    "YOUR MESSAGE. #\n"
		    "####################################"
		    "################################\n\n"
		    "Your message could not be delivered for %ld hour%s.\n"
		    "It will be retried until ", hours < 0 ? 0 : hours,
		    hours == 1 ? "" : "s");
		buf_append_date(b, req->retry_until);
		buf_append_str(b, ".\n\nThe recipients it is waiting for, "
		    "and why:\n\n");
	} else
		buf_printf(b, "I'm sorry to have to tell you that your "
		    "message could not be delivered\nto one or more "
		    "recipients.  %s attached below.\n\n"
		    "For further help, please send mail to postmaster, "
		    "and include this\nreport.\n\n"
		    "                   The mail system\n\n", req->ret_full ?
		    "It is" : "Its headers are");
	for (i = 0; i < req->nrcpts; i++) {
		r = &req->rcpts[i];
		buf_reset(&p);
		buf_append_byte(&p, '<');
		bounce_clean(&p, r->addr, BOUNCE_VALUE_MAX);
		buf_append_str(&p, ">: ");
		bounce_fold(b, buf_cstr(&p), r->text != NULL &&
		    r->text[0] != '\0' ? r->text : ex_text(r->status),
		    "    ");
		buf_append_byte(b, '\n');
	}
	buf_free(&p);
}

/* The message/delivery-status part's fields. */
static void
bounce_status_part(struct buf *b, const struct bounce_req *req)
{
	const struct bounce_rcpt *r;
	struct buf v = BUF_INIT;
	const char *br;
	size_t i, ml;

	buf_append_str(&v, "dns; ");
	bounce_clean(&v, req->hostname, 255);
	bounce_field(b, "Reporting-MTA", buf_cstr(&v));
	bounce_field(b, "X-Postern-Queue-ID", req->queue_id);
	if (req->envid != NULL && req->envid[0] != '\0')
		bounce_field(b, "Original-Envelope-Id", req->envid);
	buf_reset(&v);
	buf_append_date(&v, req->arrival);
	bounce_field(b, "Arrival-Date", buf_cstr(&v));
	for (i = 0; i < req->nrcpts; i++) {
		r = &req->rcpts[i];
		buf_append_byte(b, '\n');
		buf_setf(&v, "rfc822; %s", r->addr != NULL ? r->addr : "");
		bounce_field(b, "Final-Recipient", buf_cstr(&v));
		if (r->orig != NULL && r->orig[0] != '\0' &&
		    (r->addr == NULL || strcmp(r->orig, r->addr) != 0)) {
			buf_setf(&v, "rfc822; %s", r->orig);
			bounce_field(b, "Original-Recipient", buf_cstr(&v));
		}
		bounce_field(b, "Action", req->delay ? "delayed" : "failed");
		if (bounce_valid_dsn(r->dsn))
			bounce_field(b, "Status", r->dsn);
		else
			bounce_field(b, "Status", req->delay ||
			    ex_is_temporary(r->status) ? "4.0.0" : "5.0.0");
		if (r->mta != NULL && r->mta[0] != '\0') {
			/* "host[addr]": the name is the host part. */
			br = strchr(r->mta, '[');
			ml = br != NULL && br != r->mta ?
			    (size_t)(br - r->mta) : strlen(r->mta);
			if (ml > BOUNCE_VALUE_MAX)
				ml = BOUNCE_VALUE_MAX;
			buf_setf(&v, "dns; %.*s", (int)ml, r->mta);
			bounce_field(b, "Remote-MTA", buf_cstr(&v));
		}
		buf_setf(&v, "%s; %s", r->mta != NULL && r->mta[0] != '\0' ?
		    "smtp" : "x-unix", r->text != NULL && r->text[0] != '\0' ?
		    r->text : ex_text(r->status));
		bounce_field(b, "Diagnostic-Code", buf_cstr(&v));
		if (r->last_attempt != 0) {
			buf_reset(&v);
			buf_append_date(&v, r->last_attempt);
			bounce_field(b, "Last-Attempt-Date", buf_cstr(&v));
		}
		if (req->delay) {
			buf_reset(&v);
			buf_append_date(&v, req->retry_until);
			bounce_field(b, "Will-Retry-Until", buf_cstr(&v));
		}
	}
	buf_free(&v);
}

/* A boundary for try k. */
static void
bounce_boundary(struct buf *b, const struct bounce_req *req, time_t now,
    int k)
{
	buf_reset(b);
	buf_append_str(b, "=_postern_report_");
	bounce_token(b, req->queue_id);
	buf_printf(b, "_%lld_%ld_%lu_%d_/", (long long)now, (long)getpid(),
	    ++bounce_counter, k);
}

/* Write the report to outfd: 0, or -1 with errno. */
int
bounce_write(int outfd, const struct bounce_req *req)
{
	struct buf h = BUF_INIT, bnd = BUF_INIT, v = BUF_INIT;
	struct hdr_scan hs;
	struct bnd_scan bs;
	off_t copy_len;
	char *chunk;
	time_t now;
	int rc = -1, k, saved = 0;
	bool nl_missing = false;

	chunk = xmalloc(BOUNCE_CHUNK);
	buf_init(&bs.tail);
	now = time(NULL);

	/* What is copied: the header section, or the whole original. */
	copy_len = req->msg_size > 0 ? req->msg_size : 0;
	if (!req->ret_full && copy_len > 0) {
		hs.pos = 0;
		hs.end = -1;
		hs.prev = '\0';
		if (bounce_each_chunk(req, copy_len, chunk, bounce_scan_hdr,
		    &hs) < 0)
			goto fail;
		if (hs.end >= 0)
			copy_len = hs.end;
	}
	if (copy_len > 0) {
		ssize_t n;

		do
			n = pread(req->msgfd, chunk, 1, req->msg_off +
			    copy_len - 1);
		while (n < 0 && errno == EINTR);
		if (n != 1) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		nl_missing = chunk[0] != '\n';
	}

	/* A boundary that does not occur in what is copied. */
	for (k = 0; k < BOUNCE_TRIES; k++) {
		bounce_boundary(&bnd, req, now, k);
		bs.bnd = bnd.data;
		bs.blen = bnd.len;
		bs.found = false;
		buf_reset(&bs.tail);
		if (bounce_each_chunk(req, copy_len, chunk, bounce_scan_bnd,
		    &bs) < 0)
			goto fail;
		if (!bs.found)
			break;
	}
	if (k == BOUNCE_TRIES) {
		errno = EINVAL;
		goto fail;
	}

	/* Headers. */
	buf_append_str(&v, "Mail Delivery System <MAILER-DAEMON@");
	bounce_clean(&v, req->hostname, 255);
	buf_append_byte(&v, '>');
	bounce_field(&h, "From", buf_cstr(&v));
	buf_setf(&v, "<%s>", req->to != NULL ? req->to :
	    req->sender != NULL ? req->sender : "");
	bounce_field(&h, "To", buf_cstr(&v));
	bounce_field(&h, "Subject", req->delay ?
	    "Delayed Mail (still being retried)" :
	    "Undelivered Mail Returned to Sender");
	buf_reset(&v);
	buf_append_date(&v, now);
	bounce_field(&h, "Date", buf_cstr(&v));
	buf_setf(&v, "<");
	bounce_token(&v, req->queue_id);
	buf_printf(&v, ".%s.%lld.%ld.%lu@", req->delay ? "delay" : "bounce",
	    (long long)now, (long)getpid(), bounce_counter);
	bounce_clean(&v, req->hostname, 255);
	buf_append_byte(&v, '>');
	bounce_field(&h, "Message-ID", buf_cstr(&v));
	bounce_field(&h, "Auto-Submitted", "auto-replied");
	bounce_field(&h, "MIME-Version", "1.0");
	buf_printf(&h, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s\"\n\n",
	    buf_cstr(&bnd));
	buf_append_str(&h, "This is a MIME-encapsulated message.\n\n");

	/* Part 1, for people. */
	buf_printf(&h, "--%s\nContent-Description: %s\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n", buf_cstr(&bnd),
	    "Notification");
	bounce_text_part(&h, req);

	/* Part 2, for programs. */
	buf_printf(&h, "--%s\nContent-Description: Delivery report\n"
	    "Content-Type: message/delivery-status\n\n", buf_cstr(&bnd));
	bounce_status_part(&h, req);
	buf_append_byte(&h, '\n');

	/* Part 3, the original. */
	buf_printf(&h, "--%s\nContent-Description: %s\nContent-Type: %s\n\n",
	    buf_cstr(&bnd), req->ret_full ? "Undelivered Message" :
	    "Undelivered Message Headers", req->ret_full ? "message/rfc822" :
	    "text/rfc822-headers");
	if (iox_write_full(outfd, h.data, h.len) < 0)
		goto fail;
	if (bounce_each_chunk(req, copy_len, chunk, bounce_copy, &outfd) < 0)
		goto fail;
	buf_reset(&h);
	if (nl_missing)
		buf_append_byte(&h, '\n');
	buf_printf(&h, "\n--%s--\n", buf_cstr(&bnd));
	if (iox_write_full(outfd, h.data, h.len) < 0)
		goto fail;
	rc = 0;
fail:
	if (rc < 0)
		saved = errno;
	free(chunk);
	buf_free(&h);
	buf_free(&bnd);
	buf_free(&v);
	buf_free(&bs.tail);
	if (rc < 0)
		errno = saved;
	return rc;
}
