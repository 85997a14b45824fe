/*
 * address: RFC 5321 mailbox syntax.
 *
 * Inputs: addresses from every untrusted source (command lines, headers,
 * SMTP/LMTP commands, aliases, .forward), as pointer and length; any byte
 * may appear, NUL included.  Outputs: yes/no, offsets into the caller's
 * bytes, or bytes appended to a caller's buf.  Diagnostics: a short reason
 * appended to why ("local part longer than 64 bytes").
 *
 * The grammar (RFC 5321 4.1.2, 4.1.3):
 *   Mailbox    = Local-part "@" ( Domain / address-literal )
 *   Local-part = Dot-string / Quoted-string
 *   Dot-string = Atom *("." Atom), Atom = 1*atext
 *   Quoted-string = DQUOTE *(qtextSMTP / "\" %d32-126) DQUOTE
 *   Domain     = sub-domain *("." sub-domain), Let-dig [Ldh-str]
 *   address-literal = "[" IPv4 / "IPv6:" IPv6 / tag ":" dcontent "]"
 * ADDR_F_UTF8 adds RFC 6531's UTF8-non-ascii to atext, qtext and labels.
 *
 * SECURITY: NUL, CR, LF and every other control character are refused in
 * every part, always: they could forge protocol lines, queue records or
 * mbox From_ lines.  Lengths are limited as RFC 5321 4.5.3.1 says.  Nothing
 * is ever read past len.
 */
#include <config.h>

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/address.h"

#define ADDR_MAILBOX_MAX	(ADDR_PATH_MAX - 2)	/* without "<>" */

/* Set the reason when the caller wants one. */
static void
addr_why(struct buf *why, const char *reason)
{
	if (why != NULL)
		buf_append_str(why, reason);
}

/*
 * The length of a valid UTF-8 sequence for a non-ASCII character at s
 * (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), or 0.
 */
static size_t
addr_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (n == 0 || s[0] < 0x80)
		return 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fUL;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fUL;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07UL;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fUL);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Is c an RFC 5322 atext character (ASCII)? */
static bool
addr_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Is s a Dot-string? */
static bool
addr_valid_dotstring(const unsigned char *s, size_t n, int flags)
{
	size_t i = 0, u;
	bool atom_start = true;

	if (n == 0)
		return false;
	while (i < n) {
		if (s[i] == '.') {
			if (atom_start)
				return false;	/* leading or double dot */
			atom_start = true;
			i++;
		} else if (addr_is_atext(s[i])) {
			atom_start = false;
			i++;
		} else if ((flags & ADDR_F_UTF8) &&
		    (u = addr_utf8_len(s + i, n - i)) > 0) {
			atom_start = false;
			i += u;
		} else {
			return false;
		}
	}
	return !atom_start;	/* no trailing dot */
}

/*
 * The length of the Quoted-string at the start of s (both quotes), or 0
 * when there is none that is valid.
 */
static size_t
addr_quoted_len(const unsigned char *s, size_t n, int flags)
{
	size_t i = 1, u;

	if (n < 2 || s[0] != '"')
		return 0;
	while (i < n) {
		unsigned char c = s[i];

		if (c == '"')
			return i + 1;
		if (c == '\\') {
			if (i + 1 >= n || s[i + 1] < 32 || s[i + 1] > 126)
				return 0;
			i += 2;
		} else if (c >= 32 && c <= 126) {
			i++;
		} else if ((flags & ADDR_F_UTF8) &&
		    (u = addr_utf8_len(s + i, n - i)) > 0) {
			i += u;
		} else {
			return 0;
		}
	}
	return 0;
}

/* Is s a valid Local-part? */
bool
valid_localpart(const char *s, size_t n, int flags)
{
	const unsigned char *u = (const unsigned char *)s;

	if (n == 0 || n > ADDR_LOCAL_MAX)
		return false;
	if (u[0] == '"')
		return addr_quoted_len(u, n, flags) == n;
	return addr_valid_dotstring(u, n, flags);
}

/* Is s one sub-domain (label)? */
static bool
addr_valid_label(const unsigned char *s, size_t n, int flags)
{
	size_t i = 0, u;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	while (i < n) {
		unsigned char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-')
			i++;
		else if ((flags & ADDR_F_UTF8) &&
		    (u = addr_utf8_len(s + i, n - i)) > 0)
			i += u;
		else
			return false;
	}
	return true;
}

/* Is s an address-literal "[...]"? */
static bool
addr_valid_literal(const unsigned char *s, size_t n)
{
	char copy[ADDR_DOMAIN_MAX + 1];
	unsigned char bin[16];
	const unsigned char *in = s + 1;
	size_t len = n - 2, i, colon;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']' || len > ADDR_DOMAIN_MAX)
		return false;
	memcpy(copy, in, len);
	copy[len] = '\0';
	if (memchr(copy, '\0', len) != NULL)
		return false;
	if (len > 5 && strncasecmp(copy, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, copy + 5, bin) == 1;
	if (copy[0] >= '0' && copy[0] <= '9')
		return inet_pton(AF_INET, copy, bin) == 1;
	/* General-address-literal: Standardized-tag ":" 1*dcontent */
	for (colon = 0; colon < len && copy[colon] != ':'; colon++)
		;
	if (colon == 0 || colon >= len - 1 ||
	    !addr_valid_label((const unsigned char *)copy, colon, 0))
		return false;
	for (i = colon + 1; i < len; i++) {
		unsigned char c = (unsigned char)copy[i];

		if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']')
			return false;
	}
	return true;
}

/* Domain check with a reason. */
static bool
addr_check_domain(const char *s, size_t n, int flags, struct buf *why)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = 0, i;

	if (n == 0) {
		addr_why(why, "empty domain");
		return false;
	}
	if (n > ADDR_DOMAIN_MAX) {
		addr_why(why, "domain longer than 255 bytes");
		return false;
	}
	if (u[0] == '[') {
		if (!addr_valid_literal(u, n)) {
			addr_why(why, "invalid address literal");
			return false;
		}
		return true;
	}
	for (i = 0; i <= n; i++) {
		if (i < n && u[i] != '.')
			continue;
		if (i == start) {
			addr_why(why, "empty label in domain");
			return false;
		}
		if (!addr_valid_label(u + start, i - start, flags)) {
			addr_why(why, i - start > 63 ?
			    "domain label longer than 63 bytes" :
			    "invalid character in domain");
			return false;
		}
		start = i + 1;
	}
	return true;
}

/* Is s a valid Domain or address-literal? */
bool
valid_domain(const char *s, size_t n, int flags)
{
	return addr_check_domain(s, n, flags, NULL);
}

/* Split a mailbox into local part and domain, checking both. */
int
addr_split(const char *s, size_t n, int flags, struct addr_parts *p,
    struct buf *why)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *at;
	size_t llen;

	memset(p, 0, sizeof(*p));
	if (n == 0) {
		addr_why(why, "empty address");
		return -1;
	}
	if (n > ADDR_MAILBOX_MAX) {
		addr_why(why, "address longer than 254 bytes");
		return -1;
	}
	if (u[0] == '"') {
		llen = addr_quoted_len(u, n, flags);
		if (llen == 0) {
			addr_why(why, "invalid quoted local part");
			return -1;
		}
		if (llen < n && u[llen] != '@') {
			addr_why(why, "text after the quoted local part");
			return -1;
		}
		p->quoted = true;
	} else {
		at = memchr(s, '@', n);
		llen = at != NULL ? (size_t)(at - s) : n;
	}
	if (llen == 0) {
		addr_why(why, "empty local part");
		return -1;
	}
	if (llen > ADDR_LOCAL_MAX) {
		addr_why(why, "local part longer than 64 bytes");
		return -1;
	}
	if (!p->quoted && !addr_valid_dotstring(u, llen, flags)) {
		addr_why(why, "invalid character or dot in local part");
		return -1;
	}
	p->local_off = 0;
	p->local_len = llen;
	if (llen == n) {
		if (!(flags & ADDR_F_NO_DOMAIN)) {
			addr_why(why, "no domain");
			return -1;
		}
		return 0;
	}
	if (!addr_check_domain(s + llen + 1, n - llen - 1, flags, why))
		return -1;
	p->domain_off = llen + 1;
	p->domain_len = n - llen - 1;
	return 0;
}

/* Is s a valid mailbox? */
bool
valid_mailbox(const char *s, size_t n, int flags)
{
	struct addr_parts p;

	return addr_split(s, n, flags, &p, NULL) == 0;
}

/* Split local at the first delimiter after its first byte. */
bool
addr_split_ext(const char *local, size_t len, const char *delims,
    size_t *base_len, size_t *ext_off)
{
	for (size_t i = 1; i < len; i++) {
		if (local[i] != '\0' && strchr(delims, local[i]) != NULL) {
			*base_len = i;
			*ext_off = i + 1;
			return true;
		}
	}
	*base_len = len;
	*ext_off = len;
	return false;
}

/* Append local as a Dot-string when it is one, else as a Quoted-string. */
void
addr_quote_local(struct buf *out, const char *s, size_t n)
{
	if (addr_valid_dotstring((const unsigned char *)s, n, ADDR_F_UTF8)) {
		buf_append(out, s, n);
		return;
	}
	buf_append_byte(out, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_append_byte(out, '\\');
		buf_append_byte(out, (unsigned char)s[i]);
	}
	buf_append_byte(out, '"');
}

/* Append the value of a local part (quotes and escapes removed). */
int
addr_unquote_local(struct buf *out, const char *s, size_t n)
{
	if (!valid_localpart(s, n, ADDR_F_UTF8))
		return -1;
	if (s[0] != '"') {
		buf_append(out, s, n);
		return 0;
	}
	for (size_t i = 1; i < n - 1; i++) {
		if (s[i] == '\\')
			i++;
		buf_append_byte(out, (unsigned char)s[i]);
	}
	return 0;
}

/* Parse "<>", "<mailbox>" or "<@route,...:mailbox>". */
int
addr_parse_path(const char *s, size_t n, int flags, bool allow_null,
    struct buf *out, struct buf *why)
{
	struct addr_parts p;
	size_t i, end;
	const char *stop;

	if (n < 2 || s[0] != '<' || s[n - 1] != '>') {
		addr_why(why, "path not enclosed in <>");
		return -1;
	}
	if (n > ADDR_PATH_MAX) {
		addr_why(why, "path longer than 256 bytes");
		return -1;
	}
	if (n == 2) {
		if (!allow_null) {
			addr_why(why, "null path not allowed here");
			return -1;
		}
		return 0;
	}
	i = 1;
	end = n - 1;
	/* A-d-l: "@" Domain *("," "@" Domain) ":", ignored (RFC 5321 C). */
	if (s[i] == '@') {
		for (;;) {
			size_t d = ++i;

			if (i < end && s[i] == '[') {
				stop = memchr(s + i, ']', end - i);
				i = stop != NULL ? (size_t)(stop - s) + 1 : end;
			}
			while (i < end && s[i] != ',' && s[i] != ':')
				i++;
			if (i >= end || !valid_domain(s + d, i - d, flags)) {
				addr_why(why, "invalid source route");
				return -1;
			}
			if (s[i] == ':')
				break;
			if (i + 1 >= end || s[i + 1] != '@') {
				addr_why(why, "invalid source route");
				return -1;
			}
			i++;
		}
		i++;
	}
	if (addr_split(s + i, end - i, flags, &p, why) < 0)
		return -1;
	buf_append(out, s + i, end - i);
	return 0;
}

/* Lower-case an ASCII domain in place. */
void
addr_domain_lower(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}
