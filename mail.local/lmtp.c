/*
 * lmtp: the RFC 2033 server of "mail.local -l", on stdin/stdout (or a
 * socket passed as both by systemd's Accept=yes).
 *
 * Input: commands and message data from the LMTP client (an MTA; treated
 * as untrusted).  Commands are dispatched from a table of {verb, handler,
 * states allowed}; a command line longer than LMTP_LINE_MAX gets
 * "500 5.5.2".  Extensions: PIPELINING (replies are buffered and flushed
 * only before the server would wait for input), ENHANCEDSTATUSCODES,
 * 8BITMIME (not with -7), SIZE, CHUNKING (BDAT).  After DATA or BDAT LAST
 * there is one reply per accepted recipient, in RCPT order.  Every reply
 * carries an RFC 3463 code.  The session ends after lmtp_timeout of
 * silence ("421 4.4.2"), at QUIT, or when the client goes away; a message
 * whose data did not end properly is never delivered.
 *
 * Diagnostics: replies; a syslog line per recipient (deliver.c) and one per
 * session problem.
 *
 * SECURITY: runs as root with CAP_SETUID/CAP_SETGID only; all delivery is
 * in children (deliver.c).  Every input is bounded: line length, recipient
 * count (lmtp_recipient_limit), message size (message_size_limit; the rest
 * of an oversized message is read and dropped).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/address.h"
#include "lib/config.h"
#include "lib/exitcode.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

#define LMTP_LINE_MAX	2048	/* RFC 5321 says at least 512 */

enum lmtp_state {
	ST_START = 0x01,	/* before LHLO */
	ST_READY = 0x02,	/* after LHLO, no transaction */
	ST_MAIL = 0x04,		/* after MAIL FROM */
	ST_RCPT = 0x08,		/* at least one recipient accepted */
	ST_BDAT = 0x10,		/* inside a BDAT sequence */
	ST_ANY = 0x1f
};

/* A transaction: what MAIL, RCPT and the data gave. */
struct txn {
	char	*sender;
	struct rcpt *rcpts;
	size_t	 nrcpt, nalloc;
	struct spool *sp;	/* one of lmtp.spools */
	char	 msgid[32];
};

/*
 * PIPELINING across messages: when a message's data has ended, its
 * deliveries start (it is in flight) and the session goes on reading
 * while the client has more to say; the replies to what it says are held
 * back until the message's own replies are out.  Up to LMTP_FLIGHTS
 * messages are in flight (a user's worker has the next one's request
 * when it finishes one); another one's data ending waits for the oldest,
 * and so does any read that would block (the client may be waiting for
 * those replies).  The flights are a ring: a txn in flight never moves
 * (its deliveries point into it).
 */
#define LMTP_FLIGHTS	2

struct lmtp {
	struct reader rd;
	int	 out;
	struct buf obuf;
	enum lmtp_state state;
	bool	 quit;
	bool	 dead;		/* the client is gone or timed out */
	struct txn t;		/* the transaction being received */
	struct txn fly[LMTP_FLIGHTS];		/* oldest at head */
	struct dbatch *batch[LMTP_FLIGHTS];	/* their deliveries */
	struct buf held[LMTP_FLIGHTS];	/* replies that come after each */
	size_t	 head, nfly;
	size_t	 nrefused;	/* RCPTs refused in this transaction */
	struct spool spools[LMTP_FLIGHTS + 1];
	char	 session[32];
	unsigned nmsg;
};

/* Queue a reply line; flushed before the next blocking read. */
static void
lmtp_reply(struct lmtp *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
lmtp_reply(struct lmtp *l, const char *fmt, ...)
{
	/* Behind the newest message in flight, if there is one. */
	struct buf *b = l->nfly > 0 ?
	    &l->held[(l->head + l->nfly - 1) % LMTP_FLIGHTS] : &l->obuf;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	buf_append(b, "\r\n", 2);
}

/* Forget a transaction's sender and recipients. */
static void
txn_clear(struct txn *t)
{
	size_t i;

	for (i = 0; i < t->nrcpt; i++)
		rcpt_free(&t->rcpts[i]);
	t->nrcpt = 0;
	free(t->sender);
	t->sender = NULL;
}

/*
 * The reply for a delivery result: the status's reply, or, when the
 * delivery named a more precise RFC 3463 code, a reply code of its class
 * (x.2.x mailbox problems get 452/552, as Postfix and sendmail answer).
 */
static void
lmtp_status_reply(int status, const char *dsn, struct ex_reply *rep)
{
	ex_to_reply(status, rep);
	if (dsn == NULL || (dsn[0] != '4' && dsn[0] != '5') || dsn[1] != '.')
		return;
	rep->dsn = dsn;
	if (dsn[0] == '4')
		rep->code = strncmp(dsn, "4.2.", 4) == 0 ? 452 : 451;
	else
		rep->code = strncmp(dsn, "5.2.", 4) == 0 ||
		    strcmp(dsn, "5.3.4") == 0 ? 552 : 550;
}

/*
 * The oldest message in flight is delivered: its replies (one per
 * recipient), then the replies held back behind them.
 */
static void
lmtp_land(struct lmtp *l)
{
	struct txn *f = &l->fly[l->head];
	size_t i;

	if (l->nfly == 0)
		return;
	deliver_finish(l->batch[l->head]);
	l->batch[l->head] = NULL;
	for (i = 0; i < f->nrcpt; i++) {
		struct rcpt *r = &f->rcpts[i];
		struct ex_reply rep;

		lmtp_status_reply(r->status, r->dsn, &rep);
		buf_printf(&l->obuf, "%d %s <%s> %s\r\n", rep.code, rep.dsn,
		    r->addr, r->status == EX_OK ? "delivered" :
		    r->text ? r->text : rep.text);
	}
	buf_append(&l->obuf, l->held[l->head].data, l->held[l->head].len);
	buf_reset(&l->held[l->head]);
	txn_clear(f);
	l->head = (l->head + 1) % LMTP_FLIGHTS;
	l->nfly--;
	l->nmsg++;
}

/* Write the replies that are ready. */
static void
lmtp_write_out(struct lmtp *l)
{
	if (l->obuf.len == 0)
		return;
	if (!l->dead && iox_write_full(l->out, l->obuf.data, l->obuf.len) < 0)
		l->dead = true;
	buf_reset(&l->obuf);
}

/* Every reply out: the messages in flight are waited for. */
static void
lmtp_flush(struct lmtp *l)
{
	while (l->nfly > 0)
		lmtp_land(l);
	lmtp_write_out(l);
}

/*
 * Before a read that may block: while messages are in flight, the replies
 * that are ready are written and the read waits for whichever comes
 * first, more input (read on, the messages still in flight) or the end
 * of the oldest one's deliveries (the client may be waiting for its
 * replies: they are written, then the next one is waited for).
 */
static void
lmtp_before_block(void *arg)
{
	struct lmtp *l = arg;

	while (l->nfly > 0) {
		lmtp_write_out(l);
		if (deliver_wait(l->batch[l->head], l->rd.fd) > 0)
			return;
		lmtp_land(l);
	}
	lmtp_write_out(l);
}

/* Forget the transaction. */
static void
lmtp_reset(struct lmtp *l)
{
	txn_clear(&l->t);
	l->nrefused = 0;
	spool_reset(l->t.sp);
	l->state = ST_READY;
}

/* "NAME:" case-insensitively at the start of arg; returns what follows. */
static const char *
lmtp_prefix(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(arg, name, n) == 0 ? arg + n : NULL;
}

/* Is the word (len bytes) this keyword, in any case? */
static bool
lmtp_word_is(const char *word, size_t len, const char *kw)
{
	return strlen(kw) == len && strncasecmp(word, kw, len) == 0;
}

/* The end of "<path>" in s, or NULL. */
static const char *
lmtp_path_end(const char *s)
{
	bool quoted = false;

	if (*s != '<')
		return NULL;
	for (s++; *s != '\0'; s++) {
		if (*s == '\\' && quoted && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (*s == '>' && !quoted)
			return s + 1;
	}
	return NULL;
}

static void
cmd_lhlo(struct lmtp *l, const char *arg)
{
	if (*arg == '\0') {
		lmtp_reply(l, "501 5.5.4 LHLO needs a host name");
		return;
	}
	if (l->state != ST_START)
		lmtp_reset(l);
	lmtp_reply(l, "250-%s", ml_opts.hostname);
	lmtp_reply(l, "250-PIPELINING");
	lmtp_reply(l, "250-ENHANCEDSTATUSCODES");
	if (!ml_opts.no_8bit)
		lmtp_reply(l, "250-8BITMIME");
	lmtp_reply(l, "250-SIZE %lld", config_num(CF_message_size_limit));
	lmtp_reply(l, "250 CHUNKING");
	l->state = ST_READY;
}

static void
cmd_helo(struct lmtp *l, const char *arg)
{
	(void)arg;
	lmtp_reply(l, "500 5.5.1 this is LMTP: use LHLO");
}

static void
cmd_mail(struct lmtp *l, const char *arg)
{
	struct buf path = BUF_INIT, why = BUF_INIT;
	const char *p = lmtp_prefix(arg, "FROM:"), *end, *param;
	unsigned long long size;

	if (p == NULL) {
		lmtp_reply(l, "501 5.5.4 syntax: MAIL FROM:<address>");
		return;
	}
	while (*p == ' ')
		p++;
	if ((end = lmtp_path_end(p)) == NULL ||
	    addr_parse_path(p, (size_t)(end - p), ADDR_F_UTF8, true, &path,
	    &why) < 0) {
		lmtp_reply(l, "501 5.1.7 bad sender address: %s",
		    why.len ? buf_cstr(&why) : "syntax");
		goto out;
	}
	for (param = end; *param != '\0';) {
		const char *word;
		size_t len;

		while (*param == ' ')
			param++;
		word = param;
		len = strcspn(word, " ");
		param += len;
		if (len == 0)
			continue;
		if (len > 5 && strncasecmp(word, "SIZE=", 5) == 0) {
			char *e;

			errno = 0;
			size = strtoull(word + 5, &e, 10);
			if (e != word + len || errno != 0 || word[5] < '0' ||
			    word[5] > '9') {
				lmtp_reply(l, "501 5.5.4 bad SIZE parameter");
				goto out;
			}
			if (size > (unsigned long long)config_num(
			    CF_message_size_limit)) {
				lmtp_reply(l, "552 5.3.4 message size exceeds "
				    "the limit of %lld bytes",
				    config_num(CF_message_size_limit));
				goto out;
			}
		} else if (lmtp_word_is(word, len, "BODY=7BIT") ||
		    lmtp_word_is(word, len, "BODY=BINARYMIME") ||
		    (!ml_opts.no_8bit && lmtp_word_is(word, len,
		    "BODY=8BITMIME"))) {
			;	/* delivered as is */
		} else {
			lmtp_reply(l, "555 5.5.4 unsupported parameter %.*s",
			    (int)(len > 64 ? 64 : len), word);
			goto out;
		}
	}
	l->t.sender = buf_steal(&path);
	l->state = ST_MAIL;
	ml_make_id(l->t.msgid, sizeof(l->t.msgid));
	lmtp_reply(l, "250 2.1.0 sender ok");
out:
	buf_free(&path);
	buf_free(&why);
}

static void
cmd_rcpt(struct lmtp *l, const char *arg)
{
	struct buf path = BUF_INIT, why = BUF_INIT;
	const char *p = lmtp_prefix(arg, "TO:"), *end;
	struct rcpt r;
	int rc;

	if (p == NULL) {
		lmtp_reply(l, "501 5.5.4 syntax: RCPT TO:<address>");
		return;
	}
	while (*p == ' ')
		p++;
	if ((end = lmtp_path_end(p)) == NULL ||
	    addr_parse_path(p, (size_t)(end - p), ADDR_F_UTF8 |
	    ADDR_F_NO_DOMAIN, false, &path, &why) < 0) {
		lmtp_reply(l, "501 5.1.3 bad recipient address: %s",
		    why.len ? buf_cstr(&why) : "syntax");
		goto out;
	}
	if (end[strspn(end, " ")] != '\0') {
		lmtp_reply(l, "555 5.5.4 RCPT parameters are not supported");
		goto out;
	}
	if (l->t.nrcpt >= (size_t)config_num(CF_lmtp_recipient_limit)) {
		lmtp_reply(l, "452 4.5.3 too many recipients");
		goto out;
	}
	rc = resolve_rcpt(path.data, path.len, &r, &why);
	if (rc != EX_OK) {
		struct ex_reply rep;

		ex_to_reply(rc, &rep);
		lmtp_reply(l, "%d %s <%s>: %s", rep.code, rep.dsn,
		    buf_cstr(&path), buf_cstr(&why));
		rcpt_free(&r);
		l->nrefused++;
		goto out;
	}
	if (l->t.nrcpt == l->t.nalloc) {
		l->t.nalloc = l->t.nalloc ? l->t.nalloc * 2 : 8;
		l->t.rcpts = xreallocarray(l->t.rcpts, l->t.nalloc,
		    sizeof(*l->t.rcpts));
	}
	l->t.rcpts[l->t.nrcpt++] = r;
	l->state = ST_RCPT;
	lmtp_reply(l, "250 2.1.5 <%s> ok", buf_cstr(&path));
out:
	buf_free(&path);
	buf_free(&why);
}

/*
 * The spooled message goes out: it is in flight (its replies come from
 * lmtp_land), after the oldest one landed if as many as can be are.
 */
static void
lmtp_deliver_all(struct lmtp *l)
{
	struct txn t;
	size_t i, slot;

	if (spool_finish(l->t.sp) < 0) {
		for (i = 0; i < l->t.nrcpt; i++) {
			if (l->t.sp->too_big)
				lmtp_reply(l, "552 5.3.4 <%s> message size "
				    "exceeds the limit", l->t.rcpts[i].addr);
			else
				lmtp_reply(l, "451 4.3.0 <%s> cannot spool "
				    "the message: %s", l->t.rcpts[i].addr,
				    strerror(l->t.sp->err));
		}
		return;
	}
	if (l->nfly == LMTP_FLIGHTS)
		lmtp_land(l);
	/* The free slot's txn (and spool) takes the place of the one sent. */
	slot = (l->head + l->nfly) % LMTP_FLIGHTS;
	t = l->fly[slot];
	l->fly[slot] = l->t;
	l->t = t;
	l->batch[slot] = deliver_start(l->fly[slot].sp, l->fly[slot].sender,
	    l->fly[slot].rcpts, l->fly[slot].nrcpt, l->fly[slot].msgid);
	l->nfly++;
}

/*
 * The client's input ended without what it owed (a line, the end of the
 * data, a chunk): gone, or too slow (lmtp_timeout, also per line), which
 * is said with 421 before the session ends.
 */
static void
lmtp_input_ended(struct lmtp *l)
{
	if (l->rd.timed_out) {
		lmtp_reply(l, "421 4.4.2 %s timeout, closing",
		    ml_opts.hostname);
		log_warn("%s: timeout after %u messages", l->session, l->nmsg);
		lmtp_flush(l);
	}
	l->dead = true;
}

static void
cmd_data(struct lmtp *l, const char *arg)
{
	if (*arg != '\0') {
		lmtp_reply(l, "501 5.5.4 DATA takes no arguments");
		return;
	}
	if (l->state != ST_RCPT) {
		lmtp_reply(l, "503 5.5.1 no valid recipients");
		return;
	}
	lmtp_reply(l, "354 go ahead, end with <CRLF>.<CRLF>");
	if (reader_data(&l->rd, l->t.sp) < 0) {
		/* No end marker: nothing is delivered. */
		lmtp_input_ended(l);
		return;
	}
	lmtp_deliver_all(l);
	lmtp_reset(l);
}

static void
cmd_bdat(struct lmtp *l, const char *arg)
{
	unsigned long long n;
	bool last = false;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || errno != 0 ||
	    (*end != '\0' && *end != ' ')) {
		/* The chunk size is unknown: the session cannot go on. */
		lmtp_reply(l, "501 5.5.4 syntax: BDAT size [LAST]");
		l->quit = true;
		return;
	}
	while (*end == ' ')
		end++;
	if (strcasecmp(end, "LAST") == 0)
		last = true;
	else if (*end != '\0') {
		lmtp_reply(l, "501 5.5.4 syntax: BDAT size [LAST]");
		l->quit = true;
		return;
	}
	if (!(l->state & (ST_RCPT | ST_BDAT))) {
		(void)reader_chunk(&l->rd, NULL, n);
		lmtp_reply(l, "503 5.5.1 no valid recipients");
		return;
	}
	if (reader_chunk(&l->rd, l->t.sp, n) < 0) {
		lmtp_input_ended(l);
		return;
	}
	if (!last) {
		l->state = ST_BDAT;
		lmtp_reply(l, "250 2.0.0 %llu octets received", n);
		return;
	}
	lmtp_deliver_all(l);
	lmtp_reset(l);
}

static void
cmd_rset(struct lmtp *l, const char *arg)
{
	(void)arg;
	lmtp_reset(l);
	lmtp_reply(l, "250 2.0.0 ok");
}

static void
cmd_noop(struct lmtp *l, const char *arg)
{
	(void)arg;
	lmtp_reply(l, "250 2.0.0 ok");
}

static void
cmd_vrfy(struct lmtp *l, const char *arg)
{
	(void)arg;
	lmtp_reply(l, "252 2.5.0 cannot verify, but will try delivery");
}

static void
cmd_quit(struct lmtp *l, const char *arg)
{
	(void)arg;
	lmtp_reply(l, "221 2.0.0 %s closing connection", ml_opts.hostname);
	l->quit = true;
}

/* The command table: verb, handler, states it is allowed in. */
static const struct lmtp_cmd {
	const char *verb;
	void	(*fn)(struct lmtp *, const char *);
	int	 states;
} lmtp_cmds[] = {
	{ "LHLO", cmd_lhlo, ST_ANY & ~ST_BDAT },
	{ "HELO", cmd_helo, ST_ANY },
	{ "EHLO", cmd_helo, ST_ANY },
	{ "MAIL", cmd_mail, ST_READY },
	{ "RCPT", cmd_rcpt, ST_MAIL | ST_RCPT },
	{ "DATA", cmd_data, ST_MAIL | ST_RCPT },
	{ "BDAT", cmd_bdat, ST_ANY },	/* it checks: data must be read */
	{ "RSET", cmd_rset, ST_ANY & ~ST_START },
	{ "NOOP", cmd_noop, ST_ANY },
	{ "VRFY", cmd_vrfy, ST_ANY },
	{ "QUIT", cmd_quit, ST_ANY },
};

/* The reply for a command given in the wrong state. */
static void
lmtp_bad_sequence(struct lmtp *l, const struct lmtp_cmd *c)
{
	if (l->state == ST_START)
		lmtp_reply(l, "503 5.5.1 send LHLO first");
	else if (l->state == ST_BDAT)
		lmtp_reply(l, "503 5.5.1 only BDAT may follow BDAT");
	else if (strcmp(c->verb, "MAIL") == 0)
		lmtp_reply(l, "503 5.5.1 nested MAIL command");
	else
		lmtp_reply(l, "503 5.5.1 send MAIL FROM first");
}

/* Run one session; the exit status of mail.local -l. */
int
lmtp_session(int in, int out)
{
	struct lmtp l;
	struct buf line = BUF_INIT, why = BUF_INIT;
	int rc = EX_OK;
	size_t k;

	memset(&l, 0, sizeof(l));
	reader_init(&l.rd, in, (int)config_num(CF_lmtp_timeout) * 1000);
	l.rd.before_block = lmtp_before_block;
	l.rd.arg = &l;
	l.out = out;
	l.state = ST_START;
	ml_make_id(l.session, sizeof(l.session));
	l.t.sp = &l.spools[0];
	for (k = 0; k < LMTP_FLIGHTS; k++)
		l.fly[k].sp = &l.spools[k + 1];
	for (k = 0; k <= LMTP_FLIGHTS; k++)
		l.spools[k].fd = -1;
	for (k = 0; k <= LMTP_FLIGHTS; k++)
		if (spool_open(&l.spools[k], config_num(CF_message_size_limit),
		    false, &why) < 0)
			break;
	if (k <= LMTP_FLIGHTS) {
		log_error("%s", buf_cstr(&why));
		lmtp_reply(&l, "421 4.3.0 %s cannot spool: try again later",
		    ml_opts.hostname);
		lmtp_flush(&l);
		rc = EX_TEMPFAIL;
		goto out;
	}
	worker_spools(l.spools, LMTP_FLIGHTS + 1);
	lmtp_reply(&l, "220 %s LMTP postern mail.local ready",
	    ml_opts.hostname);
	while (!l.quit && !l.dead) {
		const struct lmtp_cmd *c = NULL;
		const char *arg;
		size_t i, vlen;
		int n = reader_line(&l.rd, &line, LMTP_LINE_MAX);

		if (n == -2) {
			lmtp_reply(&l, "500 5.5.2 line too long");
			continue;
		}
		if (n <= 0) {
			lmtp_input_ended(&l);
			break;
		}
		if (buf_has_nul(&line)) {
			lmtp_reply(&l, "500 5.5.2 NUL in command");
			continue;
		}
		vlen = strcspn(buf_cstr(&line), " ");
		arg = line.data + vlen;
		while (*arg == ' ')
			arg++;
		for (i = 0; i < sizeof(lmtp_cmds) / sizeof(lmtp_cmds[0]); i++)
			if (strlen(lmtp_cmds[i].verb) == vlen &&
			    strncasecmp(line.data, lmtp_cmds[i].verb, vlen) == 0)
				c = &lmtp_cmds[i];
		if (c == NULL)
			lmtp_reply(&l, "500 5.5.2 unknown command");
		else if (!(c->states & (int)l.state))
			lmtp_bad_sequence(&l, c);
		else
			c->fn(&l, arg);
	}
	lmtp_flush(&l);
out:
	deliver_shutdown();
	lmtp_reset(&l);
	free(l.t.rcpts);
	for (k = 0; k < LMTP_FLIGHTS; k++) {
		txn_clear(&l.fly[k]);
		free(l.fly[k].rcpts);
		buf_free(&l.held[k]);
	}
	for (k = 0; k <= LMTP_FLIGHTS; k++)
		spool_close(&l.spools[k]);
	worker_spools(NULL, 0);
	reader_free(&l.rd);
	buf_free(&line);
	buf_free(&why);
	buf_free(&l.obuf);
	return rc;
}
