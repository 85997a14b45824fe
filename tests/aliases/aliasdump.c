/*
 * aliasdump: print what the aliases parser makes of a file, for the golden
 * tests (tests/aliases/golden.sh compares the output with FILE.out).
 *
 *   aliasdump FILE [NAME]
 *
 * One line per entry, "LINE: name=<NAME> value=<VALUE>", bytes outside
 * printable ASCII as \xNN; one line per error as the parser words it,
 * with NAME (default: FILE) as the file name; "end" or "read error" last.
 *
 * Input: test files from the source tree.  No privilege.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/buf.h"

#include "aliases/aliases.h"

int
main(int argc, char **argv)
{
	struct alias_reader *r;
	struct alias_entry e;
	struct buf why = BUF_INIT, out = BUF_INIT;
	int fd, rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: aliasdump FILE [NAME]\n");
		return 64;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0) {
		perror(argv[1]);
		return 66;
	}
	r = alias_reader_fd(fd, argc == 3 ? argv[2] : argv[1]);
	alias_entry_init(&e);
	while ((rc = alias_reader_next(r, &e, &why)) != 0) {
		if (rc == 1) {
			buf_printf(&out, "%lu: name=<", e.line);
			buf_append_printable(&out, e.name.data, e.name.len);
			buf_append_str(&out, "> value=<");
			buf_append_printable(&out, e.value.data, e.value.len);
			buf_append_str(&out, ">\n");
		} else {
			buf_append(&out, why.data, why.len);
			buf_reset(&why);
			if (rc == -2)
				break;
		}
	}
	buf_append_str(&out, rc == 0 ? "end\n" : "read error\n");
	fwrite(out.data, 1, out.len, stdout);
	alias_entry_free(&e);
	alias_reader_free(r);
	buf_free(&why);
	buf_free(&out);
	close(fd);
	return 0;
}
