#!/bin/sh
# The programs are built hardened: PIE, RELRO with BIND_NOW (full RELRO),
# a stack protector, FORTIFY_SOURCE (checked *_chk calls) and no
# executable stack, read off the binaries with readelf.  As root the
# binaries checked are the installed ones (in the sandbox, after `make
# install`, the setgid sendmail included); otherwise the built ones.  The
# static PIE mail.local, when built, is checked too.
# Skipped for a --disable-hardening build.
set -u
. "$top_srcdir/tests/tap.sh"
command -v readelf >/dev/null 2>&1 || tap_skip_all "readelf not installed (binutils)"
grep -q 'HARDEN_CFLAGS = .*FORTIFY' "$top_builddir/Makefile" ||
	tap_skip_all "built with --disable-hardening"

if [ "$(id -u)" -eq 0 ]; then
	. "$top_srcdir/tests/sandbox/sandbox.sh"
	sandbox_enter "$@"
	progs="$POSTERN_SBINDIR/sendmail $POSTERN_SBINDIR/postern-queue
	    $POSTERN_SBINDIR/newaliases $POSTERN_SBINDIR/postern-config
	    $POSTERN_LIBEXECDIR/mail.local"
	tap_is "sendmail is installed setgid" \
	    "$(stat -c %a "$POSTERN_SBINDIR/sendmail")" 2555
else
	b=$top_builddir
	progs="$b/submit/sendmail $b/queue/postern-queue $b/aliases/newaliases
	    $b/postern-config $b/mail.local/mail.local"
fi

# The static PIE build of mail.local (tests/mail.local/static-*.sh) too.
[ ! -x "$top_builddir/mail.local/mail.local-static" ] ||
	progs="$progs $top_builddir/mail.local/mail.local-static"
for bin in $progs; do
	prog=${bin##*/}
	tap_check "$prog is PIE" sh -c "readelf -h '$bin' | grep -q 'Type: *DYN'"
	tap_check "$prog has RELRO" sh -c "readelf -lW '$bin' | grep -q GNU_RELRO"
	tap_check "$prog binds now" sh -c "readelf -dW '$bin' | grep -q 'BIND_NOW\|Flags:.* NOW'"
	syms=$(readelf -sW --dyn-syms "$bin")
	case $syms in
	*__stack_chk_fail*) tap_ok "$prog has a stack protector" ;;
	*) tap_fail "$prog has a stack protector" ;;
	esac
	# __foo_chk@GLIBC_x in a dynamic program, __foo_chk in a static one.
	if printf '%s\n' "$syms" | grep -Eq '__[a-z0-9_]+_chk(@|$)'; then
		tap_ok "$prog calls fortified functions"
	else
		tap_fail "$prog calls fortified functions"
	fi
	tap_check_fails "$prog has no executable stack" sh -c \
	    "readelf -lW '$bin' | grep GNU_STACK | grep -q RWE"
done
# configure links libdb and libcap from their archives when they link
# (--disable-static-libs: shared): then no program loads them at start.
if grep -q '^DB_LIBS = .*-Bstatic' "$top_builddir/Makefile"; then
	for bin in $progs; do
		tap_check_fails "${bin##*/} loads neither libdb nor libcap" sh -c \
		    "readelf -dW '$bin' | grep NEEDED | grep -q 'libdb\|libcap'"
	done
fi
tap_done
