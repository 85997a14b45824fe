/*
 * mbox: append one message to an mbox file, run as the recipient.
 *
 * Input: a directory fd opened as the user (the spool or a directory below
 * home), the mailbox name, the spooled message (trusted).  The mailbox is
 * opened without following links and must be a regular file with one link,
 * owned by the user and not writable by others; a new one is created
 * O_EXCL|O_NOFOLLOW with mode 0600.  Anything else is refused with the
 * reason and a temporary failure, so the owner can repair it and no mail
 * is lost (Postfix local(8) does the same).
 *
 * LOCKING: a dotlock (NAME.lock beside the mailbox, as liblockfile and mutt
 * do), then fcntl on the mailbox, then flock if configured; every wait is
 * bounded by lock_timeout and becomes a temporary failure.  The dotlock
 * postern writes holds "PID\npostern SIZE INODE BOOT\n" and the writer
 * keeps an fcntl lock on the lock file itself, so a later delivery can tell
 * a live holder from a dead one at once (the kernel drops fcntl locks when
 * a process dies, in any PID namespace) and, for a dead one, cut the
 * mailbox back to the SIZE it had when the dead writer started: that
 * removes the partial message a crash (kill -9) left behind.  BOOT is the
 * kernel's boot id: the lock file is never fsync'd, so after a restart its
 * SIZE may be older than appends that did reach the disk, and a lock from
 * an earlier boot cuts off only a torn last message (see mbox_recover).
 * A foreign dotlock is removed when older than stale_lock_time.
 *
 * WRITING: the From_ line (envelope sender, asctime of arrival), the
 * Return-Path: and Delivered-To: lines, the message with ">From " quoting
 * (mboxrd or mboxo), and a blank line.  Then fsync.  On any error the file
 * is truncated back to the size it had, fsync'd, and the dotlock removed.
 * If close() fails after a good fsync, the file is cut back only when its
 * size is still the one this delivery left (sendmail 8.12.10 truncated a
 * later delivery's data here).
 *
 * Diagnostics: res (status, RFC 3463 code, text).
 *
 * SECURITY: runs as the user (see deliver.c); reads the lock file and the
 * mailbox only through descriptors it vetted with fstat.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/safeopen.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

#define MBOX_BUF	65536

/* A held dotlock. */
struct dotlock {
	int	 dirfd;
	int	 fd;		/* the lock file, fcntl-locked; -1: none */
	char	*name;
	off_t	 len;		/* its content's length; -1: unknown */
	bool	 recover;	/* taken over from a dead postern writer */
	bool	 rec_boot;	/* ... of this boot: rec_size is exact */
	off_t	 rec_size;	/* ... whose mailbox had this size */
	unsigned long long rec_ino;
};

/* Sleep a little, growing, with jitter; false once the deadline passed. */
static bool
mbox_backoff(long long deadline, unsigned *step)
{
	struct timespec ts;
	long ms;

	if (iox_now_ms() >= deadline)
		return false;
	ms = 1L << (*step < 6 ? *step : 6);	/* 1..64 ms */
	ms += (long)(getpid() % 7);
	if (*step < 6)
		(*step)++;
	ts.tv_sec = 0;
	ts.tv_nsec = ms * 1000000L;
	(void)nanosleep(&ts, NULL);
	return true;
}

/*
 * Replace the lock file's content (*len long before, then as written: a
 * file cut only when the new content is shorter).
 */
static int
dotlock_write(int fd, off_t *len, off_t size, unsigned long long ino,
    bool known)
{
	char text[160];
	int n;

	if (known)
		n = snprintf(text, sizeof(text), "%ld\npostern %lld %llu %s\n",
		    (long)getpid(), (long long)size, ino, mbox_boot_id());
	else
		n = snprintf(text, sizeof(text), "%ld\npostern\n",
		    (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(text)) {
		errno = EOVERFLOW;
		return -1;
	}
	if (pwrite(fd, text, (size_t)n, 0) != n ||
	    ((*len < 0 || *len > n) && ftruncate(fd, n) < 0))
		return -1;
	*len = n;
	return 0;
}

/* Take an fcntl write lock on fd without waiting. */
static int
mbox_fcntl_try(int fd, int type)
{
	struct flock fl = { .l_type = (short)type, .l_whence = SEEK_SET };

	return fcntl(fd, F_SETLK, &fl);
}

/* A new lock file, already fcntl-locked and with content, under name. */
static int
dotlock_create(struct dotlock *lk)
{
	char proc[64];
	int fd, saved;

	lk->len = 0;	/* a new file */
	fd = openat(lk->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (mbox_fcntl_try(fd, F_WRLCK) < 0 ||
		    dotlock_write(fd, &lk->len, 0, 0, false) < 0)
			goto fail;
		(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, lk->dirfd, lk->name,
		    AT_SYMLINK_FOLLOW) == 0)
			return fd;
		if (errno == EEXIST)
			goto fail;
		(void)close(fd);	/* no /proc: the portable way */
	}
	fd = openat(lk->dirfd, lk->name,
	    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	lk->len = 0;
	if (mbox_fcntl_try(fd, F_WRLCK) < 0 || dotlock_write(fd, &lk->len, 0,
	    0, false) < 0) {
		saved = errno;
		(void)unlinkat(lk->dirfd, lk->name, 0);
		(void)close(fd);
		errno = saved;
		return -1;
	}
	return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

/* Is fd still the file named name in dirfd? */
static bool
dotlock_same(const struct dotlock *lk, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && a.st_nlink > 0 &&
	    fstatat(lk->dirfd, lk->name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Look at an existing lock.  1: we took it over (lk->fd set), 0: someone
 * holds it (or it just went away), -1: error with errno.
 */
static int
dotlock_examine(struct dotlock *lk)
{
	char text[192];
	struct stat st;
	unsigned long long ino = 0;
	off_t size = 0;
	bool boot = false;
	ssize_t n;
	int fd, k;

	fd = openat(lk->dirfd, lk->name, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && errno != EACCES)
		return -1;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	n = fd >= 0 ? pread(fd, text, sizeof(text) - 1, 0) : -1;
	text[n > 0 ? n : 0] = '\0';
	if (fd >= 0 && (k = mbox_lock_record(text, &size, &ino,
	    &boot)) >= 0) {
		if (mbox_fcntl_try(fd, F_WRLCK) < 0) {
			(void)close(fd);	/* its writer lives */
			return 0;
		}
		if (!dotlock_same(lk, fd)) {
			(void)close(fd);	/* removed meanwhile */
			return 0;
		}
		/*
		 * The writer died holding it: take it over.  The numbers
		 * are only compared with the mailbox's size and inode.
		 */
		lk->recover = k == 1;
		lk->rec_size = size;
		lk->rec_ino = ino;
		lk->rec_boot = boot;
		/*
		 * Its content stays until the mailbox is repaired: if this
		 * process dies too, the next one still knows the size.
		 */
		lk->fd = fd;
		lk->len = -1;
		return 1;
	}
	/* A foreign lock: break it only when it is old. */
	if (fd < 0 && fstatat(lk->dirfd, lk->name, &st,
	    AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (time(NULL) - st.st_mtime > config_num(CF_stale_lock_time) &&
	    (fd < 0 || dotlock_same(lk, fd))) {
		if (unlinkat(lk->dirfd, lk->name, 0) == 0)
			log_warn("%s: removed a stale lock file", lk->name);
	}
	if (fd >= 0)
		(void)close(fd);
	return 0;
}

/* Acquire the dotlock before the deadline. */
static int
dotlock_acquire(struct dotlock *lk, long long deadline, struct buf *why)
{
	unsigned step = 0;
	int rc;

	for (;;) {
		if ((lk->fd = dotlock_create(lk)) >= 0)
			return 0;
		if (errno != EEXIST) {
			buf_printf(why, "cannot create lock file %s: %s",
			    lk->name, strerror(errno));
			return -1;
		}
		if ((rc = dotlock_examine(lk)) > 0)
			return 0;
		if (rc < 0) {
			buf_printf(why, "bad lock file %s: %s", lk->name,
			    strerror(errno));
			return -1;
		}
		if (!mbox_backoff(deadline, &step)) {
			errno = EAGAIN;
			buf_printf(why, "mailbox is locked: %s", lk->name);
			return -1;
		}
	}
}

static void
dotlock_release(struct dotlock *lk)
{
	if (lk->fd < 0)
		return;
	if (dotlock_same(lk, lk->fd))
		(void)unlinkat(lk->dirfd, lk->name, 0);
	(void)close(lk->fd);
	lk->fd = -1;
}

/* Open or create the mailbox and vet it. */
static int
mbox_open(int dirfd, const char *name, uid_t uid, struct buf *why)
{
	struct safe_check rule = {
		.type = S_IFREG, .nlink_max = 1, .nowners = 1,
		.owners = { uid }, .mode_forbid = S_IWOTH,
	};
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		buf_reset(why);
		fd = safe_openat(dirfd, name, O_RDWR | O_APPEND, 0, NULL,
		    &rule, 0, NULL, why);
		if (fd >= 0 || errno != ENOENT)
			return fd;
		fd = openat(dirfd, name, O_RDWR | O_APPEND | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (safe_check_fd(fd, name, &rule, NULL, why) < 0) {
				(void)close(fd);
				errno = EPERM;
				return -1;
			}
			return fd;
		}
		if (errno != EEXIST) {
			buf_printf(why, "%s: cannot create: %s", name,
			    strerror(errno));
			return -1;
		}
	}
	return -1;
}

/* Lock the open mailbox with fcntl (and flock) before the deadline. */
static int
mbox_lock_fd(int fd, long long deadline)
{
	unsigned step = 0;

	if (config_list_has(CF_mailbox_locks, "fcntl"))
		while (mbox_fcntl_try(fd, F_WRLCK) < 0) {
			if ((errno != EAGAIN && errno != EACCES) ||
			    !mbox_backoff(deadline, &step))
				return -1;
		}
	step = 0;
	if (config_list_has(CF_mailbox_locks, "flock"))
		while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK || !mbox_backoff(deadline,
			    &step))
				return -1;
		}
	return 0;
}

/*
 * CRASH RECOVERY: cut off what a dead writer left after rec_size.  The
 * mailbox's size afterwards.
 *
 * A lock of this boot records the size exactly: it is rewritten before
 * any success is reported, and the page cache holds what was written, so
 * whatever follows is a message nobody acknowledged.  A lock from an
 * earlier boot (a power loss) may record an older size than the disk
 * kept: the mailbox's appends were fsync'd and acknowledged, the lock's
 * rewrites and its removal were not synced.  Cutting back to it could
 * remove acknowledged mail, so only a torn last message goes: the
 * mailbox ends with the blank line after a message, or it is cut back to
 * where its last message starts.
 */
static off_t
mbox_recover(const struct dotlock *lk, int fd, const struct stat *st,
    const char *name)
{
	char head[5], tail[2];
	off_t cut = lk->rec_size;

	if (!lk->recover || (unsigned long long)st->st_ino != lk->rec_ino ||
	    st->st_size <= lk->rec_size)
		return st->st_size;
	if (pread(fd, head, sizeof(head), lk->rec_size) != sizeof(head) ||
	    memcmp(head, "From ", sizeof(head)) != 0) {
		log_warn("%s: lock of a dead delivery, but no message starts "
		    "at offset %lld: left as it is", name,
		    (long long)lk->rec_size);
		return st->st_size;
	}
	if (!lk->rec_boot) {
		if (pread(fd, tail, sizeof(tail), st->st_size - 2) !=
		    sizeof(tail))
			return st->st_size;
		if (memcmp(tail, "\n\n", sizeof(tail)) == 0) {
			log_warn("%s: lock left before a restart: kept the "
			    "%lld bytes after the size it records (they end "
			    "a whole message)", name,
			    (long long)(st->st_size - lk->rec_size));
			return st->st_size;
		}
		if ((cut = mbox_last_start(fd, lk->rec_size, st->st_size,
		    MBOX_BUF)) < 0)
			return st->st_size;
	}
	if (ftruncate(fd, cut) < 0)
		return st->st_size;
	if (iox_fsync(fd) == 0)
		log_warn("%s: removed %lld bytes of a delivery that did not "
		    "finish", name, (long long)(st->st_size - cut));
	return cut;
}

/* The message with From_ quoting, through a buffer. */
struct mbox_out {
	int	 fd;
	char	*buf;
	size_t	 len;
	int	 err;
};

static void
mbox_put(struct mbox_out *o, const char *p, size_t n)
{
	while (n > 0 && o->err == 0) {
		size_t take = MBOX_BUF - o->len < n ? MBOX_BUF - o->len : n;

		memcpy(o->buf + o->len, p, take);
		o->len += take;
		p += take;
		n -= take;
		if (o->len == MBOX_BUF) {
			if (iox_write_full(o->fd, o->buf, o->len) < 0)
				o->err = errno;
			o->len = 0;
		}
	}
}

/* Emit n '>' characters. */
static void
mbox_put_gts(struct mbox_out *o, size_t n)
{
	static const char gts[] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";

	while (n > 0) {
		size_t take = n < sizeof(gts) - 1 ? n : sizeof(gts) - 1;

		mbox_put(o, gts, take);
		n -= take;
	}
}

/*
 * Copy the spool with quoting.  At a line start the bytes that may still
 * turn out to be a separator are held back as counts: gts '>' (mboxrd
 * only) and m bytes of "From ".  A full match is written with one more
 * '>'; a mismatch writes what was held.  The state carries across reads,
 * so chunk boundaries do not matter.
 */
static void
mbox_copy_quoted(struct mbox_out *o, struct spool *sp, bool rd)
{
	static const char from[] = "From ";
	char *in = xmalloc(MBOX_BUF);
	off_t off = 0;
	bool bol = true;
	size_t gts = 0, m = 0;

	while (off < sp->size && o->err == 0) {
		ssize_t n = pread(sp->fd, in, (size_t)(sp->size - off) < MBOX_BUF ?
		    (size_t)(sp->size - off) : MBOX_BUF, off);
		size_t i = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->err = n < 0 ? errno : EIO;
			break;
		}
		off += n;
		while (i < (size_t)n) {
			char c = in[i];

			if (!bol) {
				char *nl = memchr(in + i, '\n', (size_t)n - i);
				size_t end = nl ? (size_t)(nl - in) + 1 :
				    (size_t)n;

				mbox_put(o, in + i, end - i);
				i = end;
				bol = nl != NULL;
				continue;
			}
			i++;
			if (c == '>' && m == 0 && rd) {
				gts++;
				continue;
			}
			if (c == from[m]) {
				if (++m < sizeof(from) - 1)
					continue;
				mbox_put_gts(o, gts + 1);	/* QUOTING */
				mbox_put(o, from, m);
				gts = m = 0;
				bol = false;
				continue;
			}
			mbox_put_gts(o, gts);
			mbox_put(o, from, m);
			mbox_put(o, &c, 1);
			gts = m = 0;
			bol = c == '\n';
		}
	}
	mbox_put_gts(o, gts);
	mbox_put(o, from, m);
	free(in);
}

/* From_ line: the sender without white space, and asctime. */
void
mbox_from_line(struct buf *b, const char *sender, time_t t)
{
	struct tm tm;
	char date[64];
	size_t i, start = b->len;

	buf_append_str(b, "From ");
	buf_append_str(b, sender[0] != '\0' ? sender : "MAILER-DAEMON");
	for (i = start + 5; i < b->len; i++)
		if (b->data[i] == ' ' || b->data[i] == '\t')
			b->data[i] = '_';
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		(void)snprintf(date, sizeof(date), "Thu Jan  1 00:00:00 1970");
	buf_printf(b, " %s\n", date);
}

/* Everything of one append; 0 or -1 with errno. */
static int
mbox_write(int fd, struct spool *sp, const char *sender, const char *rcpt,
    const char *orig)
{
	struct mbox_out o = { fd, NULL, 0, 0 };
	struct buf head = BUF_INIT;

	mbox_from_line(&head, sender, sp->arrival.tv_sec);
	deliver_headers(&head, sender, rcpt, orig);
	o.buf = xmalloc(MBOX_BUF);
	mbox_put(&o, head.data, head.len);
	buf_free(&head);
	mbox_copy_quoted(&o, sp,
	    strcmp(config_str(CF_mailbox_quoting), "mboxrd") == 0);
	mbox_put(&o, "\n", 1);	/* the blank line between messages */
	if (o.err == 0 && o.len > 0 && iox_write_full(fd, o.buf, o.len) < 0)
		o.err = errno;
	free(o.buf);
	if (o.err == 0 && iox_fsync(fd) < 0)
		o.err = errno;
	errno = o.err;
	return o.err == 0 ? 0 : -1;
}

/* Cut the mailbox back to size and make that durable. */
static void
mbox_restore(int fd, off_t size, const char *name)
{
	if (ftruncate(fd, size) < 0 || iox_fsync(fd) < 0)
		log_error("%s: cannot truncate back to %lld bytes: %s", name,
		    (long long)size, strerror(errno));
}

/*
 * A failed close after fsync: reopen and cut back, but only if the size
 * is still what this delivery left.
 */
static void
mbox_close_failed(int dirfd, const char *name, off_t ours, off_t orig)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size == ours)
		mbox_restore(fd, orig, name);
	else
		log_warn("%s: close failed and the mailbox changed since: "
		    "left as it is", name);
	(void)close(fd);
}

/*
 * A mailbox kept locked (dotlock and fcntl) and open from one delivery to
 * the next by a worker, when the next request was already waiting as one
 * ended: an LMTP client sending messages back to back to one user.  The
 * lock file always records the mailbox's size after the last delivery
 * (CRASH RECOVERY cuts back to it, and never further).  Held for
 * MBOX_HOLD_MS at most, then released for other writers and readers.
 */
#define MBOX_HOLD_MS	1000

static struct {
	struct dotlock lk;	/* "NAME.lock" in lk.dirfd */
	int	 fd;		/* the mailbox, fcntl-locked; -1: none held */
	off_t	 size;		/* as the lock file records it */
	long long since;	/* when it was locked (ms) */
} held = { { -1, -1, NULL, -1, false, false, 0, 0 }, -1, 0, 0 };

/* Is the held mailbox dirfd/name? */
static bool
mbox_held_is(int dirfd, const char *name)
{
	size_t n = strlen(name);

	return held.fd >= 0 && held.lk.dirfd == dirfd &&
	    strncmp(held.lk.name, name, n) == 0 &&
	    strcmp(held.lk.name + n, ".lock") == 0;
}

/* Take the held mailbox and its lock over (they are no longer held). */
static void
mbox_take_held(struct dotlock *lk, int *fd)
{
	*lk = held.lk;
	*fd = held.fd;
	held.fd = held.lk.fd = -1;
	held.lk.name = NULL;
}

void
mbox_release_held(void)
{
	struct dotlock lk;
	int fd;

	if (held.fd < 0)
		return;
	mbox_take_held(&lk, &fd);
	(void)close(fd);
	dotlock_release(&lk);
	free(lk.name);
}

/*
 * After a delivery: keep fd and lk for the next one if it is waiting (and
 * the lock file can say the new size).  True when they were kept.
 */
static bool
mbox_keep(struct dotlock *lk, int fd, const struct stat *st, long long since,
    bool plain)
{
	if (!plain || lk->fd < 0 || st->st_size < 0 ||
	    iox_now_ms() - since >= MBOX_HOLD_MS || !worker_next_waiting() ||
	    dotlock_write(lk->fd, &lk->len, st->st_size,
	    (unsigned long long)st->st_ino, true) < 0)
		return false;
	held.lk = *lk;
	held.fd = fd;
	held.size = st->st_size;
	held.since = since;
	lk->fd = -1;
	lk->name = NULL;
	return true;
}

/* Deliver to dirfd/name; the result goes to res. */
void
mbox_deliver(struct spool *sp, const char *sender, const struct rcpt *r,
    int dirfd, const char *dirname, const char *name, struct dresult *res)
{
	struct dotlock lk = { dirfd, -1, NULL, -1, false, false, 0, 0 };
	struct buf why = BUF_INIT, final = BUF_INIT, obj = BUF_INIT;
	long long deadline, since;
	struct stat st;
	off_t orig;
	int fd = -1, subfd = -1;

	since = iox_now_ms();
	deadline = since + config_num(CF_lock_timeout) * 1000;
	buf_printf(&obj, "%s/%s", dirname, name);
	deliver_final_addr(&final, r);
	if (held.fd >= 0 && (r->file_target || !mbox_held_is(dirfd, name)))
		mbox_release_held();
	if (held.fd >= 0) {
		/* Still locked and open since the last delivery. */
		since = held.since;
		mbox_take_held(&lk, &fd);
		if (fstat(fd, &st) < 0) {
			dresult_errno(res, errno, "cannot stat",
			    buf_cstr(&obj));
			goto out;
		}
		/* Changed meanwhile by a writer that does not lock. */
		if (st.st_size != held.size && dotlock_write(lk.fd, &lk.len,
		    st.st_size, (unsigned long long)st.st_ino, true) < 0) {
			dresult_errno(res, errno, "cannot update lock",
			    buf_cstr(&obj));
			goto out;
		}
		goto locked;
	}
	if (strchr(name, '/') != NULL) {
		/* A home mailbox in a subdirectory: lock beside it. */
		char *dir = xstrdup(name), *slash = strrchr(dir, '/');
		static const struct safe_check sub = {
			.type = S_IFDIR, .mode_forbid = S_IWOTH,
		};

		*slash = '\0';
		subfd = safe_opendir(dirfd, dir, &sub, 0, &why);
		name += slash - dir + 1;
		free(dir);
		if (subfd < 0) {
			/* The owner can create it: mail waits meanwhile. */
			dresult_why(res, errno, "cannot open", buf_cstr(&why));
			res->status = EX_TEMPFAIL;
			goto out;
		}
		dirfd = lk.dirfd = subfd;
	}
	lk.name = xmalloc(strlen(name) + sizeof(".lock"));
	(void)sprintf(lk.name, "%s.lock", name);
	if (config_list_has(CF_mailbox_locks, "dotlock") &&
	    dotlock_acquire(&lk, deadline, &why) < 0) {
		/*
		 * A file named in an alias or .forward may live in a
		 * directory the user cannot write (Postfix: "dot lock may
		 * fail"): fcntl alone then.
		 */
		if (!(r->file_target && (errno == EACCES || errno == EPERM ||
		    errno == EROFS))) {
			dresult_why(res, errno, "cannot lock",
			    buf_cstr(&why));
			goto out;
		}
		buf_reset(&why);
	}
	if ((fd = mbox_open(dirfd, name, r->pw.uid, &why)) < 0) {
		int e = errno;

		res->status = EX_TEMPFAIL;
		res->dsn = e == ELOOP || e == EMLINK || e == EPERM ?
		    "4.7.0" : "4.2.0";
		buf_printf(&res->text, "unsafe or unusable mailbox %s",
		    buf_cstr(&why));
		log_warn("refused mailbox %s: %s", buf_cstr(&obj),
		    buf_cstr(&why));
		goto out;
	}
	if (mbox_lock_fd(fd, deadline) < 0) {
		dresult_errno(res, errno == EAGAIN || errno == EACCES ?
		    EAGAIN : errno, "cannot lock", buf_cstr(&obj));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		dresult_errno(res, errno, "cannot stat", buf_cstr(&obj));
		goto out;
	}
	if (lk.fd >= 0) {
		st.st_size = mbox_recover(&lk, fd, &st, buf_cstr(&obj));
		if (dotlock_write(lk.fd, &lk.len, st.st_size,
		    (unsigned long long)st.st_ino, true) < 0) {
			dresult_errno(res, errno, "cannot update lock",
			    buf_cstr(&obj));
			goto out;
		}
	}
locked:
	orig = st.st_size;
	if (mbox_write(fd, sp, sender, buf_cstr(&final), r->orig) < 0) {
		int e = errno;

		mbox_restore(fd, orig, buf_cstr(&obj));
		dresult_errno(res, e, "cannot write", buf_cstr(&obj));
		goto out;
	}
	if (fstat(fd, &st) < 0)
		st.st_size = -1;
	/* A kept mailbox is closed later: after fsync, nothing to lose. */
	if (!mbox_keep(&lk, fd, &st, since, subfd < 0 && !r->file_target) &&
	    iox_close(fd) < 0) {
		int e = errno;

		fd = -1;
		mbox_close_failed(dirfd, name, st.st_size, orig);
		dresult_errno(res, e, "cannot close", buf_cstr(&obj));
		goto out;
	}
	fd = -1;
	res->status = EX_OK;
	buf_printf(&res->text, "delivered to %s %s", r->file_target ? "file" :
	    "mailbox", buf_cstr(&obj));
out:
	if (fd >= 0)
		(void)close(fd);
	dotlock_release(&lk);
	if (subfd >= 0)
		(void)close(subfd);
	free(lk.name);
	buf_free(&why);
	buf_free(&final);
	buf_free(&obj);
}
