/*
 * mail.local: the local delivery agent.  Modules: main (start-up, options,
 * pipe mode), lmtp (RFC 2033 server), input (buffered reader, DATA and BDAT
 * framing), spool (the message kept once, canonical LF form), resolve
 * (recipient -> user), deliver (one child per recipient that becomes the
 * user), mbox (locks and append), maildir.
 */
#ifndef POSTERN_MAIL_LOCAL_H
#define POSTERN_MAIL_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/priv.h"

/* Process-wide options from the command line and postern.conf. */
struct ml_opts {
	bool	 lmtp;		/* -l */
	bool	 no_8bit;	/* -7: do not offer 8BITMIME */
	bool	 quota_perm;	/* -b: a full mailbox is a permanent error */
	const char *home_file;	/* -h: mbox file below the home directory */
	const char *hostname;	/* myhostname or uname */
};
extern struct ml_opts ml_opts;

/*
 * The message, spooled once in an unnamed file.  Bytes are the canonical
 * form: LF line ends, always ending with LF (or empty).
 */
struct spool {
	int	 fd;		/* O_TMPFILE or memfd, read with pread */
	bool	 mem;		/* a memfd that moves to a file when it grows */
	off_t	 size;
	off_t	 limit;		/* message_size_limit */
	bool	 too_big;	/* more than limit arrived; the rest dropped */
	int	 err;		/* errno of a failed write, 0 if none */
	struct timespec arrival;
	struct buf delivered_to; /* Delivered-To: values seen, lower case,
				  * each followed by '\n' (bounded) */
	unsigned hops;		/* Received: and Delivered-To: headers */
	/* Writer state. */
	char	*obuf;
	size_t	 olen;
	bool	 pending_cr;	/* a CR was the last byte of the last put */
	bool	 in_headers;	/* no empty line seen yet */
	bool	 at_bol;	/* the next byte starts a line */
	bool	 hdr_skip;	/* current header line too long to keep */
	struct buf hdr;		/* the current header line (bounded) */
	char	 last;		/* last byte written */
};

/* mem_first: in memory up to 1 MiB (only before any worker exists). */
int	 spool_open(struct spool *, off_t limit, bool mem_first,
	    struct buf *why);
void	 spool_reset(struct spool *);	/* empty it for the next message */
void	 spool_close(struct spool *);
/* Add raw message bytes (CRLF or LF lines); errors are kept in sp->err. */
void	 spool_put(struct spool *, const char *, size_t);
/* Flush; add a final LF if missing.  0, or -1 (sp->err or too_big). */
int	 spool_finish(struct spool *);
/* The first len bytes to fd, at its offset: 0, or -1 with errno. */
int	 spool_copy(const struct spool *, int fd, off_t len);
/* Was addr (any case) already in a Delivered-To: header? */
bool	 spool_seen_delivered_to(const struct spool *, const char *addr);

/* A buffered reader over an fd with an idle timeout. */
struct reader {
	int	 fd;
	int	 timeout_ms;	/* -1: wait forever */
	/*
	 * The monotonic time (ms) by which the current command or DATA line
	 * must be complete, or 0: a client trickling a byte at a time
	 * (slowloris) gets no more than timeout_ms per line.
	 */
	long long line_deadline;
	char	*buf;
	size_t	 off, len, cap;
	bool	 eof;
	bool	 timed_out;
	int	 err;
	/* Called before a read would block (to flush replies); may be NULL. */
	void	(*before_block)(void *);
	void	*arg;
};

void	 reader_init(struct reader *, int fd, int timeout_ms);
void	 reader_free(struct reader *);
/* Read more bytes; 1 when some arrived, 0 at EOF, -1 on error or timeout. */
int	 reader_fill(struct reader *);
/*
 * A command line of at most max bytes (without CRLF) into line.  Returns 1,
 * 0 at EOF, -1 on error/timeout, -2 when the line was longer than max (it
 * was read and dropped up to its LF).
 */
int	 reader_line(struct reader *, struct buf *line, size_t max);
/*
 * DATA: dot-unstuffed lines into the spool up to the "." line.  0 at the
 * end marker, -1 when the input ended, failed or timed out first.
 */
int	 reader_data(struct reader *, struct spool *);
/* BDAT: exactly n raw bytes into the spool (NULL: discard).  0 or -1. */
int	 reader_chunk(struct reader *, struct spool *, unsigned long long n);
/* Pipe mode: everything to EOF into the spool; 0 or -1. */
int	 reader_all(struct reader *, struct spool *);

/* One recipient of a transaction and its result. */
struct rcpt {
	char	*addr;		/* as given, unquoted local part[@domain] */
	char	*user;		/* the passwd name it resolved to */
	char	*ext;		/* the address extension, or NULL */
	char	*local;		/* the local part, unquoted, extension included */
	char	*orig;		/* X-Original-To: value, or NULL */
	bool	 alias;		/* the local part is an alias, not a user */
	bool	 file_target;	/* a /file of an alias or .forward */
	struct priv_user pw;
	int	 status;	/* sysexits code */
	char	*dsn;		/* enhanced status code override, or NULL */
	char	*text;		/* why, for a failure; where, for success */
};

/*
 * Resolve addr to a local user: 0, or a sysexits code with the reason in
 * why (EX_NOUSER for an unknown user, EX_TEMPFAIL when the passwd lookup
 * itself failed).
 */
int	 resolve_rcpt(const char *addr, size_t len, struct rcpt *, struct buf *why);
void	 rcpt_free(struct rcpt *);

/*
 * Deliver the spooled message to each of the n recipients in rv (each
 * one's status, dsn and text are set), with sender as the envelope sender
 * ("" for the null sender).
 */
void	 deliver_rcpts(struct spool *, const char *sender, struct rcpt *rv,
	    size_t n, const char *session);
struct dbatch;
struct dbatch *deliver_start(struct spool *, const char *sender,
	    struct rcpt *rv, size_t n, const char *session);
int	 deliver_wait(struct dbatch *, int fd);
void	 deliver_finish(struct dbatch *);

/* Result of a delivery inside the recipient's child process. */
struct dresult {
	int	 status;	/* sysexits code */
	const char *dsn;	/* NULL: from the code */
	struct buf text;	/* where it went, or why it failed */
};

/* The address written in Delivered-To: (user@myhostname for a bare name). */
void	 deliver_final_addr(struct buf *, const struct rcpt *);
/* The lines every delivery writes before the message (orig may be NULL). */
void	 deliver_headers(struct buf *, const char *sender, const char *rcpt,
	    const char *orig);
/* From_ line with the envelope sender and asctime of t. */
void	 mbox_from_line(struct buf *, const char *sender, time_t t);

/* worker.c: requests to the processes that have become a user. */
enum wop {
	WOP_MAILBOX,		/* sender, delivered-to, orig */
	WOP_FILE,		/* sender, delivered-to, orig, path */
	WOP_PROGRAM,		/* sender, delivered-to, orig, command, env... */
	WOP_SUBMIT,		/* sender, delivered-to, orig, address */
	WOP_READ_FORWARD,	/* extension, delimiter */
	WOP_READ_INCLUDE	/* path */
};
struct wresult {
	int	 status;
	char	*dsn;		/* or NULL */
	char	*text;
	struct buf payload;	/* read results */
};
/* A request for pw's worker (mailbox: with the spool's group if needed). */
struct wcall {
	const struct priv_user *pw;
	bool	 mailbox;
	int	 op;
	const char *const *fields;
	size_t	 nfields;
	struct wresult res;	/* the outcome */
	size_t	*pending;	/* its batch's count of calls not answered */
};
/*
 * Calls under way, several at once in different workers (results in
 * c[i].res): worker_batch_start() sends what it can, _finish() waits.
 */
struct wbatch {
	struct spool *sp;
	struct wcall *c;
	size_t	 n, next, busy;
	bool	*started;
	gid_t	 spool_gid;
	struct wbatch *newer;	/* the batches under way, oldest first */
};
void	 worker_batch_start(struct wbatch *, struct spool *, struct wcall *c,
	    size_t n);
/* 0 when every call of the batch is done, 1 as soon as fd has input. */
int	 worker_batch_wait(struct wbatch *, int fd);
void	 worker_batch_finish(struct wbatch *);
/* Every call of c, start to finish. */
void	 worker_call_all(struct spool *, struct wcall *c, size_t n);
/* The session's spools (every worker holds them all), or NULL, 0. */
void	 worker_spools(struct spool *, size_t n);
/* One request to pw's worker, start to finish. */
void	 worker_call(const struct priv_user *pw, bool mailbox, struct spool *,
	    int op, const char *const *fields, size_t nfields,
	    struct wresult *);
void	 worker_result_free(struct wresult *);
/* The worker's side of a request (deliver.c). */
void	 worker_serve(int op, struct spool *, const struct priv_user *self,
	    char **fields, size_t nfields, struct dresult *,
	    struct buf *payload);
/* End the delivery processes kept for this session. */
void	 deliver_shutdown(void);
/* dest.c: files, programs and forwarding, in the worker. */
void	 dest_file(struct spool *, const struct priv_user *, char **fields,
	    struct dresult *);
void	 dest_program(struct spool *, const struct priv_user *,
	    char **fields, size_t nfields, struct dresult *);
void	 dest_submit(struct spool *, const struct priv_user *, char **fields,
	    struct dresult *);
/* expand_io.c: the expansion engine's I/O for mail.local. */
struct expansion;
/* A user by name (passwd, groups), cached for the process: 0 or -1. */
int	 ml_user_lookup(const char *name, struct priv_user *, struct buf *why);
void	 ml_user_cache_free(void);
/* Is local an alias?  1, 0, or -1 (why). */
int	 xio_is_alias(const char *local, struct buf *why);
void	 xio_expand(struct spool *, const struct rcpt *, struct expansion *);
/* The worker's side of WOP_READ_FORWARD and WOP_READ_INCLUDE. */
void	 xio_serve_read(int op, const struct priv_user *self, char **fields,
	    size_t nfields, struct dresult *, struct buf *payload);
bool	 xio_local_domain(const char *domain);
/* Open path as opener (then become then, if not NULL) and parse it. */
void	 xio_serve_include(const char *path, uid_t opener,
	    const struct priv_user *then, struct dresult *,
	    struct buf *payload);
/* mbox and Maildir appends, run as the user.  dir: "" for the spool. */
void	 mbox_deliver(struct spool *, const char *sender, const struct rcpt *,
	    int dirfd, const char *dirname, const char *name,
	    struct dresult *);
void	 mbox_release_held(void);
#define BOOT_ID_LEN	36	/* a UUID, as /proc gives it */
/*
 * The kernel's boot id, read once; "" when /proc does not say (a lock
 * without it counts as one from an earlier boot).
 */
const char *mbox_boot_id(void);
/*
 * A postern dotlock's content: 1 with the mailbox's size and inode it
 * records and whether it was written in this boot ("PID\npostern SIZE
 * INODE BOOT"); 0: postern's, without a size; -1: another program's.
 */
int	 mbox_lock_record(const char *text, off_t *size,
	    unsigned long long *ino, bool *this_boot);
/*
 * Where the last message after from starts in the mbox fd of size bytes
 * (a From_ line after a blank line; from when there is none), read
 * backwards in blocks of block bytes; -1 on a read error.
 */
off_t	 mbox_last_start(int fd, off_t from, off_t size, size_t block);
bool	 worker_next_waiting(void);
void	 maildir_deliver(struct spool *, const char *sender,
	    const struct rcpt *, int homefd, const char *home,
	    const char *path, struct dresult *);
/* Map an errno from writing a mailbox to a result (ENOSPC -> 4.2.2...). */
void	 dresult_errno(struct dresult *, int err, const char *what,
	    const char *obj);
void	 dresult_why(struct dresult *, int err, const char *what,
	    const char *why);

/*
 * command.c: run a delivery program, from a process that has already become
 * the user the program runs as (never root).  The program gets exactly the
 * environment in env, fds 0-2 only (stdin: prefix then the spool's bytes;
 * stdout and stderr: one pipe, of which the first output_limit bytes are
 * kept and the rest read and dropped), its own session and process group,
 * home (or "/") as working directory, default signal dispositions.  It is
 * run as "/bin/sh -c COMMAND", or, restricted, as
 * restricted_dir/basename(argv[0]) with argv split on blanks and no shell
 * (a shell metacharacter in the command is then refused).  The whole
 * process group is killed at time_limit seconds.  The result: 0 ->
 * delivered; a sysexits code (64-78) is passed on (lib/exitcode says which
 * are temporary); any other exit -> permanent; after a non-zero exit, an
 * RFC 3463 code at the start of the output overrides the class and code
 * (as Postfix); the first output line goes into res->text.
 */
struct cmd_req {
	const char	 *command;	/* the text after '|', as written */
	bool		  restricted;
	const char	 *restricted_dir;
	char *const	 *argv;		/* not NULL: exec argv[0] with argv,
					 * no shell (forwarding) */
	char *const	 *env;		/* NULL-terminated NAME=value */
	const char	 *home;
	int		  spool_fd;	/* message bytes, read with pread */
	off_t		  size;
	const char	 *prefix;	/* From_ line and added headers */
	size_t		  prefix_len;
	long long	  time_limit;	/* seconds */
	size_t		  output_limit;	/* bytes of output kept */
};
void	 cmd_deliver(const struct cmd_req *, struct dresult *res);

/* LMTP session on fds 0/1; returns the exit code. */
int	 lmtp_session(int in, int out);

/* Unique id for log lines: a session or message id. */
void	 ml_make_id(char *out, size_t outlen);

#endif
