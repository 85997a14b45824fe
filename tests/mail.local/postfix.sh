#!/bin/sh
# A real Postfix hands local mail to mail.local over LMTP: Debian's
# Postfix, unpacked into the sandbox (tests/run fetches it with
# `apt-get download` + `dpkg -x` into $POSTERN_PEERS_DIR/postfix), runs its
# master daemon on the sandbox's own loopback with
# mailbox_transport = lmtp:unix:/run/postern/lmtp, the socket served as
# postern-lmtp.socket does (one mail.local -l per connection).  swaks sends
# through Postfix's smtpd; the test waits for the mailboxes and reads
# Postfix's log line for each recipient (status=sent, and status=bounced
# with mail.local's 550 5.1.1 for an unknown user).
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
pf=${POSTERN_PEERS_DIR:-}/postfix
[ -x "$pf/usr/lib/postfix/sbin/master" ] ||
	tap_skip_all "Postfix is not unpacked in \$POSTERN_PEERS_DIR (tests/run does it)"
command -v swaks >/dev/null || tap_skip_all "swaks is not installed"
command -v systemd-socket-activate >/dev/null ||
	tap_skip_all "systemd-socket-activate is not installed"
sandbox_enter "$@"
[ -n "${POSTERN_SANDBOX_NET:-}" ] ||
	tap_skip_all "no private network namespace: Postfix would listen on the host"

ml=$POSTERN_LIBEXECDIR/mail.local
spool=$POSTERN_MAIL_SPOOL
printf 'myhostname = test.example\n' >"$POSTERN_CONFIG_DIR/postern.conf"

# Postfix as its package's maintainer scripts would set it up.
cp -a "$pf/usr/." /usr/
mkdir -p /etc/postfix /var/lib/postfix /var/spool/postfix
cp -a "$pf/etc/postfix/." /etc/postfix/
sb_add_user postfix 2100 || tap_bail "cannot add the postfix user"
{ cat /etc/group; echo "postdrop:x:2102:"; } >"$SB/group.pf" &&
	cat "$SB/group.pf" >/etc/group
cp /usr/share/postfix/master.cf.dist /etc/postfix/master.cf
chgrp postdrop /usr/sbin/postdrop /usr/sbin/postqueue &&
	chmod 2555 /usr/sbin/postdrop /usr/sbin/postqueue
cat >/etc/postfix/main.cf <<EOF
compatibility_level = 3.6
myhostname = test.example
mydestination = test.example, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
mailbox_transport = lmtp:unix:/run/postern/lmtp
maillog_file = /var/log/postfix.log
queue_directory = /var/spool/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
data_directory = /var/lib/postfix
mail_owner = postfix
setgid_group = postdrop
smtpd_banner = test.example ESMTP
EOF
: >/etc/postfix/dynamicmaps.cf
# No chroot: the LMTP client must see /run/postern/lmtp (with a chroot,
# Postfix would look below /var/spool/postfix; a packager can put the
# socket there instead).
postconf -F '*/*/chroot = n' >/dev/null 2>&1
postfix set-permissions >"$SB/pf-perm.log" 2>&1
postfix check >"$SB/pf-check.log" 2>&1 ||
	tap_diag "postfix check: $(cat "$SB/pf-check.log")"

mkdir -p /run/postern
systemd-socket-activate -l /run/postern/lmtp --accept --inetd -- "$ml" -l \
    >"$SB/activate.log" 2>&1 &
act=$!
i=0
while [ ! -S /run/postern/lmtp ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
chmod 0666 /run/postern/lmtp

postfix start >"$SB/pf-start.log" 2>&1
tap_is "postfix start" "$?" 0
i=0
while ! swaks --server 127.0.0.1:25 --quit-after CONNECT >/dev/null 2>&1 &&
    [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

out=$(swaks --server 127.0.0.1:25 --from sender@example.org \
    --to alice@test.example,bob@test.example,nosuchuser@test.example \
    --header 'Subject: through Postfix' --body 'one line' 2>&1)
tap_is "swaks to Postfix's smtpd: exit 0" "$?" 0

# wait for Postfix to deliver (and to log the unknown user's bounce)
i=0
while [ $i -lt 200 ]; do
	[ -s "$spool/alice" ] && [ -s "$spool/bob" ] &&
	    grep -q 'nosuchuser@test.example.*status=' /var/log/postfix.log 2>/dev/null &&
	    break
	sleep 0.1
	i=$((i + 1))
done
tap_is "alice's mailbox has the message" \
    "$(grep -c '^Subject: through Postfix' "$spool/alice" 2>/dev/null)" 1
tap_is "bob's too" "$(grep -c '^Subject: through Postfix' "$spool/bob" 2>/dev/null)" 1
tap_is "Delivered-To: is the address Postfix gave over LMTP" \
    "$(grep '^Delivered-To:' "$spool/alice" 2>/dev/null)" \
    "Delivered-To: alice@test.example"
log=$(cat /var/log/postfix.log 2>/dev/null)
case $log in
*"to=<alice@test.example>, relay="*"/run/postern/lmtp]"*"status=sent (250 2.0.0 <alice@test.example> delivered)"*)
	tap_ok "Postfix logs status=sent with mail.local's reply" ;;
*) tap_fail "Postfix logs status=sent with mail.local's reply" "$log" ;;
esac
case $log in
*"to=<nosuchuser@test.example>"*"status=bounced"*"550 5.1.1"*)
	tap_ok "the unknown user bounces with mail.local's 550 5.1.1" ;;
*) tap_fail "the unknown user bounces with mail.local's 550 5.1.1" "$log" ;;
esac
postfix stop >/dev/null 2>&1
kill "$act" 2>/dev/null
wait "$act" 2>/dev/null
tap_done
