/*
 * submit: the setgid sendmail.  Modules: main (start-up, command line,
 * modes), message (reading the message, headers, -t), queue (the client
 * queue file and mailq).
 */
#ifndef POSTERN_SUBMIT_H
#define POSTERN_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/cqueue.h"

/* The caller's stdin, buffered; shared by -bs commands and messages. */
struct msg_in {
	int	 fd;
	char	*buf;
	size_t	 off, len;
	off_t	 total;		/* canonical bytes of this message so far */
	off_t	 limit;
	bool	 smtp;		/* -bs: dot-stuffing, "." ends the data */
	bool	 over;		/* -bs: the message went over the limit */
	bool	 dotted;	/* the message ended with its "." line */
	bool	 eof;
};

struct submit {
	/* From the command line. */
	bool	 extract;	/* -t */
	bool	 ignore_dots;	/* -i, -oi */
	const char *from;	/* -f/-r, NULL: the caller */
	const char *fullname;	/* -F, NULL: from GECOS */
	/* The caller. */
	uid_t	 uid;
	char	*user;		/* login name */
	char	*gecos_name;	/* full name from GECOS, may be NULL */
	bool	 trusted;	/* in trusted_users */
	const char *hostname;
	/* The envelope being built. */
	struct cq_env env;
	char	 id[64];	/* queue file name and log id */
	off_t	 limit;		/* message_size_limit */
	struct msg_in in;
};

#define SUBMIT_FULLNAME_MAX	256	/* -F and the GECOS name */

/* What the command line asks for besides the envelope (options.c). */
struct submit_opts {
	char	 mode;		/* m(ail), p(rint), i(nit aliases), v(erify),
				   s(mtp), q(ueue run) */
	const char *conf;	/* -C */
	bool	 root_only;	/* -C, -X, -D, -oQ, -oA or their -O forms */
	bool	 usage;		/* the error deserves the usage line */
	int	 operands;	/* argv index of the first recipient */
};

/*
 * Parse the options of argv into s and o (o->mode preset by the program
 * name).  0, or EX_USAGE / EX_DATAERR with the reason in why.  Nothing is
 * opened or printed.
 */
int	 submit_options(struct submit *, int argc, char **argv,
	    struct submit_opts *, struct buf *why);
/* The recipient operands: 0, or EX_DATAERR with the reason. */
int	 submit_operands(struct submit *, int argc, char **argv,
	    const struct submit_opts *, struct buf *why);
/* A value from the caller: at most max bytes, no control characters. */
int	 submit_check_value(const char *what, const char *v, size_t max,
	    struct buf *why);
/* Add the recipients of an address list: 0, or -1 with the reason. */
int	 submit_rcpts(struct submit *, const char *list, size_t len,
	    struct buf *why);

/* One line of input (no LF, no CR before it): 1, or 0 at the end. */
int	 in_line(struct msg_in *, struct buf *line);

/* Exit after printing "sendmail: ..." (also to syslog); never returns. */
void	 submit_fail(int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* Add the recipients of an address list; exits 65 on bad ones. */
void	 submit_add_rcpts(struct submit *, const char *list, size_t len);

/* -bv: print how each recipient would be delivered; the worst status. */
int	 verify_addresses(struct submit *);

/* Read stdin and write the message to fd (after the queue head). */
off_t	 message_copy(struct submit *, int fd);

/* The queue: open the temp file, commit it into new/, or remove it. */
int	 queue_open(struct submit *, struct buf *why);
/* The signals queue_open() catches (to remove its file), and how many. */
extern const int queue_signals[];
extern const size_t queue_nsignals;
void	 queue_commit(struct submit *, int fd, off_t size, bool drop);
void	 queue_abort(void);
/* -bs: an SMTP session on s->in and out; the exit status. */
int	 smtp_session(struct submit *, FILE *out);
/* mailq: list the queue (own files, or all for root); the exit status. */
int	 queue_list(struct submit *);

#endif
