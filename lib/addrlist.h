/*
 * addrlist: the addresses of an RFC 5322 address-list header field body
 * (To:, Cc:, Bcc:, Resent-*): mailboxes ("Name <a@b>", "a@b (comment)"),
 * groups ("undisclosed-recipients:;", "team: a@b, c@d;"), quoted strings,
 * comments (nested), domain literals, route addresses (the route is
 * dropped) and the obsolete forms of RFC 5322 section 4 (white space and
 * comments between the parts of an addr-spec, empty list elements).
 * Display names, encoded words included, are skipped, never decoded.
 */
#ifndef POSTERN_ADDRLIST_H
#define POSTERN_ADDRLIST_H

#include <stddef.h>

#include "lib/buf.h"

/*
 * Call fn for each address (bytes, not NUL-terminated, no white space or
 * comments left) found in s.  fn returns 0 to go on, -1 to stop (then the
 * parse returns -1 too).  0, or -1 with the reason in why for an
 * unterminated quote, comment, literal or angle address, a ';' outside a
 * group, or two words with only white space or a comment between them
 * ("john smith" without <address>): such input would otherwise become an
 * address nobody wrote ("johnsmith").
 */
int	 addrlist_parse(const char *s, size_t len,
	    int (*fn)(void *, const char *, size_t), void *arg,
	    struct buf *why);

#endif
