/*
 * Unit tests for aliases/target.c: every kind of target, quoting,
 * separators in values and in files, comments, and each error with its
 * line.  Table-driven: the split result is printed as "kind:text" items
 * joined by " | " and compared with the row.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "aliases/target.h"

#define S(x)	x, sizeof(x) - 1

static const struct {
	const char	*s;
	size_t		 n;
	int		 flags;
	const char	*want;	/* items, or "ERR:" and a part of the reason */
} rows[] = {
	{ S("bob"), 0, "address:bob" },
	{ S("bob, alice@example.org"), 0,
	    "address:bob | address:alice@example.org" },
	{ S("  bob ,alice  ,  "), 0, "address:bob | address:alice" },
	{ S("\\bob"), 0, "mailbox:bob" },
	{ S("/var/log/mail.archive"), 0, "file:/var/log/mail.archive" },
	{ S("|/usr/bin/vacation bob"), 0, "program:/usr/bin/vacation bob" },
	{ S("\"|/usr/bin/prog -a, -b\""), 0, "program:/usr/bin/prog -a, -b" },
	{ S("\"|echo \\\"hi\\\"\""), 0, "program:echo \"hi\"" },
	{ S(":include:/etc/lists/staff"), 0, "include:/etc/lists/staff" },
	{ S(":INCLUDE: /etc/lists/staff"), 0, "include:/etc/lists/staff" },
	{ S("\"/path with space\""), 0, "file:/path with space" },
	{ S("\"john doe\"@example.org"), 0, "address:\"john doe\"@example.org" },
	{ S("\"john doe\""), 0, "address:\"john doe\"" },
	{ S("Bob Smith <bob@example.org>"), 0, "address:bob@example.org" },
	{ S("<bob@example.org>"), 0, "address:bob@example.org" },
	{ S("bob\n\talice"), 0, "ERR:line 1: \"bob" },
	{ S("bob,\n\talice"), 0, "address:bob | address:alice" },
	/* Files: newlines separate, '#' lines are comments. */
	{ S("bob\nalice\n"), TGT_F_FILE, "address:bob | address:alice" },
	{ S("# a comment\n  # another\nbob # not a comment\n"), TGT_F_FILE,
	    "ERR:line 3:" },
	{ S("# a comment\n  # another, still\n\\bob, \"|/bin/cat\"\n"),
	    TGT_F_FILE, "mailbox:bob | program:/bin/cat" },
	{ S("bob\r\nalice\r\n"), TGT_F_FILE, "address:bob | address:alice" },
	{ S("\"|/bin/cat\nx\"\n"), TGT_F_FILE,
	    "ERR:line 1: unterminated quoted string" },
	/* Errors. */
	{ S("|"), 0, "ERR:empty program" },
	{ S("\"|  \""), 0, "ERR:empty program" },
	{ S(":include:relative/path"), 0, "ERR:absolute path after :include:" },
	{ S("/"), 0, "ERR:'/' is not a file" },
	{ S("\\"), 0, "ERR:expected a user name after '\\'" },
	{ S("\\bob@example.org"), 0, "ERR:expected a user name" },
	{ S("foo;/sbin/reboot"), 0, "ERR:is not a valid address" },
	{ S("$(id)"), 0, "ERR:is not a valid address" },
	{ S("a b"), 0, "ERR:is not a valid address" },
	{ S("bob>"), 0, "ERR:'>' without '<'" },
	{ S("\"unterminated"), 0, "ERR:unterminated quoted string" },
	{ S("bob\0x"), 0, "ERR:NUL byte" },
	{ S("bob\001"), 0, "ERR:control byte 0x01" },
	{ S("bob\nx\001"), TGT_F_FILE, "ERR:line 2: control byte" },
	{ S("a\nb\nc\nbad address\n"), TGT_F_FILE, "ERR:line 4:" },
	/* Names an attacker might try stay plain addresses. */
	{ S("-oQ/tmp"), 0, "address:-oQ/tmp" },
	{ S("\"|/bin/sh\"@localhost"), 0, "address:\"|/bin/sh\"@localhost" },
};

static void
render(const struct target_list *l, struct buf *out)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		buf_printf(out, "%s%s:%s", i ? " | " : "",
		    target_kind_name(l->v[i].kind), l->v[i].text);
}

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct target_list l = { NULL, 0, 0 };
		struct buf why = BUF_INIT, got = BUF_INIT;
		int rc = target_split(rows[i].s, rows[i].n, rows[i].flags, 100,
		    &l, &why);

		if (strncmp(rows[i].want, "ERR:", 4) == 0) {
			if (rc != -1 || strstr(buf_cstr(&why),
			    rows[i].want + 4) == NULL)
				fail_msg("row %zu: want error \"%s\", got rc %d "
				    "\"%s\"", i, rows[i].want + 4, rc,
				    buf_cstr(&why));
		} else {
			render(&l, &got);
			if (rc != 0 || strcmp(buf_cstr(&got), rows[i].want) != 0)
				fail_msg("row %zu: want \"%s\", got rc %d \"%s\" "
				    "(%s)", i, rows[i].want, rc, buf_cstr(&got),
				    buf_cstr(&why));
		}
		target_list_free(&l);
		buf_free(&why);
		buf_free(&got);
	}
}

/* The limit on targets is exact. */
static void
test_limit(void **state)
{
	struct target_list l = { NULL, 0, 0 };
	struct buf why = BUF_INIT;

	(void)state;
	assert_int_equal(target_split(S("a, b, c"), 0, 3, &l, &why), 0);
	assert_int_equal(l.n, 3);
	target_list_free(&l);
	assert_int_equal(target_split(S("a, b, c, d"), 0, 3, &l, &why), -1);
	assert_non_null(strstr(buf_cstr(&why), "more than 3 targets"));
	target_list_free(&l);
	buf_free(&why);
}

/* Line numbers of targets in files. */
static void
test_lines(void **state)
{
	struct target_list l = { NULL, 0, 0 };
	struct buf why = BUF_INIT;

	(void)state;
	assert_int_equal(target_split(S("# c\n\nbob\n  alice, carol\n"),
	    TGT_F_FILE, 10, &l, &why), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].line, 3);
	assert_int_equal(l.v[1].line, 4);
	assert_int_equal(l.v[2].line, 4);
	target_list_free(&l);
	buf_free(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
