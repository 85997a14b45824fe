#!/bin/sh
# Golden files for the aliases parser: every tests/aliases/parse-*.in is read by
# tests/aliases/aliasdump and its output must equal the .out beside it
# (Postfix's .in/.ref habit).  To accept a new output after a deliberate
# change: aliasdump X.in X.in >X.out, and review the diff.
set -u
. "$top_srcdir/tests/tap.sh"
dump=$top_builddir/tests/aliases/aliasdump
[ -x "$dump" ] || tap_bail "$dump is not built"
cd "$top_srcdir/tests/aliases" || tap_bail "no tests/aliases"
for f in parse-*.in; do
	got=$("$dump" "$f" "$f" 2>&1)
	want=$(cat "${f%.in}.out")
	tap_is "golden: $f" "$got" "$want"
done
tap_done
