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


# The end of the handler's session.

def test_handler_end_store_rq_then_abort(env):
    # The A-ABORT follows the RQ at once: the session ends while
    # dul-store-scp is still greeting the worker.  fd 4 must stay open
    # until it exits, or its HELLO_REPLY meets EPIPE and it exits 1.
    for i in range(3):
        c = d(env).connect()
        c.send(echo_rq("STORE", calling="STOREAB%d" % i) + abort(0, 0))
        res = c.finish()
        outcome(res, r"aborted-by-peer\(0,0:[^)]*\)", 0)
        check(res.summary["handler"] == "0", "dul-store-scp exited %s:\n%s"
              % (res.summary["handler"], res.log))
        check("Broken pipe" not in res.log, "handler met EPIPE:\n" +
              res.log)


def test_handler_end_writes_after_eof_are_read(env):
    # The handler keeps writing (200 kB, more than a pipe holds) after
    # the session's end: the worker reads and drops it until the handler
    # exits, so the handler neither blocks nor meets EPIPE.
    c = associate(env, "LATEWRITE")
    res = release(c)
    outcome(res, "released", 0)
    handler_saw(res, "EOF", "WROTE")
    handler_not_saw(res, "EPIPE")
    check(res.summary["handler"] == "0", "handler status %s" %
          res.summary["handler"])


def test_handler_end_is_prompt(env):
    # The worker learns of the handler's exit at once (no polling for
    # it): a release ends well within a second of our close.
    c = associate(env)
    c.send(RELRQ)
    c.expect(RELRP)
    c.shut()
    res = c.finish()
    check(res.ended - c.t_sent < PROMPT, "worker took %.2f s" % (
        res.ended - c.t_sent))


def test_store_scp_frees_on_session_failure(env):
    # dul-store-scp whose worker is gone before HELLO_REPLY: it says so
    # and exits 1, having freed what it allocated (LeakSanitizer).
    body = b"".join([
        harness_tlv(0x0F01, b"\x00\x01"), harness_tlv(0x0F02, b"\x00\x01"),
        harness_tlv(0x0F03, b"test"), harness_tlv(0x0F04, b"t-1"),
        harness_tlv(0x0F05, (1 << 20).to_bytes(4, "big")),
        harness_tlv(0x0F06, (1 << 20).to_bytes(4, "big")),
        harness_tlv(0x0F07, b"\x00\x00\x00\x00")])
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    os.write(to_w, b"DU\x01\x01" + len(body).to_bytes(4, "big") + body)
    os.close(to_w)
    os.close(from_r)
    # Above every descriptor the test's threads hold, so that the shell
    # can put them on 3 and 4 without clobbering either.
    hi_r = fcntl.fcntl(to_r, fcntl.F_DUPFD, 100)
    hi_w = fcntl.fcntl(from_w, fcntl.F_DUPFD, 100)
    os.close(to_r)
    os.close(from_w)
    try:
        p = subprocess.run(
            [env.python3, "-c", "import os, sys\n"
             "os.dup2(int(sys.argv[1]), 3)\nos.dup2(int(sys.argv[2]), 4)\n"
             "os.close(int(sys.argv[1]))\nos.close(int(sys.argv[2]))\n"
             "os.execv(sys.argv[3], sys.argv[3:])", str(hi_r), str(hi_w),
             env.store_scp, "--root", env.storedir, "--no-fsync"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=30, pass_fds=(hi_r, hi_w))
    finally:
        os.close(hi_r)
        os.close(hi_w)
    out = p.stdout.decode("latin-1")
    check(p.returncode == 1, "exit status %d:\n%s" % (p.returncode, out))
    check("session:" in out, "no session error:\n" + out)
    check(not harness.SANITIZER.search(p.stdout), "sanitizer report:\n" +
          out)


def harness_tlv(tag, value):
    """One handler protocol item."""
    return tag.to_bytes(2, "big") + len(value).to_bytes(4, "big") + value


def test_handler_timeout_sends_error_7(env):
    # Design 8.8: on every handler failure the worker sends ERROR with
    # the reason; a missed answer is code 7, before RJ or A-ABORT.
    c = d(env).connect()
    c.send(echo_rq("HOLD"))
    c.expect(rj(2, 3, 1), timeout=HANDLER + LATE)
    res = c.finish()
    outcome(res, r"rejected\(2,3,1:[^)]*\)", 2)
    handler_saw(res, "ASSOC_IND", "ERROR", "EOF")
    check(res.find("ERROR")["code"] == 7, "ERROR code %s" %
          res.find("ERROR")["code"])
    c = associate(env, "HOLDREL")
    c.send(RELRQ)
    c.expect(abort(2, 0), timeout=HANDLER + LATE)
    res = c.finish()
    handler_saw(res, "RELEASE_IND", "ERROR", "EOF")
    check(res.find("ERROR")["code"] == 7, "ERROR code %s" %
          res.find("ERROR")["code"])


# Per-entry timers and maximum length: after routing, the entry's.

from harness import (PER_AE_ARTIM, PER_AE_HANDLER, PER_AE_IDLE,  # noqa
                     PER_AE_LIFETIME, PER_AE_MAX_PDU, PER_AE_RELEASE)


def timed(c, data, low, high, what):
    """The next PDU is data, between low and high s after our send."""
    t = c.expect(data, timeout=high + LATE, what=what)
    took = t - c.t_sent
    check(low - EARLY <= took <= high, "%s after %.2f s, not in [%.2f, "
          "%.2f]" % (what, took, low, high))


def test_per_ae_idle(env):
    c = associate(env, "IDLEAE")
    timed(c, abort(0, 0), PER_AE_IDLE, PER_AE_IDLE + LATE,
          "A-ABORT at the entry's idle timeout")
    check(PER_AE_IDLE + LATE < IDLE, "the global idle timeout is too short")
    res = c.finish()
    outcome(res, ABORTED_00, 0)
    check("idle" in (res.summary["detail"] or ""), str(res.summary))


def test_per_ae_handler_answer(env):
    c = d(env).connect()
    c.send(echo_rq("HOLDAE"))
    timed(c, rj(2, 3, 1), PER_AE_HANDLER, PER_AE_HANDLER + LATE,
          "A-ASSOCIATE-RJ at the entry's handler timeout")
    check(PER_AE_HANDLER + LATE <= HANDLER, "global handler timeout short")
    outcome(c.finish(), r"rejected\(2,3,1:[^)]*\)", 2)


def test_per_ae_artim_in_sta13(env):
    c = associate(env, "ARTIMAE")
    c.send(RELRQ)
    t = c.expect(RELRP)
    # We keep the connection open: the worker closes at the entry's ARTIM.
    c.expect_close(PER_AE_ARTIM - harness.RECEIVED, PER_AE_ARTIM + LATE,
                   since=t)
    check(PER_AE_ARTIM + LATE < ARTIM + 0.5, "global ARTIM too short")
    outcome(c.finish(), "released", 0)


def test_per_ae_association_lifetime(env):
    c = associate(env, "LIFEAE")
    t0 = c.t_connect
    got = None
    for i in range(int((PER_AE_LIFETIME + LATE) / 0.2) + 2):
        c.send(echo_pdata(i + 1))
        got = c.pdu()
        if got != echo_rsp_pdata(i + 1):
            break
        time.sleep(0.2)
    check(got == abort(0, 0), "expected A-ABORT (0, 0), got %s" %
          (got or b"").hex())
    took = time.monotonic() - t0
    check(PER_AE_LIFETIME - EARLY <= took <= PER_AE_LIFETIME + LATE,
          "aborted %.2f s after connecting" % took)
    res = c.finish()
    outcome(res, ABORTED_00, 0)
    check("time limit" in (res.summary["detail"] or ""), str(res.summary))


def test_per_ae_release(env):
    # RELAE's handler asks to release at once; we never answer.
    c = associate(env, "RELAE")
    t = c.expect(RELRQ, what="A-RELEASE-RQ of the handler")
    c.t_sent = t
    timed(c, abort(0, 0), PER_AE_RELEASE - harness.RECEIVED,
          PER_AE_RELEASE + LATE, "A-ABORT at the entry's release timeout")
    check(PER_AE_RELEASE + LATE <= RELEASE, "global release timeout short")
    outcome(c.finish(), ABORTED_00, 0)


def test_per_ae_max_pdu_receive(env):
    # The entry's maximum is announced and enforced: a P-DATA-TF longer
    # than it (but within the global one) aborts with (2, 6).
    c = associate(env, "MAXAE", max_len=PER_AE_MAX_PDU)
    check(PER_AE_MAX_PDU < harness.MAX_PDU, "global maximum too small")
    c.send(dulpeer.pdata(dulpeer.pdv(1, 0, bytes(PER_AE_MAX_PDU))))
    c.expect(abort(2, 6), what="A-ABORT (2, 6) over the entry's maximum")
    c.shut()
    outcome(c.finish(), r"aborted\(2,6:[^)]*\)", 2)


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


HTTP_GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def good_assoc_log(dm):
    """An association with nothing wrong: the worker's status and log."""
    c = dm.connect()
    r = echo_rq("ECHO")
    c.send(r)
    c.expect(expected_ac(r))
    c.send(RELRQ)
    c.expect(RELRP)
    return wait_worker(c)


def bad_input_log(dm):
    """An HTTP request: A-ABORT (0, 0); the worker's status and log."""
    c = dm.connect()
    c.send(HTTP_GET)
    c.expect(abort(0, 0), what="A-ABORT (0, 0)")
    return wait_worker(c)


def test_logging_association_summary_off(env):
    # No summary line; bad input is still told, in one line of its own.
    conf = env.conf(logging="association_summary = false;")
    with Extra(env, "nosummary", conf) as dm:
        code, log = good_assoc_log(dm)
        check(code == 0, "exit status %d" % code)
        check(not SUMMARY_LINE.search(log), "summary line logged:\n" + log)
        code, log = bad_input_log(dm)
    lines = log.strip().splitlines()
    check(code == 2, "exit status %d" % code)
    check(len(lines) == 1 and "bad PDU header" in lines[0] and
          "HTTP?" in lines[0] and not SUMMARY_LINE.search(lines[0]),
          "want one line saying what was wrong:\n" + log)


def test_logging_level_warning(env):
    # At level warning a good association logs nothing, and bad input
    # its summary, which says what was wrong, as its only line.
    conf = env.conf(level="warning")
    with Extra(env, "levelwarning", conf) as dm:
        code, log = good_assoc_log(dm)
        check(code == 0 and log.strip() == "",
              "a good association logged at level warning:\n" + log)
        code, log = bad_input_log(dm)
    lines = log.strip().splitlines()
    check(code == 2, "exit status %d" % code)
    check(len(lines) == 1 and SUMMARY_LINE.search(lines[0]) and
          'detail="bad PDU header' in lines[0] and "HTTP?" in lines[0],
          "want the summary, with the error, as the one line:\n" + log)


def test_logging_pdu_trace(env):
    conf = env.conf(logging="pdu_trace = true;", level="info")
    with Extra(env, "pdutrace", conf) as dm:
        c = dm.connect()
        r = echo_rq("ECHO")
        c.send(r)
        c.expect(expected_ac(r))
        c.send(echo_pdata(3))
        c.expect(echo_rsp_pdata(3))
        c.send(RELRQ)
        c.expect(RELRP)
        res = c.finish()
    for want in (r"received A-ASSOCIATE-RQ, %d bytes" % (len(r) - 6),
                 r"sending A-ASSOCIATE-AC, \d+ bytes",
                 r"received P-DATA-TF, \d+ bytes",
                 r"sent P-DATA-TF: 1 PDUs, \d+ bytes",
                 r"received A-RELEASE-RQ, 4 bytes",
                 r"sending A-RELEASE-RP, 4 bytes"):
        check(re.search(want, res.log), "no line /%s/ at info:\n%s" % (
            want, res.log))
    # Types and lengths only: no FSM transitions, no handler frames.
    check("Sta6" not in res.log and "handler sent" not in res.log,
          "debug lines at info:\n" + res.log)


def test_logging_idle_connects(env):
    # Default (false): a connection closed before any byte came is
    # summarised at debug level only; with true, at info.
    for logging, level, want in (("", "info", False),
                                 ("", "debug", True),
                                 ("log_idle_connects = true;", "info",
                                  True)):
        conf = env.conf(logging=logging, level=level)
        with Extra(env, "idle%s%s" % (level, "t" if logging else ""),
                   conf) as dm:
            c = dm.connect()
            c.shut()
            code, log = wait_worker(c)
            c = dm.connect()
            c.send(echo_rq("ECHO"))
            c.pdu()
            c.send(RELRQ)
            c.pdu()
            code2, log2 = wait_worker(c)
        check(code == 0 and code2 == 0, "exit status %d, %d" % (code,
                                                                 code2))
        check(bool(SUMMARY_LINE.search(log)) == want, "%s, level %s: "
              "summary %s expected:\n%s" % (logging or "default", level,
                                            "a" if want else "no", log))
        check(SUMMARY_LINE.search(log2), "no summary for an association:\n"
              + log2)


# Signals.

def signals_caught(pid, *sigs, fields=("SigCgt",)):
    """Wait until the process catches these signals (or, with fields
    naming SigBlk too, holds them back)."""
    mask = 0
    for s in sigs:
        mask |= 1 << (s - 1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.split(":")[0] in fields and \
                            int(line.split()[1], 16) & mask == mask:
                        return
        except OSError:
            return
        time.sleep(0.005)
    raise harness.Failure("pid %d does not catch %s" % (pid, sigs))


def test_sigusr2_sends_shutdown_notice(env):
    # A drain (SIGUSR2) reaches a handler that asked for the feature as
    # SHUTDOWN_NOTICE with server.shutdown_grace (default 30 s) left.
    c = associate(env, "NOTICE")
    c.spawned.proc.send_signal(signal.SIGUSR2)
    time.sleep(0.1)
    c.send(echo_pdata(4))
    c.expect(echo_rsp_pdata(4))
    res = release(c)
    outcome(res, "released", 0)
    handler_saw(res, "ASSOC_IND", "SHUTDOWN_NOTICE", "RELEASE_IND")
    secs = res.find("SHUTDOWN_NOTICE")["seconds"]
    check(29 <= secs <= 30, "seconds left %d, not 30" % secs)
    # Before the association exists it waits for the AC; a handler that
    # did not ask gets nothing.
    for ae, want in (("NOTICE", True), ("ECHO", False)):
        c = d(env).connect()
        signals_caught(c.spawned.proc.pid, signal.SIGTERM, signal.SIGUSR2)
        c.spawned.proc.send_signal(signal.SIGUSR2)
        time.sleep(0.1)
        r = echo_rq(ae)
        c.send(r)
        c.expect(expected_ac(r))
        res = release(c)
        outcome(res, "released", 0)
        if want:
            handler_saw(res, "ASSOC_IND", "SHUTDOWN_NOTICE", "RELEASE_IND")
        else:
            handler_not_saw(res, "SHUTDOWN_NOTICE")


def test_sigterm_in_inetd_mode(env):
    # socat and inetd supervisors send SIGTERM: A-ABORT (0, 0), the
    # handler hears cause 8, one summary line, exit 0.
    c = associate(env)
    c.spawned.proc.send_signal(signal.SIGTERM)
    c.expect(abort(0, 0), what="A-ABORT (0, 0) on SIGTERM")
    res = c.finish()
    outcome(res, ABORTED_00, 0)
    check("shutting down" in (res.summary["detail"] or ""), str(
        res.summary))
    check(any(r["msg"] == "P_ABORT_IND" and r["cause"] == 8
              for r in res.trace), "no P_ABORT_IND cause 8: %s" % res.trace)


def test_sigterm_in_inetd_mode_at_start(env):
    # SIGTERM while the worker is still starting (reading its file):
    # held until it is caught, then the same orderly end.
    c = d(env).connect()
    signals_caught(c.spawned.proc.pid, signal.SIGTERM,
                   fields=("SigBlk", "SigCgt"))
    c.spawned.proc.send_signal(signal.SIGTERM)
    try:
        c.expect_closed(PROMPT + LATE)
    except TimeoutError:
        raise harness.Failure("not closed after SIGTERM" + c.log_hint())
    res = c.finish()
    check(res.code == 0, "exit status %d:\n%s" % (res.code, res.log))
    check("shutting down" in (res.summary["detail"] or ""), str(
        res.summary))


# -i handed a socketpair (socat without nofork): the peer's address.

def socketpair_worker(env, environ, conf_path=None):
    """dulserverd -i on one end of a socketpair; a Peer on the other."""
    ours, theirs = socket.socketpair()
    log_path = os.path.join(env.workdir, "sp-%d.log" % theirs.fileno())
    full = {k: v for k, v in os.environ.items()
            if not k.startswith(("TCP", "SOCAT_"))}
    full.update(environ)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [env.dulserverd, "-i", "-f",
             conf_path or d(env).conf_path],
            stdin=theirs, stdout=theirs, stderr=log, close_fds=True,
            env=full)
    theirs.close()
    peer = dulpeer.Peer.__new__(dulpeer.Peer)
    peer.sock = ours
    peer.timeout = 10.0
    return proc, peer, log_path


def socketpair_summary(env, environ):
    """Run one C-ECHO association on a socketpair; return the log."""
    proc, peer, log_path = socketpair_worker(env, environ)
    try:
        r = echo_rq("ECHO")
        peer.send(r)
        check(peer.recv_pdu()[0] == dulpeer.A_ASSOCIATE_AC, "no AC")
        peer.send(RELRQ)
        check(peer.recv_pdu()[0] == dulpeer.A_RELEASE_RP, "no RP")
    finally:
        peer.sock.close()
        try:
            code = proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            raise
    with open(log_path, "rb") as f:
        log = f.read().decode("latin-1")
    check(code == 0, "exit status %d:\n%s" % (code, log))
    m = re.search(r" assoc=\S+ peer=(\S+) ", log)
    check(m is not None, "no summary:\n" + log)
    return m.group(1), log


def test_inetd_socketpair_peer_from_environment(env):
    cases = [
        ({"SOCAT_PEERADDR": "192.0.2.7", "SOCAT_PEERPORT": "4242"},
         "192.0.2.7:4242"),
        ({"SOCAT_PEERADDR": "[0000:0000:0000:0000:0000:0000:0000:0001]",
          "SOCAT_PEERPORT": "4243"}, "[::1]:4243"),
        # UCSPI's variables come first.
        ({"TCPREMOTEIP": "198.51.100.9", "TCPREMOTEPORT": "11112",
          "SOCAT_PEERADDR": "192.0.2.7", "SOCAT_PEERPORT": "4242"},
         "198.51.100.9:11112"),
        ({}, "unknown:0"),
    ]
    for environ, want in cases:
        peer, log = socketpair_summary(env, environ)
        check(peer == want, "%s: peer %s, expected %s\n%s" % (
            environ, peer, want, log))
    # Not numeric: ignored, and said so escaped, on one line.
    peer, log = socketpair_summary(env, {
        "SOCAT_PEERADDR": "10.0.0.1\nworker[1]: FAKE", "SOCAT_PEERPORT": "1"})
    check(peer == "unknown:0", "peer %s from a bad address" % peer)
    check("FAKE" in log and "\nworker[1]: FAKE" not in log and
          "not a numeric address" in log, "bad address not escaped:\n" +
          log)
    peer, log = socketpair_summary(env, {
        "SOCAT_PEERADDR": "192.0.2.7", "SOCAT_PEERPORT": "70000"})
    check(peer == "unknown:0", "peer %s with a bad port" % peer)


def test_inetd_under_socat_without_nofork(env):
    # socat forks once more without nofork and hands over a socketpair.
    socat = harness_which("socat")
    if socat is None:
        return
    port = dulpeer.free_port()
    log_path = os.path.join(env.workdir, "socat-fork.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [socat, "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr" % port,
             "EXEC:%s -i -f %s" % (env.dulserverd, d(env).conf_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=log, start_new_session=True)
    try:
        peer = None
        deadline = time.monotonic() + 10
        while peer is None:
            try:
                peer = dulpeer.Peer("127.0.0.1", port)
            except ConnectionRefusedError:
                check(time.monotonic() < deadline, "socat not listening")
                time.sleep(0.05)
        ours = peer.sock.getsockname()[1]
        peer.send(echo_rq("ECHO"))
        check(peer.recv_pdu()[0] == dulpeer.A_ASSOCIATE_AC, "no AC")
        peer.send(RELRQ)
        check(peer.recv_pdu()[0] == dulpeer.A_RELEASE_RP, "no RP")
        peer.sock.close()
        proc.wait(10)
        # socat may leave before its child has logged.
        deadline = time.monotonic() + 10
        while True:
            with open(log_path, "rb") as f:
                log = f.read().decode("latin-1")
            if " assoc=" in log or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    check("peer=127.0.0.1:%d " % ours in log, "peer not 127.0.0.1:%d:\n%s"
          % (ours, log))


def harness_which(tool):
    """A program on PATH, or None."""
    for p in os.environ.get("PATH", "").split(os.pathsep):
        f = os.path.join(p, tool)
        if os.access(f, os.X_OK):
            return f
    return None



def test_handler_limits_through_prlimit(env):
    # The documented way to give one entry's handler limits of its own
    # (the v1 configuration has no limit keys): prlimit(1) as the handler.
    prlimit = harness_which("prlimit")
    if prlimit is None:
        return
    entry = ('  { title = "LIMITED"; handler = "%s"; args = [ "--nofile=64", '
             '"--", "%s", "--trace", "%s" ]; contexts = ( { abstract = '
             '"%s"; transfer = "ts"; } ); },\n' % (
                 prlimit, env.handler_sh, env.tracedir,
                 dulpeer.VERIFICATION))
    conf = env.conf().replace("ae = (\n", "ae = (\n" + entry, 1)
    with Extra(env, "prlimit", conf) as dm:
        c = dm.connect()
        r = echo_rq("LIMITED")
        c.send(r)
        c.expect(expected_ac(r))
        c.send(echo_pdata(5))
        c.expect(echo_rsp_pdata(5))
        res = release(c)
    outcome(res, "released", 0)
    check(res.find("START")["nofile"] == [64, 64], "limits %s" %
          res.find("START")["nofile"])
