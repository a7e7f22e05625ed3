#!/usr/bin/env python3
"""dulserverd's operating modes, end to end.

The command line and its exit codes, -i under socat and with the socket
on fds 0 to 2 as inetd passes it, sockets from systemd (LISTEN_FDS, from
a small helper and from systemd-socket-activate), sd_notify READY,
RELOADING and STOPPING on a test datagram socket, -D detaching, the
pidfile refusing a second instance, -d serving one connection, and the
privilege drop of workers and handlers.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import (ROOT, Test, associate, check,  # noqa: E402
                       echo_on, free_port, proc_children, proc_ids,
                       release, wait_for, write_part10)

HERE = os.path.dirname(os.path.abspath(__file__))


def echoscu(port, aec="ECHOSCP", timeout=30):
    r = subprocess.run(["echoscu", "-to", "10", "-aec", aec, "127.0.0.1",
                        str(port)], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return r.returncode


def test_command_line_exit_codes(t):
    """-V, -n, -N, a usage error and a bad file give the documented codes."""
    port = free_port()
    conf = t.write("ok.conf", t.conf(port))
    r = subprocess.run([t.daemon, "-V"], capture_output=True, timeout=10)
    check(r.returncode == 0 and r.stdout.startswith(b"dulserverd "),
          "-V: %r" % (r,))
    r = subprocess.run([t.daemon, "-n", "-f", conf], capture_output=True,
                       timeout=10)
    check(r.returncode == 0 and b"configuration OK" in r.stdout,
          "-n: %r" % (r,))
    r = subprocess.run([t.daemon, "-N", "-f", conf], capture_output=True,
                       timeout=10)
    check(r.returncode == 0 and b"port = %d" % port in r.stdout,
          "-N: %r" % (r,))
    r = subprocess.run([t.daemon, "-x"], capture_output=True, timeout=10)
    check(r.returncode == 100, "usage error exits %d" % r.returncode)
    r = subprocess.run([t.daemon, "-d", "-i", "-f", conf],
                       capture_output=True, timeout=10)
    check(r.returncode == 100, "-d -i exits %d" % r.returncode)
    bad = t.write("bad.conf", "config_version = 1;\nserver : { nope = 1; };\n")
    r = subprocess.run([t.daemon, "-f", bad], capture_output=True,
                       timeout=10)
    check(r.returncode == 1 and b"bad.conf:2" in r.stderr,
          "bad config: %r" % (r,))


def test_listen_failure_is_a_system_error(t):
    """A port already taken: exit 111 naming the address."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        d = t.start("busy", t.conf(port), ready=False)
        check(d.wait_exit(20) == 111, "exit code %r" % d.proc.returncode)
        check("127.0.0.1:%d" % port in d.text(), d.text())
    finally:
        s.close()


def test_master_serves_ipv4_and_ipv6(t):
    """Two listeners, one IPv6: both serve, and ps shows the roles."""
    port = free_port()
    listen = ('{ address = "127.0.0.1"; port = %d; }, '
              '{ address = "::1"; port = %d; }' % (port, port))
    d = t.start("dual", t.conf(listen=listen))
    d.wait_log(r"listening on \[::1\]:%d" % port)
    check(echoscu(port) == 0, "echoscu over IPv4 failed")
    d.wait_children(0)
    s = socket.create_connection(("::1", port), timeout=10)
    p = dulpeer.Peer.__new__(dulpeer.Peer)
    p.sock, p.timeout = s, 10
    p.send(dulpeer.assoc_rq(called="ECHOSCP", calling="V6PEER"))
    ty, _ = p.recv_pdu()
    check(ty == dulpeer.A_ASSOCIATE_AC, "IPv6 association: type %d" % ty)
    kids = d.children()
    check(len(kids) == 1, "one worker expected, %r" % kids)

    # The worker names its new state just after sending the AC: wait.
    def worker_title():
        with open("/proc/%d/cmdline" % kids[0][0], "rb") as f:
            title = f.read().decode("utf-8", "replace")
        return title if "Sta6" in title else None

    title = wait_for(worker_title, 5) or ""
    check("worker" in title and "V6PEER>ECHOSCP" in title and
          "Sta6" in title, "worker title %r" % title)
    with open("/proc/%d/cmdline" % d.pid, "rb") as f:
        title = f.read().decode("utf-8", "replace")
    check("master" in title and "1/" in title, "master title %r" % title)
    check(echo_on(p) == 0, "C-ECHO over IPv6")
    release(p)
    d.wait_log(r'calling="V6PEER" called="ECHOSCP" outcome=released')


def test_privilege_drop(t):
    """Workers and their handlers run as nobody, with no other group."""
    if not ROOT:
        print("note: not root, privilege drop not tested")
        return
    port = free_port()
    store = t.store_dir("privstore")
    d = t.start("priv", t.conf(port, store=store))
    p, ty, _ = associate(port, called="STORESCP", calling="PRIV",
                         contexts=[(1, dulpeer.VERIFICATION,
                                    [dulpeer.IMPLICIT_LE])])
    check(ty == dulpeer.A_ASSOCIATE_AC, "association: type %d" % ty)
    kids = d.children()
    check(len(kids) == 1, "workers: %r" % kids)
    wpid = kids[0][0]
    ids = proc_ids(wpid)
    check(ids["Uid"] == [65534] * 4 and ids["Gid"] == [65534] * 4 and
          ids["Groups"] == [65534], "worker ids %r" % ids)
    mine = proc_ids(d.pid)
    check(mine["Uid"][0] == 0, "the master keeps root: %r" % mine)
    handlers = [pid for pid, _ in proc_children(wpid)]
    check(len(handlers) == 1, "handler processes %r" % handlers)
    ids = proc_ids(handlers[0])
    check(ids["Uid"] == [65534] * 4 and ids["Groups"] == [65534],
          "handler ids %r" % ids)
    release(p)


def test_root_without_user_refuses(t):
    """Started as root with no server.user, -i and the master refuse."""
    if not ROOT:
        print("note: not root, refusal not tested")
        return
    port = free_port()
    text = t.conf(port).replace('user = "nobody";', "")
    conf = t.write("nouser.conf", text)
    a, b = socket.socketpair()
    try:
        r = subprocess.run([t.daemon, "-i", "-f", conf], stdin=b,
                           stdout=b, stderr=subprocess.PIPE, timeout=20)
    finally:
        b.close()
    check(r.returncode == 1 and b"server.user is not set" in r.stderr,
          "-i as root without user: %r" % (r,))
    a.settimeout(5)
    check(a.recv(100) == b"", "the peer got bytes")
    a.close()
    d = t.start("nouser", text, ready=False)
    check(d.wait_exit(20) == 1, "master exit %r" % d.proc.returncode)
    check("server.user is not set" in d.text(), d.text())


def test_inetd_under_socat(t):
    """-i behind socat (the socket itself on fds 0 and 1): C-ECHO and
    C-STORE work, the summary names the real peer, files belong to the
    workers' account."""
    t.need("socat", "echoscu", "storescu")
    port = free_port()
    store = t.store_dir("inetdstore")
    conf = t.write("inetd.conf", t.conf(port, store=store))
    log = open(t.path("inetd.log"), "ab")
    t.popen(["socat", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork" % port,
             "EXEC:%s -i -e -f %s,nofork" % (t.daemon, conf)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    ok = wait_for(lambda: echoscu(port) == 0, 10, 0.2)
    check(ok, "echoscu through socat failed")
    f = t.path("one.dcm")
    write_part10(f, "2.25.1001", 4096)
    r = subprocess.run(["storescu", "-aec", "STORESCP", "127.0.0.1",
                        str(port), f], capture_output=True, timeout=60)
    check(r.returncode == 0, "storescu: %r" % (r,))
    stored = os.path.join(store, "2.25.1001.dcm")
    check(os.path.exists(stored), "nothing stored: %r" % os.listdir(store))
    if ROOT:
        check(os.stat(stored).st_uid == 65534, "owner of the stored file")

    def logged():
        with open(t.path("inetd.log")) as fh:
            return re.search(r'peer=127\.0\.0\.1:\d+ calling="STORESCU" '
                             r'called="STORESCP" outcome=released',
                             fh.read())
    check(wait_for(logged, 20), "no summary line for the C-STORE")


def test_inetd_socket_on_stderr(t):
    """inetd passes the socket on fds 0, 1 and 2: with logging to stderr
    no log line may reach the peer, only PDUs."""
    port = free_port()
    conf = t.write("fd2.conf", t.conf(port))
    a, b = socket.socketpair()
    p = t.popen([t.daemon, "-i", "-f", conf], stdin=b, stdout=b, stderr=b)
    b.close()
    peer = dulpeer.Peer.__new__(dulpeer.Peer)
    peer.sock, peer.timeout = a, 10
    peer.send(dulpeer.assoc_rq(called="ECHOSCP", calling="FD2"))
    ty, _ = peer.recv_pdu()
    check(ty == dulpeer.A_ASSOCIATE_AC, "type %d" % ty)
    check(echo_on(peer) == 0, "C-ECHO")
    peer.send(dulpeer.RELRQ)
    ty, _ = peer.recv_pdu()
    check(ty == dulpeer.A_RELEASE_RP, "type %d" % ty)
    a.shutdown(socket.SHUT_WR)
    peer.expect_close()
    peer.close()
    check(p.wait(timeout=20) == 0, "exit %r" % p.returncode)


def test_listen_fds_helper(t):
    """Sockets passed as LISTEN_FDS are served; server.listen is not."""
    t.need("echoscu")
    port, unused = free_port(), free_port()
    d = t.start("sd", t.conf(unused), prefix=[
        sys.executable, os.path.join(HERE, "listenfds.py"),
        "127.0.0.1:%d" % port, "--"])
    d.wait_log(r"listening on 127.0.0.1:%d \(from systemd\)" % port)
    check(not d.lines("listening on 127.0.0.1:%d" % unused),
          "server.listen was bound too")
    check(echoscu(port) == 0, "echoscu on the passed socket")


def test_systemd_socket_activate(t):
    """systemd-socket-activate, both as a socket for the master and in
    --inetd mode for -i."""
    if shutil.which("systemd-socket-activate") is None:
        print("note: systemd-socket-activate not found")
        return
    t.need("echoscu")
    port = free_port()
    d = t.start("ssa", t.conf(free_port()), ready=False, prefix=[
        "systemd-socket-activate", "-l", "127.0.0.1:%d" % port])
    d.wait_log("Listening on 127.0.0.1:%d" % port)
    # It starts the daemon on the first connection, which then waits.
    check(echoscu(port) == 0, "echoscu through systemd-socket-activate")
    d.wait_log(r"\(from systemd\)")
    d.stop()
    port = free_port()
    conf = t.write("ssai.conf", t.conf(free_port()))
    log = open(t.path("ssai.log"), "ab")
    t.popen(["systemd-socket-activate", "--inetd", "-a", "-l",
             "127.0.0.1:%d" % port, t.daemon, "-i", "-f", conf],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    check(wait_for(lambda: echoscu(port) == 0, 10, 0.2),
          "echoscu through systemd-socket-activate --inetd")


def test_sd_notify(t):
    """READY=1 once listening, RELOADING=1 and READY=1 around SIGHUP,
    STOPPING=1 on SIGTERM, on a datagram socket of the test's own."""
    port = free_port()
    path = t.path("notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(20)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    try:
        d = t.start("notify", t.conf(port), env=env)
        msg = s.recv(4096).decode()
        check("READY=1" in msg and "MAINPID=%d" % d.pid in msg, msg)
        d.kill(signal.SIGHUP)
        msg = s.recv(4096).decode()
        check("RELOADING=1" in msg and "MONOTONIC_USEC=" in msg, msg)
        msg = s.recv(4096).decode()
        check("READY=1" in msg, msg)
        d.kill(signal.SIGTERM)
        msg = s.recv(4096).decode()
        check("STOPPING=1" in msg, msg)
        check(d.wait_exit(20) == 0, "exit code %r" % d.proc.returncode)
    finally:
        s.close()
    # An abstract address ('@') works too.
    name = "dulmaster-%d" % os.getpid()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + name)
    s.settimeout(20)
    try:
        d = t.start("notify2", t.conf(port),
                    env=dict(os.environ, NOTIFY_SOCKET="@" + name))
        check("READY=1" in s.recv(4096).decode(), "abstract READY")
    finally:
        s.close()


def test_pidfile_and_detach(t):
    """-D returns at once and leaves a detached daemon whose pid is in the
    pidfile; a second instance fails naming that pid."""
    t.need("echoscu")
    port = free_port()
    pidfile = t.path("d.pid")
    logfile = t.path("detached.log")
    text = t.conf(port, server='pidfile = "%s";' % pidfile).replace(
        'target = "stderr";', 'target = "file"; file = "%s";' % logfile)
    conf = t.write("detach.conf", text)
    r = subprocess.run([t.daemon, "-D", "-f", conf], capture_output=True,
                       timeout=20)
    check(r.returncode == 0, "-D exit %r" % (r,))
    pid = wait_for(lambda: open(pidfile).read().strip() if
                   os.path.exists(pidfile) else None, 10)
    check(pid, "no pid in the pidfile")
    pid = int(pid)
    try:
        check(os.path.exists("/proc/%d" % pid), "daemon %d not running" % pid)
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        fields = stat[stat.rfind(")") + 2:].split()
        check(int(fields[3]) == pid, "not a session leader: %s" % stat)
        check(int(fields[1]) != os.getpid(), "still our child")
        check(echoscu(port) == 0, "echoscu to the detached daemon")
        second = subprocess.run([t.daemon, "-f", conf], capture_output=True,
                                timeout=20)
        check(second.returncode == 111 and
              b"running as pid %d" % pid in second.stderr,
              "second instance: %r" % (second,))
        check(echoscu(port) == 0, "the first still serves")
    finally:
        os.kill(pid, signal.SIGTERM)
    check(wait_for(lambda: not os.path.exists("/proc/%d" % pid), 20),
          "detached daemon did not stop")
    check(not os.path.exists(pidfile), "pidfile left behind")
    with open(logfile) as f:
        text = f.read()
    check("all associations ended; exiting" in text, text)


def test_debug_one_connection(t):
    """-d serves exactly one connection with debug logs, then exits 0."""
    t.need("echoscu")
    port = free_port()
    d = t.start("debug", t.conf(port), args=["-d"], ready=False)
    d.wait_log("waiting for one connection")
    check(echoscu(port) == 0, "echoscu to -d")
    check(d.wait_exit(20) == 0, "exit %r" % d.proc.returncode)
    check(d.lines(r"received A-ASSOCIATE-RQ"), "no debug lines")


def main():
    t = Test("modes")
    t.main([test_command_line_exit_codes,
            test_listen_failure_is_a_system_error,
            test_master_serves_ipv4_and_ipv6,
            test_privilege_drop,
            test_root_without_user_refuses,
            test_inetd_under_socat,
            test_inetd_socket_on_stderr,
            test_listen_fds_helper,
            test_systemd_socket_activate,
            test_sd_notify,
            test_pidfile_and_detach,
            test_debug_one_connection])


if __name__ == "__main__":
    main()
