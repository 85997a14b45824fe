/*
 * postern-queue: the queue runner.  Modules: main (start-up, options, the
 * master loop), pickup (client queue -> trusted queue), qfile (the trusted
 * queue file), deliver (a delivery child: mail.local over LMTP, the relay
 * over SMTP, results, bounces), lmtp (the LMTP client), relay (the SMTP
 * client, run as postern_user), bounce (RFC 3464 reports), check (the
 * installation checker, -c).
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "lib/buf.h"

/* ------------------------------------------------------------------
 * Results of one recipient's delivery attempt (LMTP, SMTP, local rules).
 */
struct qresult {
	int	 status;	/* sysexits: EX_OK, EX_TEMPFAIL, ... */
	char	 dsn[16];	/* RFC 3463 code, "" when unknown */
	struct buf text;	/* the reply or reason, printable */
	char	 mta[256];	/* remote MTA that answered, "" if none */
};

/* ------------------------------------------------------------------
 * qfile.c: the trusted queue file (see its header for the format).
 */
#define QF_MAGIC	"POSTERN-QUEUE 1\n"

enum qr_state { QR_PENDING, QR_DONE, QR_FAILED };
enum q_kind { QK_MAIL = 0, QK_BOUNCE = 1, QK_NOTICE = 2 };

struct qrcpt {
	char	*addr;
	enum qr_state state;
	int	 status;	/* sysexits of the last result */
	char	 dsn[16];
	char	*text;		/* the last result's text, or NULL */
	time_t	 last;		/* time of the last temporary failure */
};

struct qmsg {
	char	 id[64];
	int	 fd;		/* open on the file, or -1 */
	time_t	 arrival;
	uid_t	 uid;		/* the submitter */
	int	 kind;		/* enum q_kind */
	char	*sender;	/* "" for the null sender */
	char	**opt_name, **opt_value;
	size_t	 nopts;
	struct qrcpt *r;
	size_t	 nr, rcap;
	off_t	 msg_off, msg_size;	/* the message in the file */
	off_t	 size;		/* the file */
	time_t	 next;		/* next attempt (0: now) */
	unsigned attempts;
	bool	 warned;	/* delay warning sent */
	bool	 bounced;	/* bounce queued */
};

void	 qmsg_free(struct qmsg *);
/* Parse a file's head (through the M line) and records: 0 or -1 (why). */
int	 qfile_parse_mem(struct qmsg *, const char *head, size_t hlen,
	    const char *tail, size_t tlen, struct buf *why);
/* Read the file on fd into m (m->fd = fd on success): 0 or -1 (why). */
int	 qfile_read(int fd, struct qmsg *, struct buf *why);
/*
 * The head of a new file.  With a sender: S, R lines and "M " with 16
 * zeros to be patched (qfile_patch_size); without: up to F only.
 */
void	 qfile_head(struct buf *, const char *id, time_t arrival, uid_t uid,
	    int kind, const char *sender, char *const *rcpts, size_t nrcpts);
/* Append one record (a printf format, no LF) and fsync: 0 or -1. */
int	 qfile_append(struct qmsg *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Add one record (a printf format, no LF) to recs, for qfile_commit. */
void	 qfile_record(struct buf *recs, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Append the records in recs with one write and fsync: 0 or -1.  A crash
 * leaves some of them whole and at most the next one torn.  recs is
 * emptied.
 */
int	 qfile_commit(struct qmsg *, struct buf *recs);
/* Text for a record: printable and bounded. */
void	 qfile_text(struct buf *, const char *, size_t);

/* ------------------------------------------------------------------
 * The runner's state, set up by main.c.
 */
#include "lib/priv.h"

struct runner {
	int	 qdirfd;		/* queue_directory */
	int	 newfd, tmpfd, badfd;	/* submit/new, submit/tmp, submit/bad */
	int	 queuefd;		/* queue/ */
	int	 lockfd;		/* queue/ again: the instance lock, not
					 * inherited by delivery children */
	const char *hostname;
	struct priv_user postern;	/* postern_user, for the children */
	bool	 verbose;
};
extern struct runner rn;

/* A new unique queue id (hex: time, microseconds, random). */
void	 queue_new_id(char out[64]);
/*
 * Create queue/ID for a message made here (bounces, notices): the head,
 * the body written by body(fd, arg) (the message bytes), the M size
 * patched in, fsync, rename into place, fsync of queue/.  0, or -1 (why).
 */
int	 queue_create(int kind, uid_t uid, const char *sender,
	    char *const *rcpts, size_t nrcpts, int (*body)(int, void *),
	    void *arg, char id[64], struct buf *why);

/* pickup.c: client queue -> trusted queue. */
/*
 * Pick up files in submit/new (at most max); queued(id, arg) for each new
 * one once it is durable in queue/ and its client file is gone.  Returns
 * how many names were looked at (max: there may be more), -1 when
 * submit/new cannot be read.
 */
int	 pickup_scan(size_t max, void (*queued)(const char *, void *),
	    void *arg);
/* At start: remove client files whose queue files exist. */
void	 pickup_reconcile(void);
/* Remove submit/tmp files older than submit_stale_time. */
void	 pickup_clean_tmp(void);

/*
 * deliver.c: the delivery child.  fds are the queue files ids, open O_RDWR and
 * flock()ed by the master; each is delivered in turn (one mail.local
 * session for all), and one line per message is written to resfd:
 * "ID done" (removed) or "ID next TIME".
 */
void	 deliver_batch(const int *fds, char (*const ids)[64], size_t n,
	    bool force, int resfd);

/* lmtp.c: the LMTP client to mail.local -l over a socketpair. */
struct lmtp_client {
	pid_t	 pid;
	int	 fd;
	struct buf in;		/* bytes read, not yet used */
	bool	 up;
};
/* Start mail.local -l and greet it: 0, or -1 (why). */
int	 lmtp_start(struct lmtp_client *, struct buf *why);
/*
 * One transaction: MAIL, a RCPT per recipient n of idx[], BDAT LAST with
 * the message from m->fd; res[k] for idx[k].  A dead session gives
 * temporary failures (and up = false).
 */
void	 lmtp_deliver(struct lmtp_client *, const struct qmsg *m,
	    const size_t *idx, size_t n, struct qresult *res);
void	 lmtp_stop(struct lmtp_client *);

/* ------------------------------------------------------------------
 * relay.c: one message over SMTP (RFC 5321) to relayhost, from a child
 * that has become postern_user for good.  relayhost is "[host]:port",
 * "[host]", "host:port" or "host" (no MX lookups: postern has no DNS
 * resolver of its own; brackets are accepted for Postfix compatibility);
 * the default port is 25.  EHLO (falling back to HELO), SIZE, 8BITMIME,
 * PIPELINING when offered; MAIL FROM:<sender> (SIZE=, BODY=8BITMIME when
 * the message has 8-bit bytes and the server offers it; without 8BITMIME
 * an 8-bit message is still sent, as Postfix does); one RCPT per
 * recipient; DATA with dot-stuffing and CRLF line ends; the message bytes
 * are read with pread from msgfd at [off, off+size) (LF line ends).
 * Every recipient gets a result: RCPT's reply if refused, else DATA's.
 * 4xx -> EX_TEMPFAIL, 5xx -> EX_UNAVAILABLE (dsn from the reply's
 * enhanced code, or derived from the reply code); connection, timeout or
 * protocol failures -> EX_TEMPFAIL with a reason naming the host.
 * Timeouts: connect 30 s, each reply 300 s (DATA end 600 s).
 */
void	 relay_deliver(const char *relayhost, const char *helo_name,
	    const char *sender, char *const *rcpts, size_t nrcpts,
	    int msgfd, off_t off, off_t size, struct qresult *results);

/*
 * An SMTP reply parser, used by relay.c and its fuzz target: feed it
 * lines (without CRLF); it returns 1 when a whole reply (last line "NNN "
 * or "NNN") is complete, 0 when more lines are needed, -1 on a malformed
 * line.  code, dsn (enhanced status code of the first line, or "") and
 * the text (lines joined with "; ", bounded) are then set.
 */
struct smtp_reply {
	int	 code;
	char	 dsn[16];
	struct buf text;
	int	 nlines;
};
void	 smtp_reply_init(struct smtp_reply *);
int	 smtp_reply_line(struct smtp_reply *, const char *line, size_t len);
void	 smtp_reply_free(struct smtp_reply *);
/* Empty r for the next reply (after 1 or -1), keeping its allocation. */
void	 smtp_reply_reset(struct smtp_reply *);
/*
 * relay.c's timeouts in seconds (connect, each reply and write, the end
 * of data); 0 keeps a value.  For tests; the defaults are the ones above.
 */
void	 relay_set_timeouts(int connect_s, int reply_s, int data_s);

/* ------------------------------------------------------------------
 * bounce.c: an RFC 3464 delivery status notification, written to outfd
 * (the message only: headers and body, LF line ends).  From
 * MAILER-DAEMON@hostname, to the original sender, a text/plain part for
 * people, a message/delivery-status part (Reporting-MTA, Arrival-Date,
 * per recipient Final-Recipient, Original-Recipient when different,
 * Action, Status, Remote-MTA when known, Diagnostic-Code, Last-Attempt-
 * Date), and the original message's headers (text/rfc822-headers) or,
 * with ret_full, the whole original (message/rfc822), read with pread
 * from msgfd.  delay: a delay warning (Action: delayed, "will be retried
 * until ...") instead of a failure report.  0, or -1 with errno.
 */
struct bounce_rcpt {
	const char *addr;		/* final recipient */
	const char *orig;		/* original recipient, or NULL */
	int	 status;		/* sysexits */
	const char *dsn;		/* "5.1.1", ... */
	const char *text;		/* diagnostic */
	const char *mta;		/* remote MTA, or NULL */
	time_t	 last_attempt;
};
struct bounce_req {
	const char *hostname;		/* myhostname */
	const char *queue_id;
	const char *sender;		/* the original envelope sender */
	const char *envid;		/* ENVID, or NULL */
	time_t	 arrival;
	time_t	 retry_until;		/* for delay warnings */
	bool	 delay;
	bool	 ret_full;
	const struct bounce_rcpt *rcpts;
	size_t	 nrcpts;
	int	 msgfd;
	off_t	 msg_off, msg_size;
	const char *to;			/* the report's To:, NULL: sender */
};
int	 bounce_write(int outfd, const struct bounce_req *);

/* ------------------------------------------------------------------
 * check.c: postern-queue -c, the installation checker (like postfix
 * check): the owners and modes of every program, directory and file of
 * DESIGN.md's table, the configuration file and the aliases file and map,
 * each deviation printed on stdout as "postern-queue: PATH: found X,
 * expected Y; fix: COMMAND".  Returns 0 when all is right, 1 when
 * something deviates (EX_CONFIG when it cannot even look).
 */
int	 check_install(void);

#endif
