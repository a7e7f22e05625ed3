#!/usr/bin/env python3
"""Nothing acknowledged is lost when workers and handlers are killed
(robustness battery case 120, and B4 of its baseline).

First at chosen points, with DUL_FAULT's "kill" action (builds with
--enable-fault-injection): the handler killed while writing, before the
fsync of the file, between the fsync and the link, between the link and
the fsync of the directory, after it sent the answer; the worker killed
before it sends an answer and while it feeds the handler.  Then at
random: scripted peers stream objects on several associations while
another thread sends SIGKILL to random workers and handlers, for
DUL_KILL_SECONDS (default 12) seconds; then the next association's
handler removes the temporary files the killed ones left.

Each time: every object answered 0000 is in the store and byte for byte
what was sent; every file under a final name is a whole object that was
sent (an object whose answer was lost may be there or not); the master
goes on serving, and no worker or handler outlives its association.
"""

import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import Test, check, free_port, wait_for  # noqa: E402
from dulstore import (STATUS_SUCCESS, Aborted, StoreAssoc,  # noqa: E402
                      clean_log, daemon_env, dataset, fault_build,
                      files_under, part_files, sha, store_ae, store_handler,
                      store_root, stored_data_set)

KILL_SECONDS = float(os.environ.get("DUL_KILL_SECONDS", "12"))


def check_store(root, sent, acked):
    """Every acknowledged object whole; every final name a whole object
    that was sent; return the temporary files left by killed writers."""
    names = [f for f in files_under(root)
             if not os.path.basename(f).startswith(".dul-")]
    have = {}
    for f in names:
        u = os.path.basename(f)
        check(u.endswith(".dcm") and u[:-4] in sent,
              "a file nobody sent: %r" % f)
        h = sha(stored_data_set(os.path.join(root, f)))
        check(h == sent[u[:-4]], "%s is not the object sent (partial?)" % f)
        have[u[:-4]] = h
    lost = sorted(set(acked) - set(have))
    check(not lost, "%d acknowledged objects missing: %r" % (len(lost),
                                                             lost[:5]))
    return part_files(root)


def descendants(pid):
    """Process ids below pid (children and their children)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def handlers_of(root):
    """Running processes that have this storage root as an argument."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if b"\0" + root.encode() + b"\0" in f.read():
                    out.append(int(d))
        except OSError:
            continue
    return out


def store_until_dead(a, base, sizes, sent, acked):
    """Store objects until the association dies; return how it ended."""
    for i, size in enumerate(sizes):
        u = "%s.%d" % (base, i + 1)
        ds = dataset(u, size, seed=i)
        sent[u] = sha(ds)
        try:
            status, comment = a.store(u, ds, timeout=20)
        except dulpeer.Closed:
            return "closed"
        except Aborted:
            return "aborted"
        except (ConnectionResetError, BrokenPipeError):
            return "reset"
        check(status == STATUS_SUCCESS, "%s: %04x %s" % (u, status,
                                                         comment))
        acked[u] = sent[u]
    return "done"


def kill_point(t, name, daemon_rules=None, handler_rules=None,
               want_end=("aborted", "closed", "reset")):
    """Three objects in one association whose worker or handler is
    killed by a fault rule; then a healthy association."""
    port = free_port()
    root = store_root(t, name)
    d = t.start(name, t.conf(port, aes=[store_ae(
        "STORESCP", store_handler(t, name, handler_rules), root)]),
        env=daemon_env(daemon_rules))
    sent, acked = {}, {}
    a = StoreAssoc(port, calling="KILLED")
    check(a.type == dulpeer.A_ASSOCIATE_AC, "type %d" % a.type)
    how = store_until_dead(a, "2.25.%d.1" % os.getpid(),
                           (3000, 70000, 5000), sent, acked)
    a.close()
    check(how in want_end, "the association ended %s" % how)
    check(d.lines(r"fault injected: .*: kill"), "nobody was killed")
    d.wait_children(0)
    check(not handlers_of(root), "a handler outlived its association")
    left = check_store(root, sent, acked)
    killed_acked = dict(acked)
    b = StoreAssoc(port, calling="AFTER")
    how = store_until_dead(b, "2.25.%d.2" % os.getpid(), (4000,), sent,
                           acked)
    check(how == "done", "the association after: %s" % how)
    b.release()
    d.wait_children(0)
    check_store(root, sent, acked)
    clean_log(d)
    return killed_acked, left


def test_handler_killed_while_writing(t):
    acked, left = kill_point(t, "hwrite", handler_rules="write:4=kill")
    check(len(acked) == 1, "acknowledged %r" % sorted(acked))


def test_handler_killed_before_fsync(t):
    acked, left = kill_point(t, "hfsync", handler_rules="fsync:3=kill")
    check(len(acked) == 1, "acknowledged %r" % sorted(acked))


def test_handler_killed_between_fsync_and_link(t):
    acked, left = kill_point(t, "hlink", handler_rules="link:2=kill")
    check(len(acked) == 1, "acknowledged %r" % sorted(acked))


def test_handler_killed_between_link_and_dir_fsync(t):
    acked, left = kill_point(t, "hdirsync", handler_rules="fsync:4=kill")
    check(len(acked) == 1, "acknowledged %r" % sorted(acked))


def test_handler_killed_after_its_answer(t):
    """Killed at its next write after answering object 2: object 2 was
    answered 0000 and must be there."""
    acked, left = kill_point(t, "hafter", handler_rules="writev:5=kill")
    check(len(acked) == 2, "acknowledged %r" % sorted(acked))


def test_worker_killed_before_the_answer(t):
    """The worker dies as it is about to send the second answer: the
    handler had stored the object, which may stay, unacknowledged."""
    acked, left = kill_point(t, "wrsp", daemon_rules="worker@1.writev:3=kill")
    check(len(acked) == 1, "acknowledged %r" % sorted(acked))


def test_worker_killed_feeding_the_handler(t):
    """Writes to the handler: HELLO, ASSOC_IND, then one or two for the
    first object and at least one for each later one (the peer waits for
    each answer), so the fifth falls in the second or third object."""
    acked, left = kill_point(t, "wfeed", daemon_rules="worker@1.write:5=kill")
    check(1 <= len(acked) <= 2, "acknowledged %r" % sorted(acked))


class Sender(threading.Thread):
    """Streams objects, association after association, until stopped."""

    def __init__(self, port, n, sent, acked, stop):
        threading.Thread.__init__(self, daemon=True)
        self.port, self.n = port, n
        self.sent, self.acked, self.stop = sent, acked, stop
        self.rng = random.Random(1000 + n)
        self.assocs = 0
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                self.assocs += 1
                try:
                    a = StoreAssoc(self.port, calling="STORM%d" % self.n,
                                   timeout=20)
                except (dulpeer.Closed, ConnectionResetError,
                        BrokenPipeError):
                    # The worker was killed before it answered.
                    continue
                try:
                    if a.type != dulpeer.A_ASSOCIATE_AC:
                        continue
                    sizes = [self.rng.choice((600, 5000, 40000, 250000))
                             for _ in range(self.rng.randint(1, 12))]
                    base = "2.25.%d.%d.%d" % (os.getpid(), self.n,
                                              self.assocs)
                    if store_until_dead(a, base, sizes, self.sent,
                                        self.acked) == "done":
                        try:
                            a.release()
                        except (dulpeer.Closed, Aborted, OSError):
                            pass
                finally:
                    a.close()
        except Exception as e:  # noqa: BLE001 -- reported by the test
            self.error = "%s: %s" % (type(e).__name__, e)


def test_b120_random_sigkill(t):
    """SIGKILL to random workers and handlers while three peers stream
    objects; nothing acknowledged may be lost."""
    port = free_port()
    root = store_root(t, "storm")
    d = t.start("storm", t.conf(port, aes=[store_ae(
        "STORESCP", t.store_scp, root, layout="calling")]))
    sent, acked = {}, {}
    stop = threading.Event()
    senders = [Sender(port, n, sent, acked, stop) for n in range(3)]
    for s in senders:
        s.start()
    rng = random.Random(7)
    kills = {"worker": 0, "handler": 0}
    end = time.monotonic() + KILL_SECONDS
    while time.monotonic() < end:
        time.sleep(rng.uniform(0.02, 0.25))
        workers = [pid for pid, _ in d.children()]
        handlers = [h for w in workers for h in descendants(w)]
        kind = "handler" if handlers and rng.random() < 0.6 else "worker"
        pool = handlers if kind == "handler" else workers
        if not pool:
            continue
        try:
            os.kill(rng.choice(pool), signal.SIGKILL)
            kills[kind] += 1
        except ProcessLookupError:
            pass
    stop.set()
    for s in senders:
        s.join(60)
        check(not s.is_alive(), "a sender is stuck")
        check(s.error is None, "sender %d: %s" % (s.n, s.error))
    d.wait_children(0, timeout=60)
    check(wait_for(lambda: not handlers_of(root), 20),
          "handlers outlived their workers: %r" % handlers_of(root))
    left = check_store(root, sent, acked)
    print("# %.0f s: %d associations, %d objects sent, %d acknowledged, "
          "%d workers and %d handlers killed, %d temporary files left" %
          (KILL_SECONDS, sum(s.assocs for s in senders), len(sent),
           len(acked), kills["worker"], kills["handler"], len(left)))
    check(kills["worker"] >= 5 and kills["handler"] >= 5,
          "too few kills: %r" % kills)
    check(len(acked) >= 20, "only %d objects acknowledged" % len(acked))
    # The next handler sweeps what killed writers left, once it is older
    # than the sweep's age bound (a minute): make it so.
    for f in left:
        os.utime(os.path.join(root, f), (time.time() - 3600,) * 2)
    b = StoreAssoc(port, calling="AFTER")
    how = store_until_dead(b, "2.25.%d.99" % os.getpid(), (4000,), sent,
                           acked)
    check(how == "done", "the association after the storm: %s" % how)
    b.release()
    d.wait_children(0)
    check(not check_store(root, sent, acked), "temporary files left after "
          "the sweep: %r" % part_files(root)[:5])
    if left:
        check(d.lines(r"removed %d temporary files" % len(left)),
              "no sweep logged")
    clean_log(d)


def main():
    t = Test("storekill")
    tests = []
    if fault_build():
        tests += [test_handler_killed_while_writing,
                  test_handler_killed_before_fsync,
                  test_handler_killed_between_fsync_and_link,
                  test_handler_killed_between_link_and_dir_fsync,
                  test_handler_killed_after_its_answer,
                  test_worker_killed_before_the_answer,
                  test_worker_killed_feeding_the_handler]
    else:
        print("# SKIP the kill points: built without "
              "--enable-fault-injection")
    tests.append(test_b120_random_sigkill)
    t.main(tests)


if __name__ == "__main__":
    main()
