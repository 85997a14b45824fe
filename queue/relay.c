/*
 * relay: the SMTP client (RFC 5321) that carries one message to the
 * configured relayhost, and the SMTP reply parser it reads with.
 *
 * relay_deliver() runs in the caller's process, a delivery child that has
 * already become postern_user for good: this file never forks and never
 * changes ids.  It parses relayhost ("[addr]:port", "[addr]", "host:port",
 * "host"; no MX lookups), resolves it with getaddrinfo (a bracketed
 * literal with AI_NUMERICHOST) and tries each address in turn until one
 * greets with 2xx.  Then EHLO (HELO when EHLO gets 5xx), MAIL FROM with
 * SIZE= and BODY=8BITMIME where they apply, one RCPT TO per recipient,
 * DATA, the message, QUIT.  With PIPELINING, MAIL, every RCPT and DATA go
 * out in one write and the replies are read in order; without it, one
 * command at a time.  STARTTLS is not offered by this client: no TLS, no
 * AUTH.  A relayhost on another machine should be reached over a trusted
 * network only.
 *
 * Inputs: relayhost and helo_name come from the root-owned configuration
 * (trusted, still checked for syntax); the envelope from the trusted queue
 * (an address holding a control byte is refused, never sent); the message
 * bytes from msgfd [off, off+size), read with pread only (the descriptor
 * is shared with the caller: its offset is never used or moved).  The
 * server's replies are untrusted: a reply line is at most
 * RELAY_LINE_MAX bytes, a reply at most SMTP_REPLY_LINES_MAX lines, its
 * kept text at most SMTP_REPLY_TEXT_MAX bytes, made printable before it
 * goes anywhere.
 *
 * Diagnostics: one struct qresult per recipient.  A reply gives its class
 * (2xx EX_OK, 4xx EX_TEMPFAIL, 5xx EX_UNAVAILABLE), its enhanced status
 * code (or one derived from the reply code: see relay_derive_dsn) and the
 * text "host[addr] said: 550 5.1.1 <x>: no such user (in reply to RCPT TO
 * command)"; mta is "host[addr]".  A refused RCPT gives that recipient
 * its reply; the reply to the end of data applies to every accepted one.
 * Failures of our own or of the network are temporary (EX_TEMPFAIL):
 * 4.4.1 when no address could be connected to, 4.4.2 for a lost or timed
 * out connection, 4.5.0 for a malformed reply, 4.4.3/4.4.4 when the name
 * does not resolve, 4.3.0 when the queue file cannot be read; a relayhost
 * that is empty or malformed is EX_CONFIG with 4.3.5.  A message larger
 * than the server's SIZE limit fails permanently, 5.3.4, before MAIL.
 *
 * Timeouts: connect 30 s, each reply and each write's progress 300 s, the
 * reply to the end of data 600 s, QUIT's reply 10 s (relay_set_timeouts
 * changes them, for tests).
 *
 * SECURITY: runs as postern_user with no privilege.  Everything the server
 * sends is bounded and made printable; nothing of it is ever used as a
 * format, a path or a command.  SIGPIPE cannot kill us: every send uses
 * MSG_NOSIGNAL.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/iox.h"
#include "lib/xalloc.h"

#include "queue/queue.h"

#define RELAY_LINE_MAX		4096	/* a reply line, without CRLF */
#define RELAY_IN_MAX		(1024 * 1024)	/* unread replies buffered */
#define RELAY_HOST_MAX		180	/* host part of relayhost */
#define RELAY_CHUNK		65536	/* message bytes per pread */
#define SMTP_REPLY_LINES_MAX	1000
#define SMTP_REPLY_TEXT_MAX	800
#define RELAY_RESULT_TEXT_MAX	1400

static int relay_connect_timeout = 30;
static int relay_reply_timeout = 300;
static int relay_data_timeout = 600;
static int relay_quit_timeout = 10;

enum conn_err { CE_NONE, CE_TIMEOUT, CE_LOST, CE_PROTO };

/* One SMTP connection and what the server offered. */
struct conn {
	int	 fd;
	struct buf in;		/* received, not yet consumed */
	bool	 eof;
	enum conn_err err;
	int	 saved_errno;
	char	 mta[256];	/* "host[addr]" */
	char	 port[8];
	bool	 esmtp, pipelining, eightbitmime, size_ok;
	unsigned long long size_max;	/* 0: no limit given */
};

/* The parsed relayhost. */
struct relay_target {
	char	 host[RELAY_HOST_MAX + 1];
	char	 port[8];
	bool	 literal;
};

/* Change the timeouts (seconds, > 0 each; 0 keeps the old value). */
void
relay_set_timeouts(int connect_s, int reply_s, int data_s)
{
	if (connect_s > 0)
		relay_connect_timeout = connect_s;
	if (reply_s > 0) {
		relay_reply_timeout = reply_s;
		relay_quit_timeout = reply_s < 10 ? reply_s : 10;
	}
	if (data_s > 0)
		relay_data_timeout = data_s;
}

/* ------------------------------------------------------------------
 * The reply parser.
 */

/* Make r an empty reply. */
void
smtp_reply_init(struct smtp_reply *r)
{
	buf_init(&r->text);
	smtp_reply_reset(r);
}

/* Forget a reply, keep the allocation (for the next reply). */
void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->dsn[0] = '\0';
	buf_reset(&r->text);
	r->nlines = 0;
}

/* Release a reply's text. */
void
smtp_reply_free(struct smtp_reply *r)
{
	buf_free(&r->text);
	smtp_reply_init(r);
}

/*
 * Length of an RFC 3463 code "C.S.D" at p (C the class digit, S and D
 * one to three digits), followed by a blank or the end; 0 if none.
 */
static size_t
smtp_dsn_len(const char *p, size_t len, char class)
{
	size_t i = 0, n;
	int part;

	if (len < 5 || p[0] != class || p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && n < 4 && p[i] >= '0' && p[i] <= '9'; n++)
			i++;
		if (n == 0 || n > 3)
			return 0;
		if (part == 0) {
			if (i >= len || p[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && p[i] != ' ' && p[i] != '\t')
		return 0;
	return i;
}

/* Append raw bytes to the text, printable, until SMTP_REPLY_TEXT_MAX. */
static void
smtp_text_append(struct buf *t, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && t->len < SMTP_REPLY_TEXT_MAX; i++)
		buf_append_printable(t, p + i, 1);
}

/* Feed one reply line (no CRLF): 1 complete, 0 more lines, -1 malformed. */
int
smtp_reply_line(struct smtp_reply *r, const char *line, size_t len)
{
	const char *p;
	size_t n, dl;
	int code;
	bool last;

	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '5' || line[2] < '0' || line[2] > '9')
		return -1;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len == 3 || line[3] == ' ')
		last = true;
	else if (line[3] == '-')
		last = false;
	else
		return -1;
	if (r->nlines > 0 && code != r->code)
		return -1;
	if (r->nlines >= SMTP_REPLY_LINES_MAX)
		return -1;
	p = len > 4 ? line + 4 : line + len;
	n = len > 4 ? len - 4 : 0;
	dl = smtp_dsn_len(p, n, line[0]);
	if (r->nlines == 0) {
		r->code = code;
		if (dl > 0) {
			memcpy(r->dsn, p, dl);
			r->dsn[dl] = '\0';
		}
	} else {
		/* A continuation repeating the code: keep its text only. */
		if (dl > 0 && strlen(r->dsn) == dl && memcmp(p, r->dsn, dl) == 0) {
			p += dl;
			n -= dl;
			while (n > 0 && (*p == ' ' || *p == '\t')) {
				p++;
				n--;
			}
		}
		if (n > 0 && r->text.len > 0 &&
		    r->text.len < SMTP_REPLY_TEXT_MAX)
			buf_append(&r->text, "; ", 2);
	}
	smtp_text_append(&r->text, p, n);
	r->nlines++;
	return last ? 1 : 0;
}

/* ------------------------------------------------------------------
 * The connection: bounded reads and writes with deadlines.
 */

/* Milliseconds from now to deadline, at least 0. */
static int
conn_remaining(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return 0;
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 0)
		return 0;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* A deadline secs seconds from now. */
static void
conn_deadline(struct timespec *d, int secs)
{
	if (clock_gettime(CLOCK_MONOTONIC, d) < 0) {
		d->tv_sec = 0;
		d->tv_nsec = 0;
	}
	d->tv_sec += secs;
}

/* Receive what is there into c->in: 0, or -1 with c->err set. */
static int
conn_recv(struct conn *c)
{
	char chunk[4096];
	ssize_t n;

	n = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
	if (n > 0) {
		if (c->in.len + (size_t)n > RELAY_IN_MAX) {
			c->err = CE_PROTO;
			return -1;
		}
		buf_append(&c->in, chunk, (size_t)n);
		return 0;
	}
	if (n == 0) {
		c->eof = true;
		return 0;
	}
	if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	c->saved_errno = errno;
	c->err = CE_LOST;
	return -1;
}

/* Wait for input until deadline and receive it: 0, or -1 with c->err. */
static int
conn_fill(struct conn *c, const struct timespec *deadline)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, conn_remaining(deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			c->saved_errno = errno;
			c->err = CE_LOST;
			return -1;
		}
		if (n == 0) {
			c->err = CE_TIMEOUT;
			return -1;
		}
		return conn_recv(c);
	}
}

/* One line (CRLF or LF removed) into line: 0, or -1 with c->err set. */
static int
conn_getline(struct conn *c, struct buf *line, const struct timespec *deadline)
{
	const char *nl;
	size_t n, len;

	for (;;) {
		nl = c->in.len > 0 ? memchr(c->in.data, '\n', c->in.len) : NULL;
		if (nl != NULL) {
			n = (size_t)(nl - c->in.data);
			len = n > 0 && c->in.data[n - 1] == '\r' ? n - 1 : n;
			if (len > RELAY_LINE_MAX) {
				c->err = CE_PROTO;
				return -1;
			}
			buf_reset(line);
			buf_append(line, c->in.data, len);
			buf_consume(&c->in, n + 1);
			return 0;
		}
		if (c->in.len > RELAY_LINE_MAX + 1) {
			c->err = CE_PROTO;
			return -1;
		}
		if (c->eof) {
			c->err = CE_LOST;
			c->saved_errno = 0;
			return -1;
		}
		if (conn_fill(c, deadline) < 0)
			return -1;
	}
}

/*
 * Read one whole reply within secs seconds: 0, or -1 with c->err set.
 * When ehlo is not NULL, each line's text after the code goes there, one
 * per line, for the EHLO keywords.
 */
static int
conn_reply(struct conn *c, struct smtp_reply *r, int secs, struct buf *ehlo)
{
	struct timespec deadline;
	struct buf line = BUF_INIT;
	int rc = -1, st;

	smtp_reply_reset(r);
	conn_deadline(&deadline, secs);
	for (;;) {
		if (conn_getline(c, &line, &deadline) < 0)
			break;
		if ((st = smtp_reply_line(r, line.data, line.len)) < 0) {
			c->err = CE_PROTO;
			break;
		}
		if (ehlo != NULL && line.len > 4) {
			buf_append(ehlo, line.data + 4, line.len - 4);
			buf_append_byte(ehlo, '\n');
		}
		if (st == 1) {
			rc = 0;
			break;
		}
	}
	buf_free(&line);
	return rc;
}

/*
 * Write all of p; while waiting, take in what the server sends (so a
 * pipelined batch cannot deadlock).  The timeout restarts on progress.
 * 0, or -1 with c->err set.
 */
static int
conn_write(struct conn *c, const void *p, size_t n)
{
	const char *s = p;
	struct timespec deadline;
	struct pollfd pfd;
	ssize_t w;
	int k;

	conn_deadline(&deadline, relay_reply_timeout);
	while (n > 0) {
		pfd.fd = c->fd;
		pfd.events = POLLOUT | (c->eof ? 0 : POLLIN);
		pfd.revents = 0;
		k = poll(&pfd, 1, conn_remaining(&deadline));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			c->saved_errno = errno;
			c->err = CE_LOST;
			return -1;
		}
		if (k == 0) {
			c->err = CE_TIMEOUT;
			return -1;
		}
		if ((pfd.revents & POLLIN) && conn_recv(c) < 0)
			return -1;
		if ((pfd.revents & (POLLOUT | POLLERR | POLLHUP)) == 0)
			continue;
		w = send(c->fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			c->saved_errno = errno;
			c->err = CE_LOST;
			return -1;
		}
		s += w;
		n -= (size_t)w;
		conn_deadline(&deadline, relay_reply_timeout);
	}
	return 0;
}

/* ------------------------------------------------------------------
 * Results.
 */

/* The class digit's default code when the reply gave none. */
static void
relay_derive_dsn(int code, char *dsn, size_t size)
{
	const char *d;

	switch (code) {
	case 421: d = "4.4.2"; break;	/* service closing the channel */
	case 450: d = "4.2.0"; break;	/* mailbox unavailable */
	case 451: d = "4.3.0"; break;	/* local error in processing */
	case 452: d = "4.3.1"; break;	/* insufficient storage */
	case 500: case 501: case 502: case 503: case 504:
		d = "5.5.0"; break;	/* protocol errors */
	case 550: d = "5.0.0"; break;	/* as Postfix: too vague to say */
	case 551: d = "5.1.6"; break;	/* user not local */
	case 552: d = "5.2.2"; break;	/* storage exceeded */
	case 553: d = "5.1.3"; break;	/* mailbox name not allowed */
	case 554: d = "5.0.0"; break;
	default:
		d = code >= 500 ? "5.0.0" : code >= 400 ? "4.0.0" : "2.0.0";
	}
	(void)snprintf(dsn, size, "%s", d);
}

/* Set one result, bounded text from fmt. */
static void
result_set(struct qresult *q, int status, const char *dsn, const char *mta,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
result_set(struct qresult *q, int status, const char *dsn, const char *mta,
    const char *fmt, ...)
{
	va_list ap;

	q->status = status;
	(void)snprintf(q->dsn, sizeof(q->dsn), "%s", dsn);
	(void)snprintf(q->mta, sizeof(q->mta), "%s", mta);
	buf_reset(&q->text);
	va_start(ap, fmt);
	buf_vprintf(&q->text, fmt, ap);
	va_end(ap);
	if (q->text.len > RELAY_RESULT_TEXT_MAX)
		buf_truncate(&q->text, RELAY_RESULT_TEXT_MAX);
}

/* A reply's result for one recipient ("... (in reply to WHAT command)"). */
static void
result_reply(struct qresult *q, const struct conn *c, struct smtp_reply *r,
    const char *what)
{
	char dsn[16];
	int status;

	if (r->dsn[0] != '\0')
		(void)snprintf(dsn, sizeof(dsn), "%s", r->dsn);
	else
		relay_derive_dsn(r->code, dsn, sizeof(dsn));
	status = r->code >= 500 ? EX_UNAVAILABLE : r->code >= 400 ?
	    EX_TEMPFAIL : EX_OK;
	if (status == EX_OK && r->code >= 300) {
		/* A 3xx where none belongs: not a delivery. */
		status = EX_TEMPFAIL;
		(void)snprintf(dsn, sizeof(dsn), "4.5.0");
	}
	result_set(q, status, dsn, c->mta, "%s said: %d %s (in reply to %s)",
	    c->mta, r->code, buf_cstr(&r->text), what);
}

/* Give every recipient still without a result (status < 0) the same. */
static void
results_rest(struct qresult *res, size_t n, int status, const char *dsn,
    const char *mta, const char *text)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (res[i].status < 0)
			result_set(&res[i], status, dsn, mta, "%s", text);
}

/* Every recipient still open gets the connection's failure during step. */
static void
results_conn_fail(struct qresult *res, size_t n, const struct conn *c,
    const char *step)
{
	struct buf t = BUF_INIT;
	const char *dsn = "4.4.2";

	switch (c->err) {
	case CE_TIMEOUT:
		buf_printf(&t, "conversation with %s timed out while %s",
		    c->mta, step);
		break;
	case CE_PROTO:
		buf_printf(&t, "%s sent a malformed or too long reply "
		    "while %s", c->mta, step);
		dsn = "4.5.0";
		break;
	default:
		buf_printf(&t, "lost connection with %s while %s", c->mta,
		    step);
		if (c->saved_errno != 0)
			buf_printf(&t, ": %s", strerror(c->saved_errno));
	}
	results_rest(res, n, EX_TEMPFAIL, dsn, c->mta, buf_cstr(&t));
	buf_free(&t);
}

/* ------------------------------------------------------------------
 * The session.
 */

/* Parse relayhost into t: 0, or -1 with the reason in why. */
static int
relay_parse_target(const char *s, struct relay_target *t, struct buf *why)
{
	const char *h, *end, *port = NULL;
	size_t hl, i;
	unsigned long pn = 0;

	t->literal = false;
	if (s[0] == '[') {
		h = s + 1;
		if ((end = strchr(h, ']')) == NULL) {
			buf_setf(why, "no closing bracket");
			return -1;
		}
		t->literal = true;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0') {
			buf_setf(why, "text after the closing bracket");
			return -1;
		}
	} else {
		h = s;
		end = strchr(s, ':');
		if (end != NULL && strchr(end + 1, ':') != NULL) {
			buf_setf(why, "an IPv6 address must be in brackets");
			return -1;
		}
		if (end != NULL)
			port = end + 1;
		else
			end = s + strlen(s);
	}
	hl = (size_t)(end - h);
	if (hl == 0 || hl > RELAY_HOST_MAX) {
		buf_setf(why, hl == 0 ? "empty host name" :
		    "host name too long");
		return -1;
	}
	for (i = 0; i < hl; i++)
		if (h[i] <= 0x20 || h[i] >= 0x7f || h[i] == '[' ||
		    h[i] == ']' || (!t->literal && h[i] == ':')) {
			buf_setf(why, "bad character in host name");
			return -1;
		}
	memcpy(t->host, h, hl);
	t->host[hl] = '\0';
	if (port == NULL) {
		(void)snprintf(t->port, sizeof(t->port), "25");
		return 0;
	}
	for (i = 0; port[i] != '\0'; i++) {
		if (port[i] < '0' || port[i] > '9' || i >= 5) {
			buf_setf(why, "bad port");
			return -1;
		}
		pn = pn * 10 + (unsigned long)(port[i] - '0');
	}
	if (i == 0 || pn == 0 || pn > 65535) {
		buf_setf(why, "bad port");
		return -1;
	}
	(void)snprintf(t->port, sizeof(t->port), "%lu", pn);
	return 0;
}

/* True when s is safe inside an SMTP command: no control byte, no '<>'. */
static bool
relay_valid_addr(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '<' ||
		    *s == '>')
			return false;
	return true;
}

/* Connect to one address within relay_connect_timeout: fd, or -1/errno. */
static int
relay_connect_one(const struct addrinfo *ai)
{
	struct timespec deadline;
	struct pollfd pfd;
	socklen_t sl;
	int fd, n, err = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR) {
		err = errno;
		goto fail;
	}
	conn_deadline(&deadline, relay_connect_timeout);
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		n = poll(&pfd, 1, conn_remaining(&deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto fail;
		}
		if (n == 0) {
			err = ETIMEDOUT;
			goto fail;
		}
		break;
	}
	sl = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err == 0)
		return fd;
fail:
	(void)close(fd);
	errno = err;
	return -1;
}

/*
 * Connect to the first address of t that answers and greets with 2xx:
 * 0 with c ready, or -1 with every result set.
 */
static int
relay_open(const struct relay_target *t, struct conn *c,
    struct smtp_reply *r, struct qresult *res, size_t n)
{
	struct addrinfo hints, *list = NULL, *ai;
	struct buf last = BUF_INIT;
	const char *dsn = "4.4.1";
	char addr[64], gdsn[16];
	bool talked = false;
	int gai, fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = t->literal ? AI_NUMERICHOST : 0;
	gai = getaddrinfo(t->host, t->port, &hints, &list);
	if (gai != 0) {
		buf_setf(&last, "cannot find the address of relayhost %s: %s",
		    t->host, gai == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(gai));
		results_rest(res, n, EX_TEMPFAIL, gai == EAI_NONAME ?
		    "4.4.4" : "4.4.3", "", buf_cstr(&last));
		buf_free(&last);
		return -1;
	}
	for (ai = list; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			(void)snprintf(addr, sizeof(addr), "?");
		(void)snprintf(c->mta, sizeof(c->mta), "%s[%s]", t->host,
		    addr);
		if ((fd = relay_connect_one(ai)) < 0) {
			buf_setf(&last, "connect to %s:%s: %s", c->mta,
			    t->port, strerror(errno));
			dsn = "4.4.1";
			talked = false;
			continue;
		}
		c->fd = fd;
		c->eof = false;
		c->err = CE_NONE;
		c->saved_errno = 0;
		buf_reset(&c->in);
		if (conn_reply(c, r, relay_reply_timeout, NULL) == 0 &&
		    r->code >= 200 && r->code < 300)
			break;
		/* Not this one: say why, try the next address. */
		buf_reset(&last);
		if (c->err != CE_NONE)
			buf_printf(&last, "%s %s while receiving the initial "
			    "server greeting", c->mta, c->err == CE_TIMEOUT ?
			    "timed out" : c->err == CE_PROTO ?
			    "sent a malformed greeting" :
			    "closed the connection");
		else
			buf_printf(&last, "host %s refused to talk to me: "
			    "%d %s", c->mta, r->code, buf_cstr(&r->text));
		talked = true;
		if (c->err == CE_PROTO)
			dsn = "4.5.0";
		else if (c->err != CE_NONE)
			dsn = "4.4.2";
		else {
			/* Any refusal at the greeting is temporary here. */
			if (r->dsn[0] != '\0')
				(void)snprintf(gdsn, sizeof(gdsn), "%s",
				    r->dsn);
			else
				relay_derive_dsn(r->code, gdsn, sizeof(gdsn));
			gdsn[0] = '4';
			dsn = gdsn;
		}
		(void)close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(list);
	if (c->fd < 0) {
		results_rest(res, n, EX_TEMPFAIL, dsn, talked ? c->mta : "",
		    buf_cstr(&last));
		buf_free(&last);
		return -1;
	}
	buf_free(&last);
	return 0;
}

/* Note what an EHLO reply offers (one keyword line per line of kw). */
static void
relay_ehlo_keywords(struct conn *c, struct buf *kw)
{
	const char *p, *nl, *end;
	unsigned long long v;
	size_t len;
	bool first = true;

	if (kw->len == 0)
		return;
	p = kw->data;
	end = kw->data + kw->len;
	for (; p < end; p = nl + 1, first = false) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		len = (size_t)(nl - p);
		if (first)
			continue;	/* the server's name */
		if (len == 10 && strncasecmp(p, "PIPELINING", 10) == 0)
			c->pipelining = true;
		else if (len == 8 && strncasecmp(p, "8BITMIME", 8) == 0)
			c->eightbitmime = true;
		else if (len >= 4 && strncasecmp(p, "SIZE", 4) == 0 &&
		    (len == 4 || p[4] == ' ')) {
			c->size_ok = true;
			c->size_max = 0;
			for (v = 0, p += 5; len > 5 && p < nl &&
			    *p >= '0' && *p <= '9'; p++) {
				if (v > (ULLONG_MAX - 9) / 10) {
					v = 0;
					break;
				}
				v = v * 10 + (unsigned long long)(*p - '0');
			}
			c->size_max = v;
		}
	}
}

/* True when msgfd [off, off+size) holds a byte >= 0x80; -1 on error. */
static int
relay_is_8bit(int msgfd, off_t off, off_t size, unsigned char *chunk)
{
	off_t done = 0;
	ssize_t n;
	size_t want, i;

	while (done < size) {
		want = size - done > RELAY_CHUNK ? RELAY_CHUNK :
		    (size_t)(size - done);
		n = pread(msgfd, chunk, want, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		for (i = 0; i < (size_t)n; i++)
			if (chunk[i] >= 0x80)
				return 1;
		done += n;
	}
	return 0;
}

/*
 * Send the message: LF to CRLF, dot-stuffing, a final CRLF when missing,
 * then ".".  0; -1 with c->err set (network); -2 when msgfd failed.
 */
static int
relay_send_body(struct conn *c, int msgfd, off_t off, off_t size,
    unsigned char *chunk)
{
	struct buf out = BUF_INIT;
	off_t done = 0;
	ssize_t n;
	size_t want, i;
	bool bol = true;
	int rc = -1;

	while (done < size) {
		want = size - done > RELAY_CHUNK ? RELAY_CHUNK :
		    (size_t)(size - done);
		n = pread(msgfd, chunk, want, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -2;
			goto out;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (bol && chunk[i] == '.')
				buf_append_byte(&out, '.');
			if (chunk[i] == '\n') {
				buf_append(&out, "\r\n", 2);
				bol = true;
			} else {
				buf_append_byte(&out, chunk[i]);
				bol = false;
			}
		}
		done += n;
		if (out.len >= RELAY_CHUNK) {
			if (conn_write(c, out.data, out.len) < 0)
				goto out;
			buf_reset(&out);
		}
	}
	if (!bol)
		buf_append(&out, "\r\n", 2);
	buf_append(&out, ".\r\n", 3);
	if (conn_write(c, out.data, out.len) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&out);
	return rc;
}

/* EHLO, or HELO after a 5xx: 0, or -1 with every open result set. */
static int
relay_hello(struct conn *c, const char *helo, struct smtp_reply *r,
    struct qresult *res, size_t n)
{
	struct buf cmd = BUF_INIT, kw = BUF_INIT;
	int rc = -1;

	buf_printf(&cmd, "EHLO %s\r\n", helo);
	if (conn_write(c, cmd.data, cmd.len) < 0 ||
	    conn_reply(c, r, relay_reply_timeout, &kw) < 0) {
		results_conn_fail(res, n, c, "performing the EHLO handshake");
		goto out;
	}
	if (r->code >= 200 && r->code < 300) {
		c->esmtp = true;
		relay_ehlo_keywords(c, &kw);
		rc = 0;
		goto out;
	}
	if (r->code >= 500) {
		buf_setf(&cmd, "HELO %s\r\n", helo);
		if (conn_write(c, cmd.data, cmd.len) < 0 ||
		    conn_reply(c, r, relay_reply_timeout, NULL) < 0) {
			results_conn_fail(res, n, c,
			    "performing the HELO handshake");
			goto out;
		}
		if (r->code >= 200 && r->code < 300) {
			rc = 0;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			result_reply(&res[i], c, r, "HELO command");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		result_reply(&res[i], c, r, "EHLO command");
out:
	buf_free(&cmd);
	buf_free(&kw);
	return rc;
}

/* Say QUIT and wait briefly for the answer (which does not matter). */
static void
relay_quit(struct conn *c, struct smtp_reply *r)
{
	if (c->err != CE_NONE || c->eof)
		return;
	if (conn_write(c, "QUIT\r\n", 6) == 0)
		(void)conn_reply(c, r, relay_quit_timeout, NULL);
}

/*
 * The transaction after the greeting and EHLO: MAIL, RCPTs, DATA, the
 * message.  Every open result is set on return.
 */
static void
relay_transaction(struct conn *c, const char *sender, char *const *rcpts,
    size_t n, int msgfd, off_t off, off_t size, struct smtp_reply *r,
    struct qresult *res)
{
	struct buf cmd = BUF_INIT;
	unsigned char *chunk;
	bool *sent, mail_ok = false, data_ok = false;
	size_t i, naccepted = 0;
	int eight = 0, st;

	chunk = xmalloc(RELAY_CHUNK);
	sent = xcalloc(n, sizeof(*sent));
	for (i = 0; i < n; i++)
		sent[i] = res[i].status < 0;

	/* SIZE: a message the server announced it will refuse. */
	if (c->size_ok && c->size_max > 0 &&
	    (unsigned long long)size > c->size_max) {
		buf_setf(&cmd, "message size %lld exceeds size limit %llu "
		    "of server %s", (long long)size, c->size_max, c->mta);
		results_rest(res, n, EX_UNAVAILABLE, "5.3.4", c->mta,
		    buf_cstr(&cmd));
		goto quit;
	}
	if (c->eightbitmime &&
	    (eight = relay_is_8bit(msgfd, off, size, chunk)) < 0) {
		results_rest(res, n, EX_TEMPFAIL, "4.3.0", "",
		    "cannot read the queue file");
		goto quit;
	}

	/* The commands: one batch with PIPELINING, else one by one. */
	buf_setf(&cmd, "MAIL FROM:<%s>", sender);
	if (c->size_ok)
		buf_printf(&cmd, " SIZE=%lld", (long long)size);
	if (eight == 1)
		buf_append_str(&cmd, " BODY=8BITMIME");
	buf_append(&cmd, "\r\n", 2);
	if (c->pipelining) {
		for (i = 0; i < n; i++)
			if (sent[i])
				buf_printf(&cmd, "RCPT TO:<%s>\r\n", rcpts[i]);
		buf_append_str(&cmd, "DATA\r\n");
	}
	if (conn_write(c, cmd.data, cmd.len) < 0 ||
	    conn_reply(c, r, relay_reply_timeout, NULL) < 0) {
		results_conn_fail(res, n, c, "sending MAIL FROM");
		goto out;
	}
	if (r->code >= 200 && r->code < 300)
		mail_ok = true;
	else {
		for (i = 0; i < n; i++)
			if (sent[i])
				result_reply(&res[i], c, r, "MAIL FROM command");
		if (!c->pipelining)
			goto quit;
	}
	for (i = 0; i < n; i++) {
		if (!sent[i])
			continue;
		if (!c->pipelining) {
			buf_setf(&cmd, "RCPT TO:<%s>\r\n", rcpts[i]);
			if (conn_write(c, cmd.data, cmd.len) < 0) {
				results_conn_fail(res, n, c,
				    "sending RCPT TO");
				goto out;
			}
		}
		if (conn_reply(c, r, relay_reply_timeout, NULL) < 0) {
			results_conn_fail(res, n, c, "sending RCPT TO");
			goto out;
		}
		if (!mail_ok)
			continue;	/* pipelined after a refused MAIL */
		if (r->code >= 200 && r->code < 300)
			naccepted++;	/* its result comes after the data */
		else
			result_reply(&res[i], c, r, "RCPT TO command");
	}
	if (naccepted == 0 && !c->pipelining)
		goto quit;	/* every recipient has its refusal */

	/* DATA, then the message when it says 354. */
	if (!c->pipelining && conn_write(c, "DATA\r\n", 6) < 0) {
		results_conn_fail(res, n, c, "sending DATA command");
		goto out;
	}
	if (conn_reply(c, r, relay_reply_timeout, NULL) < 0) {
		results_conn_fail(res, n, c, "sending DATA command");
		goto out;
	}
	if (r->code >= 300 && r->code < 400)
		data_ok = true;
	if (naccepted == 0) {
		/* Pipelined, nobody accepted, yet a 354: send nothing. */
		if (data_ok && conn_write(c, ".\r\n", 3) == 0)
			(void)conn_reply(c, r, relay_reply_timeout, NULL);
		goto quit;
	}
	if (!data_ok) {
		for (i = 0; i < n; i++)
			if (res[i].status < 0)
				result_reply(&res[i], c, r, "DATA command");
		goto quit;
	}
	st = relay_send_body(c, msgfd, off, size, chunk);
	if (st == -2) {
		/* Close without ".": the server drops the transaction. */
		results_rest(res, n, EX_TEMPFAIL, "4.3.0", "",
		    "cannot read the queue file");
		goto out;
	}
	if (st < 0) {
		results_conn_fail(res, n, c, "sending message body");
		goto out;
	}
	if (conn_reply(c, r, relay_data_timeout, NULL) < 0) {
		results_conn_fail(res, n, c, "sending end of data -- message "
		    "may be sent more than once");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (res[i].status < 0)
			result_reply(&res[i], c, r, "end of DATA command");
quit:
	relay_quit(c, r);
out:
	free(sent);
	free(chunk);
	buf_free(&cmd);
}

/* Deliver one message to relayhost; every recipient gets a result. */
void
relay_deliver(const char *relayhost, const char *helo_name,
    const char *sender, char *const *rcpts, size_t nrcpts,
    int msgfd, off_t off, off_t size, struct qresult *results)
{
	struct relay_target t;
	struct conn c;
	struct smtp_reply r;
	struct buf why = BUF_INIT;
	const char *helo;
	size_t i, nopen = 0;

	for (i = 0; i < nrcpts; i++) {
		results[i].status = -1;
		results[i].dsn[0] = '\0';
		results[i].mta[0] = '\0';
		buf_reset(&results[i].text);
	}
	if (nrcpts == 0)
		return;
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	buf_init(&c.in);
	smtp_reply_init(&r);

	if (relayhost == NULL || relayhost[0] == '\0') {
		results_rest(results, nrcpts, EX_CONFIG, "4.3.5", "",
		    "no relayhost is configured for mail to other domains");
		goto out;
	}
	if (relay_parse_target(relayhost, &t, &why) < 0) {
		struct buf p = BUF_INIT;

		buf_append_str(&p, "bad relayhost \"");
		buf_append_printable(&p, relayhost, strnlen(relayhost,
		    RELAY_HOST_MAX + 10));
		buf_printf(&p, "\": %s", buf_cstr(&why));
		results_rest(results, nrcpts, EX_CONFIG, "4.3.5", "",
		    buf_cstr(&p));
		buf_free(&p);
		goto out;
	}
	helo = helo_name != NULL && helo_name[0] != '\0' ? helo_name :
	    "localhost";
	for (i = 0; helo[i] != '\0'; i++)
		if (helo[i] <= 0x20 || helo[i] >= 0x7f || i > 255) {
			results_rest(results, nrcpts, EX_CONFIG, "4.3.5", "",
			    "bad host name for EHLO");
			goto out;
		}
	if (!relay_valid_addr(sender)) {
		results_rest(results, nrcpts, EX_UNAVAILABLE, "5.1.7", "",
		    "bad sender address syntax");
		goto out;
	}
	for (i = 0; i < nrcpts; i++)
		if (!relay_valid_addr(rcpts[i]) || rcpts[i][0] == '\0')
			result_set(&results[i], EX_UNAVAILABLE, "5.1.3", "",
			    "bad recipient address syntax");
		else
			nopen++;
	if (nopen == 0)
		goto out;
	if (relay_open(&t, &c, &r, results, nrcpts) < 0)
		goto out;
	if (relay_hello(&c, helo, &r, results, nrcpts) < 0) {
		relay_quit(&c, &r);
		goto out;
	}
	relay_transaction(&c, sender, rcpts, nrcpts, msgfd, off, size, &r,
	    results);
out:
	/* Defensive: nothing leaves without a result. */
	results_rest(results, nrcpts, EX_TEMPFAIL, "4.3.0", c.mta,
	    "internal error in the SMTP client");
	if (c.fd >= 0)
		(void)close(c.fd);
	buf_free(&c.in);
	smtp_reply_free(&r);
	buf_free(&why);
}
