#!/usr/bin/env python3
"""LMTP conformance of `mail.local -l`, run by tests/mail.local/lmtp.sh
inside the sandbox (as root).  Prints TAP.

Each case starts mail.local -l, writes the client's bytes in the pieces
given (with a pause between pieces, so that each piece really arrives in
its own read), reads every reply, and checks the replies and the mailbox
bytes against what was sent.  Expected mailbox contents are computed here
from the message sent: LF line ends, dot-stuffing removed, Return-Path and
Delivered-To added, a From_ line before and a blank line after.
"""
import os
import subprocess
import sys
import time

ML = sys.argv[1]
SPOOL = sys.argv[2]
CONF = sys.argv[3]
HOST = "test.example"

n = 0
failed = 0


def ok(cond, desc, diag=""):
    global n, failed
    n += 1
    if cond:
        print("ok %d - %s" % (n, desc))
    else:
        failed += 1
        print("not ok %d - %s" % (n, desc))
        for line in str(diag).splitlines()[:40]:
            print("# " + line)
    sys.stdout.flush()


def conf(text):
    with open(CONF, "w") as f:
        f.write("myhostname = %s\n%s" % (HOST, text))


def session(pieces, args=(), pause=0.05, timeout=60):
    """Run mail.local -l, send the pieces, return (replies, exit code)."""
    p = subprocess.Popen([ML, "-l"] + list(args), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for piece in pieces:
        try:
            p.stdin.write(piece)
            p.stdin.flush()
        except BrokenPipeError:
            break
        if pause:
            time.sleep(pause)
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    out = p.stdout.read()
    rc = p.wait(timeout=timeout)
    return out.decode("latin-1").split("\r\n")[:-1], rc


def codes(replies):
    """The reply code (and enhanced code) of each final reply line."""
    return [r[:9].rstrip() for r in replies if len(r) > 3 and r[3] == " "]


def mbox(user):
    try:
        with open(os.path.join(SPOOL, user), "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def clear(*users):
    for u in users:
        for name in (u, u + ".lock"):
            try:
                os.unlink(os.path.join(SPOOL, name))
            except FileNotFoundError:
                pass


def unstuff(data):
    """The message a DATA section carries (RFC 5321 4.5.2), LF ends."""
    out = []
    for line in data.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line == b".":
            break
        if line.startswith(b"."):
            line = line[1:]
        out.append(line)
    if out and out[-1] == b"" and data.endswith(b"\n"):
        out.pop()   # the split after the last line end
    return b"\n".join(out) + b"\n"


def expected(sender, rcpt, message):
    """Mailbox bytes after From_ for one delivery (mboxrd quoting)."""
    body = []
    for line in message.split(b"\n")[:-1]:
        s = line.lstrip(b">")
        if s.startswith(b"From "):
            line = b">" + line
        body.append(line)
    return (b"Return-Path: <%s>\nDelivered-To: %s\n" % (sender, rcpt) +
            b"\n".join(body) + b"\n\n")


def after_from(box):
    """Drop the From_ line of a mailbox holding one message."""
    return box.split(b"\n", 1)[1] if box.startswith(b"From ") else box


def txn(rcpts, data, sender=b"s@example.org"):
    """A whole LMTP transaction, already dot-stuffed data included."""
    out = b"LHLO client.example\r\nMAIL FROM:<%s>\r\n" % sender
    for r in rcpts:
        out += b"RCPT TO:<%s>\r\n" % r
    return out + b"DATA\r\n" + data


conf("")

# 1. greeting and LHLO.
rep, rc = session([b"LHLO c.example\r\nQUIT\r\n"])
ok(rep and rep[0].startswith("220 "), "greeting 220", rep)
ext = [r[4:] for r in rep if r.startswith("250")]
for e in ("PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "CHUNKING"):
    ok(e in ext, "LHLO offers " + e, rep)
ok(any(e.startswith("SIZE ") for e in ext), "LHLO offers SIZE", rep)
ok(rc == 0 and rep[-1].startswith("221 2.0.0"), "QUIT: 221 2.0.0, exit 0",
   (rep, rc))
rep, rc = session([b"LHLO c\r\nMAIL FROM:<a@b> BODY=8BITMIME\r\nQUIT\r\n"],
                  args=["-7"])
ok("8BITMIME" not in [r[4:] for r in rep] and codes(rep)[2] == "555 5.5.4",
   "-7: no 8BITMIME offered, BODY=8BITMIME refused", rep)
rep, rc = session([b"HELO c\r\nEHLO c\r\nMAIL FROM:<a@b>\r\nQUIT\r\n"])
ok(codes(rep)[1:4] == ["500 5.5.1", "500 5.5.1", "503 5.5.1"],
   "HELO and EHLO get 500 5.5.1, MAIL before LHLO 503 5.5.1", rep)

# 2. pipelining: the whole transaction in one write.
clear("alice", "bob")
msg = b"Subject: pipelined\r\n\r\nhello\r\n"
rep, rc = session([txn([b"alice", b"nosuchuser", b"bob@" + HOST.encode()],
                       msg + b".\r\nQUIT\r\n")], pause=0)
c = codes(rep)
ok(c[0].startswith("220") and c[1].startswith("250") and
   c[2:] == ["250 2.1.0", "250 2.1.5", "550 5.1.1", "250 2.1.5", "354 go ah",
             "250 2.0.0", "250 2.0.0", "221 2.0.0"],
   "pipelined transaction: replies in order, 550 5.1.1 at RCPT, one "
   "reply per accepted recipient", rep)
ok(after_from(mbox("alice")) ==
   expected(b"s@example.org", b"alice@" + HOST.encode(), unstuff(msg)),
   "alice's mbox holds the message exactly", mbox("alice"))
ok(after_from(mbox("bob")) ==
   expected(b"s@example.org", b"bob@" + HOST.encode(), unstuff(msg)),
   "bob's mbox holds it too", mbox("bob"))

# 3. dot-stuffing, bare LF, a From line.
clear("alice")
msg = (b"Subject: dots\r\n\r\n..leading dot\r\n..\r\n...\r\n.. x\r\n"
       b"From start\r\nbare\nlf\n \r\n")
rep, rc = session([txn([b"alice"], msg + b".\r\nQUIT\r\n")])
ok(after_from(mbox("alice")) ==
   expected(b"s@example.org", b"alice@" + HOST.encode(), unstuff(msg)),
   "dot-stuffing undone, bare LF lines kept, From quoted", mbox("alice"))

# 4. CVE-2000-0319: long lines ending in a dot, every split.
for length in (2046, 2047, 2048, 4096, 65536, 1 << 20):
    clear("alice")
    line = b"x" * (length - 1) + b"."
    msg = b"Subject: long\r\n\r\n" + line + b"\r\n" + b"." * length + b"\r\n"
    stuffed = msg.replace(b"\r\n.", b"\r\n..")
    data = txn([b"alice"], stuffed + b".\r\nQUIT\r\n")
    # pieces: cut right before and after every CR and LF of the data tail
    cut = data.index(b"DATA\r\n") + 6
    pieces = [data[:cut]]
    rest = data[cut:]
    k = 0
    for i, c in enumerate(rest):
        if c in (13, 10) or i % 65536 == 0:
            pieces.append(rest[k:i])
            k = i
    pieces.append(rest[k:])
    pieces = [p for p in pieces if p]
    rep, rc = session(pieces, pause=0.002)
    ok(codes(rep)[-2:] == ["250 2.0.0", "221 2.0.0"] and
       after_from(mbox("alice")) ==
       expected(b"s@example.org", b"alice@" + HOST.encode(), unstuff(stuffed)),
       "%d-byte lines ending in '.', CR and LF in separate reads: whole "
       "and exact" % length, (rep, len(mbox("alice"))))

# the end marker split at every place
clear("alice")
msg = b"Subject: split\r\n\r\nbody.\r\n"
tail = b".\r\nQUIT\r\n"
good = 0
for i in range(1, len(tail)):
    rep, rc = session([txn([b"alice"], msg + tail[:i]), tail[i:]])
    good += codes(rep)[-2:] == ["250 2.0.0", "221 2.0.0"]
ok(good == len(tail) - 1, "the end marker split at every place", good)
ok(mbox("alice").count(b"\nSubject: split\n") == len(tail) - 1,
   "... one whole message each time", mbox("alice")[:200])

# 5. size limit, session goes on.
conf("message_size_limit = 2k\n")
clear("alice")
rep, rc = session([txn([b"alice"], b"x" * 5000 + b"\r\n.\r\n") +
                   b"MAIL FROM:<a@b> SIZE=999999\r\n"
                   b"MAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<alice>\r\n"
                   b"DATA\r\nsmall\r\n.\r\nQUIT\r\n"])
ok(codes(rep)[5:] == ["552 5.3.4", "552 5.3.4", "250 2.1.0", "250 2.1.5",
                      "354 go ah", "250 2.0.0", "221 2.0.0"],
   "over message_size_limit: 552 5.3.4 (DATA and MAIL SIZE=), the session "
   "goes on", rep)
ok(mbox("alice").count(b"From s@example.org") == 0 and
   mbox("alice").count(b"\nsmall\n") == 1,
   "only the small message was delivered", mbox("alice"))
conf("")

# 6. 1000 recipients; the 1001st gets 452 4.5.3.
clear("alice")
rcpts = [b"alice"] * 1001
rep, rc = session([txn(rcpts, b"Subject: many\r\n\r\nx\r\n.\r\nQUIT\r\n")],
                  pause=0, timeout=600)
c = codes(rep)
ok(c.count("452 4.5.3") == 1 and c[1003] == "452 4.5.3",
   "RCPT 1001 gets 452 4.5.3", c[995:1005])
ok(c[1005:2005] == ["250 2.0.0"] * 1000 and c[2005:] == ["221 2.0.0"],
   "1000 replies after DATA", c[1000:1010])
# The same recipient 1000 times is one final destination: one copy (as
# sendmail and Postfix suppress duplicate recipients).
ok(mbox("alice").count(b"\nSubject: many\n") == 1,
   "one copy for 1000 times the same recipient",
   mbox("alice").count(b"\nSubject: many\n"))

# 7. RSET, two transactions, NOOP, VRFY, DATA without recipients.
clear("alice", "bob")
rep, rc = session([b"LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\n"
                   b"RSET\r\nNOOP\r\nVRFY alice\r\n"
                   b"MAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nDATA\r\none\r\n.\r\n"
                   b"MAIL FROM:<a@b>\r\nRCPT TO:<bob>\r\nDATA\r\ntwo\r\n.\r\n"
                   b"MAIL FROM:<a@b>\r\nRCPT TO:<nosuchuser>\r\nDATA\r\n"
                   b"RSET\r\nQUIT\r\n"])
ok(codes(rep)[2:] == ["250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0",
                      "252 2.5.0", "250 2.1.0", "250 2.1.5", "354 go ah",
                      "250 2.0.0", "250 2.1.0", "250 2.1.5", "354 go ah",
                      "250 2.0.0", "250 2.1.0", "550 5.1.1", "503 5.5.1",
                      "250 2.0.0", "221 2.0.0"],
   "RSET, NOOP, VRFY 252, two messages, DATA with no recipient 503 5.5.1",
   rep)
ok(mbox("alice") == b"" and mbox("bob").count(b"From a@b ") == 2,
   "RSET dropped alice; bob got two", (mbox("alice"), mbox("bob")))

# 8. BDAT: chunks, no dot-unstuffing, CRLF split across chunks.
clear("alice")
chunk1 = b"Subject: bdat\r\n\r\n.not stuffed\r"
chunk2 = b"\n..two dots\r\n"
rep, rc = session([b"LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\n",
                   b"BDAT %d\r\n" % len(chunk1) + chunk1,
                   b"BDAT %d LAST\r\n" % len(chunk2) + chunk2, b"QUIT\r\n"])
ok(codes(rep)[2:] == ["250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0",
                      "221 2.0.0"], "BDAT: 250 per chunk, one reply after "
   "LAST", rep)
ok(after_from(mbox("alice")) ==
   expected(b"a@b", b"alice@" + HOST.encode(),
            b"Subject: bdat\n\n.not stuffed\n..two dots\n"),
   "BDAT content exact, dots untouched", mbox("alice"))
rep, rc = session([b"LHLO c\r\nBDAT 4\r\nabcdNOOP\r\nQUIT\r\n"])
ok(codes(rep)[2:] == ["503 5.5.1", "250 2.0.0", "221 2.0.0"],
   "BDAT without a transaction: its data is skipped, 503 5.5.1", rep)

# 9. a too-long command, NUL in a command, unknown commands.
rep, rc = session([b"LHLO c\r\nNOOP " + b"x" * 3000 + b"\r\nNO\0OP\r\n"
                   b"FOO\r\nNOOP\r\nQUIT\r\n"])
ok(codes(rep)[2:] == ["500 5.5.2", "500 5.5.2", "500 5.5.2", "250 2.0.0",
                      "221 2.0.0"],
   "a 3000-byte line, a NUL and an unknown verb: 500 5.5.2, session goes "
   "on", rep)

# 10. disconnect in the middle of DATA: nothing delivered.
clear("alice")
rep, rc = session([txn([b"alice"], b"Subject: cut\r\n\r\npartial line")])
ok(mbox("alice") == b"" and rc == 0,
   "client gone mid-DATA: nothing delivered, mail.local exits", (rep, rc))

# 11. idle timeout.
conf("lmtp_timeout = 1s\n")
t0 = time.time()
p = subprocess.Popen([ML, "-l"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
p.stdin.write(b"LHLO c\r\n")
p.stdin.flush()
out = p.stdout.read().decode("latin-1")
p.wait(timeout=30)
p.stdin.close()
ok("421 4.4.2" in out and time.time() - t0 < 20,
   "an idle client gets 421 4.4.2 after lmtp_timeout", out)
conf("")

print("1..%d" % n)
sys.exit(1 if failed else 0)
