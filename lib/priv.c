/*
 * priv: every uid, gid and capability change in postern.
 *
 * Inputs: user names and ids from the caller (looked up in the passwd and
 * group databases, which root controls) and the capability tables of each
 * program.  Diagnostics: -1 with the reason in a buf; callers must not go on
 * touching files after a failure here.
 *
 * SECURITY: the order is always setgroups, setresgid, setresuid: groups and
 * gids can only be changed while still root.  Every change is verified with
 * getresuid/getresgid/getgroups, and after a permanent drop we try to get
 * the old ids back and treat success as fatal (OpenSSH uidswap.c's
 * permanently_set_uid).  A process that has become a user also holds no
 * capability: checked, not assumed.  priv_caps_limit() trims the bounding
 * set as well, so no later execve() as root can regain what was dropped.
 * What the bounding set still holds (a program's kept capabilities) an
 * execve() as uid 0 would give back: priv_secure_noroot() sets the locked
 * SECBIT_NOROOT for programs whose uid-0 children must stay powerless
 * (mail.local delivering to root).
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/securebits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "lib/priv.h"

#define PRIV_PWBUF_MAX	(1024 * 1024)	/* passwd entry buffer limit */
#define PRIV_NGROUPS_MAX 65536		/* supplementary groups limit */

/* Fill u from a passwd entry and its groups. */
static int
priv_user_fill(const struct passwd *pw, struct priv_user *u, struct buf *why)
{
	int n = 16, rc;
	gid_t *groups = NULL;

	for (;;) {
		int want = n;

		groups = xreallocarray(groups, (size_t)n, sizeof(*groups));
		rc = getgrouplist(pw->pw_name, pw->pw_gid, groups, &n);
		if (rc >= 0)
			break;
		if (n <= want)
			n = want * 2;
		if (n > PRIV_NGROUPS_MAX) {
			free(groups);
			buf_printf(why, "user %s: too many groups", pw->pw_name);
			errno = E2BIG;
			return -1;
		}
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->groups = groups;
	u->ngroups = (size_t)n;
	u->name = xstrdup(pw->pw_name);
	u->home = xstrdup(pw->pw_dir != NULL ? pw->pw_dir : "");
	u->shell = xstrdup(pw->pw_shell != NULL ? pw->pw_shell : "");
	return 0;
}

/* Look a user up by name (key != NULL) or by uid. */
static int
priv_user_get(const char *key, uid_t uid, struct priv_user *u, struct buf *why)
{
	struct passwd pw, *res = NULL;
	size_t size = 1024;
	char *mem = NULL;
	int rc;

	memset(u, 0, sizeof(*u));
	for (;;) {
		mem = xrealloc(mem, size);
		rc = key != NULL ? getpwnam_r(key, &pw, mem, size, &res) :
		    getpwuid_r(uid, &pw, mem, size, &res);
		if (rc != ERANGE)
			break;
		if (size >= PRIV_PWBUF_MAX)
			break;
		size *= 2;
	}
	if (rc != 0 || res == NULL) {
		free(mem);
		if (key != NULL) {
			buf_append_str(why, "no such user: ");
			buf_append_printable(why, key, strlen(key));
		} else {
			buf_printf(why, "no such user: uid %lu",
			    (unsigned long)uid);
		}
		if (rc != 0 && rc != ENOENT && rc != ESRCH) {
			buf_printf(why, " (%s)", strerror(rc));
			errno = rc;
		} else {
			errno = ENOENT;
		}
		return -1;
	}
	rc = priv_user_fill(res, u, why);
	free(mem);
	return rc;
}

/* Look up a user by name, with its supplementary groups. */
int
priv_user_lookup(const char *name, struct priv_user *u, struct buf *why)
{
	return priv_user_get(name, 0, u, why);
}

/* Look up a user by uid, with its supplementary groups. */
int
priv_user_lookup_uid(uid_t uid, struct priv_user *u, struct buf *why)
{
	return priv_user_get(NULL, uid, u, why);
}

/* A deep copy of a looked-up user. */
void
priv_user_copy(struct priv_user *dst, const struct priv_user *src)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	dst->home = xstrdup(src->home);
	dst->shell = xstrdup(src->shell);
	dst->groups = xcalloc(src->ngroups ? src->ngroups : 1,
	    sizeof(*dst->groups));
	if (src->ngroups > 0)
		memcpy(dst->groups, src->groups,
		    src->ngroups * sizeof(*dst->groups));
}

/* Free what a lookup allocated. */
void
priv_user_free(struct priv_user *u)
{
	free(u->groups);
	free(u->name);
	free(u->home);
	free(u->shell);
	memset(u, 0, sizeof(*u));
}

/* Is g in the list? */
static bool
priv_gid_in(gid_t g, const gid_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

/* Does the process's supplementary group set equal groups[] (as sets)? */
static int
priv_verify_groups(const gid_t *groups, size_t n, struct buf *why)
{
	gid_t *have;
	int nh;
	size_t i;

	if ((nh = getgroups(0, NULL)) < 0) {
		buf_printf(why, "getgroups: %s", strerror(errno));
		return -1;
	}
	have = xcalloc((size_t)nh + 1, sizeof(*have));
	if ((nh = getgroups(nh, have)) < 0) {
		buf_printf(why, "getgroups: %s", strerror(errno));
		free(have);
		return -1;
	}
	for (i = 0; i < (size_t)nh; i++) {
		if (!priv_gid_in(have[i], groups, n)) {
			buf_printf(why, "still in group %lu",
			    (unsigned long)have[i]);
			free(have);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (!priv_gid_in(groups[i], have, (size_t)nh)) {
			buf_printf(why, "not in group %lu",
			    (unsigned long)groups[i]);
			free(have);
			return -1;
		}
	}
	free(have);
	return 0;
}

/* Is every capability set (permitted, effective, inheritable) empty? */
static int
priv_verify_no_caps(struct buf *why)
{
	cap_t now, none;
	int diff;

	if ((now = cap_get_proc()) == NULL) {
		buf_printf(why, "cap_get_proc: %s", strerror(errno));
		return -1;
	}
	if ((none = cap_init()) == NULL) {
		buf_printf(why, "cap_init: %s", strerror(errno));
		(void)cap_free(now);
		return -1;
	}
	diff = cap_compare(now, none);
	(void)cap_free(now);
	(void)cap_free(none);
	if (diff != 0) {
		buf_append_str(why, "capabilities remain after the uid change");
		return -1;
	}
	return 0;
}

/* Become uid/gid with these groups for good, and verify it. */
int
priv_become(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
    struct buf *why)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(ngroups, groups) < 0) {
		buf_printf(why, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) < 0) {
		buf_printf(why, "setresgid(%lu): %s", (unsigned long)gid,
		    strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) < 0) {
		buf_printf(why, "setresuid(%lu): %s", (unsigned long)uid,
		    strerror(errno));
		return -1;
	}
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		buf_printf(why, "getresuid/getresgid: %s", strerror(errno));
		return -1;
	}
	if (ru != uid || eu != uid || su != uid) {
		buf_printf(why, "uids are %lu/%lu/%lu, expected %lu",
		    (unsigned long)ru, (unsigned long)eu, (unsigned long)su,
		    (unsigned long)uid);
		return -1;
	}
	if (rg != gid || eg != gid || sg != gid) {
		buf_printf(why, "gids are %lu/%lu/%lu, expected %lu",
		    (unsigned long)rg, (unsigned long)eg, (unsigned long)sg,
		    (unsigned long)gid);
		return -1;
	}
	if (priv_verify_groups(groups, ngroups, why) < 0)
		return -1;
	if (uid == 0)
		return 0;
	/* PRIVILEGE: the drop must be permanent.  Try to undo it. */
	if (setuid(0) != -1 || seteuid(0) != -1) {
		buf_append_str(why, "could regain root after dropping privileges");
		return -1;
	}
	if (gid != 0 && (setgid(0) != -1 || setegid(0) != -1)) {
		buf_append_str(why, "could regain group 0 after dropping privileges");
		return -1;
	}
	if (prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0) {
		buf_append_str(why, "keep-capabilities flag is set");
		return -1;
	}
	return priv_verify_no_caps(why);
}

/* Become a looked-up user for good. */
int
priv_become_user(const struct priv_user *u, struct buf *why)
{
	return priv_become(u->uid, u->gid, u->groups, u->ngroups, why);
}

/* Drop the setgid group for good: all gids become the real gid. */
int
priv_drop_setgid(struct buf *why)
{
	gid_t rg, eg, sg, old;

	if (getresgid(&rg, &eg, &sg) < 0) {
		buf_printf(why, "getresgid: %s", strerror(errno));
		return -1;
	}
	old = eg;
	if (setresgid(rg, rg, rg) < 0) {
		buf_printf(why, "setresgid(%lu): %s", (unsigned long)rg,
		    strerror(errno));
		return -1;
	}
	if (getresgid(&rg, &eg, &sg) < 0) {
		buf_printf(why, "getresgid: %s", strerror(errno));
		return -1;
	}
	if (eg != rg || sg != rg) {
		buf_printf(why, "gids are %lu/%lu/%lu after the drop",
		    (unsigned long)rg, (unsigned long)eg, (unsigned long)sg);
		return -1;
	}
	if (old != rg && getuid() != 0 && setegid(old) != -1) {
		buf_printf(why, "could regain group %lu after dropping it",
		    (unsigned long)old);
		return -1;
	}
	return 0;
}

/* Is v one of keep[]? */
static bool
priv_cap_in(cap_value_t v, const cap_value_t *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == v)
			return true;
	return false;
}

/* Append a capability's name to why. */
static void
priv_cap_name(struct buf *why, cap_value_t v)
{
	char *name = cap_to_name(v);

	if (name != NULL) {
		buf_append_str(why, name);
		(void)cap_free(name);
	} else {
		buf_printf(why, "cap_%d", (int)v);
	}
}

/* Keep only keep[] in permitted and effective; clear everything else. */
int
priv_caps_limit(const cap_value_t *keep, size_t nkeep, struct buf *why)
{
	cap_value_t v, max;
	cap_t caps;

	max = (cap_value_t)cap_max_bits();
	/*
	 * The bounding set first, while CAP_SETPCAP is still effective: it
	 * caps what any later execve() could give back.
	 */
	for (v = 0; v < max; v++) {
		if (priv_cap_in(v, keep, nkeep) || cap_get_bound(v) != 1)
			continue;
		if (cap_drop_bound(v) < 0) {
			buf_append_str(why, "cannot drop ");
			priv_cap_name(why, v);
			buf_printf(why, " from the bounding set: %s",
			    strerror(errno));
			return -1;
		}
	}
	/*
	 * One call (libcap's cap_reset_ambient() asks about every capability
	 * first); EINVAL: a kernel without ambient capabilities.
	 */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		buf_printf(why, "cannot clear the ambient set: %s",
		    strerror(errno));
		return -1;
	}
	if ((caps = cap_init()) == NULL) {
		buf_printf(why, "cap_init: %s", strerror(errno));
		return -1;
	}
	if (nkeep > 0 &&
	    (cap_set_flag(caps, CAP_PERMITTED, (int)nkeep, keep, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, (int)nkeep, keep, CAP_SET) < 0)) {
		buf_printf(why, "cap_set_flag: %s", strerror(errno));
		(void)cap_free(caps);
		return -1;
	}
	if (cap_set_proc(caps) < 0) {
		buf_printf(why, "cap_set_proc: %s", strerror(errno));
		(void)cap_free(caps);
		return -1;
	}
	(void)cap_free(caps);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
		buf_printf(why, "prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
		return -1;
	}
	return priv_caps_verify(keep, nkeep, why);
}

/* Root that execs gains nothing: SECBIT_NOROOT, locked. */
int
priv_secure_noroot(struct buf *why)
{
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

	if (bits < 0 || prctl(PR_SET_SECUREBITS,
	    (unsigned long)bits | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED,
	    0, 0, 0) < 0) {
		buf_printf(why, "cannot set SECBIT_NOROOT: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Drop every capability this process still has. */
int
priv_caps_clear(struct buf *why)
{
	cap_t none;

	if ((none = cap_init()) == NULL) {
		buf_printf(why, "cap_init: %s", strerror(errno));
		return -1;
	}
	if (cap_set_proc(none) < 0) {
		buf_printf(why, "cap_set_proc: %s", strerror(errno));
		(void)cap_free(none);
		return -1;
	}
	(void)cap_free(none);
	return priv_verify_no_caps(why);
}

/* Check that the process holds exactly keep[] and nothing else anywhere. */
int
priv_caps_verify(const cap_value_t *keep, size_t nkeep, struct buf *why)
{
	cap_flag_value_t prm, eff, inh;
	cap_value_t v, max;
	size_t start = why->len;
	cap_t caps;

	if ((caps = cap_get_proc()) == NULL) {
		buf_printf(why, "cap_get_proc: %s", strerror(errno));
		return -1;
	}
	max = (cap_value_t)cap_max_bits();
	for (v = 0; v < max; v++) {
		bool want = priv_cap_in(v, keep, nkeep);
		const char *bad = NULL;

		if (cap_get_flag(caps, v, CAP_PERMITTED, &prm) < 0 ||
		    cap_get_flag(caps, v, CAP_EFFECTIVE, &eff) < 0 ||
		    cap_get_flag(caps, v, CAP_INHERITABLE, &inh) < 0) {
			buf_printf(why, "cap_get_flag: %s", strerror(errno));
			(void)cap_free(caps);
			return -1;
		}
		if ((prm == CAP_SET) != want)
			bad = want ? "missing from permitted" : "permitted";
		else if (eff == CAP_SET && prm != CAP_SET)
			bad = "effective but not permitted";
		else if (inh == CAP_SET)
			bad = "inheritable";
		else if (cap_get_ambient(v) == 1)
			bad = "ambient";
		else if (!want && cap_get_bound(v) == 1)
			bad = "in the bounding set";
		if (bad != NULL) {
			if (why->len > start)
				buf_append_str(why, ", ");
			priv_cap_name(why, v);
			buf_printf(why, " %s", bad);
		}
	}
	(void)cap_free(caps);
	return why->len > start ? -1 : 0;
}

/*
 * Drop caps from the bounding set only: the process keeps them, programs
 * it executes can never get them.  Needs CAP_SETPCAP.  0, or -1 (why).
 */
int
priv_caps_unbound(const cap_value_t *drop, size_t ndrop, struct buf *why)
{
	size_t i;

	for (i = 0; i < ndrop; i++) {
		if (cap_get_bound(drop[i]) != 1)
			continue;
		if (cap_drop_bound(drop[i]) < 0 || cap_get_bound(drop[i]) != 0) {
			buf_append_str(why, "cannot drop ");
			priv_cap_name(why, drop[i]);
			buf_printf(why, " from the bounding set: %s",
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}
