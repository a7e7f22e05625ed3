#!/usr/bin/env python3
"""The order that durability across a power loss rests on (robustness
battery case 121), seen in the system calls dul-store-scp makes.

A power loss cannot be produced here, so the test checks what it
depends on: dul-store-scp runs under strace, stores objects of several
sizes under each duplicate policy that makes a new name, and for every
object the trace must show, in this order: fdatasync (or fsync) of the
temporary file, its rename or link to the object's final name, fsync of
the destination directory, and only then the write of the C-STORE-RSP
on the handler's pipe to the worker.  Skipped (77) where strace cannot
trace.
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

from dulmaster import ROOT, SKIP, Test, check, free_port  # noqa: E402
from dulstore import (STATUS_SUCCESS, StoreAssoc, clean_log,  # noqa: E402
                      dataset, sha, store_ae, store_root, stored_data_set)

SYSCALLS = ("openat,fsync,fdatasync,rename,renameat,renameat2,link,"
            "linkat,unlinkat,write,writev,close")
LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<call>\w+)\((?P<args>.*)\)\s+= "
                  r"(?P<rc>-?\d+)")


def strace_works():
    """Whether strace can trace a child here."""
    if shutil.which("strace") is None:
        return False
    r = subprocess.run(["strace", "-f", "-o", os.devnull, "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def traced_handler(t, name, trace):
    """A handler path that runs dul-store-scp under strace -y."""
    path = t.path(name + ".sh")
    with open(path, "w") as f:
        # LeakSanitizer cannot work under ptrace.
        f.write("#!/bin/sh\nASAN_OPTIONS=detect_leaks=0 exec strace -f -y "
                "-qq -e trace=%s -o '%s' '%s' \"$@\"\n" %
                (SYSCALLS, trace, t.store_scp))
    os.chmod(path, 0o755)
    return path


def parse(trace):
    """(call, args) of each completed call, in order."""
    out = []
    with open(trace) as f:
        for line in f:
            m = LINE.match(line)
            if m and m.group("rc") != "-1":
                out.append((m.group("call"), m.group("args")))
    return out


def check_order(calls, uid, root):
    """Assert the durable order for the object stored as uid.dcm."""
    final = "%s.dcm" % uid
    moves = [i for i, (c, a) in enumerate(calls)
             if c in ("renameat2", "renameat", "linkat", "rename", "link")
             and '"%s"' % final in a]
    check(len(moves) == 1, "%s: %d renames or links" % (uid, len(moves)))
    mv = moves[0]
    tmp = re.search(r'"(\.dul-[0-9a-f]{16}\.part)"', calls[mv][1])
    check(tmp, "%s: no temporary name in %r" % (uid, calls[mv][1]))
    tmp = tmp.group(1)
    syncs = [i for i, (c, a) in enumerate(calls[:mv])
             if c in ("fdatasync", "fsync") and tmp + ">" in a]
    check(syncs, "%s: no fsync of %s before its rename" % (uid, tmp))
    writes = [i for i, (c, a) in enumerate(calls[syncs[-1]:mv])
              if c in ("write", "writev") and tmp + ">" in a]
    check(not writes, "%s: written after its fsync" % uid)
    rsp = [i for i, (c, a) in enumerate(calls) if i > mv and
           c in ("write", "writev") and re.match(r"4<pipe:", a)]
    check(rsp, "%s: no answer after the rename" % uid)
    dirsync = [i for i in range(mv + 1, rsp[0])
               if calls[i][0] == "fsync" and
               calls[i][1].startswith(tuple("%d<%s>" % (n, root)
                                            for n in range(3, 1024)))]
    check(dirsync, "%s: no fsync of the directory between the rename "
          "and the answer:\n%s" % (uid, "\n".join(
              "%s(%s)" % c for c in calls[mv:rsp[0] + 1])))


def test_b121_fsync_rename_fsync_then_answer(t):
    for policy in ("keep", "reject", "overwrite", "keep-both"):
        name = "order-" + policy
        root = store_root(t, name)
        tdir = t.path(name + "-trace")
        os.makedirs(tdir)
        if ROOT:
            os.chown(tdir, 65534, 65534)
        trace = os.path.join(tdir, "trace")
        port = free_port()
        d = t.start(name, t.conf(port, aes=[store_ae(
            "STORESCP", traced_handler(t, name, trace), root,
            extra_args=("--duplicates", policy))]))
        a = StoreAssoc(port, calling="ORDER")
        sent = {}
        for i, size in enumerate((600, 70000, 1 << 20, 5000)):
            u = "2.25.%d.121.%d" % (os.getpid(), i)
            ds = dataset(u, size, seed=i)
            st, comment = a.store(u, ds)
            check(st == STATUS_SUCCESS, "%s %d: %04x %s" % (policy, i, st,
                                                            comment))
            sent[u] = sha(ds)
        a.release()
        d.wait_children(0)
        calls = parse(trace)
        check(calls, "empty trace")
        for u, h in sent.items():
            check(sha(stored_data_set(os.path.join(root, u + ".dcm"))) ==
                  h, "%s not stored whole" % u)
            check_order(calls, u, os.path.realpath(root))
        clean_log(d)
        d.stop()


def main():
    t = Test("storeorder")
    if not strace_works():
        print("SKIP: strace cannot trace here")
        t.cleanup()
        sys.exit(SKIP)
    t.main([test_b121_fsync_rename_fsync_then_answer])


if __name__ == "__main__":
    main()
