#!/bin/sh
# Crash: 200 deliveries of ~1.3 MB messages, each killed with SIGKILL
# (mail.local and its delivery child) at a random moment.  After one more
# delivery the mbox holds only whole messages, and every message whose
# delivery returned success is there.  Then the same for 20 pipelined
# LMTP sessions of 500 small messages each, each killed at a random
# moment (the worker keeps the mailbox locked from
# one message to the next): a lock left behind records a size past every
# acknowledged message, every message whose "250" reply came out is
# there, and only whole ones.
# POSTERN_CRASH_N scales the counts.
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
		printf "m%s body line %05d, padded to eighty bytes with these words.......\n", i, k }'
	echo "end m$1"
}

# whole LINES MBOX: "GOOD BAD", the messages with LINES body lines of their
# own tag and their end line, and the others (cfinal, short, is neither).
whole() {
	awk -v want="$1" '
	function check() {
		if (tag != "" && tag != "cfinal") {
			if (lines != want || !ended) bad++; else good++
		}
	}
	/^From a@b / { check(); tag = ""; lines = 0; ended = 0; next }
	/^Subject: / { tag = $2; next }
	/ body line / { if ($1 == tag) lines++; else bad++; next }
	/^end / { ended = ($2 == tag); next }
	END { check(); print good + 0, bad + 0 }' "$2"
}
# missing LIST MBOX: how many of the subjects listed are not in MBOX.
missing() {
	_n=0
	while read -r _t; do
		grep -qx "Subject: $_t" "$2" || _n=$((_n + 1))
	done <"$1"
	echo $_n
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
ok=$(wc -l <"$SB/ok")
tap_diag "$ok of $n killed deliveries had finished before the kill"

w=$(whole 16000 "$spool/alice")
tap_is "only whole messages in the mbox" "${w#* }" 0
tap_diag "whole messages: ${w% *}"
tap_is "every message that got exit 0 is there" \
    "$(missing "$SB/ok" "$spool/alice")" 0
tap_is "the final message is there" "$(grep -c '^end mfinal$' "$spool/alice")" 1
tap_check_fails "no lock file left" test -e "$spool/alice.lock"

# --- LMTP sessions killed -------------------------------------------
sb_add_user carol 3104 >/dev/null 2>&1 || tap_bail "cannot add user carol"
boot=$(cat /proc/sys/kernel/random/boot_id) || tap_bail "no boot id in /proc"
# On the build tree's disk, where fsync costs what it costs: on a tmpfs
# the worker outruns the session and never holds the mailbox for long.
disk=$top_builddir/tests/mail.local/crash-spool
rm -rf "$disk" && mkdir -p "$disk" && chown root:mail "$disk" &&
    chmod 2775 "$disk" && mount --bind "$disk" "$spool" ||
	tap_bail "cannot bind a spool on the build disk"
lmsg() {	# lmsg SESSION: 500 messages of ~4 KB in one session
	awk -v s="$1" 'BEGIN {
		printf "LHLO test\r\n"
		for (m = 0; m < 500; m++) {
			t = "s" s "-" m
			printf "MAIL FROM:<a@b>\r\nRCPT TO:<carol>\r\nDATA\r\n"
			printf "Subject: %s\r\n\r\n", t
			for (k = 0; k < 50; k++)
				printf "%s body line %04d, padded to eighty bytes with these words\r\n", t, k
			printf "end %s\r\n.\r\n", t
		}
		printf "QUIT\r\n" }'
}
lmsg x >"$SB/s"
t0=$(date +%s%N)
"$ml" -l <"$SB/s" >/dev/null || tap_bail "a plain LMTP session failed"
span=$((($(date +%s%N) - t0) / 1000))
rm -f "$spool/carol"
tap_diag "one LMTP session of 500 messages takes ${span} us here"
: >"$SB/lok"
ls=$((n / 10))
i=0
while [ $i -lt $ls ]; do
	lmsg $i >"$SB/s"
	# killed at a random moment of its second to ninth tenth
	d=$(awk -v s=$i -v span=$span 'BEGIN { srand(s + 1000);
		printf "%.6f", (0.1 + rand() * 0.8) * span / 1e6 }')
	"$ml" -l <"$SB/s" >"$SB/replies" &
	pid=$!
	sleep "$d"
	pkill -KILL -x mail.local 2>/dev/null
	wait $pid
	# The replies that came out, in order: message m of session i.
	tr -d '\r' <"$SB/replies" | awk -v s=$i '
	    BEGIN { m = 0 }
	    / <carol> / && !/ 2\.1\.5 / { if ($1 == 250) print "s" s "-" m; m++ }' >"$SB/lok1"
	cat "$SB/lok1" >>"$SB/lok"
	# A lock left behind must cover every acknowledged message: the
	# next delivery cuts the mailbox back to the size it records.
	last=$(tail -n 1 "$SB/lok1")
	if [ -e "$spool/carol.lock" ] && [ -n "$last" ]; then
		# "postern SIZE INODE BOOT"; a lock without them cuts
		# nothing; one of another boot would keep a torn message
		rec=$(sed -n 2p "$spool/carol.lock" | awk -v b="$boot" '
		    NF == 4 && $4 == b { print $2 + 0; exit }
		    NF > 2 { print "other boot: " $0; exit } { print -1 }')
		case $rec in
		other*) echo "session $i: lock of $rec" >>"$SB/short"; rec=-1 ;;
		-1) ;;
		*) echo "$i" >>"$SB/locks" ;;
		esac
		end=$(LC_ALL=C awk -v t="$last" '
		    /^From / && seen { print off; done = 1; exit }
		    $0 == "Subject: " t { seen = 1 }
		    { off += length($0) + 1 }
		    END { if (!done) print off }' "$spool/carol")
		[ "$rec" -lt 0 ] || [ "$rec" -ge "$end" ] ||
			echo "session $i: lock records $rec, $last ends at $end" >>"$SB/short"
	fi
	i=$((i + 1))
done
printf 'Subject: cfinal\n\nend cfinal\n' | "$ml" -f a@b carol
tap_is "the delivery after the killed sessions succeeds" "$?" 0
tap_diag "$(wc -l <"$SB/lok") messages acknowledged before the kills"
tap_diag "$(cat "$SB/locks" 2>/dev/null | wc -l) kills left a lock with a size"
w=$(whole 50 "$spool/carol")
tap_is "LMTP: only whole messages in the mbox" "${w#* }" 0
tap_is "LMTP: every message acknowledged with 250 is there" \
    "$(missing "$SB/lok" "$spool/carol")" 0
tap_is "LMTP: each lock left by a kill recorded this boot and a size past every acknowledged message" \
    "$(cat "$SB/short" 2>/dev/null)" ""
tap_check_fails "LMTP: no lock file left" test -e "$spool/carol.lock"
umount "$spool" && rm -rf "$disk"
tap_done
