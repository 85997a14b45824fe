/*
 * smtp: sendmail -bs, SMTP on stdin and stdout for programs that submit
 * that way (some MUAs, Perl's Mail::Mailer).  Each message is queued as
 * -bm would queue it, with the caller as the submitter: the Received:
 * field, X-Authentication-Warning for another sender, and the missing
 * From/Date/Message-ID are added the same way.
 *
 * Input: SMTP commands and message data from the caller (untrusted).
 * Commands come from a table of {verb, handler, states}; a command line is
 * at most 2048 bytes ("500 5.5.2"); recipients at most 10000 per message
 * ("452 4.5.3"); a message over message_size_limit is read to its end and
 * refused with "552 5.3.4"; the session goes on.  The submit group is kept
 * for the session and dropped for good at its end.
 *
 * Diagnostics: replies with RFC 3463 codes.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/address.h"
#include "lib/cqueue.h"
#include "lib/iox.h"
#include "lib/priv.h"
#include "lib/xalloc.h"

#include "submit/submit.h"

#define SMTP_LINE_MAX	2048

enum { SS_START = 1, SS_READY = 2, SS_MAIL = 4, SS_RCPT = 8, SS_ANY = 15 };

struct smtp {
	struct submit *s;
	int	 state;
	bool	 quit;
};

static void
reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Where the replies go: stdout, or what the fuzz target gives. */
static FILE *smtp_out;

static void
reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vfprintf(smtp_out, fmt, ap);
	va_end(ap);
	(void)fputs("\r\n", smtp_out);
	(void)fflush(smtp_out);
}

/* Forget the transaction. */
static void
smtp_reset(struct smtp *t)
{
	cq_env_free(&t->s->env);
	cq_env_init(&t->s->env);
	if (t->state != SS_START)
		t->state = SS_READY;
}

/* "<path>" after "FROM:" or "TO:"; the mailbox into out. */
static int
smtp_path(const char *arg, const char *kw, bool null_ok, struct buf *out)
{
	struct buf why = BUF_INIT;
	size_t n = strlen(kw), end;
	int rc;

	if (strncasecmp(arg, kw, n) != 0)
		return -1;
	arg += n;
	while (*arg == ' ')
		arg++;
	end = strcspn(arg, " ");
	rc = addr_parse_path(arg, end, ADDR_F_UTF8 | ADDR_F_NO_DOMAIN,
	    null_ok, out, &why);
	buf_free(&why);
	return rc;
}

static void
cmd_helo(struct smtp *t, const char *arg)
{
	if (*arg == '\0') {
		reply("501 5.5.4 a host name is needed");
		return;
	}
	smtp_reset(t);
	t->state = SS_READY;
	reply("250-%s", t->s->hostname);
	reply("250-8BITMIME");
	reply("250-SIZE %lld", (long long)t->s->limit);
	reply("250 ENHANCEDSTATUSCODES");
}

static void
cmd_mail(struct smtp *t, const char *arg)
{
	struct buf path = BUF_INIT;

	if (smtp_path(arg, "FROM:", true, &path) < 0 ||
	    !cq_valid_field(path.data ? path.data : "", path.len)) {
		reply("501 5.1.7 bad sender address");
		buf_free(&path);
		return;
	}
	smtp_reset(t);
	t->s->env.sender = buf_steal(&path);
	t->s->from = t->s->env.sender;	/* for X-Authentication-Warning */
	t->state = SS_MAIL;
	reply("250 2.1.0 Ok");
}

static void
cmd_rcpt(struct smtp *t, const char *arg)
{
	struct buf path = BUF_INIT, why = BUF_INIT;

	if (smtp_path(arg, "TO:", false, &path) < 0)
		reply("501 5.1.3 bad recipient address");
	else if (cq_env_add_rcpt(&t->s->env, buf_cstr(&path), &why) < 0)
		reply("452 4.5.3 %s", buf_cstr(&why));
	else {
		t->state = SS_RCPT;
		reply("250 2.1.5 Ok");
	}
	buf_free(&path);
	buf_free(&why);
}

static void
cmd_data(struct smtp *t, const char *arg)
{
	struct buf why = BUF_INIT, head = BUF_INIT;
	off_t size;
	int fd;

	(void)arg;
	if (t->state != SS_RCPT) {
		reply("503 5.5.1 no valid recipients");
		return;
	}
	if ((fd = queue_open(t->s, &why)) < 0) {
		reply("451 4.3.0 cannot queue: %s", buf_cstr(&why));
		buf_free(&why);
		t->quit = true;
		return;
	}
	cq_write_head(&head);
	if (iox_write_full(fd, head.data, head.len) < 0)
		submit_fail(EX_TEMPFAIL, "cannot write the queue file: %s",
		    strerror(errno));
	reply("354 End data with <CR><LF>.<CR><LF>");
	size = message_copy(t->s, fd);
	if (t->s->in.over) {
		(void)close(fd);
		queue_abort();
		reply("552 5.3.4 message is larger than %lld bytes",
		    (long long)t->s->limit);
	} else if (!t->s->in.dotted) {
		/* The caller went away before the end: nothing is queued. */
		(void)close(fd);
		queue_abort();
		t->quit = true;
	} else {
		queue_commit(t->s, fd, size, false);
		reply("250 2.0.0 Ok: queued as %s", t->s->id);
	}
	smtp_reset(t);
	buf_free(&why);
	buf_free(&head);
}

static void
cmd_rset(struct smtp *t, const char *arg)
{
	(void)arg;
	smtp_reset(t);
	reply("250 2.0.0 Ok");
}

static void
cmd_noop(struct smtp *t, const char *arg)
{
	(void)t;
	(void)arg;
	reply("250 2.0.0 Ok");
}

static void
cmd_vrfy(struct smtp *t, const char *arg)
{
	(void)t;
	(void)arg;
	reply("252 2.5.0 cannot verify, but will accept");
}

static void
cmd_quit(struct smtp *t, const char *arg)
{
	(void)arg;
	reply("221 2.0.0 %s closing", t->s->hostname);
	t->quit = true;
}

static const struct {
	const char *verb;
	void	(*fn)(struct smtp *, const char *);
	int	 states;
} smtp_cmds[] = {
	{ "EHLO", cmd_helo, SS_ANY },
	{ "HELO", cmd_helo, SS_ANY },
	{ "MAIL", cmd_mail, SS_READY },
	{ "RCPT", cmd_rcpt, SS_MAIL | SS_RCPT },
	{ "DATA", cmd_data, SS_MAIL | SS_RCPT },
	{ "RSET", cmd_rset, SS_ANY },
	{ "NOOP", cmd_noop, SS_ANY },
	{ "VRFY", cmd_vrfy, SS_ANY },
	{ "QUIT", cmd_quit, SS_ANY },
};

int
smtp_session(struct submit *s, FILE *out)
{
	struct smtp t = { s, SS_START, false };
	struct buf line = BUF_INIT, why = BUF_INIT;

	smtp_out = out;
	s->in.smtp = true;
	cq_env_free(&s->env);
	cq_env_init(&s->env);
	reply("220 %s ESMTP postern sendmail -bs", s->hostname);
	while (!t.quit) {
		size_t vlen, i;
		const char *arg;
		bool found = false;

		/* Command lines are not message data: no size limit games. */
		s->in.total = 0;
		s->in.over = false;
		if (in_line(&s->in, &line) == 0)
			break;
		if (line.len > SMTP_LINE_MAX || buf_has_nul(&line)) {
			reply("500 5.5.2 line too long or holds NUL");
			continue;
		}
		vlen = strcspn(buf_cstr(&line), " ");
		arg = line.data + vlen;
		while (*arg == ' ')
			arg++;
		for (i = 0; i < sizeof(smtp_cmds) / sizeof(smtp_cmds[0]); i++) {
			if (strlen(smtp_cmds[i].verb) != vlen ||
			    strncasecmp(line.data, smtp_cmds[i].verb, vlen) != 0)
				continue;
			found = true;
			if (smtp_cmds[i].states & t.state)
				smtp_cmds[i].fn(&t, arg);
			else if (t.state == SS_START)
				reply("503 5.5.1 send HELO or EHLO first");
			else
				reply("503 5.5.1 bad sequence of commands");
		}
		if (!found)
			reply("502 5.5.2 command not recognized");
	}
	buf_free(&line);
	if (priv_drop_setgid(&why) < 0)
		submit_fail(EX_OSERR, "cannot drop the submit group: %s",
		    buf_cstr(&why));
	buf_free(&why);
	return EX_OK;
}
