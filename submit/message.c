/*
 * message: read the caller's message from stdin into the queue file.
 *
 * Input: stdin (untrusted), in LF or CRLF lines; stored with LF.  Without
 * -i a line holding only "." ends the message.  The header section (up to
 * the first empty line, or the first line that is not a header field or
 * its continuation) is kept in memory, at most SUBMIT_HEADER_MAX bytes;
 * the body streams through a 64 KiB buffer.  The whole message is bounded
 * by message_size_limit (exit 73, nothing queued).
 *
 * Headers: with -t the recipients come from To/Cc/Bcc, or from
 * Resent-To/Cc/Bcc when the message has Resent- fields (RFC 5322 3.6.6);
 * Bcc and Resent-Bcc fields are not stored.  Added: Received (always,
 * first, with the caller's real uid and name), X-Authentication-Warning
 * (an untrusted caller who set another sender), and From, Date and
 * Message-ID when missing.  Nothing here looks up DNS.
 *
 * Diagnostics: submit_fail() with the sysexits code.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/addrlist.h"
#include "lib/iox.h"
#include "lib/xalloc.h"

#include "submit/submit.h"

#define SUBMIT_HEADER_MAX	(4 * 1024 * 1024)
#define SUBMIT_IOBUF		65536

struct msg_out {
	int	 fd;
	char	*buf;
	size_t	 len;
	off_t	 total;
};

static void
out_put(struct msg_out *o, const void *p, size_t n)
{
	const char *c = p;

	o->total += (off_t)n;
	while (n > 0) {
		size_t take = SUBMIT_IOBUF - o->len < n ? SUBMIT_IOBUF - o->len :
		    n;

		memcpy(o->buf + o->len, c, take);
		o->len += take;
		c += take;
		n -= take;
		if (o->len == SUBMIT_IOBUF) {
			if (iox_write_full(o->fd, o->buf, o->len) < 0)
				submit_fail(errno == EFBIG || errno == ENOSPC ?
				    EX_TEMPFAIL : EX_IOERR, "cannot write the "
				    "queue file: %s", strerror(errno));
			o->len = 0;
		}
	}
}

/* Over message_size_limit: nothing is queued. */
static void
too_big(struct msg_in *in)
{
	if (in->smtp) {
		in->over = true;	/* read on to the end, then 552 */
		return;
	}
	submit_fail(EX_CANTCREAT, "message is larger than the limit of %lld "
	    "bytes (message_size_limit): not sent", (long long)in->limit);
}

/*
 * One line into line, without its LF and a CR before it.  1: a line (the
 * last one may lack its LF), 0: end of input.  Over the limit: exit 73
 * (or, for -bs, in->over and the line emptied).
 */
int
in_line(struct msg_in *in, struct buf *line)
{
	buf_reset(line);
	if (in->buf == NULL)
		in->buf = xmalloc(SUBMIT_IOBUF);
	for (;;) {
		char *p = in->buf + in->off, *nl;
		size_t avail = in->len - in->off, take;
		ssize_t n;

		nl = memchr(p, '\n', avail);
		take = nl != NULL ? (size_t)(nl - p) : avail;
		if (!in->over)
			buf_append(line, p, take);
		in->off += take + (nl != NULL);
		if ((off_t)line->len > in->limit) {
			too_big(in);
			buf_reset(line);
		}
		if (nl == NULL) {
			if (in->eof)
				n = 0;
			else
				n = read(in->fd, in->buf, SUBMIT_IOBUF);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				submit_fail(EX_IOERR, "cannot read the "
				    "message: %s", strerror(errno));
			in->off = 0;
			in->len = n > 0 ? (size_t)n : 0;
			if (n > 0)
				continue;
			in->eof = true;
			if (line->len == 0 && take == 0)
				return 0;
		}
		if (line->len > 0 && line->data[line->len - 1] == '\r')
			buf_truncate(line, line->len - 1);
		in->total += (off_t)line->len + 1;
		if (in->total > in->limit && !in->over)
			too_big(in);
		return 1;
	}
}

/* A header field's name length ("To" for "To: x"), 0 if not a field. */
static size_t
field_name_len(const char *l, size_t n)
{
	size_t i;

	for (i = 0; i < n && l[i] != ':'; i++)
		if (l[i] <= ' ' || l[i] > '~')
			return 0;
	return i < n && i > 0 ? i : 0;
}

static bool
field_is(const char *f, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(f, name, n) == 0;
}

/* Callback for -t: one address from a header field. */
static int
add_from_header(void *arg, const char *a, size_t n)
{
	struct submit *s = arg;
	char *copy = xmemdup0(a, n);

	submit_add_rcpts(s, copy, n);
	free(copy);
	return 0;
}


/* A display name as an RFC 5322 phrase: atoms as is, else quoted. */
static void
phrase(struct buf *b, const char *name)
{
	const char *p;
	bool plain = name[0] != '\0';

	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != ' ' &&
		    strchr("!#$%&'*+-/=?^_`{|}~", *p) == NULL &&
		    (unsigned char)*p < 0x80)
			plain = false;
	if (plain) {
		buf_append_str(b, name);
		return;
	}
	buf_append_byte(b, '"');
	for (p = name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_append_byte(b, '\\');
		buf_append_byte(b, (unsigned char)*p);
	}
	buf_append_byte(b, '"');
}

/* The headers postern adds before the caller's. */
static void
added_top(struct submit *s, struct buf *b, time_t now)
{
	buf_printf(b, "Received: by %s (postern sendmail, from userid %lu "
	    "(%s))\n\tid %s; ", s->hostname, (unsigned long)s->uid, s->user,
	    s->id);
	buf_append_date(b, now);
	buf_append_byte(b, '\n');
	if (s->from != NULL && !s->trusted &&
	    strcmp(s->env.sender, s->user) != 0) {
		char *at = strrchr(s->env.sender, '@');

		if (at == NULL || strcmp(at + 1, s->hostname) != 0 ||
		    (size_t)(at - s->env.sender) != strlen(s->user) ||
		    strncmp(s->env.sender, s->user, strlen(s->user)) != 0)
			buf_printf(b, "X-Authentication-Warning: %s: %s set "
			    "sender to %s using -f\n", s->hostname, s->user,
			    s->env.sender[0] ? s->env.sender : "<>");
	}
}

/* From, Date and Message-ID, each when the message has none. */
static void
added_missing(struct submit *s, struct buf *b, time_t now, bool has_from,
    bool has_date, bool has_msgid)
{
	const char *name = s->fullname ? s->fullname : s->gecos_name;
	struct tm tm;
	char stamp[32];

	if (!has_from) {
		buf_append_str(b, "From: ");
		if (name != NULL && name[0] != '\0') {
			phrase(b, name);
			buf_printf(b, " <%s@%s>\n", s->user, s->hostname);
		} else
			buf_printf(b, "%s@%s\n", s->user, s->hostname);
	}
	if (!has_date) {
		buf_append_str(b, "Date: ");
		buf_append_date(b, now);
		buf_append_byte(b, '\n');
	}
	if (!has_msgid) {
		(void)gmtime_r(&now, &tm);
		(void)strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
		buf_printf(b, "Message-ID: <%s.%s.%ld@%s>\n", stamp, s->id,
		    (long)getpid(), s->hostname);
	}
}

/*
 * The next message line: 1, or 0 at its end: end of input, or a line
 * holding one dot (without -i; always with -bs, where a leading dot of
 * any other line is dot-stuffing and goes).
 */
static int
msg_line(struct submit *s, struct buf *l)
{
	if (in_line(&s->in, l) == 0)
		return 0;
	if ((s->in.smtp || !s->ignore_dots) && l->len == 1 &&
	    l->data[0] == '.') {
		s->in.dotted = true;
		return 0;
	}
	if (s->in.smtp && l->len > 0 && l->data[0] == '.')
		buf_consume(l, 1);
	return 1;
}

/* Read the message and write it; returns the bytes written. */
off_t
message_copy(struct submit *s, int fd)
{
	struct msg_out out = { fd, NULL, 0, 0 };
	struct buf line = BUF_INIT, hdr = BUF_INIT, top = BUF_INIT;
	bool has_from = false, has_date = false, has_msgid = false;
	bool resent = false, ended = false, separator = false;
	time_t now = time(NULL);
	size_t pos;

	s->in.total = 0;
	s->in.over = false;
	s->in.dotted = false;
	out.buf = xmalloc(SUBMIT_IOBUF);
	/* The header section, into memory. */
	for (;;) {
		if (msg_line(s, &line) == 0) {
			ended = true;
			break;
		}
		if (line.len == 0) {
			separator = true;
			break;
		}
		if (!((line.data[0] == ' ' || line.data[0] == '\t') &&
		    hdr.len > 0) && field_name_len(line.data, line.len) == 0)
			break;	/* not a header: the body starts here */
		if (hdr.len + line.len + 1 > SUBMIT_HEADER_MAX) {
			if (!s->in.smtp)
				submit_fail(EX_DATAERR, "the header section is "
				    "larger than %d bytes: not sent",
				    SUBMIT_HEADER_MAX);
			s->in.over = true;
		}
		if (s->in.over)
			continue;
		buf_append(&hdr, line.data, line.len);
		buf_append_byte(&hdr, '\n');
		buf_reset(&line);
	}
	/* Which fields are there, and is this a resend? */
	for (pos = 0; pos < hdr.len;) {
		const char *f = hdr.data + pos;
		size_t n = (size_t)((char *)memchr(f, '\n', hdr.len - pos) - f);
		size_t nl = field_name_len(f, n);

		if (nl > 7 && strncasecmp(f, "Resent-", 7) == 0)
			resent = true;
		has_from |= field_is(f, nl, "From");
		has_date |= field_is(f, nl, "Date");
		has_msgid |= field_is(f, nl, "Message-ID");
		pos += n + 1;
	}
	added_top(s, &top, now);
	out_put(&out, top.data, top.len);
	/* The caller's fields, Bcc dropped; -t collects recipients. */
	for (pos = 0; pos < hdr.len;) {
		size_t start = pos, nl;
		const char *f = hdr.data + pos;
		bool bcc, take;

		do {
			pos += (size_t)((char *)memchr(hdr.data + pos, '\n',
			    hdr.len - pos) - (hdr.data + pos)) + 1;
		} while (pos < hdr.len && (hdr.data[pos] == ' ' ||
		    hdr.data[pos] == '\t'));
		nl = field_name_len(f, pos - start);
		bcc = field_is(f, nl, "Bcc") || field_is(f, nl, "Resent-Bcc");
		take = resent ? (field_is(f, nl, "Resent-To") ||
		    field_is(f, nl, "Resent-Cc") ||
		    field_is(f, nl, "Resent-Bcc")) :
		    (field_is(f, nl, "To") || field_is(f, nl, "Cc") ||
		    field_is(f, nl, "Bcc"));
		if (s->extract && take) {
			struct buf why = BUF_INIT;

			if (addrlist_parse(f + nl + 1, pos - start - nl - 1,
			    add_from_header, s, &why) < 0)
				submit_fail(EX_DATAERR, "bad address in the "
				    "%.*s header: %s", (int)nl, f,
				    buf_cstr(&why));
			buf_free(&why);
		}
		if (!bcc)
			out_put(&out, f, pos - start);
	}
	buf_reset(&top);
	added_missing(s, &top, now, has_from, has_date, has_msgid);
	out_put(&out, top.data, top.len);
	out_put(&out, "\n", 1);
	/* The body: the line that ended the headers, then the rest. */
	if (!ended && !separator && line.len > 0) {
		out_put(&out, line.data, line.len);
		out_put(&out, "\n", 1);
	}
	while (!ended && msg_line(s, &line) == 1) {
		if (s->in.over)
			continue;	/* -bs: drop the rest, answer 552 */
		out_put(&out, line.data, line.len);
		out_put(&out, "\n", 1);
	}
	if (out.len > 0 && iox_write_full(fd, out.buf, out.len) < 0)
		submit_fail(errno == EFBIG || errno == ENOSPC ? EX_TEMPFAIL :
		    EX_IOERR, "cannot write the queue file: %s",
		    strerror(errno));
	free(out.buf);
	buf_free(&line);
	buf_free(&hdr);
	buf_free(&top);
	return out.total;
}
