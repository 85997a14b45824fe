/*
 * exitcode: sysexits.h codes as a protocol.  One place maps errno values to
 * exit codes, and exit codes to SMTP/LMTP reply codes with RFC 3463
 * enhanced status codes, so every program answers the same way.
 */
#ifndef POSTERN_EXITCODE_H
#define POSTERN_EXITCODE_H

#include <stdbool.h>
#include <sysexits.h>

/* What an errno value was about, since ENOENT means different things. */
enum ex_ctx {
	EXC_FILE,	/* a mailbox, queue file or other data file */
	EXC_USER,	/* looking up a user or a user's home */
	EXC_CONFIG,	/* a configuration file or map */
	EXC_INPUT,	/* reading the caller's input */
	EXC_OUTPUT	/* writing to the caller or a peer */
};

int	 ex_from_errno(int err, enum ex_ctx ctx);
/* "EX_TEMPFAIL", or "EX_UNKNOWN" */
const char *ex_name(int code);
/* A short text: "temporary failure", "user unknown", ... */
const char *ex_text(int code);
/* True for codes that mean "try again later". */
bool	 ex_is_temporary(int code);
/*
 * The more severe of two results for a multi-recipient exit status:
 * EX_TEMPFAIL wins (the sender's MTA must retry), then the first
 * permanent failure, then EX_OK.
 */
int	 ex_worse(int a, int b);

/* An SMTP/LMTP reply for an exit code. */
struct ex_reply {
	int		 code;		/* 250, 451, 452, 550, 554, ... */
	const char	*dsn;		/* "2.0.0", "4.2.2", "5.1.1", ... */
	const char	*text;		/* default text */
};
void	 ex_to_reply(int code, struct ex_reply *);

#endif
