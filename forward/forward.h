/*
 * forward: reading a user's .forward file and an :include: file, with the
 * safety rules sendmail and Postfix taught: no symbolic links, a regular
 * file with one link, the right owner, not writable by group or others,
 * in a home directory that nobody else can write.  The bytes are parsed
 * with target_split() (aliases/target.h) under a size and entry limit.
 * These run in a process that has already become the file's reader.
 */
#ifndef POSTERN_FORWARD_H
#define POSTERN_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "aliases/target.h"

/* Results of forward_open(). */
#define FWD_TEMP	(-1)	/* try later: the home is unsafe, I/O error */
#define FWD_NONE	0	/* there is no such file */
#define FWD_OK		1	/* *fd is open and vetted */
#define FWD_IGNORED	2	/* there is one, but it is unsafe (why) */

/*
 * Open the user's home directory for the forward files: every directory
 * on the way not writable by others (root's symlinks allowed), the home
 * itself owned by the user or root, not group or world writable, not
 * sticky.  fd, or -1 with the reason (a temporary failure).
 */
int	 forward_open_home(const char *home, uid_t uid, struct buf *why);
/*
 * The relative path of forward_path item (which must start "$HOME/"),
 * with $USER, $EXTENSION and $DELIMITER put in.  false when the item does
 * not apply (it names $EXTENSION and there is none) or cannot be used
 * (an extension with '/' or a leading '.', a bad item: why).
 */
bool	 forward_item_path(const char *item, const char *user,
	    const char *ext, const char *delim, struct buf *out,
	    struct buf *why);
/* Open homefd/rel as uid and vet it: FWD_* (fd in *fd for FWD_OK). */
int	 forward_open(int homefd, const char *rel, uid_t uid, int *fd,
	    struct buf *why);
/*
 * Open an :include: file: no symlinks on the path unless owned by root,
 * directories not writable by others (unless sticky), a regular file
 * with one link owned by root or by owner, not group or world writable.
 * fd, or -1 with the reason; the file's owner in *owner_out.
 */
int	 include_open(const char *path, uid_t owner, uid_t *owner_out,
	    struct buf *why);
/* Read fd to EOF, at most max bytes (else an error); 0 or -1 (why). */
int	 forward_read(int fd, const char *name, size_t max, struct buf *out,
	    struct buf *why);
/* Parse file bytes into targets: 0, or -1 with "name:line: why". */
int	 forward_parse(const char *name, const char *data, size_t len,
	    size_t max, struct target_list *, struct buf *why);

#endif
