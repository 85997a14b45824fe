/* testutil: helpers shared by the unit tests (see testutil.h). */
#include <config.h>

#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/lib/testutil.h"

/* Run fn in a child; return its exit status, its stdout in out. */
int
test_run_child(int (*fn)(void), struct buf *out)
{
	int p[2], status;
	char chunk[256];
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc;

		close(p[0]);
		if (out != NULL)
			dup2(p[1], STDOUT_FILENO);
		close(p[1]);
		rc = fn();
		fflush(stdout);
		_exit(rc);
	}
	close(p[1]);
	while ((n = read(p[0], chunk, sizeof(chunk))) > 0)
		if (out != NULL)
			buf_append(out, chunk, (size_t)n);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Make /tmp/NAME.XXXXXX, mode 0755. */
void
test_mktree(struct buf *path, const char *name)
{
	buf_setf(path, "/tmp/%s.XXXXXX", name);
	assert_non_null(mkdtemp(path->data));
	assert_int_equal(chmod(path->data, 0755), 0);
}

/* Remove one entry for nftw. */
static int
test_rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(p);
}

/* Remove a tree, depth first, not following links. */
int
test_rmtree(const char *path)
{
	return nftw(path, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
