/*
 * log: one place where postern programs report.
 *
 * Messages go to syslog (facility LOG_MAIL, ident = the program name,
 * LOG_PID) and, when stderr is a terminal or the program asked for it, to
 * stderr as "PROGRAM: message".  Each message is formatted once into a buf
 * and written with a single write(2), so lines from parallel processes do
 * not interleave.  errno is preserved across the call so "%m" works.
 *
 * SECURITY: the program name is reduced to its basename, to printable
 * characters and to 64 bytes, since argv[0] comes from the caller of a
 * setgid program.  Data from outside must pass buf_append_printable()
 * before it reaches a format.  None of this is async-signal-safe.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/iox.h"
#include "lib/log.h"

#define LOG_NAME_MAX	64

static char log_name[LOG_NAME_MAX + 1] = "postern";
static int log_flags = LOG_F_SYSLOG | LOG_F_AUTO;
static bool log_opened;
static void (*log_die_hook)(void);

/* Set the program name and where messages go. */
void
log_init(const char *progname, int flags)
{
	const char *base;
	size_t i, n;

	base = progname != NULL ? strrchr(progname, '/') : NULL;
	base = base != NULL ? base + 1 : progname;
	n = 0;
	if (base != NULL) {
		for (i = 0; base[i] != '\0' && n < LOG_NAME_MAX; i++) {
			unsigned char c = (unsigned char)base[i];

			if (c > 0x20 && c < 0x7f)
				log_name[n++] = (char)c;
		}
	}
	if (n == 0) {
		(void)strcpy(log_name, "postern");
	} else {
		log_name[n] = '\0';
	}
	if (log_opened)
		closelog();
	log_opened = false;
	log_flags = flags;
}

/* Change where messages go. */
void
log_set_flags(int flags)
{
	log_flags = flags;
}

/* Where messages go now. */
int
log_get_flags(void)
{
	return log_flags;
}

/* The program name used in messages. */
const char *
log_progname(void)
{
	return log_name;
}

/* Set the hook that log_die() runs before exit. */
void
log_set_die_hook(void (*hook)(void))
{
	log_die_hook = hook;
}

/* Format and send one message. */
void
log_vmsg(int priority, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;
	int saved = errno;
	size_t start;
	bool to_stderr;

	buf_printf(&b, "%s: ", log_name);
	start = b.len;
	errno = saved;
	buf_vprintf(&b, fmt, ap);
	/* A message is one line: a newline from a format becomes a space. */
	for (size_t i = start; i < b.len; i++)
		if (b.data[i] == '\n' || b.data[i] == '\r')
			b.data[i] = ' ';
	if (log_flags & LOG_F_SYSLOG) {
		if (!log_opened) {
			openlog(log_name, LOG_PID, LOG_MAIL);
			log_opened = true;
		}
		syslog(priority, "%s", buf_cstr(&b) + start);
	}
	to_stderr = (log_flags & LOG_F_STDERR) != 0 ||
	    ((log_flags & LOG_F_AUTO) != 0 && isatty(STDERR_FILENO));
	if (to_stderr) {
		buf_append_byte(&b, '\n');
		/* Nothing sensible to do when stderr itself fails. */
		(void)iox_write_full(STDERR_FILENO, b.data, b.len);
	}
	buf_free(&b);
	errno = saved;
}

/* Informational message (LOG_INFO). */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Warning (LOG_WARNING). */
void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Error that the program survives (LOG_ERR). */
void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap);
	va_end(ap);
}

/* Fatal error: log, run the die hook once, exit with code. */
void
log_die(int code, const char *fmt, ...)
{
	static bool dying;
	void (*hook)(void);
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(code == EX_SOFTWARE ? LOG_CRIT : LOG_ERR, fmt, ap);
	va_end(ap);
	hook = log_die_hook;
	if (!dying && hook != NULL) {
		dying = true;
		hook();
	}
	exit(code);
}
