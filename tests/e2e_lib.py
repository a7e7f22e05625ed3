"""Helpers for the end-to-end tests against DCMTK, standard library only.

Every wait has a bound; every process a test starts is stopped by its PID.
A test that lacks a tool exits 77, which automake reports as SKIP.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))
import dulpeer  # noqa: E402

SKIP = 77


class Checker:
    """Collects failed checks so one run reports all of them."""

    def __init__(self, name):
        self.name = name
        self.failures = 0

    def check(self, cond, what, detail=""):
        print("%s: %s: %s" % (self.name, "ok" if cond else "FAIL", what))
        if not cond:
            self.failures += 1
            if detail:
                print(detail.rstrip())
        sys.stdout.flush()
        return cond

    def done(self):
        sys.exit(1 if self.failures else 0)


def need_tools(*names):
    """Exit with SKIP unless every tool is on PATH."""
    for n in names:
        if shutil.which(n) is None:
            print("SKIP: %s not found" % n)
            sys.exit(SKIP)


def built(*parts):
    """Path of a program in the build tree (make check sets top_builddir)."""
    top = os.environ.get("top_builddir", "..")
    path = os.path.join(top, *parts)
    if not os.access(path, os.X_OK):
        print("FAIL: %s is not built" % path)
        sys.exit(1)
    return path


free_port = dulpeer.free_port


def wait_listening(port, proc, seconds=10.0):
    """Wait until something accepts on port, or proc exits, or time is up."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def run(cmd, seconds=120, env=None):
    """Run a command to completion within a bound; return (rc, out, err)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=seconds, env=env)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or "", "timed out after %ss" % seconds


def stop(proc, seconds=20.0):
    """SIGTERM a process we started, then SIGKILL it if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=seconds)
    return proc.returncode


def phase_table(out):
    """Parse dulecho's summary: (succeeded, failed, rate, {phase: ms})."""
    m = re.search(r"^(\d+) associations: (\d+) succeeded, (\d+) failed, "
                  r"concurrency \d+, [\d.]+ s, ([\d.]+) associations/s$",
                  out, re.M)
    if m is None:
        return None
    phases = {}
    for pm in re.finditer(r"^(\w+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", out,
                          re.M):
        phases[pm.group(1)] = tuple(float(x) for x in pm.group(2, 3, 4))
    return int(m.group(2)), int(m.group(3)), float(m.group(4)), phases
