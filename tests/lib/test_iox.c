/*
 * Unit tests for lib/iox.c: full loops across short counts and EINTR,
 * read limits, atomic replacement, fd hygiene.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/iox.h"
#include "tests/lib/testutil.h"

#define BIG	(1024 * 1024)

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * A writer pushes 1 MiB through a pipe while a slow reader drains it in
 * small pieces and an interval timer interrupts the writer with signals
 * installed without SA_RESTART: every byte must arrive, in order.
 */
static void
test_write_read_full_eintr(void **state)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	unsigned char *out, *in;
	int p[2], status;
	pid_t pid;

	(void)state;
	out = malloc(BIG);
	in = malloc(BIG);
	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < BIG; i++)
		out[i] = (unsigned char)(i * 7 + (i >> 8));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
		setitimer(ITIMER_REAL, &it, NULL);
		_exit(iox_write_full(p[1], out, BIG) == 0 ? 0 : 1);
	}
	close(p[1]);
	/* Read in odd-sized pieces with pauses, so the writer sees short writes. */
	size_t got = 0;
	while (got < BIG) {
		size_t want = got + 4093 > BIG ? BIG - got : 4093;
		ssize_t n = iox_read_full(p[0], in + got, want);

		assert_true(n > 0);
		got += (size_t)n;
		if ((got / 4093) % 64 == 0)
			usleep(1000);
	}
	assert_int_equal(iox_read_full(p[0], in, 1), 0);	/* EOF */
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_memory_equal(in, out, BIG);
	free(in);
	free(out);
}

static void
test_read_all_limit(void **state)
{
	struct buf b = BUF_INIT;
	char tmpl[] = "/tmp/test_iox.XXXXXX";
	int fd;

	(void)state;
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	unlink(tmpl);
	for (int i = 0; i < 100; i++)
		assert_int_equal(iox_write_full(fd, "0123456789", 10), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	buf_append_str(&b, "pre");
	assert_int_equal(iox_read_all(fd, &b, 1000), 0);
	assert_int_equal(b.len, 1003);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	buf_reset(&b);
	buf_append_str(&b, "pre");
	errno = 0;
	assert_int_equal(iox_read_all(fd, &b, 999), -1);
	assert_int_equal(errno, EFBIG);
	assert_true(buf_eq(&b, "pre", 3));	/* nothing half-appended */
	close(fd);
	buf_free(&b);
}

static void
test_write_errors(void **state)
{
	int fd;

	(void)state;
	fd = open("/dev/full", O_WRONLY);
	if (fd < 0)
		skip();
	errno = 0;
	assert_int_equal(iox_write_full(fd, "x", 1), -1);
	assert_int_equal(errno, ENOSPC);
	close(fd);
	assert_int_equal(iox_write_full(-1, "x", 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(iox_fsync(-1), -1);
	assert_int_equal(iox_close(-1), -1);
}

/* Names in dir, sorted by the directory's order, joined by spaces. */
static void
list_dir(const char *dir, struct buf *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	buf_reset(out);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || strstr(de->d_name, ".tmp.") != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				buf_printf(out, "%s ", de->d_name);
	closedir(d);
}

static void
test_atomic_replace(void **state)
{
	char dir[] = "/tmp/test_iox.XXXXXX";
	struct iox_atomic af;
	struct buf b = BUF_INIT;
	struct stat st;
	char got[32];
	int dfd, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(iox_atomic_replace(dfd, "map", "old", 3, 0640), 0);
	assert_int_equal(fstatat(dfd, "map", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* While a new version is being written, readers see the old one. */
	assert_int_equal(iox_atomic_open(&af, dfd, "map", 0600), 0);
	assert_int_equal(iox_write_full(af.fd, "new", 3), 0);
	fd = openat(dfd, "map", O_RDONLY);
	assert_int_equal(read(fd, got, sizeof(got)), 3);
	assert_memory_equal(got, "old", 3);
	close(fd);
	list_dir(dir, &b);
	assert_non_null(strstr(buf_cstr(&b), ".map.tmp."));
	assert_int_equal(iox_atomic_commit(&af), 0);
	fd = openat(dfd, "map", O_RDONLY);
	assert_int_equal(read(fd, got, sizeof(got)), 3);
	assert_memory_equal(got, "new", 3);
	close(fd);
	list_dir(dir, &b);
	assert_string_equal(buf_cstr(&b), "map ");

	/* An abort leaves the old file and no temporary. */
	assert_int_equal(iox_atomic_open(&af, dfd, "map", 0600), 0);
	assert_int_equal(iox_write_full(af.fd, "broken", 6), 0);
	iox_atomic_abort(&af);
	list_dir(dir, &b);
	assert_string_equal(buf_cstr(&b), "map ");

	/* A failed commit (the final name is a directory) keeps the old state. */
	assert_int_equal(mkdirat(dfd, "adir", 0755), 0);
	assert_int_equal(iox_atomic_replace(dfd, "adir", "x", 1, 0600), -1);
	assert_int_equal(errno, EISDIR);
	list_dir(dir, &b);
	assert_null(strstr(buf_cstr(&b), ".tmp."));

	/* Names with a slash are refused. */
	assert_int_equal(iox_atomic_open(&af, dfd, "../x", 0600), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(iox_fsync_dir_path(dir), 0);
	assert_int_equal(iox_fsync_dir_path("/nonexistent/dir"), -1);

	assert_int_equal(unlinkat(dfd, "map", 0), 0);
	assert_int_equal(unlinkat(dfd, "adir", AT_REMOVEDIR), 0);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
	buf_free(&b);
}

/* Child: close fd 1, sanitize, fd 1 must be /dev/null. */
static int
child_std_fds(void)
{
	struct stat st, null;

	close(1);
	close(2);
	if (iox_sanitize_std_fds() < 0)
		return 1;
	if (fstat(1, &st) < 0 || fstat(2, &st) < 0 ||
	    stat("/dev/null", &null) < 0)
		return 2;
	if (st.st_rdev != null.st_rdev)
		return 3;
	return 0;
}

/* Child: open fds 10, 20, 100; close from 10; all must be gone. */
static int
child_close_from(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0 || dup2(fd, 10) != 10 || dup2(fd, 20) != 20 ||
	    dup2(fd, 100) != 100)
		return 1;
	if (iox_set_cloexec(20) < 0 || !(fcntl(20, F_GETFD) & FD_CLOEXEC))
		return 2;
	iox_close_from(10);
	if (fcntl(10, F_GETFD) != -1 || fcntl(20, F_GETFD) != -1 ||
	    fcntl(100, F_GETFD) != -1)
		return 3;
	if (fcntl(0, F_GETFD) == -1)
		return 4;
	return 0;
}

static void
test_fd_hygiene(void **state)
{
	(void)state;
	assert_int_equal(test_run_child(child_std_fds, NULL), 0);
	assert_int_equal(test_run_child(child_close_from, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_full_eintr),
		cmocka_unit_test(test_read_all_limit),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_atomic_replace),
		cmocka_unit_test(test_fd_hygiene),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
