#!/bin/sh
# Every man page passes `mandoc -Tlint -W warning`: exit 0 and not a single
# message.  One test point per page.
set -u
. "$top_srcdir/tests/tap.sh"
command -v mandoc >/dev/null 2>&1 ||
	tap_skip_all "mandoc not installed (apt-get install mandoc)"
for page in "$top_srcdir"/man/*.[1-8]; do
	[ -f "$page" ] || continue
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		tap_ok "$(basename "$page")"
	else
		tap_fail "$(basename "$page")" "mandoc exit $rc
$out"
	fi
done
[ "$tap_n" -gt 0 ] || tap_fail "man pages found in $top_srcdir/man"
tap_done
