/*
 * Unit tests for mail.local/command.c: each promise of cmd_deliver() is
 * checked by a program that reports what it saw into a file of a private
 * temporary tree: its stdin (prefix + spool, byte for byte), its
 * environment (/proc/$$/environ: what execve got, before the shell adds
 * anything), its descriptors, cwd, umask, signal state and session; the
 * exit code and RFC 3463 mapping; bounded output (100 MB written, memory
 * stays flat); the time limit killing the whole process group; a daemon
 * holding the output pipe not delaying the result; a program that does
 * not read its input; and restricted mode (metacharacters, programs not
 * in the directory, argv split without a shell).  Runs as any user.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "tests/lib/testutil.h"

#include "mail.local/mail_local.h"

#define PREFIX	"From sender@example.org Thu Jan  1 00:00:00 1970\n" \
		"Delivered-To: u@example.org\n"

/* Per-test state: a tree, a spool, a request. */
struct fix {
	struct buf	 tree;
	struct buf	 path;		/* scratch for file names */
	struct buf	 cmd;
	char		*env[5];
	struct cmd_req	 req;
	struct dresult	 res;
	int		 spool;
};

static const char msg_bytes[] = "Subject: test\n\nbody \001\377 nul\000x line\n"
    "From the start\n";
#define MSG_LEN	(sizeof(msg_bytes) - 1)

/* Fill the spool with len bytes of data. */
static void
fix_spool(struct fix *f, const char *data, size_t len)
{
	assert_int_equal(ftruncate(f->spool, 0), 0);
	assert_int_equal(pwrite(f->spool, data, len, 0), (ssize_t)len);
	f->req.size = (off_t)len;
}

/* A fresh tree, spool and request for each test. */
static int
setup(void **state)
{
	struct fix *f = xcalloc(1, sizeof(*f));

	test_mktree(&f->tree, "test_command");
	f->env[0] = xstrdup("PATH=/usr/bin:/bin");
	f->env[1] = xstrdup("SENDER=sender@example.org");
	f->env[2] = xstrdup("FOO=two  words=x");
	buf_setf(&f->path, "HOME=%s", f->tree.data);
	f->env[3] = buf_steal(&f->path);
	f->env[4] = NULL;
	f->spool = memfd_create("spool", MFD_CLOEXEC);
	assert_true(f->spool >= 0);
	f->req.command = "true";
	f->req.env = f->env;
	f->req.home = f->tree.data;
	f->req.spool_fd = f->spool;
	f->req.prefix = PREFIX;
	f->req.prefix_len = sizeof(PREFIX) - 1;
	f->req.time_limit = 20;
	f->req.output_limit = 1000;
	fix_spool(f, msg_bytes, MSG_LEN);
	/* A hang in cmd_deliver is a failure, not a stuck test run. */
	(void)alarm(60);
	*state = f;
	return 0;
}

/* Check nothing was left running or unreaped, then clean up. */
static int
teardown(void **state)
{
	struct fix *f = *state;
	int st;

	(void)alarm(0);
	/* No zombie, no child left behind by cmd_deliver. */
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(test_rmtree(f->tree.data), 0);
	for (int i = 0; f->env[i] != NULL; i++)
		free(f->env[i]);
	(void)close(f->spool);
	buf_free(&f->tree);
	buf_free(&f->path);
	buf_free(&f->cmd);
	buf_free(&f->res.text);
	free(f);
	return 0;
}

/* The path of name in the tree (valid until the next call). */
static const char *
tpath(struct fix *f, const char *name)
{
	buf_setf(&f->path, "%s/%s", f->tree.data, name);
	return buf_cstr(&f->path);
}

/* Run the command given as a printf format. */
static void
run(struct fix *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
run(struct fix *f, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&f->cmd);
	va_start(ap, fmt);
	buf_vprintf(&f->cmd, fmt, ap);
	va_end(ap);
	f->req.command = buf_cstr(&f->cmd);
	f->res.status = -1;
	f->res.dsn = "unset";
	cmd_deliver(&f->req, &f->res);
}

/* Read a whole file from the tree into b; -1 if it does not exist. */
static int
slurp(struct fix *f, const char *name, struct buf *b)
{
	char tmp[4096];
	ssize_t n;
	int fd;

	buf_reset(b);
	if ((fd = open(tpath(f, name), O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_append(b, tmp, (size_t)n);
	assert_true(n == 0);
	(void)close(fd);
	return 0;
}

/* Does the text contain s? */
static bool
text_has(struct fix *f, const char *s)
{
	return strstr(buf_cstr(&f->res.text), s) != NULL;
}

/* Seconds since t0. */
static double
since(const struct timespec *t0)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Wait up to 5 s for pid to be gone (or a zombie of someone else). */
static bool
pid_gone(pid_t pid)
{
	char p[64], st[512];

	for (int i = 0; i < 100; i++) {
		FILE *fp;

		if (kill(pid, 0) == -1 && errno == ESRCH)
			return true;
		(void)snprintf(p, sizeof(p), "/proc/%ld/stat", (long)pid);
		if ((fp = fopen(p, "re")) != NULL) {
			char *rp = NULL;

			if (fgets(st, sizeof(st), fp) != NULL)
				rp = strrchr(st, ')');
			(void)fclose(fp);
			if (rp != NULL && rp[1] == ' ' && rp[2] == 'Z')
				return true;	/* killed, not yet reaped */
		}
		(void)usleep(50000);
	}
	return false;
}

/* Read the pid a program wrote into name. */
static pid_t
read_pid(struct fix *f, const char *name)
{
	struct buf b = BUF_INIT;
	long v;

	assert_int_equal(slurp(f, name, &b), 0);
	v = strtol(buf_cstr(&b), NULL, 10);
	buf_free(&b);
	assert_true(v > 1);
	return (pid_t)v;
}

/* (1) stdin is the prefix then the spool, exactly; the spool offset stays. */
static void
test_stdin_bytes(void **state)
{
	struct fix *f = *state;
	struct buf got = BUF_INIT, want = BUF_INIT;

	assert_int_equal(lseek(f->spool, 7, SEEK_SET), 7);
	run(f, "cat > %s", tpath(f, "in"));
	assert_int_equal(f->res.status, EX_OK);
	assert_null(f->res.dsn);
	buf_setf(&want, "delivered to command: cat > %s", tpath(f, "in"));
	assert_string_equal(buf_cstr(&f->res.text), buf_cstr(&want));
	assert_int_equal(slurp(f, "in", &got), 0);
	buf_reset(&want);
	buf_append(&want, PREFIX, sizeof(PREFIX) - 1);
	buf_append(&want, msg_bytes, MSG_LEN);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	assert_int_equal(lseek(f->spool, 0, SEEK_CUR), 7);

	/* An empty message: the prefix only. */
	fix_spool(f, "", 0);
	run(f, "cat > %s", tpath(f, "in"));
	assert_int_equal(f->res.status, EX_OK);
	assert_int_equal(slurp(f, "in", &got), 0);
	assert_true(buf_eq(&got, PREFIX, sizeof(PREFIX) - 1));
	buf_free(&got);
	buf_free(&want);
}

/* (2) the environment execve got is exactly req->env. */
static void
test_env_exact(void **state)
{
	struct fix *f = *state;
	struct buf got = BUF_INIT, want = BUF_INIT;

	assert_int_equal(setenv("POSTERN_LEAK", "1", 1), 0);
	run(f, "cat /proc/$$/environ > %s", tpath(f, "env"));
	assert_int_equal(f->res.status, EX_OK);
	assert_int_equal(slurp(f, "env", &got), 0);
	for (int i = 0; f->env[i] != NULL; i++)
		buf_append(&want, f->env[i], strlen(f->env[i]) + 1);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	(void)unsetenv("POSTERN_LEAK");
	buf_free(&got);
	buf_free(&want);
}

/* Append the lines of /proc/self/status that start with key. */
static void
status_lines(struct buf *b, const char *key)
{
	char line[512];
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			buf_append_str(b, line);
	(void)fclose(fp);
}

/*
 * The test binary, run as a program by cmd_deliver: write "FD TARGET"
 * for each open fd, then SigBlk: and SigIgn:, into out.
 */
static int
state_dump(const char *out)
{
	struct buf b = BUF_INIT;
	struct dirent *de;
	char p[320], target[256];
	DIR *d;
	int fd;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return 1;
	while ((de = readdir(d)) != NULL) {
		ssize_t n;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		(void)snprintf(p, sizeof(p), "/proc/self/fd/%s", de->d_name);
		if ((n = readlink(p, target, sizeof(target) - 1)) < 0)
			n = 0;
		target[n] = '\0';
		buf_printf(&b, "%s %s\n", de->d_name, target);
	}
	(void)closedir(d);
	status_lines(&b, "SigBlk:");
	status_lines(&b, "SigIgn:");
	if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return 1;
	if (write(fd, b.data, b.len) != (ssize_t)b.len || close(fd) != 0)
		return 1;
	buf_free(&b);
	return 0;
}

/* Check a state_dump: fds 0-2 only (a pipe in, one pipe out), no signal
 * blocked or ignored. */
static void
check_state(struct buf *got)
{
	char in[128], o1[128], o2[128], blk[64], ign[64];
	int n = 0;

	assert_int_equal(sscanf(buf_cstr(got), "0 %127s\n1 %127s\n2 %127s\n"
	    "SigBlk:\t%63s\nSigIgn:\t%63s\n%n", in, o1, o2, blk, ign, &n), 5);
	assert_int_equal((size_t)n, got->len);
	assert_true(strncmp(in, "pipe:", 5) == 0);
	assert_true(strncmp(o1, "pipe:", 5) == 0);
	assert_string_equal(o1, o2);
	assert_string_not_equal(in, o1);
	assert_string_equal(blk, "0000000000000000");
	assert_string_equal(ign, "0000000000000000");
}

static char self_exe[4096];

/*
 * (3) only fds 0, 1, 2, even with the caller's fds left open; and (with
 * the caller ignoring and blocking signals) default signal state.
 */
static void
test_fds(void **state)
{
	struct fix *f = *state;
	struct buf got = BUF_INIT, dir = BUF_INIT;
	struct sigaction sa, old_term, old_usr;
	sigset_t blk, old_mask;
	int a, p[2];

	assert_true((a = open("/dev/null", O_RDONLY)) >= 0);
	assert_int_equal(dup2(a, 40), 40);
	assert_int_equal(pipe(p), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGTERM, &sa, &old_term), 0);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old_usr), 0);
	(void)sigemptyset(&blk);
	(void)sigaddset(&blk, SIGUSR2);
	(void)sigaddset(&blk, SIGHUP);
	assert_int_equal(sigprocmask(SIG_BLOCK, &blk, &old_mask), 0);

	/* Through the shell: exec keeps the fd table as sh had it. */
	run(f, "exec %s --cmd-state %s", self_exe, tpath(f, "state"));
	assert_int_equal(f->res.status, EX_OK);
	assert_int_equal(slurp(f, "state", &got), 0);
	check_state(&got);

	/* Restricted: exec'd directly. */
	assert_int_equal(unlink(tpath(f, "state")), 0);
	buf_setf(&dir, "%s/rbin", f->tree.data);
	assert_int_equal(mkdir(buf_cstr(&dir), 0755), 0);
	assert_int_equal(symlink(self_exe, tpath(f, "rbin/dump")), 0);
	f->req.restricted = true;
	f->req.restricted_dir = buf_cstr(&dir);
	run(f, "dump --cmd-state %s", tpath(f, "state"));
	assert_int_equal(f->res.status, EX_OK);
	assert_int_equal(slurp(f, "state", &got), 0);
	check_state(&got);
	f->req.restricted = false;
	f->req.restricted_dir = NULL;

	assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
	assert_int_equal(sigaction(SIGTERM, &old_term, NULL), 0);
	assert_int_equal(sigaction(SIGUSR1, &old_usr, NULL), 0);
	(void)close(a);
	(void)close(40);
	(void)close(p[0]);
	(void)close(p[1]);
	buf_free(&got);
	buf_free(&dir);
}

/* (4) exit codes. */
static void
test_exit_codes(void **state)
{
	static const struct {
		const char	*cmd;
		int		 status;
		const char	*text;
	} t[] = {
		{ "exit 0", EX_OK, "delivered to command: exit 0" },
		{ "exit 75", EX_TEMPFAIL, "command exit 75 exit 75" },
		{ "exit 67", EX_NOUSER, "command exit 67 exit 67" },
		{ "exit 77", EX_NOPERM, "command exit 77 exit 77" },
		{ "exit 64", EX_USAGE, "command exit 64 exit 64" },
		{ "exit 1", EX_UNAVAILABLE, "command exit 1 exit 1" },
		{ "exit 63", EX_UNAVAILABLE, "command exit 63 exit 63" },
		{ "exit 79", EX_UNAVAILABLE, "command exit 79 exit 79" },
		{ "exit 200", EX_UNAVAILABLE, "command exit 200 exit 200" },
		{ "echo oops >&2; exit 1", EX_UNAVAILABLE,
		    "command echo oops >&2; exit 1 exit 1: oops" },
		{ "/nonexistent/prog", EX_UNAVAILABLE,
		    "command /nonexistent/prog exit 127: " },
	};
	struct fix *f = *state;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		run(f, "%s", t[i].cmd);
		assert_int_equal(f->res.status, t[i].status);
		assert_null(f->res.dsn);
		assert_true(strncmp(buf_cstr(&f->res.text), t[i].text,
		    strlen(t[i].text)) == 0);
	}

	/* Killed by a signal: temporary, as Postfix. */
	run(f, "kill -SEGV $$");
	assert_int_equal(f->res.status, EX_TEMPFAIL);
	assert_string_equal(f->res.dsn, "4.3.0");
	assert_true(text_has(f, "killed by signal 11"));
}

/* (5) an RFC 3463 code at the start of the output after a failure. */
static void
test_dsn_override(void **state)
{
	static const struct {
		const char	*cmd;
		int		 status;
		const char	*dsn;
	} t[] = {
		{ "echo 4.2.2 mailbox full; exit 1", EX_TEMPFAIL, "4.2.2" },
		{ "echo 5.1.1 no such user; exit 75", EX_UNAVAILABLE,
		    "5.1.1" },
		{ "echo 5.1.1 no such user; exit 67", EX_NOUSER, "5.1.1" },
		{ "echo 5.7.1 go away; exit 1", EX_UNAVAILABLE, "5.7.1" },
		{ "echo 5.3.0; exit 70", EX_UNAVAILABLE, "5.3.0" },
		{ "echo 4.3.0; exit 67", EX_TEMPFAIL, "4.3.0" },
		{ "echo 2.0.0 ok anyway; exit 1", EX_OK, "2.0.0" },
		{ "echo 4.123.456 x; exit 1", EX_TEMPFAIL, "4.123.456" },
		{ "printf '4.2.2\\tx\\n'; exit 1", EX_TEMPFAIL, "4.2.2" },
		/* Not codes. */
		{ "echo 4.2 x; exit 1", EX_UNAVAILABLE, NULL },
		{ "echo 4.2.2x; exit 1", EX_UNAVAILABLE, NULL },
		{ "echo 4.1234.1 x; exit 1", EX_UNAVAILABLE, NULL },
		{ "echo 3.1.1 x; exit 1", EX_UNAVAILABLE, NULL },
		{ "echo ' 4.2.2 x'; exit 1", EX_UNAVAILABLE, NULL },
		{ "echo 4..2 x; exit 1", EX_UNAVAILABLE, NULL },
		/* After exit 0 the program has the message. */
		{ "echo 5.0.0 whatever; exit 0", EX_OK, NULL },
	};
	struct fix *f = *state;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		run(f, "%s", t[i].cmd);
		assert_int_equal(f->res.status, t[i].status);
		if (t[i].dsn == NULL)
			assert_null(f->res.dsn);
		else
			assert_string_equal(f->res.dsn, t[i].dsn);
	}
	run(f, "echo 4.2.2 mailbox full; exit 1");
	assert_string_equal(buf_cstr(&f->res.text),
	    "command echo 4.2.2 mailbox full; exit 1 exit 1: "
	    "4.2.2 mailbox full");
}

/* (6) the first output line, printable and bounded. */
static void
test_first_line(void **state)
{
	struct fix *f = *state;
	const char *t;

	run(f, "printf 'first\\tline\\033[31m\\r\\nsecond line\\n'; exit 1");
	assert_int_equal(f->res.status, EX_UNAVAILABLE);
	assert_non_null(t = strstr(buf_cstr(&f->res.text), "exit 1: "));
	assert_string_equal(t, "exit 1: first\\x09line\\x1b[31m");
	for (t = buf_cstr(&f->res.text); *t != '\0'; t++)
		assert_true(*t >= 0x20 && *t < 0x7f);

	/* A 5000-byte line: the text stays short. */
	run(f, "head -c 5000 /dev/zero | tr '\\0' a; exit 1");
	assert_int_equal(f->res.status, EX_UNAVAILABLE);
	assert_true(text_has(f, "exit 1: aaaa"));
	assert_true(f->res.text.len < 700);

	/* Output beyond output_limit is not kept at all. */
	f->req.output_limit = 10;
	run(f, "echo 0123456789abcdef; exit 1");
	assert_non_null(t = strstr(buf_cstr(&f->res.text), "exit 1: "));
	assert_string_equal(t, "exit 1: 0123456789");
	f->req.output_limit = 0;
	run(f, "echo 4.2.2 full; exit 1");
	assert_int_equal(f->res.status, EX_UNAVAILABLE);
	assert_null(f->res.dsn);
}

/* (7) 100 MB of output: read and dropped, memory does not grow. */
static void
test_flood(void **state)
{
	struct fix *f = *state;
	struct rusage before, after;
	struct timespec t0;

	assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	run(f, "yes | head -c 100000000; echo done >&2; exit 3");
	assert_true(since(&t0) < 15);
	assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);
	assert_int_equal(f->res.status, EX_UNAVAILABLE);
	assert_true(text_has(f, "exit 3: y"));
	assert_true(f->res.text.len <= 1000);
	/* ru_maxrss is in KiB: less than 20 MB more than before. */
	assert_true(after.ru_maxrss - before.ru_maxrss < 20 * 1024);

	/* Success too, when the program writes much and exits 0. */
	run(f, "head -c 30000000 /dev/zero");
	assert_int_equal(f->res.status, EX_OK);
}

/* (8) the time limit kills the whole process group. */
static void
test_time_limit(void **state)
{
	struct fix *f = *state;
	struct timespec t0;
	pid_t bg, sh;
	double el;

	f->req.time_limit = 1;
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	run(f, "trap '' TERM HUP INT; sleep 1000 & echo $! > %s/pid; "
	    "echo $$ > %s/pid.sh; echo started; sleep 1000", f->tree.data,
	    f->tree.data);
	el = since(&t0);
	assert_true(el >= 0.9 && el < 4);
	assert_int_equal(f->res.status, EX_UNAVAILABLE);
	assert_string_equal(f->res.dsn, "5.3.0");
	assert_true(text_has(f, "command time limit of 1 seconds exceeded"));
	assert_true(text_has(f, ": started"));
	bg = read_pid(f, "pid");
	sh = read_pid(f, "pid.sh");
	assert_true(pid_gone(bg));
	assert_true(pid_gone(sh));

	/* A program that ignores its input and spins. */
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	run(f, "while :; do :; done");
	assert_true(since(&t0) < 4);
	assert_int_equal(f->res.status, EX_UNAVAILABLE);
}

/* (9) a daemon holding the output open does not delay the result. */
static void
test_daemon(void **state)
{
	struct fix *f = *state;
	struct timespec t0;
	pid_t bg;

	f->req.time_limit = 10;
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	run(f, "sleep 1000 & echo $! > %s; echo bye; exit 0",
	    tpath(f, "pid"));
	assert_true(since(&t0) < 3);
	assert_int_equal(f->res.status, EX_OK);
	bg = read_pid(f, "pid");
	/* It lives on (only a time limit kills the group): end it here. */
	assert_int_equal(kill(bg, 0), 0);
	assert_int_equal(kill(bg, SIGKILL), 0);
	assert_true(pid_gone(bg));

	/* Same with a failure: the output read so far is used. */
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	run(f, "sleep 1000 & echo $! > %s; echo 4.4.1 later; exit 1",
	    tpath(f, "pid"));
	assert_true(since(&t0) < 3);
	assert_int_equal(f->res.status, EX_TEMPFAIL);
	assert_string_equal(f->res.dsn, "4.4.1");
	bg = read_pid(f, "pid");
	assert_int_equal(kill(bg, SIGKILL), 0);
	assert_true(pid_gone(bg));
}

/* (10) a large message to a program that does not read it. */
static void
test_no_read(void **state)
{
	struct fix *f = *state;
	size_t len = 8 * 1024 * 1024;
	char *big = xmalloc(len);
	struct timespec t0;
	struct buf got = BUF_INIT;

	for (size_t i = 0; i < len; i++)
		big[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	fix_spool(f, big, len);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	run(f, "exit 0");
	assert_int_equal(f->res.status, EX_OK);
	run(f, "sleep 0.2; echo read nothing");
	assert_int_equal(f->res.status, EX_OK);
	run(f, "head -c 10 > /dev/null; exit 0");
	assert_int_equal(f->res.status, EX_OK);
	assert_true(since(&t0) < 10);

	/* And the whole of it for one that does. */
	run(f, "cat > %s", tpath(f, "in"));
	assert_int_equal(f->res.status, EX_OK);
	assert_int_equal(slurp(f, "in", &got), 0);
	assert_int_equal(got.len, sizeof(PREFIX) - 1 + len);
	assert_memory_equal(got.data + sizeof(PREFIX) - 1, big, len);

	/* A spool shorter than size: temporary, not a half delivery. */
	f->req.size = (off_t)len + 100;
	run(f, "cat > %s", tpath(f, "in"));
	assert_int_equal(f->res.status, EX_TEMPFAIL);
	assert_true(text_has(f, "cannot read the message spool"));
	buf_free(&got);
	free(big);
}

/* Make tree/bin/argv.sh and tree/rbin/argv -> it; the restricted mode. */
static void
restricted_setup(struct fix *f, char **dirp)
{
	struct buf b = BUF_INIT, target = BUF_INIT;
	int fd;

	assert_int_equal(mkdir(tpath(f, "bin"), 0755), 0);
	assert_int_equal(mkdir(tpath(f, "rbin"), 0755), 0);
	buf_setf(&b, "#!/bin/sh\n"
	    "for a; do printf '%%s\\n' \"$a\"; done > %s/argv.out\n"
	    "echo $PPID > %s/argv.ppid\n"
	    "pwd > %s/argv.cwd\n", f->tree.data, f->tree.data,
	    f->tree.data);
	fd = open(tpath(f, "bin/argv.sh"), O_WRONLY | O_CREAT | O_EXCL, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	assert_int_equal(close(fd), 0);
	buf_setf(&target, "%s", tpath(f, "bin/argv.sh"));
	assert_int_equal(symlink(buf_cstr(&target), tpath(f, "rbin/argv")),
	    0);
	/* Not executable: exec fails in the child. */
	fd = open(tpath(f, "rbin/noexec"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(mkdir(tpath(f, "rbin/adir"), 0755), 0);
	buf_setf(&b, "%s/rbin", f->tree.data);
	*dirp = buf_steal(&b);
	f->req.restricted_dir = *dirp;
	f->req.restricted = true;
	buf_free(&target);
}

/* (11) restricted mode: metacharacters, the directory, argv. */
static void
test_restricted(void **state)
{
	static const char *const bad[] = {
		"argv a;b", "argv a&", "argv a|b", "argv `id`", "argv $HOME",
		"argv (a)", "argv <x", "argv >x", "argv a\\b", "argv \"a\"",
		"argv 'a'", "argv *", "argv ?", "argv [a]", "argv {a}",
		"argv ~", "argv !", "argv #", "argv a\nb", "argv a\rb",
		"argv a\001b",
	};
	struct fix *f = *state;
	struct buf got = BUF_INIT, want = BUF_INIT;
	char *dir;

	restricted_setup(f, &dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run(f, "%s", bad[i]);
		assert_int_equal(f->res.status, EX_NOPERM);
		assert_true(text_has(f, "metacharacter"));
		assert_int_equal(slurp(f, "argv.out", &got), -1);
	}
	run(f, "   \t ");
	assert_int_equal(f->res.status, EX_NOPERM);
	run(f, "%s", "");
	assert_int_equal(f->res.status, EX_NOPERM);

	/* Not in the directory: refused, whatever the path says. */
	run(f, "sh -c true");
	assert_int_equal(f->res.status, EX_NOPERM);
	assert_true(text_has(f, "program sh is not in restricted_dir"));
	run(f, "/bin/true");
	assert_int_equal(f->res.status, EX_NOPERM);
	assert_true(text_has(f, "program true is not in restricted_dir"));
	run(f, "../bin/argv.sh x");
	assert_int_equal(f->res.status, EX_NOPERM);
	run(f, "adir x");
	assert_int_equal(f->res.status, EX_NOPERM);
	run(f, "argv/ x");
	assert_int_equal(f->res.status, EX_NOPERM);
	assert_int_equal(slurp(f, "argv.out", &got), -1);

	/* In it: argv split on blanks, run without a shell between. */
	run(f, "argv  one\ttwo   x=y  %%s -n");
	assert_int_equal(f->res.status, EX_OK);
	assert_int_equal(slurp(f, "argv.out", &got), 0);
	assert_string_equal(buf_cstr(&got), "one\ntwo\nx=y\n%s\n-n\n");
	assert_int_equal(read_pid(f, "argv.ppid"), getpid());
	assert_int_equal(slurp(f, "argv.cwd", &got), 0);
	buf_setf(&want, "%s\n", f->tree.data);
	assert_string_equal(buf_cstr(&got), buf_cstr(&want));
	/* A path in argv[0] is dropped: the directory's program runs. */
	(void)unlink(tpath(f, "argv.out"));
	run(f, "/usr/local/bin/argv last");
	assert_int_equal(f->res.status, EX_OK);
	assert_int_equal(slurp(f, "argv.out", &got), 0);
	assert_string_equal(buf_cstr(&got), "last\n");

	/* An exec that fails in the child: a clear permanent error. */
	run(f, "noexec");
	assert_int_equal(f->res.status, EX_UNAVAILABLE);
	assert_true(text_has(f, "exit 126: mail.local: cannot execute"));
	assert_true(text_has(f, "Permission denied"));

	/* No usable directory: temporary (the admin's to fix). */
	f->req.restricted_dir = "relative";
	run(f, "argv x");
	assert_int_equal(f->res.status, EX_TEMPFAIL);
	f->req.restricted_dir = dir;
	free(dir);
	f->req.restricted_dir = NULL;
	buf_free(&got);
	buf_free(&want);
}

/* (12) cwd is home (or /), umask 077, clean signals, own session. */
static void
test_process_state(void **state)
{
	struct fix *f = *state;
	struct buf got = BUF_INIT, want = BUF_INIT;
	struct sigaction sa, old_chld;
	char real[4096];

	assert_non_null(realpath(f->tree.data, real));
	run(f, "pwd -P > %s", tpath(f, "cwd"));
	assert_int_equal(f->res.status, EX_OK);
	assert_int_equal(slurp(f, "cwd", &got), 0);
	buf_setf(&want, "%s\n", real);
	assert_string_equal(buf_cstr(&got), buf_cstr(&want));

	f->req.home = "/nonexistent/home";
	run(f, "pwd -P > %s", tpath(f, "cwd"));
	assert_int_equal(f->res.status, EX_OK);
	assert_int_equal(slurp(f, "cwd", &got), 0);
	assert_string_equal(buf_cstr(&got), "/\n");
	f->req.home = f->tree.data;

	(void)umask(022);
	run(f, "umask > %s", tpath(f, "umask"));
	assert_int_equal(slurp(f, "umask", &got), 0);
	assert_string_equal(buf_cstr(&got), "0077\n");

	/* Its own session and process group: pid = pgrp = sid. */
	run(f, "echo $$ $(cut -d' ' -f5,6 /proc/$$/stat) > %s",
	    tpath(f, "sid"));
	assert_int_equal(slurp(f, "sid", &got), 0);
	{
		long a, b, c;

		assert_int_equal(sscanf(buf_cstr(&got), "%ld %ld %ld", &a,
		    &b, &c), 3);
		assert_true(a == b && b == c);
		assert_true(a != (long)getpid());
	}

	/* The caller's SIGCHLD setting is given back. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGCHLD, &sa, &old_chld), 0);
	run(f, "exit 67");
	assert_int_equal(f->res.status, EX_NOUSER);
	assert_int_equal(sigaction(SIGCHLD, &old_chld, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
	buf_free(&got);
	buf_free(&want);
}

int
main(int argc, char **argv)
{
	ssize_t n;

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stdin_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_env_exact, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_codes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dsn_override, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_first_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_read, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restricted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_process_state, setup,
		    teardown),
	};

	if (argc == 3 && strcmp(argv[1], "--cmd-state") == 0)
		return state_dump(argv[2]);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0 || (size_t)n >= sizeof(self_exe) - 1)
		return 99;
	self_exe[n] = '\0';

	/* As mail.local's caller sets it; cmd_deliver copes either way. */
	(void)signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
