/*
 * buf: the one growable byte string of postern.  Length travels with the
 * bytes; the data may contain NUL.  buf_cstr() adds a NUL after the data
 * (not counted in len) for the few calls that need a C string, and callers
 * that pass data from outside to such calls must check buf_has_nul() first.
 * Growth is overflow-checked; allocation failure exits via xalloc.
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct buf {
	char	*data;		/* NULL until the first append */
	size_t	 len;		/* bytes in use */
	size_t	 cap;		/* bytes allocated */
};

#define BUF_INIT { NULL, 0, 0 }

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
/* Forget the contents, keep the allocation. */
void	 buf_reset(struct buf *);
/* Make room for n more bytes (plus a NUL). */
void	 buf_reserve(struct buf *, size_t);
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_append_str(struct buf *, const char *);
void	 buf_append_byte(struct buf *, unsigned char);
/* Append printf output; never truncates. */
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Replace the contents with printf output. */
void	 buf_setf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Append bytes for a log line or an error message: printable ASCII as is,
 * backslash as "\\", every other byte as "\xNN".  Nothing from outside can
 * then forge a line break in a log or a reply.
 */
void	 buf_append_printable(struct buf *, const void *, size_t);
/*
 * Append bytes with ASCII capitals made small (the C locale's tolower:
 * user and alias names are matched this way, whatever the locale).
 */
void	 buf_append_lower(struct buf *, const void *, size_t);
/* Shorten to len (len <= b->len). */
void	 buf_truncate(struct buf *, size_t);
/* Remove the first n bytes. */
void	 buf_consume(struct buf *, size_t);
/* The data followed by a NUL; never NULL (an empty string for an empty buf). */
const char *buf_cstr(struct buf *);
bool	 buf_has_nul(const struct buf *);
bool	 buf_eq(const struct buf *, const void *, size_t);
/* Append an RFC 5322 date-time for t (local time, numeric zone). */
void	 buf_append_date(struct buf *, time_t);
/* Give the allocation to the caller as a NUL-terminated string; b is emptied. */
char	*buf_steal(struct buf *);

#endif
