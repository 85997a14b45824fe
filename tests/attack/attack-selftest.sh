#!/bin/sh
# The attack suite's own check: at_changed sees a change wherever an
# attack could make one (the overlaid /etc, /usr and /var, the spool and
# the queue mounted below them, /home, /tmp, /root, /dev/shm, the bound
# passwd file), removals included, and lets through exactly what it is
# told to; so "nothing else changed" in tests/attack/ can fail.
set -u
. "$top_srcdir/tests/attack/attack.sh"

q=$POSTERN_QUEUE_DIR
: >"$spool/victim"
at_mark
tap_is "a fresh mark sees nothing" "$(at_changed)" ""

# change PATH CMD: after CMD, at_changed names PATH.
change() {
	at_mark
	sh -c "$2" || tap_bail "cannot $2"
	case $(at_changed) in
	*"$1"*) tap_ok "seen: $2" ;;
	*) tap_fail "seen: $2" "at_changed: $(at_changed | tr '\n' ' ')" ;;
	esac
}
change /etc/evil "touch /etc/evil"
change /usr/lib/evil "touch /usr/lib/evil"
change /usr/bin "rm /usr/bin/true"
change /etc/passwd "echo 'x:x:0:0::/:/bin/sh' >>/etc/passwd"
change "$spool/victim" "echo x >>$spool/victim"
change "removed: $spool/victim" "rm $spool/victim"
change "$q/submit/new/planted" "touch $q/submit/new/planted"
change /home/alice/.forward "echo '|/bin/sh' >/home/alice/.forward"
change /root/.forward "touch /root/.forward"
change /tmp/x "touch /tmp/x"
change /dev/shm/x "touch /dev/shm/x"
change /etc/shadow "chmod 0644 /etc/shadow"
change /var/tmp/x "touch /var/tmp/x"

at_mark
touch "$spool/alice" /etc/evil2
# /etc itself changed too: a name was added to it.
tap_is "allowed paths are let through, the rest named" \
    "$(at_changed "$spool" "$spool/alice" /etc)" /etc/evil2
at_unchanged "after an allowed change only" "$spool" "$spool/alice" \
    /etc /etc/evil2
tap_done
