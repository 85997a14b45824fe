/*
 * cqueue: the client queue file, written by the setgid sendmail into
 * submit/tmp then renamed into submit/new, read by the queue runner in an
 * unprivileged child.  Small, versioned, framed and strict (see
 * postern-submit(5)):
 *
 *	POSTERN-SUBMIT 1\n
 *	M <16 decimal digits: message size>\n
 *	<message: that many bytes, LF line ends>
 *	S <envelope sender, may be empty>\n
 *	O <option>=<value>\n		zero or more, in any order
 *	R <recipient>\n			one or more
 *	E\n
 *
 * Fields are bytes 0x20-0x7e and UTF-8 (>= 0x80): never NUL, CR or LF.
 * Records come in exactly this order; anything after E is an error.  The
 * submitting uid is not in the file: the runner takes the file's owner.
 */
#ifndef POSTERN_CQUEUE_H
#define POSTERN_CQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"

#define CQ_MAGIC	"POSTERN-SUBMIT 1\n"
#define CQ_FIELD_MAX	1000	/* bytes in one field */
#define CQ_RCPT_MAX	10000	/* recipients in one file */
#define CQ_OPT_MAX	16	/* O records */
#define CQ_SIZE_DIGITS	16

/* Options the client may record; any other name is an error. */
#define CQ_OPTS(X) \
	X(notify)	/* -N: never, or success,failure,delay */ \
	X(ret)		/* -R: full or hdrs */ \
	X(envid)	/* -V: the DSN envelope id */ \
	X(body)		/* -B: 7bit or 8bitmime */ \
	X(fullname)	/* -F, for the record */

/* An envelope, as written or as parsed. */
struct cq_env {
	char	*sender;		/* "" for the null sender */
	char	**rcpts;
	size_t	 nrcpts;
	char	*opt_name[CQ_OPT_MAX];
	char	*opt_value[CQ_OPT_MAX];
	size_t	 nopts;
	off_t	 msg_off;		/* where the message starts */
	off_t	 msg_size;
};

void	 cq_env_init(struct cq_env *);
void	 cq_env_free(struct cq_env *);
/* Add a recipient / option; -1 (reason in why) past a limit or bad bytes. */
int	 cq_env_add_rcpt(struct cq_env *, const char *, struct buf *why);
int	 cq_env_add_opt(struct cq_env *, const char *name, const char *value,
	    struct buf *why);
/* Is s acceptable as a field: length and bytes? */
bool	 cq_valid_field(const char *s, size_t len);
bool	 cq_valid_opt(const char *name);

/* The head: magic and the M line with a size to be patched later. */
void	 cq_write_head(struct buf *);
/* Offset of the size digits within the head, for cq_patch_size. */
size_t	 cq_size_offset(void);
/* The 16 digits for size. */
void	 cq_format_size(char out[CQ_SIZE_DIGITS + 1], off_t size);
/* The records after the message. */
void	 cq_write_tail(struct buf *, const struct cq_env *);

/*
 * Parse a whole file in memory: 0, or -1 with the reason ("offset N:
 * ...") in why.  On success env holds the envelope and msg_off/msg_size
 * locate the message in data.
 */
int	 cq_parse(const char *data, size_t len, off_t size_limit,
	    struct cq_env *, struct buf *why);

#endif
