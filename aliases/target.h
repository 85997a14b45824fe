/*
 * target: split the right-hand side of an alias, a .forward file or an
 * :include: file into targets, and classify each one (sendmail and
 * Postfix syntax):
 *
 *	user, user@domain, <user@domain>, "quoted local"@domain  an address
 *	\user                         a local mailbox, no further expansion
 *	/path/file                    append to a file
 *	|command, "|command, with"    run a program
 *	:include:/path                read more targets from a file
 *
 * Targets are separated by commas (and, in files, by newlines); white space
 * around a target is dropped; a target in double quotes keeps its commas
 * and white space, and backslash escapes the next character inside quotes.
 * In files, a line whose first non-blank character is '#' is a comment.
 */
#ifndef POSTERN_TARGET_H
#define POSTERN_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

enum target_kind {
	TGT_ADDRESS,	/* an address, local or remote */
	TGT_MAILBOX,	/* \user */
	TGT_FILE,	/* /path */
	TGT_PROGRAM,	/* |command (text after the bar) */
	TGT_INCLUDE	/* :include:/path (the path) */
};

struct target {
	enum target_kind kind;
	char	*text;		/* NUL-terminated, no NUL inside */
	size_t	 len;
	unsigned long line;	/* line in the file (1 for a single value) */
};

struct target_list {
	struct target *v;
	size_t	 n, cap;
};

#define TGT_F_FILE	0x01	/* newlines separate too; '#' comment lines */

/*
 * Append the targets of s to list, at most max in all (list->n counts).
 * 0, or -1 with "line N: reason" in why (name the file in the caller).
 * Refused: NUL, control characters other than tab, an unterminated quote,
 * an empty program or path, a relative :include: path, an address that is
 * not one, more than max targets.
 */
int	 target_split(const char *s, size_t len, int flags, size_t max,
	    struct target_list *, struct buf *why);
void	 target_list_free(struct target_list *);
const char *target_kind_name(enum target_kind);

#endif
