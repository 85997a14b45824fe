/*
 * options: sendmail's command line and recipient operands, parsed into the
 * submission without side effects (nothing is opened, nothing printed),
 * so the same code runs under the fuzz target (tests/fuzz/fuzz_cmdline.c).
 *
 * Input: the caller's argv (untrusted).  Every value is checked for
 * length and for control characters before it is kept: such bytes could
 * forge queue records or mbox From_ lines.
 *
 * Diagnostics: a sysexits code (64 usage, 65 data) and the reason in why;
 * main.c prints it.
 */
#include <config.h>

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/addrlist.h"
#include "lib/address.h"
#include "lib/cqueue.h"
#include "lib/xalloc.h"

#include "submit/submit.h"

int
submit_check_value(const char *what, const char *v, size_t max,
    struct buf *why)
{
	size_t n = strlen(v);

	if (n > max) {
		buf_printf(why, "%s is longer than %zu bytes", what, max);
		return -1;
	}
	if (!cq_valid_field(v, n)) {
		buf_printf(why, "%s contains control characters (CR, LF, "
		    "NUL ...): refused", what);
		return -1;
	}
	return 0;
}

/* How much of a bad address a message quotes (it goes to syslog). */
#define SUBMIT_QUOTE_MAX	256

/* One address from a list: checked, then recorded; -1 stops the list. */
struct rcpt_arg {
	struct submit *s;
	struct buf *why;
};

static int
add_one(void *arg, const char *a, size_t n)
{
	struct rcpt_arg *ra = arg;
	char *copy = xmemdup0(a, n);
	int rc = -1;

	if (!cq_valid_field(copy, n))
		buf_printf(ra->why, "a recipient contains control characters: "
		    "refused");
	else if (!valid_mailbox(copy, n, ADDR_F_UTF8) &&
	    !valid_localpart(copy, n, ADDR_F_UTF8))
		buf_printf(ra->why, "%.*s%s: bad recipient address",
		    n > SUBMIT_QUOTE_MAX ? SUBMIT_QUOTE_MAX : (int)n, copy,
		    n > SUBMIT_QUOTE_MAX ? "..." : "");
	else if (cq_env_add_rcpt(&ra->s->env, copy, ra->why) == 0)
		rc = 0;
	free(copy);
	return rc;
}

int
submit_rcpts(struct submit *s, const char *list, size_t len, struct buf *why)
{
	struct buf inner = BUF_INIT;
	struct rcpt_arg ra = { s, &inner };
	int rc = 0;

	if (addrlist_parse(list, len, add_one, &ra, why) < 0) {
		/* The callback's reason stands alone; the parser's is framed. */
		if (inner.len > 0) {
			buf_reset(why);
			buf_append(why, inner.data, inner.len);
		} else {
			struct buf framed = BUF_INIT;

			buf_printf(&framed, "bad recipient list: %s",
			    buf_cstr(why));
			buf_reset(why);
			buf_append(why, framed.data, framed.len);
			buf_free(&framed);
		}
		rc = -1;
	}
	buf_free(&inner);
	return rc;
}

void
submit_add_rcpts(struct submit *s, const char *list, size_t len)
{
	struct buf why = BUF_INIT;

	if (submit_rcpts(s, list, len, &why) < 0)
		submit_fail(EX_DATAERR, "%s", buf_cstr(&why));
	buf_free(&why);
}

/* check VALUE: keep going, or leave with 65 and the reason. */
#define CHECK(what, v, max) do {					\
	if (submit_check_value((what), (v), (max), why) < 0)		\
		return EX_DATAERR;					\
} while (0)

int
submit_options(struct submit *s, int argc, char **argv,
    struct submit_opts *o, struct buf *why)
{
	int ch;

	opterr = 0;
	optind = 0;	/* glibc: start afresh (the fuzz target calls us often) */
	while ((ch = getopt(argc, argv,
	    "+A:B:b:C:D:d:F:f:GL:h:iN:nO:o:p:q::R:r:tUV:vX:")) != -1) {
		switch (ch) {
		case 'b':
			if (optarg[0] == '\0' || optarg[1] != '\0' ||
			    strchr("mpivs", optarg[0]) == NULL) {
				CHECK("-b", optarg, 64);
				buf_printf(why, "-b%s: mode not supported "
				    "(postern knows -bm, -bp, -bi, -bv, -bs)",
				    optarg);
				return EX_USAGE;
			}
			o->mode = optarg[0];
			break;
		case 't':
			s->extract = true;
			break;
		case 'i':
			s->ignore_dots = true;
			break;
		case 'f':
		case 'r':
			CHECK("the sender (-f)", optarg, CQ_FIELD_MAX);
			s->from = optarg;
			break;
		case 'F':
			CHECK("the full name (-F)", optarg, SUBMIT_FULLNAME_MAX);
			s->fullname = optarg;
			break;
		case 'N':
			CHECK("-N", optarg, 64);
			(void)cq_env_add_opt(&s->env, "notify", optarg, why);
			break;
		case 'R':
			CHECK("-R", optarg, 16);
			(void)cq_env_add_opt(&s->env, "ret", optarg, why);
			break;
		case 'V':
			CHECK("-V", optarg, 100);
			(void)cq_env_add_opt(&s->env, "envid", optarg, why);
			break;
		case 'B':
			CHECK("-B", optarg, 16);
			(void)cq_env_add_opt(&s->env, "body", optarg, why);
			break;
		case 'L':
			CHECK("-L", optarg, 64);
			break;
		case 'o':
			/* -oi; -oe*, -od*, -om and others are ignored. */
			if (optarg[0] == 'i' && optarg[1] == '\0')
				s->ignore_dots = true;
			else if (optarg[0] == 'Q' || optarg[0] == 'A')
				o->root_only = true;	/* queue dir, aliases */
			CHECK("-o", optarg, CQ_FIELD_MAX);
			break;
		case 'O':
			CHECK("-O", optarg, CQ_FIELD_MAX);
			if (strncasecmp(optarg, "QueueDirectory", 14) == 0 ||
			    strncasecmp(optarg, "AliasFile", 9) == 0)
				o->root_only = true;
			else if (strcasecmp(optarg, "IgnoreDots") == 0 ||
			    strcasecmp(optarg, "IgnoreDots=true") == 0)
				s->ignore_dots = true;
			break;
		case 'C':
			o->conf = optarg;
			o->root_only = true;
			break;
		case 'X':
		case 'D':
			o->root_only = true;
			break;
		case 'q':
			o->mode = 'q';
			break;
		case 'A': case 'd': case 'G': case 'h': case 'n': case 'p':
		case 'U': case 'v':
			break;	/* accepted, ignored: see sendmail(8) */
		default:
			if (optopt > ' ' && optopt < 127)
				buf_printf(why, "unknown option -%c", optopt);
			else
				buf_printf(why, "unknown option (byte %d)",
				    optopt & 0xff);
			o->usage = true;
			return EX_USAGE;
		}
	}
	/* The options' own complaints (a bad -N keyword) are not fatal. */
	buf_reset(why);
	o->operands = optind;
	return 0;
}

int
submit_operands(struct submit *s, int argc, char **argv,
    const struct submit_opts *o, struct buf *why)
{
	for (int i = o->operands; i < argc; i++) {
		if (submit_check_value("a recipient", argv[i], 65536, why) < 0)
			return EX_DATAERR;
		if (submit_rcpts(s, argv[i], strlen(argv[i]), why) < 0)
			return EX_DATAERR;
	}
	return 0;
}
