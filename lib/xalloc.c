/*
 * xalloc: allocation that never returns NULL.
 *
 * Callers get memory or the process ends: log_die(EX_TEMPFAIL) names the
 * program and the request size, runs the program's die hook (which removes
 * partial queue files and the like) and exits 75, so whoever called us
 * retries later and nothing half-written is left behind.
 *
 * SECURITY: every multiplication and addition of sizes goes through xmul()
 * and xadd(), so a huge count from outside becomes a clean exit rather than a
 * short allocation.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"

/* Die for an allocation of n bytes that failed or overflowed. */
static _Noreturn void
xalloc_fail(const char *what, size_t n)
{
	log_die(EX_TEMPFAIL, "%s of %zu bytes failed: out of memory", what, n);
}

/* a + b, or die. */
size_t
xadd(size_t a, size_t b)
{
	if (a > SIZE_MAX - b)
		log_die(EX_TEMPFAIL, "size overflow: %zu + %zu", a, b);
	return a + b;
}

/* a * b, or die. */
size_t
xmul(size_t a, size_t b)
{
	if (b != 0 && a > SIZE_MAX / b)
		log_die(EX_TEMPFAIL, "size overflow: %zu * %zu", a, b);
	return a * b;
}

/* malloc that never returns NULL (a request of 0 gets 1 byte). */
void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		xalloc_fail("malloc", n);
	return p;
}

/* Zeroed array of n elements of size sz. */
void *
xcalloc(size_t n, size_t sz)
{
	void *p;

	if ((p = calloc(n ? n : 1, sz ? sz : 1)) == NULL)
		xalloc_fail("calloc", xmul(n, sz));
	return p;
}

/* realloc that never returns NULL. */
void *
xrealloc(void *old, size_t n)
{
	void *p;

	if ((p = realloc(old, n ? n : 1)) == NULL)
		xalloc_fail("realloc", n);
	return p;
}

/* realloc of n elements of size sz, overflow-checked. */
void *
xreallocarray(void *old, size_t n, size_t sz)
{
	return xrealloc(old, xmul(n, sz));
}

/* strdup that never returns NULL. */
char *
xstrdup(const char *s)
{
	return xmemdup0(s, strlen(s));
}

/* Copy n bytes into a new allocation and add a NUL after them. */
char *
xmemdup0(const void *src, size_t n)
{
	char *p;

	p = xmalloc(xadd(n, 1));
	if (n > 0)
		memcpy(p, src, n);
	p[n] = '\0';
	return p;
}
