/*
 * resolve: from a recipient address to the local user who gets the mail.
 *
 * Input: an address from RCPT TO or the command line (untrusted), already
 * syntax-checked by the caller or checked here.  The domain, if any, is not
 * looked at: the MTA that hands mail to mail.local has decided it is local.
 * The local part is unquoted; "user+ext" (recipient_delimiter) resolves to
 * user with the extension kept for the delivery.  The user is looked up as
 * written, then in lower case, as Postfix local(8) does.  A local part
 * that is an alias (with or without its extension) is accepted without a
 * user; deliver.c expands it after DATA (aliases, :include:, .forward).
 *
 * Diagnostics: EX_NOUSER "no such user"; EX_DATAERR for an address that is
 * not one; EX_TEMPFAIL when the passwd lookup itself failed.
 *
 * SECURITY: runs in the root parent but only reads the passwd database.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/address.h"
#include "lib/config.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

/* Look up name, then its lower-case form. */
static int
resolve_user(const char *name, struct rcpt *r, struct buf *why)
{
	struct buf lower = BUF_INIT, err = BUF_INIT;
	int rc;

	if (ml_user_lookup(name, &r->pw, &err) == 0) {
		r->user = xstrdup(name);
		buf_free(&err);
		return EX_OK;
	}
	if (errno != ENOENT)
		goto fail;
	buf_append_lower(&lower, name, strlen(name));
	buf_reset(&err);
	if (strcmp(buf_cstr(&lower), name) != 0 &&
	    ml_user_lookup(buf_cstr(&lower), &r->pw, &err) == 0) {
		r->user = buf_steal(&lower);
		buf_free(&err);
		return EX_OK;
	}
	if (errno != ENOENT)
		goto fail;
	buf_free(&lower);
	buf_free(&err);
	buf_printf(why, "%s: no such user", name);
	return EX_NOUSER;
fail:
	rc = EX_TEMPFAIL;
	buf_printf(why, "%s: user lookup failed: %s", name, buf_cstr(&err));
	buf_free(&lower);
	buf_free(&err);
	return rc;
}

/* Resolve addr ("local" or "local@domain") to a user. */
int
resolve_rcpt(const char *addr, size_t len, struct rcpt *r, struct buf *why)
{
	struct addr_parts parts;
	struct buf local = BUF_INIT;
	const char *delims = config_str(CF_recipient_delimiter);
	size_t base_len, ext_off;
	int rc;

	memset(r, 0, sizeof(*r));
	r->addr = xmemdup0(addr, len);
	if (addr_split(addr, len, ADDR_F_NO_DOMAIN | ADDR_F_UTF8, &parts,
	    why) < 0 || addr_unquote_local(&local, addr + parts.local_off,
	    parts.local_len) < 0) {
		buf_free(&local);
		return EX_DATAERR;
	}
	if (local.len == 0 || buf_has_nul(&local) ||
	    strchr(buf_cstr(&local), '/') != NULL) {
		buf_printf(why, "%s: not a local user name", r->addr);
		buf_free(&local);
		return EX_NOUSER;
	}
	r->local = xstrdup(buf_cstr(&local));
	/* An alias is accepted as it is: expansion comes after DATA. */
	switch (xio_is_alias(r->local, why)) {
	case 1:
		r->alias = true;
		buf_free(&local);
		return EX_OK;
	case -1:
		buf_free(&local);
		return EX_TEMPFAIL;
	}
	if (addr_split_ext(buf_cstr(&local), local.len, delims, &base_len,
	    &ext_off)) {
		r->ext = xstrdup(buf_cstr(&local) + ext_off);
		buf_truncate(&local, base_len);
	}
	rc = resolve_user(buf_cstr(&local), r, why);
	buf_free(&local);
	return rc;
}

void
rcpt_free(struct rcpt *r)
{
	free(r->addr);
	free(r->user);
	free(r->ext);
	free(r->local);
	free(r->dsn);
	free(r->text);
	if (r->pw.name != NULL)
		priv_user_free(&r->pw);
	memset(r, 0, sizeof(*r));
}
