#!/bin/sh
# A torn last record in a queue file (the runner died in the middle of
# its write): the record is not acted on, and it is cut off before the
# next record is appended, so the two never join into one line.  The
# torn record planted here is a "D" (done) for a recipient whose delivery
# failed for now: read as a record, it would drop that recipient's mail.
# Three passes of postern-queue -q: bob's mailbox refused (a symbolic
# link) twice, then repaired; carol gets the message at once.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

queue_conf='minimal_backoff_time = 1s
maximal_backoff_time = 1s
'
. "$top_srcdir/tests/queue/setup.sh"
sb_add_user carol 3010

ln -s /etc/passwd "$spool/bob"
printf 'To: bob, carol\nSubject: torn record\n\nbody\n' | sb_as alice "$sm" -t -i ||
	tap_bail "sendmail failed"
"$pq" -q -v >>"$log" 2>&1
qf=$(ls "$q/queue" 2>/dev/null | head -n 1)
[ -n "$qf" ] || tap_bail "no queue file after the first pass: $(tail -n 5 "$log")"
qf=$q/queue/$qf
tap_is "first pass: carol has the message" \
    "$(sb_count "torn record" "$spool/carol")" 1
tap_check "first pass: bob's failure is recorded for now" \
    grep -q '^A 0 ' "$qf"

# The torn record: a "D" for bob, without its line end.
printf 'D 0 0 2.0.0 delivered to mailbox /var/mail/b' >>"$qf"
out=$("$pq" -p)
tap_check "-p still lists bob as waiting" \
    sh -c 'printf "%s\n" "$1" | grep -qx " *bob"' - "$out"

sleep 1.2
"$pq" -q -v >>"$log" 2>&1
tap_is "second pass (bob still refused): the torn bytes are gone" \
    "$(grep -c 'delivered to mailbox /var/mail/b' "$qf")" 0
tap_is "second pass: the file ends with a whole record" \
    "$(tail -c 1 "$qf" | od -An -c | tr -d ' ')" '\n'
tap_is "second pass: two failures for now recorded" \
    "$(grep -c '^A 0 ' "$qf")" 2

rm -f "$spool/bob"
sleep 1.2
"$pq" -q -v >>"$log" 2>&1
tap_is "third pass: bob has the message once" \
    "$(sb_count "torn record" "$spool/bob")" 1
tap_is "carol still has it once" "$(sb_count "torn record" "$spool/carol")" 1
tap_check_fails "the queue file is gone" test -e "$qf"
tap_is "no queue file was set aside as corrupt" \
    "$(grep -ci 'corrupt\|bad record\|cannot parse' "$log")" 0
tap_done
