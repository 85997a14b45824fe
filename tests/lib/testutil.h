/*
 * testutil: helpers shared by the cmocka unit tests: run a function in a
 * forked child (for privilege changes and exits the test process must not
 * suffer), and make and remove temporary trees.
 */
#ifndef POSTERN_TESTUTIL_H
#define POSTERN_TESTUTIL_H

#include "lib/buf.h"

/*
 * Run fn in a child and return its exit status; the test fails if the
 * child does not exit normally.  When out is not NULL, the child's stdout
 * is collected there.
 */
int	 test_run_child(int (*fn)(void), struct buf *out);
/* mkdtemp() a directory "/tmp/NAME.XXXXXX", mode 0755, into path. */
void	 test_mktree(struct buf *path, const char *name);
/* Remove a tree without following symbolic links; 0 or -1. */
int	 test_rmtree(const char *path);

#endif
