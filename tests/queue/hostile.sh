#!/bin/sh
# Hostile client queue files: a member of the submit group may write
# anything into submit/new, so the runner (postern-queue -f, running) is
# given garbage, an empty file, a 10 GB sparse file, a FIFO, a socket, a
# directory, symbolic and hard links (to /etc/passwd, to a root-owned 0600
# file, to a valid client file), truncated files, a million recipients,
# NUL, CR and LF in envelope fields, unknown and out-of-order records,
# huge or wrong M sizes, bad names, a rename race, and 200 bad files at
# once.  For each: the file is moved to submit/bad with a logged reason,
# nothing is delivered from it, nothing outside the queue changes, the
# submitter gets a notice, and the runner goes on delivering real mail.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"
py=/usr/bin/python3
[ -x "$py" ] || tap_skip_all "needs Debian's /usr/bin/python3"

queue_conf='queue_run_interval = 1s
'
. "$top_srcdir/tests/queue/setup.sh"

# wait_for FILE PATTERN [TENTHS]: up to 20 s (or TENTHS/10 s) for a line.
wait_for() { sb_wait_line "$1" "$2" "${3:-200}"; }

# The template: a real client file from alice's sendmail, taken before
# any runner is there to pick it up.
printf 'To: bob\nSubject: hostile template\n\nbody line one\nbody line two\n' |
    sb_as alice "$sm" -t -i
tpl=$(ls "$q/submit/new" | head -n 1)
[ -n "$tpl" ] || tap_bail "sendmail left no file in submit/new"
cp "$q/submit/new/$tpl" "$SB/template"
rm -f "$q/submit/new/$tpl"
tap_diag "template $tpl: $(head -c 200 "$SB/template" | tr '\n' '|')..."

# retemplate OUT SUBJECT: the valid template with another subject (its
# size record patched to match).
retemplate() {
	$py - "$SB/template" "$1" "$2" <<'EOT'
import sys
d = open(sys.argv[1], 'rb').read()
m = d.index(b'\n', 17)
n = int(d[19:m])
msg = d[m + 1:m + 1 + n].replace(b'hostile template', sys.argv[3].encode())
open(sys.argv[2], 'wb').write(d[:19] + b'%016d' % len(msg) + b'\n' + msg + d[m + 1 + n:])
EOT
}

# The cases, written by python: NAME|PATTERN in the manifest (PATTERN:
# the reason expected in the log line).
mkdir -p "$SB/cases" "$q/stage"
$py - "$SB/template" "$SB/cases" >"$SB/manifest" <<'EOT' || tap_bail "cannot build the cases"
import os, sys
tpl, out = sys.argv[1], sys.argv[2]
d = open(tpl, 'rb').read()
magic = b'POSTERN-SUBMIT 1\n'
assert d.startswith(magic), d[:40]
me = d.index(b'\n', len(magic))
size = int(d[len(magic) + 2:me])
moff = me + 1
msg = d[moff:moff + size]
tail = d[moff + size:]
lines = tail.split(b'\n')
assert lines[-1] == b'' and lines[-2] == b'E', tail
S = [l for l in lines if l.startswith(b'S ')][0]
R = [l for l in lines if l.startswith(b'R ')]
O = [l for l in lines if l.startswith(b'O ')]
def file(msg=msg, recs=None, msize=None, digits=None):
    if recs is None:
        recs = [S] + O + R + [b'E']
    if digits is None:
        digits = b'%016d' % (len(msg) if msize is None else msize)
    return magic + b'M ' + digits + b'\n' + msg + b''.join(r + b'\n' for r in recs)
assert file() == d, 'the template does not rebuild'
def case(name, data, pat):
    open(os.path.join(out, name), 'wb').write(data)
    print('%s|%s' % (name, pat))
NF = 'not a postern client queue file'
case('garbage', os.urandom(4096), NF)
case('empty', b'', NF)
case('magic2', d.replace(b'SUBMIT 1', b'SUBMIT 2', 1), NF)
case('trunc-magic', d[:8], NF)
case('trunc-M', d[:len(magic) + 9], 'record is not terminated')
case('trunc-msg', d[:moff + size // 2], 'shorter than its M record')
case('trunc-S', d[:moff + size + 3], 'record is not terminated')
ri = d.rindex(b'\nR ') + 3
case('trunc-R', d[:ri], 'record is not terminated')
case('trunc-E', d[:-2], 'ends before its end record')
case('trunc-E-lf', d[:-1], 'not terminated')
case('rcpt-1m', file(recs=[S] + [b'R bob'] * 1000000 + [b'E']),
     'too many recipients')
case('nul-sender', file(recs=[b'S ali\0ce@test.example'] + R + [b'E']),
     'control characters')
case('cr-sender', file(recs=[b'S alice\r@test.example'] + R + [b'E']),
     'control characters')
case('lf-sender', file(recs=[b'S alice\n@test.example'] + R + [b'E']),
     'lacks its space')
case('cr-rcpt', file(recs=[S, b'R bob\r'] + [b'E']), 'control characters')
case('lf-rcpt', file(recs=[S, b'R bo\nb'] + [b'E']), 'lacks its space')
case('esc-rcpt', file(recs=[S, b'R bob\x1b[2J'] + [b'E']), 'control characters')
case('long-rcpt', file(recs=[S, b'R ' + b'b' * 2000] + [b'E']), 'too long')
case('unknown-rec', file(recs=[S] + R + [b'X foo', b'E']), 'unexpected record')
case('R-before-S', file(recs=R + [S, b'E']), 'expected the S record')
case('O-after-R', file(recs=[S] + R + [b'O ret=full', b'E']), 'unexpected record')
case('unknown-opt', file(recs=[S, b'O evil=1'] + R + [b'E']), 'option')
case('no-rcpt', file(recs=[S, b'E']), 'no recipient')
case('E-field', file(recs=[S] + R + [b'E x']), 'end record has a field')
case('after-E', d + b'R mallory\n', 'data after the end record')
case('size-2^31', file(msize=2**31), 'larger than the limit')
case('size-2^32', file(msize=2**32), 'larger than the limit')
case('size-9s', file(digits=b'9' * 16), 'larger than the limit')
case('size-15', file(digits=b'%015d' % len(msg)), 'M record with 16 digits')
case('size-neg', file(digits=b'-%015d' % len(msg)), 'not a number')
case('size-blank', file(digits=b' %015d' % len(msg)), 'not a number')
case('msg-shorter', file(msize=len(msg) + 100000), 'shorter than its M record')
case('msg-short', file(msize=len(msg) + 7), 'offset')
case('msg-longer', file(msize=len(msg) - 5), 'offset')
EOT
tap_is "the cases were built from the template" "$(wc -l <"$SB/manifest")" 34

# newid: the next id in $id: 29 hex digits, like sendmail's.
n_id=0
newid() {
	n_id=$((n_id + 1))
	id=$(printf 'BAD%026X' "$n_id")
}
# put FILE ID OWNER: into submit/new by a rename (as sendmail does).
put() {
	cp "$1" "$q/stage/$2" && chown "$3" "$q/stage/$2" &&
	    chmod 0600 "$q/stage/$2" && mv "$q/stage/$2" "$q/submit/new/$2"
}
# Set aside: gone from new/, in bad/, a logged reason, never delivered.
aside_ok() {
	# The reason's alternatives grouped: "a\|b" alone would make
	# "...: .*a" one branch and any line with "b" the other (another
	# file's reason then matched before this one was handled).
	wait_for "$log" "$1: set aside in submit/bad: .*\($2\)" || {
		echo "no 'set aside' line for $1 matching '$2'"
		grep -a "$1" "$log"
		return 1
	}
	[ ! -e "$q/submit/new/$1" ] && [ ! -L "$q/submit/new/$1" ] || {
		echo "still in submit/new (after the log said set aside):"
		ls -la --full-time "$q/submit/new" "$q/submit/bad" 2>&1 |
		    grep -a "$1\|^/"
		grep -a "$1" "$log"
		return 1
	}
	[ -e "$q/submit/bad/$1" ] || [ -L "$q/submit/bad/$1" ] || {
		echo "not in submit/bad"
		return 1
	}
	! grep -aq "$1: \(uid=\|to=\)" "$log" || {
		echo "queued or delivered:"
		grep -a "$1" "$log"
		return 1
	}
}
nlegit=0
# legit: alice's real mail still reaches bob.
legit() {
	nlegit=$((nlegit + 1))
	printf 'To: bob\nSubject: legit %s\n\nok\n' "$nlegit" |
	    sb_as alice "$sm" -t -i
	tap_check "the runner is alive and delivers real mail ($1)" \
	    wait_for "$spool/bob" "^Subject: legit $nlegit\$"
}
snapshot() {
	find /etc /home /usr /tmp /root /var -xdev -path "$q" -prune -o \
	    -newer "$SB/stamp" -print 2>/dev/null |
	    grep -v "^$spool/\(alice\|bob\|mallory\|root\)\(\.lock\)\?\$" |
	    grep -v "^$spool\$" | sort
	find "$spool" -newer "$SB/stamp" -print | grep -v "^$spool/\(alice\|bob\|mallory\|root\)\(\.lock\)\?\$" |
	    grep -v "^$spool\$"
}

# Files to point links at: the host's /etc/passwd (the real /etc/shadow
# is on another mount in the sandbox: a hard link to it cannot be made
# from the queue's file system, so a root-owned 0600 file in the queue
# directory stands in for it), a file of alice's and valid client files.
printf 'TOPSECRET root only\n' >"$q/secret"
chmod 0600 "$q/secret"
printf 'alice target\n' >/home/alice/target
chown alice /home/alice/target
cp "$SB/template" /home/alice/valid
chown alice /home/alice/valid
cp "$SB/template" "$q/alice-valid"
chown alice "$q/alice-valid"
# root's own valid client file, for the race below.
retemplate "$q/race-root" "race root"
chmod 0600 "$q/race-root"
sums() {
	sha256sum /etc/passwd "$q/secret" /home/alice/target \
	    /home/alice/valid "$q/alice-valid" "$q/race-root" | sed 's/ .*//' | tr '\n' ' '
	stat -c '%U %a' /etc/passwd "$q/secret" /home/alice/target \
	    /home/alice/valid "$q/alice-valid" | tr '\n' ' '
}
sums0=$(sums)
touch "$SB/stamp"
sleep 1

"$pq" -f -v >"$log" 2>&1 &
runner=$!
trap 'kill $runner 2>/dev/null' EXIT
wait_for "$log" "started" 50 || tap_bail "the runner did not start: $(cat "$log")"

# A positive control: the template itself, put in place like the cases,
# is picked up and delivered (so the refusals below are the cases').
newid
put "$SB/template" "$id" alice
tap_check "control: the unchanged template is queued as alice's" \
    wait_for "$log" "$id: uid=$(sb_uid alice), from=<"
tap_check "... and delivered to bob" wait_for "$spool/bob" "^Subject: hostile template"
rm -f "$spool/bob"

alice_cases=0
alice_ids=
k=0
while IFS='|' read -r name pat; do
	newid
	put "$SB/cases/$name" "$id" alice
	tap_check "$name: set aside: $pat" aside_ok "$id" "$pat"
	alice_cases=$((alice_cases + 1))
	alice_ids="$alice_ids $id"
	k=$((k + 1))
	[ $((k % 12)) -ne 0 ] || legit "after $k cases" </dev/null
	[ "$name" != garbage ] || garbage_id=$id
done <"$SB/manifest"
legit "after the format cases"

# Special files.
newid
truncate -s 10G "$q/stage/$id" && chown alice "$q/stage/$id" &&
    mv "$q/stage/$id" "$q/submit/new/$id"
t0=$(date +%s)
tap_check "10 GB sparse file: refused by its size" \
    aside_ok "$id" "10737418240 bytes: larger than any message"
tap_check "... at once (not read: within 3 s)" test $(($(date +%s) - t0)) -le 3
alice_cases=$((alice_cases + 1)) alice_ids="$alice_ids $id"

newid
mkfifo -m 0600 "$q/stage/$id" && chown alice "$q/stage/$id" &&
    mv "$q/stage/$id" "$q/submit/new/$id"
tap_check "FIFO: set aside, not a regular file" aside_ok "$id" "not a regular file"
alice_cases=$((alice_cases + 1)) alice_ids="$alice_ids $id"
legit "after the FIFO (it did not block)"

newid
$py -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$q/stage/$id" && chown alice "$q/stage/$id" &&
    mv "$q/stage/$id" "$q/submit/new/$id"
tap_check "a socket: set aside" aside_ok "$id" "cannot open\|not a regular file"
alice_cases=$((alice_cases + 1)) alice_ids="$alice_ids $id"

newid
mkdir "$q/stage/$id" && cp "$SB/template" "$q/stage/$id/x" &&
    chown -R alice "$q/stage/$id" && mv "$q/stage/$id" "$q/submit/new/$id"
tap_check "a directory: set aside, not a regular file" aside_ok "$id" "not a regular file"
alice_cases=$((alice_cases + 1)) alice_ids="$alice_ids $id"
# The same name again, as a directory: bad/ID already holds one.
mkdir "$q/stage/$id" && chown alice "$q/stage/$id" && touch "$q/stage/$id/y" &&
    mv "$q/stage/$id" "$q/submit/new/$id"
sleep 3
tap_check "a second directory of the same name: gone from submit/new" \
    test ! -e "$q/submit/new/$id"
n=$(grep -ac "$id: set aside" "$log")
tap_check "... and handled once, not at every scan (logged $n times in 3 s)" test "$n" -le 2
[ "$n" -le 2 ] || { rm -rf "$q/submit/new/$id"; sleep 1.5; }
alice_cases=$((alice_cases + $(grep -ac "$id: set aside" "$log") - 1))

for target in /etc/passwd /home/alice/target /home/alice/valid; do
	newid
	ln -s "$target" "$q/stage/$id" && chown -h alice "$q/stage/$id" &&
	    mv "$q/stage/$id" "$q/submit/new/$id"
	tap_check "symbolic link to $target: set aside" aside_ok "$id" "a symbolic link"
	alice_cases=$((alice_cases + 1)) alice_ids="$alice_ids $id"
done
tap_check "... the link is kept as it was, in submit/bad" \
    test "$(readlink "$q/submit/bad/$id")" = /home/alice/valid

newid
ln "$q/secret" "$q/submit/new/$id"
tap_check "hard link to a root-owned 0600 file: set aside" aside_ok "$id" "has 2 links"
newid
ln "$q/alice-valid" "$q/submit/new/$id"
tap_check "hard link to a valid client file of alice's: set aside" \
    aside_ok "$id" "has 2 links"
alice_cases=$((alice_cases + 1)) alice_ids="$alice_ids $id"
tap_is "link targets untouched (content, owner, mode)" "$(sums)" "$sums0"
tap_is "... the hard links are only moved to submit/bad (2 links each)" \
    "$(stat -c %h "$q/secret" "$q/alice-valid" | tr '\n' ' ')" "2 2 "
legit "after the links"

# Bad names (valid content, owned by alice).
for name in bad-name .hidden "$(printf 'A%063d' 0)" "$(printf 'BAD\nforged: to=<bob>, status=sent')"; do
	nb=$(grep -ac "set aside in submit/bad: not a queue file name" "$log")
	put "$SB/template" "$name" alice
	i=0
	while [ $i -lt 50 ] && [ "$(grep -ac "set aside in submit/bad: not a queue file name" "$log")" -le "$nb" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ $i -lt 50 ] && [ ! -e "$q/submit/new/$name" ] && [ -e "$q/submit/bad/$name" ]; then
		tap_ok "name '$(printf %s "$name" | head -c 20 | tr '\n' '?')...': set aside, not a queue file name"
	else
		tap_fail "name '$(printf %s "$name" | tr '\n' '?')': set aside" \
		    "$(ls -la "$q/submit/new" "$q/submit/bad" | tail -n 5)"
	fi
	alice_cases=$((alice_cases + 1))
done
tap_check "a name with a LF does not forge a log line" \
    sh -c "! grep -aq '^forged' '$log'"

# Owners.  A valid file owned by root is root's own submission (root
# runs sendmail too): documented in postern-submit(5) as "the file's
# owner is the submitter", so it is accepted as uid 0.
retemplate "$SB/rootown" "root own"
newid
put "$SB/rootown" "$id" root
tap_check "a valid file owned by root: accepted as root's (uid=0)" \
    wait_for "$log" "$id: uid=0, from=<alice@test.example>"
tap_check "... and delivered" wait_for "$spool/bob" "^Subject: root own"
newid
put "$SB/cases/garbage" "$id" 4242
tap_check "garbage owned by a uid not in passwd: set aside (no notice)" \
    aside_ok "$id" "owner uid 4242 is not a user"
retemplate "$SB/nouser" "unknown owner"
newid
put "$SB/nouser" "$id" 4242
tap_check "a valid file owned by uid 4242 (not in passwd): set aside" \
    aside_ok "$id" "owner uid 4242 is not a user"
newid
cp "$SB/template" "$q/stage/$id" && chown alice "$q/stage/$id" &&
    chmod 0666 "$q/stage/$id" && mv "$q/stage/$id" "$q/submit/new/$id"
tap_check "a valid file of alice's, mode 0666 (anyone in the group could rewrite it): set aside" \
    aside_ok "$id" "mode 0666: writable by others"
alice_cases=$((alice_cases + 1)) alice_ids="$alice_ids $id"
rm -f "$spool/bob"
legit "after the owners"

# A rename race: each name first holds a valid file of alice's, then a
# symbolic link and a hard link to a root-owned valid client file are
# renamed over it while the runner works.  Never may root's file be
# delivered; alice's at most once per name.
retemplate "$SB/race-alice" "race alice"
race=$($py - "$SB/race-alice" "$q" "$(sb_uid alice)" <<'EOT'
import os, sys, time
tpl, q, uid = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = open(tpl, 'rb').read()
new, stage = q + '/submit/new/', q + '/stage/'
end, i = time.time() + 4, 0
while time.time() < end:
    name = 'RACE%025X' % i
    with open(stage + 'a', 'wb') as f:
        f.write(d)
    os.chown(stage + 'a', uid, uid)
    os.rename(stage + 'a', new + name)
    if i % 2:
        os.symlink(q + '/race-root', stage + 'l')
    else:
        os.link(q + '/race-root', stage + 'l')
    time.sleep(0.0005 * (i % 7))
    os.rename(stage + 'l', new + name)
    i += 1
print(i)
EOT
)
tap_diag "rename race: $race names"
sleep 3
nr=$(ls "$q/submit/bad" | grep -c '^RACE')
tap_is "rename race: root's file never delivered" "$(sb_count 'race root' "$spool/bob")" 0
ra=$(sb_count 'race alice' "$spool/bob")
tap_check "... alice's at most once per name ($ra delivered, $nr set aside)" \
    sh -c "test \$(grep -a '^Subject: race alice' '$spool/bob' | wc -l) -le \$(grep -ac 'RACE.*: uid=' '$log')"
tap_is "... every race name handled (submit/new empty)" "$(ls -A "$q/submit/new" | wc -l)" 0
legit "after the race"

# 200 bad files at once, mallory's.
mkdir -p "$q/stage/many"
i=0
while [ $i -lt 200 ]; do
	head -c $((i * 7 + 1)) /dev/urandom >"$q/stage/many/$(printf 'MANY%025X' $i)"
	i=$((i + 1))
done
chown -R mallory "$q/stage/many"
mv "$q/stage/many/"* "$q/submit/new/"
i=0
while [ $i -lt 300 ] && [ "$(ls "$q/submit/bad" | grep -c '^MANY')" -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
tap_is "200 bad files at once: all set aside" \
    "$(ls "$q/submit/bad" | grep -c '^MANY') $(ls "$q/submit/new" | grep -c '^MANY')" "200 0"
tap_is "... each with a logged reason" \
    "$(grep -ao 'MANY[0-9A-F]*: set aside in submit/bad: .' "$log" | sort -u | wc -l)" 200
legit "after 200 bad files"
tap_check "the runner process is still the same, alive" kill -0 $runner

# The notices: one to alice per set-aside file of hers, from
# MAILER-DAEMON, a report naming the file and the reason; 200 to
# mallory.
i=0
while [ $i -lt 300 ] && [ "$(grep -c '^From: .*MAILER-DAEMON@test.example' "$spool/mallory" 2>/dev/null)" -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 1
# In the race, alice's file may be replaced after the runner opened it:
# then it has 0 links, is set aside, and the notice is alice's too.
nrace=$(grep -ac 'RACE[0-9A-F]*: notice to alice' "$log")
tap_diag "race set-aside reasons: $(grep -a 'RACE.*set aside' "$log" |  sed 's/.*submit\/bad: //;s/has [1-9][0-9]* links/has N links/' | sort | uniq -c | tr '\n' ' ')"
tap_is "alice got one notice per set-aside file of hers ($alice_cases + $nrace from the race)" \
    "$(grep -c '^From: .*MAILER-DAEMON@test.example' "$spool/alice")" "$((alice_cases + nrace))"
tap_is "mallory got 200" "$(grep -c '^From: .*MAILER-DAEMON@test.example' "$spool/mallory" 2>/dev/null)" 200
out=$($py - "$spool/alice" "$garbage_id" <<'EOT'
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    if m.get_content_type() != 'multipart/report':
        continue
    ds = [p for p in m.walk() if p.get_content_type() == 'message/delivery-status'][0]
    f = ds.get_payload()
    if f[0]['X-Postern-Queue-ID'] != sys.argv[2]:
        continue
    print(m['Return-Path'], m['From'].find('MAILER-DAEMON') >= 0,
          f[1]['Action'], f[1]['Status'],
          'not a postern client queue file' in ' '.join(f[1]['Diagnostic-Code'].split()))
EOT
)
tap_is "the notice for the garbage file: a DSN from MAILER-DAEMON with the reason" \
    "$out" "<> True failed 5.6.0 True"

tap_is "nothing delivered from a hostile file" \
    "$(grep -a '^Subject: ' "$spool/bob" | grep -v '^Subject: \(legit [0-9]*\|race alice\)$')" ""
tap_check "no secret in any mailbox" sh -c "! grep -rlaq 'TOPSECRET\|^root:x:0:0' '$spool'"
tap_is "link targets untouched at the end" "$(sums)" "$sums0"
tap_is "nothing outside the queue changed" "$(snapshot)" ""
tap_is "the queue is empty at the end" "$("$pq" -p | tail -n 1)" "Mail queue is empty"
kill $runner
wait $runner 2>/dev/null
tap_diag "$(grep -ac 'set aside' "$log") files set aside; $(grep -c 'notice to' "$log") notices"
grep -a 'error\|fatal\|cannot' "$log" | head -n 20 | sed 's/^/# queue.log: /'
tap_done
