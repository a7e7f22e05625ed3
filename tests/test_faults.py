#!/usr/bin/env python3
"""Faults a test cannot cause from outside, injected (DUL_FAULT, in
builds configured with --enable-fault-injection; skipped otherwise).

The master: fork() failing (robustness battery case 100) and accept()
failing with EMFILE (case 99) close or hold that connection, log one
warning for the whole run of failures, pause instead of spinning, and
serve again when the call works.  The worker: an allocation failing at
each of the sites an association reaches (case 103), the handler's
fork() failing, a write to the peer or to the handler failing at each
call in turn: the association ends the way the design says (RJ (2, 3, 1)
before the AC, A-ABORT after it, or a close), with exactly one summary
line, no crash, nothing stored that was not acknowledged, while another
association of the same master goes on and the next one is served.
Short writes everywhere (socket, pipes, files) change nothing.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import (Test, associate, check, echo_on,  # noqa: E402
                       free_port, release, wait_for)
from dulstore import (STATUS_SUCCESS, Aborted, StoreAssoc,  # noqa: E402
                      clean_log,
                      daemon_env, dataset, fault_build, files_under,
                      part_files, sha, store_ae, store_handler,
                      store_root, stored_data_set, summaries)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def refused_connection(port, calling):
    """Connect and send an RQ: the master must close it with no byte."""
    p = dulpeer.Peer("127.0.0.1", port, timeout=10)
    try:
        p.send(dulpeer.assoc_rq(called="ECHOSCP", calling=calling))
    except OSError:
        p.close()
        return
    try:
        p.expect_close(timeout=10)
    finally:
        p.close()


def one_warning(d, pattern):
    lines = d.lines(pattern)
    check(len(lines) == 1, "%d lines match %r:\n%s" %
          (len(lines), pattern, "\n".join(lines)))


def injected(d, what, n, least=None):
    """The fault line of each injection must be in the log (at least
    `least` of n, where the calls a worker makes depend on timing)."""
    lines = d.lines(r"fault injected: .*: %s call \d+" % what)
    check((least or n) <= len(lines) <= n, "%d injections of %s, wanted "
          "%s%d:\n%s" % (len(lines), what, "%d to " % least if least else
                         "", n, d.text()[-3000:]))


def test_b100_master_fork_fails(t):
    """fork() fails for three connections in a row: each is closed, one
    warning covers the run, the pause grows, the held association goes
    on and the next connection gets a worker."""
    port = free_port()
    d = t.start("fork", t.conf(port), env=daemon_env("master.fork:2-4"))
    held, ty, _ = associate(port, calling="HELD")
    check(ty == dulpeer.A_ASSOCIATE_AC, "held association: type %d" % ty)
    for i in range(3):
        refused_connection(port, "NOFORK%d" % i)
    p, ty, _ = associate(port, calling="AFTER")
    check(ty == dulpeer.A_ASSOCIATE_AC, "after the failures: type %d" % ty)
    check(echo_on(p) == 0, "C-ECHO after the failures")
    release(p)
    check(echo_on(held, 2) == 0, "C-ECHO on the held association")
    release(held)
    d.wait_children(0)
    injected(d, "fork", 3)
    one_warning(d, r"fork: Resource temporarily unavailable; "
                r"pausing accept\(\) for 50 ms$")
    one_warning(d, r"fork works again after 3 failures; "
                r"accepting connections again$")
    check(sorted(s["calling"] for s in summaries(d)) == ["AFTER", "HELD"],
          "summary lines: %r" % summaries(d))
    clean_log(d)


def test_b099_master_accept_emfile(t):
    """accept() fails with EMFILE four times: the waiting peer is served
    after pauses of 50 to 400 ms, without the master spinning, and one
    warning covers the run."""
    port = free_port()
    d = t.start("accept", t.conf(port),
                env=daemon_env("master.accept:2-5=EMFILE"))
    held, ty, _ = associate(port, calling="HELD")
    check(ty == dulpeer.A_ASSOCIATE_AC, "held association: type %d" % ty)
    before = cpu_seconds(d.pid)
    t0 = time.monotonic()
    p, ty, _ = associate(port, calling="WAITED")
    waited = time.monotonic() - t0
    check(ty == dulpeer.A_ASSOCIATE_AC, "waiting peer: type %d" % ty)
    check(0.6 <= waited < 5, "served after %.2f s, not after the pauses "
          "(750 ms)" % waited)
    spent = cpu_seconds(d.pid) - before
    check(spent < 0.5, "the master spun: %.2f s of CPU" % spent)
    check(echo_on(p) == 0, "C-ECHO of the waiting peer")
    release(p)
    check(echo_on(held, 2) == 0, "C-ECHO on the held association")
    release(held)
    d.wait_children(0)
    injected(d, "accept", 4)
    one_warning(d, r"accept: Too many open files; "
                r"pausing accept\(\) for 50 ms$")
    one_warning(d, r"accept works again after 4 failures; "
                r"accepting connections again$")
    clean_log(d)


def run_store_assoc(port, calling, uid, ds):
    """RQ, C-ECHO, C-STORE, release, whatever of it the worker lets
    happen; return (how it ended, status of the C-STORE or None)."""
    try:
        a = StoreAssoc(port, calling=calling, timeout=15)
    except dulpeer.Closed:
        return "closed", None
    try:
        if a.type == dulpeer.A_ASSOCIATE_RJ:
            check(bytes(a.body[1:4]) == bytes([2, 3, 1]),
                  "%s: RJ %r, not (2, 3, 1)" % (calling, a.body[:4]))
            return "rejected", None
        check(a.type == dulpeer.A_ASSOCIATE_AC, "%s: type %d" %
              (calling, a.type))
        status = None
        try:
            check(a.echo() == 0, "%s: C-ECHO status" % calling)
            status, _ = a.store(uid, ds)
            a.release()
            return "released", status
        except dulpeer.Closed:
            return "closed", status
        except Aborted:
            return "aborted", status
    finally:
        a.close()


def check_store(root, sent, acked):
    """Every object acknowledged is stored whole; every file stored is
    an object sent, whole (an object whose answer was lost may be there
    or not); nothing else, no temporary file."""
    check(not part_files(root), "temporary files left: %r" %
          part_files(root))
    stored = {}
    for f in files_under(root):
        check(f.endswith(".dcm") and f[:-4] in sent,
              "a file nobody sent: %r" % f)
        stored[f[:-4]] = sha(stored_data_set(os.path.join(root, f)))
        check(stored[f[:-4]] == sent[f[:-4]], "%s differs from what was "
              "sent" % f)
    check(acked <= set(stored), "acknowledged but not stored: %r" %
          sorted(acked - set(stored)))


def sweep(t, name, point, calls, handler_rules=None, least=None):
    """One master; association 1 is held open, association k + 1 has
    its worker fail at call k of the point, the last one is healthy.
    Each faulty one must end cleanly with one summary line; nothing may
    be stored that was not acknowledged with 0000."""
    port = free_port()
    root = store_root(t, name)
    rules = ",".join("worker@%d.%s:%d" % (k + 1, point, k)
                     for k in range(1, calls + 1))
    handler = store_handler(t, name, handler_rules)
    d = t.start(name, t.conf(port, aes=[
        store_ae("STORESCP", handler, root),
        store_ae("ECHOSCP", handler, root)]), env=daemon_env(rules))
    held = StoreAssoc(port, calling="HELD")
    check(held.type == dulpeer.A_ASSOCIATE_AC, "held: type %d" % held.type)
    sent, acked = {}, set()
    endings = {}
    for k in range(1, calls + 1):
        calling = "F%d" % k
        uid = "2.25.%d.%d" % (os.getpid(), k)
        ds = dataset(uid, 3000 + 1000 * k, seed=k)
        before = len(summaries(d))
        how, status = run_store_assoc(port, calling, uid, ds)
        endings[k] = (how, status)
        sent[uid] = sha(ds)
        if status == STATUS_SUCCESS:
            acked.add(uid)
        check(wait_for(lambda: len(summaries(d)) > before, 20),
              "%s call %d: no summary line" % (point, k))
        check(held.echo() == 0, "held association after %s call %d" %
              (point, k))
    uid = "2.25.%d.999" % os.getpid()
    ds = dataset(uid, 5000, seed=999)
    status, _ = held.store(uid, ds)
    check(status == STATUS_SUCCESS, "held association's C-STORE: %04x" %
          status)
    sent[uid] = sha(ds)
    acked.add(uid)
    held.release()
    how, status = run_store_assoc(port, "LAST", uid + "9", ds)
    check(how == "released" and status == STATUS_SUCCESS,
          "the association after the faults: %s %r" % (how, status))
    sent[uid + "9"] = sha(ds)
    acked.add(uid + "9")
    d.wait_children(0)
    injected(d, point, calls, least)
    check(len(summaries(d)) == calls + 2, "%d summary lines for %d "
          "associations:\n%s" % (len(summaries(d)), calls + 2,
                                 "\n".join(d.lines("assoc="))))
    check_store(root, sent, acked)
    clean_log(d)
    return endings


def test_b103_worker_malloc_each_site(t):
    """An allocation of the worker fails, at each site in turn: the peer
    always gets a PDU that needs no memory, RJ (2, 3, 1) before the AC
    (the RQ's own body included) or an A-ABORT after it; never a silent
    close."""
    endings = sweep(t, "malloc", "malloc", 11)
    check(endings[1][0] == "rejected", "RQ body: %r" % (endings[1],))
    closed = [k for k, e in endings.items() if e[0] == "closed"]
    check(not closed, "closed without a PDU at calls %r: %r" % (closed,
                                                             endings))
    check(any(e[0] == "rejected" for e in endings.values()),
          "no failure before the AC: %r" % endings)
    check(any(e[0] == "aborted" for e in endings.values()),
          "no failure after the AC: %r" % endings)


def test_worker_socket_write_fails(t):
    """A write to the peer fails (EPIPE) at each call in turn."""
    sweep(t, "writev", "writev", 4)


def test_worker_pipe_write_fails(t):
    """A write to the handler's pipe fails (ENOSPC) at each call: a
    worker writes what is queued at once, so the number of calls depends
    on how the peer's PDUs arrive."""
    endings = sweep(t, "write", "write", 5, least=3)
    check(any(e[0] == "rejected" for e in endings.values()),
          "no failure before the AC: %r" % endings)


def test_b100_handler_fork_fails(t):
    """The worker cannot fork the handler: RJ (2, 3, 1)."""
    endings = sweep(t, "hfork", "fork", 1)
    check(endings[1] == ("rejected", None), "ending %r" % (endings[1],))


def test_short_writes_everywhere(t):
    """Every write of the worker (socket and pipe) and of the handler
    (pipe and file) transfers about half of what it was given."""
    port = free_port()
    root = store_root(t, "short")
    handler = store_handler(t, "short", "write:1+=short,writev:1+=short")
    d = t.start("short", t.conf(port, aes=[
        store_ae("STORESCP", handler, root)]),
        env=daemon_env("worker.write:1+=short,worker.writev:1+=short"))
    a = StoreAssoc(port, calling="SHORT")
    check(a.type == dulpeer.A_ASSOCIATE_AC, "type %d" % a.type)
    acked = {}
    for i, size in enumerate((2, 100000, 300001, 16377)):
        uid = "2.25.%d.%d" % (os.getpid(), i + 1)
        ds = dataset(uid, size, seed=i)
        status, comment = a.store(uid, ds)
        check(status == STATUS_SUCCESS, "object %d: %04x %s" %
              (i, status, comment))
        acked[uid] = sha(ds)
    check(a.echo() == 0, "C-ECHO")
    a.release()
    d.wait_children(0)
    check(len(d.lines(r"fault injected: worker .*: writev call \d+: "
                      r"short")) > 10, "the worker's writes were not short")
    stored = {f[:-4]: sha(stored_data_set(os.path.join(root, f)))
              for f in files_under(root)}
    check(stored == acked, "stored %r" % sorted(stored))
    check(d.lines(r'calling="SHORT" called="STORESCP" outcome=released'),
          "no released summary")
    clean_log(d)


def main():
    t = Test("faults")
    if not fault_build():
        t.skip("built without --enable-fault-injection")
    t.main([test_b100_master_fork_fails,
            test_b099_master_accept_emfile,
            test_b100_handler_fork_fails,
            test_b103_worker_malloc_each_site,
            test_worker_socket_write_fails,
            test_worker_pipe_write_fails,
            test_short_writes_everywhere])


if __name__ == "__main__":
    main()
