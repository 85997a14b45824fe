/*
 * deliver: the delivery child of postern-queue.  It gets queue files the
 * master opened and locked (flock), and for each message: local
 * recipients through mail.local -l (one LMTP session for the batch, one
 * transaction per message), other recipients over SMTP to relayhost from
 * a child that has become postern_user, then the results.
 *
 * RESULTS are appended to the queue file and fsync'd as soon as they are
 * known (qfile.c), before anything else happens: a crash never delivers
 * to a finished recipient again.  The results of one transaction (the
 * LMTP replies after the data, or the relay's) come together and go in
 * one write and one fsync, not one per recipient.  The
 * lock is held by this process until it exits, so a master killed and
 * restarted meanwhile does not start a second delivery of the message.
 *
 * RETRIES: a temporary failure keeps the recipient; the message's next
 * attempt is minimal_backoff_time doubled per attempt, at most
 * maximal_backoff_time, until maximal_queue_lifetime after arrival; then
 * what is left fails ("delivery time expired").  A delay warning goes to
 * the sender once after delay_warning_time (0: never).
 *
 * BOUNCES: when no recipient is left and some failed, an RFC 3464 report
 * (bounce.c) is queued from MAILER-DAEMON with the null sender to the
 * sender; a message with the null sender that fails (a bounce) gives a
 * notice to bounce_notice_recipient instead; a notice that fails is only
 * logged.  So a bounce never loops.  The B record keeps a crash from
 * queueing the bounce twice.  Then the file is removed.
 *
 * Diagnostics: one log line per recipient and attempt (Postfix style:
 * "ID: to=<r>, relay=..., delay=..., dsn=..., status=sent (...)").
 *
 * SECURITY: root (to run mail.local, which must start as root); the SMTP
 * conversation runs in a child as postern_user; nothing here parses
 * client-written bytes (pickup did, unprivileged).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/address.h"
#include "lib/config.h"
#include "lib/exitcode.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include "queue/queue.h"

#define RELAY_RESULT_MAX	(64u << 20)

/* Is the recipient's domain one of ours (or none)? */
static bool
rcpt_is_local(const char *addr)
{
	struct addr_parts p;
	struct buf dom = BUF_INIT;
	bool local;

	if (addr_split(addr, strlen(addr), ADDR_F_NO_DOMAIN | ADDR_F_UTF8, &p,
	    NULL) < 0)
		return strchr(addr, '@') == NULL;
	if (p.domain_len == 0)
		return true;
	buf_append(&dom, addr + p.domain_off, p.domain_len);
	local = config_local_domain(buf_cstr(&dom), rn.hostname);
	buf_free(&dom);
	return local;
}

/* Log one recipient's result. */
static void
deliver_log(const struct qmsg *m, size_t i, const struct qresult *res,
    const char *relay)
{
	log_info("%s: to=<%s>, relay=%s, delay=%lld, dsn=%s, status=%s (%s)",
	    m->id, m->r[i].addr, res->mta[0] ? res->mta : relay,
	    (long long)(time(NULL) - m->arrival), res->dsn[0] ? res->dsn :
	    "-", res->status == EX_OK ? "sent" : ex_is_temporary(res->status) ?
	    "deferred" : "bounced", buf_cstr((struct buf *)(uintptr_t)&res->text));
}

/* Recipient i's result: a record added to recs, and in m. */
static void
deliver_record(struct qmsg *m, size_t i, const struct qresult *res,
    struct buf *recs)
{
	struct buf t = BUF_INIT;
	const char *dsn = res->dsn[0] ? res->dsn : "-";

	qfile_text(&t, res->text.data, res->text.len);
	if (res->status == EX_OK || !ex_is_temporary(res->status))
		qfile_record(recs, "D %zu %d %s %s", i, res->status, dsn,
		    buf_cstr(&t));
	else
		qfile_record(recs, "A %zu %d %s %lld %s", i, res->status, dsn,
		    (long long)time(NULL), buf_cstr(&t));
	m->r[i].status = res->status;
	(void)snprintf(m->r[i].dsn, sizeof(m->r[i].dsn), "%s", res->dsn);
	free(m->r[i].text);
	m->r[i].text = buf_steal(&t);
	if (res->status == EX_OK)
		m->r[i].state = QR_DONE;
	else if (!ex_is_temporary(res->status))
		m->r[i].state = QR_FAILED;
	else
		m->r[i].last = time(NULL);
}

/* The records of n results made durable, in one write and one fsync. */
static void
deliver_commit(struct qmsg *m, struct buf *recs, size_t n)
{
	if (recs->len > 0 && qfile_commit(m, recs) < 0)
		log_error("%s: cannot record the results for %zu "
		    "recipient%s: %s", m->id, n, n == 1 ? "" : "s",
		    strerror(errno));
}

/* Relay the recipients idx[0..n) from a child running as postern_user. */
static void
deliver_relay(const struct qmsg *m, const size_t *idx, size_t n,
    struct qresult *res)
{
	struct buf in = BUF_INIT, why = BUF_INIT;
	int p[2], st;
	size_t k;
	pid_t pid;
	const char *s, *end;

	p[0] = p[1] = -1;
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		buf_printf(&why, "cannot start the SMTP client: %s",
		    strerror(errno));
		if (p[0] >= 0) {
			(void)close(p[0]);
			(void)close(p[1]);
		}
		goto fail;
	}
	if (pid == 0) {
		char **rcpts = xcalloc(n + 1, sizeof(*rcpts));
		struct qresult *r = xcalloc(n, sizeof(*r));
		struct buf out = BUF_INIT, e = BUF_INIT;
		int msg = dup(m->fd), rep = dup(p[1]);

		/*
		 * Only the message and the report pipe: not the LMTP
		 * connection to mail.local, not the batch's other queue
		 * files, not the queue directories.
		 */
		if (msg < 0 || rep < 0 || dup2(msg, 3) < 0 ||
		    dup2(rep, 4) < 0)
			_exit(EX_OSERR);
		iox_close_from(5);
		p[1] = 4;
		if (priv_become_user(&rn.postern, &e) < 0) {
			buf_printf(&out, "cannot become %s: %s\n",
			    rn.postern.name, buf_cstr(&e));
			(void)iox_write_full(p[1], out.data, out.len);
			_exit(EX_TEMPFAIL);
		}
		for (k = 0; k < n; k++)
			rcpts[k] = m->r[idx[k]].addr;
		relay_deliver(config_str(CF_relayhost), rn.hostname, m->sender,
		    rcpts, n, 3, m->msg_off, m->msg_size, r);
		for (k = 0; k < n; k++) {
			buf_printf(&out, "%d %s %zu %zu\n", r[k].status,
			    r[k].dsn[0] ? r[k].dsn : "-", r[k].text.len,
			    strlen(r[k].mta));
			buf_append(&out, r[k].text.data, r[k].text.len);
			buf_append_str(&out, r[k].mta);
		}
		_exit(iox_write_full(p[1], out.data, out.len) < 0 ? EX_IOERR :
		    EX_OK);
	}
	(void)close(p[1]);
	if (iox_read_all(p[0], &in, RELAY_RESULT_MAX) < 0)
		buf_reset(&in);
	(void)close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* Check the child's report record by record. */
	s = in.data;
	end = in.data + in.len;
	for (k = 0; k < n && s != NULL && s < end; k++) {
		char dsn[16];
		int status, used = 0;
		size_t tl, ml;
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		/* Our relay child's record, each field range-checked below. */
		/* NOLINTNEXTLINE(cert-err34-c) */
		if (nl == NULL || sscanf(s, "%d %15s %zu %zu%n", &status, dsn,
		    &tl, &ml, &used) != 4 || s + used != nl ||
		    tl > (size_t)(end - nl - 1) ||
		    ml > (size_t)(end - nl - 1) - tl || ml >= sizeof(res->mta))
			break;
		res[k].status = status;
		(void)snprintf(res[k].dsn, sizeof(res[k].dsn), "%s",
		    strcmp(dsn, "-") == 0 ? "" : dsn);
		buf_reset(&res[k].text);
		/* relay.c made it printable; a record must not hold LF. */
		buf_append(&res[k].text, nl + 1, tl);
		if (memchr(res[k].text.data ? res[k].text.data : "", '\n',
		    res[k].text.len) != NULL || buf_has_nul(&res[k].text))
			break;
		memcpy(res[k].mta, nl + 1 + tl, ml);
		res[k].mta[ml] = '\0';
		s = nl + 1 + tl + ml;
	}
	if (k == n) {
		buf_free(&in);
		return;
	}
	buf_append_str(&why, "the SMTP client failed");
	/* A buf with len > 0 has its data. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	if (in.len > 0 && memchr(in.data, '\n', in.len) != NULL) {
		buf_append_str(&why, ": ");
		buf_append_printable(&why, in.data, (size_t)((char *)memchr(
		    in.data, '\n', in.len) - in.data));
	}
fail:
	for (k = 0; k < n; k++) {
		res[k].status = EX_TEMPFAIL;
		(void)snprintf(res[k].dsn, sizeof(res[k].dsn), "4.3.0");
		buf_reset(&res[k].text);
		buf_append_str(&res[k].text, buf_cstr(&why));
	}
	buf_free(&in);
	buf_free(&why);
}

/* The value of option name of m, or NULL. */
static const char *
qmsg_opt(const struct qmsg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nopts; i++)
		if (strcmp(m->opt_name[i], name) == 0)
			return m->opt_value[i];
	return NULL;
}

struct bounce_body {
	const struct qmsg *m;
	bool delay;
	bool pending;		/* report the pending, not the failed */
	const char *to;		/* who gets the report */
};

static int
deliver_bounce_body(int fd, void *arg)
{
	const struct bounce_body *b = arg;
	const struct qmsg *m = b->m;
	struct bounce_rcpt *br = xcalloc(m->nr, sizeof(*br));
	struct bounce_req req;
	const char *ret = qmsg_opt(m, "ret");
	size_t i, n = 0;
	int rc;

	for (i = 0; i < m->nr; i++) {
		if (m->r[i].state != (b->pending ? QR_PENDING : QR_FAILED))
			continue;
		br[n].addr = m->r[i].addr;
		br[n].status = m->r[i].status ? m->r[i].status : EX_TEMPFAIL;
		br[n].dsn = m->r[i].dsn[0] ? m->r[i].dsn : b->pending ?
		    "4.0.0" : "5.0.0";
		br[n].text = m->r[i].text ? m->r[i].text : "";
		br[n].last_attempt = m->r[i].last ? m->r[i].last : time(NULL);
		n++;
	}
	memset(&req, 0, sizeof(req));
	req.hostname = rn.hostname;
	req.queue_id = m->id;
	req.sender = m->sender;
	req.envid = qmsg_opt(m, "envid");
	req.arrival = m->arrival;
	req.retry_until = m->arrival +
	    (time_t)config_num(CF_maximal_queue_lifetime);
	req.delay = b->delay;
	req.ret_full = ret != NULL && strcasecmp(ret, "full") == 0;
	req.rcpts = br;
	req.nrcpts = n;
	req.msgfd = m->fd;
	req.msg_off = m->msg_off;
	req.msg_size = m->msg_size;
	req.to = b->to;
	rc = bounce_write(fd, &req);
	free(br);
	return rc;
}

/* Queue the report about m's failed (or delayed) recipients. */
static int
deliver_bounce(const struct qmsg *m, bool delay)
{
	struct bounce_body b = { m, delay, delay, NULL };
	struct buf why = BUF_INIT;
	char id[64], *to[1];
	int kind, rc;

	if (m->kind == QK_NOTICE) {
		log_warn("%s: a notice to postmaster failed: dropped",
		    m->id);
		return 0;
	}
	if (m->sender[0] == '\0') {
		if (delay)
			return 0;
		/* A bounce that failed: postmaster, once. */
		to[0] = (char *)(uintptr_t)config_str(CF_bounce_notice_recipient);
		kind = QK_NOTICE;
	} else {
		to[0] = m->sender;
		kind = QK_BOUNCE;
	}
	b.to = to[0];
	rc = queue_create(kind, 0, "", to, 1, deliver_bounce_body, &b, id,
	    &why);
	if (rc < 0)
		log_error("%s: cannot queue the %s: %s", m->id, delay ?
		    "delay warning" : "bounce", buf_cstr(&why));
	else
		log_info("%s: sender %s notification: %s", m->id,
		    delay ? "delay" : "non-delivery", id);
	buf_free(&why);
	return rc;
}

/* After an attempt: reschedule, expire, bounce or remove. */
static void
deliver_finish(struct qmsg *m, FILE *res)
{
	time_t now = time(NULL), life =
	    (time_t)config_num(CF_maximal_queue_lifetime);
	long long dwt = config_num(CF_delay_warning_time);
	size_t i, pending = 0, failed = 0;

	for (i = 0; i < m->nr; i++)
		pending += m->r[i].state == QR_PENDING;
	if (pending > 0 && now >= m->arrival + life) {
		struct buf recs = BUF_INIT;

		for (i = 0; i < m->nr; i++) {
			struct qresult r;

			if (m->r[i].state != QR_PENDING)
				continue;
			memset(&r, 0, sizeof(r));
			r.status = EX_UNAVAILABLE;
			(void)snprintf(r.dsn, sizeof(r.dsn), "%s",
			    m->r[i].dsn[0] == '4' ? m->r[i].dsn : "4.4.7");
			r.dsn[0] = '5';
			buf_printf(&r.text, "delivery time expired%s%s",
			    m->r[i].text ? ": " : "", m->r[i].text ?
			    m->r[i].text : "");
			deliver_record(m, i, &r, &recs);
			log_info("%s: to=<%s>, delay=%lld, dsn=%s, "
			    "status=expired (%s)", m->id, m->r[i].addr,
			    (long long)(now - m->arrival), r.dsn,
			    buf_cstr(&r.text));
			buf_free(&r.text);
		}
		deliver_commit(m, &recs, pending);
		buf_free(&recs);
		pending = 0;
	}
	if (pending > 0) {
		unsigned a = m->attempts + 1;
		long long back = config_num(CF_minimal_backoff_time);
		long long maxb = config_num(CF_maximal_backoff_time);

		for (i = 1; i < a && back < maxb; i++)
			back *= 2;
		if (back > maxb)
			back = maxb;
		if (now + back > m->arrival + life)
			back = (long long)(m->arrival + life - now);
		if (dwt > 0 && !m->warned && m->kind == QK_MAIL &&
		    now - m->arrival >= dwt && deliver_bounce(m, true) == 0)
			(void)qfile_append(m, "W %lld", (long long)now);
		(void)qfile_append(m, "N %lld %u", (long long)(now + back), a);
		(void)fprintf(res, "%s next %lld\n", m->id,
		    (long long)(now + back));
		return;
	}
	for (i = 0; i < m->nr; i++)
		failed += m->r[i].state == QR_FAILED;
	if (failed > 0 && !m->bounced) {
		if (deliver_bounce(m, false) < 0) {
			/* Keep the message; try the bounce again later. */
			(void)fprintf(res, "%s next %lld\n", m->id,
			    (long long)now + 60);
			return;
		}
		(void)qfile_append(m, "B %lld", (long long)now);
	}
	if (unlinkat(rn.queuefd, m->id, 0) < 0 && errno != ENOENT)
		log_error("%s: cannot remove: %s", m->id, strerror(errno));
	(void)iox_fsync_dir(rn.queuefd);
	log_info("%s: removed", m->id);
	(void)fprintf(res, "%s done\n", m->id);
}

/* Set a broken queue file aside (as .corrupt.ID) and say why. */
static void
deliver_corrupt(const char *id, const char *why)
{
	struct buf aside = BUF_INIT;

	log_error("queue file %s: %s: set aside as .corrupt.%s", id, why, id);
	buf_printf(&aside, ".corrupt.%s", id);
	if (renameat(rn.queuefd, id, rn.queuefd, buf_cstr(&aside)) < 0)
		log_error("queue file %s: cannot set aside: %s", id,
		    strerror(errno));
	buf_free(&aside);
}

/* Deliver the messages on fds[0..n). */
void
deliver_batch(const int *fds, char (*const ids)[64], size_t n, bool force,
    int resfd)
{
	struct lmtp_client lc;
	struct buf why = BUF_INIT, recs = BUF_INIT;
	FILE *res = fdopen(resfd, "w");
	size_t j;

	memset(&lc, 0, sizeof(lc));
	lc.fd = -1;
	if (res == NULL)
		_exit(EX_OSERR);
	(void)setvbuf(res, NULL, _IOLBF, 0);
	for (j = 0; j < n; j++) {
		struct qmsg m;
		size_t *loc, *rem, nl = 0, nr = 0, i;
		struct qresult *r;
		time_t now = time(NULL);

		buf_reset(&why);
		if (qfile_read(fds[j], &m, &why) < 0) {
			deliver_corrupt(ids[j], buf_cstr(&why));
			(void)fprintf(res, "%s done\n", ids[j]);
			(void)close(fds[j]);
			continue;
		}
		if (!force && m.next > now) {
			(void)fprintf(res, "%s next %lld\n", m.id,
			    (long long)m.next);
			qmsg_free(&m);
			continue;
		}
		loc = xcalloc(m.nr, sizeof(*loc));
		rem = xcalloc(m.nr, sizeof(*rem));
		r = xcalloc(m.nr, sizeof(*r));
		for (i = 0; i < m.nr; i++) {
			if (m.r[i].state != QR_PENDING)
				continue;
			if (rcpt_is_local(m.r[i].addr))
				loc[nl++] = i;
			else
				rem[nr++] = i;
		}
		if (nl > 0) {
			if (!lc.up && lmtp_start(&lc, &why) < 0)
				log_error("%s: cannot start mail.local: %s",
				    m.id, buf_cstr(&why));
			lmtp_deliver(&lc, &m, loc, nl, r);
			for (i = 0; i < nl; i++) {
				deliver_log(&m, loc[i], &r[i], "local");
				deliver_record(&m, loc[i], &r[i], &recs);
				buf_free(&r[i].text);
			}
			deliver_commit(&m, &recs, nl);
		}
		if (nr > 0) {
			memset(r, 0, m.nr * sizeof(*r));
			if (config_str(CF_relayhost)[0] == '\0')
				for (i = 0; i < nr; i++) {
					r[i].status = EX_UNAVAILABLE;
					(void)snprintf(r[i].dsn,
					    sizeof(r[i].dsn), "5.3.5");
					buf_append_str(&r[i].text, "no relay "
					    "configured for remote domain "
					    "(relayhost is empty)");
				}
			else
				deliver_relay(&m, rem, nr, r);
			for (i = 0; i < nr; i++) {
				deliver_log(&m, rem[i], &r[i],
				    config_str(CF_relayhost)[0] ?
				    config_str(CF_relayhost) : "none");
				deliver_record(&m, rem[i], &r[i], &recs);
				buf_free(&r[i].text);
			}
			deliver_commit(&m, &recs, nr);
		}
		deliver_finish(&m, res);
		free(loc);
		free(rem);
		free(r);
		qmsg_free(&m);
	}
	lmtp_stop(&lc);
	(void)fclose(res);
	buf_free(&why);
	buf_free(&recs);
}
