/*
 * Unit tests for lib/log.c: the stderr format, one line per message,
 * program name sanitising, errno preserved, log_die and its hook.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/log.h"

/* Redirect stderr to a temporary file; return the saved stderr. */
static int
capture_begin(FILE **tmp)
{
	int saved;

	*tmp = tmpfile();
	assert_non_null(*tmp);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fileno(*tmp), STDERR_FILENO), STDERR_FILENO);
	return saved;
}

/* Restore stderr and return what was written. */
static void
capture_end(int saved, FILE *tmp, struct buf *out)
{
	char chunk[512];
	size_t n;

	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	rewind(tmp);
	while ((n = fread(chunk, 1, sizeof(chunk), tmp)) > 0)
		buf_append(out, chunk, n);
	fclose(tmp);
}

static void
test_stderr_format(void **state)
{
	struct buf out = BUF_INIT;
	FILE *tmp;
	int saved;

	(void)state;
	log_init("/usr/sbin/postern-test", LOG_F_STDERR);
	saved = capture_begin(&tmp);
	log_warn("%s: %s", "/var/mail/bob", "is a symbolic link");
	log_error("two\nlines");
	capture_end(saved, tmp, &out);
	assert_string_equal(buf_cstr(&out),
	    "postern-test: /var/mail/bob: is a symbolic link\n"
	    "postern-test: two lines\n");
	assert_string_equal(log_progname(), "postern-test");
	buf_free(&out);
}

static void
test_no_stderr_when_not_asked(void **state)
{
	struct buf out = BUF_INIT;
	FILE *tmp;
	int saved;

	(void)state;
	/* stderr is a file, not a terminal: LOG_F_AUTO prints nothing. */
	log_init("quiet", LOG_F_AUTO);
	saved = capture_begin(&tmp);
	log_warn("not shown");
	capture_end(saved, tmp, &out);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

/* Each row: a hostile argv[0] and the name the log uses. */
static void
test_progname_sanitised(void **state)
{
	char *longname;

	(void)state;
	log_init("", LOG_F_STDERR);
	assert_string_equal(log_progname(), "postern");
	log_init("evil\nFrom x", LOG_F_STDERR);
	assert_string_equal(log_progname(), "evilFromx");
	log_init("/path/to/", LOG_F_STDERR);
	assert_string_equal(log_progname(), "postern");
	log_init(NULL, LOG_F_STDERR);
	assert_string_equal(log_progname(), "postern");
	longname = malloc(4097);
	assert_non_null(longname);
	memset(longname, 'a', 4096);
	longname[4096] = '\0';
	log_init(longname, LOG_F_STDERR);
	assert_int_equal(strlen(log_progname()), 64);
	free(longname);
}

static void
test_errno_preserved(void **state)
{
	struct buf out = BUF_INIT;
	FILE *tmp;
	int saved;

	(void)state;
	log_init("t", LOG_F_STDERR);
	saved = capture_begin(&tmp);
	errno = ENOSPC;
	log_warn("write: %m");
	assert_int_equal(errno, ENOSPC);
	capture_end(saved, tmp, &out);
	assert_string_equal(buf_cstr(&out), "t: write: No space left on device\n");
	buf_free(&out);
}

static int hook_calls;

/* A die hook that counts and tries to die again (which must not recurse). */
static void
hook(void)
{
	hook_calls++;
	printf("hook %d\n", hook_calls);
	fflush(stdout);
}

static void
test_die_runs_hook_and_exits(void **state)
{
	int p[2], status;
	char got[32] = { 0 };
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], STDOUT_FILENO);
		log_init("t", 0);
		log_set_die_hook(hook);
		log_die(EX_NOUSER, "bob: no such user");
	}
	close(p[1]);
	assert_true(read(p[0], got, sizeof(got) - 1) > 0);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EX_NOUSER);
	assert_string_equal(got, "hook 1\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stderr_format),
		cmocka_unit_test(test_no_stderr_when_not_asked),
		cmocka_unit_test(test_progname_sanitised),
		cmocka_unit_test(test_errno_preserved),
		cmocka_unit_test(test_die_runs_hook_and_exits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
