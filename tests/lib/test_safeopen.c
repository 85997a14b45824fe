/*
 * Unit tests for lib/safeopen.c: real trees in a temporary directory with
 * symlinks, hard links, FIFOs, wrong owners and modes; the exact reason for
 * each refusal; no descriptor leaks.  Owner tests need root.
 */
#include <config.h>

#include <dirent.h>
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
#include "lib/safeopen.h"

static char top[64];
static int topfd = -1;

/* Build the tree every test uses. */
static int
setup(void **state)
{
	int fd;

	(void)state;
	strcpy(top, "/tmp/test_safeopen.XXXXXX");
	if (mkdtemp(top) == NULL || chmod(top, 0755) < 0)
		return -1;
	topfd = open(top, O_RDONLY | O_DIRECTORY);
	if (topfd < 0)
		return -1;
	if (mkdirat(topfd, "d", 0755) < 0 || mkdirat(topfd, "d/e", 0755) < 0 ||
	    mkdirat(topfd, "gw", 0775) < 0 || mkdirat(topfd, "sticky", 0755) < 0)
		return -1;
	if (fchmodat(topfd, "gw", 0775, 0) < 0 ||
	    fchmodat(topfd, "sticky", 01777, 0) < 0)
		return -1;
	fd = openat(topfd, "d/e/file", O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || write(fd, "data", 4) != 4 || close(fd) < 0)
		return -1;
	fd = openat(topfd, "sticky/file", O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || close(fd) < 0)
		return -1;
	fd = openat(topfd, "gw/file", O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || close(fd) < 0)
		return -1;
	fd = openat(topfd, "groupw", O_WRONLY | O_CREAT, 0620);
	if (fd < 0 || fchmod(fd, 0620) < 0 || close(fd) < 0)
		return -1;
	fd = openat(topfd, "worldw", O_WRONLY | O_CREAT, 0606);
	if (fd < 0 || fchmod(fd, 0606) < 0 || close(fd) < 0)
		return -1;
	if (symlinkat("d/e/file", topfd, "link") < 0 ||
	    symlinkat("d", topfd, "dlink") < 0 ||
	    linkat(topfd, "gw/file", topfd, "hard", 0) < 0 ||
	    mkfifoat(topfd, "fifo", 0600) < 0)
		return -1;
	return 0;
}

/* Remove the tree. */
static int
teardown(void **state)
{
	(void)state;
	close(topfd);
	return test_rmtree(top);
}

/* Number of open descriptors of this process. */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static const struct safe_check regular1 = { S_IFREG, 1, 0, { 0 }, 0, false };
static const struct safe_check nowrite = { S_IFREG, 1, 0, { 0 },
    S_IWGRP | S_IWOTH, false };
static const struct safe_check dirs_safe = { S_IFDIR, 0, 0, { 0 },
    S_IWGRP | S_IWOTH, true };

/* Each row: a path below top, the rule, the expected errno and reason. */
static const struct {
	const char		*path;
	const struct safe_check	*file;
	int			 sflags;
	int			 err;		/* 0: must open */
	const char		*reason;	/* suffix after "top/" */
} rows[] = {
	{ "d/e/file", &regular1, 0, 0, NULL },
	{ "link", &regular1, 0, ELOOP, "link: is a symbolic link" },
	{ "dlink/e/file", &regular1, 0, ELOOP, "dlink: is a symbolic link" },
	{ "hard", &regular1, 0, EPERM, "hard: has 2 links" },
	{ "fifo", &regular1, 0, EPERM, "fifo: is not a regular file (fifo)" },
	{ "d", &regular1, 0, EPERM, "d: is not a regular file (directory)" },
	{ "groupw", &nowrite, 0, EPERM, "groupw: is group writable" },
	{ "worldw", &nowrite, 0, EPERM, "worldw: is world writable" },
	{ "gw/file", &regular1, 0, EPERM, "gw: is group writable" },
	{ "sticky/file", &regular1, 0, 0, NULL },
	{ "d/../d/e/file", &regular1, 0, EINVAL, NULL },
	{ "d/./e/file", &regular1, 0, EINVAL, NULL },
	{ "d//e/file", &regular1, 0, EINVAL, NULL },
	{ "d/e/", &regular1, 0, EINVAL, NULL },
	{ "d/e/file/x", &regular1, 0, ENOTDIR, "d/e/file: is not a directory" },
	{ "d/nothere", &regular1, 0, ENOENT, "d/nothere: No such file or directory" },
	/* A symlink owned by root is followed only when asked. */
	{ "link", &regular1, SAFE_F_ROOT_SYMLINKS, 0, NULL },
	{ "dlink/e/file", &regular1, SAFE_F_ROOT_SYMLINKS, 0, NULL },
};

static void
test_table(void **state)
{
	struct buf why = BUF_INIT, path = BUF_INIT, want = BUF_INIT;
	int before, fd;

	(void)state;
	before = count_fds();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].sflags && geteuid() != 0)
			continue;	/* our symlinks are root's only as root */
		buf_reset(&why);
		buf_setf(&path, "%s/%s", top, rows[i].path);
		errno = 0;
		fd = safe_openat(-1, buf_cstr(&path), O_RDONLY, 0, &dirs_safe,
		    rows[i].file, rows[i].sflags, NULL, &why);
		if (rows[i].err == 0) {
			if (fd < 0)
				fail_msg("%s: %s", rows[i].path, buf_cstr(&why));
			close(fd);
			continue;
		}
		if (fd >= 0)
			fail_msg("%s: opened, want errno %d", rows[i].path,
			    rows[i].err);
		if (errno != rows[i].err)
			fail_msg("%s: errno %d, want %d (%s)", rows[i].path,
			    errno, rows[i].err, buf_cstr(&why));
		if (rows[i].reason != NULL) {
			buf_setf(&want, "%s/%s", top, rows[i].reason);
			assert_string_equal(buf_cstr(&why), buf_cstr(&want));
		}
	}
	/* The temp dir is below /tmp, world writable but sticky: allowed. */
	assert_int_equal(count_fds(), before);
	buf_free(&why);
	buf_free(&path);
	buf_free(&want);
}

static void
test_relative_and_fifo_nonblocking(void **state)
{
	struct buf why = BUF_INIT;
	struct stat st;
	char c[4];
	int fd, fl;

	(void)state;
	fd = safe_openat(topfd, "d/e/file", O_RDONLY, 0, &dirs_safe,
	    &regular1, 0, &st, &why);
	assert_true(fd >= 0);
	assert_int_equal(st.st_size, 4);
	fl = fcntl(fd, F_GETFL);
	assert_false(fl & O_NONBLOCK);
	assert_int_equal(read(fd, c, 4), 4);
	assert_memory_equal(c, "data", 4);
	close(fd);
	/* A FIFO with no rule still opens without blocking. */
	fd = safe_openat(topfd, "fifo", O_RDONLY, 0, NULL, NULL, 0, &st, &why);
	assert_true(fd >= 0);
	assert_true(S_ISFIFO(st.st_mode));
	close(fd);
	buf_free(&why);
}

static void
test_create(void **state)
{
	struct buf why = BUF_INIT;
	int fd;

	(void)state;
	fd = safe_openat(topfd, "d/new", O_WRONLY | O_CREAT | O_EXCL, 0600,
	    &dirs_safe, &regular1, 0, NULL, &why);
	assert_true(fd >= 0);
	close(fd);
	/* An existing symlink at the final name is never written through. */
	assert_int_equal(symlinkat("../worldw", topfd, "d/planted"), 0);
	fd = safe_openat(topfd, "d/planted", O_WRONLY | O_CREAT | O_EXCL,
	    0600, &dirs_safe, &regular1, 0, NULL, &why);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, EEXIST);
	fd = safe_openat(topfd, "d/planted", O_WRONLY | O_CREAT | O_APPEND,
	    0600, &dirs_safe, &regular1, 0, NULL, &why);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ELOOP);
	buf_free(&why);
}

static void
test_owner(void **state)
{
	struct safe_check mine = { S_IFREG, 1, 2, { 0, 3001 }, 0, false };
	struct buf why = BUF_INIT, want = BUF_INIT;
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(fchownat(topfd, "d/e/file", 12345, 12345, 0), 0);
	fd = safe_openat(topfd, "d/e/file", O_RDONLY, 0, NULL, &mine, 0,
	    NULL, &why);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, EPERM);
	assert_string_equal(buf_cstr(&why),
	    "d/e/file: is owned by uid 12345, expected uid 0 or 3001");
	/* A symlink not owned by root is refused even with the flag. */
	assert_int_equal(fchownat(topfd, "link", 12345, 12345,
	    AT_SYMLINK_NOFOLLOW), 0);
	buf_reset(&why);
	fd = safe_openat(topfd, "link", O_RDONLY, 0, NULL, NULL,
	    SAFE_F_ROOT_SYMLINKS, NULL, &why);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ELOOP);
	assert_string_equal(buf_cstr(&why),
	    "link: is a symbolic link owned by uid 12345");
	assert_int_equal(fchownat(topfd, "d/e/file", 0, 0, 0), 0);
	assert_int_equal(fchownat(topfd, "link", 0, 0, AT_SYMLINK_NOFOLLOW), 0);
	buf_free(&why);
	buf_free(&want);
}

static void
test_opendir_and_check_fd(void **state)
{
	struct safe_check strict = { S_IFDIR, 0, 0, { 0 }, S_IWGRP | S_IWOTH,
	    false };
	struct buf why = BUF_INIT;
	int fd;

	(void)state;
	fd = safe_opendir(topfd, "d/e", &dirs_safe, 0, &why);
	assert_true(fd >= 0);
	close(fd);
	fd = safe_opendir(topfd, "d/e/file", &dirs_safe, 0, &why);
	assert_int_equal(fd, -1);
	/* Without sticky_ok, a 1777 directory is refused. */
	buf_reset(&why);
	fd = open(top, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(safe_check_fd(fd, "x", &strict, NULL, &why), 0);
	close(fd);
	fd = safe_opendir(topfd, "sticky", &strict, 0, &why);
	assert_int_equal(fd, -1);
	assert_string_equal(buf_cstr(&why), "sticky: is world writable");
	buf_free(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_relative_and_fifo_nonblocking),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_opendir_and_check_fd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
