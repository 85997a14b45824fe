#!/bin/sh
# make install as root sets the owners and modes of DESIGN.md's table;
# make install DESTDIR=... works for an unprivileged user and as root
# without chowning; scripts/install-perms.sh sets the programs' owners and
# modes (setgid only with owners), leaves an existing spool alone, refuses
# symbolic links, is idempotent and refuses to run without the group.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

g=$POSTERN_SUBMIT_GROUP
q=$POSTERN_QUEUE_DIR
hook="$top_srcdir/scripts/install-perms.sh"
# The make of the harness may run with -j: its jobserver is not ours.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" "$@"; }

# ---------------------------------------------------------------------
# The sandbox's own install (done by sandbox_enter, as root).
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
tap_is "existing mail spool $POSTERN_MAIL_SPOOL left root:mail 2775" \
    "$(stat -c '%U:%G %a' "$POSTERN_MAIL_SPOOL")" "root:mail 2775"
tap_check "postern-config runs as alice" \
    sb_as alice "$POSTERN_SBINDIR/postern-config" queue_directory

out=$(mk -C "$top_builddir" install 2>&1)
rc=$?
tap_is "second install succeeds" "$rc" 0
tap_is "second install changes nothing" \
    "$(echo "$out" | grep '^install-perms:')" ""

# ---------------------------------------------------------------------
# Staged installs: modes, never owners.
stage=/tmp/stage-alice
mkdir -m 0755 "$stage" && chown alice "$stage"
if sb_as alice test -r "$top_builddir/Makefile" -a -x "$top_builddir" \
    -a -r "$top_srcdir/scripts/install-perms.sh"; then
	tap_check "make install DESTDIR as alice" sb_as alice \
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -C "$top_builddir" \
	    install DESTDIR="$stage"
	tap_is "staged submit/new: mode 3770, owner alice (no chown)" \
	    "$(stat -c '%U %a' "$stage$q/submit/new")" "alice 3770"
	tap_is "staged queue: mode 700" "$(stat -c '%a' "$stage$q/queue")" 700
	tap_is "staged mail spool created 2775" \
	    "$(stat -c '%a' "$stage$POSTERN_MAIL_SPOOL")" 2775
	tap_is "staged postern-config mode" \
	    "$(stat -c '%a' "$stage$POSTERN_SBINDIR/postern-config")" 755
else
	for t in install submit/new queue spool postern-config; do
		tap_skip "staged install as alice: $t" \
		    "build tree not readable by alice"
	done
fi

stage=/tmp/stage-root
out=$(mk -C "$top_builddir" install DESTDIR="$stage" INSTALL_OWNERS=no 2>&1)
rc=$?
tap_is "make install DESTDIR INSTALL_OWNERS=no as root" "$rc" 0
[ "$rc" -eq 0 ] || tap_diag "$out"
tap_is "root staged submit/tmp: 3770 but group root (no chown)" \
    "$(stat -c '%U:%G %a' "$stage$q/submit/tmp")" "root:root 3770"
case $out in
*"owner "*"->"*) tap_fail "root staged install chowns nothing" "$out" ;;
*) tap_ok "root staged install chowns nothing" ;;
esac

# ---------------------------------------------------------------------
# The hook alone, on fake programs.
# hook_run ROOT OWNERS: run install-perms.sh for the tree under ROOT.
hook_run() {
	env DESTDIR="$1" OWNERS="$2" SUBMIT_GROUP="$g" POSTERN_USER=postern \
	    QUEUE_DIR="$q" MAIL_SPOOL="$POSTERN_MAIL_SPOOL" \
	    CONFIG_DIR="$POSTERN_CONFIG_DIR" SBINDIR="$POSTERN_SBINDIR" \
	    LIBEXECDIR="$POSTERN_LIBEXECDIR" /bin/sh "$hook"
}
# fake_progs ROOT: install every program as a 0700 file.
fake_progs() {
	mkdir -p "$1$POSTERN_SBINDIR" "$1$POSTERN_LIBEXECDIR"
	for p in "$POSTERN_SBINDIR/sendmail" "$POSTERN_SBINDIR/postern-queue" \
	    "$POSTERN_LIBEXECDIR/mail.local" "$POSTERN_SBINDIR/newaliases" \
	    "$POSTERN_SBINDIR/postern-config"; do
		echo '#!/bin/sh' >"$1$p"
		chmod 0700 "$1$p"
	done
}
for owners in yes no; do
	r=/tmp/hook-$owners
	fake_progs "$r"
	out=$(hook_run "$r" "$owners" 2>&1)
	rc=$?
	tap_is "hook OWNERS=$owners: exit 0" "$rc" 0
	[ "$rc" -eq 0 ] || tap_diag "$out"
	if [ "$owners" = yes ]; then
		sm="root:$g 2555" sub="root:$g 750" sp="root:mail 2775"
	else
		sm="root:root 555" sub="root:root 750" sp="root:root 2775"
	fi
	while read -r path want; do
		tap_is "hook OWNERS=$owners: $path is $want" \
		    "$(stat -c '%U:%G %a' "$r$path" 2>&1)" "$want"
	done <<EOT
$POSTERN_SBINDIR/sendmail $sm
$POSTERN_SBINDIR/postern-queue root:root 755
$POSTERN_LIBEXECDIR/mail.local root:root 555
$POSTERN_SBINDIR/newaliases root:root 755
$POSTERN_SBINDIR/postern-config root:root 755
$q/submit $sub
$POSTERN_MAIL_SPOOL $sp
EOT
	tap_is "hook OWNERS=$owners: a second run prints nothing" \
	    "$(hook_run "$r" "$owners" 2>&1)" ""
done
tap_is "hook reports each change on its own line" \
    "$(hook_run /tmp/hook-lines yes 2>&1 | grep -c "^install-perms: /tmp/hook-lines$q/submit/tmp: ")" 2

# A spool that exists is the admin's; a missing one without a 'mail'
# group is 1777 with a warning.
r=/tmp/hook-spool
mkdir -p "$r$POSTERN_MAIL_SPOOL" && chmod 0700 "$r$POSTERN_MAIL_SPOOL"
hook_run "$r" yes >/dev/null 2>&1
tap_is "hook leaves an existing spool alone" \
    "$(stat -c '%U:%G %a' "$r$POSTERN_MAIL_SPOOL")" "root:root 700"
sed '/^mail:/d' /etc/group >"$SB/group.nomail"
mount --bind "$SB/group.nomail" /etc/group
out=$(hook_run /tmp/hook-nomail yes 2>&1)
umount /etc/group
tap_is "no 'mail' group: spool 1777" \
    "$(stat -c '%a' "/tmp/hook-nomail$POSTERN_MAIL_SPOOL")" 1777
case $out in
*"warning: no 'mail' group"*) tap_ok "no 'mail' group: a warning" ;;
*) tap_fail "no 'mail' group: a warning" "$out" ;;
esac

# A symbolic link where a queue directory belongs is refused, not followed.
r=/tmp/hook-link
mkdir -p "$r$q/submit" /tmp/elsewhere && chmod 0755 /tmp/elsewhere
ln -s /tmp/elsewhere "$r$q/submit/new"
out=$(hook_run "$r" yes 2>&1)
rc=$?
tap_is "hook refuses a link as a queue directory" "$rc" 1
tap_is "the link's target is untouched" \
    "$(stat -c '%U:%G %a' /tmp/elsewhere)" "root:root 755"
case $out in
*"submit/new: is a symbolic link"*) tap_ok "and names it" ;;
*) tap_fail "and names it" "$out" ;;
esac
out=$(hook_run /tmp/hook-bad maybe 2>&1)
tap_is "hook rejects OWNERS=maybe" "$?" 1

# ---------------------------------------------------------------------
# As root, the install refuses to set owners when the group is missing.
sed "/^$g:/d" /etc/group >"$SB/group.nosmmsp"
mount --bind "$SB/group.nosmmsp" /etc/group
out=$(mk -C "$top_builddir" install 2>&1)
rc=$?
umount /etc/group
tap_is "install without group $g fails" "$rc" 2
case $out in
*"install-perms: group '$g' does not exist: create it with 'groupadd --system $g' (./quickstart does this)"*)
	tap_ok "and says how to create the group" ;;
*) tap_fail "and says how to create the group" "$out" ;;
esac
tap_done
