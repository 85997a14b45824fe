/*
 * worker: the processes that have become a user, and the requests the
 * root parent sends them.
 *
 * A worker is forked by the parent (which holds only CAP_SETUID and
 * CAP_SETGID), sets its groups, gid and uid to one user's for good,
 * verifies that root cannot come back, and only then serves requests:
 * deliver to a mailbox, append to a file, run a program, forward a copy,
 * read a .forward or an :include: file.  It serves every request for
 * that user in the session (an LMTP session of 1000 messages forks once
 * per user, not once per copy).  Mailbox workers also carry the mail
 * spool's group when the spool is group-writable (to create mailboxes
 * and dotlocks there); programs and files never run in those, so a
 * program gets the user's own groups and nothing more.  Mail for root is
 * delivered by a worker that keeps uid 0 without any capability
 * (SECBIT_NOROOT was locked at start: they cannot come back).
 *
 * PROTOCOL: request = struct wreq, then nbytes of nfields NUL-terminated
 * strings.  Reply = one line "STATUS DSN PAYLOADLEN TEXT\n", then
 * PAYLOADLEN bytes (read results only).  Both directions are bounded and
 * checked: a worker that breaks the protocol is killed and its request
 * fails temporarily.
 *
 * SECURITY: a worker holds its two pipes, the spool (an LMTP session's
 * several; read only with pread/sendfile) and /dev/null; not the LMTP
 * connection, not the other workers' pipes.  The parent trusts nothing a worker says beyond the
 * result of the request it made; expand_io.c checks read results.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

/*
 * Delivery processes kept for a session, one per user (the least
 * recently used idle one makes room), and how many of a batch's
 * deliveries run at once.  A queue flush that takes its messages to a
 * few dozen users in turn then forks each user's process once: with as
 * many processes as deliveries at once, that turn would fork at every
 * message.
 */
#define WORKERS_MAX	32
#define WORKERS_BUSY_MAX 8
#define WLINE_MAX	1024
#define WREQ_BYTES_MAX	(1024 * 1024)
/*
 * A worker takes a second request while it serves one only when both
 * fit in PIPE_BUF together: the parent's write can then never block on
 * a worker that is itself blocked writing a long reply.
 */
#define WQUEUE_MAX	2
#define WQUEUE_BYTES	4096

struct wreq {
	int	 op;
	int	 spool;		/* which of the session's spools */
	long long size;		/* spool bytes */
	long long sec, nsec;	/* arrival time */
	unsigned nfields, nbytes;
};

struct worker {
	char	*user;
	uid_t	 uid;
	gid_t	 extra;	/* the spool's group, or -1: a plain worker */
	pid_t	 pid;
	int	 req, res;
	unsigned long long used;	/* for choosing the oldest */
	struct wsent {
		struct wcall *c;
		size_t	 bytes;		/* the request's size */
	} q[WQUEUE_MAX];	/* sent, not answered, oldest first */
	size_t	 nq;
	struct buf in;		/* replies read and not yet taken */
};

static struct worker workers[WORKERS_MAX];
static size_t nworkers;
static unsigned long long worker_clock;
static size_t nqueued;		/* calls sent and not answered, all batches */
/*
 * The session's spools when it has several (LMTP reads the next message
 * into one while others are delivered): every worker holds them all.
 */
static struct spool *wspool;
static size_t nwspool;

void
worker_spools(struct spool *v, size_t n)
{
	wspool = v;
	nwspool = n;
}

/* Which of the session's spools sp is (0 when it has one). */
static int
worker_spool_index(const struct spool *sp)
{
	size_t i;

	for (i = 0; i < nwspool; i++)
		if (sp == &wspool[i])
			return (int)i;
	return 0;
}

/* The largest payload a read result may have. */
static size_t
worker_payload_max(void)
{
	return (size_t)config_num(CF_include_size_limit) * 2 + 65536;
}

/* Write a reply: the line, then the payload. */
static void
worker_reply(int fd, const struct dresult *res, const struct buf *payload)
{
	struct buf out = BUF_INIT;

	buf_printf(&out, "%d %s %zu ", res->status, res->dsn ? res->dsn : "-",
	    payload ? payload->len : 0);
	buf_append_printable(&out, res->text.data, res->text.len);
	if (out.len > WLINE_MAX - 1)
		buf_truncate(&out, WLINE_MAX - 1);
	buf_append_byte(&out, '\n');
	if (payload != NULL && payload->len > 0)
		buf_append(&out, payload->data, payload->len);
	(void)iox_write_full(fd, out.data, out.len);
	buf_free(&out);
}

/* In a worker: its request pipe (-1 in the parent). */
static int wreq_fd = -1;

/* Is the worker's next request already there? */
bool
worker_next_waiting(void)
{
	struct pollfd pfd = { .fd = wreq_fd, .events = POLLIN, .revents = 0 };

	return wreq_fd >= 0 && poll(&pfd, 1, 0) > 0 &&
	    (pfd.revents & POLLIN) != 0;
}

/* A worker ends: a mailbox it still holds is released first. */
static _Noreturn void
worker_exit(int code)
{
	mbox_release_held();
	_exit(code);
}

/* The worker: become the user, then serve requests until EOF. */
static _Noreturn void
worker_main(struct spool *sp, const struct priv_user *pw, gid_t extra_gid,
    int req, int resfd)
{
	struct dresult res = { EX_SOFTWARE, NULL, BUF_INIT };
	struct buf why = BUF_INIT, payload = BUF_INIT;
	struct wreq h;
	/* This process's copies of the parent's spools, as at the fork. */
	struct spool *mine = nwspool > 0 ? wspool : sp;
	size_t nmine = nwspool > 0 ? nwspool : 1;
	gid_t *groups;
	size_t n = pw->ngroups, i;
	int fd;

	(void)signal(SIGPIPE, SIG_IGN);
	log_set_flags(LOG_F_SYSLOG);	/* the parent reports to the MTA */
	/* The LMTP connection and the other workers are not its business. */
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		_exit(1);
	if (fd > 2)
		(void)close(fd);
	for (i = 0; i < nworkers; i++) {
		(void)close(workers[i].req);
		(void)close(workers[i].res);
	}
	wreq_fd = req;
	groups = xcalloc(n + 1, sizeof(*groups));
	if (n > 0)
		memcpy(groups, pw->groups, n * sizeof(*groups));
	if (extra_gid != (gid_t)-1)
		groups[n++] = extra_gid;
	/* DELIVERY RIGHTS: the user's ids, for good, verified. */
	if (pw->uid == 0) {
		if (priv_become(0, pw->gid, groups, n, &why) < 0 ||
		    priv_caps_clear(&why) < 0)
			goto fail;
	} else if (priv_become(pw->uid, pw->gid, groups, n, &why) < 0)
		goto fail;
	free(groups);
	for (;;) {
		char *data, **fields;
		ssize_t got = iox_read_full(req, &h, sizeof(h));
		size_t k, off;

		if (got == 0)
			worker_exit(0);
		if (got != (ssize_t)sizeof(h) || h.size < 0 ||
		    h.nbytes > WREQ_BYTES_MAX || h.nfields > h.nbytes ||
		    h.spool < 0 || (size_t)h.spool >= nmine)
			worker_exit(1);
		sp = &mine[h.spool];
		data = xmalloc((size_t)h.nbytes + 1);
		fields = xcalloc((size_t)h.nfields + 1, sizeof(*fields));
		if (iox_read_full(req, data, h.nbytes) != (ssize_t)h.nbytes)
			worker_exit(1);
		data[h.nbytes] = '\0';
		for (k = 0, off = 0; k < h.nfields; k++) {
			if (off >= h.nbytes)
				worker_exit(1);
			fields[k] = data + off;
			off += strlen(data + off) + 1;
		}
		sp->size = (off_t)h.size;
		sp->arrival.tv_sec = (time_t)h.sec;
		sp->arrival.tv_nsec = (long)h.nsec;
		res.status = EX_SOFTWARE;
		res.dsn = NULL;
		buf_reset(&res.text);
		buf_reset(&payload);
		if (h.op != WOP_MAILBOX)
			mbox_release_held();
		worker_serve(h.op, sp, pw, fields, h.nfields, &res, &payload);
		worker_reply(resfd, &res, &payload);
		free(fields);
		free(data);
	}
fail:
	res.status = EX_TEMPFAIL;
	buf_printf(&res.text, "cannot become user %s: %s", pw->name,
	    buf_cstr(&why));
	worker_reply(resfd, &res, NULL);
	_exit(0);
}

/* c is answered: its batch has one call less to wait for. */
static void
worker_done(struct wcall *c)
{
	(*c->pending)--;
	nqueued--;
}

/*
 * Workers ended without waiting for them (an idle one makes room for
 * another user's): reaped when they are gone, or at deliver_shutdown().
 */
static pid_t *ended;
static size_t nended, endedcap;

/* Reap the ended workers that have exited (all of them: wait). */
static void
worker_reap(bool wait)
{
	size_t i = 0;

	while (i < nended) {
		pid_t p = waitpid(ended[i], NULL, wait ? 0 : WNOHANG);

		if (p < 0 && errno == EINTR)
			continue;
		if (p == 0) {
			i++;
			continue;
		}
		ended[i] = ended[--nended];
	}
}

/*
 * Close a worker's pipes.  why != NULL (it broke off): reap it and say
 * how it ended in why; else it exits on its own, reaped later.
 */
static void
worker_drop(struct worker *w, struct buf *why)
{
	int st = 0;
	size_t i;
	pid_t p;

	(void)close(w->req);
	(void)close(w->res);
	if (why == NULL) {
		if (nended == endedcap) {
			endedcap = endedcap ? endedcap * 2 : WORKERS_MAX;
			ended = xreallocarray(ended, endedcap, sizeof(*ended));
		}
		ended[nended++] = w->pid;
		worker_reap(false);
	} else {
		while ((p = waitpid(w->pid, &st, 0)) < 0 && errno == EINTR)
			;
		if (p >= 0 && WIFSIGNALED(st))
			buf_printf(why, "delivery process killed by signal %d",
			    WTERMSIG(st));
		else
			buf_printf(why, "delivery process ended without a "
			    "report (exit status %d)", p >= 0 &&
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	/* What it had not answered fails temporarily. */
	for (i = 0; i < w->nq; i++) {
		struct wresult *res = &w->q[i].c->res;

		buf_free(&res->payload);
		res->status = EX_TEMPFAIL;
		res->text = xstrdup(why != NULL ? buf_cstr(why) :
		    "delivery process ended");
		worker_done(w->q[i].c);
	}
	free(w->user);
	buf_free(&w->in);
	*w = workers[--nworkers];
}

/* End every worker (end of the session or of pipe mode) and reap them. */
void
deliver_shutdown(void)
{
	while (nworkers > 0)
		worker_drop(&workers[nworkers - 1], NULL);
	worker_reap(true);
	free(ended);
	ended = NULL;
	nended = endedcap = 0;
	ml_user_cache_free();
}

/* The group to add for a group-writable root-owned spool, or -1. */
static gid_t
worker_spool_gid(void)
{
	struct stat st;

	if (ml_opts.home_file != NULL || config_str(CF_home_mailbox)[0] !=
	    '\0' || stat(config_str(CF_mail_spool_directory), &st) < 0 ||
	    !S_ISDIR(st.st_mode) || (st.st_mode & S_IWGRP) == 0 ||
	    st.st_uid != 0)
		return (gid_t)-1;
	return st.st_gid;
}

/* pw's worker (mailbox or plain) if there is one. */
static struct worker *
worker_find(const struct priv_user *pw, gid_t extra)
{
	size_t i;

	for (i = 0; i < nworkers; i++)
		if (workers[i].uid == pw->uid && workers[i].extra == extra &&
		    strcmp(workers[i].user, pw->name) == 0)
			return &workers[i];
	return NULL;
}

/*
 * A new worker for pw, in a free slot (the oldest idle worker ends to
 * make one).  NULL with errno, or with errno 0 when every slot is busy.
 */
static struct worker *
worker_spawn(struct spool *sp, const struct priv_user *pw, gid_t extra)
{
	struct worker *w;
	int reqp[2], resp[2];
	size_t i, oldest = WORKERS_MAX;
	pid_t pid;

	if (nworkers == WORKERS_MAX) {
		for (i = 0; i < nworkers; i++)
			if (workers[i].nq == 0 && (oldest == WORKERS_MAX ||
			    workers[i].used < workers[oldest].used))
				oldest = i;
		if (oldest == WORKERS_MAX) {
			errno = 0;
			return NULL;
		}
		worker_drop(&workers[oldest], NULL);
	}
	if (pipe2(reqp, O_CLOEXEC) < 0)
		return NULL;
	if (pipe2(resp, O_CLOEXEC) < 0) {
		(void)close(reqp[0]);
		(void)close(reqp[1]);
		return NULL;
	}
	if ((pid = fork()) < 0) {
		(void)close(reqp[0]);
		(void)close(reqp[1]);
		(void)close(resp[0]);
		(void)close(resp[1]);
		return NULL;
	}
	if (pid == 0) {
		(void)close(reqp[1]);
		(void)close(resp[0]);
		worker_main(sp, pw, extra, reqp[0], resp[1]);
	}
	(void)close(reqp[0]);
	(void)close(resp[1]);
	w = &workers[nworkers++];
	w->user = xstrdup(pw->name);
	w->uid = pw->uid;
	w->extra = extra;
	w->pid = pid;
	w->req = reqp[1];
	w->res = resp[0];
	w->nq = 0;
	buf_init(&w->in);
	return w;
}

/* Read exactly n bytes of a reply; false if the worker broke off. */
static bool
worker_read(int fd, struct buf *b, size_t n)
{
	buf_reserve(b, n);
	if (iox_read_full(fd, b->data + b->len, n) != (ssize_t)n)
		return false;
	b->len += n;
	return true;
}

/*
 * Send c to its worker (started if needed): 1 when sent, 0 when it must
 * wait (its worker, or every slot, is busy), -1 when it failed at once
 * (c->res says why).
 */
static int
worker_start(struct spool *sp, struct wcall *c, gid_t spool_gid)
{
	struct wreq h = { c->op, worker_spool_index(sp),
	    (long long)sp->size,
	    (long long)sp->arrival.tv_sec, (long long)sp->arrival.tv_nsec,
	    (unsigned)c->nfields, 0 };
	struct buf out = BUF_INIT, why = BUF_INIT;
	struct worker *w;
	size_t i;
	/*
	 * A mailbox worker differs from a plain one only by the spool's
	 * group; without one (home mailboxes, a sticky spool) they are the
	 * same process.
	 */
	gid_t extra = c->mailbox ? spool_gid : (gid_t)-1;

	if ((w = worker_find(c->pw, extra)) != NULL && w->nq == WQUEUE_MAX)
		return 0;
	for (i = 0; i < c->nfields; i++)
		buf_append(&out, c->fields[i], strlen(c->fields[i]) + 1);
	if (w != NULL && w->nq > 0 && (w->q[0].bytes + sizeof(h) + out.len >
	    WQUEUE_BYTES)) {
		buf_free(&out);
		return 0;
	}
	if (out.len > WREQ_BYTES_MAX) {
		c->res.status = EX_DATAERR;
		c->res.text = xstrdup("request too long");
		buf_free(&out);
		return -1;
	}
	h.nbytes = (unsigned)out.len;
	if (w == NULL && (w = worker_spawn(sp, c->pw, extra)) == NULL) {
		buf_free(&out);
		if (errno == 0)
			return 0;
		c->res.status = EX_TEMPFAIL;
		c->res.text = xstrdup(strerror(errno));
		return -1;
	}
	w->used = ++worker_clock;
	if (iox_write_full(w->req, &h, sizeof(h)) < 0 ||
	    iox_write_full(w->req, out.data, out.len) < 0) {
		worker_drop(w, &why);
		c->res.status = EX_TEMPFAIL;
		c->res.text = buf_steal(&why);
		buf_free(&out);
		return -1;
	}
	w->q[w->nq].c = c;
	w->q[w->nq++].bytes = sizeof(h) + out.len;
	nqueued++;
	buf_free(&out);
	return 1;
}

/* The reply of a worker that has one ready: into its oldest request's res. */
static void
worker_recv(struct worker *w)
{
	struct wcall *c = w->q[0].c;
	struct wresult *res = &c->res;
	struct buf *in = &w->in, why = BUF_INIT, line = BUF_INIT;
	unsigned long long plen = 0;
	size_t linelen, have;
	char *lf;
	int code = EX_TEMPFAIL, consumed = 0;
	char dsn[16] = "-";

	/*
	 * The reply line, up to its LF (bounded).  Bytes read past it are
	 * its payload, then the start of the next reply (a worker answers
	 * its queued requests one after another): they stay in w->in.
	 */
	while ((lf = in->len ? memchr(in->data, '\n', in->len) : NULL) ==
	    NULL) {
		char chunk[WLINE_MAX];
		ssize_t n;

		/* The line itself is bounded, whatever payload follows. */
		if (in->len >= WLINE_MAX)
			goto dead;
		if ((n = read(w->res, chunk, sizeof(chunk))) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			goto dead;
		buf_append(in, chunk, (size_t)n);
	}
	linelen = (size_t)(lf - in->data);
	if (linelen >= WLINE_MAX)
		goto dead;
	buf_append(&line, in->data, linelen);
	/* The length is bounded below; the code is mapped like any status. */
	/* NOLINTNEXTLINE(cert-err34-c) */
	if (sscanf(buf_cstr(&line), "%d %15s %llu %n", &code, dsn, &plen,
	    &consumed) < 3 || plen > worker_payload_max())
		goto dead;
	have = in->len - linelen - 1;
	if (have > plen)
		have = (size_t)plen;
	buf_append(&res->payload, lf + 1, have);
	buf_consume(in, linelen + 1 + have);
	if (plen > have && !worker_read(w->res, &res->payload,
	    (size_t)plen - have))
		goto dead;
	res->status = code;
	res->dsn = strcmp(dsn, "-") == 0 ? NULL : xstrdup(dsn);
	res->text = xstrdup(buf_cstr(&line) + consumed);
	buf_free(&line);
	memmove(&w->q[0], &w->q[1], (w->nq - 1) * sizeof(w->q[0]));
	w->nq--;
	worker_done(c);
	/* More than was asked for: it breaks the protocol, and ends. */
	if (w->nq == 0 && in->len > 0) {
		worker_drop(w, &why);
		buf_free(&why);
	}
	return;
dead:
	/* Every call it had, this one included, fails with why. */
	worker_drop(w, &why);
	buf_free(&why);
	buf_free(&line);
}

/*
 * Wait for at least one busy worker's reply, or for input on fd (if not
 * -1: *input is then set), and take every reply that is ready.
 */
static void
worker_wait(int fd, bool *input)
{
	struct pollfd pfd[WORKERS_MAX + 1];
	size_t i, k, n = 0;

	/* A reply read with the one before it needs no waiting. */
	for (i = 0; i < nworkers; i++)
		if (workers[i].nq > 0 && workers[i].in.len > 0 &&
		    memchr(workers[i].in.data, '\n', workers[i].in.len) != NULL) {
			worker_recv(&workers[i]);
			return;
		}
	for (i = 0; i < nworkers; i++)
		if (workers[i].nq > 0) {
			pfd[n].fd = workers[i].res;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
	pfd[n].fd = fd;		/* poll() skips a negative fd */
	pfd[n].events = POLLIN;
	pfd[n].revents = 0;
	while (poll(pfd, (nfds_t)n + 1, -1) < 0)
		if (errno != EINTR && errno != EAGAIN) {
			/* Cannot wait: read each in turn (reads block). */
			for (i = 0; i < n; i++)
				pfd[i].revents = POLLIN;
			break;
		}
	if (fd >= 0 && pfd[n].revents != 0)
		*input = true;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		/* worker_drop() moves slots: find it by its pipe. */
		for (k = 0; k < nworkers; k++)
			if (workers[k].res == pfd[i].fd &&
			    workers[k].nq > 0) {
				worker_recv(&workers[k]);
				break;
			}
	}
}

/*
 * CONCURRENCY: the calls start in their order, each in its user's worker,
 * up to WORKERS_BUSY_MAX at once in different workers (one message to many
 * users is as many deliveries in parallel, each waiting for its own
 * fsync).  A call whose worker is busy waits and a later one for another
 * worker may start first (looking at most WCALL_AHEAD calls ahead); calls
 * for the same worker keep their order.
 */
#define WCALL_AHEAD	64

/*
 * The batches under way, oldest first: a batch starts its calls only once
 * every older one has started all of its own (a user's deliveries keep
 * the order of the messages, the replies that of the recipients).
 */
static struct wbatch *wbatches;

/* Start what b can start now; false when it has nothing left to wait for. */
static bool
worker_batch_own(struct wbatch *b)
{
	size_t k;
	int rc;

	for (;;) {
		for (k = b->next; k < b->n && k < b->next + WCALL_AHEAD &&
		    b->busy < WORKERS_BUSY_MAX; k++) {
			if (b->started[k])
				continue;
			b->c[k].pending = &b->busy;
			if ((rc = worker_start(b->sp, &b->c[k],
			    b->spool_gid)) == 0)
				continue;
			b->started[k] = true;
			b->busy += rc > 0;
		}
		while (b->next < b->n && b->started[b->next])
			b->next++;
		if (b->busy > 0)
			return true;
		if (b->next == b->n)
			return false;
		if (nqueued > 0)
			return true;	/* other batches' calls hold the workers */
		/* Nothing running, yet the next cannot start. */
		b->c[b->next].res.status = EX_SOFTWARE;
		b->c[b->next].res.text = xstrdup("no delivery process slot");
		b->started[b->next] = true;
	}
}

/*
 * The older batches' calls first, then b's.  True while b must wait
 * (after worker_batch_own(), a batch with calls not started has others'
 * calls to wait for).
 */
static bool
worker_batch_step(struct wbatch *b)
{
	struct wbatch *a;

	for (a = wbatches; a != NULL && a != b; a = a->newer)
		if (a->next < a->n && (!worker_batch_own(a) ||
		    a->next < a->n))
			return true;
	return worker_batch_own(b);
}

void
worker_batch_start(struct wbatch *b, struct spool *sp, struct wcall *c,
    size_t n)
{
	struct wbatch **tail = &wbatches;
	bool mailbox = false;
	size_t k;

	memset(b, 0, sizeof(*b));
	b->sp = sp;
	b->c = c;
	b->n = n;
	b->started = xcalloc(n ? n : 1, sizeof(*b->started));
	b->spool_gid = (gid_t)-1;
	for (k = 0; k < n; k++) {
		memset(&c[k].res, 0, sizeof(c[k].res));
		mailbox = mailbox || c[k].mailbox;
	}
	if (mailbox)
		b->spool_gid = worker_spool_gid();	/* one stat for the batch */
	while (*tail != NULL)
		tail = &(*tail)->newer;
	*tail = b;
	(void)worker_batch_step(b);
}

int
worker_batch_wait(struct wbatch *b, int fd)
{
	struct wbatch *last;
	bool input = false;

	while (b->busy > 0 || b->next < b->n) {
		if (nqueued > 0)
			worker_wait(fd, &input);
		if (!worker_batch_step(b))
			break;
		if (input)
			break;
	}
	/* Workers that are free now get the newer batches' calls. */
	for (last = b; last->newer != NULL; last = last->newer)
		;
	if (last != b)
		(void)worker_batch_step(last);
	return input && (b->busy > 0 || b->next < b->n);
}

void
worker_batch_finish(struct wbatch *b)
{
	struct wbatch **p;

	(void)worker_batch_wait(b, -1);
	for (p = &wbatches; *p != NULL; p = &(*p)->newer)
		if (*p == b) {
			*p = b->newer;
			break;
		}
	free(b->started);
	b->started = NULL;
}

void
worker_call_all(struct spool *sp, struct wcall *c, size_t n)
{
	struct wbatch b;

	worker_batch_start(&b, sp, c, n);
	worker_batch_finish(&b);
}

/* One request to pw's worker; the result into res. */
void
worker_call(const struct priv_user *pw, bool mailbox, struct spool *sp,
    int op, const char *const *fields, size_t nfields, struct wresult *res)
{
	struct wcall c = { pw, mailbox, op, fields, nfields,
	    { 0, NULL, NULL, BUF_INIT }, NULL };

	worker_call_all(sp, &c, 1);
	*res = c.res;
}

void
worker_result_free(struct wresult *res)
{
	free(res->dsn);
	free(res->text);
	buf_free(&res->payload);
	memset(res, 0, sizeof(*res));
}
