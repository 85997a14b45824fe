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
#   100 rcpts      one 4 KiB message to 100 recipients in one session
#   100 MiB        one 100 MiB message: wall time and peak RSS
#   8 writers      N messages by 8 concurrent processes into one mbox
# Floors on the same disk: N appends of 4 KiB + fsync; the same plus a
# fork+exec of /bin/true per message.
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
	    dovecot-core procmail \
	    >"$cache/download.log" 2>&1 &&
	    for d in ./*.deb; do dpkg -x "$d" root; done) ||
		echo "bench: could not fetch the peers: see $cache/download.log"
fi
sandbox_enter "$@"

disk=$top_builddir/bench-disk
br=$top_builddir/bench/benchrun
ml=$POSTERN_LIBEXECDIR/mail.local
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
rc100=""
i=0
while [ $i -lt 100 ]; do rc100="$rc100 alice"; i=$((i + 1)); done
# shellcheck disable=SC2086
lmtp_session 1 $rc100 >"$SB/session100"
head -c $((100 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 1000 >"$SB/big"

clean() {
	rm -rf /var/mail/* /home/alice/* /home/bob/*
	chmod 2775 /var/mail
	sync
}
# row NAME CMD...: run benchrun, print msgs/s or the failure.
printf '%-16s %-22s %10s %10s %12s %10s\n' row program "msg/s" seconds \
    "peak RSS KiB" delivered
# (msg/s counts deliveries: for the 100-recipient row, copies delivered)
# Messages that arrived: From_ lines in alice's mbox, files in her
# Maildir's new/ (what the figures count must really be there).
delivered() {
	_m=$(grep -c '^From ' /var/mail/alice 2>/dev/null)
	_d=$(ls /home/alice/Maildir/new 2>/dev/null | wc -l)
	echo $((${_m:-0} + _d))
}
# line ROW PROGRAM "BENCHRUN OUTPUT" [MESSAGES PER RUN]
line() {
	_per=${4:-1}
	_got=$(delivered)
	[ "$1" != floor ] || _got=-
	set -- "$1" "$2" $3
	if [ "${7:-0}" != 0 ]; then
		printf '%-16s %-22s %10s %10s %12s  (%s of %s runs failed)\n' \
		    "$1" "$2" "-" "$4" "$6" "$7" "$3"
	else
		printf '%-16s %-22s %10s %10s %12s %10s\n' "$1" "$2" \
		    "$(awk -v r="$3" -v s="$4" -v p="$_per" \
		    'BEGIN { printf "%.0f", r * p / s }')" "$4" "$6" \
		    "$_got/$(($3 * _per))" | sed 's| -/[0-9]*$| -|' 
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
line "floor" "spawn+append+fsync" "$("$br" -f spawn -n "$N" -- /var/mail/floor)"

if have "$ml"; then
	clean
	line "pipe mbox" "postern mail.local" \
	    "$("$br" -n "$N" -i "$msg" -- "$ml" -f bench@example.org alice)"
fi
if have "$sm_ml"; then
	clean
	sm_spool
	line "pipe mbox" "sendmail mail.local" \
	    "$("$br" -n "$N" -i "$msg" -- "$sm_ml" -f bench@example.org alice)"
else
	na "pipe mbox" "sendmail mail.local" "not fetched (see $cache/download.log)"
fi
if have "$dl"; then
	clean
	line "pipe mbox" "dovecot-lda" \
	    "$("$br" -n "$N" -i "$msg" -- "$SB/dovecot-lda" alice -f bench@example.org)"
fi
if have "$pm"; then
	clean
	line "pipe mbox" "procmail" \
	    "$("$br" -n "$N" -i "$msg" -- "$pm" -f bench@example.org -d alice)"
fi

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
if have "$sm_ml"; then
	clean
	sm_spool
	line "lmtp $((N / 2)) msgs" "sendmail mail.local" \
	    "$("$br" -i "$SB/session" -- "$sm_ml" -l)" $((N / 2))
fi
na "lmtp $((N / 2)) msgs" "dovecot-lda, procmail" "no LMTP mode"

clean
line "100 rcpts (lmtp)" "postern mail.local" \
    "$("$br" -i "$SB/session100" -- "$ml" -l)" 100
if have "$sm_ml"; then
	clean
	sm_spool
	line "100 rcpts (lmtp)" "sendmail mail.local" \
	    "$("$br" -i "$SB/session100" -- "$sm_ml" -l)" 100
fi

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
