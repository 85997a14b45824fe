/*
 * deliver: one recipient, one child process that has become the recipient.
 *
 * Input: the spooled message (trusted: written by this process), the
 * envelope sender (checked syntax), a resolved recipient.  The parent,
 * which holds only CAP_SETUID and CAP_SETGID, forks; the child sets its
 * groups, gid and uid to the recipient's for good (plus the mail spool's
 * group when the spool is group-writable, so it can create the mailbox and
 * its dotlock), verifies that it cannot get root back, and only then opens
 * anything.  Mail for root is delivered by a child that keeps uid 0 but
 * drops every capability, so it too can touch only what root owns and no
 * more.  The child reports "STATUS DSN TEXT" on a pipe and exits; the
 * parent waits for it and logs one line per recipient.
 *
 * Diagnostics: r->status (sysexits), r->dsn (RFC 3463 code when more
 * precise than the status), r->text; a syslog line in Postfix's style:
 * "ID: to=<addr>, user=U, mailbox=M, size=N, delay=D, status=sent (...)".
 *
 * SECURITY: the only code that runs as the user is this file's child side,
 * mbox.c and maildir.c; no user program runs here.  The child inherits the
 * spool fd (read with pread/sendfile only) and the result pipe, nothing
 * else.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/exitcode.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/safeopen.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

#define RESULT_MAX	1024

/* Where a recipient's mail goes. */
struct location {
	bool	 in_home;	/* below $HOME, else in the spool */
	bool	 maildir;
	const char *path;	/* spool directory, or path below home */
};

static void
deliver_where(struct location *loc)
{
	const char *hm = config_str(CF_home_mailbox);

	memset(loc, 0, sizeof(*loc));
	if (ml_opts.home_file != NULL) {
		loc->in_home = true;
		loc->path = ml_opts.home_file;
	} else if (hm[0] != '\0') {
		loc->in_home = true;
		loc->path = hm;
		loc->maildir = hm[strlen(hm) - 1] == '/';
	} else
		loc->path = config_str(CF_mail_spool_directory);
}

/* The address written in Delivered-To: and checked for loops. */
void
deliver_final_addr(struct buf *b, const struct rcpt *r)
{
	buf_append_str(b, r->addr);
	if (strchr(r->addr, '@') == NULL)
		buf_printf(b, "@%s", ml_opts.hostname);
}

/* Return-Path: and Delivered-To:, the lines every delivery adds. */
void
deliver_headers(struct buf *b, const char *sender, const char *rcpt)
{
	buf_printf(b, "Return-Path: <%s>\nDelivered-To: %s\n", sender, rcpt);
}

/* The status for an errno from a mailbox (ENOSPC -> 4.2.2 ...). */
static void
dresult_status(struct dresult *res, int err)
{
	if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
		res->status = ml_opts.quota_perm ? EX_UNAVAILABLE : EX_TEMPFAIL;
		res->dsn = ml_opts.quota_perm ? "5.2.2" : "4.2.2";
		return;
	}
	res->status = ex_from_errno(err, EXC_FILE);
	res->dsn = NULL;
}

/* A failed call on a mailbox: "WHAT OBJ: strerror". */
void
dresult_errno(struct dresult *res, int err, const char *what, const char *obj)
{
	buf_reset(&res->text);
	buf_printf(&res->text, "%s %s: %s", what, obj, strerror(err));
	dresult_status(res, err);
}

/* A failure explained by a lib/ reason: "WHAT: WHY". */
void
dresult_why(struct dresult *res, int err, const char *what, const char *why)
{
	buf_reset(&res->text);
	buf_printf(&res->text, "%s: %s", what, why);
	dresult_status(res, err);
}

/* Directories on the way to a mailbox: not writable by others. */
static const struct safe_check dir_rule = {
	.type = S_IFDIR, .mode_forbid = S_IWOTH, .sticky_ok = true,
};

static gid_t deliver_spool_gid(const struct location *);

/* Deliver the spool to r, already running as the user. */
static void
deliver_once(struct spool *sp, const char *sender, const struct rcpt *r,
    const struct location *loc, struct dresult *res)
{
	struct buf why = BUF_INIT;
	int fd;

	res->status = EX_OK;
	res->dsn = NULL;
	buf_reset(&res->text);
	fd = safe_opendir(AT_FDCWD, loc->in_home ? r->pw.home : loc->path,
	    &dir_rule, SAFE_F_ROOT_SYMLINKS, &why);
	if (fd < 0) {
		dresult_why(res, errno, loc->in_home ? "cannot open home "
		    "directory" : "cannot open mail spool", buf_cstr(&why));
		res->status = EX_TEMPFAIL;	/* the admin can fix it */
	} else if (!loc->in_home)
		mbox_deliver(sp, sender, r, fd, loc->path, r->user, res);
	else if (loc->maildir)
		maildir_deliver(sp, sender, r, fd, r->pw.home, loc->path, res);
	else
		mbox_deliver(sp, sender, r, fd, r->pw.home, loc->path, res);
	if (fd >= 0)
		(void)close(fd);
	buf_free(&why);
}

/*
 * WORKERS: a delivery process that has become one user serves every
 * delivery to that user in this session (an LMTP session of 1000
 * messages forks once per recipient user, not once per copy).  The
 * parent sends it a request (struct wreq, then the sender and the
 * address) and reads one result line back.  At most WORKERS_MAX live at
 * once; the oldest goes when another is needed.  A worker runs only this
 * file's code, mbox.c and maildir.c, and holds only its two pipes, the
 * spool and /dev/null.
 */
#define WORKERS_MAX	8
#define WREQ_FIELD_MAX	4096

struct wreq {
	long long size;		/* spool bytes */
	long long sec, nsec;	/* arrival time */
	unsigned sender_len, addr_len;
};

struct worker {
	char	*user;
	pid_t	 pid;
	int	 req, res;
	unsigned long long used;	/* for choosing the oldest */
};

static struct worker workers[WORKERS_MAX];
static size_t nworkers;
static unsigned long long worker_clock;

/* Write a result line to fd. */
static void
worker_report(int fd, const struct dresult *res)
{
	struct buf out = BUF_INIT;

	buf_printf(&out, "%d %s ", res->status, res->dsn ? res->dsn : "-");
	buf_append_printable(&out, res->text.data, res->text.len);
	if (out.len > RESULT_MAX - 1)
		buf_truncate(&out, RESULT_MAX - 1);
	buf_append_byte(&out, '\n');
	(void)iox_write_full(fd, out.data, out.len);
	buf_free(&out);
}

/* The worker: become the user, then serve requests until EOF. */
static _Noreturn void
worker_main(struct spool *sp, const struct rcpt *r,
    const struct location *loc, gid_t extra_gid, int req, int resfd)
{
	struct dresult res = { EX_SOFTWARE, NULL, BUF_INIT };
	struct buf why = BUF_INIT;
	struct wreq h;
	gid_t *groups;
	size_t n = r->pw.ngroups, i;
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
	groups = xcalloc(n + 1, sizeof(*groups));
	if (n > 0)
		memcpy(groups, r->pw.groups, n * sizeof(*groups));
	if (extra_gid != (gid_t)-1)
		groups[n++] = extra_gid;
	/* DELIVERY RIGHTS: the recipient's ids, for good, verified. */
	if (r->pw.uid == 0) {
		/* SECBIT_NOROOT was locked at start: nothing comes back. */
		if (priv_become(0, r->pw.gid, groups, n, &why) < 0 ||
		    priv_caps_clear(&why) < 0)
			goto fail;
	} else if (priv_become(r->pw.uid, r->pw.gid, groups, n, &why) < 0)
		goto fail;
	free(groups);
	for (;;) {
		struct rcpt one = *r;
		char *sender, *addr;
		ssize_t got = iox_read_full(req, &h, sizeof(h));

		if (got == 0)
			_exit(0);
		if (got != (ssize_t)sizeof(h) || h.size < 0 ||
		    h.sender_len > WREQ_FIELD_MAX || h.addr_len == 0 ||
		    h.addr_len > WREQ_FIELD_MAX)
			_exit(1);
		sender = xmalloc(h.sender_len + 1);
		addr = xmalloc(h.addr_len + 1);
		if (iox_read_full(req, sender, h.sender_len) !=
		    (ssize_t)h.sender_len || iox_read_full(req, addr,
		    h.addr_len) != (ssize_t)h.addr_len)
			_exit(1);
		sender[h.sender_len] = '\0';
		addr[h.addr_len] = '\0';
		sp->size = (off_t)h.size;
		sp->arrival.tv_sec = (time_t)h.sec;
		sp->arrival.tv_nsec = (long)h.nsec;
		one.addr = addr;
		deliver_once(sp, sender, &one, loc, &res);
		worker_report(resfd, &res);
		free(sender);
		free(addr);
	}
fail:
	res.status = EX_TEMPFAIL;
	buf_printf(&res.text, "cannot become user %s: %s", r->user,
	    buf_cstr(&why));
	worker_report(resfd, &res);
	_exit(0);
}

/* Close a worker's pipes, reap it; its exit status as text in why. */
static void
worker_drop(struct worker *w, struct buf *why)
{
	int st = 0;
	pid_t p;

	(void)close(w->req);
	(void)close(w->res);
	while ((p = waitpid(w->pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (why != NULL) {
		if (p >= 0 && WIFSIGNALED(st))
			buf_printf(why, "delivery process killed by signal %d",
			    WTERMSIG(st));
		else
			buf_printf(why, "delivery process ended without a "
			    "report (exit status %d)", p >= 0 &&
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	free(w->user);
	*w = workers[--nworkers];
}

/* End every worker (end of the session or of pipe mode). */
void
deliver_shutdown(void)
{
	while (nworkers > 0)
		worker_drop(&workers[nworkers - 1], NULL);
}

/* The worker for r's user, started if needed; NULL with errno. */
static struct worker *
worker_get(struct spool *sp, const struct rcpt *r,
    const struct location *loc, gid_t extra_gid)
{
	struct worker *w;
	int reqp[2], resp[2];
	size_t i, oldest = 0;
	pid_t pid;

	for (i = 0; i < nworkers; i++) {
		if (strcmp(workers[i].user, r->user) == 0) {
			workers[i].used = ++worker_clock;
			return &workers[i];
		}
		if (workers[i].used < workers[oldest].used)
			oldest = i;
	}
	if (nworkers == WORKERS_MAX)
		worker_drop(&workers[oldest], NULL);
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
		worker_main(sp, r, loc, extra_gid, reqp[0], resp[1]);
	}
	(void)close(reqp[0]);
	(void)close(resp[1]);
	w = &workers[nworkers++];
	w->user = xstrdup(r->user);
	w->pid = pid;
	w->req = reqp[1];
	w->res = resp[0];
	w->used = ++worker_clock;
	return w;
}

/* One request to the user's worker; the result into r. */
static void
deliver_via_worker(struct spool *sp, const char *sender, struct rcpt *r,
    const struct location *loc)
{
	struct wreq h = { (long long)sp->size, (long long)sp->arrival.tv_sec,
	    (long long)sp->arrival.tv_nsec, (unsigned)strlen(sender),
	    (unsigned)strlen(r->addr) };
	struct buf in = BUF_INIT, why = BUF_INIT;
	struct worker *w;
	int code = EX_TEMPFAIL, consumed = 0;
	char dsn[16] = "-";

	if (h.sender_len > WREQ_FIELD_MAX || h.addr_len > WREQ_FIELD_MAX) {
		r->status = EX_DATAERR;
		r->text = xstrdup("address too long");
		return;
	}
	if ((w = worker_get(sp, r, loc, deliver_spool_gid(loc))) == NULL) {
		r->status = EX_TEMPFAIL;
		r->text = xstrdup(strerror(errno));
		return;
	}
	if (iox_write_full(w->req, &h, sizeof(h)) < 0 ||
	    iox_write_full(w->req, sender, h.sender_len) < 0 ||
	    iox_write_full(w->req, r->addr, h.addr_len) < 0)
		goto dead;
	/* One line back: read until its LF (bounded). */
	while (in.len == 0 || in.data[in.len - 1] != '\n') {
		char chunk[RESULT_MAX];
		ssize_t n = read(w->res, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || in.len + (size_t)n > RESULT_MAX)
			goto dead;
		buf_append(&in, chunk, (size_t)n);
	}
	buf_truncate(&in, in.len - 1);
	if (sscanf(buf_cstr(&in), "%d %15s %n", &code, dsn, &consumed) < 2)
		goto dead;
	r->status = code;
	r->dsn = strcmp(dsn, "-") == 0 ? NULL : xstrdup(dsn);
	r->text = xstrdup(buf_cstr(&in) + consumed);
	buf_free(&in);
	return;
dead:
	worker_drop(w, &why);
	r->status = EX_TEMPFAIL;
	r->text = buf_steal(&why);
	buf_free(&in);
}

/* The group to add for a group-writable spool, or -1. */
static gid_t
deliver_spool_gid(const struct location *loc)
{
	struct stat st;

	if (loc->in_home || stat(loc->path, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_mode & S_IWGRP) == 0 || st.st_uid != 0)
		return (gid_t)-1;
	return st.st_gid;
}

/* Deliver to one recipient and log the outcome. */
void
deliver_rcpt(struct spool *sp, const char *sender, struct rcpt *r,
    const char *session)
{
	struct location loc;
	struct buf final = BUF_INIT;
	struct timespec now;
	struct ex_reply rep;
	int flags;

	deliver_where(&loc);
	deliver_final_addr(&final, r);
	free(r->text);
	r->text = NULL;
	free(r->dsn);
	r->dsn = NULL;
	if (spool_seen_delivered_to(sp, buf_cstr(&final))) {
		/* LOOP CONTROL: this copy was here before. */
		r->status = EX_UNAVAILABLE;
		r->dsn = xstrdup("5.4.6");
		buf_reset(&final);
		buf_printf(&final, "mail forwarding loop for %s", r->addr);
		r->text = buf_steal(&final);
	} else
		deliver_via_worker(sp, sender, r, &loc);
	buf_free(&final);
	(void)clock_gettime(CLOCK_REALTIME, &now);
	/* Syslog only: stderr is for the failures the MTA reads. */
	ex_to_reply(r->status, &rep);
	flags = log_get_flags();
	log_set_flags(flags & ~LOG_F_STDERR);
	log_info("%s: to=<%s>, user=%s, size=%lld, delay=%.2f, dsn=%s, "
	    "status=%s (%s)", session, r->addr, r->user, (long long)sp->size,
	    (double)(now.tv_sec - sp->arrival.tv_sec) +
	    (double)(now.tv_nsec - sp->arrival.tv_nsec) / 1e9,
	    r->dsn ? r->dsn : rep.dsn, r->status == EX_OK ? "sent" :
	    ex_is_temporary(r->status) ? "deferred" : "bounced",
	    r->text ? r->text : rep.text);
	log_set_flags(flags);
}
