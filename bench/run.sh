#!/bin/sh
# bench/run.sh: the delivery benchmark (`make bench`), as root.
#
# It runs inside the test sandbox (tests/sandbox/sandbox.sh), so the host's
# mail setup is never touched, with the mail spool and the homes bound to
# directories on the build tree's disk, so fsync costs what it costs there.
# The peers are Debian's binaries unpacked with `apt-get download` and
# `dpkg -x` into $BENCH_CACHE (default: bench-cache in the build tree):
# sendmail's mail.local (sendmail-bin, with liblockfile1), dovecot-lda
# (dovecot-core) and procmail, copied into the sandbox's private /usr.  A peer that cannot be fetched or run prints "n/a" and why.
#
# Rows (BENCH_N scales the counts, default 2000):
#   pipe mbox      N x 4 KiB messages, one process each, into one mbox
#   pipe Maildir   the same into a Maildir (postern and dovecot-lda)
#   lmtp session   N/2 messages of 4 KiB in one LMTP session
#   100 rcpts      one 4 KiB message to 100 recipients in one session,
#                  N/100 sessions (one alone is over in a few ms: noise)
#   100 MiB        one 100 MiB message: wall time and peak RSS
#   8 writers      N messages by 8 concurrent processes into one mbox
# Rows "postern, static PIE" run the same mail.local linked statically
# (configure --enable-static-mail-local), when the toolchain can link it.
# Floors on the same disk: N appends of 4 KiB + fsync; the same plus a
# fork+exec of /bin/true per message; and the least that DESIGN.md's rule
# 1 (every delivery in a child that has become the recipient) adds to
# each: a child forked per message that appends and exits ("fork", up to
# 8 at once as mail.local's deliveries), and the spawn plus that child
# ("spawn+fork": what a delivery agent started per message that delivers
# in a child costs at the least).
#
# Columns: msg/s, seconds, the peak RSS of any process, what arrived, and
# the page faults per message of the program and the processes it waited
# for (benchrun's own fork before the exec included, as in the floors):
# on a virtual machine whose hypervisor shadows the page tables each
# fault costs tens of microseconds, and process creation is mostly
# faults.
#
# The pipe mbox and 100-recipient rows run in rounds (BENCH_ROUNDS, below).
#
# Output: one table, figures only; no pass or fail.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"

N=${BENCH_N:-2000}
cache=${BENCH_CACHE:-$top_builddir/bench-cache}
peers=$cache/root
# Fetch the peers before entering the sandbox: it has no network.
if [ -z "${POSTERN_IN_SANDBOX:-}" ] && [ ! -d "$peers/usr" ]; then
	mkdir -p "$cache"
	(cd "$cache" && apt-get download sendmail-bin liblockfile1 liblockfile-bin \
	    dovecot-core procmail postfix dma opensmtpd sendmail-cf libwrap0 \
	    >"$cache/download.log" 2>&1 &&
	    for d in sendmail-bin liblockfile1 liblockfile-bin dovecot-core libwrap0 \
	        procmail; do dpkg -x ./"$d"_*.deb root; done &&
	    for d in postfix dma opensmtpd sendmail-cf; do
		dpkg -x ./"$d"_*.deb "sub-$d"
	    done) ||
		echo "bench: could not fetch the peers: see $cache/download.log"
fi
sandbox_enter "$@"

disk=$top_builddir/bench-disk
br=$top_builddir/bench/benchrun
ml=$POSTERN_LIBEXECDIR/mail.local
# The same mail.local linked as a static PIE (configure's
# --enable-static-mail-local), when the toolchain can build one.
mls=$top_builddir/mail.local/mail.local-static
mkdir -p "$cache" "$disk"
rm -rf "${disk:?}"/*
mkdir -p "$disk/spool" "$disk/home"
chown root:mail "$disk/spool" && chmod 2775 "$disk/spool"
mount --bind "$disk/spool" /var/mail
mount --bind "$disk/home" /home
for u in alice bob; do
	mkdir -p "/home/$u" && chown "$u:$u" "/home/$u"
done
conf() { printf 'myhostname = bench.example\nmessage_size_limit = 200m\n%s' \
    "${1:-}" >"$POSTERN_CONFIG_DIR/postern.conf"; }
conf

# The sandbox's /usr is a private overlay: unpack the peers into it, so
# they find their libraries and helpers (doveconf) where they expect.
if [ -d "$peers/usr" ]; then
	cp -a "$peers/usr/." /usr/
	# liblockfile's helper, as Debian installs it: sendmail's
	# mail.local needs it to make its dotlock.
	chgrp mail /usr/bin/dotlockfile && chmod 2755 /usr/bin/dotlockfile
fi
sm_ml=/usr/libexec/sendmail/mail.local
dl=/usr/lib/dovecot/dovecot-lda
pm=/usr/bin/procmail
mkdir -p /etc/dovecot
cat >/etc/dovecot/bench.conf <<EOF
mail_location = mbox:/home/%u/mail:INBOX=/var/mail/%u
mail_privileged_group = mail
postmaster_address = postmaster@bench.example
protocols =
ssl = no
log_path = /dev/null
EOF
# dovecot-lda -d asks dovecot's auth daemon for the user, which is not
# running here: it is run as the user instead (setpriv, a few hundred
# microseconds more per message), with the mbox dotlock done through the
# mail group it is given.
cat >"$SB/dovecot-lda" <<EOF
#!/bin/sh
u=\$1; shift
exec setpriv --reuid=\$u --regid=\$u --init-groups env -i HOME=/home/\$u USER=\$u \\
    $dl -c /etc/dovecot/bench.conf "\$@"
EOF
chmod 755 "$SB/dovecot-lda"
cat >"$SB/dovecot-lda-maildir" <<EOF
#!/bin/sh
u=\$1; shift
exec setpriv --reuid=\$u --regid=\$u --init-groups env -i HOME=/home/\$u USER=\$u \\
    $dl -c /etc/dovecot/bench.conf -o mail_location=maildir:~/Maildir "\$@"
EOF
chmod 755 "$SB/dovecot-lda-maildir"
# /etc/group is bound to its inode: rewrite it in place.
sed 's/^mail:x:\([0-9]*\):$/mail:x:\1:alice/' /etc/group >"$SB/group.bench" &&
	cat "$SB/group.bench" >/etc/group

# A 4 KiB message and the LMTP session files.
msg=$SB/msg
{
	printf 'From: bench@example.org\nSubject: bench\n\n'
	i=0
	while [ $i -lt 56 ]; do
		printf 'line %02d of the benchmark message, 4 KiB in all ....................\n' $i
		i=$((i + 1))
	done
} >"$msg"
lmtp_session() { # COUNT RCPTS...
	_c=$1
	shift
	printf 'LHLO bench\r\n'
	awk -v c="$_c" -v rcpts="$*" -v f="$msg" 'BEGIN {
		n = split(rcpts, r, " ")
		while ((getline l < f) > 0) body = body l "\r\n"
		for (i = 0; i < c; i++) {
			printf "MAIL FROM:<bench@example.org>\r\n"
			for (k = 1; k <= n; k++) printf "RCPT TO:<%s>\r\n", r[k]
			printf "DATA\r\n%s.\r\n", body
		}
	}'
	printf 'QUIT\r\n'
}
lmtp_session $((N / 2)) alice >"$SB/session"
# 100 different users: the same one 100 times is one destination (one
# copy: duplicates are suppressed).
rc100=""
i=0
while [ $i -lt 100 ]; do
	sb_add_user "r$i" $((4000 + i)) >/dev/null 2>&1
	rc100="$rc100 r$i"
	i=$((i + 1))
done
# shellcheck disable=SC2086
lmtp_session 1 $rc100 >"$SB/session100"
{ printf 'Subject: big\n\n'; head -c $((100 * 1024 * 1024)) /dev/zero |
    tr '\0' 'x' | fold -w 1000; } >"$SB/big"

# Every run starts with alice's mbox there, empty, last read long ago.
# procmail sleeps one second before its first delivery into a mailbox
# whose access time is not older than its change (a new file, or mail the
# user has read since), so that mail readers see new mail: a second for
# each run, and nothing about its rate per message (over 2000 messages
# from a new mailbox, procmail looked a quarter slower than it is).
clean() {
	rm -rf /var/mail/* /home/alice/* /home/bob/*
	chmod 2775 /var/mail
	: >/var/mail/alice && chown alice:mail /var/mail/alice &&
	    chmod 0600 /var/mail/alice && touch -a -d @1 /var/mail/alice
	sync
}
# row NAME CMD...: run benchrun, print msgs/s or the failure.
printf '%-16s %-22s %10s %10s %12s %10s %10s\n' row program "msg/s" seconds \
    "peak RSS KiB" delivered "faults/msg"
# (msg/s counts deliveries: for the 100-recipient row, copies delivered)
# Messages that arrived: From_ lines in the mboxes, files in alice's
# Maildir's new/ (what the figures count must really be there).
delivered() {
	_m=$(cat /var/mail/* 2>/dev/null | grep -c '^From ')
	_d=$(ls /home/alice/Maildir/new 2>/dev/null | wc -l)
	echo $((${_m:-0} + _d))
}
# line ROW PROGRAM "BENCHRUN OUTPUT" [MESSAGES PER RUN [DELIVERED]]
line() {
	_per=${4:-1}
	_got=${5:-$(delivered)}
	[ "$1" != floor ] || _got=-
	set -- "$1" "$2" $3
	if [ "${7:-0}" != 0 ]; then
		printf '%-16s %-22s %10s %10s %12s  (%s of %s runs failed)\n' \
		    "$1" "$2" "-" "$4" "$6" "$7" "$3"
	else
		[ "$_got" = - ] || _got="$_got/$(($3 * _per))"
		printf '%-16s %-22s %10s %10s %12s %10s %10s\n' "$1" "$2" \
		    "$(awk -v r="$3" -v s="$4" -v p="$_per" \
		    'BEGIN { printf "%.0f", r * p / s }')" "$4" "$6" "$_got" \
		    "$(awk -v f="${8:-0}" -v p="$_per" \
		    'BEGIN { printf "%.1f", f / p }')"
	fi
}
na() { printf '%-16s %-22s %10s  n/a: %s\n' "$1" "$2" - "$3"; }
have() { [ -x "$1" ]; }
# sendmail's mail.local locks with liblockfile as the recipient, which
# cannot create USER.lock in Debian's root:mail 2775 spool (it does not
# use the setgid dotlockfile helper when run by root): for its rows the
# spool is 1777, the other common layout; clean() puts 2775 back.
sm_spool() { chmod 1777 /var/mail; }

clean
line "floor" "append+fsync" "$("$br" -f append -n "$N" -- /var/mail/floor)"
clean
line "floor" "fork+append+fsync" \
    "$("$br" -f fork -j 8 -n "$N" -- /var/mail/floor)"
clean
line "floor" "spawn+append+fsync" "$("$br" -f spawn -n "$N" -- /var/mail/floor)"
clean
line "floor" "spawn+fork+app.+fsync" \
    "$("$br" -f spawn-fork -n "$N" -- /var/mail/floor)"

# The pipe mbox and 100-recipient rows are the closest races: each
# program's runs go in BENCH_ROUNDS rounds (default 4), the programs in
# turn within a round, each run into an empty spool, so that a drift of
# the disk or the CPU over the minutes these rows take weighs on all alike.
rounds=${BENCH_ROUNDS:-4}
# per_round COUNT: COUNT's share of one round, at least 1.
per_round() {
	_x=$(($1 / rounds))
	[ "$_x" -gt 0 ] || _x=1
	echo "$_x"
}
# bench_run ROW PROGRAM: one round's run; benchrun's line and what arrived.
bench_run() {
	clean
	case $1:$2 in
	pipe:postern|pipe:static)
		[ "$2" = postern ] && _b=$ml || _b=$mls
		"$br" -n "$(per_round "$N")" -i "$msg" -- "$_b" -f bench@example.org alice ;;
	pipe:sendmail) sm_spool
		"$br" -n "$(per_round "$N")" -i "$msg" -- "$sm_ml" -f bench@example.org alice ;;
	pipe:dovecot) "$br" -n "$(per_round "$N")" -i "$msg" -- "$SB/dovecot-lda" \
		alice -f bench@example.org ;;
	pipe:procmail) "$br" -n "$(per_round "$N")" -i "$msg" -- "$pm" \
		-f bench@example.org -d alice ;;
	rcpt100:postern|rcpt100:static)
		[ "$2" = postern ] && _b=$ml || _b=$mls
		"$br" -n "$(per_round $((N / 100)))" -i "$SB/session100" -- "$_b" -l ;;
	rcpt100:sendmail) sm_spool
		"$br" -n "$(per_round $((N / 100)))" -i "$SB/session100" -- "$sm_ml" -l ;;
	esac | tr '\n' ' '
	delivered
}
# bench_rounds ROW TITLE PER-RUN PROGRAM...: the rounds, then one line
# each (runs and seconds add up, peak RSS is the largest, faults are
# weighed by runs).
bench_rounds() {
	_row=$1 _title=$2 _per=$3
	shift 3
	_r=0
	rm -f "$SB"/rounds.*
	while [ $_r -lt "$rounds" ]; do
		for _p in "$@"; do
			bench_run "$_row" "$_p" >>"$SB/rounds.$_p"
		done
		_r=$((_r + 1))
	done
	for _p in "$@"; do
		case $_p in
		postern) _name="postern mail.local" ;;
		static) _name="postern, static PIE" ;;
		sendmail) _name="sendmail mail.local" ;;
		dovecot) _name="dovecot-lda" ;;
		procmail) _name="procmail" ;;
		esac
		_sum=$(awk '{ n += $1; s += $2; if ($4 > m) m = $4; f += $5
		    pf += $1 * $6; d += $7 } END { printf "%d %.3f %.0f %d %d %.0f %d",
		    n, s, n / s, m, f, pf / n, d }' "$SB/rounds.$_p")
		line "$_title" "$_name" "${_sum% *}" "$_per" "${_sum##* }"
	done
}
progs=
have "$ml" && progs="$progs postern"
have "$mls" && progs="$progs static"
have "$sm_ml" && progs="$progs sendmail"
have "$dl" && progs="$progs dovecot"
have "$pm" && progs="$progs procmail"
# shellcheck disable=SC2086
bench_rounds pipe "pipe mbox" 1 $progs
have "$sm_ml" ||
	na "pipe mbox" "sendmail mail.local" "not fetched (see $cache/download.log)"

clean
conf 'home_mailbox = Maildir/
'
line "pipe Maildir" "postern mail.local" \
    "$("$br" -n "$N" -i "$msg" -- "$ml" -f bench@example.org alice)"
conf
if have "$dl"; then
	clean
	line "pipe Maildir" "dovecot-lda" \
	    "$("$br" -n "$N" -i "$msg" -- "$SB/dovecot-lda-maildir" alice -f bench@example.org)"
fi

clean
line "lmtp $((N / 2)) msgs" "postern mail.local" \
    "$("$br" -i "$SB/session" -- "$ml" -l)" $((N / 2))
if have "$mls"; then
	clean
	line "lmtp $((N / 2)) msgs" "postern, static PIE" \
	    "$("$br" -i "$SB/session" -- "$mls" -l)" $((N / 2))
fi
if have "$sm_ml"; then
	clean
	sm_spool
	line "lmtp $((N / 2)) msgs" "sendmail mail.local" \
	    "$("$br" -i "$SB/session" -- "$sm_ml" -l)" $((N / 2))
fi
na "lmtp $((N / 2)) msgs" "dovecot-lda, procmail" "no LMTP mode"

progs=postern
have "$mls" && progs="$progs static"
have "$sm_ml" && progs="$progs sendmail"
# shellcheck disable=SC2086
bench_rounds rcpt100 "100 rcpts (lmtp)" 100 $progs

clean
line "100 MiB" "postern mail.local" \
    "$("$br" -i "$SB/big" -- "$ml" -f bench@example.org alice)"
if have "$sm_ml"; then
	clean
	sm_spool
	line "100 MiB" "sendmail mail.local" \
	    "$("$br" -i "$SB/big" -- "$sm_ml" -f bench@example.org alice)"
fi
if have "$dl"; then
	clean
	line "100 MiB" "dovecot-lda" \
	    "$("$br" -i "$SB/big" -- "$SB/dovecot-lda" alice -f bench@example.org)"
fi
if have "$pm"; then
	clean
	line "100 MiB" "procmail" \
	    "$("$br" -i "$SB/big" -- "$pm" -f bench@example.org -d alice)"
fi

clean
line "8 writers" "postern mail.local" \
    "$("$br" -j 8 -n "$N" -i "$msg" -- "$ml" -f bench@example.org alice)"
if have "$sm_ml"; then
	clean
	sm_spool
	line "8 writers" "sendmail mail.local" \
	    "$("$br" -j 8 -n "$N" -i "$msg" -- "$sm_ml" -f bench@example.org alice)"
fi
if have "$dl"; then
	clean
	line "8 writers" "dovecot-lda" \
	    "$("$br" -j 8 -n "$N" -i "$msg" -- "$SB/dovecot-lda" alice -f bench@example.org)"
fi
if have "$pm"; then
	clean
	line "8 writers" "procmail" \
	    "$("$br" -j 8 -n "$N" -i "$msg" -- "$pm" -f bench@example.org -d alice)"
fi
echo "(disk: $(df -P "$disk" | awk 'NR == 2 { print $1 }'), $(nproc) CPUs;" \
    "msg/s for rows of one message is runs/s)"

# ---------------------------------------------------------------------
# Submission: `sendmail -t -i` of a 4 KiB message by alice, one at a time
# (median and 90th percentile of wall and CPU time), and 1000 in a row.
# Peers, each unpacked into the sandbox with the setup its package's
# maintainer scripts would make: Postfix's sendmail + postdrop (setgid
# postdrop, maildrop 1730), dma (setgid mail, DEFER: queue only),
# OpenSMTPD's smtpctl as sendmail (setgid opensmtpq, offline queue),
# sendmail 8's MSP (setgid smmsp, submit.cf from sendmail-cf).
echo
sn=${BENCH_SUBMIT_N:-1000}
tmsg=$SB/tmsg
{ printf 'To: bob@example.org\n'; cat "$msg"; } >"$tmsg"
chmod 644 "$tmsg"
alice_ids="$(sb_uid alice):$(sb_gid alice)"
group_add() { # NAME GID: a group, /etc/group rewritten in place
	grep -q "^$1:" /etc/group && return 0
	{ cat /etc/group; echo "$1:x:$2:"; } >"$SB/group.bench" &&
		cat "$SB/group.bench" >/etc/group
}
subrow() { # NAME [-e CODE] CMD...: one line of figures
	_name=$1 _ok=0
	shift
	if [ "$1" = -e ]; then _ok=$2; shift 2; fi
	_one=$("$br" -s -e "$_ok" -u "$alice_ids" -n 200 -i "$tmsg" -- "$@")
	_many=$("$br" -e "$_ok" -u "$alice_ids" -n "$sn" -i "$tmsg" -- "$@")
	set -- $_one
	_f1=$7
	_r=$(echo "$_many" | awk '{ print $3 }')
	_f2=$(echo "$_many" | awk '{ print $5 }')
	if [ "$_f1" != 0 ] || [ "$_f2" != 0 ]; then
		printf '%-30s failed: %s and %s runs of 200 and %s\n' "$_name" \
		    "$_f1" "$_f2" "$sn"
		return
	fi
	printf '%-30s %9s %9s %9s %9s %10s\n' "$_name" "$2" "$3" "$4" "$5" "$_r"
}
printf '%-30s %9s %9s %9s %9s %10s\n' "submission (sendmail -t -i)" \
    "p50 ms" "p90 ms" "cpu p50" "cpu p90" "msgs/s"
subrow "postern sendmail" "$POSTERN_SBINDIR/sendmail" -t -i

sub=$cache
if [ -d "$sub/sub-postfix/usr" ]; then
	sb_add_user postfix 2100 >/dev/null 2>&1
	group_add postdrop 2102
	mkdir -p /usr/lib/postfix /etc/postfix /var/lib/postfix
	cp -a "$sub/sub-postfix/usr/lib/postfix/." /usr/lib/postfix/
	cp "$sub/sub-postfix/usr/sbin/sendmail" /usr/sbin/sendmail.postfix
	cp "$sub/sub-postfix/usr/sbin/postdrop" /usr/sbin/postdrop
	chgrp postdrop /usr/sbin/postdrop && chmod 2555 /usr/sbin/postdrop
	cat >/etc/postfix/main.cf <<EOF
compatibility_level = 3.6
myhostname = bench.example
queue_directory = /var/spool/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
data_directory = /var/lib/postfix
mail_owner = postfix
setgid_group = postdrop
EOF
	mkdir -p /var/spool/postfix/maildrop /var/spool/postfix/public
	chown postfix:postdrop /var/spool/postfix/maildrop /var/spool/postfix/public
	chmod 1730 /var/spool/postfix/maildrop
	chmod 2710 /var/spool/postfix/public
	subrow "Postfix sendmail+postdrop" /usr/sbin/sendmail.postfix -t -i
	echo "  (delivered to maildrop: $(ls /var/spool/postfix/maildrop | wc -l) files)"
fi
if [ -x "$sub/sub-dma/usr/sbin/dma" ]; then
	cp "$sub/sub-dma/usr/sbin/dma" /usr/sbin/dma
	chgrp mail /usr/sbin/dma && chmod 2755 /usr/sbin/dma
	mkdir -p /etc/dma /var/spool/dma
	printf 'DEFER\nMAILNAME bench.example\n' >/etc/dma/dma.conf
	chgrp mail /var/spool/dma && chmod 2775 /var/spool/dma
	subrow "dma (DEFER)" /usr/sbin/dma -t -i
	echo "  (queued: $(ls /var/spool/dma | wc -l) files)"
fi
if [ -x "$sub/sub-opensmtpd/usr/sbin/smtpctl" ]; then
	sb_add_user opensmtpq 2101 >/dev/null 2>&1
	cp "$sub/sub-opensmtpd/usr/sbin/smtpctl" /usr/sbin/smtpctl
	chgrp opensmtpq /usr/sbin/smtpctl && chmod 2555 /usr/sbin/smtpctl
	mkdir -p /var/spool/smtpd/offline /usr/local/lib/bench-osmtpd
	chgrp opensmtpq /var/spool/smtpd/offline
	chmod 1770 /var/spool/smtpd/offline
	chmod 711 /var/spool/smtpd
	ln -sf /usr/sbin/smtpctl /usr/local/lib/bench-osmtpd/sendmail
	# With no smtpd running, smtpctl writes the offline queue file and
	# exits 75 by design: that counts as done (the files are counted).
	subrow "OpenSMTPD smtpctl (offline)" -e 75 /usr/local/lib/bench-osmtpd/sendmail -t -i
	echo "  (offline queue: $(ls /var/spool/smtpd/offline | wc -l) files)"
fi
if [ -x /usr/libexec/sendmail/sendmail ] && command -v m4 >/dev/null &&
    [ -d "$sub/sub-sendmail-cf/usr/share/sendmail/cf" ]; then
	# sendmail 8's MSP: setgid smmsp with submit.cf made from the
	# distribution's submit.mc, queueing in clientmqueue (it first tries
	# 127.0.0.1:25, refused here at once); the host name in /etc/hosts
	# so it does not wait for DNS.
	cp "$sub/sub-sendmail-cf/usr/share/sendmail/cf/cf/submit.mc" "$SB/submit.mc"
	(cd "$sub/sub-sendmail-cf/usr/share/sendmail/cf" &&
	    m4 m4/cf.m4 "$SB/submit.mc") >"$SB/submit.cf" 2>/dev/null
	mkdir -p /etc/mail /var/spool/clientmqueue
	cp "$SB/submit.cf" /etc/mail/submit.cf
	grep -q '^smmsp:' /etc/passwd || {
		{ cat /etc/passwd; echo "smmsp:x:$(sb_gid "$POSTERN_SUBMIT_GROUP"):$(sb_gid "$POSTERN_SUBMIT_GROUP"):MSP:/var/lib/sendmail:/usr/sbin/nologin"; } \
		    >"$SB/passwd.bench" && cat "$SB/passwd.bench" >/etc/passwd; }
	echo "127.0.1.1 $(uname -n).bench.example $(uname -n)" >>/etc/hosts
	chown "$(sb_gid "$POSTERN_SUBMIT_GROUP"):$(sb_gid "$POSTERN_SUBMIT_GROUP")" /var/spool/clientmqueue
	chmod 0770 /var/spool/clientmqueue
	chgrp "$POSTERN_SUBMIT_GROUP" /usr/libexec/sendmail/sendmail
	chmod 2555 /usr/libexec/sendmail/sendmail
	subrow "sendmail 8 MSP" /usr/libexec/sendmail/sendmail -t -i
	echo "  (clientmqueue: $(ls /var/spool/clientmqueue | grep -c '^qf') qf files)"
fi
echo "(postern: $(ls "$POSTERN_QUEUE_DIR/submit/new" | wc -l) files in submit/new)"
