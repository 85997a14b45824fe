#!/bin/sh
# A dead delivery's dotlock found after a restart (a power loss): the lock
# file is never fsync'd, so the size it records may be older than messages
# that reached the disk and were acknowledged.  A lock of an earlier boot
# keeps every whole message after its size and cuts off only a torn last
# one; a lock of this boot (a kill -9) cuts back to its size exactly.
# The locks are planted as a dead writer leaves them: postern's content,
# no fcntl lock on them, owned by the user.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

. "$top_srcdir/tests/mail.local/setup.sh"
box=$spool/alice
lock=$spool/alice.lock
this_boot=$(cat /proc/sys/kernel/random/boot_id) ||
	tap_bail "no boot id in /proc"
other_boot=00000000-1111-2222-3333-444444444444
[ "$this_boot" != "$other_boot" ] || tap_bail "the planted boot id is this one"

# msg SUBJECT [LINES]
msg() {
	printf 'Subject: %s\n\n' "$1"
	awk -v t="$1" -v n="${2:-200}" 'BEGIN { for (k = 0; k < n; k++)
		printf "%s body line %05d, with some words to fill it\n", t, k }'
	echo "end $1"
}
deliver() { msg "$1" "${3:-200}" | "$ml" -f a@b "${2:-alice}"; }
size() { stat -c %s "$1"; }
# has SUBJECT: 1 when the message is there whole, 0 when it is absent,
# "torn" when only part of it is
has() {
	_s=$(grep -c "^Subject: $1\$" "$box")
	_e=$(grep -c "^end $1\$" "$box")
	if [ "$_s" = "$_e" ]; then echo "$_s"; else echo torn; fi
}

# case NAME BOOT TORN: m1, then the lock's recorded size, then m2 (whole
# and acknowledged), then with TORN=yes the first half of m3, a message
# of 4000 lines (TORN a number: its first TORN bytes); a lock
# "postern SIZE INODE BOOT" (BOOT "-": the older form without it); then a
# new delivery, which takes the dead writer's lock over.
case_() {
	rm -f "$box" "$lock"
	deliver "$1-m1" || tap_bail "$1: first delivery failed"
	rec=$(size "$box")
	deliver "$1-m2" || tap_bail "$1: second delivery failed"
	if [ "$3" != no ]; then
		rm -f "$spool/bob"
		deliver "$1-m3" bob 4000 || tap_bail "$1: delivery to bob failed"
		torn=$3
		[ "$torn" != yes ] || torn=$(($(size "$spool/bob") / 2))
		head -c "$torn" "$spool/bob" >>"$box"
	fi
	if [ "$2" = - ]; then
		printf '4242\npostern %s %s\n' "$rec" "$(stat -c %i "$box")"
	else
		printf '4242\npostern %s %s %s\n' "$rec" "$(stat -c %i "$box")" "$2"
	fi >"$lock"
	chown alice:alice "$lock" && chmod 600 "$lock"
	deliver "$1-final"
	tap_is "$1: the delivery after the dead writer's lock succeeds" "$?" 0
	tap_check_fails "$1: the lock is gone" test -e "$lock"
	tap_is "$1: the message before the recorded size is there" \
	    "$(has "$1-m1")" 1
	tap_is "$1: the new message is there" "$(has "$1-final")" 1
}

case_ restart "$other_boot" no
tap_is "restart: the acknowledged message after the recorded size is kept" \
    "$(has restart-m2)" 1
tap_is "restart: three messages" "$(grep -c '^From a@b ' "$box")" 3

case_ restart-torn "$other_boot" yes
tap_is "restart-torn: the acknowledged message is kept" \
    "$(has restart-torn-m2)" 1
tap_is "restart-torn: the torn message is gone" "$(has restart-torn-m3)" 0
tap_is "restart-torn: three messages" "$(grep -c '^From a@b ' "$box")" 3

# The torn message 65537 bytes long: the blank line and From_ line before
# it straddle the border of the last 64 KiB, where the backward search
# reads its blocks.
case_ border "$other_boot" 65537
tap_is "border: the acknowledged message is kept" "$(has border-m2)" 1
tap_is "border: the torn message is gone" "$(has border-m3)" 0
tap_is "border: three messages" "$(grep -c '^From a@b ' "$box")" 3

case_ old-form - yes
tap_is "old-form: a lock without a boot id keeps the whole message" \
    "$(has old-form-m2)" 1
tap_is "old-form: and cuts the torn one" "$(has old-form-m3)" 0

case_ this-boot "$this_boot" yes
tap_is "this-boot: a lock of this boot cuts back to its size" \
    "$(has this-boot-m2)" 0
tap_is "this-boot: the torn message is gone too" "$(has this-boot-m3)" 0
tap_is "this-boot: two messages" "$(grep -c '^From a@b ' "$box")" 2

# (crash.sh checks that the locks postern leaves carry this boot's id.)
tap_done
