/*
 * command: deliver to a program ("|command" in aliases, :include: or
 * .forward), from a delivery process that has already become the user the
 * program runs as.  This file never changes ids.
 *
 * Input: struct cmd_req (see mail_local.h).  The command text comes from a
 * file its owner wrote and is trusted only as far as that owner is: it is
 * run with that owner's rights and passed to the shell whole, never
 * edited, never with envelope or message data spliced in.  The
 * environment is the caller's list, exactly.  The message reaches the
 * program on stdin only: prefix, then bytes 0 .. size of the spool, read
 * with pread (the spool fd is shared with the other deliveries of this
 * process: its offset is never used or moved).
 *
 * The program: a child in its own session (so its process group is its
 * own, and everything it starts can be killed at once), stdin a pipe from
 * us, stdout and stderr one pipe to us, no other descriptor, every signal
 * at its default disposition and none blocked, working directory home (or
 * "/" when that fails), umask 077.  Normal mode runs "/bin/sh -c COMMAND".
 * Restricted mode (sendmail's smrsh idea) refuses a command holding any
 * of the metacharacters below, splits it on blanks (space, tab) into
 * argv, and execs restricted_dir/basename(argv[0]) directly, with no
 * shell; that program must exist in restricted_dir (a symbolic link there
 * is how an admin allows one).  The metacharacters refused:
 *	; & | ` $ ( ) < > \ " ' * ? [ ] { } ~ ! #
 * and every control character except tab (newline and CR included): all
 * that a shell would give a meaning to, so no user can believe a
 * redirection or a pipeline happened when it did not.
 *
 * A request with argv set (forwarding, dest.c) execs argv[0] with that
 * argv, which postern built: no shell, no restriction applies.
 *
 * While the program runs we write its input and read its output at once
 * (poll), so neither side can block the other.  The first output_limit
 * bytes of output are kept; the rest is read and dropped, so a program
 * writing without end neither grows our memory nor blocks.  A program
 * that stops reading its input (EPIPE) is no error: many filters read the
 * headers only.  When the program has exited we do not wait for its
 * output pipe to close (a daemon it started may hold it for ever): what
 * is already there is read without blocking, then the pipe is closed.
 * The child is reaped with waitpid; no zombie is left.
 *
 * Diagnostics, in res (status: sysexits; dsn: RFC 3463 code or NULL;
 * text: what happened):
 *	exit 0			EX_OK, "delivered to command: CMD"
 *	exit 64..78		that code (lib/exitcode.c decides which are
 *				temporary: 75, and 70-72, 74, 78)
 *	other exit		EX_UNAVAILABLE (permanent), as Postfix local(8)
 *				does ("Command died with status N");
 *				126/127 are the shell's or our exec failure
 *	killed by a signal	EX_TEMPFAIL, 4.3.0, as Postfix does
 *				("Command died with signal N": the program
 *				may have crashed on a passing problem)
 *	time limit		EX_UNAVAILABLE, 5.3.0, as Postfix does for
 *				command_time_limit (a bounce: a program that
 *				hangs once will hang on every retry); the
 *				whole process group gets SIGKILL first
 *	restricted refusal	EX_NOPERM (5.7.1): a metacharacter, an empty
 *				command, a program not in restricted_dir
 *				(restricted_dir unusable: EX_TEMPFAIL)
 *	exec failure		the child writes "mail.local: cannot execute
 *				PATH: REASON" to the output and exits 127
 *				(not found), 126 (not executable) or 75
 *				(ENOMEM, EAGAIN, ETXTBSY...), mapped as exits
 *	our own failures	EX_TEMPFAIL (pipe, fork, spool read errors;
 *				a write error other than EPIPE after exit 0)
 * When the program exits non-zero and its output starts with an RFC 3463
 * code ("[245].D{1,3}.D{1,3}" then a blank or the end of the line), that
 * code is the dsn and decides the class: 4 -> EX_TEMPFAIL, 5 ->
 * EX_UNAVAILABLE (or the exit code when it is already a permanent one),
 * 2 -> EX_OK.  After exit 0 the output is not looked at: the program has
 * taken the message (Postfix's pipe_command reads the code only after a
 * non-zero exit, too).  The text for a failure is "command CMD exit N:
 * FIRST LINE", the line bounded and made printable.  res->dsn points to
 * a string constant or to a static buffer valid until the next call (one
 * delivery at a time per process).  A time_limit <= 0 means no limit.
 * SIGPIPE is ignored and SIGCHLD set to default during the call (EPIPE
 * must be an error return; waitpid must see the child), then restored.
 *
 * SECURITY: runs as the user, never root (the caller guarantees it).  No
 * privilege is held here, so the rules are about the program's start: a
 * clean descriptor table (close_range from 3), a clean signal state, a
 * fixed environment, and argv built from the owner's text alone.  The
 * output of the program is untrusted: only a bounded, printable first
 * line of it goes into a reply or a log.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/iox.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

#define CMD_IO_BUF	65536	/* bytes per pread and per read */
#define CMD_SHOW_MAX	256	/* bytes of the command shown in a text */
#define CMD_LINE_MAX	256	/* bytes of the output line shown */
#define CMD_DRAIN_MAX	(1024 * 1024)	/* read after exit, at most */
#define CMD_TICK_MS	50	/* exit polling without a pidfd */

/* Bytes refused in restricted mode, besides control characters. */
static const char cmd_meta[] = ";&|`$()<>\\\"'*?[]{}~!#";

/* argv of the shell, normal mode. */
static char sh_name[] = "sh";
static char sh_opt[] = "-c";

/* The enhanced status code the last program gave (see res->dsn). */
static char cmd_dsn[16];

/* What to run: the path and argv handed to execve. */
struct cmd_prog {
	const char	*path;
	char		**argv;
	char		*pathbuf;	/* restricted: the allocated path */
	char		*words;		/* the copy argv points into */
	char *const	*xargv;		/* req->argv (forwarding), not owned */
};

/* The parent's side of a running program. */
struct cmd_run {
	pid_t		 pid;
	int		 in;		/* its stdin, -1 when closed */
	int		 out;		/* its stdout/stderr, -1 when closed */
	int		 pidfd;		/* readable at exit, or -1 */
	char		*iobuf;
	/* Input state. */
	size_t		 pos;		/* bytes of the input written */
	size_t		 total;		/* prefix_len + size */
	size_t		 chunk_off, chunk_len;
	int		 write_err;	/* errno other than EPIPE, or 0 */
	int		 spool_err;	/* pread failed or came short */
	/* Output state. */
	struct buf	 output;	/* the first output_limit bytes */
	size_t		 limit;
	/* End state. */
	bool		 exited;
	bool		 timed_out;
	int		 wstatus;
};

/* Append the command for a text: printable and bounded. */
static void
cmd_show(struct buf *b, const char *command)
{
	size_t len = strlen(command);

	buf_append_printable(b, command, len > CMD_SHOW_MAX ?
	    CMD_SHOW_MAX : len);
	if (len > CMD_SHOW_MAX)
		buf_append_str(b, "...");
}

/* Set res to a failure with status, no dsn, and a "command CMD: " text. */
static void
cmd_fail(struct dresult *res, int status, const char *command,
    const char *what)
{
	res->status = status;
	res->dsn = NULL;
	buf_reset(&res->text);
	buf_append_str(&res->text, "command ");
	cmd_show(&res->text, command);
	buf_printf(&res->text, ": %s", what);
}

/* Is c refused in a restricted command? */
static bool
cmd_is_meta(unsigned char c)
{
	if (c == '\t')
		return false;
	if (c < 0x20 || c == 0x7f)
		return true;
	return strchr(cmd_meta, c) != NULL;
}

/* Release what cmd_restricted allocated. */
static void
cmd_prog_free(struct cmd_prog *p)
{
	free(p->argv);
	free(p->pathbuf);
	free(p->words);
	memset(p, 0, sizeof(*p));
}

/*
 * RESTRICTED MODE: check the command and build restricted_dir/NAME and the
 * argv.  0, or -1 with res set.
 */
static int
cmd_restricted(const struct cmd_req *req, struct cmd_prog *p,
    struct dresult *res)
{
	const char *dir = req->restricted_dir;
	size_t n = 0, cap = 8;
	struct buf why = BUF_INIT;
	struct stat st;
	const char *c;
	char *s, *save, *name;
	int err;

	for (c = req->command; *c != '\0'; c++) {
		if (cmd_is_meta((unsigned char)*c)) {
			buf_append_str(&why, "shell metacharacter '");
			buf_append_printable(&why, c, 1);
			buf_append_str(&why, "' not allowed in restricted "
			    "mode");
			cmd_fail(res, EX_NOPERM, req->command, buf_cstr(&why));
			buf_free(&why);
			return -1;
		}
	}
	if (dir == NULL || dir[0] != '/') {
		/* The admin can fix this: try again later. */
		cmd_fail(res, EX_TEMPFAIL, req->command,
		    "restricted_dir is not an absolute path");
		return -1;
	}

	p->words = xstrdup(req->command);
	p->argv = xreallocarray(NULL, cap, sizeof(*p->argv));
	for (s = strtok_r(p->words, " \t", &save); s != NULL;
	    s = strtok_r(NULL, " \t", &save)) {
		if (n + 1 >= cap) {
			cap = xmul(cap, 2);
			p->argv = xreallocarray(p->argv, cap,
			    sizeof(*p->argv));
		}
		p->argv[n++] = s;
	}
	p->argv[n] = NULL;
	if (n == 0) {
		cmd_fail(res, EX_NOPERM, req->command, "empty command");
		return -1;
	}

	/* Only the last component counts, as in smrsh. */
	name = strrchr(p->argv[0], '/');
	name = name != NULL ? name + 1 : p->argv[0];
	p->argv[0] = name;
	buf_printf(&why, "%s/%s", dir, name);
	p->pathbuf = buf_steal(&why);
	p->path = p->pathbuf;
	/* A bad name and a non-file both read as absent (ENOENT). */
	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		err = ENOENT;	/* NOLINT(bugprone-branch-clone) */
	else if (stat(p->path, &st) == -1)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = ENOENT;
	else
		return 0;
	if (err == ENOENT || err == ENOTDIR || err == ELOOP) {
		buf_append_str(&why, "program ");
		buf_append_printable(&why, name, strlen(name));
		buf_printf(&why, " is not in restricted_dir %s", dir);
		cmd_fail(res, EX_NOPERM, req->command, buf_cstr(&why));
	} else {
		/* EACCES, EIO on the directory: the admin can fix it. */
		buf_append_str(&why, "cannot check program ");
		buf_append_printable(&why, name, strlen(name));
		buf_printf(&why, " in %s: %s", dir, strerror(err));
		cmd_fail(res, EX_TEMPFAIL, req->command, buf_cstr(&why));
	}
	buf_free(&why);
	return -1;
}

/* Child: write "mail.local: WHAT OBJ: strerror" to fd and _exit(code). */
static _Noreturn void
cmd_child_fail(int fd, const char *what, const char *obj, int err, int code)
{
	const char *parts[] = { "mail.local: ", what, " ", obj, ": ",
	    strerror(err), "\n" };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		(void)iox_write_full(fd, parts[i], strlen(parts[i]));
	_exit(code);
}

/* Child: make fd (one of our pipe ends) the descriptor target. */
static void
cmd_child_fd(int fd, int target, int errfd)
{
	if (dup2(fd, target) == -1)
		cmd_child_fail(errfd, "cannot set up", "descriptors", errno,
		    EX_TEMPFAIL);
}

/*
 * Child: set sig to SIG_DFL with the raw system call.  glibc's sigaction
 * refuses the signals it keeps for itself (32 and 33, SIGCANCEL and
 * SIGSETXID) with EINVAL, but an ignored disposition of them inherited
 * from our caller would survive exec all the same.  The kernel's struct
 * is spelled out for the architectures whose layout is known here.
 */
static void
cmd_child_sig_raw(int sig)
{
#if defined(__linux__) && defined(SYS_rt_sigaction) && \
    (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
    defined(__arm__))
	struct {
		void	(*handler)(int);
		unsigned long flags;
		void	(*restorer)(void);
		unsigned long mask[8 / sizeof(unsigned long)];
	} k;

	memset(&k, 0, sizeof(k));
	k.handler = SIG_DFL;
	(void)syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof(k.mask));
#else
	(void)sig;
#endif
}

/* Child: set up the process as the header says and exec the program. */
static _Noreturn void
cmd_child(const struct cmd_req *req, const struct cmd_prog *p, int in_r,
    int out_w)
{
	struct sigaction sa;
	sigset_t none;
	int err;

	/*
	 * Move both ends above 2 first (F_DUPFD_CLOEXEC), so that putting
	 * one on 0, 1 or 2 cannot overwrite the other, whatever numbers
	 * pipe2 gave them.  dup2 onto 0-2 then clears close-on-exec there.
	 */
	if ((in_r = fcntl(in_r, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (out_w = fcntl(out_w, F_DUPFD_CLOEXEC, 3)) == -1)
		_exit(EX_TEMPFAIL);
	cmd_child_fd(out_w, STDOUT_FILENO, out_w);
	cmd_child_fd(out_w, STDERR_FILENO, out_w);
	cmd_child_fd(in_r, STDIN_FILENO, out_w);
	iox_close_from(3);

	if (setsid() == -1)
		cmd_child_fail(STDOUT_FILENO, "cannot start", "a session",
		    errno, EX_TEMPFAIL);

	/* SIGNALS: default dispositions (ignored ones survive exec). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &sa, NULL) == -1 && errno == EINVAL)
			cmd_child_sig_raw(sig);
	}
	(void)sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		cmd_child_fail(STDOUT_FILENO, "cannot reset", "signal mask",
		    errno, EX_TEMPFAIL);

	if (req->home == NULL || chdir(req->home) == -1) {
		if (chdir("/") == -1)
			cmd_child_fail(STDOUT_FILENO, "cannot chdir to", "/",
			    errno, EX_TEMPFAIL);
	}
	(void)umask(077);

	(void)execve(p->path, p->xargv != NULL ? p->xargv : p->argv, req->env);
	err = errno;
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
		cmd_child_fail(STDOUT_FILENO, "cannot execute", p->path, err,
		    127);
	case E2BIG:
	case EAGAIN:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case ETXTBSY:
	case EIO:
		cmd_child_fail(STDOUT_FILENO, "cannot execute", p->path, err,
		    EX_TEMPFAIL);
	default:
		cmd_child_fail(STDOUT_FILENO, "cannot execute", p->path, err,
		    126);
	}
}

/* Milliseconds left until deadline, 0 when it has passed. */
static long long
cmd_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* Close *fd if it is open. */
static void
cmd_close(int *fd)
{
	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
}

/*
 * Write what the program's stdin pipe takes now: prefix, then the spool
 * read with pread.  Closes run->in when all is written or the program
 * stopped reading.  A spool error leaves run->in open: the program must
 * be killed before it could see an EOF and take half a message.
 */
static void
cmd_feed(struct cmd_run *run, const struct cmd_req *req)
{
	while (run->pos < run->total) {
		bool in_prefix = run->pos < req->prefix_len;
		const char *data;
		size_t len;
		ssize_t n;

		if (in_prefix) {
			data = req->prefix + run->pos;
			len = req->prefix_len - run->pos;
		} else {
			if (run->chunk_off == run->chunk_len) {
				size_t want = run->total - run->pos;
				off_t at = (off_t)(run->pos - req->prefix_len);

				if (want > CMD_IO_BUF)
					want = CMD_IO_BUF;
				n = pread(req->spool_fd, run->iobuf, want, at);
				if (n == -1 && errno == EINTR)
					continue;
				if (n <= 0) {
					/* 0: shorter than the caller said. */
					run->spool_err = n == 0 ? EIO : errno;
					return;
				}
				run->chunk_off = 0;
				run->chunk_len = (size_t)n;
			}
			data = run->iobuf + run->chunk_off;
			len = run->chunk_len - run->chunk_off;
		}
		n = write(run->in, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			/* EPIPE: the program stopped reading; that is fine. */
			if (errno != EPIPE)
				run->write_err = errno;
			cmd_close(&run->in);
			return;
		}
		if (n == 0)
			return;		/* not for a pipe; poll again */
		run->pos += (size_t)n;
		if (!in_prefix)
			run->chunk_off += (size_t)n;
	}
	cmd_close(&run->in);
}

/*
 * Read what the output pipe holds now, keeping the first run->limit
 * bytes; at most max bytes in this call.  Closes run->out at EOF or on an
 * error.
 */
static void
cmd_drain(struct cmd_run *run, size_t max)
{
	size_t got = 0;

	while (got < max) {
		ssize_t n = read(run->out, run->iobuf, CMD_IO_BUF);
		size_t keep;

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				cmd_close(&run->out);
			return;
		}
		if (n == 0) {
			cmd_close(&run->out);
			return;
		}
		got += (size_t)n;
		keep = run->limit - run->output.len;
		if (keep > (size_t)n)
			keep = (size_t)n;
		buf_append(&run->output, run->iobuf, keep);
	}
}

/* Has the program exited?  Reaps it when it has. */
static bool
cmd_reap(struct cmd_run *run, int options)
{
	pid_t r;

	if (run->exited)
		return true;
	while ((r = waitpid(run->pid, &run->wstatus, options)) == -1 &&
	    errno == EINTR)
		;
	if (r == run->pid) {
		run->exited = true;
		return true;
	}
	if (r == -1) {
		/* ECHILD: someone else reaped it; call it a crash. */
		run->exited = true;
		run->wstatus = SIGKILL;
		return true;
	}
	return false;
}

/* Kill the program's whole process group (and it, before its setsid). */
static void
cmd_kill(struct cmd_run *run)
{
	(void)kill(-run->pid, SIGKILL);
	(void)kill(run->pid, SIGKILL);
}

/* Feed, drain and wait until the program exits or time runs out. */
static void
cmd_loop(struct cmd_run *run, const struct cmd_req *req)
{
	struct timespec deadline;
	bool limited = req->time_limit > 0;

	(void)clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (limited) {
		/* Far beyond any real limit: a year is as good as forever. */
		long long lim = req->time_limit > 31536000 ? 31536000 :
		    req->time_limit;

		deadline.tv_sec += (time_t)lim;
	}

	while (!cmd_reap(run, WNOHANG)) {
		struct pollfd pfd[3];
		nfds_t nfd = 0;
		int in_i = -1, out_i = -1, timeout = -1;

		if (run->spool_err != 0)
			return;
		if (limited) {
			long long ms = cmd_ms_left(&deadline);

			if (ms == 0) {
				run->timed_out = true;
				return;
			}
			timeout = ms > INT_MAX ? INT_MAX : (int)ms;
		}
		if (run->pidfd == -1 &&
		    (timeout == -1 || timeout > CMD_TICK_MS))
			timeout = CMD_TICK_MS;
		if (run->in != -1) {
			pfd[nfd].fd = run->in;
			pfd[nfd].events = POLLOUT;
			in_i = (int)nfd++;
		}
		if (run->out != -1) {
			pfd[nfd].fd = run->out;
			pfd[nfd].events = POLLIN;
			out_i = (int)nfd++;
		}
		if (run->pidfd != -1) {
			pfd[nfd].fd = run->pidfd;
			pfd[nfd].events = POLLIN;
			nfd++;
		}
		if (poll(pfd, nfd, timeout) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* Cannot wait for I/O: fall back to the tick. */
			(void)poll(NULL, 0, CMD_TICK_MS);
			continue;
		}
		if (in_i != -1 && pfd[in_i].revents != 0)
			cmd_feed(run, req);
		if (out_i != -1 && pfd[out_i].revents != 0)
			cmd_drain(run, CMD_IO_BUF * 16);
	}
}

/* Parse an RFC 3463 code at the start of s; its length, or 0. */
static size_t
cmd_dsn_len(const char *s, size_t len)
{
	size_t i = 0;

	if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t start = i;

		while (i < len && i - start < 4 && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start || i - start > 3)
			return 0;
		if (part == 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
	    s[i] != '\n')
		return 0;
	return i;
}

/* Append the first output line, bounded and printable. */
static void
cmd_first_line(struct buf *b, const struct buf *out)
{
	const char *nl;
	size_t len;

	if (out->len == 0)
		return;
	nl = memchr(out->data, '\n', out->len);
	len = nl != NULL ? (size_t)(nl - out->data) : out->len;
	if (len > 0 && out->data[len - 1] == '\r')
		len--;
	buf_append_str(b, ": ");
	buf_append_printable(b, out->data, len > CMD_LINE_MAX ?
	    CMD_LINE_MAX : len);
	if (len > CMD_LINE_MAX)
		buf_append_str(b, "...");
}

/* Turn the end of the program into res. */
static void
cmd_result(const struct cmd_run *run, const struct cmd_req *req,
    struct dresult *res)
{
	int code, st = run->wstatus;
	size_t dlen;

	res->dsn = NULL;
	buf_reset(&res->text);
	if (run->spool_err != 0) {
		res->status = EX_TEMPFAIL;
		buf_append_str(&res->text, "command ");
		cmd_show(&res->text, req->command);
		buf_printf(&res->text, ": cannot read the message spool: %s",
		    strerror(run->spool_err));
		return;
	}
	if (run->timed_out) {
		res->status = EX_UNAVAILABLE;
		res->dsn = "5.3.0";
		buf_printf(&res->text, "command time limit of %lld seconds "
		    "exceeded: ", req->time_limit);
		cmd_show(&res->text, req->command);
		cmd_first_line(&res->text, &run->output);
		return;
	}
	if (WIFSIGNALED(st)) {
		res->status = EX_TEMPFAIL;
		res->dsn = "4.3.0";
		buf_append_str(&res->text, "command ");
		cmd_show(&res->text, req->command);
		buf_printf(&res->text, " killed by signal %d (%s)",
		    WTERMSIG(st), strsignal(WTERMSIG(st)));
		cmd_first_line(&res->text, &run->output);
		return;
	}
	code = WIFEXITED(st) ? WEXITSTATUS(st) : EX_SOFTWARE;
	if (code == 0 && run->write_err == 0) {
		res->status = EX_OK;
		buf_append_str(&res->text, "delivered to command: ");
		cmd_show(&res->text, req->command);
		return;
	}
	if (code == 0) {
		res->status = EX_TEMPFAIL;
		buf_append_str(&res->text, "command ");
		cmd_show(&res->text, req->command);
		buf_printf(&res->text, ": cannot write the message: %s",
		    strerror(run->write_err));
		return;
	}

	if (code >= EX__BASE && code <= EX__MAX)
		res->status = code;
	else
		res->status = EX_UNAVAILABLE;
	dlen = cmd_dsn_len(run->output.data, run->output.len);
	if (dlen > 0 && dlen < sizeof(cmd_dsn)) {
		memcpy(cmd_dsn, run->output.data, dlen);
		cmd_dsn[dlen] = '\0';
		res->dsn = cmd_dsn;
		if (cmd_dsn[0] == '2')
			res->status = EX_OK;
		else if (cmd_dsn[0] == '4')
			res->status = EX_TEMPFAIL;
		else if (res->status == EX_TEMPFAIL ||
		    ex_is_temporary(res->status))
			res->status = EX_UNAVAILABLE;
	}
	if (res->status == EX_OK) {
		buf_append_str(&res->text, "delivered to command: ");
		cmd_show(&res->text, req->command);
		return;
	}
	buf_append_str(&res->text, "command ");
	cmd_show(&res->text, req->command);
	buf_printf(&res->text, " exit %d", code);
	cmd_first_line(&res->text, &run->output);
}

/* Open a pidfd for pid, or -1 where the kernel has none. */
static int
cmd_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0 && fd <= INT_MAX)
		return (int)fd;
#else
	(void)pid;
#endif
	return -1;
}

/* Set O_NONBLOCK on fd; 0 or -1. */
static int
cmd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/* Run the program for req and set res. */
void
cmd_deliver(const struct cmd_req *req, struct dresult *res)
{
	struct cmd_prog prog;
	struct cmd_run run;
	struct sigaction ign, dfl, old_pipe, old_chld;
	char *sh_argv[4];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };

	memset(&prog, 0, sizeof(prog));
	memset(&run, 0, sizeof(run));
	run.in = run.out = run.pidfd = -1;
	res->status = EX_OK;
	res->dsn = NULL;
	buf_reset(&res->text);

	if (req->argv != NULL) {
		/* An argv postern built (forwarding): no shell at all. */
		prog.path = req->argv[0];
		prog.xargv = req->argv;
	} else if (req->restricted) {
		if (cmd_restricted(req, &prog, res) == -1) {
			cmd_prog_free(&prog);
			return;
		}
	} else {
		/* A copy, as execve wants char *: the text is not changed. */
		prog.words = xstrdup(req->command);
		sh_argv[0] = sh_name;
		sh_argv[1] = sh_opt;
		sh_argv[2] = prog.words;
		sh_argv[3] = NULL;
		prog.path = "/bin/sh";
		prog.argv = NULL;
	}
	if (req->size < 0 || (unsigned long long)req->size > SIZE_MAX -
	    req->prefix_len) {
		cmd_fail(res, EX_SOFTWARE, req->command, "bad message size");
		cmd_prog_free(&prog);
		return;
	}

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1) {
		cmd_fail(res, EX_TEMPFAIL, req->command, "cannot make pipes");
		buf_printf(&res->text, ": %s", strerror(errno));
		cmd_close(&in[0]);
		cmd_close(&in[1]);
		cmd_prog_free(&prog);
		return;
	}

	/*
	 * EPIPE must come back as an error, not kill us; and waitpid must
	 * see the child, which an ignored SIGCHLD would prevent.  The
	 * caller's settings come back at the end.
	 */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	(void)sigemptyset(&ign.sa_mask);
	dfl = ign;
	dfl.sa_handler = SIG_DFL;
	(void)sigaction(SIGPIPE, &ign, &old_pipe);
	(void)sigaction(SIGCHLD, &dfl, &old_chld);

	run.iobuf = xmalloc(CMD_IO_BUF);
	run.limit = req->output_limit;
	run.total = req->prefix_len + (size_t)req->size;

	if ((run.pid = fork()) == -1) {
		cmd_fail(res, EX_TEMPFAIL, req->command, "cannot fork");
		buf_printf(&res->text, ": %s", strerror(errno));
		goto done;
	}
	if (run.pid == 0) {
		if (prog.argv == NULL)
			prog.argv = sh_argv;
		cmd_child(req, &prog, in[0], out[1]);
	}
	cmd_close(&in[0]);
	cmd_close(&out[1]);
	run.in = in[1];
	run.out = out[0];
	in[1] = out[0] = -1;
	run.pidfd = cmd_pidfd(run.pid);
	if (cmd_nonblock(run.in) == -1 || cmd_nonblock(run.out) == -1) {
		/* Blocking I/O could hang us: give up on this attempt. */
		cmd_kill(&run);
		(void)cmd_reap(&run, 0);
		cmd_fail(res, EX_TEMPFAIL, req->command,
		    "cannot set up pipes");
		goto done;
	}

	cmd_loop(&run, req);
	if (!run.exited) {
		/* TIME LIMIT (or a spool error): nothing of it may live on. */
		cmd_kill(&run);
		(void)cmd_reap(&run, 0);
	}
	/* What is there now, without waiting for a daemon's EOF. */
	cmd_close(&run.in);
	if (run.out != -1)
		cmd_drain(&run, CMD_DRAIN_MAX);
	cmd_result(&run, req, res);

done:
	cmd_close(&in[0]);
	cmd_close(&in[1]);
	cmd_close(&out[0]);
	cmd_close(&out[1]);
	cmd_close(&run.in);
	cmd_close(&run.out);
	cmd_close(&run.pidfd);
	buf_free(&run.output);
	free(run.iobuf);
	(void)sigaction(SIGPIPE, &old_pipe, NULL);
	(void)sigaction(SIGCHLD, &old_chld, NULL);
	cmd_prog_free(&prog);
}
