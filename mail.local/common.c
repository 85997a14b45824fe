/*
 * common: what every part of mail.local shares: the options and the ids
 * that join log lines.
 */
#include <config.h>

#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail.local/mail_local.h"

struct ml_opts ml_opts = { .hostname = "localhost" };

/* An id for log lines: seconds, microseconds mixed with the pid, a counter. */
void
ml_make_id(char *out, size_t outlen)
{
	static unsigned counter;
	struct timeval tv;

	(void)gettimeofday(&tv, NULL);
	(void)snprintf(out, outlen, "%llX%05lX%03X",
	    (unsigned long long)tv.tv_sec & 0xffffffffULL,
	    ((unsigned long)tv.tv_usec ^ ((unsigned long)getpid() << 4)) &
	    0xfffffUL, counter++ & 0xfffu);
}
