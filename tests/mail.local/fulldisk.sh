#!/bin/sh
# A full disk: the mail spool is a tiny tmpfs that fills in the middle of
# a delivery.  The failure is temporary (75, LMTP 452 4.2.2), permanent
# with -b (69, 552 5.2.2), and the mailbox is byte-identical afterwards;
# the dotlock is gone.  A Maildir on a full file system leaves nothing in
# tmp/ or new/.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

. "$top_srcdir/tests/mail.local/setup.sh"
mount -t tmpfs -o size=256k,mode=2775,gid="$(sb_gid mail)" tmpfs "$spool" ||
	tap_bail "cannot mount a small tmpfs on $spool"

echo "small one" | "$ml" -f a@b alice
tap_is "a small message fits" "$?" 0
cp "$spool/alice" "$SB/alice.before"
big="$SB/big"
head -c 400000 /dev/urandom | base64 >"$big"

err=$("$ml" -f a@b alice <"$big" 2>&1)
tap_is "a message larger than the free space: 75" "$?" 75
case $err in
*"No space left"*) tap_ok "... saying the disk is full" ;;
*) tap_fail "... saying the disk is full" "$err" ;;
esac
tap_check "the mailbox is byte-identical" cmp "$SB/alice.before" "$spool/alice"
tap_is "no lock file left" "$(ls "$spool")" "alice"

"$ml" -b -f a@b alice <"$big" >/dev/null 2>&1
tap_is "with -b the same failure is permanent: 69" "$?" 69
tap_check "the mailbox is still byte-identical" cmp "$SB/alice.before" "$spool/alice"

# LMTP: the per-recipient reply carries the code.
out=$( { printf 'LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n'
	sed 's/^\./../; s/$/\r/' "$big"
	printf '.\r\nQUIT\r\n'; } | "$ml" -l | tr -d '\r')
case $out in
*"452 4.2.2 <alice> "*) tap_ok "LMTP: 452 4.2.2 for the full mailbox" ;;
*) tap_fail "LMTP: 452 4.2.2 for the full mailbox" "$out" ;;
esac
tap_check "the mailbox is still byte-identical" cmp "$SB/alice.before" "$spool/alice"
out=$( { printf 'LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n'
	sed 's/^\./../; s/$/\r/' "$big"
	printf '.\r\nQUIT\r\n'; } | "$ml" -b -l | tr -d '\r')
case $out in
*"552 5.2.2 <alice> "*) tap_ok "LMTP with -b: 552 5.2.2" ;;
*) tap_fail "LMTP with -b: 552 5.2.2" "$out" ;;
esac

echo "after" | "$ml" -f a@b alice
tap_is "once there is room again, the next delivery works" "$?" 0
tap_is "and the mailbox holds exactly two messages" \
    "$(grep -c '^From a@b ' "$spool/alice")" 2

# Maildir on a full home.
mount -t tmpfs -o size=256k,mode=0755 tmpfs /home/bob && chown bob:bob /home/bob ||
	tap_bail "cannot mount a small tmpfs on /home/bob"
printf 'myhostname = test.example\nhome_mailbox = Maildir/\n' \
    >"$POSTERN_CONFIG_DIR/postern.conf"
"$ml" -f a@b bob <"$big" >/dev/null 2>&1
tap_is "Maildir on a full disk: 75" "$?" 75
tap_is "nothing left in tmp/ or new/" \
    "$(ls /home/bob/Maildir/tmp /home/bob/Maildir/new | grep -c .)" 2
tap_done
