#!/bin/sh
# Attack: signals and rlimits on the setgid sendmail, run by alice.
# SIGSTOP (then SIGCONT), SIGTERM and SIGKILL at moments spread over a
# slow submission; SIGSEGV and SIGABRT with RLIMIT_CORE unlimited;
# RLIMIT_FSIZE 0, RLIMIT_NOFILE 3, 4 and 5, RLIMIT_NPROC 1; fds 0, 1 and 2
# closed at exec; a 1 MB environment; umask 0.  What must hold: submit/new
# holds only whole messages (cqdump parses each), mode 0600, owner alice;
# leftovers only in submit/tmp (documented: the runner removes them); no
# core file and no core-dumped status; the stopped sendmail's gids are
# either all alice's or (real alice, effective = saved = fs = smmsp) while
# it writes, never a mix that could regain the group, and alice cannot
# read its memory or fds (it is not dumpable); nothing outside the client
# queue changes; no process holds more than its due.
set -u
. "$top_srcdir/tests/attack/attack.sh"

q=$POSTERN_QUEUE_DIR/submit
dump=$top_builddir/tests/submit/cqdump
gid=$(sb_gid "$POSTERN_SUBMIT_GROUP")
at_conf
mkdir -m 0777 /tmp/out
# whole: every file in new/ parses, is 0600 and alice's.
whole() {
	for _f in "$q"/new/*; do
		[ -e "$_f" ] || continue
		"$dump" "$_f" >/dev/null 2>&1 || { echo "broken: $_f"; return 1; }
		[ "$(stat -c '%a %U' "$_f")" = "600 alice" ] ||
			{ echo "mode: $(stat -c '%a %U %G' "$_f")"; return 1; }
	done
	for _f in "$q"/tmp/*; do
		[ -e "$_f" ] || continue
		[ "$(stat -c '%a' "$_f")" = 600 ] ||
			{ echo "tmp mode: $(stat -c '%a' "$_f")"; return 1; }
	done
}
count() { ls "$q/new" | wc -l; }
# as_alice CMD...: like sb_as, but in one step (setresuid from root drops
# every capability at once; setpriv shows a moment with alice's uid and
# root's capabilities, which the watch would rightly count).
as_alice() {
	/usr/bin/python3 -c '
import os, sys
os.initgroups("alice", 3001)
os.setresgid(3001, 3001, 3001)
os.setresuid(3001, 3001, 3001)
os.chdir("/home/alice")
os.execvpe(sys.argv[1], sys.argv[1:], {"PATH": "/usr/bin:/bin",
          "HOME": "/home/alice", "USER": "alice", "LOGNAME": "alice"})' "$@"
}
clean() { rm -f "$q"/new/* "$q"/tmp/*; }
# A submission of about 2 s: header, pauses, body.
cat >/tmp/out/slow.sh <<'EOF'
printf 'Subject: slow\nTo: bob\n\n'
i=0
while [ $i -lt 20 ]; do echo "line $i"; sleep 0.1; i=$((i + 1)); done
EOF
slow() { as_alice sh -c "umask ${1:-022}; sh /tmp/out/slow.sh | exec \"$at_sendmail\" bob" & }
# smpid: the sendmail process of alice's started last.
smpid() {
	_i=0
	while [ $_i -lt 50 ]; do
		_p=$(pgrep -n -x -u alice sendmail) && { echo "$_p"; return; }
		sleep 0.02
		_i=$((_i + 1))
	done
}

at_mark
at_watch_start
# --- SIGSTOP at spread moments: the gids, then SIGCONT ---------------
bad= n=0
for d in 0.1 0.5 0.9 1.3 1.7; do
	slow 000
	job=$!
	pid=$(smpid)
	sleep "$d"
	kill -STOP "$pid" 2>/dev/null
	g=$(sed -n 's/^Gid:[[:space:]]*//p' "/proc/$pid/status" | tr -s '\t ' ' ')
	case $g in
	"3001 $gid $gid $gid"|"3001 3001 3001 3001") ;;
	*) bad="$bad [$d: $g]" ;;
	esac
	if as_alice cat "/proc/$pid/environ" >/dev/null 2>&1 ||
	    as_alice ls "/proc/$pid/fd" >/dev/null 2>&1; then
		bad="$bad [$d: alice reads /proc/$pid]"
	fi
	sleep 0.2
	kill -CONT "$pid"
	wait $job && n=$((n + 1))
done
tap_is "SIGSTOP x5: gids consistent, not readable by alice" "$bad" ""
tap_is "... each run finished after SIGCONT, queued" "$n:$(count)" "5:5"
tap_check "... whole, 0600 (umask 000)" whole
clean
# -bv drops the group at once: blocked on a full stdout, it is all alice's.
# The reader waits for /tmp/out/go, so sendmail stays blocked until it is
# looked at; up to 20 s for it to get there (slow under ASan).
rm -f /tmp/out/go
as_alice sh -c "\"$at_sendmail\" -bv \$(yes bob | head -n 5000) | { while [ ! -e /tmp/out/go ]; do sleep 0.1; done; cat >/dev/null; }" &
job=$!
pid= i=0
while [ $i -lt 200 ]; do
	pid=$(pgrep -n -x -u alice sendmail)
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/wchan" 2>/dev/null)" = pipe_write ] && break
	sleep 0.1
	i=$((i + 1))
done
tap_is "-bv blocked on its output: gids all alice's" \
    "$(sed -n 's/^Gid:[[:space:]]*//p' "/proc/$pid/status" | tr -s '\t ' ' ')" \
    "3001 3001 3001 3001"
: >/tmp/out/go
wait $job

# --- SIGTERM and SIGKILL at spread moments ---------------------------
for sig in TERM KILL; do
	for d in 0.1 0.6 1.1 1.6; do
		slow
		job=$!
		pid=$(smpid)
		sleep "$d"
		kill -$sig "$pid" 2>/dev/null
		wait $job
	done
done
tap_is "SIGTERM x4, SIGKILL x4: nothing in new/" "$(count)" 0
tap_check "... and tmp/ holds only 0600 files" whole
tap_diag "left in tmp/ by SIGKILL (the runner removes them after a day): $(ls "$q/tmp" | wc -l)"
clean

# --- SIGSEGV and SIGABRT sent, RLIMIT_CORE unlimited ------------------
cat >/tmp/out/sig.py <<'EOF'
import os, signal, subprocess, sys, time
sm, sig = sys.argv[1], getattr(signal, sys.argv[2])
r, w = os.pipe()
p = subprocess.Popen([sm, 'bob'], stdin=r, cwd='/tmp/out',
                     preexec_fn=lambda: __import__('resource').setrlimit(
                         __import__('resource').RLIMIT_CORE, (-1, -1)))
os.write(w, b'Subject: core\n\n')
time.sleep(0.3)
p.send_signal(sig)
_, st = os.waitpid(p.pid, 0)
print('signal' if os.WIFSIGNALED(st) else 'exit',
      'core' if os.WCOREDUMP(st) else 'nocore')
EOF
for sig in SIGSEGV SIGABRT; do
	tap_is "$sig with RLIMIT_CORE unlimited: no core dumped" \
	    "$(as_alice /usr/bin/python3 /tmp/out/sig.py "$at_sendmail" $sig | cut -d' ' -f2)" \
	    nocore
done
tap_is "... no core file anywhere, nothing in new/" \
    "$(ls /tmp/out /home/alice | grep -c '^core'):$(count)" "0:0"
at_watch_check "signals" --expect sendmail

# --- rlimits, closed fds, environment ---------------------------------
# rl DESC WANT_RC WANT_QUEUED CMD...: alice runs CMD (which ends in
# sendmail bob) with a one-line message on stdin.
rl() {
	_d=$1 _wrc=$2 _wq=$3
	shift 3
	clean
	echo "Subject: rl" | as_alice "$@" 2>"$SB/err"
	_rc=$?
	tap_is "$_d: exit $_wrc, queued $_wq" "$_rc:$(count)" "$_wrc:$_wq"
	tap_diag "$(head -c 300 "$SB/err")"
	tap_check "... whole" whole
}
at_watch_start
rl "RLIMIT_FSIZE 0" 75 0 /usr/bin/prlimit --fsize=0 "$at_sendmail" bob
# With 3 or 4 descriptors the dynamic loader may fail to map libcap
# (127), or sendmail cannot open /etc for postern.conf: that is "try
# again later" (75, seen with 5), not a broken configuration (78).
# Nothing queued.  (With 6 a submission succeeds.)
for n in 3 4 5; do
	echo "Subject: rl" | as_alice /usr/bin/prlimit --nofile=$n "$at_sendmail" bob \
	    2>"$SB/err"
	r=$?
	case $r:$(count) in
	127:0|75:0) tap_ok "RLIMIT_NOFILE $n: refused ($r), nothing queued" ;;
	*) tap_fail "RLIMIT_NOFILE $n: refused, nothing queued" "$r:$(count) $(cat "$SB/err")" ;;
	esac
	tap_check "... whole" whole
done
rl "RLIMIT_NPROC 1" 0 1 /usr/bin/prlimit --nproc=1 "$at_sendmail" bob
rl "fds 0, 1, 2 closed" 0 1 /bin/sh -c \
    "exec 0<&- 1>&- 2>&-; exec \"$at_sendmail\" bob"
big=$(head -c 100000 /dev/zero | tr '\0' x)
rl "a 1 MB environment" 0 1 /usr/bin/env LD_PRELOAD=/tmp/out/x.so \
    B0=$big B1=$big B2=$big B3=$big B4=$big B5=$big B6=$big B7=$big B8=$big \
    B9=$big "$at_sendmail" bob
rl "umask 0" 0 1 /bin/sh -c "umask 0; exec \"$at_sendmail\" bob"
clean
at_watch_check "signals and rlimits" --expect sendmail
at_unchanged "all" "$q/new(/.*)?" "$q/tmp(/.*)?" "/tmp/out(/.*)?"
tap_done
