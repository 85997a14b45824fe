#!/bin/sh
# lib/log.c reaches syslog: facility LOG_MAIL, the program name as ident with
# the pid, the message on one line.  In the sandbox a private /dev carries a
# /dev/log socket that logprobe reads itself.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

# A private /dev: the usual nodes bound in, /dev/log ours.
mkdir "$SB/dev"
for n in null zero full random urandom; do
	touch "$SB/dev/$n"
	mount --bind "/dev/$n" "$SB/dev/$n"
done
mount --rbind "$SB/dev" /dev

out=$("$top_builddir/tests/lib/logprobe" /dev/log 2>&1)
tap_is "logprobe exit status" "$?" 0
# <20>: LOG_MAIL (2 << 3) | LOG_WARNING (4).
case $out in
"<20>"*) tap_ok "priority is mail.warning" ;;
*) tap_fail "priority is mail.warning" "$out" ;;
esac
case $out in
*" logprobe["[0-9]*"]: /var/mail/bob: is a symbolic link forged line") tap_ok "ident, pid and one-line message" ;;
*) tap_fail "ident, pid and one-line message" "$out" ;;
esac
tap_done
