# tests/attack/attack.sh: what every attack test asserts.
#
# Sourced after tests/tap.sh and tests/sandbox/sandbox.sh, once
# sandbox_enter has run.  Two questions are asked of every attack:
#
#   Did anything change outside what the attack was allowed to reach?
#     at_mark                      remember "now"
#     at_changed [ERE]...          print every path under the sandbox's
#                                  /etc /var /home /root /tmp /usr /opt
#                                  /dev/shm whose inode changed (content,
#                                  mode, owner, links) since at_mark, and
#                                  "removed: PATH" for each that went
#                                  away, except those matching one of the
#                                  EREs (whole path, anchored)
#     at_unchanged NAME [ERE]...   a TAP point: at_changed printed nothing
#
#   Did any process gain a privilege it should not hold?
#     at_watch_start               sample every process's ids and
#                                  capability sets from /proc/PID/status
#                                  (the sandbox has its own PID namespace)
#     at_watch_check NAME [--expect PROG]... [--expect-child]
#                                  stop sampling; a TAP point: the rules of
#                                  tests/attack/capwatch.py held, and the
#                                  named programs (or a program that
#                                  postern ran) were seen while running
#
# Processes live for milliseconds: a test that wants them seen keeps them
# running (a slow stdin, an LMTP session that pauses before QUIT).
#
# Other helpers:
#   at_ml                       mail.local's installed path
#   at_sendmail                 sendmail's installed path
#   at_conf LINE...             write postern.conf (myhostname given)

at_ml=$POSTERN_LIBEXECDIR/mail.local
at_sendmail=$POSTERN_SBINDIR/sendmail
at_watcher=
AT_ROOTS="/etc /var /home /root /tmp /usr /opt /dev/shm"

at_conf() {
	{
		echo "myhostname = test.example"
		for _l in "$@"; do echo "$_l"; done
	} >"$POSTERN_CONFIG_DIR/postern.conf"
}

# at_find ARGS...: find over the roots, the sandbox's scratch and the
# source and build trees left out.
at_find() {
	_at_bld=$(cd "$top_builddir" && pwd -P)
	_at_src=$(cd "$top_srcdir" && pwd -P)
	# shellcheck disable=SC2086
	find $AT_ROOTS \( -path "$_at_bld" -o -path "$_at_src" -o -path /proc \
	    -o -path "$SB" \) -prune -o "$@" 2>/dev/null
}

at_mark() {
	at_find -print | sort >"$SB/at.list" ||
		tap_bail "cannot write $SB/at.list"
	: >"$SB/at.mark" || tap_bail "cannot write $SB/at.mark"
	# Inode times have a clock tick's granularity: step past it, so a
	# change right after the mark is newer than the mark.
	sleep 0.02
}

at_changed() {
	_at_pat='^$'
	for _at_e in "$@"; do _at_pat="$_at_pat|^($_at_e)\$"; done
	{
		at_find -cnewer "$SB/at.mark" -print
		at_find -print | sort | comm -23 "$SB/at.list" - |
		    sed 's/^/removed: /'
	} | grep -Ev "$_at_pat" | grep -Ev "^removed: ($_at_pat)" | sort
}

at_unchanged() {
	_at_name=$1
	shift
	_at_chg=$(at_changed "$@")
	if [ -z "$_at_chg" ]; then
		tap_ok "$_at_name: nothing else changed"
	else
		tap_fail "$_at_name: nothing else changed" \
		    "changed: $(printf '%s\n' "$_at_chg" | head -20 | tr '\n' ' ')"
	fi
}

at_watch_start() {
	[ -z "$at_watcher" ] || tap_bail "at_watch_start: already watching"
	: >"$SB/at.watch"
	/usr/bin/python3 "$top_srcdir/tests/attack/capwatch.py" watch \
	    "$SB/at.watch" &
	at_watcher=$!
	# Let it take its first sample before the attack starts.
	_at_i=0
	while [ ! -s "$SB/at.watch" ] && [ $_at_i -lt 100 ]; do
		sleep 0.02
		_at_i=$((_at_i + 1))
	done
}

at_watch_check() {
	_at_name=$1
	shift
	[ -n "$at_watcher" ] || tap_bail "at_watch_check: not watching"
	kill -TERM "$at_watcher" 2>/dev/null
	wait "$at_watcher" 2>/dev/null
	at_watcher=
	_at_rep=$(/usr/bin/python3 "$top_srcdir/tests/attack/capwatch.py" check \
	    "$SB/at.watch" --sbindir "$POSTERN_SBINDIR" \
	    --libexecdir "$POSTERN_LIBEXECDIR" "$@")
	if [ $? -eq 0 ]; then
		tap_ok "$_at_name: no process held more than its due"
		tap_diag "$_at_name: $(printf '%s\n' "$_at_rep" | head -1)"
	else
		tap_fail "$_at_name: no process held more than its due" \
		    "$(printf '%s\n' "$_at_rep" | head -20)"
	fi
}
