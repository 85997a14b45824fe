# tests/tap.sh: a small TAP producer for shell tests, sourced by each test.
#
# Inputs: the test's own calls; nothing from outside.  Output: TAP on
# stdout for automake's tap-driver.sh.  A test that finds it cannot run
# here says why with tap_skip_all; a broken set-up is tap_bail.
#
#   tap_plan N                 print the plan first (optional)
#   tap_ok DESC                a passing test point
#   tap_fail DESC [DIAG]       a failing one, DIAG printed as "# " lines
#   tap_check DESC CMD...      ok when CMD exits 0, else its output as DIAG
#   tap_check_fails DESC CMD...  ok when CMD exits non-zero
#   tap_is DESC GOT WANT       ok when the two strings are equal
#   tap_skip DESC REASON       a skipped test point
#   tap_skip_all REASON        "1..0 # SKIP REASON", exit 0
#   tap_bail REASON            "Bail out! REASON", exit 1
#   tap_diag TEXT              TEXT as "# " lines
#   tap_done                   the plan if none was given; exit 1 when a
#                              test failed or the plan was not met
#
# Names starting with tap_ and _tap are reserved for this file.

tap_n=0
tap_failed=0
tap_planned=

# Print TEXT as diagnostics, every line prefixed with "# ".
tap_diag() {
	[ -n "$*" ] || return 0
	printf '%s\n' "$*" | sed 's/^/# /'
}

# Print the plan up front.
tap_plan() {
	tap_planned=$1
	echo "1..$1"
}

# Report a passing test point.
tap_ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

# Report a failing test point, with optional diagnostics.
tap_fail() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	[ $# -lt 2 ] || tap_diag "$2"
}

# Report a skipped test point with its reason.
tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# tap_check DESC CMD...: ok when CMD exits 0; else its output becomes
# diagnostics.
tap_check() {
	_tap_d=$1
	shift
	if _tap_out=$("$@" 2>&1); then
		tap_ok "$_tap_d"
	else
		tap_fail "$_tap_d" "command: $* (exit $?)
$_tap_out"
	fi
}

# tap_check_fails DESC CMD...: ok when CMD exits non-zero.
tap_check_fails() {
	_tap_d=$1
	shift
	if _tap_out=$("$@" 2>&1); then
		tap_fail "$_tap_d" "command unexpectedly succeeded: $*
$_tap_out"
	else
		tap_ok "$_tap_d"
	fi
}

# tap_is DESC GOT WANT: ok when GOT and WANT are the same string.
tap_is() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "got:  '$2'
want: '$3'"
	fi
}

# Skip the whole test with a reason; only before any test point.
tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# Abort the test: the harness reports an error.
tap_bail() {
	echo "Bail out! $*"
	exit 1
}

# Finish: print the plan if none was given, and exit with the verdict.
tap_done() {
	if [ -z "$tap_planned" ]; then
		echo "1..$tap_n"
	elif [ "$tap_planned" -ne "$tap_n" ]; then
		tap_diag "planned $tap_planned tests but ran $tap_n"
		exit 1
	fi
	[ "$tap_failed" -eq 0 ] || exit 1
	exit 0
}
