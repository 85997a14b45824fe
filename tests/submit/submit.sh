#!/bin/sh
# sendmail (submit/): what MUAs, cron, PHP and git send-email send lands
# in submit/new byte-exact except for the documented header additions,
# with the envelope as given; mailq; refusals with sendmail's exit codes.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

sm=$POSTERN_SBINDIR/sendmail
q=$POSTERN_QUEUE_DIR/submit
dump=$top_builddir/tests/submit/cqdump
printf 'myhostname = test.example\n' >"$POSTERN_CONFIG_DIR/postern.conf"
ln -sf "$sm" /usr/sbin/sendmail

tap_is "sendmail is root:$POSTERN_SUBMIT_GROUP 2555" \
    "$(stat -c '%U:%G %a' "$sm")" "root:$POSTERN_SUBMIT_GROUP 2555"

# last: the newest file in new/ (one per test: we empty new/ first)
newest() { ls -t "$q/new" | head -n 1; }
clean() { rm -f "$q"/new/* "$q"/tmp/*; }
count() { ls "$q/new" | wc -l; }

clean
printf 'To: Bob <bob@example.org>, carol@example.org\nCc: "Smith, D" <dave@example.org>\nBcc: eve@example.org\nSubject: hello\n\nline one\n.\nline after dot\n' |
    sb_as alice "$sm" -t -i
tap_is "sendmail -t -i as alice: exit 0" "$?" 0
tap_is "one file in submit/new" "$(count)" 1
f=$q/new/$(newest)
tap_is "owned by alice (the kernel says who submitted), mode 0600" \
    "$(stat -c '%U %a' "$f")" "alice 600"
out=$("$dump" "$f")
tap_is "envelope: alice's sender, To/Cc/Bcc recipients" \
    "$(echo "$out" | sed '/^--$/q')" "sender alice@test.example
rcpt bob@example.org
rcpt carol@example.org
rcpt dave@example.org
rcpt eve@example.org
--"
msg=$(echo "$out" | sed '1,/^--$/d')
case $msg in
"Received: by test.example (postern sendmail, from userid 3001 (alice))"*)
	tap_ok "Received: first, with alice's uid and name" ;;
*) tap_fail "Received: first, with alice's uid and name" "$msg" ;;
esac
tap_check_fails "Bcc: is not stored" sh -c "echo \"\$1\" | grep -qi '^bcc:'" - "$msg"
tap_is "the caller's headers and body byte-exact, dot line kept with -i" \
    "$(echo "$msg" | sed -n '/^To:/,$p' | grep -v '^\(From\|Date\|Message-ID\):')" \
    'To: Bob <bob@example.org>, carol@example.org
Cc: "Smith, D" <dave@example.org>
Subject: hello

line one
.
line after dot'
tap_is "From: added with the GECOS name" "$(echo "$msg" | grep '^From:')" \
    'From: "alice (test user)" <alice@test.example>'
case $(echo "$msg" | grep '^Date:') in
"Date: "[A-Z][a-z][a-z]", "*" "[+-][0-9][0-9][0-9][0-9]) tap_ok "Date: added, RFC 5322" ;;
*) tap_fail "Date: added, RFC 5322" "$msg" ;;
esac
case $(echo "$msg" | grep '^Message-ID:') in
"Message-ID: <"*"@test.example>") tap_ok "Message-ID: added" ;;
*) tap_fail "Message-ID: added" "$msg" ;;
esac

clean
printf 'Subject: x\r\n\r\nbody\r\n.\r\nnot sent\r\n' | sb_as bob "$sm" alice
tap_is "without -i a lone dot ends the message; CRLF stored as LF" \
    "$("$dump" "$q/new/$(newest)" | sed '1,/^--$/d' | sed -n '/^Subject/,$p' |
    grep -v '^\(From\|Date\|Message-ID\):')" \
    "Subject: x

body"

clean
printf 'From: Me <me@example.org>\nDate: x\nMessage-ID: <m@x>\n\nhi\n' |
    sb_as bob "$sm" -f other@example.org -F 'Bob B' alice
out=$("$dump" "$q/new/$(newest)")
tap_is "-f sets the envelope sender" "$(echo "$out" | sed -n 1p)" \
    "sender other@example.org"
tap_is "an untrusted -f gets X-Authentication-Warning" \
    "$(echo "$out" | grep '^X-Authentication-Warning')" \
    "X-Authentication-Warning: test.example: bob set sender to other@example.org using -f"
tap_is "existing From/Date/Message-ID are kept, none added" \
    "$(echo "$out" | grep -c '^\(From\|Date\|Message-ID\):')" 3

clean
echo hi | sb_as alice "$sm" -f '<>' bob
tap_is "-f '<>': the null sender" "$("$dump" "$q/new/$(newest)" | sed -n 1p)" "sender "

clean
printf 'Resent-To: r1@example.org\nResent-Bcc: r2@example.org\nTo: not@example.org\n\nx\n' |
    sb_as alice "$sm" -t extra@example.org
tap_is "-t with Resent- fields: Resent-To/Bcc, plus the command line" \
    "$("$dump" "$q/new/$(newest)" | grep '^rcpt' | sort | tr '\n' ' ')" \
    "rcpt extra@example.org rcpt r1@example.org rcpt r2@example.org "

clean
printf 'To: undisclosed-recipients:;\nSubject: none\n\nx\n' | sb_as alice "$sm" -t 2>"$SB/err"
tap_is "-t with no recipient: exit 64, nothing queued" "$?:$(count)" "64:0"
tap_is "... saying so" "$(cat "$SB/err")" "sendmail: No recipient addresses found in header"

# cron, PHP, git send-email.
clean
printf 'Subject: cron\n\nout\n' | sb_as alice "$sm" -FCronDaemon -i -B8BITMIME -oem alice
tap_is "cron's arguments: exit 0, From: CronDaemon" \
    "$?:$("$dump" "$q/new/$(newest)" | grep '^From:')" \
    "0:From: CronDaemon <alice@test.example>"
clean
printf 'To: bob@example.org\nSubject: php\n\nbody\n' | sb_as alice "$sm" -t -i
tap_is "PHP's -t -i: exit 0" "$?:$(count)" "0:1"
clean
printf 'From: A <alice@test.example>\nTo: bob@example.org\nSubject: [PATCH] x\n\n---\n' |
    sb_as alice "$sm" -i bob@example.org
tap_is "git send-email's -i addr: exit 0" "$?:$(count)" "0:1"

# Real MUAs, with their default sendmail path /usr/sbin/sendmail.
for mua in s-nail mutt; do
	clean
	if ! command -v $mua >/dev/null; then
		tap_skip "$mua sends through sendmail" "$mua is not installed"
		continue
	fi
	printf 'written in %s\n' "$mua" >/tmp/body
	chmod 644 /tmp/body
	case $mua in
	s-nail) sb_as alice env MAILRC=/dev/null s-nail -n -s "via $mua" \
	    bob@example.org </tmp/body >/dev/null 2>&1 ;;
	mutt) sb_as alice env TERM=dumb mutt -n -F /dev/null -s "via $mua" \
	    bob@example.org </tmp/body >/dev/null 2>&1 ;;
	esac
	out=$("$dump" "$q/new/$(newest)" 2>&1)
	case $out in
	*"rcpt bob@example.org"*"Subject: via $mua"*"written in $mua"*)
		tap_ok "$mua sends through sendmail: queued with its subject and body" ;;
	*) tap_fail "$mua sends through sendmail: queued with its subject and body" "$out" ;;
	esac
done
clean
printf 'Subject: for mailq\n\nx\n' | sb_as alice "$sm" -i bob@example.org

# -bs: SMTP on stdin/stdout.
clean
if command -v swaks >/dev/null; then
	out=$(sb_as alice swaks --pipe "$sm -bs" --from alice@test.example \
	    --to bob@example.org,carol@example.org --header 'Subject: via -bs' 2>&1)
	tap_is "-bs with swaks: exit 0, one file" "$?:$(count)" "0:1"
	out=$("$dump" "$q/new/$(newest)")
	case $out in
	*"rcpt bob@example.org"*"rcpt carol@example.org"*"Received: by test.example (postern sendmail, from userid 3001 (alice))"*"Subject: via -bs"*)
		tap_ok "-bs: envelope and Received: as for -bm" ;;
	*) tap_fail "-bs: envelope and Received: as for -bm" "$out" ;;
	esac
else
	tap_skip "-bs with swaks" "swaks is not installed"
	tap_skip "-bs: envelope" "swaks is not installed"
fi
clean
out=$(printf 'EHLO x\r\nMAIL FROM:<a@test.example>\r\nRCPT TO:<b@x>\r\nDATA\r\n..dot\r\nline\r\n.\r\nMAIL FROM:<a@test.example>\r\nRCPT TO:<c@x>\r\nDATA\r\nsecond\r\n.\r\nFOO\r\nQUIT\r\n' |
    sb_as alice "$sm" -bs | tr -d '\r' | cut -c1-9 | sed 's/ *$//')
tap_is "-bs pipelined: two messages, replies in order" "$out" "220 test.
250-test.
250-8BITM
250-SIZE
250 ENHAN
250 2.1.0
250 2.1.5
354 End d
250 2.0.0
250 2.1.0
250 2.1.5
354 End d
250 2.0.0
502 5.5.2
221 2.0.0"
tap_is "-bs: two files queued" "$(count)" 2
tap_is "-bs: dot-stuffing undone" \
    "$(for f in "$q"/new/*; do "$dump" "$f" | sed -n '/^\.dot$/p'; done)" ".dot"
clean
printf 'EHLO x\r\nMAIL FROM:<a@test.example>\r\nRCPT TO:<b@x>\r\nDATA\r\npartial\r\n' |
    sb_as alice "$sm" -bs >/dev/null
tap_is "-bs: the client leaves mid-DATA: nothing queued, no temp file" \
    "$(count):$(ls "$q/tmp" | wc -l)" "0:0"
clean
printf 'Subject: for mailq\n\nx\n' | sb_as alice "$sm" -i bob@example.org

# mailq
out=$(sb_as alice "$POSTERN_PREFIX/bin/mailq")
case $out in
*"<alice@test.example>"*"<bob@example.org>"*"Total requests: 1"*) tap_ok "mailq shows alice her message" ;;
*) tap_fail "mailq shows alice her message" "$out" ;;
esac
tap_is "mailq for bob: Mail queue is empty" "$(sb_as bob "$POSTERN_PREFIX/bin/mailq")" \
    "Mail queue is empty"
tap_is "sendmail -bp is mailq" "$(sb_as bob "$sm" -bp)" "Mail queue is empty"
case $("$sm" -bp) in *"in 1 Request."*) tap_ok "root's mailq (postern-queue -p) sees alice's message" ;;
*) tap_fail "root's mailq sees alice's message" "$("$sm" -bp)" ;; esac

# -bv
out=$(sb_as alice "$sm" -bv alice bob@example.org nosuchuser 2>&1)
tap_is "-bv: exit 67 for the unknown user" "$?" 67
tap_is "-bv lines" "$out" "alice... deliverable: mailer local, user alice
bob@example.org... deliverable: mailer relay, host example.org
nosuchuser... User unknown"
printf 'staff: alice, bob@example.org, "|/usr/bin/vacation x"\nloop: loop\n' >/etc/aliases
"$POSTERN_SBINDIR/newaliases" >/dev/null
out=$(sb_as bob "$sm" -bv staff loop 2>&1)
tap_is "-bv expands aliases: exit 69 for the loop" "$?" 69
tap_is "-bv lines of an alias" "$out" "alice... deliverable: mailer local, user alice
bob@example.org... deliverable: mailer relay, host example.org
|/usr/bin/vacation x... deliverable: mailer prog, user nobody
loop... undeliverable: alias loop: loop expands to itself and is not a local user (5.4.6)"
rm -f /etc/aliases /etc/aliases.db

# Refusals.
clean
sb_as alice "$sm" -q >/dev/null 2>"$SB/err"
tap_is "-q by a user: 77" "$?" 77
tap_is "... with sendmail's message" "$(cat "$SB/err")" \
    "sendmail: You do not have permission to process the queue"
sb_as alice "$sm" -bi >/dev/null 2>&1
tap_is "-bi by a user: 77" "$?" 77
echo 'queue_directory = /tmp/evil' >/tmp/evil.conf
echo hi | sb_as alice "$sm" -C /tmp/evil.conf bob >/dev/null 2>&1
tap_is "-C by a user: 77, nothing queued" "$?:$(count)" "77:0"
echo hi | sb_as alice "$sm" -oQ/tmp bob >/dev/null 2>&1
tap_is "-oQ by a user: 77" "$?" 77
echo hi | sb_as alice "$sm" -x bob >/dev/null 2>&1
tap_is "an unknown flag: 64" "$?" 64
echo hi | sb_as alice "$sm" >/dev/null 2>&1
tap_is "no recipient: 64" "$?" 64
echo hi | sb_as alice "$sm" -f "$(printf 'a\nFrom evil')" bob >/dev/null 2>&1
tap_is "-f with a newline: 65, nothing queued" "$?:$(count)" "65:0"
echo hi | sb_as alice "$sm" -F "$(printf 'x\ny')" bob >/dev/null 2>&1
tap_is "-F with a newline: 65" "$?" 65
echo hi | sb_as alice "$sm" -F "$(head -c 100000 /dev/zero | tr '\0' x)" bob >/dev/null 2>&1
tap_is "-F of 100 KB (1 MiB is over the kernel's argument limit): 65" "$?" 65
echo hi | sb_as alice "$sm" "$(printf 'bob\r\nRCPT evil')" >/dev/null 2>&1
tap_is "a recipient with CR LF: 65" "$?:$(count)" "65:0"
echo hi | sb_as alice "$sm" -- -oQ/tmp >/dev/null 2>&1
tap_is "-oQ/tmp after --: a recipient, not an option" \
    "$?:$("$dump" "$q/new/$(newest)" | grep '^rcpt')" "0:rcpt -oQ/tmp"
clean
printf 'message_size_limit = 2k\nmyhostname = test.example\n' >"$POSTERN_CONFIG_DIR/postern.conf"
head -c 5000 /dev/zero | tr '\0' x | sb_as alice "$sm" bob >/dev/null 2>"$SB/err"
tap_is "over message_size_limit: 73, nothing queued, no temp file" \
    "$?:$(count):$(ls "$q/tmp" | wc -l)" "73:0:0"
printf 'myhostname = test.example\n' >"$POSTERN_CONFIG_DIR/postern.conf"
tap_done
