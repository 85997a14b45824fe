/*
 * iox: I/O that does not lose data.  Full read and write loops (EINTR, short
 * counts), fsync of a file and of its directory, atomic replacement of a file
 * (temp in the same directory, fsync, rename, fsync directory), and the
 * descriptor hygiene every privileged program does at start.
 */
#ifndef POSTERN_IOX_H
#define POSTERN_IOX_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"

/* Read until n bytes or EOF; returns the count (< n only at EOF) or -1. */
ssize_t	 iox_read_full(int fd, void *, size_t n);
/* Write all n bytes at off with pwrite; 0 or -1 (errno set). */
int	 iox_pwrite_full(int fd, const void *, size_t n, off_t off);
/* Write all n bytes; 0 or -1 (errno set; EPIPE, ENOSPC, ...). */
int	 iox_write_full(int fd, const void *, size_t n);
/* Read to EOF, appending to b; fails with EFBIG past max bytes. */
int	 iox_read_all(int fd, struct buf *b, size_t max);
/* fsync, retried on EINTR. */
int	 iox_fsync(int fd);
/* fsync a directory given by fd, or by path. */
int	 iox_fsync_dir(int dirfd);
int	 iox_fsync_dir_path(const char *);
/* close() that reports errors (EINTR is not retried: the fd is gone). */
int	 iox_close(int fd);

/*
 * Atomic replacement of dir/name.  iox_atomic_open creates a uniquely named
 * temporary file in the directory (O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode), the
 * caller writes to af->fd, iox_atomic_commit fsyncs it, renames it over name
 * and fsyncs the directory.  iox_atomic_abort unlinks the temporary file.
 * Readers see the old file or the new one, never a partial one.
 */
struct iox_atomic {
	int	 dirfd;		/* borrowed, not closed */
	int	 fd;		/* the temporary file, -1 when closed */
	char	*tmpname;	/* name of the temporary file in dirfd */
	char	*name;		/* final name */
};
int	 iox_atomic_open(struct iox_atomic *, int dirfd, const char *name,
	    mode_t mode);
int	 iox_atomic_commit(struct iox_atomic *);
void	 iox_atomic_abort(struct iox_atomic *);
/* All of the above for data in memory. */
int	 iox_atomic_replace(int dirfd, const char *name, const void *, size_t,
	    mode_t mode);

/* Open /dev/null on any of fds 0, 1, 2 that is closed; -1 if that fails. */
int	 iox_sanitize_std_fds(void);
/* Close every fd >= lowfd (close_range, closefrom, or /proc/self/fd). */
void	 iox_close_from(int lowfd);
int	 iox_set_cloexec(int fd);
/* Signals to their defaults, an empty mask, SIGPIPE ignored. */
void	 iox_signals_default(void);
/* fds 0-2 valid, the rest closed, umask 077, signals reset, no env. */
int	 iox_start_clean(void);
/* Milliseconds on the monotonic clock (for deadlines). */
long long iox_now_ms(void);

#endif
