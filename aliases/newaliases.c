/*
 * newaliases: build the aliases map from the aliases file, check an
 * aliases file, or look a name up in the map.  See newaliases(8).
 *
 *   newaliases [-n | --check] [-c config_file] [-f aliases_file]
 *   newaliases [-c config_file] [-f aliases_file] -q name
 *
 * The file is alias_file of postern.conf (or -f), the map alias_database
 * (or, with -f or a changed alias_file, that file's name plus ".db").  The
 * map is built in a new file in the map's directory and renamed over the
 * old map only when the whole file parsed: a reader sees the old map or
 * the new one, and a file with errors leaves the old map as it was.  The
 * summary is sendmail's: "FILE: N aliases, longest L bytes, T bytes
 * total", where L is the longest value and T the sum of the lengths of
 * every name and value stored (sendmail 8's readaliases: no NULs counted).
 * `sendmail -bi` execs this program with no arguments.
 *
 * Input: the aliases file (root's, or the caller's own), parsed by
 * parse.c and target.c as untrusted text; postern.conf (root's, trusted).
 *
 * Diagnostics: "newaliases: FILE:LINE: reason" on stderr and syslog, the
 * summary on stdout; sysexits: 0, 64 usage, 65 errors in the file or
 * findings of -n, 66 no file or map, 67 -q name not found, 73 cannot
 * create the map, 74 I/O error, 75 the map is incomplete, 77 not
 * permitted, 78 configuration.
 *
 * SECURITY: not setuid; it runs as its caller.  Root, or a user who owns
 * the aliases file, may build; the map is then owned by that uid, which
 * mail.local takes as the rights of its programs and files.  The start-up
 * makes fds 0-2 valid, closes the rest, empties the environment (PATH and
 * TMPDIR mean nothing here: no program is run, the temporary file is next
 * to the map) and sets umask 022 (the map is 0644).  A map directory that
 * others could write (group/other write bits, or owned by another user) is
 * refused: they could swap the map between build and use.  The old map
 * is replaced by rename, never written through, so a planted symbolic
 * link or hard link at its name is replaced, not followed (and a warning
 * says so).  Memory does not grow with the file: duplicates are found by
 * the map itself (DB_NOOVERWRITE), and only then is the file read again
 * for the first line of the name.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/safeopen.h"
#include "lib/xalloc.h"

#include "aliases/aliases.h"
#include "aliases/target.h"

#define TARGETS_MAX	65536	/* a 64 KiB value holds fewer */
#define ERRORS_SHOWN	100	/* messages printed; the rest are counted */
#define RESCANS_MAX	100	/* duplicates whose first line is searched */
#define LOOP_NODES	1000	/* names visited per alias by the loop check */

static struct {
	const char	*afile;		/* the aliases file */
	int		 afd;
	uid_t		 uid;		/* the caller, and the map's owner */
	uid_t		 owner;		/* who owns the map (for -n checks) */
	struct alias_map_writer *w;
	unsigned long	 errors;	/* errors and findings */
	unsigned long	 rescans;
	bool		 first;		/* alias_duplicates = first */
} N = { .afd = -1 };

/* Signal handling: only unlink and _exit (STYLE.md 9). */
static int sig_dirfd = -1;
static const char *volatile sig_tmp;

/* Remove the temporary map and leave. */
static void
on_signal(int sig)
{
	if (sig_tmp != NULL)
		(void)unlinkat(sig_dirfd, sig_tmp, 0);
	_exit(128 + sig);
}

/* The die hook: a partial map never stays behind. */
static void
die_hook(void)
{
	sig_tmp = NULL;
	alias_map_abort(N.w);
	N.w = NULL;
}

/* Print the usage line and exit with code. */
static _Noreturn void
usage(int code)
{
	const char *u = "usage: newaliases [-n | --check] [-c config_file] "
	    "[-f aliases_file] [-q name]\n";

	(void)iox_write_full(code == 0 ? STDOUT_FILENO : STDERR_FILENO, u,
	    strlen(u));
	exit(code);
}

/* Report one error or finding (at most ERRORS_SHOWN are printed). */
static void
report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
report(const char *fmt, ...)
{
	va_list ap;

	N.errors++;
	if (N.errors > ERRORS_SHOWN)
		return;
	va_start(ap, fmt);
	log_vmsg(3 /* LOG_ERR */, fmt, ap);
	va_end(ap);
}

/* Report every line of why (each already says file:line). */
static void
report_lines(const struct buf *why)
{
	const char *p = why->data, *end = why->data + why->len, *nl;

	while (p != NULL && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		report("%.*s", (int)((nl != NULL ? nl : end) - p), p);
		p = nl != NULL ? nl + 1 : end;
	}
}

/* target.c says "line N: reason"; the reason alone, for our file:line. */
static const char *
target_reason(struct buf *tw)
{
	const char *s = buf_cstr(tw), *c;

	if (strncmp(s, "line ", 5) == 0 && (c = strstr(s, ": ")) != NULL)
		return c + 2;
	return s;
}

/* name as printable text, in a static buffer for one message. */
static const char *
shown(const char *s, size_t n)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	buf_append_printable(&b, s, n);
	return buf_cstr(&b);
}

/* Split e's value into targets: 0, or -1 after reporting why. */
static int
split_value(const struct alias_entry *e, struct target_list *tl)
{
	struct buf tw = BUF_INIT;
	int rc;

	tl->n = 0;
	rc = target_split(e->value.data, e->value.len, 0, TARGETS_MAX, tl,
	    &tw);
	if (rc < 0) {
		report("%s:%lu: %s", N.afile, e->line, target_reason(&tw));
		target_list_free(tl);
	}
	buf_free(&tw);
	return rc;
}

/* A duplicate name: an error, or a warning under alias_duplicates=first. */
static void
duplicate(const struct alias_entry *e)
{
	struct buf where = BUF_INIT, why = BUF_INIT;
	unsigned long line = 0;
	const char *name = shown(e->name.data, e->name.len);
	char *copy = xstrdup(name);

	if (N.rescans++ < RESCANS_MAX && alias_find_first(N.afd, N.afile,
	    e->name.data, e->name.len, &line, &why) == 1)
		buf_printf(&where, "%s:%lu", N.afile, line);
	else
		buf_setf(&where, "an earlier line");
	if (N.first)
		log_warn("%s:%lu: duplicate alias %s ignored: the first one, "
		    "at %s, is kept (alias_duplicates = first)", N.afile,
		    e->line, copy, buf_cstr(&where));
	else
		report("%s:%lu: duplicate alias %s: first defined at %s "
		    "(set alias_duplicates = first to keep the first)",
		    N.afile, e->line, copy, buf_cstr(&where));
	free(copy);
	buf_free(&where);
	buf_free(&why);
}

/*
 * Read the whole file into the writer: every entry checked and stored.
 * Returns the number of aliases stored; *longest and *total for the
 * summary.  Errors are counted in N.errors; a read error dies.
 */
static unsigned long
load(unsigned long *longest, unsigned long long *total)
{
	struct alias_reader *r = alias_reader_fd(N.afd, N.afile);
	struct target_list tl = { NULL, 0, 0 };
	struct alias_entry e;
	struct buf why = BUF_INIT;
	unsigned long n = 0;
	int rc;

	alias_entry_init(&e);
	*longest = 0;
	*total = 0;
	while ((rc = alias_reader_next(r, &e, &why)) != 0) {
		if (rc == -2)
			log_die(EX_IOERR, "%s", buf_cstr(&why));
		if (rc < 0) {
			report_lines(&why);
			buf_reset(&why);
			continue;
		}
		if (split_value(&e, &tl) < 0)
			continue;
		target_list_free(&tl);
		rc = alias_map_put(N.w, e.name.data, e.name.len, e.value.data,
		    e.value.len, &why);
		if (rc < 0)
			log_die(EX_IOERR, "%s", buf_cstr(&why));
		if (rc == 1) {
			duplicate(&e);
			continue;
		}
		n++;
		if (e.value.len > *longest)
			*longest = e.value.len;
		*total += e.name.len + e.value.len;
	}
	alias_entry_free(&e);
	alias_reader_free(r);
	buf_free(&why);
	return n;
}

/* Is there a passwd entry for name (getpwnam_r, growing the buffer)? */
static bool
passwd_has(const char *name)
{
	struct passwd pw, *res = NULL;
	size_t size = 1024;
	char *mem = NULL;
	int rc;

	for (;;) {
		mem = xrealloc(mem, size);
		rc = getpwnam_r(name, &pw, mem, size, &res);
		if (rc != ERANGE || size > (1u << 20))
			break;
		size *= 2;
	}
	free(mem);
	return rc == 0 && res != NULL;
}

/* Is name a local user (also as user+extension)? */
static bool
is_user(const char *name)
{
	const char *delim = config_str(CF_recipient_delimiter);
	size_t n;
	char *base;
	bool found;

	if (passwd_has(name))
		return true;
	if (delim[0] == '\0' || (n = strcspn(name, delim)) == strlen(name))
		return false;
	base = xmemdup0(name, n);
	found = passwd_has(base);
	free(base);
	return found;
}

/* Is this address target a local name (no '@', angle brackets dropped)? */
static bool
local_name(const struct target *t, struct buf *out)
{
	const char *s = t->text;
	size_t n = t->len;

	if (t->kind != TGT_ADDRESS || memchr(s, '@', n) != NULL)
		return false;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	buf_reset(out);
	for (size_t i = 0; i < n; i++)
		buf_append_byte(out, s[i] >= 'A' && s[i] <= 'Z' ?
		    (unsigned char)(s[i] - 'A' + 'a') : (unsigned char)s[i]);
	return n > 0;
}

/* An :include: file as mail.local would want it; the reason if not. */
static void
check_include(const char *path, unsigned long line)
{
	struct safe_check dirs = { S_IFDIR, 0, 2, { 0, N.owner, 0 }, 022,
	    false };
	struct safe_check file = { S_IFREG, 1, 2, { 0, N.owner, 0 }, 022,
	    false };
	struct buf why = BUF_INIT;
	int fd;

	fd = safe_openat(AT_FDCWD, path, O_RDONLY | O_NONBLOCK, 0, &dirs,
	    &file, 0, NULL, &why);
	if (fd < 0)
		report("%s:%lu: unsafe :include: file: %s", N.afile, line,
		    buf_cstr(&why));
	else
		(void)close(fd);
	buf_free(&why);
}

/* A program's first word must be an executable absolute path. */
static void
check_program(const char *cmd, unsigned long line)
{
	struct stat st;
	size_t n;
	char *word;

	cmd += strspn(cmd, " \t");
	n = strcspn(cmd, " \t");
	word = xmemdup0(cmd, n);
	if (word[0] != '/')
		report("%s:%lu: program %s: not an absolute path", N.afile,
		    line, shown(word, n));
	else if (stat(word, &st) < 0)
		report("%s:%lu: program %s: %s", N.afile, line,
		    shown(word, n), strerror(errno));
	else if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
		report("%s:%lu: program %s: not an executable file", N.afile,
		    line, shown(word, n));
	free(word);
}

/* The stored "LINE:value" of a name in the check map: the line, or 0. */
static unsigned long
lint_get(const char *name, size_t len, struct buf *value)
{
	struct buf raw = BUF_INIT, why = BUF_INIT;
	unsigned long line = 0;
	char *end;

	buf_reset(value);
	if (alias_map_get(N.w, name, len, &raw, &why) == 1) {
		line = strtoul(buf_cstr(&raw), &end, 10);
		if (*end == ':')
			buf_append_str(value, end + 1);
	}
	buf_free(&raw);
	buf_free(&why);
	return line;
}

/*
 * LOOP CONTROL: from alias root, follow local names through the map,
 * breadth first, at most LOOP_NODES names.  A path back to root is a
 * loop; it is reported once, by the smallest name on it.  A name listed
 * in its own value is sendmail's idiom for "and my mailbox" and is not a
 * loop.
 */
static void
check_loops(const struct alias_entry *root)
{
	struct node { char *name; size_t parent; } *v;
	struct target_list tl = { NULL, 0, 0 };
	struct buf val = BUF_INIT, nm = BUF_INIT, tw = BUF_INIT, path;
	size_t nv = 1, i, k, p, nc, *chain;

	v = xcalloc(LOOP_NODES, sizeof(*v));
	chain = xcalloc(LOOP_NODES, sizeof(*chain));
	v[0].name = xmemdup0(root->name.data, root->name.len);
	for (i = 0; i < nv; i++) {
		if (lint_get(v[i].name, strlen(v[i].name), &val) == 0)
			continue;
		tl.n = 0;
		buf_reset(&tw);
		if (target_split(val.data, val.len, 0, TARGETS_MAX, &tl,
		    &tw) < 0) {
			target_list_free(&tl);
			continue;
		}
		for (size_t t = 0; t < tl.n; t++) {
			if (!local_name(&tl.v[t], &nm) ||
			    strcmp(buf_cstr(&nm), v[i].name) == 0)
				continue;
			if (strcmp(buf_cstr(&nm), v[0].name) == 0) {
				/* Found: the smallest name on it reports. */
				bool smallest = true;

				for (p = i; p != 0; p = v[p].parent)
					if (strcmp(v[p].name, v[0].name) < 0)
						smallest = false;
				if (!smallest)
					goto done;
				buf_init(&path);
				buf_append_str(&path, v[0].name);
				/* The chain from root to v[i], in order. */
				nc = 0;
				for (k = i; k != 0; k = v[k].parent)
					chain[nc++] = k;
				while (nc > 0)
					buf_printf(&path, " -> %s",
					    v[chain[--nc]].name);
				buf_printf(&path, " -> %s", v[0].name);
				report("%s:%lu: alias loop: %s", N.afile,
				    root->line, shown(path.data, path.len));
				buf_free(&path);
				goto done;
			}
			for (k = 0; k < nv; k++)
				if (strcmp(v[k].name, buf_cstr(&nm)) == 0)
					break;
			if (k < nv || nv == LOOP_NODES)
				continue;
			v[nv].name = xstrdup(buf_cstr(&nm));
			v[nv].parent = i;
			nv++;
		}
		target_list_free(&tl);
	}
done:
	target_list_free(&tl);
	for (i = 0; i < nv; i++)
		free(v[i].name);
	free(v);
	free(chain);
	buf_free(&val);
	buf_free(&nm);
	buf_free(&tw);
}

/* Check every target of one entry (the -n pass 2). */
static void
lint_entry(const struct alias_entry *e)
{
	struct target_list tl = { NULL, 0, 0 };
	struct buf nm = BUF_INIT, val = BUF_INIT;

	if (split_value(e, &tl) < 0)
		return;
	for (size_t i = 0; i < tl.n; i++) {
		const struct target *t = &tl.v[i];

		switch (t->kind) {
		case TGT_ADDRESS:
			if (!local_name(t, &nm))
				break;
			if (buf_eq(&nm, e->name.data, e->name.len)) {
				if (!is_user(buf_cstr(&nm)))
					report("%s:%lu: %s lists itself, but "
					    "there is no such user", N.afile,
					    e->line, shown(nm.data, nm.len));
			} else if (lint_get(nm.data, nm.len, &val) == 0 &&
			    !is_user(buf_cstr(&nm)))
				report("%s:%lu: %s: unknown local user (not a "
				    "user, not an alias)", N.afile, e->line,
				    shown(nm.data, nm.len));
			break;
		case TGT_MAILBOX:
			if (!is_user(t->text))
				report("%s:%lu: \\%s: unknown local user",
				    N.afile, e->line, shown(t->text, t->len));
			break;
		case TGT_INCLUDE:
			check_include(t->text, e->line);
			break;
		case TGT_PROGRAM:
			check_program(t->text, e->line);
			break;
		case TGT_FILE:
			break;
		}
	}
	target_list_free(&tl);
	check_loops(e);
	buf_free(&nm);
	buf_free(&val);
}

/* -n: parse, then check every target; nothing is written. */
static int
lint(void)
{
	struct alias_reader *r;
	struct alias_entry e;
	struct buf why = BUF_INIT, v = BUF_INIT;
	unsigned long n = 0;
	int rc;

	if ((N.w = alias_map_create(-1, NULL, NULL, 0, &why)) == NULL)
		log_die(EX_SOFTWARE, "%s", buf_cstr(&why));
	alias_entry_init(&e);
	/* Pass 1: the syntax, and every name with its line. */
	r = alias_reader_fd(N.afd, N.afile);
	while ((rc = alias_reader_next(r, &e, &why)) != 0) {
		if (rc == -2)
			log_die(EX_IOERR, "%s", buf_cstr(&why));
		if (rc < 0) {
			report_lines(&why);
			buf_reset(&why);
			continue;
		}
		buf_setf(&v, "%lu:", e.line);
		buf_append(&v, e.value.data, e.value.len);
		rc = alias_map_put(N.w, e.name.data, e.name.len, v.data, v.len,
		    &why);
		if (rc < 0)
			log_die(EX_IOERR, "%s", buf_cstr(&why));
		if (rc == 1)
			duplicate(&e);
		else
			n++;
	}
	alias_reader_free(r);
	/* Pass 2: the targets of the entries kept. */
	r = alias_reader_fd(N.afd, N.afile);
	while ((rc = alias_reader_next(r, &e, &why)) != 0) {
		buf_reset(&why);
		if (rc == 1 && lint_get(e.name.data, e.name.len, &v) ==
		    e.line)
			lint_entry(&e);
	}
	alias_reader_free(r);
	alias_entry_free(&e);
	alias_map_abort(N.w);
	N.w = NULL;
	buf_free(&why);
	buf_free(&v);
	if (N.errors > 0) {
		log_error("%s: %lu problem%s found", N.afile, N.errors,
		    N.errors == 1 ? "" : "s");
		return EX_DATAERR;
	}
	printf("%s: %lu aliases, no problems found\n", N.afile, n);
	return EX_OK;
}

/* -q: print the value of name from the map. */
static int
query(const char *map, const char *name)
{
	struct alias_map *m;
	struct buf why = BUF_INIT, out = BUF_INIT;
	int rc = -1;

	if ((m = alias_map_open(map, &why)) != NULL) {
		rc = alias_map_lookup(m, name, strlen(name), &out, &why);
		alias_map_close(m);
	} else {
		log_die(errno == ENOENT ? EX_NOINPUT : errno == EAGAIN ?
		    EX_TEMPFAIL : errno == EACCES ? EX_NOPERM : EX_IOERR,
		    "%s", buf_cstr(&why));
	}
	if (rc < 0)
		log_die(EX_IOERR, "%s", buf_cstr(&why));
	if (rc == 0)
		log_die(EX_NOUSER, "%s: not found in %s", shown(name,
		    strlen(name)), map);
	buf_append_byte(&out, '\n');
	if (iox_write_full(STDOUT_FILENO, out.data, out.len) < 0)
		log_die(EX_IOERR, "standard output: %m");
	buf_free(&out);
	buf_free(&why);
	return EX_OK;
}

/*
 * Open the map's directory and check it: owned by root or the caller,
 * not writable by group or others.  Warn about a link at the old name.
 */
static int
open_mapdir(const char *dir, const char *base)
{
	struct stat st;
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		log_die(errno == ENOENT ? EX_CANTCREAT : errno == EACCES ?
		    EX_NOPERM : EX_IOERR, "%s: cannot open the map's "
		    "directory: %m", dir);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		log_die(EX_CANTCREAT, "%s: the map's directory is writable by "
		    "%s: refusing to create %s there (chmod go-w %s)", dir,
		    (st.st_mode & S_IWOTH) ? "others" : "its group", base, dir);
	if (st.st_uid != 0 && st.st_uid != N.uid)
		log_die(EX_CANTCREAT, "%s: the map's directory is owned by uid "
		    "%lu, not by root or uid %lu: refusing to create %s there",
		    dir, (unsigned long)st.st_uid, (unsigned long)N.uid, base);
	if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			log_warn("%s/%s was a symbolic link: it is replaced by "
			    "the new map, not followed", dir, base);
		else if (S_ISDIR(st.st_mode))
			log_die(EX_CANTCREAT, "%s/%s is a directory", dir,
			    base);
		else if (st.st_nlink > 1)
			log_warn("%s/%s had %lu hard links: it is replaced by "
			    "the new map, the other names keep the old file",
			    dir, base, (unsigned long)st.st_nlink);
	}
	return fd;
}

/* Open the aliases file and check who may use it. */
static void
open_file(bool build)
{
	struct stat st;

	/* N.afile is -f's argument or config_str()'s text, never NULL. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	N.afd = open(N.afile, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (N.afd < 0)
		log_die(errno == ENOENT ? EX_NOINPUT : errno == EACCES ?
		    EX_NOPERM : EX_IOERR, "%s: %m", N.afile);
	if (fstat(N.afd, &st) < 0)
		log_die(EX_IOERR, "%s: fstat: %m", N.afile);
	if (!S_ISREG(st.st_mode))
		log_die(EX_NOINPUT, "%s: not a regular file", N.afile);
	/* The map would be root's, or its owner's when they build it. */
	N.owner = build ? N.uid : st.st_uid;
	if (!build)
		return;
	/* BUILD RIGHTS: root, or the file's owner for a map of their own. */
	if (N.uid != 0 && st.st_uid != N.uid)
		log_die(EX_NOPERM, "Permission denied: %s is owned by uid %lu; "
		    "only root or its owner may build its map", N.afile,
		    (unsigned long)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		log_die(EX_NOPERM, "%s is writable by %s: refusing to build a "
		    "map from it (chmod go-w %s)", N.afile,
		    (st.st_mode & S_IWOTH) ? "others" : "its group", N.afile);
}

/* Build the map: parse into a temporary map, commit when all is well. */
static int
build(const char *map)
{
	struct buf why = BUF_INIT;
	char *dir = xstrdup(map), *slash = strrchr(dir, '/');
	const char *base = slash != NULL ? slash + 1 : map;
	unsigned long n, longest;
	unsigned long long total;
	int dfd;

	if (slash != NULL && base[0] != '\0')
		*slash = '\0';
	else
		log_die(EX_CONFIG, "%s: the map must be an absolute file name",
		    map);
	if (dir[0] == '\0') {
		free(dir);
		dir = xstrdup("/");
	}
	dfd = open_mapdir(dir, base);
	{
		struct stat fst;

		/* About 40 bytes a line: the map's size, for its cache. */
		N.w = alias_map_create(dfd, dir, base, fstat(N.afd, &fst) == 0 ?
		    (size_t)fst.st_size / 32 : 0, &why);
	}
	if (N.w == NULL)
		log_die(errno == EACCES ? EX_NOPERM : EX_CANTCREAT, "%s",
		    buf_cstr(&why));
	sig_dirfd = dfd;
	sig_tmp = alias_map_tmpname(N.w);
	n = load(&longest, &total);
	if (N.errors > 0) {
		sig_tmp = NULL;
		alias_map_abort(N.w);
		N.w = NULL;
		if (N.errors > ERRORS_SHOWN)
			log_error("%s: %lu more errors not shown", N.afile,
			    N.errors - ERRORS_SHOWN);
		log_error("%s: %lu error%s: %s was not changed", N.afile,
		    N.errors, N.errors == 1 ? "" : "s", map);
		(void)close(dfd);
		free(dir);
		buf_free(&why);
		return EX_DATAERR;
	}
	sig_tmp = NULL;
	if (alias_map_commit(N.w, &why) < 0) {
		N.w = NULL;
		log_die(EX_IOERR, "%s", buf_cstr(&why));
	}
	N.w = NULL;
	(void)close(dfd);
	printf("%s: %lu aliases, longest %lu bytes, %llu bytes total\n",
	    N.afile, n, longest, total);
	if (fflush(stdout) == EOF || ferror(stdout))
		log_die(EX_IOERR, "standard output: %m");
	/* The same line for syslog only: stdout has it already. */
	log_set_flags(log_get_flags() & ~LOG_F_STDERR);
	log_info("%s: %lu aliases, longest %lu bytes, %llu bytes total",
	    N.afile, n, longest, total);
	log_set_flags(log_get_flags() | LOG_F_STDERR);
	free(dir);
	buf_free(&why);
	return EX_OK;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf = NULL, *file = NULL, *name = NULL;
	struct buf why = BUF_INIT, map = BUF_INIT;
	bool check = false;
	int ch, flags;

	/* START-UP: descriptors, environment, umask, signals. */
	if (iox_sanitize_std_fds() < 0)
		return EX_OSERR;
	iox_close_from(3);
	if (clearenv() != 0)
		return EX_OSERR;
	umask(022);
	log_init("newaliases", LOG_F_SYSLOG | LOG_F_STDERR);
	log_set_die_hook(die_hook);
	(void)signal(SIGHUP, on_signal);
	(void)signal(SIGINT, on_signal);
	(void)signal(SIGTERM, on_signal);
	(void)signal(SIGPIPE, SIG_DFL);
	N.uid = getuid();

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:f:hnq:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'q':
			name = optarg;
			break;
		case 'h':
			usage(EX_OK);
		default:
			log_error("unknown option or missing argument: %s",
			    argv[optind - 1] != NULL ? argv[optind - 1] : "");
			usage(EX_USAGE);
		}
	}
	if (optind != argc || (check && name != NULL))
		usage(EX_USAGE);

	/* Root trusts only a root-owned file; a user may name their own. */
	flags = N.uid == 0 || conf == NULL ? CONFIG_F_TRUSTED : 0;
	if (conf == NULL) {
		conf = config_default_path();
		flags |= CONFIG_F_MISSING_OK;
	}
	if (config_load(conf, flags, &why) < 0) {
		report_lines(&why);
		return EX_CONFIG;
	}
	N.first = strcmp(config_str(CF_alias_duplicates), "first") == 0;
	if (file != NULL && file[0] != '/')
		log_die(EX_USAGE, "-f %s: give an absolute path",
		    shown(file, strlen(file)));
	N.afile = file != NULL ? file : config_str(CF_alias_file);
	if (file != NULL || config_is_default(CF_alias_database))
		buf_setf(&map, "%s.db", N.afile);
	else
		buf_setf(&map, "%s", config_str(CF_alias_database));

	if (name != NULL) {
		ch = query(buf_cstr(&map), name);
	} else {
		open_file(!check);
		ch = check ? lint() : build(buf_cstr(&map));
	}
	buf_free(&map);
	buf_free(&why);
	return ch;
}
