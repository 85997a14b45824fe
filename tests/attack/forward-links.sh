#!/bin/sh
# Attack: linked and swappable ~/.forward files.  alice's ~/.forward is
# made a symbolic link (to bob's .forward that runs a program, to a file
# of alice's own listing |programs, to /etc/passwd, dangling into /etc)
# or a hard link (to bob's .forward, to a root-owned file listing a
# program, to a second name of alice's own file); her home or the
# directory above it is made writable by others (so mallory could swap
# the .forward or the whole home between check and use).  What must hold,
# as forward(5) says: a linked .forward is ignored with a logged reason
# and the mail goes to alice's mailbox (exit 0); an unsafe home defers
# (exit 75) and delivers nothing; no program named by a linked target
# ever runs; nothing but alice's mailbox changes; and no process holds
# more than its due while the delivery runs.  A control shows that the
# same program in a plain .forward does run (and is seen running).
set -u
. "$top_srcdir/tests/attack/attack.sh"

at_conf
mkdir -m 1777 /tmp/out
# The program every hostile target names: it would leave a mark.
cat >/usr/local/bin/mark <<'EOT'
#!/bin/sh
# mark NAME: a delivery program that leaves /tmp/out/NAME.
sleep 0.2
id >"/tmp/out/$1"
cat >/dev/null
EOT
chmod 755 /usr/local/bin/mark
# own USER MODE PATH CONTENT: a file of USER's.
own() {
	printf '%s\n' "$4" >"$3" && chown "$1:$1" "$3" && chmod "$2" "$3"
}
own bob 644 /home/bob/.forward '"|/usr/local/bin/mark bob-forward"'
own alice 644 /home/alice/progs '"|/usr/local/bin/mark alice-progs"'
printf '"|/usr/local/bin/mark root-progs"\n' >/home/root-progs
chmod 644 /home/root-progs
echo "first" | "$at_ml" -f a@b alice || tap_bail "first delivery failed"
targets="/home/bob/.forward /home/root-progs /home/alice/progs"
# shellcheck disable=SC2086
sums0=$(sha256sum $targets)

# attack NAME WANT_RC REASON SETUP: alice's .forward made hostile by
# SETUP (a shell command); then one delivery to alice, watched.
# WANT_RC 0: ignored and alice's mailbox has it; WANT_RC 75: deferred and
# nothing has it; either way the log has a line matching REASON (an ERE).
# at_mark is the caller's: finding what changed costs seconds, so one
# mark covers a group of cases, each of which checks its own effects.
attack() {
	_n=$1 _want=$2 _why=$3
	rm -f /home/alice/.forward
	sh -c "$4" || tap_bail "setup for $_n failed"
	_nlog=$(wc -l <"$at_syslog")
	at_watch_start
	_err=$({ printf 'Subject: %s\n\nattack %s\n' "$_n" "$_n"; sleep 0.2; } |
	    "$at_ml" -f a@b alice 2>&1)
	_rc=$?
	at_watch_check "$_n" --expect mail.local
	tap_is "$_n: exit $_want" "$_rc" "$_want"
	if at_syslog_wait "$_why" 5; then
		tap_ok "$_n: logged: $_why"
		tap_diag "$_n: $(grep -Ea -- "$_why" "$at_syslog" | tail -n 1)"
	else
		tap_fail "$_n: logged: $_why" "$(tail -n +$((_nlog + 1)) "$at_syslog")"
	fi
	if [ "$_want" = 0 ]; then
		tap_is "$_n: ignored, alice's mailbox has it" \
		    "$(sb_count "$_n" "$spool/alice")" 1
	else
		tap_is "$_n: deferred, alice's mailbox has nothing" \
		    "$(sb_count "$_n" "$spool/alice")" 0
		case $_err in
		*"mail.local: alice: "*) tap_ok "$_n: the reason on stderr" ;;
		*) tap_fail "$_n: the reason on stderr" "$_err" ;;
		esac
	fi
	tap_is "$_n: no program ran" "$(ls -A /tmp/out)" ""
}

at_syslog_start
at_mark
attack "symlink to bob's .forward" 0 \
    "ignoring /home/alice/.forward: .*is a symbolic link" \
    "ln -s /home/bob/.forward /home/alice/.forward && chown -h alice /home/alice/.forward"
attack "symlink to alice's own file of |programs" 0 \
    "ignoring /home/alice/.forward: .*is a symbolic link" \
    "ln -s /home/alice/progs /home/alice/.forward && chown -h alice /home/alice/.forward"
attack "symlink to /etc/passwd" 0 \
    "ignoring /home/alice/.forward: .*is a symbolic link" \
    "ln -s /etc/passwd /home/alice/.forward && chown -h alice /home/alice/.forward"
attack "dangling symlink into /etc" 0 \
    "ignoring /home/alice/.forward: .*is a symbolic link" \
    "ln -s /etc/alice-forward /home/alice/.forward && chown -h alice /home/alice/.forward"
tap_check_fails "no /etc/alice-forward was created" test -e /etc/alice-forward
attack "hard link to bob's .forward" 0 \
    "ignoring /home/alice/.forward: .*(has 2 links|is owned by uid 3002)" \
    "ln /home/bob/.forward /home/alice/.forward"
attack "hard link to a root-owned file of |programs" 0 \
    "ignoring /home/alice/.forward: .*has 2 links" \
    "ln /home/root-progs /home/alice/.forward"
attack "hard link to alice's own file of |programs" 0 \
    "ignoring /home/alice/.forward: .*has 2 links" \
    "ln /home/alice/progs /home/alice/.forward"
rm -f /home/alice/.forward
tap_is "the link targets are untouched (owner, mode, links)" \
    "$(stat -c '%U %a %h' /home/bob/.forward /home/root-progs /home/alice/progs | tr '\n' ' ')" \
    "bob 644 1 root 644 1 alice 644 1 "
# shellcheck disable=SC2086
tap_is "... and so is their content" "$(sha256sum $targets)" "$sums0"
# The setup's own links and removals change alice's home and the link
# count (ctime) of the targets, checked above.
at_unchanged "linked .forward files" "$spool" "$spool/alice" /home/alice \
    /home/bob/.forward /home/root-progs /home/alice/progs

# Homes mallory could swap: the .forward (or the home itself) could be
# replaced between the check and the open.  postern defers.
cp /home/alice/progs /home/alice/.forward.safe
chown alice /home/alice/.forward.safe
at_mark
attack "a home writable by others (mode 0777)" 75 \
    "deferring mail for alice: /home/alice: is world writable" \
    "cp -p /home/alice/.forward.safe /home/alice/.forward && chmod 0777 /home/alice"
chmod 0755 /home/alice
attack "a sticky, group-writable home (1775)" 75 \
    "deferring mail for alice: /home/alice: is (group writable|sticky)" \
    "cp -p /home/alice/.forward.safe /home/alice/.forward && chmod 1775 /home/alice"
chmod 0755 /home/alice
attack "/home writable by others (alice's home can be renamed away)" 75 \
    "deferring mail for alice: /home: is world writable" \
    "cp -p /home/alice/.forward.safe /home/alice/.forward && chmod 0777 /home"
chmod 0755 /home
# A home that is itself a symbolic link, owned by mallory, into a
# directory of his holding a .forward that runs his program.
mkdir /home/mallory/fake
own mallory 644 /home/mallory/fake/.forward '"|/usr/local/bin/mark via-swapped-home"'
mv /home/alice /home/alice.real
ln -s /home/mallory/fake /home/alice
chown -h mallory /home/alice
attack "a home swapped for mallory's symlink" 75 \
    "deferring mail for alice: /home/alice: (Not a directory|is a symbolic link)" ":"
rm /home/alice
mv /home/alice.real /home/alice
rm -f /home/alice/.forward
at_unchanged "unsafe homes" "$spool" /home /home/alice '/home/alice\.real' \
    /home/mallory '/home/mallory/fake(/\.forward)?'

# The control: the same program in a plain .forward of alice's runs, as
# alice, while it is watched.
own alice 644 /home/alice/.forward '"|/usr/local/bin/mark control"'
at_mark
at_watch_start
{ printf 'Subject: control\n\ncontrol\n'; sleep 0.1; } | "$at_ml" -f a@b alice
tap_is "control: a plain .forward with a program: exit 0" "$?" 0
at_watch_check "control" --expect mail.local --expect-child
tap_is "control: the program ran, as alice" "$(cut -d' ' -f1 /tmp/out/control 2>&1)" \
    "uid=3001(alice)"
at_unchanged "control" /tmp/out /tmp/out/control
tap_done
