#!/bin/sh
# Hostile callers of the setgid sendmail, each run as a test user in the
# sandbox: closed fds, a tiny RLIMIT_FSIZE, SIGKILL and other signals at
# random moments, links planted by a group member, a poisoned environment
# (LD_PRELOAD, TZ=/etc/shadow, ...), 100k recipients, a 1 MiB header line,
# NUL bytes, a caller not in /etc/passwd, hostile argv[0].  After each: no
# file outside the queue changed, and every file in submit/new is whole.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

sm=$POSTERN_SBINDIR/sendmail
q=$POSTERN_QUEUE_DIR/submit
dump=$top_builddir/tests/submit/cqdump
printf 'myhostname = test.example\n' >"$POSTERN_CONFIG_DIR/postern.conf"
clean() { rm -f "$q"/new/* "$q"/tmp/*; }
count() { ls "$q/new" | wc -l; }
# every file in new/ parses as a whole client queue file
all_whole() {
	for _f in "$q"/new/*; do
		[ -e "$_f" ] || continue
		"$dump" "$_f" >/dev/null 2>&1 || { echo "broken: $_f"; return 1; }
	done
	return 0
}
snapshot() {
	find /etc /home /usr/local /var/mail /tmp -xdev \
	    -newer "$SB/stamp" -print 2>/dev/null | grep -v "^/tmp/hostile" | sort
}
mkdir -p /tmp/hostile
sb_add_user grp 3010 "$POSTERN_SUBMIT_GROUP"
touch "$SB/stamp"
sleep 1

# fd 1 and 2 closed
clean
echo "closed fds" | sb_as alice sh -c "exec \"$sm\" bob 1>&- 2>&-"
tap_is "stdout and stderr closed: exit 0" "$?:$(count)" "0:1"
tap_check "... and the file is whole" all_whole

# RLIMIT_FSIZE
clean
head -c 200000 /dev/zero | tr '\0' x | fold -w 100 >/tmp/hostile/big
sb_as alice sh -c "ulimit -S -f 1; exec \"$sm\" bob" </tmp/hostile/big
tap_is "soft RLIMIT_FSIZE of 1 KiB: raised, exit 0" "$?:$(count)" "0:1"
tap_check "... whole" all_whole
clean
sb_as alice sh -c "ulimit -f 1; exec \"$sm\" bob" </tmp/hostile/big 2>"$SB/err"
tap_is "hard RLIMIT_FSIZE of 1 KiB: refused with 75, nothing queued" \
    "$?:$(count):$(ls "$q/tmp" | wc -l)" "75:0:0"
case $(cat "$SB/err") in *"file size limit"*) tap_ok "... saying why" ;;
*) tap_fail "... saying why" "$(cat "$SB/err")" ;; esac

# SIGKILL at random moments during a large submission (the moments spread
# over how long one submission takes here)
clean
head -c 8000000 /dev/zero | tr '\0' y | fold -w 100 >/tmp/hostile/huge
t0=$(date +%s%N)
sb_as alice "$sm" bob </tmp/hostile/huge
span=$((($(date +%s%N) - t0) / 1000))
clean
ok=0 i=0
while [ $i -lt 20 ]; do
	d=$(awk -v s=$i -v span=$span 'BEGIN { srand(s);
		printf "%.6f", rand() * span * 0.8 / 1e6 }')
	sb_as alice "$sm" bob </tmp/hostile/huge &
	pid=$!
	sleep "$d"
	pkill -KILL -x sendmail 2>/dev/null
	wait $pid && ok=$((ok + 1))
	i=$((i + 1))
done
# A kill between the rename into new/ and the exit leaves a whole message
# queued although the caller saw no exit status: no program can commit
# and exit in one step.  What must never happen: a run that succeeded
# without its file, or any file in new/ that is not whole.
n=$(count)
if [ "$n" -ge "$ok" ]; then
	tap_ok "SIGKILL x20: every run that exited 0 has its file in new/"
else
	tap_fail "SIGKILL x20: every run that exited 0 has its file in new/" \
	    "$n files for $ok successful runs"
fi
tap_check "... each file in new/ whole" all_whole
tap_diag "$((n - ok)) killed after the rename, before exiting"
tap_diag "one submission takes ${span} us; $ok of 20 finished before the kill; $(ls "$q/tmp" | wc -l) left in tmp/ for the runner to clean"

# SIGTERM, SIGHUP, SIGINT at random moments: the handler removes the file
clean
rm -f "$q"/tmp/*
for sig in TERM HUP INT; do
	i=0
	while [ $i -lt 10 ]; do
		d=$(awk -v s=$i -v span=$span 'BEGIN { srand(s + 100);
			printf "%.6f", rand() * span * 0.8 / 1e6 }')
		sb_as alice "$sm" bob </tmp/hostile/huge &
		pid=$!
		sleep "$d"
		pkill -$sig -x sendmail 2>/dev/null
		wait $pid
		i=$((i + 1))
	done
done
tap_is "SIGTERM/HUP/INT x30: nothing left in tmp/" "$(ls "$q/tmp" | wc -l)" 0
tap_check "... and new/ holds only whole files" all_whole
tap_diag "$(count) of 30 finished before the signal"

# links planted by a member of the submit group
clean
sb_as grp ln -s /etc/passwd "$q/tmp/planted"
sb_as grp ln -s /etc/passwd "$q/new/planted"
pw=$(sha256sum /etc/passwd)
echo "after planting" | sb_as alice "$sm" bob
tap_is "links planted in tmp/ and new/: the submission still works" "$?" 0
tap_is "/etc/passwd unchanged" "$(sha256sum /etc/passwd)" "$pw"
tap_is "the planted links are left as they were" \
    "$(stat -c '%F %N' "$q/tmp/planted")" \
    "symbolic link '$q/tmp/planted' -> '/etc/passwd'"
rm -f "$q/tmp/planted" "$q/new/planted"

# a poisoned environment
clean
cat >/tmp/hostile/preload.c <<'EOF'
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void
ran(void)
{
	close(open("/tmp/hostile/preload-ran", O_CREAT | O_WRONLY, 0666));
}
EOF
if command -v cc >/dev/null &&
    TMPDIR=/tmp/hostile cc -shared -fPIC -o /tmp/hostile/preload.so \
    /tmp/hostile/preload.c 2>/dev/null; then
	chmod 755 /tmp/hostile /tmp/hostile/preload.so
	echo x | sb_as alice env LD_PRELOAD=/tmp/hostile/preload.so \
	    LD_LIBRARY_PATH=/tmp/hostile TZ=/etc/shadow IFS=x PATH=/tmp/hostile \
	    PERL5OPT=-d TMPDIR=/tmp/hostile MAIL_CONFIG=/tmp/hostile \
	    "$sm" bob
	tap_is "poisoned environment: exit 0" "$?:$(count)" "0:1"
	tap_check_fails "LD_PRELOAD did not run in the setgid program" \
	    test -e /tmp/hostile/preload-ran
else
	tap_skip "poisoned environment" "no C compiler for the preload library"
	tap_skip "LD_PRELOAD" "no C compiler"
fi
tap_is "TZ=/etc/shadow ignored: Date: in the system zone" \
    "$("$dump" "$q/new/$(ls "$q/new" | head -n 1)" | sed -n 's/^Date: .* \([+-][0-9]*\)$/\1/p')" \
    "$(env -u TZ date +%z)"

# 100k recipients, on the command line and in a header
clean
seq 1 100000 | sed 's/^/r/' >/tmp/hostile/rcpts
echo x | sb_as alice sh -c "exec \"$sm\" \$(cat /tmp/hostile/rcpts)" 2>"$SB/err"
tap_is "100k recipients on the command line: 65, nothing queued" "$?:$(count)" "65:0"
tap_is "... with the limit in the message" "$(cat "$SB/err")" \
    "sendmail: too many recipients (the limit is 10000)"
{ printf 'To: '; paste -sd, /tmp/hostile/rcpts; printf '\nSubject: many\n\nx\n'; } |
    sb_as alice "$sm" -t 2>/dev/null
tap_is "100k recipients in a To: header: 65, nothing queued" "$?:$(count)" "65:0"

# a 1 MiB header line; NUL bytes
clean
{ printf 'Subject: '; head -c 1048576 /dev/zero | tr '\0' s; printf '\n\nbody\0with\0nuls\n'; } \
    >/tmp/hostile/longhdr
sb_as alice "$sm" bob </tmp/hostile/longhdr
tap_is "a 1 MiB header line: exit 0" "$?:$(count)" "0:1"
tap_is "... stored byte-exact, NUL bytes in the body too" \
    "$("$dump" "$q/new/$(ls "$q/new")" | sed '1,/^--$/d' | sed -n '/^Subject:/,$p' |
	grep -av '^\(From\|Date\|Message-ID\):' | sha256sum)" \
    "$(sha256sum </tmp/hostile/longhdr)"
clean
{ printf 'X-Big: '; head -c 5000000 /dev/zero | tr '\0' s; printf '\n\nbody\n'; } |
    sb_as alice "$sm" bob 2>/dev/null
tap_is "a 5 MB header section: 65, nothing queued" "$?:$(count)" "65:0"

# a caller not in /etc/passwd
echo x | setpriv --reuid=4242 --regid=4242 --clear-groups "$sm" bob 2>"$SB/err"
tap_is "uid 4242 (not in passwd): 67, nothing queued" "$?:$(count)" "67:0"
case $(cat "$SB/err") in *"4242 is not in the passwd"*) tap_ok "... saying why" ;;
*) tap_fail "... saying why" "$(cat "$SB/err")" ;; esac

# hostile argv[0]
long=$(head -c 4096 /dev/zero | tr '\0' a)
for a0 in "" "$long" "$(printf 'send\nmail')"; do
	clean
	echo x | sb_as alice bash -c 'exec -a "$1" "$2" bob' - "$a0" "$sm" 2>"$SB/err"
	tap_is "argv[0] of ${#a0} bytes: exit 0, queued" "$?:$(count)" "0:1"
done

tap_is "nothing outside the queue changed (besides the test's own files)" \
    "$(snapshot)" ""
tap_done
