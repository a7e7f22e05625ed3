"""The conformance suite's harness: a real dulserverd, real TCP.

A Daemon is one configuration served the way inetd serves it: a listening
socket here, and for every connection one `dulserverd -i -f CONF` with the
accepted socket on fds 0 and 1 and its stderr (the log) in a file of its
own, named by the peer's port.  So every test sees exactly its own
association's log, its worker's exit status and pid, and the trace its
handler wrote, while other tests run at the same time.

Every wait has a deadline; nothing here loops without a bound.
"""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "pylib"))

import dulpeer  # noqa: E402

# Timers of the main configuration (seconds).  ARTIM must be long enough
# that "prompt" and "at ARTIM" cannot be confused under load.
ARTIM = 2.0
IDLE = 3.0
HANDLER = 2.0
RELEASE = 2.0
PROMPT = 1.0            # an action the table runs at once
LATE = 1.0              # how late a timer may fire under load
EARLY = 0.1             # how much earlier than us the worker may start a timer
RECEIVED = 0.3          # how long a PDU may take to reach us under load

IMPL_UID = "2.25.37702220845173676206920092856050917640.1"
IMPL_VERSION = "DULSERVERD_0.1.0"
MAX_PDU = 16384
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
SANITIZER = re.compile(rb"AddressSanitizer|LeakSanitizer|runtime error:|"
                       rb"UndefinedBehaviorSanitizer")
SUMMARY = re.compile(
    r'^worker\[(?P<pid>\d+)\]: assoc=(?P<assoc>\S+) peer=(?P<peer>\S+) '
    r'calling="(?P<calling>[^"]*)" called="(?P<called>[^"]*)" '
    r'outcome=(?P<outcome>\S+) pdus_in=(?P<pdus_in>\d+) '
    r'bytes_in=(?P<bytes_in>\d+) pdus_out=(?P<pdus_out>\d+) '
    r'bytes_out=(?P<bytes_out>\d+) duration_ms=(?P<duration>\d+) '
    r'handler=(?P<handler>-?\d+)(?: detail="(?P<detail>.*)")?$')


class Failure(AssertionError):
    """A test's expectation did not hold."""


def check(cond, msg):
    """Raise Failure(msg) unless cond holds."""
    if not cond:
        raise Failure(msg)


def abort(source, reason):
    """The exact bytes of an A-ABORT PDU."""
    return dulpeer.abort(source, reason)


def rj(result, source, reason):
    """The exact bytes of an A-ASSOCIATE-RJ PDU."""
    return dulpeer.assoc_rj(result, source, reason)


def echo_rq(called="ECHO", calling="CONFSCU", **kw):
    """A valid A-ASSOCIATE-RQ proposing Verification (context 1)."""
    return dulpeer.assoc_rq(called=called, calling=calling, **kw)


def expected_ac(rq, contexts=None, max_len=MAX_PDU, extra=b""):
    """The A-ASSOCIATE-AC dulserverd answers rq with when it accepts."""
    if contexts is None:
        contexts = [(1, 0, dulpeer.IMPLICIT_LE)]
    return dulpeer.assoc_ac(rq, contexts, max_len, IMPL_UID, IMPL_VERSION,
                            extra_user_items=extra)


def echo_pdata(msg_id=1, pcid=1):
    """A P-DATA-TF carrying a whole C-ECHO-RQ command."""
    return dulpeer.pdata(dulpeer.pdv(pcid, 3, dulpeer.c_echo_rq(msg_id)))


def echo_rsp_pdata(msg_id=1, pcid=1):
    """The P-DATA-TF carrying the C-ECHO-RSP the test handler sends."""
    return dulpeer.pdata(dulpeer.pdv(pcid, 3, dulpeer.c_echo_rsp(msg_id)))


class Spawned:
    """One dulserverd -i started for one connection."""

    def __init__(self, proc, log_path, port):
        self.proc = proc
        self.log_path = log_path
        self.port = port
        self.started = time.monotonic()


class Daemon:
    """One configuration, served in inetd mode by a small acceptor."""

    def __init__(self, env, name, conf, environ=None):
        self.env = env
        self.name = name
        self.environ = environ
        self.dir = os.path.join(env.workdir, name)
        self.logdir = os.path.join(self.dir, "log")
        os.makedirs(self.logdir, exist_ok=True)
        self.conf_path = os.path.join(self.dir, "dulserverd.conf")
        with open(self.conf_path, "w") as f:
            f.write(conf)
        self.procs = {}
        self.all = []
        self.cond = threading.Condition()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def check_config(self):
        """Run dulserverd -n on the configuration; raise if it fails."""
        r = subprocess.run([self.env.dulserverd, "-n", "-f",
                            self.conf_path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        if r.returncode != 0:
            raise RuntimeError("%s: dulserverd -n: %s" % (
                self.name, r.stdout.decode(errors="replace")))

    def start(self):
        """Start accepting connections."""
        self.check_config()
        self.thread.start()

    def _serve(self):
        """Accept, and start one dulserverd per connection."""
        self.sock.settimeout(0.2)
        while not self.stopping:
            try:
                conn, addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            port = addr[1]
            self.accepted += 1
            log_path = os.path.join(self.logdir, "%d-%d.log" % (
                self.accepted, port))
            with open(log_path, "wb") as log:
                try:
                    proc = subprocess.Popen(
                        [self.env.dulserverd, "-i", "-f", self.conf_path],
                        stdin=conn, stdout=conn, stderr=log,
                        close_fds=True, env=self.environ)
                except OSError as e:
                    sys.stderr.write("cannot start dulserverd: %s\n" % e)
                    conn.close()
                    continue
            conn.close()
            with self.cond:
                self.procs.setdefault(port, []).append(
                    Spawned(proc, log_path, port))
                self.all.append(proc)
                self.cond.notify_all()

    def spawned(self, port, timeout=10.0):
        """The dulserverd serving the connection from our port.  Ports
        are reused, so each connection takes its own entry off a list."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.procs.get(port):
                left = deadline - time.monotonic()
                check(left > 0, "%s: no dulserverd started for port %d" %
                      (self.name, port))
                self.cond.wait(left)
            return self.procs[port].pop(0)

    def connect(self, timeout=10.0):
        """Open a connection and wait until its worker runs."""
        c = Conn(self, timeout)
        c.spawned = self.spawned(c.port)
        return c

    def stop(self):
        """Stop accepting; end any worker still running, by its pid."""
        self.stopping = True
        self.thread.join(5)
        self.sock.close()
        with self.cond:
            procs = list(self.all)
        for proc in procs:
            if proc.poll() is None:
                try:
                    proc.wait(2)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(5)


class Result:
    """How one association ended: exit status, log, summary, trace."""

    def __init__(self, code, log, summary, trace, ended):
        self.code = code
        self.log = log
        self.summary = summary
        self.trace = trace
        self.ended = ended

    def msgs(self):
        """The handler's trace as a list of message names."""
        return [r["msg"] for r in self.trace]

    def find(self, name):
        """The first trace record of a given message, or None."""
        for r in self.trace:
            if r["msg"] == name:
                return r
        return None


class Conn(dulpeer.Peer):
    """The test's end of one connection, with exact expectations."""

    def __init__(self, daemon, timeout=10.0):
        super().__init__("127.0.0.1", daemon.port, timeout)
        self.daemon = daemon
        self.port = self.sock.getsockname()[1]
        self.t_connect = time.monotonic()
        self.t_sent = self.t_connect
        self.spawned = None
        self.result = None

    def send(self, data):
        """Send bytes and note when."""
        self.sock.sendall(data)
        self.t_sent = time.monotonic()

    def send_slowly(self, data, pause):
        """Send one byte at a time, pause seconds apart."""
        for i in range(len(data)):
            self.send(data[i:i + 1])
            time.sleep(pause)

    def pdu(self, timeout=None):
        """The next PDU as its exact bytes."""
        try:
            ptype, body = self.recv_pdu(timeout or PROMPT + LATE)
        except dulpeer.Closed as e:
            raise Failure("connection closed, a PDU was expected (%s)%s" %
                          (e, self.log_hint()))
        except TimeoutError:
            raise Failure("no PDU within %.1f s%s" % (
                timeout or PROMPT + LATE, self.log_hint()))
        return struct.pack(">BBI", ptype, 0, len(body)) + body

    def expect(self, data, timeout=None, what=None):
        """The next PDU must be exactly data; returns when it came."""
        got = self.pdu(timeout)
        check(got == data, "%s: expected %s, got %s%s" % (
            what or "PDU", data[:80].hex(), got[:80].hex(),
            self.log_hint()))
        return time.monotonic()

    def expect_close(self, low, high, since=None):
        """The acceptor must close, sending nothing, between low and high
        seconds after since (default: our last send)."""
        t0 = self.t_sent if since is None else since
        try:
            self.expect_closed(timeout=t0 + high - time.monotonic())
        except TimeoutError:
            raise Failure("not closed within %.2f s%s" % (
                high, self.log_hint()))
        except AssertionError as e:
            raise Failure("%s%s" % (e, self.log_hint()))
        took = time.monotonic() - t0
        check(took >= low - EARLY, "closed after %.3f s, before %.3f s" %
              (took, low))
        return took

    def expect_closed(self, timeout):
        """Wait for EOF or reset; any byte before it is an error."""
        deadline = time.monotonic() + max(timeout, 0.001)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("connection not closed in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                return
            except socket.timeout:
                continue
            if not chunk:
                return
            raise AssertionError("unexpected bytes before close: %s" %
                                 chunk[:40].hex())

    def expect_close_prompt(self):
        """The acceptor closes at once, sending nothing."""
        return self.expect_close(0, PROMPT)

    def expect_close_artim(self, since=None):
        """The acceptor closes when ARTIM expires, sending nothing.  ARTIM
        starts after our last send; or, given since (when a PDU of the
        acceptor's arrived), a little before that."""
        low = ARTIM if since is None else ARTIM - RECEIVED
        return self.expect_close(low, ARTIM + LATE, since)

    def expect_silence(self, seconds):
        """Nothing arrives and the connection stays open for a while."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                return
            except ConnectionResetError:
                chunk = b""
            check(chunk != b"", "closed during %.1f s of expected silence%s"
                  % (seconds, self.log_hint()))
            raise Failure("unexpected bytes: %s" % chunk[:40].hex())

    def shut(self):
        """Close our side (FIN)."""
        self.t_sent = time.monotonic()
        self.close()

    def rst(self):
        """Reset the connection (SO_LINGER 0, then close)."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        self.shut()

    def log_hint(self):
        """The association's log so far, for failure messages."""
        try:
            with open(self.spawned.log_path, "rb") as f:
                text = f.read()[-1500:].decode("latin-1")
        except (OSError, AttributeError):
            return ""
        return "\n  log: " + text.replace("\n", "\n  log: ")

    def finish(self, timeout=10.0, close=True, peer_known=True):
        """Close our side, wait for the worker to exit; return a Result
        after checking the one summary line and the sanitizers.  A peer
        gone before the worker started may be logged as unknown."""
        if self.result is not None:
            return self.result
        if close:
            self.close()
        sp = self.spawned
        try:
            code = sp.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("worker pid %d still running %.0f s later%s" % (
                sp.proc.pid, timeout, self.log_hint()))
        ended = time.monotonic()
        with open(sp.log_path, "rb") as f:
            raw = f.read()
        check(not SANITIZER.search(raw), "sanitizer report in the log:\n" +
              raw.decode("latin-1"))
        log = raw.decode("latin-1")
        lines = [ln for ln in log.splitlines() if " assoc=" in ln and
                 " outcome=" in ln]
        check(len(lines) == 1, "%d summary lines, not 1:\n%s" % (
            len(lines), log))
        m = SUMMARY.match(lines[0])
        check(m is not None, "summary line not in the documented form: " +
              lines[0])
        summary = m.groupdict()
        check(summary["pid"] == str(sp.proc.pid),
              "summary line of pid %s, worker is %d" % (summary["pid"],
                                                        sp.proc.pid))
        check(summary["peer"] == "127.0.0.1:%d" % self.port or
              (not peer_known and summary["peer"] == "unknown:0"),
              "summary peer %s, we are 127.0.0.1:%d" % (summary["peer"],
                                                        self.port))
        self.result = Result(code, log, summary,
                             self.read_trace(summary["assoc"]), ended)
        return self.result

    def read_trace(self, assoc):
        """What the test handler recorded for this association (the
        worker has reaped it by the time it exits)."""
        path = os.path.join(self.daemon.env.tracedir, assoc + ".jsonl")
        try:
            with open(path) as f:
                return [json.loads(ln) for ln in f if ln.endswith("\n")]
        except FileNotFoundError:
            return []


def outcome(res, pattern, code=None):
    """The summary's outcome must match pattern (a regex); and the exit
    status, if given, must be code."""
    check(re.fullmatch(pattern, res.summary["outcome"]) is not None,
          "outcome %s, expected %s\n%s" % (res.summary["outcome"], pattern,
                                           res.log))
    if code is not None:
        check(res.code == code, "worker exit status %d, expected %d\n%s" %
              (res.code, code, res.log))


def handler_saw(res, *names):
    """The handler's trace must contain these messages, in this order."""
    got = res.msgs()
    pos = 0
    for n in names:
        check(n in got[pos:], "handler trace %s lacks %s (in order %s)" %
              (got, n, names))
        pos = got.index(n, pos) + 1


def handler_not_saw(res, name):
    """The handler's trace must not contain a message."""
    check(name not in res.msgs(), "handler got %s: %s" % (name, res.msgs()))


# The test handler's behaviours, by called AE title (handler.py options).
HANDLER_AES = {
    "ECHO": [],
    "ECHOPOL": [],
    "HOLD": ["--assoc", "hold"],
    "DELAY": ["--assoc", "delay:0.3"],
    "REJECT": ["--assoc", "reject:1:3"],
    "ABORT3": ["--assoc", "abort"],
    "RELEASE": ["--after", "release"],
    "RELABORT": ["--after", "release-abort:0.8"],
    "HOLDREL": ["--on-release", "hold"],
    "DELAYREL": ["--on-release", "delay:0.3"],
    "PDATAREL": ["--on-release", "pdata"],
    "ABORTREL": ["--on-release", "abort"],
    "ABORT6": ["--after", "abort:0.3"],
    "NOHELLO": ["--hello", "none", "--assoc", "hold"],
    "BADVER": ["--hello", "badversion"],
    "CRASH3": ["--assoc", "crash"],
    "EXIT3": ["--assoc", "exit:1"],
    "CRASH6": ["--on-pdata", "crash"],
    "EXIT6": ["--on-pdata", "exit"],
    "CRASH8": ["--on-release", "crash"],
    "HUGEFRAME": ["--assoc", "badframe:hugelen"],
    "UNKNOWNFRAME": ["--assoc", "badframe:unknowntype"],
    "TRUNCFRAME": ["--assoc", "badframe:truncated"],
    "BADMAGIC": ["--assoc", "badframe:badmagic"],
    "BADID": ["--assoc", "badanswer:unknownid"],
    "BADTS": ["--assoc", "badanswer:ts"],
    "PDBADCTX": ["--after", "pdata-bad"],
    "PDBIG": ["--after", "pdata-big"],
    "SILENT": ["--on-pdata", "nothing"],
    "FORK": ["--fork-child"],
    "LATEWRITE": ["--after-eof", "0.2:200000"],
    "NOTICE": ["--features", "1"],
    "IDLEAE": [],
    "HOLDAE": ["--assoc", "hold"],
    "ARTIMAE": [],
    "LIFEAE": [],
    "RELAE": ["--after", "release"],
    "MAXAE": [],
}
EXTRA_KEYS = {
    "ECHOPOL": 'negotiation = "policy";',
    "ECHO": 'env = [ "CONF_TEST=1" ];',
    # Per-entry overrides of the global timers and maximum length.
    "IDLEAE": "timeouts = { idle = 0.8; };",
    "HOLDAE": "timeouts = { handler = 0.5; };",
    "ARTIMAE": "timeouts = { artim = 0.6; };",
    "LIFEAE": "timeouts = { association = 1; };",
    "RELAE": "timeouts = { release = 0.5; };",
    "MAXAE": "max_pdu_receive = 8192;",
}
PER_AE_IDLE = 0.8
PER_AE_HANDLER = 0.5
PER_AE_ARTIM = 0.6
PER_AE_LIFETIME = 1.0
PER_AE_RELEASE = 0.5
PER_AE_MAX_PDU = 8192


def _conf_list(items):
    return "[ " + ", ".join('"%s"' % i for i in items) + " ]"


class Env:
    """Paths, and the daemons the tests share."""

    def __init__(self, builddir, python3, workdir):
        self.builddir = os.path.abspath(builddir)
        self.python3 = python3
        self.workdir = workdir
        self.dulserverd = os.path.join(self.builddir, "src", "dulserverd")
        self.store_scp = os.path.join(self.builddir, "handlers",
                                      "dul-store-scp")
        self.handler = os.path.join(HERE, "handler.py")
        self.tracedir = os.path.join(workdir, "trace")
        self.storedir = os.path.join(workdir, "store")
        os.makedirs(self.tracedir, exist_ok=True)
        os.makedirs(self.storedir, exist_ok=True)
        # The worker runs a handler with argv[0] set to its base name and
        # a fixed PATH; an interpreter finds its own library from an
        # absolute argv[0], which this wrapper gives it.
        self.handler_sh = os.path.join(workdir, "handler.sh")
        with open(self.handler_sh, "w") as f:
            f.write('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (python3,
                                                          self.handler))
        os.chmod(self.handler_sh, 0o755)
        self.daemons = {}

    def ae_entries(self):
        """The `ae` list every daemon serves."""
        out = []
        ctx = ('contexts = ( { abstract = "%s"; transfer = "ts"; } );' %
               dulpeer.VERIFICATION)
        for title, args in HANDLER_AES.items():
            out.append('  { title = "%s"; handler = "%s"; args = %s; %s %s '
                       '}' % (title, self.handler_sh, _conf_list(
                           ["--trace", self.tracedir] + args),
                           ctx, EXTRA_KEYS.get(title, "")))
        out.append('  { title = "CALLING"; handler = "%s"; args = %s; %s '
                   'calling_ae = [ "GOODSCU" ]; }' % (
                       self.handler_sh, _conf_list(["--trace",
                                                    self.tracedir]), ctx))
        out.append('  { title = "CALLIP"; handler = "%s"; args = %s; %s '
                   'calling_ip = [ "10.0.0.0/8" ]; }' % (
                       self.handler_sh, _conf_list(["--trace",
                                                    self.tracedir]), ctx))
        out.append('  { title = "STORE"; handler = "%s"; args = [ "--root", '
                   '"%s", "--no-fsync" ]; contexts = ( { abstract = "%s"; '
                   'transfer = "%s"; }, { abstract = "%s"; transfer = "%s"; '
                   '} ); }' % (self.store_scp, self.storedir,
                               dulpeer.VERIFICATION, dulpeer.IMPLICIT_LE,
                               CT_IMAGE, dulpeer.IMPLICIT_LE))
        return "ae = (\n" + ",\n".join(out) + "\n);\n"

    def conf(self, artim=ARTIM, idle=IDLE, handler=HANDLER, release=RELEASE,
             extra="", logging="log_idle_connects = true;", level=None):
        """A whole configuration with the given timers.  Connections
        closed before a byte arrived are summarised at info level too,
        since every test checks its association's one summary line."""
        # dulserverd refuses to serve as root unless told to; the suite
        # checks the protocol, not the privilege drop.
        server = 'server : { user = "root"; };\n' if os.geteuid() == 0 \
            else ""
        return ("config_version = 1;\n" + server +
                'logging : { target = "stderr"; level = "%s"; %s };\n'
                "timeouts : { artim = %g; idle = %g; handler = %g; "
                "handler_exit = 1; release = %g; send = 3; };\n"
                "network : { max_pdu_receive = %d; };\n"
                'syntax_sets : { ts = [ "%s", "%s" ]; };\n%s%s' % (
                    level or os.environ.get("CONFORMANCE_LOG_LEVEL",
                                            "info"),
                    logging, artim, idle, handler, release, MAX_PDU,
                    dulpeer.IMPLICIT_LE, dulpeer.EXPLICIT_LE, extra,
                    self.ae_entries()))

    def start(self):
        """Start the daemons: main, one with a long ARTIM, one denying
        every address, one for memory measurements."""
        self.daemons["main"] = Daemon(self, "main", self.conf())
        self.daemons["slow"] = Daemon(self, "slow", self.conf(artim=8))
        self.daemons["deny"] = Daemon(self, "deny", self.conf(
            extra='access : { deny = [ "127.0.0.0/8", "::ffff:127.0.0.0/104"'
            ' ]; };\n'))
        # For memory measurements: AddressSanitizer's quarantine keeps
        # freed memory resident, which would hide what the worker holds.
        lean = dict(os.environ)
        lean["ASAN_OPTIONS"] = ":".join(filter(None, [
            os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=0",
            "thread_local_quarantine_size_kb=0"]))
        self.daemons["lean"] = Daemon(self, "lean", self.conf(), lean)
        for d in self.daemons.values():
            d.start()

    def stop(self):
        """Stop every daemon."""
        for d in self.daemons.values():
            d.stop()
