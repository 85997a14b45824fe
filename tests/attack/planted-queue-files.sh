#!/bin/sh
# Attack: a member of the submit group (the sendmail binary's group: a
# compromised sendmail, or a user put in that group) plants hostile things
# in the client queue for the root queue runner: in submit/new symbolic
# links to /etc/shadow and to a file of alice's, a pair of hard links, a
# FIFO, a directory, a 10 GB sparse file, garbage, and a well-formed file
# that claims to come from alice; in submit/tmp (aged past
# submit_stale_time) a symbolic link to /etc/shadow, a FIFO, a directory,
# a hard link and a 10 GB sparse file, and one fresh file.  Then
# `postern-queue -f` runs, with a genuine message of alice's alongside.
# tests/queue/hostile.sh covers the formats; this test adds what the
# attack suite asks of every attack: nothing outside the queue (and the
# mailboxes it delivers to) changed, nothing was followed, and the
# runner's processes (master, pickup child, mail.local) held no more
# than their due while they worked.  Also: each planted thing in new/ is
# set aside in submit/bad with its reason in the log, the stale ones in
# tmp/ are removed (the links, not their targets), the file claiming
# alice is queued as its real owner's, and alice's message is delivered.
set -u
. "$top_srcdir/tests/attack/attack.sh"

pq=$POSTERN_SBINDIR/postern-queue
q=$POSTERN_QUEUE_DIR
log=$SB/queue.log
grp=$(stat -c %G "$at_sendmail")
tap_is "the submit group is sendmail's group" "$grp" "${POSTERN_SUBMIT_GROUP:-smmsp}"
sb_add_user planter 3020 "$grp" || tap_bail "cannot add the planter"
at_conf "queue_run_interval = 1s"
printf 'postmaster: root\n' >/etc/aliases
"$POSTERN_SBINDIR/newaliases" >/dev/null || tap_bail "newaliases failed"
printf 'TOPSECRET of alice\n' >/home/alice/secret
chown alice:alice /home/alice/secret
chmod 0600 /home/alice/secret
sums() {
	sha256sum /etc/shadow /etc/passwd /home/alice/secret
	stat -c '%n %U %G %a %h' /etc/shadow /home/alice/secret
}
sums0=$(sums)

# The planter's template: a real client file from his own sendmail.
printf 'To: bob\nSubject: planted\n\nplanted body\n' | sb_as planter "$at_sendmail" -t -i ||
	tap_bail "the planter's sendmail failed"
tpl=$(ls "$q/submit/new")
[ -n "$tpl" ] || tap_bail "sendmail left no file in submit/new"
# The planter's material, where he can read it ($SB is root's only).
P=/tmp/plant
mkdir -m 0755 "$P"
cp "$q/submit/new/$tpl" "$P/template" && rm -f "$q/submit/new/$tpl"
# The same, claiming alice: sender, From: and the Received: line that
# sendmail wrote rewritten (they are the file's bytes), framing fixed up.
$py - "$P/template" "$P/claim" <<'EOT' || tap_bail "cannot build the claim"
import re, sys
d = open(sys.argv[1], 'rb').read()
m = d.index(b'\n', 17)
n = int(d[19:m])
msg = d[m + 1:m + 1 + n]
msg = re.sub(rb'(?m)^From: .*$', b'From: alice@test.example', msg)
msg = re.sub(rb'userid \d+ \(planter\)', b'userid 3001 (alice)', msg)
msg = msg.replace(b'Subject: planted', b'Subject: claims alice')
tail = re.sub(rb'(?m)^S .*$', b'S alice@test.example', d[m + 1 + n:])
open(sys.argv[2], 'wb').write(d[:19] + b'%016d' % len(msg) + b'\n' + msg + tail)
EOT
head -c 4096 /dev/urandom >"$P/garbage"
chmod 0644 "$P/template" "$P/claim" "$P/garbage"

# The plants, made by the planter himself.  Names: queue ids.
id() { printf 'PLT%026X' "$1"; }
N=$q/submit/new T=$q/submit/tmp
sb_as planter sh -e -c '
N=$1 T=$2 P=$3
ln -s /etc/shadow "$N/$4"
ln -s /home/alice/secret "$N/$5"
cp "$P/template" "$N/$6" && ln "$N/$6" "$N/$7"
mkfifo -m 0600 "$N/$8"
mkdir "$N/$9" && cp "$P/template" "$N/$9/x"
shift 9
truncate -s 10G "$N/$1"
cp "$P/garbage" "$N/$2"
cp "$P/claim" "$N/$3"
# tmp/: aged two days, as a dead sendmail would have left them.
ln -s /etc/shadow "$T/$4"
mkfifo -m 0600 "$T/$5"
mkdir "$T/$6"
cp "$P/template" "$T/$7" && ln "$T/$7" "$T/$8"
truncate -s 10G "$T/$9"
touch -h -d "2 days ago" "$T/$4" "$T/$5" "$T/$6" "$T/$7" "$T/$8" "$T/$9"
cp "$P/garbage" "$T/fresh"
' planter "$N" "$T" "$P" "$(id 1)" "$(id 2)" "$(id 3)" "$(id 4)" "$(id 5)" \
    "$(id 6)" "$(id 7)" "$(id 8)" "$(id 9)" \
    "$(id 11)" "$(id 12)" "$(id 13)" "$(id 14)" "$(id 15)" "$(id 16)" ||
	tap_bail "the planter could not plant"
tap_is "the plants are the planter's" \
    "$(stat -c %U "$N"/* "$T"/* | sort -u | tr '\n' ' ')" "planter "
# Hard links to others' files are refused by the kernel here
# (protected_hardlinks); if not, the runner must refuse them itself.
if sb_as planter ln /home/alice/secret "$N/$(id 10)" 2>/dev/null; then
	tap_diag "the planter could hard-link alice's file (protected_hardlinks off)"
	hl10=1
else
	tap_ok "the planter cannot hard-link alice's file (protected_hardlinks)"
	hl10=
fi
# alice's genuine message, alongside.
printf 'To: bob\nSubject: genuine\n\nfrom alice\n' | sb_as alice "$at_sendmail" -t -i ||
	tap_bail "alice's sendmail failed"

at_mark
at_watch_start
"$pq" -f -v >"$log" 2>&1 &
runner=$!
# wait_for PATTERN [TENTHS]: up to 15 s for a log line.
wait_for() { at_wait_file "$log" "$1" "${2:-150}"; }
i=0
while [ $i -lt 100 ] && ! grep -q '^Subject: genuine' "$spool/bob" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
# One more queue run: the notices to the planter and the tmp/ clean-up.
sleep 1.5
kill -TERM $runner
wait $runner
at_watch_check "runner" --expect postern-queue --expect mail.local

tap_check "alice's genuine message is delivered to bob" \
    grep -q '^Subject: genuine' "$spool/bob"
aside() {	# aside NAME REASON: set aside in submit/bad with REASON logged
	if ! grep -aq "$1: set aside in submit/bad: .*$2" "$log"; then
		echo "no 'set aside' line matching '$2':"
		grep -a "$1" "$log"
		return 1
	fi
	[ ! -e "$N/$1" ] && [ ! -L "$N/$1" ] || { echo "still in submit/new"; return 1; }
	[ -e "$q/submit/bad/$1" ] || [ -L "$q/submit/bad/$1" ] ||
		{ echo "not in submit/bad"; return 1; }
	! grep -aq "$1: \(uid=\|to=\)" "$log" || { echo "queued:"; grep -a "$1" "$log"; return 1; }
}
tap_check "new/: a symbolic link to /etc/shadow is set aside" aside "$(id 1)" "symbolic link"
tap_check "new/: a symbolic link to alice's file is set aside" aside "$(id 2)" "symbolic link"
tap_check "new/: a hard link pair: the first name is set aside" aside "$(id 3)" "has 2 links"
tap_check "new/: ... and the second" aside "$(id 4)" "has 2 links"
tap_check "new/: a FIFO is set aside" aside "$(id 5)" "not a regular file"
tap_check "new/: a directory is set aside" aside "$(id 6)" "not a regular file"
tap_check "new/: a 10 GB sparse file is set aside" aside "$(id 7)" "larger than any message"
tap_check "new/: garbage is set aside" aside "$(id 8)" "not a postern client queue file"
[ -z "$hl10" ] ||
	tap_check "new/: a hard link to alice's file is set aside" aside "$(id 10)" "links"
tap_check "new/: the file claiming alice is queued as the planter's" \
    grep -aq "$(id 9): uid=$(sb_uid planter), from=<alice@test.example>" "$log"
tap_check "... not as alice's" sh -c "! grep -aq '$(id 9): uid=$(sb_uid alice)' '$log'"
hdr=$($py - "$spool/bob" <<'EOT'
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    if m['Subject'] == 'claims alice':
        print(' | '.join('%s: %s' % (k, ' '.join(str(v).split())) for k, v in m.items()))
EOT
)
# Its header is the file's bytes (the planter wrote "from userid 3001
# (alice)" into it): only the runner's log line above is attested.
tap_diag "the claiming message as delivered: $hdr"
tap_is "the symbolic links are kept as they were, in submit/bad" \
    "$(readlink "$q/submit/bad/$(id 1)") $(readlink "$q/submit/bad/$(id 2)")" \
    "/etc/shadow /home/alice/secret"
for k in 11 12 14 15 16; do
	tap_check "tmp/: the stale plant $k is removed" sh -c \
	    "grep -aq 'removed stale submit/tmp/$(id $k)' '$log' &&
	     [ ! -e '$T/$(id $k)' ] && [ ! -L '$T/$(id $k)' ]"
done
tap_check "tmp/: the stale directory is left (nothing else is done to it)" \
    test -d "$T/$(id 13)"
tap_check "tmp/: the fresh file is left alone" cmp -s "$P/garbage" "$T/fresh"
tap_is "nothing was followed: /etc/shadow and alice's file as they were" "$(sums)" "$sums0"
tap_check "no secret reached a mailbox or the trusted queue" sh -c \
    "! grep -rlaq 'TOPSECRET\|^root:\*:' '$spool' '$q/queue' '$q'/*.* 2>/dev/null"
tap_is "nothing is left in submit/new, nothing in the queue" \
    "$(ls -A "$N") $("$pq" -p | tail -n 1)" " Mail queue is empty"
tap_diag "$(grep -ac 'set aside' "$log") set aside, $(grep -ac 'notice to' "$log") notices; $(grep -a 'error\|fatal' "$log" | head -3 | tr '\n' '|')"
# The queue changes, bob's mailbox (the genuine and the claiming
# message), the planter's (notices); LMTP keeps the message in an
# O_TMPFILE in /var/tmp (the overlay copies the directory up).
at_unchanged "runner" "$q(/.*)?" "$spool" "$spool/(bob|planter)(\.lock)?" /var /var/tmp
tap_done
