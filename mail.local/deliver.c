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

/*
 * The mailbox directory (the spool, or the home), opened and vetted for
 * the first delivery of a worker and kept for the next ones: a worker is
 * one user for the whole session, so it is the same directory each time.
 */
static int
deliver_dir(const char *path, struct buf *why)
{
	static char *kept_path;
	static int kept = -1;
	int fd;

	if (kept >= 0 && strcmp(kept_path, path) == 0)
		return kept;
	if ((fd = safe_opendir(AT_FDCWD, path, &dir_rule,
	    SAFE_F_ROOT_SYMLINKS, why)) < 0)
		return -1;
	if (kept >= 0) {
		mbox_release_held();	/* it may lock a mailbox there */
		(void)close(kept);
	}
	free(kept_path);
	kept_path = xstrdup(path);
	kept = fd;
	return fd;
}

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
	fd = deliver_dir(loc->in_home ? r->pw.home : loc->path, &why);
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

/*
 * One final destination of the message: what is asked of which worker,
 * or the outcome when no worker need be asked.
 */
struct djob {
	const struct dest *d;
	size_t	 rcpt;		/* the recipient whose expansion led here */
	size_t	 first;		/* the job that delivers it: itself, or the
				 * first one with the same destination */
	struct buf key;		/* "KIND TARGET AS" */
	struct priv_user pw;
	bool	 have_pw;
	bool	 call;		/* ask a worker (else res is the outcome) */
	int	 op;
	struct buf fields;
	const char **fv;
	size_t	 nfields;
	struct wresult res;
};

/* Prepare job j (a destination of r): its request, or its outcome. */
static void
deliver_prepare(struct spool *sp, const char *sender, const struct rcpt *r,
    struct djob *j)
{
	const struct dest *d = j->d;
	struct buf dt = BUF_INIT, snd = BUF_INIT, why = BUF_INIT,
	    text = BUF_INIT, orig = BUF_INIT;
	struct buf *fields = &j->fields;
	struct wresult *res = &j->res;
	const char *p;
	size_t n = 0, i;

	memset(res, 0, sizeof(*res));
	if (ml_user_lookup(d->kind == DEST_MAILBOX ? d->target : d->runas,
	    &j->pw, &why) < 0) {
		res->status = errno == ENOENT && d->kind == DEST_MAILBOX ?
		    EX_NOUSER : EX_TEMPFAIL;
		buf_printf(&text, "cannot find user %s: %s",
		    d->kind == DEST_MAILBOX ? d->target : d->runas,
		    buf_cstr(&why));
		res->text = buf_steal(&text);
		goto out;
	}
	j->have_pw = true;
	if (d->kind != DEST_MAILBOX && j->pw.uid == 0) {
		/* DELIVERY RIGHTS: never a program or file as root. */
		res->status = EX_NOPERM;
		res->dsn = xstrdup("5.7.1");
		res->text = xstrdup("refusing to deliver to a program or file "
		    "as root");
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
		buf_printf(&text, "mail forwarding loop for %s", buf_cstr(&dt));
		res->text = buf_steal(&text);
		goto out;
	}
	if (d->sender != NULL) {
		buf_append_str(&snd, d->sender);
		if (strchr(d->sender, '@') == NULL)
			buf_printf(&snd, "@%s", ml_opts.hostname);
	} else
		buf_append_str(&snd, sender);
	buf_append(fields, buf_cstr(&snd), snd.len + 1);
	buf_append(fields, buf_cstr(&dt), dt.len + 1);
	/* X-Original-To: only when expansion changed the address. */
	deliver_final_addr(&orig, r);
	p = strcasecmp(buf_cstr(&dt), buf_cstr(&orig)) == 0 ? "" :
	    buf_cstr(&orig);
	buf_append(fields, p, strlen(p) + 1);
	n = 3;
	switch (d->kind) {
	case DEST_MAILBOX:
		j->op = WOP_MAILBOX;
		break;
	case DEST_FILE:
		j->op = WOP_FILE;
		buf_append(fields, d->target, strlen(d->target) + 1);
		n++;
		break;
	case DEST_PROGRAM:
		j->op = WOP_PROGRAM;
		buf_append(fields, d->target, strlen(d->target) + 1);
		n++;
		deliver_env(fields, &n, "SENDER", buf_cstr(&snd));
		deliver_env(fields, &n, "RECIPIENT", buf_cstr(&dt));
		deliver_env(fields, &n, "LOCAL", d->local);
		deliver_env(fields, &n, "EXTENSION", d->ext);
		deliver_env(fields, &n, "DOMAIN", ml_opts.hostname);
		deliver_env(fields, &n, "ORIGINAL_RECIPIENT", buf_cstr(&orig));
		break;
	default:
		j->op = WOP_SUBMIT;
		buf_append(fields, d->target, strlen(d->target) + 1);
		n++;
		break;
	}
	j->fv = xcalloc(n, sizeof(*j->fv));
	for (i = 0, p = fields->data; i < n; i++, p += strlen(p) + 1)
		j->fv[i] = p;
	j->nfields = n;
	j->call = true;
out:
	buf_free(&dt);
	buf_free(&snd);
	buf_free(&why);
	buf_free(&text);
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
 * The checks made before a recipient is expanded: a Delivered-To: loop
 * or too many hops.  True when they ended it (status set, logged).
 */
static bool
deliver_refused(const struct spool *sp, struct rcpt *r, const char *session)
{
	struct buf final = BUF_INIT;

	deliver_final_addr(&final, r);
	free(r->text);
	r->text = NULL;
	free(r->dsn);
	r->dsn = NULL;
	if (spool_seen_delivered_to(sp, buf_cstr(&final))) {
		/* LOOP CONTROL: this copy was here before. */
		buf_reset(&final);
		buf_printf(&final, "mail forwarding loop for %s", r->addr);
	} else if (sp->hops > config_num(CF_hop_count_limit)) {
		buf_reset(&final);
		buf_printf(&final, "too many hops (%u Received: and "
		    "Delivered-To: headers; hop_count_limit is %lld)",
		    sp->hops, config_num(CF_hop_count_limit));
	} else {
		buf_free(&final);
		return false;
	}
	r->status = EX_UNAVAILABLE;
	r->dsn = xstrdup("5.4.6");
	r->text = buf_steal(&final);
	deliver_log(sp, session, r->addr, NULL, "user=-", r->status, r->dsn,
	    r->text);
	return true;
}

/* A job's place in the sort by destination. */
struct djob_ref {
	const struct buf *key;
	size_t	 i;		/* its index in the jobs */
};

/* Order of jobs by destination, then by position (for duplicates). */
static int
deliver_job_cmp(const void *a, const void *b)
{
	const struct djob_ref *x = a, *y = b;
	size_t n = x->key->len < y->key->len ? x->key->len : y->key->len;
	int c = memcmp(x->key->data, y->key->data, n);

	if (c != 0)
		return c;
	if (x->key->len != y->key->len)
		return x->key->len < y->key->len ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * DUPLICATES: one copy per final destination per message, also across
 * recipients ("RCPT alice" and "RCPT staff" that includes alice): jobs
 * sorted by "KIND TARGET AS" (a list of 50,000 members costs no more per
 * member than one); each duplicate points at the first of its kind and
 * shares its outcome.
 */
static void
deliver_dedupe(struct djob *jobs, size_t nj)
{
	struct djob_ref *by = xcalloc(nj ? nj : 1, sizeof(*by));
	size_t i, first = 0;

	for (i = 0; i < nj; i++) {
		buf_printf(&jobs[i].key, "%d %s %s", (int)jobs[i].d->kind,
		    jobs[i].d->target, jobs[i].d->runas);
		by[i].key = &jobs[i].key;
		by[i].i = i;
	}
	qsort(by, nj, sizeof(*by), deliver_job_cmp);
	for (i = 0; i < nj; i++) {
		if (i == 0 || by[first].key->len != by[i].key->len ||
		    memcmp(by[first].key->data, by[i].key->data,
		    by[i].key->len) != 0)
			first = i;
		jobs[by[i].i].first = by[first].i;
	}
	free(by);
}

/* One recipient's outcome from its jobs [from, to), logged. */
static void
deliver_collect(const struct spool *sp, struct rcpt *r,
    const struct expansion *x, const struct djob *jobs, size_t from,
    size_t to, const char *session)
{
	struct buf text = BUF_INIT, where = BUF_INIT;
	size_t i, nok = 0, nbad = 0;
	int worst = EX_OK;
	char *worst_dsn = NULL;

	for (i = from; i < to; i++) {
		const struct djob *j = &jobs[i];
		const struct wresult *res = &jobs[j->first].res;
		const char *t = res->text;

		if (j->first != i && res->status == EX_OK)
			t = "duplicate: already delivered for this message";
		buf_reset(&where);
		deliver_where_text(&where, j->d);
		deliver_log(sp, session, j->d->kind == DEST_MAILBOX ?
		    j->d->target : r->addr, r->addr, buf_cstr(&where),
		    res->status, res->dsn, t);
		if (res->status == EX_OK) {
			nok++;
			if (x->n == 1 && x->nfail == 0)
				buf_append_str(&text, t ? t : "");
		} else {
			nbad++;
			if (ex_worse(worst, res->status) != worst ||
			    worst == EX_OK) {
				worst = ex_worse(worst, res->status);
				free(worst_dsn);
				worst_dsn = res->dsn ? xstrdup(res->dsn) : NULL;
				buf_reset(&text);
				buf_printf(&text, "%s %s: %s",
				    dest_kind_name(j->d->kind), j->d->target,
				    t ? t : ex_text(res->status));
			}
		}
	}
	for (i = 0; i < x->nfail; i++) {
		const struct xfail *f = &x->fail[i];

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
	if (x->n == 0 && x->nfail == 0) {
		worst = EX_UNAVAILABLE;
		worst_dsn = xstrdup("5.1.1");
		buf_append_str(&text, "expands to no destination");
	}
	if (worst != EX_OK && nok > 0)
		buf_printf(&text, " (%zu of %zu destinations failed, the "
		    "others got it)", nbad, nbad + nok);
	else if (worst == EX_OK && x->n > 1)
		buf_printf(&text, "delivered to %zu destinations", x->n);
	r->status = worst;
	r->dsn = worst_dsn;
	r->text = buf_steal(&text);
	buf_free(&where);
}

/* One message's deliveries between deliver_start() and deliver_finish(). */
struct dbatch {
	struct spool *sp;
	const char *session;
	struct rcpt *rv;
	size_t	 nr, nj;
	struct expansion *xv;
	size_t	*from;		/* rv[i]'s jobs are from[i] .. from[i + 1] */
	bool	*expanded;
	struct djob *jobs;
	struct wcall *calls;
	struct wbatch wb;
};

/*
 * Start delivering to every recipient: each is checked and expanded in
 * turn, then the final destinations of all of them are started together
 * (in parallel, by worker_batch_start).  deliver_finish() waits for them
 * and logs each recipient's outcome.  The strings and sp stay untouched
 * until then.
 */
struct dbatch *
deliver_start(struct spool *sp, const char *sender, struct rcpt *rv,
    size_t nr, const char *session)
{
	struct dbatch *b = xcalloc(1, sizeof(*b));
	size_t cap = 0, nc = 0, i, k;

	b->sp = sp;
	b->session = session;
	b->rv = rv;
	b->nr = nr;
	b->xv = xcalloc(nr ? nr : 1, sizeof(*b->xv));
	b->from = xcalloc(nr + 1, sizeof(*b->from));
	b->expanded = xcalloc(nr ? nr : 1, sizeof(*b->expanded));
	for (i = 0; i < nr; i++) {
		struct rcpt *r = &rv[i];
		struct expansion *x = &b->xv[i];

		b->from[i] = b->nj;
		if (deliver_refused(sp, r, session))
			continue;
		xio_expand(sp, r, x);
		if (x->tempfail) {
			r->status = EX_TEMPFAIL;
			r->text = xstrdup(buf_cstr(&x->why));
			deliver_log(sp, session, r->addr, NULL, "user=-",
			    r->status, NULL, r->text);
			continue;
		}
		b->expanded[i] = true;
		for (k = 0; k < x->n; k++) {
			if (b->nj == cap) {
				cap = cap ? cap * 2 : 16;
				b->jobs = xreallocarray(b->jobs, cap,
				    sizeof(*b->jobs));
			}
			memset(&b->jobs[b->nj], 0, sizeof(b->jobs[b->nj]));
			b->jobs[b->nj].d = &x->v[k];
			b->jobs[b->nj].rcpt = i;
			b->nj++;
		}
	}
	b->from[nr] = b->nj;
	deliver_dedupe(b->jobs, b->nj);
	/* The jobs no longer move: requests may point into them. */
	b->calls = xcalloc(b->nj ? b->nj : 1, sizeof(*b->calls));
	for (i = 0; i < b->nj; i++) {
		struct djob *j = &b->jobs[i];

		if (j->first != i)
			continue;
		deliver_prepare(sp, sender, &rv[j->rcpt], j);
		if (!j->call)
			continue;
		b->calls[nc].pw = &j->pw;
		b->calls[nc].mailbox = j->op == WOP_MAILBOX;
		b->calls[nc].op = j->op;
		b->calls[nc].fields = j->fv;
		b->calls[nc].nfields = j->nfields;
		nc++;
	}
	worker_batch_start(&b->wb, sp, b->calls, nc);
	return b;
}

/* Wait for b's deliveries: 0 when done, 1 as soon as fd has input. */
int
deliver_wait(struct dbatch *b, int fd)
{
	return worker_batch_wait(&b->wb, fd);
}

/* Wait for b's deliveries, give each recipient its outcome, free b. */
void
deliver_finish(struct dbatch *b)
{
	size_t i, k;

	worker_batch_finish(&b->wb);
	for (i = 0, k = 0; i < b->nj; i++)
		if (b->jobs[i].first == i && b->jobs[i].call)
			b->jobs[i].res = b->calls[k++].res;
	for (i = 0; i < b->nr; i++)
		if (b->expanded[i])
			deliver_collect(b->sp, &b->rv[i], &b->xv[i], b->jobs,
			    b->from[i], b->from[i + 1], b->session);
	for (i = 0; i < b->nj; i++) {
		struct djob *j = &b->jobs[i];

		worker_result_free(&j->res);
		buf_free(&j->key);
		buf_free(&j->fields);
		free(j->fv);
		if (j->have_pw)
			priv_user_free(&j->pw);
	}
	for (i = 0; i < b->nr; i++)
		expansion_free(&b->xv[i]);
	free(b->calls);
	free(b->jobs);
	free(b->xv);
	free(b->from);
	free(b->expanded);
	free(b);
}

void
deliver_rcpts(struct spool *sp, const char *sender, struct rcpt *rv,
    size_t nr, const char *session)
{
	deliver_finish(deliver_start(sp, sender, rv, nr, session));
}
