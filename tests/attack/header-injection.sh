#!/bin/sh
# Attack: header injection through sendmail's -F and -f (and -N/-R/-V/-B,
# a recipient, the GECOS name): CR/LF with "Bcc: victim" after them, other
# control characters (NUL cannot pass argv), values over the limits,
# quotes, backslashes, parentheses and angle brackets in the full name.
# What must hold: control characters and over-long values exit 65 with
# nothing queued; the rest are queued with no header field but those
# sendmail documents (Received, From, Date, Message-ID, and the caller's),
# the From: phrase quoted, and a delivery of the queued message through
# mail.local shows the same header in the mailbox.  Nothing outside the
# queue and bob's mailbox changes; no process holds more than its due.
set -u
. "$top_srcdir/tests/attack/attack.sh"

q=$POSTERN_QUEUE_DIR/submit
dump=$top_builddir/tests/submit/cqdump
at_conf
mkdir -m 0777 /tmp/out
# eve's GECOS name is hostile too (passwd allows neither ':' nor LF).
sb_add_user eve 3004 || tap_bail "cannot add eve"
# (/etc/passwd is bound to the inode of $SB/passwd: rewrite it in place.)
sed 's/^eve:x:3004:3004:[^:]*:/eve:x:3004:3004:Eve "the boss" \\ (x) <root@evil>, Bcc victim:/' \
    "$SB/passwd" >"$SB/passwd.new" && cat "$SB/passwd.new" >"$SB/passwd" ||
	tap_bail "cannot set eve's GECOS"
# mail.local's spool file is in /var/tmp: copy /var/tmp up before the mark.
echo warm-up | "$at_ml" -f a@b bob >/dev/null 2>&1
rm -f "$spool/bob"

cat >/tmp/out/cases.sh <<'EOF'
sm=$1 nl='
' cr=$(printf '\r') long=$(head -c 300 /dev/zero | tr '\0' n)
c() {
	_n=$1
	shift
	{ printf 'Subject: case %s\nTo: bob\n\nbody\n' "$_n"; sleep 0.05; } |
	    "$sm" "$@" 2>/dev/null
	echo "$_n:$?"
}
sleep 0.5
c 1 -F "Alice${nl}Bcc: victim@example.org" bob
c 2 -F "Alice${cr}${nl}Bcc: victim@example.org" bob
c 3 -F "Alice${cr}Bcc: victim@example.org" bob
c 4 -F "$(printf 'Alice\tTab')" bob
c 5 -F "$(printf 'Alice\033[2J')" bob
c 6 -F "$(printf 'Alice\177')" bob
c 7 -F "$long" bob
c 8 -f "alice${nl}Bcc: victim@example.org" bob
c 9 -f "alice@test.example${cr}${nl}Bcc: victim" bob
c 10 -f "$long@example.org" bob
c 11 -N "never${nl}Bcc: victim" bob
c 12 -R "full${nl}Bcc: victim" bob
c 13 -V "id${nl}Bcc: victim" bob
c 14 -B "8BITMIME${nl}Bcc: victim" bob
c 15 "bob${nl}Bcc: victim@example.org"
c 16 -F 'Al "the boss" \ (x) <root@evil>, Bcc: victim' bob
c 17 -F '(comment) Alice' bob
c 18 -F 'Alice' -f '"x y"@example.org' bob
c 19 -F "$(head -c 256 /dev/zero | tr '\0' f)" bob
EOF
chmod 0644 /tmp/out/cases.sh
at_mark
{
	sb_as alice sh /tmp/out/cases.sh "$at_sendmail"
	echo "20:$( { printf 'Subject: case 20\nTo: bob\n\nbody\n'; sleep 0.2; } |
	    sb_as eve "$at_sendmail" bob 2>/dev/null; echo $?)"
} >"$SB/rc" &
pid=$!
sleep 0.1
at_watch_start
wait $pid
at_watch_check "sendmail" --expect sendmail

# hdr N: the header section of case N's queued message.
for f in "$q"/new/*; do
	[ -e "$f" ] || continue
	n=$("$dump" "$f" | sed -n 's/^Subject: case //p')
	"$dump" "$f" | sed '1,/^--$/d' | sed '/^$/q' >"$SB/hdr.$n"
	cp "$f" "$SB/qf.$n"
done
refused() {
	tap_is "case $1, $2: exit 65, nothing queued" \
	    "$(grep "^$1:" "$SB/rc" | cut -d: -f2):$(cat "$SB/hdr.$1" 2>/dev/null)" \
	    "65:"
}
refused 1 "-F with LF and Bcc:"
refused 2 "-F with CRLF and Bcc:"
refused 3 "-F with a bare CR"
refused 4 "-F with a tab"
refused 5 "-F with ESC"
refused 6 "-F with DEL"
refused 7 "-F of 300 bytes (over 256)"
refused 8 "-f with LF and Bcc:"
refused 9 "-f with CRLF and Bcc:"
refused 10 "-f of 300 bytes"
refused 11 "-N with LF"
refused 12 "-R with LF"
refused 13 "-V with LF"
refused 14 "-B with LF"
refused 15 "a recipient with LF and Bcc:"

# fields N: the field names of case N's header, in order.
fields() { grep -a -o '^[^ 	:]*:' "$SB/hdr.$1" | tr '\n' ' '; }
accepted() {
	tap_is "case $1, $2: queued" "$(grep "^$1:" "$SB/rc" | cut -d: -f2)" 0
	tap_is "case $1: only the documented fields" "$(fields "$1")" "$3"
	tap_is "case $1: the From: field" "$(grep -a '^From:' "$SB/hdr.$1")" "$4"
}
# The caller's fields, then the missing ones sendmail adds.
std="Received: Subject: To: From: Date: Message-ID: "
accepted 16 "quotes, backslash, parentheses, <...> and ', Bcc:' in -F" "$std" \
    'From: "Al \"the boss\" \\ (x) <root@evil>, Bcc: victim" <alice@test.example>'
accepted 17 "a (comment) in -F" "$std" \
    'From: "(comment) Alice" <alice@test.example>'
accepted 18 "-f with a quoted local part" \
    "Received: X-Authentication-Warning: Subject: To: From: Date: Message-ID: " \
    'From: Alice <alice@test.example>'
tap_is "case 18: the warning names the sender on one line" \
    "$(grep -a '^X-Authentication-Warning:' "$SB/hdr.18")" \
    'X-Authentication-Warning: test.example: alice set sender to "x y"@example.org using -f'
f256=$(head -c 256 /dev/zero | tr '\0' f)
accepted 19 "-F of exactly 256 bytes" "$std" "From: $f256 <alice@test.example>"
accepted 20 "a hostile GECOS name" "$std" \
    'From: "Eve \"the boss\" \\ (x) <root@evil>" <eve@test.example>'
tap_is "no Bcc: anywhere in the queue" \
    "$(cat "$SB"/hdr.* 2>/dev/null | grep -aic '^bcc:')" 0

# The queued message through mail.local into bob's mailbox: the header is
# the same there.
at_watch_start
"$dump" "$SB/qf.16" | sed '1,/^--$/d' | { cat; sleep 0.2; } |
    "$at_ml" -f alice@test.example bob
tap_is "case 16 delivered by mail.local" "$?" 0
at_watch_check "mail.local" --expect mail.local
tap_is "the mailbox has the same fields, one From:, no Bcc:" \
    "$(sed -n '2,/^$/p' "$spool/bob" | grep -a -o '^[^ 	:]*:' | tr '\n' ' ')" \
    "Return-Path: Delivered-To: $std"
tap_is "the From: is intact in the mailbox" "$(grep -a '^From:' "$spool/bob")" \
    'From: "Al \"the boss\" \\ (x) <root@evil>, Bcc: victim" <alice@test.example>'
at_unchanged "all" "$q/new(/.*)?" "$q/tmp(/.*)?" "$spool" "$spool/bob(\\.lock)?"
tap_done
