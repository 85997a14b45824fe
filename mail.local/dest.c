/*
 * dest: the destinations an alias, :include: or .forward names besides
 * mailboxes: a /file, a |program, an address elsewhere.  Run in a plain
 * worker (worker.c) that has become the user the expansion chose: the
 * .forward's user, the :include: file's owner, or default_user for the
 * root-owned alias map; never root, never with the spool's group.
 *
 * Input: fields from the parent: the envelope sender, the Delivered-To:
 * address, the X-Original-To: value, the target (path, command text or
 * address) and, for programs, the envelope variables.  The command text
 * is the one its owner wrote in the file; nothing of the envelope is put
 * into it (the variables go into the environment).
 *
 * - /file: appended mbox-style with mail.local's locking, checks and
 *   truncate-on-failure (mbox.c); it must be a regular file with one link
 *   owned by the user (created 0600 if missing); /dev/null takes anything.
 * - |program: command.c, with the environment built here from nothing.
 * - address: forwarded by running forward_command (no shell) with
 *   "-f SENDER -- ADDRESS" appended, the message on stdin after a
 *   Delivered-To: line (RFC 9228 loop control).
 *
 * Diagnostics: res (status, RFC 3463 code, text).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/safeopen.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"

#define ENV_MAX	24

/* Directories on the way to a file: not writable by others (unless sticky). */
static const struct safe_check dest_dirs = {
	.type = S_IFDIR, .mode_forbid = S_IWOTH, .sticky_ok = true,
};

/* Append to the file in f[3] as the user. */
void
dest_file(struct spool *sp, const struct priv_user *self, char **f,
    struct dresult *res)
{
	struct buf why = BUF_INIT;
	struct rcpt one;
	char *dir, *slash;
	int dirfd;

	if (strcmp(f[3], "/dev/null") == 0) {
		res->status = EX_OK;
		buf_append_str(&res->text, "discarded (/dev/null)");
		return;
	}
	dir = xstrdup(f[3]);
	slash = strrchr(dir, '/');
	if (slash[1] == '\0') {
		res->status = EX_UNAVAILABLE;
		res->dsn = "5.3.5";
		buf_printf(&res->text, "%s: not a file name", f[3]);
		free(dir);
		return;
	}
	*slash = '\0';
	dirfd = safe_opendir(AT_FDCWD, dir[0] ? dir : "/", &dest_dirs,
	    SAFE_F_ROOT_SYMLINKS, &why);
	if (dirfd < 0) {
		dresult_why(res, errno, "cannot open the directory of",
		    buf_cstr(&why));
		res->status = EX_TEMPFAIL;
	} else {
		memset(&one, 0, sizeof(one));
		one.addr = f[1];
		one.orig = f[2][0] != '\0' ? f[2] : NULL;
		one.user = self->name;
		one.pw = *self;
		one.file_target = true;
		mbox_deliver(sp, f[0], &one, dirfd, dir[0] ? dir : "",
		    slash + 1, res);
		(void)close(dirfd);
	}
	free(dir);
	buf_free(&why);
}

/* The header lines a program or forwarded copy gets first. */
static void
dest_prefix(struct buf *b, const struct spool *sp, char **f, bool from_line)
{
	if (from_line) {
		mbox_from_line(b, f[0], sp->arrival.tv_sec);
		deliver_headers(b, f[0], f[1], f[2][0] ? f[2] : NULL);
	} else {
		buf_printf(b, "Delivered-To: %s\n", f[1]);
		if (f[2][0] != '\0')
			buf_printf(b, "X-Original-To: %s\n", f[2]);
	}
}

/* A program request: the message after prefix, the limits of the config. */
static void
dest_req(struct cmd_req *req, const struct spool *sp,
    const struct priv_user *self, const char *command, char *const *env,
    const struct buf *prefix)
{
	memset(req, 0, sizeof(*req));
	req->command = command;
	req->env = env;
	req->home = self->home;
	req->spool_fd = sp->fd;
	req->size = sp->size;
	req->prefix = prefix->data;
	req->prefix_len = prefix->len;
	req->time_limit = config_num(CF_command_time_limit);
	req->output_limit = (size_t)config_num(CF_command_output_limit);
}

/* Is NAME=value one of the variables the parent may pass? */
static bool
dest_env_ok(const char *e)
{
	static const char *const names[] = { "SENDER=", "RECIPIENT=",
	    "LOCAL=", "EXTENSION=", "DOMAIN=", "ORIGINAL_RECIPIENT=" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(e, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/* Run the program in f[3] as the user. */
void
dest_program(struct spool *sp, const struct priv_user *self, char **f,
    size_t n, struct dresult *res)
{
	struct buf prefix = BUF_INIT, envb[5] = { BUF_INIT, BUF_INIT, BUF_INIT,
	    BUF_INIT, BUF_INIT };
	char *env[ENV_MAX];
	struct cmd_req req;
	size_t i, ne = 0;

	/* The environment, from nothing (STYLE 12). */
	buf_printf(&envb[0], "PATH=/usr/bin:/bin");
	buf_printf(&envb[1], "HOME=%s", self->home);
	buf_printf(&envb[2], "USER=%s", self->name);
	buf_printf(&envb[3], "LOGNAME=%s", self->name);
	buf_printf(&envb[4], "SHELL=%s", self->shell && self->shell[0] ?
	    self->shell : "/bin/sh");
	for (i = 0; i < 5; i++)
		env[ne++] = (char *)(uintptr_t)buf_cstr(&envb[i]);
	for (i = 4; i < n && ne < ENV_MAX - 1; i++)
		if (dest_env_ok(f[i]))
			env[ne++] = f[i];
	env[ne] = NULL;
	dest_prefix(&prefix, sp, f, true);
	dest_req(&req, sp, self, f[3], env, &prefix);
	req.restricted = strcmp(config_str(CF_allow_commands),
	    "restricted") == 0;
	req.restricted_dir = config_str(CF_restricted_command_directory);
	cmd_deliver(&req, res);
	buf_free(&prefix);
	for (i = 0; i < 5; i++)
		buf_free(&envb[i]);
}

/* Forward a copy to the address in f[3] through forward_command. */
void
dest_submit(struct spool *sp, const struct priv_user *self, char **f,
    struct dresult *res)
{
	struct buf prefix = BUF_INIT, cmd = BUF_INIT, envb[2] = { BUF_INIT,
	    BUF_INIT };
	char **argv = NULL, *env[3], *tok, *save = NULL;
	struct cmd_req req;
	size_t argc = 0, i;

	buf_append_str(&cmd, config_str(CF_forward_command));
	argv = xcalloc(strlen(buf_cstr(&cmd)) / 2 + 8, sizeof(*argv));
	for (tok = strtok_r(cmd.data, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (argc == 0 || argv[0][0] != '/') {
		res->status = EX_CONFIG;
		res->dsn = "4.3.5";
		buf_printf(&res->text, "forward_command must start with an "
		    "absolute path");
		goto out;
	}
	/* Envelope data as separate arguments after "--": never options. */
	argv[argc++] = (char *)(uintptr_t)"-f";
	argv[argc++] = f[0][0] != '\0' ? f[0] : (char *)(uintptr_t)"<>";
	argv[argc++] = (char *)(uintptr_t)"--";
	argv[argc++] = f[3];
	argv[argc] = NULL;
	buf_printf(&envb[0], "PATH=/usr/bin:/bin");
	buf_printf(&envb[1], "HOME=%s", self->home);
	env[0] = (char *)(uintptr_t)buf_cstr(&envb[0]);
	env[1] = (char *)(uintptr_t)buf_cstr(&envb[1]);
	env[2] = NULL;
	dest_prefix(&prefix, sp, f, false);
	dest_req(&req, sp, self, config_str(CF_forward_command), env, &prefix);
	req.argv = argv;
	cmd_deliver(&req, res);
	if (res->status == EX_OK) {
		buf_reset(&res->text);
		buf_printf(&res->text, "forwarded to %s", f[3]);
	}
out:
	for (i = 0; i < 2; i++)
		buf_free(&envb[i]);
	free(argv);
	buf_free(&cmd);
	buf_free(&prefix);
}
