#!/bin/sh
# The programs are built hardened: PIE, RELRO with BIND_NOW (full RELRO),
# a stack protector and FORTIFY_SOURCE (checked *_chk calls), read off the
# binaries with readelf.  Skipped for a --disable-hardening build.
. "$top_srcdir/tests/tap.sh"
command -v readelf >/dev/null 2>&1 || tap_skip_all "readelf not installed (binutils)"
grep -q 'HARDEN_CFLAGS = .*FORTIFY' "$top_builddir/Makefile" ||
	tap_skip_all "built with --disable-hardening"

for prog in postern-config; do
	bin=$top_builddir/$prog
	tap_check "$prog is PIE" sh -c "readelf -h '$bin' | grep -q 'Type: *DYN'"
	tap_check "$prog has RELRO" sh -c "readelf -lW '$bin' | grep -q GNU_RELRO"
	tap_check "$prog binds now" sh -c "readelf -dW '$bin' | grep -q 'BIND_NOW\|Flags:.* NOW'"
	syms=$(readelf -sW --dyn-syms "$bin")
	case $syms in
	*__stack_chk_fail*) tap_ok "$prog has a stack protector" ;;
	*) tap_fail "$prog has a stack protector" ;;
	esac
	case $syms in
	*_chk@*) tap_ok "$prog calls fortified functions" ;;
	*) tap_fail "$prog calls fortified functions" ;;
	esac
	tap_check_fails "$prog has no executable stack" sh -c \
	    "readelf -lW '$bin' | grep GNU_STACK | grep -q RWE"
done
tap_done
