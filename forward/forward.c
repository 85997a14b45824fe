/*
 * forward: open and parse .forward and :include: files safely.
 *
 * Input: a user's home directory and forward files, :include: files named
 * by an alias map or a .forward: untrusted, written by their owners (or
 * planted by others, which is what the checks are for).  Every open is
 * component by component without following links (lib/safeopen), and the
 * descriptor is vetted with fstat: a regular file, one link, the expected
 * owner, not writable by group or others.  A home directory others can
 * write, or a sticky one, makes the caller defer rather than guess which
 * file is the user's.  The bytes are bounded (forward_size_limit,
 * include_size_limit) and so is the number of targets.
 *
 * Diagnostics: reasons in why: "/home/bob/.forward: is a symbolic link",
 * "/home/bob/.forward:3: unterminated quoted string".
 *
 * SECURITY: runs only in a process that has become the reader for good
 * (the user for .forward; the include file's opener), never in the root
 * parent of mail.local.  Nothing here executes or writes anything.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/iox.h"
#include "lib/safeopen.h"

#include "forward/forward.h"

/* Directories on the way to a home or an include file. */
static const struct safe_check fwd_dirs = {
	.type = S_IFDIR, .mode_forbid = S_IWGRP | S_IWOTH, .sticky_ok = true,
};

/* Open the user's home, vetted as the place of the forward files. */
int
forward_open_home(const char *home, uid_t uid, struct buf *why)
{
	struct safe_check homecheck = {
		.type = S_IFDIR, .nowners = 2, .owners = { uid, 0 },
		.mode_forbid = S_IWGRP | S_IWOTH | S_ISVTX,
	};
	size_t n = strlen(home);
	int fd, e;

	if (n == 0 || home[0] != '/') {
		buf_printf(why, "home directory \"%s\" is not absolute", home);
		errno = EINVAL;
		return -1;
	}
	if (n == 1)	/* "/": no parent to walk */
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		fd = safe_opendir(AT_FDCWD, home, &fwd_dirs,
		    SAFE_F_ROOT_SYMLINKS, why);
	if (fd < 0)
		return -1;
	if (safe_check_fd(fd, home, &homecheck, NULL, why) < 0) {
		e = errno;
		(void)close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Put the variables of a forward_path item in. */
bool
forward_item_path(const char *item, const char *user, const char *ext,
    const char *delim, struct buf *out, struct buf *why)
{
	static const char home[] = "$HOME/";
	const char *p;

	buf_reset(out);
	if (strncmp(item, home, sizeof(home) - 1) != 0) {
		buf_printf(why, "forward_path item \"%s\" does not start with "
		    "$HOME/", item);
		return false;
	}
	if (strstr(item, "$EXTENSION") != NULL ||
	    strstr(item, "$DELIMITER") != NULL) {
		if (ext == NULL || *ext == '\0')
			return false;
		if (strchr(ext, '/') != NULL || ext[0] == '.')
			return false;	/* never a path from the envelope */
	}
	for (p = item + sizeof(home) - 1; *p != '\0'; p++) {
		if (strncmp(p, "$EXTENSION", 10) == 0) {
			buf_append_str(out, ext);
			p += 9;
		} else if (strncmp(p, "$DELIMITER", 10) == 0) {
			buf_append_byte(out, (unsigned char)(delim[0] ?
			    delim[0] : '+'));
			p += 9;
		} else if (strncmp(p, "$USER", 5) == 0) {
			buf_append_str(out, user);
			p += 4;
		} else
			buf_append_byte(out, (unsigned char)*p);
	}
	return out->len > 0;
}

/* Open a forward file below the home and vet it. */
int
forward_open(int homefd, const char *rel, uid_t uid, int *fd,
    struct buf *why)
{
	struct safe_check file = {
		.type = S_IFREG, .nlink_max = 1, .nowners = 2,
		.owners = { uid, 0 }, .mode_forbid = S_IWGRP | S_IWOTH,
	};

	*fd = safe_openat(homefd, rel, O_RDONLY | O_NONBLOCK, 0, &fwd_dirs,
	    &file, 0, NULL, why);
	if (*fd >= 0)
		return FWD_OK;
	if (errno == ENOENT || errno == ENOTDIR)
		return FWD_NONE;
	if (errno == EIO || errno == ENOMEM || errno == EMFILE ||
	    errno == ENFILE)
		return FWD_TEMP;
	return FWD_IGNORED;
}

/* Open an :include: file and vet it. */
int
include_open(const char *path, uid_t owner, uid_t *owner_out,
    struct buf *why)
{
	struct safe_check file = {
		.type = S_IFREG, .nlink_max = 1, .nowners = 2,
		.owners = { owner, 0 }, .mode_forbid = S_IWGRP | S_IWOTH,
	};
	struct stat st;
	int fd;

	if (path[0] != '/') {
		buf_printf(why, "%s: not an absolute path", path);
		errno = EINVAL;
		return -1;
	}
	fd = safe_openat(AT_FDCWD, path, O_RDONLY | O_NONBLOCK, 0, &fwd_dirs,
	    &file, SAFE_F_ROOT_SYMLINKS, &st, why);
	if (fd >= 0)
		*owner_out = st.st_uid;
	return fd;
}

/* Read a whole (bounded) file. */
int
forward_read(int fd, const char *name, size_t max, struct buf *out,
    struct buf *why)
{
	if (iox_read_all(fd, out, max) < 0) {
		if (errno == EFBIG)
			buf_printf(why, "%s: larger than %zu bytes", name, max);
		else
			buf_printf(why, "%s: cannot read: %s", name,
			    strerror(errno));
		return -1;
	}
	return 0;
}

/* Parse a file's bytes into targets. */
int
forward_parse(const char *name, const char *data, size_t len, size_t max,
    struct target_list *l, struct buf *why)
{
	struct buf err = BUF_INIT;

	if (target_split(data, len, TGT_F_FILE, max, l, &err) < 0) {
		/* err is "line N: ..." */
		buf_printf(why, "%s:%s", name, buf_cstr(&err) + 5);
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}
