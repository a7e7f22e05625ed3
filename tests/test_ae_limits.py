#!/usr/bin/env python3
"""Per-entry association limits, end to end, with a real master.

ae[].max_associations and ae[].max_associations_per_calling_ae are
counted on the master's scoreboard: beyond them a worker answers
A-ASSOCIATE-RJ (2, 3, 2) with one log line, other entries and other
calling AE titles are not affected, and a place comes back when its
association ends or when its worker is killed (the master clears the
slot when it reaps it).  Racing requests never take more places than
the limit allows.
"""

import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import (Test, ae, associate, check, echo_on,  # noqa: E402
                       free_port, release, wait_for)

RJ_LIMIT = bytes([2, 3, 2])


def entry(t, title, extra):
    """An echo entry (policy negotiation) with extra keys."""
    return ae(title, t.echo_scp)[:-1] + " " + extra + " }"


def assoc_ok(port, called, calling="TESTSCU"):
    p, ty, body = associate(port, called=called, calling=calling)
    check(ty == dulpeer.A_ASSOCIATE_AC, "%s>%s: PDU type %d %r" %
          (calling, called, ty, body[:4]))
    return p


def assoc_limited(port, called, calling="TESTSCU"):
    p, ty, body = associate(port, called=called, calling=calling)
    check(ty == dulpeer.A_ASSOCIATE_RJ and bytes(body[1:4]) == RJ_LIMIT,
          "%s>%s: wanted RJ (2,3,2), got type %d %r" %
          (calling, called, ty, body[:4]))
    p.close()


def worker_of(d, p):
    """The pid of the worker serving peer p (its title names the peer)."""
    tag = " %s:%d " % p.sock.getsockname()
    for pid, _ in d.children():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                title = f.read().replace(b"\0", b" ").decode("latin-1")
        except OSError:
            continue
        if title.startswith("dulserverd: worker") and tag in title:
            return pid
    return None


def test_entry_limit(t):
    """Two places for LIMITED: the third is refused while OTHER goes on;
    a release, and a SIGKILLed worker, each give a place back."""
    port = free_port()
    d = t.start("entry", t.conf(port, timeouts="artim = 5;", aes=[
        entry(t, "LIMITED", "max_associations = 2;"),
        entry(t, "OTHER", "")]))
    a1 = assoc_ok(port, "LIMITED", "A1")
    a2 = assoc_ok(port, "LIMITED", "A2")
    assoc_limited(port, "LIMITED", "A3")
    d.wait_log(r"rejecting association: LIMITED has 2 associations "
               r"\(max_associations = 2\)")
    d.wait_log(r'calling="A3" called="LIMITED" outcome=rejected\(2,3,2:')
    check(len(d.lines(r"rejecting association: LIMITED")) == 1,
          "one line for one rejection")
    # Another entry is not counted against LIMITED, nor limited by it.
    o1 = assoc_ok(port, "OTHER", "O1")
    o2 = assoc_ok(port, "OTHER", "O2")
    for p in (a1, a2, o1, o2):
        check(echo_on(p) == 0, "C-ECHO on a held association")
    # A release gives the place back once the master has reaped.
    release(a1)
    d.wait_log(r'calling="A1" called="LIMITED" outcome=released')
    d.wait_children(3)
    a4 = assoc_ok(port, "LIMITED", "A4")
    assoc_limited(port, "LIMITED", "A5")
    # A worker killed outright leaves no count behind.
    pid = wait_for(lambda: worker_of(d, a2), 10)
    check(pid, "no worker found for A2")
    os.kill(pid, signal.SIGKILL)
    d.wait_log(r"worker %d .*killed by signal 9" % pid)
    a6 = assoc_ok(port, "LIMITED", "A6")
    check(echo_on(a6) == 0, "C-ECHO on the association after the kill")
    assoc_limited(port, "LIMITED", "A7")
    for p in (a4, a6, o1, o2):
        release(p)
    a2.close()


def test_calling_ae_limit(t):
    """One place per calling AE title, three for the entry."""
    port = free_port()
    d = t.start("calling", t.conf(port, aes=[
        entry(t, "PERCALL", "max_associations = 3; "
              "max_associations_per_calling_ae = 1;")]))
    c1 = assoc_ok(port, "PERCALL", "CT_1")
    assoc_limited(port, "PERCALL", "CT_1")
    d.wait_log(r'rejecting association: PERCALL has 1 associations from '
               r'"CT_1" \(max_associations_per_calling_ae = 1\)')
    c2 = assoc_ok(port, "PERCALL", "CT_2")
    c3 = assoc_ok(port, "PERCALL", "CT_3")
    assoc_limited(port, "PERCALL", "CT_4")      # the entry's own limit
    d.wait_log(r"rejecting association: PERCALL has 3 associations "
               r"\(max_associations = 3\)")
    release(c1)
    d.wait_log(r'calling="CT_1" called="PERCALL" outcome=released')
    wait_for(lambda: len(d.children()) == 2, 20)
    c4 = assoc_ok(port, "PERCALL", "CT_1")
    for p in (c2, c3, c4):
        release(p)


def test_racing_requests(t):
    """Eight requests at once for two places: exactly two are accepted,
    the rest get RJ (2, 3, 2)."""
    port = free_port()
    t.start("race", t.conf(port, server="max_associations = 16;", aes=[
        entry(t, "RACE", "max_associations = 2;")]))
    conns = []
    for i in range(8):
        p = dulpeer.Peer("127.0.0.1", port, 20.0)
        conns.append(p)
    go = threading.Barrier(len(conns))
    results = [None] * len(conns)

    def run(i):
        rq = dulpeer.assoc_rq(called="RACE", calling="R%d" % i)
        go.wait(10)
        conns[i].send(rq)
        results[i] = conns[i].recv_pdu()

    threads = [threading.Thread(target=run, args=(i,))
               for i in range(len(conns))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    check(all(r is not None for r in results), "a request was not answered")
    acs = [i for i, (ty, _) in enumerate(results)
           if ty == dulpeer.A_ASSOCIATE_AC]
    rjs = [i for i, (ty, body) in enumerate(results)
           if ty == dulpeer.A_ASSOCIATE_RJ and bytes(body[1:4]) == RJ_LIMIT]
    check(len(acs) == 2 and len(rjs) == 6, "accepted %r, limited %r" %
          (acs, rjs))
    for i in acs:
        release(conns[i])
    for p in conns:
        p.close()


def main():
    t = Test("aelimits")
    t.main([test_entry_limit, test_calling_ae_limit, test_racing_requests])


if __name__ == "__main__":
    main()
