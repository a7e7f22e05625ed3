#!/usr/bin/env python3
"""Benchmark dulserverd against DCMTK's storescp --fork on this machine.

    python3 bench/bench.py [--quick] [--reps N] [--out FILE]
    python3 bench/bench.py --table FILE

It builds an optimised, unsanitised copy of the tree in build/bench,
starts dulserverd (the shipped dul-echo-scp and dul-store-scp handlers)
and storescp --fork (TCP_NODELAY=1; once as it comes and once with +B,
bit-preserving), and measures both in the same run, alternating the order
of the servers in each repetition, with the same clients:

  - echo associations per second, one client and 32 concurrent clients
    (dulecho for both servers), and the server's CPU time per association
    read from /proc (the server process and all its children);
  - latency from connect() to the A-ASSOCIATE-AC, p50 and p99;
  - C-STORE: 500 objects of 64 KiB in one association and one object of
    256 MiB, to tmpfs and to disk (bench/storeclient.c, a Storage SCU on
    the project's requestor engine, for both servers), with both servers'
    default maximum PDU length (16 KiB); and the 256 MiB object to tmpfs
    again with 128 KiB PDUs, storescp's largest;
  - peak memory (VmHWM) of the processes that serve one association
    (dulserverd's worker and handler; storescp's child) for an echo
    association and during the 256 MiB object;
  - memory per held association with 200 and 1,000 associations open at
    once (proportional set size, every one must succeed);
  - the machine's own limits: fork plus exec per connection, TCP
    throughput over loopback, and a round trip between two processes
    over pipes (bench/limits.c).

It prints one table of medians with [min..max] and the ratio of
dulserverd to storescp, and writes every raw figure to a JSON file.

It must run as root: the whole run happens in a private network
namespace (unshare --net), so that storescp, which listens on every
address, is reachable on loopback only, and the daemon runs its workers
as "nobody".  Every loop and every wait is bounded; only the processes
it started are ended, by their process ids.
"""

import argparse
import json
import os
import platform
import pwd
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(TOP, "bench")

SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"          # Secondary Capture
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
APP_CONTEXT = "1.2.840.10008.3.1.1.1"
UID_ROOT = "2.25.37702220845173676206920092856050917640.98"

SMALL_COUNT = 500
SMALL_ROWS, SMALL_COLS = 128, 256               # 64 KiB of pixel data
BIG_ROWS, BIG_COLS = 8192, 16384                # 256 MiB of pixel data

PORT_DUL = 11112
PORTS_SCP = {"scp-tmpfs": 11113, "scp-disk": 11114,
             "scpB-tmpfs": 11115, "scpB-disk": 11116, "scpB128-tmpfs": 11117}
BIG_PDU = 131072                                # storescp's largest


class BenchError(Exception):
    """Something the benchmark cannot go on without."""


def log(msg):
    """A progress line on stderr."""
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def run(cmd, timeout, **kw):
    """Run a command to completion within timeout; return its result."""
    try:
        return subprocess.run(cmd, timeout=timeout, check=False,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, **kw)
    except subprocess.TimeoutExpired as e:
        raise BenchError("%s: no result within %d s" % (cmd[0], timeout)) \
            from e


# ---------------------------------------------------------------- building

def build(bdir, jobs):
    """Configure (once) and make an optimised tree in bdir, and the helpers."""
    if not os.path.exists(os.path.join(TOP, "configure")):
        log("bootstrap")
        r = run(["sh", "./bootstrap"], 600, cwd=TOP)
        if r.returncode != 0:
            raise BenchError("bootstrap failed:\n" + r.stderr[-2000:])
    os.makedirs(bdir, exist_ok=True)
    if not os.path.exists(os.path.join(bdir, "Makefile")):
        log("configure in %s (CFLAGS=-O2 -g, no sanitizers)" % bdir)
        r = run([os.path.join(TOP, "configure"), "CFLAGS=-O2 -g"], 600,
                cwd=bdir)
        if r.returncode != 0:
            raise BenchError("configure failed:\n" + r.stdout[-2000:] +
                             r.stderr[-2000:])
    log("make in %s" % bdir)
    r = run(["make", "-j%d" % jobs], 1200, cwd=bdir)
    if r.returncode != 0:
        raise BenchError("make failed:\n" + r.stdout[-3000:] +
                         r.stderr[-3000:])
    cflags = ["-O2", "-g", "-Wall", "-Wextra"]
    bsd = run(["pkg-config", "--cflags", "--libs", "libbsd-overlay"], 60)
    if bsd.returncode != 0:
        raise BenchError("pkg-config libbsd-overlay: " + bsd.stderr)
    helpers = [
        (["cc"] + cflags + ["-o", os.path.join(bdir, "bench-limits"),
                            os.path.join(BENCH, "limits.c")]),
        (["cc"] + cflags + ["-I" + os.path.join(TOP, "src"), "-I" + bdir,
                            "-o", os.path.join(bdir, "bench-storeclient"),
                            os.path.join(BENCH, "storeclient.c"),
                            os.path.join(bdir, "src", "libdul.a")] +
         bsd.stdout.split()),
    ]
    for cmd in helpers:
        r = run(cmd, 300)
        if r.returncode != 0:
            raise BenchError("%s failed:\n%s" % (" ".join(cmd), r.stderr))


# ------------------------------------------------------------ test objects

def element(group, elem, value):
    """One implicit VR little endian element, padded to even length."""
    if isinstance(value, str):
        value = value.encode("ascii")
    if len(value) % 2:
        value += b"\0"
    return struct.pack("<HHI", group, elem, len(value)) + value


def meta_element(elem, vr, value):
    """One explicit VR little endian element of group 0002."""
    if isinstance(value, str):
        value = value.encode("ascii")
    if len(value) % 2:
        value += b"\0"
    if vr == "OB":
        return struct.pack("<HH2sHI", 2, elem, b"OB", 0, len(value)) + value
    return struct.pack("<HH2sH", 2, elem, vr.encode(), len(value)) + value


def us(v):
    """An unsigned short value."""
    return struct.pack("<H", v)


def write_object(path, instance, rows, cols):
    """A Secondary Capture Part-10 file, data set in Implicit VR LE."""
    meta = (meta_element(0x0001, "OB", b"\0\1") +
            meta_element(0x0002, "UI", SC_CLASS) +
            meta_element(0x0003, "UI", instance) +
            meta_element(0x0010, "UI", IMPLICIT_LE) +
            meta_element(0x0012, "UI", UID_ROOT))
    meta = meta_element(0x0000, "UL", struct.pack("<I", len(meta))) + meta
    pixels = rows * cols * 2
    ds = (element(0x0008, 0x0016, SC_CLASS) +
          element(0x0008, 0x0018, instance) +
          element(0x0008, 0x0060, "OT") +
          element(0x0010, 0x0010, "Bench^Object") +
          element(0x0010, 0x0020, "BENCH") +
          element(0x0028, 0x0002, us(1)) +
          element(0x0028, 0x0004, "MONOCHROME2") +
          element(0x0028, 0x0010, us(rows)) +
          element(0x0028, 0x0011, us(cols)) +
          element(0x0028, 0x0100, us(16)) +
          element(0x0028, 0x0101, us(16)) +
          element(0x0028, 0x0102, us(15)) +
          element(0x0028, 0x0103, us(0)) +
          struct.pack("<HHI", 0x7FE0, 0x0010, pixels))
    chunk = bytes(range(256)) * 4096
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + meta + ds)
        left = pixels
        while left > 0:
            n = min(left, len(chunk))
            f.write(chunk[:n])
            left -= n


def make_objects(indir):
    """The 500 small objects and the big one; returns their paths."""
    small_dir = os.path.join(indir, "small")
    os.makedirs(small_dir, exist_ok=True)
    small = []
    for i in range(SMALL_COUNT):
        p = os.path.join(small_dir, "%03d.dcm" % i)
        write_object(p, "%s.1.%d" % (UID_ROOT, i + 1), SMALL_ROWS, SMALL_COLS)
        small.append(p)
    big = os.path.join(indir, "big.dcm")
    write_object(big, "%s.2.1" % UID_ROOT, BIG_ROWS, BIG_COLS)
    return small, big


# ------------------------------------------------------------------- /proc

def proc_stat(pid):
    """(ppid, state, cpu seconds with reaped children) of a process."""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(rest[1]), rest[0],
            sum(int(x) for x in rest[11:15]) / tick)


def all_pids():
    """Every process id now in /proc."""
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def descendants(root):
    """Every live or zombie descendant of root."""
    parent = {}
    for pid in all_pids():
        try:
            parent[pid] = proc_stat(pid)[0]
        except (OSError, ValueError, IndexError):
            continue
    kids = {}
    for pid, pp in parent.items():
        kids.setdefault(pp, []).append(pid)
    out, todo = [], list(kids.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def tree_cpu(root):
    """CPU seconds of root and every descendant, reaped or not."""
    total = proc_stat(root)[2]
    for pid in descendants(root):
        try:
            total += proc_stat(pid)[2]
        except (OSError, ValueError, IndexError):
            continue
    return total


def spare(pid):
    """Whether pid is one of dulserverd's spare workers (spare_workers),
    which wait for a connection and serve none."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().startswith(b"dulserverd: spare")
    except OSError:
        return False


def live_descendants(root):
    """Process ids below root that are neither zombies nor spare
    workers."""
    out = []
    for pid in descendants(root):
        try:
            if proc_stat(pid)[1] != "Z" and not spare(pid):
                out.append(pid)
        except (OSError, ValueError, IndexError):
            continue
    return out


def wait_children_gone(root, timeout):
    """Wait until root has no live children (zombies and spare workers
    count as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not live_descendants(root):
            return True
        time.sleep(0.02)
    return False


def status_kib(pid, key):
    """A kB field of /proc/pid/status, or 0."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid):
    """Proportional set size of a process, from smaps_rollup, or 0."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def mem_available_kib():
    """MemAvailable of /proc/meminfo."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


def wait_load(limit, max_wait):
    """Wait, at most max_wait seconds, for the 1-minute load to fall."""
    deadline = time.monotonic() + max_wait
    while True:
        with open("/proc/loadavg") as f:
            load = float(f.read().split()[0])
        if load <= limit or time.monotonic() >= deadline:
            return load
        log("load %.2f above %.2f; waiting" % (load, limit))
        time.sleep(10)


# ----------------------------------------------------------------- servers

class Server:
    """A server this run started, ended by its process id."""

    def __init__(self, name, cmd, port, cwd, env=None, logfile=None):
        self.name = name
        self.port = port
        out = open(logfile, "ab") if logfile else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if logfile:
            out.close()
        self.pid = self.proc.pid
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise BenchError("%s exited at start (status %s)" %
                                 (name, self.proc.returncode))
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise BenchError("%s does not listen on %d" %
                                     (name, port))
                time.sleep(0.05)
        wait_children_gone(self.pid, 10)

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s; always reaped."""
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def dul_config(path, bdir, rundir, tmp_root, disk_root, max_assoc,
               spare_workers=0):
    """Write the daemon's configuration."""
    hdir = os.path.join(bdir, "handlers")
    conf = """config_version = 1;
server : {
  listen = ( { address = "127.0.0.1"; port = %d; } );
  max_associations = %d;
  spare_workers = %d;
  user = "nobody";
  shutdown_grace = 2;
};
logging : { target = "file"; file = "%s"; level = "info"; };
timeouts : { idle = 300; };
network : { max_pdu_receive = 16384; };
ae = (
  { title = "ECHOSCP"; handler = "%s/dul-echo-scp";
    contexts = ( { abstract = "%s"; transfer = "%s"; } );
    negotiation = "policy"; },
  { title = "STORESCP"; handler = "%s/dul-store-scp";
    args = [ "--root", "%s" ];
    contexts = ( { abstract = "%s"; transfer = "%s"; },
                 { abstract = "1.2.840.10008.5.1.4.1.1.*"; transfer = "*"; } );
    negotiation = "policy"; },
  { title = "STOREDISK"; handler = "%s/dul-store-scp";
    args = [ "--root", "%s" ];
    contexts = ( { abstract = "%s"; transfer = "%s"; },
                 { abstract = "1.2.840.10008.5.1.4.1.1.*"; transfer = "*"; } );
    negotiation = "policy"; },
  { title = "STOREBIGPDU"; handler = "%s/dul-store-scp";
    args = [ "--root", "%s" ];
    max_pdu_receive = %d;
    contexts = ( { abstract = "1.2.840.10008.5.1.4.1.1.*"; transfer = "*"; } );
    negotiation = "policy"; }
);
""" % (PORT_DUL, max_assoc, spare_workers,
       os.path.join(rundir, "dulserverd.log"),
       hdir, VERIFICATION, IMPLICIT_LE,
       hdir, tmp_root, VERIFICATION, IMPLICIT_LE,
       hdir, disk_root, VERIFICATION, IMPLICIT_LE,
       hdir, tmp_root, BIG_PDU)
    with open(path, "w") as f:
        f.write(conf)


# ------------------------------------------------------- the held-open peer

def pdu(ptype, body):
    """A PDU: type, reserved, big-endian length, body."""
    return struct.pack(">BBI", ptype, 0, len(body)) + body


def item(itype, value):
    """A variable item of an A-ASSOCIATE-RQ."""
    if isinstance(value, str):
        value = value.encode("ascii")
    return struct.pack(">BBH", itype, 0, len(value)) + value


def assoc_rq(called, calling):
    """An A-ASSOCIATE-RQ proposing Verification in Implicit VR LE."""
    pc = item(0x20, bytes([1, 0, 0, 0]) + item(0x30, VERIFICATION) +
              item(0x40, IMPLICIT_LE))
    ui = item(0x50, item(0x51, struct.pack(">I", 16384)) +
              item(0x52, UID_ROOT) + item(0x55, "DULBENCH"))
    body = (struct.pack(">HH", 1, 0) + called.ljust(16).encode() +
            calling.ljust(16).encode() + bytes(32) +
            item(0x10, APP_CONTEXT) + pc + ui)
    return pdu(0x01, body)


def echo_rq(msgid):
    """A P-DATA-TF carrying a C-ECHO-RQ on context 1."""
    cmd = (element(0x0000, 0x0002, VERIFICATION) +
           element(0x0000, 0x0100, struct.pack("<H", 0x0030)) +
           element(0x0000, 0x0110, struct.pack("<H", msgid)) +
           element(0x0000, 0x0800, struct.pack("<H", 0x0101)))
    cmd = element(0x0000, 0x0000, struct.pack("<I", len(cmd))) + cmd
    return pdu(0x04, struct.pack(">IBB", len(cmd) + 2, 1, 0x03) + cmd)


def recv_exact(sock, n):
    """Read exactly n bytes."""
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise BenchError("peer closed")
        buf += chunk
    return bytes(buf)


def recv_pdu(sock):
    """Read one PDU; return (type, body)."""
    ptype, _, length = struct.unpack(">BBI", recv_exact(sock, 6))
    if length > 1 << 20:
        raise BenchError("PDU of %d bytes" % length)
    return ptype, recv_exact(sock, length)


def echo_status(body):
    """The Status of a C-ECHO-RSP in one P-DATA-TF body (one PDV)."""
    cmd = body[6:]
    off = 0
    while off + 8 <= len(cmd):
        group, elem, length = struct.unpack_from("<HHI", cmd, off)
        if group == 0 and elem == 0x0900 and length == 2:
            return struct.unpack_from("<H", cmd, off + 8)[0]
        off += 8 + length
    return None


class Holder:
    """Associations opened, echoed once, and held open."""

    def __init__(self, port, called, count, timeout=30):
        self.socks = []
        try:
            for i in range(count):
                s = socket.create_connection(("127.0.0.1", port), timeout)
                s.settimeout(timeout)
                self.socks.append(s)
                s.sendall(assoc_rq(called, "DULBENCH"))
                ptype, _ = recv_pdu(s)
                if ptype != 0x02:
                    raise BenchError("association %d of %d: PDU type %d, "
                                     "not an A-ASSOCIATE-AC" %
                                     (i + 1, count, ptype))
                s.sendall(echo_rq(1))
                ptype, body = recv_pdu(s)
                if ptype != 0x04 or echo_status(body) != 0:
                    raise BenchError("association %d of %d: no successful "
                                     "C-ECHO-RSP" % (i + 1, count))
        except (OSError, BenchError):
            self.close(release=False)
            raise

    def close(self, release=True):
        """Release every association (all requests first), then close."""
        if release:
            for s in self.socks:
                try:
                    s.sendall(pdu(0x05, bytes(4)))
                except OSError:
                    pass
            for s in self.socks:
                try:
                    recv_pdu(s)
                except (OSError, BenchError):
                    pass
        for s in self.socks:
            s.close()
        self.socks = []


# ------------------------------------------------------------ measurements

def serving(server):
    """Process ids serving associations: all descendants of the server
    but spare workers."""
    return live_descendants(server.pid)


def echo_rate(tools, server, called, n, conc):
    """dulecho against a server: rate, CPU per association, latencies."""
    if not wait_children_gone(server.pid, 30):
        raise BenchError("%s still has children before a run" % server.name)
    cpu0 = tree_cpu(server.pid)
    cmd = [tools["dulecho"], "-v", "-t", "30", "-C", called, "-n", str(n),
           "-c", str(conc), "127.0.0.1", str(server.port)]
    r = run(cmd, 120 + n // 20)
    if not wait_children_gone(server.pid, 30):
        raise BenchError("%s: associations still running after dulecho" %
                         server.name)
    cpu1 = tree_cpu(server.pid)
    rate, lat = None, []
    for line in r.stdout.splitlines():
        if line.startswith("association ") and ": ok," in line:
            f = line.replace(",", "").split()
            lat.append(float(f[4]) + float(f[7]))     # connect + associate
        elif "associations/s" in line:
            f = line.replace(",", "").split()
            if int(f[4]) != 0:
                raise BenchError("%s: %s" % (server.name, line))
            rate = float(f[-2])
    if r.returncode != 0 or rate is None:
        raise BenchError("dulecho against %s failed: %s" %
                         (server.name, r.stderr[-500:]))
    lat.sort()
    return {"rate": rate, "cpu_ms": (cpu1 - cpu0) * 1000 / n,
            "ac_p50_ms": percentile(lat, 50), "ac_p99_ms": percentile(lat, 99)}


def percentile(v, p):
    """Nearest-rank percentile of a sorted list."""
    if not v:
        return None
    rank = max(1, (len(v) * p + 99) // 100)
    return v[rank - 1]


def empty_dir(path):
    """Remove what a store run left, then flush writeback."""
    for name in os.listdir(path):
        p = os.path.join(path, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)
    os.sync()


def store(tools, server, called, files, outdir, sample_mem=False):
    """storeclient against a server; optionally the peak memory."""
    empty_dir(outdir)
    if not wait_children_gone(server.pid, 30):
        raise BenchError("%s still has children before a store" %
                         server.name)
    cmd = [tools["storeclient"], "-t", "120", "-C", called]
    if sample_mem:
        cmd.append("-w")
    cmd += ["127.0.0.1", str(server.port)] + files
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True)
    result = {}
    try:
        line = read_line(p, 300)
        f = dict(kv.split("=") for kv in line.split())
        result["files"] = int(f["files"])
        result["bytes"] = int(f["bytes"])
        result["seconds"] = float(f["seconds"])
        if sample_mem:
            pids = serving(server)
            result["peak_kib"] = sum(status_kib(pid, "VmHWM") for pid in pids)
            result["processes"] = len(pids)
            p.stdin.write("\n")
            p.stdin.flush()
        _, err = p.communicate(timeout=120)
    except (subprocess.TimeoutExpired, BenchError, ValueError, KeyError):
        p.kill()
        p.communicate()
        raise BenchError("storeclient against %s gave no result" %
                         server.name)
    if p.returncode != 0:
        raise BenchError("storeclient against %s: %s" % (server.name, err))
    stored = count_files(outdir)
    if stored != len(files):
        raise BenchError("%s stored %d files of %d" %
                         (server.name, stored, len(files)))
    result["files_per_s"] = result["files"] / result["seconds"]
    result["mb_per_s"] = result["bytes"] / result["seconds"] / 1e6
    return result


def read_line(p, timeout):
    """The first line of a child's output, within timeout seconds."""
    box = []
    t = threading.Thread(target=lambda: box.append(p.stdout.readline()))
    t.daemon = True
    t.start()
    t.join(timeout)
    if not box or not box[0]:
        raise BenchError("no output")
    return box[0]


def count_files(path):
    """Regular files under path, temporary files excluded."""
    n = 0
    for _, _, files in os.walk(path):
        n += sum(1 for f in files if not f.endswith(".part"))
    return n


def echo_peak(server, called):
    """Peak memory of what serves one echo association, held open."""
    h = Holder(server.port, called, 1)
    try:
        time.sleep(0.05)
        pids = serving(server)
        return {"peak_kib": sum(status_kib(p, "VmHWM") for p in pids),
                "rss_kib": sum(status_kib(p, "VmRSS") for p in pids),
                "processes": len(pids)}
    finally:
        h.close()
        wait_children_gone(server.pid, 30)


def held(server, called, count):
    """Memory per association with count of them open at once."""
    if not wait_children_gone(server.pid, 30):
        raise BenchError("%s still has children before holding" %
                         server.name)
    avail0 = mem_available_kib()
    t0 = time.monotonic()
    h = Holder(server.port, called, count)
    try:
        opened = time.monotonic() - t0
        time.sleep(0.2)
        pids = serving(server)
        pss = sum(pss_kib(p) for p in pids)
        rss = sum(status_kib(p, "VmRSS") for p in pids)
        avail1 = mem_available_kib()
    finally:
        h.close()
    wait_children_gone(server.pid, 60)
    return {"count": count, "processes": len(pids),
            "pss_kib_per_assoc": pss / count,
            "rss_kib_per_assoc": rss / count,
            "memavailable_kib_per_assoc": (avail0 - avail1) / count,
            "open_seconds": opened}


def limits(tools, quick):
    """The machine's own limits."""
    out = {}
    r = run([tools["limits"], "forkexec", "500" if quick else "2000",
             "/bin/true"], 300)
    if r.returncode != 0:
        raise BenchError("limits forkexec: " + r.stderr)
    f = dict(kv.split("=") for kv in r.stdout.split()[1:])
    out["forkexec_per_s"] = float(f["per_second"])
    out["forkexec_cpu_ms"] = float(f["cpu_ms_per_connection"])
    r = run([tools["limits"], "loopback", "1024" if quick else "4096"], 300)
    if r.returncode != 0:
        raise BenchError("limits loopback: " + r.stderr)
    f = dict(kv.split("=") for kv in r.stdout.split()[1:])
    out["loopback_mb_per_s"] = float(f["mb_per_second"])
    r = run([tools["limits"], "pingpong", "20000" if quick else "100000"],
            300)
    if r.returncode != 0:
        raise BenchError("limits pingpong: " + r.stderr)
    f = dict(kv.split("=") for kv in r.stdout.split()[1:])
    out["pipe_round_trip_us"] = float(f["us_per_round_trip"])
    return out


# ------------------------------------------------------------------ report

# (key, label, unit format, better: "high" or "low", target: a ratio to
# storescp, ("max", value) for dulserverd's own figure, or None)
ROWS = [
    ("echo_seq.rate", "echo associations/s, 1 client", "%.0f", "high", 2.0),
    ("echo_conc.rate", "echo associations/s, 32 clients", "%.0f", "high",
     2.0),
    ("echo_seq.cpu_ms", "server CPU ms per echo association", "%.2f", "low",
     ("max", 1.5)),
    ("echo_conc.cpu_ms", "  same, 32 clients", "%.2f", "low", ("max", 1.5)),
    ("echo_seq.ac_p50_ms", "connect to A-ASSOCIATE-AC p50 ms", "%.2f", "low",
     1.0),
    ("echo_seq.ac_p99_ms", "connect to A-ASSOCIATE-AC p99 ms", "%.2f", "low",
     None),
    ("small_tmpfs.files_per_s", "500 x 64 KiB, files/s, tmpfs", "%.0f",
     "high", 1.2),
    ("small_disk.files_per_s", "500 x 64 KiB, files/s, disk", "%.0f", "high",
     None),
    ("big_tmpfs.mb_per_s", "1 x 256 MiB, MB/s, tmpfs", "%.0f", "high", 1.2),
    ("big_disk.mb_per_s", "1 x 256 MiB, MB/s, disk", "%.0f", "high", None),
    ("big128_tmpfs.mb_per_s", "1 x 256 MiB, MB/s, tmpfs, 128 KiB PDUs",
     "%.0f", "high", None),
    ("echo_peak.peak_kib", "peak KiB, echo association", "%.0f", "low", None),
    ("big_tmpfs.peak_kib", "peak KiB, during 256 MiB", "%.0f", "low",
     ("max", 8192)),
    ("held_200.pss_kib_per_assoc", "KiB per held association (PSS), 200",
     "%.0f", "low", 1.0),
    ("held_1000.pss_kib_per_assoc", "KiB per held association (PSS), 1000",
     "%.0f", "low", 1.0),
]


def get(sample, key):
    """A dotted key of one repetition's figures for one server."""
    a, b = key.split(".")
    v = sample.get(a)
    return None if v is None else v.get(b)


def summarise(values):
    """(median, min, max) of the values present, or None."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return statistics.median(v), min(v), max(v)


def cell(s, fmt):
    """median [min..max]"""
    if s is None:
        return "-"
    return ("%s [%s..%s]" % (fmt, fmt, fmt)) % s


def ratio(a, b):
    """The ratio of two medians, or "-"."""
    if a is None or b is None or not b[0]:
        return "-"
    return "%.2fx" % (a[0] / b[0])


def table(raw):
    """The one table, as text."""
    reps = raw["repetitions"]
    lines = []
    hdr = "%-40s %-22s %-22s %7s %-22s %7s  %s" % (
        "metric (median [min..max])", "dulserverd", "storescp --fork",
        "ratio", "storescp --fork +B", "ratio", "target")
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for key, label, fmt, better, target in ROWS:
        s = {}
        for srv in ("dul", "scp", "scpB"):
            s[srv] = summarise([get(r.get(srv, {}), key) for r in reps])
        if target is None:
            tgt = ""
        elif isinstance(target, tuple):
            met = s["dul"] is not None and s["dul"][0] <= target[1]
            tgt = "<= %g: %s" % (target[1], "met" if met else "NOT met")
        else:
            ref = s["scpB"] if key.startswith("big_") else s["scp"]
            met = (s["dul"] is not None and ref is not None and ref[0] and
                   ((s["dul"][0] / ref[0] >= target) if better == "high"
                    else (s["dul"][0] / ref[0] <= target)))
            tgt = "%s %.1fx vs %s: %s" % (">=" if better == "high" else "<=",
                                          target, "+B" if
                                          key.startswith("big_") else
                                          "storescp",
                                          "met" if met else "NOT met")
        lines.append("%-40s %-22s %-22s %7s %-22s %7s  %s" % (
            label, cell(s["dul"], fmt), cell(s["scp"], fmt),
            ratio(s["dul"], s["scp"]), cell(s["scpB"], fmt),
            ratio(s["dul"], s["scpB"]), tgt))
    lim = [r.get("limits", {}) for r in reps]
    for key, label, fmt in (
            ("forkexec_per_s", "machine: fork+exec per connection, /s",
             "%.0f"),
            ("forkexec_cpu_ms", "machine: CPU ms per fork+exec connection",
             "%.2f"),
            ("loopback_mb_per_s", "machine: TCP loopback MB/s", "%.0f"),
            ("pipe_round_trip_us",
             "machine: pipe round trip, 2 processes, us", "%.1f")):
        lines.append("%-40s %-22s" % (label, cell(summarise(
            [x.get(key) for x in lim]), fmt)))
    return "\n".join(lines)


# -------------------------------------------------------------------- main

def enter_namespace(argv):
    """Re-run this script in a private network namespace, loopback up."""
    if os.environ.get("DULBENCH_NETNS") == "1":
        r = run(["ip", "link", "set", "lo", "up"], 30)
        if r.returncode != 0:
            raise BenchError("ip link set lo up: " + r.stderr)
        return
    env = dict(os.environ, DULBENCH_NETNS="1")
    os.execvpe("unshare", ["unshare", "--net", "--", sys.executable,
                           os.path.abspath(__file__)] + argv, env)


def machine():
    """What the figures were taken on."""
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = f.readline().split()[1]
    ver = run(["storescp", "--version"], 30).stdout.split("\n")[0]
    git = run(["git", "-C", TOP, "describe", "--always", "--dirty"], 30)
    return {"cpus": os.cpu_count(), "model": model, "mem_kib": int(mem),
            "kernel": platform.release(), "storescp": ver.strip(),
            "commit": git.stdout.strip(), "python": platform.python_version()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="2 repetitions, fewer associations, no disk runs")
    ap.add_argument("--reps", type=int, help="repetitions (default 5, "
                    "quick 2)")
    ap.add_argument("--out", help="raw figures (default "
                    "build/bench/results.json)")
    ap.add_argument("--build-dir", default=os.path.join(TOP, "build",
                                                        "bench"))
    ap.add_argument("--no-build", action="store_true",
                    help="use the tree already built in --build-dir")
    ap.add_argument("--tmpfs", default="/dev/shm", help="a tmpfs directory")
    ap.add_argument("--disk", help="a directory on disk (default: in the "
                    "build directory)")
    ap.add_argument("--load", type=float, default=0.5,
                    help="wait for the 1-minute load to fall to this")
    ap.add_argument("--load-wait", type=int, default=600,
                    help="at most this many seconds of waiting for it")
    ap.add_argument("--only", help="comma-separated tests to run (echo, "
                    "store, memory, held, limits)")
    ap.add_argument("--spare-workers", type=int, default=0, metavar="N",
                    help="dulserverd's server.spare_workers (default 0)")
    ap.add_argument("--table", metavar="FILE", help="print the table of "
                    "the raw figures in FILE and exit")
    args = ap.parse_args()
    if args.table:
        with open(args.table) as f:
            print(table(json.load(f)))
        return
    if os.geteuid() != 0:
        raise BenchError("run as root: it needs a network namespace and "
                         "the account 'nobody' for the workers")
    enter_namespace(sys.argv[1:])
    reps = args.reps or (2 if args.quick else 5)
    bdir = os.path.abspath(args.build_dir)
    out = args.out or os.path.join(bdir, "results.json")
    only = set(args.only.split(",")) if args.only else {
        "echo", "store", "memory", "held", "limits"}
    nobody = pwd.getpwnam("nobody")

    if not args.no_build:
        build(bdir, os.cpu_count() or 2)
    tools = {"dulserverd": os.path.join(bdir, "src", "dulserverd"),
             "dulecho": os.path.join(bdir, "src", "dulecho"),
             "limits": os.path.join(bdir, "bench-limits"),
             "storeclient": os.path.join(bdir, "bench-storeclient")}
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192
    if hard != resource.RLIM_INFINITY and hard < want:
        want = hard
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    work = os.path.join(args.tmpfs, "dulbench-%d" % os.getpid())
    disk = os.path.join(args.disk or bdir, "dulbench-disk-%d" % os.getpid())
    servers = {}
    raw = {"machine": machine(), "options": vars(args), "repetitions": []}
    try:
        for d in (work, disk):
            os.makedirs(d)
            os.chmod(d, 0o755)
        dirs = {}
        for name in ("dul-tmpfs", "scp-tmpfs", "scpB-tmpfs", "scpB128-tmpfs"):
            dirs[name] = os.path.join(work, name)
        for name in ("dul-disk", "scp-disk", "scpB-disk"):
            dirs[name] = os.path.join(disk, name)
        for name, d in dirs.items():
            os.makedirs(d)
            if name.startswith("dul-"):
                os.chown(d, nobody.pw_uid, nobody.pw_gid)
        log("writing test objects to %s" % work)
        small, big = make_objects(os.path.join(work, "in"))

        conf = os.path.join(work, "dulserverd.conf")
        dul_config(conf, bdir, work, dirs["dul-tmpfs"], dirs["dul-disk"],
                   1100, args.spare_workers)
        servers["dul"] = Server("dulserverd", [tools["dulserverd"], "-f",
                                               conf], PORT_DUL, work,
                                logfile=os.path.join(work, "dul.out"))
        env = dict(os.environ, TCP_NODELAY="1")
        for name, port in PORTS_SCP.items():
            base = name.split("-")[0]
            cmd = ["storescp", "--fork", "-aet", "STORESCP", "-ts", "300",
                   "-od", dirs[name]]
            if base.startswith("scpB"):
                cmd.append("+B")
            if base == "scpB128":
                cmd += ["-pdu", str(BIG_PDU)]
            servers[name] = Server(name, cmd + [str(port)], port, dirs[name],
                                   env=env)
        load = wait_load(args.load, args.load_wait)
        raw["load_at_start"] = load
        nseq = 300 if args.quick else 1000
        nconc = 600 if args.quick else 2000
        for rep in range(reps):
            log("repetition %d of %d (load %s)" % (
                rep + 1, reps, open("/proc/loadavg").read().split()[0]))
            r = {"dul": {}, "scp": {}, "scpB": {}}
            order = ["dul", "scp", "scpB"]
            if rep % 2:
                order.reverse()
            if "limits" in only:
                r["limits"] = limits(tools, args.quick)
            for srv in order:
                if "echo" not in only or srv == "scpB":
                    continue
                s = servers["dul" if srv == "dul" else "scp-tmpfs"]
                called = "ECHOSCP" if srv == "dul" else "STORESCP"
                r[srv]["echo_seq"] = echo_rate(tools, s, called, nseq, 1)
                r[srv]["echo_conc"] = echo_rate(tools, s, called, nconc, 32)
            for media in ("tmpfs",) if args.quick else ("tmpfs", "disk"):
                for srv in order:
                    if "store" not in only:
                        continue
                    key = srv if srv == "dul" else "%s-%s" % (srv, media)
                    s = servers["dul" if srv == "dul" else key]
                    called = ("STORESCP" if media == "tmpfs" else
                              "STOREDISK") if srv == "dul" else "STORESCP"
                    d = dirs["%s-%s" % (srv, media)]
                    r[srv]["small_" + media] = store(tools, s, called, small,
                                                     d)
                    r[srv]["big_" + media] = store(tools, s, called, [big],
                                                   d, sample_mem=True)
                    empty_dir(d)
                    if media != "tmpfs" or srv == "scp":
                        continue
                    # Both servers at storescp's largest PDU length.
                    s = servers["dul" if srv == "dul" else "scpB128-tmpfs"]
                    called = "STOREBIGPDU" if srv == "dul" else "STORESCP"
                    d = dirs["dul-tmpfs" if srv == "dul" else
                             "scpB128-tmpfs"]
                    r[srv]["big128_tmpfs"] = store(tools, s, called, [big],
                                                   d)
                    empty_dir(d)
            for srv in order:
                if srv == "scpB":
                    continue
                s = servers["dul" if srv == "dul" else "scp-tmpfs"]
                called = "ECHOSCP" if srv == "dul" else "STORESCP"
                if "memory" in only:
                    r[srv]["echo_peak"] = echo_peak(s, called)
                if "held" in only:
                    for n in (200, 1000):
                        r[srv]["held_%d" % n] = held(s, called, n)
            raw["repetitions"].append(r)
            with open(out, "w") as f:
                json.dump(raw, f, indent=1)
        raw["load_at_end"] = float(open("/proc/loadavg").read().split()[0])
        with open(out, "w") as f:
            json.dump(raw, f, indent=1)
        print(table(raw))
        print("\nraw figures: %s" % out)
    finally:
        for s in servers.values():
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(disk, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        sys.stderr.write("bench: %s\n" % e)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
