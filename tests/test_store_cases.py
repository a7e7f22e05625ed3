#!/usr/bin/env python3
"""dul-store-scp against the storage cases of the robustness battery.

120: the temporary files of killed writers are swept by the next
handler, and the live temporary file of a running handler never is.

87: one SOP Instance UID from two storescu at once, and again after
success, under each duplicate policy: every final file is byte for byte
one of the objects sent, never a mixture, and each answer tells the
truth (0000 only when that object, or under "keep" an earlier one, is
stored; C001 only when it is not).  DUL_DUP_ROUNDS sets the rounds per policy
(default 12).

89: --min-free above the file system's free space refuses C-STOREs with
A700, writes nothing and logs one line for many refusals; a small
reserve, in bytes or percent, lets them through.

81, 82, 83: hostile data sets (1,100 nested sequences, a deflate bomb in
Deflated Explicit VR Little Endian, an element whose length lies) are
stored bit for bit and answered 0000, never parsed nor inflated: the
worker's and the handler's peak RSS stay small, nothing crashes, and
--max-object-size counts the bytes that came, not any declared length.
"""

import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dcmgen  # noqa: E402
import dulpeer  # noqa: E402
from dulmaster import ROOT, Test, check, free_port, wait_for  # noqa: E402
from dulstore import (SC_CLASS, STATUS_OUT_OF_RESOURCES,  # noqa: E402
                      STATUS_SUCCESS, StoreAssoc, c_store_rq, clean_log,
                      dataset,
                      files_under, part_files, sha, store_ae, store_root,
                      stored_data_set)

ROUNDS = int(os.environ.get("DUL_DUP_ROUNDS", "12"))
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
STATUS_DUPLICATE = 0xC001
MIB = 1 << 20


def serve(t, name, root, extra_args=(), layout="flat"):
    port = free_port()
    d = t.start(name, t.conf(port, aes=[store_ae(
        "STORESCP", t.store_scp, root, layout=layout,
        extra_args=extra_args)]))
    return d, port


def handlers_of(root):
    """Running processes that have this storage root as an argument."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if b"\0" + root.encode() + b"\0" in f.read():
                    out.append(int(p))
        except OSError:
            continue
    return out


def peak_rss(pid):
    """VmHWM of a process in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmHWM for %d" % pid)


def tmp_name(n):
    return ".dul-%016x.part" % n


def make_tmp(root, name, age):
    """A temporary file as a killed writer leaves it, age seconds old."""
    d = os.path.join(root, ".dul-tmp")
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(b"\0" * 128 + b"DICM partial")
    if ROOT:
        os.chown(d, 65534, 65534)
        os.chown(p, 65534, 65534)
    os.utime(p, (time.time() - age,) * 2)
    return p


def test_b120_sweep_spares_live_temporary(t):
    """A handler in the middle of an object holds a temporary file that is
    an hour old; a second association sweeps: dead writers' old files go,
    a dead writer's fresh file and the live one stay, and the live
    object then completes whole."""
    root = store_root(t, "sweep")
    d, port = serve(t, "sweep", root)
    dead_old = [make_tmp(root, tmp_name(0xdead0000 + i), 3600)
                for i in range(5)]
    dead_new = make_tmp(root, tmp_name(0xbeef), 0)
    a = StoreAssoc(port, calling="LIVE")
    u = "2.25.%d.120.1" % os.getpid()
    ds = dataset(u, 200000, seed=1)
    # The command and all but the last fragment: the handler writes and
    # waits, its temporary file open and locked.
    a.msg_id += 1
    a.peer.send(dulpeer.pdata(dulpeer.pdv(3, 0x03,
                                          c_store_rq(u, a.msg_id))))
    a.peer.send(dulpeer.pdata(dulpeer.pdv(3, 0x00, ds[:a.frag])))
    rest = ds[a.frag:]
    tmpdir = os.path.join(root, ".dul-tmp")
    known = set(os.path.basename(p) for p in dead_old + [dead_new])

    def live_file():
        names = [n for n in os.listdir(tmpdir) if n not in known]
        return names[0] if len(names) == 1 else None
    live = wait_for(live_file, 20)
    check(live, "no live temporary file: %r" % os.listdir(tmpdir))
    live_path = os.path.join(tmpdir, live)
    os.utime(live_path, (time.time() - 3600,) * 2)
    # Several sweeps by later associations.
    for i in range(3):
        b = StoreAssoc(port, calling="SWEEPER")
        v = "2.25.%d.120.2.%d" % (os.getpid(), i)
        st, comment = b.store(v, dataset(v, 3000, seed=i))
        check(st == STATUS_SUCCESS, "sweeper store: %04x %s" % (st, comment))
        b.release()
        check(os.path.exists(live_path), "the live temporary was removed")
    for p in dead_old:
        check(not os.path.exists(p), "%s not swept" % p)
    check(os.path.exists(dead_new), "a fresh temporary was swept")
    check(d.lines(r"removed 5 temporary files left by killed writers"),
          "the sweep was not logged")
    # The live object completes.
    off = 0
    while off < len(rest):
        chunk = rest[off:off + a.frag]
        off += len(chunk)
        a.peer.send(dulpeer.pdata(dulpeer.pdv(
            3, 0x02 if off >= len(rest) else 0x00, chunk)))
    st, comment = a.response()
    check(st == STATUS_SUCCESS, "live store: %04x %s" % (st, comment))
    a.release()
    d.wait_children(0)
    check(sha(stored_data_set(os.path.join(root, u + ".dcm"))) == sha(ds),
          "the live object is not whole")
    check(not os.path.exists(live_path), "the live temporary stayed")
    clean_log(d)


def write_object(path, inst, size, seed):
    """A Part-10 file of SOP instance inst; returns its data set."""
    rng = random.Random(seed)
    ds = dcmgen.data_set(dcmgen.SC, inst, EXPLICIT_LE, size, rng, seed)
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM")
        f.write(dcmgen.meta(dcmgen.SC, inst, EXPLICIT_LE))
        f.write(ds)
    return ds


RSP = re.compile(r"Received Store Response \(([^)]*)\)")


def storescu(t, port, path, calling):
    """Start storescu for one file; returns the process."""
    return t.popen(["storescu", "-v", "-xe", "-aec", "STORESCP", "-aet",
                    calling, "127.0.0.1", str(port), path],
                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT)


def outcome(p):
    """"success", "duplicate" or the text of another answer."""
    out, _ = p.communicate(timeout=120)
    text = out.decode("utf-8", "replace")
    m = RSP.search(text)
    check(m, "storescu printed no response (rc %r):\n%s" %
          (p.returncode, text[-1500:]))
    if m.group(1) == "Success":
        return "success"
    # DCMTK names the Cxxx class only; the handler's log line for each
    # refusal is counted by the caller.
    if m.group(1) == "Error: CannotUnderstand":
        return "duplicate"
    return m.group(1)


def dup_rounds(t, policy):
    """ROUNDS rounds of two storescu at once, then a third after both."""
    root = store_root(t, "dup-" + policy)
    d, port = serve(t, "dup-" + policy, root,
                    extra_args=("--duplicates", policy))
    src = t.path("src-" + policy)
    os.makedirs(src, exist_ok=True)
    dups = 0
    for r in range(ROUNDS):
        inst = "2.25.%d.87.%d" % (os.getpid(), r)
        sent = {}
        for k in ("a", "b", "c"):
            path = os.path.join(src, "%d%s.dcm" % (r, k))
            sent[k] = (path, sha(write_object(path, inst, 1 * MIB,
                                              seed=r * 10 + ord(k))))
        procs = {k: storescu(t, port, sent[k][0], "DUP" + k.upper())
                 for k in ("a", "b")}
        got = {k: outcome(p) for k, p in procs.items()}
        final = os.path.join(root, inst + ".dcm")
        have = sha(stored_data_set(final))
        who = [k for k in ("a", "b") if sent[k][1] == have]
        check(len(who) == 1, "round %d: the file is neither object "
              "(interleaved?)" % r)
        if policy == "reject":
            check(got[who[0]] == "success" and
                  got["b" if who[0] == "a" else "a"] == "duplicate",
                  "round %d: stored %s, answers %r" % (r, who[0], got))
        else:
            check(got == {"a": "success", "b": "success"},
                  "round %d: answers %r" % (r, got))
        # Again, after success.
        third = outcome(storescu(t, port, sent["c"][0], "DUPC"))
        after = sha(stored_data_set(final))
        if policy == "overwrite":
            check(third == "success" and after == sent["c"][1],
                  "round %d: overwrite after success: %s" % (r, third))
        else:
            check(after == have, "round %d: the stored file changed" % r)
            check(third == ("duplicate" if policy == "reject" else
                            "success"), "round %d: third: %s" % (r, third))
        refused = list(got.values()).count("duplicate") + (
            third == "duplicate")
        dups += refused
        check(len(d.lines(r"duplicate .*%s\.dcm refused" % inst)) ==
              refused, "round %d: %d refusals, log lines %r" %
              (r, refused, d.lines(r"duplicate .*%s\.dcm" % inst)))
        extra = [f for f in files_under(root)
                 if not f.startswith(".dul-tmp" + os.sep) and
                 f != inst + ".dcm" and "87.%d." % r not in f and
                 not re.search(r"\.87\.\d+\.dcm$", f)]
        check(not extra, "unexpected files: %r" % extra)
    d.wait_children(0)
    check(not part_files(root), "temporary files left: %r" %
          part_files(root))
    check(dups == (2 * ROUNDS if policy == "reject" else 0),
          "%d refusals" % dups)
    clean_log(d)


def test_b087_same_uid_keep(t):
    dup_rounds(t, "keep")


def test_b087_same_uid_reject(t):
    dup_rounds(t, "reject")


def test_b087_same_uid_overwrite(t):
    dup_rounds(t, "overwrite")


def test_b089_free_space_reserve(t):
    """A reserve above the free space: A700, nothing written, one log
    line for several refusals; a small one (bytes, percent): stored."""
    root = store_root(t, "reserve")
    sv = os.statvfs(root)
    free = sv.f_bavail * sv.f_frsize
    big = "%dM" % (free // MIB + 1024)
    d, port = serve(t, "reserve-big", root, extra_args=("--min-free", big))
    a = StoreAssoc(port, calling="FULL")
    for i in range(4):
        u = "2.25.%d.89.%d" % (os.getpid(), i)
        st, comment = a.store(u, dataset(u, 3000, seed=i))
        check(st == STATUS_OUT_OF_RESOURCES and "reserve" in comment,
              "object %d: %04x %r" % (i, st, comment))
    check(a.echo() == STATUS_SUCCESS, "C-ECHO under the reserve")
    a.release()
    d.wait_children(0)
    check(not files_under(root), "written below the reserve: %r" %
          files_under(root))
    lines = d.lines(r"below the reserve of")
    check(len(lines) == 1, "%d reserve log lines for 4 refusals" %
          len(lines))
    clean_log(d)
    d.stop()
    for reserve in ("1M", "1%"):
        d, port = serve(t, "reserve-" + reserve.strip("%"), root,
                        extra_args=("--min-free", reserve))
        a = StoreAssoc(port, calling="ROOMY")
        u = "2.25.%d.89.%s" % (os.getpid(), "9" if "%" in reserve else "8")
        ds = dataset(u, 3000, seed=8)
        st, comment = a.store(u, ds)
        check(st == STATUS_SUCCESS, "--min-free %s: %04x %s" %
              (reserve, st, comment))
        a.release()
        d.wait_children(0)
        check(sha(stored_data_set(os.path.join(root, u + ".dcm"))) ==
              sha(ds), "not stored whole")
        clean_log(d)
        d.stop()


def nested_sequences(inst, depth):
    """An implicit VR LE data set with depth nested sequences of
    undefined length (about 32 bytes a level)."""
    head = dulpeer.dataset([(0x0008, 0x0016, SC_CLASS.encode()),
                            (0x0008, 0x0018, inst.encode())])
    undef = 0xFFFFFFFF
    opening = (struct.pack("<HHI", 0x0040, 0xA730, undef) +
               struct.pack("<HHI", 0xFFFE, 0xE000, undef))
    closing = (struct.pack("<HHI", 0xFFFE, 0xE00D, 0) +
               struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
    return head + opening * depth + closing * depth


def deflate_bomb(inst, inflated):
    """A Deflated Explicit VR LE data set (raw deflate, PS3.5 A.5) that
    inflates to more than inflated bytes, mostly zero pixel data."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [z.compress(
        dcmgen.element(0x0008, 0x0016, "UI", SC_CLASS, True) +
        dcmgen.element(0x0008, 0x0018, "UI", inst, True) +
        struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, inflated))]
    block = b"\0" * (4 * MIB)
    for _ in range(inflated // len(block)):
        out.append(z.compress(block))
    out.append(z.flush())
    blob = b"".join(out)
    return blob + (b"\0" if len(blob) % 2 else b"")


def lying_length(inst):
    """About 1 KB, with (0010,0010) claiming 0xFFFFFFF0 bytes."""
    head = dulpeer.dataset([(0x0008, 0x0016, SC_CLASS.encode()),
                            (0x0008, 0x0018, inst.encode())])
    return (head + struct.pack("<HHI", 0x0010, 0x0010, 0xFFFFFFF0) +
            b"X" * 900)


def hostile_assoc(port, ts):
    """A storage association whose context 3 offers only ts."""
    p = dulpeer.Peer("127.0.0.1", port, timeout=30)
    p.send(dulpeer.assoc_rq(called="STORESCP", calling="HOSTILE",
                            contexts=[(3, SC_CLASS, [ts])]))
    ty, body = p.recv_pdu()
    check(ty == dulpeer.A_ASSOCIATE_AC, "type %d" % ty)
    ac = dulpeer.parse_ac(body)
    check(ac["contexts"].get(3, (1,))[0] == 0, "%s refused" % ts)
    a = StoreAssoc.__new__(StoreAssoc)
    a.peer, a.msg_id = p, 0
    a.frag = (ac["max_len"] - 6) & ~1
    return a


def test_b081_b082_b083_hostile_data_sets(t):
    """Each hostile data set: 0000, stored bit for bit (the bomb still
    deflated), the worker's and handler's peak RSS small."""
    root = store_root(t, "hostile")
    cap = 4 * MIB
    d, port = serve(t, "hostile", root,
                    extra_args=("--max-object-size", "%d" % cap))
    pid = os.getpid()
    cases = [
        ("nested", dulpeer.IMPLICIT_LE, "2.25.%d.81" % pid,
         lambda u: nested_sequences(u, 1100)),
        ("bomb", DEFLATED_LE, "2.25.%d.82" % pid,
         lambda u: deflate_bomb(u, 1024 * MIB)),
        ("lying", dulpeer.IMPLICIT_LE, "2.25.%d.83" % pid, lying_length),
    ]
    limit = 160 * MIB
    for name, ts, u, make in cases:
        ds = make(u)
        check(len(ds) < cap, "%s: %d bytes, over the cap" % (name, len(ds)))
        a = hostile_assoc(port, ts)
        st, comment = a.store(u, ds, timeout=60)
        check(st == STATUS_SUCCESS, "%s: %04x %s" % (name, st, comment))
        workers = [w for w, _ in d.children()]
        handlers = handlers_of(root)
        check(len(workers) == 1 and len(handlers) == 1,
              "%s: workers %r handlers %r" % (name, workers, handlers))
        rss = {"worker": peak_rss(workers[0]),
               "handler": peak_rss(handlers[0])}
        print("# %s: %d bytes sent, peak RSS worker %.1f MiB, handler "
              "%.1f MiB" % (name, len(ds), rss["worker"] / MIB,
                            rss["handler"] / MIB))
        for who, v in rss.items():
            check(v < limit, "%s: %s peak RSS %d MiB" % (name, who,
                                                         v // MIB))
        a.release()
        d.wait_children(0)
        stored = os.path.join(root, u + ".dcm")
        check(stored_data_set(stored) == ds, "%s: not stored bit for bit"
              % name)
        meta = dcmgen.split_part10(open(stored, "rb").read())[0]
        check(meta.get((0x0002, 0x0010)) == ts, "%s: transfer syntax %r" %
              (name, meta.get((0x0002, 0x0010))))
    # The cap counts the bytes that came, never a declared length: a
    # 5 MiB data set whose first element claims a few bytes is refused.
    a = hostile_assoc(port, dulpeer.IMPLICIT_LE)
    u = "2.25.%d.83.2" % pid
    ds = lying_length(u)[:-900] + b"Y" * (5 * MIB)
    st, comment = a.store(u, ds, timeout=60)
    check(st == STATUS_OUT_OF_RESOURCES and "larger than" in comment,
          "over the cap: %04x %r" % (st, comment))
    u2 = u + ".1"
    st, comment = a.store(u2, lying_length(u2))
    check(st == STATUS_SUCCESS, "after the cap: %04x %s" % (st, comment))
    a.release()
    d.wait_children(0)
    check(not os.path.exists(os.path.join(root, u + ".dcm")),
          "the refused object was stored")
    check(not part_files(root), "temporary files: %r" % part_files(root))
    clean_log(d)


def main():
    t = Test("storecases")
    tests = [test_b120_sweep_spares_live_temporary,
             test_b089_free_space_reserve,
             test_b081_b082_b083_hostile_data_sets]
    if shutil.which("storescu"):
        tests += [test_b087_same_uid_keep, test_b087_same_uid_reject,
                  test_b087_same_uid_overwrite]
    else:
        print("# SKIP case 87: storescu not found")
    t.main(tests)


if __name__ == "__main__":
    main()
