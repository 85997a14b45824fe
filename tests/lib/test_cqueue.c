/*
 * Unit tests for lib/cqueue.c and lib/addrlist.c: a client queue file
 * written by the writer parses back to the same envelope and message; each
 * framing rule, limit and byte rule of the reader is broken once and must
 * be refused; RFC 5322 address lists give the addresses a reader of the
 * RFC expects.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/addrlist.h"
#include "lib/buf.h"
#include "lib/cqueue.h"

/* A file from the writer's pieces, the size patched in. */
static void
build(struct buf *f, const struct cq_env *e, const char *msg, size_t mlen)
{
	char digits[CQ_SIZE_DIGITS + 1];

	buf_reset(f);
	cq_write_head(f);
	cq_format_size(digits, (off_t)mlen);
	memcpy(f->data + cq_size_offset(), digits, CQ_SIZE_DIGITS);
	buf_append(f, msg, mlen);
	cq_write_tail(f, e);
}

static void
test_roundtrip(void **state)
{
	static const char msg[] = "Subject: x\n\nS fake\nR fake\nE\n\0bin\n";
	struct buf f = BUF_INIT, why = BUF_INIT;
	struct cq_env e, got;

	(void)state;
	cq_env_init(&e);
	e.sender = strdup("a@example.org");
	assert_int_equal(cq_env_add_rcpt(&e, "b@example.org", &why), 0);
	assert_int_equal(cq_env_add_rcpt(&e, "\"q r\"@x", &why), 0);
	assert_int_equal(cq_env_add_opt(&e, "notify", "success,failure",
	    &why), 0);
	build(&f, &e, msg, sizeof(msg) - 1);
	assert_int_equal(cq_parse(f.data, f.len, 1 << 20, &got, &why), 0);
	assert_string_equal(got.sender, "a@example.org");
	assert_int_equal(got.nrcpts, 2);
	assert_string_equal(got.rcpts[1], "\"q r\"@x");
	assert_int_equal(got.nopts, 1);
	assert_string_equal(got.opt_value[0], "success,failure");
	assert_int_equal(got.msg_size, sizeof(msg) - 1);
	assert_memory_equal(f.data + got.msg_off, msg, sizeof(msg) - 1);
	cq_env_free(&got);
	/* The null sender. */
	free(e.sender);
	e.sender = strdup("");
	build(&f, &e, "", 0);
	assert_int_equal(cq_parse(f.data, f.len, 1 << 20, &got, &why), 0);
	assert_string_equal(got.sender, "");
	cq_env_free(&got);
	cq_env_free(&e);
	buf_free(&f);
	buf_free(&why);
}

/* Each of these must be refused. */
static void
test_rejects(void **state)
{
	static const char *bad[] = {
		"",
		"POSTERN-SUBMIT 2\nM 0000000000000000\nS \nR a\nE\n",
		"POSTERN-SUBMIT 1\nM 000000000000000\nS \nR a\nE\n",
		"POSTERN-SUBMIT 1\nM 00000000000000x0\nS \nR a\nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000099\nS \nR a\nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nR a\nS \nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nR a\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nR a\nE\nX\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nR a\nE\n\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nR a\rb\nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nR \nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nR a\nO notify=x\nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nO evil=x\nR a\nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nO notify\nR a\nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS\nR a\nE\n",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nR a\nE",
		"POSTERN-SUBMIT 1\nM 0000000000000000\nS \nRa\nE\n",
	};
	struct buf why = BUF_INIT;
	struct cq_env e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&why);
		if (cq_parse(bad[i], strlen(bad[i]), 1 << 20, &e, &why) == 0)
			fail_msg("accepted bad file %zu", i);
		assert_true(why.len > 0);
	}
	/* A NUL in a field; a message over the limit. */
	static const char nul[] = "POSTERN-SUBMIT 1\nM 0000000000000000\nS a\0b\nR a\nE\n";
	assert_int_equal(cq_parse(nul, sizeof(nul) - 1, 1 << 20, &e, &why), -1);
	static const char big[] = "POSTERN-SUBMIT 1\nM 0000000000000004\nabcdS \nR a\nE\n";
	assert_int_equal(cq_parse(big, sizeof(big) - 1, 3, &e, &why), -1);
	assert_int_equal(cq_parse(big, sizeof(big) - 1, 4, &e, &why), 0);
	cq_env_free(&e);
	buf_free(&why);
}

static void
test_limits(void **state)
{
	struct buf why = BUF_INIT, f = BUF_INIT;
	struct cq_env e, got;
	char field[CQ_FIELD_MAX + 2];

	(void)state;
	cq_env_init(&e);
	e.sender = strdup("s");
	for (int i = 0; i < CQ_RCPT_MAX; i++)
		assert_int_equal(cq_env_add_rcpt(&e, "r", &why), 0);
	assert_int_equal(cq_env_add_rcpt(&e, "r", &why), -1);
	build(&f, &e, "", 0);
	assert_int_equal(cq_parse(f.data, f.len, 10, &got, &why), 0);
	assert_int_equal(got.nrcpts, CQ_RCPT_MAX);
	cq_env_free(&got);
	/* One recipient more, written by hand: the reader refuses. */
	buf_truncate(&f, f.len - 2);
	buf_append_str(&f, "R r\nE\n");
	assert_int_equal(cq_parse(f.data, f.len, 10, &got, &why), -1);
	memset(field, 'x', sizeof(field) - 1);
	field[sizeof(field) - 1] = '\0';
	assert_int_equal(cq_env_add_rcpt(&e, field, &why), -1);
	assert_false(cq_valid_field(field, strlen(field)));
	assert_true(cq_valid_field("caf\xc3\xa9", 5));
	assert_false(cq_valid_field("a\x7f", 2));
	cq_env_free(&e);
	buf_free(&f);
	buf_free(&why);
}

static int
collect(void *arg, const char *a, size_t n)
{
	struct buf *b = arg;

	buf_append(b, a, n);
	buf_append_byte(b, '|');
	return 0;
}

static void
test_addrlist(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "a@b", "a@b|" },
		{ "Bob <bob@example.org>, carol@example.org", "bob@example.org|carol@example.org|" },
		{ "\"Smith, D\" <dave@x>", "dave@x|" },
		{ "undisclosed-recipients:;", "" },
		{ "team: a@x, B <b@x>;, c@x", "a@x|b@x|c@x|" },
		{ "a@x (comment, with (nested) parens)", "a@x|" },
		{ "<@route1,@route2:r@x>", "r@x|" },
		{ "\"quoted local\"@x", "\"quoted local\"@x|" },
		{ "a . b @ x", "a.b@x|" },
		{ ",, a@x ,,", "a@x|" },
		{ "=?UTF-8?Q?J=C3=B6rg?= <j@x>", "j@x|" },
		{ "u@[192.0.2.1]", "u@[192.0.2.1]|" },
		{ "a@x,\n\tb@y", "a@x|b@y|" },
	};
	struct buf out = BUF_INIT, why = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&out);
		assert_int_equal(addrlist_parse(cases[i].in,
		    strlen(cases[i].in), collect, &out, &why), 0);
		assert_string_equal(buf_cstr(&out), cases[i].out);
	}
	assert_int_equal(addrlist_parse("\"open", 5, collect, &out, &why), -1);
	assert_int_equal(addrlist_parse("a (open", 7, collect, &out, &why), -1);
	assert_int_equal(addrlist_parse("<a@x", 4, collect, &out, &why), -1);
	/* Input that would become an address nobody wrote. */
	static const char *const mangled[] = {
		"foo;/sbin/reboot", "a@x; b@y", "john smith", "john smith@x",
		"a (c) b@x", "\"q\" r@x", "a@x y", "<a;b@x>",
	};
	for (size_t i = 0; i < sizeof(mangled) / sizeof(mangled[0]); i++) {
		buf_reset(&out);
		buf_reset(&why);
		if (strchr(mangled[i], '<') != NULL) {
			/* Kept whole: the address parser refuses it later. */
			assert_int_equal(addrlist_parse(mangled[i],
			    strlen(mangled[i]), collect, &out, &why), 0);
			assert_string_equal(buf_cstr(&out), "a;b@x|");
			continue;
		}
		assert_int_equal(addrlist_parse(mangled[i], strlen(mangled[i]),
		    collect, &out, &why), -1);
		assert_true(why.len > 0);
	}
	buf_free(&out);
	buf_free(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_addrlist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
