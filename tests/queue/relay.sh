#!/bin/sh
# queue/relay.c against scripted SMTP servers on 127.0.0.1 (smtp-sink.py):
# a normal session, PIPELINING, 550 and 452 for one RCPT, 421 at the
# greeting, 8BITMIME offered or not, a SIZE limit below the message,
# multi-line replies, a server closing mid-DATA, a server that never
# answers, dot-stuffing and CRLF checked byte for byte, HELO fallback, a
# refused MAIL, connection refused, bad relayhost values, an over-long
# reply line.  Needs python3 and loopback networking, no root.
set -u
. "$top_srcdir/tests/tap.sh"
command -v python3 >/dev/null || tap_skip_all "python3 is not installed"
rt=$top_builddir/tests/queue/relaytest
[ -x "$rt" ] || tap_bail "$rt is not built"
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))' \
    2>/dev/null || tap_skip_all "no loopback networking here"
exec python3 "$top_srcdir/tests/queue/smtp-sink.py" "$rt"
