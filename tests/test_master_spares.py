#!/usr/bin/env python3
"""dulserverd's spare workers (server.spare_workers), end to end.

With spare_workers = 4 the master keeps four workers forked ahead, each
waiting on its socketpair with privileges dropped and nothing of the
master's; every association goes to one of them, the limits count
associations only, a reload replaces the spares, killed spares are
replaced and reaped, and a drain leaves none behind.
"""

import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import (ROOT, Test, associate, check, echo_on,  # noqa: E402
                       free_port, proc_fds, proc_ids, release, wait_for,
                       write_part10)

SPARES = 4
RJ_LIMIT = bytes([2, 3, 2])


def title(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def spares(d):
    """The master's children whose title says they are spares."""
    return sorted(pid for pid, _ in d.children() if "spare" in title(pid))


def wait_spares(d, n=SPARES, timeout=20):
    """Wait until the master has exactly n spares; return their pids."""
    ok = wait_for(lambda: len(spares(d)) == n, timeout)
    check(ok, "%d spares, wanted %d: %r" %
          (len(spares(d)), n, [(p, s, title(p)) for p, s in d.children()]))
    return spares(d)


def workers(d):
    """The master's children that are not spares."""
    return sorted(pid for pid, _ in d.children()
                  if "spare" not in title(pid))


def spare_conf(t, port, extra="", store=None):
    return t.conf(port, store=store, server="""
  spare_workers = %d;%s""" % (SPARES, extra), timeouts="artim = 5;")


def echoscu(port, aet="SPARESCU", timeout=30):
    r = subprocess.run(["echoscu", "-to", "10", "-ta", "10", "-td", "10",
                        "-aet", aet, "-aec", "ECHOSCP", "127.0.0.1",
                        str(port)], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=timeout)
    return r.returncode, r.stderr.decode("utf-8", "replace")


def status(d, timeout=20):
    before = len(d.lines(r"master\[\d+\]: status: "))
    d.kill(signal.SIGUSR1)
    return d.wait_log(r"master\[\d+\]: status: ", timeout, before + 1)[before]


def test_clients_and_spares(t):
    """echoscu and storescu succeed through spares; four spares at rest,
    each association's worker a former spare running as the configured
    user; a burst is followed by a refill."""
    t.need("echoscu", "storescu")
    port = free_port()
    store = t.store_dir("store")
    d = t.start("clients", spare_conf(t, port, store=store))
    idle = wait_spares(d)
    if ROOT:
        for pid in idle:
            ids = proc_ids(pid)
            check(ids["Uid"] == [65534] * 4, "spare %d uid %r" %
                  (pid, ids["Uid"]))
    line = status(d)
    check("associations 0/" in line and "; spare 4," in line,
          "status: %s" % line)
    # A held association: its worker is one of the idle spares.
    p, ty, _ = associate(port, calling="HELD")
    check(ty == dulpeer.A_ASSOCIATE_AC, "AC wanted, type %d" % ty)
    w = wait_for(lambda: workers(d), 10)
    check(len(w) == 1 and w[0] in idle, "worker %r not among spares %r" %
          (w, idle))
    if ROOT:
        check(proc_ids(w[0])["Uid"] == [65534] * 4, "worker uid")
    check(echo_on(p) == 0, "C-ECHO on the held association")
    wait_spares(d)
    line = status(d)
    check("associations 1/" in line and "; spare 4," in line,
          "status: %s" % line)
    release(p)
    rc, err = echoscu(port)
    check(rc == 0, "echoscu: %s" % err[-300:])
    f = t.path("obj.dcm")
    write_part10(f, "2.25.8100001", 4096, seed=3)
    r = subprocess.run(["storescu", "-to", "30", "-ta", "30", "-td", "30",
                        "-aec", "STORESCP", "-aet", "SPARESTORE",
                        "127.0.0.1", str(port), f],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60)
    check(r.returncode == 0, "storescu: %r" % r.stderr[-300:])
    stored = [n for n in os.listdir(store) if not n.startswith(".")]
    check(len(stored) == 1, "stored: %r" % stored)
    # Every association so far went to a spare: none was forked.
    before = set(wait_spares(d))
    burst = [t.popen(["echoscu", "-to", "20", "-ta", "20", "-td", "20",
                      "-aec", "ECHOSCP", "127.0.0.1", str(port)],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL) for _ in range(8)]
    for b in burst:
        check(b.wait(timeout=60) == 0, "burst echoscu failed")
    after = set(wait_spares(d))
    check(len(before & after) < SPARES, "no spare used by the burst")
    d.wait_children(SPARES)
    line = status(d)
    check("associations 0/" in line and "; spare 4," in line,
          "status: %s" % line)
    check("exits ok 11," in line, "status: %s" % line)


def run_assoc(port, calling, out):
    try:
        p, ty, _ = associate(port, calling=calling)
        if ty != dulpeer.A_ASSOCIATE_AC:
            out.append("%s: type %d" % (calling, ty))
            return
        if echo_on(p) != 0:
            out.append("%s: echo" % calling)
        release(p)
        out.append(None)
    except Exception as e:  # noqa: BLE001 (reported by the test)
        out.append("%s: %r" % (calling, e))


def test_sequential_and_concurrent(t):
    """50 associations one after the other and 20 at once are all served;
    each worker is a former spare."""
    port = free_port()
    d = t.start("many", spare_conf(t, port, "\n  max_associations = 32;"))
    used = set()
    for i in range(50):
        idle = set(wait_spares(d))
        p, ty, _ = associate(port, calling="SEQ%02d" % i)
        check(ty == dulpeer.A_ASSOCIATE_AC, "SEQ%02d: type %d" % (i, ty))
        new = set(workers(d)) - used
        check(len(new) == 1 and new <= idle, "SEQ%02d: worker %r, spares "
              "idle before %r" % (i, sorted(new), sorted(idle)))
        used |= new
        check(echo_on(p) == 0, "SEQ%02d: echo" % i)
        release(p)
    out = []
    th = [threading.Thread(target=run_assoc, args=(port, "CON%02d" % i, out))
          for i in range(20)]
    for x in th:
        x.start()
    for x in th:
        x.join(60)
    errs = [e for e in out if e is not None]
    check(len(out) == 20 and not errs, "%d done, errors %r" %
          (len(out), errs[:3]))
    d.wait_children(SPARES, 30)
    d.wait_log(r'outcome=released', 20, 70)
    line = status(d)
    check("associations 0/32" in line and "workers 70," in line,
          "status: %s" % line)


def test_limits_exact(t):
    """max_associations and max_associations_per_ip count associations,
    not spares: RJ (2, 3, 2) exactly where it was."""
    port = free_port()
    d = t.start("limits", spare_conf(t, port, """
  max_associations = 3;
  max_associations_per_ip = 2;
  reject_slots = 2;"""))
    wait_spares(d)
    held = []
    for calling, src in (("A1", "127.0.0.1"), ("A2", "127.0.0.1")):
        p, ty, _ = associate(port, calling=calling, source=src)
        check(ty == dulpeer.A_ASSOCIATE_AC, "%s: type %d" % (calling, ty))
        held.append(p)
    p, ty, body = associate(port, calling="A3")
    check(ty == dulpeer.A_ASSOCIATE_RJ and bytes(body[1:4]) == RJ_LIMIT,
          "A3: per address: type %d %r" % (ty, body[:4]))
    p.close()
    p, ty, _ = associate(port, calling="B1", source="127.0.0.2")
    check(ty == dulpeer.A_ASSOCIATE_AC, "B1: type %d" % ty)
    held.append(p)
    p, ty, body = associate(port, calling="C1", source="127.0.0.3")
    check(ty == dulpeer.A_ASSOCIATE_RJ and bytes(body[1:4]) == RJ_LIMIT,
          "C1: global: type %d %r" % (ty, body[:4]))
    p.close()
    wait_spares(d)
    line = status(d)
    check("associations 3/3" in line and "; spare 4," in line,
          "status: %s" % line)
    release(held.pop(0))
    wait_for(lambda: "associations 2/3" in status(d), 10)
    p, ty, _ = associate(port, calling="A4")
    check(ty == dulpeer.A_ASSOCIATE_AC, "A4 after a slot freed: type %d" % ty)
    held.append(p)
    for p in held:
        release(p)
    d.wait_children(SPARES, 30)


def test_reload_replaces_spares(t):
    """SIGHUP: every idle spare is replaced by a new one, and the next
    association runs under the new configuration."""
    port = free_port()
    conf = spare_conf(t, port)
    d = t.start("reload", conf)
    old = set(wait_spares(d))
    with open(d.conf) as f:
        text = f.read()
    t.write("reload.conf", text.replace('title = "ECHOSCP"',
                                        'title = "ECHONEW"'))
    d.kill(signal.SIGHUP)
    d.wait_log(r"configuration reloaded")
    ok = wait_for(lambda: len(spares(d)) == SPARES and
                  not (set(spares(d)) & old) and
                  len(d.children()) == SPARES, 20)
    check(ok, "spares after reload %r, before %r" % (spares(d), old))
    new = set(spares(d))
    p, ty, _ = associate(port, called="ECHONEW", calling="AFTER")
    check(ty == dulpeer.A_ASSOCIATE_AC, "new title: type %d" % ty)
    w = workers(d)
    check(len(w) == 1 and w[0] in new, "worker %r, new spares %r" %
          (w, new))
    release(p)
    p, ty, body = associate(port, called="ECHOSCP", calling="OLD")
    check(ty == dulpeer.A_ASSOCIATE_RJ, "old title still accepted")
    p.close()
    bad = d.lines(r"spare worker.*(status|recvmsg|signal)")
    check(not bad, "retired spares: %r" % bad[:3])


def test_killed_spares_replaced(t):
    """SIGKILL of the idle spares: new ones come, the dead are reaped,
    and associations go on."""
    port = free_port()
    d = t.start("kill", spare_conf(t, port))
    old = wait_spares(d)
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    ok = wait_for(lambda: len(spares(d)) == SPARES and
                  not (set(spares(d)) & set(old)), 20)
    check(ok, "spares %r after killing %r" % (spares(d), old))
    d.wait_children(SPARES)
    zombies = [pid for pid, st in d.children() if st == "Z"]
    check(not zombies, "zombies: %r" % zombies)
    rc, err = echoscu(port)
    check(rc == 0, "echoscu after the kill: %s" % err[-300:])
    d.wait_children(SPARES)
    line = status(d)
    check("associations 0/" in line and "; spare 4," in line and
          "signalled 0;" in line and "workers 1," in line and
          "spares forked 9, used 1" in line,
          "status: %s" % line)
    # A storm of SIGKILLs and SIGUSR1s: the count stays exact.
    for _ in range(3):
        for pid in spares(d)[:2]:
            os.kill(pid, signal.SIGKILL)
        d.kill(signal.SIGUSR1)
        time.sleep(0.05)
    wait_spares(d)
    d.wait_children(SPARES)
    rc, err = echoscu(port)
    check(rc == 0, "echoscu after the storm: %s" % err[-300:])


def test_spare_descriptors(t):
    """A spare holds its socketpair end, its signal pipe and the log, and
    nothing of the master's: no listener, no other spare's socketpair."""
    port = free_port()
    d = t.start("fds", spare_conf(t, port))
    idle = wait_spares(d)
    master = proc_fds(d.pid)
    listeners = set(v for v in master.values() if v.startswith("socket:"))
    for pid in idle:
        fds = proc_fds(pid)
        socks = [v for v in fds.values() if v.startswith("socket:")]
        check(len(socks) == 1, "spare %d sockets: %r" % (pid, fds))
        check(not (set(socks) & listeners), "spare %d holds the master's "
              "socket %r" % (pid, fds))
        others = [v for k, v in fds.items() if k > 2 and
                  not v.startswith("socket:") and not v.startswith("pipe:")]
        check(not others, "spare %d: %r" % (pid, fds))
        pipes = [v for v in fds.values() if v.startswith("pipe:")]
        check(len(pipes) <= 2, "spare %d pipes: %r" % (pid, fds))


def test_drain_leaves_no_spare(t):
    """SIGTERM: the master exits 0 and no spare is left."""
    port = free_port()
    d = t.start("drain", spare_conf(t, port))
    idle = wait_spares(d)
    d.kill(signal.SIGTERM)
    code = d.wait_exit(30)
    check(code == 0, "exit %r" % code)
    left = [pid for pid in idle if os.path.exists("/proc/%d" % pid) and
            "spare" in title(pid)]
    check(not left, "spares left: %r" % left)
    bad = d.lines(r"spare worker.*(status|recvmsg|signal)")
    check(not bad, "retired spares: %r" % bad[:3])


def test_master_death_ends_spares(t):
    """A spare whose master dies sees end of file and exits."""
    port = free_port()
    d = t.start("orphan", spare_conf(t, port))
    idle = wait_spares(d)
    d.proc.kill()
    d.proc.wait(10)
    ok = wait_for(lambda: not [p for p in idle
                               if os.path.exists("/proc/%d" % p) and
                               "spare" in title(p)], 10)
    check(ok, "spares outlived their master: %r" % idle)


def main():
    t = Test("spares")
    t.main([test_clients_and_spares, test_sequential_and_concurrent,
            test_limits_exact, test_reload_replaces_spares,
            test_killed_spares_replaced, test_spare_descriptors,
            test_drain_leaves_no_spare, test_master_death_ends_spares])


if __name__ == "__main__":
    main()
