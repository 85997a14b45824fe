/*
 * log: diagnostics to syslog (LOG_MAIL, ident = program name, LOG_PID) and to
 * stderr when stderr is a terminal or when asked (-v, tests).  A message names
 * the object and the reason; the program name is added here.  Data from
 * outside must go through buf_append_printable() before it is logged.
 * Never call these from a signal handler.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <sysexits.h>

#define LOG_F_SYSLOG	0x01	/* log to syslog (LOG_MAIL) */
#define LOG_F_STDERR	0x02	/* also print to stderr */
#define LOG_F_AUTO	0x04	/* stderr too when isatty(2) */

/* progname is copied; only its basename is kept. */
void	 log_init(const char *progname, int flags);
void	 log_set_flags(int flags);
int	 log_get_flags(void);
const char *log_progname(void);
/*
 * A hook run once by log_die() (and by xalloc on failure) before exit:
 * remove partial files and the like.  It must not call log_die().
 */
void	 log_set_die_hook(void (*)(void));

void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Log at LOG_ERR (LOG_CRIT for EX_SOFTWARE), run the die hook, exit(code). */
_Noreturn void log_die(int code, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_vmsg(int priority, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

#endif
