#!/usr/bin/env python3
"""dulserverd under crowds, churn and signals, end to end.

Cases of the robustness battery (section 3, G and I), against a real
master with the shipped handlers:

 93  many simultaneous full associations (connect, RQ, C-ECHO, release),
     with max_associations below and above their number: exactly
     max_associations served at once, the rest A-ASSOCIATE-RJ (2,3,2)
     (on_limit "reject") or held in the backlog and served later
     ("defer"); no crash, no hang, every socket ends;
 98  churn: short associations and malformed connections from the
     battery, one after another: the master's RSS drifts by at most
     1 MiB, its descriptors and children return to where they were, no
     zombie;
116  SIGTERM to the master with 50 associations in the middle of a
     C-STORE: the listener closes at once, the transfers that finish
     within the grace are answered and released, the rest get
     A-ABORT (0,0) when it ends, every object acknowledged is on disk,
     the master exits 0 with its last line;
117  SIGTERM to one worker in the middle of a transfer: A-ABORT (0,0) to
     its peer, its handler told (A-P-ABORT indication) and the partial
     object discarded, the worker gone, the other associations unharmed;
118  SIGHUP 100 times under load, alternating valid and invalid files:
     each one re-read and checked, an invalid one logged with its reason
     and the running configuration kept, running associations keep their
     settings, no association dropped and no refused connection;
119  SIGKILL to the master with workers running: they finish normally, a
     new master binds the same port (and takes over the pidfile) and
     serves while they run, and every object acknowledged is on disk.

The crowd is 300 associations and the churn 5,000 of each kind by
default; DUL_TEST_LONG=1 runs the battery's sizes (1,000 and 100,000).
"""

import ctypes
import errno
import fcntl
import json
import os
import re
import resource
import select
import selectors
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import (Test, ae, associate, check, connect,  # noqa: E402
                       echo_on, free_port, proc_children, proc_fds,
                       release, wait_for)
from dulstore import (STATUS_SUCCESS, StoreAssoc, c_store_rq,  # noqa: E402
                      clean_log, dataset, files_under, part_files, sha,
                      store_ae, store_root, stored_data_set)

LONG = os.environ.get("DUL_TEST_LONG", "") not in ("", "0")
CROWD = 1000 if LONG else 300
CHURN = 100000 if LONG else 5000
RJ_LIMIT = bytes([2, 3, 2])


def raise_nofile(n):
    """Let this process hold n sockets at once."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def tcp_states(port):
    """States (hex, as /proc/net/tcp gives them) of every IPv4 TCP socket
    with port at one end, LISTEN and TIME_WAIT left out."""
    out = []
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            lport = int(fields[1].split(":")[1], 16)
            rport = int(fields[2].split(":")[1], 16)
            if port in (lport, rport) and fields[3] not in ("0A", "06"):
                out.append(fields[3])
    return out


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def summary_count(d, pattern):
    return len(d.lines(pattern))


# ---------------------------------------------------------------- case 93

class Crowd:
    """n associations driven at once from one thread, non-blocking:
    connect, A-ASSOCIATE-RQ, one C-ECHO, then hold the association open
    until every other one has its answer (or, given batch, until batch
    of them are open at once), then release."""

    def __init__(self, port, n, batch=None, while_held=None):
        self.port = port
        self.n = n
        self.batch = batch
        self.while_held = while_held
        self.sel = selectors.DefaultSelector()
        self.conns = []
        self.open_now = 0           # AC received, RP not yet
        self.max_open = 0
        self.outcomes = {}
        self.errors = []

    def start(self):
        for i in range(self.n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            rc = s.connect_ex(("127.0.0.1", self.port))
            if rc not in (0, errno.EINPROGRESS):
                raise AssertionError("connect %d: %s" % (i, os.strerror(rc)))
            c = {"i": i, "sock": s, "state": "connecting", "rbuf": b"",
                 "wbuf": b""}
            self.conns.append(c)
            self.sel.register(s, selectors.EVENT_WRITE, c)

    def send(self, c, data):
        c["wbuf"] += data
        self.sel.modify(c["sock"], selectors.EVENT_READ |
                        selectors.EVENT_WRITE, c)

    def finish(self, c, outcome):
        if c["state"] in ("echo", "held", "release"):
            self.open_now -= 1
        c["state"] = "done"
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        c["outcome"] = outcome
        self.sel.unregister(c["sock"])
        c["sock"].close()

    def fail(self, c, why):
        self.errors.append("%d: %s" % (c["i"], why))
        self.finish(c, "error")

    def on_pdu(self, c, ty, body):
        st = c["state"]
        if st == "rq" and ty == dulpeer.A_ASSOCIATE_AC:
            c["state"] = "echo"
            self.open_now += 1
            self.max_open = max(self.max_open, self.open_now)
            self.send(c, dulpeer.pdata(dulpeer.pdv(
                1, 0x03, dulpeer.c_echo_rq(c["i"] & 0x7fff))))
        elif st == "rq" and ty == dulpeer.A_ASSOCIATE_RJ:
            if bytes(body[1:4]) == RJ_LIMIT:
                self.finish(c, "rj-limit")
            else:
                self.fail(c, "RJ %r" % bytes(body[:4]))
        elif st == "echo" and ty == dulpeer.P_DATA_TF:
            cmd = dulpeer.parse_command(b"".join(
                d for _, _, d in dulpeer.parse_pdata(body)))
            if dulpeer.command_field(cmd, 0x0900) != 0:
                self.fail(c, "C-ECHO status %r" %
                          dulpeer.command_field(cmd, 0x0900))
            else:
                c["state"] = "held"
        elif st == "release" and ty == dulpeer.A_RELEASE_RP:
            self.finish(c, "released")
        else:
            self.fail(c, "PDU type %d in state %s" % (ty, st))

    def on_event(self, c, mask):
        s = c["sock"]
        if c["state"] == "connecting":
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.fail(c, "connect: %s" % os.strerror(err))
                return
            c["state"] = "rq"
            self.send(c, dulpeer.assoc_rq(called="ECHOSCP",
                                          calling="CROWD%d" % c["i"]))
            return
        if mask & selectors.EVENT_WRITE and c["wbuf"]:
            try:
                k = s.send(c["wbuf"])
            except OSError as e:
                self.fail(c, "send: %s" % e)
                return
            c["wbuf"] = c["wbuf"][k:]
            if not c["wbuf"]:
                self.sel.modify(s, selectors.EVENT_READ, c)
        if mask & selectors.EVENT_READ:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                return
            except OSError as e:
                self.fail(c, "recv: %s" % e)
                return
            if not data:
                if c["state"] == "rq":
                    self.finish(c, "closed")    # over every slot
                else:
                    self.fail(c, "closed in state %s" % c["state"])
                return
            c["rbuf"] += data
            while len(c["rbuf"]) >= 6 and c["state"] != "done":
                ty, _, length = struct.unpack(">BBI", c["rbuf"][:6])
                if len(c["rbuf"]) < 6 + length:
                    break
                body = c["rbuf"][6:6 + length]
                c["rbuf"] = c["rbuf"][6 + length:]
                self.on_pdu(c, ty, body)

    def run(self, timeout):
        """Drive every connection to its end; raise on a hang."""
        deadline = time.monotonic() + timeout
        self.start()
        while any(c["state"] != "done" for c in self.conns):
            if time.monotonic() > deadline:
                states = {}
                for c in self.conns:
                    states[c["state"]] = states.get(c["state"], 0) + 1
                raise AssertionError("crowd hung: %r" % states)
            held = sum(c["state"] == "held" for c in self.conns)
            if held and (held == self.batch or all(
                    c["state"] in ("held", "done") for c in self.conns)):
                # Every connection has its answer (or a batch is open):
                # all those accepted are open at this moment.  Release.
                if self.while_held is not None:
                    self.while_held()
                    self.while_held = None
                for c in self.conns:
                    if c["state"] == "held":
                        c["state"] = "release"
                        self.send(c, dulpeer.RELRQ)
            for key, mask in self.sel.select(0.5):
                if key.data["state"] != "done":
                    self.on_event(key.data, mask)
        self.sel.close()


def crowd_daemon(t, name, limit, on_limit="reject"):
    port = free_port()
    root = store_root(t, name)
    aes = [ae("ECHOSCP", t.echo_scp), store_ae("STORESCP", t.store_scp, root)]
    d = t.start(name, t.conf(port, aes=aes, server="""
  max_associations = %d;
  on_limit = "%s";
  reject_slots = 1024;
  backlog = 4096;""" % (limit, on_limit), timeouts="artim = 60; "
                          "handler = 120;"))
    d.root = root
    return d, port


def crowd_settled(t, d, port, before):
    """After a crowd: no worker left, no socket of the port open, the
    master's descriptors as they were, and it still serves."""
    d.wait_children(0, 120)
    check(wait_for(lambda: not tcp_states(port), 30),
          "sockets still open: %r" % tcp_states(port))
    check(proc_fds(d.pid) == before, "descriptors %r, before %r" %
          (proc_fds(d.pid), before))
    p, ty, _ = associate(port, calling="AFTER")
    check(ty == dulpeer.A_ASSOCIATE_AC, "after the crowd: type %d" % ty)
    check(echo_on(p) == 0, "C-ECHO after the crowd")
    release(p)
    clean_log(d)


F_GETPIPE_SZ = 1032


def pipe_sizes(pid):
    """The capacity of each pipe a process holds (opened again through
    /proc, which only root may do for another account's process)."""
    out = []
    for fd, target in sorted(proc_fds(pid).items()):
        if not target.startswith("pipe:"):
            continue
        try:
            f = os.open("/proc/%d/fd/%d" % (pid, fd),
                        os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            out.append(fcntl.fcntl(f, F_GETPIPE_SZ))
        except OSError:
            pass
        finally:
            os.close(f)
    return out


def test_b093_crowd_within_the_limit(t):
    """CROWD associations at once under a limit above that: every one is
    accepted, echoed and held open with all the others, then released."""
    raise_nofile(CROWD + 200)
    d, port = crowd_daemon(t, "crowd-in", CROWD + 50)
    before = proc_fds(d.pid)
    big = {}

    def store_while_held():
        # As root, the crowd's workers and handlers, all nobody, may have
        # used up that account's pipe allowance, so that no pipe grows
        # past one page: a C-STORE must work all the same.
        a = StoreAssoc(port, calling="BIG")
        check(a.type == dulpeer.A_ASSOCIATE_AC, "BIG: type %d" % a.type)
        wpid = child_titled(d, "BIG>")
        ds = dataset("2.25.93001", 1 << 20, seed=93)
        a.send_store("2.25.93001", ds)
        big["status"] = a.response(60)[0]
        big["pipes"] = pipe_sizes(wpid)
        a.release()
        big["sha"] = sha(ds)
    c = Crowd(port, CROWD, while_held=store_while_held)
    t0 = time.monotonic()
    c.run(600)
    print("note: %d associations at once: %r, %.1f s; the C-STORE beside "
          "them: pipe sizes %r" % (CROWD, c.outcomes, time.monotonic() - t0,
                                   big.get("pipes")))
    check(big.get("status") == STATUS_SUCCESS, "C-STORE beside the crowd: "
          "%r" % big)
    check(sha(stored_data_set(os.path.join(d.root, "2.25.93001.dcm"))) ==
          big["sha"], "the object stored beside the crowd differs")
    check(not c.errors, "%d errors, first %r" % (len(c.errors),
                                                 c.errors[:3]))
    check(c.outcomes == {"released": CROWD}, "outcomes %r" % c.outcomes)
    check(c.max_open == CROWD, "at most %d open at once" % c.max_open)
    crowd_settled(t, d, port, before)
    check(summary_count(d, r'calling="CROWD\d+" called="ECHOSCP" '
                        r'outcome=released') == CROWD, "summary lines")


def test_b093_crowd_over_the_limit(t):
    """CROWD associations at once, max_associations a third of that:
    exactly that many are served while the rest get RJ (2,3,2)."""
    raise_nofile(CROWD + 200)
    limit = CROWD // 3
    d, port = crowd_daemon(t, "crowd-over", limit)
    before = proc_fds(d.pid)
    c = Crowd(port, CROWD)
    t0 = time.monotonic()
    c.run(600)
    print("note: %d associations, limit %d: %r, %.1f s" %
          (CROWD, limit, c.outcomes, time.monotonic() - t0))
    check(not c.errors, "%d errors, first %r" % (len(c.errors),
                                                 c.errors[:3]))
    check(c.outcomes == {"released": limit, "rj-limit": CROWD - limit},
          "outcomes %r" % c.outcomes)
    check(c.max_open == limit, "%d open at once" % c.max_open)
    crowd_settled(t, d, port, before)
    check(summary_count(d, r"outcome=rejected\(2,3,2:") == CROWD - limit,
          "RJ summary lines")


def test_b093_crowd_deferred(t):
    """on_limit = "defer": the crowd waits in the backlog, unanswered;
    each batch of max_associations is held open at once and released,
    never one more, until every one is served."""
    raise_nofile(CROWD + 200)
    limit = max(CROWD // 10, 8)
    d, port = crowd_daemon(t, "crowd-defer", limit, "defer")
    before = proc_fds(d.pid)
    c = Crowd(port, CROWD, batch=limit)
    t0 = time.monotonic()
    c.run(600)
    print("note: %d associations deferred, limit %d: %r, at most %d open,"
          " %.1f s" % (CROWD, limit, c.outcomes, c.max_open,
                       time.monotonic() - t0))
    check(not c.errors, "%d errors, first %r" % (len(c.errors),
                                                 c.errors[:3]))
    check(c.outcomes == {"released": CROWD}, "outcomes %r" % c.outcomes)
    check(c.max_open == limit, "%d open at once, limit %d" %
          (c.max_open, limit))
    crowd_settled(t, d, port, before)


# ---------------------------------------------------------------- case 98

def malformed(port, kind):
    """One malformed connection from the battery; wait for its end."""
    p = connect(port)
    s = p.sock
    if kind == 0:                                   # case 1
        p.close()
        return
    if kind == 1:                                   # case 3: RST
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        p.close()
        return
    data = [
        None, None,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",               # case 4
        bytes.fromhex("160301020001") + bytes(64),           # case 5
        dulpeer.assoc_rq(called="ECHOSCP")[:60],             # case 16
        bytes.fromhex("0100ffffffff"),                       # case 13
        dulpeer.pdata(dulpeer.pdv(1, 3, b"\0" * 8)),         # case 55
        bytes.fromhex("010000000000"),                       # case 14
    ][kind]
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            if not s.recv(4096):
                break
        else:
            raise AssertionError("malformed kind %d not closed" % kind)
    except ConnectionResetError:
        pass
    finally:
        p.close()


MALFORMED_KINDS = 8


def test_b098_churn(t):
    """CHURN short associations and CHURN malformed connections, one
    after another: RSS within 1 MiB, descriptors and children back to
    where they were, no zombie, every connection counted."""
    port = free_port()
    d = t.start("churn", t.conf(port, aes=[ae("ECHOSCP", t.echo_scp)],
                                timeouts="artim = 10;"))
    warm = max(CHURN // 20, 100)
    fds0 = rss0 = None
    zombies_seen = set()
    t0 = time.monotonic()
    for i in range(CHURN + warm):
        if i == warm:
            d.wait_children(0, 60)
            fds0 = proc_fds(d.pid)
            rss0 = vm_rss_kib(d.pid)
        p, ty, _ = associate(port, calling="CHURN")
        check(ty == dulpeer.A_ASSOCIATE_AC, "association %d: type %d" %
              (i, ty))
        if i % 2:
            check(echo_on(p) == 0, "C-ECHO %d" % i)
        release(p)
        malformed(port, i % MALFORMED_KINDS)
        if i % 1000 == 999:
            # A zombie seen twice, a second apart, is one nobody reaps.
            z = {pid for pid, st in d.children() if st == "Z"}
            check(not (z & zombies_seen), "zombies %r" % (z & zombies_seen))
            zombies_seen = z
            time.sleep(1.0)
    took = time.monotonic() - t0
    d.wait_children(0, 60)
    rss1 = vm_rss_kib(d.pid)
    fds1 = proc_fds(d.pid)
    print("note: %d associations and %d malformed connections in %.0f s;"
          " master RSS %d KiB, then %d KiB" % (CHURN + warm, CHURN + warm,
                                               took, rss0, rss1))
    check(rss1 - rss0 <= 1024, "master RSS grew by %d KiB" % (rss1 - rss0))
    check(fds1 == fds0, "descriptors %r, at the start %r" % (fds1, fds0))
    check(not [k for k in d.children()], "children %r" % d.children())
    # the last connections may still be closing (FIN_WAIT2, LAST_ACK)
    check(wait_for(lambda: not tcp_states(port), 30),
          "sockets %r" % tcp_states(port))
    d.kill(signal.SIGUSR1)
    line = d.wait_log(r"status: associations 0/\d+, reject workers 0/")[-1]
    check("accepted %d," % (2 * (CHURN + warm)) in line, line)
    clean_log(d)
    check(summary_count(d, r'calling="CHURN" called="ECHOSCP" '
                        r'outcome=released') == CHURN + warm,
          "released summary lines")


# --------------------------------------------------------------- case 116

def store_begin(port, calling, uid, ds, part):
    """Associate, send the C-STORE-RQ and the first `part` of the data
    set; return the association and the fragments still to send."""
    a = StoreAssoc(port, calling=calling, timeout=60)
    check(a.type == dulpeer.A_ASSOCIATE_AC, "%s: type %d" % (calling, a.type))
    a.msg_id += 1
    a.peer.send(dulpeer.pdata(dulpeer.pdv(
        3, 0x03, c_store_rq(uid, a.msg_id))))
    frags = [ds[o:o + a.frag] for o in range(0, len(ds), a.frag)]
    cut = int(len(frags) * part)
    for f in frags[:cut]:
        a.peer.send(dulpeer.pdata(dulpeer.pdv(3, 0x00, f)))
    return a, frags[cut:]


def send_frags(a, frags):
    for k, f in enumerate(frags):
        a.peer.send(dulpeer.pdata(dulpeer.pdv(
            3, 0x02 if k == len(frags) - 1 else 0x00, f)))


def test_b116_sigterm_with_50_stores(t):
    """SIGTERM while 50 C-STOREs are half sent: the listener is closed at
    once; the 40 peers that go on finish within the grace (0000, then
    A-RELEASE-RP); the 10 that trickle get A-ABORT (0,0) when the grace
    ends; the 40 objects are on disk, whole, the 10 nowhere; exit 0."""
    grace = 12
    port = free_port()
    root = store_root(t, "store116")
    d = t.start("drain", t.conf(port, aes=[store_ae("STORESCP", t.store_scp,
                                                     root)],
                                server="shutdown_grace = %d;" % grace,
                                timeouts="artim = 30; idle = 60;"))
    n, slow_n = 50, 10
    ready = threading.Barrier(n + 1, timeout=120)
    go = threading.Event()
    results = {}
    lock = threading.Lock()
    t_term = [None]

    def peer(i):
        uid = "2.25.116%03d" % i
        slow = i < slow_n
        ds = dataset(uid, 96 * 1024, seed=i)
        try:
            a, rest = store_begin(port, "DRAIN%02d" % i, uid, ds, 0.5)
        except Exception as e:              # noqa: B902
            with lock:
                results[i] = ("error", "begin: %r" % e)
            ready.abort()
            return
        try:
            ready.wait()
            check(go.wait(120), "never told to go on")
            if not slow:
                send_frags(a, rest)
                status, _ = a.response(60)
                a.release()
                r = ("stored", status, sha(ds), uid,
                     time.monotonic() - t_term[0])
            else:
                # Trickle 512 bytes a second, never the last fragment,
                # until the answer comes (bounded well past the grace).
                got = None
                end = time.monotonic() + grace + 60
                while got is None and time.monotonic() < end:
                    try:
                        a.peer.send(dulpeer.pdata(dulpeer.pdv(
                            3, 0x00, rest[0][:512])))
                    except OSError:
                        pass
                    # Wait for readability, not with a short read: a
                    # read that times out half way loses what it read.
                    r, _, _ = select.select([a.peer.sock], [], [], 1.0)
                    if r:
                        got = a.peer.recv_pdu(20)
                check(got is not None, "no answer while trickling")
                a.peer.close()
                r = ("aborted", got[0], bytes(got[1][2:4]), uid,
                     time.monotonic() - t_term[0])
        except Exception as e:              # noqa: B902
            r = ("error", repr(e))
        with lock:
            results[i] = r

    threads = [threading.Thread(target=peer, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    try:
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            pass
        check(not results, "before SIGTERM: %r" %
              list(results.values())[:3])
        # Every handler holds its partial object under a temporary name.
        check(wait_for(lambda: len(part_files(root)) == n, 30),
              "%d partial objects, wanted %d" % (len(part_files(root)), n))
        t_term[0] = time.monotonic()
        d.kill(signal.SIGTERM)
        d.wait_log(r"shutting down: not accepting; waiting up to %d s for "
                   r"%d associations$" % (grace, n))
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            raise AssertionError("a connection was accepted while draining")
        except ConnectionRefusedError:
            pass
        finally:
            s.close()
    finally:
        if t_term[0] is None:
            t_term[0] = time.monotonic()
        go.set()
        for th in threads:
            th.join(timeout=180)
    check(not any(th.is_alive() for th in threads), "peers hung")
    errors = [r for r in results.values() if r[0] == "error"]
    check(not errors, "%d peers failed, first %r" % (len(errors),
                                                     errors[:3]))
    code = d.wait_exit(grace + 60)
    took = time.monotonic() - t_term[0]
    check(code == 0, "exit status %r" % code)
    d.wait_log(r"grace period over: aborting %d associations" % slow_n)
    last = [x for x in d.text().splitlines() if x.startswith("master")][-1]
    check(last.endswith("all associations ended; exiting"),
          "last line of the master: %r" % last)
    stored = {}
    for f in files_under(root):
        check(f.endswith(".dcm"), "left below the root: %r" % f)
        stored[f[:-4]] = sha(stored_data_set(os.path.join(root, f)))
    for i, r in sorted(results.items()):
        if r[0] == "stored":
            check(r[1] == STATUS_SUCCESS, "peer %d: status %04x" % (i, r[1]))
            check(r[4] < grace, "peer %d released %.1f s after SIGTERM" %
                  (i, r[4]))
            check(stored.get(r[3]) == r[2], "acknowledged %s lost" % r[3])
        else:
            check(r[1] == dulpeer.A_ABORT and r[2] == bytes([0, 0]),
                  "peer %d: PDU type %d %r" % (i, r[1], r[2]))
            check(r[4] >= grace - 1, "peer %d aborted %.1f s after SIGTERM"
                  % (i, r[4]))
            check(r[3] not in stored, "aborted %s stored" % r[3])
    check(len(stored) == n - slow_n, "%d objects stored" % len(stored))
    check(summary_count(d, r'called="STORESCP" outcome=released') ==
          n - slow_n, "released summaries")
    check(summary_count(d, r'called="STORESCP" outcome=aborted\(0,0') ==
          slow_n, "aborted summaries")
    print("note: drained in %.1f s" % took)
    for needle in ("Sanitizer", "runtime error:", "killed by signal"):
        check(needle not in d.text(), "%r in the log" % needle)


# --------------------------------------------------------------- case 117

def child_titled(d, needle, timeout=10):
    """The master's child whose process title contains needle."""
    def find():
        for pid, _ in d.children():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if needle.encode() in f.read():
                        return pid
            except OSError:
                pass
        return None
    pid = wait_for(find, timeout)
    check(pid, "no worker titled %r" % needle)
    return pid


def reachable_by_all(path):
    """Whether every directory above path can be searched, and path
    run, by any account (the workers' one included)."""
    path = os.path.realpath(path)
    try:
        if not os.stat(path).st_mode & 0o001:
            return False
        d = os.path.dirname(path)
        while True:
            if not os.stat(d).st_mode & 0o001:
                return False
            if d == "/":
                return True
            d = os.path.dirname(d)
    except OSError:
        return False


def tracing_handler(t, tdir):
    """A handler command that records the primitives it hears in tdir
    (the conformance suite's handler.py, copied where the workers'
    account reaches it), or None without a Python it may run."""
    cands = [os.environ.get("PYTHON3", ""), sys.executable]
    for d in os.environ.get("PATH", "").split(":") + os.defpath.split(":"):
        if d:
            cands.append(os.path.join(d, "python3"))
    py = next((c for c in cands if c and reachable_by_all(c)), None)
    if py is None:
        return None
    os.makedirs(t.path("tracer", "conformance"), exist_ok=True)
    os.makedirs(t.path("tracer", "pylib"), exist_ok=True)
    for sub in (("conformance", "handler.py"), ("pylib", "dulpeer.py")):
        with open(os.path.join(t.srcdir, "tests", *sub), "rb") as f:
            data = f.read()
        with open(t.path("tracer", *sub), "wb") as f:
            f.write(data)
    for dp, dn, fn in os.walk(t.path("tracer")):
        os.chmod(dp, 0o755)
        for f in fn:
            os.chmod(os.path.join(dp, f), 0o644)
    return t.write("tracer.sh", '#!/bin/sh\nexec "%s" "%s" "$@"\n' % (
        os.path.realpath(py), t.path("tracer", "conformance", "handler.py")))


def trace_records(tdir):
    out = []
    for f in sorted(os.listdir(tdir)):
        with open(os.path.join(tdir, f)) as fh:
            out.extend(json.loads(x) for x in fh if x.strip())
    return out


def test_b117_sigterm_to_one_worker(t):
    """SIGTERM to a worker in the middle of a C-STORE: its peer gets
    A-ABORT (0,0), its handler is told and drops the partial object, the
    worker exits; a second worker whose handler records what it hears
    shows the A-P-ABORT indication; the associations beside them go on."""
    port = free_port()
    root = store_root(t, "store117")
    tdir = store_root(t, "trace117")
    tracer = tracing_handler(t, tdir)
    aes = [store_ae("STORESCP", t.store_scp, root), ae("ECHOSCP",
                                                       t.echo_scp)]
    if tracer is not None:
        os.chmod(tracer, 0o755)
        aes.append(ae("TRACED", tracer, ["--trace", tdir, "--on-pdata",
                                         "nothing"]))
    else:
        print("note: no python3 the workers' account may run: the "
              "traced handler is left out")
    d = t.start("one", t.conf(port, aes=aes))
    ds_v = dataset("2.25.117001", 256 * 1024, seed=1)
    ds_o = dataset("2.25.117002", 256 * 1024, seed=2)
    victim, v_rest = store_begin(port, "VICTIM", "2.25.117001", ds_v, 0.5)
    other, o_rest = store_begin(port, "OTHER", "2.25.117002", ds_o, 0.5)
    echo_p, ty, _ = associate(port, calling="BYSTANDER")
    check(ty == dulpeer.A_ASSOCIATE_AC, "echo association: type %d" % ty)
    victims = [("VICTIM", victim.peer)]
    if tracer is not None:
        traced, ty, _ = associate(port, called="TRACED",
                                  calling="TRACEDPEER")
        check(ty == dulpeer.A_ASSOCIATE_AC, "traced association: type %d"
              % ty)
        traced.send(dulpeer.pdata(dulpeer.pdv(1, 0x01, b"\0" * 64)))
        victims.append(("TRACEDPEER", traced))
    check(wait_for(lambda: len(part_files(root)) == 2, 20),
          "partial objects %r" % part_files(root))

    for calling, peer in victims:
        wpid = child_titled(d, calling + ">")
        handlers = proc_children(wpid)
        check(len(handlers) == 1, "handlers of %d: %r" % (wpid, handlers))
        os.kill(wpid, signal.SIGTERM)
        ty, body = peer.recv_pdu(20)
        check(ty == dulpeer.A_ABORT and bytes(body[2:4]) == bytes([0, 0]),
              "%s: wanted A-ABORT (0,0), got %d %r" % (calling, ty, body))
        # Sta13: the worker waits for this side to close (PS3.8 AA-1).
        peer.close()
        check(wait_for(lambda: not os.path.exists("/proc/%d" % wpid) or
                       wpid not in [k for k, _ in d.children()], 20),
              "worker %d still there" % wpid)
        check(not os.path.exists("/proc/%d/status" % handlers[0][0]) or
              wait_for(lambda: not os.path.exists(
                  "/proc/%d/status" % handlers[0][0]), 20),
              "handler %d still there" % handlers[0][0])
        d.wait_log(r'calling="%s" called="\w+" outcome=aborted\(0,0:'
                   r'.*handler=0 detail="server shutting down"' % calling)
    # The store handler was told: its partial object is gone, the other
    # one still there; no file under a final name.
    check(wait_for(lambda: len(part_files(root)) == 1, 20),
          "partial objects %r" % part_files(root))
    check([f for f in files_under(root) if f.endswith(".dcm")] == [],
          "stored %r" % files_under(root))
    if tracer is not None:
        heard = trace_records(tdir)
        aborts = [r for r in heard if r.get("msg") == "P_ABORT_IND"]
        check(len(aborts) == 1, "traced handler heard %r" %
              [r.get("msg") for r in heard])
        print("note: the traced handler's indication: %r" % aborts[0])

    # Nobody else noticed.
    send_frags(other, o_rest)
    status, _ = other.response(30)
    check(status == STATUS_SUCCESS, "other store: %04x" % status)
    check(other.echo() == 0, "C-ECHO on the other store association")
    other.release()
    check(echo_on(echo_p) == 0, "C-ECHO on the bystander")
    release(echo_p)
    got = stored_data_set(os.path.join(root, "2.25.117002.dcm"))
    check(sha(got) == sha(ds_o), "the other object is not what was sent")
    check(part_files(root) == [], "partial objects %r" % part_files(root))
    d.wait_children(0)
    check(d.proc.poll() is None, "the master exited")
    for needle in ("killed by signal", "exited with status", "Sanitizer"):
        check(needle not in d.text(), "%r in the log" % needle)


# --------------------------------------------------------------- case 118

def reload_variants(t, port):
    """Two valid files (16 and 32 KiB PDUs, one with an extra AE) and
    invalid ones with the reason each must log."""
    def conf(pdu, extra=()):
        aes = [ae("ECHOSCP", t.echo_scp)] + list(extra)
        return t.conf(port, aes=aes) + \
            "network : { max_pdu_receive = %d; };\n" % pdu
    valid = [(conf(16384, [ae("ONLYA", t.echo_scp)]), 16384),
             (conf(32768), 32768)]
    base = valid[1][0]
    invalid = [
        (base.replace("ae = (", "ae = ((", 1), r"syntax error"),
        (conf(32768, [ae("GONE", t.path("no-such-handler"))]),
         r'ae\[1\]\.handler: ".*no-such-handler": No such file'),
        (base.replace("max_pdu_receive = 32768", "max_pdu_receive = 1"),
         r"network\.max_pdu_receive: "),
        (base.replace("logging : {", 'logging : { level = "loud";'),
         r"logging\.level"),
    ]
    return valid, invalid


def ac_max_len(port):
    """The maximum PDU length a new association is offered."""
    p, ty, body = associate(port, calling="PROBE")
    check(ty == dulpeer.A_ASSOCIATE_AC, "probe: type %d" % ty)
    n = dulpeer.parse_ac(body)["max_len"]
    release(p)
    return n


def test_b118_sighup_100_times_under_load(t):
    """100 SIGHUPs, valid and invalid files in turn, while peers keep
    associating: every reload is checked and logged, the invalid ones
    with their reason and no effect, no association fails and no
    connection is refused, and an association opened before keeps its
    16 KiB limit after the running file says 32 KiB."""
    port = free_port()
    valid, invalid = reload_variants(t, port)
    d = t.start("hup", valid[0][0])
    check(ac_max_len(port) == 16384, "before the reloads")
    held, ty, body = associate(port, called="ONLYA", calling="HELD")
    check(ty == dulpeer.A_ASSOCIATE_AC, "held: type %d" % ty)
    check(dulpeer.parse_ac(body)["max_len"] == 16384, "held max_len")

    stop = threading.Event()
    stats = {"ok": 0, "failed": []}
    lock = threading.Lock()

    def load(k):
        i = 0
        while not stop.is_set() and i < 100000:
            i += 1
            try:
                p, ty, _ = associate(port, calling="LOAD%d" % k)
                check(ty == dulpeer.A_ASSOCIATE_AC, "type %d" % ty)
                check(echo_on(p, i & 0x7fff) == 0, "C-ECHO")
                release(p)
                with lock:
                    stats["ok"] += 1
            except Exception as e:          # noqa: B902
                with lock:
                    stats["failed"].append(repr(e))
    loaders = [threading.Thread(target=load, args=(k,)) for k in range(3)]
    for th in loaders:
        th.start()
    current = 16384
    try:
        for i in range(100):
            if i % 2 == 0:
                text, pdu = valid[(i // 2) % 2]
            else:
                text, why = invalid[(i // 2) % len(invalid)]
            t.write("hup.conf", text)
            done = (summary_count(d, r"configuration reloaded from") +
                    summary_count(d, r"reload failed"))
            d.kill(signal.SIGHUP)
            check(wait_for(lambda: summary_count(
                d, r"configuration reloaded from") + summary_count(
                d, r"reload failed") > done, 30), "reload %d not logged" % i)
            if i % 2 == 0:
                current = pdu
                d.wait_log(r"configuration reloaded from .*hup\.conf",
                           count=i // 2 + 1)
            else:
                lines = d.wait_log(r"reload failed, the running "
                                   r"configuration stays: .*hup\.conf:"
                                   r"\d+: ", count=i // 2 + 1)
                check(re.search(why, lines[-1]),
                      "reason %r not in %r" % (why, lines[-1]))
            if i % 10 in (0, 1):
                check(ac_max_len(port) == current,
                      "after reload %d: not %d" % (i, current))
            if i % 25 == 0:
                check(echo_on(held, i + 2) == 0, "C-ECHO on the held one")
    finally:
        stop.set()
        for th in loaders:
            th.join(timeout=60)
    check(not any(th.is_alive() for th in loaders), "load hung")
    print("note: %d associations during the reloads" % stats["ok"])
    check(not stats["failed"], "%d associations failed, first %r" %
          (len(stats["failed"]), stats["failed"][:3]))
    check(stats["ok"] >= 100, "only %d associations ran" % stats["ok"])
    check(summary_count(d, r"configuration reloaded from") == 50 and
          summary_count(d, r"reload failed") == 50, "reload lines")
    check(current == 32768 and ac_max_len(port) == 32768, "last file")
    # ONLYA is gone from the running file, yet the held association
    # goes on under the one it was forked with, 16 KiB limit included.
    check(not routed_ok(port, "ONLYA"), "ONLYA still routed")
    check(echo_on(held, 999) == 0, "C-ECHO on the held association")
    # A P-DATA-TF of 16385 bytes: 6 of PDV header, 16379 of data.
    held.send(dulpeer.pdata(dulpeer.pdv(1, 0x01, b"\0" * 16379)))
    ty, body = held.recv_pdu(20)
    check(ty == dulpeer.A_ABORT and bytes(body[2:4]) == bytes([2, 6]),
          "16385-byte P-DATA on the held association: %d %r" % (ty, body))
    held.close()
    clean_log(d)


def routed_ok(port, title):
    p, ty, body = associate(port, called=title, calling="ROUTE")
    if ty == dulpeer.A_ASSOCIATE_AC:
        release(p)
        return True
    p.close()
    return False


# --------------------------------------------------------------- case 119

PR_SET_CHILD_SUBREAPER = 36


def subreaper(on):
    """Become (or stop being) the reaper of orphaned descendants, so
    that the workers of a killed master are ours to wait for."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) == 0


def test_b119_sigkill_to_the_master(t):
    """SIGKILL to the master with two C-STOREs half sent and an echo
    association open: a new master binds the same port and takes over
    the pidfile while the old workers run, serves, and the old workers
    then finish their associations and exit 0; every object acknowledged
    is on disk, whole."""
    if not subreaper(True):
        t.skip("prctl(PR_SET_CHILD_SUBREAPER) failed")
    try:
        sigkill_master(t)
    finally:
        subreaper(False)


def sigkill_master(t):
    port = free_port()
    root = store_root(t, "store119")
    pidfile = t.path("d.pid")
    text = t.conf(port, aes=[store_ae("STORESCP", t.store_scp, root),
                             ae("ECHOSCP", t.echo_scp)],
                  server='pidfile = "%s";' % pidfile)
    old = t.start("old", text)
    objs = {}
    stores = []
    for i in range(2):
        uid = "2.25.119%03d" % i
        ds = dataset(uid, 200 * 1024, seed=i)
        a, rest = store_begin(port, "OLD%d" % i, uid, ds, 0.5)
        stores.append((a, rest, uid))
        objs[uid] = sha(ds)
    echo_p, ty, _ = associate(port, calling="OLDECHO")
    check(ty == dulpeer.A_ASSOCIATE_AC, "echo: type %d" % ty)
    workers = [pid for pid, _ in old.children()]
    check(len(workers) == 3, "workers %r" % workers)
    old.kill(signal.SIGKILL)
    old.proc.wait(timeout=10)
    check(all(os.path.exists("/proc/%d" % w) for w in workers),
          "a worker died with its master")

    new = t.start("new", text)
    with open(pidfile) as f:
        check(f.read().strip() == str(new.pid), "pidfile not taken over")
    p, ty, _ = associate(port, calling="NEWECHO")
    check(ty == dulpeer.A_ASSOCIATE_AC, "new master: type %d" % ty)
    check(echo_on(p) == 0, "C-ECHO on the new master")
    a = StoreAssoc(port, calling="NEWSTORE")
    check(a.type == dulpeer.A_ASSOCIATE_AC, "new store: type %d" % a.type)
    ds = dataset("2.25.119100", 64 * 1024, seed=100)
    check(a.store("2.25.119100", ds)[0] == STATUS_SUCCESS, "new store")
    objs["2.25.119100"] = sha(ds)
    check(all(os.path.exists("/proc/%d" % w) for w in workers),
          "an old worker ended before its peer did")

    # The old associations finish as if nothing happened.
    for a_old, rest, uid in stores:
        send_frags(a_old, rest)
        status, _ = a_old.response(30)
        check(status == STATUS_SUCCESS, "%s: status %04x" % (uid, status))
        a_old.release()
    check(echo_on(echo_p) == 0, "C-ECHO on the old echo association")
    release(echo_p)
    release(p)
    a.release()
    for w in workers:
        end = time.monotonic() + 30
        while True:
            pid, st = os.waitpid(w, os.WNOHANG)
            if pid == w:
                break
            check(time.monotonic() < end, "old worker %d did not exit" % w)
            time.sleep(0.05)
        check(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0,
              "old worker %d: wait status %#x" % (w, st))
    for c in ("OLD0", "OLD1", "OLDECHO"):
        old.wait_log(r'calling="%s" called="\w+" outcome=released' % c)
    stored = {f[:-4]: sha(stored_data_set(os.path.join(root, f)))
              for f in files_under(root)}
    check(stored == objs, "stored %r, acknowledged %r" %
          (sorted(stored), sorted(objs)))
    print("note: old workers %r exited 0 after the new master %d served;"
          " %d objects on disk" % (workers, new.pid, len(stored)))
    new.wait_children(0)
    clean_log(new)


def main():
    t = Test("lifecycle")
    t.main([test_b093_crowd_within_the_limit,
            test_b093_crowd_over_the_limit,
            test_b093_crowd_deferred,
            test_b098_churn,
            test_b116_sigterm_with_50_stores,
            test_b117_sigterm_to_one_worker,
            test_b118_sighup_100_times_under_load,
            test_b119_sigkill_to_the_master])


if __name__ == "__main__":
    main()
