/*
 * mail.local: postern's local delivery agent, run as root by an MTA or by
 * postern-queue.
 *
 *	mail.local [-7bBdls] [-D mbdb] [-f sender | -r sender] [-h file] user ...
 *	mail.local -l [-7bBs] [-D mbdb] [-h file]
 *
 * Pipe mode reads one message on stdin and delivers it to each user; the
 * exit status is 0 when every recipient got it, else the sysexits code of
 * the most severe failure (75 before any permanent one), with one stderr
 * line per failed recipient.  -l speaks LMTP on stdin/stdout (lmtp.c).
 *
 * Start-up, in this order (STYLE.md 9): fds 0-2 valid and the rest closed,
 * umask 077, the environment emptied, options parsed without side effects,
 * real and effective uid 0 required, postern.conf read (root-owned, not
 * following links), SECBIT_NOROOT locked, and every capability but
 * CAP_SETUID and CAP_SETGID dropped from every set (including bounding,
 * inheritable and ambient).  Only then is input read.
 *
 * Diagnostics: "mail.local: ..." on stderr and syslog (LOG_MAIL).
 *
 * SECURITY: the parent never opens a user's file; every delivery runs in a
 * child that has become the recipient (deliver.c).  The capability table
 * below is the whole of what the parent may do beyond an ordinary user:
 * change uid and gid in the children it forks.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/address.h"
#include "lib/config.h"
#include "lib/exitcode.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/nsscheck.h"
#include "lib/priv.h"
#include "lib/xalloc.h"

#include "mail.local/mail_local.h"


/*
 * CAPABILITIES kept by the parent:
 *   CAP_SETUID, CAP_SETGID: each delivery child sets its groups, gid and
 *   uid to the recipient's.
 * Nothing else: the parent opens only postern.conf (root's, readable
 * without CAP_DAC_OVERRIDE), the passwd database and its own unnamed
 * temporary file.
 */
static const cap_value_t ml_caps[] = { CAP_SETUID, CAP_SETGID };

static _Noreturn void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: mail.local [-7bBds] [-D mbdb] [-f sender | -r sender] "
	    "[-h filename] user ...\n"
	    "       mail.local -l [-7bBs] [-D mbdb] [-h filename]\n");
	exit(EX_USAGE);
}

/* -h: a relative path with no "." or ".." component. */
static bool
ml_valid_home_file(const char *p)
{
	const char *c = p;

	/* p is getopt's optarg for -h, never NULL. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	if (*p == '\0' || *p == '/' || p[strlen(p) - 1] == '/')
		return false;
	while (*c != '\0') {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n + (c[n] == '/');
	}
	return true;
}

/* The envelope sender from -f/-r, checked; "" for the null sender. */
static char *
ml_sender(const char *arg)
{
	struct buf in = BUF_INIT, out = BUF_INIT, why = BUF_INIT;

	if (arg == NULL) {
		struct priv_user u;

		if (priv_user_lookup_uid(getuid(), &u, &why) == 0) {
			buf_append_str(&out, u.name);
			priv_user_free(&u);
		} else
			buf_append_str(&out, "MAILER-DAEMON");
		buf_free(&why);
		return buf_steal(&out);
	}
	if (arg[0] == '<')
		buf_append_str(&in, arg);
	else
		buf_printf(&in, "<%s>", arg);
	if (addr_parse_path(in.data, in.len, ADDR_F_UTF8 | ADDR_F_NO_DOMAIN,
	    true, &out, &why) < 0)
		log_die(EX_USAGE, "bad sender address '%s': %s",
		    buf_cstr(&in), buf_cstr(&why));
	buf_free(&in);
	buf_free(&why);
	return buf_steal(&out);
}

/* Pipe mode: one message from stdin to every user named. */
static int
ml_pipe(const char *from, char **users, int nusers)
{
	struct reader rd;
	struct spool sp;
	struct buf why = BUF_INIT;
	char *sender = ml_sender(from), id[32];
	struct rcpt *rv, *ok;
	size_t nok = 0, k;
	int worst = EX_OK, i;

	ml_make_id(id, sizeof(id));
	if (spool_open(&sp, config_num(CF_message_size_limit), true,
	    &why) < 0)
		log_die(EX_TEMPFAIL, "%s", buf_cstr(&why));
	reader_init(&rd, 0, -1);
	if (reader_all(&rd, &sp) < 0)
		log_die(EX_TEMPFAIL, "cannot read the message: %s",
		    strerror(rd.err));
	reader_free(&rd);
	if (spool_finish(&sp) < 0) {
		if (sp.too_big)
			log_die(EX_UNAVAILABLE, "message is larger than the "
			    "limit of %lld bytes (message_size_limit)",
			    config_num(CF_message_size_limit));
		log_die(EX_TEMPFAIL, "cannot spool the message: %s",
		    strerror(sp.err));
	}
	/* The users that resolve are delivered to together. */
	rv = xcalloc((size_t)nusers, sizeof(*rv));
	ok = xcalloc((size_t)nusers, sizeof(*ok));
	for (i = 0; i < nusers; i++) {
		buf_reset(&why);
		rv[i].status = resolve_rcpt(users[i], strlen(users[i]), &rv[i],
		    &why);
		if (rv[i].status == EX_OK)
			ok[nok++] = rv[i];
		else
			rv[i].text = buf_steal(&why);
	}
	deliver_rcpts(&sp, sender, ok, nok, id);
	for (i = 0, k = 0; i < nusers; i++) {
		if (rv[i].status == EX_OK)
			rv[i] = ok[k++];
		if (rv[i].status != EX_OK)
			(void)fprintf(stderr, "mail.local: %s: %s\n", users[i],
			    rv[i].text ? rv[i].text : ex_text(rv[i].status));
		worst = ex_worse(worst, rv[i].status);
		rcpt_free(&rv[i]);
	}
	free(rv);
	free(ok);
	deliver_shutdown();
	spool_close(&sp);
	free(sender);
	buf_free(&why);
	return worst;
}

int
main(int argc, char **argv)
{
	struct buf why = BUF_INIT;
	struct utsname un;
	const char *from = NULL;
	int ch, rc;

	/* An MTA's SIGCHLD ignored would reap our children: all reset. */
	if (iox_start_clean() < 0)
		return EX_OSERR;
	log_init("mail.local", LOG_F_SYSLOG | LOG_F_STDERR);
	while ((ch = getopt(argc, argv, "7bBdD:f:h:lr:s")) != -1) {
		switch (ch) {
		case '7':
			ml_opts.no_8bit = true;
			break;
		case 'b':
			ml_opts.quota_perm = true;
			break;
		case 'B':	/* no biff notification: postern never sends one */
		case 'd':	/* "deliver": the only mode besides -l */
		case 's':	/* no fsync: refused silently, postern always syncs */
			break;
		case 'D':
			/* getopt sets optarg: "D:" takes an argument. */
			/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
			if (strcmp(optarg, "pw") != 0)
				log_die(EX_USAGE, "-D %s: only the passwd "
				    "database (pw) is supported", optarg);
			break;
		case 'f':
		case 'r':
			if (from != NULL)
				log_die(EX_USAGE, "more than one -f/-r sender");
			from = optarg;
			break;
		case 'h':
			if (!ml_valid_home_file(optarg))
				log_die(EX_USAGE, "-h %s: must be a file name "
				    "relative to the home directory", optarg);
			ml_opts.home_file = optarg;
			break;
		case 'l':
			ml_opts.lmtp = true;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (ml_opts.lmtp && (argc > 0 || from != NULL)) {
		(void)fprintf(stderr, "mail.local: -l takes no users and no "
		    "sender: they come over LMTP\n");
		usage();
	}
	if (!ml_opts.lmtp && argc == 0)
		usage();
	if (getuid() != 0 || geteuid() != 0)
		log_die(EX_NOPERM, "must be run as root (by the MTA or "
		    "postern-queue): it delivers as each recipient");
	if (config_load(config_default_path(),
	    CONFIG_F_TRUSTED | CONFIG_F_MISSING_OK, &why) < 0)
		log_die(EX_CONFIG, "%s", buf_cstr(&why));
	/* A static build looks users up safely only in the files (CAVEATS). */
	if (nss_static_check(NSS_CONF_PATH, &why) < 0)
		log_die(EX_CONFIG, "this mail.local is linked statically and "
		    "can look users up only in the files: %s", buf_cstr(&why));
	ml_opts.hostname = config_str(CF_myhostname);
	if (ml_opts.hostname[0] == '\0')
		ml_opts.hostname = uname(&un) == 0 ? xstrdup(un.nodename) :
		    "localhost";
	if (priv_secure_noroot(&why) < 0 ||
	    priv_caps_limit(ml_caps, sizeof(ml_caps) / sizeof(ml_caps[0]),
	    &why) < 0)
		log_die(EX_OSERR, "cannot limit capabilities: %s",
		    buf_cstr(&why));
	buf_free(&why);
	/*
	 * The time zone, read once here: every delivery process inherits it
	 * for its From_ line, and the log lines need it too.
	 */
	tzset();
	if (ml_opts.lmtp) {
		log_set_flags(LOG_F_SYSLOG);	/* stdout is the protocol */
		rc = lmtp_session(0, 1);
	} else
		rc = ml_pipe(from, argv, argc);
	return rc;
}
