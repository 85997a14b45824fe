#!/bin/sh
# Attack: integer overflows and unbounded memory on huge lines and counts.
# A single 100 MB+ header line and a 100 MB+ body line through mail.local;
# a -t message whose To: lists 1M recipients and as many recipient
# arguments as the kernel lets through (and exactly 10000 and 10001);
# 100k RCPTs in one LMTP transaction; SIZE= of 2^64+1, 2^64-1 and -1;
# Content-Length: 2^64+1 and negative; BDAT with 2^64-1 and 2^64 octets.
# What must hold: the documented replies and exit codes (452 4.5.3 past
# lmtp_recipient_limit, 501 5.5.4 for SIZE= and BDAT sizes that do not
# fit, 552 5.3.4 over the limit, sendmail 65 past 10000 recipients), no
# crash, a peak RSS under 200 MB (wait4's ru_maxrss of mail.local and its
# workers, /usr/bin/time's for sendmail), what was accepted delivered
# byte-exact; nothing else changes; no process holds more than its due.
set -u
. "$top_srcdir/tests/attack/attack.sh"

q=$POSTERN_QUEUE_DIR/submit
lmtp="/usr/bin/python3 $top_srcdir/tests/attack/lmtp-client.py"
limit_kb=204800
at_conf "message_size_limit = 300m"
echo warm-up | "$at_ml" -f a@b bob >/dev/null 2>&1
rm -f "$spool/bob"
mkdir -m 0777 /tmp/out

# rss_ok DESC KB: a TAP point, KB under the bound.
rss_ok() {
	if [ "$2" -gt 0 ] && [ "$2" -lt $limit_kb ]; then
		tap_ok "$1: peak RSS ${2} KB < 200 MB"
	else
		tap_fail "$1: peak RSS ${2} KB < 200 MB"
	fi
}
codes() { grep -v '^\(rc\|maxrss\|sent\) ' "$1" | cut -c1-9 | sed -n '8,$p' | tr '\n' ' '; }

# --- 100 MB+ header line and body line, pipe mode ---------------------
/usr/bin/python3 - /tmp/out/huge <<'EOF'
import sys
with open(sys.argv[1], 'wb') as f:
    f.write(b'Subject: huge\nX-Long: ')
    f.write(b'h' * (105 << 20))
    f.write(b'\nContent-Length: 18446744073709551617\n\n')
    f.write(b'b' * (105 << 20))
    f.write(b'\n')
EOF
at_mark
at_watch_start
/usr/bin/time -f %M -o "$SB/rss" "$at_ml" -f a@b bob </tmp/out/huge
tap_is "a 105 MiB header line and body line: delivered" "$?" 0
at_watch_check "huge lines" --expect mail.local
rss_ok "huge lines" "$(tail -n 1 "$SB/rss")"
tap_is "... byte-exact in the mailbox" \
    "$(sed '1,3d;$d' "$spool/bob" | sha256sum)" "$(sha256sum </tmp/out/huge)"
rm -f "$spool/bob"
at_unchanged "huge lines" "$spool" "$spool/bob(\\.lock)?"
rm -f /tmp/out/huge

# --- sendmail: a To: of 1M recipients, many argv ----------------------
at_mark
/usr/bin/python3 -c '
import sys
sys.stdout.write("To: " + ",".join("r%d" % i for i in range(1000000)) +
                 "\nSubject: many\n\nx\n")' >/tmp/out/many
sb_as alice /usr/bin/time -f %M -o /tmp/out/rss "$at_sendmail" -t \
    </tmp/out/many 2>"$SB/err"
tap_is "-t with 1M recipients in To: (8 MB header): 65, nothing queued" \
    "$?:$(ls "$q/new" | wc -l)" "65:0"
tap_diag "$(cat "$SB/err")"
rss_ok "sendmail -t 1M" "$(tail -n 1 /tmp/out/rss)"
cat >/tmp/out/argv.py <<'EOF'
import errno, os, subprocess, sys
sm, n = sys.argv[1], int(sys.argv[2])
while n > 0:
    try:
        r = subprocess.run([sm] + ['r%d' % i for i in range(n)],
                           input=b'Subject: argv\n\nx\n',
                           stderr=subprocess.PIPE)
        print(n, r.returncode, r.stderr.decode().strip())
        break
    except OSError as e:
        if e.errno != errno.E2BIG:
            raise
        n = n * 9 // 10
EOF
sb_as alice /usr/bin/python3 /tmp/out/argv.py "$at_sendmail" 400000 >"$SB/argv"
tap_is "as many recipient arguments as exec allows: 65, nothing queued" \
    "$(cut -d' ' -f2- "$SB/argv"):$(ls "$q/new" | wc -l)" \
    "65 sendmail: too many recipients (the limit is 10000):0"
tap_diag "$(cut -d' ' -f1 "$SB/argv") arguments"
sb_as alice /usr/bin/python3 /tmp/out/argv.py "$at_sendmail" 10001 >"$SB/argv"
tap_is "10001 recipients: 65" "$(cut -d' ' -f1,2 "$SB/argv")" "10001 65"
sb_as alice /usr/bin/python3 /tmp/out/argv.py "$at_sendmail" 10000 >"$SB/argv"
tap_is "10000 recipients: queued" "$(cut -d' ' -f1,2 "$SB/argv"):$(ls "$q/new" | wc -l)" \
    "10000 0:1"
rm -f "$q"/new/*
at_unchanged "sendmail counts" "$q/new(/.*)?" "$q/tmp(/.*)?" "/tmp/out(/.*)?"

# --- LMTP: 100k RCPTs, SIZE=, BDAT sizes -------------------------------
at_conf
at_mark
at_watch_start
$lmtp --timeout 120 -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b>\r\n" \
    "rep:100000:RCPT TO:<alice>\r\n" \
    "text:DATA\r\nSubject: 100k\r\n\r\nx\r\n.\r\n" "sleep:0.2" \
    "text:QUIT\r\n" >"$SB/out"
at_watch_check "100k RCPTs" --expect mail.local
tap_is "100k RCPTs: 1000 accepted, 99000 get 452 4.5.3" \
    "$(grep -c '^250 2.1.5' "$SB/out") $(grep -c '^452 4.5.3' "$SB/out")" \
    "1000 99000"
tap_is "... then one reply per accepted recipient and 221" \
    "$(grep -c '^250 2.0.0' "$SB/out") $(tail -n 4 "$SB/out" | head -n 1 | cut -c1-9)" \
    "1000 221 2.0.0"
rss_ok "100k RCPTs" "$(sed -n 's/^maxrss //p' "$SB/out")"
tap_is "... one copy delivered" "$(grep -c '^Subject: 100k' "$spool/alice")" 1

$lmtp -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b> SIZE=18446744073709551617\r\n" \
    "text:MAIL FROM:<a@b> SIZE=18446744073709551615\r\n" \
    "text:MAIL FROM:<a@b> SIZE=-1\r\nMAIL FROM:<a@b> SIZE=\r\n" \
    "text:MAIL FROM:<a@b> SIZE=1\r\nRCPT TO:<alice>\r\nDATA\r\n" \
    "text:Subject: cl\r\nContent-Length: -1\r\n\r\nx\r\n.\r\nQUIT\r\n" >"$SB/out"
tap_is "SIZE= 2^64+1, 2^64-1, -1, empty, then 1: 501, 552, 501, 555, accepted" \
    "$(codes "$SB/out")" \
    "501 5.5.4 552 5.3.4 501 5.5.4 555 5.5.4 250 2.1.0 250 2.1.5 354 go ah 250 2.0.0 221 2.0.0 "
tap_is "Content-Length: -1 is data: delivered as is" \
    "$(grep -c '^Content-Length: -1$' "$spool/alice")" 1

$lmtp -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\n" \
    "text:BDAT 18446744073709551616 LAST\r\n" "sleep:0.3" \
    "text:Subject: bdat\r\n\r\nx\r\n" >"$SB/out"
tap_is "BDAT 2^64: 501 5.5.4, the session ends" \
    "$(codes "$SB/out")$(sed -n 's/^rc //p' "$SB/out")" \
    "250 2.1.0 250 2.1.5 501 5.5.4 0"
$lmtp -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\n" \
    "text:BDAT 18446744073709551615 LAST\r\n" \
    "text:Subject: bdat2\r\n\r\n" "bytes:80000000:120" "close" >"$SB/out"
tap_is "BDAT 2^64-1 then 80 MB and the client goes: no reply, nothing delivered" \
    "$(codes "$SB/out")$(sed -n 's/^rc //p' "$SB/out"):$(grep -c '^Subject: bdat' "$spool/alice")" \
    "250 2.1.0 250 2.1.5 0:0"
rss_ok "BDAT 2^64-1" "$(sed -n 's/^maxrss //p' "$SB/out")"
$lmtp -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nBDAT 18446744073709551615\r\n" "bytes:1000000:0" "close" >"$SB/out"
tap_is "BDAT 2^64-1 without a transaction: read and dropped, no crash" \
    "$(sed -n 's/^rc //p' "$SB/out")" 0
at_unchanged "LMTP counts" "$spool" "$spool/alice(\\.lock)?"
tap_done
