/*
 * exitcode: sysexits.h codes as a protocol, in one place.
 *
 * MTAs read a delivery agent's exit status (sendmail's mailer table,
 * Postfix pipe(8)) and LMTP clients read per-recipient replies; both must
 * mean the same thing for the same failure.  The mappings:
 *
 * errno -> exit code (ex_from_errno):
 *   ENOSPC EDQUOT EFBIG(file)  75  the disk or quota may free up; Postfix and
 *                                  sendmail's mail.local defer on a full disk
 *   EAGAIN EINTR ENOMEM EMFILE
 *   ENFILE ENOBUFS EBUSY ENOLCK
 *   ETIMEDOUT EIO EDEADLK       75  resource shortage or a lock held: retry
 *   ELOOP EMLINK (file)         75  a symlink or hard link where a mailbox
 *                                  should be: refused now, retried, so the
 *                                  owner can repair it without losing mail
 *                                  (Postfix local(8) defers unsafe mailboxes)
 *   ENOENT  user                67  no such user
 *           file                73  cannot create the output file
 *           config, input       78 / 66
 *   EACCES EPERM  file          77  permission denied; user 67 is wrong
 *                                  here, the user exists
 *           config              78
 *   EROFS                       73
 *   EPIPE ECONNRESET (output)   74
 *   anything else               74 for I/O contexts, 71 (OS error) otherwise
 *
 * exit code -> reply (ex_to_reply), RFC 3463 codes:
 *   EX_OK 250 2.0.0; EX_TEMPFAIL 451 4.3.0; EX_NOUSER 550 5.1.1;
 *   EX_NOHOST 550 5.1.2; EX_UNAVAILABLE 550 5.3.0; EX_DATAERR 554 5.6.0;
 *   EX_NOINPUT 550 5.3.0; EX_CANTCREAT 550 5.3.0; EX_NOPERM 550 5.7.1;
 *   EX_USAGE 554 5.5.4; EX_PROTOCOL 554 5.5.0; EX_SOFTWARE 451 4.3.0
 *   (a bug must not bounce mail); EX_OSERR, EX_OSFILE, EX_IOERR 451 4.3.0;
 *   EX_CONFIG 451 4.3.5: sendmail and Postfix treat a configuration error as
 *   temporary, since the admin will fix it and the mail should wait.
 *   Anything else: 554 5.3.0.
 * Callers that know more (a full mailbox: 452 4.2.2) override the text.
 */
#include <config.h>

#include <errno.h>
#include <stddef.h>

#include "lib/exitcode.h"

/* Map an errno value to a sysexits code, given what it was about. */
int
ex_from_errno(int err, enum ex_ctx ctx)
{
	switch (err) {
	case 0:
		return EX_OK;
	case ENOSPC:
	case EDQUOT:
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case EINTR:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case EBUSY:
	case ENOLCK:
	case EDEADLK:
	case ETIMEDOUT:
	case EIO:
		return EX_TEMPFAIL;
	case EFBIG:
		return ctx == EXC_FILE ? EX_TEMPFAIL : EX_DATAERR;
	case ELOOP:
	case EMLINK:
		return ctx == EXC_FILE ? EX_TEMPFAIL : EX_OSERR;
	case ENOENT:
	case ENOTDIR:
		switch (ctx) {
		case EXC_USER:
			return EX_NOUSER;
		case EXC_FILE:
			return EX_CANTCREAT;
		case EXC_CONFIG:
			return EX_CONFIG;
		case EXC_INPUT:
			return EX_NOINPUT;
		case EXC_OUTPUT:
			return EX_IOERR;
		}
		break;
	case EACCES:
	case EPERM:
		return ctx == EXC_CONFIG ? EX_CONFIG : EX_NOPERM;
	case EROFS:
		return EX_CANTCREAT;
	case EPIPE:
	case ECONNRESET:
		return EX_IOERR;
	case EILSEQ:
		return EX_DATAERR;
	default:
		break;
	}
	return (ctx == EXC_INPUT || ctx == EXC_OUTPUT || ctx == EXC_FILE) ?
	    EX_IOERR : EX_OSERR;
}

static const struct {
	int		 code;
	const char	*name;
	const char	*text;
} ex_table[] = {
	{ EX_OK, "EX_OK", "success" },
	{ EX_USAGE, "EX_USAGE", "command line usage error" },
	{ EX_DATAERR, "EX_DATAERR", "data format error" },
	{ EX_NOINPUT, "EX_NOINPUT", "cannot open input" },
	{ EX_NOUSER, "EX_NOUSER", "user unknown" },
	{ EX_NOHOST, "EX_NOHOST", "host name unknown" },
	{ EX_UNAVAILABLE, "EX_UNAVAILABLE", "service unavailable" },
	{ EX_SOFTWARE, "EX_SOFTWARE", "internal software error" },
	{ EX_OSERR, "EX_OSERR", "system error" },
	{ EX_OSFILE, "EX_OSFILE", "critical OS file missing" },
	{ EX_CANTCREAT, "EX_CANTCREAT", "cannot create output file" },
	{ EX_IOERR, "EX_IOERR", "input/output error" },
	{ EX_TEMPFAIL, "EX_TEMPFAIL", "temporary failure" },
	{ EX_PROTOCOL, "EX_PROTOCOL", "remote error in protocol" },
	{ EX_NOPERM, "EX_NOPERM", "permission denied" },
	{ EX_CONFIG, "EX_CONFIG", "configuration error" },
};

/* The sysexits.h name of a code. */
const char *
ex_name(int code)
{
	for (size_t i = 0; i < sizeof(ex_table) / sizeof(ex_table[0]); i++)
		if (ex_table[i].code == code)
			return ex_table[i].name;
	return "EX_UNKNOWN";
}

/* A short text for a code. */
const char *
ex_text(int code)
{
	for (size_t i = 0; i < sizeof(ex_table) / sizeof(ex_table[0]); i++)
		if (ex_table[i].code == code)
			return ex_table[i].text;
	return "unknown error";
}

/* Does the code mean "try again later"? */
bool
ex_is_temporary(int code)
{
	struct ex_reply r;

	ex_to_reply(code, &r);
	return r.code >= 400 && r.code < 500;
}

/* The more severe of two results: temporary wins, then the first permanent. */
int
ex_worse(int a, int b)
{
	if (ex_is_temporary(a))
		return a;
	if (ex_is_temporary(b))
		return b;
	if (a != EX_OK)
		return a;
	return b;
}

/* The SMTP/LMTP reply code and enhanced status code for an exit code. */
void
ex_to_reply(int code, struct ex_reply *r)
{
	static const struct ex_reply unknown = { 554, "5.3.0", "delivery failed" };
	static const struct {
		int		 code;
		struct ex_reply	 reply;
	} map[] = {
		{ EX_OK, { 250, "2.0.0", "OK" } },
		{ EX_TEMPFAIL, { 451, "4.3.0", "temporary failure" } },
		{ EX_NOUSER, { 550, "5.1.1", "user unknown" } },
		{ EX_NOHOST, { 550, "5.1.2", "host unknown" } },
		{ EX_UNAVAILABLE, { 550, "5.3.0", "service unavailable" } },
		{ EX_DATAERR, { 554, "5.6.0", "data format error" } },
		{ EX_NOINPUT, { 550, "5.3.0", "cannot open input" } },
		{ EX_CANTCREAT, { 550, "5.3.0", "cannot create output file" } },
		{ EX_NOPERM, { 550, "5.7.1", "permission denied" } },
		{ EX_USAGE, { 554, "5.5.4", "invalid arguments" } },
		{ EX_PROTOCOL, { 554, "5.5.0", "protocol error" } },
		{ EX_SOFTWARE, { 451, "4.3.0", "internal software error" } },
		{ EX_OSERR, { 451, "4.3.0", "system error" } },
		{ EX_OSFILE, { 451, "4.3.0", "system file missing" } },
		{ EX_IOERR, { 451, "4.3.0", "input/output error" } },
		{ EX_CONFIG, { 451, "4.3.5", "configuration error" } },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].code == code) {
			*r = map[i].reply;
			return;
		}
	}
	*r = unknown;
}
