/*
 * expand_io: the I/O of alias and .forward expansion in mail.local.
 *
 * The engine (aliases/expand.c) asks; this answers:
 *  - aliases: the Berkeley DB map (alias_database), root's, read by the
 *    parent (a hash lookup; the values are split by the engine);
 *  - users: the passwd database, as written and then in lower case;
 *  - .forward: read and parsed by the user's own worker (it has become
 *    the user), which sends back the targets;
 *  - :include: files: read and parsed by the worker of the user whose
 *    rights open it; for the root-owned map, by a short-lived child that
 *    opens the file as root (no capability but CAP_SETUID/CAP_SETGID, so
 *    no DAC override), writes the file's owner, becomes default_user for
 *    good and only then parses.
 *
 * PAYLOAD of a read (worker -> parent): "UID\n" (the file's owner), then
 * one record per target: "KIND LINE LEN\n" and LEN bytes.  The parent
 * checks every record: a known kind, a length within the payload, no
 * NUL; and for an :include: file that the owner is root or the opener.
 * A worker can thus say nothing its user could not write in a file.
 *
 * Diagnostics: unsafe or broken .forward files are logged and skipped
 * (the mail goes to the mailbox); a home directory others can write
 * defers the mail; :include: problems fail the member (see aliases(5)).
 *
 * SECURITY: the parent never opens a user's file; parsing happens only in
 * processes that have dropped to the reader's ids.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/address.h"
#include "lib/config.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/xalloc.h"

#include "aliases/aliases.h"
#include "aliases/expand.h"
#include "forward/forward.h"

#include "mail.local/mail_local.h"

struct xio {
	struct spool *sp;
};

static struct alias_map *xio_map;
static bool xio_map_tried;
static char *xio_map_owner;

/* The alias map, opened once; NULL when there is none. */
static int
xio_map_get(struct alias_map **m, struct buf *why)
{
	struct priv_user u;
	struct buf err = BUF_INIT, pathb = BUF_INIT;
	const char *path;

	if (!xio_map_tried) {
		alias_map_default_path(&pathb);
		path = buf_cstr(&pathb);
		xio_map_tried = true;
		xio_map = alias_map_open(path, &err);
		if (xio_map == NULL && errno != ENOENT) {
			xio_map_tried = false;	/* try again next time */
			buf_printf(why, "alias map %s: %s", path,
			    buf_cstr(&err));
			buf_free(&err);
			buf_free(&pathb);
			return -1;
		}
		buf_reset(&err);
		xio_map_owner = xstrdup("root");
		if (xio_map != NULL && alias_map_owner(xio_map) != 0) {
			if (priv_user_lookup_uid(alias_map_owner(xio_map), &u,
			    &err) == 0) {
				free(xio_map_owner);
				xio_map_owner = xstrdup(u.name);
				priv_user_free(&u);
			} else {
				/* An owner without a name: refuse the map. */
				log_warn("alias map %s: owner uid %lu is not "
				    "a user: map ignored", path,
				    (unsigned long)alias_map_owner(xio_map));
				alias_map_close(xio_map);
				xio_map = NULL;
			}
		}
		buf_free(&err);
	}
	buf_free(&pathb);
	*m = xio_map;
	return 0;
}

static int
xio_alias(void *ctx, const char *name, struct buf *out, struct buf *why)
{
	struct alias_map *m;

	(void)ctx;
	if (xio_map_get(&m, why) < 0)
		return -1;
	if (m == NULL)
		return 0;
	buf_reset(out);
	return alias_map_lookup(m, name, strlen(name), out, why);
}

/* Is local (with or without its extension) an alias?  1, 0 or -1. */
int
xio_is_alias(const char *local, struct buf *why)
{
	struct buf v = BUF_INIT, lower = BUF_INIT;
	size_t base, ext;
	int rc;

	if (!config_bool(CF_alias_expansion))
		return 0;
	buf_append_lower(&lower, local, strlen(local));
	rc = xio_alias(NULL, buf_cstr(&lower), &v, why);
	if (rc == 0 && addr_split_ext(buf_cstr(&lower), lower.len,
	    config_str(CF_recipient_delimiter), &base, &ext)) {
		buf_truncate(&lower, base);
		rc = xio_alias(NULL, buf_cstr(&lower), &v, why);
	}
	buf_free(&v);
	buf_free(&lower);
	return rc;
}

static int
xio_user(void *ctx, const char *name, struct buf *canon, struct buf *why)
{
	struct priv_user u;
	struct buf lower = BUF_INIT, err = BUF_INIT;
	int rc = 0;

	(void)ctx;
	if (ml_user_lookup(name, &u, &err) < 0) {
		if (errno != ENOENT)
			goto fail;
		buf_append_lower(&lower, name, strlen(name));
		buf_reset(&err);
		if (strcmp(buf_cstr(&lower), name) == 0 ||
		    ml_user_lookup(buf_cstr(&lower), &u, &err) < 0) {
			if (lower.len > 0 && strcmp(buf_cstr(&lower), name) != 0 &&
			    errno != ENOENT)
				goto fail;
			buf_printf(why, "no such user");
			rc = EX_NOUSER;
			goto out;
		}
	}
	buf_reset(canon);
	buf_append_str(canon, u.name);
	priv_user_free(&u);
	goto out;
fail:
	buf_printf(why, "%s: user lookup failed: %s", name, buf_cstr(&err));
	rc = EX_TEMPFAIL;
out:
	buf_free(&lower);
	buf_free(&err);
	return rc;
}

/* Serialize targets after the owner line. */
static void
xio_put_targets(struct buf *p, unsigned long owner,
    const struct target_list *tl)
{
	size_t i;

	buf_printf(p, "%lu\n", owner);
	for (i = 0; i < tl->n; i++) {
		buf_printf(p, "%d %lu %zu\n", (int)tl->v[i].kind, tl->v[i].line,
		    tl->v[i].len);
		buf_append(p, tl->v[i].text, tl->v[i].len);
	}
}

/* Check and decode a payload; 0, or -1 when it is malformed. */
static int
xio_get_targets(struct buf *p, unsigned long *owner, struct target_list *tl)
{
	const char *s, *end;
	char *e;

	/* NUL after the bytes: strtoul must stop at the end, not past it. */
	if (p->len == 0 || buf_has_nul(p))
		return -1;
	s = buf_cstr(p);
	end = s + p->len;
	*owner = strtoul(s, &e, 10);
	if (e == s || e >= end || *e != '\n')
		return -1;
	s = e + 1;
	while (s < end) {
		unsigned long kind, line, len;

		kind = strtoul(s, &e, 10);
		if (e == s || *e != ' ' || kind > TGT_INCLUDE)
			return -1;
		line = strtoul(s = e + 1, &e, 10);
		if (e == s || *e != ' ')
			return -1;
		len = strtoul(s = e + 1, &e, 10);
		if (e == s || e >= end || *e != '\n' || len == 0 ||
		    len > (size_t)(end - e - 1))
			return -1;
		s = e + 1;
		if (tl->n == tl->cap) {
			tl->cap = tl->cap ? xmul(tl->cap, 2) : 8;
			tl->v = xreallocarray(tl->v, tl->cap, sizeof(*tl->v));
		}
		tl->v[tl->n].kind = (enum target_kind)kind;
		tl->v[tl->n].text = xmemdup0(s, len);
		tl->v[tl->n].len = len;
		tl->v[tl->n].line = line;
		tl->n++;
		s += len;
	}
	return 0;
}

/*
 * NO-FORWARD CACHE: most users have no .forward, and asking their worker
 * costs a round trip per message.  A home directory whose inode and
 * modification time have not changed since its worker found no forward
 * file still has none (creating one, or renaming one into place, changes
 * the directory's mtime), as long as every forward_path item names a file
 * directly in the home.  Only absence is remembered; a file that exists is
 * read every time.
 */
#define XIO_NOFWD_MAX	8

struct nofwd {
	uid_t	 uid;
	dev_t	 dev;
	ino_t	 ino;
	struct timespec mtime;
};
static struct nofwd nofwd[XIO_NOFWD_MAX];
static size_t nnofwd, nofwd_next;

/* May absence be cached for forward_path? */
static bool
xio_nofwd_ok(void)
{
	const char *item;
	size_t i;

	for (i = 0; (item = config_list_item(CF_forward_path, i)) != NULL; i++)
		if (strncmp(item, "$HOME/", 6) != 0 ||
		    strchr(item + 6, '/') != NULL)
			return false;
	return true;
}

/* Is there a valid "no forward file" entry for pw's home? */
static bool
xio_nofwd_find(const struct priv_user *pw, const struct stat *st)
{
	size_t i;

	for (i = 0; i < nnofwd; i++)
		if (nofwd[i].uid == pw->uid && nofwd[i].dev == st->st_dev &&
		    nofwd[i].ino == st->st_ino &&
		    nofwd[i].mtime.tv_sec == st->st_mtim.tv_sec &&
		    nofwd[i].mtime.tv_nsec == st->st_mtim.tv_nsec)
			return true;
	return false;
}

static void
xio_nofwd_add(const struct priv_user *pw, const struct stat *st)
{
	struct nofwd *n;

	if (nnofwd < XIO_NOFWD_MAX)
		n = &nofwd[nnofwd++];
	else
		n = &nofwd[nofwd_next++ % XIO_NOFWD_MAX];
	n->uid = pw->uid;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->mtime = st->st_mtim;
}

/*
 * FORWARD PROBE: the parent (root, but without CAP_DAC_OVERRIDE or
 * CAP_DAC_READ_SEARCH, so it sees what anybody may see) looks whether a
 * forward file exists at all, through the home opened with the worker's
 * rules (forward_open_home).  Only when that home is usable and every
 * forward_path item is absent is the worker not asked: a process less
 * per message for users without a .forward.  Anything else (a home it
 * cannot search, an unsafe one, a file there, an error) goes to the
 * worker, which decides and says why.  Nothing is read here; only items
 * naming a file directly in the home are probed (xio_nofwd_ok).
 */
static bool
xio_forward_absent(const struct priv_user *pw, const char *ext)
{
	struct buf why = BUF_INIT, rel = BUF_INIT;
	const char *item;
	struct stat st;
	bool absent = true;
	size_t i;
	int homefd;

	if ((homefd = forward_open_home(pw->home, pw->uid, &why)) < 0) {
		absent = errno == ENOENT;	/* no home: the worker's "none" */
		buf_free(&why);
		return absent;
	}
	for (i = 0; absent &&
	    (item = config_list_item(CF_forward_path, i)) != NULL; i++) {
		buf_reset(&why);
		if (!forward_item_path(item, pw->name, ext,
		    config_str(CF_recipient_delimiter), &rel, &why)) {
			absent = why.len == 0;	/* a bad item: the worker logs */
			continue;
		}
		if (fstatat(homefd, buf_cstr(&rel), &st,
		    AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			absent = false;
	}
	(void)close(homefd);
	buf_free(&why);
	buf_free(&rel);
	return absent;
}

static int
xio_forward(void *ctx, const char *user, const char *ext,
    struct target_list *tl, struct buf *src, struct buf *why)
{
	struct stat st;
	bool cache, known;
	struct xio *x = ctx;
	struct priv_user pw;
	struct wresult res;
	const char *f[2];
	unsigned long owner;
	int rc;

	if (config_list_item(CF_forward_path, 0) == NULL)
		return 0;
	if (ml_user_lookup(user, &pw, why) < 0)
		return errno == ENOENT ? 0 : -1;
	/*
	 * stat, not lstat: a hint only; the worker vets the real thing.
	 * Only without an extension: another one may name another file.
	 */
	cache = ext == NULL && xio_nofwd_ok() && stat(pw.home, &st) == 0;
	known = cache && xio_nofwd_find(&pw, &st);
	if (known || (xio_nofwd_ok() && xio_forward_absent(&pw, ext))) {
		if (cache && !known)
			xio_nofwd_add(&pw, &st);
		priv_user_free(&pw);
		return 0;
	}
	f[0] = ext ? ext : "";
	f[1] = config_str(CF_recipient_delimiter);
	/* A plain worker: nothing of the spool's group while parsing. */
	worker_call(&pw, false, x->sp, WOP_READ_FORWARD, f, 2, &res);
	if (res.status != EX_OK) {
		buf_append_str(why, res.text ? res.text : "cannot read "
		    ".forward");
		rc = -1;
	} else if (res.payload.len == 0) {
		if (cache && res.text != NULL && strcmp(res.text, "none") == 0)
			xio_nofwd_add(&pw, &st);
		rc = 0;
	}
	else if (xio_get_targets(&res.payload, &owner, tl) < 0 ||
	    (owner != pw.uid && owner != 0)) {
		buf_printf(why, "bad .forward result from the delivery "
		    "process of %s", user);
		rc = -1;
	} else {
		buf_append_str(src, res.text ? res.text : ".forward");
		rc = 1;
	}
	worker_result_free(&res);
	priv_user_free(&pw);
	return rc;
}

/* Read an :include: file for the root-owned map (see the header). */
static int
xio_include_root(const char *path, struct wresult *res)
{
	struct dresult dr = { EX_TEMPFAIL, NULL, BUF_INIT };
	struct buf out = BUF_INIT, why = BUF_INIT, in = BUF_INIT;
	struct priv_user du;
	int p[2], st;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe2(p, O_CLOEXEC) < 0) {
		res->status = EX_TEMPFAIL;
		res->text = xstrdup(strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		res->status = EX_TEMPFAIL;
		res->text = xstrdup(strerror(errno));
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		/*
		 * Nothing of the parent's but the pipe: not the LMTP
		 * connection (0, 1), not the workers' pipes, not the spool.
		 */
		/* 0 and 1 first: p[1] and null are both above 2. */
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(p[1], 3) < 0)
			_exit(1);
		iox_close_from(4);
		p[1] = 3;
		if (priv_user_lookup(config_str(CF_default_user), &du,
		    &why) < 0) {
			buf_printf(&out, "%d cannot find default_user %s: %s\n",
			    EX_TEMPFAIL, config_str(CF_default_user),
			    buf_cstr(&why));
		} else {
			/* Opened as root, parsed as default_user. */
			xio_serve_include(path, 0, &du, &dr, &in);
			buf_printf(&out, "%d ", dr.status);
			buf_append_printable(&out, dr.text.data, dr.text.len);
			buf_append_byte(&out, '\n');
			buf_append(&out, in.data, in.len);
		}
		(void)iox_write_full(p[1], out.data, out.len);
		_exit(0);
	}
	(void)close(p[1]);
	if (iox_read_all(p[0], &in, (size_t)config_num(CF_include_size_limit) *
	    2 + 65536) < 0)
		buf_reset(&in);
	(void)close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	{
		char *nl = in.len ? memchr(in.data, '\n', in.len) : NULL;
		char *e;
		long code;

		if (nl == NULL || (code = strtol(in.data, &e, 10), *e != ' ')) {
			res->status = EX_TEMPFAIL;
			res->text = xstrdup("the :include: reader failed");
			buf_free(&in);
			return -1;
		}
		res->status = (int)code;
		res->text = xmemdup0(e + 1, (size_t)(nl - e - 1));
		buf_append(&res->payload, nl + 1,
		    in.len - (size_t)(nl + 1 - in.data));
	}
	buf_free(&in);
	buf_free(&out);
	buf_free(&why);
	buf_free(&dr.text);
	return 0;
}

static int
xio_include(void *ctx, const char *opener, const char *path,
    struct target_list *tl, struct buf *owner, struct buf *why)
{
	struct xio *x = ctx;
	struct priv_user pw, ou;
	struct wresult res;
	unsigned long uid;
	uid_t opener_uid = 0;
	int rc;

	if (strcmp(opener, "root") == 0)
		(void)xio_include_root(path, &res);
	else {
		if (priv_user_lookup(opener, &pw, why) < 0)
			return EX_TEMPFAIL;
		opener_uid = pw.uid;
		worker_call(&pw, false, x->sp, WOP_READ_INCLUDE, &path, 1,
		    &res);
		priv_user_free(&pw);
	}
	if (res.status != EX_OK) {
		buf_append_str(why, res.text ? res.text : "cannot read");
		rc = res.status;
	} else if (xio_get_targets(&res.payload, &uid, tl) < 0 ||
	    (uid != 0 && uid != opener_uid)) {
		buf_printf(why, ":include:%s: bad result from its reader",
		    path);
		rc = EX_TEMPFAIL;
	} else if (uid == 0) {
		buf_append_str(owner, "root");
		rc = 0;
	} else if (priv_user_lookup_uid((uid_t)uid, &ou, why) < 0)
		rc = EX_TEMPFAIL;
	else {
		buf_append_str(owner, ou.name);
		priv_user_free(&ou);
		rc = 0;
	}
	worker_result_free(&res);
	return rc;
}

/* Is domain ours: localhost, myhostname, local_domains? */
bool
xio_local_domain(const char *domain)
{
	return config_local_domain(domain, ml_opts.hostname);
}

static bool
xio_local_domain_cb(void *ctx, const char *domain)
{
	(void)ctx;
	return xio_local_domain(domain);
}

/* Expand r into its destinations. */
void
xio_expand(struct spool *sp, const struct rcpt *r, struct expansion *out)
{
	struct xio x = { sp };
	struct alias_map *m;
	struct buf why = BUF_INIT;
	const char *ac = config_str(CF_allow_commands);
	struct expand_ops ops = {
		.ctx = &x,
		.alias = xio_alias,
		.user = xio_user,
		.forward = xio_forward,
		.include = xio_include,
		.local_domain = xio_local_domain_cb,
		.default_user = config_str(CF_default_user),
		.delims = config_str(CF_recipient_delimiter),
		.depth_limit = (unsigned)config_num(CF_expansion_depth_limit),
		.dest_limit = (size_t)config_num(CF_expansion_destination_limit),
		.aliases = config_bool(CF_alias_expansion),
		.commands = strcmp(ac, "no") != 0,
		.user_commands_files = config_bool(CF_user_commands_and_files),
	};

	if (ops.aliases && xio_map_get(&m, &why) < 0) {
		memset(out, 0, sizeof(*out));
		out->tempfail = EX_TEMPFAIL;
		buf_append_str(&out->why, buf_cstr(&why));
		buf_free(&why);
		return;
	}
	/* Set by xio_map_get(); not when alias_expansion = no. */
	ops.map_owner = xio_map_owner != NULL ? xio_map_owner : "root";
	expand_rcpt(&ops, r->local, out);
	buf_free(&why);
}

/* Read an :include: file as self (or root, opener uid 0): see header. */
void
xio_serve_include(const char *path, uid_t opener, const struct priv_user *then,
    struct dresult *res, struct buf *payload)
{
	struct target_list tl = { NULL, 0, 0 };
	struct buf data = BUF_INIT, why = BUF_INIT;
	uid_t owner = (uid_t)-1;
	int fd;

	fd = include_open(path, opener, &owner, &why);
	if (then != NULL) {
		/* Drop to default_user before a byte is parsed. */
		struct buf e = BUF_INIT;

		if (priv_become_user(then, &e) < 0) {
			res->status = EX_TEMPFAIL;
			buf_printf(&res->text, "cannot become %s: %s",
			    then->name, buf_cstr(&e));
			buf_free(&e);
			goto out;
		}
		buf_free(&e);
	}
	if (fd < 0) {
		res->status = EX_TEMPFAIL;
		buf_printf(&res->text, "cannot use :include: file %s", buf_cstr(&why));
		log_warn(":include: file refused: %s", buf_cstr(&why));
		goto out;
	}
	if (forward_read(fd, path, (size_t)config_num(CF_include_size_limit),
	    &data, &why) < 0 || forward_parse(path, data.data, data.len,
	    (size_t)config_num(CF_expansion_destination_limit), &tl,
	    &why) < 0) {
		res->status = EX_DATAERR;
		buf_append_str(&res->text, buf_cstr(&why));
		goto out;
	}
	res->status = EX_OK;
	buf_append_str(&res->text, path);
	xio_put_targets(payload, (unsigned long)owner, &tl);
out:
	if (fd >= 0)
		(void)close(fd);
	target_list_free(&tl);
	buf_free(&data);
	buf_free(&why);
}

/* The worker's side of .forward and :include: reads. */
void
xio_serve_read(int op, const struct priv_user *self, char **f, size_t n,
    struct dresult *res, struct buf *payload)
{
	struct target_list tl = { NULL, 0, 0 };
	struct buf why = BUF_INIT, rel = BUF_INIT, data = BUF_INIT,
	    name = BUF_INIT;
	const char *item;
	size_t i;
	int homefd = -1, fd, rc;
	bool seen = false;	/* a forward file exists, usable or not */

	if (op == WOP_READ_INCLUDE) {
		if (n == 1)
			xio_serve_include(f[0], self->uid, NULL, res, payload);
		return;
	}
	if (n != 2)
		return;
	res->status = EX_OK;
	homefd = forward_open_home(self->home, self->uid, &why);
	if (homefd < 0) {
		if (errno == ENOENT)	/* no home, no .forward */
			goto out;
		res->status = EX_TEMPFAIL;
		res->dsn = "4.7.0";
		buf_printf(&res->text, "unsafe home directory for .forward: "
		    "%s", buf_cstr(&why));
		log_warn("%s: deferring mail for %s: %s", self->home,
		    self->name, buf_cstr(&why));
		goto out;
	}
	for (i = 0; (item = config_list_item(CF_forward_path, i)) != NULL;
	    i++) {
		buf_reset(&why);
		if (!forward_item_path(item, self->name, f[0][0] ? f[0] : NULL,
		    f[1], &rel, &why)) {
			if (why.len > 0)
				log_warn("%s", buf_cstr(&why));
			continue;
		}
		buf_reset(&name);
		buf_printf(&name, "%s/%s", self->home, buf_cstr(&rel));
		buf_reset(&why);
		rc = forward_open(homefd, buf_cstr(&rel), self->uid, &fd, &why);
		if (rc == FWD_NONE)
			continue;
		if (rc == FWD_IGNORED) {
			log_warn("ignoring %s: %s", buf_cstr(&name),
			    buf_cstr(&why));
			seen = true;
			continue;
		}
		if (rc == FWD_TEMP) {
			res->status = EX_TEMPFAIL;
			buf_printf(&res->text, "%s: %s", buf_cstr(&name),
			    buf_cstr(&why));
			goto out;
		}
		buf_reset(&data);
		if (forward_read(fd, buf_cstr(&name),
		    (size_t)config_num(CF_forward_size_limit), &data,
		    &why) < 0 || forward_parse(buf_cstr(&name), data.data,
		    data.len, (size_t)config_num(CF_forward_entry_limit), &tl,
		    &why) < 0) {
			/* Mail is not lost: it goes to the mailbox. */
			log_warn("ignoring %s: %s", buf_cstr(&name),
			    buf_cstr(&why));
			seen = true;
			(void)close(fd);
			target_list_free(&tl);
			break;
		}
		(void)close(fd);
		if (tl.n == 0) {
			log_warn("ignoring %s: no addresses in it",
			    buf_cstr(&name));
			seen = true;
			break;
		}
		buf_append_str(&res->text, buf_cstr(&name));
		xio_put_targets(payload, (unsigned long)self->uid, &tl);
		break;
	}
out:
	/* No file at all (not one ignored): the parent may remember that. */
	if (res->status == EX_OK && payload->len == 0 && !seen)
		buf_setf(&res->text, "none");
	if (homefd >= 0)
		(void)close(homefd);
	target_list_free(&tl);
	buf_free(&why);
	buf_free(&rel);
	buf_free(&data);
	buf_free(&name);
}
