/*
 * sanopts: the sanitizer run-time options of the installed programs, in
 * sanitizer builds only (configure --enable-sanitizers links this file
 * into sendmail, mail.local, postern-queue, newaliases and postern-config;
 * the unit tests do not link it and keep LeakSanitizer).
 *
 * The programs empty their environment, run setgid, drop privileges and
 * fork workers whose exit status becomes a temporary failure, so neither
 * ASAN_OPTIONS/UBSAN_OPTIONS from the test environment nor a report on
 * stderr reliably reach the test harness.  The defaults compiled in here
 * (the runtimes call these functions at start-up; an ASAN_OPTIONS or
 * UBSAN_OPTIONS variable still overrides single options) send every
 * report to a file in SAN_LOG_DIR, a sticky world-writable directory of
 * the build tree (san-logs, mode 1777, made by the tests' environment in
 * Makefile.am), whatever user the process runs as by then; tests/run
 * counts each file found there as a failure:
 *   - ASan: log_path, the whole report in san.PROGRAM.PID;
 *   - UBSan: gcc links it as a second runtime (libubsan.so beside
 *     libasan.so, each with its own copy of sanitizer_common) whose
 *     __sanitizer_set_report_path binds to libasan's, so UBSan's own
 *     log_path never takes effect and its reports go to stderr (tried).
 *     __ubsan_on_report below, which UBSan calls for every report, writes
 *     the diagnostic to ubsan.PROGRAM.PID itself.  log_path is the same
 *     in all three option strings, so whichever one the runtimes apply
 *     last, ASan's reports land in SAN_LOG_DIR.
 *
 * detect_leaks=0: LeakSanitizer cannot work in these programs (tried):
 *   - in the setgid sendmail run by a user, and in any process that is not
 *     dumpable, its ptrace-based stop-the-world fails and every exit
 *     becomes "LeakSanitizer has encountered a fatal error" with exit
 *     status 1 instead of the program's own sysexits code;
 *   - the others end with exit() holding state on purpose: mail.local's
 *     forked workers exit with the Berkeley DB alias map of their parent
 *     open (leaks inside libdb's __os_malloc, reported for each worker),
 *     and one-shot programs need not free their state before exit.
 *   Leaks are the unit tests' job, which keep LeakSanitizer.
 *
 * allow_user_segv_handler stays at its default: the programs reset every
 * signal to SIG_DFL at start (iox_start_clean), which removes ASan's
 * SIGSEGV/SIGBUS/SIGFPE reports.  UBSan's null-pointer checks still
 * report the usual crash before it faults, and a SIGSEGV the tests send
 * on purpose (tests/attack/setgid-signals-rlimits.sh) must not become a
 * report.
 *
 * allocator_may_return_null=1: malloc fails the way it does without ASan
 * (NULL, which the programs handle), as in the tests' ASAN_OPTIONS.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#ifndef SAN_LOG_DIR
#error "SAN_LOG_DIR: the directory of the sanitizer reports (Makefile.am)"
#endif

#define SAN_COMMON "log_path=" SAN_LOG_DIR "/san:log_exe_name=1"

/* The runtimes look these up by name; declared for -Wmissing-prototypes. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void);
void __ubsan_on_report(void);
/* UBSan's monitor interface (compiler-rt ubsan_monitor.h). */
void __ubsan_get_current_report_data(const char **kind, const char **message,
    const char **filename, unsigned *line, unsigned *col, char **addr);

const char *
__asan_default_options(void)
{
	return SAN_COMMON ":detect_leaks=0:allocator_may_return_null=1"
	    ":halt_on_error=1";
}

const char *
__ubsan_default_options(void)
{
	return SAN_COMMON ":print_stacktrace=1:halt_on_error=1";
}

const char *
__lsan_default_options(void)
{
	return SAN_COMMON ":detect_leaks=0";
}

/*
 * Called by UBSan, under its report lock, for each report before it is
 * printed: append "file:line:col: runtime error: message [kind]" to
 * SAN_LOG_DIR/ubsan.PROGRAM.PID.  Only open, write and close: the process
 * may be anywhere (a worker with a user's ids, a signal handler).
 */
void
__ubsan_on_report(void)
{
	const char *kind = "?", *msg = "?", *file = "?";
	unsigned line = 0, col = 0;
	char *addr = NULL;
	char path[4096], text[4096];
	int fd, n, saved = errno;

	__ubsan_get_current_report_data(&kind, &msg, &file, &line, &col, &addr);
	n = snprintf(path, sizeof(path), "%s/ubsan.%s.%ld", SAN_LOG_DIR,
	    program_invocation_short_name, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(path))
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0)
		goto out;
	n = snprintf(text, sizeof(text), "%s:%u:%u: runtime error: %s [%s]\n",
	    file, line, col, msg, kind);
	if (n > 0)
		(void)!write(fd, text,
		    (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
	(void)close(fd);
out:
	errno = saved;
}
