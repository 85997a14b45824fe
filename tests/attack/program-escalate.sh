#!/bin/sh
# Attack: a delivery program that tries to escalate.  A program (C,
# compiled here) run from bob's .forward (as bob) and from the alias map
# (as default_user) tries setuid(0), setresuid(0,0,0), setgid(0),
# setresgid to the mail spool's group, setgroups([0]), capset of every
# capability; reads /etc/shadow; writes /var/mail/alice and creates a file
# in the spool; ptrace-attaches its parent (the worker) and mail.local's
# root parent, opens their /proc mem and reads the root parent's memory,
# lists its descriptors; and sends it SIGKILL.  Each attempt is written
# into a report file the program may write (bob's own home; /tmp/out for
# default_user).  What must hold: every attempt failed (the report says
# "refused" for each, never "SUCCEEDED"); mail.local's parent lives on
# and ends its LMTP session (221), pipe mode exits 0; /etc/shadow and
# alice's mailbox are untouched and nothing else changed; no process held
# more than its due, the programs included (--expect-child).
set -u
. "$top_srcdir/tests/attack/attack.sh"
command -v cc >/dev/null 2>&1 || tap_skip_all "needs a C compiler (cc)"

at_conf
mkdir -m 1777 /tmp/out
cat >"$SB/escalate.c" <<'EOT'
/* escalate REPORT: try every way up; one line per attempt in REPORT. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static FILE *rep;

static void
res(const char *what, long rc)
{
	if (rc < 0)
		fprintf(rep, "%s: refused: %s\n", what, strerror(errno));
	else
		fprintf(rep, "%s: SUCCEEDED\n", what);
}

/* ptrace attach; detach at once when it worked. */
static void
attach(const char *what, pid_t pid)
{
	long rc = ptrace(PTRACE_ATTACH, pid, NULL, NULL);

	res(what, rc);
	if (rc == 0) {
		(void)waitpid(pid, NULL, __WALL);
		(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
}

/* The ppid and real uid of pid, and whether it is mail.local. */
static int
procinfo(pid_t pid, pid_t *ppid, long *uid, int *ml)
{
	char p[64], line[256];
	FILE *f;

	*ppid = 0, *uid = -1, *ml = 0;
	snprintf(p, sizeof p, "/proc/%ld/status", (long)pid);
	if ((f = fopen(p, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "Name:\tmail.local", 16) == 0)
			*ml = 1;
		else if (strncmp(line, "PPid:", 5) == 0)
			*ppid = (pid_t)atol(line + 5);
		else if (strncmp(line, "Uid:", 4) == 0)
			*uid = atol(line + 4);
	}
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	pid_t pp = getppid(), p, up, ml = 0;
	char buf[4096], path[64];
	struct iovec lv = { buf, sizeof buf }, rv = { (void *)0x400000, 16 };
	struct timespec ts = { 0, 300000000 };
	gid_t zero = 0;
	long uid;
	int isml;

	if (argc != 2 || (rep = fopen(argv[1], "w")) == NULL)
		return 75;
	setvbuf(rep, NULL, _IOLBF, 0);
	fprintf(rep, "ids: %ld %ld %ld %ld\n", (long)getuid(), (long)geteuid(),
	    (long)getgid(), (long)getegid());
	res("setuid(0)", setuid(0));
	res("setresuid(0,0,0)", setresuid(0, 0, 0));
	res("setgid(0)", setgid(0));
	res("setresgid(mail)", setresgid(8, 8, 8));
	res("setgroups([0])", setgroups(1, &zero));
	memset(d, 0xff, sizeof d);
	res("capset(all)", syscall(SYS_capset, &h, d));
	res("open /etc/shadow", open("/etc/shadow", O_RDONLY));
	res("open /var/mail/alice for writing",
	    open("/var/mail/alice", O_WRONLY | O_APPEND));
	res("create /var/mail/evil",
	    open("/var/mail/evil", O_WRONLY | O_CREAT | O_EXCL, 0600));
	(void)procinfo(pp, &up, &uid, &isml);
	fprintf(rep, "parent: %ld uid %ld %s\n", (long)pp, uid,
	    isml ? "mail.local" : "other");
	attach("ptrace attach the parent", pp);
	snprintf(path, sizeof path, "/proc/%ld/mem", (long)pp);
	res("open the parent's mem", open(path, O_RDWR));
	/* Up the tree to mail.local's root parent. */
	for (p = pp; p > 1 && procinfo(p, &up, &uid, &isml) == 0; p = up)
		if (isml && uid == 0) {
			ml = p;
			break;
		}
	fprintf(rep, "mail.local parent: %ld\n", (long)ml);
	if (ml > 0) {
		attach("ptrace attach mail.local's parent", ml);
		res("ptrace seize mail.local's parent",
		    ptrace(PTRACE_SEIZE, ml, NULL, NULL));
		snprintf(path, sizeof path, "/proc/%ld/mem", (long)ml);
		res("open mail.local's parent's mem", open(path, O_RDONLY));
		res("process_vm_readv mail.local's parent",
		    process_vm_readv(ml, &lv, 1, &rv, 1, 0));
		snprintf(path, sizeof path, "/proc/%ld/fd/0", (long)ml);
		res("readlink mail.local's parent's fd 0",
		    readlink(path, buf, sizeof buf));
		res("kill -9 mail.local's parent", kill(ml, SIGKILL));
	}
	while (read(0, buf, sizeof buf) > 0)
		;
	nanosleep(&ts, NULL);
	fprintf(rep, "end\n");
	return 0;
}
EOT
cc -o /usr/local/bin/escalate "$SB/escalate.c" >"$SB/cc.log" 2>&1 ||
	tap_bail "cannot compile the program: $(cat "$SB/cc.log")"
chmod 755 /usr/local/bin/escalate
# exec: the program's parent is then mail.local's worker itself.
printf 'escalias: "|exec /usr/local/bin/escalate /tmp/out/default_user.report"\npostmaster: root\n' \
    >/etc/aliases
"$POSTERN_SBINDIR/newaliases" >/dev/null || tap_bail "newaliases failed"
printf '"|exec /usr/local/bin/escalate /home/bob/escalate.report"\n' >/home/bob/.forward
chown bob:bob /home/bob/.forward
printf 'alice keeps this\n' | "$at_ml" -f a@b alice || tap_bail "first delivery failed"
sums0=$(sha256sum /etc/shadow /etc/passwd "$spool/alice")

ATTEMPTS="setuid(0)
setresuid(0,0,0)
setgid(0)
setresgid(mail)
setgroups([0])
capset(all)
open /etc/shadow
open /var/mail/alice for writing
create /var/mail/evil
ptrace attach the parent
open the parent's mem
ptrace attach mail.local's parent
ptrace seize mail.local's parent
open mail.local's parent's mem
process_vm_readv mail.local's parent
readlink mail.local's parent's fd 0
kill -9 mail.local's parent"

# judge MODE WHO REPORT IDS: every attempt in REPORT was refused.
judge() {
	if [ ! -s "$3" ]; then
		tap_fail "$1, $2: the program ran and wrote its report" "$(ls -la "${3%/*}")"
		return
	fi
	tap_ok "$1, $2: the program ran and wrote its report"
	tap_is "$1, $2: it ran as $4, and to its end" \
	    "$(sed -n 's/^ids: //p' "$3") $(tail -n 1 "$3")" "$4 end"
	tap_check "$1, $2: it found mail.local's root parent" \
	    grep -q '^mail.local parent: [1-9]' "$3"
	tap_check "$1, $2: its parent is mail.local's worker, as $2" \
	    grep -q "^parent: [0-9]* uid ${4%% *} mail.local\$" "$3"
	_n=0 _bad=
	while IFS= read -r _a; do
		_l=$(grep -F "$_a: " "$3" | head -n 1)
		case $_l in
		"$_a: refused: "*) _n=$((_n + 1)) ;;
		*) _bad="$_bad
$_a => ${_l:-(no line)}" ;;
		esac
	done <<EOT
$ATTEMPTS
EOT
	if [ -z "$_bad" ]; then
		tap_ok "$1, $2: all $_n attempts refused"
	else
		tap_fail "$1, $2: all attempts refused" "$_bad"
	fi
	tap_diag "$1, $2: $(grep "^parent: " "$3")"
	tap_diag "$1, $2: $(grep -c SUCCEEDED "$3") succeeded; $(sed -n 's/: refused: /=/p' "$3" | tr '\n' ';')"
}

# --- LMTP: the root parent stays alive for the session ------------------
at_mark
at_watch_start
out=$(printf 'Subject: escalate\n\nup\n' | at_lmtp -p 0.5 bob escalias 2>&1)
rc=$?
at_watch_check "lmtp" --expect mail.local --expect-child
tap_is "lmtp: mail.local's parent lived on: the session ended with 221" "$rc" 0
tap_is "lmtp: both programs delivered (250)" \
    "$(printf '%s\n' "$out" | sed '1,/^354 /d' | grep -c '^250 ')" 2
judge lmtp bob /home/bob/escalate.report "3002 3002 3002 3002"
judge lmtp default_user /tmp/out/default_user.report "65534 65534 65534 65534"
tap_is "lmtp: /etc/shadow, /etc/passwd and alice's mailbox untouched" \
    "$(sha256sum /etc/shadow /etc/passwd "$spool/alice")" "$sums0"
# LMTP keeps the message in an O_TMPFILE in /var/tmp (the overlay copies
# the directory up).
at_unchanged "lmtp" "$spool" /var /var/tmp /tmp/out /tmp/out/default_user.report \
    /home/bob /home/bob/escalate.report
rm -f /tmp/out/default_user.report /home/bob/escalate.report

# --- pipe mode ------------------------------------------------------------
at_mark
at_watch_start
{ printf 'Subject: escalate pipe\n\nup\n'; sleep 0.2; } |
    "$at_ml" -f a@b bob escalias >"$SB/pipe.err" 2>&1
rc=$?
at_watch_check "pipe" --expect mail.local --expect-child
tap_is "pipe: exit 0 (mail.local's parent was not killed)" "$rc" 0
judge pipe bob /home/bob/escalate.report "3002 3002 3002 3002"
judge pipe default_user /tmp/out/default_user.report "65534 65534 65534 65534"
tap_is "pipe: /etc/shadow, /etc/passwd and alice's mailbox untouched" \
    "$(sha256sum /etc/shadow /etc/passwd "$spool/alice")" "$sums0"
at_unchanged "pipe" "$spool" /tmp/out /tmp/out/default_user.report \
    /home/bob /home/bob/escalate.report
tap_check_fails "no /var/mail/evil" test -e "$spool/evil"
tap_done
