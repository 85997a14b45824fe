#!/bin/sh
# Crash: 200 deliveries of ~1.3 MB messages, each killed with SIGKILL
# (mail.local and its delivery child) at a random moment.  After one more
# delivery the mbox holds only whole messages, and every message whose
# delivery returned success is there.  POSTERN_CRASH_N scales the count.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

. "$top_srcdir/tests/mail.local/setup.sh"
n=${POSTERN_CRASH_N:-200}

# message I: a Subject with its number, 4000 body lines that carry it, and
# a last line "end I", so a cut anywhere shows.
msg() {
	echo "Subject: m$1"
	echo
	awk -v i="$1" 'BEGIN { for (k = 0; k < 16000; k++)
		printf "m%s body line %05d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", i, k }'
	echo "end m$1"
}

# How long one delivery takes here, in microseconds: the kills land at
# random moments across that span.
msg 0 >"$SB/m"
t0=$(date +%s%N)
"$ml" -f a@b bob <"$SB/m" || tap_bail "a plain delivery failed"
span=$((($(date +%s%N) - t0) / 1000))
tap_diag "one delivery takes ${span} us here"

: >"$SB/ok"
i=0
while [ $i -lt "$n" ]; do
	msg $i >"$SB/m"
	# a random moment of the delivery (sleep's own start-up counted),
	# then kill everything named mail.local: the parent and its child
	d=$(awk -v s=$i -v span=$span 'BEGIN { srand(s);
		printf "%.6f", rand() * span * 0.7 / 1e6 }')
	"$ml" -f a@b alice <"$SB/m" &
	pid=$!
	sleep "$d"
	pkill -KILL -x mail.local 2>/dev/null
	if wait $pid; then
		echo "m$i" >>"$SB/ok"
	fi
	i=$((i + 1))
done
msg final >"$SB/m"
"$ml" -f a@b alice <"$SB/m"
tap_is "the delivery after the crashes succeeds" "$?" 0
echo "m$n-final" >/dev/null
ok=$(wc -l <"$SB/ok")
tap_diag "$ok of $n killed deliveries had finished before the kill"

whole=$(awk '
/^From a@b / { if (tag != "") { if (lines != 16000 || !ended) bad++; else good++ }
	tag = ""; lines = 0; ended = 0; next }
/^Subject: / { tag = $2; next }
/ body line / { if ($1 == tag) lines++; else bad++; next }
/^end / { ended = ($2 == tag) ; next }
END { if (tag != "") { if (lines != 16000 || !ended) bad++; else good++ }
	print good + 0, bad + 0 }' "$spool/alice")
tap_is "only whole messages in the mbox" "${whole#* }" 0
tap_diag "whole messages: ${whole% *}"
missing=0
while read -r t; do
	grep -qx "Subject: $t" "$spool/alice" || missing=$((missing + 1))
done <"$SB/ok"
tap_is "every message that got exit 0 is there" "$missing" 0
tap_is "the final message is there" "$(grep -c '^end mfinal$' "$spool/alice")" 1
tap_check_fails "no lock file left" test -e "$spool/alice.lock"
tap_done
