#!/usr/bin/env python3
"""The worker's resources and timers, end to end (robustness battery,
cases 94 to 97, 103 to 105, 122 and 123).

Most cases run against `dulserverd -i` (the conformance harness: one
worker per connection, its own log and exit status) with short timers;
case 94 and the OOM score run a real master.  Sizes are scaled down by
default; DUL_TEST_LONG=1 runs them at full size (10,000 idle connections,
1 GiB streamed).  Standard library only.
"""

import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "pylib"))
sys.path.insert(0, os.path.join(HERE, "conformance"))
sys.dont_write_bytecode = True

import dulmaster  # noqa: E402
import dulpeer  # noqa: E402
import harness  # noqa: E402
from dulpeer import IMPLICIT_LE, EXPLICIT_LE, VERIFICATION, item  # noqa

SKIP = 77
LONG = os.environ.get("DUL_TEST_LONG") == "1"
ROOT = os.geteuid() == 0
ARTIM, IDLE, HANDLER, SEND = 2.0, 3.0, 2.0, 2.0
PDU_T, PDU_IDLE = 1.5, 8.0  # the TRICKLE entry's pdu and idle timers
LATE = 1.5               # how late a timer may fire on a loaded machine
EARLY = 0.15             # how early, given where we start our clock
STORAGE = "1.2.840.10008.5.1.4.1.1"
MAX_PDU = 65536
ABORT_00 = dulpeer.abort(0, 0)
ABORT_20 = dulpeer.abort(2, 0)

check = harness.check
Failure = harness.Failure


# The daemons.

class Env(harness.Env):
    """The conformance harness's paths, with this file's daemons."""

    def __init__(self, builddir, workdir):
        super().__init__(builddir, sys.executable, workdir)
        self.res_sh = os.path.join(workdir, "resource_handler.sh")
        with open(self.res_sh, "w") as f:
            f.write('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (
                sys.executable, os.path.join(HERE, "handlers",
                                             "resource_handler.py")))
        os.chmod(self.res_sh, 0o755)
        self.echo_scp = os.path.join(self.builddir, "handlers",
                                     "dul-echo-scp")
        self.asan = sanitized(self.dulserverd)
        if ROOT:
            for d in (workdir, self.tracedir):
                os.chmod(d, 0o777)

    def res_conf(self, aes, timeouts="", network=None, logging=""):
        """A configuration: stderr logging, short timers, our AEs."""
        server = 'server : { user = "root"; };\n' if ROOT else ""
        return ("config_version = 1;\n" + server +
                'logging : { target = "stderr"; level = "info"; '
                'log_idle_connects = true; %s };\n'
                "timeouts : { artim = %g; idle = %g; handler = %g; "
                "handler_exit = 1; send = %g; release = 2; %s };\n"
                "network : { %s };\n"
                'syntax_sets : { ts = [ "%s", "%s" ]; };\n'
                "ae = (\n%s\n);\n" % (
                    logging, ARTIM, IDLE, HANDLER, SEND, timeouts,
                    network or "max_pdu_receive = %d;" % MAX_PDU,
                    IMPLICIT_LE, EXPLICIT_LE, ",\n".join(aes)))

    def ae(self, title, handler, args, abstract=VERIFICATION, extra=""):
        """One ae entry; the policy negotiates."""
        return ('  { title = "%s"; handler = "%s"; args = [ %s ]; '
                'negotiation = "policy"; contexts = ( { abstract = "%s"; '
                'transfer = "ts"; } ); %s }' % (
                    title, handler, ", ".join('"%s"' % a for a in args),
                    abstract, extra))

    def res_ae(self, title, mode, extra=""):
        return self.ae(title, self.res_sh, ["--trace", self.tracedir,
                                            "--mode", mode], extra=extra)

    def echo_ae(self, title="ECHO", extra=""):
        return self.ae(title, self.handler_sh, ["--trace", self.tracedir],
                       extra=extra)

    def daemon(self, name, conf, environ=None, dulserverd=None):
        """A started -i daemon; stopped with the others at the end."""
        lean = dict(os.environ if environ is None else environ)
        lean["ASAN_OPTIONS"] = ":".join(filter(None, [
            lean.get("ASAN_OPTIONS"), "quarantine_size_mb=0",
            "thread_local_quarantine_size_kb=0"]))
        d = harness.Daemon(self, name, conf, lean)
        if dulserverd is not None:
            d.env = _EnvView(self, dulserverd)
        d.start()
        self.daemons[name] = d
        return d


class _EnvView:
    """An Env whose dulserverd is another command (a wrapper)."""

    def __init__(self, env, dulserverd):
        self.__dict__.update(env.__dict__)
        self.dulserverd = dulserverd


def sanitized(path):
    """Whether a binary was built with AddressSanitizer."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def connect(daemon, rcvbuf=None, source="127.0.0.1", timeout=10.0):
    """A harness connection, optionally with a small receive buffer
    (set before connecting, so that the window it announces is small)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", daemon.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c = harness.Conn.__new__(harness.Conn)
    c.sock = s
    c.timeout = timeout
    c.daemon = daemon
    c.port = s.getsockname()[1]
    c.t_connect = c.t_sent = time.monotonic()
    c.result = None
    c.spawned = daemon.spawned(c.port)
    return c


def associate(daemon, called, contexts=None, **kw):
    """Connect and be accepted; returns the connection."""
    c = connect(daemon, **kw)
    c.send(dulpeer.assoc_rq(called=called, calling="RESSCU",
                            contexts=contexts, max_len=MAX_PDU))
    got = c.pdu(5)
    check(got[0] == dulpeer.A_ASSOCIATE_AC, "%s: not accepted: %s%s" % (
        called, got[:16].hex(), c.log_hint()))
    c.t_ac = time.monotonic()
    return c


def rss_kib(pid):
    """VmRSS of a process in KiB, or 0 once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def exited(c, timeout):
    """Wait for the worker; returns (exit status, when)."""
    try:
        code = c.spawned.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise Failure("worker still running %.1f s later%s" % (
            timeout, c.log_hint()))
    return code, time.monotonic()


def trace_of(c, res, name):
    rec = res.find(name)
    check(rec is not None, "handler trace lacks %s: %s" % (name,
                                                           res.trace))
    return rec


# Case 95: a peer trickling inside a PDU.

def test_b095_trickle_inside_pdu(env):
    """One byte of a P-DATA-TF every (idle - 1) s: the idle timer, which
    only a complete PDU restarts, aborts with A-ABORT (0, 0) and closes.
    (The per-PDU completion deadline, timeouts.pdu, is left at 60 s here;
    test_b095_pdu_deadline shows it firing first.)"""
    d = env.daemons["main"]
    body = dulpeer.pdata(dulpeer.pdv(1, 3, dulpeer.c_echo_rq(1)))
    c = associate(d, "ECHO")
    t0 = time.monotonic()
    got = None
    for i in range(len(body)):
        c.send(body[i:i + 1])
        r, _, _ = select.select([c.sock], [], [], IDLE - 1)
        if r:
            got = time.monotonic()
            break
    check(got is not None, "no answer to a trickle")
    check(IDLE - EARLY <= got - t0 <= IDLE + LATE,
          "aborted %.2f s after the last complete PDU, idle is %g s" %
          (got - t0, IDLE))
    c.expect(ABORT_00, what="A-ABORT (0, 0) on the idle timer")
    res = c.finish()
    harness.outcome(res, r"aborted\(0,0:[^)]*\)")
    check("idle timeout" in (res.summary["detail"] or ""), res.log)
    check(trace_of(c, res, "P_ABORT_IND")["cause"] == 1, res.log)


def test_b095_pdu_deadline(env):
    """The per-PDU completion deadline (timeouts.pdu, here an entry's
    override shorter than its idle timer): a P-DATA-TF trickled one byte
    every half second, each byte well inside every other timer, is
    aborted with A-ABORT (0, 0) once the PDU's deadline passes, counted
    from its first byte; one summary line says why, and the handler hears
    local cause 12."""
    d = env.daemons["main"]
    body = dulpeer.pdata(dulpeer.pdv(1, 3, dulpeer.c_echo_rq(1)))
    c = associate(d, "TRICKLE")
    t0 = time.monotonic()
    got = None
    for i in range(len(body)):
        c.send(body[i:i + 1])
        r, _, _ = select.select([c.sock], [], [], 0.5)
        if r:
            got = time.monotonic()
            break
    check(got is not None, "no answer to a trickle")
    # The deadline adds 1 ms for each 64 bytes of the declared length.
    due = PDU_T + len(body) / 64000.0
    check(due - EARLY <= got - t0 <= due + LATE,
          "aborted %.2f s after the PDU's first byte, its deadline is "
          "%.2f s" % (got - t0, due))
    check(got - t0 < PDU_IDLE,
          "the idle timer (%g s) fired, not the PDU deadline" % PDU_IDLE)
    c.expect(ABORT_00, what="A-ABORT (0, 0) at the PDU deadline")
    code, _ = exited(c, ARTIM + LATE + 2)
    res = c.finish()
    check(code == 0, "exit status %d\n%s" % (code, res.log))
    harness.outcome(res, r"aborted\(0,0:[^)]*\)")
    check(res.summary["detail"] == "peer stalled inside a PDU", res.log)
    check(trace_of(c, res, "P_ABORT_IND")["cause"] == 12, res.trace)


# Case 96: the peer stops reading.

def test_b096_peer_stops_reading(env):
    """A peer with a tiny window that never reads while the handler
    floods it: the send deadline ends the association (A-P-ABORT to the
    handler, local cause 10), the handler is held back by its pipe, and
    the worker's memory stays flat."""
    d = env.daemons["main"]
    c = associate(d, "FLOOD", rcvbuf=4096)
    pid = c.spawned.proc.pid
    base = rss_kib(pid)
    peak = base
    deadline = time.monotonic() + SEND + 10
    while c.spawned.proc.poll() is None and time.monotonic() < deadline:
        peak = max(peak, rss_kib(pid))
        time.sleep(0.05)
    code, t_end = exited(c, 1)
    took = t_end - c.t_ac
    check(SEND - EARLY <= took <= SEND + 2 * LATE,
          "worker ended %.2f s after the AC, the send deadline is %g s" %
          (took, SEND))
    res = c.finish()
    check(code == 0, "exit status %d\n%s" % (code, res.log))
    harness.outcome(res, "connection-lost")
    check(res.summary["detail"] == "peer stopped reading (send timeout)",
          res.log)
    check(trace_of(c, res, "P_ABORT_IND")["cause"] == 10, res.trace)
    flood = trace_of(c, res, "FLOOD")
    # Held back while the peer was: one write of the handler's waited for
    # the send deadline (after the end, the worker reads and drops what
    # the handler still writes, handler protocol 2.5).
    check(SEND - 0.5 <= flood["longest"] <= SEND + 2 * LATE,
          "the handler was not held back: %r" % flood)
    check(peak - base < 16384, "worker RSS grew from %d to %d KiB" %
          (base, peak))
    env.note("b096: handler wrote %d of %d bytes, blocked up to %.2f s; "
             "worker RSS %d -> %d KiB" % (flood["written"], flood["wanted"],
                                         flood["longest"], base, peak))


# Case 97: a half-open peer.

def tcp_timer(local_port, remote_port):
    """The timer field of a loopback TCP socket in /proc/net/tcp."""
    want = ":%04X" % local_port, ":%04X" % remote_port
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1].endswith(want[0]) and fields[2].endswith(want[1]):
                return int(fields[5].split(":")[0], 16)
    return None


def test_b097_half_open_peer(env):
    """A peer that goes silent mid-association without FIN or RST: A-ABORT
    (0, 0) at the idle timeout, then the worker waits ARTIM for the close
    and exits.  Its socket has TCP keepalive on (timer 2 in
    /proc/net/tcp) as the second line of defence."""
    d = env.daemons["main"]
    c = associate(d, "ECHO")
    c.send(harness.echo_pdata(1))
    c.expect(harness.echo_rsp_pdata(1), what="C-ECHO-RSP")
    t0 = c.t_sent
    timers = []
    for _ in range(20):
        timers.append(tcp_timer(d.port, c.port))
        if timers[-1] == 2:
            break
        time.sleep(0.05)
    check(timers[-1] == 2, "the worker's socket has no keepalive timer "
          "(/proc/net/tcp timers %r)" % timers)
    t = c.expect(ABORT_00, timeout=IDLE + LATE + 1, what="A-ABORT (0, 0)")
    check(IDLE - EARLY <= t - t0 <= IDLE + LATE,
          "aborted %.2f s after the last PDU, idle is %g s" % (t - t0, IDLE))
    code, t_end = exited(c, ARTIM + LATE + 2)
    check(ARTIM - EARLY <= t_end - t <= ARTIM + LATE,
          "worker ended %.2f s after its A-ABORT, ARTIM is %g s" % (
              t_end - t, ARTIM))
    res = c.finish()
    check(code == 0, "exit status %d" % code)
    harness.outcome(res, r"aborted\(0,0:[^)]*\)")


# Case 104: a handler that stops reading.

def stream(c, total, window, pid):
    """Push P-DATA as fast as the worker takes it, for total bytes, until
    nothing moved for window seconds or until the worker sends something
    (its A-ABORT: after it, in Sta13, it reads and drops everything).
    Returns (bytes pushed, time of the last progress, peak RSS of the
    worker)."""
    pdu = dulpeer.pdata(dulpeer.pdv(1, 0, bytes(MAX_PDU - 6)))
    c.sock.setblocking(False)
    pushed, last, peak, view = 0, time.monotonic(), 0, memoryview(b"")
    sampled = 0.0
    deadline = time.monotonic() + 240
    while pushed < total and time.monotonic() < deadline:
        now = time.monotonic()
        if now - sampled > 0.1:
            peak = max(peak, rss_kib(pid))
            sampled = now
        if now - last > window:
            break
        r, w, _ = select.select([c.sock], [c.sock], [], 0.1)
        if r:
            break
        if not w:
            continue
        if not view:
            view = memoryview(pdu)
        try:
            n = c.sock.send(view)
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
        view = view[n:]
        pushed += n
        last = time.monotonic()
    c.sock.setblocking(True)
    return pushed, last, peak


def sysctl_max(name):
    with open("/proc/sys/net/ipv4/" + name) as f:
        return int(f.read().split()[2])


def test_b104_handler_backpressure(env):
    """The handler reads a while, then stops reading its pipe while the
    peer keeps streaming: the worker stops reading the socket (the peer
    can push no more than the buffers on the way hold), its memory stays
    flat, and the handler's stall deadline aborts: A-ABORT (2, 0) (a
    handler failure, design 8.8), not the idle timer, which is shorter but
    does not run while the peer is held back."""
    total = (1024 if LONG else 256) << 20
    before = total // 2
    d = env.daemons["main"]
    c = associate(d, "STALL")
    pid = c.spawned.proc.pid
    base = rss_kib(pid)
    pushed, last, peak = stream(c, total, STALL_HANDLER + 4, pid)
    check(pushed < total, "the peer pushed all %d bytes" % total)
    bound = before + sysctl_max("tcp_wmem") + sysctl_max("tcp_rmem") + \
        (4 << 20)
    check(pushed < bound, "the peer pushed %d bytes, %d after the handler "
          "stopped; the buffers on the way hold at most %d" % (
              pushed, pushed - before, bound - before))
    t = c.expect(ABORT_20, timeout=STALL_HANDLER + LATE + 2,
                 what="A-ABORT (2, 0) on the handler's stall")
    # The deadline counts from the handler's last read, which the peer
    # cannot see: its last send is the nearest it has.  A write of a few
    # bytes into the last page of the full pipe is no read and must not
    # start the deadline again (it did once, and the abort came a whole
    # deadline late).
    check(STALL_HANDLER - 1 <= t - last <= STALL_HANDLER + LATE,
          "aborted %.2f s after the peer was held, the handler deadline "
          "is %g s (idle %g s)" % (t - last, STALL_HANDLER, STALL_IDLE))
    res = c.finish()
    harness.outcome(res, r"aborted\(2,0:[^)]*\)")
    check("handler read nothing" in res.log and
          "for %d ms" % (STALL_HANDLER * 1000) in res.log, res.log)
    check(peak - base < 16384, "worker RSS grew from %d to %d KiB" %
          (base, peak))
    env.note("b104: %d MiB pushed of %d MiB, %d KiB after the handler "
             "stopped; worker RSS %d -> %d KiB" % (
                 pushed >> 20, total >> 20, (pushed - before) >> 10, base,
                 peak))


# Case 105: the worst negotiation.

def worst_rq(cap):
    """128 contexts, each with its syntaxes (the one we accept last), 128
    role selections and 128 extended negotiations, padded to the cap."""
    tss = ["1.2.840.10008.1.2.4.%d.%d" % (i, i) for i in range(40)]
    ctxs = []
    user = b""
    for k in range(128):
        abstract = "%s.%d" % (STORAGE, k + 1)
        ctxs.append((2 * k + 1, abstract, tss + [IMPLICIT_LE]))
        uid = abstract.encode()
        user += item(0x54, struct.pack(">H", len(uid)) + uid + b"\1\1")
        user += item(0x56, struct.pack(">H", len(uid)) + uid + bytes(32))
    rq = dulpeer.assoc_rq(called="NEG", calling="RESSCU", contexts=ctxs,
                          max_len=MAX_PDU, extra_user_items=user)
    # Pad with unknown items after the user information, to the cap.
    pad = cap - (len(rq) - 6)
    pads = b""
    while pad > 0:
        n = min(pad - 4, 65535)
        if 0 < pad - (n + 4) < 4:
            n -= 8
        pads += item(0x7F, bytes(n))
        pad -= n + 4
    body = rq[6:] + pads
    return struct.pack(">BBI", 1, 0, len(body)) + body


def test_b105_negotiation_worst_case(env):
    """An RQ of exactly 1 MiB: 128 contexts of 41 syntaxes each (ours
    last), 128 role selection and 128 extended negotiation items.  The AC
    accepts all 128 contexts, within 100 ms of the last byte (1 s with
    sanitizers; the handler's start is included)."""
    d = env.daemons["main"]
    rq = worst_rq(1 << 20)
    check(len(rq) == (1 << 20) + 6, "RQ of %d bytes" % len(rq))
    bound = 1.0 if env.asan else 0.1
    times = []
    for _ in range(3):
        c = connect(d)
        c.send(rq)
        ptype, body = c.recv_pdu(10)
        took = time.monotonic() - c.t_sent
        check(ptype == dulpeer.A_ASSOCIATE_AC, "not an AC: type %d%s" % (
            ptype, c.log_hint()))
        ac = dulpeer.parse_ac(body)
        ok = [k for k, (r, ts) in ac["contexts"].items()
              if r == 0 and ts == IMPLICIT_LE]
        check(len(ok) == 128, "%d contexts accepted" % len(ok))
        times.append(took)
        c.send(dulpeer.RELRQ)
        c.expect(dulpeer.RELRP)
        harness.outcome(c.finish(), "released", 0)
    check(min(times) < bound, "negotiation took %s s, bound %g s" % (
        ", ".join("%.3f" % t for t in times), bound))
    env.note("b105: RQ to AC %s ms" % ", ".join("%.0f" % (t * 1000)
                                                 for t in times))


# Case 122: the peer resets while the worker writes.

def test_b122_peer_resets_mid_response(env):
    """The peer reads part of a large response stream and resets the
    connection: the write fails (no SIGPIPE), Evt17, one summary line,
    exit 0, and the handler hears the transport is gone."""
    d = env.daemons["main"]
    c = associate(d, "FLOOD")
    got = 0
    while got < (1 << 20):
        chunk = c.sock.recv(65536)
        check(chunk, "closed after %d bytes" % got)
        got += len(chunk)
    c.rst()
    t0 = time.monotonic()
    code, t_end = exited(c, 5)
    res = c.finish(close=False)
    check(code == 0, "exit status %d (negative: a signal)\n%s" % (code,
                                                                  res.log))
    check(t_end - t0 < 1 + LATE, "worker took %.2f s after the reset" %
          (t_end - t0))
    harness.outcome(res, "connection-lost")
    check(trace_of(c, res, "P_ABORT_IND")["cause"] in (3, 4), res.trace)


# Case 123: the wall clock steps.

def test_b123_wall_clock_step(env):
    """The wall clock jumps an hour forward, or back, in the middle of
    ARTIM and of the idle timer (an LD_PRELOAD object shifts
    CLOCK_REALTIME, time() and gettimeofday()): both expire on time."""
    shim = os.path.join(env.builddir, "tests", "clockshift.so")
    if not os.path.exists(shim):
        raise Skip("%s not built" % shim)
    # The object works: date(1) under it is an hour off.
    e = dict(os.environ, LD_PRELOAD=shim, DUL_CLOCKSHIFT_BY="3600")
    out = subprocess.run(["date", "+%s"], env=e, stdout=subprocess.PIPE,
                         timeout=10).stdout
    check(abs(int(out) - time.time() - 3600) < 60,
          "date under the shift object says %s" % out)
    for by in (3600, -3600):
        d = env.clock_daemons[by]
        c = connect(d)
        took = c.expect_close(ARTIM, ARTIM + LATE)
        res = c.finish()
        check("no A-ASSOCIATE-RQ within ARTIM" in res.log, res.log)
        c = associate(d, "ECHO")
        c.send(harness.echo_pdata(1))
        c.expect(harness.echo_rsp_pdata(1), what="C-ECHO-RSP")
        t0 = c.t_sent
        t = c.expect(ABORT_00, timeout=IDLE + LATE + 1,
                     what="A-ABORT (0, 0) on the idle timer")
        check(IDLE - EARLY <= t - t0 <= IDLE + LATE,
              "clock stepped by %+d s: idle fired after %.2f s" % (by,
                                                                   t - t0))
        res = c.finish()
        harness.outcome(res, r"aborted\(0,0:[^)]*\)")
        env.note("b123: step %+d s: ARTIM after %.2f s, idle after %.2f s"
                 % (by, took, t - t0))


# Case 103: the address-space limit, and the OOM killer's choice.

def test_b103_rlimit_as(env):
    """dulserverd -i under RLIMIT_AS fed the largest PDUs it accepts (an
    RQ of 16 MiB, P-DATA of 4 MiB with thousands of PDVs): each
    association ends by a normal service (exit 0: released, or aborted
    by the handler) or, when memory runs out, with a PDU that needs
    none: A-ASSOCIATE-RJ (2, 3, 1) before the AC, A-ABORT (0, 0) after
    it (exit 1); never a silent close, never a death by a signal.  Not
    with sanitizers (their shadow memory needs terabytes of address
    space)."""
    if env.asan:
        raise Skip("dulserverd is built with AddressSanitizer, which cannot "
                   "run under RLIMIT_AS; this runs in the plain build "
                   "(make distcheck)")
    outcomes = []
    pdv_data = bytes(1022)
    # As many PDVs as fit the 4 MiB maximum (each item is 1028 bytes).
    big = dulpeer.pdata(*[dulpeer.pdv(1, 0, pdv_data)
                          for _ in range(4194304 // 1028)])
    rj_231 = dulpeer.assoc_rj(2, 3, 1)
    for limit_mib in (24, 32, 48, 64):
        d = env.as_daemons[limit_mib]
        for size in (16 << 20, 1 << 20):
            # Built before connecting: ARTIM runs from the connection.
            rq = dulpeer.assoc_rq(called="ECHO", calling="RESSCU",
                                  max_len=MAX_PDU)
            pad = size - (len(rq) - 6)
            parts = [rq[6:]]
            while pad > 0:
                n = min(pad - 4, 65535)
                if 0 < pad - (n + 4) < 4:
                    n -= 8
                parts.append(item(0x7F, bytes(n)))
                pad -= n + 4
            body = b"".join(parts)
            c = connect(d)
            got = []
            try:
                c.send(struct.pack(">BBI", 1, 0, len(body)) + body)
                got.append(c.pdu(10))
                if got[-1][0] == dulpeer.A_ASSOCIATE_AC:
                    for _ in range(8):
                        c.send(big)
                    c.send(harness.echo_pdata(1))
                    got.append(c.pdu(10))
                    if got[-1][0] == dulpeer.P_DATA_TF:
                        c.send(dulpeer.RELRQ)
                        got.append(c.pdu(10))
            except (dulpeer.Closed, ConnectionError, Failure,
                    TimeoutError):
                pass
            code, _ = exited(c, 20)
            res = c.finish()
            what = "%d MiB RQ under %d MiB" % (size >> 20, limit_mib)
            check(code >= 0, "%s: worker killed by signal %d\n%s"
                  % (what, -code, res.log))
            check(code in (0, 1), "%s: exit status %d\n%s" % (
                what, code, res.log))
            check(got, "%s: closed without a PDU\n%s" % (what, res.log))
            last = got[-1]
            outcomes.append("%s: %s (%d)" % (what, res.summary["outcome"],
                                             code))
            if code == 0:
                # Served: released, or aborted by the echo handler, which
                # takes the data fragments before the C-ECHO for a stream
                # out of sequence.
                check((last, res.summary["outcome"]) in (
                    (dulpeer.RELRP, "released"),
                    (ABORT_00, "aborted(0,0:service-user/-)")),
                      "%s: %s, last PDU %s\n%s" % (
                          what, res.summary["outcome"], last[:16].hex(),
                          res.log))
                continue
            check(re.search(r"out of memory|Cannot allocate memory",
                            res.summary["detail"] or ""), res.log)
            if len(got) == 1:
                check(last == rj_231, "%s: before the AC, %s and not "
                      "RJ (2, 3, 1)\n%s" % (what, last[:16].hex(),
                                             res.log))
                harness.outcome(res, r"rejected\(2,3,1:[^)]*\)")
            else:
                check(last == ABORT_00, "%s: after the AC, %s and not "
                      "A-ABORT (0, 0)\n%s" % (what, last[:16].hex(),
                                               res.log))
                harness.outcome(res, r"aborted\(0,0:[^)]*\)")
    env.note("b103: " + "; ".join(outcomes))


def test_b103_oom_score_adj(env):
    """The master's OOM score adjustment is left alone; every worker
    raises its own (and so its handler's), so that the kernel's OOM
    killer picks a worker first."""
    t = dulmaster.Test("resource")
    try:
        port = dulmaster.free_port()
        m = t.start("oom", t.conf(port, timeouts="artim = 5;"))
        with open("/proc/%d/oom_score_adj" % m.pid) as f:
            master_adj = int(f.read())
        with open("/proc/self/oom_score_adj") as f:
            ours = int(f.read())
        check(master_adj == ours, "master's oom_score_adj %d, ours %d" %
              (master_adj, ours))
        p, ty, _ = dulmaster.associate(port, called="ECHOSCP")
        check(ty == dulpeer.A_ASSOCIATE_AC, "not accepted")
        m.wait_children(1)
        worker = m.children()[0][0]
        with open("/proc/%d/oom_score_adj" % worker) as f:
            worker_adj = int(f.read())
        check(worker_adj == min(1000, master_adj + 500),
              "worker's oom_score_adj %d, master's %d" % (worker_adj,
                                                          master_adj))
        handlers = dulmaster.proc_children(worker)
        check(handlers, "no handler under the worker")
        with open("/proc/%d/oom_score_adj" % handlers[0][0]) as f:
            check(int(f.read()) == worker_adj, "handler's differs")
        dulmaster.release(p)
    finally:
        for d in t.daemons:
            d.stop()
        t.cleanup()


# Case 94: idle connections from one address, a legitimate SCU elsewhere.

def test_b094_idle_flood_and_a_legitimate_scu(env):
    """Hundreds of connections from 127.0.0.2 that never send a byte
    (reopened as they are closed) while 127.0.0.1 runs one association
    with a C-ECHO every second: the per-address limit closes the excess
    at accept without forking, ARTIM reaps the rest, and every C-ECHO of
    the legitimate SCU is served within 2 s."""
    n_idle = 10000 if LONG else 500
    seconds = 30 if LONG else 10
    t = dulmaster.Test("resource94")
    socks = []
    try:
        port = dulmaster.free_port()
        m = t.start("flood", t.conf(port, server="""
  max_associations = 32;
  max_associations_per_ip = 4;
  reject_slots = 2;
  backlog = 1024;""", timeouts="artim = 3;"))
        stop = threading.Event()
        counts = {"opened": 0, "refused": 0}
        max_children = [0]

        def attacker():
            while not stop.is_set():
                socks[:] = [s for s in socks if alive(s)]
                while len(socks) < n_idle and not stop.is_set():
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setblocking(False)
                    s.bind(("127.0.0.2", 0))
                    try:
                        s.connect(("127.0.0.1", port))
                    except BlockingIOError:
                        pass
                    except OSError:
                        counts["refused"] += 1
                        s.close()
                        break
                    socks.append(s)
                    counts["opened"] += 1
                max_children[0] = max(max_children[0], len(m.children()))
                stop.wait(0.2)

        th = threading.Thread(target=attacker, daemon=True)
        th.start()
        time.sleep(1)
        waits = []
        t_end = time.monotonic() + seconds
        p = None
        while time.monotonic() < t_end:
            t0 = time.monotonic()
            if p is None:
                p, ty, _ = dulmaster.associate(port, called="ECHOSCP",
                                               calling="LEGIT")
                check(ty == dulpeer.A_ASSOCIATE_AC,
                      "legitimate SCU not accepted (type %d)" % ty)
            check(dulmaster.echo_on(p, len(waits) + 1) == 0, "C-ECHO")
            waits.append(time.monotonic() - t0)
            time.sleep(max(0, 1 - (time.monotonic() - t0)))
        dulmaster.release(p)
        stop.set()
        th.join(10)
        check(max(waits) < 2, "a C-ECHO waited %.2f s" % max(waits))
        # 4 workers for 127.0.0.2, 2 reject workers, the legitimate one.
        check(max_children[0] <= 4 + 2 + 1, "the master had %d children" %
              max_children[0])
        closed = m.lines(r"connection from 127\.0\.0\.2:\d+ closed")
        check(closed or counts["opened"] <= 6,
              "no connection closed at accept (%d opened)" %
              counts["opened"])
        for s in socks:
            s.close()
        socks[:] = []
        m.wait_children(0, timeout=10)
        env.note("b094: %d idle connections opened, %d C-ECHOs, longest "
                 "%.0f ms, at most %d workers" % (
                     counts["opened"], len(waits), max(waits) * 1000,
                     max_children[0]))
    finally:
        for s in socks:
            s.close()
        for d in t.daemons:
            d.stop()
        t.cleanup()


def alive(s):
    """Whether the acceptor has not closed this socket."""
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        pass


STALL_HANDLER = 3.0
STALL_IDLE = 2.0


class Skip(Exception):
    """The test cannot run here."""


def main():
    builddir = os.path.abspath(os.environ.get("top_builddir", ".."))
    dulserverd = os.path.join(builddir, "src", "dulserverd")
    if not os.access(dulserverd, os.X_OK):
        print("SKIP: %s not built" % dulserverd)
        return SKIP
    pats = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="dulres.")
    os.chmod(work, 0o755)
    env = Env(builddir, work)
    notes = []
    env.note = notes.append
    aes = [env.echo_ae(),
           env.res_ae("FLOOD", "flood:256:262144"),
           env.res_ae("STALL", "stall:%d" % ((512 if LONG else 128) << 20),
                      "timeouts = { handler = %g; idle = %g; };" % (
                          STALL_HANDLER, STALL_IDLE)),
           env.ae("NEG", env.echo_scp, [], abstract=STORAGE + ".*"),
           env.echo_ae("TRICKLE", "timeouts = { pdu = %g; idle = %g; };" %
                       (PDU_T, PDU_IDLE))]
    env.daemon("main", env.res_conf(aes))
    shim = os.path.join(builddir, "tests", "clockshift.so")
    env.clock_daemons = {}
    for by in (3600, -3600):
        e = dict(os.environ, LD_PRELOAD=shim, DUL_CLOCKSHIFT_AFTER="0.5",
                 DUL_CLOCKSHIFT_BY=str(by))
        e["ASAN_OPTIONS"] = ":".join(filter(None, [
            e.get("ASAN_OPTIONS"), "verify_asan_link_order=0"]))
        env.clock_daemons[by] = env.daemon("clock%d" % by, env.res_conf(
            [env.echo_ae()]), environ=e)
    env.as_daemons = {}
    if not env.asan:
        for mib in (24, 32, 48, 64):
            wrap = os.path.join(work, "as%d.sh" % mib)
            with open(wrap, "w") as f:
                f.write('#!/bin/sh\nulimit -v %d || exit 1\nexec "%s" "$@"\n'
                        % (mib << 10, dulserverd))
            os.chmod(wrap, 0o755)
            env.as_daemons[mib] = env.daemon("as%d" % mib, env.res_conf(
                [env.ae("ECHO", env.echo_scp, [])],
                network="max_pdu_receive = 4194304; max_rq_pdu = 16777216;"),
                dulserverd=wrap)
    tests = [test_b095_trickle_inside_pdu, test_b095_pdu_deadline,
             test_b096_peer_stops_reading,
             test_b097_half_open_peer, test_b104_handler_backpressure,
             test_b105_negotiation_worst_case,
             test_b122_peer_resets_mid_response, test_b123_wall_clock_step,
             test_b103_rlimit_as, test_b103_oom_score_adj,
             test_b094_idle_flood_and_a_legitimate_scu]
    failed = 0
    try:
        for fn in tests:
            if pats and not any(p in fn.__name__ for p in pats):
                continue
            t0 = time.monotonic()
            try:
                fn(env)
            except Skip as e:
                print("SKIP: %s: %s" % (fn.__name__, e))
                continue
            except (Failure, AssertionError, OSError, TimeoutError,
                    dulpeer.Closed, dulmaster.Failure,
                    subprocess.TimeoutExpired) as e:
                failed += 1
                print("FAIL: %s: %s: %s" % (fn.__name__, type(e).__name__,
                                            e))
                continue
            print("ok: %s (%.1f s)" % (fn.__name__, time.monotonic() - t0))
            sys.stdout.flush()
    finally:
        env.stop()
        for n in notes:
            print("# " + n)
        if failed or os.environ.get("DUL_TEST_KEEP"):
            print("# logs kept in " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
