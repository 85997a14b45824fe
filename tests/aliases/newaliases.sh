#!/bin/sh
# newaliases for real in the sandbox: the map of /etc/aliases as sendmail
# and Postfix write it (db_dump: NUL-terminated keys and values, the "@"
# marker), sendmail's summary line, Postfix's postalias reading our map and
# us reading postalias's, -q, -n findings with file:line, duplicates (error
# naming both lines, or alias_duplicates = first), a failed build leaving
# the old map byte for byte, no temporary file left, a planted symbolic
# link or hard link at aliases.db replaced and not followed, a directory
# writable by others refused, non-root callers refused unless they own
# the file, PATH and TMPDIR ignored, and `sendmail -bi`.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
command -v db_dump >/dev/null || tap_skip_all "db_dump is not installed (db-util)"
sandbox_enter "$@"

na=$POSTERN_SBINDIR/newaliases
conf=$POSTERN_CONFIG_DIR/postern.conf
: >"$conf"
# Scratch directories below an overlaid /var: never the host's.
T=/var/lib/newaliases-test
mkdir -p "$T" && chmod 0755 "$T" || tap_bail "cannot make $T"
sum() { sha256sum "$1" | cut -d' ' -f1; }

cat >/etc/aliases <<'EOF'
# The system aliases.
postmaster: root
MAILER-DAEMON: postmaster
staff: alice,
	bob
"Team Lead": alice
prog: "|/bin/cat >/dev/null"
EOF
chmod 0644 /etc/aliases

tap_is "newaliases is installed root:root 0755" \
    "$(stat -c '%U:%G %a' "$na")" "root:root 755"
out=$("$na" 2>&1)
tap_is "newaliases with no arguments: exit 0" "$?" 0
# sendmail's formula: the longest value, the sum of name and value lengths
# (postmaster 10+4, mailer-daemon 13+10, staff 5+10, team lead 9+5,
# prog 4+22).
tap_is "sendmail's summary line" "$out" \
    "/etc/aliases: 5 aliases, longest 22 bytes, 92 bytes total"
tap_is "the map is root's, 0644" "$(stat -c '%U %a' /etc/aliases.db)" "root 644"
dump=$(db_dump -p /etc/aliases.db)
case $dump in
*" staff\\00
 alice,\\09bob\\00"*) tap_ok "db_dump: key and value NUL-terminated" ;;
*) tap_fail "db_dump: key and value NUL-terminated" "$dump" ;;
esac
case $dump in
*" @\\00
 @\\00"*) tap_ok "db_dump: the @ -> @ marker" ;;
*) tap_fail "db_dump: the @ -> @ marker" "$dump" ;;
esac
case $dump in
*" team lead\\00"*" mailer-daemon\\00"*|*" mailer-daemon\\00"*" team lead\\00"*)
	tap_ok "db_dump: names unquoted and lower case" ;;
*) tap_fail "db_dump: names unquoted and lower case" "$dump" ;;
esac
tap_is "no temporary file is left" "$(ls -a /etc | grep -c '\.tmp\.')" 0

tap_is "-q staff" "$("$na" -q STAFF 2>&1)" "alice,	bob"
out=$("$na" -q nosuch 2>&1)
tap_is "-q of a missing name: exit 67" "$?" 67
tap_is "... with a message" "$out" \
    "newaliases: nosuch: not found in /etc/aliases.db"

# Postfix reads our map, we read Postfix's.
pf=${POSTERN_PEERS_DIR:-}/postfix
if [ -x "$pf/usr/sbin/postalias" ]; then
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
	pa() { LD_LIBRARY_PATH=$pf/usr/lib/postfix "$pf/usr/sbin/postalias" -c "$SB/pf" "$@"; }
	tap_is "postalias -q reads our map" \
	    "$(pa -q 'team lead' hash:/etc/aliases 2>&1)" "alice"
	tap_is "postalias -q: a continued value" \
	    "$(pa -q staff hash:/etc/aliases 2>&1)" "alice,	bob"
	mkdir -p $T/pf
	printf 'Root: alice\nlist: a, b,\n  c\n"Foo X": y\n' >$T/pf/aliases
	pa hash:$T/pf/aliases
	tap_is "postalias builds a map" "$?" 0
	tap_is "we read postalias's map: a name it lower-cased" \
	    "$("$na" -f $T/pf/aliases -q ROOT 2>&1)" "alice"
	tap_is "... a continued value" \
	    "$("$na" -f $T/pf/aliases -q list 2>&1)" "a, b, c"
	tap_is "... a quoted name" \
	    "$("$na" -f $T/pf/aliases -q 'foo x' 2>&1)" "y"
else
	for t in 1 2 3 4 5 6; do
		tap_skip "postalias interop" "Postfix is not unpacked in \$POSTERN_PEERS_DIR"
	done
fi

# A failed build leaves the old map as it was.
before=$(sum /etc/aliases.db)
cp /etc/aliases "$SB/aliases.good"
printf 'broken line\nok: alice\nbad@name: bob\n' >>/etc/aliases
out=$("$na" 2>&1)
tap_is "a file with errors: exit 65" "$?" 65
tap_is "... every error with file:line, and the map not changed" "$out" \
"newaliases: /etc/aliases:8: expected ':' after the alias name, found 'l'
newaliases: /etc/aliases:10: character '@' in the alias name: only local names can be aliased
newaliases: /etc/aliases: 2 errors: /etc/aliases.db was not changed"
tap_is "... the old map byte for byte" "$(sum /etc/aliases.db)" "$before"
tap_is "... no temporary file left" "$(ls -a /etc | grep -c '\.tmp\.')" 0
printf 'bad: "unterminated\n' >"$SB/bad"
cat "$SB/aliases.good" "$SB/bad" >/etc/aliases
out=$("$na" 2>&1)
tap_is "a value target.c refuses: exit 65" "$?" 65
case $out in
"newaliases: /etc/aliases:8: "*) tap_ok "... named with file:line" ;;
*) tap_fail "... named with file:line" "$out" ;;
esac
tap_is "... the old map byte for byte" "$(sum /etc/aliases.db)" "$before"

# Duplicates.
cp "$SB/aliases.good" /etc/aliases
printf 'Staff: carol\n' >>/etc/aliases
out=$("$na" 2>&1)
tap_is "a duplicate name: exit 65" "$?" 65
case $out in
*"/etc/aliases:8: duplicate alias staff: first defined at /etc/aliases:4"*)
	tap_ok "... naming both lines" ;;
*) tap_fail "... naming both lines" "$out" ;;
esac
printf 'alias_duplicates = first\n' >"$conf"
out=$("$na" 2>&1)
tap_is "alias_duplicates = first: exit 0" "$?" 0
case $out in
*"/etc/aliases:8: duplicate alias staff ignored: the first one, at /etc/aliases:4, is kept"*)
	tap_ok "... with a warning naming both lines" ;;
*) tap_fail "... with a warning naming both lines" "$out" ;;
esac
tap_is "... the first one is kept" "$("$na" -q staff)" "alice,	bob"
: >"$conf"
cp "$SB/aliases.good" /etc/aliases
"$na" >/dev/null 2>&1

# Planted links at the map's name are replaced, not followed.
printf 'root:x:0:0:root:/root:/bin/sh\n' >/etc/victim
chmod 0644 /etc/victim
vsum=$(sum /etc/victim)
rm -f /etc/aliases.db
ln -s /etc/victim /etc/aliases.db
out=$("$na" 2>&1)
tap_is "a symbolic link at aliases.db: exit 0" "$?" 0
tap_is "... the link's target is unchanged" "$(sum /etc/victim)" "$vsum"
tap_is "... aliases.db is now a regular file" "$(stat -c %F /etc/aliases.db)" \
    "regular file"
case $out in
*"/etc/aliases.db was a symbolic link: it is replaced by the new map, not followed"*)
	tap_ok "... and a warning says so" ;;
*) tap_fail "... and a warning says so" "$out" ;;
esac
rm -f /etc/aliases.db
ln /etc/victim /etc/aliases.db
out=$("$na" 2>&1)
tap_is "a hard link at aliases.db: exit 0" "$?" 0
tap_is "... the other name is unchanged" "$(sum /etc/victim)" "$vsum"
tap_is "... aliases.db has one link now" "$(stat -c %h /etc/aliases.db)" 1
case $out in
*"had 2 hard links"*) tap_ok "... and a warning says so" ;;
*) tap_fail "... and a warning says so" "$out" ;;
esac

# A map directory others may write is refused.
mkdir -p $T/ww
chmod 0777 $T/ww
printf 'a: alice\n' >$T/ww/aliases
out=$("$na" -f $T/ww/aliases 2>&1)
tap_is "a world-writable map directory: exit 73 (EX_CANTCREAT)" "$?" 73
case $out in
*"$T/ww: the map's directory is writable by others: refusing"*)
	tap_ok "... with the reason" ;;
*) tap_fail "... with the reason" "$out" ;;
esac
tap_check_fails "... and no map there" test -e $T/ww/aliases.db
chmod 0775 $T/ww
out=$("$na" -f $T/ww/aliases 2>&1)
tap_is "a group-writable map directory: exit 73" "$?" 73
chmod 0755 $T/ww
chmod 0666 $T/ww/aliases
out=$("$na" -f $T/ww/aliases 2>&1)
tap_is "a world-writable aliases file: exit 77" "$?" 77

# Non-root callers.
out=$(sb_as alice "$na" 2>&1)
tap_is "alice runs newaliases: exit 77" "$?" 77
case $out in
*"Permission denied: /etc/aliases is owned by uid 0"*) tap_ok "... Permission denied, naming the file" ;;
*) tap_fail "... Permission denied, naming the file" "$out" ;;
esac
printf 'me: alice\n' >/home/alice/aliases
chown alice:alice /home/alice/aliases
out=$(sb_as alice "$na" -f /home/alice/aliases 2>&1)
tap_is "alice builds the map of her own file: exit 0" "$?" 0
tap_is "... the summary" "$out" \
    "/home/alice/aliases: 1 aliases, longest 5 bytes, 7 bytes total"
tap_is "... the map is hers" "$(stat -c %U /home/alice/aliases.db)" alice
out=$(sb_as bob "$na" -f /home/alice/aliases 2>&1)
tap_is "bob on alice's file: exit 77" "$?" 77

# The environment means nothing.
mkdir -p $T/env
printf 'e: alice\n' >$T/env/aliases
out=$(env PATH=/nonexistent TMPDIR=/nonexistent/tmp "$na" -f $T/env/aliases 2>&1)
tap_is "PATH and TMPDIR set to nonsense: still exit 0" "$?:$out" \
    "0:$T/env/aliases: 1 aliases, longest 5 bytes, 6 bytes total"

# sendmail -bi execs newaliases.
cp "$SB/aliases.good" /etc/aliases
rm -f /etc/aliases.db
out=$("$POSTERN_SBINDIR/sendmail" -bi 2>&1)
tap_is "sendmail -bi: exit 0 and the summary" "$?:$out" \
    "0:/etc/aliases: 5 aliases, longest 22 bytes, 92 bytes total"

# -n: findings with file:line, nothing written.
mkdir -p $T/lint
printf 'x\n' >$T/lint/ok.inc
chmod 0644 $T/lint/ok.inc
printf 'x\n' >$T/lint/ww.inc
chmod 0666 $T/lint/ww.inc
ln -s $T/lint/ok.inc $T/lint/link.inc
cat >$T/lint/aliases <<EOF
good: alice, bob@example.org, \bob, /var/tmp/file
ghost: nosuchuser
a: b
b: c, alice
c: a
bob: bob, alice
inc1: :include:$T/lint/ok.inc
inc2: :include:$T/lint/ww.inc
inc3: :include:$T/lint/link.inc
inc4: :include:$T/lint/missing.inc
p1: |/bin/true
p2: |/nonexistent/prog
p3: "|vacation alice"
bad line
EOF
out=$("$na" -n -f $T/lint/aliases 2>&1)
tap_is "-n with findings: exit 65" "$?" 65
for want in \
    "$T/lint/aliases:2: nosuchuser: unknown local user (not a user, not an alias)" \
    "$T/lint/aliases:3: alias loop: a -> b -> c -> a" \
    "$T/lint/aliases:8: unsafe :include: file: " \
    "$T/lint/aliases:9: unsafe :include: file: " \
    "$T/lint/aliases:10: unsafe :include: file: " \
    "$T/lint/aliases:12: program /nonexistent/prog: No such file or directory" \
    "$T/lint/aliases:13: program vacation: not an absolute path" \
    "$T/lint/aliases:14: expected ':' after the alias name"; do
	case $out in
	*"$want"*) tap_ok "-n: $want" ;;
	*) tap_fail "-n: $want" "$out" ;;
	esac
done
tap_is "-n: nothing else (good, bob: bob, inc1, p1 are fine)" \
    "$(printf "%s\n" "$out" | grep -E "aliases:(1|6|7|11):")" ""
tap_is "-n: the loop is reported once" \
    "$(printf '%s\n' "$out" | grep -c 'alias loop')" 1
tap_check_fails "-n writes no map" test -e $T/lint/aliases.db
printf 'fine: alice\n' >$T/lint/clean
out=$("$na" --check -f $T/lint/clean 2>&1)
tap_is "--check of a clean file: exit 0" "$?:$out" \
    "0:$T/lint/clean: 1 aliases, no problems found"

out=$("$na" -x 2>&1)
tap_is "an unknown option: exit 64" "$?" 64
"$na" extra >/dev/null 2>&1
tap_is "an argument: exit 64" "$?" 64
"$na" -f $T/none/aliases >/dev/null 2>&1
tap_is "a missing aliases file: exit 66" "$?" 66
tap_done
