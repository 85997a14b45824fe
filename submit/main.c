/*
 * sendmail: postern's mail submission program, installed setgid to the
 * submit group (root:smmsp 2555).  Also mailq (= -bp) and newaliases
 * (= -bi) by the name it is called with.  See sendmail(8).
 *
 * Input: the caller's argv, environment, stdin, descriptors, limits and
 * signals, none of them trusted.  Start-up, in this order (STYLE.md 9):
 * fds 0-2 made valid and the rest closed, signals reset and unblocked,
 * the environment emptied, umask 077, core dumps off, RLIMIT_FSIZE raised
 * to what a message may need (or a refusal), options parsed without side
 * effects, then postern.conf (root's; -C is root's only).  Every envelope
 * value (-f, -r, -F, -V, -N, -R, -B, -L, recipients, the GECOS name) is
 * checked for CR, LF, NUL and other controls before anything is written
 * (exit 65): such bytes could forge queue records or mbox From_ lines.
 *
 * Diagnostics: "sendmail: ..." on stderr and syslog; sysexits codes as
 * sendmail uses them (64 usage, 65 data, 67 no such user, 73 too big, 75
 * try later, 77 not permitted).
 *
 * SECURITY: the submit group is held only to create, write and rename the
 * queue file (queue.c) and to list the queue (-bp); it is dropped for good
 * before success is reported, and at once for every mode that does not
 * need it.  Nothing the caller names is opened with the group.
 */
#include <config.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/address.h"
#include "lib/config.h"
#include "lib/cqueue.h"
#include "lib/exitcode.h"
#include "lib/iox.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/xalloc.h"

#include "submit/submit.h"

static struct submit S;

_Noreturn void
submit_fail(int code, const char *fmt, ...)
{
	va_list ap;

	queue_abort();
	va_start(ap, fmt);
	log_vmsg(3 /* LOG_ERR */, fmt, ap);
	va_end(ap);
	exit(code);
}

static _Noreturn void
usage(void)
{
	(void)fprintf(stderr, "usage: sendmail [-bm|-bp|-bi|-bv|-q] [-t] [-i] "
	    "[-f sender] [-F name] [-N dsn] [-R ret] [-V envid] [-B type]\n"
	    "                [-o option] [-O option=value] [--] "
	    "[recipient ...]\n");
	exit(EX_USAGE);
}

/* A value from the caller, or exit 65 (options.c says what is checked). */
static void
check_value(const char *what, const char *v, size_t max)
{
	struct buf why = BUF_INIT;

	if (submit_check_value(what, v, max, &why) < 0)
		submit_fail(EX_DATAERR, "%s", buf_cstr(&why));
}

/* The caller's ids and names, from the real uid. */
static void
identify(struct submit *s)
{
	struct passwd pwbuf, *pw = NULL;
	char *comma, *amp, *mem = NULL;
	struct buf name = BUF_INIT;
	size_t size = 1024;
	int rc;

	s->uid = getuid();
	for (;;) {
		mem = xrealloc(mem, size);
		rc = getpwuid_r(s->uid, &pwbuf, mem, size, &pw);
		if (rc != ERANGE || size > (1u << 20))
			break;
		size *= 2;
	}
	if (pw == NULL)
		submit_fail(rc == 0 ? EX_NOUSER : EX_TEMPFAIL, "user id %lu is "
		    "not in the passwd database: cannot tell who is sending",
		    (unsigned long)s->uid);
	s->user = xstrdup(pw->pw_name);
	check_value("the login name", s->user, CQ_FIELD_MAX);
	if (pw->pw_gecos != NULL && pw->pw_gecos[0] != '\0') {
		check_value("the full name (GECOS)", pw->pw_gecos, 4096);
		if ((comma = strchr(pw->pw_gecos, ',')) != NULL)
			*comma = '\0';
		/* "&" stands for the login name, capitalised (sendmail). */
		for (char *p = pw->pw_gecos; *p != '\0'; p++) {
			if (*p != '&') {
				buf_append_byte(&name, (unsigned char)*p);
				continue;
			}
			amp = s->user;
			buf_append_byte(&name, (unsigned char)(amp[0] >= 'a' &&
			    amp[0] <= 'z' ? amp[0] - 32 : amp[0]));
			buf_append_str(&name, amp + 1);
		}
		if (name.len > SUBMIT_FULLNAME_MAX)
			buf_truncate(&name, SUBMIT_FULLNAME_MAX);
		s->gecos_name = buf_steal(&name);
	}
	free(mem);
	s->trusted = config_list_has(CF_trusted_users, s->user);
}

/* RLIMIT_FSIZE: enough for a whole message, or refuse. */
static void
file_size_limit(off_t need)
{
	struct rlimit rl;

	(void)signal(SIGXFSZ, SIG_IGN);	/* writes fail with EFBIG instead */
	if (getrlimit(RLIMIT_FSIZE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= (rlim_t)need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need)
		submit_fail(EX_TEMPFAIL, "the file size limit (ulimit -f) is "
		    "too low for a queue file: %llu bytes",
		    (unsigned long long)rl.rlim_max);
	rl.rlim_cur = (rlim_t)need;
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		submit_fail(EX_TEMPFAIL, "cannot raise the file size limit: %s",
		    strerror(errno));
}

/* Start-up hygiene for a setgid program. */
static void
startup(void)
{
	struct rlimit core = { 0, 0 };

	if (iox_start_clean() < 0)
		_exit(EX_OSERR);
	(void)signal(SIGPIPE, SIG_DFL);	/* a reader gone: as sendmail */
	(void)setrlimit(RLIMIT_CORE, &core);
}

/* Drop the submit group for good (modes that do not write the queue). */
static void
drop_group(void)
{
	struct buf why = BUF_INIT;

	if (priv_drop_setgid(&why) < 0)
		submit_fail(EX_OSERR, "cannot drop the submit group: %s",
		    buf_cstr(&why));
	buf_free(&why);
}

/* -bv: how each address would be delivered (verify.c). */
static int
verify(struct submit *s)
{
	drop_group();
	return verify_addresses(s);
}

/* Exec a root-only helper, or refuse as sendmail does. */
static _Noreturn void
run_helper(const char *prog, const char *arg, const char *refusal)
{
	static char *const noenv[] = { NULL };
	char *const argv[] = { (char *)(uintptr_t)prog, (char *)(uintptr_t)arg,
	    NULL };

	struct stat self, target;

	if (getuid() != 0)
		submit_fail(EX_NOPERM, "%s", refusal);
	drop_group();
	/* Called as newaliases through a link to us: do not exec ourselves. */
	if (stat("/proc/self/exe", &self) == 0 && stat(prog, &target) == 0 &&
	    self.st_dev == target.st_dev && self.st_ino == target.st_ino)
		submit_fail(EX_UNAVAILABLE, "%s is this program: the real one "
		    "is not installed", prog);
	(void)execve(prog, argv, noenv);
	submit_fail(EX_UNAVAILABLE, "cannot run %s: %s", prog,
	    strerror(errno));
}

int
main(int argc, char **argv)
{
	const char *progname = argc > 0 && argv[0] != NULL ? argv[0] : "";
	const char *base = strrchr(progname, '/');
	struct buf why = BUF_INIT;
	struct utsname un;
	struct submit_opts o = { .mode = 'm' };
	char mode;
	int rc, fd;
	off_t size;

	startup();
	base = base ? base + 1 : progname;
	log_init("sendmail", LOG_F_SYSLOG | LOG_F_STDERR);
	if (strcmp(base, "mailq") == 0)
		o.mode = 'p';
	else if (strcmp(base, "newaliases") == 0)
		o.mode = 'i';
	cq_env_init(&S.env);
	if ((rc = submit_options(&S, argc, argv, &o, &why)) != 0) {
		if (o.usage) {
			(void)fprintf(stderr, "sendmail: %s\n", buf_cstr(&why));
			usage();
		}
		submit_fail(rc, "%s", buf_cstr(&why));
	}
	mode = o.mode;
	if (o.root_only && getuid() != 0)
		submit_fail(EX_NOPERM, "-C, -X, -D, -oQ and -oA (or their -O "
		    "forms) are for root only: refused");
	if (config_load(o.conf ? o.conf : config_default_path(),
	    o.conf ? 0 : CONFIG_F_TRUSTED | CONFIG_F_MISSING_OK, &why) < 0) {
		/* Out of descriptors or memory: try later, not "misconfigured". */
		rc = ex_from_errno(errno, EXC_CONFIG);
		submit_fail(ex_is_temporary(rc) ? rc : EX_CONFIG, "%s",
		    buf_cstr(&why));
	}
	S.hostname = config_str(CF_myhostname);
	if (S.hostname[0] == '\0')
		S.hostname = uname(&un) == 0 ? xstrdup(un.nodename) :
		    "localhost";
	S.limit = config_num(CF_message_size_limit);
	S.in.fd = 0;
	S.in.limit = S.limit;
	identify(&S);
	if ((rc = submit_operands(&S, argc, argv, &o, &why)) != 0)
		submit_fail(rc, "%s", buf_cstr(&why));
	switch (mode) {
	case 'p':
		/* root sees both queues, as postern-queue -p lists them. */
		if (getuid() == 0 && access(SBINDIR "/postern-queue", X_OK) == 0)
			run_helper(SBINDIR "/postern-queue", "-p", "");
		return queue_list(&S);
	case 'i':
		run_helper(SBINDIR "/newaliases", NULL, "Permission denied: "
		    "only root may rebuild the aliases database");
	case 'q':
		run_helper(SBINDIR "/postern-queue", "-q", "You do not have "
		    "permission to process the queue");
	case 'v':
		return verify(&S);
	case 's':
		return smtp_session(&S, stdout);
	default:
		break;
	}
	if (!S.extract && S.env.nrcpts == 0)
		submit_fail(EX_USAGE, "Recipient names must be specified");
	if (S.from != NULL) {
		if (strcmp(S.from, "<>") == 0 || S.from[0] == '\0')
			S.env.sender = xstrdup("");
		else {
			struct buf path = BUF_INIT, out = BUF_INIT;

			buf_printf(&path, S.from[0] == '<' ? "%s" : "<%s>",
			    S.from);
			if (addr_parse_path(path.data, path.len, ADDR_F_UTF8 |
			    ADDR_F_NO_DOMAIN, true, &out, &why) < 0)
				submit_fail(EX_DATAERR, "bad sender address "
				    "%s: %s", S.from, buf_cstr(&why));
			S.env.sender = buf_steal(&out);
			buf_free(&path);
		}
	} else {
		struct buf b = BUF_INIT;

		buf_printf(&b, "%s@%s", S.user, S.hostname);
		S.env.sender = buf_steal(&b);
	}
	if (S.fullname != NULL)
		(void)cq_env_add_opt(&S.env, "fullname", S.fullname, &why);
	file_size_limit(S.limit + 2 * 1024 * 1024);
	if ((fd = queue_open(&S, &why)) < 0)
		submit_fail(EX_TEMPFAIL, "%s", buf_cstr(&why));
	buf_reset(&why);
	cq_write_head(&why);
	if (iox_write_full(fd, why.data, why.len) < 0)
		submit_fail(EX_TEMPFAIL, "cannot write the queue file: %s",
		    strerror(errno));
	size = message_copy(&S, fd);
	if (S.env.nrcpts == 0)
		submit_fail(EX_USAGE, "No recipient addresses found in header");
	queue_commit(&S, fd, size, true);
	buf_free(&why);
	return EX_OK;
}
