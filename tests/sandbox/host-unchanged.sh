#!/bin/sh
# The sandbox never changes the host: a sandbox session installs postern,
# adds a user, writes /etc/postern and /var/mail; afterwards the host's
# /etc/passwd, /etc/group and the directories it wrote to are identical.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"

if [ "${1:-}" = inner ]; then
	# The session, inside the sandbox: each change must really happen.
	sandbox_enter "$@"
	set -e
	echo "intruder:x:4000:4000::/home/intruder:/bin/sh" >>/etc/passwd
	mkdir -p "$POSTERN_CONFIG_DIR" /etc/postern-host-check
	echo "myhostname = sandbox.example" >"$POSTERN_CONFIG_DIR/postern.conf"
	echo "From x" >"$POSTERN_MAIL_SPOOL/alice"
	touch /usr/local/sbin/host-check /home/alice/file
	getent passwd intruder >/dev/null
	test -x "$POSTERN_SBINDIR/postern-config"
	echo inner-ok
	exit 0
fi

sandbox_check

# What must not change, as text.
snapshot() {
	sha256sum /etc/passwd /etc/group
	for d in /etc /var/spool /var/mail /usr/local/sbin /usr/local/libexec /home; do
		[ -d "$d" ] || continue
		stat -c '%n %a %U:%G %s %Y' "$d"
		ls -A "$d"
	done
	[ ! -e "$POSTERN_CONFIG_DIR" ] || stat -c '%n %a %Y' "$POSTERN_CONFIG_DIR"
	[ ! -e "$POSTERN_QUEUE_DIR" ] || stat -c '%n %a %Y' "$POSTERN_QUEUE_DIR"
}

before=$(snapshot)
inner_out=$(/bin/sh "$0" inner 2>&1)
inner_rc=$?
after=$(snapshot)

tap_is "sandbox session ran its changes" \
    "$inner_rc $(echo "$inner_out" | tail -1)" "0 inner-ok"
if [ "$before" = "$after" ]; then
	tap_ok "host /etc/passwd, /etc/group and written directories unchanged"
else
	tap_fail "host /etc/passwd, /etc/group and written directories unchanged" \
	    "$(printf '%s\n' "$before" >"${TMPDIR:-/tmp}/hu.$$.a"
	       printf '%s\n' "$after" | diff "${TMPDIR:-/tmp}/hu.$$.a" - ; rm -f "${TMPDIR:-/tmp}/hu.$$.a")"
fi
tap_check_fails "host has no user 'intruder'" getent passwd intruder
tap_check_fails "host has no /etc/postern-host-check" test -e /etc/postern-host-check
tap_done
