/*
 * mboxrec: what mbox.c's crash recovery reads, apart so that its fuzz
 * target can run it without a mailbox: the boot id, a dead writer's
 * dotlock record, and where a mailbox's last message starts.
 *
 * Input: a lock file's text and a mailbox's descriptor, both the user's
 * (untrusted: only compared and searched, never used as a path).
 * Diagnostics: return values only.
 */
#include <config.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/iox.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

const char *
mbox_boot_id(void)
{
	static char id[BOOT_ID_LEN + 1];
	static bool done;
	char text[BOOT_ID_LEN + 2];
	ssize_t n;
	int fd;

	if (done)
		return id;
	done = true;
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return id;
	n = iox_read_full(fd, text, sizeof(text));
	(void)close(fd);
	if (n != BOOT_ID_LEN + 1 || text[BOOT_ID_LEN] != '\n' ||
	    strspn(text, "0123456789abcdef-") != BOOT_ID_LEN)
		return id;
	memcpy(id, text, BOOT_ID_LEN);
	return id;
}

int
mbox_lock_record(const char *text, off_t *size, unsigned long long *ino,
    bool *this_boot)
{
	const char *p = strstr(text, "\npostern");
	char boot[BOOT_ID_LEN + 1];
	long long sz;
	int k;

	if (p == NULL)
		return -1;
	/* NOLINTNEXTLINE(cert-err34-c) */
	k = sscanf(p + 1, "postern %lld %llu %36s", &sz, ino, boot);
	if (k < 2)
		return 0;
	*size = (off_t)sz;
	*this_boot = k == 3 && mbox_boot_id()[0] != '\0' &&
	    strcmp(boot, mbox_boot_id()) == 0;
	return 1;
}

#define MBOX_SEP	"\n\nFrom "	/* a message's end, the next one's start */
#define MBOX_SEP_LEN	(sizeof(MBOX_SEP) - 1)

off_t
mbox_last_start(int fd, off_t from, off_t size, size_t block)
{
	char *b;
	off_t end = size, found = from;

	if (block < MBOX_SEP_LEN)
		block = MBOX_SEP_LEN;
	b = xmalloc(block);
	while (end - from >= (off_t)MBOX_SEP_LEN) {
		off_t start = end - (off_t)block > from ? end - (off_t)block :
		    from;
		size_t n = (size_t)(end - start), i;

		if (pread(fd, b, n, start) != (ssize_t)n) {
			found = -1;
			break;
		}
		for (i = n - MBOX_SEP_LEN + 1; i-- > 0;)
			if (memcmp(b + i, MBOX_SEP, MBOX_SEP_LEN) == 0)
				break;
		if (i != (size_t)-1) {
			found = start + (off_t)i + 2;
			break;
		}
		if (start == from)
			break;
		/* A separator across the blocks' border is in the next. */
		end = start + (off_t)MBOX_SEP_LEN - 1;
	}
	free(b);
	return found;
}
