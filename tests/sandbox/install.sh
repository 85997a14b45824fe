#!/bin/sh
# make install as root sets the owners and modes of DESIGN.md's table;
# make install DESTDIR=... works for an unprivileged user.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

g=$POSTERN_SUBMIT_GROUP
q=$POSTERN_QUEUE_DIR
# path, then "owner:group mode" as stat prints it.
while read -r path want; do
	[ -n "$path" ] || continue
	tap_is "$path is $want" "$(stat -c '%U:%G %a' "$path" 2>&1)" "$want"
done <<EOT
$POSTERN_CONFIG_DIR root:root 755
$q root:root 755
$q/submit root:$g 750
$q/submit/tmp root:$g 3770
$q/submit/new root:$g 3770
$q/submit/bad root:root 700
$q/queue root:root 700
$POSTERN_SBINDIR/postern-config root:root 755
EOT
tap_is "mail spool $POSTERN_MAIL_SPOOL is root:mail 2775" \
    "$(stat -c '%U:%G %a' "$POSTERN_MAIL_SPOOL")" "root:mail 2775"
tap_check "postern-config runs as alice" sb_as alice "$POSTERN_SBINDIR/postern-config" queue_directory

# A second install changes nothing.
out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -C "$top_builddir" install 2>&1)
tap_is "second install changes no owner or mode" \
    "$(echo "$out" | grep -c 'install-perms: .*->')" 0

# Unprivileged staged install.
stage=/tmp/stage-alice
mkdir -m 0755 "$stage" && chown alice "$stage"
if sb_as alice test -r "$top_builddir/Makefile"; then
	tap_check "make install DESTDIR as alice" sb_as alice \
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -C "$top_builddir" \
	    install DESTDIR="$stage"
	tap_is "staged submit/new mode" "$(stat -c '%a' "$stage$q/submit/new")" 3770
	tap_is "staged submit/new owner is alice (no chown)" \
	    "$(stat -c '%U' "$stage$q/submit/new")" alice
	tap_is "staged mail spool created 2775" \
	    "$(stat -c '%a' "$stage$POSTERN_MAIL_SPOOL")" 2775
	tap_is "staged postern-config mode" \
	    "$(stat -c '%a' "$stage$POSTERN_SBINDIR/postern-config")" 755
else
	tap_skip "make install DESTDIR as alice" "build tree not readable by alice"
fi

# As root, the hook refuses to set owners when the group is missing.
sed "/^$g:/d" /etc/group >"$SB/group.nosmmsp"
mount --bind "$SB/group.nosmmsp" /etc/group
out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -C "$top_builddir" install 2>&1)
rc=$?
umount /etc/group
tap_is "install without group $g fails" "$rc" 2
case $out in
*"group '$g' does not exist"*) tap_ok "and says how to create the group" ;;
*) tap_fail "and says how to create the group" "$out" ;;
esac
tap_done
