#!/bin/sh
# The checker can fail: capwatch.py's `check` is fed synthetic watch files
# (the tab-separated records its `watch` writes: time, pid, starttime,
# ppid, exe, Uid, Gid, Groups, CapPrm, CapEff, CapInh, CapBnd, CapAmb,
# CPU ticks).
# A clean file must pass; each rule broken on its own (1: a non-root
# process with capabilities; 2: mail.local or postern-queue regaining
# rights after the drop, starting a child before the drop, or never
# dropping them within 100 ms of CPU time; 3: a
# descendant of a postern program as root, with group 0, or holding a
# capability) and each unmet --expect / --expect-child must make it exit
# 1 naming that rule.  And `watch` itself must write a process again while
# it lives unchanged, with the CPU time it has used, or the CPU rule could
# never be seen to break.
# Not a sandbox test: it needs no root and touches nothing but its own
# scratch directory.
set -u
. "$top_srcdir/tests/tap.sh"
py=/usr/bin/python3
[ -x "$py" ] || tap_skip_all "needs Debian's /usr/bin/python3"
cw=$top_srcdir/tests/attack/capwatch.py
tmp=$(mktemp -d "${TMPDIR:-/tmp}/capwatch-selftest.XXXXXX") ||
	tap_bail "cannot make a scratch directory"
trap 'rm -rf "$tmp"' EXIT
SBIN=/usr/local/sbin
LIBEXEC=/usr/local/libexec
ML=$LIBEXEC/mail.local
PQ=$SBIN/postern-queue
SM=$SBIN/sendmail

# rec T PID START PPID EXE UID GID GROUPS PRM EFF INH BND AMB [CPU]: one
# record.  UID and GID are single ids, written four times as /proc shows
# them; CPU is in clock ticks (default 0).
rec() {
	printf '%s\t%s\t%s\t%s\t%s\t%s %s %s %s\t%s %s %s %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$6" "$6" "$6" "$7" "$7" "$7" "$7" \
	    "$8" "$9" "${10}" "${11}" "${12}" "${13}" "${14:-0}"
}
# Clock ticks a second, as capwatch.py reads them.
hz=$(getconf CLK_TCK)
Z=0000000000000000
FULL=000001ffffffffff
ML_CAPS=00000000000000c0
RUNNER=00000000000001c6
RUNNER_BND=00000000000001c0

# The clean base: the test's shell, a postern-queue master that drops at
# once, its delivery child exec'ing mail.local (which drops), a worker
# that becomes alice, a program the worker runs (alice, no capability),
# and a sendmail of bob's.
clean() {
	rec 0.000 10 100 1 /bin/sh 0 0 0 $FULL $FULL $Z $FULL $Z
	rec 0.001 11 101 10 "$PQ" 0 0 0 $FULL $FULL $Z $FULL $Z
	rec 0.010 11 101 10 "$PQ" 0 0 0 $RUNNER $RUNNER $Z $RUNNER_BND $Z
	rec 0.200 12 150 11 "$PQ" 0 0 0 $RUNNER $RUNNER $Z $RUNNER_BND $Z
	rec 0.201 12 150 11 "$ML" 0 0 0 $RUNNER_BND $RUNNER_BND $Z $RUNNER_BND $Z
	rec 0.205 12 150 11 "$ML" 0 0 0 $ML_CAPS $ML_CAPS $Z $ML_CAPS $Z
	rec 0.206 13 160 12 "$ML" 0 0 0 $ML_CAPS $ML_CAPS $Z $ML_CAPS $Z
	rec 0.207 13 160 12 "$ML" 3001 3001 "3001 100" $Z $Z $Z $ML_CAPS $Z
	rec 0.208 14 170 13 "$ML" 3001 3001 "3001 100" $Z $Z $Z $ML_CAPS $Z
	rec 0.209 14 170 13 /bin/sh 3001 3001 "3001 100" $Z $Z $Z $ML_CAPS $Z
	rec 0.300 14 170 13 /bin/sh 3001 3001 "3001 100" $Z $Z $Z $ML_CAPS $Z
	rec 0.301 15 171 14 /usr/bin/cat 3001 3001 "3001 100" $Z $Z $Z $ML_CAPS $Z
	rec 0.310 16 180 10 "$SM" 3002 2001 3002 $Z $Z $Z $FULL $Z
	rec 0.400 11 101 10 "$PQ" 0 0 0 $RUNNER $RUNNER $Z $RUNNER_BND $Z
}

# check NAME FILE WANT_RC [PATTERN] [ARGS...]: run check on FILE; the
# exit status must be WANT_RC and the report must hold PATTERN (a
# fixed string) when given.
check() {
	_n=$1 _f=$2 _w=$3 _p=$4
	shift 4
	_out=$("$py" "$cw" check "$_f" --sbindir "$SBIN" --libexecdir "$LIBEXEC" "$@" 2>&1)
	_rc=$?
	if [ "$_rc" != "$_w" ]; then
		tap_fail "$_n: exit $_w" "exit $_rc
$_out"
	elif [ -n "$_p" ] && ! printf '%s\n' "$_out" | grep -qF -- "$_p"; then
		tap_fail "$_n: exit $_w, says '$_p'" "$_out"
	else
		tap_ok "$_n: exit $_w${_p:+, says '$_p'}"
	fi
}

# extra: the records on stdin are the next case's (a pipeline runs in a
# subshell: this only writes them down).
extra() { cat >"$tmp/extra"; }
# bad NAME PATTERN [ARGS...]: the clean base plus the extra records must
# fail with PATTERN; good NAME PATTERN: they must pass, saying PATTERN.
bad() {
	_bn=$1 _bp=$2
	shift 2
	{ clean; cat "$tmp/extra"; } >"$tmp/watch.$tap_n"
	check "$_bn" "$tmp/watch.$tap_n" 1 "$_bp" "$@"
}
good() {
	{ clean; cat "$tmp/extra"; } >"$tmp/watch.$tap_n"
	check "$1" "$tmp/watch.$tap_n" 0 "$2"
}

clean >"$tmp/clean.watch"
check "a clean file passes" "$tmp/clean.watch" 0 "samples: " \
    --expect mail.local --expect postern-queue --expect sendmail --expect-child
tap_check "... and its summary counts what was seen" sh -c \
    "'$py' '$cw' check '$tmp/clean.watch' --sbindir $SBIN --libexecdir $LIBEXEC |
     grep -q '(descendant) 3, mail.local 4, postern-queue 3, sendmail 1'"
# With the start-up rights for 45 ms, then dropped: counted, not judged.
{ rec 0.500 20 200 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z
  rec 0.540 20 200 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z
  rec 0.545 20 200 10 "$ML" 0 0 0 $ML_CAPS $ML_CAPS $Z $ML_CAPS $Z; } | extra
good "a drop after 45 ms passes, the start-up samples counted" \
    "start-up samples: mail.local"
# A busy machine: seen for two seconds with its start-up rights, having
# used a tick of CPU time, then dropped (the wall-time rule failed here).
{ rec 0.500 22 220 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z 3
  rec 2.500 22 220 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z 4
  rec 2.510 22 220 10 "$ML" 0 0 0 $ML_CAPS $ML_CAPS $Z $ML_CAPS $Z 4; } | extra
good "a drop after 2 s seen but 10 ms of CPU passes" ""
# A child seen while its parent is seen with its start-up rights in the
# same pass (read first: pids wrap): the parent may have dropped and
# forked after it was read.
{ rec 0.480 23 230 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z
  rec 0.500 24 240 23 "$ML" 0 0 0 $ML_CAPS $ML_CAPS $Z $ML_CAPS $Z
  rec 0.500 23 230 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z
  rec 0.520 23 230 10 "$ML" 0 0 0 $ML_CAPS $ML_CAPS $Z $ML_CAPS $Z; } | extra
good "a child seen in the pass its parent dropped in passes" ""
# A root process outside postern (the test's own shell) may hold anything.
{ clean; rec 0.5 30 300 1 /usr/bin/python3 0 0 0 $FULL $FULL $FULL $FULL $FULL; } \
    >"$tmp/other.watch"
check "a root process that postern did not start may hold anything" \
    "$tmp/other.watch" 0 ""
# A process that exits cannot have its exe read: it is still the program
# it was (the root worker of root's mail, and postern-queue's delivery
# child as root, are no descendants then).
{ clean; rec 0.50 21 210 12 "$ML" 0 0 0 $Z $Z $Z $ML_CAPS $Z
  rec 0.51 21 210 12 "" 0 0 0 $Z $Z $Z $ML_CAPS $Z
  rec 0.52 12 150 11 "" 0 0 0 $ML_CAPS $ML_CAPS $Z $ML_CAPS $Z; } \
    >"$tmp/exiting.watch"
check "an exiting postern process (no exe) is still itself" \
    "$tmp/exiting.watch" 0 ""
# Malformed lines (a short one, an empty one) are skipped, not fatal.
{ clean; printf '0.6\t31\n\n'; } >"$tmp/short.watch"
check "malformed lines are skipped" "$tmp/short.watch" 0 ""

# Rule 1.
rec 0.5 40 400 1 /usr/bin/ping 3003 3003 3003 0000000000002000 $Z $Z $FULL $Z | extra
bad "rule 1, permitted" "rule 1: a non-root process holds capabilities"
rec 0.5 40 400 1 /usr/bin/ping 3003 3003 3003 $Z 0000000000002000 $Z $FULL $Z | extra
bad "rule 1, effective" "rule 1: a non-root process holds capabilities"
rec 0.5 40 400 1 /usr/bin/ping 3003 3003 3003 $Z $Z $Z $FULL 0000000000002000 | extra
bad "rule 1, ambient" "rule 1: a non-root process holds capabilities"
rec 0.5 40 400 1 "$SM" 3003 2001 3003 0000000000000001 $Z $Z $FULL $Z | extra
bad "rule 1, sendmail" "rule 1: a non-root process holds capabilities"
# Only the saved uid is not root: still rule 1.
printf '0.5\t41\t410\t1\t/bin/x\t0 0 3003 0\t0 0 0 0\t0\t%s\t%s\t%s\t%s\t%s\t0\n' \
    0000000000000080 $Z $Z $FULL $Z | extra
bad "rule 1, saved uid not root" "rule 1: a non-root process holds capabilities"

# Rule 2: regained after the drop.
rec 0.25 12 150 11 "$ML" 0 0 0 $RUNNER_BND $ML_CAPS $Z $ML_CAPS $Z | extra
bad "rule 2, mail.local regains a permitted capability" \
    "rule 2: regained capabilities after the drop"
rec 0.25 12 150 11 "$ML" 0 0 0 $ML_CAPS $ML_CAPS 0000000000000040 $ML_CAPS $Z | extra
bad "rule 2, mail.local with an inheritable capability" \
    "rule 2: regained capabilities after the drop"
rec 0.25 12 150 11 "$ML" 0 0 0 $ML_CAPS $ML_CAPS $Z $RUNNER_BND $Z | extra
bad "rule 2, mail.local's bounding set grows" \
    "rule 2: regained capabilities after the drop"
rec 0.45 11 101 10 "$PQ" 0 0 0 $FULL $RUNNER $Z $RUNNER_BND $Z | extra
bad "rule 2, postern-queue regains" \
    "rule 2: regained capabilities after the drop"
rec 0.45 11 101 10 "$PQ" 0 0 0 $RUNNER $RUNNER $Z $RUNNER $Z | extra
bad "rule 2, postern-queue's bounding set holds CAP_DAC_OVERRIDE" \
    "rule 2: regained capabilities after the drop"
# Rule 2: never dropped within 100 ms of CPU time.
{ rec 0.50 50 500 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z 2
  rec 0.56 50 500 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z $((2 + hz * 12 / 100)); } | extra
bad "rule 2, mail.local never drops (120 ms of CPU)" \
    "rule 2: never dropped its start-up rights in 120 ms of CPU time"
{ rec 0.50 51 510 10 "$PQ" 0 0 0 $FULL $FULL $Z $FULL $Z
  rec 0.60 51 510 10 "$PQ" 0 0 0 $FULL $FULL $Z $FULL $Z $((hz / 10)); } | extra
bad "rule 2, postern-queue never drops (100 ms of CPU)" \
    "rule 2: never dropped its start-up rights in 100 ms of CPU time"
# Rule 2: a child started before the drop, however soon.
{ rec 0.50 53 530 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z
  rec 0.51 54 540 53 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z
  rec 0.51 53 530 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z
  rec 0.52 53 530 10 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z
  rec 0.52 53 530 10 "$ML" 0 0 0 $ML_CAPS $ML_CAPS $Z $ML_CAPS $Z; } | extra
bad "rule 2, mail.local forks before it drops" \
    "rule 2: started a child before it dropped its start-up rights"
# The exec of mail.local by a dropped postern-queue child starts a new
# program: it may start with what exec gave it (above, in the clean
# file); but a mail.local that never drops after the exec is caught.
{ rec 0.50 52 520 11 "$PQ" 0 0 0 $RUNNER $RUNNER $Z $RUNNER_BND $Z
  rec 0.51 52 520 11 "$ML" 0 0 0 $RUNNER_BND $RUNNER_BND $Z $RUNNER_BND $Z
  rec 0.58 52 520 11 "$ML" 0 0 0 $RUNNER_BND $RUNNER_BND $Z $RUNNER_BND $Z $((hz / 5)); } | extra
bad "rule 2, mail.local exec'd by postern-queue never drops" \
    "rule 2: never dropped its start-up rights in 200 ms of CPU time"

# Rule 3: descendants.
rec 0.35 14 170 13 /bin/sh 0 3001 "3001 100" $Z $Z $Z $ML_CAPS $Z | extra
bad "rule 3, a program run as root" "rule 3: a descendant runs as root"
printf '0.35\t14\t170\t13\t/bin/sh\t3001 0 3001 3001\t3001 3001 3001 3001\t3001\t%s\t%s\t%s\t%s\t%s\t0\n' \
    $Z $Z $Z $ML_CAPS $Z | extra
bad "rule 3, a program with effective uid 0" "rule 3: a descendant runs as root"
rec 0.35 14 170 13 /bin/sh 3001 0 "3001 100" $Z $Z $Z $ML_CAPS $Z | extra
bad "rule 3, a program with gid 0" "rule 3: a descendant has group 0"
rec 0.35 14 170 13 /bin/sh 3001 3001 "0 3001" $Z $Z $Z $ML_CAPS $Z | extra
bad "rule 3, a program in supplementary group 0" "rule 3: a descendant has group 0"
rec 0.35 14 170 13 /bin/sh 3001 3001 3001 $Z $Z $Z $ML_CAPS 0000000000000400 | extra
bad "rule 3, a program with an ambient capability" \
    "rule 3: a descendant holds capabilities"
# A grandchild, after its parent (the program) exited: still a descendant.
{ rec 0.35 60 600 14 /usr/bin/sleep 3001 3001 3001 $Z $Z $Z $ML_CAPS $Z
  rec 0.36 60 600 1 /usr/bin/sudo 0 3001 3001 $FULL $FULL $Z $FULL $Z; } | extra
bad "rule 3, a daemonized grandchild becomes root" \
    "rule 3: a descendant runs as root"
# The root worker of root's mail: uid 0, no capability, a mail.local: fine;
# but its program as root is not.
{ rec 0.40 61 610 12 "$ML" 0 0 0 $Z $Z $Z $ML_CAPS $Z
  rec 0.41 62 620 61 /bin/sh 0 0 0 $Z $Z $Z $ML_CAPS $Z; } | extra
bad "rule 3, a program of root's worker" "rule 3: a descendant runs as root"

# --expect and --expect-child unmet.
rec 0.0 10 100 1 /bin/sh 0 0 0 $FULL $FULL $Z $FULL $Z >"$tmp/empty.watch"
check "--expect mail.local, never seen" "$tmp/empty.watch" 1 \
    "expected to see mail.local running, never did" --expect mail.local
check "--expect postern-queue, never seen" "$tmp/empty.watch" 1 \
    "expected to see postern-queue running, never did" --expect postern-queue
check "--expect-child, no program seen" "$tmp/empty.watch" 1 \
    "expected to see a program run by postern, never did" --expect-child
# mail.local seen only before its drop does not count as seen.
rec 0.0 70 700 1 "$ML" 0 0 0 $FULL $FULL $Z $FULL $Z >"$tmp/undropped.watch"
check "--expect mail.local, seen only with its start-up rights" \
    "$tmp/undropped.watch" 1 "expected to see mail.local running, never did" \
    --expect mail.local
# A process whose parent was never postern is no descendant.
{ rec 0.0 71 710 1 /bin/sh 3001 3001 3001 $Z $Z $Z $FULL $Z; } >"$tmp/nochild.watch"
check "--expect-child, only an unrelated program" "$tmp/nochild.watch" 1 \
    "expected to see a program run by postern, never did" --expect-child
check "an unknown option is a usage error (64)" "$tmp/clean.watch" 64 "usage:" --bogus

# watch: a process that lives unchanged is written again (heartbeat), so
# its lifetime can be measured.
sleep 1 &
sl=$!
"$py" "$cw" watch "$tmp/live.watch" &
w=$!
sleep 0.3
kill -TERM $w
wait $w
kill $sl 2>/dev/null
wait $sl 2>/dev/null
n=$(awk -F '\t' -v p="$sl" '$2 == p' "$tmp/live.watch" | wc -l)
tap_check "watch writes a live, unchanged process again ($n records in 0.3 s)" \
    test "$n" -ge 3
tap_is "watch records have 14 fields" \
    "$(awk -F '\t' -v p="$sl" '$2 == p { print NF; exit }' "$tmp/live.watch")" 14
# A process that spins is written with the CPU time it has used.
sh -c 'while :; do :; done' &
sp=$!
"$py" "$cw" watch "$tmp/spin.watch" &
w=$!
sleep 0.5
kill -TERM $w
wait $w
kill $sp
wait $sp 2>/dev/null
cpu=$(awk -F '\t' -v p="$sp" '$2 == p { c = $14 } END { print c + 0 }' "$tmp/spin.watch")
tap_check "watch records the CPU time a spinning process used ($cpu ticks)" \
    test "$cpu" -ge $((hz / 10))
tap_done
