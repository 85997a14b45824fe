/*
 * xalloc: allocation wrappers that never return NULL.  On failure they log
 * "PROGRAM: out of memory" through log_die(EX_TEMPFAIL), which runs the
 * program's die hook (for example: remove a partial queue file) and exits
 * with 75 so the caller retries later.  Every size computation is checked
 * for overflow here, so call sites do not repeat it.
 */
#ifndef POSTERN_XALLOC_H
#define POSTERN_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
/* Copy n bytes and add a NUL after them (the copy may contain NULs). */
char	*xmemdup0(const void *, size_t);
/* Overflow-checked a + b and a * b; die on overflow. */
size_t	 xadd(size_t, size_t);
size_t	 xmul(size_t, size_t);

#endif
