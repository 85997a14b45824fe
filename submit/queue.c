/*
 * queue: the client queue file, written with the submit group, and mailq.
 *
 * The file is created in $queue_directory/submit/tmp with
 * O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600, under a name made of the
 * time and 64 random bits (unique and unguessable), so a group member
 * cannot plant a link for it; the directory is opened one component at a
 * time without following links and must be root's and not writable by
 * others.  After the whole file is written and fsync'd it is renamed into
 * submit/new and that directory is fsync'd; only then is the group given
 * up for good and success reported.  Any failure, or a fatal signal,
 * removes the temporary file (the signal handlers only unlink and _exit).
 * The queue runner finds new files with inotify on submit/new (and a
 * periodic scan): no wake-up is sent.
 *
 * mailq (-bp) reads submit/new with the group: a user can open only their
 * own files (mode 0600), so that is what they see; root sees all.
 *
 * SECURITY: runs with egid = the submit group; every path is built from
 * postern.conf (root's) and names this module chose.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/cqueue.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/safeopen.h"
#include "lib/xalloc.h"

#include "submit/submit.h"

/* For the signal handlers: what to unlink.  Set before they can run. */
static volatile sig_atomic_t queue_have_tmp;
static int queue_tmpfd = -1;
static char queue_tmpname[64];

static const struct safe_check queue_dir_rule = {
	.type = S_IFDIR, .nowners = 1, .owners = { 0 },
	.mode_forbid = S_IWOTH,
};

/* Open $queue_directory/submit/SUB as a directory. */
static int
queue_dir(const char *sub, struct buf *why)
{
	struct buf path = BUF_INIT;
	int fd;

	buf_printf(&path, "%s/submit/%s", config_str(CF_queue_directory), sub);
	fd = safe_opendir(AT_FDCWD, buf_cstr(&path), &queue_dir_rule,
	    SAFE_F_ROOT_SYMLINKS, why);
	buf_free(&path);
	return fd;
}

/* Signal handlers: remove the temporary file, exit 75.  Nothing else. */
static void
queue_on_signal(int sig)
{
	(void)sig;
	if (queue_have_tmp)
		(void)unlinkat(queue_tmpfd, queue_tmpname, 0);
	_exit(EX_TEMPFAIL);
}

void
queue_abort(void)
{
	if (queue_have_tmp) {
		/* Unlink first: a signal in between still removes the file. */
		(void)unlinkat(queue_tmpfd, queue_tmpname, 0);
		queue_have_tmp = 0;
	}
}

const int queue_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM,
    SIGUSR1, SIGUSR2, SIGXCPU, SIGVTALRM, SIGPROF };
const size_t queue_nsignals = sizeof(queue_signals) / sizeof(queue_signals[0]);

/* Create the temporary file; returns its fd. */
int
queue_open(struct submit *s, struct buf *why)
{
	struct sigaction sa;
	sigset_t block, old;
	unsigned long long rnd;
	struct timeval tv;
	size_t i;
	int fd, e;

	if ((queue_tmpfd = queue_dir("tmp", why)) < 0)
		return -1;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		buf_printf(why, "getrandom: %s", strerror(errno));
		return -1;
	}
	(void)gettimeofday(&tv, NULL);
	(void)snprintf(queue_tmpname, sizeof(queue_tmpname), "%08llX%05lX%016llX",
	    (unsigned long long)tv.tv_sec & 0xffffffffULL,
	    (unsigned long)tv.tv_usec, rnd);
	(void)snprintf(s->id, sizeof(s->id), "%s", queue_tmpname);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = queue_on_signal;
	(void)sigfillset(&sa.sa_mask);
	for (i = 0; i < queue_nsignals; i++)
		(void)sigaction(queue_signals[i], &sa, NULL);
	/*
	 * A signal that arrives during openat is delivered on its return,
	 * after the file exists: blocked until queue_have_tmp says so, or the
	 * handler would leave the file in tmp/.
	 */
	(void)sigfillset(&block);
	(void)sigprocmask(SIG_BLOCK, &block, &old);
	fd = openat(queue_tmpfd, queue_tmpname,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	e = errno;
	if (fd >= 0)
		queue_have_tmp = 1;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		buf_printf(why, "cannot create %s/submit/tmp/%s: %s",
		    config_str(CF_queue_directory), queue_tmpname,
		    strerror(e));
		return -1;
	}
	return fd;
}

/* Finish the file, move it into new/, give up the group. */
void
queue_commit(struct submit *s, int fd, off_t size, bool drop)
{
	struct buf tail = BUF_INIT, why = BUF_INIT;
	char digits[CQ_SIZE_DIGITS + 1];
	int newfd;

	cq_format_size(digits, size);
	cq_write_tail(&tail, &s->env);
	if (pwrite(fd, digits, CQ_SIZE_DIGITS, (off_t)cq_size_offset()) !=
	    CQ_SIZE_DIGITS || iox_write_full(fd, tail.data, tail.len) < 0 ||
	    iox_fsync(fd) < 0 || iox_close(fd) < 0)
		submit_fail(errno == EFBIG || errno == ENOSPC || errno == EDQUOT ?
		    EX_TEMPFAIL : EX_IOERR, "cannot write the queue file: %s",
		    strerror(errno));
	if ((newfd = queue_dir("new", &why)) < 0)
		submit_fail(EX_TEMPFAIL, "%s", buf_cstr(&why));
	if (renameat(queue_tmpfd, queue_tmpname, newfd, queue_tmpname) < 0)
		submit_fail(EX_TEMPFAIL, "cannot move the queue file into "
		    "submit/new: %s", strerror(errno));
	queue_have_tmp = 0;
	if (iox_fsync_dir(newfd) < 0) {
		/* Not durable: take it back rather than claim success. */
		int e = errno;

		(void)unlinkat(newfd, queue_tmpname, 0);
		submit_fail(EX_TEMPFAIL, "cannot sync submit/new: %s",
		    strerror(e));
	}
	(void)close(newfd);
	(void)close(queue_tmpfd);
	queue_tmpfd = -1;
	if (drop && priv_drop_setgid(&why) < 0)
		submit_fail(EX_OSERR, "cannot drop the submit group: %s",
		    buf_cstr(&why));
	log_set_flags(LOG_F_SYSLOG);	/* success is silent on stderr */
	log_info("%s: uid=%lu from=<%s> size=%lld nrcpt=%zu (queued)", s->id,
	    (unsigned long)s->uid, s->env.sender, (long long)size,
	    s->env.nrcpts);
	buf_free(&tail);
	buf_free(&why);
}

/*
 * The envelope of a queue file without reading its message: the head
 * gives the message size, the records after the message are read with
 * pread and parsed behind a head that says "no message".  read(), not
 * mmap(): a file its owner truncates meanwhile must not kill mailq with
 * SIGBUS.  0, or -1 for a file that is not (or no longer) a good one.
 */
static int
queue_envelope(int fd, off_t limit, struct cq_env *e, off_t *msg_size)
{
	struct buf head = BUF_INIT, tail = BUF_INIT, why = BUF_INIT;
	size_t hlen = cq_size_offset() + CQ_SIZE_DIGITS + 1;
	char digits[CQ_SIZE_DIGITS + 1];
	long long size = 0;
	int rc = -1;

	buf_reserve(&head, hlen);
	if (pread(fd, head.data, hlen, 0) != (ssize_t)hlen)
		goto out;
	head.len = hlen;
	for (size_t i = 0; i < CQ_SIZE_DIGITS; i++) {
		char c = head.data[cq_size_offset() + i];

		if (c < '0' || c > '9' || (size = size * 10 + (c - '0')) > limit)
			goto out;
	}
	if (lseek(fd, (off_t)hlen + (off_t)size, SEEK_SET) < 0 ||
	    iox_read_all(fd, &tail, (size_t)CQ_RCPT_MAX *
	    (CQ_FIELD_MAX + 3) + 65536) < 0)
		goto out;
	cq_format_size(digits, 0);
	memcpy(head.data + cq_size_offset(), digits, CQ_SIZE_DIGITS);
	buf_append(&head, tail.data, tail.len);
	if (cq_parse(head.data, head.len, limit, e, &why) == 0) {
		*msg_size = (off_t)size;
		rc = 0;
	}
out:
	buf_free(&head);
	buf_free(&tail);
	buf_free(&why);
	return rc;
}

/* One mailq entry from a queue file; 0 if shown. */
static int
queue_show(int dirfd, const char *name, off_t limit, int shown)
{
	struct cq_env e;
	struct stat st;
	off_t size;
	char when[32];
	struct tm tm;
	size_t i;
	int fd, rc;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd < 0)
		return -1;	/* not ours */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != getuid() && getuid() != 0)) {
		(void)close(fd);
		return -1;
	}
	rc = queue_envelope(fd, limit, &e, &size);
	(void)close(fd);
	if (rc < 0)
		return -1;
	(void)localtime_r(&st.st_mtime, &tm);
	(void)strftime(when, sizeof(when), "%a %b %d %H:%M", &tm);
	if (shown == 0) {
		printf("\t\t%s/submit/new\n", config_str(CF_queue_directory));
		printf("-----Q-ID----- --Size-- -----Q-Time----- "
		    "------------Sender/Recipient-----------\n");
	}
	printf("%-14.14s %8lld %s <%s>\n", name, (long long)size, when,
	    e.sender);
	for (i = 0; i < e.nrcpts; i++)
		printf("%41s<%s>\n", "", e.rcpts[i]);
	cq_env_free(&e);
	return 0;
}

/* mailq, in sendmail's layout. */
int
queue_list(struct submit *s)
{
	struct buf why = BUF_INIT;
	struct dirent *de;
	DIR *d;
	int fd, shown = 0;

	if ((fd = queue_dir("new", &why)) < 0)
		submit_fail(EX_TEMPFAIL, "cannot read the queue: %s",
		    buf_cstr(&why));
	if ((d = fdopendir(fd)) == NULL)
		submit_fail(EX_TEMPFAIL, "cannot read the queue: %s",
		    strerror(errno));
	/* readdir_r is deprecated (POSIX.1-2008); one thread, one stream. */
	/* cppcheck-suppress readdirCalled */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (queue_show(dirfd(d), de->d_name, s->limit + 65536,
		    shown) == 0)
			shown++;
	}
	(void)closedir(d);
	if (shown == 0)
		printf("Mail queue is empty\n");
	else
		printf("\t\tTotal requests: %d\n", shown);
	buf_free(&why);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}
