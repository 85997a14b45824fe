/*
 * Fuzz target for sendmail's command line (submit/options.c): the input
 * split at NUL bytes is argv (after "sendmail", at most 64 words).  The
 * parser must return 0, 64 or 65; on 0 every value it kept obeys the byte
 * rules, on an error the reason is there, printable and at most 2 KiB
 * (it goes to the terminal and to syslog).  Nothing may be opened or printed.
 */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/buf.h"
#include "lib/cqueue.h"
#include "lib/xalloc.h"

#include "submit/submit.h"

#define ARGV_MAX	64

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Reached only through submit_add_rcpts, which the parser never calls. */
void
submit_fail(int code, const char *fmt, ...)
{
	(void)fprintf(stderr, "submit_fail(%d, %s) reached\n", code, fmt);
	abort();
}

static void
check_kept(const char *v)
{
	if (v != NULL && !cq_valid_field(v, strlen(v)))
		abort();
}

/* No control characters in a message for the terminal and syslog. */
static bool
printable(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->data[i] < 0x20 ||
		    (unsigned char)b->data[i] == 0x7f)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[ARGV_MAX + 2], *p, *end;
	struct submit s;
	struct submit_opts o = { .mode = 'm' };
	struct buf why = BUF_INIT;
	int argc = 1, rc;

	if (size > 65536)
		return 0;
	copy = xmemdup0(data, size);
	end = copy + size;
	argv[0] = (char *)(uintptr_t)"sendmail";
	for (p = copy; p <= end && argc <= ARGV_MAX; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	memset(&s, 0, sizeof(s));
	cq_env_init(&s.env);
	rc = submit_options(&s, argc, argv, &o, &why);
	if (rc == 0) {
		if (strchr("mpivsq", o.mode) == NULL || o.mode == '\0' ||
		    o.operands < 1 || o.operands > argc || why.len != 0)
			abort();
		check_kept(s.from);
		check_kept(s.fullname);
		rc = submit_operands(&s, argc, argv, &o, &why);
		if (rc == 0) {
			for (size_t i = 0; i < s.env.nrcpts; i++)
				check_kept(s.env.rcpts[i]);
		}
	}
	if (rc != 0 && ((rc != EX_USAGE && rc != EX_DATAERR) || why.len == 0 ||
	    why.len > 2048 || !printable(&why)))
		abort();
	cq_env_free(&s.env);
	buf_free(&why);
	free(copy);
	return 0;
}
