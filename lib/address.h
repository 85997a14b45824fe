/*
 * address: RFC 5321 mailbox syntax.  Check a mailbox, split it into local
 * part and domain, split "user+ext" with a configurable set of delimiters,
 * quote and unquote local parts, parse an SMTP path "<...>".  All functions
 * take pointer and length; the input may contain any byte.  Nothing here
 * allocates except into a caller's buf.
 */
#ifndef POSTERN_ADDRESS_H
#define POSTERN_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

#define ADDR_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX	256	/* RFC 5321 4.5.3.1.3, with the brackets */

#define ADDR_F_UTF8		0x01	/* allow UTF-8 (RFC 6531) in the local part and domain */
#define ADDR_F_NO_DOMAIN	0x02	/* allow a bare local part ("bob") */

/* A mailbox split into parts; offsets into the caller's bytes. */
struct addr_parts {
	size_t	 local_off, local_len;	/* as written, quotes included */
	size_t	 domain_off, domain_len; /* 0 length: no domain */
	bool	 quoted;		/* the local part is a quoted-string */
};

/* Local-part "@" Domain (or address-literal); flags ADDR_F_*. */
bool	 valid_mailbox(const char *, size_t, int flags);
bool	 valid_localpart(const char *, size_t, int flags);
bool	 valid_domain(const char *, size_t, int flags);
/* 0, or -1 when the syntax is invalid (reason in why when not NULL). */
int	 addr_split(const char *, size_t, int flags, struct addr_parts *,
	    struct buf *why);
/*
 * Split a local part at the first byte that is in delims ("+" by default;
 * Postfix allows several).  base_len receives the length before it, ext_off
 * the offset just after it; returns false (base_len = len) when none.
 */
bool	 addr_split_ext(const char *local, size_t len, const char *delims,
	    size_t *base_len, size_t *ext_off);
/* Append local as a dot-string if it is one, else as a quoted-string. */
void	 addr_quote_local(struct buf *, const char *, size_t);
/* Append the unquoted value of a local part; -1 if it is not valid. */
int	 addr_unquote_local(struct buf *, const char *, size_t);
/*
 * Parse an SMTP path: "<>" (null, only when allow_null), "<mailbox>" or
 * "<@route,@route:mailbox>" (the route is dropped, RFC 5321 C).  The
 * mailbox's bytes are appended to out.  0, or -1 with the reason in why.
 */
int	 addr_parse_path(const char *, size_t, int flags, bool allow_null,
	    struct buf *out, struct buf *why);
/* Lower-case an ASCII domain in place. */
void	 addr_domain_lower(char *, size_t);

#endif
