/*
 * inject: queue files the runner makes itself (bounces, delay warnings,
 * notices to submitters and to postmaster), and queue ids.
 *
 * The file is written under a temporary name in queue/ (O_EXCL,
 * O_NOFOLLOW, 0600), the message's size patched into its M line once the
 * body is written, fsync'd, renamed into place and queue/ fsync'd: the
 * message exists whole or not at all.
 *
 * SECURITY: root, in root's queue/ directory only.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/cqueue.h"
#include "lib/iox.h"
#include "lib/log.h"

#include "queue/queue.h"

/* A new queue id: seconds, microseconds and 64 random bits, in hex. */
void
queue_new_id(char out[64])
{
	unsigned long long r = 0;
	struct timeval tv;

	(void)gettimeofday(&tv, NULL);
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r ^= (unsigned long long)getpid() << 20 ^
		    (unsigned long long)tv.tv_usec;
	(void)snprintf(out, 64, "%08llX%05lX%016llX",
	    (unsigned long long)tv.tv_sec & 0xffffffffULL,
	    (unsigned long)tv.tv_usec & 0xfffffUL, r);
}

/* Make queue/ID with the body written by body(). */
int
queue_create(int kind, uid_t uid, const char *sender, char *const *rcpts,
    size_t nrcpts, int (*body)(int, void *), void *arg, char id[64],
    struct buf *why)
{
	struct buf head = BUF_INIT, tmp = BUF_INIT;
	char digits[CQ_SIZE_DIGITS + 1];
	struct stat st;
	size_t i;
	int fd = -1, rc = -1;

	for (i = 0; i < nrcpts; i++)
		if (!cq_valid_field(rcpts[i], strlen(rcpts[i]))) {
			buf_append_str(why, "bad recipient");
			return -1;
		}
	if (!cq_valid_field(sender, strlen(sender))) {
		buf_append_str(why, "bad sender");
		return -1;
	}
	queue_new_id(id);
	buf_printf(&tmp, ".new.%s", id);
	qfile_head(&head, id, time(NULL), uid, kind, sender, rcpts, nrcpts);
	fd = openat(rn.queuefd, buf_cstr(&tmp), O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || iox_write_full(fd, head.data, head.len) < 0 ||
	    lseek(fd, 0, SEEK_END) < 0 || body(fd, arg) < 0 ||
	    fstat(fd, &st) < 0) {
		buf_printf(why, "cannot write queue/%s: %s", buf_cstr(&tmp),
		    strerror(errno));
		goto out;
	}
	cq_format_size(digits, st.st_size - (off_t)head.len);
	if (iox_pwrite_full(fd, digits, CQ_SIZE_DIGITS,
	    (off_t)head.len - CQ_SIZE_DIGITS - 1) < 0 || iox_fsync(fd) < 0 ||
	    renameat(rn.queuefd, buf_cstr(&tmp), rn.queuefd, id) < 0 ||
	    iox_fsync_dir(rn.queuefd) < 0) {
		buf_printf(why, "cannot commit queue/%s: %s", id,
		    strerror(errno));
		goto out;
	}
	buf_reset(&tmp);
	rc = 0;
out:
	if (tmp.len > 0)
		(void)unlinkat(rn.queuefd, buf_cstr(&tmp), 0);
	if (fd >= 0)
		(void)close(fd);
	buf_free(&head);
	buf_free(&tmp);
	return rc;
}
