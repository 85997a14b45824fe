#!/bin/sh
# bench/aliases.sh: newaliases against its peers on large aliases files,
# run by `make bench-aliases` (as root: it uses the sandbox).
#
# For 100,000 and 1,000,000 aliases (BENCH_ALIASES to change the sizes)
# it times building the hash map with postern's newaliases, Postfix's
# postalias and sendmail 8's `sendmail -bi` (with the least sendmail.cf
# that names the file), and prints the wall time and the peak RSS of each
# (GNU time's %e and %M).  The peers are Debian's binaries, unpacked with
# `apt-get download` and `dpkg -x` into $BENCH_CACHE (default
# bench-cache in the build tree, shared with bench/run.sh) before the
# sandbox is entered; one that cannot be fetched or run prints "n/a".
# The files live on the build tree's disk (not tmpfs), so fsync costs
# what it costs.
#
# Output: one table, figures only; no pass or fail.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"

sizes=${BENCH_ALIASES:-100000 1000000}
cache=${BENCH_CACHE:-$top_builddir/bench-cache}
if [ -z "${POSTERN_IN_SANDBOX:-}" ]; then
	mkdir -p "$cache"
	for p in postfix sendmail-bin libwrap0; do
		[ -d "$cache/alias-$p" ] && continue
		(cd "$cache" && apt-get download "$p" >>"$cache/download.log" 2>&1 &&
		    dpkg -x ./"$p"_*.deb "alias-$p") ||
			echo "bench: could not fetch $p: see $cache/download.log"
	done
fi
command -v /usr/bin/time >/dev/null ||
	tap_skip_all "GNU time is needed for the peak RSS (apt-get install time)"
sandbox_enter "$@"

disk=$top_builddir/bench-aliases-disk
rm -rf "$disk"
mkdir -p "$disk" && chmod 0755 "$disk"
: >"$POSTERN_CONFIG_DIR/postern.conf"
na=$POSTERN_SBINDIR/newaliases

pf=$cache/alias-postfix
if [ ! -x "$pf/usr/sbin/postalias" ] && [ -n "${POSTERN_PEERS_DIR:-}" ]; then
	pf=$POSTERN_PEERS_DIR/postfix
fi
mkdir -p "$SB/pf"
cat >"$SB/pf/main.cf" <<EOF
compatibility_level = 3.6
mail_owner = postern
default_privs = nobody
setgid_group = mail
shlib_directory = $pf/usr/lib/postfix
meta_directory = $SB/pf
EOF
: >"$SB/pf/dynamicmaps.cf"

sm=$cache/alias-sendmail-bin/usr/libexec/sendmail/sendmail
[ -x "$sm" ] || sm=$cache/alias-sendmail-bin/usr/lib/sm.bin/sendmail

# run LABEL CMD...: one row: wall seconds and peak RSS in KiB.
run() {
	_l=$1
	shift
	if /usr/bin/time -f '%e %M' -o "$SB/time" "$@" >"$SB/out" 2>&1; then
		read -r _s _k <"$SB/time"
		printf '%-12s %-26s %10s %12s\n' "$n" "$_l" "$_s" "$_k"
	else
		printf '%-12s %-26s %10s %12s   (%s)\n' "$n" "$_l" n/a n/a \
		    "$(tail -1 "$SB/out" | cut -c1-70)"
	fi
}

printf '%-12s %-26s %10s %12s\n' aliases program "wall s" "peak RSS KiB"
for n in $sizes; do
	f=$disk/aliases.$n
	awk -v n="$n" 'BEGIN {
		print "# generated: " n " aliases";
		for (i = 0; i < n; i++) {
			printf "user%d: alice%d, bob%d@example.org", i, i, i;
			if (i % 10 == 0)
				printf ",\n\t\"|/usr/bin/prog %d\"", i;
			printf "\n";
		}
	}' >"$f"
	chmod 0644 "$f"
	rm -f "$f.db"
	run "postern newaliases" "$na" -f "$f"
	rm -f "$f.db"
	if [ -x "$pf/usr/sbin/postalias" ]; then
		run "Postfix postalias" env LD_LIBRARY_PATH="$pf/usr/lib/postfix" \
		    "$pf/usr/sbin/postalias" -c "$SB/pf" "hash:$f"
	else
		printf '%-12s %-26s %10s %12s\n' "$n" "Postfix postalias" n/a n/a
	fi
	rm -f "$f.db"
	if [ -x "$sm" ]; then
		# The least sendmail.cf that -bi takes: the file, a host name,
		# and ruleset 0 sending every name to the local mailer.
		cat >"$SB/sendmail.cf" <<EOF
V10/Berkeley
Djbench.example
O AliasFile=hash:$f
O QueueDirectory=$SB
Mlocal, P=/bin/true, F=lsDFMAw5:/|@q, S=0, R=0, A=true
Mprog, P=/bin/sh, F=lsDFMoqeu9, S=0, R=0, D=\$z:/, A=sh -c \$u
S0
R\$+	\$#local \$: \$1
EOF
		# Not setgid here: the loader would ignore LD_LIBRARY_PATH.
		cp "$sm" "$SB/sendmail.bin" && chmod 0755 "$SB/sendmail.bin"
		# sendmail-bin needs libwrap0's library, unpacked beside it.
		wrap=$(dirname "$(find "$cache/alias-libwrap0" -name 'libwrap.so.0' | head -1)")
		run "sendmail 8 sendmail -bi" env LD_LIBRARY_PATH="$wrap" \
		    "$SB/sendmail.bin" -C "$SB/sendmail.cf" -bi
	else
		printf '%-12s %-26s %10s %12s\n' "$n" "sendmail 8 sendmail -bi" n/a n/a
	fi
	rm -f "$f" "$f.db"
done
rm -rf "$disk"
