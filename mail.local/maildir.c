/*
 * maildir: deliver one message into a Maildir below the user's home, run
 * as the user.
 *
 * Input: the home directory fd (opened and vetted as the user), the Maildir
 * path from home_mailbox (relative, ends in '/'), the spooled message.
 * The Maildir and its tmp/, new/ and cur/ are created (mode 0700) when
 * missing.  The message is written to tmp/ under a name no other delivery
 * can use (seconds, microseconds, pid, host), fsync'd, then linked into
 * new/ under its final name, which adds the device and inode of the file
 * and its size (",S=size", as Dovecot and Courier read it), and new/ is
 * fsync'd before success is reported.  The body is copied from the spool
 * with copy_file_range (sendfile, then read/write, when that is not
 * possible), so it does not pass through user space.
 *
 * Diagnostics: res (status, RFC 3463 code, text).
 *
 * SECURITY: runs as the user; every directory is opened without following
 * links and checked; the message file is created O_EXCL|O_NOFOLLOW.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/iox.h"
#include "lib/safeopen.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

static const struct safe_check maildir_rule = {
	.type = S_IFDIR, .nowners = 0, .mode_forbid = S_IWOTH,
};

/* Open dirfd/name as a directory, creating it if missing. */
static int
maildir_subdir(int dirfd, const char *name, struct buf *why)
{
	int fd = safe_opendir(dirfd, name, &maildir_rule, 0, why);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST) {
		buf_printf(why, "%s: cannot create: %s", name, strerror(errno));
		return -1;
	}
	buf_reset(why);
	return safe_opendir(dirfd, name, &maildir_rule, 0, why);
}

/* Walk path (a/b/c/) below home, creating what is missing. */
static int
maildir_open(int homefd, const char *path, struct buf *why)
{
	char *copy = xstrdup(path), *p, *save = NULL;
	int fd = homefd, next;

	for (p = strtok_r(copy, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save)) {
		next = maildir_subdir(fd, p, why);
		if (fd != homefd)
			(void)close(fd);
		if (next < 0) {
			free(copy);
			return -1;
		}
		fd = next;
	}
	free(copy);
	if (fd == homefd) {
		errno = EINVAL;
		buf_append_str(why, "empty Maildir path");
		return -1;
	}
	return fd;
}

/* The host part of a Maildir name: '/' and ':' are encoded. */
static void
maildir_host(struct buf *b)
{
	const char *h;

	for (h = ml_opts.hostname; *h != '\0'; h++) {
		if (*h == '/')
			buf_append_str(b, "\\057");
		else if (*h == ':')
			buf_append_str(b, "\\072");
		else
			buf_append_byte(b, (unsigned char)*h);
	}
}

void
maildir_deliver(struct spool *sp, const char *sender, const struct rcpt *r,
    int homefd, const char *home, const char *path, struct dresult *res)
{
	struct buf why = BUF_INIT, head = BUF_INIT, tmpname = BUF_INIT;
	struct buf final = BUF_INIT, obj = BUF_INIT;
	struct timeval tv;
	struct stat st;
	int mdfd = -1, tmpfd = -1, newfd = -1, curfd = -1, fd = -1;

	buf_printf(&obj, "%s/%s", home, path);
	if ((mdfd = maildir_open(homefd, path, &why)) < 0 ||
	    (tmpfd = maildir_subdir(mdfd, "tmp", &why)) < 0 ||
	    (newfd = maildir_subdir(mdfd, "new", &why)) < 0 ||
	    (curfd = maildir_subdir(mdfd, "cur", &why)) < 0) {
		res->status = EX_TEMPFAIL;
		res->dsn = "4.2.0";
		buf_printf(&res->text, "unusable Maildir %s: %s",
		    buf_cstr(&obj), buf_cstr(&why));
		goto out;
	}
	(void)gettimeofday(&tv, NULL);
	buf_printf(&tmpname, "%lld.M%ldP%ld.", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid());
	maildir_host(&tmpname);
	fd = openat(tmpfd, buf_cstr(&tmpname), O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		dresult_errno(res, errno, "cannot create in", buf_cstr(&obj));
		goto out;
	}
	deliver_final_addr(&final, r);
	deliver_headers(&head, sender, buf_cstr(&final), r->orig);
	if (iox_write_full(fd, head.data, head.len) < 0 ||
	    spool_copy(sp, fd, sp->size) < 0 || iox_fsync(fd) < 0 ||
	    fstat(fd, &st) < 0) {
		dresult_errno(res, errno, "cannot write to", buf_cstr(&obj));
		goto unlink;
	}
	if (iox_close(fd) < 0) {
		fd = -1;
		dresult_errno(res, errno, "cannot write to", buf_cstr(&obj));
		goto unlink;
	}
	fd = -1;
	buf_reset(&final);
	buf_printf(&final, "%lld.M%ldP%ldV%llxI%llx.", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	maildir_host(&final);
	buf_printf(&final, ",S=%lld", (long long)st.st_size);
	if (linkat(tmpfd, buf_cstr(&tmpname), newfd, buf_cstr(&final), 0) < 0 ||
	    iox_fsync_dir(newfd) < 0) {
		dresult_errno(res, errno, "cannot move into", buf_cstr(&obj));
		(void)unlinkat(newfd, buf_cstr(&final), 0);
		goto unlink;
	}
	(void)unlinkat(tmpfd, buf_cstr(&tmpname), 0);
	res->status = EX_OK;
	buf_printf(&res->text, "delivered to maildir %snew/%s",
	    buf_cstr(&obj), buf_cstr(&final));
	goto out;
unlink:
	(void)unlinkat(tmpfd, buf_cstr(&tmpname), 0);
out:
	if (fd >= 0)
		(void)close(fd);
	if (curfd >= 0)
		(void)close(curfd);
	if (newfd >= 0)
		(void)close(newfd);
	if (tmpfd >= 0)
		(void)close(tmpfd);
	if (mdfd >= 0)
		(void)close(mdfd);
	buf_free(&why);
	buf_free(&head);
	buf_free(&tmpname);
	buf_free(&final);
	buf_free(&obj);
}
