/*
 * spool: the message, kept once while it is delivered to each recipient.
 *
 * Input: message bytes from the LMTP client or the pipe (untrusted).  The
 * spool stores them in one canonical form: CRLF line ends become LF, a bare
 * CR inside a line is kept, and the message always ends with LF.  The file
 * has no name (O_TMPFILE in temp_directory, or a memfd when the file system
 * cannot do O_TMPFILE): nothing is left behind when mail.local dies, and no
 * other process can open it by name.  Memory use is one 64 KiB output
 * buffer plus one header line of at most SPOOL_HDR_MAX bytes, whatever the
 * message size.
 *
 * Pipe mode spools into a memfd first and moves to the file only past
 * SPOOL_MEM_MAX bytes (before any delivery process has inherited the fd):
 * a file system inode made and freed for every message costs more than
 * the rest of the spooling (ext4 without a journal searches past every
 * recently freed inode), and 1 MiB of memory is still a constant.
 *
 * While the header section streams by, Delivered-To: values are collected
 * (at most SPOOL_DT_MAX bytes in all) for mail-loop detection, as Postfix
 * local(8) does.
 *
 * Diagnostics: spool_open() explains in why; write errors are kept in
 * sp->err and reported by spool_finish().
 *
 * SECURITY: runs as root before any delivery; reads no file; writes only to
 * its own unnamed file.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/iox.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

#define SPOOL_OBUF	65536
#define SPOOL_HDR_MAX	1000	/* a longer header line is not examined */
#define SPOOL_DT_MAX	8192	/* Delivered-To: bytes kept for loop checks */
#define SPOOL_MEM_MAX	(1024 * 1024)	/* memfd bytes before the file */

/* An unnamed file in temp_directory (a memfd if it cannot have one). */
static int
spool_tmpfile(void)
{
	int fd = open(config_str(CF_temp_directory),
	    O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR ||
	    errno == EINVAL))
		fd = memfd_create("mail.local", MFD_CLOEXEC);
	return fd;
}

/* Create the unnamed spool file (mem_first: a memfd until it grows). */
int
spool_open(struct spool *sp, off_t limit, bool mem_first, struct buf *why)
{
	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
	if (mem_first && (sp->fd = memfd_create("mail.local",
	    MFD_CLOEXEC)) >= 0)
		sp->mem = true;
	if (sp->fd < 0 && (sp->fd = spool_tmpfile()) < 0) {
		buf_printf(why, "cannot create a temporary file in %s: %s",
		    config_str(CF_temp_directory), strerror(errno));
		return -1;
	}
	sp->limit = limit;
	sp->obuf = xmalloc(SPOOL_OBUF);
	buf_init(&sp->delivered_to);
	buf_init(&sp->hdr);
	spool_reset(sp);
	return 0;
}

/* Forget the current message and its state, keep the file. */
void
spool_reset(struct spool *sp)
{
	sp->size = 0;
	sp->too_big = false;
	sp->err = 0;
	sp->olen = 0;
	sp->pending_cr = false;
	sp->in_headers = true;
	sp->at_bol = true;
	sp->hdr_skip = false;
	sp->last = '\n';
	buf_reset(&sp->delivered_to);
	sp->hops = 0;
	buf_reset(&sp->hdr);
	(void)clock_gettime(CLOCK_REALTIME, &sp->arrival);
	if (sp->fd >= 0 && ftruncate(sp->fd, 0) < 0)
		sp->err = errno;
}

void
spool_close(struct spool *sp)
{
	if (sp->fd >= 0)
		(void)close(sp->fd);
	sp->fd = -1;
	free(sp->obuf);
	sp->obuf = NULL;
	buf_free(&sp->delivered_to);
	buf_free(&sp->hdr);
}

/*
 * Copy the first len bytes of the spool to fd (at its offset), without
 * user-space copies when the kernel can: copy_file_range, then sendfile,
 * then read and write.  0, or -1 with errno.
 */
int
spool_copy(const struct spool *sp, int fd, off_t len)
{
	off_t off = 0;
	char *tmp;

	while (off < len) {
		ssize_t n = copy_file_range(sp->fd, &off, fd, NULL,
		    (size_t)(len - off), 0);

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && errno != EXDEV && errno != EINVAL &&
		    errno != ENOSYS && errno != EOPNOTSUPP)
			return -1;
		break;
	}
	while (off < len) {
		ssize_t n = sendfile(fd, sp->fd, &off, (size_t)(len - off));

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && errno != EINVAL && errno != ENOSYS)
			return -1;
		break;
	}
	if (off >= len)
		return 0;
	tmp = xmalloc(SPOOL_OBUF);
	while (off < len) {
		size_t want = (size_t)(len - off) < SPOOL_OBUF ?
		    (size_t)(len - off) : SPOOL_OBUF;
		ssize_t n = pread(sp->fd, tmp, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || iox_write_full(fd, tmp, (size_t)n) < 0) {
			if (n == 0)
				errno = EIO;
			free(tmp);
			return -1;
		}
		off += n;
	}
	free(tmp);
	return 0;
}

/* Move the bytes written so far from the memfd into a file. */
static void
spool_spill(struct spool *sp)
{
	int fd;

	sp->mem = false;
	if ((fd = spool_tmpfile()) < 0) {
		sp->err = errno;
		return;
	}
	if (spool_copy(sp, fd, sp->size - (off_t)sp->olen) < 0)
		sp->err = errno;
	(void)close(sp->fd);
	sp->fd = fd;
}

/* Write out the output buffer at the current size. */
static void
spool_flush(struct spool *sp)
{
	size_t done = 0;

	if (sp->mem && sp->size > SPOOL_MEM_MAX && sp->err == 0)
		spool_spill(sp);

	while (sp->err == 0 && done < sp->olen) {
		ssize_t n = pwrite(sp->fd, sp->obuf + done, sp->olen - done,
		    sp->size - (off_t)(sp->olen - done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sp->err = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	sp->olen = 0;
}

/* LOOP CONTROL: keep the value of a Delivered-To: header line. */
static void
spool_header_line(struct spool *sp)
{
	const char *h = sp->hdr.data;
	size_t len = sp->hdr.len, i;
	static const char name[] = "delivered-to:";

	if (len >= 9 && strncasecmp(h, "received:", 9) == 0)
		sp->hops++;
	if (sp->hdr_skip || len < sizeof(name) - 1 ||
	    strncasecmp(h, name, sizeof(name) - 1) != 0)
		return;
	sp->hops++;
	i = sizeof(name) - 1;
	while (i < len && isspace((unsigned char)h[i]))	/* also folded */
		i++;
	while (len > i && isspace((unsigned char)h[len - 1]))
		len--;
	if (len == i || sp->delivered_to.len + (len - i) + 1 > SPOOL_DT_MAX)
		return;
	for (; i < len; i++)
		if (h[i] != '\n')	/* unfold */
			buf_append_byte(&sp->delivered_to,
			    (unsigned char)tolower((unsigned char)h[i]));
	buf_append_byte(&sp->delivered_to, '\n');
}

/* Track the header section as canonical bytes go by. */
static void
spool_scan(struct spool *sp, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && sp->in_headers; i++) {
		char c = p[i];

		if (sp->at_bol && c != ' ' && c != '\t' && sp->hdr.len > 0) {
			/* The previous header (with continuations) ended. */
			spool_header_line(sp);
			buf_reset(&sp->hdr);
			sp->hdr_skip = false;
		}
		if (sp->at_bol && c == '\n') {
			sp->in_headers = false;
			break;
		}
		sp->at_bol = c == '\n';
		if (sp->hdr.len < SPOOL_HDR_MAX)
			buf_append_byte(&sp->hdr, (unsigned char)c);
		else
			sp->hdr_skip = true;
	}
}

/* Append canonical bytes to the output buffer. */
static void
spool_emit(struct spool *sp, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (sp->size + (off_t)n > sp->limit || sp->too_big) {
		sp->too_big = true;
		return;
	}
	if (sp->in_headers)
		spool_scan(sp, p, n);
	while (n > 0) {
		size_t room = SPOOL_OBUF - sp->olen;
		size_t take = n < room ? n : room;

		memcpy(sp->obuf + sp->olen, p, take);
		sp->olen += take;
		sp->size += (off_t)take;
		p += take;
		n -= take;
		if (sp->olen == SPOOL_OBUF)
			spool_flush(sp);
	}
	sp->last = p[-1];
}

/*
 * Add raw bytes: CRLF -> LF.  A CR at the end of one call is held until the
 * next byte shows whether an LF follows, so framing does not depend on how
 * the input was split into reads.
 */
void
spool_put(struct spool *sp, const char *p, size_t n)
{
	size_t start = 0, i;

	if (n == 0)
		return;
	if (sp->pending_cr) {
		sp->pending_cr = false;
		if (p[0] != '\n')
			spool_emit(sp, "\r", 1);
	}
	for (i = 0; i < n; i++) {
		const char *cr = memchr(p + i, '\r', n - i);

		if (cr == NULL)
			break;
		i = (size_t)(cr - p);
		if (i + 1 == n) {
			spool_emit(sp, p + start, i - start);
			sp->pending_cr = true;
			return;
		}
		if (p[i + 1] == '\n') {
			spool_emit(sp, p + start, i - start);
			start = i + 1;	/* the LF is emitted with the rest */
		}
	}
	spool_emit(sp, p + start, n - start);
}

/* End of message: a lone CR is kept, a final LF added if missing. */
int
spool_finish(struct spool *sp)
{
	if (sp->pending_cr) {
		sp->pending_cr = false;
		spool_emit(sp, "\r", 1);
	}
	if (sp->size > 0 && sp->last != '\n')
		spool_emit(sp, "\n", 1);
	if (sp->in_headers && sp->hdr.len > 0)
		spool_header_line(sp);
	spool_flush(sp);
	if (sp->too_big || sp->err != 0)
		return -1;
	return 0;
}

/* LOOP CONTROL: is addr among the Delivered-To: values? */
bool
spool_seen_delivered_to(const struct spool *sp, const char *addr)
{
	const char *p = sp->delivered_to.data, *end;
	size_t alen = strlen(addr);

	if (p == NULL)
		return false;
	end = p + sp->delivered_to.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(nl - p);

		if (len == alen && strncasecmp(p, addr, alen) == 0)
			return true;
		p = nl + 1;
	}
	return false;
}
