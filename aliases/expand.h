/*
 * expand: from one local recipient to its final destinations, through the
 * alias map, :include: files and .forward files (sendmail and Postfix
 * semantics; see aliases(5) and forward(5)).
 *
 * The engine does no I/O of its own: the caller's ops look up aliases and
 * users and read .forward and :include: files (mail.local does that in
 * processes that have become the file's reader).  The engine applies the
 * rules: lookup order (alias, then .forward, then the mailbox), user+ext,
 * loop detection, duplicate suppression, the depth and destination
 * limits, who each program and file runs as, which sources may name
 * programs, files and :include:, and owner-NAME senders.
 */
#ifndef POSTERN_EXPAND_H
#define POSTERN_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "aliases/target.h"

enum dest_kind {
	DEST_MAILBOX,	/* the mailbox of user target */
	DEST_FILE,	/* append to path target */
	DEST_PROGRAM,	/* run command target */
	DEST_REMOTE	/* forward to address target */
};

/* A final destination. */
struct dest {
	enum dest_kind kind;
	char	*target;	/* user name, path, command or address */
	char	*runas;		/* user whose rights deliver it */
	char	*local;		/* the local name whose expansion led here */
	char	*ext;		/* its extension, or NULL */
	char	*sender;	/* owner-NAME envelope sender, or NULL */
	char	*via;		/* where it came from, for logs */
};

/* A member that failed during expansion. */
struct xfail {
	char	*what;		/* the target as written */
	int	 status;	/* sysexits */
	const char *dsn;
	char	*why;
};

struct expansion {
	struct dest *v;
	size_t	 n, cap;
	struct xfail *fail;
	size_t	 nfail, failcap;
	int	 tempfail;	/* EX_TEMPFAIL when the expansion itself
				 * could not finish (then v is not used) */
	struct buf why;		/* for tempfail */
};

/* Where targets came from: decides rights and what is allowed. */
enum xsource {
	XS_TOP,		/* the envelope recipient */
	XS_MAP,		/* the alias map */
	XS_FORWARD,	/* a user's .forward */
	XS_INCLUDE	/* an :include: file */
};

struct expand_ops {
	void	*ctx;
	/* 1 found (value in out), 0 none, -1 failure (why). */
	int	(*alias)(void *ctx, const char *name, struct buf *out,
		    struct buf *why);
	/* 0: the user exists (passwd name in canon); EX_NOUSER; EX_TEMPFAIL. */
	int	(*user)(void *ctx, const char *name, struct buf *canon,
		    struct buf *why);
	/*
	 * The targets of user's forward file for ext (NULL: none):
	 * 1 (targets appended, the file's name in src), 0 no usable file
	 * (an unsafe one is logged by the callee), -1 defer (why).
	 */
	int	(*forward)(void *ctx, const char *user, const char *ext,
		    struct target_list *, struct buf *src, struct buf *why);
	/*
	 * The targets of an :include: file, opened with opener's rights
	 * (opener "root": the map's owner is root) and owned by root or
	 * opener: 0 (owner's user name in owner), or a sysexits code (why).
	 */
	int	(*include)(void *ctx, const char *opener, const char *path,
		    struct target_list *, struct buf *owner, struct buf *why);
	/* Is domain one of ours? */
	bool	(*local_domain)(void *ctx, const char *domain);
	const char *map_owner;		/* user name; "root" for a root map */
	const char *default_user;
	const char *delims;		/* recipient_delimiter */
	unsigned depth_limit;
	size_t	 dest_limit;
	bool	 aliases;		/* look up the alias map */
	bool	 commands;		/* allow_commands != no */
	bool	 user_commands_files;	/* in .forward and :include: */
};

/* Expand local (the envelope recipient's local part, unquoted). */
void	 expand_rcpt(const struct expand_ops *, const char *local,
	    struct expansion *);
void	 expansion_free(struct expansion *);
const char *dest_kind_name(enum dest_kind);

#endif
