/*
 * verify: sendmail -bv, how each address would be delivered, through the
 * same expansion engine mail.local uses (aliases/expand.c).
 *
 * Input: the addresses of the command line (checked by main.c), the alias
 * map (alias_database, world-readable), and whatever the caller may read:
 * the caller's own .forward, :include: files readable by the caller.
 * Other users' .forward files are private; -bv does not pretend to know
 * them and says so.  Output lines are sendmail's:
 *
 *	alice... deliverable: mailer local, user alice
 *	|/usr/bin/vacation... deliverable: mailer prog, user nobody
 *	/var/log/x... deliverable: mailer *file*, user nobody
 *	bob@example.org... deliverable: mailer relay, host example.org
 *	nosuch... User unknown
 *
 * SECURITY: runs after the submit group was dropped for good, as the
 * caller; it only reads.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/exitcode.h"
#include "lib/priv.h"
#include "lib/xalloc.h"
#include "aliases/aliases.h"
#include "aliases/expand.h"
#include "forward/forward.h"

#include "submit/submit.h"

struct vctx {
	struct submit *s;
	struct alias_map *map;
};

static int
v_alias(void *ctx, const char *name, struct buf *out, struct buf *why)
{
	struct vctx *v = ctx;

	if (v->map == NULL)
		return 0;
	buf_reset(out);
	return alias_map_lookup(v->map, name, strlen(name), out, why);
}

static int
v_user(void *ctx, const char *name, struct buf *canon, struct buf *why)
{
	struct priv_user u;
	struct buf lower = BUF_INIT;
	int rc = 0;

	(void)ctx;
	buf_append_lower(&lower, name, strlen(name));
	if (priv_user_lookup(name, &u, why) < 0 &&
	    priv_user_lookup(buf_cstr(&lower), &u, why) < 0)
		rc = errno == ENOENT ? EX_NOUSER : EX_TEMPFAIL;
	else {
		buf_reset(canon);
		buf_append_str(canon, u.name);
		priv_user_free(&u);
	}
	buf_free(&lower);
	return rc;
}

/* The caller's own .forward only. */
static int
v_forward(void *ctx, const char *user, const char *ext,
    struct target_list *tl, struct buf *src, struct buf *why)
{
	struct vctx *v = ctx;
	struct buf rel = BUF_INIT, data = BUF_INIT, err = BUF_INIT;
	struct priv_user u;
	const char *item;
	int homefd, fd, rc = 0;
	size_t i;

	(void)why;
	if (strcmp(user, v->s->user) != 0 ||
	    priv_user_lookup(user, &u, &err) < 0) {
		buf_free(&err);
		return 0;
	}
	if ((homefd = forward_open_home(u.home, u.uid, &err)) < 0)
		goto out;
	for (i = 0; (item = config_list_item(CF_forward_path, i)) != NULL;
	    i++) {
		if (!forward_item_path(item, user, ext,
		    config_str(CF_recipient_delimiter), &rel, &err) ||
		    forward_open(homefd, buf_cstr(&rel), u.uid, &fd,
		    &err) != FWD_OK)
			continue;
		buf_printf(src, "%s/%s", u.home, buf_cstr(&rel));
		if (forward_read(fd, buf_cstr(src),
		    (size_t)config_num(CF_forward_size_limit), &data,
		    &err) == 0 && forward_parse(buf_cstr(src), data.data,
		    data.len, (size_t)config_num(CF_forward_entry_limit), tl,
		    &err) == 0)
			rc = 1;
		(void)close(fd);
		break;
	}
	(void)close(homefd);
out:
	priv_user_free(&u);
	buf_free(&rel);
	buf_free(&data);
	buf_free(&err);
	return rc;
}

/* :include: files the caller can read, with the engine's rules. */
static int
v_include(void *ctx, const char *opener, const char *path,
    struct target_list *tl, struct buf *owner, struct buf *why)
{
	struct buf data = BUF_INIT;
	struct priv_user u;
	uid_t ouid = 0, file_owner;
	int fd, rc = EX_TEMPFAIL;

	(void)ctx;
	if (strcmp(opener, "root") != 0) {
		if (priv_user_lookup(opener, &u, why) < 0)
			return EX_TEMPFAIL;
		ouid = u.uid;
		priv_user_free(&u);
	}
	if ((fd = include_open(path, ouid, &file_owner, why)) < 0)
		return EX_TEMPFAIL;
	if (forward_read(fd, path, (size_t)config_num(CF_include_size_limit),
	    &data, why) < 0 || forward_parse(path, data.data, data.len,
	    (size_t)config_num(CF_expansion_destination_limit), tl, why) < 0)
		rc = EX_DATAERR;
	else if (file_owner == 0) {
		buf_append_str(owner, "root");
		rc = 0;
	} else if (priv_user_lookup_uid(file_owner, &u, why) == 0) {
		buf_append_str(owner, u.name);
		priv_user_free(&u);
		rc = 0;
	}
	(void)close(fd);
	buf_free(&data);
	return rc;
}

static bool
v_local_domain(void *ctx, const char *domain)
{
	const struct vctx *v = ctx;

	return config_local_domain(domain, v->s->hostname);
}

/* Print one address's expansion; its worst status. */
static int
verify_one(struct vctx *v, const struct expand_ops *ops, const char *a)
{
	struct expansion x;
	struct buf local = BUF_INIT;
	const char *at = strrchr(a, '@');
	size_t i;
	int worst = EX_OK;

	if (at != NULL && !v_local_domain(v, at + 1)) {
		printf("%s... deliverable: mailer relay, host %s\n", a, at + 1);
		return EX_OK;
	}
	buf_append(&local, a, at ? (size_t)(at - a) : strlen(a));
	expand_rcpt(ops, buf_cstr(&local), &x);
	if (x.tempfail) {
		printf("%s... deferred: %s\n", a, buf_cstr(&x.why));
		worst = EX_TEMPFAIL;
	}
	for (i = 0; i < x.n && !x.tempfail; i++) {
		const struct dest *d = &x.v[i];

		switch (d->kind) {
		case DEST_MAILBOX:
			printf("%s... deliverable: mailer local, user %s\n",
			    d->target, d->target);
			break;
		case DEST_PROGRAM:
			printf("|%s... deliverable: mailer prog, user %s\n",
			    d->target, d->runas);
			break;
		case DEST_FILE:
			printf("%s... deliverable: mailer *file*, user %s\n",
			    d->target, d->runas);
			break;
		case DEST_REMOTE:
			printf("%s... deliverable: mailer relay, host %s\n",
			    d->target, strrchr(d->target, '@') + 1);
			break;
		}
	}
	for (i = 0; i < x.nfail && !x.tempfail; i++) {
		if (x.fail[i].status == EX_NOUSER)
			printf("%s... User unknown\n", x.fail[i].what);
		else
			printf("%s... undeliverable: %s (%s)\n",
			    x.fail[i].what, x.fail[i].why, x.fail[i].dsn);
		worst = ex_worse(worst, x.fail[i].status);
	}
	expansion_free(&x);
	buf_free(&local);
	return worst;
}

/* -bv for every recipient; the worst status. */
int
verify_addresses(struct submit *s)
{
	struct vctx v = { s, NULL };
	struct buf why = BUF_INIT;
	struct expand_ops ops = {
		.ctx = &v, .alias = v_alias, .user = v_user,
		.forward = v_forward, .include = v_include,
		.local_domain = v_local_domain,
		.default_user = config_str(CF_default_user),
		.delims = config_str(CF_recipient_delimiter),
		.depth_limit = (unsigned)config_num(CF_expansion_depth_limit),
		.dest_limit = (size_t)config_num(CF_expansion_destination_limit),
		.aliases = config_bool(CF_alias_expansion),
		.commands = strcmp(config_str(CF_allow_commands), "no") != 0,
		.user_commands_files = config_bool(CF_user_commands_and_files),
	};
	struct priv_user u;
	char *owner = NULL;
	int worst = EX_OK;
	size_t i;

	ops.map_owner = "root";
	if (ops.aliases) {
		struct buf path = BUF_INIT;

		alias_map_default_path(&path);
		v.map = alias_map_open(buf_cstr(&path), &why);
		buf_free(&path);
	}
	if (v.map != NULL && alias_map_owner(v.map) != 0 &&
	    priv_user_lookup_uid(alias_map_owner(v.map), &u, &why) == 0) {
		ops.map_owner = owner = xstrdup(u.name);
		priv_user_free(&u);
	}
	for (i = 0; i < s->env.nrcpts; i++)
		worst = ex_worse(worst, verify_one(&v, &ops,
		    s->env.rcpts[i]));
	if (v.map != NULL)
		alias_map_close(v.map);
	free(owner);
	buf_free(&why);
	return worst;
}
