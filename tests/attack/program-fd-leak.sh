#!/bin/sh
# Attack: descriptor and environment leaks into delivery programs
# (sendmail CVE-2014-3956, Exim CVE-2020-28012).  A program named in the
# alias map (run as default_user) and one in alice's .forward (run as
# alice) list /proc/self/fd with readlink of each and the names in their
# environment.  They run under LMTP, with four recipients pipelined in one
# transaction (so mail.local's parent holds the session's pipes, mailbox
# descriptors and worker pipes meanwhile), and in pipe mode; the caller
# holds descriptors of its own (/etc/passwd, a file it writes, /dev/null)
# and a poison environment variable.  What must hold: each program sees
# only fds 0, 1 and 2 (and the one its own listing opens), none of them
# the caller's or a socket; its environment holds exactly the documented
# variables (forward(5)), none of the caller's; the other recipients get
# the message; nothing but their mailboxes and the programs' output
# changes; no process holds more than its due while the programs run.
set -u
. "$top_srcdir/tests/attack/attack.sh"

at_conf
mkdir -m 1777 /tmp/out
cat >/usr/local/bin/fdlist <<'EOT'
#!/usr/bin/python3
# fdlist TAG: the open descriptors (with their targets), the environment's
# names, the ids; kept running a while; written to /tmp/out/TAG.PID.
import os, sys, time
out = []
for fd in sorted(os.listdir('/proc/self/fd'), key=int):
    try:
        out.append('fd %s %s' % (fd, os.readlink('/proc/self/fd/' + fd)))
    except OSError as e:
        out.append('fd %s (%s)' % (fd, e.strerror))
# The environment it was started with: /proc shows it as exec gave it
# (python itself adds LC_CTYPE to os.environ in the C locale).
env = open('/proc/self/environ', 'rb').read().split(b'\0')
for k in sorted(e.split(b'=', 1)[0].decode() for e in env if e):
    out.append('env %s' % k)
out.append('ids %d %d' % (os.getuid(), os.geteuid()))
sys.stdin.buffer.read()
time.sleep(0.3)
with open('/tmp/out/%s.%d' % (sys.argv[1], os.getpid()), 'w') as f:
    f.write('\n'.join(out) + '\n')
EOT
chmod 755 /usr/local/bin/fdlist
printf 'fdprog: "|/usr/local/bin/fdlist alias"\npostmaster: root\n' >/etc/aliases
"$POSTERN_SBINDIR/newaliases" >/dev/null || tap_bail "newaliases failed"
printf '"|/usr/local/bin/fdlist forward"\n' >/home/alice/.forward
chown alice:alice /home/alice/.forward
ENVS="DOMAIN EXTENSION HOME LOCAL LOGNAME ORIGINAL_RECIPIENT PATH PWD RECIPIENT SENDER SHELL USER"

# judge MODE TAG UID: the listing of the program TAG from run MODE.
judge() {
	_f=$(ls /tmp/out/"$2".* 2>/dev/null | head -n 1)
	if [ -z "$_f" ]; then
		tap_fail "$1, $2: the program ran and wrote its listing" \
		    "$(ls -la /tmp/out)"
		return
	fi
	tap_ok "$1, $2: the program ran and wrote its listing"
	tap_diag "$1, $2: $(grep '^fd ' "$_f" | tr '\n' ';')"
	_pid=${_f##*.}
	# Only 0, 1, 2 and the listing's own directory descriptor (gone by
	# the time it is read back, or still /proc/PID/fd).
	_extra=$(grep '^fd ' "$_f" | grep -v '^fd [012] ' |
	    grep -vx "fd [0-9]* /proc/$_pid/fd" |
	    grep -vx "fd [0-9]* (No such file or directory)")
	tap_is "$1, $2: only fds 0, 1, 2 (and the listing's own)" "$_extra" ""
	tap_is "$1, $2: exactly one descriptor beyond 0-2" \
	    "$(grep -c '^fd \([3-9]\|[1-9][0-9]\)' "$_f")" 1
	tap_is "$1, $2: 0, 1, 2 are none of the caller's, no socket" \
	    "$(grep '^fd [012] ' "$_f" | grep -E 'socket:|/etc/|caller|/dev/null|/var/mail|/home')" ""
	tap_is "$1, $2: the environment is exactly the documented one" \
	    "$(sed -n 's/^env //p' "$_f" | tr '\n' ' ')" "$ENVS "
	tap_check_fails "$1, $2: none of the caller's variables" \
	    grep -q 'POSTERN_POISON\|BASH_ENV' "$_f"
	tap_is "$1, $2: runs as uid $3" "$(sed -n 's/^ids //p' "$_f")" "$3 $3"
}

# The caller's descriptors and variables, which must not reach programs.
exec 7</etc/passwd 8>>"$SB/caller-writes" 9<>/dev/null
POSTERN_POISON=leaked-from-the-caller BASH_ENV=/tmp/out/evil
export POSTERN_POISON BASH_ENV

# --- LMTP, four recipients pipelined ---------------------------------
at_mark
at_watch_start
out=$(printf 'Subject: lmtp\n\nfd leak over lmtp\n' |
    at_lmtp -p 0.5 alice bob fdprog mallory 2>&1)
rc=$?
at_watch_check "lmtp" --expect mail.local --expect-child
tap_is "lmtp: the session ran to its end" "$rc" 0
tap_is "lmtp: four 250 replies after DATA" \
    "$(printf '%s\n' "$out" | sed '1,/^354 /d' | grep -c '^250 2\.[0-9]\.[0-9] <')" 4
tap_diag "lmtp: $(printf '%s\n' "$out" | tail -n 6 | tr '\n' '|')"
judge lmtp alias "$(sb_uid nobody)"
judge lmtp forward "$(sb_uid alice)"
tap_is "lmtp: bob and mallory got it, alice's mailbox did not" \
    "$(sb_count lmtp "$spool/bob") $(sb_count lmtp "$spool/mallory") $(sb_count lmtp "$spool/alice")" \
    "1 1 0"
# LMTP mode keeps the message in an O_TMPFILE in temp_directory
# (/var/tmp): the overlay copies that directory up, a change of it.
at_unchanged "lmtp" "$spool" "$spool/(bob|mallory)(\.lock)?" /tmp/out /var /var/tmp \
    '/tmp/out/(alias|forward)\.[0-9]+'
rm -f /tmp/out/*

# --- pipe mode ----------------------------------------------------------
at_mark
at_watch_start
{ printf 'Subject: pipe\n\nfd leak in pipe mode\n'; sleep 0.2; } |
    "$at_ml" -f a@b alice bob fdprog mallory
rc=$?
at_watch_check "pipe" --expect mail.local --expect-child
tap_is "pipe: exit 0" "$rc" 0
judge pipe alias "$(sb_uid nobody)"
judge pipe forward "$(sb_uid alice)"
tap_is "pipe: bob and mallory got it, alice's mailbox did not" \
    "$(sb_count pipe "$spool/bob") $(sb_count pipe "$spool/mallory") $(sb_count pipe "$spool/alice")" \
    "1 1 0"
at_unchanged "pipe" "$spool" "$spool/(bob|mallory)(\.lock)?" /tmp/out \
    '/tmp/out/(alias|forward)\.[0-9]+'
tap_is "the caller's own file was never written" "$(wc -c <"$SB/caller-writes")" 0
exec 7<&- 8>&- 9<&-
tap_done
