/*
 * Fuzz target for mail.local/mbox.c's crash recovery: any bytes as a
 * dotlock's content (mbox_lock_record) and as a mailbox searched
 * backwards for its last message (mbox_last_start).  The first byte picks
 * the search's block size (7 to 70 bytes, so block borders fall
 * everywhere), the second where the search starts.  mbox_last_start must
 * give what a plain forward search finds; mbox_lock_record returns -1, 0
 * or 1, and 1 only for text holding "\npostern".
 */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/buf.h"
#include "mail.local/mail_local.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The forward search: the last "\n\nFrom " wholly at or after from. */
static off_t
naive_last_start(const uint8_t *d, size_t n, size_t from)
{
	off_t found = (off_t)from;

	for (size_t i = from; i + 7 <= n; i++)
		if (memcmp(d + i, "\n\nFrom ", 7) == 0)
			found = (off_t)i + 2;
	return found;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf text = BUF_INIT;
	unsigned long long ino = 0;
	off_t rec = 0;
	bool boot = false;
	size_t block, from;
	int fd, k;

	if (size < 2)
		return 0;
	block = 7 + data[0] % 64;
	from = size > 2 ? data[1] % (size - 2) : 0;
	data += 2;
	size -= 2;
	buf_append(&text, (const char *)data, size);
	k = mbox_lock_record(buf_cstr(&text), &rec, &ino, &boot);
	if (k < -1 || k > 1 || (k >= 0 && strstr(buf_cstr(&text),
	    "\npostern") == NULL))
		abort();
	buf_free(&text);
	if ((fd = memfd_create("mbox", MFD_CLOEXEC)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size ||
	    mbox_last_start(fd, (off_t)from, (off_t)size, block) !=
	    naive_last_start(data, size, from))
		abort();
	(void)close(fd);
	return 0;
}
