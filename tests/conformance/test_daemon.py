"""What dulserverd promises around the protocol, against a real daemon:
the end of a handler's session (doc/handler-protocol.md 2.5, design
8.8), the per-entry timers and maximum length of `ae[]`, the logging
options, the worker's signals (SIGTERM, SIGUSR2 and SHUTDOWN_NOTICE), the
peer's address when -i is handed a socketpair, and the level of each
logged failure.  Times are scaled to the suite's short timers.
"""

import fcntl
import os
import re
import signal
import socket
import subprocess
import time

import dulpeer
import harness
from harness import (ARTIM, EARLY, HANDLER, IDLE, LATE, PROMPT, RELEASE,
                     abort, check, echo_pdata, echo_rq, echo_rsp_pdata,
                     expected_ac, handler_not_saw, handler_saw, outcome, rj)

RELRQ = dulpeer.RELRQ
RELRP = dulpeer.RELRP
ABORTED_00 = r"aborted\(0,0:[^)]*\)"
SUMMARY_LINE = re.compile(r" assoc=\S+ peer=\S+ calling=")


def d(env, name="main"):
    return env.daemons[name]


def associate(env, called="ECHO", name="main", max_len=None):
    """Connect, send an RQ, expect the exact AC."""
    c = d(env, name).connect()
    r = echo_rq(called)
    c.send(r)
    c.expect(expected_ac(r, max_len=max_len or harness.MAX_PDU),
             what="A-ASSOCIATE-AC")
    return c


def release(c):
    """A normal release from our side; the worker ends."""
    c.send(RELRQ)
    c.expect(RELRP)
    return c.finish()


def wait_worker(c, timeout=10.0):
    """The worker's exit status and log, without the summary checks of
    Conn.finish() (for configurations that log no summary)."""
    c.close()
    try:
        code = c.spawned.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise harness.Failure("worker still running%s" % c.log_hint())
    with open(c.spawned.log_path, "rb") as f:
        raw = f.read()
    check(not harness.SANITIZER.search(raw), "sanitizer report:\n" +
          raw.decode("latin-1"))
    return code, raw.decode("latin-1")


class Extra:
    """A daemon of its own, for one test's configuration."""

    def __init__(self, env, name, conf):
        self.daemon = harness.Daemon(env, name, conf)
        self.daemon.start()

    def __enter__(self):
        return self.daemon

    def __exit__(self, *exc):
        self.daemon.stop()


# Logging options.

def test_logging_level_error(env):
    # Level "error" shows failures (a handler that failed) and hides
    # warnings (the handler's exit status) and info (the summary).
    conf = env.conf(level="error")
    with Extra(env, "levelerror", conf) as dm:
        c = dm.connect()
        c.send(echo_rq("EXIT3"))
        c.expect(rj(2, 3, 1))
        code, log = wait_worker(c)
    check(code == 2, "exit status %d" % code)
    check("handler failed" in log, "no error line:\n" + log)
    check("exited with status" not in log, "warning at level error:\n" +
          log)
    check(not SUMMARY_LINE.search(log), "info at level error:\n" + log)
