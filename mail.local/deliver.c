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

/* The child: become the user, deliver, report.  Never returns. */
static _Noreturn void
deliver_child(struct spool *sp, const char *sender, const struct rcpt *r,
    const struct location *loc, gid_t extra_gid, int wfd)
{
	struct dresult res = { EX_SOFTWARE, NULL, BUF_INIT };
	struct buf why = BUF_INIT, out = BUF_INIT;
	gid_t *groups;
	size_t n = r->pw.ngroups;
	int fd;

	(void)signal(SIGPIPE, SIG_IGN);
	log_set_flags(LOG_F_SYSLOG);	/* the parent reports to the MTA */
	/* The LMTP connection is not the child's business. */
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		_exit(1);
	if (fd > 2)
		(void)close(fd);
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
	groups = NULL;
	res.status = EX_OK;
	if (!loc->in_home) {
		fd = safe_opendir(AT_FDCWD, loc->path, &dir_rule,
		    SAFE_F_ROOT_SYMLINKS, &why);
		if (fd < 0) {
			dresult_why(&res, errno, "cannot open mail spool",
			    buf_cstr(&why));
			res.status = EX_TEMPFAIL;	/* the admin can fix it */
			goto report;
		}
		mbox_deliver(sp, sender, r, fd, loc->path, r->user, &res);
	} else {
		fd = safe_opendir(AT_FDCWD, r->pw.home, &dir_rule,
		    SAFE_F_ROOT_SYMLINKS, &why);
		if (fd < 0) {
			dresult_why(&res, errno, "cannot open home directory",
			    buf_cstr(&why));
			res.status = EX_TEMPFAIL;	/* the admin can fix it */
			goto report;
		}
		if (loc->maildir)
			maildir_deliver(sp, sender, r, fd, r->pw.home,
			    loc->path, &res);
		else
			mbox_deliver(sp, sender, r, fd, r->pw.home, loc->path,
			    &res);
	}
	(void)close(fd);
	goto report;
fail:
	res.status = EX_TEMPFAIL;
	buf_printf(&res.text, "cannot become user %s: %s", r->user,
	    buf_cstr(&why));
report:
	free(groups);
	buf_printf(&out, "%d %s ", res.status, res.dsn ? res.dsn : "-");
	buf_append_printable(&out, res.text.data, res.text.len);
	if (out.len > RESULT_MAX - 1)
		buf_truncate(&out, RESULT_MAX - 1);
	buf_append_byte(&out, '\n');
	(void)iox_write_full(wfd, out.data, out.len);
	_exit(0);
}

/* Read the child's report and reap it. */
static void
deliver_collect(pid_t pid, int rfd, struct rcpt *r)
{
	struct buf in = BUF_INIT;
	int st, code = EX_TEMPFAIL, consumed = 0;
	char dsn[16] = "-";
	pid_t w;

	if (iox_read_all(rfd, &in, RESULT_MAX) < 0)
		buf_reset(&in);
	(void)close(rfd);
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (w < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    sscanf(buf_cstr(&in), "%d %15s %n", &code, dsn, &consumed) < 2) {
		struct buf t = BUF_INIT;

		r->status = EX_TEMPFAIL;
		if (w >= 0 && WIFSIGNALED(st))
			buf_printf(&t, "delivery process killed by signal %d",
			    WTERMSIG(st));
		else
			buf_printf(&t, "delivery process ended without a "
			    "report (exit status %d)", w >= 0 &&
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		r->text = buf_steal(&t);
		buf_free(&in);
		return;
	}
	if (in.len > 0 && in.data[in.len - 1] == '\n')
		buf_truncate(&in, in.len - 1);
	r->status = code;
	r->dsn = strcmp(dsn, "-") == 0 ? NULL : xstrdup(dsn);
	r->text = xstrdup(buf_cstr(&in) + consumed);
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
	int pfd[2], flags;
	pid_t pid;

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
	} else if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		r->status = EX_TEMPFAIL;
		r->text = xstrdup(strerror(errno));
	} else if (pid == 0) {
		(void)close(pfd[0]);
		deliver_child(sp, sender, r, &loc, deliver_spool_gid(&loc),
		    pfd[1]);
	} else {
		(void)close(pfd[1]);
		deliver_collect(pid, pfd[0], r);
	}
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
