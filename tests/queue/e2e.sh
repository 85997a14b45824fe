#!/bin/sh
# postern alone carries the mail, for real in the sandbox: alice runs
# sendmail -t; postern-queue -f picks the file up (inotify), delivers
# through mail.local -l, relays to a local SMTP sink (aiosmtpd) as the
# postern user, bounces with an RFC 3464 report, retries a temporary
# failure and bounces it when the (shortened) lifetime is over.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"
py=/usr/bin/python3
$py -c 'import aiosmtpd' 2>/dev/null ||
	tap_skip_all "Debian's python3-aiosmtpd is not installed"
ip link set lo up 2>/dev/null

sm=$POSTERN_SBINDIR/sendmail
pq=$POSTERN_SBINDIR/postern-queue
spool=$POSTERN_MAIL_SPOOL
conf=$POSTERN_CONFIG_DIR/postern.conf
q=$POSTERN_QUEUE_DIR
sb_add_user carol 3010
mkdir -p /tmp/out /tmp/sink/tmp /tmp/sink/new /tmp/sink/cur && chmod 1777 /tmp/out
cat >"$conf" <<EOT
myhostname = test.example
relayhost = [127.0.0.1]:2525
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 6s
queue_run_interval = 1s
delay_warning_time = 2s
EOT
cat >/usr/local/bin/progsink <<'EOT'
#!/bin/sh
{ echo "who=$(id -un) sender=$SENDER"; cat; } >"/tmp/out/prog.$$"
EOT
chmod 755 /usr/local/bin/progsink
cat >/etc/aliases <<'EOT'
root: alice
postmaster: root
staff: bob, "|/usr/local/bin/progsink"
EOT
"$POSTERN_SBINDIR/newaliases" >/dev/null

$py -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Mailbox /tmp/sink \
    >"$SB/sink.log" 2>&1 &
sink=$!
"$pq" -f -v >"$SB/queue.log" 2>&1 &
runner=$!
trap 'kill $runner $sink 2>/dev/null' EXIT

# wait_for FILE PATTERN: up to 20 s for a line in a file.
wait_for() { sb_wait_line "$1" "$2" 200; }

sleep 0.5
tap_is "the runner keeps DAC_OVERRIDE, DAC_READ_SEARCH, SETGID, SETUID, SETPCAP; bounding: the last three" \
    "$(grep -E '^Cap(Prm|Eff|Inh|Bnd|Amb):' /proc/$runner/status | tr -s '\t ' ' ' | tr '\n' '|')" \
    "CapInh: 0000000000000000|CapPrm: 00000000000001c6|CapEff: 00000000000001c6|CapBnd: 00000000000001c0|CapAmb: 0000000000000000|"
printf 'To: bob\nSubject: e2e one\n\nhello bob\n' | sb_as alice "$sm" -t -i
tap_is "alice: sendmail -t exits 0" "$?" 0
tap_check "bob's mailbox gets it" wait_for "$spool/bob" "^Subject: e2e one"
tap_is "... once, with alice as the sender" \
    "$(sb_count 'e2e one' "$spool/bob") $(grep -c '^Return-Path: <alice@test.example>' "$spool/bob")" "1 1"

echo hi | sb_as bob "$sm" root
tap_check "echo hi | sendmail root: alice (root's alias) gets it" \
    wait_for "$spool/alice" "^Return-Path: <bob@test.example>"

printf 'To: staff\nSubject: e2e two\n\nfor staff\n' | sb_as alice "$sm" -t -i
tap_check "staff: bob's copy" wait_for "$spool/bob" "^Subject: e2e two"
i=0
while [ $i -lt 100 ] && ! grep -qs "e2e two" /tmp/out/prog.*; do sleep 0.1; i=$((i + 1)); done
tap_is "staff: the program ran once as nobody with the sender" \
    "$(grep -l 'e2e two' /tmp/out/prog.* 2>/dev/null | wc -l) $(head -qn 1 /tmp/out/prog.* 2>/dev/null)" \
    "1 who=nobody sender=alice@test.example"

printf 'To: someone@example.org\nSubject: e2e three\n\nfar away\n' |
    sb_as alice "$sm" -t -i
i=0
while [ $i -lt 200 ] && ! grep -rqs "e2e three" /tmp/sink/new; do sleep 0.1; i=$((i + 1)); done
f=$(grep -rl "e2e three" /tmp/sink/new 2>/dev/null | head -n 1)
tap_check "the relay sink got the remote message" test -n "$f"
tap_is "... with the envelope sender and recipient" \
    "$(grep -E '^X-(MailFrom|RcptTo):' "$f" 2>/dev/null | tr '\n' ' ')" \
    "X-MailFrom: alice@test.example X-RcptTo: someone@example.org "
tap_check "... relayed by a process running as postern" \
    grep -q "to=<someone@example.org>, relay=127.0.0.1" "$SB/queue.log"

# An unknown local user: a bounce to alice, a valid RFC 3464 report.
printf 'To: nosuchuser\nSubject: e2e four\n\nlost\n' | sb_as alice "$sm" -t -i
tap_check "a bounce reaches alice" wait_for "$spool/alice" "^Subject: Undelivered Mail"
sed -n '/^Subject: Undelivered Mail/,$p' "$spool/alice" >"$SB/bounce.txt"
out=$($py - "$spool/alice" <<'EOT'
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    if m.get_content_type() != 'multipart/report':
        continue
    assert m.get_param('report-type') == 'delivery-status', 'report-type'
    assert m['From'].find('MAILER-DAEMON@test.example') >= 0, 'from'
    assert m['Return-Path'] == '<>', 'return-path %r' % m['Return-Path']
    parts = {p.get_content_type(): p for p in m.walk()}
    ds = parts['message/delivery-status'].get_payload()
    rcpt = ds[1]
    print(rcpt['Final-Recipient'], rcpt['Action'], rcpt['Status'])
EOT
)
tap_is "the bounce parses: multipart/report, delivery-status, 5.1.1" "$out" \
    "rfc822; nosuchuser failed 5.1.1"

# A bounce that cannot be delivered goes to postmaster once (-> root ->
# alice), and a failed notice is only logged: no loop.
printf 'To: nosuchuser\nSubject: e2e double\n\nlost twice\n' |
    sb_as bob "$sm" -f nosuchsender -t -i
tap_check "a bounce to an unknown sender: a notice to postmaster" \
    wait_for "$SB/queue.log" "to=<postmaster>.*status=sent"
sleep 0.5
tap_check "... addressed To: <postmaster>, not <>" grep -q "^To: <postmaster>" "$spool/alice"
tap_is "... which alice (root's alias) got once: the report about nosuchsender" \
    "$(grep -c 'Final-Recipient: rfc822; nosuchsender' "$spool/alice")" 1

# A stale file in submit/tmp (a sendmail killed before its rename).
: >"$q/submit/tmp/STALE0000000000000000000000001"
touch -d '3 days ago' "$q/submit/tmp/STALE0000000000000000000000001"
: >"$q/submit/tmp/FRESH0000000000000000000000001"

# A temporary failure (a full file system behind carol's .forward):
# retried, then bounced when maximal_queue_lifetime (6 s) is over.
mkdir -p /home/carol/full
mount -t tmpfs -o size=16k,mode=0755 tmpfs /home/carol/full
chown carol /home/carol/full
head -c 16384 /dev/zero >/home/carol/full/pad 2>/dev/null
chown carol /home/carol/full/pad
printf '/home/carol/full/mbox\n' >/home/carol/.forward
chown carol /home/carol/.forward
reports=$(grep -c '^Subject: Undelivered Mail' "$spool/alice")
printf 'To: carol\nSubject: e2e five\n\nno room\n' | sb_as alice "$sm" -t -i
tap_check "carol's full disk: the attempt is deferred with 4.2.2" \
    wait_for "$SB/queue.log" "to=<carol>.*dsn=4.2.2, status=deferred"
sleep 2
tap_check "... and retried" sh -c "test \$(grep -c 'to=<carol>.*status=deferred' '$SB/queue.log') -ge 2"
tap_check "... a delay warning goes to alice after delay_warning_time" \
    wait_for "$spool/alice" "^Subject: Delayed Mail (still being retried)"
tap_check "... then it expires (maximal_queue_lifetime)" \
    wait_for "$SB/queue.log" "to=<carol>.*status=expired"
i=0
while [ $i -lt 100 ] && [ "$(grep -c '^Subject: Undelivered Mail' "$spool/alice")" -le "$reports" ]; do
	sleep 0.1
	i=$((i + 1))
done
tap_is "... and alice gets one more report" \
    "$(grep -c '^Subject: Undelivered Mail' "$spool/alice")" $((reports + 1))
out=$($py - "$spool/alice" <<'EOT'
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    if m.get_content_type() != 'multipart/report':
        continue
    ds = [p for p in m.walk() if p.get_content_type() == 'message/delivery-status'][0]
    r = ds.get_payload()[1]
    if 'carol' in r['Final-Recipient'] and r['Action'] == 'failed':
        print(r['Action'], r['Status'][0], 'expired' in r['Diagnostic-Code'])
EOT
)
tap_is "the expiry report: failed, class 5, says it expired" "$out" "failed 5 True"
umount /home/carol/full
rm -f /home/carol/.forward

"$pq" -q 2>"$SB/err"
tap_is "a second runner (-q) while -f runs: 75" "$?" 75
tap_check "... saying another one is running" grep -q "another postern-queue is running" "$SB/err"
tap_is "a stale submit/tmp file is removed, a fresh one kept" \
    "$(ls "$q/submit/tmp" | tr '\n' ' ')" "FRESH0000000000000000000000001 "
rm -f "$q/submit/tmp/FRESH0000000000000000000000001"
tap_is "the queue is empty at the end" "$("$pq" -p | tail -n 1)" "Mail queue is empty"
tap_is "nothing left in submit/new" "$(ls "$q/submit/new" | wc -l)" 0
kill $runner
wait $runner 2>/dev/null
tap_check "SIGTERM stops the runner with a log line" grep -q "stopping" "$SB/queue.log"

# No relayhost: a remote recipient bounces with 5.3.5 (postern-queue -q).
printf 'myhostname = test.example\n' >"$conf"
printf 'To: far@example.net\nSubject: e2e norelay\n\nx\n' | sb_as alice "$sm" -t -i
"$pq" -q 2>"$SB/q.log"
tap_is "postern-queue -q: exit 0" "$?" 0
tap_check "... far@example.net bounced: no relay configured (5.3.5)" \
    grep -q "to=<far@example.net>, relay=none.*dsn=5.3.5, status=bounced (no relay configured" "$SB/q.log"
"$pq" -q 2>>"$SB/q.log"
tap_check "... and the report reached alice" \
    grep -q "Final-Recipient: rfc822; far@example.net" "$spool/alice"
sed "s/^/# queue.log: /" "$SB/queue.log"; sed "s/^/# sink.log: /" "$SB/sink.log"
tap_done
