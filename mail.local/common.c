/*
 * common: what every part of mail.local shares: the options, the ids
 * that join log lines, and the cache of looked-up users.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
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

/*
 * USER CACHE: a message to a list, or an LMTP session of many messages,
 * looks the same users up again and again (getpwnam, then getgrouplist,
 * which reads all of /etc/group), at RCPT and again at delivery.  The
 * last ML_USERS found are kept for the life of this process (one message
 * in pipe mode, one session in LMTP mode); a user not found is looked up
 * every time.
 */
#define ML_USERS	128

static struct priv_user ml_users[ML_USERS];
static size_t nml_users, ml_users_next;

/* Look name up (passwd and groups), through the cache; 0 or -1 (errno). */
int
ml_user_lookup(const char *name, struct priv_user *u, struct buf *why)
{
	struct priv_user *slot;
	size_t i;

	for (i = 0; i < nml_users; i++)
		if (strcmp(ml_users[i].name, name) == 0) {
			priv_user_copy(u, &ml_users[i]);
			return 0;
		}
	if (priv_user_lookup(name, u, why) < 0)
		return -1;
	if (nml_users < ML_USERS)
		slot = &ml_users[nml_users++];
	else {
		slot = &ml_users[ml_users_next++ % ML_USERS];
		priv_user_free(slot);
	}
	priv_user_copy(slot, u);
	return 0;
}

/* Forget the cached users (end of the session). */
void
ml_user_cache_free(void)
{
	while (nml_users > 0)
		priv_user_free(&ml_users[--nml_users]);
	ml_users_next = 0;
}
