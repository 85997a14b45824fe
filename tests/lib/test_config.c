/*
 * Unit tests for lib/config.c: every type, every error message with its
 * line, continuation lines, duplicates, defaults kept on error, and the
 * trusted-file checks on real files.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "tests/lib/testutil.h"
#include "lib/config.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_config.XXXXXX");
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return test_rmtree(dir);
}

/* Write text to dir/name with mode; return the path in p. */
static void
write_file(struct buf *p, const char *name, const char *text, mode_t mode)
{
	int fd;

	buf_setf(p, "%s/%s", dir, name);
	(void)unlink(buf_cstr(p));
	fd = open(buf_cstr(p), O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_defaults(void **state)
{
	(void)state;
	config_reset();
	assert_string_equal(config_str(CF_queue_directory), QUEUE_DIR);
	assert_string_equal(config_str(CF_mail_spool_directory), MAIL_SPOOL);
	assert_string_equal(config_str(CF_submit_group), SUBMIT_GROUP);
	assert_int_equal(config_num(CF_message_size_limit), 64LL << 20);
	assert_true(config_list_has(CF_trusted_users, "root"));
	assert_null(config_list_item(CF_trusted_users, 1));
	assert_true(config_is_default(CF_myhostname));
	assert_int_equal(config_key_lookup("myhostname"), CF_myhostname);
	assert_int_equal(config_key_lookup("nope"), -1);
	assert_string_equal(config_default_path(), CONFIG_DIR "/postern.conf");
}

static void
test_load_values(void **state)
{
	struct buf p = BUF_INIT, why = BUF_INIT, dump = BUF_INIT;

	(void)state;
	config_reset();
	write_file(&p, "good.conf",
	    "# a comment\n"
	    "\n"
	    "myhostname = mail.example.org\n"
	    "   # an indented comment\n"
	    "message_size_limit = 10M\n"
	    "trusted_users = root,\n"
	    "    daemon  www-data\n"
	    "queue_directory=/srv/q   \n", 0644);
	assert_int_equal(config_load(buf_cstr(&p), 0, &why), 0);
	assert_string_equal(buf_cstr(&why), "");
	assert_string_equal(config_str(CF_myhostname), "mail.example.org");
	assert_int_equal(config_num(CF_message_size_limit), 10LL << 20);
	assert_string_equal(config_str(CF_trusted_users),
	    "root, daemon  www-data");
	assert_string_equal(config_list_item(CF_trusted_users, 0), "root");
	assert_string_equal(config_list_item(CF_trusted_users, 1), "daemon");
	assert_string_equal(config_list_item(CF_trusted_users, 2), "www-data");
	assert_null(config_list_item(CF_trusted_users, 3));
	assert_true(config_list_has(CF_trusted_users, "www-data"));
	assert_false(config_list_has(CF_trusted_users, "www"));
	assert_string_equal(config_str(CF_queue_directory), "/srv/q");
	assert_false(config_is_default(CF_myhostname));
	config_dump(&dump, true);
	assert_string_equal(buf_cstr(&dump),
	    "myhostname = mail.example.org\n"
	    "queue_directory = /srv/q\n"
	    "message_size_limit = 10M\n"
	    "trusted_users = root, daemon  www-data\n");
	buf_free(&p);
	buf_free(&why);
	buf_free(&dump);
}

/* Each row: a file and the exact error text after "FILE:". */
static const struct {
	const char *text;
	const char *errors;
} bad_rows[] = {
	{ "nonsense = 1\n", "1: unknown parameter 'nonsense'\n" },
	{ "myhostname\n", "1: missing '=' after 'myhostname'\n" },
	{ " = x\n", "1: continuation line without a setting\n" },
	{ "= x\n", "1: missing parameter name\n" },
	{ "queue_directory = var/q\n",
	  "1: queue_directory: expected an absolute path: 'var/q'\n" },
	{ "default_user = -x\n",
	  "1: default_user: expected a user or group name: '-x'\n" },
	{ "default_user = a b\n",
	  "1: default_user: expected a user or group name: 'a b'\n" },
	{ "message_size_limit = 12x\n",
	  "1: message_size_limit: bad unit suffix: '12x'\n" },
	{ "message_size_limit = big\n",
	  "1: message_size_limit: expected a number: 'big'\n" },
	{ "message_size_limit = 99999999999999999999\n",
	  "1: message_size_limit: number too large: '99999999999999999999'\n" },
	{ "message_size_limit = 10\n",
	  "1: message_size_limit: value out of range 1024..4294967295: '10'\n" },
	{ "message_size_limit = 8g\n",
	  "1: message_size_limit: value out of range 1024..4294967295: '8g'\n" },
	{ "myhostname = a\nmyhostname = b\n",
	  "2: duplicate parameter 'myhostname' (first set at line 1)\n" },
	{ "myhostname = a\rb\n", "1: control character in line\n" },
	{ "# ok\nfoo = 1\nbar = 2\n",
	  "2: unknown parameter 'foo'\n"
	  "3: unknown parameter 'bar'\n" },
};

static void
test_errors(void **state)
{
	struct buf p = BUF_INIT, why = BUF_INIT, want = BUF_INIT;
	const char *e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		config_reset();
		write_file(&p, "bad.conf", bad_rows[i].text, 0644);
		buf_reset(&why);
		assert_int_equal(config_load(buf_cstr(&p), 0, &why), -1);
		/* Expected: each line prefixed with the file name. */
		buf_reset(&want);
		for (e = bad_rows[i].errors; *e != '\0';) {
			const char *nl = strchr(e, '\n');

			buf_printf(&want, "%s:%.*s\n", buf_cstr(&p),
			    (int)(nl - e), e);
			e = nl + 1;
		}
		assert_string_equal(buf_cstr(&why), buf_cstr(&want));
		/* Nothing changed. */
		assert_true(config_is_default(CF_myhostname));
	}
	buf_free(&p);
	buf_free(&why);
	buf_free(&want);
}

static void
test_error_keeps_previous(void **state)
{
	struct buf p = BUF_INIT, why = BUF_INIT;

	(void)state;
	config_reset();
	write_file(&p, "a.conf", "myhostname = first\n", 0644);
	assert_int_equal(config_load(buf_cstr(&p), 0, &why), 0);
	write_file(&p, "b.conf", "myhostname = second\nbogus = 1\n", 0644);
	assert_int_equal(config_load(buf_cstr(&p), 0, &why), -1);
	assert_string_equal(config_str(CF_myhostname), "first");
	buf_free(&p);
	buf_free(&why);
}

static void
test_long_and_nul(void **state)
{
	struct buf data = BUF_INIT, why = BUF_INIT;

	(void)state;
	buf_append_str(&data, "myhostname = ");
	for (int i = 0; i < 5000; i++)
		buf_append_byte(&data, 'a');
	buf_append_str(&data, "\nrecipient_delimiter = +\n");
	assert_int_equal(config_parse_buf("mem", data.data, data.len, &why), -1);
	assert_string_equal(buf_cstr(&why),
	    "mem:1: line longer than 4096 bytes\n");
	buf_reset(&why);
	assert_int_equal(config_parse_buf("mem", "a = b\0c\n", 8, &why), -1);
	assert_string_equal(buf_cstr(&why), "mem:1: NUL byte in line\n");
	buf_reset(&why);
	assert_int_equal(config_parse_buf("mem", "", 0, &why), 0);
	/* More than 20 errors: the list stops with a note. */
	buf_reset(&data);
	for (int i = 0; i < 50; i++)
		buf_printf(&data, "bad%d = 1\n", i);
	buf_reset(&why);
	assert_int_equal(config_parse_buf("mem", data.data, data.len, &why), -1);
	assert_non_null(strstr(buf_cstr(&why), "mem: too many errors\n"));
	assert_null(strstr(buf_cstr(&why), "bad30"));
	buf_free(&data);
	buf_free(&why);
}

static void
test_missing(void **state)
{
	struct buf why = BUF_INIT;

	(void)state;
	config_reset();
	assert_int_equal(config_load("/nonexistent/postern.conf",
	    CONFIG_F_MISSING_OK, &why), 0);
	assert_int_equal(config_load("/nonexistent/postern.conf", 0, &why), -1);
	assert_string_equal(buf_cstr(&why),
	    "/nonexistent/postern.conf: No such file or directory\n");
	buf_free(&why);
}

static void
test_trusted(void **state)
{
	struct buf p = BUF_INIT, why = BUF_INIT, link = BUF_INIT;

	(void)state;
	if (geteuid() != 0)
		skip();
	config_reset();
	write_file(&p, "t.conf", "myhostname = trusted\n", 0644);
	assert_int_equal(config_load(buf_cstr(&p), CONFIG_F_TRUSTED, &why), 0);
	assert_string_equal(config_str(CF_myhostname), "trusted");

	write_file(&p, "gw.conf", "myhostname = x\n", 0664);
	buf_reset(&why);
	assert_int_equal(config_load(buf_cstr(&p), CONFIG_F_TRUSTED, &why), -1);
	assert_non_null(strstr(buf_cstr(&why), "gw.conf: is group writable"));

	write_file(&p, "own.conf", "myhostname = x\n", 0644);
	assert_int_equal(chown(buf_cstr(&p), 3001, 3001), 0);
	buf_reset(&why);
	assert_int_equal(config_load(buf_cstr(&p), CONFIG_F_TRUSTED, &why), -1);
	assert_non_null(strstr(buf_cstr(&why),
	    "own.conf: is owned by uid 3001, expected uid 0"));

	write_file(&p, "t.conf", "myhostname = trusted\n", 0644);
	buf_setf(&link, "%s/link.conf", dir);
	assert_int_equal(symlink(buf_cstr(&p), buf_cstr(&link)), 0);
	buf_reset(&why);
	assert_int_equal(config_load(buf_cstr(&link), CONFIG_F_TRUSTED, &why),
	    -1);
	assert_non_null(strstr(buf_cstr(&why), "link.conf: is a symbolic link"));
	/* Untrusted mode (postern-config -c) follows it. */
	assert_int_equal(config_load(buf_cstr(&link), 0, &why), 0);
	assert_string_equal(config_str(CF_myhostname), "trusted");
	buf_free(&p);
	buf_free(&why);
	buf_free(&link);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_load_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_keeps_previous),
		cmocka_unit_test(test_long_and_nul),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_trusted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
