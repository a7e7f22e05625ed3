#!/usr/bin/env python3
"""The master under floods, failing workers and signal storms (robustness
battery cases 12, 94, 101, 102, 106, 124 and 135), end to end.

- 12: access.on_denied = "close" closes a flood of denied connections in
  the master, without a byte and without a worker, in a bounded number
  of log lines whose counts add up; an allowed peer is served meanwhile.
- 94: 1000 idle connections (10,000 with DUL_TEST_LONG=1) from one /24
  (server.per_ip_prefix4 = 24) while 127.0.1.1 opens an association
  with a C-ECHO every second: server.max_startups_per_ip closes the
  excess at accept, without a fork or a byte, ARTIM ends the workers
  the flood got, every C-ECHO is served within 2 s, and the master's
  children and descriptors come back to where they were.  Then
  server.max_startups alone: its random early drop between start and
  full, per connection, against the chance it should have (a z-score
  within 4.5), and none outside the band.
- 101: workers that fail right after fork (injected: DUL_FAULT, in
  builds with --enable-fault-injection; that part is skipped otherwise)
  make the master pause accepting, 1 s then 2 s then 4 s, with one line
  saying so; the waiting peers are served afterwards, a held association
  goes on, and a normal exit ends it.  A missing handler is no crash.
- 102: SIGKILL to all 30 workers at once, their SIGCHLDs coalesced:
  every slot comes back, exactly (status line, process title, and 30
  new associations but not 31).
- 106: 2000 connects a second for 5 s (60 s with DUL_TEST_LONG=1) against
  server.max_connection_rate: the master closes what is over the rate,
  forks no more than the rate allows, stays cheap, and serves again
  within 5 s.
- 124: bursts of SIGCHLD, SIGHUP and SIGUSR1 while associations come
  and go: none is lost, no zombie, exact counts, then SIGTERM bursts end
  the master cleanly.
- 135: a flood of malformed and of idle connections: at most two bounded
  lines per malformed connection from its worker, none for an idle one,
  and the master's own lines rate-limited with counters
  (DUL_TEST_LONG=1: 10,000 malformed connections in a minute).
"""

import json
import math
import os
import resource
import select
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import (Failure, Test, ae, associate,  # noqa: E402
                       check, connect, echo_on, free_port, proc_children,
                       proc_fds, release, wait_for)

LONG = os.environ.get("DUL_TEST_LONG") == "1"
LOG_EVERY = 5.0             # MASTER_LOG_EVERY in src/master.c, seconds
COUNTER = re.compile(r"(\d+) more not logged in the last \d+ s$")
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)


def fault_build():
    builddir = os.path.abspath(os.environ.get("top_builddir", ".."))
    try:
        with open(os.path.join(builddir, "config.h")) as f:
            return "#define DUL_FAULT_INJECTION 1" in f.read()
    except OSError:
        return False


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status(d, timeout=20):
    """SIGUSR1, and the status line's numbers by name."""
    before = len(d.lines(r"master\[\d+\]: status: "))
    d.kill(signal.SIGUSR1)
    lines = d.wait_log(r"master\[\d+\]: status: ", timeout, before + 1)
    line = lines[before]
    out = {}
    m = re.search(r"associations (\d+)/(\d+), reject workers (\d+)/(\d+)",
                  line)
    out["associations"], out["max"] = int(m.group(1)), int(m.group(2))
    out["rejecting"] = int(m.group(3))
    for key, name in (("accepted", "accepted"), ("workers", "workers"),
                      ("closed_limit", "closed at limit"),
                      ("closed_access", "closed by access"),
                      ("ok", "exits ok"), ("protocol", "protocol"),
                      ("internal", "internal"), ("signalled", "signalled"),
                      ("reloads", "reloads"),
                      ("closed_rate", "closed over the rate"),
                      ("pauses", "crash pauses"),
                      ("starting", "starting"),
                      ("closed_startups", "closed by max_startups"),
                      ("closed_startups_ip", "by max_startups_per_ip")):
        m = re.search(r"[;,:] %s (\d+)" % name, line)
        check(m, "no %r in the status line %r" % (name, line))
        out[key] = int(m.group(1))
    out["line"] = line
    return out


def rate_limited(d, pattern, what):
    """The lines of one rate-limited kind: (lines, events they stand
    for), the lines matching pattern each standing for itself plus the
    count they carry, the count lines (`what: N more ...`) for N."""
    lines = d.lines(r"master\[\d+\]: (%s|%s: \d+ more not logged)" %
                    (pattern, re.escape(what)))
    events = 0
    for x in lines:
        m = COUNTER.search(x)
        if ": %s: " % what in x:
            check(m, "a count line without a count: %r" % x)
            events += int(m.group(1))
        else:
            events += 1 + (int(m.group(1)) if m else 0)
    return lines, events


def wait_rate_limited(d, pattern, what, n, timeout=LOG_EVERY * 3):
    """Wait until the lines of a kind stand for n events (the last count
    is logged when its interval is over); return the lines."""
    got = wait_for(lambda: rate_limited(d, pattern, what)[1] >= n, timeout)
    lines, events = rate_limited(d, pattern, what)
    check(got and events == n, "%d events in the log, wanted %d:\n%s" %
          (events, n, "\n".join(lines)))
    return lines


def no_zombies(d):
    zombies = [p for p, st in d.children() if st == "Z"]
    check(not zombies, "zombie children: %r" % zombies)


def running(pid):
    """Whether a process exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def proctitle(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().replace(b"\0", b" ").decode("utf-8", "replace")


def assoc_ok(port, calling, source="127.0.0.1"):
    p, ty, body = associate(port, calling=calling, source=source)
    check(ty == dulpeer.A_ASSOCIATE_AC, "%s: PDU type %d %r" %
          (calling, ty, bytes(body[:4])))
    return p


# What a worker that runs out of memory before the RQ is read still
# sends, from memory it needs none for: A-ASSOCIATE-RJ (2, 3, 1).
RJ_TRANSIENT_CONGESTION = b"\x03\x00\x00\x00\x00\x04\x00\x02\x03\x01"


def crash_connection(port, calling):
    """A connection whose worker fails before answering: closed with no
    byte (killed) or after RJ (2, 3, 1) alone (out of memory); return the
    seconds it waited."""
    t0 = time.monotonic()
    p = connect(port, timeout=30)
    got = b""
    try:
        p.send(dulpeer.assoc_rq(called="ECHOSCP", calling=calling))
        p.sock.settimeout(30)
        # after an RJ the worker waits for us to close (Sta13)
        while len(got) < len(RJ_TRANSIENT_CONGESTION):
            try:
                chunk = p.sock.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
    finally:
        p.close()
    check(got in (b"", RJ_TRANSIENT_CONGESTION),
          "%s: unexpected bytes before close: %r" % (calling, got[:32]))
    return time.monotonic() - t0


# Case 12 --------------------------------------------------------------

def test_b012_denied_flood_closed_in_master(t):
    """300 connections from a denied address with on_denied = "close":
    each closed without a byte and without a worker, while an allowed
    peer is served; the log has a bounded number of lines whose counts
    add up to 300."""
    port = free_port()
    n = 300
    d = t.start("denied", t.conf(port) +
                'access : { deny = [ "127.0.0.9/32" ]; '
                'on_denied = "close"; };\n')
    held = assoc_ok(port, "HELD")
    t0 = time.monotonic()
    for i in range(n):
        p = connect(port, "127.0.0.9")
        try:
            p.send(dulpeer.assoc_rq(called="ECHOSCP", calling="DENIED"))
        except OSError:
            pass
        p.expect_close()
        p.close()
        if i % 100 == 50:
            check(echo_on(held, i) == 0, "C-ECHO during the flood")
    took = time.monotonic() - t0
    release(assoc_ok(port, "ALLOWED"))
    release(held)
    lines = wait_rate_limited(
        d, r"connection from 127\.0\.0\.9:\d+ closed: address not allowed",
        "connections closed: address not allowed", n)
    check(len(lines) <= took / LOG_EVERY + 3, "%d lines for %.1f s:\n%s" %
          (len(lines), took, "\n".join(lines)))
    st = status(d)
    check(st["closed_access"] == n and st["workers"] == 2,
          "status: %s" % st["line"])
    check(len(d.lines(r"assoc=")) == 2, "a worker ran for a denied peer")
    d.wait_children(0)


# Case 94 --------------------------------------------------------------

def idle_flood(port, n, seconds, rate, hold, sources):
    """Hold up to n idle connections (never a byte sent) from the
    sources for `seconds`, opening at most `rate` a second, again as the
    server closes them; then stop opening and wait up to `hold` seconds
    for the server to close the rest.  Print a JSON summary.  Runs in a
    process of its own."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, n + 256)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    n = min(n, want - 256)
    poller = select.poll()
    socks = {}
    opened = refused = closed = nbytes = 0
    tick = 0.05
    t0 = time.monotonic()
    k = 0

    def reap(timeout_ms):
        nonlocal closed, nbytes
        for fd, _ in poller.poll(timeout_ms):
            s = socks[fd]
            try:
                got = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                got = b""
            if got:
                nbytes += len(got)
                continue
            poller.unregister(fd)
            del socks[fd]
            s.close()
            closed += 1

    while time.monotonic() - t0 < seconds:
        # n at once, then no more than `rate` a second
        budget = n + int(rate * (time.monotonic() - t0)) - opened - refused
        while len(socks) < n and budget > 0:
            budget -= 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            s.bind((sources[k % len(sources)], 0))
            k += 1
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            except OSError:
                refused += 1
                s.close()
                continue
            socks[s.fileno()] = s
            poller.register(s.fileno(), select.POLLIN)
            opened += 1
        if len(socks) < n:
            time.sleep(tick)
        reap(int(tick * 1000))
    t_stop = time.monotonic()
    while socks and time.monotonic() - t_stop < hold:
        reap(100)
    print(json.dumps({"opened": opened, "refused": refused,
                      "closed": closed, "bytes": nbytes,
                      "open_at_end": len(socks), "n": n,
                      "seconds": t_stop - t0,
                      "hold": time.monotonic() - t_stop}))
    for s in socks.values():
        s.close()


def legit_echo(port, source, timeout):
    """A new association from source with one C-ECHO and a release;
    return the seconds from connect to the C-ECHO's answer, or None."""
    t0 = time.monotonic()
    try:
        p = connect(port, source, timeout=timeout)
    except OSError:
        return None
    try:
        p.send(dulpeer.assoc_rq(called="ECHOSCP", calling="LEGIT"))
        ty, _ = p.recv_pdu(timeout=timeout)
        if ty != dulpeer.A_ASSOCIATE_AC or echo_on(p) != 0:
            return None
        took = time.monotonic() - t0
        release(p)
        return took
    except (OSError, dulpeer.Closed, TimeoutError, Failure):
        return None
    finally:
        p.close()


def test_b094_idle_flood_from_one_24(t):
    """Idle connections from 127.0.0.2-254, one source under
    per_ip_prefix4 = 24 with max_startups_per_ip = 8, while 127.0.1.1
    (another /24) runs a new association with a C-ECHO every second:
    every C-ECHO answered within 2 s, an established association from the
    /24 is not counted as starting; what the flood opened is either a
    worker (at most 8 starting at once, ended by ARTIM) or closed at
    accept, without a fork or a byte, counted exactly and logged in
    rate-limited lines; children, starting workers and the master's
    descriptors back to where they were."""
    n_idle = 10000 if LONG else 1000
    seconds = 30 if LONG else 10
    artim, cap, rate = 3, 8, 4000 if LONG else 1000
    port = free_port()
    d = t.start("idle94", t.conf(port, server="""
  max_associations = 64;
  max_startups = "16:30:48";
  max_startups_per_ip = %d;
  per_ip_prefix4 = 24;
  backlog = 4096;""" % cap, timeouts="artim = %d;" % artim))
    check(legit_echo(port, "127.0.1.1", 10) is not None,
          "no C-ECHO before the flood")
    d.wait_children(0)
    fds0 = sorted(proc_fds(d.pid))
    # An association of the flood's /24 that is established counts
    # against no cap on starting workers.
    held = assoc_ok(port, "HELD", source="127.0.0.1")
    before = status(d)
    check(before["associations"] == 1 and before["starting"] == 0,
          "an established association counted as starting: %s" %
          before["line"])
    sources = ["127.0.0.%d" % i for i in range(2, 255)]
    hold = artim + 4
    f = t.popen([sys.executable, os.path.abspath(__file__), "--idle-flood",
                 str(port), str(n_idle), str(seconds + 1), str(rate),
                 str(hold)] + sources, stdout=subprocess.PIPE)
    time.sleep(1)
    waits, failed, legit, most = [], 0, 0, 0
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end and f.poll() is None:
        t0 = time.monotonic()
        legit += 1
        took = legit_echo(port, "127.0.1.1", 5)
        if took is None:
            failed += 1
        else:
            waits.append(took)
        most = max(most, len(d.children()))
        time.sleep(max(0, 1 - (time.monotonic() - t0)))
    out, _ = f.communicate(timeout=seconds + hold + 60)
    fl = json.loads(out.decode())
    print("idle flood: %d connections opened from one /24 (%d at once), "
          "%d C-ECHOs, longest %.0f ms, at most %d children" % (
              fl["opened"], fl["n"], len(waits),
              max(waits or [0]) * 1000, most))
    check(failed == 0, "%d of %d C-ECHOs failed" % (failed, legit))
    check(len(waits) >= seconds - 2, "only %d C-ECHOs" % len(waits))
    check(max(waits) < 2.0, "a C-ECHO waited %.2f s" % max(waits))
    check(fl["opened"] >= fl["n"], "the flood was too thin: %r" % fl)
    check(fl["bytes"] == 0, "the flood's connections got %d bytes" %
          fl["bytes"])
    # ARTIM ended every worker the flood got, though it held them open.
    check(fl["open_at_end"] == 0, "%d idle connections still open %.1f s "
          "after the flood stopped opening (ARTIM %d s)" % (
              fl["open_at_end"], fl["hold"], artim))
    check(most <= cap + 2, "the master had %d children" % most)
    check(echo_on(held, 2) == 0, "C-ECHO on the held association")
    release(held)
    d.wait_children(0, 10)
    st = status(d)
    check(st["starting"] == 0 and st["associations"] == 0,
          "after the flood: %s" % st["line"])
    forked = st["workers"] - before["workers"] - legit
    closed = st["closed_startups_ip"] - before["closed_startups_ip"]
    check(closed + forked == fl["opened"], "%d closed at accept and %d "
          "workers for %d connections: %s" % (closed, forked, fl["opened"],
                                              st["line"]))
    generations = (fl["seconds"] + fl["hold"]) / artim + 2
    check(forked <= cap * generations, "%d workers forked for the flood, "
          "%d starting at once for %.0f s allow %.0f" % (
              forked, cap, fl["seconds"] + fl["hold"], cap * generations))
    check(st["closed_startups"] == before["closed_startups"] and
          st["closed_limit"] == before["closed_limit"],
          "other limits closed connections: %s" % st["line"])
    lines = wait_rate_limited(
        d, r"connection from 127\.0\.0\.\d+:\d+ closed: \d+ workers of its "
        r"source have not associated yet \(server\.max_startups_per_ip\)",
        "connections closed: max_startups_per_ip", closed)
    check(len(lines) <= (fl["seconds"] + fl["hold"]) / LOG_EVERY + 4,
          "%d lines about max_startups_per_ip" % len(lines))
    check(not d.lines(r"connection from 127\.0\.1\.1:\d+ closed"),
          "the legitimate SCU's connection was closed")
    check(sorted(proc_fds(d.pid)) == fds0, "the master's descriptors: "
          "%r, before %r" % (sorted(proc_fds(d.pid)), fds0))
    no_zombies(d)


def startups_drop(n, start, rate, full):
    """The chance in percent that server.max_startups closes a
    connection with n workers starting (src/master.c)."""
    if n < start:
        return 0
    if n >= full:
        return 100
    return rate + (100 - rate) * (n - start) // (full - start)


def test_b094_early_drop_between_start_and_full(t):
    """server.max_startups = "8:20:40": 200 idle connections one after
    the other.  Each is either a worker (it stays open until ARTIM) or
    closed at once; the first 8 are all workers, none is once 40 are
    starting, and in between the drops match the chance rising from 20 %
    to 100 % (z-score within 4.5 over the band and over its upper half).
    Then ARTIM ends the 40 workers at most and nothing is left."""
    start, rate, full, n_conn, artim = 8, 20, 40, 200, 10
    port = free_port()
    d = t.start("drop94", t.conf(port, server="""
  max_associations = 128;
  max_startups = "%d:%d:%d";
  backlog = 1024;""" % (start, rate, full), timeouts="artim = %d;" % artim))
    d.wait_children(0)
    fds0 = sorted(proc_fds(d.pid))
    before = status(d)
    socks = []
    try:
        t0 = time.monotonic()
        for i in range(n_conn):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(5)
            s.bind(("127.0.0.%d" % (2 + i % 200), 0))
            s.connect(("127.0.0.1", port))
            socks.append(s)
        took = time.monotonic() - t0
        check(took < artim - 4, "connecting took %.1f s, too close to "
              "ARTIM" % took)
        # Let the master dispatch them all, well before ARTIM.
        st = wait_for(lambda: (lambda x: x if x["accepted"] -
                               before["accepted"] >= n_conn else None)(
                                   status(d)), artim - 3 - took, 0.2)
        check(st, "the master did not take all %d connections" % n_conn)
        outcome = []            # (workers starting then, dropped)
        n = 0
        for s in socks:
            s.setblocking(False)
            try:
                dropped = s.recv(1, socket.MSG_PEEK) == b""
            except BlockingIOError:
                dropped = False
            except OSError:
                dropped = True
            outcome.append((n, dropped))
            n += not dropped
        check(time.monotonic() - t0 < artim - 0.5, "too slow to tell "
              "drops from workers before ARTIM")
        forked = st["workers"] - before["workers"]
        drops = st["closed_startups"] - before["closed_startups"]
        check(forked == n and drops == n_conn - n, "%d workers and %d "
              "drops in the status, %d and %d seen: %s" % (
                  forked, drops, n, n_conn - n, st["line"]))
        check(st["starting"] == n, "starting: %s" % st["line"])
        check(all(not x for m, x in outcome if m < start),
              "a connection dropped with fewer than %d starting" % start)
        check(all(x for m, x in outcome if m >= full),
              "a worker forked with %d starting" % full)
        check(n <= full, "%d workers starting" % n)

        def z(lo, hi):
            num = var = 0.0
            k = 0
            for m, x in outcome:
                if lo <= m < hi:
                    p = startups_drop(m, start, rate, full) / 100.0
                    num += x - p
                    var += p * (1 - p)
                    k += 1
            return (num / math.sqrt(var) if var else 0.0), k
        zb, kb = z(start, full)
        zu, ku = z((start + full) // 2, full)
        print("early drop: %d connections, %d workers, %d dropped; in the "
              "band z = %.2f over %d, upper half z = %.2f over %d" % (
                  n_conn, n, n_conn - n, zb, kb, zu, ku))
        check(kb >= 30, "only %d connections in the band" % kb)
        check(abs(zb) < 4.5 and abs(zu) < 4.5, "drops do not match the "
              "chance: z = %.2f (band), %.2f (upper half)" % (zb, zu))
        lines = wait_rate_limited(
            d, r"connection from [\d.]+:\d+ closed: \d+ workers have not "
            r"associated yet \(server\.max_startups 8:20:40, dropping "
            r"\d+%\)", "connections closed: max_startups", drops)
        check(len(lines) <= 4, "%d lines about max_startups" % len(lines))
        # ARTIM ends the workers though their peers hold on.
        t1 = time.monotonic()
        d.wait_children(0, artim + 10)
        open_left = 0
        for s in socks:
            s.settimeout(max(0.1, artim + 5 - (time.monotonic() - t1)))
            try:
                if s.recv(1) != b"":
                    open_left += 1
            except socket.timeout:
                open_left += 1
            except OSError:
                pass
        check(open_left == 0, "%d connections still open after ARTIM" %
              open_left)
    finally:
        for s in socks:
            s.close()
    st = status(d)
    check(st["starting"] == 0 and st["associations"] == 0,
          "after ARTIM: %s" % st["line"])
    check(sorted(proc_fds(d.pid)) == fds0, "the master's descriptors")
    no_zombies(d)


# Case 101 -------------------------------------------------------------

def test_b101_crash_loop_pauses(t):
    """Workers 2 to 8 fail right after fork (2 and 3 exit 1, 4 to 8 are
    killed): after 5 in a row the master stops accepting for 1 s, then
    2 s, then 4 s; the waiting peers are served when the pause ends;
    the held association goes on; worker 9 ends normally and ends it."""
    if not fault_build():
        print("skip: b101 crash loop: built without "
              "--enable-fault-injection")
        return
    rules = ["worker@%d.malloc:1" % b for b in (2, 3)]
    rules += ["worker@%d.malloc:1=kill" % b for b in range(4, 9)]
    env = dict(os.environ)
    env["DUL_FAULT"] = ",".join(rules)
    port = free_port()
    d = t.start("crash", t.conf(port), env=env)
    held = assoc_ok(port, "HELD")                       # birth 1
    for i in range(2, 7):                               # births 2..6
        crash_connection(port, "CRASH%d" % i)
    throttle = d.wait_log(r"5 workers in a row failed within 2000 ms of "
                          r"their start, the last one killed by signal 9 "
                          r"\(Killed\): not accepting connections for 1 s")
    d.wait_children(1)
    cpu0 = cpu_seconds(d.pid)
    # Each wait is what is left of a pause when the test sees it start,
    # hence the wide lower bounds on a loaded machine.
    for i, pause, least in ((7, 1.0, 0.0), (8, 2.0, 0.5)):  # births 7, 8
        waited = crash_connection(port, "CRASH%d" % i)
        check(least <= waited <= pause + 5, "birth %d waited %.2f s for "
              "a pause of %.0f s" % (i, waited, pause))
        d.wait_children(1)
    check(echo_on(held) == 0, "C-ECHO on the held association")
    t0 = time.monotonic()
    p = assoc_ok(port, "AFTER")                         # birth 9
    waited = time.monotonic() - t0
    check(1.6 <= waited <= 9, "served after %.2f s, not after the 4 s "
          "pause" % waited)
    check(cpu_seconds(d.pid) - cpu0 < 1.0, "the master spun while paused")
    check(echo_on(p) == 0, "C-ECHO after the pauses")
    release(p)
    d.wait_log(r"worker \d+ ended normally: workers work again after 7 "
               r"fast failures")
    t0 = time.monotonic()
    release(assoc_ok(port, "NEXT"))                     # birth 10
    check(time.monotonic() - t0 < 5, "no pause after the normal exit")
    release(held)
    d.wait_children(0)
    check(len(throttle) == 1 and
          len(d.lines("workers in a row failed")) == 1,
          "the pause was not logged once")
    check(d.lines(r"worker \d+ for 127\.0\.0\.1:\d+ exited with status 1 "
                  r"\(internal error\)"), "no exit status logged")
    check(d.lines(r"worker \d+ for 127\.0\.0\.1:\d+ killed by signal 9"),
          "no signal logged")
    st = status(d)
    check(st["accepted"] == 10 and st["workers"] == 10 and
          st["pauses"] == 3 and st["internal"] == 2 and
          st["signalled"] == 5, "status: %s" % st["line"])


def test_b101_missing_handler_is_no_crash(t):
    """A handler that cannot be run makes every association end with
    RJ (2, 3, 1) and a normal worker exit: no pause, however many."""
    port = free_port()
    gone = t.path("gone-handler")
    with open(gone, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(gone, 0o755)
    d = t.start("nohandler", t.conf(port, aes=[ae("ECHOSCP", gone)]))
    os.unlink(gone)
    t0 = time.monotonic()
    for i in range(8):
        p, ty, body = associate(port, calling="NOH%d" % i)
        check(ty == dulpeer.A_ASSOCIATE_RJ and
              bytes(body[1:4]) == bytes([2, 3, 1]),
              "association %d: type %d %r" % (i, ty, bytes(body[:4])))
        p.close()
    check(time.monotonic() - t0 < 20, "the rejections were slowed down")
    d.wait_children(0)
    check(not d.lines("workers in a row failed"), "paused for RJ")
    st = status(d)
    check(st["pauses"] == 0 and st["internal"] == 0 and
          st["signalled"] == 0, "status: %s" % st["line"])


# Case 102 -------------------------------------------------------------

def test_b102_all_workers_killed_at_once(t):
    """30 associations; with the master stopped, SIGKILL to every worker,
    then SIGCONT: one SIGCHLD for 30 children.  All are reaped, the
    counts are 0 again, and 30 new associations fit, the 31st not."""
    n = 30
    port = free_port()
    d = t.start("killall", t.conf(port, server="""
  max_associations = %d;
  reject_slots = 2;""" % n, timeouts="artim = 60;"))
    peers = [assoc_ok(port, "K%02d" % i) for i in range(n)]
    workers = [pid for pid, _ in d.children()]
    check(len(workers) == n, "%d workers for %d associations" %
          (len(workers), n))
    handlers = [pid for w in workers for pid, _ in proc_children(w)]
    # Older than a fast failure (2 s), so the kills are no crash loop.
    time.sleep(2.5)
    d.kill(signal.SIGSTOP)
    try:
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        check(wait_for(lambda: sum(1 for _, st in d.children()
                                   if st == "Z") == n, 20),
              "the workers did not all die")
    finally:
        d.kill(signal.SIGCONT)
    d.wait_children(0)
    for p in peers:
        try:
            p.expect_close(timeout=10)
        except dulpeer.Closed:
            pass
        p.close()
    check(wait_for(lambda: "master: 0/%d associations, 0 rejecting" % n
                   in proctitle(d.pid), 10),
          "process title %r" % proctitle(d.pid))
    st = status(d)
    check(st["associations"] == 0 and st["rejecting"] == 0 and
          st["signalled"] == n and st["pauses"] == 0,
          "status: %s" % st["line"])
    wait_rate_limited(d, r"worker \d+ for 127\.0\.0\.1:\d+ killed by "
                      r"signal 9", "workers killed by SIGKILL or SIGTERM", n)
    check(wait_for(lambda: not any(running(h) for h in handlers), 20),
          "handlers of the killed workers still run: %r" %
          [h for h in handlers if running(h)])
    peers = [assoc_ok(port, "N%02d" % i) for i in range(n)]
    p, ty, body = associate(port, calling="OVER")
    check(ty == dulpeer.A_ASSOCIATE_RJ and
          bytes(body[1:4]) == bytes([2, 3, 2]),
          "association %d: type %d %r" % (n + 1, ty, bytes(body[:4])))
    p.close()
    for p in peers:
        check(echo_on(p) == 0, "C-ECHO on a new association")
        release(p)
    d.wait_children(0)
    no_zombies(d)


# Case 106 -------------------------------------------------------------

def flood(port, rate, seconds, sources):
    """Connect `rate` times a second for `seconds`, from the loopback
    addresses given, closing each at once (half with a reset); print a
    JSON summary.  Runs in a process of its own."""
    done = refused = 0
    t0 = time.monotonic()
    tick = 0.01
    per_tick = max(1, int(rate * tick))
    k = 0
    while time.monotonic() - t0 < seconds:
        for _ in range(per_tick):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(0.5)
            try:
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((sources[k % len(sources)], 0))
                s.connect(("127.0.0.1", port))
                if k % 2:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
                done += 1
            except OSError:
                refused += 1
            finally:
                s.close()
            k += 1
        next_tick = t0 + (k // per_tick) * tick
        delay = next_tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(json.dumps({"done": done, "refused": refused,
                      "seconds": time.monotonic() - t0}))


def try_echo(port, timeout=2.0):
    """One association with a C-ECHO; True if it worked."""
    try:
        p = connect(port, "127.0.0.2", timeout=timeout)
    except OSError:
        return False
    try:
        p.send(dulpeer.assoc_rq(called="ECHOSCP", calling="PROBE"))
        ty, _ = p.recv_pdu(timeout=timeout)
        if ty != dulpeer.A_ASSOCIATE_AC:
            return False
        ok = echo_on(p) == 0
        release(p)
        return ok
    except (OSError, dulpeer.Closed, TimeoutError, Failure):
        return False
    finally:
        p.close()


def test_b106_connection_rate_flood(t):
    """2000 connects a second for 5 s (DUL_TEST_LONG=1: 60 s) against a
    rate of 20 a second (burst 40): the master closes what is over the
    rate with rate-limited lines, forks no more workers than the rate
    allows, uses little CPU, and serves a C-ECHO within 5 s of the end."""
    rate, burst = 20, 40
    seconds = 60 if LONG else 5
    port = free_port()
    d = t.start("rate", t.conf(port, server="""
  max_connection_rate = %d;
  connection_rate_burst = %d;""" % (rate, burst)))
    check(try_echo(port, 10), "no C-ECHO before the flood")
    before = status(d)
    cpu0 = cpu_seconds(d.pid)
    sources = ["127.0.0.%d" % i for i in range(10, 60)]
    f = t.popen([sys.executable, os.path.abspath(__file__), "--flood",
                 str(port), "2000", str(seconds)] + sources,
                stdout=subprocess.PIPE)
    probes = ok_during = 0
    while f.poll() is None and probes < seconds * 4:
        probes += 1
        ok_during += try_echo(port)
        time.sleep(0.2)
    out, _ = f.communicate(timeout=seconds + 60)
    end = time.monotonic()
    fl = json.loads(out.decode())
    cpu = cpu_seconds(d.pid) - cpu0
    served = False
    while not served and time.monotonic() - end < 5:
        served = try_echo(port, 3.0)
    recovered = time.monotonic() - end
    print("flood: %d connects in %.1f s (%d refused), master CPU %.2f s, "
          "%d of %d probes served during it, served again after %.2f s" %
          (fl["done"], fl["seconds"], fl["refused"], cpu, ok_during, probes,
           recovered))
    check(served, "no C-ECHO started within 5 s of the flood's end was "
          "served")
    check(fl["done"] >= 300 * seconds, "the flood was too thin to test "
          "anything: %r" % fl)
    check(cpu < 0.5 * fl["seconds"], "the master used %.2f s of CPU in "
          "%.1f s" % (cpu, fl["seconds"]))
    d.wait_children(0, 30)
    st = status(d)
    forked = st["workers"] - before["workers"]
    allowed = burst + rate * (time.monotonic() - end + fl["seconds"] + 2)
    check(forked <= allowed, "%d workers forked, the rate allows %d" %
          (forked, allowed))
    closed = st["closed_rate"]
    check(closed >= fl["done"] - forked - probes - 5,
          "only %d closed over the rate: %s" % (closed, st["line"]))
    lines = wait_rate_limited(
        d, r"connection from [\d.]+:\d+ closed: over "
        r"server\.max_connection_rate \(20 a second, burst 40\)",
        "connections closed: over max_connection_rate", closed)
    check(len(lines) <= fl["seconds"] / LOG_EVERY + 4, "%d lines about "
          "the rate:\n%s" % (len(lines), "\n".join(lines)))
    no_zombies(d)


# Case 124 -------------------------------------------------------------

def test_b124_signal_storm(t):
    """Bursts of SIGCHLD, SIGHUP and SIGUSR1 while three clients open,
    use and release associations, and a held one stays: every
    association works, the counts are exact, no zombie is left, and
    bursts of SIGTERM end the master with status 0."""
    port = free_port()
    d = t.start("storm", t.conf(port, server="""
  max_associations = 16;"""))
    held = assoc_ok(port, "HELD")
    stop = threading.Event()
    done = [0, 0, 0]
    errors = []

    def client(k):
        while not stop.is_set():
            try:
                p = assoc_ok(port, "C%d" % k)
                check(echo_on(p) == 0, "C-ECHO status")
                release(p)
                done[k] += 1
            except Exception as e:        # noqa: BLE001 (reported below)
                errors.append("client %d: %s: %s" % (k, type(e).__name__,
                                                      e))
                return

    threads = [threading.Thread(target=client, args=(k,)) for k in range(3)]
    for th in threads:
        th.start()
    bursts = 0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < (30 if LONG else 8) and not errors:
            for _ in range(20):
                os.kill(d.pid, signal.SIGCHLD)
            for _ in range(3):
                os.kill(d.pid, signal.SIGHUP)
            for _ in range(20):
                os.kill(d.pid, signal.SIGUSR1)
                os.kill(d.pid, signal.SIGCHLD)
            bursts += 1
            time.sleep(0.1)
    finally:
        stop.set()
        for th in threads:
            th.join(60)
    check(not errors, "associations failed under the storm: %r" % errors)
    check(not any(th.is_alive() for th in threads), "a client hung")
    total = sum(done)
    check(total >= 10, "only %d associations in the storm" % total)
    check(echo_on(held, 7) == 0, "C-ECHO on the held association")
    release(held)
    d.wait_children(0, 30)
    no_zombies(d)
    st = status(d)
    check(st["associations"] == 0 and st["rejecting"] == 0,
          "status: %s" % st["line"])
    check(st["accepted"] == total + 1 and st["workers"] == total + 1 and
          st["ok"] == total + 1 and st["signalled"] == 0 and
          st["internal"] == 0, "%d associations; status: %s" %
          (total + 1, st["line"]))
    check(st["reloads"] >= 1, "no reload in the storm: %s" % st["line"])
    released = d.lines(r'calling="C\d" called="ECHOSCP" outcome=released')
    check(len(released) == total, "%d summaries for %d associations" %
          (len(released), total))
    print("storm: %d bursts, %d associations, %d reloads" %
          (bursts, total, st["reloads"]))
    for _ in range(10):
        d.kill(signal.SIGTERM)
    check(d.wait_exit(20) == 0, "exit status %r" % d.proc.returncode)
    check(d.lines(r"master\[\d+\]: all associations ended; exiting$"),
          "no final line")
    check(not d.lines("Sanitizer|runtime error"), "sanitizer report")


# Case 135 -------------------------------------------------------------

def malformed(port, k):
    """An HTTP request on the DICOM port: the worker answers A-ABORT
    (case 4) and waits for the close."""
    try:
        p = connect(port, "127.0.0.%d" % (20 + k % 40), timeout=30)
    except OSError:
        return False
    try:
        p.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        ty, _ = p.recv_pdu(timeout=30)
        return ty == dulpeer.A_ABORT
    except (OSError, dulpeer.Closed):
        return False
    finally:
        p.close()


def test_b135_log_flood(t):
    """Malformed connections (600, at most 167 a second; DUL_TEST_LONG=1:
    10,000 in a minute) and 200 idle ones: each malformed one costs one
    worker line (its summary, which says what was wrong) of bounded
    length, an idle one none at level info, and the master's own line
    about each worker's exit status 2 is rate-limited, its counts adding
    up."""
    n = 10000 if LONG else 600
    per_second = 10000 / 60.0
    idle = 200
    port = free_port()
    d = t.start("logflood", t.conf(port, server="""
  max_associations = 64;
  reject_slots = 0;""", timeouts="artim = 10;"))
    start = len(d.text().encode())
    sent = [0]
    lock = threading.Lock()
    t0 = time.monotonic()

    def run(k0):
        k = k0
        while k < n:
            due = t0 + k / per_second
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            if malformed(port, k):
                with lock:
                    sent[0] += 1
            k += 8

    threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(600 if LONG else 300)
    took = time.monotonic() - t0
    check(sent[0] == n, "only %d of %d malformed connections were "
          "answered with A-ABORT" % (sent[0], n))
    d.wait_children(0, 60)
    lines = wait_rate_limited(
        d, r"worker \d+ for [\d.]+:\d+ exited with status 2 \(protocol "
        r"violation\)", "workers exited with status 2 (protocol violation)",
        status(d)["protocol"])
    check(len(lines) <= took / LOG_EVERY + 4, "%d master lines in %.0f s" %
          (len(lines), took))
    middle = len(d.text().encode())
    for i in range(idle):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.close()
    d.wait_children(0, 60)
    text = d.text().encode()
    idle_bytes = len(text) - middle
    text = text[start:middle].decode("utf-8", "replace")
    worker_lines = [x for x in text.splitlines() if x.startswith("worker[")]
    master_lines = [x for x in text.splitlines() if x.startswith("master[")]
    summaries = [x for x in worker_lines if " outcome=aborted" in x]
    check(len(summaries) == sent[0], "%d summary lines for %d connections" %
          (len(summaries), sent[0]))
    check(len(worker_lines) == sent[0], "%d worker lines for %d "
          "connections:\n%s" % (len(worker_lines), sent[0],
                                "\n".join(worker_lines[:4])))
    check(all("detail=\"bad PDU header" in x for x in summaries),
          "a summary without the error:\n" + "\n".join(
              x for x in summaries if "detail=\"bad PDU header" not in x))
    longest = max(len(x) for x in worker_lines)
    check(longest <= 2048 + 64, "a line of %d bytes" % longest)
    per_conn = (middle - start) / float(sent[0])
    check(per_conn <= 600, "%.0f log bytes per connection" % per_conn)
    check(len(master_lines) <= took / LOG_EVERY + 6, "%d master lines:\n%s"
          % (len(master_lines), "\n".join(master_lines)))
    check(idle_bytes == 0, "idle connections logged %d bytes:\n%s" %
          (idle_bytes, d.text()[-2000:]))
    print("log flood: %d malformed connections in %.1f s, %.0f bytes of "
          "log each, %d master lines; %d idle connections, 0 bytes" %
          (sent[0], took, per_conn, len(master_lines), idle))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--flood":
        flood(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
              sys.argv[5:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--idle-flood":
        idle_flood(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
                   int(sys.argv[5]), float(sys.argv[6]), sys.argv[7:])
        return
    t = Test("battery")
    t.main([test_b012_denied_flood_closed_in_master,
            test_b094_idle_flood_from_one_24,
            test_b094_early_drop_between_start_and_full,
            test_b101_crash_loop_pauses,
            test_b101_missing_handler_is_no_crash,
            test_b102_all_workers_killed_at_once,
            test_b106_connection_rate_flood,
            test_b124_signal_storm,
            test_b135_log_flood])


if __name__ == "__main__":
    main()
