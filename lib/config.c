/*
 * config: postern.conf, the one settings file of every postern program.
 *
 * Format: "name = value" lines; blank lines and lines whose first non-blank
 * character is "#" are ignored; a line that starts with white space continues
 * the previous setting (as in Postfix's main.cf).  Every name is in the
 * CONFIG_KEYS table of config.h with its type, its compiled-in default and
 * its limits.
 *
 * Inputs: the file, written by root (CONFIG_F_TRUSTED: opened without
 * following links and refused unless root-owned and not group or world
 * writable), or any file for `postern-config -c`.
 * Diagnostics: "FILE:LINE: reason" lines, every error in the file (up to
 * CONFIG_ERRORS_MAX), never just the first.  On any error the active
 * settings are left exactly as they were.
 *
 * SECURITY: the parser is bounded (CONFIG_FILE_MAX bytes, CONFIG_LINE_MAX
 * bytes a line), refuses NUL and control characters, and checks every value
 * against its type before anything uses it.  Unknown or duplicate names are
 * errors, so a typo cannot silently leave a default in force.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/safeopen.h"
#include "lib/xalloc.h"
#include "lib/config.h"

#define CONFIG_FILE_MAX		(1024 * 1024)
#define CONFIG_LINE_MAX		4096
#define CONFIG_ERRORS_MAX	20

struct config_def {
	const char		*name;
	enum config_type	 type;
	const char		*def;
	long long		 min, max;	/* both 0: no range */
	const char		*vals;		/* CT_ENUM: "a|b|c" */
};

static const struct config_def config_defs[CF__COUNT] = {
#define CONFIG_DEF(name, type, def, min, max, vals) \
	{ #name, type, def, min, max, vals },
	CONFIG_KEYS(CONFIG_DEF)
#undef CONFIG_DEF
};

/* One parsed value. */
struct config_val {
	char		*text;		/* as written, trimmed */
	long long	 num;		/* CT_INT/SIZE/TIME/BOOL */
	char		**items;	/* CT_LIST, NULL-terminated */
	unsigned	 line;		/* where it was set; 0: default */
};

static struct config_val config_active[CF__COUNT];
static bool config_ready;

/* Free one value. */
static void
config_val_free(struct config_val *v)
{
	if (v->items != NULL)
		for (char **p = v->items; *p != NULL; p++)
			free(*p);
	free(v->items);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

/* Parse digits with a suffix table; -1 with a reason on error. */
static int
config_number(const char *s, const char *suffixes, const long long *mult,
    long long *out, const char **reason)
{
	long long v = 0, m = 1;
	const char *p = s;

	if (*p < '0' || *p > '9') {
		*reason = "expected a number";
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (LLONG_MAX - (*p - '0')) / 10) {
			*reason = "number too large";
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	if (*p != '\0') {
		const char *hit = suffixes != NULL && p[1] == '\0' ?
		    strchr(suffixes, p[0] | 0x20) : NULL;

		if (hit == NULL || p[0] == '\0') {
			*reason = "bad unit suffix";
			return -1;
		}
		m = mult[hit - suffixes];
	}
	if (v > LLONG_MAX / m) {
		*reason = "number too large";
		return -1;
	}
	*out = v * m;
	return 0;
}

/* Is every byte of s printable (tab allowed)? */
static bool
config_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
	return true;
}

/* Split a list value into items. */
static char **
config_split_list(const char *s)
{
	char **items = xcalloc(1, sizeof(*items));
	size_t n = 0, len;

	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			break;
		len = strcspn(s, ", \t");
		items = xreallocarray(items, n + 2, sizeof(*items));
		items[n++] = xmemdup0(s, len);
		items[n] = NULL;
		s += len;
	}
	return items;
}

/*
 * Check text against the definition and fill v.  0, or -1 with a static
 * reason (or one built in why_buf).
 */
static int
config_value(const struct config_def *d, const char *text,
    struct config_val *v, const char **reason, struct buf *why_buf)
{
	static const char time_suf[] = "smhdw";
	static const long long time_mul[] = { 1, 60, 3600, 86400, 604800 };
	static const char size_suf[] = "kmg";
	static const long long size_mul[] = { 1024LL, 1024LL * 1024,
	    1024LL * 1024 * 1024 };
	const char *p;
	long long num = 0;

	if (!config_printable(text)) {
		*reason = "control character in value";
		return -1;
	}
	switch (d->type) {
	case CT_STR:
		break;
	case CT_PATH:
		if (text[0] != '/') {
			*reason = "expected an absolute path";
			return -1;
		}
		break;
	case CT_NAME:
		if (text[0] == '\0' || text[0] == '-' ||
		    text[strspn(text, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")] != '\0') {
			*reason = "expected a user or group name";
			return -1;
		}
		break;
	case CT_INT:
		if (config_number(text, NULL, NULL, &num, reason) < 0)
			return -1;
		break;
	case CT_SIZE:
		if (config_number(text, size_suf, size_mul, &num, reason) < 0)
			return -1;
		break;
	case CT_TIME:
		if (config_number(text, time_suf, time_mul, &num, reason) < 0)
			return -1;
		break;
	case CT_BOOL:
		if (strcmp(text, "yes") == 0)
			num = 1;
		else if (strcmp(text, "no") == 0)
			num = 0;
		else {
			*reason = "expected yes or no";
			return -1;
		}
		break;
	case CT_ENUM:
		for (p = d->vals; p != NULL && *p != '\0';) {
			size_t len = strcspn(p, "|");

			if (strlen(text) == len && strncmp(p, text, len) == 0)
				break;
			p += len + (p[len] == '|');
		}
		if (p == NULL || *p == '\0') {
			buf_printf(why_buf, "expected one of %s", d->vals);
			*reason = buf_cstr(why_buf);
			return -1;
		}
		break;
	case CT_LIST:
		break;
	}
	if ((d->type == CT_INT || d->type == CT_SIZE || d->type == CT_TIME) &&
	    (d->min != 0 || d->max != 0) && (num < d->min || num > d->max)) {
		buf_printf(why_buf, "value out of range %lld..%lld", d->min,
		    d->max);
		*reason = buf_cstr(why_buf);
		return -1;
	}
	v->text = xstrdup(text);
	v->num = num;
	v->items = d->type == CT_LIST ? config_split_list(text) : NULL;
	return 0;
}

/* Fill a table with the compiled-in defaults. */
static void
config_defaults(struct config_val *t)
{
	struct buf why = BUF_INIT;
	const char *reason = NULL;

	for (int k = 0; k < CF__COUNT; k++) {
		memset(&t[k], 0, sizeof(t[k]));
		if (config_value(&config_defs[k], config_defs[k].def, &t[k],
		    &reason, &why) < 0)
			log_die(EX_SOFTWARE, "compiled-in default of %s: %s",
			    config_defs[k].name, reason);
	}
	buf_free(&why);
}

/* Make sure the active table holds at least the defaults. */
static void
config_ensure(void)
{
	if (!config_ready) {
		config_defaults(config_active);
		config_ready = true;
	}
}

/* Append "NAME:LINE: REASON ARG" (arg printable-escaped); count it. */
static void
config_error(struct buf *why, const char *name, unsigned line, int *nerr,
    const char *reason, const char *arg)
{
	if (++*nerr > CONFIG_ERRORS_MAX)
		return;
	if (*nerr == CONFIG_ERRORS_MAX) {
		buf_printf(why, "%s: too many errors\n", name);
		return;
	}
	buf_printf(why, "%s:%u: %s", name, line, reason);
	if (arg != NULL)
		buf_append_str(why, arg);
	buf_append_byte(why, '\n');
}

/* Trim white space at both ends of [*s, *e). */
static void
config_trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/* Parse one logical line "name = value" into t. */
static void
config_setting(struct config_val *t, const char *name, unsigned line,
    struct buf *text, struct buf *why, int *nerr)
{
	struct buf key = BUF_INIT, val = BUF_INIT, rwhy = BUF_INIT;
	const char *s = text->data, *e = text->data + text->len, *eq, *ks, *ke;
	const char *reason;
	int k;

	eq = memchr(s, '=', text->len);
	ks = s;
	ke = eq != NULL ? eq : e;
	config_trim(&ks, &ke);
	buf_append_printable(&key, ks, (size_t)(ke - ks));
	if (eq == NULL) {
		buf_append_byte(&key, '\'');
		config_error(why, name, line, nerr, "missing '=' after '",
		    buf_cstr(&key));
		goto out;
	}
	if (key.len == 0) {
		config_error(why, name, line, nerr, "missing parameter name",
		    NULL);
		goto out;
	}
	if ((k = config_key_lookup(buf_cstr(&key))) < 0) {
		buf_append_byte(&key, '\'');
		config_error(why, name, line, nerr, "unknown parameter '",
		    buf_cstr(&key));
		goto out;
	}
	if (t[k].line != 0) {
		buf_printf(&rwhy, "%u", t[k].line);
		buf_printf(&key, "' (first set at line %s)", buf_cstr(&rwhy));
		config_error(why, name, line, nerr, "duplicate parameter '",
		    buf_cstr(&key));
		goto out;
	}
	s = eq + 1;
	config_trim(&s, &e);
	buf_append(&val, s, (size_t)(e - s));
	buf_reset(&rwhy);
	config_val_free(&t[k]);
	if (config_value(&config_defs[k], buf_cstr(&val), &t[k], &reason,
	    &rwhy) < 0) {
		struct buf msg = BUF_INIT;

		buf_printf(&msg, "%s: ", config_defs[k].name);
		buf_append_str(&msg, reason);
		buf_append_str(&msg, ": '");
		buf_append_printable(&msg, val.data, val.len);
		buf_append_byte(&msg, '\'');
		config_error(why, name, line, nerr, buf_cstr(&msg), NULL);
		buf_free(&msg);
		/* Keep the default, and mark the name as seen. */
		(void)config_value(&config_defs[k], config_defs[k].def, &t[k],
		    &reason, &rwhy);
	}
	t[k].line = line;
out:
	buf_free(&key);
	buf_free(&val);
	buf_free(&rwhy);
}

/* Parse data into t (which holds defaults); returns the error count. */
static int
config_parse_into(struct config_val *t, const char *name, const char *data,
    size_t len, struct buf *why)
{
	struct buf logical = BUF_INIT;
	unsigned lineno = 0, start = 0;
	size_t pos = 0;
	int nerr = 0;

	if (len > CONFIG_FILE_MAX) {
		buf_printf(why, "%s: file larger than %d bytes\n", name,
		    CONFIG_FILE_MAX);
		return 1;
	}
	while (pos < len) {
		const char *l = data + pos, *nl;
		size_t n, i;
		bool cont, blank;

		nl = memchr(l, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - l) : len - pos;
		pos += n + (nl != NULL);
		lineno++;
		if (n > CONFIG_LINE_MAX) {
			config_error(why, name, lineno,
			    &nerr, "line longer than 4096 bytes", NULL);
			continue;
		}
		for (i = 0; i < n; i++)
			if ((unsigned char)l[i] < 0x20 && l[i] != '\t')
				break;
		if (i < n) {
			config_error(why, name, lineno, &nerr,
			    l[i] == '\0' ? "NUL byte in line" :
			    "control character in line", NULL);
			continue;
		}
		/* The line is not NUL-terminated: count blanks within n. */
		for (i = 0; i < n && (l[i] == ' ' || l[i] == '\t'); i++)
			;
		blank = i >= n;
		if (blank || l[i] == '#')
			continue;
		cont = i > 0;
		if (cont) {
			if (start == 0) {
				config_error(why, name, lineno, &nerr,
				    "continuation line without a setting",
				    NULL);
				continue;
			}
			buf_append_byte(&logical, ' ');
			buf_append(&logical, l + i, n - i);
			continue;
		}
		if (start != 0)
			config_setting(t, name, start, &logical, why, &nerr);
		buf_reset(&logical);
		buf_append(&logical, l, n);
		start = lineno;
	}
	if (start != 0)
		config_setting(t, name, start, &logical, why, &nerr);
	buf_free(&logical);
	return nerr;
}

/* Parse a file's bytes without changing the active settings. */
int
config_parse_buf(const char *name, const char *data, size_t len,
    struct buf *why)
{
	struct config_val t[CF__COUNT];
	int nerr;

	config_defaults(t);
	nerr = config_parse_into(t, name, data, len, why);
	for (int k = 0; k < CF__COUNT; k++)
		config_val_free(&t[k]);
	return nerr == 0 ? 0 : -1;
}

/* The default configuration file. */
const char *
config_default_path(void)
{
	return CONFIG_DIR "/postern.conf";
}

/* Open the file by the rules of flags. */
static int
config_open(const char *path, int flags, struct buf *why)
{
	static const struct safe_check dirs = { S_IFDIR, 0, 1, { 0 },
	    S_IWGRP | S_IWOTH, true };
	static const struct safe_check trusted = { S_IFREG, 1, 1, { 0 },
	    S_IWGRP | S_IWOTH, false };
	static const struct safe_check plain = { S_IFREG, 0, 0, { 0 }, 0,
	    false };
	int fd;

	if (flags & CONFIG_F_TRUSTED) {
		if (path[0] != '/') {
			buf_printf(why, "%s: not an absolute path\n", path);
			errno = EINVAL;
			return -1;
		}
		fd = safe_openat(-1, path, O_RDONLY, 0, &dirs, &trusted, 0,
		    NULL, why);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			buf_append_printable(why, path, strlen(path));
			buf_printf(why, ": %s", strerror(errno));
		} else if (safe_check_fd(fd, path, &plain, NULL, why) < 0) {
			int saved = errno;

			(void)close(fd);
			errno = saved;
			fd = -1;
		}
	}
	if (fd < 0 && why->len > 0 && why->data[why->len - 1] != '\n')
		buf_append_byte(why, '\n');
	return fd;
}

/* Load a file into the process-wide settings. */
int
config_load(const char *path, int flags, struct buf *why)
{
	struct config_val t[CF__COUNT];
	struct buf data = BUF_INIT, err = BUF_INIT;
	int fd, nerr;

	config_ensure();
	fd = config_open(path, flags, &err);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT && (flags & CONFIG_F_MISSING_OK)) {
			buf_free(&err);
			return 0;
		}
		buf_append(why, err.data, err.len);
		buf_free(&err);
		errno = e;
		return -1;
	}
	if (iox_read_all(fd, &data, CONFIG_FILE_MAX) < 0) {
		int e = errno;

		buf_printf(why, "%s: read: %s\n", path,
		    e == EFBIG ? "file larger than 1048576 bytes" :
		    strerror(e));
		(void)close(fd);
		buf_free(&data);
		errno = e;
		return -1;
	}
	(void)close(fd);
	config_defaults(t);
	nerr = config_parse_into(t, path, data.data != NULL ? data.data : "",
	    data.len, why);
	buf_free(&data);
	buf_free(&err);
	if (nerr > 0) {
		for (int k = 0; k < CF__COUNT; k++)
			config_val_free(&t[k]);
		errno = EINVAL;
		return -1;
	}
	for (int k = 0; k < CF__COUNT; k++) {
		config_val_free(&config_active[k]);
		config_active[k] = t[k];
	}
	return 0;
}

/* Back to the compiled-in defaults. */
void
config_reset(void)
{
	if (config_ready)
		for (int k = 0; k < CF__COUNT; k++)
			config_val_free(&config_active[k]);
	config_ready = false;
	config_ensure();
}

/* A setting as text. */
const char *
config_str(enum config_key k)
{
	config_ensure();
	return config_active[k].text;
}

/* A numeric setting (bytes for sizes, seconds for times). */
long long
config_num(enum config_key k)
{
	config_ensure();
	return config_active[k].num;
}

/* A yes/no setting. */
bool
config_bool(enum config_key k)
{
	config_ensure();
	return config_active[k].num != 0;
}

/* Is item one of a list setting's names? */
bool
config_list_has(enum config_key k, const char *item)
{
	config_ensure();
	if (config_active[k].items == NULL)
		return false;
	for (char **p = config_active[k].items; *p != NULL; p++)
		if (strcmp(*p, item) == 0)
			return true;
	return false;
}

/* The n-th name of a list setting, or NULL. */
const char *
config_list_item(enum config_key k, size_t n)
{
	config_ensure();
	if (config_active[k].items == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (config_active[k].items[i] == NULL)
			return NULL;
	return config_active[k].items[n];
}

/* A key by name, or -1. */
int
config_key_lookup(const char *name)
{
	for (int k = 0; k < CF__COUNT; k++)
		if (strcmp(config_defs[k].name, name) == 0)
			return k;
	return -1;
}

/* A key's name. */
const char *
config_key_name(enum config_key k)
{
	return config_defs[k].name;
}

/* Was the key left at its default (not set in the file)? */
bool
config_is_default(enum config_key k)
{
	config_ensure();
	return config_active[k].line == 0;
}

/* The compiled-in default text of a key. */
const char *
config_default_str(enum config_key k)
{
	return config_defs[k].def;
}

/* Append "name = value" lines. */
void
config_dump(struct buf *out, bool only_changed)
{
	config_ensure();
	for (int k = 0; k < CF__COUNT; k++) {
		if (only_changed && config_active[k].line == 0)
			continue;
		buf_printf(out, "%s = %s\n", config_defs[k].name,
		    config_active[k].text);
	}
}

/* Is domain ours: "localhost", hostname or one of local_domains? */
bool
config_local_domain(const char *domain, const char *hostname)
{
	const char *d;
	size_t i;

	if (strcasecmp(domain, "localhost") == 0 ||
	    strcasecmp(domain, hostname) == 0)
		return true;
	for (i = 0; (d = config_list_item(CF_local_domains, i)) != NULL; i++)
		if (strcasecmp(d, domain) == 0)
			return true;
	return false;
}
