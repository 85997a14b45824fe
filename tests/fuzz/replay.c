/*
 * replay: run a fuzz target over its corpus without libFuzzer, for
 * `make check`.  "replay_NAME [FILE|DIR ...]": with no arguments the corpus
 * is $top_srcdir/tests/fuzz/corpus/NAME.  Every file is fed to
 * LLVMFuzzerTestOneInput once; output is TAP, one line per file.  A crash
 * or abort in the target fails the test (the TAP driver sees the missing
 * lines and the signal).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/iox.h"

#define REPLAY_MAX	(16 * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct buf names = BUF_INIT;	/* NUL-separated file list */
static size_t nnames;

/* Add path, or every regular file in it when it is a directory. */
static int
replay_collect(const char *path)
{
	struct stat st;
	struct dirent **list;
	int n;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		buf_append(&names, path, strlen(path) + 1);
		nnames++;
		return 0;
	}
	n = scandir(path, &list, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.') {
			buf_printf(&names, "%s/%s", path, list[i]->d_name);
			buf_append_byte(&names, '\0');
			nnames++;
		}
		free(list[i]);
	}
	free(list);
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf data = BUF_INIT, dflt = BUF_INIT;
	const char *base, *top, *p;
	size_t k = 0;
	int fd, failed = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (replay_collect(argv[i]) < 0)
				return 1;
	} else {
		base = strrchr(argv[0], '/');
		base = base != NULL ? base + 1 : argv[0];
		if (strncmp(base, "replay_", 7) == 0)
			base += 7;
		top = getenv("top_srcdir");
		buf_printf(&dflt, "%s/tests/fuzz/corpus/%s",
		    top != NULL ? top : ".", base);
		if (replay_collect(buf_cstr(&dflt)) < 0)
			return 1;
	}
	printf("1..%zu\n", nnames);
	fflush(stdout);
	for (p = names.data; p != NULL && p < names.data + names.len;
	    p += strlen(p) + 1) {
		k++;
		buf_reset(&data);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || iox_read_all(fd, &data, REPLAY_MAX) < 0) {
			printf("not ok %zu - %s: %s\n", k, p, strerror(errno));
			failed = 1;
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		(void)LLVMFuzzerTestOneInput((const uint8_t *)data.data,
		    data.len);
		printf("ok %zu - %s\n", k, p);
		fflush(stdout);
	}
	buf_free(&data);
	buf_free(&dflt);
	buf_free(&names);
	return failed;
}
