#!/bin/sh
# Attack: a check-then-use race on bob's mailbox.  A loop swaps
# /var/mail/bob for a symbolic link to a victim file and back, as fast as
# it can (a root-owned /etc/victim and a file of bob's own that his
# worker could write, alternately), while 100 deliveries to bob run, ten
# at a time.  What must hold: both victims stay byte-identical; bob's
# mailbox holds only whole messages, each once (counted and parsed);
# every delivery either delivered (0) or deferred (75), and the
# delivered ones are exactly those in the mailbox, so delivered +
# deferred = sent and nothing is lost; nothing but bob's mailbox (and its
# dotlock, and the swapper's own names) changes; no process holds more
# than its due.
# The swap keeps bob's real mailbox always reachable under one name: a
# hard link to it is made first (the mailbox then has two links), the
# symbolic link is renamed over "bob", and the real one renamed back; so
# mail delivered into it is never lost by the swapper.
set -u
. "$top_srcdir/tests/attack/attack.sh"

at_conf
N=100
printf 'root only victim\n' >/etc/victim
chmod 0644 /etc/victim
printf 'bob keeps this\n' >/home/bob/important
chown bob:bob /home/bob/important
chmod 0600 /home/bob/important
v0=$(sha256sum /etc/victim /home/bob/important)
printf 'Subject: race seed\n\nseed\n' | "$at_ml" -f a@b bob ||
	tap_bail "the first delivery failed"

at_mark
at_watch_start
# The swapper: until $SB/stop exists.
$py - "$spool" "$SB/stop" "$SB/swaps" <<'EOT' &
import os, sys, time
spool, stop, out = sys.argv[1:4]
bob, stash, tmp = spool + '/bob', spool + '/bob.stash', spool + '/bob.swap'
victims = ['/etc/victim', '/home/bob/important']
n = 0
while not os.path.exists(stop):
    os.link(bob, stash)                 # bob: two links now
    os.symlink(victims[n % 2], tmp)
    os.rename(tmp, bob)                 # bob: a symbolic link
    if n % 3 == 0:
        time.sleep(0.0005)
    os.rename(stash, bob)               # bob: the real mailbox again
    n += 1
    if n % 4 == 0:
        time.sleep(0.0002)
open(out, 'w').write('%d\n' % n)
EOT
swapper=$!
mkdir "$SB/rc"
i=0
while [ $i -lt $N ]; do
	j=0
	while [ $j -lt 10 ]; do
		k=$((i + j))
		(
			{ printf 'Subject: race %d\n\nrace %d line 1\nrace %d line 2\n' $k $k $k
			  sleep 0.05; } |
			    "$at_ml" -f a@b bob >"$SB/rc/$k.err" 2>&1
			echo $? >"$SB/rc/$k"
		) &
		j=$((j + 1))
	done
	wait_n=0
	while [ "$(ls "$SB/rc" | grep -cv err)" -lt $((i + 10)) ] && [ $wait_n -lt 300 ]; do
		sleep 0.02
		wait_n=$((wait_n + 1))
	done
	i=$((i + 10))
done
touch "$SB/stop"
wait $swapper
at_watch_check "swap race" --expect mail.local
tap_diag "the swapper swapped $(cat "$SB/swaps") times"

sent=$(ls "$SB/rc" | grep -cv err)
ok=$(cat "$SB"/rc/[0-9]* | grep -cx 0)
deferred=$(cat "$SB"/rc/[0-9]* | grep -cx 75)
tap_is "every delivery ran ($N sent)" "$sent" $N
tap_is "every delivery was delivered (0) or deferred (75): $ok + $deferred" \
    $((ok + deferred)) $N
tap_diag "deferral reasons: $(cat "$SB"/rc/*.err | sed 's/^mail.local: bob: //' | sort | uniq -c | tr '\n' ';')"
tap_is "the victims are byte-identical" "$(sha256sum /etc/victim /home/bob/important)" "$v0"
tap_is "the victims keep their owner, mode and link count" \
    "$(stat -c '%U %a %h' /etc/victim /home/bob/important | tr '\n' ' ')" \
    "root 644 1 bob 600 1 "
tap_check "bob's mailbox is a plain file of bob's with one link" \
    test "$(stat -c '%F %U %a %h' "$spool/bob")" = "regular file bob 600 1"
# Whole messages: every message of the mbox is one of ours, complete,
# once; the delivered ones are exactly those that said 0.
want=$(cd "$SB/rc" && grep -lx 0 [0-9]* | sort -n | tr '\n' ' ')
got=$($py - "$spool/bob" <<'EOT'
import mailbox, re, sys
seen, bad = [], []
for m in mailbox.mbox(sys.argv[1]):
    s = m['Subject'] or ''
    if s == 'race seed':
        continue
    r = re.fullmatch(r'race (\d+)', s)
    body = m.get_payload()
    if not r or body != 'race %s line 1\nrace %s line 2\n' % (r[1], r[1]) \
            or m['Return-Path'] != '<a@b>':
        bad.append(repr((s, body[:60])))
        continue
    seen.append(int(r[1]))
if len(seen) != len(set(seen)):
    bad.append('duplicates')
print(' '.join(str(n) for n in sorted(seen)) + (' ' if seen else '') +
      ('BAD ' + ' '.join(bad) if bad else ''))
EOT
)
tap_is "bob's mailbox holds whole messages, exactly the delivered ones" "$got" "$want"
tap_is "From_ lines = messages in the mailbox (seed + $ok)" \
    "$(grep -c '^From ' "$spool/bob")" $((ok + 1))
tap_is "mail is not lost: delivered + deferred = sent" \
    "$(($(echo "$got" | tr ' ' '\n' | grep -cx '[0-9][0-9]*') + deferred))" "$sent"
at_unchanged "swap race" "$spool" "$spool/bob" "$spool/bob\.(lock|stash|swap)"
tap_check_fails "no swap name is left behind" \
    sh -c "ls -A '$spool' | grep -q 'bob\.'"
tap_done
