/* Unit tests for lib/address.c: table-driven over the RFC 5321 grammar. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/address.h"

#define S(x)	x, sizeof(x) - 1

static const struct {
	const char	*s;
	size_t		 n;
	int		 flags;
	bool		 ok;
	const char	*why;		/* reason when not ok, or NULL */
} mailbox_rows[] = {
	{ S("bob@example.org"), 0, true, NULL },
	{ S("first.last@sub.example.org"), 0, true, NULL },
	{ S("a+b-c_d!#$%&'*/=?^`{|}~@x.y"), 0, true, NULL },
	{ S("\"john doe\"@example.org"), 0, true, NULL },
	{ S("\"a\\\"b\"@example.org"), 0, true, NULL },
	{ S("\"\"@example.org"), 0, true, NULL },
	{ S("bob@[192.0.2.1]"), 0, true, NULL },
	{ S("bob@[IPv6:2001:db8::1]"), 0, true, NULL },
	{ S("bob@[x-tag:abc]"), 0, true, NULL },
	{ S("bob"), 0, false, "no domain" },
	{ S("bob"), ADDR_F_NO_DOMAIN, true, NULL },
	{ S("@example.org"), 0, false, "empty local part" },
	{ S("bob@"), 0, false, "empty domain" },
	{ S(".bob@x.y"), 0, false, "invalid character or dot in local part" },
	{ S("bob.@x.y"), 0, false, "invalid character or dot in local part" },
	{ S("a..b@x.y"), 0, false, "invalid character or dot in local part" },
	{ S("a b@x.y"), 0, false, "invalid character or dot in local part" },
	{ S("a\nb@x.y"), 0, false, "invalid character or dot in local part" },
	{ S("a\0b@x.y"), 0, false, "invalid character or dot in local part" },
	{ S("\"a\nb\"@x.y"), 0, false, "invalid quoted local part" },
	{ S("\"ab@x.y"), 0, false, "invalid quoted local part" },
	{ S("\"ab\"x@x.y"), 0, false, "text after the quoted local part" },
	{ S("bob@x..y"), 0, false, "empty label in domain" },
	{ S("bob@x.y."), 0, false, "empty label in domain" },
	{ S("bob@-x.y"), 0, false, "invalid character in domain" },
	{ S("bob@x_y.z"), 0, false, "invalid character in domain" },
	{ S("bob@x.y\r"), 0, false, "invalid character in domain" },
	{ S("bob@[300.0.0.1]"), 0, false, "invalid address literal" },
	{ S("bob@[IPv6:zz::1]"), 0, false, "invalid address literal" },
	{ S("bob@[192.0.2.1"), 0, false, "invalid address literal" },
	{ S("j\xc3\xb6rg@b\xc3\xbc" "cher.example"), 0, false, NULL },
	{ S("j\xc3\xb6rg@b\xc3\xbc" "cher.example"), ADDR_F_UTF8, true, NULL },
	{ S("j\xc3rg@x.y"), ADDR_F_UTF8, false, NULL },
	{ S("j\xed\xa0\x80@x.y"), ADDR_F_UTF8, false, NULL },	/* surrogate */
	{ S("j\xc0\xaf@x.y"), ADDR_F_UTF8, false, NULL },	/* overlong */
	{ S("foo;/sbin/reboot@x.y"), 0, false, NULL },
	{ S("\"|/bin/sh\"@localhost"), 0, true, NULL },
	/* Valid syntax: option injection is stopped by "--" in argv, not here. */
	{ S("-oQ/tmp"), ADDR_F_NO_DOMAIN, true, NULL },
};

static void
test_mailbox_table(void **state)
{
	struct addr_parts p;
	struct buf why = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(mailbox_rows) / sizeof(mailbox_rows[0]);
	    i++) {
		int rc;

		buf_reset(&why);
		rc = addr_split(mailbox_rows[i].s, mailbox_rows[i].n,
		    mailbox_rows[i].flags, &p, &why);
		if ((rc == 0) != mailbox_rows[i].ok)
			fail_msg("row %zu \"%s\": rc %d (%s)", i,
			    mailbox_rows[i].s, rc, buf_cstr(&why));
		assert_int_equal(valid_mailbox(mailbox_rows[i].s,
		    mailbox_rows[i].n, mailbox_rows[i].flags),
		    mailbox_rows[i].ok);
		if (mailbox_rows[i].why != NULL)
			assert_string_equal(buf_cstr(&why), mailbox_rows[i].why);
	}
	buf_free(&why);
}

static void
test_split_offsets(void **state)
{
	struct addr_parts p;
	const char q[] = "\"a@b\"@Example.ORG";
	char dom[] = "Example.ORG";

	(void)state;
	assert_int_equal(addr_split(S("bob@example.org"), 0, &p, NULL), 0);
	assert_int_equal(p.local_len, 3);
	assert_int_equal(p.domain_off, 4);
	assert_int_equal(p.domain_len, 11);
	assert_false(p.quoted);
	/* An "@" inside quotes belongs to the local part. */
	assert_int_equal(addr_split(q, sizeof(q) - 1, 0, &p, NULL), 0);
	assert_true(p.quoted);
	assert_int_equal(p.local_len, 5);
	assert_memory_equal(q + p.domain_off, "Example.ORG", 11);
	addr_domain_lower(dom, strlen(dom));
	assert_string_equal(dom, "example.org");
}

static void
test_lengths(void **state)
{
	char local[ADDR_LOCAL_MAX + 2 + 10];
	char label[70];
	struct buf b = BUF_INIT, why = BUF_INIT;
	struct addr_parts p;

	(void)state;
	memset(local, 'a', sizeof(local));
	assert_true(valid_localpart(local, 64, 0));
	assert_false(valid_localpart(local, 65, 0));
	buf_append(&b, local, 65);
	buf_append_str(&b, "@x.y");
	assert_int_equal(addr_split(b.data, b.len, 0, &p, &why), -1);
	assert_string_equal(buf_cstr(&why), "local part longer than 64 bytes");
	memset(label, 'b', sizeof(label));
	assert_true(valid_domain(label, 63, 0));
	assert_false(valid_domain(label, 64, 0));
	/* 254 bytes at most for a whole mailbox. */
	buf_reset(&b);
	buf_append(&b, local, 60);
	buf_append_byte(&b, '@');
	while (b.len < 252) {
		buf_append(&b, label, 20);
		buf_append_byte(&b, '.');
	}
	buf_append_str(&b, "org");
	buf_reset(&why);
	assert_int_equal(addr_split(b.data, b.len, 0, &p, &why), -1);
	assert_string_equal(buf_cstr(&why), "address longer than 254 bytes");
	buf_free(&b);
	buf_free(&why);
}

static const struct {
	const char	*local;
	const char	*delims;
	bool		 split;
	size_t		 base;
	const char	*ext;
} ext_rows[] = {
	{ "user+ext", "+", true, 4, "ext" },
	{ "user+a+b", "+", true, 4, "a+b" },
	{ "user-ext", "+-", true, 4, "ext" },
	{ "user+", "+", true, 4, "" },
	{ "+user", "+", false, 5, "" },
	{ "user", "+", false, 4, "" },
	{ "user+ext", "", false, 8, "" },
	{ "u", "+", false, 1, "" },
};

static void
test_split_ext(void **state)
{
	size_t base, ext;

	(void)state;
	for (size_t i = 0; i < sizeof(ext_rows) / sizeof(ext_rows[0]); i++) {
		const char *l = ext_rows[i].local;
		bool r = addr_split_ext(l, strlen(l), ext_rows[i].delims,
		    &base, &ext);

		assert_int_equal(r, ext_rows[i].split);
		assert_int_equal(base, ext_rows[i].base);
		if (r)
			assert_string_equal(l + ext, ext_rows[i].ext);
	}
}

static const struct {
	const char	*value;
	const char	*quoted;
} quote_rows[] = {
	{ "bob", "bob" },
	{ "first.last", "first.last" },
	{ "john doe", "\"john doe\"" },
	{ "a\"b", "\"a\\\"b\"" },
	{ "back\\slash", "\"back\\\\slash\"" },
	{ ".dot", "\".dot\"" },
	{ "", "\"\"" },
	{ "a@b", "\"a@b\"" },
};

static void
test_quote_roundtrip(void **state)
{
	struct buf q = BUF_INIT, v = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(quote_rows) / sizeof(quote_rows[0]); i++) {
		const char *val = quote_rows[i].value;

		buf_reset(&q);
		buf_reset(&v);
		addr_quote_local(&q, val, strlen(val));
		assert_string_equal(buf_cstr(&q), quote_rows[i].quoted);
		assert_true(valid_localpart(q.data, q.len, 0));
		assert_int_equal(addr_unquote_local(&v, q.data, q.len), 0);
		assert_string_equal(buf_cstr(&v), val);
	}
	assert_int_equal(addr_unquote_local(&v, S("a..b")), -1);
	buf_free(&q);
	buf_free(&v);
}

static const struct {
	const char	*s;
	size_t		 n;
	bool		 allow_null;
	int		 rc;
	const char	*out;
} path_rows[] = {
	{ S("<bob@x.y>"), false, 0, "bob@x.y" },
	{ S("<>"), true, 0, "" },
	{ S("<>"), false, -1, NULL },
	{ S("<@a.b,@c.d:bob@x.y>"), false, 0, "bob@x.y" },
	{ S("<@[192.0.2.1]:bob@x.y>"), false, 0, "bob@x.y" },
	{ S("<@a.b:bob@x.y"), false, -1, NULL },
	{ S("bob@x.y"), false, -1, NULL },
	{ S("<bob@x.y> "), false, -1, NULL },
	{ S("< bob@x.y>"), false, -1, NULL },
	{ S("<@a..b:bob@x.y>"), false, -1, NULL },
	{ S("<@a.b,c.d:bob@x.y>"), false, -1, NULL },
	{ S("<\"a b\"@x.y>"), false, 0, "\"a b\"@x.y" },
};

static void
test_parse_path(void **state)
{
	struct buf out = BUF_INIT, why = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(path_rows) / sizeof(path_rows[0]); i++) {
		int rc;

		buf_reset(&out);
		buf_reset(&why);
		rc = addr_parse_path(path_rows[i].s, path_rows[i].n, 0,
		    path_rows[i].allow_null, &out, &why);
		if (rc != path_rows[i].rc)
			fail_msg("row %zu %s: rc %d (%s)", i, path_rows[i].s,
			    rc, buf_cstr(&why));
		if (rc == 0)
			assert_string_equal(buf_cstr(&out), path_rows[i].out);
		else
			assert_true(why.len > 0);
	}
	buf_free(&out);
	buf_free(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mailbox_table),
		cmocka_unit_test(test_split_offsets),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_split_ext),
		cmocka_unit_test(test_quote_roundtrip),
		cmocka_unit_test(test_parse_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
