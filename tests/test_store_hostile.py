#!/usr/bin/env python3
"""Hostile identifiers write nothing outside the storage root (robustness
battery cases 84 and 85, goal G10).

10,000 Affected SOP Instance UIDs go to dul-store-scp in C-STORE-RQs:
path traversal ("../../x", "..\\x", "a/../../x", encoded forms),
absolute paths ("/tmp/x", "/etc/cron.d/x"), ".", "..", empty, NUL
inside, padding that is not a trailing NUL, overlong, non-ASCII, shell
metacharacters, control characters, and random mixtures of these, with
a few valid UIDs among them.  Every invalid one must be refused with a
failure status (0117) and leave nothing; every valid one is stored under
its own name.  Then hostile calling AE titles under the calling,
calling/date and date/calling layouts: each is refused at association
time or stored under its safe directory name, below the root.

Nothing may appear anywhere else: the whole scratch directory (the root
sits four levels down in it, so that "../" lands somewhere watched) is
compared before and after, and the directories anyone may write in
(/tmp, /var/tmp, /dev/shm) must hold no name with this run's marker.
Run as root, the handlers run as nobody, who can write nowhere else.
"""

import os
import random
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import ROOT, Test, check, free_port  # noqa: E402
from dulstore import (STATUS_INVALID_INSTANCE, STATUS_SUCCESS,  # noqa: E402
                      StoreAssoc, clean_log, dataset, files_under,
                      part_files, sha, store_ae, stored_data_set, summaries)

COUNT = int(os.environ.get("DUL_HOSTILE_COUNT", "10000"))
SENDERS = 4
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm")
UID_RE = re.compile(rb"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")


def marker():
    return "zq%dh" % os.getpid()


def uid_valid(value):
    """What dul-store-scp must make of the value as sent (PS3.5 9.1:
    trailing NUL padding removed, at most 64 bytes, digits and dots, no
    empty component, no leading zero)."""
    v = value + (b"\0" if len(value) % 2 else b"")
    v = v.rstrip(b"\0")
    return 0 < len(v) <= 64 and b"\0" not in v and bool(UID_RE.fullmatch(v))


def hostile_uids(n, mark):
    """n distinct hostile values (bytes), with some valid ones."""
    m = mark.encode()
    fixed = [b"", b".", b"..", b"...", b" ", b"  ", b"/", b"\\", b"//",
             b"../", b"..\\", b"./", b"~", b"*", b"?", b"-rf", b"-",
             b"1.2.3 ", b" 1.2.3", b"1.2.3\0", b"1.2.3\0\0\0",
             b"1.2\0.3", b"\0" + b"1.2.3", b"1..2", b".1.2", b"1.2.",
             b"01.2", b"1.02", b"0.0", b"1.2.840.10008.1.1",
             b"9" * 64, b"9" * 65, b"1." * 40 + b"1", b"1" * 200,
             b"/etc/cron.d/" + m, b"/tmp/" + m, b"//tmp//" + m,
             b"\\tmp\\" + m, b"../../../../../../../../tmp/" + m,
             b"$(touch /tmp/" + m + b")", b"`touch /tmp/" + m + b"`",
             b"1.2;touch /tmp/" + m, b"1.2|" + m, b"1.2\n" + m,
             b"1.2\r\n" + m, b"%2e%2e%2f" + m, b"..%2f" + m,
             b"..%00/" + m, b"\xc0\xae\xc0\xae/" + m,
             b"\xe2\x80\xa4\xe2\x80\xa4/" + m, b"1.2/3", b"1.2\\3",
             b"a/b", b"a\\b", b"C:\\" + m, b"\x1b[31m" + m, b"\x7f" + m,
             b"\xff\xfe" + m]
    rng = random.Random(84)
    parts = [b"../", b"..\\", b"./", b"/", b"\\", b"..", b".", b"\0",
             b" ", m, b"1", b"2", b"0", b"9.", b"1.2.3", b"%2f", b"\n",
             b"\xff", b"$", b";", b"*", b"~"]
    out, seen = [], set()

    def add(v):
        # Valid values that name the same file would be duplicates.
        key = (v + b"\0").rstrip(b"\0") if uid_valid(v) else v
        if key not in seen and len(v) <= 300:
            seen.add(key)
            out.append(v)
    for v in fixed:
        add(v)
    i = 0
    while len(out) < n:
        i += 1
        kind = (0, 0, 1, 1, 2, 2, 2, 3, 3, 4)[i % 10]
        if kind == 0:
            v = b"../" * rng.randint(1, 9) + m + b"%d" % i
        elif kind == 1:
            v = rng.choice((b"/tmp/", b"/var/tmp/", b"/dev/shm/",
                            b"/etc/", b"//", b"\\")) + m + b"%d" % i
        elif kind == 2:
            v = b"".join(rng.choice(parts)
                         for _ in range(rng.randint(1, 12)))
        elif kind == 3:
            v = b"1.2.%d" % i + rng.choice((b"/", b"\\", b"/..", b" ",
                                            b"\0x", b"\n", b"."))
        else:
            # Valid or nearly valid: digits and dots, sometimes too long.
            v = b".".join(b"%d" % rng.randint(0, 99999)
                          for _ in range(rng.randint(1, 16)))
        add(v)
    return out


def snapshot(top, skip):
    """Every path below top, except below skip, with its size for files
    (logs grow, so *.log files are kept by name only)."""
    out = {}
    for dp, dirs, fs in os.walk(top):
        if os.path.abspath(dp) == skip:
            dirs[:] = []
            continue
        for f in fs + dirs:
            p = os.path.join(dp, f)
            if os.path.abspath(p) == skip:
                continue
            out[p] = None if p.endswith(".log") or os.path.isdir(p) else \
                os.path.getsize(p)
    return out


def marked(mark):
    """Names with the run's marker in the directories anyone can write."""
    out = []
    for d in WORLD_WRITABLE:
        try:
            for f in os.listdir(d):
                if mark in f:
                    out.append(os.path.join(d, f))
        except OSError:
            pass
    return out


class Sender(threading.Thread):
    """Sends its share of the values, one C-STORE each, on one or more
    associations; records each answer."""

    def __init__(self, port, n, values):
        threading.Thread.__init__(self, daemon=True)
        self.port, self.n, self.values = port, n, values
        self.results = {}
        self.error = None

    def run(self):
        try:
            a = StoreAssoc(self.port, calling="HOSTILE%d" % self.n)
            check(a.type == dulpeer.A_ASSOCIATE_AC, "type %d" % a.type)
            for j, v in enumerate(self.values):
                ds = dataset(b"1.2.3", 64, seed=j)
                status, comment = a.store(v, ds)
                self.results[v] = (status, comment, sha(ds))
            a.release()
        except Exception as e:  # noqa: BLE001 -- reported by the test
            self.error = "%s: %s" % (type(e).__name__, e)


def test_b084_hostile_sop_instance_uids(t):
    """10,000 hostile SOP Instance UIDs: each invalid one refused with
    0117, each valid one stored under its name, nothing elsewhere."""
    port = free_port()
    mark = marker()
    root = os.path.join(t.work, "sandbox", "a", "b", "c", "store")
    os.makedirs(root)
    if ROOT:
        os.chown(root, 65534, 65534)
    d = t.start("uids", t.conf(port, aes=[store_ae("STORESCP", t.store_scp,
                                                   root)]))
    before = snapshot(t.work, root)
    marked_before = marked(mark)
    values = hostile_uids(COUNT, mark)
    senders = [Sender(port, k, values[k::SENDERS]) for k in range(SENDERS)]
    t0 = time.monotonic()
    for s in senders:
        s.start()
    for s in senders:
        s.join(600)
        check(not s.is_alive(), "sender %d is stuck" % s.n)
        check(s.error is None, "sender %d: %s" % (s.n, s.error))
    elapsed = time.monotonic() - t0
    d.wait_children(0)
    results = {}
    for s in senders:
        results.update(s.results)
    check(len(results) == len(values), "%d answers for %d values" %
          (len(results), len(values)))
    want = {}
    bad = []
    for v, (status, comment, h) in results.items():
        if uid_valid(v):
            name = (v + b"\0").rstrip(b"\0").decode() + ".dcm"
            if status != STATUS_SUCCESS:
                bad.append("valid %r: %04x %s" % (v, status, comment))
            want[name] = h
        elif status != STATUS_INVALID_INSTANCE:
            bad.append("invalid %r: %04x %s" % (v, status, comment))
    check(not bad, "%d wrong answers:\n%s" % (len(bad), "\n".join(bad[:20])))
    nvalid = len(want)
    check(nvalid >= 100 and len(values) - nvalid >= 0.9 * len(values),
          "%d valid among %d: not hostile enough" % (nvalid, len(values)))
    got = {f: sha(stored_data_set(os.path.join(root, f)))
           for f in files_under(root)}
    check(set(got) == set(want), "stored files differ: extra %r, missing "
          "%r" % (sorted(set(got) - set(want))[:5],
                  sorted(set(want) - set(got))[:5]))
    check(got == want, "a stored file differs from its data set")
    after = snapshot(t.work, root)
    check(after == before, "written outside the root: %r" %
          sorted(set(after.items()) ^ set(before.items()))[:10])
    check(marked(mark) == marked_before, "written in a public directory: "
          "%r" % marked(mark))
    check(len(summaries(d)) == SENDERS, "summary lines: %d" %
          len(summaries(d)))
    print("# %d values (%d valid) in %.1f s" % (len(values), nvalid,
                                                 elapsed))
    clean_log(d)


HOSTILE_AES = [b"../../" + b"x", b"..", b".", b"/", b"\\", b"a/b", b"a\\b",
               b"-rf", b" LEADING", b"..\\..\\x", b"/etc/cron.d", b"~root",
               b"$(id)", b"*", b"a b", b"\xe9t\xe9", b"\x01CTRL",
               b"TRAILING.", b".HIDDEN", b"%2e%2e"]


def ae_dirname(title):
    """What dul-store-scp makes of a calling AE title as a directory."""
    t = title.strip(b" ")
    out = bytearray()
    for c in t:
        ok = (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5a or 0x61 <= c <= 0x7a or
              c == 0x5f or (c == 0x2d and out))
        out.append(c if ok else 0x5f)
    return out.decode() or "_"


def test_b085_hostile_calling_ae_titles(t):
    """Hostile calling AE titles under the calling/* layouts: refused,
    or stored under their safe directory name below the root."""
    port = free_port()
    mark = marker()
    base = os.path.join(t.work, "aesandbox", "a", "b")
    roots = {}
    aes = []
    for layout in ("calling", "calling/date", "date/calling"):
        title = "S" + layout.replace("/", "").upper()[:15]
        roots[title] = os.path.join(base, title, "store")
        os.makedirs(roots[title])
        if ROOT:
            os.chown(roots[title], 65534, 65534)
        aes.append(store_ae(title, t.store_scp, roots[title],
                            layout=layout))
    d = t.start("aes", t.conf(port, aes=aes))
    snap_before = {p: s for p, s in snapshot(t.work, None).items()
                   if not any(p.startswith(r) for r in roots.values())}
    stored_any = refused = 0
    for title, root in sorted(roots.items()):
        for i, calling in enumerate(HOSTILE_AES):
            p = dulpeer.Peer("127.0.0.1", port, timeout=20)
            p.send(dulpeer.assoc_rq(
                called=title, calling=calling,
                contexts=[(3, "1.2.840.10008.5.1.4.1.1.7",
                           [dulpeer.IMPLICIT_LE])]))
            ty, body = p.recv_pdu()
            if ty == dulpeer.A_ASSOCIATE_RJ:
                p.close()
                refused += 1
                continue
            check(ty == dulpeer.A_ASSOCIATE_AC, "%r: type %d" %
                  (calling, ty))
            a = StoreAssoc.__new__(StoreAssoc)
            a.peer, a.msg_id = p, 0
            a.frag = (dulpeer.parse_ac(body)["max_len"] - 6) & ~1
            u = "2.25.%d.85.%d" % (os.getpid(), i)
            ds = dataset(u, 500, seed=i)
            status, comment = a.store(u, ds)
            check(status == STATUS_SUCCESS, "%r: %04x %s" %
                  (calling, status, comment))
            a.release()
            hits = [f for f in files_under(root) if f.endswith(u + ".dcm")]
            check(len(hits) == 1, "%r under %s: %r" % (calling, title,
                                                        hits))
            parts = hits[0].split(os.sep)
            want = ae_dirname(calling)
            check(want in parts[:-1], "%r stored as %r, not in %r" %
                  (calling, hits[0], want))
            for c in parts:
                check(c not in ("", ".", "..") and "/" not in c and
                      "\\" not in c, "component %r" % c)
            stored_any += 1
    check(stored_any >= len(roots) * 10, "only %d stored" % stored_any)
    print("# %d hostile calling AE titles stored, %d refused" %
          (stored_any, refused))
    d.wait_children(0)
    after = {p: s for p, s in snapshot(t.work, None).items()
             if not any(p.startswith(r) for r in roots.values())}
    check(after == snap_before, "written outside the roots: %r" %
          sorted(set(after.items()) ^ set(snap_before.items()))[:10])
    check(not marked(mark), "written in a public directory")
    for root in roots.values():
        check(not part_files(root), "temporary files in %s" % root)
    clean_log(d)


def main():
    t = Test("hostile")
    t.main([test_b084_hostile_sop_instance_uids,
            test_b085_hostile_calling_ae_titles])


if __name__ == "__main__":
    main()
