#!/bin/sh
# Attack: symlinked and hard-linked mailboxes.  mallory, who can write
# the mail spool's directory only as the Debian spool allows (root:mail
# 2775, so: not at all) or his own home, plants links where a victim's
# mailbox should be, pointing at /etc/passwd, at alice's mailbox, at a
# file that does not exist yet in /etc; then a delivery to bob runs.  The
# delivery must be refused (75), the message must go nowhere, nothing but
# the intended mailbox may change, and no process may hold more than its
# due while it runs.
set -u
. "$top_srcdir/tests/attack/attack.sh"

at_conf
echo "hello alice" | "$at_ml" -f a@b alice || tap_bail "first delivery failed"

# plant NAME SETUP: bob's mailbox made hostile by SETUP, then a delivery.
plant() {
	rm -rf "${spool:?}/bob" "$spool/bob.lock"
	sh -c "$2" || tap_bail "setup for $1 failed"
	at_mark
	at_watch_start
	# A slow stdin keeps mail.local running while it is watched.
	_err=$({ echo "attack $1"; sleep 0.2; } | "$at_ml" -f a@b bob 2>&1)
	_rc=$?
	at_watch_check "$1" --expect mail.local
	tap_is "$1: refused with 75" "$_rc" 75
	tap_diag "$1: $_err"
	# The spool directory itself changes (the dotlock comes and goes).
	at_unchanged "$1" "$spool"
	if grep -rqs "attack $1" /etc /var /home /root /tmp; then
		tap_fail "$1: the message went nowhere" \
		    "$(grep -rls "attack $1" /etc /var /home /root /tmp)"
	else
		tap_ok "$1: the message went nowhere"
	fi
}

plant "symlink to /etc/passwd" "ln -s /etc/passwd $spool/bob"
plant "symlink to alice's mailbox" "ln -s $spool/alice $spool/bob"
plant "dangling symlink into /etc" "ln -s /etc/evil $spool/bob"
tap_check_fails "no /etc/evil was created" test -e /etc/evil
plant "hard link to alice's mailbox" "ln $spool/alice $spool/bob"
plant "symlinked dotlock" "ln -s /etc/passwd $spool/bob.lock"

# The control: the same delivery to a normal mailbox changes that
# mailbox (and the spool directory) and nothing else.
rm -rf "${spool:?}/bob" "$spool/bob.lock"
at_mark
at_watch_start
{ echo "for bob"; sleep 0.2; } | "$at_ml" -f a@b bob
tap_is "control: a plain delivery succeeds" "$?" 0
at_watch_check "control" --expect mail.local
at_unchanged "control" "$spool" "$spool/bob"
tap_check "control: bob got it" grep -q "for bob" "$spool/bob"
tap_done
