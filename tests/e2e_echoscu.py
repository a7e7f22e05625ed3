#!/usr/bin/env python3
"""The acceptor worker against DCMTK's echoscu, and against dulecho.

echo_acceptor runs worker_run() per connection with the test service user
answering C-ECHO.  echoscu must succeed several times, also with --abort
(an A-ABORT instead of the release) and with several contexts proposed;
a wrong called AE title must get A-ASSOCIATE-RJ (1, 1, 7).  Every worker
must exit 0, and each association must end as its summary line says.

A second acceptor asks to release after each C-ECHO it answers, racing
dulecho's own release: each association must end released, through an
ordinary release or a collision (PS3.8 7.2.2), both sides agreeing.
"""

import os
import re
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_lib as E  # noqa: E402


def start_acceptor(path, logfile, *opts):
    """Start echo_acceptor on a free port; return (proc, port)."""
    # The log goes to a file: a pipe nobody reads yet could fill up and
    # stall the workers writing to it.
    proc = subprocess.Popen([path, "-p", "0", "-T", "240"] + list(opts),
                            stdout=subprocess.PIPE, stderr=logfile,
                            text=True)
    end = time.monotonic() + 10
    line = ""
    while time.monotonic() < end and not line.endswith("\n"):
        r, _, _ = select.select([proc.stdout], [], [], 0.5)
        if r:
            line += proc.stdout.readline()
        elif proc.poll() is not None:
            break
    m = re.match(r"port (\d+)$", line.strip())
    if m is None:
        E.stop(proc)
        return None, None
    return proc, int(m.group(1))


def main():
    E.need_tools("echoscu")
    acceptor = E.built("tests", "echo_acceptor")
    dulecho = E.built("src", "dulecho")
    c = E.Checker("worker/echoscu")
    logfile = tempfile.TemporaryFile(mode="w+")
    proc, port = start_acceptor(acceptor, logfile)
    if proc is None:
        c.check(False, "echo_acceptor listens on a loopback port")
        c.done()
    p = str(port)
    released = 0
    try:
        for i in range(3):
            rc, out, err = E.run(["echoscu", "127.0.0.1", p], seconds=60)
            c.check(rc == 0, "echoscu run %d exits 0" % (i + 1), out + err)
            released += 1
        rc, out, err = E.run(["echoscu", "--repeat", "5", "-v", "127.0.0.1",
                              p], seconds=60)
        c.check(rc == 0 and err.count("Received Echo Response") == 5,
                "echoscu --repeat 5: five C-ECHOs on one association",
                out + err)
        released += 1
        rc, out, err = E.run(["echoscu", "-ppc", "5", "-pts", "3",
                              "-pdu", "4096", "127.0.0.1", p], seconds=60)
        c.check(rc == 0, "echoscu with 5 contexts, 3 syntaxes, 4 KiB PDUs",
                out + err)
        released += 1
        rc, out, err = E.run(["echoscu", "--abort", "-v", "127.0.0.1", p],
                             seconds=60)
        c.check(rc == 0 and "Aborting Association" in err,
                "echoscu --abort: echo, then A-ABORT; exits 0", out + err)
        rc, out, err = E.run(["echoscu", "-aec", "WRONG-AE", "127.0.0.1",
                              p], seconds=60)
        c.check(rc != 0 and "Called AE Title Not Recognized" in err,
                "echoscu to a wrong called AE is rejected", out + err)

        rc, out, err = E.run([dulecho, "-c", "4", "-n", "40", "-X",
                              "127.0.0.1", p], seconds=120)
        t = E.phase_table(out)
        c.check(rc == 0 and t is not None and t[0] == 40,
                "dulecho -c 4 -n 40 against the worker", out + err)
        released += 40
        rc, out, err = E.run([dulecho, "-C", "NOBODY", "127.0.0.1", p],
                             seconds=60)
        c.check(rc == 1 and "rejected (1,1,7" in err,
                "dulecho to a wrong called AE: RJ (1,1,7), exit 1",
                out + err)
    finally:
        rc = E.stop(proc)
        proc.stdout.close()
        logfile.seek(0)
        log = logfile.read()
        logfile.close()
    c.check(rc == 0, "echo_acceptor reaped every worker", log[-2000:])
    check_log(c, log, released)
    collisions(c, acceptor, dulecho)
    c.done()


def collisions(c, acceptor, dulecho):
    """Both sides ask to release at once, or nearly."""
    n = 100
    logfile = tempfile.TemporaryFile(mode="w+")
    proc, port = start_acceptor(acceptor, logfile, "-r", "-v", "-v")
    if not c.check(proc is not None, "echo_acceptor -r listens"):
        return
    try:
        rc, out, err = E.run([dulecho, "-c", "4", "-n", str(n), "127.0.0.1",
                              str(port)], seconds=120)
        t = E.phase_table(out)
        c.check(rc == 0 and t is not None and t[0] == n,
                "dulecho succeeds while the worker releases too", out + err)
    finally:
        rc = E.stop(proc)
        proc.stdout.close()
        logfile.seek(0)
        log = logfile.read()
        logfile.close()
    exits = re.findall(r"worker \d+ (exit|signal) (\d+)", log)
    c.check(rc == 0 and len(exits) == n and
            all(e == ("exit", "0") for e in exits),
            "%d workers, every one exit 0" % len(exits), log[-3000:])
    c.check(log.count("outcome=released ") == n,
            "%d associations released" % n, log[-3000:])
    plain = log.count("Sta7 + Evt13 -> AR-3 -> Sta1")
    crossed = log.count("Sta7 + Evt12 -> AR-8 -> Sta10")
    ar10 = log.count("Sta10 + Evt13 -> AR-10 -> Sta12")
    ar4 = log.count("Sta12 + Evt14 -> AR-4 -> Sta13")
    c.check(plain + crossed == n and ar10 == crossed and ar4 == crossed,
            "each took one PS3.8 path: %d plain, %d collisions through "
            "Sta10 and Sta12" % (plain, crossed), log[-3000:])


def check_log(c, log, released):
    """What the workers said about how each association ended."""
    exits = re.findall(r"worker \d+ (exit|signal) (\d+)", log)
    c.check(len(exits) == released + 3 and
            all(e == ("exit", "0") for e in exits),
            "%d workers, every one exit 0" % len(exits), log[-3000:])
    c.check(log.count("outcome=released ") == released,
            "%d associations released" % released, log[-3000:])
    c.check(log.count("outcome=aborted-by-peer(0,0:") == 1,
            "one association aborted by the peer (0,0)")
    c.check(len(re.findall(r"outcome=rejected\(1,1,7:", log)) == 2,
            "two associations rejected (1,1,7)")
    c.check("Sanitizer" not in log and "runtime error" not in log,
            "no sanitizer report from any worker")


if __name__ == "__main__":
    main()
