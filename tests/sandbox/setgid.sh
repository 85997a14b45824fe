#!/bin/sh
# The sandbox really runs setgid code: idprobe installed root:smmsp 2555 and
# run by alice has egid smmsp and her own real ids; the same binary without
# the setgid bit does not.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

g=$POSTERN_SUBMIT_GROUP
probe=/usr/local/libexec/postern-test/idprobe
plain=/usr/local/libexec/postern-test/idprobe-plain
sb_install_setgid "$top_builddir/tests/sandbox/idprobe" "$probe" "$g"
cp "$probe" "$plain" && chmod 0555 "$plain"

tap_is "idprobe is root:$g mode 2555" "$(stat -c '%U:%G %a' "$probe")" "root:$g 2555"
gid=$(sb_gid "$g")
alice=$(sb_uid alice)
tap_is "test group $g exists in the sandbox" "$gid" 2001
out=$(sb_as alice "$probe")
tap_is "setgid probe run by alice" \
    "$(echo "$out" | cut -d' ' -f1-6)" \
    "ruid=$alice euid=$alice suid=$alice rgid=$alice egid=$gid sgid=$gid"
out=$(sb_as alice "$plain")
tap_is "plain probe run by alice keeps her gid" \
    "$(echo "$out" | cut -d' ' -f5)" "egid=$alice"
out=$(sb_as bob "$probe")
tap_is "bob's supplementary groups come from the sandbox group file" \
    "$(echo "$out" | sed 's/.*groups=//')" "100,3002"
tap_done
