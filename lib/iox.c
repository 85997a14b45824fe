/*
 * iox: I/O that does not lose data.
 *
 * Full read and write loops that survive EINTR and short counts; fsync of
 * files and directories; atomic replacement (temporary file in the same
 * directory, fsync, rename, fsync of the directory) so a reader sees the old
 * file or the new one and never a partial one; and the descriptor hygiene a
 * privileged program does before it touches input (fds 0-2 valid, every
 * other fd closed).
 *
 * Diagnostics: functions return -1 with errno set; callers say what object
 * failed.
 *
 * SECURITY: temporary files are created O_CREAT|O_EXCL|O_NOFOLLOW relative to
 * a directory fd with an unpredictable name, so a planted file or symlink
 * makes the create fail instead of redirecting the write.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h>
#endif
#ifdef HAVE_CLOSE_RANGE
#include <linux/close_range.h>
#endif

#include "lib/xalloc.h"
#include "lib/iox.h"

/* Read until n bytes or EOF. */
ssize_t
iox_read_full(int fd, void *p, size_t n)
{
	char *s = p;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, s + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > SSIZE_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	return (ssize_t)got;
}

/* Write all n bytes at offset off (off < 0: at the file offset). */
static int
iox_write_at(int fd, const void *p, size_t n, off_t off)
{
	const char *s = p;
	ssize_t r;

	while (n > 0) {
		r = off < 0 ? write(fd, s, n) : pwrite(fd, s, n, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			/* A regular file that takes nothing is full. */
			errno = ENOSPC;
			return -1;
		}
		s += r;
		if (off >= 0)
			off += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Write all n bytes at offset off with pwrite. */
int
iox_pwrite_full(int fd, const void *p, size_t n, off_t off)
{
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	return iox_write_at(fd, p, n, off);
}

/* Write all n bytes. */
int
iox_write_full(int fd, const void *p, size_t n)
{
	return iox_write_at(fd, p, n, -1);
}

/* Read to EOF into b, at most max bytes (EFBIG past that). */
int
iox_read_all(int fd, struct buf *b, size_t max)
{
	size_t start = b->len, room;
	ssize_t r;

	for (;;) {
		buf_reserve(b, 8192);
		room = b->cap - b->len - 1;
		r = read(fd, b->data + b->len, room);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		b->len += (size_t)r;
		if (b->len - start > max) {
			buf_truncate(b, start);
			errno = EFBIG;
			return -1;
		}
	}
}

/* fsync, retried on EINTR. */
int
iox_fsync(int fd)
{
	while (fsync(fd) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* fsync a directory fd. */
int
iox_fsync_dir(int dirfd)
{
	return iox_fsync(dirfd);
}

/* fsync a directory by path. */
int
iox_fsync_dir_path(const char *path)
{
	int fd, rc, saved;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = iox_fsync(fd);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return rc;
}

/* close() that reports errors; EINTR is success on Linux (the fd is gone). */
int
iox_close(int fd)
{
	if (close(fd) < 0 && errno != EINTR)
		return -1;
	return 0;
}

/* Milliseconds on the monotonic clock. */
long long
iox_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fill p with n unpredictable bytes. */
static int
iox_random(void *p, size_t n)
{
	unsigned char *s = p;
	ssize_t r;
	size_t got = 0;

	while (got < n) {
#ifdef HAVE_GETRANDOM
		r = getrandom(s + got, n - got, 0);
#else
		r = -1;
		errno = ENOSYS;
#endif
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* Create a temporary file for name in dirfd. */
int
iox_atomic_open(struct iox_atomic *af, int dirfd, const char *name,
    mode_t mode)
{
	struct buf tmp = BUF_INIT;
	unsigned char rnd[8];
	int tries, fd = -1;

	af->dirfd = dirfd;
	af->fd = -1;
	af->tmpname = NULL;
	af->name = NULL;
	if (name[0] == '\0' || strchr(name, '/') != NULL) {
		errno = EINVAL;
		return -1;
	}
	for (tries = 0; tries < 16; tries++) {
		if (iox_random(rnd, sizeof(rnd)) < 0) {
			buf_free(&tmp);
			return -1;
		}
		buf_setf(&tmp, ".%s.tmp.%ld.", name, (long)getpid());
		for (size_t i = 0; i < sizeof(rnd); i++)
			buf_printf(&tmp, "%02x", rnd[i]);
		fd = openat(dirfd, buf_cstr(&tmp),
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		buf_free(&tmp);
		return -1;
	}
	af->fd = fd;
	af->tmpname = buf_steal(&tmp);
	af->name = xstrdup(name);
	return 0;
}

/* Release what af holds (not the file on disk). */
static void
iox_atomic_release(struct iox_atomic *af)
{
	if (af->fd >= 0)
		(void)close(af->fd);
	af->fd = -1;
	free(af->tmpname);
	free(af->name);
	af->tmpname = NULL;
	af->name = NULL;
}

/* fsync the temporary file, rename it over name, fsync the directory. */
int
iox_atomic_commit(struct iox_atomic *af)
{
	int saved, fd;

	if (af->fd < 0 || af->tmpname == NULL) {
		errno = EBADF;
		return -1;
	}
	if (iox_fsync(af->fd) < 0)
		goto fail;
	fd = af->fd;
	af->fd = -1;
	if (iox_close(fd) < 0)
		goto fail;
	if (renameat(af->dirfd, af->tmpname, af->dirfd, af->name) < 0)
		goto fail;
	free(af->tmpname);
	af->tmpname = NULL;
	/*
	 * DURABILITY: the new name exists once the directory is on disk.  If
	 * this fsync fails the new file is in place but may not survive a
	 * crash; report the error so the caller does not claim success.
	 */
	if (iox_fsync_dir(af->dirfd) < 0) {
		saved = errno;
		iox_atomic_release(af);
		errno = saved;
		return -1;
	}
	iox_atomic_release(af);
	return 0;
fail:
	saved = errno;
	iox_atomic_abort(af);
	errno = saved;
	return -1;
}

/* Remove the temporary file; the old file stays as it was. */
void
iox_atomic_abort(struct iox_atomic *af)
{
	int saved = errno;

	if (af->tmpname != NULL)
		(void)unlinkat(af->dirfd, af->tmpname, 0);
	iox_atomic_release(af);
	errno = saved;
}

/* Atomically replace dirfd/name with these bytes. */
int
iox_atomic_replace(int dirfd, const char *name, const void *p, size_t n,
    mode_t mode)
{
	struct iox_atomic af;
	int saved;

	if (iox_atomic_open(&af, dirfd, name, mode) < 0)
		return -1;
	if (iox_write_full(af.fd, p, n) < 0) {
		saved = errno;
		iox_atomic_abort(&af);
		errno = saved;
		return -1;
	}
	return iox_atomic_commit(&af);
}

/* Open /dev/null on any closed fd among 0, 1, 2. */
int
iox_sanitize_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		int fl = fcntl(fd, F_GETFL);

		/*
		 * For a setuid or setgid exec, glibc fills a closed 0, 1 or 2
		 * with /dev/full opened the wrong way (0 write-only, 1 and 2
		 * read-only): replace it by /dev/null, as if it was closed.
		 */
		if (fl >= 0 && (fl & O_ACCMODE) == (fd == 0 ? O_WRONLY :
		    O_RDONLY)) {
			int nfd = open("/dev/null", O_RDWR);

			if (nfd < 0)
				return -1;
			if (nfd != fd && (dup2(nfd, fd) < 0 || close(nfd) < 0))
				return -1;
			continue;
		}
		if (fl >= 0 || errno != EBADF)
			continue;
		int nfd = open("/dev/null", O_RDWR);

		if (nfd < 0)
			return -1;
		if (nfd != fd) {
			/* A lower fd was free: fill the gaps in order. */
			(void)close(nfd);
			errno = EBADF;
			return -1;
		}
	}
	return 0;
}

/* Close every fd >= lowfd. */
void
iox_close_from(int lowfd)
{
	DIR *d;
	struct dirent *de;
	int dfd;

#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned int)lowfd, ~0U, 0) == 0)
		return;
#endif
#ifdef HAVE_CLOSEFROM
	closefrom(lowfd);
	return;
#endif
	/* Fallback: walk /proc/self/fd, then close what was listed. */
	if ((d = opendir("/proc/self/fd")) == NULL) {
		for (int fd = lowfd; fd < 65536; fd++)
			(void)close(fd);
		return;
	}
	dfd = dirfd(d);
	/*
	 * readdir_r is deprecated (glibc, POSIX.1-2024); readdir is safe here:
	 * one thread, one stream.
	 */
	/* cppcheck-suppress readdirCalled */
	while ((de = readdir(d)) != NULL) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end != '\0' || end == de->d_name || v < lowfd ||
		    v > INT_MAX || v == dfd)
			continue;
		(void)close((int)v);
	}
	(void)closedir(d);
}

/* Set FD_CLOEXEC on fd. */
int
iox_set_cloexec(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFD)) < 0)
		return -1;
	return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/*
 * Every signal disposition back to the default and an empty mask, as a
 * privileged program must start whatever its caller left (a SIGCHLD
 * ignored by an MTA makes the kernel reap our children); then SIGPIPE
 * ignored: a peer that went away is EPIPE, handled where it happens.
 */
void
iox_signals_default(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * The start of every privileged program (STYLE.md 9): fds 0-2 valid and
 * every other closed, umask 077, signals reset (iox_signals_default), the
 * environment emptied.  0, or -1 when that could not be done.
 */
int
iox_start_clean(void)
{
	if (iox_sanitize_std_fds() < 0)
		return -1;
	iox_close_from(3);
	(void)umask(077);
	iox_signals_default();
	return clearenv() == 0 ? 0 : -1;
}
