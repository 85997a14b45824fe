#!/bin/sh
# postern-queue -c, the installation checker, in the sandbox: the fresh
# install is clean (exit 0, no output); then one thing at a time is
# broken (a program's mode, a queue directory's mode or owner, a link in
# place of mail.local, postern.conf writable by its group or not parsing,
# the mail spool world-writable without the sticky bit, the aliases map
# missing or older than its file, the postern user or the submit group
# missing, the postern user with a login shell, the mailq link missing),
# each is reported as "postern-queue: PATH: found X, expected Y; fix: CMD"
# with exit 1, and running CMD makes the install clean again.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

pq=$POSTERN_SBINDIR/postern-queue
sm=$POSTERN_SBINDIR/sendmail
ml=$POSTERN_LIBEXECDIR/mail.local
na=$POSTERN_SBINDIR/newaliases
q=$POSTERN_QUEUE_DIR
c=$POSTERN_CONFIG_DIR
g=$POSTERN_SUBMIT_GROUP
spool=$POSTERN_MAIL_SPOOL
me=postern-queue
# A fix may be `make install`: the harness's jobserver is not ours.
mk_env="env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL"

[ -x "$pq" ] || tap_bail "$pq is not installed"

# The aliases live in the sandbox's config directory, so that nothing of
# the host's /etc/aliases shows through.
printf 'myhostname = test.example\nalias_file = %s/aliases\n' "$c" \
    >"$c/postern.conf"
chmod 0644 "$c/postern.conf"

# run_check: the checker's stdout in $out, stderr in $err, status in $rc.
run_check() {
	out=$("$pq" -c 2>"$SB/check.err")
	rc=$?
	err=$(cat "$SB/check.err")
}

# clean DESC: the checker finds nothing.
clean() {
	run_check
	tap_is "$1: exit 0, nothing printed" "$rc:$out:$err" "0::"
}

# deviates DESC LINE: the checker prints exactly LINE on stdout and exits 1.
deviates() {
	run_check
	tap_is "$1: exit 1" "$rc" 1
	tap_is "$1: reported" "$out" "$2"
	tap_is "$1: nothing on stderr" "$err" ""
}

# fixes DESC: run the fix of the last report; then the install is clean.
fixes() {
	fix=${out##*; fix: }
	if _o=$(cd "$top_builddir" && $mk_env sh -c "$fix" 2>&1); then
		tap_ok "$1: the fix runs: $fix"
	else
		tap_fail "$1: the fix runs: $fix" "$_o"
	fi
	clean "$1: after the fix"
}

# set_passwd / set_group FILTER: rewrite the sandbox's files in place
# (they are bind-mounted: the inode must stay).
rewrite() {
	sed "$2" "/etc/$1" >"$SB/$1.new" && cat "$SB/$1.new" >"/etc/$1"
}

clean "fresh install"

chmod 4755 "$sm"
deviates "sendmail 4755" \
    "$me: $sm: found root:$g 4755, expected root:$g 2555; fix: chmod 2555 $sm"
fixes "sendmail 4755"

chown root:root "$sm"
deviates "sendmail not in group $g" \
    "$me: $sm: found root:root 0555, expected root:$g 2555; fix: chown root:$g $sm && chmod 2555 $sm"
fixes "sendmail group"

# chmod keeps a directory's setgid bit: 2777.
chmod 777 "$q/submit/new"
deviates "submit/new 777" \
    "$me: $q/submit/new: found root:$g 2777, expected root:$g 3770; fix: chmod 3770 $q/submit/new"
fixes "submit/new 777"

chown nobody "$q/queue"
deviates "queue/ owned by nobody" \
    "$me: $q/queue: found nobody:root 0700, expected root 0700; fix: chown root $q/queue"
fixes "queue/ owner"

rmdir "$q/submit/bad"
deviates "submit/bad missing" \
    "$me: $q/submit/bad: found nothing, expected a directory root 0700; fix: install -d -o root -m 0700 $q/submit/bad"
fixes "submit/bad missing"

chmod g+w "$c/postern.conf"
deviates "postern.conf group-writable" \
    "$me: $c/postern.conf: found root:root 0664, expected root, not group or world writable; fix: chmod go-w $c/postern.conf"
fixes "postern.conf group-writable"

cp "$c/postern.conf" "$SB/postern.conf.good"
printf 'no_such_setting = 1\n' >>"$c/postern.conf"
run_check
tap_is "postern.conf with an unknown key: exit 1" "$rc" 1
case $out in
"$me: $c/postern.conf: found an error: $c/postern.conf:3: "*"; fix: \${EDITOR:-vi} $c/postern.conf && postern-config -n")
	tap_ok "postern.conf with an unknown key: reported with its line" ;;
*) tap_fail "postern.conf with an unknown key: reported with its line" "$out" ;;
esac
cat "$SB/postern.conf.good" >"$c/postern.conf"
clean "postern.conf repaired"

mv "$ml" "$SB/mail.local"
ln -s "$SB/mail.local" "$ml"
deviates "a symbolic link in place of mail.local" \
    "$me: $ml: found a symbolic link root:root 0777, expected a regular file root:root 0555; fix: rm $ml && make install"
fixes "mail.local link"

chmod 0777 "$spool"
deviates "mail spool world-writable without the sticky bit" \
    "$me: $spool: found root:mail 2777, expected a root-owned directory, root:mail 2775 or sticky 1777; fix: chown root:mail $spool && chmod 2775 $spool"
fixes "mail spool 0777"
chmod 1777 "$spool"
clean "mail spool 1777 (sticky) is accepted"
chown root:mail "$spool" && chmod 2775 "$spool"

printf 'postmaster: root\n' >"$c/aliases"
deviates "aliases without a map" \
    "$me: $c/aliases.db: found nothing, expected the map of the aliases file; fix: $na"
fixes "aliases without a map"
touch -d '1 hour ago' "$c/aliases.db"
deviates "aliases.db older than aliases" \
    "$me: $c/aliases.db: found a map older than $c/aliases, expected a map at least as new as its file (run newaliases); fix: $na"
fixes "aliases.db older"
chmod 0666 "$c/aliases"
deviates "aliases world-writable" \
    "$me: $c/aliases: found root:root 0666, expected any owner, not group or world writable; fix: chmod go-w $c/aliases"
fixes "aliases world-writable"

if [ -e "$POSTERN_PREFIX/bin/mailq" ] || [ -L "$POSTERN_PREFIX/bin/mailq" ]; then
	rm -f "$POSTERN_PREFIX/bin/mailq"
	deviates "mailq link missing" \
	    "$me: $POSTERN_PREFIX/bin/mailq: found nothing, expected a symbolic link to $sm; fix: ln -sf $sm $POSTERN_PREFIX/bin/mailq"
	fixes "mailq link"
else
	tap_skip "mailq link" "no $POSTERN_PREFIX/bin/mailq (bindir elsewhere)"
fi

# Users and groups: useradd, usermod and groupadd replace /etc/passwd
# and /etc/group by rename, which the sandbox's bind mounts refuse; the
# fix is checked as text, and the line is put back in place.
cp /etc/passwd "$SB/passwd.good"
cp /etc/group "$SB/group.good"
rewrite passwd '/^postern:/d'
deviates "postern user missing" \
    "$me: user postern: found nothing, expected a system user without a login shell; fix: useradd --system --no-create-home --shell /usr/sbin/nologin postern"
cat "$SB/passwd.good" >/etc/passwd
clean "postern user back"

rewrite passwd '/^postern:/s|:[^:]*$|:/bin/sh|'
deviates "postern user with a login shell" \
    "$me: user postern: found login shell /bin/sh, expected no login shell; fix: usermod --shell /usr/sbin/nologin postern"
cat "$SB/passwd.good" >/etc/passwd

rewrite passwd '/^postern:/s|^postern:x:[0-9]*:|postern:x:0:|'
deviates "postern user with uid 0" \
    "$me: user postern: found uid 0, expected an unprivileged uid; fix: userdel postern && useradd --system --no-create-home --shell /usr/sbin/nologin postern"
cat "$SB/passwd.good" >/etc/passwd

rewrite group "/^$g:/d"
run_check
tap_is "submit group missing: exit 1" "$rc" 1
case $out in
"$me: group $g: found nothing, expected a system group; fix: groupadd --system $g"*)
	tap_ok "submit group missing: reported first, with groupadd" ;;
*) tap_fail "submit group missing: reported first, with groupadd" "$out" ;;
esac
cat "$SB/group.good" >/etc/group
clean "submit group back"

# Several deviations at once: one line each, in a stable order.
chmod 0755 "$q/submit/tmp"
chmod 0644 "$ml"
run_check
tap_is "two deviations: exit 1" "$rc" 1
tap_is "two deviations: two lines" "$(printf '%s\n' "$out" | wc -l)" 2
chmod 0555 "$ml" && chmod 3770 "$q/submit/tmp"
clean "all repaired"

tap_done
