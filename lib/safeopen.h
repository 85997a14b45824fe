/*
 * safeopen: open a file below a trusted directory without following links,
 * one component at a time with openat(O_NOFOLLOW), then vet the descriptor
 * with fstat.  Every refusal comes with a precise reason ("/var/mail/bob: is
 * a symbolic link", "... has 2 links", "... is owned by uid 1002, expected
 * 1001", "... is group writable").  This does not rely on the kernel's
 * protected_symlinks or protected_hardlinks.
 */
#ifndef POSTERN_SAFEOPEN_H
#define POSTERN_SAFEOPEN_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "lib/buf.h"

#define SAFE_OWNERS_MAX	3

/* What a file or directory must look like after it is opened. */
struct safe_check {
	mode_t	 type;		/* S_IFREG, S_IFDIR, ...; 0: any type */
	nlink_t	 nlink_max;	/* 0: no check; 1: exactly one link */
	int	 nowners;	/* 0: any owner */
	uid_t	 owners[SAFE_OWNERS_MAX];
	mode_t	 mode_forbid;	/* permission bits that must be clear */
	/*
	 * For directories: allow group/other write when the sticky bit is set
	 * (like /tmp or a 1777 spool); mode_forbid still applies otherwise.
	 */
	bool	 sticky_ok;
};

/* Flags for safe_openat(). */
#define SAFE_F_ROOT_SYMLINKS	0x01	/* follow symlinks owned by root (at
					 * most 8), in directories that passed
					 * the directory check */

/*
 * Check an open fd against a rule.  0, or -1 with the reason appended to why
 * (prefixed by name).  st receives the fstat result when not NULL.
 */
int	 safe_check_fd(int fd, const char *name, const struct safe_check *,
	    struct stat *st, struct buf *why);

/*
 * Open path (relative to rootfd, or absolute: then rootfd is ignored and the
 * walk starts at "/") component by component.  Every directory on the way is
 * opened O_DIRECTORY|O_NOFOLLOW and checked against dirs (NULL: no check);
 * the last component is opened with flags|O_NOFOLLOW|O_CLOEXEC (and mode if
 * O_CREAT) and checked against file (NULL: no check).  Empty, "." and ".."
 * components are refused.  Returns the fd, or -1 with errno set and the
 * reason in why.  On success st holds the final fstat when not NULL.
 */
int	 safe_openat(int rootfd, const char *path, int flags, mode_t mode,
	    const struct safe_check *dirs, const struct safe_check *file,
	    int sflags, struct stat *st, struct buf *why);
/* Open a directory the same way; returns an O_DIRECTORY fd. */
int	 safe_opendir(int rootfd, const char *path,
	    const struct safe_check *dirs, int sflags, struct buf *why);

#endif
