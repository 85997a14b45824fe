#!/usr/bin/env python3
# smtp-sink.py: a scripted SMTP server on 127.0.0.1 and the test cases of
# queue/relay.c that run against it, through tests/queue/relaytest.
#
#   python3 smtp-sink.py RELAYTEST
#
# Each case starts a server thread on a free port with its own script
# (EHLO keywords, replies per command, misbehaviour), runs relaytest
# against it, and checks relaytest's per-recipient lines and what the
# server received (commands, and DATA bytes exactly as sent).  Output: TAP.
# Only loopback is used; nothing needs root.
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

RELAYTEST = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="relaytest.")
n_tests = 0
n_failed = 0


def tap(ok, desc, diag=""):
    global n_tests, n_failed
    n_tests += 1
    if not ok:
        n_failed += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n_tests, desc))
    if not ok and diag:
        for line in str(diag).splitlines():
            print("# " + line)
    sys.stdout.flush()


class Sink:
    """One scripted session: opts says how the server behaves."""

    def __init__(self, **opts):
        self.opts = opts
        self.commands = []
        self.data = None
        self.pipelined = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def send(self, conn, text):
        conn.sendall(text.encode() if isinstance(text, str) else text)

    def readline(self, conn):
        while b"\n" not in self.buf:
            chunk = conn.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def serve(self):
        conn, _ = self.sock.accept()
        self.buf = b""
        o = self.opts
        try:
            if o.get("silent"):
                time.sleep(o.get("silent"))
                return
            self.send(conn, o.get("greeting", "220 sink.test ESMTP\r\n"))
            if o.get("greeting", "220").startswith("4"):
                return
            while True:
                line = self.readline(conn)
                self.commands.append(line)
                verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
                if verb == "EHLO":
                    if o.get("ehlo_reply"):
                        self.send(conn, o["ehlo_reply"])
                        continue
                    kw = o.get("ehlo", ["SIZE 10240000", "8BITMIME",
                                        "ENHANCEDSTATUSCODES"])
                    lines = ["sink.test"] + kw
                    out = "".join("250-%s\r\n" % k for k in lines[:-1])
                    self.send(conn, out + "250 %s\r\n" % lines[-1])
                elif verb == "HELO":
                    self.send(conn, "250 sink.test\r\n")
                elif verb == "MAIL":
                    if o.get("check_pipelining"):
                        # The rest of the batch must be there already.
                        time.sleep(0.3)
                        conn.setblocking(False)
                        try:
                            self.buf += conn.recv(65536)
                        except BlockingIOError:
                            pass
                        conn.setblocking(True)
                        self.pipelined = b"DATA\r\n" in self.buf
                    self.send(conn, o.get("mail", "250 2.1.0 Ok\r\n"))
                elif verb == "RCPT":
                    addr = line.split("<", 1)[1].split(">", 1)[0]
                    self.send(conn, o.get("rcpt", {}).get(
                        addr, "250 2.1.5 Ok\r\n"))
                elif verb == "DATA":
                    rep = o.get("data", "354 End data with <CR><LF>.<CR><LF>\r\n")
                    self.send(conn, rep)
                    if not rep.startswith("354"):
                        continue
                    if o.get("close_in_data"):
                        while len(self.buf) < o["close_in_data"]:
                            chunk = conn.recv(65536)
                            if not chunk:
                                break
                            self.buf += chunk
                        conn.close()
                        return
                    while b"\r\n.\r\n" not in b"\r\n" + self.buf:
                        chunk = conn.recv(65536)
                        if not chunk:
                            raise EOFError
                        self.buf += chunk
                    end = (b"\r\n" + self.buf).index(b"\r\n.\r\n")
                    self.data = self.buf[:end]
                    self.buf = self.buf[end + 3:]
                    if o.get("no_final_reply"):
                        time.sleep(o["no_final_reply"])
                        return
                    self.send(conn, o.get("final", "250 2.0.0 Ok: queued as X\r\n"))
                elif verb == "QUIT":
                    self.send(conn, "221 2.0.0 Bye\r\n")
                    return
                elif verb == "RSET":
                    self.send(conn, "250 2.0.0 Ok\r\n")
                else:
                    self.send(conn, "502 5.5.2 Error: command not recognized\r\n")
        except (EOFError, OSError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass
            self.sock.close()


def relay(host, rcpts, msg=b"Subject: t\n\nhello\n", sender="s@example.org",
          timeout=None):
    path = os.path.join(TMP, "msg")
    with open(path, "wb") as f:
        f.write(msg)
    argv = [RELAYTEST]
    if timeout:
        argv += ["-t", str(timeout)]
    argv += [host, "client.test", sender, path] + rcpts
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = p.stdout.decode("latin-1")
    res = {}
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4:
            mta, _, text = parts[3].partition("|")
            res[parts[0]] = (int(parts[1]), parts[2], mta, text)
    return res, out


def check(desc, cond, out):
    tap(bool(cond), desc, out)


def case_normal():
    s = Sink(rcpt={"bad@x.test": "550 5.1.1 <bad@x.test>: Recipient address rejected\r\n"})
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test", "bad@x.test", "b@x.test"])
    s.thread.join(10)
    check("normal: accepted recipients get 0 and 2.0.0",
          res.get("a@x.test", (None,))[:2] == (0, "2.0.0") and
          res.get("b@x.test", (None,))[:2] == (0, "2.0.0"), out)
    check("normal: a 550 RCPT gives that recipient 69 and 5.1.1",
          res.get("bad@x.test", (None,))[:2] == (69, "5.1.1"), out)
    check("normal: Postfix-style text and mta",
          res.get("bad@x.test", (0, 0, "", ""))[3] ==
          "127.0.0.1[127.0.0.1] said: 550 5.1.1 <bad@x.test>: Recipient "
          "address rejected (in reply to RCPT TO command)" and
          res["bad@x.test"][2] == "127.0.0.1[127.0.0.1]", out)
    check("normal: EHLO, MAIL with SIZE, no BODY for 7-bit, QUIT",
          s.commands[:2] == ["EHLO client.test", "MAIL FROM:<s@example.org> SIZE=18"]
          and s.commands[-1] == "QUIT", s.commands)
    check("normal: CRLF body received", s.data == b"Subject: t\r\n\r\nhello\r\n", repr(s.data))


def case_pipelining():
    s = Sink(ehlo=["PIPELINING", "SIZE", "8BITMIME"], check_pipelining=True,
             rcpt={"t@x.test": "452 4.2.2 Mailbox full\r\n"})
    res, out = relay("127.0.0.1:%d" % s.port, ["a@x.test", "t@x.test"])
    s.thread.join(10)
    check("pipelining: MAIL, RCPTs and DATA in one batch", s.pipelined, s.commands)
    check("pipelining: 452 gives 75 and 4.2.2, the other is delivered",
          res.get("t@x.test", (None,))[:2] == (75, "4.2.2") and
          res.get("a@x.test", (None,))[0] == 0, out)
    check("pipelining: mta is host[addr] for a host name",
          res.get("a@x.test", (0, 0, ""))[2] == "127.0.0.1[127.0.0.1]", out)


def case_greet421():
    s = Sink(greeting="421 4.3.2 Service not available\r\n")
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"])
    r = res.get("a@x.test", (None, "", "", ""))
    check("421 greeting: temporary, 4.3.2, says refused to talk",
          r[0] == 75 and r[1] == "4.3.2" and "refused to talk to me: 421" in r[3], out)


def case_8bit():
    msg = b"Subject: caf\xc3\xa9\n\ncaf\xc3\xa9\n"
    s = Sink()
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"], msg=msg)
    s.thread.join(10)
    check("8BITMIME offered: BODY=8BITMIME for an 8-bit message",
          len(s.commands) > 1 and s.commands[1].endswith(" BODY=8BITMIME") and
          res["a@x.test"][0] == 0, s.commands)
    s = Sink(ehlo=["SIZE 100000"])
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"], msg=msg)
    s.thread.join(10)
    check("no 8BITMIME: sent anyway, without BODY=",
          len(s.commands) > 1 and "BODY" not in s.commands[1] and
          res["a@x.test"][0] == 0 and s.data == msg.replace(b"\n", b"\r\n"),
          repr(s.commands) + repr(s.data))


def case_size():
    s = Sink(ehlo=["SIZE 10"])
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test", "b@x.test"])
    s.thread.join(10)
    check("SIZE limit below the message: 69 and 5.3.4 for all, no MAIL",
          all(res.get(r, (None,))[:2] == (69, "5.3.4") for r in ("a@x.test", "b@x.test"))
          and not any(c.startswith("MAIL") for c in s.commands), out + repr(s.commands))


def case_multiline():
    s = Sink(rcpt={"m@x.test": "550-5.1.1 first line\r\n550-5.1.1 second line\r\n550 5.1.1 third\r\n"},
             final="250-2.0.0 Ok\r\n250 2.0.0 queued as Y\r\n")
    res, out = relay("[127.0.0.1]:%d" % s.port, ["m@x.test", "a@x.test"])
    s.thread.join(10)
    r = res.get("m@x.test", (None, "", "", ""))
    check("multi-line RCPT reply: one reply, lines joined",
          r[:2] == (69, "5.1.1") and
          "550 5.1.1 first line; second line; third" in r[3], out)
    check("multi-line final reply", res.get("a@x.test", (None,))[:2] == (0, "2.0.0"), out)


def case_close_in_data():
    msg = b"Subject: big\n\n" + (b"x" * 999 + b"\n") * 16384
    s = Sink(close_in_data=100000, ehlo=["SIZE"])
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"], msg=msg)
    r = res.get("a@x.test", (None, "", "", ""))
    check("server closes mid-DATA: 75, 4.4.2, lost connection while "
          "sending message body",
          r[0] == 75 and r[1] == "4.4.2" and
          "lost connection with 127.0.0.1[127.0.0.1] while sending message body" in r[3], out)


def case_silent():
    s = Sink(silent=5)
    t0 = time.time()
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"], timeout=1)
    r = res.get("a@x.test", (None, "", "", ""))
    check("silent server: timeout after about 1 s, 75, 4.4.2",
          r[0] == 75 and r[1] == "4.4.2" and "timed out" in r[3] and
          time.time() - t0 < 4, out)
    s = Sink(no_final_reply=5)
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"], timeout=1)
    r = res.get("a@x.test", (None, "", "", ""))
    check("no reply to the end of data: 75, may be sent more than once",
          r[0] == 75 and "more than once" in r[3], out)


def case_dotstuff():
    msg = b"Subject: dots\n\n.\n..two\n.x\nmid.dle\n.\nlast line no newline ."
    s = Sink()
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"], msg=msg)
    s.thread.join(10)
    want = (b"Subject: dots\r\n\r\n..\r\n...two\r\n..x\r\nmid.dle\r\n..\r\n"
            b"last line no newline .\r\n")
    check("dot-stuffing, CRLF and a final CRLF", s.data == want,
          "got %r\nwant %r" % (s.data, want))
    s = Sink()
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"], msg=b"")
    s.thread.join(10)
    check("empty message: nothing but the end marker", s.data == b"", repr(s.data))


def case_helo():
    s = Sink(ehlo_reply="502 5.5.2 EHLO not supported\r\n")
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"])
    s.thread.join(10)
    check("EHLO refused with 5xx: HELO, then MAIL without SIZE",
          "HELO client.test" in s.commands and res["a@x.test"][0] == 0 and
          "MAIL FROM:<s@example.org>" in s.commands, repr(s.commands) + out)


def case_all_refused():
    s = Sink(rcpt={"a@x.test": "550 5.1.1 no\r\n", "b@x.test": "551 user not local\r\n"})
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test", "b@x.test"], sender="")
    s.thread.join(10)
    check("null sender is MAIL FROM:<>", "MAIL FROM:<> SIZE=18" in s.commands, s.commands)
    check("all refused: no DATA, derived 5.1.6 for 551",
          "DATA" not in s.commands and res["b@x.test"][:2] == (69, "5.1.6"),
          repr(s.commands) + out)


def case_mail_refused_pipelined():
    s = Sink(ehlo=["PIPELINING"], mail="553 5.7.1 sender rejected\r\n",
             data="554 5.5.1 no valid recipients\r\n")
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test", "b@x.test"])
    s.thread.join(10)
    check("pipelined MAIL refused: every recipient gets MAIL's reply",
          all(res.get(r, (None,))[:2] == (69, "5.7.1") for r in ("a@x.test", "b@x.test")) and
          "(in reply to MAIL FROM command)" in res["a@x.test"][3], out)


def case_connect_refused():
    sk = socket.socket()
    sk.bind(("127.0.0.1", 0))
    port = sk.getsockname()[1]
    sk.close()
    res, out = relay("[127.0.0.1]:%d" % port, ["a@x.test"])
    r = res.get("a@x.test", (None, "", "", ""))
    check("connection refused: 75, 4.4.1, names the host",
          r[0] == 75 and r[1] == "4.4.1" and "connect to 127.0.0.1[127.0.0.1]:%d" % port in r[3], out)


def case_bad_relayhost():
    ok = True
    outs = ""
    for h, why in [("", "no relayhost is configured"),
                   ("[127.0.0.1", 'bad relayhost "[127.0.0.1": no closing bracket'),
                   ("::1:25", 'bad relayhost "::1:25": an IPv6 address must be in brackets'),
                   ("host:0", 'bad relayhost "host:0": bad port'),
                   ("host:99999", 'bad relayhost "host:99999": bad port'),
                   ("[::1]x", 'bad relayhost "[::1]x": text after the closing bracket')]:
        res, out = relay(h, ["a@x.test"])
        outs += out
        r = res.get("a@x.test", (None, "", "", ""))
        ok = ok and r[0] == 78 and r[1] == "4.3.5" and r[3].startswith(why)
    check("empty or malformed relayhost: 78 and 4.3.5", ok, outs)


def case_long_line():
    s = Sink(rcpt={"a@x.test": "250 " + "x" * 5000 + "\r\n"})
    res, out = relay("[127.0.0.1]:%d" % s.port, ["a@x.test"])
    r = res.get("a@x.test", (None, "", "", ""))
    check("reply line over 4096 bytes: protocol error, 75, 4.5.0",
          r[0] == 75 and r[1] == "4.5.0", out)


def case_ipv6():
    try:
        sk = socket.socket(socket.AF_INET6)
        sk.bind(("::1", 0))
        sk.close()
    except OSError:
        print("ok %d - IPv6 literal # SKIP no ::1 here" % (n_tests + 1))
        globals()["n_tests"] += 1
        return
    res, out = relay("[::1]:1", ["a@x.test"])
    r = res.get("a@x.test", (None, "", "", ""))
    check("[::1]:1 is tried as an IPv6 address", r[0] == 75 and "[::1]" in r[3], out)


for case in [case_normal, case_pipelining, case_greet421, case_8bit, case_size,
             case_multiline, case_close_in_data, case_silent, case_dotstuff,
             case_helo, case_all_refused, case_mail_refused_pipelined,
             case_connect_refused, case_bad_relayhost, case_long_line, case_ipv6]:
    try:
        case()
    except Exception as e:  # a broken case is a failure, not a crash
        tap(False, case.__name__, repr(e))
print("1..%d" % n_tests)
sys.exit(1 if n_failed else 0)
