#!/bin/sh
# One message to many recipients: mail.local delivers a message's final
# destinations in parallel (up to 8 delivery processes at once) and keeps
# the processes of up to 32 users for the session.  In the
# sandbox, over LMTP and in pipe mode:
#   - two program deliveries of one message run at the same time: the
#     first waits (10 s at most) for a file the second makes, so it can
#     only succeed if they overlap;
#   - 30 users with one hostile mailbox among them: the replies stay in
#     RCPT order, each with its own status, and only the hostile one fails;
#   - a destination reached from several recipients (an alias, a .forward)
#     gets one copy;
#   - pipe mode with several users: the same, with the exit code of the
#     worst and one stderr line for the failed one;
#   - LMTP reads the next message while one is delivered: the program
#     delivering the first waits (10 s at most) for the client to have
#     written all of the second (1 MiB, far more than a pipe holds), so it
#     can only succeed if the second is read meanwhile; the replies stay
#     in order;
#   - 200 messages to one user in one pipelined session: each reply in
#     order, each copy there once (a worker gets the next request while
#     it delivers one, and its replies come back to back);
#   - 200 messages to ten users in turn: each user's delivery process is
#     forked once for the session (the PIDs the sandbox's PID namespace
#     hands out meanwhile are counted), each copy there once, in order;
#   - 120 messages to 40 users in turn, more than the session keeps
#     processes for: processes make room for others, every copy arrives
#     once and in order;
#   - a worker that dies with two requests (the second queued behind the
#     first: the first one's program kills it after a pause) fails both
#     temporarily, and the session goes on with a new one.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

. "$top_srcdir/tests/mail.local/setup.sh"

# add_users PREFIX COUNT UID: users PREFIX0.. with uids from UID; their
# names in $added.
add_users() {
	added=""
	_i=0
	while [ $_i -lt "$2" ]; do
		sb_add_user "$1$_i" $(($3 + _i)) >/dev/null 2>&1 ||
			tap_bail "cannot add user $1$_i"
		added="$added $1$_i"
		_i=$((_i + 1))
	done
}
add_users p 30 5000
users=$added
mkdir -p /tmp/par && chmod 1777 /tmp/par

session() {	# session SUBJECT RCPT...: one LMTP transaction, the replies
	_s=$1
	shift
	{
		printf 'LHLO test\r\nMAIL FROM:<s@example.org>\r\n'
		for _r in "$@"; do printf 'RCPT TO:<%s>\r\n' "$_r"; done
		printf 'DATA\r\nSubject: %s\r\n\r\nbody\r\n.\r\nQUIT\r\n' "$_s"
	} | "$ml" -l | tr -d '\r'
}

# --- Two programs of one message at the same time --------------------
sb_user_file p0 /home/p0/.forward 644 \
    '"|i=0; while [ ! -e /tmp/par/second ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; test -e /tmp/par/second && touch /tmp/par/first"'
sb_user_file p1 /home/p1/.forward 644 '"|touch /tmp/par/second"'
out=$(session overlap p0 p1)
case $out in
*"250 2.0.0 <p0>"*"250 2.0.0 <p1>"*)
	tap_ok "two program deliveries of one message: both delivered" ;;
*) tap_fail "two program deliveries of one message: both delivered" "$out" ;;
esac
tap_check "... the first saw the second's file: they ran at the same time" \
    test -e /tmp/par/first
rm -f /home/p0/.forward /home/p1/.forward

# --- 30 users, one hostile mailbox, replies in order ------------------
ln -s /etc/passwd "$spool/p13"
passwd_before=$(cksum </etc/passwd)
# shellcheck disable=SC2086
out=$(session thirty $users)
want=""
for u in $users; do
	if [ "$u" = p13 ]; then want="$want 4"; else want="$want 2"; fi
done
# The replies after DATA (those before are RCPT's).
after=$(printf '%s\n' "$out" | sed '1,/^354 /d')
got=$(printf '%s\n' "$after" | awk '/^[245][0-9][0-9] [245]\.[0-9]+\.[0-9]+ <p[0-9]+>/ {
	printf " %s", substr($1, 1, 1) }')
tap_is "30 recipients: 30 replies after DATA, in RCPT order, only p13 deferred" \
    "$got" "$want"
order=$(printf '%s\n' "$after" | sed -n 's/^[245][0-9][0-9] [0-9.]* <\(p[0-9]*\)>.*/\1/p' |
    tr '\n' ' ')
tap_is "... each reply names its recipient, in order" "$order" \
    "$(echo $users | tr ' ' '\n' | tr '\n' ' ')"
n=0
for u in $users; do
	[ "$u" = p13 ] && continue
	[ "$(sb_count thirty "$spool/$u")" = 1 ] && n=$((n + 1))
done
tap_is "... the 29 others have exactly one copy each" "$n" 29
tap_is "... /etc/passwd unchanged by the symlinked mailbox" \
    "$(cksum </etc/passwd)" "$passwd_before"
rm -f "$spool/p13"

# --- One copy of a destination reached from several recipients -------
printf 'team: p2, p3, p4\n' >/etc/aliases
newaliases_bin=$POSTERN_SBINDIR/newaliases
"$newaliases_bin" >/dev/null 2>&1 || tap_bail "newaliases failed"
sb_user_file p5 /home/p5/.forward 644 'p3'
out=$(session dup team p3 p5 p4)
case $out in
*"250 2.0.0 <team>"*"250 2.0.0 <p3>"*"250 2.0.0 <p5>"*"250 2.0.0 <p4>"*)
	tap_ok "alias, user, .forward to that user: all four delivered" ;;
*) tap_fail "alias, user, .forward to that user: all four delivered" "$out" ;;
esac
tap_is "... one copy each for p2, p3, p4; none for p5 (forwarded)" \
    "$(sb_count dup "$spool/p2") $(sb_count dup "$spool/p3") $(sb_count dup "$spool/p4") $(sb_count dup "$spool/p5")" \
    "1 1 1 0"
rm -f /home/p5/.forward /etc/aliases /etc/aliases.db

# --- Pipe mode: several users, one failing ----------------------------
rm -f "$spool/p20" "$spool/p21" "$spool/p22" "$spool/p23"
mkdir "$spool/p21"	# a directory where the mailbox should be
printf 'Subject: piped\n\nbody\n' |
    "$ml" -f s@example.org p20 p21 p22 p23 2>"$SB/stderr"
tap_is "pipe mode, 4 users, one mailbox a directory: exit 75" "$?" 75
tap_is "... one stderr line, for p21" \
    "$(wc -l <"$SB/stderr" | tr -d ' '):$(cut -d: -f2 "$SB/stderr" | tr -d ' ')" \
    "1:p21"
tap_is "... p20, p22, p23 got it" \
    "$(sb_count piped "$spool/p20") $(sb_count piped "$spool/p22") $(sb_count piped "$spool/p23")" \
    "1 1 1"
rmdir "$spool/p21"

# --- LMTP: the next message is read while one is delivered -----------
sb_user_file p6 /home/p6/.forward 644 \
    '"|i=0; while [ ! -e /tmp/par/written ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; test -e /tmp/par/written"'
rm -f "$spool/p7" /tmp/par/written
out=$({
	printf 'LHLO test\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<p6>\r\n'
	printf 'DATA\r\nSubject: first\r\n\r\nbody\r\n.\r\n'
	printf 'MAIL FROM:<s@example.org>\r\nRCPT TO:<p7>\r\n'
	printf 'DATA\r\nSubject: second\r\n\r\n'
	awk 'BEGIN { for (i = 0; i < 16384; i++)
		printf "line %05d of a long message ..................................\r\n", i }'
	printf '.\r\nQUIT\r\n'
	touch /tmp/par/written
} | "$ml" -l | tr -d '\r' | awk '!/^250-/ {
	r = ""
	if (match($0, /<p[0-9]+>/)) r = substr($0, RSTART, RLENGTH)
	printf "%s%s ", substr($0, 1, 3), r }')
tap_is "a program delivering message 1 sees message 2 all sent: replies in order" \
    "$out" "220 250 250 250<p6> 354 250<p6> 250 250<p7> 354 250<p7> 221 "
tap_is "... message 2 delivered whole (16384 lines)" \
    "$(sb_count second "$spool/p7"):$(grep -c '^line [0-9]* of a long' "$spool/p7")" \
    "1:16384"
rm -f /home/p6/.forward

# --- 200 messages to one user, all sent at once -----------------------
rm -f "$spool/p8"
{
	printf 'LHLO test\r\n'
	i=0
	while [ $i -lt 200 ]; do
		printf 'MAIL FROM:<s@example.org>\r\nRCPT TO:<p8>\r\nDATA\r\n'
		printf 'Subject: many\r\nX-N: %d\r\n\r\nbody %d\r\n.\r\n' $i $i
		i=$((i + 1))
	done
	printf 'QUIT\r\n'
} >"$SB/many"
out=$("$ml" -l <"$SB/many" | tr -d '\r' | grep -c '^250 2.0.0 <p8> delivered$')
tap_is "200 pipelined messages to one user: 200 delivered replies" "$out" 200
tap_is "... 200 copies, in order" \
    "$(sed -n 's/^X-N: //p' "$spool/p8" | awk '$1 != NR - 1 { bad = 1 }
	END { print NR (bad ? " out of order" : "") }')" 200

# --- Messages to many users in turn ---------------------------------
# turn COUNT USERS...: a session of COUNT messages to the users in turn,
# each with its number (X-N); prints the delivered replies.
turn() {
	_c=$1
	shift
	printf 'LHLO test\r\n' >"$SB/turn"
	awk -v c="$_c" -v u="$*" 'BEGIN { n = split(u, r, " ")
		for (i = 0; i < c; i++)
			printf "MAIL FROM:<s@example.org>\r\nRCPT TO:<%s>\r\n" \
			    "DATA\r\nSubject: turn\r\nX-N: %d\r\n\r\nbody\r\n.\r\n",
			    r[i % n + 1], i
		printf "QUIT\r\n" }' >>"$SB/turn"
	"$ml" -l <"$SB/turn" | tr -d '\r' | grep -c '^250 2\.0\.0 <[a-z0-9]*> delivered$'
}
# in_turn N USERS...: "ok" when user K of the N got the numbers K, K+N,
# K+2N... in that order (how many: the count checks).
in_turn() {
	_n=$1
	shift
	_k=0
	for _u in "$@"; do
		sed -n 's/^X-N: //p' "$spool/$_u" | awk -v k=$_k -v n=$_n '
		    $1 != k + (NR - 1) * n { bad = 1 } END { if (bad) print "bad" }'
		_k=$((_k + 1))
	done | grep -q bad && echo "out of turn" || echo ok
}
ten="p10 p11 p12 p13 p14 p15 p16 p17 p18 p19"
for u in $ten; do rm -f "$spool/$u"; done
pid0=$(cat /proc/sys/kernel/ns_last_pid)
# shellcheck disable=SC2086
n=$(turn 200 $ten)
pid1=$(cat /proc/sys/kernel/ns_last_pid)
tap_is "200 messages to ten users in turn: 200 delivered replies" "$n" 200
# shellcheck disable=SC2086
tap_is "... each user's copies there, in order" "$(in_turn 10 $ten)" ok
tap_is "... 20 copies each" \
    "$(for u in $ten; do sb_count turn "$spool/$u"; done | sort -u)" 20
# The PIDs handed out meanwhile: awk, mail.local, grep, tr and sort's
# shells and the ten delivery processes, not one per message.
forks=$((pid1 - pid0))
tap_diag "PIDs used by the session of 200 messages to ten users: $forks"
tap_check "... each user's delivery process forked once (PIDs used: $forks)" \
    test "$forks" -le 20
add_users t 40 5100
forty=$added
# shellcheck disable=SC2086
n=$(turn 120 $forty)
tap_is "120 messages to 40 users in turn: 120 delivered replies" "$n" 120
# shellcheck disable=SC2086
tap_is "... each user's copies there, in order" "$(in_turn 40 $forty)" ok
tap_is "... 3 copies each" \
    "$(for u in $forty; do sb_count turn "$spool/$u"; done | sort -u)" 3

# --- A worker that dies with two requests -----------------------------
sb_user_file p9 /home/p9/.forward 644 \
    '"|test -e /tmp/par/killed || { touch /tmp/par/killed; sleep 2; kill -9 $PPID; }"'
rm -f /tmp/par/killed
out=$({
	printf 'LHLO test\r\n'
	for n in 1 2 3; do
		printf 'MAIL FROM:<s@example.org>\r\nRCPT TO:<p9>\r\n'
		printf 'DATA\r\nSubject: kill %d\r\n\r\nbody\r\n.\r\n' $n
		# the third only once the first two are in flight
		[ $n = 2 ] && sleep 1
	done
	printf 'QUIT\r\n'
} | "$ml" -l | tr -d '\r' | grep -v '^250 2\.1\.5 ' |
    sed -n 's/^\([245][0-9][0-9] [0-9.]*\) <p9> .*/\1/p' | tr '\n' ' ')
tap_is "worker killed with two requests: both 451 4.x, the third delivered" \
    "$out" "451 4.3.0 451 4.3.0 250 2.0.0 "
rm -f /home/p9/.forward
tap_done
