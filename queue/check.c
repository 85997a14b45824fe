/*
 * check: postern-queue -c, the installation checker, in the manner of
 * `postfix check`.  It compares what is installed with DESIGN.md's table
 * (and scripts/install-perms.sh, which makes it so): the programs, the
 * queue directories, the mail spool, the configuration directory and file,
 * the aliases file and its map, the submit group and the postern user.
 *
 * Inputs: the compiled-in paths (-D from Makefile.am: SBINDIR, BINDIR,
 * LIBEXECDIR, CONFIG_DIR) and, once postern.conf has passed its own
 * checks, the paths and names it sets (queue_directory,
 * mail_spool_directory, alias_file, alias_database, submit_group,
 * postern_user).  Every file is looked at with lstat and never opened or
 * followed, except postern.conf, which config_load() reads by its own
 * trusted rules, and a root-owned symbolic link in place of the mail spool
 * (Fedora's /var/mail -> spool/mail), whose target is then checked.
 *
 * Diagnostics: one line on standard output per deviation,
 *	postern-queue: PATH: found X, expected Y; fix: COMMAND
 * where COMMAND is a shell command that repairs it (chown, chmod,
 * groupadd, useradd, newaliases, make install).  A lookup that fails for
 * another reason than "not there" is logged and makes the result EX_CONFIG.
 *
 * SECURITY: read-only.  Runs as root from the command line or from the
 * unit's ExecStartPre; it changes nothing, and paths and names are printed
 * through buf_append_printable() (and quoted for the shell in the fix), so
 * a hostile file name cannot forge a line or a command.
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/xalloc.h"

#include "queue/queue.h"

/* What a path must be. */
struct expect {
	mode_t	 type;		/* S_IFREG or S_IFDIR */
	const char *user;	/* owner's name; NULL: any owner */
	const char *group;	/* group's name; NULL: any group */
	mode_t	 mode;		/* the exact permission bits, unless forbid */
	mode_t	 forbid;	/* non-zero: these bits must be clear instead */
};

/* The state of one run: the output and the verdict. */
struct check {
	struct buf out;
	int	 deviations;
	bool	 failed;	/* could not look: EX_CONFIG */
};

/* Append s for a shell command line: single-quoted unless plainly safe. */
static void
check_shquote(struct buf *b, const char *s)
{
	const char *p;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789/._+-@:,=%") == strlen(s)) {
		buf_append_str(b, s);
		return;
	}
	buf_append_byte(b, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			buf_append_str(b, "'\\''");
		else
			buf_append_byte(b, (unsigned char)*p);
	}
	buf_append_byte(b, '\'');
}

/* Report one deviation: PATH, what was found, what was expected, the fix. */
static void
check_report(struct check *c, const char *path, const char *found,
    const char *expected, const char *fix)
{
	buf_append_str(&c->out, "postern-queue: ");
	buf_append_printable(&c->out, path, strlen(path));
	buf_append_str(&c->out, ": found ");
	buf_append_printable(&c->out, found, strlen(found));
	buf_append_str(&c->out, ", expected ");
	buf_append_printable(&c->out, expected, strlen(expected));
	buf_append_str(&c->out, "; fix: ");
	buf_append_printable(&c->out, fix, strlen(fix));
	buf_append_byte(&c->out, '\n');
	c->deviations++;
}

/* A lookup failed for a reason other than absence: log it, EX_CONFIG. */
static void
check_cannot(struct check *c, const char *path, int err)
{
	struct buf p = BUF_INIT;

	buf_append_printable(&p, path, strlen(path));
	log_error("%s: cannot check: %s", buf_cstr(&p), strerror(err));
	buf_free(&p);
	c->failed = true;
}

/* The name of a user by uid, or the number; into b. */
static void
check_user_name(struct buf *b, uid_t uid)
{
	struct priv_user u;
	struct buf why = BUF_INIT;

	if (priv_user_lookup_uid(uid, &u, &why) == 0) {
		buf_append_str(b, u.name);
		priv_user_free(&u);
	} else
		buf_printf(b, "%lu", (unsigned long)uid);
	buf_free(&why);
}

/*
 * Look up a group by name (name != NULL, *gid set) or by gid (its name
 * appended to b, or the number): 1 found, 0 not there, -1 on an error
 * (errno set).
 */
static int
check_group_get(const char *name, gid_t gid, gid_t *gidp, struct buf *b)
{
	struct group gr, *res = NULL;
	size_t sz = 1024;
	char *mem;
	int e;

	for (;;) {
		mem = xmalloc(sz);
		if (name != NULL)
			e = getgrnam_r(name, &gr, mem, sz, &res);
		else
			e = getgrgid_r(gid, &gr, mem, sz, &res);
		if (e != ERANGE || sz >= 1024 * 1024)
			break;
		free(mem);
		sz *= 4;
	}
	if (e == 0 && res != NULL) {
		if (name != NULL)
			*gidp = gr.gr_gid;
		else
			buf_append_str(b, gr.gr_name);
		free(mem);
		return 1;
	}
	free(mem);
	if (name == NULL)
		buf_printf(b, "%lu", (unsigned long)gid);
	/* glibc reports "no such group" as 0 or as one of these. */
	if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
		return 0;
	errno = e;
	return -1;
}

/* The gid of a group by name: 1, 0 when there is none, -1 on error. */
static int
check_group(const char *name, gid_t *gid)
{
	return check_group_get(name, 0, gid, NULL);
}

/* The name of a group by gid, or the number; into b. */
static void
check_group_name(struct buf *b, gid_t gid)
{
	(void)check_group_get(NULL, gid, NULL, b);
}

/* "a regular file", "a directory", ... for the found/expected text. */
static const char *
check_type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
	case S_IFBLK:
		return "a device";
	default:
		return "a file of unknown type";
	}
}

/* What was found: "root:smmsp 2555" (plus the type when it is wrong). */
static void
check_found(struct buf *b, const struct stat *st, mode_t want_type)
{
	if ((st->st_mode & S_IFMT) != want_type) {
		buf_append_str(b, check_type_name(st->st_mode));
		buf_append_byte(b, ' ');
	}
	check_user_name(b, st->st_uid);
	buf_append_byte(b, ':');
	check_group_name(b, st->st_gid);
	buf_printf(b, " %04o", (unsigned)(st->st_mode & 07777));
}

/* What is expected: "root:smmsp 2555" or "root, not group or world writable". */
static void
check_expected(struct buf *b, const struct expect *e, bool with_type)
{
	if (with_type) {
		buf_append_str(b, check_type_name(e->type));
		buf_append_byte(b, ' ');
	}
	if (e->forbid != 0) {
		buf_append_str(b, e->user != NULL ? e->user : "any owner");
		buf_append_str(b, ", not group or world writable");
		return;
	}
	buf_append_str(b, e->user != NULL ? e->user : "*");
	if (e->group != NULL)
		buf_printf(b, ":%s", e->group);
	buf_printf(b, " %04o", (unsigned)e->mode);
}

/* The commands that make a path of the right type what e says. */
static void
check_fix_attrs(struct buf *fix, const char *path, const struct expect *e,
    bool owner, bool mode)
{
	/* chown clears set-id bits: the mode always comes after it. */
	if (owner) {
		buf_append_str(fix, "chown ");
		buf_append_str(fix, e->user != NULL ? e->user : "root");
		if (e->group != NULL)
			buf_printf(fix, ":%s", e->group);
		buf_append_byte(fix, ' ');
		check_shquote(fix, path);
	}
	if (mode || (owner && e->forbid == 0 && (e->mode & 06000) != 0)) {
		if (owner)
			buf_append_str(fix, " && ");
		if (e->forbid != 0)
			buf_append_str(fix, "chmod go-w ");
		else
			buf_printf(fix, "chmod %04o ", (unsigned)e->mode);
		check_shquote(fix, path);
	}
}

/* The command that creates a missing directory the way e says. */
static void
check_fix_mkdir(struct buf *fix, const char *path, const struct expect *e)
{
	buf_printf(fix, "install -d -o %s", e->user != NULL ? e->user : "root");
	if (e->group != NULL)
		buf_printf(fix, " -g %s", e->group);
	buf_printf(fix, " -m %04o ", e->forbid != 0 ? 0755u : (unsigned)e->mode);
	check_shquote(fix, path);
}

/*
 * Check path against e.  missing_fix: the command for a missing path (NULL:
 * a missing path is no deviation).  Returns 1 when the path exists and is
 * of the right type (st filled), 0 when it is missing, -1 otherwise.
 */
static int
check_path(struct check *c, const char *path, const struct expect *e,
    const char *missing_fix, struct stat *st)
{
	struct buf found = BUF_INIT, want = BUF_INIT, fix = BUF_INIT;
	struct stat sb;
	bool owner = false, mode = false;
	uid_t uid = 0;
	gid_t gid = 0;
	int ok = -1;

	if (st == NULL)
		st = &sb;
	if (lstat(path, st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			check_cannot(c, path, errno);
		else
			ok = 0;
		if (ok == 0 && missing_fix != NULL) {
			check_expected(&want, e, true);
			if (*missing_fix == '\0')
				check_fix_mkdir(&fix, path, e);
			else
				buf_append_str(&fix, missing_fix);
			check_report(c, path, "nothing", buf_cstr(&want),
			    buf_cstr(&fix));
		}
		goto done;
	}
	if ((st->st_mode & S_IFMT) != e->type) {
		/* LINKS: a link is never followed, and never the thing. */
		check_found(&found, st, e->type);
		check_expected(&want, e, true);
		if (S_ISLNK(st->st_mode))
			buf_append_str(&fix, "rm ");
		else
			buf_append_str(&fix, "mv ");
		check_shquote(&fix, path);
		if (!S_ISLNK(st->st_mode)) {
			/* Set aside, never removed: it may hold data. */
			buf_append_byte(&fix, ' ');
			check_shquote(&fix, path);
			buf_append_str(&fix, ".bad");
		}
		buf_append_str(&fix, " && ");
		if (e->type == S_IFDIR)
			check_fix_mkdir(&fix, path, e);
		else
			buf_append_str(&fix, missing_fix != NULL &&
			    *missing_fix != '\0' ? missing_fix : "make install");
		check_report(c, path, buf_cstr(&found), buf_cstr(&want),
		    buf_cstr(&fix));
		goto done;
	}
	ok = 1;
	if (e->user != NULL) {
		struct priv_user u;

		buf_reset(&fix);
		if (priv_user_lookup(e->user, &u, &fix) == 0) {
			uid = u.uid;
			priv_user_free(&u);
			owner = st->st_uid != uid;
		} else
			owner = true;	/* reported with the users */
	}
	if (e->group != NULL) {
		int r = check_group(e->group, &gid);

		if (r < 0)
			check_cannot(c, e->group, errno);
		if (r <= 0 || st->st_gid != gid)
			owner = true;
	}
	if (e->forbid != 0)
		mode = (st->st_mode & e->forbid) != 0;
	else
		mode = (st->st_mode & 07777) != e->mode;
	if (owner || mode) {
		buf_reset(&fix);
		check_found(&found, st, e->type);
		check_expected(&want, e, false);
		check_fix_attrs(&fix, path, e, owner, mode);
		check_report(c, path, buf_cstr(&found), buf_cstr(&want),
		    buf_cstr(&fix));
	}
done:
	buf_free(&found);
	buf_free(&want);
	buf_free(&fix);
	return ok;
}

/* The programs of DESIGN.md's table, and the mailq link. */
static void
check_programs(struct check *c, const char *group)
{
	const struct {
		const char *dir, *name, *group;
		mode_t	 mode;
	} progs[] = {
		{ SBINDIR, "sendmail", group, 02555 },
		{ SBINDIR, "postern-queue", "root", 0755 },
		{ SBINDIR, "newaliases", "root", 0755 },
		{ SBINDIR, "postern-config", "root", 0755 },
		{ LIBEXECDIR, "mail.local", "root", 0555 },
	};
	struct buf path = BUF_INIT, fix = BUF_INIT;
	char target[4096];
	ssize_t n;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct expect e = { S_IFREG, "root", progs[i].group,
		    progs[i].mode, 0 };

		buf_setf(&path, "%s/%s", progs[i].dir, progs[i].name);
		(void)check_path(c, buf_cstr(&path), &e, "make install", NULL);
	}

	/* MAILQ: a symbolic link to sendmail, as make install makes it. */
	buf_setf(&path, "%s/mailq", BINDIR);
	buf_setf(&fix, "ln -sf ");
	check_shquote(&fix, SBINDIR "/sendmail");
	buf_append_byte(&fix, ' ');
	check_shquote(&fix, buf_cstr(&path));
	n = readlink(buf_cstr(&path), target, sizeof(target) - 1);
	if (n < 0) {
		if (errno == ENOENT || errno == EINVAL || errno == ENOTDIR)
			check_report(c, buf_cstr(&path), errno == EINVAL ?
			    "a file that is not a symbolic link" : "nothing",
			    "a symbolic link to " SBINDIR "/sendmail",
			    buf_cstr(&fix));
		else
			check_cannot(c, buf_cstr(&path), errno);
	} else {
		struct buf found = BUF_INIT;

		target[n] = '\0';
		if (strcmp(target, SBINDIR "/sendmail") != 0) {
			buf_append_str(&found, "a symbolic link to ");
			buf_append_str(&found, target);
			check_report(c, buf_cstr(&path), buf_cstr(&found),
			    "a symbolic link to " SBINDIR "/sendmail",
			    buf_cstr(&fix));
		}
		buf_free(&found);
	}
	buf_free(&path);
	buf_free(&fix);
}

/* The queue directory and its subdirectories. */
static void
check_queue(struct check *c, const char *group)
{
	const char *q = config_str(CF_queue_directory);
	const struct {
		const char *sub;
		struct expect e;
	} dirs[] = {
		{ "", { S_IFDIR, "root", "root", 0755, 0 } },
		{ "/submit", { S_IFDIR, "root", group, 0750, 0 } },
		{ "/submit/tmp", { S_IFDIR, "root", group, 03770, 0 } },
		{ "/submit/new", { S_IFDIR, "root", group, 03770, 0 } },
		{ "/submit/bad", { S_IFDIR, "root", NULL, 0700, 0 } },
		{ "/queue", { S_IFDIR, "root", NULL, 0700, 0 } },
	};
	struct buf path = BUF_INIT;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		buf_setf(&path, "%s%s", q, dirs[i].sub);
		(void)check_path(c, buf_cstr(&path), &dirs[i].e, "", NULL);
	}
	buf_free(&path);
}

/*
 * The mail spool: root's; group mail 2775 (Debian) or sticky 1777 both
 * do, but world-writable without the sticky bit lets any user remove
 * another's mailbox.
 */
static void
check_spool(struct check *c)
{
	const char *p = config_str(CF_mail_spool_directory);
	struct buf found = BUF_INIT, fix = BUF_INIT;
	struct stat st;
	gid_t mail;
	bool have_mail;
	int r;

	r = check_group("mail", &mail);
	if (r < 0)
		check_cannot(c, "group mail", errno);
	have_mail = r > 0;
	if (lstat(p, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			check_cannot(c, p, errno);
		else {
			if (have_mail)
				buf_append_str(&fix, "install -d -o root -g "
				    "mail -m 2775 ");
			else
				buf_append_str(&fix, "install -d -o root -m "
				    "1777 ");
			check_shquote(&fix, p);
			check_report(c, p, "nothing", have_mail ?
			    "a directory root:mail 2775" :
			    "a directory root 1777", buf_cstr(&fix));
		}
		goto done;
	}
	if (S_ISLNK(st.st_mode) && st.st_uid == 0) {
		/* SPOOL LINK: root's own link (Fedora); check its target. */
		if (stat(p, &st) < 0) {
			if (errno != ENOENT)
				check_cannot(c, p, errno);
			else {
				buf_append_str(&fix, "mkdir -p \"$(readlink -m ");
				check_shquote(&fix, p);
				buf_append_str(&fix, ")\"");
				check_report(c, p, "a dangling symbolic link",
				    "a directory", buf_cstr(&fix));
			}
			goto done;
		}
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))) {
		check_found(&found, &st, S_IFDIR);
		if (have_mail) {
			buf_append_str(&fix, "chown root:mail ");
			check_shquote(&fix, p);
			buf_append_str(&fix, " && chmod 2775 ");
		} else {
			buf_append_str(&fix, "chown root ");
			check_shquote(&fix, p);
			buf_append_str(&fix, " && chmod 1777 ");
		}
		check_shquote(&fix, p);
		check_report(c, p, buf_cstr(&found), "a root-owned directory,"
		    " root:mail 2775 or sticky 1777", buf_cstr(&fix));
	}
done:
	buf_free(&found);
	buf_free(&fix);
}

/*
 * The configuration directory and postern.conf, then the settings: the
 * file is loaded (CONFIG_F_TRUSTED) only when it passed, so the checks
 * that follow use the paths the programs will use.
 */
static void
check_config(struct check *c)
{
	const struct expect dir = { S_IFDIR, "root", NULL, 0, S_IWGRP | S_IWOTH };
	const struct expect file = { S_IFREG, "root", NULL, 0,
	    S_IWGRP | S_IWOTH };
	const char *path = config_default_path();
	struct buf why = BUF_INIT, fix = BUF_INIT, line = BUF_INIT;
	struct stat st;
	int before = c->deviations;
	const char *p, *nl;

	(void)check_path(c, CONFIG_DIR, &dir, "", NULL);
	/* A missing postern.conf means the compiled-in defaults. */
	buf_append_str(&fix, "cp -L ");
	check_shquote(&fix, path);
	buf_append_byte(&fix, ' ');
	check_shquote(&fix, path);
	buf_append_str(&fix, ".new && chown root ");
	check_shquote(&fix, path);
	buf_append_str(&fix, ".new && chmod go-w ");
	check_shquote(&fix, path);
	buf_append_str(&fix, ".new && mv ");
	check_shquote(&fix, path);
	buf_append_str(&fix, ".new ");
	check_shquote(&fix, path);
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		/* Replace the link by a copy of what it points at. */
		check_report(c, path, "a symbolic link",
		    "a regular file root, not group or world writable",
		    buf_cstr(&fix));
		goto done;
	}
	(void)check_path(c, path, &file, NULL, NULL);
	if (c->deviations != before)
		goto done;	/* config_load() would refuse it too */
	if (config_load(path, CONFIG_F_TRUSTED | CONFIG_F_MISSING_OK,
	    &why) == 0)
		goto done;
	buf_setf(&fix, "${EDITOR:-vi} ");
	check_shquote(&fix, path);
	buf_append_str(&fix, " && postern-config -n");
	for (p = buf_cstr(&why); *p != '\0'; p = nl != NULL ? nl + 1 : "") {
		nl = strchr(p, '\n');
		buf_reset(&line);
		buf_append_str(&line, "an error: ");
		buf_append(&line, p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		check_report(c, path, buf_cstr(&line),
		    "a file that parses (the defaults are used for this check)",
		    buf_cstr(&fix));
	}
done:
	buf_free(&why);
	buf_free(&fix);
	buf_free(&line);
}

/*
 * The aliases file and its map: not writable by group or others (their
 * owner's rights apply to the commands and files they name), not links,
 * and the map not older than the file.  Neither is required: without a
 * map there are no aliases.
 */
static void
check_aliases(struct check *c)
{
	const struct expect e = { S_IFREG, NULL, NULL, 0, S_IWGRP | S_IWOTH };
	const char *file = config_str(CF_alias_file);
	const char *map;
	struct stat fst, mst;
	struct buf fix = BUF_INIT, found = BUF_INIT, mapname = BUF_INIT;
	bool have_file, have_map;
	int r;

	/* The map's default follows alias_file (postern.conf(5), newaliases). */
	if (config_is_default(CF_alias_database))
		buf_setf(&mapname, "%s.db", file);
	else
		buf_setf(&mapname, "%s", config_str(CF_alias_database));
	map = buf_cstr(&mapname);
	have_file = check_path(c, file, &e, NULL, &fst) == 1;
	r = check_path(c, map, &e, NULL, &mst);
	have_map = r == 1;
	/* newaliases finds both names in postern.conf itself. */
	buf_append_str(&fix, SBINDIR "/newaliases");
	if (have_file && r == 0) {
		check_report(c, map, "nothing", "the map of the aliases file",
		    buf_cstr(&fix));
	} else if (have_file && have_map &&
	    (mst.st_mtim.tv_sec < fst.st_mtim.tv_sec ||
	    (mst.st_mtim.tv_sec == fst.st_mtim.tv_sec &&
	    mst.st_mtim.tv_nsec < fst.st_mtim.tv_nsec))) {
		buf_append_str(&found, "a map older than ");
		buf_append_str(&found, file);
		check_report(c, map, buf_cstr(&found), "a map at least as new "
		    "as its file (run newaliases)", buf_cstr(&fix));
	} else if (have_file && have_map && mst.st_uid != 0 &&
	    mst.st_uid != fst.st_uid) {
		/* The map's owner is whose rights its commands get. */
		check_found(&found, &mst, S_IFREG);
		check_report(c, map, buf_cstr(&found), "owned by root or by "
		    "the owner of the aliases file", buf_cstr(&fix));
	}
	buf_free(&fix);
	buf_free(&found);
	buf_free(&mapname);
}

/* The submit group and the postern user. */
static void
check_ids(struct check *c, const char *group, const char *user)
{
	static const char *const nologin[] = { "/usr/sbin/nologin",
	    "/sbin/nologin", "/bin/false", "/usr/bin/false", "", NULL };
	struct priv_user u;
	struct buf why = BUF_INIT, fix = BUF_INIT, found = BUF_INIT;
	gid_t gid;
	int r;

	r = check_group(group, &gid);
	if (r < 0)
		check_cannot(c, group, errno);
	else if (r == 0) {
		buf_setf(&fix, "groupadd --system ");
		check_shquote(&fix, group);
		buf_setf(&found, "group %s", group);
		check_report(c, buf_cstr(&found), "nothing", "a system group",
		    buf_cstr(&fix));
	}
	buf_setf(&found, "user %s", user);
	if (priv_user_lookup(user, &u, &why) < 0) {
		if (errno != ENOENT)
			check_cannot(c, buf_cstr(&found), errno);
		else {
			buf_setf(&fix, "useradd --system --no-create-home "
			    "--shell /usr/sbin/nologin ");
			check_shquote(&fix, user);
			check_report(c, buf_cstr(&found), "nothing",
			    "a system user without a login shell",
			    buf_cstr(&fix));
		}
		goto done;
	}
	if (u.uid == 0) {
		/* ROOT: the relay and parse children would keep root. */
		buf_setf(&fix, "userdel ");
		check_shquote(&fix, user);
		buf_append_str(&fix, " && useradd --system --no-create-home "
		    "--shell /usr/sbin/nologin ");
		check_shquote(&fix, user);
		check_report(c, buf_cstr(&found), "uid 0",
		    "an unprivileged uid", buf_cstr(&fix));
	}
	for (r = 0; nologin[r] != NULL; r++)
		if (strcmp(u.shell, nologin[r]) == 0)
			break;
	if (nologin[r] == NULL) {
		struct buf sh = BUF_INIT;

		buf_setf(&sh, "login shell %s", u.shell);
		buf_setf(&fix, "usermod --shell /usr/sbin/nologin ");
		check_shquote(&fix, user);
		check_report(c, buf_cstr(&found), buf_cstr(&sh),
		    "no login shell", buf_cstr(&fix));
		buf_free(&sh);
	}
	priv_user_free(&u);
done:
	buf_free(&why);
	buf_free(&fix);
	buf_free(&found);
}

/* postern-queue -c: check everything, print the deviations; 0, 1 or EX_CONFIG. */
int
check_install(void)
{
	struct check c = { BUF_INIT, 0, false };
	char *group, *user;

	check_config(&c);
	/* Copies: the names must outlive nothing, but stay readable. */
	group = xstrdup(config_str(CF_submit_group));
	user = xstrdup(config_str(CF_postern_user));
	check_ids(&c, group, user);
	check_programs(&c, group);
	check_queue(&c, group);
	check_spool(&c);
	check_aliases(&c);
	if (c.out.len > 0 && iox_write_full(STDOUT_FILENO, c.out.data,
	    c.out.len) < 0) {
		log_error("standard output: %s", strerror(errno));
		c.failed = true;
	}
	buf_free(&c.out);
	free(group);
	free(user);
	if (c.failed)
		return EX_CONFIG;
	return c.deviations > 0 ? 1 : 0;
}
