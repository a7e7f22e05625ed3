#!/usr/bin/env python3
"""dulserverd under load, end to end.

200 storescu associations at once all succeed, one file each; after 1000
connections of every kind (released, rejected, aborted, closed at once,
over the limit) the master has no zombie child and no descriptor more
than it started with.
"""

import os
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import (Test, associate, check, connect,  # noqa: E402
                       echo_on, free_port, proc_fds, release, write_part10)

CONCURRENT = 200
CONNECTIONS = 1000


def test_200_concurrent_storescu(t):
    """200 storescu processes at once: every one stores its object."""
    t.need("storescu")
    port = free_port()
    store = t.store_dir("store200")
    d = t.start("load", t.conf(port, store=store, server="""
  max_associations = 250;""", timeouts="artim = 60; handler = 60;"))
    files = []
    for i in range(CONCURRENT):
        f = t.path("obj%03d.dcm" % i)
        write_part10(f, "2.25.7000%03d" % i, 2048, seed=i)
        files.append(f)
    procs = [t.popen(["storescu", "-to", "60", "-ta", "60", "-td", "60",
                      "-aec", "STORESCP", "-aet", "LOAD%03d" % i,
                      "127.0.0.1", str(port), f],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
             for i, f in enumerate(files)]
    failed = []
    for i, p in enumerate(procs):
        _, err = p.communicate(timeout=180)
        if p.returncode != 0:
            failed.append((i, err.decode("utf-8", "replace")[-300:]))
    check(not failed, "%d storescu failed, first: %r" %
          (len(failed), failed[:1]))
    stored = sorted(n for n in os.listdir(store) if not n.startswith("."))
    check(len(stored) == CONCURRENT, "%d files stored" % len(stored))
    d.wait_children(0, 60)
    lines = d.lines(r'calling="LOAD\d{3}" called="STORESCP" '
                    r'outcome=released')
    check(len(lines) == CONCURRENT, "%d released summaries" % len(lines))


def expect_ac(port, calling):
    """Associate; return the peer, "limited" for RJ (2,3,2) or a close
    before any PDU (over the limit), or raise."""
    try:
        p, ty, body = associate(port, calling=calling)
    except dulpeer.Closed:
        return "limited"
    if ty == dulpeer.A_ASSOCIATE_RJ and bytes(body[1:4]) == bytes([2, 3, 2]):
        p.close()
        return "limited"
    check(ty == dulpeer.A_ASSOCIATE_AC, "%s: type %d" % (calling, ty))
    return p


def one_connection(port, i):
    """One connection of the kind i selects: "ok", "limited", or raise."""
    kind = i % 10
    if kind == 0:
        p = expect_ac(port, "FULL%d" % i)
        if p == "limited":
            return p
        check(echo_on(p, i & 0x7fff) == 0, "C-ECHO failed")
        release(p)
    elif kind in (1, 2, 3, 4):
        try:
            p, ty, body = associate(port, called="NOSUCHAE",
                                    calling="RJ%d" % i)
        except dulpeer.Closed:
            return "limited"
        p.close()
        check(ty == dulpeer.A_ASSOCIATE_RJ and bytes(body[1:4]) in
              (bytes([1, 1, 7]), bytes([2, 3, 2])),
              "unknown AE: type %d %r" % (ty, body[:4]))
    elif kind in (5, 6):
        p = expect_ac(port, "AB%d" % i)
        if p == "limited":
            return p
        p.send(dulpeer.abort())
        p.close()
    elif kind == 7:
        p = connect(port)
        p.send(b"GET / HTTP/1.0\r\n\r\n")
        p.close()
    else:
        connect(port).close()
    return "ok"


def test_no_leak_after_1000_connections(t):
    """1000 connections of every kind from 8 threads, some over the
    limit, then: no zombie, no child, and exactly the descriptors the
    master had before."""
    port = free_port()
    d = t.start("leak", t.conf(port, server="""
  max_associations = 12;
  reject_slots = 2;""", timeouts="artim = 5;"))
    before = proc_fds(d.pid)
    errors = []
    counts = {"ok": 0, "limited": 0}
    lock = threading.Lock()
    counter = iter(range(CONNECTIONS))

    def run():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                r = one_connection(port, i)
            except (OSError, dulpeer.Closed, AssertionError,
                    Exception) as e:
                r = None
                with lock:
                    errors.append("%d: %r" % (i, e))
            if r is not None:
                with lock:
                    counts[r] += 1
    threads = [threading.Thread(target=run) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    check(not any(th.is_alive() for th in threads), "clients hung")
    check(not errors, "%d client errors, first %r" % (len(errors),
                                                      errors[:3]))
    print("note: %(ok)d served, %(limited)d over the limit" % counts)
    d.wait_children(0, 60)
    zombies = [pid for pid, st in d.children() if st == "Z"]
    check(not zombies, "zombies %r" % zombies)
    after = proc_fds(d.pid)
    check(after == before, "descriptors before %r, after %r" %
          (before, after))
    d.kill(signal.SIGUSR1)
    line = d.wait_log(r"status: associations 0/12, reject workers 0/2")[-1]
    check("accepted %d," % CONNECTIONS in line, line)


def main():
    t = Test("load")
    t.main([test_200_concurrent_storescu,
            test_no_leak_after_1000_connections])


if __name__ == "__main__":
    main()
