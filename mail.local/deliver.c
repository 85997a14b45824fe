/*
 * deliver: one recipient, expanded (aliases, :include:, .forward) into its
 * final destinations, each delivered by a worker process that has become
 * the user it is delivered as (worker.c).
 *
 * Input: the spooled message (trusted: written by this process), the
 * envelope sender (checked syntax), a resolved recipient.  The parent,
 * which holds only CAP_SETUID and CAP_SETGID, expands the recipient
 * (expand_io.c), sends each destination to the right worker and collects
 * the results: the recipient's status is that of its worst destination
 * (temporary before permanent), and a failed member is named in the text.
 * Mailboxes are written by the user's mailbox worker (mbox.c, maildir.c);
 * files, programs and forwarded copies by a plain worker of the user the
 * expansion says (dest.c), which never holds the spool's group.  X-Original-To:
 * is added when the destination is not the envelope recipient itself.
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
#include <strings.h>
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
#include "lib/strset.h"
#include "lib/xalloc.h"

#include "aliases/expand.h"

#include "mail.local/mail_local.h"


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

/* Return-Path:, Delivered-To: and X-Original-To:, added to each copy. */
void
deliver_headers(struct buf *b, const char *sender, const char *rcpt,
    const char *orig)
{
	buf_printf(b, "Return-Path: <%s>\nDelivered-To: %s\n", sender, rcpt);
	if (orig != NULL && orig[0] != '\0')
		buf_printf(b, "X-Original-To: %s\n", orig);
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

/* The worker's side of one request. */
void
worker_serve(int op, struct spool *sp, const struct priv_user *self,
    char **f, size_t n, struct dresult *res, struct buf *payload)
{
	struct location loc;
	struct rcpt one;

	if (op == WOP_READ_FORWARD || op == WOP_READ_INCLUDE) {
		xio_serve_read(op, self, f, n, res, payload);
		return;
	}
	if (n < 3) {
		res->status = EX_SOFTWARE;
		buf_append_str(&res->text, "bad request");
		return;
	}
	switch (op) {
	case WOP_MAILBOX:
		memset(&one, 0, sizeof(one));
		one.addr = f[1];
		one.orig = f[2][0] != '\0' ? f[2] : NULL;
		one.user = self->name;
		one.pw = *self;
		deliver_where(&loc);
		deliver_once(sp, f[0], &one, &loc, res);
		break;
	case WOP_FILE:
		if (n == 4)
			dest_file(sp, self, f, res);
		break;
	case WOP_PROGRAM:
		if (n >= 4)
			dest_program(sp, self, f, n, res);
		break;
	case WOP_SUBMIT:
		if (n >= 4)
			dest_submit(sp, self, f, res);
		break;
	default:
		res->status = EX_SOFTWARE;
		buf_append_str(&res->text, "unknown request");
	}
}

/* Log one outcome in Postfix's style. */
static void
deliver_log(const struct spool *sp, const char *session, const char *to,
    const char *orig, const char *where, int status, const char *dsn,
    const char *text)
{
	struct timespec now;
	struct ex_reply rep;
	struct buf o = BUF_INIT;
	int flags;

	(void)clock_gettime(CLOCK_REALTIME, &now);
	ex_to_reply(status, &rep);
	if (orig != NULL && strcmp(orig, to) != 0)
		buf_printf(&o, ", orig_to=<%s>", orig);
	/* Syslog only: stderr is for the failures the MTA reads. */
	flags = log_get_flags();
	log_set_flags(flags & ~LOG_F_STDERR);
	log_info("%s: to=<%s>%s, %s, size=%lld, delay=%.2f, dsn=%s, "
	    "status=%s (%s)", session, to, buf_cstr(&o), where,
	    (long long)sp->size, (double)(now.tv_sec - sp->arrival.tv_sec) +
	    (double)(now.tv_nsec - sp->arrival.tv_nsec) / 1e9,
	    dsn ? dsn : rep.dsn, status == EX_OK ? "sent" :
	    ex_is_temporary(status) ? "deferred" : "bounced",
	    text ? text : rep.text);
	log_set_flags(flags);
	buf_free(&o);
}

/* The environment fields of a program delivery. */
static void
deliver_env(struct buf *fields, size_t *n, const char *name,
    const char *value)
{
	buf_printf(fields, "%s=%s", name, value ? value : "");
	buf_append(fields, "", 1);
	(*n)++;
}

/* One destination of an expansion; the outcome into *res. */
static void
deliver_dest(struct spool *sp, const char *sender, const struct rcpt *r,
    const struct dest *d, struct wresult *res)
{
	struct buf fields = BUF_INIT, dt = BUF_INIT, snd = BUF_INIT,
	    why = BUF_INIT, rcptaddr = BUF_INIT, orig = BUF_INIT;
	const char **fv = NULL, *p;
	struct priv_user pw;
	size_t n = 0, i;
	int op;

	memset(res, 0, sizeof(*res));
	if (ml_user_lookup(d->kind == DEST_MAILBOX ? d->target : d->runas,
	    &pw, &why) < 0) {
		res->status = errno == ENOENT && d->kind == DEST_MAILBOX ?
		    EX_NOUSER : EX_TEMPFAIL;
		buf_printf(&rcptaddr, "cannot find user %s: %s",
		    d->kind == DEST_MAILBOX ? d->target : d->runas,
		    buf_cstr(&why));
		res->text = buf_steal(&rcptaddr);
		goto out;
	}
	if (d->kind != DEST_MAILBOX && pw.uid == 0) {
		/* DELIVERY RIGHTS: never a program or file as root. */
		res->status = EX_NOPERM;
		res->dsn = xstrdup("5.7.1");
		res->text = xstrdup("refusing to deliver to a program or file "
		    "as root");
		priv_user_free(&pw);
		goto out;
	}
	/* Delivered-To: the address whose delivery this is. */
	if (d->kind == DEST_MAILBOX && r->user != NULL &&
	    strcmp(d->target, r->user) == 0 && !r->alias)
		deliver_final_addr(&dt, r);
	else {
		if (d->kind == DEST_MAILBOX)
			buf_append_str(&dt, d->target);
		else {
			buf_append_str(&dt, d->local);
			if (d->ext != NULL)
				buf_printf(&dt, "%c%s",
				    config_str(CF_recipient_delimiter)[0] ?
				    config_str(CF_recipient_delimiter)[0] : '+',
				    d->ext);
		}
		buf_printf(&dt, "@%s", ml_opts.hostname);
	}
	if (d->kind != DEST_MAILBOX && spool_seen_delivered_to(sp,
	    buf_cstr(&dt))) {
		res->status = EX_UNAVAILABLE;
		res->dsn = xstrdup("5.4.6");
		buf_printf(&rcptaddr, "mail forwarding loop for %s",
		    buf_cstr(&dt));
		res->text = buf_steal(&rcptaddr);
		priv_user_free(&pw);
		goto out;
	}
	if (d->sender != NULL) {
		buf_append_str(&snd, d->sender);
		if (strchr(d->sender, '@') == NULL)
			buf_printf(&snd, "@%s", ml_opts.hostname);
	} else
		buf_append_str(&snd, sender);
	buf_append(&fields, buf_cstr(&snd), snd.len + 1);
	buf_append(&fields, buf_cstr(&dt), dt.len + 1);
	/* X-Original-To: only when expansion changed the address. */
	deliver_final_addr(&orig, r);
	p = strcasecmp(buf_cstr(&dt), buf_cstr(&orig)) == 0 ? "" :
	    buf_cstr(&orig);
	buf_append(&fields, p, strlen(p) + 1);
	n = 3;
	switch (d->kind) {
	case DEST_MAILBOX:
		op = WOP_MAILBOX;
		break;
	case DEST_FILE:
		op = WOP_FILE;
		buf_append(&fields, d->target, strlen(d->target) + 1);
		n++;
		break;
	case DEST_PROGRAM:
		op = WOP_PROGRAM;
		buf_append(&fields, d->target, strlen(d->target) + 1);
		n++;
		deliver_env(&fields, &n, "SENDER", buf_cstr(&snd));
		deliver_env(&fields, &n, "RECIPIENT", buf_cstr(&dt));
		deliver_env(&fields, &n, "LOCAL", d->local);
		deliver_env(&fields, &n, "EXTENSION", d->ext);
		deliver_env(&fields, &n, "DOMAIN", ml_opts.hostname);
		deliver_env(&fields, &n, "ORIGINAL_RECIPIENT", buf_cstr(&orig));
		break;
	default:
		op = WOP_SUBMIT;
		buf_append(&fields, d->target, strlen(d->target) + 1);
		n++;
		break;
	}
	fv = xcalloc(n, sizeof(*fv));
	for (i = 0, p = fields.data; i < n; i++, p += strlen(p) + 1)
		fv[i] = p;
	worker_call(&pw, op == WOP_MAILBOX, sp, op, fv, n, res);
	priv_user_free(&pw);
out:
	free(fv);
	buf_free(&fields);
	buf_free(&dt);
	buf_free(&snd);
	buf_free(&why);
	buf_free(&rcptaddr);
	buf_free(&orig);
}

/* What a destination is, for the log: "mailbox=bob", "command=...". */
static void
deliver_where_text(struct buf *b, const struct dest *d)
{
	buf_printf(b, "%s=", d->kind == DEST_MAILBOX ? "user" :
	    dest_kind_name(d->kind));
	buf_append_printable(b, d->target, strlen(d->target));
	if (d->kind != DEST_MAILBOX) {
		buf_printf(b, ", as=%s", d->runas);
	}
	buf_printf(b, ", via=%s", d->via);
}

/*
 * DUPLICATES: one copy per final destination per message, also across
 * recipients ("RCPT alice" and "RCPT staff" that includes alice).  The
 * destinations delivered for the current message, "KIND TARGET AS" in a
 * hash set (a list of 50,000 members costs no more per member than one),
 * forgotten when the next message arrives.
 */
static struct strset done_dests = STRSET_INIT;
static struct timespec done_arrival;

static bool
deliver_done(const struct spool *sp, const struct dest *d, bool add)
{
	struct buf key = BUF_INIT;
	bool found;

	if (done_arrival.tv_sec != sp->arrival.tv_sec ||
	    done_arrival.tv_nsec != sp->arrival.tv_nsec) {
		strset_free(&done_dests);
		done_arrival = sp->arrival;
	}
	buf_printf(&key, "%d %s %s", (int)d->kind, d->target, d->runas);
	found = add ? !strset_add(&done_dests, key.data, key.len) :
	    strset_has(&done_dests, key.data, key.len);
	buf_free(&key);
	return found;
}

/* Deliver to one recipient and log the outcome. */
void
deliver_rcpt(struct spool *sp, const char *sender, struct rcpt *r,
    const char *session)
{
	struct expansion x;
	struct buf final = BUF_INIT, text = BUF_INIT, where = BUF_INIT;
	size_t i, nok = 0, nbad = 0;
	int worst = EX_OK;
	char *worst_dsn = NULL;

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
		deliver_log(sp, session, r->addr, NULL, "user=-", r->status,
		    r->dsn, r->text);
		return;
	}
	if (sp->hops > config_num(CF_hop_count_limit)) {
		r->status = EX_UNAVAILABLE;
		r->dsn = xstrdup("5.4.6");
		buf_reset(&final);
		buf_printf(&final, "too many hops (%u Received: and "
		    "Delivered-To: headers; hop_count_limit is %lld)",
		    sp->hops, config_num(CF_hop_count_limit));
		r->text = buf_steal(&final);
		deliver_log(sp, session, r->addr, NULL, "user=-", r->status,
		    r->dsn, r->text);
		return;
	}
	buf_free(&final);
	xio_expand(sp, r, &x);
	if (x.tempfail) {
		r->status = EX_TEMPFAIL;
		r->text = xstrdup(buf_cstr(&x.why));
		deliver_log(sp, session, r->addr, NULL, "user=-", r->status,
		    NULL, r->text);
		expansion_free(&x);
		return;
	}
	for (i = 0; i < x.n; i++) {
		struct wresult res;

		if (deliver_done(sp, &x.v[i], false)) {
			memset(&res, 0, sizeof(res));
			res.status = EX_OK;
			res.text = xstrdup("duplicate: already delivered for "
			    "this message");
		} else {
			deliver_dest(sp, sender, r, &x.v[i], &res);
			if (res.status == EX_OK)
				(void)deliver_done(sp, &x.v[i], true);
		}
		buf_reset(&where);
		deliver_where_text(&where, &x.v[i]);
		deliver_log(sp, session, x.v[i].kind == DEST_MAILBOX ?
		    x.v[i].target : r->addr, r->addr, buf_cstr(&where),
		    res.status, res.dsn, res.text);
		if (res.status == EX_OK) {
			nok++;
			if (x.n == 1 && x.nfail == 0)
				buf_append_str(&text, res.text ? res.text : "");
		} else {
			nbad++;
			if (ex_worse(worst, res.status) != worst ||
			    worst == EX_OK) {
				worst = ex_worse(worst, res.status);
				free(worst_dsn);
				worst_dsn = res.dsn ? xstrdup(res.dsn) : NULL;
				buf_reset(&text);
				buf_printf(&text, "%s %s: %s",
				    dest_kind_name(x.v[i].kind), x.v[i].target,
				    res.text ? res.text : ex_text(res.status));
			}
		}
		worker_result_free(&res);
	}
	for (i = 0; i < x.nfail; i++) {
		const struct xfail *f = &x.fail[i];

		deliver_log(sp, session, f->what, r->addr, "user=-",
		    f->status, f->dsn, f->why);
		nbad++;
		if (ex_worse(worst, f->status) != worst || worst == EX_OK) {
			worst = ex_worse(worst, f->status);
			free(worst_dsn);
			worst_dsn = f->dsn ? xstrdup(f->dsn) : NULL;
			buf_reset(&text);
			buf_append_str(&text, f->why);
		}
	}
	if (x.n == 0 && x.nfail == 0) {
		worst = EX_UNAVAILABLE;
		worst_dsn = xstrdup("5.1.1");
		buf_append_str(&text, "expands to no destination");
	}
	if (worst != EX_OK && nok > 0)
		buf_printf(&text, " (%zu of %zu destinations failed, the "
		    "others got it)", nbad, nbad + nok);
	else if (worst == EX_OK && x.n > 1)
		buf_printf(&text, "delivered to %zu destinations", x.n);
	r->status = worst;
	r->dsn = worst_dsn;
	r->text = buf_steal(&text);
	expansion_free(&x);
	buf_free(&where);
}
