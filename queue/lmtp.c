/*
 * lmtp: the client side of LMTP (RFC 2033) to postern's own mail.local,
 * run as "mail.local -l" on one end of a socketpair, one session for all
 * the messages of a delivery batch.
 *
 * A transaction: MAIL FROM, one RCPT per local recipient, pipelined (the
 * server offers PIPELINING); then, when any recipient was accepted, BDAT
 * with the whole message and LAST (CHUNKING: the bytes go as they are,
 * sent with sendfile from the queue file, no dot-stuffing), and one reply
 * per accepted recipient.  RSET when none was accepted.
 *
 * Input: replies from mail.local (root's program, still parsed with
 * bounds: a reply line is at most LMTP_LINE_MAX bytes).
 *
 * Diagnostics: per recipient, struct qresult (status from the reply
 * class, RFC 3463 code and text from the reply); a session that fails
 * gives temporary failures to what is left and is not used again.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/iox.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include "queue/queue.h"

#define LMTP_LINE_MAX	4096
#define LMTP_TIMEOUT_MS	(3600 * 1000)	/* a delivery program may be slow */

/* One reply line into line (without CRLF): 0, or -1 (why). */
static int
lmtp_line(struct lmtp_client *c, struct buf *line, struct buf *why)
{
	for (;;) {
		char *nl = c->in.len ? memchr(c->in.data, '\n', c->in.len) :
		    NULL;
		char chunk[8192];
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		ssize_t n;

		if (nl != NULL) {
			size_t len = (size_t)(nl - c->in.data);

			buf_reset(line);
			buf_append(line, c->in.data, len > 0 &&
			    c->in.data[len - 1] == '\r' ? len - 1 : len);
			buf_consume(&c->in, len + 1);
			return 0;
		}
		if (c->in.len > LMTP_LINE_MAX) {
			buf_append_str(why, "reply line too long");
			return -1;
		}
		if (poll(&pfd, 1, LMTP_TIMEOUT_MS) == 0) {
			buf_append_str(why, "timeout waiting for mail.local");
			return -1;
		}
		n = read(c->fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			buf_printf(why, "lost connection with mail.local%s%s",
			    n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			return -1;
		}
		buf_append(&c->in, chunk, (size_t)n);
	}
}

/* A whole (possibly multi-line) reply: its code, text of the last line. */
static int
lmtp_reply(struct lmtp_client *c, struct smtp_reply *r, struct buf *why)
{
	struct buf line = BUF_INIT;
	int rc;

	smtp_reply_reset(r);
	do {
		if (lmtp_line(c, &line, why) < 0) {
			buf_free(&line);
			return -1;
		}
		rc = smtp_reply_line(r, line.data ? line.data : "", line.len);
	} while (rc == 0);
	if (rc < 0) {
		buf_append_str(why, "malformed reply from mail.local: ");
		buf_append_printable(why, line.data, line.len > 200 ? 200 :
		    line.len);
	}
	buf_free(&line);
	return rc < 0 ? -1 : 0;
}

/* Start mail.local -l on a socketpair and greet it. */
int
lmtp_start(struct lmtp_client *c, struct buf *why)
{
	struct smtp_reply r;
	int sv[2];

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		buf_printf(why, "socketpair: %s", strerror(errno));
		return -1;
	}
	if ((c->pid = fork()) < 0) {
		buf_printf(why, "fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (c->pid == 0) {
		static char *const argv[] = { (char *)(uintptr_t)"mail.local",
		    (char *)(uintptr_t)"-l", NULL };
		static char *const envp[] = { NULL };
		int null = open("/dev/null", O_RDWR);

		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 || null < 0 ||
		    dup2(null, 2) < 0)
			_exit(EX_OSERR);
		iox_close_from(3);
		(void)execve(LIBEXECDIR "/mail.local", argv, envp);
		_exit(EX_OSERR);
	}
	(void)close(sv[1]);
	c->fd = sv[0];
	c->up = true;
	smtp_reply_init(&r);
	if (lmtp_reply(c, &r, why) < 0 || r.code != 220 ||
	    iox_write_full(c->fd, "LHLO localhost\r\n", 16) < 0 ||
	    lmtp_reply(c, &r, why) < 0 || r.code != 250) {
		if (why->len == 0)
			buf_printf(why, "mail.local said %d %s", r.code,
			    buf_cstr(&r.text));
		smtp_reply_free(&r);
		lmtp_stop(c);
		return -1;
	}
	smtp_reply_free(&r);
	return 0;
}

/* Fill res from a reply. */
static void
lmtp_result(struct qresult *res, const struct smtp_reply *r)
{
	res->status = r->code / 100 == 2 ? EX_OK : r->code / 100 == 4 ?
	    EX_TEMPFAIL : EX_UNAVAILABLE;
	(void)snprintf(res->dsn, sizeof(res->dsn), "%s", r->dsn[0] ? r->dsn :
	    r->code / 100 == 2 ? "2.0.0" : r->code / 100 == 4 ? "4.0.0" :
	    "5.0.0");
	buf_reset(&res->text);
	buf_printf(&res->text, "%d ", r->code);
	buf_append_printable(&res->text, r->text.data, r->text.len);
	(void)snprintf(res->mta, sizeof(res->mta), "mail.local");
}

/* The rest of the recipients failed with why (temporarily). */
static void
lmtp_fail_rest(struct lmtp_client *c, struct qresult *res, size_t from,
    size_t n, const bool *done, const char *why)
{
	size_t k;

	for (k = from; k < n; k++) {
		if (done != NULL && done[k])
			continue;
		res[k].status = EX_TEMPFAIL;
		(void)snprintf(res[k].dsn, sizeof(res[k].dsn), "4.3.0");
		buf_reset(&res[k].text);
		buf_printf(&res[k].text, "local delivery failed: %s", why);
	}
	lmtp_stop(c);
}

/* Send the message with BDAT LAST. */
static int
lmtp_bdat(struct lmtp_client *c, const struct qmsg *m, struct buf *why)
{
	struct buf cmd = BUF_INIT;
	off_t off = m->msg_off, end = m->msg_off + m->msg_size;
	int rc = 0;

	buf_printf(&cmd, "BDAT %lld LAST\r\n", (long long)m->msg_size);
	if (iox_write_full(c->fd, cmd.data, cmd.len) < 0)
		rc = -1;
	while (rc == 0 && off < end) {
		ssize_t n = sendfile(c->fd, m->fd, &off, (size_t)(end - off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = -1;
	}
	if (rc < 0)
		buf_printf(why, "sending the message: %s", strerror(errno));
	buf_free(&cmd);
	return rc;
}

/* One transaction for the recipients idx[0..n) of m. */
void
lmtp_deliver(struct lmtp_client *c, const struct qmsg *m, const size_t *idx,
    size_t n, struct qresult *res)
{
	struct buf out = BUF_INIT, why = BUF_INIT;
	struct smtp_reply r;
	bool *acc = xcalloc(n ? n : 1, sizeof(*acc));
	size_t k, nacc = 0;

	smtp_reply_init(&r);
	if (!c->up) {
		lmtp_fail_rest(c, res, 0, n, NULL, "no LMTP session");
		goto out;
	}
	/* PIPELINING: MAIL and every RCPT in one write. */
	buf_printf(&out, "MAIL FROM:<%s>\r\n", m->sender);
	for (k = 0; k < n; k++)
		buf_printf(&out, "RCPT TO:<%s>\r\n", m->r[idx[k]].addr);
	if (iox_write_full(c->fd, out.data, out.len) < 0) {
		buf_printf(&why, "writing to mail.local: %s", strerror(errno));
		lmtp_fail_rest(c, res, 0, n, NULL, buf_cstr(&why));
		goto out;
	}
	if (lmtp_reply(c, &r, &why) < 0) {
		lmtp_fail_rest(c, res, 0, n, NULL, buf_cstr(&why));
		goto out;
	}
	if (r.code != 250) {
		/* MAIL refused: every RCPT reply still comes. */
		for (k = 0; k < n; k++) {
			lmtp_result(&res[k], &r);
			acc[k] = true;	/* answered */
		}
		for (k = 0; k < n; k++)
			if (lmtp_reply(c, &r, &why) < 0) {
				lmtp_fail_rest(c, res, 0, n, NULL,
				    buf_cstr(&why));
				goto out;
			}
		goto rset;
	}
	for (k = 0; k < n; k++) {
		if (lmtp_reply(c, &r, &why) < 0) {
			/* Refusals so far stand; the rest: temporary. */
			bool *done = xcalloc(n, sizeof(*done));
			size_t j;

			for (j = 0; j < k; j++)
				done[j] = !acc[j];
			lmtp_fail_rest(c, res, 0, n, done, buf_cstr(&why));
			free(done);
			goto out;
		}
		if (r.code / 100 == 2) {
			acc[k] = true;
			nacc++;
		} else
			lmtp_result(&res[k], &r);
	}
	if (nacc == 0)
		goto rset;
	if (lmtp_bdat(c, m, &why) < 0) {
		lmtp_fail_rest(c, res, 0, n, NULL, buf_cstr(&why));
		goto out;
	}
	/* One reply per accepted recipient, in RCPT order. */
	for (k = 0; k < n; k++) {
		if (!acc[k])
			continue;
		if (lmtp_reply(c, &r, &why) < 0) {
			/* Those accepted and not answered yet: temporary. */
			bool *done = xcalloc(n, sizeof(*done));
			size_t j;

			for (j = 0; j < n; j++)
				done[j] = j < k || !acc[j];
			lmtp_fail_rest(c, res, 0, n, done, buf_cstr(&why));
			free(done);
			goto out;
		}
		lmtp_result(&res[k], &r);
	}
	goto out;
rset:
	if (iox_write_full(c->fd, "RSET\r\n", 6) < 0 ||
	    lmtp_reply(c, &r, &why) < 0)
		lmtp_stop(c);
out:
	smtp_reply_free(&r);
	free(acc);
	buf_free(&out);
	buf_free(&why);
}

/* QUIT, close, reap. */
void
lmtp_stop(struct lmtp_client *c)
{
	int st;

	if (c->fd >= 0) {
		if (c->up)
			(void)iox_write_full(c->fd, "QUIT\r\n", 6);
		(void)close(c->fd);
		c->fd = -1;
	}
	if (c->pid > 0) {
		while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
	c->up = false;
	buf_free(&c->in);
}
