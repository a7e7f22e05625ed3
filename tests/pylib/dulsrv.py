"""End-to-end test helpers, standard library only.

They run the built dulserverd under socat (inetd style, one worker per
connection, as `dulserverd -i`) or in debug mode (`dulserverd -d`, one
connection), write configuration files into a scratch directory, run the
DCMTK tools with a timeout, and read the worker's log: the one summary
line per association that doc/dulserverd.8 documents.

Every process a test starts is recorded and stopped by its process id (or
the process group it was started in) when the test ends; every wait is
bounded.
"""

import atexit
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import dulpeer

SKIP = 77

SUMMARY_RE = re.compile(
    r'assoc=(?P<id>\S+) peer=(?P<peer>\S+) calling="(?P<calling>[^"]*)" '
    r'called="(?P<called>[^"]*)" outcome=(?P<outcome>\S+) '
    r'pdus_in=(?P<pdus_in>\d+) bytes_in=(?P<bytes_in>\d+) '
    r'pdus_out=(?P<pdus_out>\d+) bytes_out=(?P<bytes_out>\d+) '
    r'duration_ms=(?P<duration>\d+) handler=(?P<handler>-?\d+)'
    r'(?: detail="(?P<detail>.*)")?$')


class Failure(Exception):
    """A check failed."""


def check(cond, what):
    """Raise Failure with a message unless cond holds."""
    if not cond:
        raise Failure(what)


free_port = dulpeer.free_port


def listening(port):
    """Whether something listens on 127.0.0.1:port (Linux /proc)."""
    want = ":%04X" % port
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[1].endswith(want) and fields[3] == "0A":
                    return True
    except OSError:
        return False
    return False


def have(tool):
    """Whether a program is on PATH."""
    return shutil.which(tool) is not None


def wait_for(pred, timeout, step=0.05):
    """Poll pred() until it is true or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(step)


HANDLER_PATH = "/usr/local/bin:/usr/bin:/bin"

# dulserverd will not serve as root: a test run as root names an account.
RUN_AS = "nobody" if os.geteuid() == 0 else None


def handler_python():
    """A Python 3 for handlers, or None.

    The worker gives a handler argv[0] = the base name of its path and a
    fixed PATH; Python finds its library through argv[0], so only an
    interpreter that this PATH leads back to works as a handler.
    """
    for cand in (sys.executable, "/usr/bin/python3"):
        if not cand:
            continue
        real = os.path.realpath(cand)
        found = shutil.which(os.path.basename(real), path=HANDLER_PATH)
        if found and os.path.realpath(found) == real:
            return real
    return None


def _terminated(signum, frame):
    """SIGTERM or SIGINT (make, timeout): exit, so that cleanup runs."""
    sys.exit(128 + signum)


class Env:
    """Paths of the build, a scratch directory, and what was started."""

    def __init__(self, name):
        here = os.path.dirname(os.path.abspath(__file__))
        self.srcdir = os.path.abspath(os.environ.get(
            "top_srcdir", os.path.join(here, "..", "..")))
        self.builddir = os.path.abspath(os.environ.get("top_builddir",
                                                       ".."))
        self.dulserverd = os.path.join(self.builddir, "src", "dulserverd")
        self.echo_scp = os.path.join(self.builddir, "handlers",
                                     "dul-echo-scp")
        self.store_scp = os.path.join(self.builddir, "handlers",
                                      "dul-store-scp")
        self.pydir = os.path.join(self.srcdir, "examples", "python")
        self.fault = os.path.join(self.srcdir, "tests", "handlers",
                                  "fault_handler.py")
        self.python = handler_python()
        self.work = tempfile.mkdtemp(prefix="dul-%s." % name)
        if RUN_AS is not None:
            os.chmod(self.work, 0o755)
        self.servers = []
        self.logs = []
        self.failed = 0
        self.passed = 0
        # Whatever ends the test, what it started is stopped.
        atexit.register(self.cleanup)
        signal.signal(signal.SIGTERM, _terminated)
        signal.signal(signal.SIGINT, _terminated)

    def require(self, *tools):
        """Skip the whole test (exit 77) unless every tool is there."""
        for t in tools:
            if shutil.which(t) is None:
                print("SKIP: %s not found" % t)
                self.cleanup()
                sys.exit(SKIP)
        for p in (self.dulserverd, self.echo_scp, self.store_scp):
            if not os.access(p, os.X_OK):
                print("SKIP: %s not built" % p)
                self.cleanup()
                sys.exit(SKIP)
        if shutil.which("socat") is None:
            print("SKIP: socat not found")
            self.cleanup()
            sys.exit(SKIP)

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def handler_dir(self, name):
        """A directory the handlers (server.user) may write in."""
        p = self.path(name)
        os.mkdir(p)
        if RUN_AS is not None:
            pw = pwd.getpwnam(RUN_AS)
            os.chown(p, pw.pw_uid, pw.pw_gid)
        return p

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def python_handler(self, script, *args):
        """handler and args of an ae entry that runs a Python script."""
        if self.python is None:
            raise Failure("no Python 3 usable as a handler (%s)" %
                          HANDLER_PATH)
        return self.python, ["-B", script] + list(args)

    def run(self, label, fn):
        """Run one case; report and count instead of stopping."""
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 -- report, go on
            self.failed += 1
            print("FAIL: %s: %s: %s" % (label, type(e).__name__, e))
            for s in self.servers:
                s.dump_tail()
            return
        self.passed += 1
        print("ok: %s (%.1f s)" % (label, time.monotonic() - t0))

    def finish(self):
        """Stop everything, remove the scratch directory, exit 0 or 1.
        A sanitizer's report in any log is a failure too."""
        for s in self.servers:
            s.stop()
        for log in self.logs:
            try:
                with open(log, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            for needle in ("Sanitizer", "runtime error:"):
                i = text.find(needle)
                if i >= 0:
                    self.failed += 1
                    print("FAIL: %s in %s:\n%s" % (needle, log,
                                                   text[max(0, i - 200):
                                                        i + 2000]))
                    break
        self.cleanup()
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)

    def cleanup(self):
        """Stop every server; remove the scratch directory (once)."""
        for s in self.servers:
            s.stop()
        self.servers = []
        if self.work is None:
            return
        if os.environ.get("DUL_E2E_KEEP"):
            print("scratch directory kept: %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)
        self.work = None


def ae_entry(title, handler, args=(), contexts=None, negotiation="handler",
             extra=""):
    """One `ae` group of the configuration, as text."""
    if contexts is None:
        contexts = [("verification", "uncompressed")]
    ctx = ", ".join('{ abstract = "%s"; transfer = "%s"; }' % c
                    for c in contexts)
    a = ", ".join('"%s"' % x for x in args)
    return ('{ title = "%s"; handler = "%s"; args = [ %s ];\n'
            '    contexts = ( %s );\n    negotiation = "%s"; %s }'
            % (title, handler, a, ctx, negotiation, extra))


def config(port, entries, timeouts="handler = 5; handler_exit = 2;",
           network="", level="info"):
    """A whole configuration file, logging to stderr."""
    user = 'user = "%s"; ' % RUN_AS if RUN_AS is not None else ""
    return """config_version = 1;
server : { %slisten = ( { address = "127.0.0.1"; port = %d; } ); };
logging : { target = "stderr"; level = "%s"; };
timeouts : { %s };
network : { %s };
syntax_sets : {
  uncompressed = [ "1.2.840.10008.1.2.1", "1.2.840.10008.1.2" ];
};
abstract_sets : {
  verification = [ "1.2.840.10008.1.1" ];
  storage = [ "1.2.840.10008.5.1.4.1.1.*" ];
};
ae = (
  %s
);
""" % (user, port, level, timeouts, network, ",\n  ".join(entries))


class Server:
    """dulserverd serving 127.0.0.1:port, under socat or in -d mode."""

    def __init__(self, env, name, conf_text, port, mode="inetd"):
        self.env = env
        self.name = name
        self.port = port
        self.mode = mode
        self.conf = env.write(name + ".conf", conf_text)
        self.log = env.path(name + ".log")
        env.logs.append(self.log)
        self.proc = None
        logf = open(self.log, "ab")
        try:
            if mode == "inetd":
                cmd = ["socat",
                       "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork" % port,
                       "EXEC:%s -i -f %s,nofork" % (env.dulserverd,
                                                    self.conf)]
            else:
                cmd = [env.dulserverd, "-d", "-f", self.conf]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL,
                                         stderr=logf,
                                         start_new_session=True)
        finally:
            logf.close()
        env.servers.append(self)
        if mode == "inetd":
            ok = wait_for(lambda: listening(port) or
                          self.proc.poll() is not None, 10)
            ok = ok and self.proc.poll() is None
        else:
            ok = wait_for(lambda: "waiting for one connection" in
                          self.text() or self.proc.poll() is not None, 10)
            ok = ok and self.proc.poll() is None
        if not ok:
            raise Failure("%s did not start listening:\n%s" %
                          (name, self.text()[-2000:]))

    def text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def summaries(self):
        """Every association summary line logged so far, parsed."""
        out = []
        for line in self.text().splitlines():
            i = line.find("assoc=")
            if i < 0:
                continue
            m = SUMMARY_RE.search(line[i:])
            if m:
                d = m.groupdict()
                d["line"] = line[i:]
                out.append(d)
        return out

    def summary(self, calling, timeout=20):
        """Wait for the one summary line of the association with this
        calling AE title; it must be exactly one."""
        def find():
            s = [x for x in self.summaries() if x["calling"] == calling]
            return s
        found = wait_for(find, timeout)
        check(len(found) == 1, "%s: %d summary lines for calling %r" %
              (self.name, len(found), calling))
        return found[0]

    def lines(self, pattern):
        """Log lines matching a regular expression."""
        r = re.compile(pattern)
        return [x for x in self.text().splitlines() if r.search(x)]

    def wait_exit(self, timeout=20):
        """-d mode: the daemon ends after its one connection."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not exit" % self.name)

    def stop(self):
        """Stop the process group this server was started in."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self.proc = None

    def dump_tail(self):
        t = self.text()
        if t:
            print("--- %s log (tail) ---" % self.name)
            print(t[-3000:])


def run_tool(argv, timeout=60):
    """Run a DCMTK tool; return (exit status, combined output)."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def rj_pdu(result, source, reason):
    """The exact bytes of an A-ASSOCIATE-RJ."""
    return bytes([3, 0, 0, 0, 0, 4, 0, result, source, reason])


def abort_pdu(source, reason):
    """The exact bytes of an A-ABORT."""
    return bytes([7, 0, 0, 0, 0, 4, 0, 0, source, reason])
