#!/bin/sh
# configure stops with a one-line hint naming the Debian package when
# Berkeley DB or libcap is missing, and refuses relative paths.  The
# missing header is simulated with autoconf's cache variables.
. "$top_srcdir/tests/tap.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cfg.XXXXXX") || tap_bail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# try NAME EXPECTED-TEXT CONFIGURE-ARGS...
try() {
	_name=$1 _want=$2
	shift 2
	mkdir "$tmp/$_name"
	out=$(cd "$tmp/$_name" && "$top_srcdir/configure" -q "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$out" | grep -c "$_want")" -eq 1 ]; then
		tap_ok "$_name: configure fails with '$_want'"
	else
		tap_fail "$_name: configure fails with '$_want'" "exit $rc: $out"
	fi
}

try no-db "apt-get install libdb-dev" ac_cv_header_db_h=no
try no-db-lib "apt-get install libdb-dev" ac_cv_search_db_create=no
try no-cap "apt-get install libcap-dev" ac_cv_header_sys_capability_h=no
try no-cap-lib "apt-get install libcap-dev" ac_cv_search_cap_get_proc=no
try relative-queue "path must be absolute" --with-queue-dir=var/spool
try bad-group "invalid user or group name" --with-submit-group='a b'
tap_done
