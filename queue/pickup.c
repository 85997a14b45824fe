/*
 * pickup: from the client queue (submit/new, written through the setgid
 * sendmail by any local user) to the trusted queue (queue/, root's).
 *
 * Input: files any member of the submit group could have written, or
 * planted: anything at all.  For each name in submit/new the root parent
 * opens the file from the directory fd with O_NOFOLLOW|O_NONBLOCK, and
 * vets the descriptor with fstat: a regular file, one link, not larger
 * than the limits allow.  Its owner is the submitter (the kernel says so,
 * the file cannot).  Then a child that has become postern_user for good,
 * holding nothing but that descriptor and a pipe, reads and parses it with
 * the strict client format parser (lib/cqueue.c) and writes the envelope
 * and the message back in the trusted format (S, O, R, M records); the
 * parent writes the head it alone knows (id, arrival, uid, kind) before
 * those bytes into a new file in queue/, checks the result with the
 * trusted parser, fsyncs it, renames it into place, fsyncs queue/, and
 * only then removes the client file (and fsyncs submit/new).
 *
 * IDEMPOTENT: the queue id is the client file's name (64 random bits from
 * sendmail); a client file whose id is already in queue/ was picked up
 * before a crash and is only removed, so a crash at any point neither
 * loses nor doubles a message.
 *
 * A file that fails any check is moved to submit/bad/ with a logged
 * reason, and its submitter gets a notice when the owner is a user; the
 * runner goes on with the next file.
 *
 * SECURITY: the parent never parses client bytes; the child cannot write
 * anything but its pipe.  Stale submit/tmp files (sendmail killed before
 * its rename) are removed after submit_stale_time.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/cqueue.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#include "queue/queue.h"

#define PICKUP_ERR_MAX	512
#define PICKUP_BATCH	64	/* files per fsync of the directories */

/* Is name a queue id: [0-9A-Za-z], 1-63 bytes? */
static bool
valid_queue_id(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (i >= 63 || !((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= 'a' && name[i] <= 'z')))
			return false;
	return i > 0;
}

/* The largest client file: the message and a full envelope. */
static off_t
pickup_size_max(void)
{
	return (off_t)config_num(CF_message_size_limit) +
	    (off_t)CQ_RCPT_MAX * (CQ_FIELD_MAX + 3) + 65536;
}

/* The child: become postern_user, parse fd, write the trusted records. */
static _Noreturn void
pickup_child(int fd, off_t size, int out)
{
	struct buf data = BUF_INIT, o = BUF_INIT, why = BUF_INIT;
	struct cq_env e;
	size_t i;

	if (priv_become_user(&rn.postern, &why) < 0) {
		buf_printf(&o, "E cannot become %s: %s\n", rn.postern.name,
		    buf_cstr(&why));
		(void)iox_write_full(out, o.data, o.len);
		_exit(EX_TEMPFAIL);
	}
	cq_env_init(&e);
	if (iox_read_all(fd, &data, (size_t)size + 1) < 0)
		buf_printf(&why, "cannot read: %s", strerror(errno));
	else if ((off_t)data.len != size)
		buf_printf(&why, "changed size while read (%zu, not %lld "
		    "bytes)", data.len, (long long)size);
	else if (cq_parse(data.data, data.len,
	    (off_t)config_num(CF_message_size_limit), &e, &why) == 0) {
		buf_printf(&o, "S %s\n", e.sender);
		for (i = 0; i < e.nopts; i++)
			buf_printf(&o, "O %s=%s\n", e.opt_name[i],
			    e.opt_value[i]);
		for (i = 0; i < e.nrcpts; i++)
			buf_printf(&o, "R %s\n", e.rcpts[i]);
		buf_printf(&o, "M %016lld\n", (long long)e.msg_size);
		if (iox_write_full(out, o.data, o.len) < 0 ||
		    iox_write_full(out, data.data + e.msg_off,
		    (size_t)e.msg_size) < 0)
			_exit(EX_IOERR);
		_exit(EX_OK);
	}
	buf_reset(&o);
	buf_append_str(&o, "E ");
	buf_append_printable(&o, why.data, why.len > 300 ? 300 : why.len);
	buf_append_byte(&o, '\n');
	(void)iox_write_full(out, o.data, o.len);
	_exit(EX_DATAERR);
}

/* A notice to the submitter of a file that was set aside. */
struct notice {
	const char *name, *why, *to;
};

static int
pickup_notice_body(int fd, void *arg)
{
	const struct notice *n = arg;
	struct bounce_rcpt br = { "(queue file)", NULL, EX_DATAERR, "5.6.0",
	    n->why, NULL, time(NULL) };
	struct bounce_req req = { rn.hostname, n->name, "", NULL, time(NULL),
	    0, false, false, &br, 1, -1, 0, 0, n->to };

	return bounce_write(fd, &req);
}

/* Move name aside to submit/bad with a reason; tell its owner. */
static void
pickup_set_aside(const char *fname, uid_t owner, bool known, const char *why)
{
	const char *name;
	struct notice n = { fname, why, NULL };
	struct priv_user u;
	struct buf e = BUF_INIT, shown = BUF_INIT;
	char id[64];
	char *rcpt[1];

	/* The name is anything a group member chose: never raw in a log. */
	buf_append_printable(&shown, fname, strlen(fname));
	name = buf_cstr(&shown);

	/*
	 * bad/NAME may exist already, of another type (a directory planted
	 * twice under one name): then under a new unique name.  Should the
	 * entry stay in new/, no notice: every scan would send one more.
	 */
	if (renameat(rn.newfd, fname, rn.badfd, fname) < 0) {
		queue_new_id(id);
		if (renameat(rn.newfd, fname, rn.badfd, id) < 0 &&
		    unlinkat(rn.newfd, fname, 0) < 0) {
			log_error("%s: cannot set aside or remove: %s", name,
			    strerror(errno));
			buf_free(&shown);
			return;
		}
		log_warn("%s: submit/bad/%s exists: set aside as %s", name,
		    name, id);
	}
	(void)iox_fsync_dir(rn.newfd);
	log_warn("%s: set aside in submit/bad: %s", name, why);
	if (!known || priv_user_lookup_uid(owner, &u, &e) < 0) {
		buf_free(&e);
		buf_free(&shown);
		return;
	}
	rcpt[0] = u.name;
	n.to = u.name;
	if (queue_create(QK_BOUNCE, 0, "", rcpt, 1, pickup_notice_body, &n,
	    id, &e) < 0)
		log_error("%s: cannot queue a notice to %s: %s", name, u.name,
		    buf_cstr(&e));
	else
		log_info("%s: notice to %s queued as %s", name, u.name, id);
	priv_user_free(&u);
	buf_free(&e);
	buf_free(&shown);
}

/*
 * Copy the child's output after the head into tmp: 0; -1 when the file is
 * at fault (the parser's reason, too much output); -2 when we are (a
 * read or write error: try again later).  The reason in why.
 */
static int
pickup_copy(int in, int tmp, off_t max, struct buf *why)
{
	char chunk[65536];
	off_t total = 0;
	bool first = true;

	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(why, "reading the parser: %s",
			    strerror(errno));
			return -2;
		}
		if (n == 0)
			return 0;
		if (first && n >= 2 && chunk[0] == 'E' && chunk[1] == ' ') {
			char *nl = memchr(chunk, '\n', (size_t)n);

			buf_append(why, chunk + 2, nl ? (size_t)(nl - chunk -
			    2) : (size_t)n - 2);
			return -1;
		}
		first = false;
		total += n;
		if (total > max) {
			buf_append_str(why, "parser output too large");
			return -1;
		}
		if (iox_write_full(tmp, chunk, (size_t)n) < 0) {
			buf_printf(why, "writing the queue file: %s",
			    strerror(errno));
			return -2;	/* a full disk is not the file's fault */
		}
	}
}

/* Pick up one client file; 1 queued, 0 nothing to do, -1 set aside. */
static int
pickup_one(const char *name)
{
	struct buf why = BUF_INIT, head = BUF_INIT, tmpname = BUF_INIT;
	struct qmsg m;
	struct stat st;
	int fd = -1, tmp = -1, p[2] = { -1, -1 }, status, rc = -1;
	bool known = false;
	pid_t pid;

	memset(&m, 0, sizeof(m));
	m.fd = -1;
	if (!valid_queue_id(name)) {
		buf_append_str(&why, "not a queue file name");
		if (fstatat(rn.newfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			known = true;
		goto aside;
	}
	if (fstatat(rn.queuefd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/*
		 * Picked up before a crash: only the removal is left, once
		 * the queue file's name is surely durable.
		 */
		if (iox_fsync_dir(rn.queuefd) == 0 &&
		    unlinkat(rn.newfd, name, 0) == 0)
			(void)iox_fsync_dir(rn.newfd);
		rc = 0;
		goto out;
	}
	fd = openat(rn.newfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			rc = 0;
			goto out;
		}
		buf_printf(&why, "cannot open: %s", errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
		if (fstatat(rn.newfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			known = true;
		goto aside;
	}
	if (fstat(fd, &st) < 0) {
		buf_printf(&why, "fstat: %s", strerror(errno));
		goto aside;
	}
	known = true;
	if (!S_ISREG(st.st_mode)) {
		buf_append_str(&why, "not a regular file");
		goto aside;
	}
	if (st.st_nlink != 1) {
		buf_printf(&why, "has %lu links", (unsigned long)st.st_nlink);
		goto aside;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		/* sendmail makes them 0600: someone else could write this. */
		buf_printf(&why, "mode %04o: writable by others",
		    (unsigned)(st.st_mode & 07777));
		goto aside;
	}
	{
		struct priv_user u;
		struct buf e = BUF_INIT;

		/* sendmail refuses callers without a passwd entry (67). */
		if (priv_user_lookup_uid(st.st_uid, &u, &e) < 0) {
			buf_printf(&why, "owner uid %lu is not a user",
			    (unsigned long)st.st_uid);
			buf_free(&e);
			known = false;
			goto aside;
		}
		priv_user_free(&u);
		buf_free(&e);
	}
	if (st.st_size > pickup_size_max()) {
		buf_printf(&why, "%lld bytes: larger than any message "
		    "(message_size_limit)", (long long)st.st_size);
		goto aside;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		log_error("%s: cannot start the parser: %s", name,
		    strerror(errno));
		goto out;	/* try again later */
	}
	if (pid == 0) {
		/* Only fd and the pipe's write end may stay. */
		int in = dup(fd), o = dup(p[1]);

		(void)close(rn.lockfd);
		if (in < 0 || o < 0 || dup2(in, 3) < 0 || dup2(o, 4) < 0)
			_exit(EX_OSERR);
		iox_close_from(5);
		pickup_child(3, st.st_size, 4);
	}
	(void)close(p[1]);
	p[1] = -1;
	buf_printf(&tmpname, ".pickup.%s", name);
	(void)unlinkat(rn.queuefd, buf_cstr(&tmpname), 0);
	tmp = openat(rn.queuefd, buf_cstr(&tmpname), O_RDWR | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	qfile_head(&head, name, time(NULL), st.st_uid, QK_MAIL, NULL, NULL, 0);
	if (tmp < 0 || iox_write_full(tmp, head.data, head.len) < 0) {
		log_error("%s: cannot create the queue file: %s", name,
		    strerror(errno));
		rc = -2;
	} else if ((rc = pickup_copy(p[0], tmp, st.st_size + 4096, &why)) ==
	    -1)
		rc = -3;
	if (rc < 0) {
		/* The child may be blocked on a full pipe: end it. */
		(void)kill(pid, SIGKILL);
		(void)close(p[0]);
		p[0] = -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == -2) {
		if (why.len > 0)
			log_error("%s: %s (will try again)", name,
			    buf_cstr(&why));
		rc = -1;
		goto out;	/* our problem, not the file's: later */
	}
	if (rc == -3)
		goto aside;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != EX_OK) {
		if (why.len == 0)
			buf_printf(&why, "the parser failed (status %d)",
			    status);
		if (WIFEXITED(status) && WEXITSTATUS(status) == EX_TEMPFAIL) {
			log_error("%s: %s", name, buf_cstr(&why));
			goto out;
		}
		goto aside;
	}
	/* Check what the child wrote with the trusted parser. */
	if (qfile_read(tmp, &m, &why) < 0 ||
	    m.size != m.msg_off + m.msg_size) {
		if (why.len == 0)
			buf_append_str(&why, "bytes after the message");
		goto aside;
	}
	/*
	 * The file is durable; its name becomes durable with the fsync of
	 * queue/ that pickup_commit() does for the whole batch before any
	 * client file is removed.
	 */
	if (iox_fsync(tmp) < 0 || renameat(rn.queuefd, buf_cstr(&tmpname),
	    rn.queuefd, name) < 0) {
		log_error("%s: cannot commit the queue file: %s", name,
		    strerror(errno));
		goto out;
	}
	buf_reset(&tmpname);
	log_info("%s: uid=%lu, from=<%s>, size=%lld, nrcpt=%zu (queued)", name,
	    (unsigned long)st.st_uid, m.sender, (long long)m.msg_size, m.nr);
	rc = 1;
	goto out;
aside:
	pickup_set_aside(name, st.st_uid, known, buf_cstr(&why));
	rc = -1;
out:
	if (tmpname.len > 0)
		(void)unlinkat(rn.queuefd, buf_cstr(&tmpname), 0);
	m.fd = -1;
	qmsg_free(&m);
	if (tmp >= 0)
		(void)close(tmp);
	if (fd >= 0)
		(void)close(fd);
	if (p[0] >= 0)
		(void)close(p[0]);
	if (p[1] >= 0)
		(void)close(p[1]);
	buf_free(&why);
	buf_free(&head);
	buf_free(&tmpname);
	return rc;
}

/*
 * BATCH: fsync queue/ once for the files picked up, then remove their
 * client files and fsync submit/new once, then report them: three fsyncs
 * per batch instead of per message, in the same order (a client file
 * goes only after its queue file's name is durable).
 */
static void
pickup_commit(char (*names)[64], size_t n, void (*queued)(const char *,
    void *), void *arg)
{
	size_t i;

	if (n == 0)
		return;
	if (iox_fsync_dir(rn.queuefd) < 0) {
		/* Keep the client files: the next scan finishes the job. */
		log_error("cannot fsync queue/: %s", strerror(errno));
		return;
	}
	for (i = 0; i < n; i++)
		if (unlinkat(rn.newfd, names[i], 0) < 0 && errno != ENOENT)
			log_error("%s: cannot remove the client file: %s",
			    names[i], strerror(errno));
	if (iox_fsync_dir(rn.newfd) < 0)
		log_error("cannot fsync submit/new: %s", strerror(errno));
	for (i = 0; i < n && queued != NULL; i++)
		queued(names[i], arg);
}

/* Files in submit/new, at most max of them; how many were queued. */
int
pickup_scan(size_t max, void (*queued)(const char *, void *), void *arg)
{
	char (*names)[64] = xcalloc(PICKUP_BATCH, sizeof(*names));
	struct dirent *de;
	size_t nb = 0, seen = 0;
	DIR *d;
	int fd;

	if ((fd = dup(rn.newfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		log_error("cannot read submit/new: %s", strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		free(names);
		return -1;
	}
	rewinddir(d);
	/* readdir_r is deprecated (POSIX.1-2008); one thread, one stream. */
	/* cppcheck-suppress readdirCalled */
	while (seen < max && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		seen++;
		if (pickup_one(de->d_name) != 1)
			continue;
		/* Queued means a valid queue id: at most 63 bytes. */
		memcpy(names[nb], de->d_name, strlen(de->d_name) + 1);
		nb++;
		if (nb == PICKUP_BATCH) {
			pickup_commit(names, nb, queued, arg);
			nb = 0;
		}
	}
	pickup_commit(names, nb, queued, arg);
	(void)closedir(d);
	free(names);
	return (int)seen;
}

/*
 * RECONCILE, before any delivery at start: client files whose queue file
 * exists were picked up by a runner killed before it removed them.
 * Remove them all now (after an fsync of queue/), so a later slice of
 * pickup cannot queue one again after its first copy was delivered and
 * removed.
 */
void
pickup_reconcile(void)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, n = 0;

	if ((fd = dup(rn.newfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	rewinddir(d);
	if (iox_fsync_dir(rn.queuefd) < 0) {
		(void)closedir(d);
		return;
	}
	/* cppcheck-suppress readdirCalled */
	while ((de = readdir(d)) != NULL)
		if (valid_queue_id(de->d_name) && fstatat(rn.queuefd,
		    de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    unlinkat(rn.newfd, de->d_name, 0) == 0)
			n++;
	(void)closedir(d);
	if (n > 0) {
		(void)iox_fsync_dir(rn.newfd);
		log_info("removed %d client files picked up before a restart",
		    n);
	}
}

/* Stale files in submit/tmp: a sendmail killed before its rename. */
void
pickup_clean_tmp(void)
{
	struct dirent *de;
	struct stat st;
	time_t limit = time(NULL) - (time_t)config_num(CF_submit_stale_time);
	DIR *d;
	int fd;

	if ((fd = dup(rn.tmpfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	rewinddir(d);	/* the dup shares its offset with rn.tmpfd */
	/* cppcheck-suppress readdirCalled */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || fstatat(rn.tmpfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || st.st_mtime > limit)
			continue;
		if (unlinkat(rn.tmpfd, de->d_name, 0) == 0)
			log_info("removed stale submit/tmp/%s", de->d_name);
	}
	(void)closedir(d);
}
