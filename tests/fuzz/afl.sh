#!/bin/sh
# tests/fuzz/afl.sh: AFL++ runs of the whole programs on stdin, as they
# are installed: `sendmail -bs` and `mail.local -l`.  Run by `make afl`
# (AFL_SECONDS each, default 600, passed as POSTERN_AFL_SECONDS: AFL
# complains of unknown AFL_ variables), which builds an instrumented tree
# with afl-clang-fast in afl-build/ and points top_builddir at it, so the
# sandbox installs the instrumented programs; the sandbox keeps the runs'
# queue files and deliveries away from the host (and a cleaner empties
# them every few seconds).  Prints each run's figures from AFL's
# fuzzer_stats; fails when a run found a crash (kept in afl-out/).
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
command -v afl-fuzz >/dev/null 2>&1 ||
	tap_skip_all "afl-fuzz not installed (apt-get install afl++)"
sandbox_enter "$@"

secs=${POSTERN_AFL_SECONDS:-600}
out=$top_builddir/../afl-out
rm -rf "$out" && mkdir -p "$out" || tap_bail "cannot make $out"
printf 'myhostname = afl.example\nmessage_size_limit = 1000000\n' \
    >"$POSTERN_CONFIG_DIR/postern.conf"

# What the runs queue and deliver goes away every 5 s (the sandbox's
# /var is a tmpfs of 1 GiB).
(
	while :; do
		find "$POSTERN_QUEUE_DIR/submit/new" "$POSTERN_QUEUE_DIR/submit/tmp" \
		    -type f -delete 2>/dev/null
		for m in "$POSTERN_MAIL_SPOOL"/*; do
			[ -f "$m" ] && : >"$m"
		done
		sleep 5
	done
) &
cleaner=$!

unset ASAN_OPTIONS
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_TMPDIR=$SB
# run NAME CORPUS PROGRAM ARGS...
run() {
	_name=$1 _corpus=$2
	shift 2
	tap_diag "afl-fuzz $_name for $secs s: $*"
	afl-fuzz -i "$_corpus" -o "$out/$_name" -t 2000 -V "$secs" -- "$@" \
	    >"$out/$_name.log" 2>&1
	_st=$out/$_name/default/fuzzer_stats
	if [ ! -f "$_st" ]; then
		tap_fail "$_name: afl-fuzz ran" "$(tail -20 "$out/$_name.log")"
		return
	fi
	_v() { sed -n "s/^$1 *: *//p" "$_st"; }
	tap_diag "$_name: $(_v execs_done) execs in $(_v run_time) s" \
	    "($(_v execs_per_sec)/s), $(_v corpus_count) paths," \
	    "$(_v saved_crashes) crashes, $(_v saved_hangs) hangs," \
	    "stability $(_v stability)"
	tap_is "$_name: no crash found" "$(_v saved_crashes)" 0
}
run sendmail-bs "$top_srcdir/tests/fuzz/corpus/bs" \
    "$POSTERN_SBINDIR/sendmail" -bs
run mail.local-l "$top_srcdir/tests/fuzz/corpus/lmtp" \
    "$POSTERN_LIBEXECDIR/mail.local" -l
kill "$cleaner" 2>/dev/null
tap_done
