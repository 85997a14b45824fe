#!/bin/sh
# bench/queue.sh: the queue runner's benchmark (`make bench-queue`, also
# run at the end of `make bench`), as root.
#
# Like bench/run.sh it runs inside the test sandbox (tests/sandbox/
# sandbox.sh), with the mail spool, the homes and postern's queue
# directory bound to directories on the build tree's disk, so fsync costs
# what it costs there.  Ten local users u0..u9 get the mail; alice submits
# it with the real setgid sendmail (`sendmail -i uK`, a 4 KiB message).
#
# Rows (BENCH_QUEUE_N, default 10000, messages spread over the 10 users):
#   submit         N submissions by 4 concurrent `sendmail -i` processes,
#                  with no runner: the queue is filled for the flushes
#   flush -q       `postern-queue -q` over the N queued messages, under
#                  GNU time: wall, and CPU of the runner and every child
#                  it waited for (pickup children, delivery children,
#                  mail.local), until it exits with the queue empty
#   flush -f       the same with the daemon `postern-queue -f`: wall from
#                  its start until submit/new and queue/ are empty (polled
#                  every 50 ms), CPU from /proc/PID/stat (its own and its
#                  reaped children's)
#   flush -q, 10 rcpts  the -q flush of N/10 messages, each to all ten
#                  users (`sendmail -i u0 ... u9`): N deliveries, one LMTP
#                  transaction and one write of the results per message
#   mail.local -l  postern's mail.local, one LMTP session of N
#                  transactions (one recipient each, the 10 users in
#                  turn): the delivery agent's own rate on the same disk
# Latency (BENCH_QUEUE_LAT_N, default 200): with `postern-queue -f`
# running and idle, one message at a time is submitted; the delay from
# sendmail's exit until the recipient's mbox grows (os.stat polled every
# 0.2 ms) is recorded: median, 90th and 99th percentile, maximum.
#
# BENCH_QUEUE_WRAP, when set, is a command prefix for the `-q` run (for
# example "strace -c -f -o /tmp/q.strace" or "perf record -g -o ..."):
# its figures then measure the wrapped run.
#
# Output: tables, figures only; no pass or fail.
set -u
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/sandbox/sandbox.sh"

N=${BENCH_QUEUE_N:-10000}
LN=${BENCH_QUEUE_LAT_N:-200}
command -v /usr/bin/time >/dev/null ||
	tap_skip_all "GNU time is needed for the CPU figures (apt-get install time)"
[ -x /usr/bin/python3 ] ||
	tap_skip_all "/usr/bin/python3 is needed for the -f and latency figures"
sandbox_enter "$@"

disk=$top_builddir/bench-queue-disk
br=$top_builddir/bench/benchrun
ml=$POSTERN_LIBEXECDIR/mail.local
sm=$POSTERN_SBINDIR/sendmail
pq=$POSTERN_SBINDIR/postern-queue
q=$POSTERN_QUEUE_DIR
spool=$POSTERN_MAIL_SPOOL
py=/usr/bin/python3

rm -rf "$disk"
mkdir -p "$disk/spool" "$disk/home" "$disk/queue"
chown root:mail "$disk/spool" && chmod 2775 "$disk/spool"
# The queue as the install hook made it (owners and modes), on the disk.
cp -a "$q/." "$disk/queue/"
chmod 0755 "$disk/queue"
mount --bind "$disk/queue" "$q"
mount --bind "$disk/spool" "$spool"
mount --bind "$disk/home" /home
for u in alice bob; do
	mkdir -p "/home/$u" && chown "$u:$u" "/home/$u"
done
users=
i=0
while [ $i -lt 10 ]; do
	sb_add_user "u$i" $((3100 + i))
	users="$users u$i"
	i=$((i + 1))
done
printf 'myhostname = bench.example\n' >"$POSTERN_CONFIG_DIR/postern.conf"
alice_ids="$(sb_uid alice):$(sb_gid alice)"

# The 4 KiB message (as bench/run.sh's).
msg=$SB/msg
{
	printf 'From: bench@example.org\nSubject: bench\n\n'
	i=0
	while [ $i -lt 56 ]; do
		printf 'line %02d of the benchmark message, 4 KiB in all ....................\n' $i
		i=$((i + 1))
	done
} >"$msg"
chmod 644 "$msg"

clean() {
	rm -rf "${spool:?}"/* "$q"/submit/new/* "$q"/submit/bad/* "$q"/queue/* \
	    "$q"/queue/.[!.]* 2>/dev/null
	chmod 2775 "$spool"
	sync
}
# Messages in the users' mboxes.
delivered() {
	cat "$spool"/u[0-9] 2>/dev/null | grep -c '^From '
}
queued() {
	find "$q/submit/new" "$q/queue" -mindepth 1 -maxdepth 1 ! -name '.*' |
	    wc -l
}
# Fill the queue: N messages, the users in turn, 4 sendmails at once
# (with "all": N/10 messages, each to all ten users).  Prints the wall
# seconds.
submit_all() {
	_t0=$(date +%s.%N)
	_k=0
	# shellcheck disable=SC2086
	[ "${1:-}" != all ] || "$br" -j 4 -u "$alice_ids" -n $((N / 10)) \
	    -i "$msg" -- "$sm" -i $users >>"$SB/submit.out"
	[ "${1:-}" = all ] || for _u in $users; do
		_n=$((N / 10 + (_k < N % 10 ? 1 : 0)))
		_k=$((_k + 1))
		[ "$_n" -gt 0 ] || continue
		"$br" -j 4 -u "$alice_ids" -n "$_n" -i "$msg" -- "$sm" -i "$_u" \
		    >>"$SB/submit.out"
	done
	_t1=$(date +%s.%N)
	awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.3f", b - a }'
}
hdr() {
	printf '%-22s %8s %9s %9s %9s %11s %9s %12s\n' row messages "wall s" \
	    "msg/s" "CPU s" "CPU ms/msg" "pickup s" delivered
}
# row NAME COUNT WALL CPU PICKUP DELIVERED ("-": not measured)
row() {
	awk -v r="$1" -v n="$2" -v w="$3" -v c="$4" -v pk="$5" -v d="$6" 'BEGIN {
		cpm = c == "-" ? "-" : sprintf("%.3f", c * 1000 / n)
		cs = c == "-" ? "-" : sprintf("%.2f", c)
		printf "%-22s %8d %9.2f %9.0f %9s %11s %9s %12s\n", r, n, w,
		    n / w, cs, cpm, pk, d
	}'
}

# The flush helper: postern-queue -q or -f over the full queue.  Prints
# "wall cpu pickup empty|not-empty", pickup being when submit/new became
# empty (polled every 50 ms, as the end of -f is).  -q runs under GNU
# time (wall and CPU of the runner and all it waited for); -f is timed
# from its start until submit/new and queue/ are empty, its CPU read
# from /proc/PID/stat (its own and its reaped children's).
cat >"$SB/flush.py" <<'EOF'
import os, shlex, subprocess, sys, time
pq, q, mode, log, tfile, wrap = sys.argv[1:7]
new, queue = os.path.join(q, "submit/new"), os.path.join(q, "queue")
def left(d):
    return sum(1 for n in os.listdir(d) if not n.startswith("."))
lf = open(log, "w")
picked = None
t0 = time.monotonic()
if mode == "-q":
    p = subprocess.Popen(["/usr/bin/time", "-o", tfile, "-f", "%e %U %S"] +
        shlex.split(wrap) + [pq, "-q"], stdout=lf, stderr=lf)
    while p.poll() is None:
        if picked is None and left(new) == 0:
            picked = time.monotonic() - t0
        time.sleep(0.05)
    wall, u, s = open(tfile).read().split()[-3:]
    wall, cpu = float(wall), float(u) + float(s)
else:
    p = subprocess.Popen([pq, "-f"], stdout=lf, stderr=lf)
    while time.monotonic() - t0 < 3600:
        if picked is None and left(new) == 0:
            picked = time.monotonic() - t0
        if picked is not None and left(queue) == 0:
            break
        time.sleep(0.05)
    wall = time.monotonic() - t0
    time.sleep(0.3)	# the last delivery child reports and is reaped
    with open("/proc/%d/stat" % p.pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    # utime stime cutime cstime
    cpu = sum(int(x) for x in st[11:15]) / os.sysconf("SC_CLK_TCK")
last = subprocess.run([pq, "-p"], capture_output=True, text=True).stdout
if mode == "-f":
    p.terminate()
    p.wait()
print("%.3f %.2f %s %s" % (wall, cpu, "%.2f" % picked if picked else "-",
    "empty" if "Mail queue is empty" in last else "not-empty"))
EOF
# flush MODE [all]: fill the queue with no runner (all: ten recipients
# per message), then flush it with MODE.
sub_shown=no
flush() {
	_mode=$1
	_name="flush postern-queue $_mode"
	[ "${2:-}" != all ] || _name="flush -q, 10 rcpts"
	clean
	: >"$SB/submit.out"
	_st=$(submit_all "${2:-}")
	_nq=$(queued)
	sync
	# shellcheck disable=SC2046
	set -- $($py "$SB/flush.py" "$pq" "$q" "$_mode" "$SB/flush$_mode.log" \
	    "$SB/q.time" "${BENCH_QUEUE_WRAP:-}")
	if [ "$sub_shown" = no ] && [ "${2:-}" != all ]; then
		row "submit (4 parallel)" "$N" "$_st" - - "$_nq queued"
		sub_shown=yes
	fi
	if [ $# -ne 4 ]; then
		echo "flush postern-queue $_mode: the helper failed (see $SB/flush$_mode.log)"
		return
	fi
	row "$_name" "$N" "$1" "$2" "$3" "$(delivered)/$N"
	[ "$4" = empty ] ||
		echo "  (postern-queue -p does not say the queue is empty)"
}

echo "postern-queue: $N messages of 4 KiB from alice to 10 local users (u0..u9)"
hdr
# 1 and 2: one pass (-q), then the daemon (-f), each over a full queue.
flush -q
flush -f
flush -q all

# GNU time -f '%e %U %S' output: "wall cpu"
wallcpu() { awk 'END { printf "%s %.2f", $1, $2 + $3 }' "$1"; }

# 3. mail.local's own LMTP rate: one session, N transactions.
clean
awk -v c="$N" -v rcpts="$users" -v f="$msg" 'BEGIN {
	n = split(rcpts, r, " ")
	while ((getline l < f) > 0) body = body l "\r\n"
	printf "LHLO bench\r\n"
	for (i = 0; i < c; i++) {
		printf "MAIL FROM:<bench@example.org>\r\n"
		printf "RCPT TO:<%s>\r\n", r[i % n + 1]
		printf "DATA\r\n%s.\r\n", body
	}
	printf "QUIT\r\n"
}' >"$SB/session"
sync
/usr/bin/time -o "$SB/l.time" -f '%e %U %S' "$ml" -l <"$SB/session" \
    >"$SB/lmtp.out" 2>&1
# shellcheck disable=SC2046
set -- $(wallcpu "$SB/l.time")
row "mail.local -l session" "$N" "$1" "$2" - "$(delivered)/$N"
rm -f "$SB/session"

# 4. Latency: the daemon idle, one message at a time.
clean
cat >"$SB/latency.py" <<'EOF'
import os, subprocess, sys, time
pq, sm, spool, msgf, n, log = sys.argv[1:7]
n = int(n)
users = ["u%d" % i for i in range(10)]
body = open(msgf, "rb").read()
lf = open(log, "w")
p = subprocess.Popen([pq, "-f"], stdout=lf, stderr=lf)
time.sleep(0.5)
def size(u):
    try:
        return os.stat(os.path.join(spool, u)).st_size
    except FileNotFoundError:
        return -1
lat, sub, lost = [], [], 0
for i in range(n):
    u = users[i % 10]
    s0 = size(u)
    t = time.monotonic()
    r = subprocess.run(["setpriv", "--reuid=alice", "--regid=alice",
        "--init-groups", "--reset-env", "--", sm, "-i", u], input=body,
        cwd="/home/alice")
    t0 = time.monotonic()
    sub.append(t0 - t)
    if r.returncode != 0:
        lost += 1
        continue
    while size(u) == s0:
        if time.monotonic() - t0 > 10:
            lost += 1
            break
        time.sleep(0.0002)
    else:
        lat.append(time.monotonic() - t0)
    time.sleep(0.01)	# the runner back to idle (its child reaped)
p.terminate()
p.wait()
def pct(v, q):
    v = sorted(v)
    return v[max(0, (len(v) * q + 99) // 100 - 1)] * 1000 if v else float("nan")
print("%d %.2f %.2f %.2f %.2f %.2f %d" % (len(lat), pct(lat, 50), pct(lat, 90),
    pct(lat, 99), max(lat) * 1000 if lat else float("nan"), pct(sub, 50), lost))
EOF
echo
printf '%-30s %8s %8s %8s %8s %8s %14s\n' \
    "latency (sendmail exit->mbox)" messages "p50 ms" "p90 ms" "p99 ms" \
    "max ms" "submit p50 ms"
# shellcheck disable=SC2046
set -- $($py "$SB/latency.py" "$pq" "$sm" "$spool" "$msg" "$LN" "$SB/lat.log")
printf '%-30s %8s %8s %8s %8s %8s %14s\n' "postern-queue -f, idle" "$1" \
    "$2" "$3" "$4" "$5" "$6"
[ "${7:-0}" = 0 ] || echo "  ($7 of $LN messages failed or took over 10 s)"
echo "(disk: $(df -PT "$disk" | awk 'NR == 2 { print $1 " (" $2 ")" }')," \
    "queue, spool and homes on it; $(nproc) CPUs;" \
    "CPU includes the children waited for)"
