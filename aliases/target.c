/*
 * target: split an alias value, a .forward file or an :include: file into
 * targets and classify each one (see target.h for the syntax).
 *
 * Input: bytes from an aliases file (the admin's), a .forward or an
 * :include: file (any user's): untrusted.  Nothing is assumed about them:
 * NUL and control characters are refused, quotes must close, every target
 * is checked for its kind's syntax, and the number of targets is bounded
 * by the caller's max.  Lengths are measured here, never trusted.
 *
 * Diagnostics: -1 with "line N: what was expected" in why; the caller
 * puts the file name in front.
 *
 * SECURITY: pure parsing, no I/O.  In mail.local it runs only in processes
 * that have become the file's reader (never root with capabilities).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/address.h"
#include "lib/xalloc.h"

#include "aliases/target.h"

/* The cursor over the input. */
struct tcur {
	const char	*s;
	size_t		 len, off;
	unsigned long	 line;
	int		 flags;
};

static bool
tcur_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Is c a target separator here? */
static bool
tcur_sep(const struct tcur *c, char ch)
{
	return ch == ',' || (ch == '\n' && (c->flags & TGT_F_FILE));
}

/* A byte no target may hold: NUL and controls other than tab/CR/LF. */
static bool
tcur_bad_byte(unsigned char ch)
{
	return (ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') ||
	    ch == 0x7f;
}

const char *
target_kind_name(enum target_kind k)
{
	switch (k) {
	case TGT_ADDRESS:
		return "address";
	case TGT_MAILBOX:
		return "mailbox";
	case TGT_FILE:
		return "file";
	case TGT_PROGRAM:
		return "program";
	case TGT_INCLUDE:
		return "include";
	}
	return "?";
}

/* Skip blanks, separators, newlines and (in files) comment lines. */
static void
tcur_skip(struct tcur *c)
{
	bool bol = c->off == 0 || c->s[c->off - 1] == '\n';

	while (c->off < c->len) {
		char ch = c->s[c->off];

		if (ch == '\n') {
			c->line++;
			c->off++;
			bol = true;
		} else if (tcur_blank(ch) || ch == ',')
			c->off++;
		else if (ch == '#' && bol && (c->flags & TGT_F_FILE)) {
			while (c->off < c->len && c->s[c->off] != '\n')
				c->off++;
		} else
			return;
		if (ch != '\n' && !tcur_blank(ch))
			bol = false;
	}
}

/* Add one target of kind k with text t. */
static void
target_add(struct target_list *l, enum target_kind k, const char *t,
    size_t n, unsigned long line)
{
	struct target *tg;

	if (l->n == l->cap) {
		l->cap = l->cap ? xmul(l->cap, 2) : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	tg = &l->v[l->n++];
	tg->kind = k;
	tg->text = xmemdup0(t, n);
	tg->len = n;
	tg->line = line;
}

/* Trim blanks at both ends of [*p, *p + *n). */
static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && tcur_blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && tcur_blank((*p)[*n - 1]))
		(*n)--;
}

/* Classify one target's text (quotes already removed when quoted). */
static int
target_classify(struct target_list *l, const char *t, size_t n,
    bool was_quoted, unsigned long line, struct buf *why)
{
	const char *a;
	size_t an;

	if (n > 0 && t[0] == '|') {
		a = t + 1;
		an = n - 1;
		trim(&a, &an);
		if (an == 0) {
			buf_printf(why, "line %lu: empty program after '|'",
			    line);
			return -1;
		}
		target_add(l, TGT_PROGRAM, a, an, line);
		return 0;
	}
	if (n > 9 && strncasecmp(t, ":include:", 9) == 0) {
		a = t + 9;
		an = n - 9;
		trim(&a, &an);
		if (an == 0 || a[0] != '/') {
			buf_printf(why, "line %lu: expected an absolute path "
			    "after :include:", line);
			return -1;
		}
		target_add(l, TGT_INCLUDE, a, an, line);
		return 0;
	}
	if (n > 0 && t[0] == '/') {
		if (n == 1) {
			buf_printf(why, "line %lu: '/' is not a file", line);
			return -1;
		}
		target_add(l, TGT_FILE, t, n, line);
		return 0;
	}
	if (n > 0 && t[0] == '\\') {
		a = t + 1;
		an = n - 1;
		if (an == 0 || memchr(a, '@', an) != NULL ||
		    !valid_localpart(a, an, ADDR_F_UTF8)) {
			buf_printf(why, "line %lu: expected a user name after "
			    "'\\'", line);
			return -1;
		}
		target_add(l, TGT_MAILBOX, a, an, line);
		return 0;
	}
	/* An address, possibly "Phrase <addr>" or "<addr>". */
	a = t;
	an = n;
	if (!was_quoted && an > 0 && a[an - 1] == '>') {
		const char *lt = memchr(a, '<', an);

		if (lt == NULL) {
			buf_printf(why, "line %lu: '>' without '<'", line);
			return -1;
		}
		an = (size_t)(a + an - 1 - (lt + 1));
		a = lt + 1;
		trim(&a, &an);
	}
	if (an == 0) {
		buf_printf(why, "line %lu: empty address", line);
		return -1;
	}
	if (memchr(a, '@', an) != NULL ? !valid_mailbox(a, an, ADDR_F_UTF8) :
	    !valid_localpart(a, an, ADDR_F_UTF8)) {
		struct buf shown = BUF_INIT;

		buf_append_printable(&shown, a, an > 200 ? 200 : an);
		buf_printf(why, "line %lu: \"%s\" is not a valid address, "
		    "file, program or :include:", line, buf_cstr(&shown));
		buf_free(&shown);
		return -1;
	}
	target_add(l, TGT_ADDRESS, a, an, line);
	return 0;
}

/*
 * A quoted string at c->off (on the '"'): its unescaped content into out.
 * 0, or -1 when it does not close (on this line, in files).
 */
static int
tcur_quoted(struct tcur *c, struct buf *out, struct buf *why)
{
	unsigned long line = c->line;

	c->off++;
	while (c->off < c->len) {
		char ch = c->s[c->off++];

		if (ch == '"')
			return 0;
		if (ch == '\n') {
			if (c->flags & TGT_F_FILE)
				break;
			c->line++;
			ch = ' ';
		} else if (ch == '\\' && c->off < c->len &&
		    c->s[c->off] != '\n')
			ch = c->s[c->off++];
		buf_append_byte(out, (unsigned char)ch);
	}
	buf_printf(why, "line %lu: unterminated quoted string", line);
	return -1;
}

/* One target starting at c->off. */
static int
tcur_target(struct tcur *c, struct target_list *l, struct buf *why)
{
	struct buf q = BUF_INIT;
	unsigned long line = c->line;
	size_t start = c->off, n;
	const char *t;
	int rc = -1;

	if (c->s[c->off] == '"') {
		size_t after;

		if (tcur_quoted(c, &q, why) < 0)
			goto out;
		after = c->off;
		while (after < c->len && tcur_blank(c->s[after]))
			after++;
		if (after == c->len || tcur_sep(c, c->s[after]) ||
		    c->s[after] == '\n') {
			/* The whole target was quoted. */
			c->off = after;
			if (q.len > 0 && (q.data[0] == '|' || q.data[0] == '/' ||
			    q.data[0] == '\\' || (q.len > 9 &&
			    strncasecmp(q.data, ":include:", 9) == 0)))
				rc = target_classify(l, q.data, q.len, true,
				    line, why);
			else {
				/* "local part" alone: an address. */
				struct buf raw = BUF_INIT;

				addr_quote_local(&raw, q.data, q.len);
				rc = target_classify(l, raw.data, raw.len,
				    true, line, why);
				buf_free(&raw);
			}
			goto out;
		}
		/* "quoted"@domain: read on to the separator. */
	}
	while (c->off < c->len && !tcur_sep(c, c->s[c->off])) {
		char ch = c->s[c->off];

		if (ch == '"') {
			buf_reset(&q);
			if (tcur_quoted(c, &q, why) < 0)
				goto out;
			continue;
		}
		if (ch == '\n')
			c->line++;
		c->off++;
	}
	t = c->s + start;
	n = c->off - start;
	trim(&t, &n);
	if (!(c->flags & TGT_F_FILE) && memchr(t, '\n', n) != NULL) {
		/* Joined continuation lines inside one target: blanks. */
		char *copy = xmemdup0(t, n);

		for (size_t i = 0; i < n; i++)
			if (copy[i] == '\n')
				copy[i] = ' ';
		rc = target_classify(l, copy, n, false, line, why);
		free(copy);
		goto out;
	}
	rc = target_classify(l, t, n, false, line, why);
out:
	buf_free(&q);
	return rc;
}

/* Split s into targets appended to l (see target.h). */
int
target_split(const char *s, size_t len, int flags, size_t max,
    struct target_list *l, struct buf *why)
{
	struct tcur c = { s, len, 0, 1, flags };
	size_t i;

	for (i = 0; i < len; i++) {
		if (tcur_bad_byte((unsigned char)s[i])) {
			unsigned long line = 1;

			for (size_t j = 0; j < i; j++)
				line += s[j] == '\n';
			buf_printf(why, "line %lu: %s byte 0x%02x", line,
			    s[i] == '\0' ? "NUL" : "control",
			    (unsigned char)s[i]);
			return -1;
		}
	}
	for (;;) {
		tcur_skip(&c);
		if (c.off >= c.len)
			return 0;
		if (l->n >= max) {
			buf_printf(why, "line %lu: more than %zu targets",
			    c.line, max);
			return -1;
		}
		if (tcur_target(&c, l, why) < 0)
			return -1;
	}
}

void
target_list_free(struct target_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
