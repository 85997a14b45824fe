/*
 * nsscheck: may a statically linked program look users up on this host?
 */
#ifndef POSTERN_NSSCHECK_H
#define POSTERN_NSSCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* The nsswitch.conf(5) glibc reads. */
#define NSS_CONF_PATH	"/etc/nsswitch.conf"

/* Is this process statically linked (started without a program interpreter)? */
bool	 nss_is_static(void);
/*
 * Do the passwd, group and initgroups lines of text (an nsswitch.conf)
 * name the "files" source alone?  0 yes; -1 no, why says which line
 * (name:LINE: ...) and which source.
 */
int	 nss_files_only(const char *text, size_t len, const char *name,
	    struct buf *why);
/*
 * 0 when lookups are safe here: a dynamic program, or a static one with
 * path naming files alone (or missing: glibc then uses files).  -1 with
 * why otherwise, or when path cannot be read.
 */
int	 nss_static_check(const char *path, struct buf *why);

#endif
