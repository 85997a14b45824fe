/*
 * Fuzz target for `sendmail -bs` (submit/smtp.c, with message.c reading
 * the data and queue.c writing it): any bytes as what the SMTP client
 * sends.  The session runs for real against a client queue in a private
 * directory, emptied after each input and removed at exit: below /run
 * for root (a tmpfs: fsync is cheap; every directory above the queue must
 * be unwritable by others, as queue.c checks, so not /tmp or /dev/shm),
 * else below the current directory, where queue.c refuses the queue (it
 * must be root's) and each session stops at its first DATA with a 451.
 * The session must end and never crash; an exit through submit_fail
 * (only I/O errors lead there) is a finding.  FUZZ_BS_OUT=/dev/stderr
 * shows the replies.
 */
#include <config.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/cqueue.h"
#include "lib/iox.h"

#include "submit/submit.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * The queue directory's name as mkdtemp(3) wants it: it replaces the six
 * trailing X's with a unique suffix (a template, not a placeholder).
 */
#define QDIR_TEMPLATE	"postern-fuzz-bs.XXXXXX"
static char *qdir;
static FILE *out;

/*
 * queue.c takes these signals over once a session queues (to remove its
 * temporary file and exit 75): given back to libFuzzer after each
 * session.  Handlers are the process's, and libFuzzer's other thread
 * would take a SIGALRM during a session into queue.c's handler, so
 * `make fuzz` runs this target with -timeout=0 (no per-input alarm) and
 * bounds the whole run with timeout(1) instead.
 */
static struct sigaction fuzzer_sa[16];	/* for queue_signals[] */

void
submit_fail(int code, const char *fmt, ...)
{
	(void)fprintf(stderr, "submit_fail(%d, %s) reached\n", code, fmt);
	abort();
}

static void empty(const char *sub);

/* At exit: the queue directory goes. */
static void
cleanup(void)
{
	static const char *const sub[] = { "submit/new", "submit/tmp",
	    "submit", "postern.conf" };
	struct buf path = BUF_INIT;

	empty("submit/new");
	empty("submit/tmp");
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", qdir, sub[i]);
		(void)remove(buf_cstr(&path));
	}
	(void)rmdir(qdir);
	buf_free(&path);
}

/* A queue directory of our own and a postern.conf naming it. */
static void
setup(void)
{
	static const char *const sub[] = { "submit", "submit/tmp",
	    "submit/new" };
	struct buf path = BUF_INIT, why = BUF_INIT;
	char *o = getenv("FUZZ_BS_OUT"), *cwd = NULL;
	FILE *f;

	if (getuid() == 0 && access("/run", W_OK) == 0)
		buf_append_str(&path, "/run");
	else if ((cwd = getcwd(NULL, 0)) != NULL)
		buf_append_str(&path, cwd);
	else
		abort();
	free(cwd);
	buf_append_str(&path, "/" QDIR_TEMPLATE);
	qdir = buf_steal(&path);
	if (mkdtemp(qdir) == NULL || chmod(qdir, 0755) < 0 ||
	    atexit(cleanup) != 0)
		abort();
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", qdir, sub[i]);
		if (mkdir(buf_cstr(&path), 0700) < 0)
			abort();
	}
	buf_reset(&path);
	buf_printf(&path, "%s/postern.conf", qdir);
	if ((f = fopen(buf_cstr(&path), "w")) == NULL)
		abort();
	(void)fprintf(f, "queue_directory = %s\nmyhostname = fuzz.example\n"
	    "message_size_limit = 65536\n", qdir);
	if (fclose(f) != 0 || config_load(buf_cstr(&path), 0, &why) < 0)
		abort();
	if ((out = fopen(o != NULL ? o : "/dev/null", "w")) == NULL)
		abort();
	if (queue_nsignals > sizeof(fuzzer_sa) / sizeof(fuzzer_sa[0]))
		abort();
	for (size_t i = 0; i < queue_nsignals; i++)
		if (sigaction(queue_signals[i], NULL, &fuzzer_sa[i]) < 0)
			abort();
	buf_free(&path);
	buf_free(&why);
}

/* Remove what the session queued. */
static void
empty(const char *sub)
{
	struct buf path = BUF_INIT;
	struct dirent *d;
	DIR *dir;
	int fd;

	buf_printf(&path, "%s/%s", qdir, sub);
	if ((dir = opendir(buf_cstr(&path))) == NULL)
		abort();
	fd = dirfd(dir);
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.' && unlinkat(fd, d->d_name, 0) < 0)
			abort();
	(void)closedir(dir);
	buf_free(&path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct submit s;
	int in;

	if (out == NULL)
		setup();
	if ((in = memfd_create("bs-in", MFD_CLOEXEC)) < 0)
		abort();
	if (iox_write_full(in, data, size) < 0 || lseek(in, 0, SEEK_SET) != 0)
		abort();
	memset(&s, 0, sizeof(s));
	s.uid = getuid();
	s.user = (char *)(uintptr_t)"fuzz";
	s.hostname = "fuzz.example";
	s.limit = config_num(CF_message_size_limit);
	s.in.fd = in;
	s.in.limit = s.limit;
	cq_env_init(&s.env);
	(void)smtp_session(&s, out);
	for (size_t i = 0; i < queue_nsignals; i++)
		if (sigaction(queue_signals[i], &fuzzer_sa[i], NULL) < 0)
			abort();
	cq_env_free(&s.env);
	free(s.in.buf);
	(void)close(in);
	empty("submit/new");
	empty("submit/tmp");
	return 0;
}
