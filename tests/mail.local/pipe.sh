#!/bin/sh
# mail.local pipe mode, for real in the sandbox: mbox format (From_ line,
# Return-Path, Delivered-To, >From quoting both ways, the blank line),
# CRLF input, exit codes per sysexits with one stderr line per failure,
# a new mailbox's owner and mode, root's mailbox, Maildir via
# home_mailbox, -h, the size limit, the refusal to run unprivileged, and
# the capabilities mail.local holds while it runs.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

. "$top_srcdir/tests/mail.local/setup.sh"

tap_is "mail.local is installed root:root 0555" \
    "$(stat -c '%U:%G %a' "$ml")" "root:root 555"

printf 'Subject: one\n\nFrom here\n>From there\n>>From far\nFromage\n.\nend' |
    "$ml" -f sender@example.org -d alice
tap_is "pipe delivery to alice: exit 0" "$?" 0
tap_is "a new mailbox is alice's, group of the spool, mode 0600" \
    "$(stat -c '%U %a' "$spool/alice")" "alice 600"
tap_is "the dotlock is gone" "$(ls "$spool" | grep -c lock)" 0
first=$(head -n 1 "$spool/alice")
case $first in
"From sender@example.org "[A-Z][a-z][a-z]" "[A-Z][a-z][a-z]" "*[0-9]:[0-9][0-9]:[0-9][0-9]" "[0-9][0-9][0-9][0-9])
	tap_ok "From_ line: sender and asctime date" ;;
*) tap_fail "From_ line: sender and asctime date" "$first" ;;
esac
tap_is "mboxrd quoting; final newline added; blank line after" \
    "$(tail -n +2 "$spool/alice"; echo x)" "Return-Path: <sender@example.org>
Delivered-To: alice@test.example
Subject: one

>From here
>>From there
>>>From far
Fromage
.
end

x"

printf 'myhostname = test.example\nmailbox_quoting = mboxo\n' >"$conf"
printf 'Subject: two\r\n\r\nFrom a\r\n>From b\r\nbare\rcr\r\n' |
    "$ml" -f '<>' -d alice
tap_is "second message, CRLF input, null sender: exit 0" "$?" 0
tap_is "appended after the first; mboxo; CRLF became LF; bare CR kept" \
    "$(sed -n '/^From MAILER-DAEMON /,$p' "$spool/alice" | tail -n +2; echo x)" \
    "Return-Path: <>
Delivered-To: alice@test.example
Subject: two

>From a
>From b
bare${CR:=$(printf '\r')}cr

x"
tap_is "two messages in the mbox" "$(grep -c '^From ' "$spool/alice")" 2

out=$(echo hi | "$ml" -f a@b -d alice nosuchuser 2>&1)
tap_is "an unknown user among known: exit 67 (EX_NOUSER)" "$?" 67
tap_is "one stderr line for the failed recipient" "$out" \
    "mail.local: nosuchuser: nosuchuser: no such user"
tap_is "the known user still got it" "$(grep -c '^From a@b ' "$spool/alice")" 1

echo hi | "$ml" -f a@b ALICE
tap_is "user names are tried in lower case too" \
    "$(grep -c '^Delivered-To: ALICE@test.example' "$spool/alice")" 1
echo hi | "$ml" -f a@b alice+lists
tap_is "user+ext delivers to user" \
    "$(grep -c '^Delivered-To: alice+lists@test.example' "$spool/alice")" 1

out=$(echo hi | sh -c "trap '' CHLD; exec \"$ml\" -f a@b alice" 2>&1)
tap_is "started with SIGCHLD ignored (as some MTAs do): still exit 0" \
    "$?:$out" "0:"

echo hi | "$ml" -f a@b root
tap_is "mail for root: delivered" "$?" 0
tap_is "root's mailbox is root's, 0600" "$(stat -c '%U %a' "$spool/root")" \
    "root 600"

printf 'Delivered-To: bob@test.example\n\nloop\n' | "$ml" -f a@b bob 2>/dev/null
tap_is "a message that was delivered to bob before: exit 69, loop" "$?" 69
tap_check_fails "... and nothing delivered" test -e "$spool/bob"

out=$(echo hi | sb_as alice "$ml" -d alice 2>&1)
tap_is "run by a user: exit 77 (EX_NOPERM)" "$?" 77
case $out in
*"must be run as root"*) tap_ok "... with the reason" ;;
*) tap_fail "... with the reason" "$out" ;;
esac
"$ml" -l alice </dev/null >/dev/null 2>&1
tap_is "-l with users: usage error 64" "$?" 64
"$ml" -x alice </dev/null >/dev/null 2>&1
tap_is "an unknown flag: 64" "$?" 64
"$ml" </dev/null >/dev/null 2>&1
tap_is "no user: 64" "$?" 64
echo hi | "$ml" -f "$(printf 'a\nFrom evil')" alice >/dev/null 2>&1
tap_is "a sender with a newline: 64, not delivered" "$?" 64
"$ml" -h ../x alice </dev/null >/dev/null 2>&1
tap_is "-h outside home: 64" "$?" 64

echo hi | "$ml" -f a@b -h mail/inbox bob
tap_is "-h mail/inbox with no mail/ directory: 75 (try later)" "$?" 75
sb_as bob mkdir /home/bob/mail
echo hi | "$ml" -f a@b -h mail/inbox bob
tap_is "-h mail/inbox: delivered below bob's home" "$?" 0
tap_is "... into /home/bob/mail/inbox, bob's" \
    "$(stat -c '%U %a' /home/bob/mail/inbox)" "bob 600"

printf 'myhostname = test.example\nhome_mailbox = Maildir/\n' >"$conf"
printf 'Subject: md\n\nFrom x\n' | "$ml" -f a@b bob
tap_is "Maildir delivery: exit 0" "$?" 0
f=$(ls /home/bob/Maildir/new/ 2>/dev/null)
tap_is "one file in new/, none left in tmp/" \
    "$(ls /home/bob/Maildir/new | wc -l) $(ls /home/bob/Maildir/tmp | wc -l)" "1 0"
case $f in
[0-9]*.M*P*V*I*.test.example,S=[0-9]*) tap_ok "unique Maildir name with ,S=" ;;
*) tap_fail "unique Maildir name with ,S=" "$f" ;;
esac
tap_is "Maildir message as sent, no From_ quoting, headers added" \
    "$(cat /home/bob/Maildir/new/"$f")" "Return-Path: <a@b>
Delivered-To: bob@test.example
Subject: md

From x"
tap_is "S= is the file size" "${f##*,S=}" "$(stat -c %s /home/bob/Maildir/new/"$f")"
tap_is "the Maildir tree is bob's, 0700" \
    "$(stat -c '%U %a' /home/bob/Maildir /home/bob/Maildir/cur | sort -u)" \
    "bob 700"

printf 'message_size_limit = 2k\n' >"$conf"
head -c 5000 /dev/zero | tr '\0' 'x' | "$ml" -f a@b mallory 2>/dev/null
tap_is "over message_size_limit: 69, nothing delivered" \
    "$?:$(test -e "$spool/mallory" && echo exists)" "69:"

# The capability sets while it runs: a pipe mode delivery that waits on
# its input shows them in /proc.
rm -f "$conf"
mkfifo "$SB/in"
"$ml" -f a@b alice <"$SB/in" &
pid=$!
exec 7>"$SB/in"
sleep 0.3
caps=$(grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' "/proc/$pid/status" | tr '\t' ' ')
echo hi >&7
exec 7>&-
wait $pid
tap_is "while running: only CAP_SETUID+CAP_SETGID (0xc0) anywhere" "$caps" \
    "CapInh: 0000000000000000
CapPrm: 00000000000000c0
CapEff: 00000000000000c0
CapBnd: 00000000000000c0
CapAmb: 0000000000000000"

# A message of 3 MiB: pipe mode spools its first MiB in memory and moves
# to the temporary file past it; every byte must reach the mailbox.
rm -f "$spool/bob"
{ printf 'Subject: three mib\n\n'; i=0
  while [ $i -lt 3 ]; do head -c 1048576 /dev/zero | tr '\0' 'y' | fold -w 999
	i=$((i + 1)); done; echo; } >"$SB/big"
"$ml" -f a@b bob <"$SB/big"
tap_is "3 MiB in pipe mode: exit 0" "$?" 0
sed -n '/^Subject: three mib$/,$p' "$spool/bob" | sed '$d' >"$SB/big.got"
tap_check "... the mailbox holds the message byte for byte" cmp "$SB/big" "$SB/big.got"

tap_done
