#!/bin/sh
# Attack: argv and environment injection through addresses.  Recipients
# and senders that look like options (-oQ/tmp, -C/tmp/evil.cf, --), shell
# commands ("|/bin/sh -c id"@localhost, foo;/sbin/reboot, $(touch ...),
# backticks), CR and LF, very long ones, 8-bit and invalid UTF-8, given to
# the setgid sendmail by a user, to mail.local in pipe mode and over LMTP,
# as sender and as recipient, and a sender that reaches a .forward
# program's environment and forward_command's argv.  What must hold:
# nothing runs (no /tmp/pwned*), each address is refused with the
# documented code (sendmail 65/77, mail.local 64/65/67, LMTP 501 5.1.x /
# 550 5.1.1 / 500 5.5.2) or is carried as data, byte for byte, as one
# queue record, one environment variable, one argv element after "-f" or
# "--"; nothing outside the queue, the spool and the probes' output
# changes; no process holds more than its due.
set -u
. "$top_srcdir/tests/attack/attack.sh"

q=$POSTERN_QUEUE_DIR/submit
dump=$top_builddir/tests/submit/cqdump
lmtp="/usr/bin/python3 $top_srcdir/tests/attack/lmtp-client.py"
nl='
'
cr=$(printf '\r')
long=$(head -c 5000 /dev/zero | tr '\0' a)

# The probes: a .forward program that records its environment and the
# forward_command that records its argv, NUL-separated, byte-exact.
mkdir -m 0777 /tmp/out
cat >/usr/local/bin/envdump <<'EOF'
#!/bin/sh
env -0 >/tmp/out/env.$$
cat >/dev/null
sleep 0.2
EOF
cat >/usr/local/bin/argvdump <<'EOF'
#!/bin/sh
printf '%s\0' "$@" >/tmp/out/argv.$$
cat >/dev/null
sleep 0.2
EOF
chmod 0755 /usr/local/bin/envdump /usr/local/bin/argvdump
at_conf "forward_command = /usr/local/bin/argvdump -i"
printf '\\alice\n"|/usr/local/bin/envdump"\nremote@elsewhere.example\n' \
    >/home/alice/.forward
chown alice:alice /home/alice/.forward
chmod 0644 /home/alice/.forward

# pwned: the files a command that ran would have left.
pwned() { ls /tmp/pwned* /home/*/pwned* /pwned* 2>/dev/null; }
# rcpts FILE: the recipients of a queue file, one per line.
rcpts() { "$dump" "$1" | sed -n 's/^rcpt //p'; }
clean_q() { rm -f "$q"/new/* "$q"/tmp/*; }

# --- sendmail, as alice -----------------------------------------------
# All cases run in one shell of alice's, started before the watch (the
# set-up of sb_as is the test's, not postern's); each message names its
# case in Subject:, and the queue is read afterwards.
cat >/tmp/out/sm-cases.sh <<'EOF'
sm=$1 nl='
' cr=$(printf '\r') long=$(head -c 5000 /dev/zero | tr '\0' a)
c() {
	_n=$1
	shift
	{ echo "Subject: case $_n"; sleep 0.05; } | "$sm" "$@" 2>/dev/null
	echo "$_n:$?"
}
sleep 0.5
c 1 -oQ/tmp bob
c 2 -C/tmp/evil.cf bob
c 3 -f bob -oQ/tmp -- x
c 4 "bob${nl}Bcc: victim"
c 5 "bob${cr}"
c 6 "$long@example.org"
c 7 "$(printf 'b\377ob')"
c 8 -f "a@b${nl}Bcc: victim" bob
c 9 -f '$(touch /tmp/pwned-f)' bob
c 10 -f "$long@example.org" bob
c 11 -- -oQ/tmp
c 12 bob -oQ/tmp -C/tmp/evil.cf
c 13 'foo;/sbin/reboot'
c 14 '`touch /tmp/pwned-bt`'
c 15 -- '"|/bin/sh -c id"@localhost'
c 16 '"foo;/sbin/reboot"@localhost'
c 17 '$(touch /tmp/pwned)'
c 18 "$(printf 'b\303\266b')"
c 19 -f -oQ/tmp -- -C/tmp/x
EOF
chmod 0644 /tmp/out/sm-cases.sh
clean_q
at_mark
sb_as alice sh /tmp/out/sm-cases.sh "$at_sendmail" >"$SB/sm.rc" &
smpid=$!
sleep 0.1
at_watch_start
wait $smpid
at_watch_check "sendmail" --expect sendmail
# What each case left: sender and recipients of its queue file.
for f in "$q"/new/*; do
	[ -e "$f" ] || continue
	n=$("$dump" "$f" | sed -n 's/^Subject: case //p')
	"$dump" "$f" | sed -n 's/^\(sender\|rcpt\) //p' | tr '\n' '|' >"$SB/case.$n"
done
# case_is N DESC WANT: exit code and queue records of case N.
case_is() {
	_got=$(grep "^$1:" "$SB/sm.rc" | cut -d: -f2):$(cat "$SB/case.$1" 2>/dev/null)
	tap_is "sendmail case $1, $2" "$_got" "$3"
}
case_is 1 "-oQ/tmp before the recipients: root only" "77:"
case_is 2 "-C/tmp/evil.cf before the recipients: root only" "77:"
case_is 3 "-f bob -oQ/tmp -- x: root only" "77:"
case_is 4 "recipient with LF and Bcc:" "65:"
case_is 5 "recipient with CR" "65:"
case_is 6 "a 5000-byte recipient" "65:"
case_is 7 "recipient with invalid UTF-8" "65:"
case_is 8 "sender with LF" "65:"
case_is 9 "sender \$(touch ...) with a blank" "65:"
case_is 10 "a 5000-byte sender" "65:"
case_is 11 "-- -oQ/tmp: a recipient, data" "0:alice@test.example|-oQ/tmp|"
# Options stop at the first operand: later ones are recipients.
case_is 12 "bob -oQ/tmp -C/tmp/evil.cf: recipients, data" \
    "0:alice@test.example|bob|-oQ/tmp|-C/tmp/evil.cf|"
# A ';' outside a group, and two words with a blank between them, are
# not addresses: refused (they would become "foo/sbin/reboot").
case_is 13 "foo;/sbin/reboot: refused" "65:"
case_is 14 "backticks and a blank: refused" "65:"
case_is 15 '"|/bin/sh -c id"@localhost: data' \
    '0:alice@test.example|"|/bin/sh -c id"@localhost|'
case_is 16 '"foo;/sbin/reboot"@localhost: data' \
    '0:alice@test.example|"foo;/sbin/reboot"@localhost|'
case_is 17 '$(touch /tmp/pwned): the (comment) is dropped' \
    '0:alice@test.example|$|'
case_is 18 "an 8-bit (UTF-8) local part" \
    "0:alice@test.example|$(printf 'b\303\266b')|"
case_is 19 "-f -oQ/tmp -- -C/tmp/x: sender and recipient are data" \
    "0:-oQ/tmp|-C/tmp/x|"
clean_q
at_unchanged "sendmail" "$q/new" "$q/tmp"

# mail.local keeps its spool file in /var/tmp: a first use after the mark
# would show the overlay's copy-up of /var/tmp.  And at_changed's sort
# may use /tmp: mark again.
echo "warm-up" | "$at_ml" -f a@b bob >/dev/null 2>&1
rm -f "$spool/bob"
at_mark

# --- mail.local in pipe mode ------------------------------------------
# ml WANT DESC ARG...: mail.local ARGs in pipe mode, WANT its exit.
ml() {
	_want=$1 _d=$2
	shift 2
	_err=$(echo "Subject: x" | "$at_ml" "$@" 2>&1)
	tap_is "mail.local $_d: exit $_want" "$?" "$_want"
	tap_diag "$_err"
}
at_watch_start
{ echo "Subject: slow"; sleep 0.3; } | "$at_ml" -f a@b -- -oQ/tmp 2>/dev/null
ml 64 "recipient -oQ/tmp without --" -f a@b -oQ/tmp
ml 67 "recipient -oQ/tmp after --" -f a@b -- -oQ/tmp
ml 67 "recipient -C/tmp/evil.cf after --" -f a@b -- -C/tmp/evil.cf
ml 67 'recipient "|/bin/sh -c id"@localhost' -f a@b '"|/bin/sh -c id"@localhost'
ml 65 "recipient foo;/sbin/reboot" -f a@b 'foo;/sbin/reboot'
ml 65 'recipient $(touch /tmp/pwned)' -f a@b '$(touch /tmp/pwned)'
ml 65 "recipient with backticks and a blank" -f a@b '`touch /tmp/pwned-bt`'
ml 65 "recipient with LF" -f a@b "bob${nl}root"
ml 65 "recipient with CR" -f a@b "bob${cr}"
ml 65 "a 5000-byte recipient" -f a@b "$long"
ml 65 "recipient with invalid UTF-8" -f a@b "$(printf 'b\377ob')"
ml 64 "sender with LF" -f "a@b${nl}x" bob
ml 64 'sender $(touch /tmp/pwned)' -f '$(touch /tmp/pwned)' bob
ml 64 "sender foo;/sbin/reboot" -f 'foo;/sbin/reboot' bob
ml 64 "a 5000-byte sender" -f "$long@example.org" bob
ml 64 "sender with invalid UTF-8" -f "$(printf 'a\377@b')" bob
at_watch_check "mail.local pipe refusals" --expect mail.local
tap_check_fails "pipe mode: bob's mailbox was never created" test -e "$spool/bob"

# --- LMTP ---------------------------------------------------------------
at_watch_start
$lmtp -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<a@b>\r\n" \
    "text:RCPT TO:<\"|/bin/sh -c id\"@localhost>\r\n" \
    "text:RCPT TO:<-oQ/tmp>\r\nRCPT TO:<-C/tmp/evil.cf>\r\n" \
    "text:RCPT TO:<foo;/sbin/reboot>\r\n" \
    "text:RCPT TO:<\$(touch /tmp/pwned)>\r\n" \
    "text:RCPT TO:<\`touch /tmp/pwned-bt\`>\r\n" \
    "text:RCPT TO:<bob\rroot>\r\n" \
    "text:RCPT TO:<bob\x00root>\r\n" \
    "text:RCPT TO:<b\xffob>\r\n" \
    "text:RCPT TO:<$long>\r\n" \
    "text:RCPT TO:<$(echo "$long" | cut -c1-300)@x>\r\n" \
    "text:RCPT TO:<bob> -oQ/tmp\r\n" \
    "text:RSET\r\nMAIL FROM:<\$(touch /tmp/pwned) x@y>\r\n" \
    "text:MAIL FROM:<a\rb@c>\r\nMAIL FROM:<a@b> -oQ/tmp\r\n" \
    "text:MAIL FROM:<a\xff@b>\r\nMAIL FROM:<$long@b>\r\n" \
    "sleep:0.3" "text:QUIT\r\n" >"$SB/lmtp.out"
at_watch_check "LMTP refusals" --expect mail.local
tap_is "LMTP: each hostile address gets its reply" \
    "$(sed -n '8,$p' "$SB/lmtp.out" | grep -v '^\(rc\|maxrss\|sent\) ' |
	cut -c1-9 | tr '\n' ' ')" \
    "250 2.1.0 550 5.1.1 550 5.1.1 550 5.1.1 501 5.1.3 501 5.1.3 501 5.1.3 501 5.1.3 500 5.5.2 501 5.1.3 500 5.5.2 501 5.1.3 555 5.5.4 250 2.0.0 501 5.1.7 501 5.1.7 555 5.5.4 501 5.1.7 500 5.5.2 221 2.0.0 "
tap_is "LMTP: the session ends normally" "$(sed -n 's/^rc //p' "$SB/lmtp.out")" 0

# --- hostile senders that are valid addresses reach a .forward's program
# and forward_command: as data, one variable, one argument.
# fwd NAME SENDER: deliver to alice (pipe mode) from SENDER; check what
# the program saw in SENDER and what forward_command got as argv.
fwd() {
	rm -f /tmp/out/env.* /tmp/out/argv.*
	_err=$({ echo "Subject: $1"; sleep 0.2; } | "$at_ml" -f "$2" alice 2>&1)
	tap_is "$1: delivered" "$?" 0
	tap_diag "$_err"
	tap_is "$1: the program's SENDER is the address, whole" \
	    "$(cat /tmp/out/env.* | tr '\0' '\n' | sed -n 's/^SENDER=//p')" "$2"
	tap_is "$1: forward_command's argv" \
	    "$(cat /tmp/out/argv.* | tr '\0' '|')" \
	    "-i|-f|$2|--|remote@elsewhere.example|"
}
at_watch_start
fwd "pipe, sender -oQ/tmp" "-oQ/tmp"
fwd "pipe, sender with backticks" '`touch${IFS}/tmp/pwned-bt`@example.org'
fwd "pipe, quoted sender with \$(...)" '"$(touch /tmp/pwned);/sbin/reboot"@example.org'
at_watch_check "programs run for hostile senders" --expect mail.local --expect-child
rm -f /tmp/out/env.* /tmp/out/argv.*
at_watch_start
$lmtp -- "$at_ml" -l ";;" \
    "text:LHLO c\r\nMAIL FROM:<\"\`id\`|\$(touch /tmp/pwned)\"@x.example>\r\n" \
    "text:RCPT TO:<alice>\r\nDATA\r\nSubject: lmtp\r\n\r\nx\r\n.\r\n" \
    "sleep:0.5" "text:QUIT\r\n" >"$SB/lmtp.out"
at_watch_check "LMTP delivery to a program" --expect mail.local --expect-child
tap_is "LMTP: the quoted hostile sender is accepted and delivered" \
    "$(cut -c1-9 "$SB/lmtp.out" | sed -n '/^250 2.1.0/,/^rc/p' | tr '\n' ' ')" \
    "250 2.1.0 250 2.1.5 354 go ah 250 2.0.0 221 2.0.0 rc 0 "
tap_is "LMTP: the program's SENDER is the address, whole" \
    "$(cat /tmp/out/env.* | tr '\0' '\n' | sed -n 's/^SENDER=//p')" \
    '"`id`|$(touch /tmp/pwned)"@x.example'
tap_is "LMTP: forward_command's argv" "$(cat /tmp/out/argv.* | tr '\0' '|')" \
    '-i|-f|"`id`|$(touch /tmp/pwned)"@x.example|--|remote@elsewhere.example|'
tap_is "alice's mailbox got the four accepted copies" \
    "$(grep -c '^Subject: ' "$spool/alice")" 4

tap_is "nothing ran: no /tmp/pwned*" "$(pwned)" ""
at_unchanged "all" "$q/new" "$q/tmp" "$spool" "$spool/alice(\\.lock)?" \
    "/tmp/out(/.*)?"
tap_done
