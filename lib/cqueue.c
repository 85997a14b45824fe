/*
 * cqueue: writer and strict reader of the client queue file format
 * (lib/cqueue.h, postern-submit(5)).
 *
 * Input to the reader: a file any local user could have written (it lands
 * in submit/new through the setgid sendmail, but a member of the submit
 * group could write one by hand).  The reader trusts nothing: every length
 * is measured, every record is checked in its order, every field's bytes
 * are checked, limits are enforced, and the first problem is reported
 * with its byte offset.  It holds no privilege (the queue runner calls it
 * in a child running as the unprivileged postern user).
 *
 * Diagnostics: -1 with "offset N: reason" in why.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cqueue.h"
#include "lib/xalloc.h"

static const char *const cq_opt_names[] = {
#define CQ_OPT_NAME(n) #n,
	CQ_OPTS(CQ_OPT_NAME)
#undef CQ_OPT_NAME
};

void
cq_env_init(struct cq_env *e)
{
	memset(e, 0, sizeof(*e));
}

void
cq_env_free(struct cq_env *e)
{
	size_t i;

	free(e->sender);
	for (i = 0; i < e->nrcpts; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	for (i = 0; i < e->nopts; i++) {
		free(e->opt_name[i]);
		free(e->opt_value[i]);
	}
	memset(e, 0, sizeof(*e));
}

/* Printable ASCII or any byte >= 0x80 (UTF-8); no controls, no DEL. */
bool
cq_valid_field(const char *s, size_t len)
{
	size_t i;

	if (len > CQ_FIELD_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

bool
cq_valid_opt(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cq_opt_names) / sizeof(cq_opt_names[0]); i++)
		if (strcmp(name, cq_opt_names[i]) == 0)
			return true;
	return false;
}

int
cq_env_add_rcpt(struct cq_env *e, const char *r, struct buf *why)
{
	if (e->nrcpts >= CQ_RCPT_MAX) {
		buf_printf(why, "too many recipients (the limit is %d)",
		    CQ_RCPT_MAX);
		return -1;
	}
	if (r[0] == '\0' || !cq_valid_field(r, strlen(r))) {
		buf_append_str(why, "a recipient is empty, too long or holds "
		    "control characters");
		return -1;
	}
	e->rcpts = xreallocarray(e->rcpts, e->nrcpts + 1, sizeof(*e->rcpts));
	e->rcpts[e->nrcpts++] = xstrdup(r);
	return 0;
}

int
cq_env_add_opt(struct cq_env *e, const char *name, const char *value,
    struct buf *why)
{
	if (!cq_valid_opt(name) || e->nopts >= CQ_OPT_MAX ||
	    !cq_valid_field(value, strlen(value)) ||
	    strlen(name) + strlen(value) + 1 > CQ_FIELD_MAX) {
		buf_printf(why, "bad option %s", name);
		return -1;
	}
	e->opt_name[e->nopts] = xstrdup(name);
	e->opt_value[e->nopts++] = xstrdup(value);
	return 0;
}

void
cq_format_size(char out[CQ_SIZE_DIGITS + 1], off_t size)
{
	(void)snprintf(out, CQ_SIZE_DIGITS + 1, "%0*lld", CQ_SIZE_DIGITS,
	    (long long)size);
}

void
cq_write_head(struct buf *b)
{
	char digits[CQ_SIZE_DIGITS + 1];

	cq_format_size(digits, 0);
	buf_printf(b, "%sM %s\n", CQ_MAGIC, digits);
}

size_t
cq_size_offset(void)
{
	return sizeof(CQ_MAGIC) - 1 + 2;
}

void
cq_write_tail(struct buf *b, const struct cq_env *e)
{
	size_t i;

	buf_printf(b, "S %s\n", e->sender ? e->sender : "");
	for (i = 0; i < e->nopts; i++)
		buf_printf(b, "O %s=%s\n", e->opt_name[i], e->opt_value[i]);
	for (i = 0; i < e->nrcpts; i++)
		buf_printf(b, "R %s\n", e->rcpts[i]);
	buf_append_str(b, "E\n");
}

/* A parse position over the bytes. */
struct cq_in {
	const char *p;
	size_t	 len, off;
	struct buf *why;
};

static int
cq_fail(struct cq_in *in, const char *reason)
{
	buf_printf(in->why, "offset %zu: %s", in->off, reason);
	return -1;
}

/*
 * The next record "T field\n" (or "T\n" when bare): 0 with the type and
 * field, -1 on any framing error.
 */
static int
cq_record(struct cq_in *in, char *type, const char **field, size_t *flen,
    bool bare)
{
	const char *start = in->p + in->off, *nl;
	size_t avail = in->len - in->off;

	if (avail == 0)
		return cq_fail(in, "the file ends before its end record");
	nl = memchr(start, '\n', avail < CQ_FIELD_MAX + 3 ? avail :
	    CQ_FIELD_MAX + 3);
	if (nl == NULL)
		return cq_fail(in, "a record is not terminated or too long");
	*type = start[0];
	if (bare) {
		if (nl != start + 1)
			return cq_fail(in, "the end record has a field");
		*field = NULL;
		*flen = 0;
	} else {
		if (nl < start + 2 || start[1] != ' ')
			return cq_fail(in, "a record lacks its space");
		*field = start + 2;
		*flen = (size_t)(nl - start - 2);
		if (!cq_valid_field(*field, *flen))
			return cq_fail(in, "a field holds control characters "
			    "or is too long");
	}
	in->off += (size_t)(nl - start) + 1;
	return 0;
}

int
cq_parse(const char *data, size_t len, off_t size_limit, struct cq_env *e,
    struct buf *why)
{
	struct cq_in in = { data, len, 0, why };
	const char *f;
	size_t flen, i;
	char type;
	long long size = 0;

	cq_env_init(e);
	if (len < sizeof(CQ_MAGIC) - 1 ||
	    memcmp(data, CQ_MAGIC, sizeof(CQ_MAGIC) - 1) != 0)
		return cq_fail(&in, "not a postern client queue file "
		    "(version 1)");
	in.off = sizeof(CQ_MAGIC) - 1;
	if (cq_record(&in, &type, &f, &flen, false) < 0)
		goto fail;
	if (type != 'M' || flen != CQ_SIZE_DIGITS) {
		cq_fail(&in, "expected the M record with 16 digits");
		goto fail;
	}
	for (i = 0; i < flen; i++) {
		if (f[i] < '0' || f[i] > '9') {
			cq_fail(&in, "the message size is not a number");
			goto fail;
		}
		size = size * 10 + (f[i] - '0');
		if (size > (long long)size_limit) {
			cq_fail(&in, "the message is larger than the limit");
			goto fail;
		}
	}
	if ((unsigned long long)size > len - in.off) {
		cq_fail(&in, "the message is shorter than its M record says");
		goto fail;
	}
	e->msg_off = (off_t)in.off;
	e->msg_size = (off_t)size;
	in.off += (size_t)size;
	if (cq_record(&in, &type, &f, &flen, false) < 0)
		goto fail;
	if (type != 'S') {
		cq_fail(&in, "expected the S record after the message");
		goto fail;
	}
	e->sender = xmemdup0(f, flen);
	for (;;) {
		if (in.off < len && data[in.off] == 'E') {
			if (cq_record(&in, &type, &f, &flen, true) < 0)
				goto fail;
			break;
		}
		if (cq_record(&in, &type, &f, &flen, false) < 0)
			goto fail;
		if (type == 'O' && e->nrcpts == 0) {
			const char *eq = memchr(f, '=', flen);
			char *name, *value;
			int rc;

			if (eq == NULL) {
				cq_fail(&in, "an O record lacks '='");
				goto fail;
			}
			name = xmemdup0(f, (size_t)(eq - f));
			value = xmemdup0(eq + 1, flen - (size_t)(eq - f) - 1);
			rc = cq_env_add_opt(e, name, value, why);
			free(name);
			free(value);
			if (rc < 0)
				goto fail;
		} else if (type == 'R') {
			char *r = xmemdup0(f, flen);
			int rc = cq_env_add_rcpt(e, r, why);

			free(r);
			if (rc < 0)
				goto fail;
		} else {
			cq_fail(&in, "unexpected record (order is M, S, O, "
			    "R, E)");
			goto fail;
		}
	}
	if (e->nrcpts == 0) {
		cq_fail(&in, "no recipient");
		goto fail;
	}
	if (in.off != len) {
		cq_fail(&in, "data after the end record");
		goto fail;
	}
	return 0;
fail:
	cq_env_free(e);
	return -1;
}
