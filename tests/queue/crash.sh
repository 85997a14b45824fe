#!/bin/sh
# Crash safety of the queue runner: 1000 messages are submitted by four
# parallel senders (alice and mallory) to bob and carol while the master
# (postern-queue -f) is killed with SIGKILL at random moments (20-300 ms
# apart) and started again; its delivery children survive a kill and
# finish their batch, as designed.  At the end, when the last runner has
# emptied the queue, every message is in bob's and carol's mailbox
# exactly once: no loss, no duplicate.  Also: postern-queue -p lists the
# queue while no runner runs.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

queue_conf='queue_run_interval = 1s
'
. "$top_srcdir/tests/queue/setup.sh"
N=1000
sb_add_user carol 3010

# With no runner: -p lists what waits in submit/new.
for i in 1 2 3; do
	printf 'To: bob, carol\nSubject: before %s\n\nx\n' $i | sb_as alice "$sm" -t -i
done
out=$("$pq" -p)
tap_is "no runner: -p lists the 3 files waiting for pickup" \
    "$(printf '%s\n' "$out" | grep -c 'waiting for pickup, uid 3001') $(printf '%s\n' "$out" | tail -n 1 | sed 's/[0-9]* Kbytes/N Kbytes/')" \
    "3 -- N Kbytes in 3 Requests."

# The senders: four loops in parallel, subjects "crash 1" .. "crash N".
# sender FIRST LAST USER
sender() {
	_i=$1
	while [ "$_i" -le "$2" ]; do
		printf 'To: bob, carol\nSubject: crash %s\n\nmessage %s\n' "$_i" "$_i" |
		    sb_as "$3" "$sm" -t -i ||
			echo "sendmail failed for crash $_i" >>"$SB/senders.err"
		_i=$((_i + 1))
	done
}
: >"$SB/senders.err"

# The delays between kills, from awk's generator with a logged seed.
seed=$(date +%s)
awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 20000; i++)
	printf "%.3f\n", 0.02 + rand() * 0.28 }' >"$SB/delays"
tap_diag "kill delays: awk srand($seed)"

runner=
start_runner() {
	"$pq" -f -v >>"$log" 2>&1 &
	runner=$!
}
trap 'kill $runner 2>/dev/null' EXIT
start_runner
t0=$(date +%s)
sender 1 250 alice &
s1=$!
sender 251 500 mallory &
s2=$!
sender 501 750 alice &
s3=$!
sender 751 $N mallory &
s4=$!

kills=0 restarts_refused=0 listed=0 plisted=0
senders_alive() {
	kill -0 $s1 2>/dev/null || kill -0 $s2 2>/dev/null ||
	    kill -0 $s3 2>/dev/null || kill -0 $s4 2>/dev/null
}
# Kill while the senders run, and for at least 15 s.
while read -r d; do
	senders_alive || [ $(($(date +%s) - t0)) -lt 15 ] || break
	sleep "$d"
	if kill -0 "$runner" 2>/dev/null; then
		kill -9 "$runner"
		wait "$runner" 2>/dev/null
		kills=$((kills + 1))
	else
		# It exited by itself: a child of the killed master still
		# held the instance lock for an instant (exit 75).
		wait "$runner" 2>/dev/null
		restarts_refused=$((restarts_refused + 1))
	fi
	# Now no runner runs: every 10th time, -p must list the queue.
	if [ $((kills % 10)) -eq 1 ]; then
		plisted=$((plisted + 1))
		"$pq" -p >"$SB/p.out" 2>&1
		if grep -q '^ *\(bob\|carol\)$\|waiting for pickup' "$SB/p.out" &&
		    tail -n 1 "$SB/p.out" | grep -q '^-- [0-9]* Kbytes in [0-9]* Request'; then
			listed=$((listed + 1))
		fi
	fi
	start_runner
done <"$SB/delays"
wait $s1 $s2 $s3 $s4
tsub=$(($(date +%s) - t0))
tap_diag "$kills kills of the master in ${tsub} s ($restarts_refused restarts refused by the instance lock)"
tap_check "the runner was killed at least 20 times" test "$kills" -ge 20
tap_is "no restart was refused ('another postern-queue is running')" \
    "$restarts_refused $(grep -c 'another postern-queue' "$log")" "0 0"
tap_is "every submission succeeded" "$(cat "$SB/senders.err")" ""
tap_check "-p listed queued messages while no runner ran ($listed of $plisted times)" \
    test "$listed" -ge 1

# The last runner empties the queue (at most 120 s).
if ! kill -0 "$runner" 2>/dev/null; then
	wait "$runner" 2>/dev/null
	sleep 0.5
	start_runner
fi
i=0
while [ $i -lt 1200 ]; do
	[ "$("$pq" -p | tail -n 1)" = "Mail queue is empty" ] && break
	sleep 0.1
	i=$((i + 1))
done
tap_diag "the queue emptied $(($(date +%s) - t0 - tsub)) s after the last kill"
tap_is "the queue is empty at the end" "$("$pq" -p | tail -n 1)" "Mail queue is empty"
tap_is "nothing left in submit/new, submit/bad or queue/ (no temporary files)" \
    "$(ls -A "$q/submit/new" "$q/submit/bad" "$q/queue" | grep -v '^\(/.*:\)\?$')" ""

# Exactly once, per recipient.
for u in bob carol; do
	grep -a '^Subject: crash [0-9]*$' "$spool/$u" | sed 's/^Subject: crash //' |
	    sort -n | uniq -c >"$SB/$u.count"
	got=$(wc -l <"$SB/$u.count")
	dups=$(awk '$1 > 1 { d += $1 - 1 } END { print d + 0 }' "$SB/$u.count")
	lost=$((N - got))
	tap_diag "$u: $got of $N messages, $lost lost, $dups duplicates"
	[ "$dups" -eq 0 ] ||
		tap_diag "$u duplicates (count subject): $(awk '$1 > 1' "$SB/$u.count" | head -n 10 | tr '\n' ' ')"
	[ "$lost" -eq 0 ] ||
		tap_diag "$u lost: $(seq 1 $N | sort >"$SB/all"; awk '{ print $2 }' "$SB/$u.count" | sort |
		    comm -23 "$SB/all" - | head -n 10 | tr '\n' ' ')"
	tap_is "$u: no message lost" "$lost" 0
	tap_is "$u: no message delivered twice" "$dups" 0
	tap_is "$u: the 3 messages from before, once each" \
	    "$(grep -ac '^Subject: before [123]$' "$spool/$u")" 3
done
tap_is "no bounce, no notice" \
    "$(cat "$spool/alice" "$spool/mallory" "$spool/root" 2>/dev/null | grep -c '^From: .*MAILER-DAEMON')" 0
tap_is "no file was set aside" "$(grep -c 'set aside' "$log")" 0
tap_diag "deliveries logged: $(grep -c 'status=sent' "$log"), queue files corrupt: $(grep -c 'corrupt' "$log")"
kill "$runner" 2>/dev/null
wait "$runner" 2>/dev/null
grep -a 'error\|cannot\|corrupt\|another postern-queue' "$log" | sort | uniq -c | sort -rn |
    head -n 15 | sed 's/^/# queue.log: /'
tap_done
