#!/usr/bin/env python3
"""P-DATA bodies spliced from the socket to the handler's pipe.

The worker moves a P-DATA-TF body of LINK_SPLICE_MIN (4096) bytes or more
from the socket into a pipe of its own and from there to the handler's
fd 3 with splice(2), reading only the PDU and PDV headers itself.  These
tests hold it to the same behaviour as the copying path:

- data sets sent in large PDUs of several PDVs each, mixed with small
  ones, are stored byte for byte;
- a large PDU trickled in many small TCP segments (more pieces than the
  pipe has slots, so the worker falls back to reading it into memory
  part way through) is stored byte for byte;
- a malformed PDV (an even context ID, a length past the PDU, a header cut
  short by the end of the PDU), or a PDV on a context not accepted, in
  the second PDV of a large PDU gets exactly the A-ABORT that the same
  fault gets in a small PDU, which is never spliced;
- a peer that closes inside a large PDU stores nothing and leaves no
  temporary file, as inside a small one.
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))

import dulpeer  # noqa: E402
from dulmaster import Test, check, free_port  # noqa: E402
from dulstore import (STATUS_SUCCESS, StoreAssoc, clean_log,  # noqa: E402
                      c_store_rq, dataset, files_under, part_files, sha,
                      store_ae, store_root, stored_data_set)

BIG = 16000        # a P-DATA-TF body the worker splices
SMALL = 1000       # one it reads into memory


def start(t, name):
    port = free_port()
    root = store_root(t, name)
    d = t.start(name, t.conf(port, aes=[store_ae("STORESCP", t.store_scp,
                                                 root)]))
    return d, port, root


def raw_pdata(items):
    """A P-DATA-TF PDU of raw PDV items."""
    return dulpeer.pdu(dulpeer.P_DATA_TF, b"".join(items))


def stored_one(root, instance):
    """The data set stored for instance, or None."""
    for f in files_under(root):
        if instance in f:
            return stored_data_set(os.path.join(root, f))
    return None


def test_big_pdus_of_several_pdvs_stored_intact(t):
    d, port, root = start(t, "multi")
    a = StoreAssoc(port)
    check(a.type == dulpeer.A_ASSOCIATE_AC, "not associated")
    inst = "1.2.826.0.1.3680043.2.1143.71.1"
    ds = dataset(inst, 200000, seed=3)
    a.msg_id += 1
    a.peer.send(dulpeer.pdata(dulpeer.pdv(3, 0x03,
                                          c_store_rq(inst, a.msg_id))))
    # PDUs of one to three PDVs, spliced (> 4096) and not, odd sizes.
    sizes = [7000, 2, 8000, 9000, 300, 16000, 1000, 1000, 12000, 4094]
    off, i = 0, 0
    while off < len(ds):
        items = []
        body = 0
        for _ in range(1 + i % 3):
            n = min(sizes[i % len(sizes)], len(ds) - off, 16000 - body)
            n &= ~1
            if n <= 0 and off < len(ds):
                break
            last = off + n >= len(ds)
            items.append(dulpeer.pdv(3, 0x02 if last else 0x00,
                                     ds[off:off + n]))
            body += n + 6
            off += n
            i += 1
            if last:
                break
        a.peer.send(raw_pdata(items))
    status, _ = a.response()
    check(status == STATUS_SUCCESS, "status %04x" % status)
    a.release()
    got = stored_one(root, inst)
    check(got is not None and sha(got) == sha(ds),
          "stored data set differs from the one sent")
    clean_log(d)


def test_trickled_pdu_falls_back_and_is_stored_intact(t):
    d, port, root = start(t, "trickle")
    a = StoreAssoc(port)
    check(a.type == dulpeer.A_ASSOCIATE_AC, "not associated")
    a.peer.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    inst = "1.2.826.0.1.3680043.2.1143.71.2"
    ds = dataset(inst, 3 * BIG, seed=5)
    a.msg_id += 1
    a.peer.send(dulpeer.pdata(dulpeer.pdv(3, 0x03,
                                          c_store_rq(inst, a.msg_id))))
    off = 0
    first = True
    while off < len(ds):
        n = min(BIG, len(ds) - off)
        last = off + n >= len(ds)
        p = raw_pdata([dulpeer.pdv(3, 0x02 if last else 0x00,
                                   ds[off:off + n])])
        off += n
        if first:
            # 200 segments: more than the worker's pipe has slots.
            step = len(p) // 200 + 1
            for k in range(0, len(p), step):
                a.peer.send(p[k:k + step])
                time.sleep(0.002)
            first = False
        else:
            a.peer.send(p)
    status, _ = a.response()
    check(status == STATUS_SUCCESS, "status %04x" % status)
    a.release()
    got = stored_one(root, inst)
    check(got is not None and sha(got) == sha(ds),
          "stored data set differs from the one sent")
    clean_log(d)


def abort_for(port, second_pdv, size):
    """Associate, send a C-STORE-RQ, then a P-DATA-TF of about size bytes
    whose first PDV is good and whose second is second_pdv; return what
    the acceptor answers (PDU type and body), or None if it closed."""
    a = StoreAssoc(port)
    check(a.type == dulpeer.A_ASSOCIATE_AC, "not associated")
    a.msg_id += 1
    a.peer.send(dulpeer.pdata(dulpeer.pdv(
        3, 0x03, c_store_rq("1.2.826.0.1.3680043.2.1143.71.9", a.msg_id))))
    first = dulpeer.pdv(3, 0x00, bytes(size - 6 - len(second_pdv)))
    a.peer.send(raw_pdata([first, second_pdv]))
    try:
        ty, body = a.peer.recv_pdu(20)
    except dulpeer.Closed:
        return None
    finally:
        a.close()
    return ty, body


def test_bad_pdv_in_big_pdu_same_abort_as_small(t):
    d, port, root = start(t, "badpdv")
    cases = {
        "even context id": struct.pack(">IBB", 2 + 8, 2, 0) + bytes(8),
        "context id 0": struct.pack(">IBB", 2 + 8, 0, 0) + bytes(8),
        "length past the PDU": struct.pack(">IBB", 2 + 500, 3, 0) +
        bytes(8),
        "length below 2": struct.pack(">IBB", 1, 3, 0) + bytes(8),
        "header cut short": struct.pack(">I", 2 + 8)[:3],
        "context not accepted": struct.pack(">IBB", 2 + 8, 5, 0) +
        bytes(8),
    }
    for what, second in cases.items():
        small = abort_for(port, second, SMALL)
        big = abort_for(port, second, BIG)
        check(small is not None and small[0] == dulpeer.A_ABORT,
              "%s, small PDU: answered %r" % (what, small))
        check(big == small, "%s: %r in a large PDU, %r in a small one" %
              (what, big, small))
    d.wait_children(0)
    check(files_under(root) == [], "something stored: %r" %
          files_under(root))
    clean_log(d)


def test_peer_closes_inside_big_pdu_nothing_stored(t):
    d, port, root = start(t, "close")
    for size in (SMALL, BIG):
        a = StoreAssoc(port)
        check(a.type == dulpeer.A_ASSOCIATE_AC, "not associated")
        a.msg_id += 1
        inst = "1.2.826.0.1.3680043.2.1143.71.%d" % (10 + size)
        a.peer.send(dulpeer.pdata(dulpeer.pdv(
            3, 0x03, c_store_rq(inst, a.msg_id))))
        p = raw_pdata([dulpeer.pdv(3, 0x00, bytes(size - 6))])
        a.peer.send(p[:len(p) // 2])
        time.sleep(0.2)
        a.close()
    check(d.wait_log(r"peer closed inside a PDU", count=2),
          "the worker did not see the peer close inside a PDU twice")
    d.wait_children(0)
    check(files_under(root) == [] and part_files(root) == [],
          "left behind: %r" % files_under(root))
    clean_log(d)


def main():
    t = Test("splice")
    t.main([test_big_pdus_of_several_pdvs_stored_intact,
            test_trickled_pdu_falls_back_and_is_stored_intact,
            test_bad_pdv_in_big_pdu_same_abort_as_small,
            test_peer_closes_inside_big_pdu_nothing_stored])


if __name__ == "__main__":
    main()
