/*
 * addrlist: RFC 5322 address lists (lib/addrlist.h).
 *
 * Input: a header field body from a message a local user submitted
 * (untrusted; unfolded or not).  It is read once, left to right, with the
 * state of one address at a time: its addr-spec bytes so far, whether an
 * angle address or a group is open.  Comments are skipped with their
 * nesting depth counted (bounded by the input), quoted strings and domain
 * literals are kept as written inside addr-specs.
 *
 * Diagnostics: -1 with the reason in why.
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "lib/addrlist.h"

/* Skip a comment starting at s[*i] == '('; false if unterminated. */
static bool
skip_comment(const char *s, size_t len, size_t *i)
{
	size_t depth = 0;

	for (; *i < len; (*i)++) {
		if (s[*i] == '\\') {
			(*i)++;
			continue;
		}
		if (s[*i] == '(')
			depth++;
		else if (s[*i] == ')' && --depth == 0) {
			(*i)++;
			return true;
		}
	}
	return false;
}

/* Copy a quoted string or literal (with its delimiters) into cur. */
static bool
copy_delimited(const char *s, size_t len, size_t *i, char end,
    struct buf *cur)
{
	size_t start = *i;

	for ((*i)++; *i < len; (*i)++) {
		if (s[*i] == '\\' && *i + 1 < len) {
			(*i)++;
			continue;
		}
		if (s[*i] == end) {
			(*i)++;
			buf_append(cur, s + start, *i - start);
			return true;
		}
	}
	return false;
}

/* Hand over the current address, if any; strip a route. */
static int
emit(struct buf *cur, int (*fn)(void *, const char *, size_t), void *arg)
{
	const char *a = cur->data;
	size_t n = cur->len;
	int rc = 0;

	if (n > 0 && a[0] == '@') {
		/*
		 * "@route,@route:local@domain": the route goes, up to the
		 * first ':' outside quoted strings and literals.
		 */
		char in = 0;

		for (size_t i = 0; i < n; i++) {
			if (in != 0) {
				if (a[i] == '\\')
					i++;
				else if (a[i] == in)
					in = 0;
			} else if (a[i] == '"')
				in = '"';
			else if (a[i] == '[')
				in = ']';
			else if (a[i] == ':') {
				a += i + 1;
				n -= i + 1;
				break;
			}
		}
	}
	if (n > 0)
		rc = fn(arg, a, n);
	buf_reset(cur);
	return rc;
}

/* emit, unless the address was two words (see split below). */
static int
emit_checked(struct buf *cur, bool *split, int (*fn)(void *, const char *,
    size_t), void *arg, struct buf *why)
{
	if (*split) {
		*split = false;
		buf_reset(cur);
		buf_append_str(why, "white space inside an address (a name "
		    "needs its <address>)");
		return -1;
	}
	return emit(cur, fn, arg);
}

int
addrlist_parse(const char *s, size_t len,
    int (*fn)(void *, const char *, size_t), void *arg, struct buf *why)
{
	struct buf cur = BUF_INIT;
	bool angle = false, group = false, had_angle = false;
	/*
	 * gap: white space or a comment followed the address bytes so far;
	 * split: two words with only that between them ("john smith", not
	 * "john . smith"), which is a display name without its <address>,
	 * not an address: refused when the address ends without one.
	 */
	bool gap = false, split = false;
	size_t i = 0;
	int rc = 0;

	while (i < len && rc == 0) {
		char c = s[i];

		if (gap && c != ' ' && c != '\t' && c != '\r' && c != '\n' &&
		    c != '(') {
			if (c != '.' && c != '@' && c != ',' && c != ';' &&
			    c != '<' && c != '>' && c != ':' &&
			    cur.data[cur.len - 1] != '.' &&
			    cur.data[cur.len - 1] != '@')
				split = true;
			gap = false;
		}
		switch (c) {
		case '(':
			if (!skip_comment(s, len, &i)) {
				buf_append_str(why, "unterminated comment");
				rc = -1;
			}
			gap = cur.len > 0 && (!had_angle || angle);
			continue;
		case '"':
			if (!copy_delimited(s, len, &i, '"', &cur)) {
				buf_append_str(why, "unterminated quoted string");
				rc = -1;
			}
			continue;
		case '[':
			if (!copy_delimited(s, len, &i, ']', &cur)) {
				buf_append_str(why, "unterminated domain literal");
				rc = -1;
			}
			continue;
		case '<':
			/* What came before was a display name. */
			buf_reset(&cur);
			angle = true;
			had_angle = true;
			split = false;
			break;
		case '>':
			if (angle)
				angle = false;
			break;
		case ':':
			if (angle) {
				buf_append_byte(&cur, ':');	/* route */
			} else if (!group) {
				/* "name:" opens a group: the name goes. */
				buf_reset(&cur);
				group = true;
				split = false;
			}
			break;
		case ';':
			if (angle)
				buf_append_byte(&cur, ';');	/* the parser says */
			else if (group) {
				rc = emit_checked(&cur, &split, fn, arg, why);
				group = false;
				had_angle = false;
			} else {
				/* "a;b" would become the address "ab". */
				buf_append_str(why, "';' outside a group");
				rc = -1;
			}
			break;
		case ',':
			if (angle)
				buf_append_byte(&cur, ',');	/* route */
			else {
				rc = emit_checked(&cur, &split, fn, arg, why);
				had_angle = false;
			}
			break;
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			gap = cur.len > 0 && (!had_angle || angle);
			break;
		default:
			/* Bytes after a closed <...> are not the address. */
			if (!had_angle || angle)
				buf_append_byte(&cur, (unsigned char)c);
			break;
		}
		i++;
	}
	if (rc == 0 && angle) {
		buf_append_str(why, "unterminated angle address");
		rc = -1;
	}
	if (rc == 0)
		rc = emit_checked(&cur, &split, fn, arg, why);
	buf_free(&cur);
	return rc;
}
