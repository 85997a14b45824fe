/*
 * map: the aliases map in Berkeley DB hash format, as sendmail and
 * Postfix write it: every key is the lower-cased name with a NUL after it,
 * every value the alias's value with a NUL after it (both NULs counted in
 * the DBT sizes), and the key "@" with the value "@" is stored last to say
 * the map is complete.  Readers: sendmail, praliases, Postfix's postalias
 * -q and local(8), mail.local.  Maps built by postalias (same layout) are
 * read here as well; a key stored without its NUL is found too.
 *
 * Input: a map owned by root or by the owner of its aliases file.  Values
 * are checked for NUL inside them before they are returned.
 *
 * Diagnostics: reasons in the caller's buffer, Berkeley DB's own message
 * included when it gave one.
 *
 * SECURITY: readers open the map DB_RDONLY and report its owner from the
 * open descriptor (fstat), not from the name.  The writer creates its
 * temporary file exclusively (DB_CREATE|DB_EXCL, so O_EXCL: a planted
 * name or link makes it fail), reaches it through the directory
 * descriptor the caller vetted (/proc/self/fd/N/NAME), checks the new file
 * with fstat (regular, one link, ours), and renames it over the old entry
 * with renameat(2), which replaces a symbolic or hard link itself and
 * never writes through it.
 */
#include <config.h>

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/iox.h"
#include "lib/xalloc.h"

#include "lib/config.h"

#include "aliases/aliases.h"

#define WRITER_CACHE	(24u * 1024 * 1024)	/* largest DB cache of a build */
#define TMP_TRIES	16

struct alias_map {
	DB	*db;
	uid_t	 owner;
	char	*path;
};

struct alias_map_writer {
	DB	*db;
	int	 dirfd;		/* borrowed; -1 for a map in memory */
	char	*base;		/* final name in dirfd */
	char	*tmpname;	/* temporary name in dirfd */
	char	*shown;		/* dirname/tmpname, for messages */
};

/* Berkeley DB's last error message (set by db_errcall). */
static struct buf db_lasterr = BUF_INIT;

/* Keep Berkeley DB's message for the next reason we give. */
static void
db_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	buf_reset(&db_lasterr);
	buf_append_printable(&db_lasterr, msg, strlen(msg));
}

/* Append "what: reason" for a Berkeley DB return code. */
static void
db_why(struct buf *why, const char *what, int ret)
{
	buf_printf(why, "%s: %s", what, db_strerror(ret));
	if (db_lasterr.len > 0)
		buf_printf(why, " (%s)", buf_cstr(&db_lasterr));
	buf_reset(&db_lasterr);
}

/* A new DB handle with our error callback, or NULL (why). */
static DB *
db_new(const char *what, struct buf *why)
{
	DB *db;
	int ret;

	if ((ret = db_create(&db, NULL, 0)) != 0) {
		db_why(why, what, ret);
		errno = ret > 0 ? ret : ENOMEM;
		return NULL;
	}
	db->set_errcall(db, db_errcall);
	return db;
}

/* The key for name: lower case, NUL added (in k). */
static void
make_key(struct buf *k, const char *name, size_t len)
{
	buf_reset(k);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		buf_append_byte(k, c >= 'A' && c <= 'Z' ?
		    (unsigned char)(c - 'A' + 'a') : c);
	}
	buf_append_byte(k, '\0');
}

/*
 * Look up name in db, as alias_map_lookup: with the NUL first (sendmail,
 * Postfix, us), then without it (maps written by other tools).
 */
static int
db_lookup(DB *db, const char *what, const char *name, size_t len,
    struct buf *out, struct buf *why)
{
	struct buf k = BUF_INIT;
	DBT key, val;
	size_t vlen;
	int ret = DB_NOTFOUND;

	if (len == 0 || memchr(name, '\0', len) != NULL ||
	    (len == 1 && name[0] == '@'))
		return 0;
	make_key(&k, name, len);
	for (int pass = 0; pass < 2; pass++) {
		memset(&key, 0, sizeof(key));
		memset(&val, 0, sizeof(val));
		key.data = k.data;
		key.size = (u_int32_t)(k.len - (size_t)pass);
		ret = db->get(db, NULL, &key, &val, 0);
		if (ret != DB_NOTFOUND)
			break;
	}
	buf_free(&k);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0) {
		db_why(why, what, ret);
		return -1;
	}
	vlen = val.size;
	if (vlen > 0 && ((const char *)val.data)[vlen - 1] == '\0')
		vlen--;
	if (memchr(val.data, '\0', vlen) != NULL) {
		buf_printf(why, "%s: the value of ", what);
		buf_append_printable(why, name, len);
		buf_append_str(why, " holds a NUL byte");
		return -1;
	}
	buf_append(out, val.data, vlen);
	return 1;
}

/* Open a map read-only; NULL with errno and why. */
struct alias_map *
alias_map_open(const char *path, struct buf *why)
{
	struct alias_map *m;
	struct stat st;
	DBT key, val;
	DB *db;
	int ret, fd;

	/*
	 * SECURITY: whoever can write the map runs programs as its owner.
	 * Berkeley DB opens by name: no symbolic link but root's, and the
	 * opened file must be a regular file no one but its owner can write.
	 */
	if (lstat(path, &st) < 0) {
		/*
		 * No map (ENOENT is the common "no aliases" case): said
		 * before a Berkeley DB handle is made, which costs more than
		 * the whole lookup would.
		 */
		buf_printf(why, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISLNK(st.st_mode) && st.st_uid != 0) {
		buf_printf(why, "%s: a symbolic link not owned by root", path);
		errno = ELOOP;
		return NULL;
	}
	if ((db = db_new(path, why)) == NULL)
		return NULL;
	ret = db->open(db, NULL, path, NULL, DB_HASH, DB_RDONLY, 0);
	if (ret != 0) {
		db_why(why, path, ret);
		(void)db->close(db, 0);
		errno = ret > 0 ? ret : EINVAL;
		return NULL;
	}
	if ((ret = db->fd(db, &fd)) != 0 || fstat(fd, &st) < 0) {
		ret = ret != 0 ? ret : errno;
		buf_printf(why, "%s: cannot fstat the map: %s", path,
		    db_strerror(ret));
		(void)db->close(db, 0);
		errno = ret > 0 ? ret : EIO;
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		buf_printf(why, "%s: %s: refused (chmod go-w, or run "
		    "newaliases)", path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : "writable by group or others");
		(void)db->close(db, 0);
		errno = EPERM;
		return NULL;
	}
	/* COMPLETION: a map without "@" is being built or was cut short. */
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = (void *)(uintptr_t)"@";
	key.size = 2;
	if ((ret = db->get(db, NULL, &key, &val, 0)) != 0) {
		if (ret == DB_NOTFOUND)
			buf_printf(why, "%s: no \"@\" entry: the map is "
			    "incomplete (run newaliases)", path);
		else
			db_why(why, path, ret);
		(void)db->close(db, 0);
		errno = ret == DB_NOTFOUND ? EAGAIN : ret > 0 ? ret : EIO;
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->db = db;
	m->owner = st.st_uid;
	m->path = xstrdup(path);
	return m;
}

/* Look up name: 1 found (value appended to out), 0 not found, -1 error. */
int
alias_map_lookup(struct alias_map *m, const char *name, size_t len,
    struct buf *out, struct buf *why)
{
	return db_lookup(m->db, m->path, name, len, out, why);
}

/* The uid owning the map file. */
uid_t
alias_map_owner(const struct alias_map *m)
{
	return m->owner;
}

/* Close a map opened with alias_map_open. */
void
alias_map_close(struct alias_map *m)
{
	if (m == NULL)
		return;
	(void)m->db->close(m->db, 0);
	free(m->path);
	free(m);
}

/* Free a writer's memory (the DB handle is closed by the caller). */
static void
writer_free(struct alias_map_writer *w)
{
	free(w->base);
	free(w->tmpname);
	free(w->shown);
	free(w);
}

/* Check the new file through the DB's descriptor: regular, 1 link, ours. */
static int
writer_check(struct alias_map_writer *w, struct buf *why)
{
	struct stat st;
	int fd, ret;

	if ((ret = w->db->fd(w->db, &fd)) != 0) {
		db_why(why, w->shown, ret);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		buf_printf(why, "%s: fstat: %s", w->shown, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		buf_printf(why, "%s: not the file we created (type, links or "
		    "owner changed)", w->shown);
		return -1;
	}
	return 0;
}

/*
 * CACHE: a hash map bigger than Berkeley DB's cache is written a page at
 * a time at random places; measured on 1,000,000 aliases (an 84 MB map):
 * 5.3 s with an 8 MiB cache, 3.5 s with 16, 2.6 s with 24, 1.8 s with 32.  The
 * cache is sized for the map newaliases expects (about 84 bytes an
 * entry), between 1 MiB and WRITER_CACHE: memory stays bounded whatever
 * the file's size, and a small file does not pay for a big cache.  (Giving
 * the hash its final size up front with set_h_nelem made it slower and
 * the file larger.)
 */
static void
writer_tune(DB *db, size_t nelem)
{
	size_t want = nelem > WRITER_CACHE / 84 ? WRITER_CACHE : nelem * 84;

	if (want < (1u << 20))
		want = 1u << 20;
	(void)db->set_cachesize(db, 0, (uint32_t)want, 1);
}

/* Create a new, empty map in dirfd (or in memory when dirfd is -1). */
struct alias_map_writer *
alias_map_create(int dirfd, const char *dirname, const char *base,
    size_t nelem, struct buf *why)
{
	struct alias_map_writer *w = xcalloc(1, sizeof(*w));
	struct buf path = BUF_INIT;
	int ret = 0;

	w->dirfd = dirfd;
	w->db = db_new(base != NULL ? base : "map", why);
	if (w->db == NULL) {
		writer_free(w);
		return NULL;
	}
	if (dirfd < 0) {
		w->shown = xstrdup("(in memory)");
		ret = w->db->open(w->db, NULL, NULL, NULL, DB_HASH, DB_CREATE,
		    0);
		if (ret != 0) {
			db_why(why, w->shown, ret);
			(void)w->db->close(w->db, 0);
			writer_free(w);
			return NULL;
		}
		return w;
	}
	writer_tune(w->db, nelem);
	w->base = xstrdup(base);
	for (int tries = 0; tries < TMP_TRIES; tries++) {
		unsigned int rnd = 0;
		int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (rfd >= 0) {
			(void)iox_read_full(rfd, &rnd, sizeof(rnd));
			(void)close(rfd);
		}
		free(w->tmpname);
		free(w->shown);
		buf_setf(&path, ".%s.tmp.%ld.%08x.%d", base, (long)getpid(),
		    rnd, tries);
		w->tmpname = xstrdup(buf_cstr(&path));
		buf_setf(&path, "%s/%s", dirname, w->tmpname);
		w->shown = xstrdup(buf_cstr(&path));
		/*
		 * EXCLUSIVE CREATE through the vetted directory: the name is
		 * resolved from dirfd, not from dirname again.
		 */
		buf_setf(&path, "/proc/self/fd/%d/%s", dirfd, w->tmpname);
		ret = w->db->open(w->db, NULL, buf_cstr(&path), NULL, DB_HASH,
		    DB_CREATE | DB_EXCL, 0644);
		if (ret != EEXIST)
			break;
		/* A failed open leaves the handle unusable: make another. */
		(void)w->db->close(w->db, 0);
		if ((w->db = db_new(base, why)) == NULL)
			break;
		writer_tune(w->db, nelem);
	}
	buf_free(&path);
	if (w->db == NULL || ret != 0) {
		if (w->db != NULL) {
			db_why(why, w->shown, ret);
			(void)w->db->close(w->db, 0);
			/* Ours, if it exists: EEXIST ended the loop otherwise. */
			if (ret != EEXIST)
				(void)unlinkat(dirfd, w->tmpname, 0);
		}
		errno = ret > 0 ? ret : EIO;
		writer_free(w);
		return NULL;
	}
	if (writer_check(w, why) < 0) {
		alias_map_abort(w);
		errno = EEXIST;
		return NULL;
	}
	return w;
}

/* Store name -> value unless name is there: 0 stored, 1 exists, -1 error. */
int
alias_map_put(struct alias_map_writer *w, const char *name, size_t nlen,
    const char *value, size_t vlen, struct buf *why)
{
	struct buf k = BUF_INIT, v = BUF_INIT;
	DBT key, val;
	int ret;

	make_key(&k, name, nlen);
	buf_append(&v, value, vlen);
	buf_append_byte(&v, '\0');
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = k.data;
	key.size = (u_int32_t)k.len;
	val.data = v.data;
	val.size = (u_int32_t)v.len;
	ret = w->db->put(w->db, NULL, &key, &val, DB_NOOVERWRITE);
	buf_free(&k);
	buf_free(&v);
	if (ret == DB_KEYEXIST)
		return 1;
	if (ret != 0) {
		db_why(why, w->shown, ret);
		return -1;
	}
	return 0;
}

/* Look up in a map being written. */
int
alias_map_get(struct alias_map_writer *w, const char *name, size_t len,
    struct buf *out, struct buf *why)
{
	return db_lookup(w->db, w->shown, name, len, out, why);
}

/* The temporary file's name, NULL for a map in memory. */
const char *
alias_map_tmpname(const struct alias_map_writer *w)
{
	return w->tmpname;
}

/* Complete the map and put it in place of base (see aliases.h). */
int
alias_map_commit(struct alias_map_writer *w, struct buf *why)
{
	DBT key;
	int ret, fd;

	if (w->dirfd < 0) {
		alias_map_abort(w);
		return 0;
	}
	memset(&key, 0, sizeof(key));
	key.data = (void *)(uintptr_t)"@";
	key.size = 2;
	/* The marker last: a reader that sees it sees the whole map. */
	if ((ret = w->db->put(w->db, NULL, &key, &key, 0)) != 0 ||
	    (ret = w->db->sync(w->db, 0)) != 0) {
		db_why(why, w->shown, ret);
		alias_map_abort(w);
		return -1;
	}
	if (writer_check(w, why) < 0) {
		alias_map_abort(w);
		return -1;
	}
	if ((ret = w->db->fd(w->db, &fd)) != 0 || iox_fsync(fd) < 0) {
		buf_printf(why, "%s: fsync: %s", w->shown, ret != 0 ?
		    db_strerror(ret) : strerror(errno));
		alias_map_abort(w);
		return -1;
	}
	ret = w->db->close(w->db, 0);
	w->db = NULL;
	if (ret != 0) {
		db_why(why, w->shown, ret);
		alias_map_abort(w);
		return -1;
	}
	if (renameat(w->dirfd, w->tmpname, w->dirfd, w->base) < 0) {
		buf_printf(why, "%s: rename to %s: %s", w->shown, w->base,
		    strerror(errno));
		alias_map_abort(w);
		return -1;
	}
	if (iox_fsync_dir(w->dirfd) < 0) {
		buf_printf(why, "fsync of the directory of %s: %s", w->base,
		    strerror(errno));
		writer_free(w);
		return -1;
	}
	writer_free(w);
	return 0;
}

/* Drop the map: close it, remove the temporary file, free the writer. */
void
alias_map_abort(struct alias_map_writer *w)
{
	if (w == NULL)
		return;
	if (w->db != NULL)
		(void)w->db->close(w->db, DB_NOSYNC);
	if (w->dirfd >= 0 && w->tmpname != NULL)
		(void)unlinkat(w->dirfd, w->tmpname, 0);
	writer_free(w);
}

/* The configured map: alias_database when set, else alias_file ".db". */
void
alias_map_default_path(struct buf *out)
{
	if (config_is_default(CF_alias_database))
		buf_setf(out, "%s.db", config_str(CF_alias_file));
	else
		buf_setf(out, "%s", config_str(CF_alias_database));
}
