#!/bin/sh
# Hostile mailboxes: a symlink to /etc/passwd or to another user's mailbox,
# a hard link, a FIFO, a directory, a mailbox owned by someone else, one
# that is world-writable, a symlinked spool or home.  Each is refused with
# a temporary failure (75) and a reason, and nothing outside changes.
# protected_symlinks is not relied on: the test turns it off in its own
# namespace when it can, and the checks must hold either way.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

. "$top_srcdir/tests/mail.local/setup.sh"
echo "hello alice" | "$ml" -f a@b alice || tap_bail "first delivery failed"

# snapshot: hashes of the files an attack could reach.
snapshot() {
	sha256sum /etc/passwd /etc/shadow "$spool/alice" 2>/dev/null
	for _f in "$spool"/* "$spool"/.[!.]*; do
		[ -e "$_f" ] || [ -L "$_f" ] || continue
		stat -c '%n %F %U %G %a %h %s' "$_f"
	done
}
before=$(snapshot)

# attempt NAME SETUP: set up bob's mailbox the hostile way, deliver to bob,
# expect 75 and an unchanged world.
attempt() {
	_name=$1
	rm -rf "${spool:?}/bob" "$spool/bob.lock"
	sh -c "$2" || tap_bail "setup for $_name failed"
	_mid=$(snapshot)
	_err=$(echo "attack $_name" | "$ml" -f a@b bob 2>&1)
	_rc=$?
	tap_is "$_name: refused with 75" "$_rc" 75
	case $_err in
	*"mail.local: bob: "*) tap_ok "$_name: reason on stderr" ;;
	*) tap_fail "$_name: reason on stderr" "$_err" ;;
	esac
	tap_is "$_name: nothing changed" "$(snapshot)" "$_mid"
	if grep -rqs "attack $_name" /etc "$spool" /home 2>/dev/null; then
		tap_fail "$_name: the message went nowhere" \
		    "$(grep -rls "attack $_name" /etc "$spool" /home)"
	else
		tap_ok "$_name: the message went nowhere"
	fi
}

attempt "symlink to /etc/passwd" "ln -s /etc/passwd $spool/bob"
attempt "symlink to alice's mailbox" "ln -s $spool/alice $spool/bob"
attempt "dangling symlink to a new root file" "ln -s /etc/evil $spool/bob"
tap_check_fails "no /etc/evil was created" test -e /etc/evil
attempt "hard link to alice's mailbox" "ln $spool/alice $spool/bob"
attempt "FIFO" "mkfifo -m 0600 $spool/bob && chown bob $spool/bob"
attempt "directory" "mkdir $spool/bob && chown bob $spool/bob"
attempt "owned by alice" "touch $spool/bob && chown alice $spool/bob && chmod 600 $spool/bob"
attempt "mode 0666" "touch $spool/bob && chown bob $spool/bob && chmod 666 $spool/bob"
attempt "symlinked lock file" "ln -s /etc/passwd $spool/bob.lock"
tap_is "after all attacks: /etc and alice's mailbox as before" \
    "$(snapshot | grep -v '/bob')" "$(echo "$before" | grep -v '/bob')"

rm -rf "${spool:?}/bob" "$spool/bob.lock"
# A home mailbox through a symlinked home: the symlink is bob's, not root's.
printf 'myhostname = test.example\nhome_mailbox = Mailbox\n' \
    >"$POSTERN_CONFIG_DIR/postern.conf"
mkdir -p /home/elsewhere && chown alice /home/elsewhere
mv /home/bob /home/bob.real
ln -s /home/elsewhere /home/bob
chown -h bob /home/bob
echo "via link" | "$ml" -f a@b bob >/dev/null 2>&1
tap_is "a home that is a user-owned symlink: 75" "$?" 75
tap_check_fails "... nothing in the link's target" test -e /home/elsewhere/Mailbox
rm /home/bob && mv /home/bob.real /home/bob
ln -s /etc/passwd /home/bob/Mailbox
chown -h bob /home/bob/Mailbox
echo "via link" | "$ml" -f a@b bob >/dev/null 2>&1
tap_is "home Mailbox symlinked to /etc/passwd: 75" "$?" 75
tap_is "/etc/passwd unchanged" "$(sha256sum /etc/passwd)" \
    "$(echo "$before" | grep ' /etc/passwd$')"

# A swap race: a loop replaces bob's mailbox with a symlink to alice's
# while deliveries run.  Whatever wins, alice's mailbox gets nothing.
printf 'myhostname = test.example\n' >"$POSTERN_CONFIG_DIR/postern.conf"
rm -f "$spool/bob"
a0=$(sha256sum <"$spool/alice")
(
	i=0
	while [ $i -lt 400 ]; do
		rm -f "$spool/bob"
		ln -s "$spool/alice" "$spool/bob" 2>/dev/null
		rm -f "$spool/bob"
		i=$((i + 1))
	done
) &
swapper=$!
n=0 ok=0
while [ $n -lt 60 ]; do
	echo "race $n" | "$ml" -f a@b bob >/dev/null 2>&1 && ok=$((ok + 1))
	n=$((n + 1))
done
wait $swapper
tap_is "swap race: alice's mailbox untouched" "$(sha256sum <"$spool/alice")" "$a0"
tap_diag "$ok of 60 racing deliveries went through to a real mailbox"

tap_done
