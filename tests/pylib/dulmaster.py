"""Helpers for the daemon's end-to-end tests, standard library only.

They start the built dulserverd as a master (foreground, logs on stderr
into a file), talk to it with DCMTK's tools or with the scripted peer of
dulpeer.py, and look at it through its log and /proc.  Every process a
test starts is recorded and ended by its process id; every wait has a
deadline.
"""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import dulpeer

SKIP = 77
ROOT = os.geteuid() == 0
SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"          # Secondary Capture
EXPLICIT_LE = "1.2.840.10008.1.2.1"
UID_ROOT = "2.25.37702220845173676206920092856050917640.99"


class Failure(Exception):
    """A check failed."""


def check(cond, what):
    """Raise Failure with a message unless cond holds."""
    if not cond:
        raise Failure(what)


def wait_for(pred, timeout, step=0.05):
    """Poll pred() until it returns something true or timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


free_port = dulpeer.free_port


def proc_children(pid):
    """Process ids whose parent is pid, with their state letter."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append((int(d), fields[0]))
    return out


def proc_fds(pid):
    """What each open descriptor of a process points at."""
    out = {}
    base = "/proc/%d/fd" % pid
    for fd in os.listdir(base):
        try:
            out[int(fd)] = os.readlink(os.path.join(base, fd))
        except OSError:
            pass
    return out


def proc_ids(pid):
    """The Uid, Gid and Groups lines of /proc/pid/status."""
    ids = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                ids[key] = [int(x) for x in value.split()]
    return ids


def _elem(group, elem, vr, value):
    """One explicit VR little endian element, padded to even length."""
    if len(value) % 2:
        value += b"\0" if vr in ("UI", "OB") else b" "
    if vr in ("OB", "OW", "UN", "SQ", "UT"):
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0,
                           len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr.encode(),
                       len(value)) + value


def _us(v):
    return struct.pack("<H", v)


def dataset(instance, pixels, seed=0):
    """A Secondary Capture data set (explicit VR little endian) whose
    pixel data is `pixels` bytes of a pattern that depends on seed."""
    side = 1
    while side * side < pixels:
        side *= 2
    pattern = bytes((i * 7 + seed) & 0xff for i in range(256))
    data = (pattern * (side * side // 256 + 1))[:side * side]
    ds = b"".join([
        _elem(0x0008, 0x0016, "UI", SC_CLASS.encode()),
        _elem(0x0008, 0x0018, "UI", instance.encode()),
        _elem(0x0008, 0x0064, "CS", b"WSD"),
        _elem(0x0010, 0x0010, "PN", b"Test^Daemon"),
        _elem(0x0010, 0x0020, "LO", b"D%d" % seed),
        _elem(0x0020, 0x000D, "UI", (UID_ROOT + ".1").encode()),
        _elem(0x0020, 0x000E, "UI", (UID_ROOT + ".2").encode()),
        _elem(0x0028, 0x0002, "US", _us(1)),
        _elem(0x0028, 0x0004, "CS", b"MONOCHROME2"),
        _elem(0x0028, 0x0010, "US", _us(side)),
        _elem(0x0028, 0x0011, "US", _us(side)),
        _elem(0x0028, 0x0100, "US", _us(8)),
        _elem(0x0028, 0x0101, "US", _us(8)),
        _elem(0x0028, 0x0102, "US", _us(7)),
        _elem(0x0028, 0x0103, "US", _us(0)),
        _elem(0x7FE0, 0x0010, "OB", data),
    ])
    return ds


def write_part10(path, instance, pixels, seed=0):
    """Write a Part-10 file and return its data set bytes."""
    ds = dataset(instance, pixels, seed)
    meta = b"".join([
        _elem(0x0002, 0x0001, "OB", b"\0\1"),
        _elem(0x0002, 0x0002, "UI", SC_CLASS.encode()),
        _elem(0x0002, 0x0003, "UI", instance.encode()),
        _elem(0x0002, 0x0010, "UI", EXPLICIT_LE.encode()),
        _elem(0x0002, 0x0012, "UI", (UID_ROOT + ".3").encode()),
    ])
    meta = _elem(0x0002, 0x0000, "UL", struct.pack("<I", len(meta))) + meta
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + meta + ds)
    return ds


def c_store_rq(instance, msg_id=1):
    """A C-STORE-RQ command set with a data set to follow."""
    return dulpeer.command_set([
        (0x0002, SC_CLASS.encode()),
        (0x0100, struct.pack("<H", 0x0001)),
        (0x0110, struct.pack("<H", msg_id)),
        (0x0700, struct.pack("<H", 0)),
        (0x0800, struct.pack("<H", 0x0000)),
        (0x1000, instance.encode()),
    ])


def connect(port, source="127.0.0.1", timeout=10.0):
    """A dulpeer.Peer connected from a chosen loopback address."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    p = dulpeer.Peer.__new__(dulpeer.Peer)
    p.sock = s
    p.timeout = timeout
    return p


def associate(port, called="ECHOSCP", calling="TESTSCU", source="127.0.0.1",
              contexts=None):
    """Open an association; return (peer, PDU type, body)."""
    p = connect(port, source)
    p.send(dulpeer.assoc_rq(called=called, calling=calling,
                            contexts=contexts))
    t, body = p.recv_pdu()
    return p, t, body


def echo_on(p, msg_id=1):
    """Send a C-ECHO-RQ on context 1 and return the response status."""
    p.send(dulpeer.pdata(dulpeer.pdv(1, 0x03, dulpeer.c_echo_rq(msg_id))))
    t, body = p.recv_pdu()
    check(t == dulpeer.P_DATA_TF, "C-ECHO answered with PDU type %d" % t)
    cmd = dulpeer.parse_command(b"".join(d for _, _, d in
                                         dulpeer.parse_pdata(body)))
    return dulpeer.command_field(cmd, 0x0900)


def release(p):
    """A-RELEASE-RQ; check the RP, then close."""
    p.send(dulpeer.RELRQ)
    t, _ = p.recv_pdu()
    check(t == dulpeer.A_RELEASE_RP, "release answered with type %d" % t)
    p.close()


class Test:
    """A scratch directory, the processes started, and the verdicts."""

    def __init__(self, name):
        here = os.path.dirname(os.path.abspath(__file__))
        self.srcdir = os.path.abspath(os.environ.get(
            "top_srcdir", os.path.join(here, "..", "..")))
        self.builddir = os.path.abspath(os.environ.get("top_builddir", ".."))
        self.daemon = os.path.join(self.builddir, "src", "dulserverd")
        self.echo_scp = os.path.join(self.builddir, "handlers",
                                     "dul-echo-scp")
        self.store_scp = os.path.join(self.builddir, "handlers",
                                      "dul-store-scp")
        self.work = tempfile.mkdtemp(prefix="dulmaster-%s." % name)
        os.chmod(self.work, 0o755)
        self.daemons = []
        self.procs = []
        self.passed = 0
        self.failed = 0
        for p in (self.daemon, self.echo_scp, self.store_scp):
            if not os.access(p, os.X_OK):
                self.skip("%s not built" % p)

    def skip(self, why):
        print("SKIP: %s" % why)
        self.cleanup()
        sys.exit(SKIP)

    def need(self, *tools):
        for t in tools:
            if shutil.which(t) is None:
                self.skip("%s not found" % t)

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def store_dir(self, name):
        """A storage root the workers' account can write."""
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        if ROOT:
            os.chown(d, 65534, 65534)
        return d

    def conf(self, port=None, server="", logging="", timeouts="",
             aes=None, store=None, listen=None):
        """A configuration as text: loopback listener, echo and store
        AEs, logging to stderr, workers as nobody when run as root."""
        if listen is None:
            listen = '{ address = "127.0.0.1"; port = %d; }' % port
        if store is None:
            store = self.store_dir("store")
        if aes is None:
            aes = [ae("ECHOSCP", self.echo_scp),
                   ae("STORESCP", self.store_scp, ["--root", store],
                      storage=True)]
        user = 'user = "nobody";' if ROOT else ""
        return """config_version = 1;
server : {
  listen = ( %s );
  %s
  %s
};
logging : { target = "stderr"; %s };
timeouts : { %s };
syntax_sets : {
  uncompressed = [ "1.2.840.10008.1.2.1", "1.2.840.10008.1.2" ];
  any = [ "*" ];
};
abstract_sets : {
  verification = [ "1.2.840.10008.1.1" ];
  storage = [ "1.2.840.10008.5.1.4.1.1.*" ];
};
ae = (
  %s
);
""" % (listen, user, server, logging, timeouts, ",\n  ".join(aes))

    def write(self, name, text):
        p = self.path(name)
        with open(p + ".tmp", "w") as f:
            f.write(text)
        os.rename(p + ".tmp", p)
        return p

    def start(self, name, conf_text, args=("-e",), env=None, ready=True,
              pass_fds=(), prefix=()):
        """Start the daemon in the foreground; wait until it listens."""
        d = Daemon(self, name, self.write(name + ".conf", conf_text),
                   list(args), env, pass_fds, list(prefix))
        self.daemons.append(d)
        if ready:
            d.wait_ready()
        return d

    def popen(self, argv, **kw):
        """Start a helper process and record it."""
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def run(self, fn):
        """Run one test function; report instead of stopping."""
        label = fn.__name__
        t0 = time.monotonic()
        try:
            fn(self)
        except (Failure, AssertionError, OSError, TimeoutError,
                dulpeer.Closed, subprocess.TimeoutExpired) as e:
            self.failed += 1
            print("FAIL: %s: %s: %s" % (label, type(e).__name__, e))
            for d in self.daemons:
                d.dump()
        else:
            self.passed += 1
            print("ok: %s (%.1f s)" % (label, time.monotonic() - t0))
        for d in self.daemons:
            d.stop()
        self.daemons = []
        for p in self.procs:
            end(p)
        self.procs = []

    def main(self, tests):
        for fn in tests:
            self.run(fn)
        self.cleanup()
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)

    def cleanup(self):
        for d in self.daemons:
            d.stop()
        for p in self.procs:
            end(p)
        if os.environ.get("DUL_TEST_KEEP"):
            print("scratch directory kept: %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def ae(title, handler, args=(), storage=False, negotiation=None):
    """One `ae` entry as text."""
    ctx = '{ abstract = "verification"; transfer = "uncompressed"; }'
    if storage:
        ctx += ', { abstract = "storage"; transfer = "any"; }'
    if negotiation is None:
        negotiation = "handler" if storage else "policy"
    return ('{ title = "%s"; handler = "%s"; args = [ %s ];\n'
            '    contexts = ( %s ); negotiation = "%s"; }'
            % (title, handler, ", ".join('"%s"' % a for a in args), ctx,
               negotiation))


def end(p, timeout=10):
    """End a process this test started: SIGTERM, then SIGKILL, by pid."""
    if p.poll() is not None:
        return
    try:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=timeout)


class Daemon:
    """One dulserverd master started by a test."""

    def __init__(self, test, name, conf, args, env, pass_fds, prefix):
        self.test = test
        self.name = name
        self.conf = conf
        self.log = test.path(name + ".log")
        logf = open(self.log, "ab")
        try:
            self.proc = subprocess.Popen(
                prefix + [test.daemon, "-f", conf] + args,
                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                env=env, pass_fds=pass_fds)
        finally:
            logf.close()
        self.pid = self.proc.pid

    def text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_ready(self, timeout=20):
        ok = wait_for(lambda: " started: " in self.text() or
                      self.proc.poll() is not None, timeout)
        check(ok and self.proc.poll() is None,
              "%s did not start:\n%s" % (self.name, self.text()[-3000:]))

    def wait_log(self, pattern, timeout=20, count=1):
        """Wait until pattern matches count log lines; return them."""
        r = re.compile(pattern)

        def found():
            lines = [x for x in self.text().splitlines() if r.search(x)]
            return lines if len(lines) >= count else None
        lines = wait_for(found, timeout)
        check(lines, "%s: no log line matching %r within %s s" %
              (self.name, pattern, timeout))
        return lines

    def lines(self, pattern):
        r = re.compile(pattern)
        return [x for x in self.text().splitlines() if r.search(x)]

    def kill(self, sig):
        self.proc.send_signal(sig)

    def children(self):
        return proc_children(self.pid)

    def wait_children(self, n, timeout=20):
        """Wait until the master has exactly n children."""
        ok = wait_for(lambda: len(self.children()) == n, timeout)
        check(ok, "%s has %d children, wanted %d" %
              (self.name, len(self.children()), n))

    def wait_exit(self, timeout=30):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not exit within %s s" %
                          (self.name, timeout))

    def stop(self):
        """SIGTERM, bounded wait; SIGKILL the master and its workers."""
        if self.proc.poll() is not None:
            return
        kids = [pid for pid, _ in self.children()]
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            pass
        for pid in kids + [pid for pid, _ in self.children()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.kill()
        self.proc.wait(timeout=10)

    def dump(self):
        t = self.text()
        print("--- %s log (tail) ---" % self.name)
        print(t[-4000:])
