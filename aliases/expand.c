/*
 * expand: one local recipient to its final destinations.
 *
 * Input: the recipient's local part (from the envelope: untrusted, already
 * syntax-checked), and through the caller's ops the alias map (the map
 * owner's), .forward files (each user's) and :include: files (their
 * owners'), all split by target_split().  The engine walks the tree
 * depth first:
 *
 *	name -> alias (name, then name without +ext) -> its targets
 *	     -> user -> .forward -> its targets, or the user's mailbox
 *
 * LOOP CONTROL: every alias, .forward and :include: being expanded is on a
 * stack; meeting one again on the stack is a loop.  An alias or .forward
 * that reaches itself delivers to the real mailbox of that name when there
 * is such a user (the common "bob: \bob, ..." without the backslash), else
 * the member fails with 5.4.6.  One that was expanded before by another
 * path is not expanded again (its destinations are in already), and final
 * destinations are kept once each, so a diamond of lists costs each list
 * once.  The depth of the tree (expansion_depth_limit) and the number of
 * destinations (expansion_destination_limit) are bounded.
 *
 * DELIVERY RIGHTS: programs, files and forwarding from the alias map run
 * as the map's owner, or default_user when root owns the map; from a
 * .forward as its user; from an :include: file as the file's owner, or
 * default_user when root owns it.  Never root.  :include: files named by
 * the map are opened with the map owner's rights, those named by a
 * .forward with its user's, and those named by an include file with its
 * owner's (the opener's, when root owns it).  root's .forward may name
 * addresses only; user_commands_files = no refuses programs and files in
 * .forward and :include: files; commands = no refuses them everywhere.
 *
 * Diagnostics: failed members in out->fail (sysexits, RFC 3463 code,
 * reason), or out->tempfail with out->why when the whole expansion must
 * be tried again later.
 *
 * SECURITY: no I/O here; the ops decide who reads what.  Nothing from the
 * envelope or a file becomes part of a command: commands are taken whole
 * from the files.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/address.h"
#include "lib/strset.h"
#include "lib/xalloc.h"

#include "aliases/expand.h"

/* One source of targets being expanded. */
struct frame {
	enum xsource src;
	const char *runas;	/* rights of its programs, files, forwards */
	const char *opener;	/* rights to open its :include: files */
	const char *sender;	/* owner-NAME in effect, or NULL */
	const char *local;	/* the name expanded */
	const char *ext;
	const char *via;
	bool	 root_forward;	/* root's .forward: addresses only */
};

struct xstate {
	const struct expand_ops *ops;
	struct expansion *out;
	struct strset dests;	/* final destinations seen */
	struct strset done;	/* aliases, forwards, includes expanded */
	char	**stack;	/* those being expanded now */
	size_t	 depth;
	bool	 full;		/* the destination limit was reached */
};

const char *
dest_kind_name(enum dest_kind k)
{
	switch (k) {
	case DEST_MAILBOX:
		return "mailbox";
	case DEST_FILE:
		return "file";
	case DEST_PROGRAM:
		return "command";
	case DEST_REMOTE:
		return "forward";
	}
	return "?";
}

/* Record a failed member. */
static void
xp_fail(struct xstate *st, const char *what, int status, const char *dsn,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
xp_fail(struct xstate *st, const char *what, int status, const char *dsn,
    const char *fmt, ...)
{
	struct expansion *o = st->out;
	struct buf b = BUF_INIT;
	struct xfail *f;
	va_list ap;

	if (o->nfail == o->failcap) {
		o->failcap = o->failcap ? xmul(o->failcap, 2) : 4;
		o->fail = xreallocarray(o->fail, o->failcap, sizeof(*o->fail));
	}
	f = &o->fail[o->nfail++];
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	f->what = xstrdup(what);
	f->status = status;
	f->dsn = dsn;
	f->why = buf_steal(&b);
}

/* The whole expansion must be tried later. */
static void
xp_tempfail(struct xstate *st, const char *why)
{
	if (st->out->tempfail == 0) {
		st->out->tempfail = EX_TEMPFAIL;
		buf_append_str(&st->out->why, why);
	}
}

/* Add a final destination once. */
static void
xp_dest(struct xstate *st, const struct frame *fr, enum dest_kind kind,
    const char *target, const char *runas)
{
	struct expansion *o = st->out;
	struct buf key = BUF_INIT;
	struct dest *d;

	buf_printf(&key, "%d", (int)kind);
	buf_append(&key, "", 1);
	buf_append_str(&key, target);
	buf_append(&key, "", 1);
	buf_append_str(&key, runas);
	if (!strset_add(&st->dests, key.data, key.len)) {
		buf_free(&key);
		return;
	}
	buf_free(&key);
	if (o->n >= st->ops->dest_limit) {
		if (!st->full)
			xp_fail(st, target, EX_UNAVAILABLE, "5.5.3", "more than "
			    "%zu destinations (expansion_destination_limit)",
			    st->ops->dest_limit);
		st->full = true;
		return;
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? xmul(o->cap, 2) : 4;
		o->v = xreallocarray(o->v, o->cap, sizeof(*o->v));
	}
	d = &o->v[o->n++];
	d->kind = kind;
	d->target = xstrdup(target);
	d->runas = xstrdup(runas);
	d->local = xstrdup(fr->local);
	d->ext = fr->ext ? xstrdup(fr->ext) : NULL;
	d->sender = fr->sender ? xstrdup(fr->sender) : NULL;
	d->via = xstrdup(fr->via);
}

/* Is key on the stack of things being expanded? */
static bool
xp_on_stack(const struct xstate *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->depth; i++)
		if (strcmp(st->stack[i], key) == 0)
			return true;
	return false;
}

static void
xp_push(struct xstate *st, const char *key)
{
	st->stack = xreallocarray(st->stack, st->depth + 1,
	    sizeof(*st->stack));
	st->stack[st->depth++] = xstrdup(key);
}

static void
xp_pop(struct xstate *st)
{
	free(st->stack[--st->depth]);
}

static void xp_local(struct xstate *, const struct frame *, const char *,
    bool);

/* Expand a list of targets from a source. */
static void
xp_targets(struct xstate *st, const struct frame *fr,
    const struct target_list *tl);

/* A user's mailbox, as the end of a loop or for \user. */
static void
xp_mailbox(struct xstate *st, const struct frame *fr, const char *name,
    bool loop)
{
	struct buf canon = BUF_INIT, why = BUF_INIT;
	int rc = st->ops->user(st->ops->ctx, name, &canon, &why);

	if (rc == 0)
		xp_dest(st, fr, DEST_MAILBOX, buf_cstr(&canon),
		    buf_cstr(&canon));
	else if (rc == EX_TEMPFAIL)
		xp_tempfail(st, buf_cstr(&why));
	else if (loop)
		xp_fail(st, name, EX_UNAVAILABLE, "5.4.6", "alias loop: %s "
		    "expands to itself and is not a local user", name);
	else
		xp_fail(st, name, EX_NOUSER, "5.1.1", "%s: no such user",
		    name);
	buf_free(&canon);
	buf_free(&why);
}

/* An alias was found: expand its value. */
static void
xp_alias(struct xstate *st, const struct frame *up, const char *name,
    const char *ext, struct buf *value)
{
	struct buf key = BUF_INIT, owner = BUF_INIT, ov = BUF_INIT,
	    why = BUF_INIT, via = BUF_INIT;
	struct target_list tl = { NULL, 0, 0 };
	const struct expand_ops *ops = st->ops;
	struct frame fr;

	buf_printf(&key, "a:%s", name);
	if (xp_on_stack(st, buf_cstr(&key))) {
		xp_mailbox(st, up, name, true);
		goto out;
	}
	if (!strset_add(&st->done, key.data, key.len))
		goto out;
	buf_printf(&owner, "owner-%s", name);
	switch (ops->alias(ops->ctx, buf_cstr(&owner), &ov, &why)) {
	case -1:
		xp_tempfail(st, buf_cstr(&why));
		goto out;
	case 0:
		buf_reset(&owner);
		break;
	}
	/* The value is the map owner's and bounded by the map. */
	if (target_split(value->data, value->len, 0, (size_t)-1, &tl,
	    &why) < 0) {
		xp_fail(st, name, EX_UNAVAILABLE, "5.3.5", "alias %s: %s",
		    name, buf_cstr(&why));
		goto out;
	}
	buf_printf(&via, "alias %s", name);
	fr = (struct frame){ XS_MAP, strcmp(ops->map_owner, "root") == 0 ?
	    ops->default_user : ops->map_owner, ops->map_owner,
	    owner.len ? buf_cstr(&owner) : up->sender, name, ext,
	    buf_cstr(&via), false };
	xp_push(st, buf_cstr(&key));
	xp_targets(st, &fr, &tl);
	xp_pop(st);
out:
	target_list_free(&tl);
	buf_free(&key);
	buf_free(&owner);
	buf_free(&ov);
	buf_free(&why);
	buf_free(&via);
}

/* A local user: the .forward, else the mailbox. */
static void
xp_user(struct xstate *st, const struct frame *up, const char *user,
    const char *ext)
{
	struct buf key = BUF_INIT, src = BUF_INIT, why = BUF_INIT;
	struct target_list tl = { NULL, 0, 0 };
	const struct expand_ops *ops = st->ops;
	struct frame fr;
	int rc;

	buf_printf(&key, "f:%s", user);
	if (xp_on_stack(st, buf_cstr(&key))) {
		/* Reached itself through its own .forward: the mailbox. */
		xp_dest(st, up, DEST_MAILBOX, user, user);
		goto out;
	}
	if (!strset_add(&st->done, key.data, key.len))
		goto out;
	rc = ops->forward(ops->ctx, user, ext, &tl, &src, &why);
	if (rc < 0) {
		xp_tempfail(st, buf_cstr(&why));
		goto out;
	}
	if (rc == 0) {
		fr = *up;
		fr.local = user;
		fr.ext = ext;
		xp_dest(st, &fr, DEST_MAILBOX, user, user);
		goto out;
	}
	fr = (struct frame){ XS_FORWARD, user, user, up->sender, user, ext,
	    buf_cstr(&src), strcmp(user, "root") == 0 };
	xp_push(st, buf_cstr(&key));
	xp_targets(st, &fr, &tl);
	xp_pop(st);
out:
	target_list_free(&tl);
	buf_free(&key);
	buf_free(&src);
	buf_free(&why);
}

/* A local name: alias, else user (noalias: \user or a loop's end). */
static void
xp_local(struct xstate *st, const struct frame *up, const char *name,
    bool noalias)
{
	const struct expand_ops *ops = st->ops;
	struct buf lower = BUF_INIT, value = BUF_INIT, canon = BUF_INIT,
	    why = BUF_INIT;
	size_t base_len, ext_off;
	char *base = NULL, *ext = NULL;
	int rc;

	if (st->depth >= ops->depth_limit) {
		xp_fail(st, name, EX_UNAVAILABLE, "5.4.6", "%s: more than %u "
		    "levels of aliases, .forward and :include: "
		    "(expansion_depth_limit; a loop?)", name,
		    ops->depth_limit);
		return;
	}
	buf_append_lower(&lower, name, strlen(name));
	if (addr_split_ext(buf_cstr(&lower), lower.len, ops->delims,
	    &base_len, &ext_off)) {
		base = xmemdup0(lower.data, base_len);
		ext = xstrdup(lower.data + ext_off);
	} else
		base = xstrdup(buf_cstr(&lower));
	if (ops->aliases && !noalias) {
		rc = ops->alias(ops->ctx, buf_cstr(&lower), &value, &why);
		if (rc == 0 && ext != NULL)
			rc = ops->alias(ops->ctx, base, &value, &why);
		else if (rc == 1 && ext != NULL) {
			/* user+ext itself is an alias: no extension left. */
			free(ext);
			ext = NULL;
			free(base);
			base = xstrdup(buf_cstr(&lower));
		}
		if (rc < 0) {
			xp_tempfail(st, buf_cstr(&why));
			goto out;
		}
		if (rc == 1) {
			xp_alias(st, up, base, ext, &value);
			goto out;
		}
	}
	/* Not an alias: a user.  The name as written, then lower case. */
	if (ext != NULL) {
		free(base);
		base = xmemdup0(name, base_len);
	} else {
		free(base);
		base = xstrdup(name);
	}
	rc = ops->user(ops->ctx, base, &canon, &why);
	if (rc == EX_TEMPFAIL) {
		xp_tempfail(st, buf_cstr(&why));
		goto out;
	}
	if (rc != 0) {
		xp_fail(st, name, EX_NOUSER, "5.1.1", "%s: %s", name,
		    why.len ? buf_cstr(&why) : "no such user");
		goto out;
	}
	xp_user(st, up, buf_cstr(&canon), ext);
out:
	free(base);
	free(ext);
	buf_free(&lower);
	buf_free(&value);
	buf_free(&canon);
	buf_free(&why);
}

/* An address target: local (expand on) or remote (forward). */
static void
xp_address(struct xstate *st, const struct frame *fr, const struct target *t)
{
	struct addr_parts p;
	struct buf local = BUF_INIT, dom = BUF_INIT, why = BUF_INIT;

	if (addr_split(t->text, t->len, ADDR_F_NO_DOMAIN | ADDR_F_UTF8, &p,
	    &why) < 0 || addr_unquote_local(&local, t->text + p.local_off,
	    p.local_len) < 0 || local.len == 0 || buf_has_nul(&local)) {
		xp_fail(st, t->text, EX_DATAERR, "5.1.3", "%s: not a valid "
		    "address", t->text);
		goto out;
	}
	if (p.domain_len > 0) {
		buf_append(&dom, t->text + p.domain_off, p.domain_len);
		addr_domain_lower(dom.data, dom.len);
		if (!st->ops->local_domain(st->ops->ctx, buf_cstr(&dom))) {
			xp_dest(st, fr, DEST_REMOTE, t->text, fr->runas);
			goto out;
		}
	}
	if (strchr(buf_cstr(&local), '/') != NULL) {
		xp_fail(st, t->text, EX_NOUSER, "5.1.1", "%s: not a local "
		    "user name", t->text);
		goto out;
	}
	xp_local(st, fr, buf_cstr(&local), false);
out:
	buf_free(&local);
	buf_free(&dom);
	buf_free(&why);
}

/* May this source name programs and files? */
static bool
xp_may(struct xstate *st, const struct frame *fr, const struct target *t,
    bool command)
{
	const char *what = command ? "programs" : "files";

	if (fr->src == XS_TOP)
		return false;
	if (fr->root_forward) {
		xp_fail(st, t->text, EX_NOPERM, "5.7.1", "root's .forward may "
		    "not name %s (send root's mail to a person through an "
		    "alias)", what);
		return false;
	}
	if (command && !st->ops->commands) {
		xp_fail(st, t->text, EX_NOPERM, "5.7.1", "delivery to programs "
		    "is turned off (allow_commands = no)");
		return false;
	}
	if ((fr->src == XS_FORWARD || fr->src == XS_INCLUDE) &&
	    !st->ops->user_commands_files) {
		xp_fail(st, t->text, EX_NOPERM, "5.7.1", "%s in .forward and "
		    ":include: files are turned off (user_commands_and_files "
		    "= no)", what);
		return false;
	}
	return true;
}

/* An :include: file. */
static void
xp_include(struct xstate *st, const struct frame *up, const struct target *t)
{
	const struct expand_ops *ops = st->ops;
	struct target_list tl = { NULL, 0, 0 };
	struct buf key = BUF_INIT, owner = BUF_INIT, why = BUF_INIT,
	    via = BUF_INIT;
	struct frame fr;
	int rc;

	if (up->root_forward) {
		xp_fail(st, t->text, EX_NOPERM, "5.7.1", "root's .forward may "
		    "not use :include:");
		return;
	}
	buf_printf(&key, "i:%s", t->text);
	if (xp_on_stack(st, buf_cstr(&key))) {
		xp_fail(st, t->text, EX_UNAVAILABLE, "5.4.6", ":include:%s "
		    "includes itself", t->text);
		goto out;
	}
	if (st->depth >= ops->depth_limit) {
		xp_fail(st, t->text, EX_UNAVAILABLE, "5.4.6", ":include:%s: "
		    "more than %u levels (expansion_depth_limit)", t->text,
		    ops->depth_limit);
		goto out;
	}
	if (!strset_add(&st->done, key.data, key.len))
		goto out;
	rc = ops->include(ops->ctx, up->opener, t->text, &tl, &owner, &why);
	if (rc == EX_TEMPFAIL) {
		xp_tempfail(st, buf_cstr(&why));
		goto out;
	}
	if (rc != 0) {
		xp_fail(st, t->text, rc, "5.3.5", "%s", buf_cstr(&why));
		goto out;
	}
	buf_printf(&via, ":include:%s", t->text);
	fr = *up;
	fr.src = XS_INCLUDE;
	fr.via = buf_cstr(&via);
	if (strcmp(buf_cstr(&owner), "root") == 0)
		fr.runas = ops->default_user;	/* never root */
	else
		fr.runas = fr.opener = buf_cstr(&owner);
	xp_push(st, buf_cstr(&key));
	xp_targets(st, &fr, &tl);
	xp_pop(st);
out:
	target_list_free(&tl);
	buf_free(&key);
	buf_free(&owner);
	buf_free(&why);
	buf_free(&via);
}

static void
xp_targets(struct xstate *st, const struct frame *fr,
    const struct target_list *tl)
{
	size_t i;

	for (i = 0; i < tl->n && st->out->tempfail == 0; i++) {
		const struct target *t = &tl->v[i];

		switch (t->kind) {
		case TGT_ADDRESS:
			xp_address(st, fr, t);
			break;
		case TGT_MAILBOX:
			xp_mailbox(st, fr, t->text, false);
			break;
		case TGT_FILE:
			if (xp_may(st, fr, t, false))
				xp_dest(st, fr, DEST_FILE, t->text, fr->runas);
			break;
		case TGT_PROGRAM:
			if (xp_may(st, fr, t, true))
				xp_dest(st, fr, DEST_PROGRAM, t->text,
				    fr->runas);
			break;
		case TGT_INCLUDE:
			xp_include(st, fr, t);
			break;
		}
	}
}

/* Expand one envelope recipient's local part. */
void
expand_rcpt(const struct expand_ops *ops, const char *local,
    struct expansion *out)
{
	struct frame top = { XS_TOP, NULL, NULL, NULL, local, NULL,
	    "recipient", false };
	struct xstate st;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.ops = ops;
	st.out = out;
	xp_local(&st, &top, local, false);
	while (st.depth > 0)
		xp_pop(&st);
	free(st.stack);
	strset_free(&st.dests);
	strset_free(&st.done);
}

void
expansion_free(struct expansion *x)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		free(x->v[i].target);
		free(x->v[i].runas);
		free(x->v[i].local);
		free(x->v[i].ext);
		free(x->v[i].sender);
		free(x->v[i].via);
	}
	free(x->v);
	for (i = 0; i < x->nfail; i++) {
		free(x->fail[i].what);
		free(x->fail[i].why);
	}
	free(x->fail);
	buf_free(&x->why);
	memset(x, 0, sizeof(*x));
}
