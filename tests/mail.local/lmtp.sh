#!/bin/sh
# LMTP conformance of mail.local -l in the sandbox: swaks as a real LMTP
# client over a pipe, then the scripted sessions of lmtp-conformance.py
# (pipelining, dot-stuffing, bare LF, CVE-2000-0319 line lengths with CR
# and LF in separate reads, the end marker split everywhere, the size
# limit, 1000 recipients, RSET, BDAT, long and NUL command lines, a client
# that vanishes mid-DATA, the idle timeout).
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"
command -v python3 >/dev/null || tap_skip_all "python3 is not installed"
command -v swaks >/dev/null || tap_skip_all "swaks is not installed"

. "$top_srcdir/tests/mail.local/setup.sh"

out=$(swaks --protocol LMTP --pipe "$ml -l" --from sender@example.org \
    --to alice,bob,nosuchuser --header 'Subject: by swaks' 2>&1)
tap_is "swaks over a pipe: exit 0" "$?" 0
case $out in
*"550 5.1.1 <nosuchuser>"*) tap_ok "swaks: the unknown user is refused at RCPT" ;;
*) tap_fail "swaks: the unknown user is refused at RCPT" "$out" ;;
esac
tap_is "swaks: alice and bob got it" \
    "$(grep -c '^Subject: by swaks' "$spool/alice" "$spool/bob" | tr '\n' ' ')" \
    "$spool/alice:1 $spool/bob:1 "
rm -f "$spool/alice" "$spool/bob"

# The scripted sessions print their own TAP; renumber it after ours.
python3 "$top_srcdir/tests/mail.local/lmtp-conformance.py" "$ml" "$spool" \
    "$conf" >"$SB/conf.tap" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*) tap_ok "${line#ok * - }" ;;
	"not ok "*) tap_fail "${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	"1.."*) ;;
	*) tap_diag "$line" ;;
	esac
done <"$SB/conf.tap"
tap_is "the scripted sessions ran to the end" "$rc:$(tail -n 1 "$SB/conf.tap" | cut -c1-3)" \
    "$([ "$tap_failed" -eq 0 ] && echo 0 || echo 1):1.."
tap_done
