/*
 * parse: read sendmail's aliases(5) format one entry at a time.
 *
 *	name: value
 *	"quoted name": value
 *	name: value,
 *	    more value		(a line starting with white space continues)
 *	# comment		(and blank lines: skipped, also inside an entry)
 *
 * The reader streams: it holds one logical entry (at most ALIAS_ENTRY_MAX
 * bytes) and a read window, never the file, so newaliases builds a map of
 * any size in constant memory.  A continuation line is joined to the entry
 * with its leading white space and without its newline, as sendmail joins
 * it; the value is trimmed of outer white space.  Names are unquoted and
 * lower-cased (ASCII); splitting the value into targets is target.c's job.
 *
 * Input: the aliases file, written by root or by the owner of the map,
 * but parsed as untrusted text: every length is measured and bounded,
 * NUL and control characters (other than tab) are refused.
 *
 * Diagnostics: every error is one "file:line: what was expected" line in
 * the caller's buffer.  After an error in the file the reader has consumed
 * the bad entry and the caller may go on reading (to report every error);
 * a read error ends the file.
 *
 * SECURITY: holds no privilege; the file is read by descriptor with pread
 * (two readers may share one descriptor, newaliases rescans for the first
 * of two duplicate names that way).  No byte of the file reaches a message
 * unescaped: names and characters are quoted with buf_append_printable.
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

#include "aliases/aliases.h"

#define READ_CHUNK	65536

struct alias_reader {
	char		*name;		/* file name for messages */
	int		 fd;		/* -1: reading from memory */
	off_t		 off;		/* next pread offset */
	const char	*mem;		/* memory input */
	size_t		 memlen;
	struct buf	 win;		/* fd input: bytes read, not consumed */
	size_t		 pos;		/* first unconsumed byte (win or mem) */
	bool		 eof;		/* no more bytes to read */
	bool		 failed;	/* a read error ended the file */
	unsigned long	 lineno;	/* lines consumed */
	struct buf	 logical;	/* the entry being collected */
};

/* Set up the fields common to both kinds of reader. */
static struct alias_reader *
reader_new(const char *name)
{
	struct alias_reader *r = xcalloc(1, sizeof(*r));

	r->name = xstrdup(name != NULL ? name : "-");
	r->fd = -1;
	buf_init(&r->win);
	buf_init(&r->logical);
	return r;
}

/* A reader of the file open on fd, from its start; fd is not closed. */
struct alias_reader *
alias_reader_fd(int fd, const char *name)
{
	struct alias_reader *r = reader_new(name);

	r->fd = fd;
	return r;
}

/* A reader of len bytes in memory (borrowed until alias_reader_free). */
struct alias_reader *
alias_reader_mem(const char *name, const void *data, size_t len)
{
	struct alias_reader *r = reader_new(name);

	r->mem = data != NULL ? data : "";
	r->memlen = data != NULL ? len : 0;
	r->eof = true;
	return r;
}

/* Release a reader (not its descriptor). */
void
alias_reader_free(struct alias_reader *r)
{
	if (r == NULL)
		return;
	free(r->name);
	buf_free(&r->win);
	buf_free(&r->logical);
	free(r);
}

/* Lines consumed so far (the line number of the last line read). */
unsigned long
alias_reader_line(const struct alias_reader *r)
{
	return r->lineno;
}

/* The unconsumed input and its length. */
static const char *
rd_data(const struct alias_reader *r, size_t *n)
{
	if (r->fd < 0) {
		*n = r->memlen - r->pos;
		return r->mem + r->pos;
	}
	*n = r->win.len - r->pos;
	return r->win.data != NULL ? r->win.data + r->pos : "";
}

/*
 * Read one more chunk into the window (fd input): 1 read, 0 end of file,
 * -1 read error (why).  Consumed bytes are dropped first, so the window
 * never holds more than a line of at most READ_CHUNK bytes plus a chunk.
 */
static int
rd_fill(struct alias_reader *r, struct buf *why)
{
	ssize_t n;

	if (r->eof || r->failed)
		return 0;
	if (r->pos > 0) {
		buf_consume(&r->win, r->pos);
		r->pos = 0;
	}
	buf_reserve(&r->win, READ_CHUNK);
	for (;;) {
		n = pread(r->fd, r->win.data + r->win.len, READ_CHUNK, r->off);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0) {
		buf_printf(why, "%s: read error after line %lu: %s\n", r->name,
		    r->lineno, strerror(errno));
		r->failed = true;
		return -1;
	}
	if (n == 0) {
		r->eof = true;
		return 0;
	}
	r->win.len += (size_t)n;
	r->off += n;
	return 1;
}

/*
 * The first byte of the next line without consuming it: the byte, or -1
 * at the end of the input, -2 on a read error.
 */
static int
rd_peek(struct alias_reader *r, struct buf *why)
{
	const char *p;
	size_t n;
	int rc;

	for (;;) {
		p = rd_data(r, &n);
		if (n > 0)
			return (unsigned char)p[0];
		if (r->fd < 0)
			return -1;
		if ((rc = rd_fill(r, why)) <= 0)
			return rc < 0 ? -2 : -1;
	}
}

/*
 * Consume one physical line.  When keep is not NULL the line (without its
 * newline) is appended to it unless that would pass max bytes in keep;
 * *toolong is then set and the rest of the line is dropped.  *nul is set
 * when the line holds a NUL.  0, -1 at the end of the input (nothing
 * consumed), -2 on a read error.
 */
static int
rd_line(struct alias_reader *r, struct buf *keep, size_t max, bool *toolong,
    bool *nul, struct buf *why)
{
	const char *p, *nl;
	size_t n, take;
	bool any = false;
	int rc;

	for (;;) {
		p = rd_data(r, &n);
		if (n == 0) {
			if (r->fd >= 0 && (rc = rd_fill(r, why)) != 0) {
				if (rc < 0)
					return -2;
				continue;
			}
			if (!any)
				return -1;
			break;		/* a last line without a newline */
		}
		any = true;
		nl = memchr(p, '\n', n);
		take = nl != NULL ? (size_t)(nl - p) : n;
		if (memchr(p, '\0', take) != NULL)
			*nul = true;
		if (keep != NULL && !*toolong) {
			/* Keep what fits: a comment still shows its '#'. */
			if (keep->len > max || take > max - keep->len) {
				*toolong = true;
				take = keep->len < max ? max - keep->len : 0;
				buf_append(keep, p, take);
				take = nl != NULL ? (size_t)(nl - p) : n;
			} else {
				buf_append(keep, p, take);
			}
		}
		r->pos += nl != NULL ? take + 1 : take;
		if (nl != NULL)
			break;
	}
	r->lineno++;
	return 0;
}

/* True for a line that holds only blanks, or a '#' after blanks. */
static bool
blank_or_comment(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i == n || s[i] == '#';
}

/* Append "file:line: " to why. */
static void
where(const struct alias_reader *r, unsigned long line, struct buf *why)
{
	buf_printf(why, "%s:%lu: ", r->name, line);
}

/* A character for a message: 'c' when printable, else \xNN. */
static void
quote_char(struct buf *why, unsigned char c)
{
	buf_append_byte(why, '\'');
	buf_append_printable(why, &c, 1);
	buf_append_byte(why, '\'');
}

/*
 * Characters an unquoted name may not hold: RFC 5322 specials and white
 * space (a name is a local part, and sendmail parses it as an address).
 */
static bool
name_special(unsigned char c)
{
	return c <= ' ' || c == 0x7f || strchr("()<>@,;:\\\"[]", c) != NULL;
}

/*
 * Split the collected entry (r->logical, starting on line start) into
 * name and value.  0, or -1 with the reason in why.
 */
static int
parse_entry(struct alias_reader *r, unsigned long start, struct alias_entry *e,
    struct buf *why)
{
	const unsigned char *s = (const unsigned char *)r->logical.data;
	size_t n = r->logical.len, i = 0, vstart, vend;

	buf_reset(&e->name);
	buf_reset(&e->value);
	e->line = start;
	for (size_t k = 0; k < n; k++) {
		/* CONTROL CHARACTERS: none but tab, in names or values. */
		if (s[k] < ' ' && s[k] != '\t') {
			where(r, start, why);
			buf_printf(why, "control character \\x%02x in the entry"
			    "%s\n", s[k], s[k] == '\r' ?
			    " (a CRLF line end?)" : "");
			return -1;
		}
	}
	if (s[0] == '"') {
		/* QUOTED NAME: backslash escapes the next character. */
		for (i = 1; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			buf_append_byte(&e->name, s[i]);
		}
		if (i >= n) {
			where(r, start, why);
			buf_append_str(why, "expected '\"' to end the quoted "
			    "alias name\n");
			return -1;
		}
		i++;
		if (e->name.len == 0) {
			where(r, start, why);
			buf_append_str(why, "expected an alias name, not an "
			    "empty quoted name\n");
			return -1;
		}
	} else {
		while (i < n && s[i] != ':' && s[i] != ' ' && s[i] != '\t') {
			if (name_special(s[i])) {
				where(r, start, why);
				buf_append_str(why, "character ");
				quote_char(why, s[i]);
				buf_append_str(why, s[i] == '@' ?
				    " in the alias name: only local names can "
				    "be aliased\n" : " is not allowed in an "
				    "unquoted alias name (quote the name)\n");
				return -1;
			}
			buf_append_byte(&e->name, s[i]);
			i++;
		}
		if (e->name.len == 0) {
			where(r, start, why);
			buf_append_str(why, "expected an alias name before "
			    "':'\n");
			return -1;
		}
	}
	if (e->name.len > ALIAS_NAME_MAX) {
		where(r, start, why);
		buf_printf(why, "alias name longer than %d bytes\n",
		    ALIAS_NAME_MAX);
		return -1;
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= n || s[i] != ':') {
		where(r, start, why);
		buf_append_str(why, "expected ':' after the alias name");
		if (i < n) {
			buf_append_str(why, ", found ");
			quote_char(why, s[i]);
		}
		buf_append_byte(why, '\n');
		return -1;
	}
	for (vstart = i + 1; vstart < n &&
	    (s[vstart] == ' ' || s[vstart] == '\t'); vstart++)
		;
	for (vend = n; vend > vstart &&
	    (s[vend - 1] == ' ' || s[vend - 1] == '\t'); vend--)
		;
	if (vend == vstart) {
		where(r, start, why);
		buf_append_str(why, "expected a value after ':' (addresses, "
		    "/file, |command or :include:/file)\n");
		return -1;
	}
	buf_append(&e->value, s + vstart, vend - vstart);
	for (size_t k = 0; k < e->name.len; k++)
		if (e->name.data[k] >= 'A' && e->name.data[k] <= 'Z')
			e->name.data[k] = (char)(e->name.data[k] - 'A' + 'a');
	return 0;
}

/*
 * Read the next entry into e.  1: an entry; 0: end of file; -1: an error
 * in the file ("file:line: reason" in why), the bad entry is consumed and
 * the caller may call again; -2: a read error, the file ends here.
 */
int
alias_reader_next(struct alias_reader *r, struct alias_entry *e,
    struct buf *why)
{
	unsigned long start, nul_line = 0;
	bool toolong = false, nul = false, orphan;
	int c, rc;

	if (r->failed)
		return -2;
	/* Skip blank and comment lines up to the first line of an entry. */
	for (;;) {
		buf_reset(&r->logical);
		toolong = nul = false;
		rc = rd_line(r, &r->logical, ALIAS_ENTRY_MAX, &toolong, &nul,
		    why);
		if (rc < 0)
			return rc == -1 ? 0 : -2;
		if (!blank_or_comment(r->logical.data != NULL ?
		    r->logical.data : "", r->logical.len))
			break;
		if (nul) {
			where(r, r->lineno, why);
			buf_append_str(why, "NUL byte in the file\n");
			return -1;
		}
	}
	start = r->lineno;
	if (nul)
		nul_line = start;
	/* The loop above stopped at a non-blank line: data is set. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	orphan = r->logical.data[0] == ' ' || r->logical.data[0] == '\t';
	/* CONTINUATION: lines starting with a blank; skip comments between. */
	for (;;) {
		size_t mark = r->logical.len;
		bool longline = false, comment;

		c = rd_peek(r, why);
		if (c == -2)
			return -2;
		if (c != ' ' && c != '\t' && c != '\n' && c != '#')
			break;
		comment = c == '\n' || c == '#';
		nul = false;
		rc = rd_line(r, comment ? NULL : &r->logical, ALIAS_ENTRY_MAX,
		    &longline, &nul, why);
		if (rc == -2)
			return -2;
		if (rc == -1)
			break;
		if (nul && nul_line == 0)
			nul_line = r->lineno;
		if (!comment && blank_or_comment(r->logical.data + mark,
		    r->logical.len - mark)) {
			buf_truncate(&r->logical, mark);
			longline = false;
		}
		if (longline)
			toolong = true;
	}
	if (nul_line != 0) {
		where(r, nul_line, why);
		buf_append_str(why, "NUL byte in the file\n");
		return -1;
	}
	if (orphan) {
		where(r, start, why);
		buf_append_str(why, "expected an alias name at the start of "
		    "the line: a line starting with white space continues an "
		    "entry, and there is none before it\n");
		return -1;
	}
	if (toolong) {
		where(r, start, why);
		buf_printf(why, "entry longer than %d bytes (with its "
		    "continuation lines)\n", ALIAS_ENTRY_MAX);
		return -1;
	}
	return parse_entry(r, start, e, why) == 0 ? 1 : -1;
}

/*
 * Find the line of the first entry named name (lower case) in the file
 * open on fd, reading it anew.  1 found (*line), 0 not found, -1 a read
 * error (why).  Errors in the file are skipped: the caller reports them.
 */
int
alias_find_first(int fd, const char *fname, const char *name, size_t len,
    unsigned long *line, struct buf *why)
{
	struct alias_reader *r = alias_reader_fd(fd, fname);
	struct alias_entry e;
	struct buf ignore = BUF_INIT;
	int rc;

	alias_entry_init(&e);
	while ((rc = alias_reader_next(r, &e, &ignore)) != 0) {
		buf_reset(&ignore);
		if (rc == -2) {
			buf_printf(why, "%s: cannot read it again: %s\n",
			    fname, strerror(errno));
			break;
		}
		if (rc == 1 && buf_eq(&e.name, name, len)) {
			*line = e.line;
			break;
		}
	}
	alias_entry_free(&e);
	alias_reader_free(r);
	buf_free(&ignore);
	return rc == 1 ? 1 : rc == 0 ? 0 : -1;
}

/* An empty entry. */
void
alias_entry_init(struct alias_entry *e)
{
	buf_init(&e->name);
	buf_init(&e->value);
	e->line = 0;
}

/* Release an entry's buffers. */
void
alias_entry_free(struct alias_entry *e)
{
	buf_free(&e->name);
	buf_free(&e->value);
}
