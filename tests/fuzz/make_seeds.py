#!/usr/bin/env python3
"""Write the seed corpora of fuzz_assoc_rq, fuzz_pdata and fuzz_worker.

Seeds come from two places:
  - the codec fixtures, as gen_pdu_corpus wrote them into
    corpus/fuzz_pdu (the A-ASSOCIATE-RQ with every sub-item, P-DATA-TF
    with one and two PDVs, A-RELEASE-RQ);
  - what DCMTK's echoscu, storescu and getscu send, captured here: each
    tool talks to DCMTK's storescp on loopback through a relay that keeps
    the bytes the tool sent.

Usage: make_seeds.py [CORPUS_DIR]   (default: the corpus/ beside this file)
DCMTK is optional: without it only the fixture seeds are written.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))

import dcmgen  # noqa: E402
import dulpeer  # noqa: E402

CALLED = "ANY-SCP"


def pdus(stream):
    """Split a byte stream into whole PDUs; a cut tail is dropped."""
    out = []
    off = 0
    while off + 6 <= len(stream):
        n = struct.unpack(">I", stream[off + 2:off + 6])[0]
        if off + 6 + n > len(stream):
            break
        out.append(stream[off:off + 6 + n])
        off += 6 + n
    return out


def record(op, data):
    """One fuzz_worker record: op, u16 length, bytes."""
    return bytes([op]) + struct.pack(">H", len(data)) + data


def pdata_seed(send_max, recv_max, pdu):
    """A fuzz_pdata input: two u32 limits, then one P-DATA-TF PDU."""
    return struct.pack(">II", send_max, recv_max) + pdu


def worker_seed(flags, params, stream_pdus, delay=0):
    """A fuzz_worker input: one record per PDU, delay*50 ms apart."""
    body = b"".join(record(delay << 2, p) for p in stream_pdus)
    return bytes([flags, params]) + body


free_port = dulpeer.free_port


def relay(listener, upstream_port, sink, done):
    """Accept one client, relay both ways, keep what the client sent."""
    listener.settimeout(20)
    try:
        cli, _ = listener.accept()
    except OSError:
        done.set()
        return
    srv = socket.create_connection(("127.0.0.1", upstream_port), timeout=20)

    def pump(a, b, keep):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                if keep:
                    sink.append(d)
                b.sendall(d)
        except OSError:
            pass
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    t = threading.Thread(target=pump, args=(srv, cli, False))
    t.start()
    pump(cli, srv, True)
    t.join(20)
    cli.close()
    srv.close()
    done.set()


def run_tool(argv):
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=30, check=False)


def capture_tool(make_argv, scp_port):
    """make_argv(port) gives the command line for the relay's port."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    port = lst.getsockname()[1]
    sink = []
    done = threading.Event()
    t = threading.Thread(target=relay, args=(lst, scp_port, sink, done))
    t.start()
    run_tool(make_argv(port))
    done.wait(25)
    t.join(5)
    lst.close()
    return b"".join(sink)


def dcmtk_streams(tmp):
    """Capture what the DCMTK tools send; {name: bytes}."""
    if shutil.which("storescp") is None:
        print("make_seeds: no DCMTK, fixture seeds only", file=sys.stderr)
        return {}
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    ct = os.path.join(tmp, "ct.dcm")
    dcmgen.write_object(ct, dcmgen.CT, dcmgen.EXPLICIT_LE, 20000, 7)
    mr = os.path.join(tmp, "mr.dcm")
    dcmgen.write_object(mr, dcmgen.MR, dcmgen.IMPLICIT_LE, 600, 8)
    scp_port = free_port()
    scp = subprocess.Popen(["storescp", "-aet", CALLED, "-od", out,
                            "--max-pdu", "16384", str(scp_port)],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", scp_port),
                                         timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        tools = {
            "echoscu": lambda p: ["echoscu", "-aet", "ECHOSCU", "-aec",
                                  CALLED, "127.0.0.1", str(p)],
            "storescu": lambda p: ["storescu", "-aet", "STORESCU", "-aec",
                                   CALLED, "--max-pdu", "4096",
                                   "127.0.0.1", str(p), ct],
            "storescu_user": lambda p: ["storescu", "-aec", CALLED,
                                        "--user", "alice", "--password",
                                        "secret", "--pos-response",
                                        "-xs", "127.0.0.1", str(p), mr],
            "storescu_combine": lambda p: ["storescu", "-aec", CALLED,
                                           "+C", "-xv", "127.0.0.1", str(p),
                                           mr, ct],
            "getscu": lambda p: ["getscu", "-aec", CALLED, "-k",
                                 "QueryRetrieveLevel=STUDY", "-k",
                                 "StudyInstanceUID=1.2.3", "-od", out,
                                 "127.0.0.1", str(p)],
        }
        streams = {}
        for name, argv in tools.items():
            s = capture_tool(argv, scp_port)
            if len(pdus(s)) > 0 and pdus(s)[0][0] == 1:
                streams[name] = s
            else:
                print("make_seeds: nothing captured from %s" % name,
                      file=sys.stderr)
        return streams
    finally:
        scp.terminate()
        scp.wait(10)


def write(dirname, name, data):
    os.makedirs(dirname, exist_ok=True)
    with open(os.path.join(dirname, name), "wb") as f:
        f.write(data)


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE,
                                                                "corpus")
    fx = os.path.join(HERE, "corpus", "fuzz_pdu")

    def fixture(name):
        with open(os.path.join(fx, name), "rb") as f:
            return f.read()

    rq_dir = os.path.join(corpus, "fuzz_assoc_rq")
    pd_dir = os.path.join(corpus, "fuzz_pdata")
    wk_dir = os.path.join(corpus, "fuzz_worker")

    rq, one, two = fixture("assoc_rq"), fixture("pdata_one"), \
        fixture("pdata_two")
    rel = fixture("release_rq")
    write(rq_dir, "fixture_rq", rq)
    write(pd_dir, "fixture_one", pdata_seed(16384, 16384, one))
    write(pd_dir, "fixture_two", pdata_seed(16384, 16384, two))
    write(pd_dir, "fixture_two_small", pdata_seed(8, 16384, two))
    write(pd_dir, "fixture_one_odd", pdata_seed(37, 100, one))
    # The fixture session, and variants that reach the timers: a silent
    # peer (ARTIM), an idle association, a release we wait for, SIGTERM.
    write(wk_dir, "fixture_session", worker_seed(0, 0, [rq, one, rel]))
    write(wk_dir, "fixture_idle",
          bytes([0, 0]) + record(0, rq) + record(1, b""))
    write(wk_dir, "fixture_artim", bytes([0, 0]) + record(1, b""))
    write(wk_dir, "fixture_release_after_echo",
          worker_seed(0x10, 0, [rq, one]) + record(1, b"") +
          record(0, fixture("release_rp")))
    write(wk_dir, "fixture_sigterm",
          bytes([0x40, 0]) + record(0, rq) + record(2, b""))
    # Peer PDUs in each place the state machine has a cell for.
    ac, rj, rp = fixture("assoc_ac"), fixture("assoc_rj"), \
        fixture("release_rp")
    ab = fixture("abort")
    write(wk_dir, "fixture_peer_abort", worker_seed(0, 0, [rq, one, ab]))
    write(wk_dir, "fixture_collision", worker_seed(0x04, 0, [rq, rel, rp]))
    write(wk_dir, "fixture_unexpected",
          worker_seed(0, 0, [rq, ac, rj, rp, rq]))
    write(wk_dir, "fixture_before_rq", worker_seed(0, 0, [one, rq]))
    write(wk_dir, "fixture_rj_policy", worker_seed(0, 0x04, [rq, rel]))
    write(wk_dir, "fixture_no_answer",
          bytes([0x01, 0]) + record(0, rq) + record(1, b"") +
          record(0, rel))
    write(wk_dir, "fixture_trickle",
          bytes([0, 0x02]) + b"".join(record(4, rq[i:i + 50])
                                       for i in range(0, len(rq), 50)) +
          record(1, b"") + record(0, one))
    # A service user with flow control: busy, then ready or stalled.
    busy = record(2 | 8, b"")
    write(wk_dir, "fixture_busy_resume",
          bytes([0x80, 0]) + record(0, rq) + busy + record(0, one) +
          record(4, one) + busy + record(0, rel))
    write(wk_dir, "fixture_busy_stall",
          bytes([0x80, 0]) + record(0, rq) + busy + record(0, one) +
          record(1, b""))
    write(wk_dir, "fixture_stall",
          bytes([0, 0]) + record(0, rq) + record(0, one[:9]) +
          record(1, b""))

    with tempfile.TemporaryDirectory() as tmp:
        streams = dcmtk_streams(tmp)
    for name, s in sorted(streams.items()):
        ps = pdus(s)
        write(rq_dir, "dcmtk_" + name, ps[0])
        n = 0
        for p in ps:
            if p[0] == 4 and n < 4:
                write(pd_dir, "dcmtk_%s_%d" % (name, n),
                      pdata_seed(4096 if n % 2 else 16384, 16384, p))
                n += 1
        # Whole PDUs while the seed stays within the fuzzers' max_len.
        session, total = [], 0
        for p in ps:
            if total + len(p) + 3 > 60000:
                break
            session.append(p)
            total += len(p) + 3
        write(wk_dir, "dcmtk_" + name, worker_seed(0, 0, session))
        write(wk_dir, "dcmtk_" + name + "_slow",
              worker_seed(0, 0x30, session, delay=3))
    print("make_seeds: %d DCMTK captures" % len(streams))


if __name__ == "__main__":
    main()
