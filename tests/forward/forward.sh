#!/bin/sh
# .forward for real in the sandbox, through mail.local: forwarding to
# another user, \user, files, programs (argv, environment, open fds,
# groups, cwd), .forward+ext, and every unsafe case: a symlinked
# .forward (to another user's file), one owned by another user, group
# writable, a mode-777 home (defers), root's .forward naming a program,
# user_commands_and_files = no, restricted commands, programs that fork a
# daemon, never exit, or write 100 MB.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"
sandbox_enter "$@"

ml=$POSTERN_LIBEXECDIR/mail.local
spool=$POSTERN_MAIL_SPOOL
conf=$POSTERN_CONFIG_DIR/postern.conf
base='myhostname = test.example'
printf '%s\n' "$base" >"$conf"
sb_add_user carol 3010
sb_add_user dave 3011
mkdir -p /tmp/out && chmod 1777 /tmp/out

send() {	# send SUBJECT USER...: one message in pipe mode; exit code
	_s=$1
	shift
	printf 'Subject: %s\n\nbody of %s\n' "$_s" "$_s" |
	    "$ml" -f sender@example.org -d "$@" 2>"$SB/stderr"
}

# --- Forwarding between users, \user, files --------------------------
sb_user_file alice /home/alice/.forward 644 'bob'
send one alice
tap_is "alice's .forward to bob: exit 0" "$?" 0
tap_is "bob has it, alice has not" \
    "$(sb_count one "$spool/bob") $(sb_count one "$spool/alice")" "1 0"
tap_is "X-Original-To: names alice, Delivered-To: names bob" \
    "$(grep -E '^(Delivered-To|X-Original-To):' "$spool/bob" | tr '\n' ' ')" \
    "Delivered-To: bob@test.example X-Original-To: alice@test.example "

sb_user_file alice /home/alice/.forward 644 '\alice, bob, /home/alice/archive'
send two alice
tap_is "\\alice, bob, a file: exit 0" "$?" 0
tap_is "alice, bob and the file each have it once" \
    "$(sb_count two "$spool/alice") $(sb_count two "$spool/bob") $(sb_count two /home/alice/archive)" \
    "1 1 1"
tap_is "the file is alice's, mode 0600, mbox format" \
    "$(stat -c '%U %a' /home/alice/archive) $(head -c 5 /home/alice/archive)" \
    "alice 600 From "

sb_user_file alice /home/alice/.forward 644 '/dev/null'
send devnull alice
tap_is "/dev/null in .forward: exit 0, nothing in any mailbox" \
    "$? $(sb_count devnull "$spool/alice")$(sb_count devnull "$spool/bob")" "0 00"

# alice -> bob -> alice: alice's mailbox, once.
sb_user_file bob /home/bob/.forward 644 'alice'
sb_user_file alice /home/alice/.forward 644 'bob'
send three alice
tap_is "a .forward cycle alice -> bob -> alice: exit 0" "$?" 0
tap_is "the cycle ends in alice's mailbox, once" \
    "$(sb_count three "$spool/alice") $(sb_count three "$spool/bob")" "1 0"
rm -f /home/bob/.forward

# A remote address: forwarded through forward_command, as the user.
cat >/usr/local/bin/fakesubmit <<'EOT'
#!/bin/sh
{ echo "who=$(id -un)"; for a in "$@"; do echo "arg=$a"; done; } >/tmp/out/fwd.argv
cat >/tmp/out/fwd.msg
EOT
chmod 755 /usr/local/bin/fakesubmit
printf '%s\nforward_command = /usr/local/bin/fakesubmit -i\n' "$base" >"$conf"
sb_user_file alice /home/alice/.forward 644 'alice@elsewhere.example'
printf 'Subject: fwd\n\nx\n' | "$ml" -f '<>' -d alice
tap_is "a remote address in .forward: exit 0" "$?" 0
tap_is "... forward_command ran as alice with -f <> -- ADDRESS" \
    "$(tr '\n' '|' </tmp/out/fwd.argv)" \
    "who=alice|arg=-i|arg=-f|arg=<>|arg=--|arg=alice@elsewhere.example|"
tap_is "... the copy starts with Delivered-To: alice" \
    "$(head -n 1 /tmp/out/fwd.msg)" "Delivered-To: alice@test.example"
printf '%s\n' "$base" >"$conf"
sb_user_file alice /home/alice/.forward 644 'bob'

# .forward+ext first, then .forward.
sb_user_file alice /home/alice/.forward+lists 644 '\carol'
send four alice+lists
tap_is "alice+lists uses .forward+lists" \
    "$(sb_count four "$spool/carol") $(sb_count four "$spool/bob")" "1 0"
send five alice+other
tap_is "alice+other falls back to .forward" "$(sb_count five "$spool/bob")" 1
sb_user_file alice /home/alice/.forward+.x 644 '\carol'
send six 'alice+.x'
tap_is "an extension with a leading '.' never names a file" \
    "$(sb_count six "$spool/bob") $(sb_count six "$spool/carol")" "1 0"
send sixb 'alice+../../../etc'
tap_is "an extension with '/' is not a valid address: 65" "$?" 65
rm -f /home/alice/.forward+lists /home/alice/.forward+.x

# --- Unsafe .forward files: ignored, mailbox delivery ------------------
sb_user_file mallory /home/mallory/.forward 644 '"|/bin/touch /tmp/out/mallory-ran"'
ln -sf /home/mallory/.forward /home/alice/.forward
send seven alice
tap_is "a symlinked .forward (to mallory's): exit 0" "$?" 0
tap_is "... ignored: alice's mailbox, mallory's program not run" \
    "$(sb_count seven "$spool/alice") $(test -e /tmp/out/mallory-ran && echo ran)" "1 "
rm -f /home/alice/.forward
sb_user_file mallory /home/alice/.forward 644 'mallory'
send eight alice
tap_is "a .forward owned by another user is ignored" \
    "$(sb_count eight "$spool/alice") $(sb_count eight "$spool/mallory")" "1 0"
sb_user_file alice /home/alice/.forward 664 'mallory'
send nine alice
tap_is "a group-writable .forward is ignored" \
    "$(sb_count nine "$spool/alice") $(sb_count nine "$spool/mallory")" "1 0"
ln /home/alice/.forward /home/alice/.forward.hard 2>/dev/null
chmod 644 /home/alice/.forward
send ten alice
tap_is "a .forward with two links is ignored" \
    "$(sb_count ten "$spool/alice") $(sb_count ten "$spool/mallory")" "1 0"
rm -f /home/alice/.forward.hard
chmod 777 /home/alice
send eleven alice
tap_is "a mode-777 home defers (exit 75)" "$?" 75
tap_is "... and nothing was delivered" \
    "$(sb_count eleven "$spool/alice") $(sb_count eleven "$spool/mallory")" "0 0"
chmod 755 /home/alice
chmod 1755 /home/alice
send twelve alice
tap_is "a sticky home defers too (exit 75)" "$?" 75
chmod 755 /home/alice
rm -f /home/alice/.forward

# A .forward that does not parse: the mailbox, never lost.
sb_user_file alice /home/alice/.forward 644 '"|unterminated'
send thirteen alice
tap_is "a broken .forward: the mailbox (exit 0)" \
    "$? $(sb_count thirteen "$spool/alice")" "0 1"
rm -f /home/alice/.forward

# --- Programs ---------------------------------------------------------
cat >/usr/local/bin/dumpall <<'EOT'
#!/bin/sh
# argv, environment, fds, ids, cwd and stdin of a delivery program.
exec >"/tmp/out/dump.$USER"
echo "argc=$#"
for a in "$@"; do echo "arg=$a"; done
env | LC_ALL=C sort | sed 's/^/env=/'
ls /proc/self/fd | tr '\n' ' ' | sed 's/^/fds=/'
echo
echo "ids=$(id -u) $(id -g) $(id -G)"
echo "cwd=$(pwd)"
echo "pgid=$(ps -o pgid= $$ | tr -d ' ') pid=$$ sid=$(ps -o sid= $$ | tr -d ' ')"
cat >"/tmp/out/stdin.$USER"
EOT
chmod 755 /usr/local/bin/dumpall
cat >/home/alice/.forward <<'EOT'
"|/usr/local/bin/dumpall one  'two;$(id)' \"q\""
EOT
exec 7>/dev/null 8</dev/null	# descriptors the program must not get
send fourteen alice+ext
tap_is "a program in .forward: exit 0" "$?" 0
exec 7>&- 8<&-
d=/tmp/out/dump.alice
tap_is "argv is exactly the file's command, run by sh -c" \
    "$(grep '^arg' "$d" | tr '\n' '|')" 'argc=3|arg=one|arg=two;$(id)|arg=q|'
tap_is "the environment is exactly postern's" "$(grep '^env=' "$d" | tr '\n' '|')" \
"env=DOMAIN=test.example|env=EXTENSION=ext|env=HOME=/home/alice|env=LOCAL=alice|env=LOGNAME=alice|env=ORIGINAL_RECIPIENT=alice+ext@test.example|env=PATH=/usr/bin:/bin|env=PWD=/home/alice|env=RECIPIENT=alice+ext@test.example|env=SENDER=sender@example.org|env=SHELL=/bin/sh|env=USER=alice|"
tap_is "only fds 0, 1, 2 are open (and ls's own 3)" "$(grep '^fds=' "$d")" "fds=0 1 2 3 "
tap_is "alice's ids and groups only, nothing of root's or mail's" \
    "$(grep '^ids=' "$d")" "ids=3001 3001 3001 100"
tap_is "the working directory is the home" "$(grep '^cwd=' "$d")" "cwd=/home/alice"
pg=$(sed -n 's/^pgid=\([0-9]*\) pid=\([0-9]*\) sid=\([0-9]*\)/\1 \2 \3/p' "$d")
set -- $pg x x x
mysid=$(ps -o sid= $$ | tr -d ' ')
tap_check "the program is in a process group and session of its own" \
    test "$1" = "$3" -a "$3" != "$mysid"
tap_is "stdin: From_ line, Return-Path, Delivered-To, then the message" \
    "$(sed -n '2,3p;$p' /tmp/out/stdin.alice | tr '\n' '|')" \
    "Return-Path: <sender@example.org>|Delivered-To: alice+ext@test.example|body of fourteen|"
tap_is "stdin starts with the From_ line" "$(head -c 24 /tmp/out/stdin.alice)" \
    "From sender@example.org "

# The sender is never spliced into the command.
printf 'Subject: inj\n\nx\n' | "$ml" -f 'a$(touch${IFS}/tmp/out/pwned)@example.org' -d alice 2>/dev/null
tap_is "a hostile sender does not run anything" \
    "$(test -e /tmp/out/pwned && echo pwned)" ""

# Exit codes and status codes from programs.
sb_user_file alice /home/alice/.forward 644 '"|echo mailbox is full; exit 75"'
send fifteen alice
tap_is "a program exiting 75: exit 75" "$?" 75
tap_check "... with its first output line in the reason" grep -q "mailbox is full" "$SB/stderr"
sb_user_file alice /home/alice/.forward 644 '"|echo no thanks; exit 1"'
send sixteen alice
tap_is "a program exiting 1: a permanent failure (69)" "$?" 69
sb_user_file alice /home/alice/.forward 644 '"|echo 4.2.2 over quota; exit 1"'
send seventeen alice
tap_is "an RFC 3463 4.x.x code in the output overrides: 75" "$?" 75
sb_user_file alice /home/alice/.forward 644 '"|cat >/dev/null; echo 5.7.1 refused"'
send eighteen alice
tap_is "exit 0 is delivered whatever the output says (as Postfix)" "$?" 0

# A program that forks a daemon must not hold the delivery.
sb_user_file alice /home/alice/.forward 644 '"|sleep 300 & echo $! >/tmp/out/daemon.pid; exit 0"'
start=$(date +%s)
send nineteen alice
rc=$?
took=$(( $(date +%s) - start ))
tap_is "a program that leaves a daemon: exit 0" "$rc" 0
tap_check "... and returns at once (${took}s)" test "$took" -lt 20
kill "$(cat /tmp/out/daemon.pid)" 2>/dev/null

# A program that never exits is killed at the limit, group and all.
printf '%s\ncommand_time_limit = 2s\n' "$base" >"$conf"
sb_user_file alice /home/alice/.forward 644 '"|sleep 1000 & echo $! >/tmp/out/child.pid; sleep 1000"'
start=$(date +%s)
send twenty alice
rc=$?
took=$(( $(date +%s) - start ))
tap_check "a program past command_time_limit fails (exit $rc, ${took}s)" \
    test "$rc" -ne 0 -a "$took" -lt 30
sleep 1
tap_check "... and its whole process group is gone" \
    sh -c "! kill -0 $(cat /tmp/out/child.pid) 2>/dev/null"
printf '%s\n' "$base" >"$conf"

# 100 MB of output: bounded, the delivery ends.
sb_user_file alice /home/alice/.forward 644 '"|head -c 100000000 /dev/zero | tr \\\\0 x; exit 1"'
send twentyone alice
tap_is "a program writing 100 MB then failing: exit 69" "$?" 69
tap_check "... the reason is bounded" test "$(wc -c <"$SB/stderr")" -lt 5000

# root's .forward may not run programs (/root is the sandbox's tmpfs).
rm -f /home/alice/.forward
tap_check "/root is the sandbox's own tmpfs" grep -q ' /root .*sandbox-root' /proc/self/mountinfo
sb_user_file root /root/.forward 644 '"|/bin/touch /tmp/out/root-ran", alice'
send twentytwo root
tap_is "root's .forward with a program: the program fails (77)" "$?" 77
tap_is "... nothing ran; alice got the copy" \
    "$(test -e /tmp/out/root-ran && echo ran)$(sb_count twentytwo "$spool/alice")" "1"
rm -f /root/.forward

# user_commands_and_files = no
printf '%s\nuser_commands_and_files = no\n' "$base" >"$conf"
sb_user_file alice /home/alice/.forward 644 '"|/bin/touch /tmp/out/nocmd", \alice'
send twentythree alice
tap_is "user_commands_and_files = no: the program fails (77)" "$?" 77
tap_is "... it did not run; the mailbox copy arrived" \
    "$(test -e /tmp/out/nocmd && echo ran)$(sb_count twentythree "$spool/alice")" "1"

# allow_commands = restricted (smrsh)
mkdir -p /etc/postern/commands
ln -sf /usr/local/bin/dumpall /etc/postern/commands/dumpall
printf '%s\nallow_commands = restricted\n' "$base" >"$conf"
sb_user_file bob /home/bob/.forward 644 '"|/somewhere/else/dumpall a b"'
rm -f /tmp/out/dump.bob
send twentyfour bob
tap_is "restricted: a program linked in the directory runs (path ignored)" \
    "$? $(grep '^arg' /tmp/out/dump.bob 2>/dev/null | tr '\n' '|')" "0 argc=2|arg=a|arg=b|"
sb_user_file bob /home/bob/.forward 644 '"|dumpall a; touch /tmp/out/meta"'
send twentyfive bob
tap_is "restricted: a shell metacharacter is refused (77)" \
    "$? $(test -e /tmp/out/meta && echo ran)" "77 "
sb_user_file bob /home/bob/.forward 644 '"|/bin/touch /tmp/out/notlinked"'
send twentysix bob
tap_is "restricted: a program not in the directory is refused (77)" \
    "$? $(test -e /tmp/out/notlinked && echo ran)" "77 "
rm -f /home/bob/.forward /home/alice/.forward
printf '%s\n' "$base" >"$conf"

# The hop limit: more Received:/Delivered-To: headers than hop_count_limit.
printf '%s\nhop_count_limit = 3\n' "$base" >"$conf"
printf 'Received: a\nReceived: b\nDelivered-To: x@y\nReceived: c\nSubject: hops\n\nx\n' |
    "$ml" -f sender@example.org -d bob 2>"$SB/stderr"
tap_is "4 hops with hop_count_limit = 3: 69" "$?" 69
tap_check "... too many hops (5.4.6)" grep -q "too many hops" "$SB/stderr"
printf '%s\n' "$base" >"$conf"

tap_is "/etc/passwd unchanged" "$(sha256sum </etc/passwd)" "$(sha256sum <"$SB/passwd")"
tap_done
