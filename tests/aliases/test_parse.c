/*
 * Unit tests for aliases/parse.c and aliases/map.c: a table of inputs and
 * what the reader makes of them (entries and errors with file:line), the
 * same file read through a descriptor, alias_find_first, and the map
 * round trip: NUL-terminated keys and values, the "@" marker, lookups in
 * any case, a map without the marker refused, an exclusive temporary
 * file, and abort leaving nothing behind.
 */
#include <config.h>

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "tests/lib/testutil.h"

#include "aliases/aliases.h"

static struct buf dirb = BUF_INIT;
static const char *dir;

static int
setup(void **state)
{
	(void)state;
	test_mktree(&dirb, "test_parse");
	dir = buf_cstr(&dirb);
	return 0;
}

static int
teardown(void **state)
{
	int rc;

	(void)state;
	rc = test_rmtree(dir);
	buf_free(&dirb);
	return rc;
}

/* What the reader makes of r, one line per entry or error. */
static void
dump(struct alias_reader *r, struct buf *out)
{
	struct alias_entry e;
	struct buf why = BUF_INIT;
	int rc;

	alias_entry_init(&e);
	while ((rc = alias_reader_next(r, &e, &why)) != 0) {
		if (rc == 1) {
			buf_printf(out, "%lu <", e.line);
			buf_append_printable(out, e.name.data, e.name.len);
			buf_append_str(out, "> <");
			buf_append_printable(out, e.value.data, e.value.len);
			buf_append_str(out, ">\n");
		} else {
			buf_append(out, why.data, why.len);
			buf_reset(&why);
			if (rc == -2)
				break;
		}
	}
	alias_entry_free(&e);
	buf_free(&why);
}

static const struct {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	const char	*want;
} cases[] = {
	{ "", 0, "" },
	{ "# only a comment\n\n   \n", 0, "" },
	{ "a: b\n", 0, "1 <a> <b>\n" },
	{ "A:b", 0, "1 <a> <b>\n" },
	{ "MiXeD :  x , y  \t\n", 0, "1 <mixed> <x , y>\n" },
	{ "a: b,\n c,\n\td\n", 0, "1 <a> <b, c,\\x09d>\n" },
	{ "a: b,\n\n# c\n  # d\n e\nf: g\n", 0, "1 <a> <b, e>\n6 <f> <g>\n" },
	{ "\"Foo Bar\": x\n", 0, "1 <foo bar> <x>\n" },
	{ "\"a\\\"b\": x\n", 0, "1 <a\"b> <x>\n" },
	{ "\"a:b\" : x\n", 0, "1 <a:b> <x>\n" },
	{ "owner-l: x\nl-request: y\n", 0,
	    "1 <owner-l> <x>\n2 <l-request> <y>\n" },
	{ "p: \"|/bin/x a, b\"\n", 0, "1 <p> <\"|/bin/x a, b\">\n" },
	{ "i: :include:/etc/x\n", 0, "1 <i> <:include:/etc/x>\n" },
	{ "a b: c\n", 0, "m:1: expected ':' after the alias name, found 'b'\n" },
	{ "abc\n", 0, "m:1: expected ':' after the alias name\n" },
	{ ": x\n", 0, "m:1: expected an alias name before ':'\n" },
	{ "\"\": x\n", 0, "m:1: expected an alias name, not an empty quoted "
	    "name\n" },
	{ "\"abc: x\n", 0, "m:1: expected '\"' to end the quoted alias "
	    "name\n" },
	{ "a@b: x\n", 0, "m:1: character '@' in the alias name: only local "
	    "names can be aliased\n" },
	{ "a,b: x\n", 0, "m:1: character ',' is not allowed in an unquoted "
	    "alias name (quote the name)\n" },
	{ "a:\n", 0, "m:1: expected a value after ':' (addresses, /file, "
	    "|command or :include:/file)\n" },
	{ "a:  \n  \n", 0, "m:1: expected a value after ':' (addresses, "
	    "/file, |command or :include:/file)\n" },
	{ " x\n\ty\nz: w\n", 0, "m:1: expected an alias name at the start of "
	    "the line: a line starting with white space continues an entry, "
	    "and there is none before it\n3 <z> <w>\n" },
	{ "a: b\r\n", 0, "m:1: control character \\x0d in the entry (a CRLF "
	    "line end?)\n" },
	{ "a: b\001\n", 0, "m:1: control character \\x01 in the entry\n" },
	{ "a: b\0c\nd: e\n", 11, "m:1: NUL byte in the file\n2 <d> <e>\n" },
	{ "a: b\n c\0\nd: e\n", 14, "m:2: NUL byte in the file\n3 <d> <e>\n" },
	{ "# x\0y\na: b\n", 11, "m:1: NUL byte in the file\n2 <a> <b>\n" },
	{ "a: b\nb: c\nb: d\n", 0, "1 <a> <b>\n2 <b> <c>\n3 <b> <d>\n" },
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		struct alias_reader *r = alias_reader_mem("m", cases[i].in,
		    len);
		struct buf out = BUF_INIT;

		dump(r, &out);
		alias_reader_free(r);
		if (strcmp(buf_cstr(&out), cases[i].want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i,
			    buf_cstr(&out), cases[i].want);
		buf_free(&out);
	}
}

/* Write text to dir/name; the path in p, the open fd returned. */
static int
write_file(struct buf *p, const char *name, const char *text, size_t len)
{
	int fd;

	buf_setf(p, "%s/%s", dir, name);
	(void)unlink(buf_cstr(p));
	fd = open(buf_cstr(p), O_RDWR | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	return fd;
}

static void
test_limits(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT, want = BUF_INIT;
	struct alias_reader *r;

	(void)state;
	for (int i = 0; i < ALIAS_NAME_MAX + 1; i++)
		buf_append_byte(&in, 'n');
	buf_append_str(&in, ": x\nbig: ");
	for (int i = 0; i < ALIAS_ENTRY_MAX; i++)
		buf_append_byte(&in, 'v');
	buf_append_str(&in, "\nok: y\n");
	r = alias_reader_mem("m", in.data, in.len);
	dump(r, &out);
	alias_reader_free(r);
	buf_printf(&want, "m:1: alias name longer than %d bytes\n"
	    "m:2: entry longer than %d bytes (with its continuation lines)\n"
	    "3 <ok> <y>\n", ALIAS_NAME_MAX, ALIAS_ENTRY_MAX);
	assert_string_equal(buf_cstr(&out), buf_cstr(&want));
	buf_free(&in);
	buf_free(&out);
	buf_free(&want);
}

static void
test_fd_reader(void **state)
{
	struct buf in = BUF_INIT, p = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	struct alias_reader *r;
	unsigned long line = 0;
	int fd;

	(void)state;
	/* Lines across the 64 KiB read window. */
	for (int i = 0; i < 5000; i++)
		buf_printf(&in, "name%d: value%d,\n  more%d\n", i, i, i);
	buf_append_str(&in, "name17: again\n");
	fd = write_file(&p, "aliases", in.data, in.len);
	r = alias_reader_fd(fd, "f");
	dump(r, &a);
	alias_reader_free(r);
	r = alias_reader_mem("f", in.data, in.len);
	dump(r, &b);
	alias_reader_free(r);
	assert_string_equal(buf_cstr(&a), buf_cstr(&b));
	assert_non_null(strstr(buf_cstr(&a), "9999 <name4999> <value4999,  "
	    "more4999>\n10001 <name17> <again>\n"));
	assert_int_equal(alias_find_first(fd, "f", "name17", 6, &line, &a), 1);
	assert_int_equal(line, 35);
	assert_int_equal(alias_find_first(fd, "f", "none", 4, &line, &a), 0);
	close(fd);
	buf_free(&in);
	buf_free(&p);
	buf_free(&a);
	buf_free(&b);
}

static void
test_map_roundtrip(void **state)
{
	struct alias_map_writer *w;
	struct alias_map *m;
	struct buf why = BUF_INIT, out = BUF_INIT, p = BUF_INIT;
	struct stat st;
	DBT key, val;
	DB *db;
	int dfd;

	(void)state;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	w = alias_map_create(dfd, dir, "aliases.db", 0, &why);
	assert_non_null(w);
	assert_int_equal(alias_map_put(w, "Root", 4, "alice, bob", 10, &why),
	    0);
	assert_int_equal(alias_map_put(w, "root", 4, "x", 1, &why), 1);
	assert_int_equal(alias_map_put(w, "foo bar", 7, "|cmd", 4, &why), 0);
	assert_int_equal(alias_map_get(w, "ROOT", 4, &out, &why), 1);
	assert_string_equal(buf_cstr(&out), "alice, bob");
	buf_setf(&p, "%s/aliases.db", dir);
	assert_int_equal(stat(buf_cstr(&p), &st), -1);
	assert_int_equal(alias_map_commit(w, &why), 0);
	assert_int_equal(stat(buf_cstr(&p), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644 & ~(mode_t)022 & 0644);
	close(dfd);

	m = alias_map_open(buf_cstr(&p), &why);
	assert_non_null(m);
	assert_int_equal(alias_map_owner(m), geteuid());
	buf_reset(&out);
	assert_int_equal(alias_map_lookup(m, "FOO Bar", 7, &out, &why), 1);
	assert_string_equal(buf_cstr(&out), "|cmd");
	assert_int_equal(alias_map_lookup(m, "nobody", 6, &out, &why), 0);
	assert_int_equal(alias_map_lookup(m, "@", 1, &out, &why), 0);
	alias_map_close(m);

	/* The layout, read with Berkeley DB itself. */
	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, buf_cstr(&p), NULL, DB_HASH,
	    DB_RDONLY, 0), 0);
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = (void *)(uintptr_t)"root";
	key.size = 5;
	assert_int_equal(db->get(db, NULL, &key, &val, 0), 0);
	assert_int_equal(val.size, 11);
	assert_memory_equal(val.data, "alice, bob", 11);
	key.data = (void *)(uintptr_t)"@";
	key.size = 2;
	assert_int_equal(db->get(db, NULL, &key, &val, 0), 0);
	assert_int_equal(val.size, 2);
	assert_memory_equal(val.data, "@", 2);
	key.size = 4;
	key.data = (void *)(uintptr_t)"root";
	assert_int_equal(db->get(db, NULL, &key, &val, 0), DB_NOTFOUND);
	db->close(db, 0);
	buf_free(&why);
	buf_free(&out);
	buf_free(&p);
}

static void
test_map_incomplete(void **state)
{
	struct buf why = BUF_INIT, p = BUF_INIT;
	DBT key, val;
	DB *db;

	(void)state;
	buf_setf(&p, "%s/half.db", dir);
	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, buf_cstr(&p), NULL, DB_HASH,
	    DB_CREATE, 0644), 0);
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = (void *)(uintptr_t)"a";
	key.size = 2;
	val.data = (void *)(uintptr_t)"b";
	val.size = 2;
	assert_int_equal(db->put(db, NULL, &key, &val, 0), 0);
	db->close(db, 0);
	errno = 0;
	assert_null(alias_map_open(buf_cstr(&p), &why));
	assert_int_equal(errno, EAGAIN);
	assert_non_null(strstr(buf_cstr(&why), "incomplete"));
	buf_reset(&why);
	buf_setf(&p, "%s/none.db", dir);
	assert_null(alias_map_open(buf_cstr(&p), &why));
	assert_int_equal(errno, ENOENT);
	buf_free(&why);
	buf_free(&p);
}

static void
test_map_abort(void **state)
{
	struct alias_map_writer *w;
	struct buf why = BUF_INIT, p = BUF_INIT;
	struct stat st;
	int dfd;

	(void)state;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	w = alias_map_create(dfd, dir, "gone.db", 0, &why);
	assert_non_null(w);
	buf_setf(&p, "%s/%s", dir, alias_map_tmpname(w));
	assert_int_equal(lstat(buf_cstr(&p), &st), 0);
	assert_int_equal(alias_map_put(w, "a", 1, "b", 1, &why), 0);
	alias_map_abort(w);
	assert_int_equal(lstat(buf_cstr(&p), &st), -1);
	buf_setf(&p, "%s/gone.db", dir);
	assert_int_equal(lstat(buf_cstr(&p), &st), -1);
	/* In memory: nothing on disk at all. */
	w = alias_map_create(-1, NULL, NULL, 0, &why);
	assert_non_null(w);
	assert_null(alias_map_tmpname(w));
	assert_int_equal(alias_map_put(w, "a", 1, "b", 1, &why), 0);
	assert_int_equal(alias_map_put(w, "A", 1, "c", 1, &why), 1);
	alias_map_abort(w);
	close(dfd);
	buf_free(&why);
	buf_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_fd_reader),
		cmocka_unit_test(test_map_roundtrip),
		cmocka_unit_test(test_map_incomplete),
		cmocka_unit_test(test_map_abort),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
