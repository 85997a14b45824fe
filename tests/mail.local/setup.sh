# tests/mail.local/setup.sh: sourced by mail.local's sandbox tests after
# sandbox_enter.  Sets $ml (the installed mail.local), $spool (the mail
# spool) and $conf (postern.conf), and writes a postern.conf with
# myhostname = test.example only.
ml=$POSTERN_LIBEXECDIR/mail.local
spool=$POSTERN_MAIL_SPOOL
conf=$POSTERN_CONFIG_DIR/postern.conf
printf 'myhostname = test.example\n' >"$conf"
# POSTERN_TEST_STATIC=1 (tests/mail.local/static-*.sh): the same checks
# with mail.local linked as a static PIE, installed in its place with the
# same owner and mode.
if [ -n "${POSTERN_TEST_STATIC:-}" ]; then
	_mls=$top_builddir/mail.local/mail.local-static
	[ -x "$_mls" ] ||
		tap_skip_all "no static PIE mail.local in this build (sanitizers are on, or the toolchain cannot link one)"
	install -o root -g root -m 555 "$_mls" "$ml" ||
		tap_bail "cannot install $_mls as $ml"
	if readelf -lW "$ml" | grep -q 'program interpreter'; then
		tap_fail "the mail.local under test is a static PIE" \
		    "$(file "$ml" 2>&1)"
	else
		tap_ok "the mail.local under test is a static PIE"
	fi
	# A source besides the files would be loaded with dlopen (on Debian
	# 12 libnss_systemd crashes a static program): it refuses to start.
	cp /etc/nsswitch.conf "$SB/nsswitch.files"
	printf '# test\npasswd: files systemd\ngroup: files\n' >/etc/nsswitch.conf
	_out=$(echo hi | "$ml" -f a@b nosuchuser 2>&1)
	tap_is "static mail.local, passwd from systemd: exit 78 (EX_CONFIG)" \
	    "$?" 78
	case $_out in
	*"linked statically"*"/etc/nsswitch.conf:2: passwd uses the source systemd"*)
		tap_ok "... saying which line and source" ;;
	*) tap_fail "... saying which line and source" "$_out" ;;
	esac
	cat "$SB/nsswitch.files" >/etc/nsswitch.conf
fi
