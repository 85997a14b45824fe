#!/bin/sh
# Concurrency: 8 writers deliver 500 messages each into one mbox while a
# reader takes the mailbox lock the way mutt and liblockfile do (a
# USER.lock dotlock made with O_EXCL, then fcntl on the mailbox) at random
# moments and checks, while it holds the lock, that the mailbox ends with
# a whole message.  Afterwards: exactly 4000 intact messages, none
# interleaved.  A ninth writer sends 500 more in one pipelined LMTP
# session (its worker keeps the mailbox locked from one message to the
# next while the next is waiting, up to a second): the same checks hold
# for all 4500.  POSTERN_CONCURRENCY_N scales the per-writer count.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"
command -v python3 >/dev/null || tap_skip_all "python3 is needed for the reader"

ml=$POSTERN_LIBEXECDIR/mail.local
spool=$POSTERN_MAIL_SPOOL
n=${POSTERN_CONCURRENCY_N:-500}
printf 'myhostname = test.example\n' >"$POSTERN_CONFIG_DIR/postern.conf"

writer() {
	_w=$1 _i=0
	while [ $_i -lt "$n" ]; do
		{
			echo "Subject: w$_w-m$_i"
			echo
			_k=0
			while [ $_k -lt 20 ]; do
				echo "w$_w-m$_i line $_k"
				_k=$((_k + 1))
			done
		} | "$ml" -f "w$_w@example.org" alice ||
			echo "writer $_w message $_i failed: $?" >>"$SB/failures"
		_i=$((_i + 1))
	done
}

# The ninth writer: one LMTP session, every message acknowledged.
lmtp_writer() {
	awk -v n="$n" 'BEGIN {
		printf "LHLO test\r\n"
		for (i = 0; i < n; i++) {
			printf "MAIL FROM:<w9@example.org>\r\nRCPT TO:<alice>\r\n"
			printf "DATA\r\nSubject: w9-m%d\r\n\r\n", i
			for (k = 0; k < 20; k++) printf "w9-m%d line %d\r\n", i, k
			printf ".\r\n"
		}
		printf "QUIT\r\n" }' >"$SB/session9"
	_ok=$("$ml" -l <"$SB/session9" | tr -d '\r' |
	    grep -c '^250 2.0.0 <alice> delivered$')
	[ "$_ok" = "$n" ] ||
		echo "lmtp writer: $_ok of $n delivered" >>"$SB/failures"
}

: >"$SB/failures"
python3 - "$spool" alice >"$SB/reader.out" 2>&1 <<'PY' &
import fcntl, os, random, sys, time
spool, user = sys.argv[1], sys.argv[2]
lock, box = os.path.join(spool, user + ".lock"), os.path.join(spool, user)
held = bad = 0
stop = os.path.join(spool, ".stop")
while not os.path.exists(stop):
    time.sleep(random.uniform(0.005, 0.05))
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        continue
    try:
        os.write(fd, b"%d\n" % os.getpid())
        try:
            mb = os.open(box, os.O_RDWR)
        except FileNotFoundError:
            continue
        fcntl.lockf(mb, fcntl.LOCK_EX)
        size = os.fstat(mb).st_size
        if size:
            os.lseek(mb, max(0, size - 2), 0)
            if os.read(mb, 2) != b"\n\n":
                bad += 1
        held += 1
        time.sleep(random.uniform(0.001, 0.02))
        os.close(mb)
    finally:
        os.unlink(lock)
        os.close(fd)
print(held, bad)
PY
reader=$!
w=1
while [ $w -le 8 ]; do
	writer $w &
	eval "wp$w=\$!"
	w=$((w + 1))
done
lmtp_writer &
wp9=$!
w=1
while [ $w -le 9 ]; do
	eval "wait \$wp$w"
	w=$((w + 1))
done
touch "$spool/.stop"
wait $reader
read -r held bad <"$SB/reader.out" || held=0 bad=x
tap_is "no delivery failed" "$(cat "$SB/failures")" ""
tap_is "the reader found a whole message at the end each time it held the lock" \
    "$bad" 0
tap_diag "the reader held the lock $held times"
[ "$held" -gt 0 ] && tap_ok "the reader got the lock between deliveries" ||
	tap_fail "the reader got the lock between deliveries" "$(cat "$SB/reader.out")"
tap_is "exactly $((9 * n)) messages" "$(grep -c '^From w' "$spool/alice")" \
    $((9 * n))
# Every message: its From_ line, 3 added/first lines, 20 body lines that all
# carry the tag of its Subject, and the blank line.
bad=$(awk -v want=20 '
function check() {
	if (tag != "" && (lines != want || mixed || from != tagw)) { bad++ }
}
/^From w[0-9]+@example.org / {
	check(); split($2, a, "@"); from = a[1]; tag = ""; lines = 0; mixed = 0
	next
}
/^Subject: / { tag = $2; split(tag, t, "-"); tagw = t[1]; next }
/^w[0-9]+-m[0-9]+ line / { lines++; if ($1 != tag) mixed = 1; next }
END { check(); print bad + 0 }' "$spool/alice")
tap_is "every message intact, none interleaved" "$bad" 0
tap_is "every message is there once" \
    "$(grep '^Subject: ' "$spool/alice" | sort -u | wc -l)" $((9 * n))
tap_check_fails "no lock file left" test -e "$spool/alice.lock"
tap_done
