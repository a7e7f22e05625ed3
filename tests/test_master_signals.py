#!/usr/bin/env python3
"""dulserverd's signals, end to end.

SIGHUP: new associations follow the new file, running ones keep theirs,
a broken file changes nothing, a log file is reopened.  SIGTERM during a
large C-STORE: it completes within shutdown_grace and the file is whole,
or it is aborted after the grace and no file is left.  A worker killed
with SIGKILL is reaped and logged, and the master goes on serving.
"""

import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import (EXPLICIT_LE, SC_CLASS, Test, ae,  # noqa: E402
                       associate, c_store_rq, check, dataset, echo_on,
                       free_port, release, wait_for)


def routed(t, port, title):
    """Whether an association to this called AE is accepted (and then
    released), or rejected as called-AE-title-not-recognized."""
    p, ty, body = associate(port, called=title, calling="PROBE")
    if ty == dulpeer.A_ASSOCIATE_AC:
        check(echo_on(p) == 0, "C-ECHO on %s" % title)
        release(p)
        return True
    check(ty == dulpeer.A_ASSOCIATE_RJ and bytes(body[1:4]) ==
          bytes([1, 1, 7]), "%s: type %d %r" % (title, ty, body[:4]))
    p.close()
    return False


def test_reload_routing(t):
    """A changed ae list takes effect for new associations only; a broken
    file is refused with its line, and the old list stays."""
    port = free_port()
    old = t.conf(port, aes=[ae("ECHOSCP", t.echo_scp)])
    new = t.conf(port, aes=[ae("ROUTED", t.echo_scp)])
    d = t.start("reload", old)
    check(routed(t, port, "ECHOSCP"), "ECHOSCP before the reload")
    check(not routed(t, port, "ROUTED"), "ROUTED before the reload")
    held, ty, _ = associate(port, called="ECHOSCP", calling="HELD")
    check(ty == dulpeer.A_ASSOCIATE_AC, "held association: type %d" % ty)

    t.write("reload.conf", new)
    d.kill(signal.SIGHUP)
    d.wait_log(r"configuration reloaded from .*reload\.conf: 1 AE entry")
    check(routed(t, port, "ROUTED"), "ROUTED after the reload")
    check(not routed(t, port, "ECHOSCP"), "ECHOSCP after the reload")
    # The association that was running keeps its configuration.
    check(echo_on(held, 2) == 0, "C-ECHO on the held association")

    t.write("reload.conf", new.replace("ae = (", "ae = ((", 1))
    d.kill(signal.SIGHUP)
    d.wait_log(r"reload failed, the running configuration stays: "
               r".*reload\.conf:\d+: ")
    check(routed(t, port, "ROUTED"), "ROUTED after a broken file")
    check(not routed(t, port, "ECHOSCP"), "ECHOSCP after a broken file")
    check(echo_on(held, 3) == 0, "C-ECHO on the held association")
    release(held)
    d.wait_log(r'calling="HELD" called="ECHOSCP" outcome=released')


def test_reload_listeners(t):
    """A new listen entry is bound on reload, a removed one closed, an
    unchanged one kept; a port that cannot be bound fails the reload."""
    p1, p2 = free_port(), free_port()
    one = '{ address = "127.0.0.1"; port = %d; }' % p1
    two = one + ', { address = "127.0.0.1"; port = %d; }' % p2
    d = t.start("relisten", t.conf(listen=one))
    t.write("relisten.conf", t.conf(listen=two))
    d.kill(signal.SIGHUP)
    d.wait_log("2 listeners")
    for port in (p1, p2):
        check(routed(t, port, "ECHOSCP"), "serving on %d" % port)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    p3 = blocker.getsockname()[1]
    try:
        t.write("relisten.conf", t.conf(listen=two + (
            ', { address = "127.0.0.1"; port = %d; }' % p3)))
        d.kill(signal.SIGHUP)
        d.wait_log(r"reload failed.*listen 127\.0\.0\.1:%d" % p3)
    finally:
        blocker.close()
    t.write("relisten.conf", t.conf(listen='{ address = "127.0.0.1"; '
                                    'port = %d; }' % p2))
    d.kill(signal.SIGHUP)
    d.wait_log("1 listener;")
    check(routed(t, p2, "ECHOSCP"), "serving on %d" % p2)
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", p1))
        raise AssertionError("port %d still open after the reload" % p1)
    except ConnectionRefusedError:
        pass
    finally:
        s.close()


def test_reload_reopens_log_file(t):
    """logging.target = "file": after a rename, SIGHUP writes to a new
    file under the configured name."""
    port = free_port()
    log = t.path("daemon.log")
    text = t.conf(port).replace('target = "stderr";',
                                'target = "file"; file = "%s";' % log)
    d = t.start("logfile", text, args=[], ready=False)
    check(wait_for(lambda: os.path.exists(log) and
                   " started: " in open(log).read(), 20), "no log file")
    os.rename(log, log + ".1")
    d.kill(signal.SIGHUP)
    check(wait_for(lambda: os.path.exists(log) and
                   "configuration reloaded" in open(log).read(), 20),
          "no new log file after SIGHUP")
    with open(log + ".1") as f:
        check("configuration reloaded" not in f.read(), "old file written")
    check(routed(t, port, "ECHOSCP"), "serving after the reopen")
    check(wait_for(lambda: 'calling="PROBE"' in open(log).read(), 20),
          "the worker's summary is not in the new file")


def test_worker_killed(t):
    """SIGKILL to a worker: the master logs it, reaps it and serves on."""
    port = free_port()
    d = t.start("kill", t.conf(port))
    p, ty, _ = associate(port, calling="VICTIM")
    check(ty == dulpeer.A_ASSOCIATE_AC, "type %d" % ty)
    kids = d.children()
    check(len(kids) == 1, "children %r" % kids)
    os.kill(kids[0][0], signal.SIGKILL)
    d.wait_log(r"worker %d for 127\.0\.0\.1:\d+ killed by signal 9" %
               kids[0][0])
    try:
        p.recv_pdu(timeout=10)
        raise AssertionError("bytes after the worker died")
    except dulpeer.Closed:
        pass
    p.close()
    d.wait_children(0)
    check(routed(t, port, "ECHOSCP"), "serving after the kill")


def store_start(port, calling):
    """Associate for Secondary Capture storage; return the peer and the
    largest P-DATA payload it may send."""
    p, ty, body = associate(port, called="STORESCP", calling=calling,
                            contexts=[(1, SC_CLASS, [EXPLICIT_LE])])
    check(ty == dulpeer.A_ASSOCIATE_AC, "store association: type %d" % ty)
    ac = dulpeer.parse_ac(body)
    check(ac["contexts"][1][0] == 0, "context refused: %r" % ac["contexts"])
    return p, ac["max_len"] - 6


def send_chunks(p, chunks, pace):
    """Send data PDVs, each in its own P-DATA-TF, pace seconds apart."""
    for mch, data in chunks:
        p.send(dulpeer.pdata(dulpeer.pdv(1, mch, data)))
        time.sleep(pace)


def split(ds, size):
    out = []
    for off in range(0, len(ds), size):
        last = off + size >= len(ds)
        out.append((0x02 if last else 0x00, ds[off:off + size]))
    return out


def files_under(root):
    return [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs]


def test_sigterm_lets_a_transfer_finish(t):
    """SIGTERM in the middle of a C-STORE: no new connections, the store
    completes within the grace, the file is whole, the master exits 0."""
    port = free_port()
    store = t.store_dir("finish")
    d = t.start("finish", t.conf(port, store=store,
                                 server="shutdown_grace = 30;"))
    uid = "2.25.4242"
    ds = dataset(uid, 1 << 20, seed=3)
    p, frag = store_start(port, "FINISH")
    p.send(dulpeer.pdata(dulpeer.pdv(1, 0x03, c_store_rq(uid))))
    chunks = split(ds, frag)
    half = len(chunks) // 2
    send_chunks(p, chunks[:half], 0.005)
    d.kill(signal.SIGTERM)
    d.wait_log("shutting down: not accepting; waiting up to 30 s for 1 "
               "association$")
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        raise AssertionError("a new connection was accepted while draining")
    except ConnectionRefusedError:
        pass
    finally:
        s.close()
    send_chunks(p, chunks[half:], 0.005)
    ty, body = p.recv_pdu(timeout=30)
    check(ty == dulpeer.P_DATA_TF, "C-STORE answer: type %d" % ty)
    cmd = dulpeer.parse_command(b"".join(x for _, _, x in
                                         dulpeer.parse_pdata(body)))
    check(dulpeer.command_field(cmd, 0x0900) == 0, "C-STORE status")
    release(p)
    check(d.wait_exit(30) == 0, "exit code %r" % d.proc.returncode)
    stored = os.path.join(store, uid + ".dcm")
    with open(stored, "rb") as f:
        data = f.read()
    check(data.endswith(ds), "the stored file is not the data set sent")
    check(files_under(store) == [stored], "files %r" % files_under(store))


def test_sigterm_aborts_after_the_grace(t):
    """A transfer still running when the grace ends is aborted with
    A-ABORT, and nothing of it stays on disk."""
    port = free_port()
    store = t.store_dir("abort")
    d = t.start("abort", t.conf(port, store=store,
                                server="shutdown_grace = 1;"))
    uid = "2.25.4343"
    ds = dataset(uid, 1 << 20, seed=4)
    p, frag = store_start(port, "ABORTED")
    p.send(dulpeer.pdata(dulpeer.pdv(1, 0x03, c_store_rq(uid))))
    chunks = split(ds, frag)
    send_chunks(p, chunks[:8], 0.01)
    d.kill(signal.SIGTERM)
    deadline = time.monotonic() + 3.0
    i = 8
    while time.monotonic() < deadline and i < len(chunks) - 1:
        try:
            send_chunks(p, chunks[i:i + 1], 0.1)
        except OSError:
            break
        i += 1
    check(i < len(chunks) - 1, "the transfer was not slow enough")
    ty, body = p.recv_pdu(timeout=20)
    check(ty == dulpeer.A_ABORT, "wanted A-ABORT, got type %d" % ty)
    p.close()
    d.wait_log("grace period over: aborting 1 association")
    check(d.wait_exit(30) == 0, "exit code %r" % d.proc.returncode)
    d.wait_log(r'calling="ABORTED" called="STORESCP" outcome=aborted')
    check(files_under(store) == [], "left on disk: %r" % files_under(store))


def test_sigint_with_nothing_running(t):
    """SIGINT stops an idle daemon at once, with exit code 0."""
    d = t.start("sigint", t.conf(free_port()))
    d.kill(signal.SIGINT)
    check(d.wait_exit(10) == 0, "exit code %r" % d.proc.returncode)


def main():
    t = Test("signals")
    t.main([test_reload_routing,
            test_reload_listeners,
            test_reload_reopens_log_file,
            test_worker_killed,
            test_sigterm_lets_a_transfer_finish,
            test_sigterm_aborts_after_the_grace,
            test_sigint_with_nothing_running])


if __name__ == "__main__":
    main()
