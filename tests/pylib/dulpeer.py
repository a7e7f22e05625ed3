"""A scripted DICOM Upper Layer peer for tests, standard library only.

It sends exact bytes and reads exact PDUs back, with a deadline on every
wait, so tests can drive an acceptor into any state and assert what it
answers.  Nothing here is clever: it is the PS3.8 layouts written out.
"""

import random
import socket
import struct
import time

APP_CONTEXT = b"1.2.840.10008.3.1.1.1"
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
TEST_IMPL_UID = "1.2.826.0.1.3680043.9.7433.1.1"

A_ASSOCIATE_RQ, A_ASSOCIATE_AC, A_ASSOCIATE_RJ = 1, 2, 3
P_DATA_TF, A_RELEASE_RQ, A_RELEASE_RP, A_ABORT = 4, 5, 6, 7

RELRQ = bytes.fromhex("05000000000400000000")
RELRP = bytes.fromhex("06000000000400000000")


def _ephemeral_range():
    """The kernel's range of local ports for outgoing connections."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A loopback TCP port that nothing holds right now, outside the
    kernel's ephemeral range.

    A port from that range may become the local end of another test's
    outgoing connection between this call and the server's bind, and the
    suite runs tests side by side, some of them opening tens of thousands
    of connections: the server's bind would then fail.
    """
    lo, hi = _ephemeral_range()
    if lo - 10000 >= 4096:
        first, last = 10000, lo - 1
    elif hi < 65535 - 4096:
        first, last = hi + 1, 65535
    else:
        first, last = 1024, 65535       # no room outside: take any
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.randint(first, last)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise OSError("no free loopback port in %d..%d" % (first, last))


def abort(source=0, reason=0):
    """A-ABORT PDU with the given source and reason."""
    return bytes([7, 0, 0, 0, 0, 4, 0, 0, source, reason])


def item(itype, value):
    """An item or sub-item: type, reserved, u16 length, value."""
    return struct.pack(">BBH", itype, 0, len(value)) + value


def ae16(title):
    """An AE title padded with spaces to 16 bytes (bytes are kept as is)."""
    if isinstance(title, str):
        title = title.encode("ascii")
    return title.ljust(16, b" ")[:16] if len(title) <= 16 else title[:16]


def assoc_rq(called="ANY-SCP", calling="TESTSCU", contexts=None,
             max_len=16384, impl_uid=TEST_IMPL_UID, impl_version="DULTEST",
             extra_user_items=b"", version=1, app_context=APP_CONTEXT):
    """Build an A-ASSOCIATE-RQ PDU.

    contexts is a list of (id, abstract syntax, [transfer syntaxes]).
    """
    if contexts is None:
        contexts = [(1, VERIFICATION, [IMPLICIT_LE])]
    body = struct.pack(">HH", version, 0) + ae16(called) + ae16(calling)
    body += bytes(32)
    body += item(0x10, app_context)
    for cid, abstract, tss in contexts:
        sub = item(0x30, abstract.encode())
        for ts in tss:
            sub += item(0x40, ts.encode())
        body += item(0x20, bytes([cid, 0, 0, 0]) + sub)
    user = b""
    if max_len is not None:
        user += item(0x51, struct.pack(">I", max_len))
    if impl_uid is not None:
        user += item(0x52, impl_uid.encode())
    if impl_version is not None:
        user += item(0x55, impl_version.encode())
    user += extra_user_items
    body += item(0x50, user)
    return struct.pack(">BBI", 1, 0, len(body)) + body


def pdv(cid, mch, data):
    """One PDV item: u32 length, context id, message control header."""
    return struct.pack(">IBB", len(data) + 2, cid, mch) + data


def pdata(*pdvs):
    """A P-DATA-TF PDU holding the given PDV items."""
    body = b"".join(pdvs)
    return struct.pack(">BBI", 4, 0, len(body)) + body


def _elem(tag_group, tag_elem, value):
    if len(value) % 2:
        value += b"\0" if tag_elem in (0x0002, 0x1000) else b" "
    return struct.pack("<HHI", tag_group, tag_elem, len(value)) + value


def command_set(elements):
    """Encode a DIMSE command set (implicit VR little endian, group 0000).

    elements: list of (element, bytes value) in ascending order; the group
    length (0000,0000) is computed and put first.
    """
    body = b"".join(_elem(0, e, v) for e, v in elements)
    return _elem(0, 0x0000, struct.pack("<I", len(body))) + body


def c_echo_rq(msg_id=1):
    """A C-ECHO-RQ command set."""
    return command_set([
        (0x0002, VERIFICATION.encode()),
        (0x0100, struct.pack("<H", 0x0030)),
        (0x0110, struct.pack("<H", msg_id)),
        (0x0800, struct.pack("<H", 0x0101)),
    ])


def c_echo_rsp(msg_id=1, status=0):
    """A C-ECHO-RSP command set answering Message ID msg_id."""
    return command_set([
        (0x0002, VERIFICATION.encode()),
        (0x0100, struct.pack("<H", 0x8030)),
        (0x0120, struct.pack("<H", msg_id)),
        (0x0800, struct.pack("<H", 0x0101)),
        (0x0900, struct.pack("<H", status)),
    ])


def c_store_rq(sop_class, sop_instance, msg_id=1):
    """A C-STORE-RQ command set announcing a data set."""
    return command_set([
        (0x0002, sop_class.encode()),
        (0x0100, struct.pack("<H", 0x0001)),
        (0x0110, struct.pack("<H", msg_id)),
        (0x0700, struct.pack("<H", 0)),
        (0x0800, struct.pack("<H", 0x0000)),
        (0x1000, sop_instance.encode()),
    ])


def dataset(elements):
    """An implicit VR little endian data set from (group, element, bytes)
    in ascending order, values padded to even length."""
    return b"".join(_elem(g, e, v) for g, e, v in elements)


def pdu(ptype, body, reserved=0):
    """Any PDU: type, reserved byte, u32 length, body."""
    return struct.pack(">BBI", ptype, reserved, len(body)) + body


def assoc_rj(result, source, reason):
    """A-ASSOCIATE-RJ PDU."""
    return bytes([3, 0, 0, 0, 0, 4, 0, result, source, reason])


def assoc_ac(rq, contexts, max_len, impl_uid, impl_version=None,
             extra_user_items=b""):
    """Build the A-ASSOCIATE-AC an acceptor answers rq (a whole RQ PDU)
    with: the RQ's bytes 11-74 (AE titles, reserved) echoed, the DICOM
    application context, contexts as (id, result, transfer syntax), and
    the user information sub-items in ascending order.
    """
    body = struct.pack(">HH", 1, 0) + rq[10:74]
    body += item(0x10, APP_CONTEXT)
    for cid, result, ts in contexts:
        body += item(0x21, bytes([cid, 0, result, 0]) +
                     item(0x40, ts.encode()))
    user = item(0x51, struct.pack(">I", max_len))
    user += item(0x52, impl_uid.encode())
    user += extra_user_items
    if impl_version is not None:
        user += item(0x55, impl_version.encode())
    body += item(0x50, user)
    return struct.pack(">BBI", 2, 0, len(body)) + body


def parse_command(data):
    """Decode an implicit VR little endian group 0000 command set."""
    out = {}
    off = 0
    while off + 8 <= len(data):
        group, elem, length = struct.unpack_from("<HHI", data, off)
        off += 8
        out[(group, elem)] = data[off:off + length]
        off += length
    return out


def command_field(cmd, elem):
    """Return a u16 command element as an int."""
    return struct.unpack("<H", cmd[(0, elem)][:2])[0]


class Closed(Exception):
    """The acceptor closed the connection."""


class Peer:
    """One TCP connection to an acceptor."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout

    def send(self, data):
        self.sock.sendall(data)

    def _recv_exact(self, n, deadline):
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no PDU in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed("closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def recv_pdu(self, timeout=None):
        """Return (type, body) of the next PDU; raise Closed on EOF."""
        deadline = time.monotonic() + (timeout or self.timeout)
        hdr = self._recv_exact(6, deadline)
        ptype, _, length = struct.unpack(">BBI", hdr)
        return ptype, self._recv_exact(length, deadline)

    def expect_close(self, timeout=None):
        """Wait for EOF, discarding nothing: any byte is an error."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("connection not closed in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except ConnectionResetError:
                return
            if not chunk:
                return
            raise AssertionError("unexpected bytes before close: %r" %
                                 chunk[:32])

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_ac(body):
    """Decode an A-ASSOCIATE-AC body into a dict of the fields tests use."""
    out = {"version": struct.unpack(">H", body[0:2])[0],
           "called": body[4:20], "calling": body[20:36],
           "reserved": body[36:68], "contexts": {}, "max_len": None,
           "impl_uid": None, "impl_version": None, "items": []}
    off = 68
    while off + 4 <= len(body):
        itype, _, ilen = struct.unpack_from(">BBH", body, off)
        val = body[off + 4:off + 4 + ilen]
        out["items"].append(itype)
        if itype == 0x10:
            out["app_context"] = val
        elif itype == 0x21:
            ts = None
            if len(val) >= 8:
                _, _, tlen = struct.unpack_from(">BBH", val, 4)
                ts = val[8:8 + tlen].decode()
            out["contexts"][val[0]] = (val[2], ts)
        elif itype == 0x50:
            uoff = 0
            while uoff + 4 <= len(val):
                st, _, sl = struct.unpack_from(">BBH", val, uoff)
                sv = val[uoff + 4:uoff + 4 + sl]
                if st == 0x51:
                    out["max_len"] = struct.unpack(">I", sv)[0]
                elif st == 0x52:
                    out["impl_uid"] = sv.decode()
                elif st == 0x55:
                    out["impl_version"] = sv.decode()
                uoff += 4 + sl
        off += 4 + ilen
    return out


def parse_pdata(body):
    """Split a P-DATA-TF body into (context id, control header, data)."""
    out = []
    off = 0
    while off + 6 <= len(body):
        length = struct.unpack_from(">I", body, off)[0]
        out.append((body[off + 4], body[off + 5],
                    body[off + 6:off + 4 + length]))
        off += 4 + length
    return out
