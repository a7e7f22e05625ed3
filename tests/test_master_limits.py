#!/usr/bin/env python3
"""dulserverd's limits, end to end.

Associations beyond max_associations or max_associations_per_ip get
A-ASSOCIATE-RJ (2, 3, 2) from a reject worker while the others go on;
beyond reject_slots a connection is closed; on_limit = "defer" holds new
connections in the backlog instead; access.on_denied = "close" closes in
the master; running out of descriptors pauses accept() without spinning.
"""

import os
import resource
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import (Test, associate, check, connect,  # noqa: E402
                       echo_on, free_port, proc_fds, release, wait_for)

RJ_LIMIT = bytes([2, 3, 2])


def rj_triple(body):
    return bytes(body[1:4])


def assoc_ok(port, calling, source="127.0.0.1"):
    p, ty, body = associate(port, calling=calling, source=source)
    check(ty == dulpeer.A_ASSOCIATE_AC, "%s from %s: PDU type %d %r" %
          (calling, source, ty, body[:4]))
    return p


def assoc_limited(port, calling, source="127.0.0.1"):
    p, ty, body = associate(port, calling=calling, source=source)
    check(ty == dulpeer.A_ASSOCIATE_RJ and rj_triple(body) == RJ_LIMIT,
          "%s from %s: wanted RJ (2,3,2), got type %d %r" %
          (calling, source, ty, body[:4]))
    p.close()


def test_global_and_per_address_limits(t):
    """Two per address and three in all; the rest are rejected, the held
    ones keep working, and a slot freed is a slot used."""
    port = free_port()
    d = t.start("limits", t.conf(port, server="""
  max_associations = 3;
  max_associations_per_ip = 2;
  reject_slots = 1;""", timeouts="artim = 3;"))
    a1 = assoc_ok(port, "A1")
    a2 = assoc_ok(port, "A2")
    assoc_limited(port, "A3")                   # per address
    # The one reject slot is free again only once A3's reject worker has
    # seen the peer close; on a loaded machine that is not at once.
    d.wait_children(2)
    b1 = assoc_ok(port, "B1", "127.0.0.2")      # another address
    assoc_limited(port, "C1", "127.0.0.3")      # global
    d.wait_log(r'calling="C1" called="ECHOSCP" outcome=rejected\(2,3,2:')
    d.wait_children(3)
    # The held associations are untouched by the rejections.
    for p in (a1, a2, b1):
        check(echo_on(p) == 0, "C-ECHO on a held association")
    # A silent peer keeps the one reject slot busy (until ARTIM)...
    silent = connect(port, "127.0.0.4")
    d.wait_children(4)
    # ...so the next connection over the limit is simply closed.
    closed = connect(port, "127.0.0.5")
    closed.expect_close()
    closed.close()
    d.wait_log(r"connection from 127\.0\.0\.5:\d+ closed: max_associations "
               r"reached and all 1 reject slots busy")
    silent.close()
    release(a1)
    d.wait_children(2)
    a4 = assoc_ok(port, "A4")
    check(echo_on(a4) == 0, "C-ECHO after a slot was freed")
    for p in (a2, b1, a4):
        release(p)
    d.wait_children(0)
    lines = d.lines(r"outcome=rejected\(2,3,2:rejected-transient/"
                    r"service-provider-presentation/local-limit-exceeded\)")
    check(len(lines) == 2, "RJ summary lines: %r" % lines)
    check(len(d.lines(r"outcome=released")) == 4, "released lines")


def test_defer_holds_the_backlog(t):
    """on_limit = "defer": the connection over the limit waits, unanswered,
    and is served once a worker exits."""
    port = free_port()
    d = t.start("defer", t.conf(port, server="""
  max_associations = 1;
  on_limit = "defer";"""))
    a = assoc_ok(port, "HELD")
    b = connect(port)
    b.send(dulpeer.assoc_rq(called="ECHOSCP", calling="WAITING"))
    try:
        b.recv_pdu(timeout=1.0)
        raise AssertionError("the deferred connection was answered")
    except TimeoutError:
        pass
    check(len(d.children()) == 1, "a second worker was forked")
    release(a)
    ty, _ = b.recv_pdu(timeout=10)
    check(ty == dulpeer.A_ASSOCIATE_AC, "deferred association: type %d" % ty)
    release(b)


def test_access_close_in_the_master(t):
    """access.on_denied = "close": a denied address is closed by the
    master, without a worker and without a byte."""
    port = free_port()
    d = t.start("access", t.conf(port, server="") +
                'access : { deny = [ "127.0.0.9/32" ]; '
                'on_denied = "close"; };\n')
    p = connect(port, "127.0.0.9")
    p.send(dulpeer.assoc_rq(called="ECHOSCP"))
    p.expect_close()
    p.close()
    d.wait_log(r"connection from 127\.0\.0\.9:\d+ closed: address not "
               r"allowed")
    check(d.lines("assoc=") == [], "a worker ran for a denied address")
    release(assoc_ok(port, "ALLOWED"))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_emfile_backs_off(t):
    """With no descriptor left, accept() fails with EMFILE: the master
    pauses instead of spinning, and serves the waiting peer once a
    descriptor is free again."""
    port = free_port()
    d = t.start("emfile", t.conf(port))
    used = max(proc_fds(d.pid)) + 1
    soft, hard = resource.prlimit(d.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (used, hard))
    try:
        p = connect(port)
        p.send(dulpeer.assoc_rq(called="ECHOSCP", calling="EMFILE"))
        d.wait_log(r"accept: Too many open files; pausing accept\(\)")
        before = cpu_seconds(d.pid)
        time.sleep(2.0)
        spent = cpu_seconds(d.pid) - before
        check(spent < 0.5, "the master spun: %.2f s of CPU in 2 s" % spent)
    finally:
        resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (soft, hard))
    ty, _ = p.recv_pdu(timeout=10)
    check(ty == dulpeer.A_ASSOCIATE_AC, "type %d after the pause" % ty)
    release(p)
    d.wait_log("accepting connections again")


def test_status_line(t):
    """SIGUSR1 logs the counts."""
    port = free_port()
    d = t.start("status", t.conf(port))
    p = assoc_ok(port, "COUNTED")
    d.kill(signal.SIGUSR1)
    d.wait_log(r"status: associations 1/64, reject workers 0/8, "
               r"listeners 1; since start \(\d+ s\): accepted 1, workers 1")
    release(p)


def main():
    t = Test("limits")
    t.main([test_global_and_per_address_limits,
            test_defer_holds_the_backlog,
            test_access_close_in_the_master,
            test_emfile_backs_off,
            test_status_line])


if __name__ == "__main__":
    main()
