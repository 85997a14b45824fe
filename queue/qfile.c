/*
 * qfile: the trusted queue file, queue/ID, written and read only by the
 * root queue runner (root 0600 in a root 0700 directory).  Line records,
 * then the message, then records appended as delivery goes on:
 *
 *	POSTERN-QUEUE 1
 *	I <id>                    the queue id (the file's name)
 *	T <arrival, epoch s>
 *	U <submitter uid>         the client file's owner (kernel-attested)
 *	F <kind>                  0 mail, 1 bounce, 2 notice to postmaster
 *	S <sender>                may be empty: the null sender
 *	O <name>=<value>          zero or more
 *	R <recipient>             one or more
 *	M <16 digits: size>
 *	<the message: exactly size bytes, LF line ends>
 *	D <n> <status> <dsn> <text>     recipient n is done (delivered or
 *	                                failed for good)
 *	A <n> <status> <dsn> <time> <text>  recipient n failed for now
 *	N <next attempt, epoch s> <attempts>
 *	W <time>                  the delay warning was sent
 *	B <time>                  the bounce for the failed recipients
 *	                          is queued
 *
 * Appended records are written with one write() each and fsync'd before
 * the runner acts on them; a torn last record (no LF: a crash in the
 * middle of a write) is ignored, which is the state before that write.
 *
 * Input: files this program wrote; still parsed strictly (a disk or a bug
 * must not turn into a crash): every line bounded, every number checked,
 * records in order, recipients' indexes in range.  qfile_parse_mem() is
 * the parser (and the fuzz target's entry point).
 *
 * Diagnostics: -1 with "ID: offset N: reason" in why.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/cqueue.h"
#include "lib/iox.h"
#include "lib/xalloc.h"

#include "queue/queue.h"

#define QF_LINE_MAX	4096
#define QF_HEAD_MAX	(64u << 20)	/* header bytes before the message */
#define QF_TAIL_MAX	(64u << 20)	/* appended records */

void
qmsg_free(struct qmsg *m)
{
	size_t i;

	free(m->sender);
	for (i = 0; i < m->nopts; i++) {
		free(m->opt_name[i]);
		free(m->opt_value[i]);
	}
	free(m->opt_name);
	free(m->opt_value);
	for (i = 0; i < m->nr; i++) {
		free(m->r[i].addr);
		free(m->r[i].text);
	}
	free(m->r);
	if (m->fd >= 0)
		(void)close(m->fd);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

/* Parse an unsigned decimal number of at most max; false when not one. */
static bool
qf_num(const char **p, const char *end, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return false;
	while (s < end && *s >= '0' && *s <= '9') {
		unsigned long long d = (unsigned long long)(*s - '0');

		/* v * 10 + d <= max, without overflow (d > max included). */
		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return true;
}

/* The next word up to a blank or the end; false when empty. */
static bool
qf_word(const char **p, const char *end, const char **w, size_t *n)
{
	const char *s = *p;

	*w = s;
	while (s < end && *s != ' ')
		s++;
	*n = (size_t)(s - *w);
	if (*n == 0 || *n >= 16)
		return false;
	*p = s;
	return true;
}

static bool
qf_blank(const char **p, const char *end)
{
	if (*p >= end || **p != ' ')
		return false;
	(*p)++;
	return true;
}

/* One appended record. */
static int
qf_record(struct qmsg *m, const char *s, const char *end)
{
	unsigned long long n, st, t;
	const char *w;
	size_t wl;
	char kind = *s++;

	switch (kind) {
	case 'D':
	case 'A':
		if (!qf_blank(&s, end) || !qf_num(&s, end, m->nr ? m->nr - 1 :
		    0, &n) || m->nr == 0 || !qf_blank(&s, end) ||
		    !qf_num(&s, end, 255, &st) || !qf_blank(&s, end) ||
		    !qf_word(&s, end, &w, &wl))
			return -1;
		t = 0;
		if (kind == 'A' && (!qf_blank(&s, end) ||
		    !qf_num(&s, end, LLONG_MAX, &t)))
			return -1;
		if (s < end && !qf_blank(&s, end))
			return -1;
		if (m->r[n].state != QR_PENDING)
			return -1;	/* done twice */
		m->r[n].status = (int)st;
		memcpy(m->r[n].dsn, w, wl);
		m->r[n].dsn[wl] = '\0';
		if (strcmp(m->r[n].dsn, "-") == 0)
			m->r[n].dsn[0] = '\0';
		free(m->r[n].text);
		m->r[n].text = xmemdup0(s, (size_t)(end - s));
		if (kind == 'D')
			m->r[n].state = st == EX_OK ? QR_DONE : QR_FAILED;
		else
			m->r[n].last = (time_t)t;
		return 0;
	case 'N':
		if (!qf_blank(&s, end) || !qf_num(&s, end, LLONG_MAX, &t) ||
		    !qf_blank(&s, end) || !qf_num(&s, end, UINT_MAX, &n) ||
		    s != end)
			return -1;
		m->next = (time_t)t;
		m->attempts = (unsigned)n;
		return 0;
	case 'W':
	case 'B':
		if (!qf_blank(&s, end) || !qf_num(&s, end, LLONG_MAX, &t) ||
		    s != end)
			return -1;
		if (kind == 'W')
			m->warned = true;
		else
			m->bounced = true;
		return 0;
	}
	return -1;
}

/* A copy of a field, checked as the client format checks fields. */
static char *
qf_field(const char *s, const char *end)
{
	if (!cq_valid_field(s, (size_t)(end - s)))
		return NULL;
	return xmemdup0(s, (size_t)(end - s));
}

/*
 * Parse the head (data up to and including the M line) and the records
 * (tail).  0, or -1 with the reason.
 */
int
qfile_parse_mem(struct qmsg *m, const char *head, size_t hlen,
    const char *tail, size_t tlen, struct buf *why)
{
	const char *p = head, *end = head + hlen, *nl;
	unsigned long long v;
	int step = 0;	/* 0 magic, 1 I, 2 T, 3 U, 4 F, 5 S, 6 O/R, 7 done */

	if (hlen < sizeof(QF_MAGIC) - 1 ||
	    memcmp(head, QF_MAGIC, sizeof(QF_MAGIC) - 1) != 0) {
		buf_append_str(why, "offset 0: not a postern queue file");
		return -1;
	}
	p += sizeof(QF_MAGIC) - 1;
	step = 1;
	while (p < end && step < 7) {
		const char *s, *le;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    nl - p > QF_LINE_MAX || nl - p < 2 || p[1] != ' ')
			goto bad;
		s = p + 2;
		le = nl;
		switch (p[0]) {
		case 'I':
			if (step != 1 || le - s >= (long)sizeof(m->id) ||
			    le == s)
				goto bad;
			memcpy(m->id, s, (size_t)(le - s));
			m->id[le - s] = '\0';
			step = 2;
			break;
		case 'T':
			if (step != 2 || !qf_num(&s, le, LLONG_MAX, &v) ||
			    s != le)
				goto bad;
			m->arrival = (time_t)v;
			step = 3;
			break;
		case 'U':
			if (step != 3 || !qf_num(&s, le, UINT_MAX - 1, &v) ||
			    s != le)
				goto bad;
			m->uid = (uid_t)v;
			step = 4;
			break;
		case 'F':
			if (step != 4 || !qf_num(&s, le, 2, &v) || s != le)
				goto bad;
			m->kind = (int)v;
			step = 5;
			break;
		case 'S':
			if (step != 5 || (m->sender = qf_field(s, le)) == NULL)
				goto bad;
			step = 6;
			break;
		case 'O': {
			const char *eq = memchr(s, '=', (size_t)(le - s));

			if (step != 6 || m->nr > 0 || eq == NULL ||
			    m->nopts >= CQ_OPT_MAX)
				goto bad;
			m->opt_name = xreallocarray(m->opt_name, m->nopts + 1,
			    sizeof(*m->opt_name));
			m->opt_value = xreallocarray(m->opt_value,
			    m->nopts + 1, sizeof(*m->opt_value));
			m->opt_name[m->nopts] = qf_field(s, eq);
			m->opt_value[m->nopts] = qf_field(eq + 1, le);
			if (m->opt_name[m->nopts] == NULL ||
			    m->opt_value[m->nopts] == NULL) {
				free(m->opt_name[m->nopts]);
				free(m->opt_value[m->nopts]);
				goto bad;
			}
			m->nopts++;
			break;
		}
		case 'R':
			if (step != 6 || m->nr >= CQ_RCPT_MAX + 1 || le == s)
				goto bad;
			if (m->nr == m->rcap) {
				m->rcap = m->rcap ? xmul(m->rcap, 2) : 4;
				m->r = xreallocarray(m->r, m->rcap,
				    sizeof(*m->r));
			}
			memset(&m->r[m->nr], 0, sizeof(m->r[m->nr]));
			if ((m->r[m->nr].addr = qf_field(s, le)) == NULL)
				goto bad;
			m->nr++;
			break;
		case 'M':
			if (step != 6 || m->nr == 0 || le - s != 16 ||
			    !qf_num(&s, le, (unsigned long long)LLONG_MAX, &v) ||
			    s != le)
				goto bad;
			m->msg_off = (off_t)(nl + 1 - head);
			m->msg_size = (off_t)v;
			step = 7;
			break;
		default:
			goto bad;
		}
		p = nl + 1;
	}
	if (step != 7)
		goto bad;
	/* The records; a torn last one (no LF) is ignored. */
	p = tail;
	end = tail + tlen;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl - p > QF_LINE_MAX || nl == p ||
		    qf_record(m, p, nl) < 0) {
			buf_printf(why, "record at tail offset %zu is not valid",
			    (size_t)(p - tail));
			return -1;
		}
		p = nl + 1;
	}
	return 0;
bad:
	buf_printf(why, "offset %zu: bad or misplaced line",
	    (size_t)(p - head));
	return -1;
}

/* Read the queue file open on fd (kept in m->fd). */
int
qfile_read(int fd, struct qmsg *m, struct buf *why)
{
	struct buf head = BUF_INIT, tail = BUF_INIT;
	struct stat st;
	off_t off = 0, msg_end;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (fstat(fd, &st) < 0) {
		buf_printf(why, "fstat: %s", strerror(errno));
		return -1;
	}
	/* The head: read until the M line is in (bounded). */
	for (;;) {
		char chunk[65536];
		ssize_t n;
		const char *mline;

		if (head.len > QF_HEAD_MAX) {
			buf_append_str(why, "head too large");
			goto out;
		}
		n = pread(fd, chunk, sizeof(chunk), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(why, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0) {
			buf_append_str(why, "no M line: truncated file");
			goto out;
		}
		buf_append(&head, chunk, (size_t)n);
		off += n;
		/* "\nM " then 16 digits and LF. */
		if ((mline = memmem(head.data, head.len, "\nM ", 3)) != NULL &&
		    (size_t)(mline - head.data) + 20 <= head.len) {
			buf_truncate(&head, (size_t)(mline - head.data) + 20);
			break;
		}
	}
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (qfile_parse_mem(m, head.data, head.len, "", 0, why) < 0)
		goto out;
	msg_end = m->msg_off + m->msg_size;
	if (m->msg_size < 0 || msg_end > st.st_size) {
		buf_append_str(why, "message shorter than its M line says");
		goto out;
	}
	if (st.st_size - msg_end > (off_t)QF_TAIL_MAX) {
		buf_append_str(why, "too many records");
		goto out;
	}
	buf_reserve(&tail, (size_t)(st.st_size - msg_end));
	if (st.st_size > msg_end) {
		ssize_t n = pread(fd, tail.data, (size_t)(st.st_size - msg_end),
		    msg_end);

		if (n != (ssize_t)(st.st_size - msg_end)) {
			buf_append_str(why, "cannot read the records");
			goto out;
		}
		tail.len = (size_t)n;
		/*
		 * A torn last record (a crash in its write): cut it off, so
		 * the next record does not join it.  Fails harmlessly on a
		 * read-only descriptor (listing).
		 */
		if (tail.data[tail.len - 1] != '\n') {
			const char *lf = memrchr(tail.data, '\n', tail.len);
			size_t keep = lf ? (size_t)(lf - tail.data) + 1 : 0;

			if (ftruncate(fd, msg_end + (off_t)keep) == 0)
				st.st_size = msg_end + (off_t)keep;
			/*
			 * Else (a read-only descriptor: listing) the torn
			 * bytes stay; they are not records either way.
			 */
			tail.len = keep;
		}
	}
	{
		struct qmsg full;

		memset(&full, 0, sizeof(full));
		full.fd = -1;
		if (qfile_parse_mem(&full, head.data, head.len, tail.data ?
		    tail.data : "", tail.len, why) < 0) {
			qmsg_free(&full);
			goto out;
		}
		qmsg_free(m);
		*m = full;
	}
	m->fd = fd;
	m->size = st.st_size;
	rc = 0;
out:
	if (rc < 0) {
		m->fd = -1;	/* the caller's */
		qmsg_free(m);
	}
	buf_free(&head);
	buf_free(&tail);
	return rc;
}

/* The head of a new queue file, up to and including "M " and 16 zeros. */
void
qfile_head(struct buf *b, const char *id, time_t arrival, uid_t uid,
    int kind, const char *sender, char *const *rcpts, size_t nrcpts)
{
	size_t i;

	buf_printf(b, "%sI %s\nT %lld\nU %lu\nF %d\n", QF_MAGIC, id,
	    (long long)arrival, (unsigned long)uid, kind);
	if (sender != NULL) {
		buf_printf(b, "S %s\n", sender);
		for (i = 0; i < nrcpts; i++)
			buf_printf(b, "R %s\n", rcpts[i]);
		buf_append_str(b, "M 0000000000000000\n");
	}
}

/* Add one record to recs. */
static void
qfile_vrecord(struct buf *recs, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
qfile_vrecord(struct buf *recs, const char *fmt, va_list ap)
{
	size_t start = recs->len, i;

	buf_vprintf(recs, fmt, ap);
	/* LF only at the end: the text parts were made printable. */
	for (i = start; i < recs->len; i++)
		if (recs->data[i] == '\n' || recs->data[i] == '\0')
			recs->data[i] = ' ';
	if (recs->len - start > QF_LINE_MAX - 1)
		buf_truncate(recs, start + QF_LINE_MAX - 1);
	buf_append_byte(recs, '\n');
}

void
qfile_record(struct buf *recs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	qfile_vrecord(recs, fmt, ap);
	va_end(ap);
}

int
qfile_commit(struct qmsg *m, struct buf *recs)
{
	int rc;

	/*
	 * One pwrite at the end (m->size: qfile_read measured it, this
	 * keeps it; the file is locked by its one writer).
	 */
	rc = iox_pwrite_full(m->fd, recs->data, recs->len, m->size) < 0 ||
	    iox_fsync(m->fd) < 0 ? -1 : 0;
	if (rc == 0)
		m->size += (off_t)recs->len;
	buf_reset(recs);
	return rc;
}

/* Append one record and make it durable. */
int
qfile_append(struct qmsg *m, const char *fmt, ...)
{
	struct buf rec = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	qfile_vrecord(&rec, fmt, ap);
	va_end(ap);
	rc = qfile_commit(m, &rec);
	buf_free(&rec);
	return rc;
}

/* Make text safe for a record: printable, bounded. */
void
qfile_text(struct buf *out, const char *s, size_t n)
{
	buf_append_printable(out, s, n > 1000 ? 1000 : n);
}
