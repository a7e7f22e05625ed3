#!/usr/bin/env python3
"""dul-store-scp when the disk fails it (robustness battery cases 88 to
92): no space from write, fsync, link or rename (injected, DUL_FAULT in
builds configured with --enable-fault-injection), a real file system
filled up (a 2 MiB tmpfs, when mount is permitted), an I/O error from
fsync, a file size limit, a storage root made read-only.

Every refused object is answered A700 with an Error Comment and never
0000; nothing of it stays, under its final name or a temporary one; the
association goes on and a later C-STORE succeeds once the cause is gone,
except after an I/O error, when the handler aborts the association
(case 91).  The master and a second association are not disturbed.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import ROOT, Test, check, free_port  # noqa: E402
from dulstore import (STATUS_OUT_OF_RESOURCES, STATUS_SUCCESS,  # noqa: E402
                      StoreAssoc, clean_log, dataset, fault_build,
                      files_under, part_files, sha, store_ae, store_handler,
                      store_root, stored_data_set)


def uid(tag, i):
    return "2.25.%d.%d.%d" % (os.getpid(), tag, i)


def stored(root):
    """{uid: data set hash} of what the store holds."""
    out = {}
    for f in files_under(root):
        check(f.endswith(".dcm"), "unexpected file %r" % f)
        out[os.path.basename(f)[:-4]] = sha(stored_data_set(
            os.path.join(root, f)))
    return out


def serve(t, name, handler, root, extra_args=()):
    """A master with one storage AE and an echo AE; its port."""
    port = free_port()
    d = t.start(name, t.conf(port, aes=[
        store_ae("STORESCP", handler, root, extra_args=extra_args)]))
    return d, port


def expect_sequence(t, name, rules, statuses, extra_args=(), size=3000):
    """Store len(statuses) objects in one association whose handler runs
    with rules; check each answer, then what the store holds."""
    root = store_root(t, name)
    d, port = serve(t, name, store_handler(t, name, rules), root,
                    extra_args)
    other = StoreAssoc(port, calling="OTHER")
    a = StoreAssoc(port, calling=name.upper()[:16])
    check(a.type == dulpeer.A_ASSOCIATE_AC, "type %d" % a.type)
    want = {}
    for i, st in enumerate(statuses):
        u = uid(1, i)
        ds = dataset(u, size, seed=i)
        status, comment = a.store(u, ds)
        check(status == st, "object %d: status %04x (%s), wanted %04x" %
              (i, status, comment, st))
        if st == STATUS_SUCCESS:
            want[u] = sha(ds)
        else:
            check(comment, "object %d: A700 without an Error Comment" % i)
        check(not part_files(root), "temporary file after object %d: %r"
              % (i, part_files(root)))
    a.release()
    u = uid(2, 0)
    ds = dataset(u, size, seed=99)
    check(other.store(u, ds)[0] == STATUS_SUCCESS, "the other "
          "association's C-STORE")
    want[u] = sha(ds)
    other.release()
    d.wait_children(0)
    check(stored(root) == want, "stored %r, wanted %r" %
          (sorted(stored(root)), sorted(want)))
    check(d.lines(r"fault injected: .*(%s)" % "|".join(
        r.split(":")[0] for r in rules.split(","))),
          "the fault never fired")
    clean_log(d)
    return d


OK, FULL = STATUS_SUCCESS, STATUS_OUT_OF_RESOURCES


def test_b088_write_enospc(t):
    """write() of the data set fails: A700, later objects are stored.
    Each object is two writes: the file meta group, then the data set."""
    d = expect_sequence(t, "write", "write:4=ENOSPC", [OK, FULL, OK])
    check(d.lines(r"write: No space left on device"), "no reason logged")


def test_b088_fsync_file_enospc(t):
    """fsync() of the file fails (delayed allocation: ENOSPC)."""
    expect_sequence(t, "fsyncf", "fsync:3=ENOSPC", [OK, FULL, OK])


def test_b088_fsync_dir_enospc(t):
    """fsync() of the directory fails after the link: the name made is
    taken back, so nothing of the object stays."""
    expect_sequence(t, "fsyncd", "fsync:4=ENOSPC", [OK, FULL, OK])


def test_b088_link_enospc(t):
    """link() into place fails (--duplicates keep)."""
    expect_sequence(t, "link", "link:2=ENOSPC", [OK, FULL, OK])


def test_b088_rename_enospc(t):
    """rename() into place fails (--duplicates overwrite)."""
    expect_sequence(t, "rename", "rename:2=ENOSPC", [OK, FULL, OK],
                    extra_args=("--duplicates", "overwrite"))


def test_b091_fsync_eio_aborts(t):
    """fsync() fails with EIO: A700, then the handler aborts (policy:
    the file system's state is unknown); the object is not stored."""
    root = store_root(t, "eio")
    d, port = serve(t, "eio", store_handler(t, "eio", "fsync:3=EIO"), root)
    a = StoreAssoc(port, calling="EIO")
    u0, u1 = uid(3, 0), uid(3, 1)
    ds0 = dataset(u0, 2000, seed=1)
    check(a.store(u0, ds0)[0] == OK, "first object")
    status, comment = a.store(u1, dataset(u1, 2000, seed=2))
    check(status == FULL and "Input/output error" in comment,
          "status %04x %r" % (status, comment))
    try:
        ty, body = a.peer.recv_pdu(timeout=10)
        check(ty == dulpeer.A_ABORT and body[2:4] == bytes([0, 0]),
              "after the A700: type %d %r" % (ty, body[:4]))
    finally:
        a.close()
    d.wait_log(r'calling="EIO" called="STORESCP" outcome=aborted')
    d.wait_children(0)
    check(stored(root) == {u0: sha(ds0)}, "stored %r" % stored(root))
    check(not part_files(root), "temporary files %r" % part_files(root))
    check(d.lines(r"I/O error: aborting the association"), "no log line")
    clean_log(d)


def test_b090_file_size_limit(t):
    """RLIMIT_FSIZE: SIGXFSZ is ignored, write() fails with EFBIG, the
    object gets A700, smaller ones go on being stored."""
    root = store_root(t, "fsize")
    wrapper = t.path("fsize.sh")
    with open(wrapper, "w") as f:
        # dash counts ulimit -f in 512-byte blocks: 64 KiB.
        f.write("#!/bin/sh\nulimit -f 128\nexec '%s' \"$@\"\n" %
                t.store_scp)
    os.chmod(wrapper, 0o755)
    d, port = serve(t, "fsize", wrapper, root)
    a = StoreAssoc(port, calling="FSIZE")
    want = {}
    for i, (size, st) in enumerate(((1000, OK), (200000, FULL),
                                    (30000, OK))):
        u = uid(4, i)
        ds = dataset(u, size, seed=i)
        status, comment = a.store(u, ds)
        check(status == st, "object %d: %04x %s" % (i, status, comment))
        if st == OK:
            want[u] = sha(ds)
    a.release()
    d.wait_children(0)
    check(stored(root) == want, "stored %r" % sorted(stored(root)))
    check(not part_files(root), "temporary files %r" % part_files(root))
    check(d.lines(r"File too large"), "EFBIG not logged")
    clean_log(d)


def test_b092_store_read_only(t):
    """The storage root becomes read-only while running: A700 for every
    C-STORE, with a log line, until it is writable again."""
    root = store_root(t, "ro")
    d, port = serve(t, "ro", t.store_scp, root)
    a = StoreAssoc(port, calling="RO")
    u0 = uid(5, 0)
    ds0 = dataset(u0, 3000, seed=0)
    check(a.store(u0, ds0)[0] == OK, "before")
    mode = os.stat(root).st_mode
    os.chmod(root, 0o555)
    try:
        for i in (1, 2):
            u = uid(5, i)
            status, comment = a.store(u, dataset(u, 3000, seed=i))
            check(status == FULL and "denied" in comment,
                  "read-only: %04x %r" % (status, comment))
    finally:
        os.chmod(root, mode)
    u3 = uid(5, 3)
    ds3 = dataset(u3, 3000, seed=3)
    check(a.store(u3, ds3)[0] == OK, "writable again")
    a.release()
    d.wait_children(0)
    check(stored(root) == {u0: sha(ds0), u3: sha(ds3)}, "stored %r" %
          sorted(stored(root)))
    # "file:" when the temporary cannot be made, "commit:" when only the
    # final name can not (the temporaries' directory stays writable).
    check(len(d.lines(r"(file|commit): .*Permission denied")) == 2,
          "one line per refused object")
    clean_log(d)


def mount_tmpfs(path, size):
    """Mount a tmpfs of size bytes for the workers' account; False when
    that is not permitted here."""
    os.makedirs(path, exist_ok=True)
    opts = "size=%d,mode=0755" % size
    if ROOT:
        opts += ",uid=65534,gid=65534"
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs",
                            path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def umount(path):
    subprocess.run(["umount", path], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=30)


def test_b088_disk_full_tmpfs(t):
    """A real file system fills up mid-object (a 2 MiB tmpfs): A700 and
    nothing left of the object; once a stored file is removed, the same
    association stores again."""
    root = t.path("tmpfs")
    if not ROOT or not mount_tmpfs(root, 2 << 20):
        print("# SKIP test_b088_disk_full_tmpfs: cannot mount a tmpfs "
              "(needs root)")
        return
    try:
        d, port = serve(t, "tmpfs", t.store_scp, root)
        a = StoreAssoc(port, calling="TMPFS")
        want = {}
        full = None
        for i in range(8):
            u = uid(6, i)
            ds = dataset(u, 600000, seed=i)
            status, comment = a.store(u, ds)
            if status == FULL:
                full = u
                check("No space left on device" in comment,
                      "A700 comment %r" % comment)
                break
            check(status == OK, "object %d: %04x %s" % (i, status,
                                                       comment))
            want[u] = sha(ds)
        check(full is not None and len(want) >= 2,
              "the 2 MiB file system never filled (%d stored)" % len(want))
        check(not part_files(root), "temporary files %r" %
              part_files(root))
        check(stored(root) == want, "after the A700: %r" %
              sorted(stored(root)))
        first = sorted(want)[0]
        os.unlink(os.path.join(root, first + ".dcm"))
        del want[first]
        ds = dataset(full, 600000, seed=42)
        status, comment = a.store(full, ds)
        check(status == OK, "after space came back: %04x %s" %
              (status, comment))
        want[full] = sha(ds)
        a.release()
        d.wait_children(0)
        check(stored(root) == want, "at the end: %r" % sorted(stored(root)))
        check(not part_files(root), "temporary files %r" %
              part_files(root))
        clean_log(d)
        d.stop()
    finally:
        umount(root)


def main():
    t = Test("storefaults")
    tests = [test_b090_file_size_limit, test_b092_store_read_only,
             test_b088_disk_full_tmpfs]
    if fault_build():
        tests = [test_b088_write_enospc, test_b088_fsync_file_enospc,
                 test_b088_fsync_dir_enospc, test_b088_link_enospc,
                 test_b088_rename_enospc, test_b091_fsync_eio_aborts] + tests
    else:
        print("# SKIP the injected faults: built without "
              "--enable-fault-injection")
    t.main(tests)


if __name__ == "__main__":
    main()
