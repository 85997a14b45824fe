/*
 * priv: every uid, gid and capability change of postern, in one module.
 * Order is always setgroups, setresgid, setresuid; every change is verified
 * (getresuid/getresgid/getgroups) and a permanent drop is followed by an
 * attempt to regain the old ids, which must fail (OpenSSH uidswap.c).
 * Capabilities are limited with libcap to a named table kept by each program.
 */
#ifndef POSTERN_PRIV_H
#define POSTERN_PRIV_H

#include <stddef.h>
#include <sys/capability.h>
#include <sys/types.h>

#include "lib/buf.h"

/* A user to become, as looked up from the passwd database. */
struct priv_user {
	uid_t	 uid;
	gid_t	 gid;
	gid_t	*groups;	/* supplementary groups, may include gid */
	size_t	 ngroups;
	char	*name;
	char	*home;
	char	*shell;
};

/*
 * Look up name (getpwnam, getgrouplist).  Returns 0, or -1 with errno set
 * (ENOENT: no such user) and the reason in why.
 */
int	 priv_user_lookup(const char *name, struct priv_user *, struct buf *why);
int	 priv_user_lookup_uid(uid_t, struct priv_user *, struct buf *why);
void	 priv_user_free(struct priv_user *);
/* A deep copy (free it with priv_user_free). */
void	 priv_user_copy(struct priv_user *dst, const struct priv_user *src);

/*
 * Become uid/gid with exactly these supplementary groups, for good, and
 * verify it.  Returns 0, or -1 with the reason in why; a caller that gets -1
 * must not touch any file and should _exit.
 */
int	 priv_become(uid_t, gid_t, const gid_t *groups, size_t ngroups,
	    struct buf *why);
int	 priv_become_user(const struct priv_user *, struct buf *why);

/*
 * For a setgid program: set real, effective and saved gid to the real gid
 * and verify that the old egid cannot be regained.
 */
int	 priv_drop_setgid(struct buf *why);

/*
 * Keep only the capabilities in keep[] (permitted and effective), clear the
 * inheritable and ambient sets, drop every other capability from the
 * bounding set, and set SECBIT_NOROOT-free keep-caps off.  Verified after.
 */
int	 priv_caps_limit(const cap_value_t *keep, size_t nkeep, struct buf *why);
/*
 * Set SECBIT_NOROOT (locked): from now on, execve() as uid 0 no longer
 * gives capabilities.  Needs CAP_SETPCAP, so call before priv_caps_limit.
 */
int	 priv_secure_noroot(struct buf *why);
/* Drop caps from the bounding set only (kept, but never passed on). */
int	 priv_caps_unbound(const cap_value_t *drop, size_t ndrop,
	    struct buf *why);
/* Empty the permitted, effective and inheritable sets; verified. */
int	 priv_caps_clear(struct buf *why);
/* 0 when the permitted set is exactly keep[], else -1 with the reason. */
int	 priv_caps_verify(const cap_value_t *keep, size_t nkeep, struct buf *why);

#endif
