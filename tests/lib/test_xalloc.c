/*
 * Unit tests for lib/xalloc.c: overflow and allocation failure end the
 * process with EX_TEMPFAIL after running the die hook, never return NULL.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/log.h"
#include "lib/xalloc.h"

static int hook_fd = -1;

/* The die hook under test: leaves a mark in a pipe. */
static void
mark_hook(void)
{
	ssize_t r = write(hook_fd, "H", 1);

	(void)r;
}

enum fail_kind { FAIL_ADD, FAIL_MUL, FAIL_MALLOC, FAIL_REALLOCARRAY };

/* Run one failing call in a child; return its exit status and hook mark. */
static int
run_failing(enum fail_kind kind, char *mark)
{
	int p[2], status;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		hook_fd = p[1];
		log_init("test_xalloc", 0);
		log_set_die_hook(mark_hook);
		switch (kind) {
		case FAIL_ADD:
			(void)xadd(SIZE_MAX, 1);
			break;
		case FAIL_MUL:
			(void)xmul(SIZE_MAX / 2, 3);
			break;
		case FAIL_MALLOC:
			(void)xmalloc(SIZE_MAX / 2);
			break;
		case FAIL_REALLOCARRAY:
			(void)xreallocarray(NULL, SIZE_MAX / 4, 8);
			break;
		}
		_exit(0);
	}
	close(p[1]);
	*mark = '\0';
	n = read(p[0], mark, 1);
	if (n != 1)
		*mark = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_failures_exit_tempfail(void **state)
{
	enum fail_kind k;
	char mark;

	(void)state;
	for (k = FAIL_ADD; k <= FAIL_REALLOCARRAY; k++) {
		assert_int_equal(run_failing(k, &mark), EX_TEMPFAIL);
		assert_int_equal(mark, 'H');
	}
}

static void
test_ok_paths(void **state)
{
	char *p, *q;
	int *arr;

	(void)state;
	assert_int_equal(xadd(2, 3), 5);
	assert_int_equal(xmul(0, SIZE_MAX), 0);
	assert_int_equal(xmul(SIZE_MAX, 1), SIZE_MAX);
	p = xmemdup0("a\0b", 3);
	assert_memory_equal(p, "a\0b\0", 4);
	q = xstrdup("hello");
	assert_string_equal(q, "hello");
	arr = xcalloc(10, sizeof(*arr));
	for (int i = 0; i < 10; i++)
		assert_int_equal(arr[i], 0);
	arr = xreallocarray(arr, 1000, sizeof(*arr));
	arr[999] = 7;
	free(arr);
	free(p);
	free(q);
	free(xmalloc(0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_paths),
		cmocka_unit_test(test_failures_exit_tempfail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
