/*
 * Unit tests for lib/strset.c: membership is exact (length and bytes,
 * NULs included), growth keeps every key, and the set can be emptied and
 * used again.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/strset.h"

static void
test_exact(void **state)
{
	struct strset s = STRSET_INIT;

	(void)state;
	assert_false(strset_has(&s, "a", 1));
	assert_true(strset_add(&s, "a", 1));
	assert_false(strset_add(&s, "a", 1));
	assert_true(strset_has(&s, "a", 1));
	/* A prefix, a longer key, and keys differing after a NUL. */
	assert_false(strset_has(&s, "a", 0));
	assert_true(strset_add(&s, "", 0));
	assert_false(strset_has(&s, "ab", 2));
	assert_true(strset_add(&s, "a\0b", 3));
	assert_true(strset_add(&s, "a\0c", 3));
	assert_false(strset_add(&s, "a\0b", 3));
	assert_int_equal(s.n, 4);
	strset_free(&s);
	assert_false(strset_has(&s, "a", 1));
	assert_true(strset_add(&s, "a", 1));
	strset_free(&s);
}

static void
test_growth(void **state)
{
	struct strset s = STRSET_INIT;
	char key[32];
	int i, n;

	(void)state;
	for (i = 0; i < 100000; i++) {
		n = snprintf(key, sizeof(key), "user%d@example.org", i);
		assert_true(strset_add(&s, key, (size_t)n));
	}
	assert_int_equal(s.n, 100000);
	assert_true(s.cap >= 2 * s.n);
	for (i = 0; i < 100000; i++) {
		n = snprintf(key, sizeof(key), "user%d@example.org", i);
		assert_true(strset_has(&s, key, (size_t)n));
		assert_false(strset_add(&s, key, (size_t)n));
	}
	n = snprintf(key, sizeof(key), "user%d@example.org", 100000);
	assert_false(strset_has(&s, key, (size_t)n));
	strset_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
