/* Unit tests for lib/buf.c: growth, binary data, printf, escaping. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"

static void
test_append_binary(void **state)
{
	struct buf b = BUF_INIT;
	const char bin[] = { 'a', '\0', 'b', '\n', '\0' };

	(void)state;
	buf_append(&b, bin, sizeof(bin));
	assert_int_equal(b.len, sizeof(bin));
	assert_memory_equal(b.data, bin, sizeof(bin));
	assert_true(buf_has_nul(&b));
	assert_true(buf_eq(&b, bin, sizeof(bin)));
	assert_false(buf_eq(&b, bin, sizeof(bin) - 1));
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
test_growth(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 100000; i++)
		buf_append_byte(&b, (unsigned char)(i & 0xff));
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	for (i = 0; i < 100000; i++)
		assert_int_equal((unsigned char)b.data[i], i & 0xff);
	buf_free(&b);
}

static void
test_cstr_empty(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(b.len, 0);
	assert_false(buf_has_nul(&b));
	buf_append_str(&b, "abc");
	assert_string_equal(buf_cstr(&b), "abc");
	assert_int_equal(b.len, 3);
	buf_free(&b);
}

static void
test_printf_long(void **state)
{
	struct buf b = BUF_INIT;
	char *big;

	(void)state;
	big = malloc(10001);
	assert_non_null(big);
	memset(big, 'x', 10000);
	big[10000] = '\0';
	buf_printf(&b, "[%s]%d", big, 42);
	assert_int_equal(b.len, 10004);
	assert_int_equal(b.data[0], '[');
	assert_memory_equal(b.data + 10001, "]42", 3);
	buf_setf(&b, "%s-%u", "k", 7u);
	assert_true(buf_eq(&b, "k-7", 3));
	free(big);
	buf_free(&b);
}

/* Each row: input bytes and their printable form. */
static const struct {
	const char *in;
	size_t len;
	const char *out;
} printable_rows[] = {
	{ "plain text", 10, "plain text" },
	{ "a\nb", 3, "a\\x0ab" },
	{ "cr\r", 3, "cr\\x0d" },
	{ "nul\0x", 5, "nul\\x00x" },
	{ "back\\slash", 10, "back\\\\slash" },
	{ "\x7f\xff", 2, "\\x7f\\xff" },
	{ "", 0, "" },
};

static void
test_printable(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(printable_rows) / sizeof(printable_rows[0]);
	    i++) {
		buf_reset(&b);
		buf_append_printable(&b, printable_rows[i].in,
		    printable_rows[i].len);
		assert_string_equal(buf_cstr(&b), printable_rows[i].out);
		assert_null(memchr(b.data, '\n', b.len));
	}
	buf_free(&b);
}

/* Only A-Z change; every other byte, NUL and 8-bit ones too, stays. */
static void
test_lower(void **state)
{
	struct buf b = BUF_INIT;
	char all[256], want[256];

	(void)state;
	for (int c = 0; c < 256; c++) {
		all[c] = (char)c;
		want[c] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	buf_append_str(&b, "x");
	buf_append_lower(&b, all, sizeof(all));
	assert_int_equal(b.len, 1 + sizeof(all));
	assert_int_equal(b.data[0], 'x');
	assert_memory_equal(b.data + 1, want, sizeof(want));
	buf_reset(&b);
	buf_append_lower(&b, "Postmaster+Ext@HOST", 19);
	assert_string_equal(buf_cstr(&b), "postmaster+ext@host");
	buf_free(&b);
}

static void
test_truncate_consume_steal(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	(void)state;
	buf_append_str(&b, "hello world");
	buf_consume(&b, 6);
	assert_true(buf_eq(&b, "world", 5));
	buf_truncate(&b, 3);
	assert_true(buf_eq(&b, "wor", 3));
	buf_consume(&b, 3);
	assert_int_equal(b.len, 0);
	buf_append_str(&b, "xyz");
	s = buf_steal(&b);
	assert_string_equal(s, "xyz");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_binary),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_cstr_empty),
		cmocka_unit_test(test_printf_long),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_lower),
		cmocka_unit_test(test_truncate_consume_steal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
