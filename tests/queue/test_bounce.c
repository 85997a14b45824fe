/*
 * Unit tests for queue/bounce.c: a report for two recipients is parsed
 * back by a small reader of our own (the header fields, the multipart
 * structure by its boundary lines, the delivery-status fields of each
 * recipient, the original's header section copied exactly and its body
 * left out, or the whole original with ret_full), the delay variant, the
 * cleaning of CR/LF in outside data, and, when python3 is there, Python's
 * email parser reading the same bytes as a multipart/report.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/iox.h"

#include "tests/lib/testutil.h"
#include "queue/queue.h"

#define HDRS	"From: Alice <alice@example.org>\n" \
		"To: bob@remote.test, nobody@local.test\n" \
		"Subject: hello\n" \
		"X-Folded: first\n\tsecond\n"
#define STARTS(s, lit)	(strncmp((s), lit, sizeof(lit) - 1) == 0)
#define BODY	"body line one\n.secret body\n--not a boundary\n"

static const struct bounce_rcpt rcpts[] = {
	{ "bob@remote.test", "Bob@Remote.test", EX_UNAVAILABLE, "5.1.1",
	    "mx.remote.test[192.0.2.1] said: 550 5.1.1 <bob@remote.test>: "
	    "no such user (in reply to RCPT TO command)",
	    "mx.remote.test[192.0.2.1]", 1700000000 },
	{ "nobody@local.test", NULL, EX_NOUSER, NULL,
	    "user unknown\r\nInjected: yes", NULL, 1700000100 },
};

/* A memfd holding s. */
static int
memfile(const char *s, size_t n)
{
	int fd = memfd_create("orig", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(iox_write_full(fd, s, n), 0);
	return fd;
}

/* Run bounce_write for msg and return its output in out. */
static int
run(const char *msg, bool delay, bool full, struct buf *out)
{
	struct bounce_req req;
	int in, o, rc;

	in = memfile(msg, strlen(msg));
	/* A moved offset must not matter: bounce.c reads with pread. */
	assert_true(lseek(in, 3, SEEK_SET) == 3);
	o = memfd_create("out", MFD_CLOEXEC);
	assert_true(o >= 0);
	memset(&req, 0, sizeof(req));
	req.hostname = "mx.test";
	req.queue_id = "Q1234";
	req.sender = "alice@example.org";
	req.envid = delay ? NULL : "env-1";
	req.arrival = 1700000000 - 7200;
	req.retry_until = 1700000000 + 86400 * 4;
	req.delay = delay;
	req.ret_full = full;
	req.rcpts = rcpts;
	req.nrcpts = 2;
	req.msgfd = in;
	req.msg_off = 0;
	req.msg_size = (off_t)strlen(msg);
	rc = bounce_write(o, &req);
	buf_reset(out);
	assert_true(lseek(o, 0, SEEK_SET) == 0);
	assert_int_equal(iox_read_all(o, out, 1 << 24), 0);
	(void)close(in);
	(void)close(o);
	return rc;
}

/* The body after the headers, and one header's value (first line). */
static const char *
header(struct buf *m, const char *name, struct buf *val)
{
	const char *s = buf_cstr(m), *end, *p, *e;
	size_t n = strlen(name);

	end = strstr(s, "\n\n");
	assert_non_null(end);
	for (p = s; p < end; p = strchr(p, '\n') + 1)
		if (strncmp(p, name, n) == 0 && p[n] == ':' && p[n + 1] == ' ') {
			e = strchr(p, '\n');
			buf_reset(val);
			buf_append(val, p + n + 2, (size_t)(e - p) - n - 2);
			return end + 2;
		}
	return NULL;
}

/* Split the multipart body into its parts by "--B" lines; count them. */
static size_t
parts(const char *body, const char *bnd, struct buf part[3])
{
	struct buf delim = BUF_INIT;
	const char *p, *q;
	size_t k = 0;
	bool closed = false;

	buf_printf(&delim, "\n--%s", bnd);
	p = strstr(body, buf_cstr(&delim));
	assert_non_null(p);
	for (;;) {
		p += delim.len;
		if (strncmp(p, "--\n", 3) == 0) {
			closed = p[3] == '\0';
			break;
		}
		assert_true(*p == '\n');
		p++;
		q = strstr(p, buf_cstr(&delim));
		assert_non_null(q);
		assert_true(k < 3);
		buf_init(&part[k]);
		buf_append(&part[k], p, (size_t)(q - p));
		k++;
		p = q;
	}
	assert_true(closed);
	buf_free(&delim);
	return k;
}

/* Every line short, no CR, no NUL. */
static void
check_lines(const struct buf *m)
{
	size_t i, col = 0;

	for (i = 0; i < m->len; i++) {
		assert_true(m->data[i] != '\r' && m->data[i] != '\0');
		col = m->data[i] == '\n' ? 0 : col + 1;
		assert_true(col < 998);
	}
}

static void
test_failure_report(void **state)
{
	struct buf m = BUF_INIT, v = BUF_INIT, p[3];
	const char *body, *ds, *r2, *s;

	(void)state;
	assert_int_equal(run(HDRS "\n" BODY, false, false, &m), 0);
	check_lines(&m);
	assert_non_null(header(&m, "From", &v));
	assert_string_equal(buf_cstr(&v),
	    "Mail Delivery System <MAILER-DAEMON@mx.test>");
	header(&m, "To", &v);
	assert_string_equal(buf_cstr(&v), "<alice@example.org>");
	header(&m, "Subject", &v);
	assert_string_equal(buf_cstr(&v), "Undelivered Mail Returned to Sender");
	header(&m, "Auto-Submitted", &v);
	assert_string_equal(buf_cstr(&v), "auto-replied");
	header(&m, "MIME-Version", &v);
	assert_string_equal(buf_cstr(&v), "1.0");
	assert_non_null(header(&m, "Message-ID", &v));
	assert_true(strncmp(buf_cstr(&v), "<Q1234.bounce.", 14) == 0);
	assert_non_null(strstr(buf_cstr(&v), "@mx.test>"));
	assert_non_null(header(&m, "Date", &v));
	/* "Tue, 14 Nov 2023 22:13:20 +0000": day, date, time, zone. */
	s = buf_cstr(&v);
	assert_true(s[3] == ',' && s[4] == ' ');
	assert_non_null(strchr("+-", s[strlen(s) - 5]));

	/* The boundary, on the folded Content-Type line. */
	s = strstr(buf_cstr(&m), "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"");
	assert_non_null(s);
	s = strchr(s, '"') + 1;
	buf_reset(&v);
	buf_append(&v, s, (size_t)(strchr(s, '"') - s));
	assert_true(v.len > 30);
	body = strstr(buf_cstr(&m), "\n\n") + 1;
	assert_int_equal(parts(body, buf_cstr(&v), p), 3);

	/* Part 1: text for people, one paragraph per recipient. */
	assert_true(STARTS(p[0].data, "Content-Description: Notification\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n"));
	assert_non_null(strstr(buf_cstr(&p[0]), "<bob@remote.test>: "
	    "mx.remote.test[192.0.2.1] said: 550 5.1.1"));
	assert_non_null(strstr(buf_cstr(&p[0]), "<nobody@local.test>: user "
	    "unknown??Injected: yes"));

	/* Part 2: the delivery status, fields per message and recipient. */
	ds = strstr(buf_cstr(&p[1]), "Content-Type: message/delivery-status"
	    "\n\n");
	assert_non_null(ds);
	ds = strchr(ds, '\n') + 2;
	assert_true(STARTS(ds, "Reporting-MTA: dns; mx.test\n"
	    "X-Postern-Queue-ID: Q1234\nOriginal-Envelope-Id: env-1\n"
	    "Arrival-Date: "));
	assert_non_null(strstr(ds, "\n\nFinal-Recipient: rfc822; "
	    "bob@remote.test\nOriginal-Recipient: rfc822; Bob@Remote.test\n"
	    "Action: failed\nStatus: 5.1.1\n"
	    "Remote-MTA: dns; mx.remote.test\n"
	    "Diagnostic-Code: smtp; mx.remote.test[192.0.2.1] said: 550 5.1.1\n"
	    " <bob@remote.test>: no such user (in reply to RCPT TO command)\n"
	    "Last-Attempt-Date: "));
	r2 = strstr(ds, "\n\nFinal-Recipient: rfc822; nobody@local.test\n"
	    "Action: failed\nStatus: 5.0.0\n"
	    "Diagnostic-Code: x-unix; user unknown??Injected: yes\n"
	    "Last-Attempt-Date: ");
	assert_non_null(r2);
	assert_null(strstr(ds, "Will-Retry-Until"));
	assert_null(strstr(buf_cstr(&m), "\nInjected: yes"));

	/* Part 3: the original's headers exactly, and not its body. */
	assert_string_equal(buf_cstr(&p[2]), "Content-Description: "
	    "Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
	    HDRS);
	assert_null(strstr(buf_cstr(&m), "secret"));
	for (int i = 0; i < 3; i++)
		buf_free(&p[i]);
	buf_free(&m);
	buf_free(&v);
}

static void
test_ret_full(void **state)
{
	struct buf m = BUF_INIT, v = BUF_INIT, p[3];
	const char *s;

	(void)state;
	assert_int_equal(run(HDRS "\n" BODY, false, true, &m), 0);
	s = strstr(buf_cstr(&m), "boundary=\"") + 10;
	buf_append(&v, s, (size_t)(strchr(s, '"') - s));
	assert_int_equal(parts(strstr(buf_cstr(&m), "\n\n") + 1,
	    buf_cstr(&v), p), 3);
	assert_string_equal(buf_cstr(&p[2]), "Content-Description: "
	    "Undelivered Message\nContent-Type: message/rfc822\n\n"
	    HDRS "\n" BODY);
	for (int i = 0; i < 3; i++)
		buf_free(&p[i]);
	buf_free(&m);
	buf_free(&v);
}

static void
test_delay(void **state)
{
	struct buf m = BUF_INIT, v = BUF_INIT;

	(void)state;
	assert_int_equal(run(HDRS "\n" BODY, true, false, &m), 0);
	check_lines(&m);
	header(&m, "Subject", &v);
	assert_string_equal(buf_cstr(&v), "Delayed Mail (still being retried)");
	assert_non_null(strstr(buf_cstr(&m), "THIS IS A WARNING ONLY"));
	assert_non_null(strstr(buf_cstr(&m), "\nAction: delayed\nStatus: "
	    "5.1.1\n"));
	assert_non_null(strstr(buf_cstr(&m), "\nAction: delayed\nStatus: "
	    "4.0.0\n"));
	assert_null(strstr(buf_cstr(&m), "Action: failed"));
	assert_null(strstr(buf_cstr(&m), "Original-Envelope-Id"));
	assert_non_null(strstr(buf_cstr(&m), "\nWill-Retry-Until: "));
	buf_free(&m);
	buf_free(&v);
}

static void
test_edges(void **state)
{
	struct buf m = BUF_INIT;
	struct bounce_req req;
	int in;

	(void)state;
	/* Headers only, no final newline: the part still ends in one. */
	assert_int_equal(run("Subject: x", false, false, &m), 0);
	assert_non_null(strstr(buf_cstr(&m), "text/rfc822-headers\n\n"
	    "Subject: x\n\n--"));
	/* An empty header section. */
	assert_int_equal(run("\nbody only\n", false, false, &m), 0);
	assert_null(strstr(buf_cstr(&m), "body only"));
	/* A file shorter than msg_size: an error, EIO. */
	in = memfile("short\n", 6);
	memset(&req, 0, sizeof(req));
	req.hostname = "mx.test";
	req.queue_id = "Q1";
	req.sender = "a@b";
	req.rcpts = rcpts;
	req.nrcpts = 1;
	req.msgfd = in;
	req.msg_size = 100;
	req.ret_full = true;
	errno = 0;
	assert_int_equal(bounce_write(-1, &req), -1);
	assert_int_equal(errno, EIO);
	(void)close(in);
	buf_free(&m);
}

static const char pycheck[] =
    "import email, sys\n"
    "m = email.message_from_bytes(open(sys.argv[1], 'rb').read())\n"
    "assert m.get_content_type() == 'multipart/report', m.get_content_type()\n"
    "assert m.get_param('report-type') == 'delivery-status'\n"
    "p = m.get_payload()\n"
    "assert [x.get_content_type() for x in p] == ['text/plain',"
    " 'message/delivery-status', sys.argv[2]], p\n"
    "ds = p[1].get_payload()\n"
    "assert ds[0]['Reporting-MTA'] == 'dns; mx.test', ds[0].items()\n"
    "got = [(b['Final-Recipient'], b['Action'], b['Status']) for b in ds[1:]]\n"
    "assert got == [('rfc822; bob@remote.test', 'failed', '5.1.1'),"
    " ('rfc822; nobody@local.test', 'failed', '5.0.0')], got\n";

/* Python's email package reads the report as we meant it. */
static void
python_check(bool full)
{
	struct buf m = BUF_INIT, cmd = BUF_INIT, tree = BUF_INIT;
	int dfd, rc;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		skip();
	assert_int_equal(run(HDRS "\n" BODY, false, full, &m), 0);
	test_mktree(&tree, "test_bounce");
	assert_true((dfd = open(buf_cstr(&tree), O_RDONLY | O_DIRECTORY)) >= 0);
	assert_int_equal(iox_atomic_replace(dfd, "report", m.data, m.len,
	    0600), 0);
	assert_int_equal(iox_atomic_replace(dfd, "check.py", pycheck,
	    sizeof(pycheck) - 1, 0600), 0);
	(void)close(dfd);
	buf_printf(&cmd, "python3 %s/check.py %s/report %s", buf_cstr(&tree),
	    buf_cstr(&tree), full ? "message/rfc822" : "text/rfc822-headers");
	rc = system(buf_cstr(&cmd));
	assert_int_equal(test_rmtree(buf_cstr(&tree)), 0);
	assert_int_equal(rc, 0);
	buf_free(&m);
	buf_free(&cmd);
	buf_free(&tree);
}

static void
test_python_headers(void **state)
{
	(void)state;
	python_check(false);
}

static void
test_python_full(void **state)
{
	(void)state;
	python_check(true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failure_report),
		cmocka_unit_test(test_ret_full),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_python_headers),
		cmocka_unit_test(test_python_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
