#!/bin/sh
# The sandbox never changes the host.  A sandbox session installs postern,
# adds a user, writes /etc/postern, /var/mail/alice, /usr/local/sbin,
# /home, /tmp and /run, and leaves a process running; afterwards the host's
# user files and the directories written to are identical, none of the
# files exist and the process is gone.  A control run on a scratch tree
# shows that the comparison does see a change.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"

if [ "${1:-}" = inner ]; then
	# The session, inside the sandbox: each change must really happen.
	tok=$2
	sandbox_enter "$@"
	set -e
	echo "intruder:x:4000:4000::/home/intruder:/bin/sh" >>/etc/passwd
	sb_add_user eve 4001 "$POSTERN_SUBMIT_GROUP"
	mkdir -p "$POSTERN_CONFIG_DIR" "/etc/postern-host-check-$tok"
	echo "myhostname = sandbox.example" >"$POSTERN_CONFIG_DIR/postern.conf"
	echo "From x" >"$POSTERN_MAIL_SPOOL/alice"
	touch "/usr/local/sbin/host-check-$tok" /home/alice/file \
	    "/tmp/host-check-$tok" "/run/host-check-$tok" \
	    "/var/spool/host-check-$tok"
	getent passwd intruder >/dev/null
	getent group "$POSTERN_SUBMIT_GROUP" | grep -q ':eve$'
	test -x "$POSTERN_SBINDIR/postern-config"
	# A process left behind: the PID namespace must end it.
	sleep "31337.$tok" </dev/null >/dev/null 2>&1 &
	[ "$$" -eq 1 ] && echo "pidns=yes" || echo "pidns=no"
	echo inner-ok
	exit 0
fi

sandbox_check

# snapshot ROOT: what must not change below ROOT ("" for the host), as text.
snapshot() {
	for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow \
	    /etc/nsswitch.conf; do
		[ -e "$1$f" ] || continue
		sha256sum "$1$f"
		stat -c '%n %a %U:%G %s %Y %i' "$1$f"
	done
	for d in /etc /var/spool /var/mail "$POSTERN_MAIL_SPOOL" /usr/local/sbin \
	    /usr/local/libexec "$POSTERN_SBINDIR" "$POSTERN_LIBEXECDIR" /home \
	    "$POSTERN_CONFIG_DIR" "$POSTERN_QUEUE_DIR"; do
		[ -d "$1$d" ] || continue
		stat -c '%n %a %U:%G %Y' "$1$d"
		ls -A "$1$d"
	done
}

# The comparison can fail: a change in a scratch tree is seen.
ctl=$(mktemp -d "${TMPDIR:-/tmp}/host-unchanged.XXXXXX") || tap_bail "mktemp"
trap 'rm -rf "$ctl"' EXIT
mkdir -p "$ctl/etc" "$ctl/var/mail" "$ctl/usr/local/sbin" &&
echo "root:x:0:0::/root:/bin/sh" >"$ctl/etc/passwd" || tap_bail "control tree"
c0=$(snapshot "$ctl")
echo "intruder:x:4000:4000::/:/bin/sh" >>"$ctl/etc/passwd"
c1=$(snapshot "$ctl")
touch "$ctl/var/mail/alice"
c2=$(snapshot "$ctl")
[ "$c0" != "$c1" ] && [ "$c1" != "$c2" ] &&
	tap_ok "control: the snapshot sees an added user and a new mailbox" ||
	tap_fail "control: the snapshot sees an added user and a new mailbox" "$c0"

tok=$$
had_mbox=no
[ ! -e "$POSTERN_MAIL_SPOOL/alice" ] || had_mbox=yes
before=$(snapshot "")
inner_out=$(/bin/sh "$0" inner "$tok" 2>&1)
inner_rc=$?
after=$(snapshot "")

tap_is "sandbox session ran its changes" \
    "$inner_rc $(echo "$inner_out" | tail -1)" "0 inner-ok"
[ "$inner_rc" -eq 0 ] || tap_diag "$inner_out"
if [ "$before" = "$after" ]; then
	tap_ok "host user files and written directories unchanged"
else
	tap_fail "host user files and written directories unchanged" \
	    "$(printf '%s\n' "$before" >"$ctl/before"
	       printf '%s\n' "$after" | diff "$ctl/before" -)"
fi
tap_check_fails "host has no user 'intruder'" getent passwd intruder
tap_check_fails "host has no user 'eve'" getent passwd eve
for f in "/etc/postern-host-check-$tok" "/usr/local/sbin/host-check-$tok" \
    "/tmp/host-check-$tok" "/run/host-check-$tok" \
    "/var/spool/host-check-$tok" "$POSTERN_MAIL_SPOOL/alice"; do
	if [ "$f" = "$POSTERN_MAIL_SPOOL/alice" ] && [ "$had_mbox" = yes ]; then
		tap_skip "host has no $f" "the host has a mailbox alice"
		continue
	fi
	tap_check_fails "host has no $f" test -e "$f"
done
case $inner_out in
*pidns=yes*)
	# The bracket keeps this grep from matching its own command line.
	left=$(grep -l "3133[7]\\.$tok" /proc/[0-9]*/cmdline 2>/dev/null)
	tap_is "no process of the sandbox is left" "$left" "" ;;
*)
	tap_skip "no process of the sandbox is left" "no PID namespace here" ;;
esac
tap_done
