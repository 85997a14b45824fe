/*
 * Unit tests for mail.local/input.c and spool.c: DATA framing and CRLF
 * canonicalisation must not depend on how the input is split into reads.
 * Each input goes through a SOCK_SEQPACKET socket, one packet per piece,
 * so every read the reader does returns exactly one piece; the spooled
 * bytes are compared with a reference written here the slow, obvious way
 * (whole input, line by line).  Also: the CVE-2000-0319 line lengths, the
 * end marker split at every position, command-line limits, BDAT, the size
 * limit, and Delivered-To: collection.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

/*
 * Reference: the message a DATA section carries.  Lines end at LF; a CR
 * right before the LF goes; a line "." ends it; a leading dot of any other
 * line goes; a final LF is added when missing.  -1 when there is no end.
 */
static int
ref_data(const char *in, size_t len, struct buf *out, size_t *used)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(in + pos, '\n', len - pos);
		size_t end, llen;

		if (nl == NULL)
			return -1;
		end = (size_t)(nl - in);
		llen = end - pos;
		if (llen > 0 && in[end - 1] == '\r')
			llen--;
		if (llen == 1 && in[pos] == '.') {
			*used = end + 1;
			return 0;
		}
		if (llen > 0 && in[pos] == '.')
			buf_append(out, in + pos + 1, llen - 1);
		else
			buf_append(out, in + pos, llen);
		buf_append_byte(out, '\n');
		pos = end + 1;
	}
	return -1;
}

/* The spool's bytes. */
static void
spool_bytes(struct spool *sp, struct buf *out)
{
	buf_reset(out);
	buf_reserve(out, (size_t)sp->size);
	assert_int_equal(pread(sp->fd, out->data, (size_t)sp->size, 0),
	    sp->size);
	out->len = (size_t)sp->size;
}

/* check_split's writer and the reader's end, while they are open. */
static pid_t writer = -1;
static int reader_fd = -1;

/*
 * After a failed assertion (cmocka jumps out of the test): the writer
 * killed and reaped, the reader's end closed.
 */
static int
writer_stop(void **state)
{
	(void)state;
	if (writer > 0) {
		(void)kill(writer, SIGKILL);
		(void)waitpid(writer, NULL, 0);
		writer = -1;
	}
	if (reader_fd >= 0) {
		(void)close(reader_fd);
		reader_fd = -1;
	}
	return 0;
}

/*
 * Send in through a seqpacket pair in pieces of the given sizes (cycled),
 * run reader_data, and check the result and what is left over.
 */
static void
check_split(const char *in, size_t len, const size_t *pieces, size_t npieces)
{
	struct buf want = BUF_INIT, got = BUF_INIT, why = BUF_INIT;
	struct reader rd;
	struct spool sp;
	size_t used = 0, pos = 0, k = 0;
	int sv[2], rc, wrc;
	char rest[64];
	ssize_t n;
	static bool mem_first;

	wrc = ref_data(in, len, &want, &used);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	reader_fd = sv[0];
	if ((writer = fork()) == 0) {
		(void)close(sv[0]);
		while (pos < len) {
			size_t take = pieces[k++ % npieces];

			if (take > len - pos)
				take = len - pos;
			if (write(sv[1], in + pos, take) != (ssize_t)take)
				_exit(1);
			pos += take;
		}
		(void)shutdown(sv[1], SHUT_WR);
		_exit(0);
	}
	(void)close(sv[1]);
	assert_true(writer > 0);
	/* Every other run in memory first: the 1 MiB lines then move. */
	mem_first = !mem_first;
	assert_int_equal(spool_open(&sp, 1 << 30, mem_first, &why), 0);
	reader_init(&rd, sv[0], 120000);	/* framing, not timeouts: slow under valgrind */
	rc = reader_data(&rd, &sp);
	assert_int_equal(rc, wrc);
	if (rc == 0) {
		assert_int_equal(spool_finish(&sp), 0);
		spool_bytes(&sp, &got);
		if (want.len > 0 && want.data[want.len - 1] != '\n')
			buf_append_byte(&want, '\n');
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);
		/* What followed the end marker is still there. */
		n = (ssize_t)(rd.len - rd.off);
		while (n < (ssize_t)(len - used) && reader_fill(&rd) > 0)
			n = (ssize_t)(rd.len - rd.off);
		assert_int_equal((size_t)n, len - used);
		memcpy(rest, rd.buf + rd.off, (size_t)n < sizeof(rest) ?
		    (size_t)n : sizeof(rest));
		assert_memory_equal(rest, in + used, (size_t)n < sizeof(rest) ?
		    (size_t)n : sizeof(rest));
	}
	reader_free(&rd);
	spool_close(&sp);
	(void)close(sv[0]);
	reader_fd = -1;
	assert_int_equal(waitpid(writer, NULL, 0), writer);
	writer = -1;
	buf_free(&want);
	buf_free(&got);
	buf_free(&why);
}

static const size_t splits[][3] = {
	{ 1, 1, 1 }, { 2, 2, 2 }, { 3, 3, 3 }, { 1, 2, 3 }, { 7, 5, 1 },
	{ 2046, 1, 1 }, { 2047, 1, 2 }, { 2048, 2, 1 }, { 4096, 4096, 4096 },
	/*
	 * Below the reader's 64 KiB window: a seqpacket larger than the
	 * room left would be cut, which is the socket's doing, not ours.
	 */
	{ 65534, 1, 2 }, { 32768, 32768, 32768 },
};

/*
 * Every split for short inputs; for long ones only the splits whose pieces
 * are not tiny (a 1 MiB line a byte at a time proves nothing more than a
 * 64 KiB one does, and costs a million system calls).
 */
static void
check_all_splits(const char *in, size_t len)
{
	for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++)
		if (len < 70000 || splits[i][0] >= 2046)
			check_split(in, len, splits[i], 3);
}

/* Dot-stuffing, CRLF and bare LF, the end marker, text after it. */
static void
test_data_basic(void **state)
{
	static const char *cases[] = {
		"Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		"..a\r\n.\r\n",
		"..\r\n...\r\n.x\r\n.\r\n",
		"bare\nlf\n.\nNOOP\n",
		"cr\rinside\r\n\r\r\n.\r\n",
		".\r\n",
		"no end\r\n",
		"x\r\n.\r",
		"a\r\n..\r\n.\r\n.\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_all_splits(cases[i], strlen(cases[i]));
}

/*
 * CVE-2000-0319: lines of 2046, 2047, 2048 bytes and 1 MiB that end in a
 * dot, lines that are all dots, and the end marker right after them.
 */
static void
test_data_long_lines(void **state)
{
	static const size_t lens[] = { 2045, 2046, 2047, 2048, 2049, 4095,
	    4096, 65535, 65536, 65537, 1 << 20 };
	struct buf in = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (int fill = 0; fill < 2; fill++) {
			buf_reset(&in);
			for (size_t k = 0; k + 1 < lens[i]; k++)
				buf_append_byte(&in, fill ? '.' : 'a');
			buf_append_str(&in, ".\r\n.\r\nafter\r\n");
			check_all_splits(in.data, in.len);
			/* The same with bare LF. */
			buf_truncate(&in, lens[i]);
			buf_append_str(&in, "\n.\nafter\n");
			check_all_splits(in.data, in.len);
		}
	}
	buf_free(&in);
}

/* The end marker split between every pair of pieces. */
static void
test_data_marker_splits(void **state)
{
	const char *msg = "line one\r\nline two.\r\n.\r\nNEXT\r\n";
	size_t len = strlen(msg);

	(void)state;
	for (size_t a = 1; a < len; a++)
		for (size_t b = 1; b < 4; b++) {
			size_t p[3] = { a, b, len };

			check_split(msg, len, p, 3);
		}
}

/* spool_put by itself: a CR at the end of one call, LF in the next. */
static void
test_spool_crlf(void **state)
{
	struct buf why = BUF_INIT, got = BUF_INIT;
	struct spool sp;

	(void)state;
	assert_int_equal(spool_open(&sp, 1000, true, &why), 0);
	spool_put(&sp, "a\r", 2);
	spool_put(&sp, "\nb\r", 3);
	spool_put(&sp, "c\r", 2);
	assert_int_equal(spool_finish(&sp), 0);
	spool_bytes(&sp, &got);
	/* A final lone CR is kept, and the missing final LF added. */
	assert_int_equal(got.len, 7);
	assert_memory_equal(got.data, "a\nb\rc\r\n", 7);
	spool_close(&sp);
	buf_free(&why);
	buf_free(&got);
}

/* The size limit: over it, spool_finish fails and too_big is set. */
static void
test_spool_limit(void **state)
{
	struct buf why = BUF_INIT;
	struct spool sp;
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(spool_open(&sp, 2048, false, &why), 0);
	spool_put(&sp, big, sizeof(big));
	assert_int_equal(spool_finish(&sp), -1);
	assert_true(sp.too_big);
	spool_reset(&sp);
	spool_put(&sp, big, 100);
	assert_int_equal(spool_finish(&sp), 0);
	assert_int_equal(sp.size, 101);
	spool_close(&sp);
	buf_free(&why);
}

/* Delivered-To: values from the header only, folded, any case. */
static void
test_spool_delivered_to(void **state)
{
	static const char msg[] =
	    "Received: x\r\nDELIVERED-TO:   Bob@Example.ORG  \r\n"
	    "Delivered-To:\r\n alice@x\r\nSubject: s\r\n\r\n"
	    "Delivered-To: carol@x\r\n";
	struct buf why = BUF_INIT;
	struct spool sp;

	(void)state;
	assert_int_equal(spool_open(&sp, 10000, false, &why), 0);
	for (size_t i = 0; i < sizeof(msg) - 1; i++)
		spool_put(&sp, msg + i, 1);	/* byte by byte */
	assert_int_equal(spool_finish(&sp), 0);
	assert_true(spool_seen_delivered_to(&sp, "bob@example.org"));
	assert_true(spool_seen_delivered_to(&sp, "alice@x"));
	assert_false(spool_seen_delivered_to(&sp, "carol@x"));
	assert_false(spool_seen_delivered_to(&sp, "bob"));
	spool_close(&sp);
	buf_free(&why);
}

/* Command lines: the limit, CRLF and LF, a too-long line is dropped whole. */
static void
test_reader_line(void **state)
{
	struct buf line = BUF_INIT, in = BUF_INIT;
	struct reader rd;
	int sv[2];

	(void)state;
	buf_append_str(&in, "NOOP\r\nbare\n");
	for (int i = 0; i < 5000; i++)
		buf_append_byte(&in, 'x');
	buf_append_str(&in, "\r\nQUIT\r\nlast");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], in.data, in.len), (ssize_t)in.len);
	(void)close(sv[1]);
	reader_init(&rd, sv[0], 1000);
	assert_int_equal(reader_line(&rd, &line, 2048), 1);
	assert_string_equal(buf_cstr(&line), "NOOP");
	assert_int_equal(reader_line(&rd, &line, 2048), 1);
	assert_string_equal(buf_cstr(&line), "bare");
	assert_int_equal(reader_line(&rd, &line, 2048), -2);
	assert_int_equal(reader_line(&rd, &line, 2048), 1);
	assert_string_equal(buf_cstr(&line), "QUIT");
	assert_int_equal(reader_line(&rd, &line, 2048), 0);	/* no LF */
	reader_free(&rd);
	(void)close(sv[0]);
	buf_free(&line);
	buf_free(&in);
}

/* BDAT chunks: raw bytes, exact count, CRLF across chunk ends. */
static void
test_reader_chunk(void **state)
{
	struct buf why = BUF_INIT, got = BUF_INIT;
	struct reader rd;
	struct spool sp;
	int sv[2];
	static const char in[] = "a\r\n.\r\nb\rc\r\nREST";

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], in, sizeof(in) - 1),
	    (ssize_t)sizeof(in) - 1);
	(void)close(sv[1]);
	reader_init(&rd, sv[0], 1000);
	assert_int_equal(spool_open(&sp, 1000, true, &why), 0);
	assert_int_equal(reader_chunk(&rd, &sp, 8), 0);	/* ends in CR */
	assert_int_equal(reader_chunk(&rd, &sp, 3), 0);
	assert_int_equal(spool_finish(&sp), 0);
	spool_bytes(&sp, &got);
	assert_int_equal(got.len, 8);
	assert_memory_equal(got.data, "a\n.\nb\rc\n", 8);
	assert_int_equal(reader_chunk(&rd, NULL, 5), -1);	/* only 4 */
	reader_free(&rd);
	spool_close(&sp);
	(void)close(sv[0]);
	buf_free(&why);
	buf_free(&got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_data_basic, writer_stop),
		cmocka_unit_test_teardown(test_data_long_lines, writer_stop),
		cmocka_unit_test_teardown(test_data_marker_splits,
		    writer_stop),
		cmocka_unit_test(test_spool_crlf),
		cmocka_unit_test(test_spool_limit),
		cmocka_unit_test(test_spool_delivered_to),
		cmocka_unit_test(test_reader_line),
		cmocka_unit_test(test_reader_chunk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
