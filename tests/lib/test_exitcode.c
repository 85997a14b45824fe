/* Unit tests for lib/exitcode.c: every mapping, table-driven. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/exitcode.h"

static const struct {
	int		 err;
	enum ex_ctx	 ctx;
	int		 want;
} errno_rows[] = {
	{ 0, EXC_FILE, EX_OK },
	{ ENOSPC, EXC_FILE, EX_TEMPFAIL },
	{ EDQUOT, EXC_FILE, EX_TEMPFAIL },
	{ EAGAIN, EXC_FILE, EX_TEMPFAIL },
	{ ENOMEM, EXC_USER, EX_TEMPFAIL },
	{ EMFILE, EXC_CONFIG, EX_TEMPFAIL },
	{ ENOLCK, EXC_FILE, EX_TEMPFAIL },
	{ EIO, EXC_OUTPUT, EX_TEMPFAIL },
	{ EFBIG, EXC_FILE, EX_TEMPFAIL },
	{ EFBIG, EXC_INPUT, EX_DATAERR },
	{ ELOOP, EXC_FILE, EX_TEMPFAIL },
	{ EMLINK, EXC_FILE, EX_TEMPFAIL },
	{ ENOENT, EXC_USER, EX_NOUSER },
	{ ENOENT, EXC_FILE, EX_CANTCREAT },
	{ ENOENT, EXC_CONFIG, EX_CONFIG },
	{ ENOENT, EXC_INPUT, EX_NOINPUT },
	{ EACCES, EXC_FILE, EX_NOPERM },
	{ EPERM, EXC_USER, EX_NOPERM },
	{ EACCES, EXC_CONFIG, EX_CONFIG },
	{ EROFS, EXC_FILE, EX_CANTCREAT },
	{ EPIPE, EXC_OUTPUT, EX_IOERR },
	{ EILSEQ, EXC_INPUT, EX_DATAERR },
	{ EXDEV, EXC_FILE, EX_IOERR },
	{ EXDEV, EXC_USER, EX_OSERR },
};

static void
test_from_errno(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(errno_rows) / sizeof(errno_rows[0]); i++) {
		int got = ex_from_errno(errno_rows[i].err, errno_rows[i].ctx);

		if (got != errno_rows[i].want)
			fail_msg("row %zu: errno %d ctx %d: got %s, want %s", i,
			    errno_rows[i].err, (int)errno_rows[i].ctx,
			    ex_name(got), ex_name(errno_rows[i].want));
	}
}

static const struct {
	int		 code;
	int		 smtp;
	const char	*dsn;
	bool		 temp;
	const char	*name;
} reply_rows[] = {
	{ EX_OK, 250, "2.0.0", false, "EX_OK" },
	{ EX_TEMPFAIL, 451, "4.3.0", true, "EX_TEMPFAIL" },
	{ EX_NOUSER, 550, "5.1.1", false, "EX_NOUSER" },
	{ EX_NOHOST, 550, "5.1.2", false, "EX_NOHOST" },
	{ EX_UNAVAILABLE, 550, "5.3.0", false, "EX_UNAVAILABLE" },
	{ EX_DATAERR, 554, "5.6.0", false, "EX_DATAERR" },
	{ EX_NOINPUT, 550, "5.3.0", false, "EX_NOINPUT" },
	{ EX_CANTCREAT, 550, "5.3.0", false, "EX_CANTCREAT" },
	{ EX_NOPERM, 550, "5.7.1", false, "EX_NOPERM" },
	{ EX_USAGE, 554, "5.5.4", false, "EX_USAGE" },
	{ EX_PROTOCOL, 554, "5.5.0", false, "EX_PROTOCOL" },
	{ EX_SOFTWARE, 451, "4.3.0", true, "EX_SOFTWARE" },
	{ EX_OSERR, 451, "4.3.0", true, "EX_OSERR" },
	{ EX_OSFILE, 451, "4.3.0", true, "EX_OSFILE" },
	{ EX_IOERR, 451, "4.3.0", true, "EX_IOERR" },
	{ EX_CONFIG, 451, "4.3.5", true, "EX_CONFIG" },
	{ 12345, 554, "5.3.0", false, "EX_UNKNOWN" },
};

static void
test_reply(void **state)
{
	struct ex_reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(reply_rows) / sizeof(reply_rows[0]); i++) {
		ex_to_reply(reply_rows[i].code, &r);
		assert_int_equal(r.code, reply_rows[i].smtp);
		assert_string_equal(r.dsn, reply_rows[i].dsn);
		assert_non_null(r.text);
		/* The class digit of the DSN agrees with the reply code. */
		assert_int_equal(r.dsn[0] - '0', r.code / 100);
		assert_int_equal(ex_is_temporary(reply_rows[i].code),
		    reply_rows[i].temp);
		assert_string_equal(ex_name(reply_rows[i].code),
		    reply_rows[i].name);
		assert_non_null(ex_text(reply_rows[i].code));
	}
	assert_string_equal(ex_text(EX_NOUSER), "user unknown");
}

static void
test_worse(void **state)
{
	(void)state;
	assert_int_equal(ex_worse(EX_OK, EX_OK), EX_OK);
	assert_int_equal(ex_worse(EX_OK, EX_NOUSER), EX_NOUSER);
	assert_int_equal(ex_worse(EX_NOUSER, EX_OK), EX_NOUSER);
	assert_int_equal(ex_worse(EX_NOUSER, EX_TEMPFAIL), EX_TEMPFAIL);
	assert_int_equal(ex_worse(EX_TEMPFAIL, EX_NOUSER), EX_TEMPFAIL);
	/* The first permanent failure is kept. */
	assert_int_equal(ex_worse(EX_NOUSER, EX_DATAERR), EX_NOUSER);
	assert_int_equal(ex_worse(EX_DATAERR, EX_NOUSER), EX_DATAERR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_errno),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_worse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
