/*
 * aliases: sendmail's aliases(5) file and its Berkeley DB map.
 *
 * parse.c reads an aliases file: "name: value" entries with continuation
 * lines, comments, quoted names, case-insensitive names; every error names
 * file:line and what was expected.  map.c reads and writes the hash map
 * exactly as sendmail and Postfix do (keys and values NUL-terminated, the
 * "@" -> "@" completion marker).  newaliases.c is the program.  The values
 * are split into targets by target.h; expansion is expand.h.
 */
#ifndef POSTERN_ALIASES_H
#define POSTERN_ALIASES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"

/* One entry of an aliases file. */
struct alias_entry {
	struct buf	 name;	/* unquoted, lower case */
	struct buf	 value;	/* the right-hand side, continuation lines
				 * joined, outer white space trimmed */
	unsigned long	 line;	/* line the entry starts on */
};

/*
 * A map opened for lookups.  Opaque; alias_map_owner() is the uid that owns
 * the map file (its :include: files must be owned by that uid or root, and
 * its programs and files run as that user, or as default_user for root).
 */
struct alias_map;

/*
 * Open a map read-only.  NULL with errno set (ENOENT when there is none)
 * and the reason in why.
 */
struct alias_map *alias_map_open(const char *path, struct buf *why);
/*
 * Look up name (any case; lower-cased here).  1: found, the value (without
 * its NUL) appended to out; 0: not found; -1: the map failed (why).
 */
int	 alias_map_lookup(struct alias_map *, const char *name, size_t len,
	    struct buf *out, struct buf *why);
uid_t	 alias_map_owner(const struct alias_map *);
/* The configured map: alias_database when set, else alias_file ".db". */
void	 alias_map_default_path(struct buf *);
void	 alias_map_close(struct alias_map *);

/*
 * The reader (parse.c).  Bounds: a logical entry (the name, ':' and the
 * value with its continuation lines) is at most ALIAS_ENTRY_MAX bytes, a
 * name at most ALIAS_NAME_MAX bytes after unquoting.  The reader holds one
 * entry and a read window, never the whole file.
 */
#define ALIAS_ENTRY_MAX	65536
#define ALIAS_NAME_MAX	256

struct alias_reader;

/* Read the file open on fd from offset 0 with pread; fd is not closed. */
struct alias_reader *alias_reader_fd(int fd, const char *name);
/* Read len bytes of memory, borrowed until alias_reader_free. */
struct alias_reader *alias_reader_mem(const char *name, const void *, size_t);
/*
 * The next entry into e.  1: an entry; 0: end of file; -1: an error in
 * the file, "name:line: reason\n" appended to why, the bad entry skipped:
 * call again to go on; -2: a read error (why), the file ends here.
 */
int	 alias_reader_next(struct alias_reader *, struct alias_entry *,
	    struct buf *why);
/* The number of lines read so far. */
unsigned long alias_reader_line(const struct alias_reader *);
void	 alias_reader_free(struct alias_reader *);
void	 alias_entry_init(struct alias_entry *);
void	 alias_entry_free(struct alias_entry *);
/*
 * The line of the first entry named name (lower case) in the file on fd,
 * read anew: 1 found, 0 not found, -1 read error (why).
 */
int	 alias_find_first(int fd, const char *fname, const char *name,
	    size_t len, unsigned long *line, struct buf *why);

/*
 * The map writer (map.c), for newaliases.  alias_map_create makes a new
 * map in a temporary file in the directory dirfd (created exclusively,
 * mode 0644 less the umask); with dirfd -1 the map is in memory only (for
 * checks, nothing is written).  dirname is used in messages and to reach
 * the file through /proc/self/fd (Berkeley DB opens by name).  nelem
 * estimates the number of entries (0: unknown), to size the hash table.
 */
struct alias_map_writer;

struct alias_map_writer *alias_map_create(int dirfd, const char *dirname,
	    const char *base, size_t nelem, struct buf *why);
/*
 * Store name -> value, both with a NUL added.  0: stored; 1: the name is
 * there already (nothing stored); -1: the map failed (why).
 */
int	 alias_map_put(struct alias_map_writer *, const char *name, size_t,
	    const char *value, size_t, struct buf *why);
/* Look up in a map being written: as alias_map_lookup. */
int	 alias_map_get(struct alias_map_writer *, const char *name, size_t,
	    struct buf *out, struct buf *why);
/*
 * Add the "@" marker, write the map out (DB->sync, fsync), rename it over
 * base in the directory and fsync the directory.  0 or -1 (why; the
 * temporary file is removed).  The writer is freed either way.
 */
int	 alias_map_commit(struct alias_map_writer *, struct buf *why);
/* Remove the temporary file and free the writer. */
void	 alias_map_abort(struct alias_map_writer *);
/* The temporary file's name in the directory (NULL in memory). */
const char *alias_map_tmpname(const struct alias_map_writer *);

#endif
