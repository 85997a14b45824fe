/*
 * safeopen: open files below a trusted directory without following links.
 *
 * The path is walked one component at a time with openat(2) and O_NOFOLLOW
 * from a directory fd the caller trusts ("/" for an absolute path); each
 * directory on the way is vetted with fstat on the descriptor we actually
 * hold, and so is the file at the end.  Nothing here relies on the kernel's
 * protected_symlinks or protected_hardlinks settings.
 *
 * Inputs: the path (may come from a user's configuration: any bytes, but
 * a C string) and the rules.  Diagnostics: -1 with errno set (ELOOP for a
 * symbolic link, EPERM when a rule refuses the file, the open error
 * otherwise) and a reason "PATH: is a symbolic link" appended to why.
 *
 * SECURITY: checks are made on descriptors, never on names, so a name swapped
 * between check and use cannot slip through: the descriptor we checked is
 * the one we return.  "." and ".." and empty components are refused, so a
 * path cannot climb out of the trusted root.  The final open adds
 * O_NONBLOCK (removed again after the checks) so a FIFO planted where a
 * mailbox should be cannot block us.  With SAFE_F_ROOT_SYMLINKS, symbolic
 * links owned by root are followed (at most SAFE_HOPS_MAX), since only root
 * could have made them; their targets are walked by the same rules.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/safeopen.h"

#define SAFE_HOPS_MAX	8

/* A word for a file type, for messages. */
static const char *
safe_type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	default:
		return "unknown type";
	}
}

/* Append "NAME: " to why. */
static void
safe_prefix(struct buf *why, const char *name)
{
	buf_append_printable(why, name, strlen(name));
	buf_append_str(why, ": ");
}

/* Check an open fd against a rule. */
int
safe_check_fd(int fd, const char *name, const struct safe_check *c,
    struct stat *stp, struct buf *why)
{
	struct stat st;
	mode_t bad;
	int i;

	if (fstat(fd, &st) < 0) {
		int saved = errno;

		safe_prefix(why, name);
		buf_printf(why, "fstat: %s", strerror(saved));
		errno = saved;
		return -1;
	}
	if (stp != NULL)
		*stp = st;
	if (c == NULL)
		return 0;
	if (c->type != 0 && (st.st_mode & S_IFMT) != c->type) {
		safe_prefix(why, name);
		buf_printf(why, "is not a %s (%s)", safe_type_name(c->type),
		    safe_type_name(st.st_mode));
		goto refuse;
	}
	if (c->nlink_max != 0 && st.st_nlink > c->nlink_max) {
		safe_prefix(why, name);
		buf_printf(why, "has %lu links", (unsigned long)st.st_nlink);
		goto refuse;
	}
	if (c->nowners > 0) {
		for (i = 0; i < c->nowners && i < SAFE_OWNERS_MAX; i++)
			if (c->owners[i] == st.st_uid)
				break;
		if (i == c->nowners || i == SAFE_OWNERS_MAX) {
			safe_prefix(why, name);
			buf_printf(why, "is owned by uid %lu, expected uid",
			    (unsigned long)st.st_uid);
			for (i = 0; i < c->nowners && i < SAFE_OWNERS_MAX; i++)
				buf_printf(why, "%s %lu", i ? " or" : "",
				    (unsigned long)c->owners[i]);
			goto refuse;
		}
	}
	bad = st.st_mode & c->mode_forbid;
	if (c->sticky_ok && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX))
		bad &= (mode_t)~(S_IWGRP | S_IWOTH);
	if (bad != 0) {
		safe_prefix(why, name);
		if (bad & S_IWOTH)
			buf_append_str(why, "is world writable");
		else if (bad & S_IWGRP)
			buf_append_str(why, "is group writable");
		else
			buf_printf(why, "has forbidden mode bits %04o",
			    (unsigned)bad);
		goto refuse;
	}
	return 0;
refuse:
	errno = EPERM;
	return -1;
}

/* The state of one walk. */
struct safe_walk {
	int		 dirfd;		/* current directory */
	bool		 own;		/* dirfd is ours to close */
	struct buf	 rest;		/* components still to walk */
	struct buf	 shown;		/* the path so far, for messages */
	int		 hops;		/* root symlinks followed */
};

/* Make dirfd the new current directory. */
static void
safe_walk_set(struct safe_walk *w, int fd, bool own)
{
	if (w->own)
		(void)close(w->dirfd);
	w->dirfd = fd;
	w->own = own;
}

/* Start at "/"; checks "/" itself against dirs. */
static int
safe_walk_root(struct safe_walk *w, const struct safe_check *dirs,
    struct buf *why)
{
	int fd;

	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(why, "/: %s", strerror(errno));
		return -1;
	}
	safe_walk_set(w, fd, true);
	buf_setf(&w->shown, "/");
	return safe_check_fd(fd, "/", dirs, NULL, why);
}

/* Take the next component off w->rest into comp; false when none is left. */
static bool
safe_walk_next(struct safe_walk *w, struct buf *comp, bool *last)
{
	char *slash;
	size_t n;

	if (w->rest.len == 0)
		return false;
	slash = memchr(w->rest.data, '/', w->rest.len);
	n = slash != NULL ? (size_t)(slash - w->rest.data) : w->rest.len;
	buf_reset(comp);
	buf_append(comp, w->rest.data, n);
	buf_consume(&w->rest, slash != NULL ? n + 1 : n);
	*last = slash == NULL;
	return true;
}

/*
 * A component was refused with ELOOP/ENOTDIR: say why, or, for a root-owned
 * symlink we may follow, splice its target into the walk (returns 1).
 */
static int
safe_walk_link(struct safe_walk *w, const char *comp, int err, int sflags,
    const struct safe_check *dirs, struct buf *why)
{
	struct stat st;
	struct buf target = BUF_INIT;
	ssize_t n;
	char *cut;

	if (fstatat(w->dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISLNK(st.st_mode)) {
		safe_prefix(why, buf_cstr(&w->shown));
		buf_append_str(why, err == ENOTDIR ? "is not a directory" :
		    strerror(err));
		errno = err;
		return -1;
	}
	if (!(sflags & SAFE_F_ROOT_SYMLINKS) || st.st_uid != 0 ||
	    w->hops >= SAFE_HOPS_MAX) {
		safe_prefix(why, buf_cstr(&w->shown));
		if (w->hops >= SAFE_HOPS_MAX)
			buf_append_str(why, "too many symbolic links");
		else if (sflags & SAFE_F_ROOT_SYMLINKS)
			buf_printf(why, "is a symbolic link owned by uid %lu",
			    (unsigned long)st.st_uid);
		else
			buf_append_str(why, "is a symbolic link");
		errno = ELOOP;
		return -1;
	}
	w->hops++;
	buf_reserve(&target, PATH_MAX);
	n = readlinkat(w->dirfd, comp, target.data, target.cap - 1);
	if (n <= 0 || (size_t)n >= target.cap - 1) {
		safe_prefix(why, buf_cstr(&w->shown));
		buf_append_str(why, "cannot read symbolic link");
		buf_free(&target);
		errno = ELOOP;
		return -1;
	}
	target.len = (size_t)n;
	if (w->rest.len > 0) {
		buf_append_byte(&target, '/');
		buf_append(&target, w->rest.data, w->rest.len);
	}
	buf_reset(&w->rest);
	if (target.data[0] == '/') {
		buf_append(&w->rest, target.data + 1, target.len - 1);
		buf_free(&target);
		return safe_walk_root(w, dirs, why) < 0 ? -1 : 1;
	}
	buf_append(&w->rest, target.data, target.len);
	/* The shown path drops the link name: the target replaces it. */
	cut = memrchr(w->shown.data, '/', w->shown.len);
	buf_truncate(&w->shown, cut != NULL ?
	    (size_t)(cut - w->shown.data) + 1 : 0);
	buf_free(&target);
	return 1;
}

/* Open path component by component, then vet the result. */
int
safe_openat(int rootfd, const char *path, int flags, mode_t mode,
    const struct safe_check *dirs, const struct safe_check *file,
    int sflags, struct stat *st, struct buf *why)
{
	struct safe_walk w = { rootfd, false, BUF_INIT, BUF_INIT, 0 };
	struct buf comp = BUF_INIT;
	bool last = false, added_nonblock;
	int fd = -1, saved, oflags;

	if (path[0] == '\0') {
		buf_append_str(why, "empty path");
		errno = ENOENT;
		return -1;
	}
	if (path[0] == '/') {
		if (safe_walk_root(&w, dirs, why) < 0)
			goto fail;
		buf_append_str(&w.rest, path + 1);
	} else {
		buf_append_str(&w.rest, path);
	}
	while (safe_walk_next(&w, &comp, &last)) {
		const char *c = buf_cstr(&comp);

		if (w.shown.len > 0 && w.shown.data[w.shown.len - 1] != '/')
			buf_append_byte(&w.shown, '/');
		buf_append(&w.shown, comp.data, comp.len);
		if (comp.len == 0 || strcmp(c, ".") == 0 ||
		    strcmp(c, "..") == 0) {
			safe_prefix(why, path);
			buf_append_str(why, comp.len == 0 ?
			    "empty path component" :
			    "\".\" and \"..\" are not allowed");
			errno = EINVAL;
			goto fail;
		}
		if (!last) {
			fd = openat(w.dirfd, c,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				saved = errno;
				if (saved != ELOOP && saved != ENOTDIR) {
					safe_prefix(why, buf_cstr(&w.shown));
					buf_append_str(why, strerror(saved));
					errno = saved;
					goto fail;
				}
				if (safe_walk_link(&w, c, saved, sflags,
				    dirs, why) < 0)
					goto fail;
				continue;
			}
			safe_walk_set(&w, fd, true);
			fd = -1;
			if (safe_check_fd(w.dirfd, buf_cstr(&w.shown), dirs,
			    NULL, why) < 0)
				goto fail;
			continue;
		}
		added_nonblock = !(flags & O_NONBLOCK);
		oflags = flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
		fd = openat(w.dirfd, c, oflags, mode);
		if (fd < 0) {
			saved = errno;
			if (saved == ELOOP) {
				if (safe_walk_link(&w, c, saved, sflags,
				    dirs, why) < 0)
					goto fail;
				continue;
			}
			safe_prefix(why, buf_cstr(&w.shown));
			buf_append_str(why, strerror(saved));
			errno = saved;
			goto fail;
		}
		if (safe_check_fd(fd, buf_cstr(&w.shown), file, st, why) < 0)
			goto fail;
		if (added_nonblock && fcntl(fd, F_SETFL,
		    fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
			saved = errno;
			safe_prefix(why, buf_cstr(&w.shown));
			buf_printf(why, "fcntl: %s", strerror(saved));
			errno = saved;
			goto fail;
		}
		safe_walk_set(&w, -1, false);
		buf_free(&comp);
		buf_free(&w.rest);
		buf_free(&w.shown);
		return fd;
	}
	/* The path ended in "/": there is no last component. */
	safe_prefix(why, path);
	buf_append_str(why, "empty path component");
	errno = EINVAL;
fail:
	saved = errno;
	if (fd >= 0)
		(void)close(fd);
	safe_walk_set(&w, -1, false);
	buf_free(&comp);
	buf_free(&w.rest);
	buf_free(&w.shown);
	errno = saved;
	return -1;
}

/* Open a directory by the same rules. */
int
safe_opendir(int rootfd, const char *path, const struct safe_check *dirs,
    int sflags, struct buf *why)
{
	struct safe_check c;

	if (dirs != NULL) {
		c = *dirs;
	} else {
		memset(&c, 0, sizeof(c));
	}
	c.type = S_IFDIR;
	return safe_openat(rootfd, path, O_RDONLY | O_DIRECTORY, 0, dirs, &c,
	    sflags, NULL, why);
}
