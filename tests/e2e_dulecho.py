#!/usr/bin/env python3
"""dulecho against DCMTK's storescp on a loopback port it picks.

Many associations in parallel must all succeed and be summarised with a
rate and per-phase percentiles; the abort, Explicit VR and small-PDU
variants must succeed too; a refused connection, a peer that never
answers and a bad command line must fail with the documented status.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_lib as E  # noqa: E402

PHASES = ("connect", "associate", "echo")


def start_storescp(outdir):
    """Start storescp --fork on a free port; return (proc, port)."""
    # DCMTK only disables Nagle when asked to; otherwise every response
    # waits for our delayed ACK and the rate measures that.
    env = dict(os.environ, TCP_NODELAY="1")
    for _ in range(3):
        port = E.free_port()
        proc = subprocess.Popen(["storescp", "--fork", "-od", outdir,
                                 str(port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env)
        if E.wait_listening(port, proc):
            return proc, port
        E.stop(proc)
    return None, None


def main():
    E.need_tools("storescp")
    dulecho = E.built("src", "dulecho")
    c = E.Checker("dulecho/storescp")
    with tempfile.TemporaryDirectory() as outdir:
        proc, port = start_storescp(outdir)
        if proc is None:
            c.check(False, "storescp listens on a loopback port")
            c.done()
        try:
            run_checks(c, dulecho, port)
        finally:
            E.stop(proc)
    c.done()


def run_checks(c, dulecho, port):
    """Everything that needs the running storescp."""
    p = str(port)
    rc, out, err = E.run([dulecho, "-c", "8", "-n", "500", "127.0.0.1", p],
                         seconds=300)
    c.check(rc == 0, "-c 8 -n 500 exits 0", out + err)
    t = E.phase_table(out)
    c.check(t is not None and t[0] == 500 and t[1] == 0,
            "500 of 500 associations succeeded", out)
    if t is not None:
        c.check(t[2] > 0, "a rate is printed (%.1f associations/s)" % t[2])
        for ph in PHASES + ("release",):
            v = t[3].get(ph)
            c.check(v is not None and 0 <= v[0] <= v[1] <= v[2],
                    "%s: p50 <= p99 <= max (%s)" % (ph, v), out)

    rc, out, err = E.run([dulecho, "-A", "-n", "5", "-e", "3", "-v",
                          "127.0.0.1", p])
    t = E.phase_table(out)
    c.check(rc == 0 and t is not None and t[0] == 5 and "abort" in t[3],
            "-A (abort instead of release) succeeds", out + err)
    c.check(out.count("association ") == 5 and " echo " in out,
            "-v prints one line per association", out)

    rc, out, err = E.run([dulecho, "-X", "-n", "3", "-m", "4096", "-q",
                          "127.0.0.1", p])
    c.check(rc == 0 and out == "", "-X -m 4096 -q succeeds quietly",
            out + err)


def failure_checks():
    """Failures that need no DCMTK peer; run whether or not it exists."""
    dulecho = E.built("src", "dulecho")
    c = E.Checker("dulecho/failures")
    rc, out, err = E.run([dulecho], seconds=10)
    c.check(rc == 100 and "usage" in err, "no arguments: usage, exit 100",
            err)
    rc, out, err = E.run([dulecho, "-c", "0", "127.0.0.1", "1"], seconds=10)
    c.check(rc == 100, "-c 0 is a usage error", err)

    refused = E.free_port()
    rc, out, err = E.run([dulecho, "-t", "5", "127.0.0.1", str(refused)],
                         seconds=30)
    c.check(rc == 1 and "connect:" in err, "refused connection: exit 1",
            out + err)

    # A listener that never accepts: the kernel completes the handshake,
    # the A-ASSOCIATE-RQ is never answered, and dulecho gives up after
    # its timeout, aborts, and waits at most ARTIM for a close.
    mute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    mute.bind(("127.0.0.1", 0))
    mute.listen(4)
    t0 = time.monotonic()
    rc, out, err = E.run([dulecho, "-t", "1", "127.0.0.1",
                          str(mute.getsockname()[1])], seconds=30)
    dt = time.monotonic() - t0
    mute.close()
    c.check(rc == 1 and "associate: timed out in Sta5" in err,
            "silent peer: associate times out, exit 1", out + err)
    c.check(1.0 <= dt < 6.0, "silent peer: gave up in %.1f s" % dt)
    return c.failures


if __name__ == "__main__":
    if failure_checks():
        sys.exit(1)
    main()
