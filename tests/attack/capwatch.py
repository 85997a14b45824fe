#!/usr/bin/python3
"""capwatch: watch every process of the sandbox's PID namespace and judge
the privileges postern's processes and their descendants held.

  capwatch.py watch OUT      sample /proc/*/status every few milliseconds
                             into OUT until SIGTERM
  capwatch.py check OUT --sbindir DIR --libexecdir DIR [--expect NAME]...
                             [--expect-child]

A record is written whenever a process's (uids, gids, groups, capability
sets) differ from its last one, and every 20 ms while they stay the
same; its last field is the CPU time the process has used (user and
system, in clock ticks).  The check applies these rules:

  1. A process whose real, effective or saved uid is not 0 holds no
     permitted, effective or ambient capability (except the harness's
     /usr/bin/setpriv, between its setresuid and its exec).  A sample is
     taken only when /proc/PID/exe is the same before and after reading
     the status, so a record never mixes two programs.
  2. mail.local as uid 0 holds at most CAP_SETUID|CAP_SETGID (0xc0) in its
     permitted, effective and bounding sets, none inheritable or ambient;
     postern-queue as uid 0 at most the runner's five (0x1c6), bounding at
     most 0xc0|CAP_SETPCAP (0x1c0).  A process may be seen with the
     rights it was started with before it drops them (the start-up
     samples are counted, not judged); once it has dropped, a later
     sample with more is a violation.  It must drop before it starts a
     child: a process seen with its start-up rights after a child of its
     own was seen is a violation.  And it must drop before it has used
     100 ms of CPU time (its start-up takes a few): CPU time, not time
     seen, so that a machine too busy to run it for a while (2 CPUs, a
     parallel make check, the sanitizers) does not fail a process that
     simply had not run yet.
  3. A descendant of a postern program that is not itself one (a delivery
     program, a shell, anything they run) never has uid 0 (real,
     effective, saved) or gid 0, and holds no capability.  A descendant
     stays one when its parent exits.
  4. sendmail run by a non-root caller: rule 1; newaliases and
     postern-config run with their caller's rights (only rule 1).

--expect NAME fails the check unless a process running NAME was seen
(after its drop, for mail.local and postern-queue); --expect-child fails
it unless a non-postern descendant was seen.  Exit 0 and a summary when
all holds; exit 1 and one line per violation otherwise.
"""
import os
import signal
import sys
import time

ML_CAPS = 0xC0
RUNNER_CAPS = 0x1C6
RUNNER_BND = 0x1C0
HEARTBEAT = 0.02
TICKS = os.sysconf('SC_CLK_TCK')
CPU_LIMIT = 0.1     # seconds of CPU time a start-up may take
SETPRIV = '/usr/bin/setpriv'


def read_proc(pid):
    """One process's record, or None when it went away or is a zombie."""
    def readexe():
        try:
            return os.readlink('/proc/%s/exe' % pid)
        except OSError:
            return ''
    try:
        exe = readexe()
        with open('/proc/%s/status' % pid) as f:
            status = f.read()
        with open('/proc/%s/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return None
    if readexe() != exe:
        return None     # it executed another program meanwhile: next round
    fields = {}
    for line in status.splitlines():
        k, _, v = line.partition(':')
        fields[k] = ' '.join(v.split())
    if fields.get('State', '').startswith('Z'):
        return None
    # starttime is field 22, utime and stime 14 and 15; the comm field may
    # hold spaces: split after ')' (field 3 is the first there).
    rest = stat[stat.rfind(')') + 2:].split()
    start = rest[19]
    cpu = str(int(rest[11]) + int(rest[12]))
    if exe.endswith(' (deleted)'):
        exe = exe[:-len(' (deleted)')]
    return (start, fields.get('PPid', '0'), exe, fields.get('Uid', ''),
            fields.get('Gid', ''), fields.get('Groups', ''),
            fields.get('CapPrm', '0'), fields.get('CapEff', '0'),
            fields.get('CapInh', '0'), fields.get('CapBnd', '0'),
            fields.get('CapAmb', '0'), cpu)


def watch(out):
    stop = []
    signal.signal(signal.SIGTERM, lambda s, f: stop.append(1))
    last = {}
    written = {}
    me = str(os.getpid())
    with open(out, 'w') as f:
        while not stop:
            now = time.monotonic()
            for pid in os.listdir('/proc'):
                if not pid.isdigit() or pid == me:
                    continue
                rec = read_proc(pid)
                if rec is None:
                    continue
                # An unchanged process (its CPU time aside) is written
                # again every HEARTBEAT seconds: rule 2 reads the CPU time
                # a process used before it dropped from its records.
                if last.get(pid) != rec[:-1] or \
                        now - written.get(pid, 0) >= HEARTBEAT:
                    last[pid] = rec[:-1]
                    written[pid] = now
                    f.write('%.4f\t%s\t%s\n' % (now, pid, '\t'.join(rec)))
            f.flush()
            time.sleep(0.003)


def check(out, sbindir, libexecdir, expect, expect_child):
    names = {
        os.path.join(sbindir, 'sendmail'): 'sendmail',
        os.path.join(libexecdir, 'mail.local'): 'mail.local',
        os.path.join(sbindir, 'postern-queue'): 'postern-queue',
        os.path.join(sbindir, 'newaliases'): 'newaliases',
        os.path.join(sbindir, 'postern-config'): 'postern-config',
    }
    # Each process is keyed by (pid, starttime): pids are reused.
    procs = {}      # key -> dict(first, last, dropped, name, samples)
    parent = {}     # key -> parent pid
    desc = set()    # keys of non-postern descendants of postern programs
    postern = set() # keys of postern programs (any exe in names)
    current = {}    # pid -> key of the live process with that pid
    bad = []
    seen = {}
    started = {}

    def caps(h):
        return int(h, 16)

    with open(out) as f:
        for line in f:
            parts = line.rstrip('\n').split('\t')
            if len(parts) != 14:
                continue
            t, pid, start, ppid, exe, uid, gid, groups, prm, eff, inh, bnd, \
                amb, cpu = parts
            t = float(t)
            cpu = int(cpu) / TICKS
            key = (pid, start)
            if not exe and key in procs:
                # /proc/PID/exe cannot be read while a process exits: it
                # is still the program it was.
                exe = procs[key]['exe']
            current[pid] = key
            parent[key] = ppid
            name = names.get(exe)
            p = procs.setdefault(key, {'cpu0': cpu, 'dropped': False,
                                       'name': name, 'exe': exe})
            if p['exe'] != exe:
                # An exec keeps the pid and the start time: the new program
                # starts with the rights exec gave it, and drops its own.
                p.update(cpu0=cpu, dropped=False, undropped=None,
                         child=None, forked=False)
            p['cpu'] = cpu
            p['name'] = name
            p['exe'] = exe
            uids = uid.split()
            gids = gid.split()
            prm, eff, inh, bnd, amb = map(caps, (prm, eff, inh, bnd, amb))
            what = '%s pid %s (%s) uid %s gid %s groups [%s] prm %x eff %x ' \
                   'inh %x bnd %x amb %x' % (name or 'process', pid,
                                             exe or '?', uid, gid, groups,
                                             prm, eff, inh, bnd, amb)
            pkey = current.get(ppid)
            if pkey is not None and pkey != key and \
                    procs[pkey].get('child') is None:
                # The parent has had a child since this time: if it is
                # seen later with its start-up rights, it forked first.
                procs[pkey]['child'] = (t, what)
            if name:
                postern.add(key)
                desc.discard(key)
            else:
                postern.discard(key)
                if pkey is not None and (pkey in postern or pkey in desc):
                    desc.add(key)
            nonroot = any(u != '0' for u in uids)
            # The harness's own setpriv (sb_as) holds root's capabilities
            # with the user's uid between its setresuid and its exec.
            harness = exe == SETPRIV and key not in desc
            if nonroot and (prm or eff or amb) and not harness:
                bad.append('rule 1: a non-root process holds capabilities: ' + what)
            if name in ('mail.local', 'postern-queue') and not nonroot:
                if name == 'mail.local':
                    ok = (prm | eff | bnd) & ~ML_CAPS == 0 and not inh and not amb
                else:
                    ok = (prm | eff) & ~RUNNER_CAPS == 0 and \
                         bnd & ~RUNNER_BND == 0 and not inh and not amb
                if ok:
                    p['dropped'] = True
                elif p['dropped']:
                    bad.append('rule 2: regained capabilities after the drop: ' + what)
                else:
                    started[name] = started.get(name, 0) + 1
                    p['undropped'] = what
                    child = p.get('child')
                    if child is not None and child[0] < t and \
                            not p.get('forked'):
                        p['forked'] = True
                        bad.append('rule 2: started a child before it '
                                   'dropped its start-up rights: %s; '
                                   'the child: %s' % (what, child[1]))
            if name and (p['dropped'] or nonroot or
                         name not in ('mail.local', 'postern-queue')):
                seen[name] = seen.get(name, 0) + 1
            if key in desc:
                if '0' in uids:
                    bad.append('rule 3: a descendant runs as root: ' + what)
                elif '0' in gids or '0' in groups.split():
                    bad.append('rule 3: a descendant has group 0: ' + what)
                elif prm or eff or amb:
                    bad.append('rule 3: a descendant holds capabilities: ' + what)
                seen['(descendant)'] = seen.get('(descendant)', 0) + 1

    for key, p in procs.items():
        if p.get('undropped') and not p['dropped'] and \
                p['cpu'] - p['cpu0'] >= CPU_LIMIT:
            bad.append('rule 2: never dropped its start-up rights in %.0f ms '
                       'of CPU time: %s'
                       % (1000 * (p['cpu'] - p['cpu0']), p['undropped']))
    for name in expect:
        if not seen.get(name):
            bad.append('expected to see %s running, never did' % name)
    if expect_child and not seen.get('(descendant)'):
        bad.append('expected to see a program run by postern, never did')
    summary = ', '.join('%s %d' % (k, v) for k, v in sorted(seen.items()))
    if started:
        summary += '; start-up samples: ' + ', '.join(
            '%s %d' % (k, v) for k, v in sorted(started.items()))
    print('samples: ' + (summary or 'none'))
    for b in bad:
        print(b)
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == 'watch':
        watch(argv[2])
        return 0
    if len(argv) >= 3 and argv[1] == 'check':
        out, sbindir, libexecdir = argv[2], None, None
        expect, expect_child = [], False
        i = 3
        while i < len(argv):
            a = argv[i]
            if a in ('--sbindir', '--libexecdir', '--expect') and i + 1 < len(argv):
                v = argv[i + 1]
                i += 2
                if a == '--sbindir':
                    sbindir = v
                elif a == '--libexecdir':
                    libexecdir = v
                else:
                    expect.append(v)
            elif a == '--expect-child':
                expect_child = True
                i += 1
            else:
                break
        else:
            if sbindir and libexecdir:
                return check(out, sbindir, libexecdir, expect, expect_child)
    sys.stderr.write('usage: capwatch.py watch OUT | check OUT --sbindir DIR '
                     '--libexecdir DIR [--expect NAME]... [--expect-child]\n')
    return 64


if __name__ == '__main__':
    sys.exit(main(sys.argv))
