#!/bin/sh
# Attack: mail.local -l under a hostile LMTP client.  1 MB of random
# bytes (NULs, CRs, long lines) pipelined, 10k commands in one write,
# commands before LHLO, a 600-byte and a 3000-byte command line, 10 GB of
# DATA, a 100 MB line in DATA, a client that vanishes mid-DATA and
# mid-BDAT, a slowloris client (one byte a second).  What must hold: the
# documented replies (503 5.5.1 before LHLO, 500 5.5.2 past 2048 octets
# and for garbage, 552 5.3.4 per recipient past message_size_limit with
# the data read and dropped: the spool file system grows by at most the
# limit, 421 4.4.2 after lmtp_timeout of silence or when a line takes
# longer than that to arrive), memory bounded (peak
# RSS < 200 MB), nothing delivered from a vanished client, what was
# accepted delivered whole; nothing else changes; no process holds more
# than its due.
set -u
. "$top_srcdir/tests/attack/attack.sh"

lmtp="/usr/bin/python3 $top_srcdir/tests/attack/lmtp-client.py"
at_conf
echo warm-up | "$at_ml" -f a@b bob >/dev/null 2>&1
rm -f "$spool/bob"
# codes FILE: the reply codes after the greeting and the LHLO reply.
codes() { grep -v '^\(rc\|maxrss\|sent\) ' "$1" | cut -c1-9 | sed -n '8,$p' | tr '\n' ' '; }
rss_ok() {
	if [ "$2" -gt 0 ] && [ "$2" -lt 204800 ]; then
		tap_ok "$1: peak RSS $2 KB < 200 MB"
	else
		tap_fail "$1: peak RSS $2 KB < 200 MB"
	fi
}
rc() { sed -n 's/^rc //p' "$1"; }

at_mark
at_watch_start
# --- garbage, pipelining, order, line lengths -------------------------
$lmtp -- "$at_ml" -l ";;" "random:1000000:7" "text:\r\nQUIT\r\n" >"$SB/out"
tap_is "1 MB of random bytes: the session survives to QUIT" \
    "$(rc "$SB/out"):$(grep -v '^\(rc\|maxrss\|sent\) ' "$SB/out" | tail -n 1 | cut -c1-9)" \
    "0:221 2.0.0"
tap_is "... every reply to the garbage is a 5xx with an enhanced code" \
    "$(sed -n '2,$p' "$SB/out" | grep -v '^\(rc\|maxrss\|sent\|221\) ' |
	grep -cv '^5[0-9][0-9] 5\.[0-9]\.[0-9] ')" 0
$lmtp -- "$at_ml" -l ";;" "text:LHLO c\r\n" "rep:10000:NOOP\r\n" "text:QUIT\r\n" >"$SB/out"
tap_is "10k commands in one write: 10k replies, in order" \
    "$(grep -c '^250 2.0.0 ok' "$SB/out"):$(grep -v '^\(rc\|maxrss\|sent\) ' "$SB/out" | tail -n 1 | cut -c1-9)" \
    "10000:221 2.0.0"
$lmtp -- "$at_ml" -l ";;" \
    "text:MAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nDATA\r\nRSET\r\nBDAT 5\r\n12345" \
    "text:HELO x\r\nEHLO x\r\nNOOP\r\nVRFY bob\r\nQUIT\r\n" >"$SB/out"
tap_is "commands before LHLO: 503 5.5.1, HELO/EHLO 500 5.5.1" \
    "$(grep -v '^\(rc\|maxrss\|sent\) ' "$SB/out" | sed 1d | cut -c1-9 | tr '\n' ' ')" \
    "503 5.5.1 503 5.5.1 503 5.5.1 503 5.5.1 503 5.5.1 500 5.5.1 500 5.5.1 250 2.0.0 252 2.5.0 221 2.0.0 "
l600=$(head -c 590 /dev/zero | tr '\0' x)
l3000=$(head -c 3000 /dev/zero | tr '\0' x)
$lmtp -- "$at_ml" -l ";;" "text:LHLO c\r\nNOOP $l600\r\nNOOP $l3000\r\n" \
    "text:MAIL FROM:<$l600@b>\r\nXYZZ$l600\r\nQUIT\r\n" >"$SB/out"
tap_is "600-byte lines (within the documented 2048) are parsed, 3000 get 500 5.5.2" \
    "$(codes "$SB/out")" "250 2.0.0 500 5.5.2 501 5.1.7 500 5.5.2 221 2.0.0 "
at_watch_check "garbage" --expect mail.local

# --- 10 GB of DATA past a 10 MB limit ----------------------------------
at_conf "message_size_limit = 10m"
df0=$(df -k --output=used /var/tmp | tail -n 1)
(
	peak=0
	while [ ! -e "$SB/stop" ]; do
		u=$(df -k --output=used /var/tmp | tail -n 1)
		[ "$u" -gt "$peak" ] && peak=$u && echo "$peak" >"$SB/dfpeak"
		sleep 0.1
	done
) &
dfw=$!
t0=$(date +%s)
$lmtp --timeout 120 -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\n" \
    "lines:163840:65534:100" \
    "text:.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nDATA\r\nsmall\r\n.\r\nQUIT\r\n" \
    >"$SB/out"
: >"$SB/stop"
wait $dfw
tap_is "10 GB of DATA: 552 5.3.4 for each recipient, the session goes on" \
    "$(codes "$SB/out")" \
    "250 2.1.0 250 2.1.5 250 2.1.5 354 go ah 552 5.3.4 552 5.3.4 250 2.1.0 250 2.1.5 354 go ah 250 2.0.0 221 2.0.0 "
tap_diag "10 GB in $(($(date +%s) - t0)) s"
rss_ok "10 GB of DATA" "$(sed -n 's/^maxrss //p' "$SB/out")"
grow=$(( $(cat "$SB/dfpeak" 2>/dev/null || echo "$df0") - df0 ))
if [ "$grow" -lt 51200 ]; then
	tap_ok "... the spool's file system grew by $grow KB (< 50 MB): streamed, not stored"
else
	tap_fail "... the spool's file system grew by $grow KB (< 50 MB)"
fi
tap_is "... only the small message was delivered" \
    "$(grep -c '^small$' "$spool/bob"):$(cat "$spool/alice" "$spool/bob" 2>/dev/null | grep -c ddddd)" \
    "1:0"
rm -f "$spool/bob" "$spool/alice"

# --- a 100 MB line in DATA ---------------------------------------------
at_conf "message_size_limit = 200m"
$lmtp --timeout 60 -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nDATA\r\nSubject: line\r\n\r\n" \
    "bytes:104857600:108" "text:\r\n.\r\nQUIT\r\n" >"$SB/out"
tap_is "a 100 MB line in DATA: delivered" "$(codes "$SB/out")" \
    "250 2.1.0 250 2.1.5 354 go ah 250 2.0.0 221 2.0.0 "
rss_ok "100 MB line" "$(sed -n 's/^maxrss //p' "$SB/out")"
tap_is "... whole in the mailbox" "$(sed -n '6p' "$spool/bob" | wc -c)" 104857601
rm -f "$spool/bob"

# --- vanishing clients --------------------------------------------------
at_conf
at_watch_start
$lmtp -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nDATA\r\nSubject: gone\r\n\r\nhalf" \
    "sleep:0.3" "close" >"$SB/out"
tap_is "a client gone mid-DATA: no reply after 354, exit 0" \
    "$(codes "$SB/out")$(rc "$SB/out")" "250 2.1.0 250 2.1.5 354 go ah 0"
$lmtp -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nBDAT 1000 LAST\r\nSubject: gone2\r\n\r\nhalf" \
    "sleep:0.3" "close" >"$SB/out"
tap_is "a client gone mid-BDAT: no reply after RCPT" \
    "$(codes "$SB/out")$(rc "$SB/out")" "250 2.1.0 250 2.1.5 0"
tap_check_fails "... nothing delivered, no partial mailbox" test -e "$spool/bob"

# --- slowloris ------------------------------------------------------------
# lmtp_timeout bounds each command line (mail.local(8)): a byte a second
# under a 2 s timeout gets a line no further than 2 s from its start, then
# 421 4.4.2; silence after a whole line is the idle timeout, also 421.
at_conf "lmtp_timeout = 2s"
$lmtp --times --timeout 30 -- "$at_ml" -l ";;" \
    "text:LHLO c\r\n" "trickle:1:NOOP NOOP NOOP\r\n" "sleep:6" >"$SB/out"
tap_is "slowloris: the trickled line is cut off with 421 4.4.2" \
    "$(cut -d' ' -f2- "$SB/out" | cut -c1-9 | sed -n '8p')" "421 4.4.2"
t421=$(sed -n 's/^\([0-9.]*\) 421 4.4.2.*/\1/p' "$SB/out" | cut -d. -f1)
tap_is "... 2 s after the line began, not after its last byte (at 2-3 s)" \
    "$([ "${t421:-99}" -ge 2 ] && [ "${t421:-99}" -le 3 ] && echo yes)" yes
tap_is "... and mail.local exits by itself, 0" "$(rc "$SB/out")" 0
# A trickled DATA line gets the same.
$lmtp --times --timeout 30 -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nDATA\r\n" \
    "trickle:1:Subject: slow slow slow\r\n" "sleep:6" >"$SB/out"
tap_is "slowloris in DATA: 421 4.4.2, nothing delivered" \
    "$(grep -c ' 421 4.4.2' "$SB/out") $(test -e "$spool/bob" && echo delivered)" "1 "
# Silence between whole lines: the idle timeout.
$lmtp --times --timeout 30 -- "$at_ml" -l ";;" \
    "text:LHLO c\r\n" "sleep:1" "text:NOOP\r\n" "sleep:6" >"$SB/out"
t421=$(sed -n 's/^\([0-9.]*\) 421 4.4.2.*/\1/p' "$SB/out" | cut -d. -f1)
tap_is "idle: NOOP after 1 s answered, 421 2 s after it (at 3-4 s)" \
    "$(cut -d' ' -f2- "$SB/out" | cut -c1-9 | sed -n '8p') $([ "${t421:-0}" -ge 3 ] && [ "${t421:-0}" -le 4 ] && echo yes)" \
    "250 2.0.0 yes"
at_watch_check "vanishing and slow clients" --expect mail.local
at_unchanged "all" "$POSTERN_CONFIG_DIR/postern.conf" "$spool" "$spool/(alice|bob)(\\.lock)?"
tap_done
