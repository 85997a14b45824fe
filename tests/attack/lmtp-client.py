#!/usr/bin/python3
"""lmtp-client: a scripted, hostile LMTP client for the attack tests.

  lmtp-client.py [--times] [--timeout S] -- PROGRAM [ARG...] ;; PIECE...

Starts PROGRAM (mail.local -l) with pipes, writes the PIECEs in order
while a thread reads the replies, and prints every reply line (CRLF
removed; with --times prefixed by the seconds since the start), then
"rc N" (the exit status, or "rc timeout" when it had to be killed
TIMEOUT seconds after the input was closed), "maxrss KB" (the peak RSS
of the program and the children it waited for, from wait4) and
"sent N" (bytes written before the program stopped reading).

A PIECE is one of
  text:STRING          STRING with Python escapes (\\r\\n, \\x00) decoded
  rep:COUNT:STRING     STRING (decoded) COUNT times, streamed in big writes
  bytes:COUNT:BYTE     COUNT times the byte BYTE (decimal), streamed
  lines:COUNT:LEN:BYTE COUNT lines of LEN times the byte BYTE and CRLF
  random:COUNT:SEED    COUNT pseudo-random bytes (NULs and CRLFs included)
  trickle:SECS:STRING  STRING (decoded) one byte every SECS seconds
  sleep:SECS           pause
  close                close the program's input (the client vanishes
                       or is done); anything after it is ignored
The input is closed after the last piece in any case.
"""
import codecs
import os
import random
import subprocess
import sys
import threading
import time

CHUNK = 1 << 20


def decode(s):
    return codecs.escape_decode(s.encode('latin-1'))[0]


def main(argv):
    times = False
    timeout = 60.0
    i = 1
    while i < len(argv) and argv[i] != '--':
        if argv[i] == '--times':
            times = True
            i += 1
        elif argv[i] == '--timeout':
            timeout = float(argv[i + 1])
            i += 2
        else:
            sys.stderr.write('lmtp-client: unknown option %s\n' % argv[i])
            return 64
    rest = argv[i + 1:]
    if ';;' not in rest:
        sys.stderr.write('lmtp-client: usage: see the source\n')
        return 64
    cmd = rest[:rest.index(';;')]
    pieces = rest[rest.index(';;') + 1:]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    lines = []

    def reader():
        buf = b''
        while True:
            data = p.stdout.read1(65536)
            if not data:
                break
            buf += data
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                lines.append((time.monotonic() - t0,
                              line.rstrip(b'\r').decode('latin-1')))
        if buf:
            lines.append((time.monotonic() - t0, buf.decode('latin-1')))

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    sent = 0
    fd = p.stdin.fileno()

    def write(data):
        nonlocal sent
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            sent += n
            view = view[n:]

    def stream(unit, count):
        """unit count times, in writes of about CHUNK bytes."""
        per = max(1, CHUNK // max(1, len(unit)))
        block = unit * per
        while count >= per:
            write(block)
            count -= per
        if count:
            write(unit * count)

    try:
        for piece in pieces:
            kind, _, arg = piece.partition(':')
            if kind == 'text':
                write(decode(arg))
            elif kind == 'rep':
                count, _, s = arg.partition(':')
                stream(decode(s), int(count))
            elif kind == 'bytes':
                count, _, b = arg.partition(':')
                stream(bytes([int(b)]), int(count))
            elif kind == 'lines':
                count, length, b = (int(x) for x in arg.split(':'))
                stream(bytes([b]) * length + b'\r\n', count)
            elif kind == 'random':
                count, _, seed = arg.partition(':')
                rnd = random.Random(int(seed))
                count = int(count)
                while count > 0:
                    n = min(count, CHUNK)
                    write(rnd.randbytes(n))
                    count -= n
            elif kind == 'trickle':
                secs, _, s = arg.partition(':')
                for c in decode(s):
                    write(bytes([c]))
                    time.sleep(float(secs))
            elif kind == 'sleep':
                time.sleep(float(arg))
            elif kind == 'close':
                break
            else:
                sys.stderr.write('lmtp-client: bad piece %s\n' % piece)
                p.kill()
                return 64
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        p.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            status, maxrss = st, ru.ru_maxrss
            break
        time.sleep(0.01)
    if status is None:
        p.kill()
        _, st, ru = os.wait4(p.pid, 0)
        maxrss = ru.ru_maxrss
        rc = 'timeout'
    else:
        rc = str(os.waitstatus_to_exitcode(status))
    p.returncode = 0
    th.join(5)
    out = sys.stdout
    for t, line in lines:
        out.write(('%.1f %s\n' % (t, line)) if times else line + '\n')
    out.write('rc %s\nmaxrss %d\nsent %d\n' % (rc, maxrss, sent))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
