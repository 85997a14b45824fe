/*
 * buf: growable byte strings with explicit length.
 *
 * The data may hold any byte, NUL included; len counts the bytes in use.
 * The allocation always keeps room for one more byte so buf_cstr() can add a
 * NUL without growing.  Growth doubles the capacity, with every size checked
 * for overflow (xadd/xmul); allocation failure exits through xalloc.
 *
 * SECURITY: buf_append_printable() is the one way data from outside reaches a
 * log line or a protocol reply: it cannot produce a line break or a control
 * character, so a sender cannot forge log lines or replies.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "lib/buf.h"

/* Make b empty with no allocation. */
void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Release the allocation; b is empty and usable again. */
void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

/* Forget the contents, keep the allocation. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
}

/* Make room for n more bytes plus a NUL. */
void
buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;

	need = xadd(xadd(b->len, n), 1);
	if (need <= b->cap)
		return;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need)
		cap = xmul(cap, 2);
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

/* Append n bytes. */
void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* Append a C string without its NUL. */
void
buf_append_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* Append one byte. */
void
buf_append_byte(struct buf *b, unsigned char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = (char)c;
}

/* Append formatted text; the output is never truncated. */
void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	size_t room;

	buf_reserve(b, 0);
	room = b->cap - b->len;
	va_copy(ap2, ap);
	n = vsnprintf(b->data + b->len, room, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		log_die(EX_SOFTWARE, "vsnprintf failed for format \"%s\"", fmt);
	if ((size_t)n >= room) {
		buf_reserve(b, (size_t)n);
		room = b->cap - b->len;
		n = vsnprintf(b->data + b->len, room, fmt, ap);
		if (n < 0 || (size_t)n >= room)
			log_die(EX_SOFTWARE, "vsnprintf changed its mind");
	}
	b->len += (size_t)n;
}

/* Append formatted text. */
void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* Replace the contents with formatted text. */
void
buf_setf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	b->len = 0;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_append_lower(struct buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;

	buf_reserve(b, n);
	for (size_t i = 0; i < n; i++)
		buf_append_byte(b, s[i] >= 'A' && s[i] <= 'Z' ?
		    (unsigned char)(s[i] - 'A' + 'a') : s[i]);
}

/* Append bytes with everything but printable ASCII escaped. */
void
buf_append_printable(struct buf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	size_t i;

	buf_reserve(b, n);
	for (i = 0; i < n; i++) {
		if (s[i] == '\\') {
			buf_append(b, "\\\\", 2);
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			buf_append_byte(b, s[i]);
		} else {
			char esc[4] = { '\\', 'x', hex[s[i] >> 4],
			    hex[s[i] & 0xf] };

			buf_append(b, esc, sizeof(esc));
		}
	}
}

/* Shorten to len bytes. */
void
buf_truncate(struct buf *b, size_t len)
{
	if (len > b->len)
		log_die(EX_SOFTWARE, "buf_truncate: %zu beyond length %zu",
		    len, b->len);
	b->len = len;
}

/* Remove the first n bytes. */
void
buf_consume(struct buf *b, size_t n)
{
	if (n > b->len)
		log_die(EX_SOFTWARE, "buf_consume: %zu beyond length %zu",
		    n, b->len);
	if (n < b->len)
		memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* The data followed by a NUL; never NULL. */
const char *
buf_cstr(struct buf *b)
{
	buf_reserve(b, 0);
	b->data[b->len] = '\0';
	return b->data;
}

/* Does the data contain a NUL byte? */
bool
buf_has_nul(const struct buf *b)
{
	return b->len > 0 && memchr(b->data, '\0', b->len) != NULL;
}

/* Are the contents exactly these n bytes? */
bool
buf_eq(const struct buf *b, const void *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

/* Hand the allocation to the caller as a C string; b is emptied. */
char *
buf_steal(struct buf *b)
{
	char *p;

	buf_cstr(b);
	p = b->data;
	buf_init(b);
	return p;
}

/* Append an RFC 5322 date-time for t: local time, numeric zone, C names. */
void
buf_append_date(struct buf *b, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;

	if (localtime_r(&t, &tm) == NULL) {
		/* Out of range: the epoch rather than nothing. */
		t = 0;
		if (gmtime_r(&t, &tm) == NULL)
			memset(&tm, 0, sizeof(tm));
	}
	off = tm.tm_gmtoff / 60;
	buf_printf(b, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[(unsigned)tm.tm_wday % 7], tm.tm_mday,
	    months[(unsigned)tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
}
