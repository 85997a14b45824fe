# tests/attack/attack.sh: what every attack test asserts.
#
# Sourced first by each attack test: it sources tests/tap.sh and
# tests/sandbox/sandbox.sh and enters the sandbox (the test runs again in
# it from the start), then sets $spool (the mail spool) and $py (Debian's
# python3, which the helpers use; the test is skipped without it).  Two
# questions are asked of every attack:
#
#   Did anything change outside what the attack was allowed to reach?
#     at_mark                      remember "now"
#     at_changed [ERE]...          print every path under the sandbox's
#                                  /etc /var /home /root /tmp /usr /opt
#                                  /dev/shm whose inode changed (content,
#                                  mode, owner, links) since at_mark, and
#                                  "removed: PATH" for each that went
#                                  away, except those matching one of the
#                                  EREs (whole path, anchored)
#     at_unchanged NAME [ERE]...   a TAP point: at_changed printed nothing
#
#   Did any process gain a privilege it should not hold?
#     at_watch_start               sample every process's ids and
#                                  capability sets from /proc/PID/status
#                                  (the sandbox has its own PID namespace)
#     at_watch_check NAME [--expect PROG]... [--expect-child]
#                                  stop sampling; a TAP point: the rules of
#                                  tests/attack/capwatch.py held, and the
#                                  named programs (or a program that
#                                  postern ran) were seen while running
#
# Processes live for milliseconds: a test that wants them seen keeps them
# running (a slow stdin, an LMTP session that pauses before QUIT).
#
# Other helpers:
#   at_ml                       mail.local's installed path
#   at_sendmail                 sendmail's installed path
#   at_conf LINE...             write postern.conf (myhostname given)
#   at_syslog_start, at_syslog_wait ERE   the syslog lines (see below)
#   at_wait_file FILE ERE [TENTHS]        wait for a line in a file
#   at_lmtp [-p S] [-f SENDER] RCPT... <MSG   an LMTP session (see below)

. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"
py=/usr/bin/python3
[ -x "$py" ] || tap_skip_all "needs Debian's /usr/bin/python3"
spool=$POSTERN_MAIL_SPOOL

at_ml=$POSTERN_LIBEXECDIR/mail.local
at_sendmail=$POSTERN_SBINDIR/sendmail
at_watcher=
AT_ROOTS="/etc /var /home /root /tmp /usr /opt /dev/shm"

at_conf() {
	{
		echo "myhostname = test.example"
		for _l in "$@"; do echo "$_l"; done
	} >"$POSTERN_CONFIG_DIR/postern.conf"
}

# at_find ARGS...: find over the roots, the sandbox's scratch and the
# source and build trees left out.  The overlaid roots are searched
# through their upper layers (on the sandbox's tmpfs), where every change
# lands (a removal as a whiteout), and every other mount below a root (the
# spool, the queue, /home, the bound passwd files) on its own; paths are
# printed as the sandbox sees them.  Searching the whole lower /usr would
# cost seconds per look.
at_find() {
	_at_bld=$(cd "$top_builddir" && pwd -P)
	_at_src=$(cd "$top_srcdir" && pwd -P)
	{
		for _at_r in $AT_ROOTS; do
			if [ -d "$SB/$_at_r.upper" ]; then
				echo "$SB$_at_r.upper $_at_r"
			fi
		done
		while read -r _at_dev _at_mnt _at_rest; do
			for _at_r in $AT_ROOTS; do
				case $_at_mnt in
				"$_at_r"|"$_at_r"/*)
					[ -d "$SB/$_at_mnt.upper" ] ||
						echo "$_at_mnt $_at_mnt" ;;
				esac
			done
		done </proc/self/mounts
	} | sort -u | while read -r _at_dir _at_as; do
		find "$_at_dir" -xdev \( -path "$_at_bld" -o -path "$_at_src" \
		    -o -path "$SB" \) -prune -o "$@" 2>/dev/null |
		    sed "s|^$_at_dir|$_at_as|"
	done
}

at_mark() {
	# LMTP mode's O_TMPFILE in /var/tmp would copy /var/tmp up into the
	# overlay on first use (no real file system changes a directory for
	# it): copy it up now.
	touch -c /var/tmp 2>/dev/null
	at_find -print | LC_ALL=C sort >"$SB/at.list" ||
		tap_bail "cannot write $SB/at.list"
	: >"$SB/at.mark" || tap_bail "cannot write $SB/at.mark"
	# Inode times have a clock tick's granularity: step past it, so a
	# change right after the mark is newer than the mark.
	sleep 0.02
}

at_changed() {
	_at_pat='^$' _at_rm='^$'
	for _at_e in "$@"; do
		_at_pat="$_at_pat|^($_at_e)\$"
		_at_rm="$_at_rm|^removed: ($_at_e)\$"
	done
	{
		at_find -cnewer "$SB/at.mark" -print
		at_find -print | LC_ALL=C sort | comm -23 "$SB/at.list" - |
		    sed 's/^/removed: /'
	} | grep -Ev "$_at_pat" | grep -Ev "$_at_rm" | sort
}

at_unchanged() {
	_at_name=$1
	shift
	_at_chg=$(at_changed "$@")
	if [ -z "$_at_chg" ]; then
		tap_ok "$_at_name: nothing else changed"
	else
		tap_fail "$_at_name: nothing else changed" \
		    "changed: $(printf '%s\n' "$_at_chg" | head -20 | tr '\n' ' ')"
	fi
}

at_watch_start() {
	[ -z "$at_watcher" ] || tap_bail "at_watch_start: already watching"
	: >"$SB/at.watch"
	"$py" "$top_srcdir/tests/attack/capwatch.py" watch \
	    "$SB/at.watch" &
	at_watcher=$!
	# Let it take its first sample before the attack starts.
	_at_i=0
	while [ ! -s "$SB/at.watch" ] && [ $_at_i -lt 100 ]; do
		sleep 0.02
		_at_i=$((_at_i + 1))
	done
}

at_watch_check() {
	_at_name=$1
	shift
	[ -n "$at_watcher" ] || tap_bail "at_watch_check: not watching"
	kill -TERM "$at_watcher" 2>/dev/null
	wait "$at_watcher" 2>/dev/null
	at_watcher=
	_at_rep=$("$py" "$top_srcdir/tests/attack/capwatch.py" check \
	    "$SB/at.watch" --sbindir "$POSTERN_SBINDIR" \
	    --libexecdir "$POSTERN_LIBEXECDIR" "$@")
	if [ $? -eq 0 ]; then
		tap_ok "$_at_name: no process held more than its due"
		tap_diag "$_at_name: $(printf '%s\n' "$_at_rep" | head -1)"
	else
		tap_fail "$_at_name: no process held more than its due" \
		    "$(printf '%s\n' "$_at_rep" | head -20)"
	fi
}

# at_syslog_start: a private /dev (the usual nodes bound in) whose
# /dev/log is read by a collector writing one line per message to
# $at_syslog ("<PRI>...ident[pid]: text"): the log lines of processes that
# write only to syslog (mail.local's workers, LMTP mode).  Once, before
# at_mark.  at_syslog_wait ERE [TENTHS]: up to 3 s (or TENTHS/10 s) for a
# line matching ERE.
at_syslog=
at_syslog_start() {
	[ -z "$at_syslog" ] || return 0
	at_syslog=$SB/syslog
	mkdir "$SB/dev" "$SB/dev/shm" "$SB/dev/pts" || tap_bail "at_syslog_start: mkdir"
	for _at_d in null zero full random urandom tty; do
		[ -e "/dev/$_at_d" ] || continue
		: >"$SB/dev/$_at_d" && mount --bind "/dev/$_at_d" "$SB/dev/$_at_d" ||
			tap_bail "at_syslog_start: cannot bind /dev/$_at_d"
	done
	for _at_d in fd:/proc/self/fd stdin:/proc/self/fd/0 \
	    stdout:/proc/self/fd/1 stderr:/proc/self/fd/2 ptmx:pts/ptmx; do
		ln -s "${_at_d#*:}" "$SB/dev/${_at_d%%:*}"
	done
	mount --rbind /dev/shm "$SB/dev/shm" && mount --rbind /dev/pts "$SB/dev/pts" &&
	    mount --rbind "$SB/dev" /dev || tap_bail "at_syslog_start: cannot mount /dev"
	: >"$at_syslog"
	"$py" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        d = s.recv(65536)
        f.write(d.rstrip(b"\n").replace(b"\n", b" ") + b"\n")
' "$at_syslog" &
	_at_i=0
	while [ ! -S /dev/log ] && [ $_at_i -lt 100 ]; do
		sleep 0.02
		_at_i=$((_at_i + 1))
	done
	[ -S /dev/log ] || tap_bail "at_syslog_start: no /dev/log"
}
# at_wait_file FILE ERE [TENTHS]: up to 3 s (or TENTHS/10 s) for a line
# of FILE matching ERE.
at_wait_file() { sb_wait_line "$1" "$2" "${3:-30}" -E; }
at_syslog_wait() { at_wait_file "$at_syslog" "$@"; }

# at_lmtp [-p SECONDS] [-f SENDER] RCPT... <MESSAGE: one LMTP session with
# mail.local -l: LHLO, MAIL, every RCPT and DATA pipelined in one write,
# the message (dot-stuffed), then the replies (one per accepted recipient)
# read; the session stays open SECONDS (default 0.3) before QUIT, so the
# processes can be watched.  Prints every reply line; exit 0 when the
# session ran to its end (221), whatever the replies.
at_lmtp() {
	"$py" -c '
import subprocess, sys, time
ml, args = sys.argv[1], sys.argv[2:]
pause, sender = 0.3, "a@b"
while args and args[0] in ("-p", "-f"):
    if args[0] == "-p":
        pause = float(args[1])
    else:
        sender = args[1]
    args = args[2:]
rcpts = args
msg = sys.stdin.buffer.read()
p = subprocess.Popen([ml, "-l"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def reply():
    lines = []
    while True:
        l = p.stdout.readline()
        if not l:
            raise SystemExit("mail.local closed the session: %r" % lines)
        lines.append(l.decode("latin-1").rstrip("\r\n"))
        print(lines[-1], flush=True)
        if len(l) < 4 or l[3:4] != b"-":
            return lines[-1]
reply()
cmds = [b"LHLO test.example", b"MAIL FROM:<" + sender.encode() + b">"]
cmds += [b"RCPT TO:<" + r.encode() + b">" for r in rcpts] + [b"DATA"]
p.stdin.write(b"".join(c + b"\r\n" for c in cmds))
p.stdin.flush()
reply(); reply()
ok = sum(reply().startswith("250") for r in rcpts)
if reply().startswith("354"):
    body = b"".join((b"." + l if l.startswith(b".") else l).rstrip(b"\n") + b"\r\n"
                    for l in msg.splitlines(True))
    p.stdin.write(body + b".\r\n")
    p.stdin.flush()
    for i in range(ok):
        reply()
time.sleep(pause)
p.stdin.write(b"QUIT\r\n")
p.stdin.flush()
last = reply()
p.stdin.close()
p.wait()
sys.exit(0 if last.startswith("221") else 1)
' "$at_ml" "$@"
}
