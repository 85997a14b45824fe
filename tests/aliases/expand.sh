#!/bin/sh
# Alias expansion for real in the sandbox: /etc/aliases built by
# newaliases into a Berkeley DB map, used by mail.local in pipe and LMTP
# mode.  A 3-level chain with a loop, an alias that names itself,
# duplicates (also across recipients), a 10,000-member :include: list,
# owner-NAME as the sender, programs and files of the root-owned map run
# as default_user, user+ext, forwarding to a remote address (the
# submission command gets the right argv, sender and Delivered-To:),
# Delivered-To: loops, :include: files that are not safe, and hostile
# recipient addresses.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"
command -v swaks >/dev/null || tap_skip_all "swaks is not installed"

ml=$POSTERN_LIBEXECDIR/mail.local
na=$POSTERN_SBINDIR/newaliases
spool=$POSTERN_MAIL_SPOOL
conf=$POSTERN_CONFIG_DIR/postern.conf
sb_add_user carol 3010
mkdir -p /tmp/out && chmod 1777 /tmp/out

# The submission command forwarding uses: records argv, ids and stdin.
cat >/usr/local/bin/fakesubmit <<'EOT'
#!/bin/sh
n=$(date +%s%N)
{ echo "who=$(id -un)"; for a in "$@"; do echo "arg=$a"; done; } >/tmp/out/fwd.$n.argv
cat >/tmp/out/fwd.$n.msg
EOT
cat >/usr/local/bin/dumpids <<'EOT'
#!/bin/sh
exec >"/tmp/out/ids.$1"
echo "ids=$(id -un) $(id -u) $(id -G)"
echo "env=$SENDER $RECIPIENT $LOCAL $ORIGINAL_RECIPIENT"
EOT
chmod 755 /usr/local/bin/fakesubmit /usr/local/bin/dumpids
cat >"$conf" <<EOT
myhostname = test.example
forward_command = /usr/local/bin/fakesubmit -i
EOT

mkdir -p /etc/lists /var/spool/archive
chown nobody /var/spool/archive
i=0
while [ $i -lt 10000 ]; do echo "bob+m$i"; i=$((i + 1)); done >/etc/lists/big
echo alice >>/etc/lists/big
printf 'carol\n' >/etc/lists/writable
chmod 666 /etc/lists/writable
printf '|/usr/local/bin/dumpids mallory\n' >/home/mallory/list
chown mallory /home/mallory/list

cat >/etc/aliases <<'EOT'
# Test aliases.
postmaster: root
root: alice
staff: alice, bob,
	alice
chain1: chain2
chain2: chain3
chain3: chain1, bob
self: self, carol
bob: bob, "|/usr/local/bin/dumpids bob"
big: :include:/etc/lists/big
owner-big: carol
archive: /var/spool/archive/log
remote: someone@example.org, carol
sales: carol
sales+east: alice
ghost: nosuchuser
writable: :include:/etc/lists/writable
mallorylist: :include:/home/mallory/list
EOT
out=$("$na" 2>&1)
tap_is "newaliases builds the map" "$?" 0
echo "# $out"

send() {	# send SUBJECT RCPT...: pipe mode; exit code
	_s=$1
	shift
	printf 'Subject: %s\n\nbody\n' "$_s" |
	    "$ml" -f sender@example.org -d "$@" 2>"$SB/stderr"
}

send one postmaster
tap_is "postmaster -> root -> alice: exit 0" "$?" 0
tap_is "alice has it once" "$(sb_count one "$spool/alice")" 1
tap_is "Delivered-To: the final user, X-Original-To: the recipient" \
    "$(grep -E '^(Delivered-To|X-Original-To):' "$spool/alice" | tr '\n' ' ')" \
    "Delivered-To: alice@test.example X-Original-To: postmaster@test.example "

send two staff
tap_is "staff (alice twice, on a continuation line): exit 0" "$?" 0
tap_is "alice once, bob once" \
    "$(sb_count two "$spool/alice") $(sb_count two "$spool/bob")" "1 1"
tap_is "bob's alias names bob: his mailbox, and his program as nobody" \
    "$(grep '^ids=' /tmp/out/ids.bob)" "ids=nobody 65534 65534"
tap_is "the program's environment: sender, recipient, local, original" \
    "$(grep '^env=' /tmp/out/ids.bob)" \
    "env=sender@example.org bob@test.example bob staff@test.example"

send three alice staff
tap_is "alice and staff in one message: alice gets one copy" \
    "$? $(sb_count three "$spool/alice")" "0 1"

send four chain1
tap_is "a 3-level chain with a loop back to chain1: permanent (69)" "$?" 69
tap_check "... the reason is the loop (5.4.6 text)" grep -q "alias loop: chain1" "$SB/stderr"
tap_is "... and bob still got it" "$(sb_count four "$spool/bob")" 1

send five self
tap_is "self names itself and is no user: 69" "$?" 69
tap_is "... carol got it" "$(sb_count five "$spool/carol")" 1

start=$(date +%s)
send six big
rc=$?
took=$(( $(date +%s) - start ))
tap_is "a 10,000-member :include: list: exit 0 (${took}s)" "$rc" 0
tap_is "bob+m0 .. bob+m9999 are one destination: bob once; alice once" \
    "$(sb_count six "$spool/bob") $(sb_count six "$spool/alice")" "1 1"
tap_check "owner-big is the envelope sender of the list's copies" \
    grep -q "^Return-Path: <owner-big@test.example>" "$spool/alice"

send seven archive
tap_is "a file in the root map: exit 0" "$?" 0
tap_is "... appended as nobody, mode 0600" \
    "$(stat -c '%U %a' /var/spool/archive/log) $(sb_count seven /var/spool/archive/log)" \
    "nobody 600 1"

send eight sales+east sales+west
tap_is "sales+east is its own alias; sales+west uses sales" \
    "$? $(sb_count eight "$spool/alice") $(sb_count eight "$spool/carol")" "0 1 1"

rm -f /tmp/out/fwd.*
send nine remote
tap_is "remote: exit 0" "$?" 0
argv=$(cat /tmp/out/fwd.*.argv 2>/dev/null | tr '\n' '|')
tap_is "the submission command: as nobody, -i -f SENDER -- ADDRESS" "$argv" \
    "who=nobody|arg=-i|arg=-f|arg=sender@example.org|arg=--|arg=someone@example.org|"
tap_is "the forwarded copy starts with Delivered-To: (RFC 9228)" \
    "$(head -n 2 /tmp/out/fwd.*.msg | tr '\n' '|')" \
    "Delivered-To: remote@test.example|Subject: nine|"
tap_is "... and carol got hers" "$(sb_count nine "$spool/carol")" 1

# The forwarded copy comes back: Delivered-To: remote@test.example.
printf 'Delivered-To: remote@test.example\nSubject: ten\n\nx\n' |
    "$ml" -f sender@example.org -d remote 2>"$SB/stderr"
tap_is "a message already delivered to remote: loop, 69" "$?" 69
tap_check "... the reason says mail forwarding loop" grep -q "mail forwarding loop" "$SB/stderr"
tap_is "... nothing forwarded, nothing for carol" \
    "$(ls /tmp/out/ | grep -c '^fwd.*msg$') $(sb_count ten "$spool/carol")" "1 0"

send eleven ghost
tap_is "an alias to an unknown user: 67" "$?" 67
send twelve writable
tap_is "an :include: file writable by others: deferred (75)" "$?" 75
tap_is "... carol got nothing" "$(sb_count twelve "$spool/carol")" 0
rm -f /tmp/out/ids.mallory
send thirteen mallorylist
tap_is "an :include: file owned by mallory in the root map: deferred (75)" "$?" 75
tap_is "... mallory's program did not run" "$(test -e /tmp/out/ids.mallory && echo ran)" ""

# A map others could write is refused: the mail waits (75).
chmod 0666 /etc/aliases.db
send sixteen staff
tap_is "an aliases.db writable by others: deferred (75)" "$?" 75
tap_check "... saying so" grep -q "writable by group or others" "$SB/stderr"
chmod 0644 /etc/aliases.db

# LMTP: aliases are accepted at RCPT, unknown names refused there.
out=$(swaks --protocol LMTP --pipe "$ml -l" --from sender@example.org \
    --to staff,postmaster,nosuchuser,'-oQ/tmp','"|/bin/sh"@localhost' \
    --header 'Subject: fourteen' 2>&1)
case $out in
*"250 2.1.5 <staff>"*"250 2.1.5 <postmaster>"*"550 5.1.1 <nosuchuser>"*)
	tap_ok "LMTP: staff and postmaster accepted, nosuchuser 550 5.1.1" ;;
*) tap_fail "LMTP: staff and postmaster accepted, nosuchuser 550 5.1.1" "$out" ;;
esac
case $out in
*"550 5.1.1 <-oQ/tmp>"*) tap_ok "LMTP: -oQ/tmp is refused as a user" ;;
*) tap_fail "LMTP: -oQ/tmp is refused as a user" "$out" ;;
esac
case $out in
*'550 5.1.1 <"|/bin/sh"@localhost>'*) tap_ok "LMTP: \"|/bin/sh\"@localhost is refused" ;;
*) tap_fail "LMTP: \"|/bin/sh\"@localhost is refused" "$out" ;;
esac
tap_is "LMTP: alice got one copy (staff and postmaster both reach her)" \
    "$(sb_count fourteen "$spool/alice")" 1

for bad in 'foo;/sbin/reboot' '$(id)' 'a/../b' "$(printf 'a\nb')"; do
	send fifteen "$bad"
	rc=$?
	tap_check "a hostile recipient '$(printf %s "$bad" | tr '\n' N)' is refused ($rc)" \
	    test "$rc" -eq 65 -o "$rc" -eq 67
done
tap_is "nothing ran as root: /etc/passwd unchanged" \
    "$(sha256sum </etc/passwd)" "$(sha256sum <"$SB/passwd")"
tap_done
