# tests/tap.sh: a small TAP producer for shell tests, sourced by each test.
# tap_plan N | tap_ok DESC | tap_fail DESC [DIAG] | tap_check DESC CMD... |
# tap_is DESC GOT WANT | tap_skip DESC REASON | tap_skip_all REASON | tap_done

tap_n=0
tap_failed=0
tap_planned=

# Print diagnostics: every line prefixed with "# ".
tap_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

tap_plan() {
	tap_planned=$1
	echo "1..$1"
}

tap_ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

tap_fail() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	[ $# -lt 2 ] || tap_diag "$2"
}

tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# tap_check DESC CMD...: ok when CMD exits 0; its output becomes diagnostics.
tap_check() {
	_d=$1
	shift
	if _out=$("$@" 2>&1); then
		tap_ok "$_d"
	else
		tap_fail "$_d" "command: $* (exit $?)
$_out"
	fi
}

# tap_check_fails DESC CMD...: ok when CMD exits non-zero.
tap_check_fails() {
	_d=$1
	shift
	if _out=$("$@" 2>&1); then
		tap_fail "$_d" "command unexpectedly succeeded: $*
$_out"
	else
		tap_ok "$_d"
	fi
}

tap_is() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "got:  '$2'
want: '$3'"
	fi
}

tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

tap_bail() {
	echo "Bail out! $*"
	exit 1
}

tap_done() {
	[ -n "$tap_planned" ] || echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
