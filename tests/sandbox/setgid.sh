#!/bin/sh
# The sandbox really runs setgid code and really switches users: idprobe
# installed root:smmsp 2555 and run by alice has egid smmsp and her own
# real ids; the same binary without the setgid bit does not; sb_as gives
# the user's groups from the sandbox's group file, a clean environment and
# no capabilities.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

g=$POSTERN_SUBMIT_GROUP
dir=/usr/local/libexec/postern-test
probe=$dir/idprobe
plain=$dir/idprobe-plain
sb_install_setgid "$top_builddir/tests/sandbox/idprobe" "$probe" "$g" ||
	tap_bail "cannot install $probe"
cp "$probe" "$plain" && chmod 0555 "$plain" || tap_bail "cannot install $plain"

tap_is "idprobe is root:$g mode 2555" "$(stat -c '%U:%G %a' "$probe")" "root:$g 2555"
gid=$(sb_gid "$g")
alice=$(sb_uid alice)
tap_is "test group $g exists in the sandbox" "$gid" 2001
tap_is "alice is 3001 in the sandbox" "$alice" 3001

out=$(sb_as alice "$probe")
tap_is "setgid probe run by alice: egid $g, real ids hers" \
    "$(echo "$out" | cut -d' ' -f1-6)" \
    "ruid=$alice euid=$alice suid=$alice rgid=$alice egid=$gid sgid=$gid"
# The real gid is what the MSP drops back to: it must be alice's.
case $out in
*" rgid=$alice "*) tap_ok "setgid probe keeps alice's real gid" ;;
*) tap_fail "setgid probe keeps alice's real gid" "$out" ;;
esac
out=$(sb_as alice "$plain")
tap_is "plain probe run by alice keeps her gid" \
    "$(echo "$out" | cut -d' ' -f4-6)" "rgid=$alice egid=$alice sgid=$alice"
out=$(sb_as mallory "$probe")
tap_is "setgid probe run by mallory: no supplementary group $g" \
    "$(echo "$out" | sed 's/.*groups=//')" 3003
out=$(sb_as bob "$probe")
tap_is "bob's supplementary groups come from the sandbox group file" \
    "$(echo "$out" | sed 's/.*groups=//')" "100,3002"

# sb_as: a clean environment, the user's home, no capabilities.
env=$(sb_as alice env | grep -v '^TERM=' | sort | tr '\n' ' ')
tap_is "sb_as alice has a clean environment" "$env" \
    "HOME=/home/alice LOGNAME=alice PATH=/usr/local/bin:/bin:/usr/bin SHELL=/bin/sh USER=alice "
tap_is "sb_as runs in the user's home" "$(sb_as bob pwd)" /home/bob
tap_is "alice's home is hers, 0755" "$(stat -c '%U:%G %a' /home/alice)" "alice:alice 755"
caps=$(sb_as alice grep '^Cap\(Eff\|Prm\|Amb\)' /proc/self/status |
    awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $1, $2 }')
tap_is "sb_as leaves no capabilities" "$caps" \
    "CapPrm: 0000000000000000 CapEff: 0000000000000000 CapAmb: 0000000000000000"
tap_check_fails "alice cannot write /etc" sb_as alice touch /etc/alice-was-here

# The user database is the sandbox's alone.
tap_is "getent passwd lists only the sandbox users" \
    "$(getent passwd | cut -d: -f1 | sort | tr '\n' ' ')" \
    "alice bin bob daemon mail mallory nobody postern root sys "
tap_done
