#!/bin/sh
# The socket service: mail.local -l spawned per connection on a UNIX
# socket the way postern-lmtp.socket (Accept=yes) does it, here with
# systemd-socket-activate --accept --inetd, and swaks delivering over LMTP
# to two users in one session, then again in a second connection.  The
# shipped unit files are checked with systemd-analyze verify when it can
# run here.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"
command -v systemd-socket-activate >/dev/null ||
	tap_skip_all "systemd-socket-activate is not installed (package systemd)"
command -v swaks >/dev/null || tap_skip_all "swaks is not installed"

ml=$POSTERN_LIBEXECDIR/mail.local
spool=$POSTERN_MAIL_SPOOL
printf 'myhostname = test.example\n' >"$POSTERN_CONFIG_DIR/postern.conf"
mkdir -p /run/postern
sock=/run/postern/lmtp
systemd-socket-activate -l "$sock" --accept --inetd -- "$ml" -l \
    >"$SB/activate.log" 2>&1 &
act=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
tap_check "the socket is there" test -S "$sock"

out=$(swaks --socket "$sock" --protocol LMTP --from sender@example.org \
    --to alice@test.example,bob@test.example --header 'Subject: via socket' \
    --body 'one body line' 2>&1)
tap_is "swaks over the socket: exit 0" "$?" 0
case $out in
*"250 2.0.0 <alice@test.example>"*"250 2.0.0 <bob@test.example>"*)
	tap_ok "one 250 reply per recipient after DATA" ;;
*) tap_fail "one 250 reply per recipient after DATA" "$out" ;;
esac
tap_is "alice got it" "$(grep -c '^Subject: via socket' "$spool/alice")" 1
tap_is "bob got it" "$(grep -c '^Subject: via socket' "$spool/bob")" 1
out=$(swaks --socket "$sock" --protocol LMTP --from sender@example.org \
    --to nosuchuser@test.example,alice@test.example --body x 2>&1)
case $out in
*"550 5.1.1 <nosuchuser@test.example>"*) tap_ok "second connection: unknown user 550 5.1.1 at RCPT" ;;
*) tap_fail "second connection: unknown user 550 5.1.1 at RCPT" "$out" ;;
esac
tap_is "alice got the second one" "$(grep -c '^From sender@example.org ' "$spool/alice")" 2
kill "$act" 2>/dev/null
wait "$act" 2>/dev/null

units=$top_srcdir/mail.local
if command -v systemd-analyze >/dev/null &&
    systemd-analyze --version >/dev/null 2>&1; then
	d=$SB/units
	mkdir -p "$d"
	sed "s|%libexecdir%|$POSTERN_LIBEXECDIR|g" "$units/postern-lmtp@.service" \
	    >"$d/postern-lmtp@.service"
	cp "$units/postern-lmtp.socket" "$d/"
	out=$(cd "$d" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify \
	    --man=no ./postern-lmtp.socket 2>&1 | grep -v 'Failed to .*bus\|D-Bus')
	tap_is "systemd-analyze verify finds nothing in the units" "$out" ""
else
	tap_skip "systemd-analyze verify" "systemd-analyze cannot run here"
fi
tap_done
