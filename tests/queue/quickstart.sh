#!/bin/sh
# ./quickstart in the sandbox, on a copy of the source tree (so the real
# tree is never reconfigured by a test): without apt-get
# (QUICKSTART_NO_APT) and without systemd (the sandbox's PID 1 is the
# test), so it falls back to `postern-queue -f` in the background.  The
# first run builds, installs, writes postern.conf and /etc/aliases (root
# to the first user with uid >= 1000: alice), leaves an existing
# /usr/sbin/sendmail of "another MTA" alone, starts the runner, and the
# test message arrives in alice's mailbox.  The second run is harmless:
# no second user or group, the edited configuration and aliases kept, the
# runner not started twice, a second message delivered.  A third run with
# an aliases file that does not parse keeps the file and its old map.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

for t in autoreconf autoconf automake make cc tar; do
	command -v "$t" >/dev/null 2>&1 ||
		tap_skip_all "quickstart needs $t (apt-get install autoconf automake gcc make)"
done
# quickstart uses configure's defaults; the sandbox covers them only when
# they are system paths.
[ -d /usr/local ] || tap_skip_all "no /usr/local to install into"

src=$SB/src
build=$SB/build
mkdir -p "$src" "$build"
_bld=$(cd "$top_builddir" && pwd -P)
_src=$(cd "$top_srcdir" && pwd -P)
(
	cd "$_src" &&
	tar --exclude=./.git --exclude='./_build*' --exclude=./autom4te.cache \
	    --exclude=./_peers --exclude="./${_bld#"$_src"/}" -cf - .
) | (cd "$src" && tar -xf -) || tap_bail "cannot copy the source tree"
# An in-tree build left its configuration in the copy: configure would
# refuse a second build directory.
if [ -f "$src/config.status" ]; then
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$src" distclean \
	    >/dev/null 2>&1 || rm -f "$src/config.status"
fi

# A fresh machine: no configuration, no aliases; another MTA's sendmail.
rm -f /etc/postern/postern.conf /etc/aliases /etc/aliases.db
mkdir -p /usr/sbin
printf '#!/bin/sh\n# another MTA\nexit 0\n' >/usr/sbin/sendmail
chmod 0755 /usr/sbin/sendmail
other=$(cksum </usr/sbin/sendmail)

# quickstart RUN [VAR=VALUE...]: run it, output in $SB/qs.RUN.log, status
# in $rc (the tail of the output as diagnostics when it is not 0).
quickstart() {
	_run=$1
	shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL QUICKSTART_NO_APT=1 \
	    QUICKSTART_BUILDDIR="$build" "$@" "$src/quickstart" \
	    >"$SB/qs.$_run.log" 2>&1 </dev/null
	rc=$?
	log=$(cat "$SB/qs.$_run.log")
	[ "$rc" -eq 0 ] || tap_diag "quickstart run $_run (exit $rc):
$(tail -n 25 "$SB/qs.$_run.log")"
}

# has DESC TEXT: the last run's output contains TEXT.
has() {
	case $log in
	*"$2"*) tap_ok "$1" ;;
	*) tap_fail "$1" "no '$2' in the output" ;;
	esac
}

count_lines() { grep -c "$1" "$2" 2>/dev/null || true; }

# ---------------------------------------------------------------------
quickstart 1
tap_is "first run: exit 0" "$rc" 0
has "first run: apt-get skipped" "build dependencies: not installed"
has "first run: step lines" "==> installing into /usr/local"
tap_is "sendmail installed root:smmsp 2555" \
    "$(stat -c '%U:%G %a' /usr/local/sbin/sendmail 2>&1)" "root:smmsp 2555"
tap_check "postern.conf written and parses" \
    /usr/local/sbin/postern-config -n
tap_is "postern.conf is root's, 0644" \
    "$(stat -c '%U %a' /etc/postern/postern.conf 2>&1)" "root 644"
tap_is "aliases: postmaster to root" "$(count_lines '^postmaster: root$' /etc/aliases)" 1
tap_is "aliases: root to the first human user (alice)" \
    "$(count_lines '^root: alice$' /etc/aliases)" 1
tap_check "the aliases map was built" test -f /etc/aliases.db
tap_is "the other MTA's /usr/sbin/sendmail left alone" \
    "$(cksum </usr/sbin/sendmail)" "$other"
has "first run: says how to switch" \
    "ln -sf /usr/local/sbin/sendmail /usr/sbin/sendmail"
has "first run: no systemd, the runner in the background" \
    "in the background (no systemd here)"
has "first run: the installation checked clean" "    clean"
has "first run: the test message arrived" "delivered to /var/mail/alice"
has "first run: its header shown" "Subject: postern quickstart test"
tap_is "alice's mailbox has it" \
    "$(count_lines '^Subject: postern quickstart test' /var/mail/alice)" 1

# ---------------------------------------------------------------------
# The admin edits both files; a second run keeps them.
printf 'hop_count_limit = 40\n' >>/etc/postern/postern.conf
printf 'bob: alice\n' >>/etc/aliases
cp /etc/postern/postern.conf "$SB/conf.edited"
cp /etc/aliases "$SB/aliases.edited"
users=$(count_lines '^postern:' /etc/passwd)
groups=$(count_lines '^smmsp:' /etc/group)
quickstart 2
tap_is "second run: exit 0" "$rc" 0
tap_check "second run: postern.conf kept" cmp /etc/postern/postern.conf "$SB/conf.edited"
tap_check "second run: aliases kept" cmp /etc/aliases "$SB/aliases.edited"
tap_is "second run: the map rebuilt from the kept file" \
    "$(/usr/local/sbin/newaliases -q bob 2>&1)" alice
tap_is "second run: still one postern user" "$(count_lines '^postern:' /etc/passwd)" "$users"
tap_is "second run: still one smmsp group" "$(count_lines '^smmsp:' /etc/group)" "$groups"
has "second run: the runner is not started twice" "already running"
tap_is "second run: the other MTA's sendmail still left alone" \
    "$(cksum </usr/sbin/sendmail)" "$other"
tap_is "second run: a second test message" \
    "$(count_lines '^Subject: postern quickstart test' /var/mail/alice)" 2

# ---------------------------------------------------------------------
# An aliases file with an error: kept, and its old map is not replaced.
# (tap_diag shows this run's output: it is expected to fail.)
printf 'broken line without a colon\n' >>/etc/aliases
cp /etc/aliases "$SB/aliases.broken"
map_before=$(cksum </etc/aliases.db)
quickstart 3 QUICKSTART_NO_START=1
# The checker then finds the map older than the file: a clear failure.
tap_is "third run (no start): exit 1" "$rc" 1
has "third run: postern-queue -c names the stale map" \
    "/etc/aliases.db: found a map older than /etc/aliases"
tap_check "third run: the broken aliases kept" cmp /etc/aliases "$SB/aliases.broken"
tap_is "third run: the old map kept" "$(cksum </etc/aliases.db)" "$map_before"
has "third run: the problem is reported" "has problems (newaliases -n)"
has "third run: the runner left alone" "not started (QUICKSTART_NO_START is set)"

# Put the aliases back: the sandbox ends anyway, but say it works.
cp "$SB/aliases.edited" /etc/aliases
tap_check "repaired aliases build" /usr/local/sbin/newaliases
tap_done
