/*
 * nsscheck: may a statically linked program look users up on this host?
 *
 * A static glibc program answers passwd and group lookups from the
 * "files" source by itself, but loads every other nsswitch.conf(5) source
 * (systemd, sss, ldap, compat, ...) with a dlopen that glibc supports only
 * for the very release the program was linked with.  Even then it is not
 * safe: on Debian 12, a static program's getpwnam_r() for a user that
 * /etc/passwd does not have crashes inside libnss_systemd.  mail.local
 * built as a static PIE (configure --enable-static-mail-local) therefore
 * refuses to start unless the passwd, group and initgroups databases name
 * "files" alone.
 *
 * Input: nsswitch.conf, as glibc reads it: one database per line,
 * "name: source [STATUS=action] source ...", '#' to the end of the line a
 * comment.  Untrusted only in the sense that anything may be in it: every
 * byte is looked at within len, nothing is executed.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "lib/iox.h"
#include "lib/nsscheck.h"

#define NSS_CONF_MAX	(1024 * 1024)

bool
nss_is_static(void)
{
	/* The kernel gives the interpreter's load address; none: static. */
	return getauxval(AT_BASE) == 0;
}

/* Is the database named by [p, p + n) one whose lookups we make? */
static bool
nss_database_ours(const char *p, size_t n)
{
	static const char *const ours[] = { "passwd", "group", "initgroups" };
	size_t i;

	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (strlen(ours[i]) == n && strncasecmp(p, ours[i], n) == 0)
			return true;
	return false;
}

static bool
nss_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* One line (no LF, comment cut): 0, or -1 with why. */
static int
nss_line(const char *p, size_t n, const char *name, size_t lineno,
    struct buf *why)
{
	size_t i = 0, db, dblen, s;

	while (i < n && nss_blank(p[i]))
		i++;
	db = i;
	while (i < n && p[i] != ':' && !nss_blank(p[i]))
		i++;
	dblen = i - db;
	while (i < n && nss_blank(p[i]))
		i++;
	if (i == n || p[i] != ':' || !nss_database_ours(p + db, dblen))
		return 0;
	for (i++; i < n;) {
		if (nss_blank(p[i])) {
			i++;
			continue;
		}
		if (p[i] == '[') {	/* an action: [NOTFOUND=return] */
			while (i < n && p[i] != ']')
				i++;
			i += i < n;
			continue;
		}
		s = i;
		while (i < n && !nss_blank(p[i]) && p[i] != '[')
			i++;
		if (i - s != 5 || memcmp(p + s, "files", 5) != 0) {
			buf_printf(why, "%s:%zu: ", name, lineno);
			buf_append_printable(why, p + db, dblen);
			buf_append_str(why, " uses the source ");
			buf_append_printable(why, p + s, i - s);
			return -1;
		}
	}
	return 0;
}

int
nss_files_only(const char *text, size_t len, const char *name,
    struct buf *why)
{
	size_t off = 0, lineno = 0;

	while (off < len) {
		const char *lf = memchr(text + off, '\n', len - off);
		size_t end = lf != NULL ? (size_t)(lf - text) : len;
		const char *hash = memchr(text + off, '#', end - off);
		size_t n = (hash != NULL ? (size_t)(hash - text) : end) - off;

		lineno++;
		if (nss_line(text + off, n, name, lineno, why) < 0)
			return -1;
		off = end + 1;
	}
	return 0;
}

int
nss_static_check(const char *path, struct buf *why)
{
	struct buf text = BUF_INIT;
	int fd, rc;

	if (!nss_is_static())
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT)
			return 0;	/* glibc's default: files */
		buf_printf(why, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (iox_read_all(fd, &text, NSS_CONF_MAX) < 0) {
		buf_printf(why, "cannot read %s: %s", path, strerror(errno));
		(void)close(fd);
		buf_free(&text);
		return -1;
	}
	(void)close(fd);
	rc = nss_files_only(text.data, text.len, path, why);
	buf_free(&text);
	return rc;
}
