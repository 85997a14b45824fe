/*
 * Unit tests for lib/nsscheck.c: which nsswitch.conf texts leave a static
 * mail.local's user lookups to the files alone, and what a refusal says.
 */
#include <config.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/nsscheck.h"
#include "tests/lib/testutil.h"

static const struct {
	const char	*text;
	const char	*why;	/* NULL: accepted */
} rows[] = {
	{ "", NULL },
	{ "passwd: files\ngroup: files\n", NULL },
	{ "passwd:files", NULL },
	{ "  passwd :\tfiles [NOTFOUND=return]\n", NULL },
	{ "passwd: files [ NOTFOUND=return ] files\n", NULL },
	{ "passwd: files # systemd\n", NULL },
	{ "# passwd: systemd\n", NULL },
	{ "passwd:\n", NULL },
	{ "hosts: files dns\nnetworks: files\nshadow: files sss\n", NULL },
	{ "passwdx: ldap\npasswd files\n", NULL },
	{ "passwd: files\r\ngroup: files\r\n", NULL },
	{ "passwd: files systemd\n", "t:1: passwd uses the source systemd" },
	{ "passwd: files\ngroup:          files systemd\n",
	    "t:2: group uses the source systemd" },
	{ "\n\ninitgroups: files[NOTFOUND=return]sss\n",
	    "t:3: initgroups uses the source sss" },
	{ "PASSWD: compat\n", "t:1: PASSWD uses the source compat" },
	{ "passwd: filesx", "t:1: passwd uses the source filesx" },
	{ "passwd: [SUCCESS=return] ldap", "t:1: passwd uses the source ldap" },
	{ "group: fil\x01" "es\n", "t:1: group uses the source fil\\x01es" },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf why = BUF_INIT;
		int rc = nss_files_only(rows[i].text, strlen(rows[i].text),
		    "t", &why);

		print_message("row %zu: %s\n", i, rows[i].text);
		if (rows[i].why == NULL) {
			assert_int_equal(rc, 0);
			assert_int_equal(why.len, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(buf_cstr(&why), rows[i].why);
		}
		buf_free(&why);
	}
}

/* A NUL inside a line is a byte like any other: lengths, not strings. */
static void
test_nul(void **state)
{
	static const char text[] = "passwd: files\0systemd\n";
	struct buf why = BUF_INIT;

	(void)state;
	assert_int_equal(nss_files_only(text, sizeof(text) - 1, "t", &why), -1);
	assert_string_equal(buf_cstr(&why),
	    "t:1: passwd uses the source files\\x00systemd");
	buf_free(&why);
}

/* These tests are linked dynamically: the check passes whatever the file. */
static void
test_dynamic(void **state)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, why = BUF_INIT;
	int fd;

	(void)state;
	assert_false(nss_is_static());
	test_mktree(&dir, "test_nsscheck");
	buf_printf(&path, "%s/nsswitch.conf", buf_cstr(&dir));
	assert_true((fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_EXCL,
	    0644)) >= 0);
	assert_int_equal(write(fd, "passwd: ldap\n", 13), 13);
	(void)close(fd);
	assert_int_equal(nss_static_check(buf_cstr(&path), &why), 0);
	assert_int_equal(nss_static_check("/nonexistent/nsswitch.conf", &why), 0);
	assert_int_equal(why.len, 0);
	assert_int_equal(test_rmtree(buf_cstr(&dir)), 0);
	buf_free(&dir);
	buf_free(&path);
	buf_free(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_dynamic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
