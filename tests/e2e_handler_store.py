#!/usr/bin/env python3
"""C-STORE through dulserverd to the shipped storage handlers, with DCMTK.

The test generates a few hundred objects (CT, MR, Secondary Capture and
Ultrasound; Implicit and Explicit VR Little Endian; from a few hundred
bytes to 64 MiB), sends them with storescu through dulserverd (under
socat, as `dulserverd -i`) to dul-store-scp and to
examples/python/dul_store_scp.py, and checks that every object arrived:
one file per object, accepted by dcmdump, with the File Meta Information
naming its SOP class, instance and transfer syntax, and a data set
identical byte for byte to the one sent.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))
import dcmgen  # noqa: E402
import dulsrv  # noqa: E402
from dulsrv import check  # noqa: E402

SMALL_OBJECTS = 200
SMALL_SIZES = (0, 300, 700, 2000, 6000, 20000, 60000, 150000)
LARGE_SIZES = (1 << 20, (5 << 20) + 4, 16 << 20, 64 << 20)
CLASSES = (dcmgen.CT, dcmgen.MR, dcmgen.SC, dcmgen.US)
SYNTAXES = (dcmgen.IMPLICIT_LE, dcmgen.EXPLICIT_LE)


def generate(env):
    """Write the objects; return [(path, class, TS, instance, data set
    length, data set hash)] without keeping data sets in memory."""
    import hashlib
    d = env.path("sent")
    os.mkdir(d)
    objs = []
    sizes = [SMALL_SIZES[i % len(SMALL_SIZES)] for i in range(SMALL_OBJECTS)]
    sizes += LARGE_SIZES
    for i, size in enumerate(sizes):
        cls = CLASSES[i % len(CLASSES)]
        ts = SYNTAXES[(i // len(CLASSES)) % len(SYNTAXES)]
        p = os.path.join(d, "obj%03d.dcm" % i)
        inst, ds = dcmgen.write_object(p, cls, ts, size, seed=i + 1,
                                       number=i + 1)
        objs.append((p, cls, ts, inst, len(ds),
                     hashlib.sha256(ds).hexdigest()))
    check(min(os.path.getsize(o[0]) for o in objs) < 1024,
          "no object under 1 KiB")
    check(max(os.path.getsize(o[0]) for o in objs) >= 64 << 20,
          "no object of 64 MiB")
    return objs


def dcmdump_ok(paths):
    """dcmdump must read every file (in batches, then one by one)."""
    bad = []
    for i in range(0, len(paths), 60):
        batch = paths[i:i + 60]
        rc, _ = dulsrv.run_tool(["dcmdump", "-q"] + batch, timeout=120)
        if rc == 0:
            continue
        for p in batch:
            rc, out = dulsrv.run_tool(["dcmdump", "-q", p], timeout=60)
            if rc != 0:
                bad.append("%s: %s" % (p, out.strip()[:200]))
    check(not bad, "dcmdump refused:\n" + "\n".join(bad))


def verify(root, objs):
    """Every object stored once, bit for bit, with the right meta."""
    import hashlib
    names = sorted(n for n in os.listdir(root) if not n.startswith("."))
    want = sorted(o[3] + ".dcm" for o in objs)
    check(names == want, "stored files differ: %d stored, %d sent; "
          "extra %s, missing %s" % (len(names), len(want),
                                     sorted(set(names) - set(want))[:5],
                                     sorted(set(want) - set(names))[:5]))
    for path, cls, ts, inst, dslen, dshash in objs:
        with open(os.path.join(root, inst + ".dcm"), "rb") as f:
            blob = f.read()
        meta, ds = dcmgen.split_part10(blob)
        check(meta.get((0x0002, 0x0002)) == cls,
              "%s: media storage SOP class %r" % (path, meta.get((2, 2))))
        check(meta.get((0x0002, 0x0003)) == inst,
              "%s: media storage SOP instance" % path)
        check(meta.get((0x0002, 0x0010)) == ts,
              "%s: transfer syntax %r, sent %s" %
              (path, meta.get((2, 0x10)), ts))
        check(len(ds) == dslen and
              hashlib.sha256(ds).hexdigest() == dshash,
              "%s: data set differs (%d bytes stored, %d sent)" %
              (path, len(ds), dslen))
    dcmdump_ok([os.path.join(root, n) for n in names])


def store(env, port, calling, called, objs):
    """Send every object on one association with storescu."""
    rc, out = dulsrv.run_tool(
        ["storescu", "-to", "10", "-ta", "10", "-td", "120", "-R",
         "-aet", calling, "-aec", called, "127.0.0.1", str(port)] +
        [o[0] for o in objs], timeout=300)
    check(rc == 0, "storescu exited %d:\n%s" % (rc, out[-3000:]))


def main():
    env = dulsrv.Env("store")
    env.require("storescu", "dcmdump")
    objs = generate(env)
    root_c = env.handler_dir("root-c")
    root_py = env.handler_dir("root-py")
    entries = [dulsrv.ae_entry(
        "STORESCP", env.store_scp, ["--root", root_c, "--layout", "flat"],
        contexts=[("verification", "uncompressed"),
                  ("storage", "uncompressed")])]
    if env.python is not None:
        h, a = env.python_handler(os.path.join(env.pydir,
                                               "dul_store_scp.py"),
                                  "--root", root_py, "--layout", "flat")
        entries.append(dulsrv.ae_entry(
            "PYSTORE", h, a, contexts=[("verification", "uncompressed"),
                                       ("storage", "uncompressed")]))
    port = dulsrv.free_port()
    srv = dulsrv.Server(env, "store", dulsrv.config(
        port, entries, timeouts="handler = 10; handler_exit = 5;"), port)

    def c_handler():
        store(env, port, "STORE_C", "STORESCP", objs)
        s = srv.summary("STORE_C", timeout=60)
        check(s["outcome"] == "released" and s["handler"] == "0",
              s["line"])
        check(int(s["bytes_in"]) > sum(o[4] for o in objs),
              "bytes_in %s" % s["line"])
        verify(root_c, objs)

    def py_handler():
        if env.python is None:
            print("note: no Python usable as a handler; skipped")
            return
        store(env, port, "STORE_PY", "PYSTORE", objs)
        s = srv.summary("STORE_PY", timeout=60)
        check(s["outcome"] == "released" and s["handler"] == "0",
              s["line"])
        verify(root_py, objs)

    env.run("storescu %d objects -> dul-store-scp" % len(objs), c_handler)
    env.run("storescu %d objects -> dul_store_scp.py" % len(objs),
            py_handler)
    env.finish()


if __name__ == "__main__":
    main()
