"""dulserverd handler protocol, version 1, in Python 3 standard library only.

A handler is started by the worker once per association.  It reads DUL
primitives on DUL_FD_IN (3) and writes its own on DUL_FD_OUT (4); every
message is an 8-byte header ('D' 'U', frame version 1, type, big-endian
u32 body length) and a body of TLV items (u16 tag, u32 length, value) or,
for P-DATA, of PDV items laid out as in a P-DATA-TF PDU.  The protocol is
specified in doc/handler-protocol.md; this module is written from it and
mirrors the C library libdulhandler (dulhandler.h), including its
durability contract for stored objects and its checks on peer names.
"""

import os
import struct
import sys

PROTOCOL = 1

HELLO, HELLO_REPLY, ASSOC_IND, ASSOC_RSP = 0x01, 0x02, 0x10, 0x11
PDATA_IND, PDATA_REQ = 0x20, 0x21
RELEASE_IND, RELEASE_RSP, RELEASE_REQ, RELEASE_CNF = 0x30, 0x31, 0x32, 0x33
ABORT_IND, ABORT_REQ, P_ABORT_IND = 0x40, 0x41, 0x42
ERROR, LOG, SHUTDOWN_NOTICE, STATS = 0x7E, 0x80, 0x81, 0x82

# ERROR codes (tag 0x0E01).
E_MAGIC, E_VERSION, E_TOO_LARGE, E_MALFORMED = 1, 2, 3, 4
E_UNEXPECTED, E_VALUE = 5, 6

CTL_MAX = 65536          # bound on any control body
LIMIT_MIN = 65536        # smallest limit a HELLO may announce
LIMIT_MAX = 64 << 20     # largest
COMMAND_MAX = 65536      # cap on one DIMSE command set

# Core tags each message may carry; others below 0x8000 are an error.
_HELLO_TAGS = {0x0F01, 0x0F02, 0x0F03, 0x0F04, 0x0F05, 0x0F06, 0x0F07}
_IND_TAGS = set(range(0x0001, 0x000F)) | {0x0010, 0x0020, 0x0024, 0x0028,
                                          0x0030, 0x0040, 0x0041, 0x0042,
                                          0x0043}
_PCTX_TAGS = set(range(0x0011, 0x0018))
_EVENT_TAGS = {
    RELEASE_IND: set(), RELEASE_CNF: {0x0300},
    ABORT_IND: {0x0400, 0x0401}, P_ABORT_IND: {0x0402, 0x0403, 0x0404},
    ERROR: {0x0E01, 0x0E02}, SHUTDOWN_NOTICE: {0x8F01},
}

# DIMSE (PS3.7 Annex E) and the statuses of doc/dul-store-scp.8.
C_STORE_RQ, C_STORE_RSP, C_ECHO_RQ, C_ECHO_RSP = 0x0001, 0x8001, 0x0030, 0x8030
C_CANCEL_RQ, RSP_BIT, NO_DATA_SET = 0x0FFF, 0x8000, 0x0101
ST_SUCCESS, ST_INVALID_INSTANCE, ST_CLASS_UNSUPPORTED = 0x0000, 0x0117, 0x0122
ST_UNRECOGNIZED_OP, ST_OUT_OF_RESOURCES = 0x0211, 0xA700
ST_CANNOT_UNDERSTAND, ST_DUPLICATE = 0xC000, 0xC001

IMPL_CLASS_UID = "2.25.37702220845173676206920092856050917640.1"
IMPL_VERSION = "DULSERVERD_PY"


class ProtocolError(Exception):
    """The worker sent something the protocol does not allow."""

    def __init__(self, msg, code=E_MALFORMED):
        super().__init__(msg)
        self.code = code


class SequenceError(Exception):
    """PDV fragments out of order (PS3.7 9.3): the association must end."""


class MalformedCommand(Exception):
    """A command set that is not well formed group 0000."""


def log(name, level, text):
    """One line on stderr, which the worker logs with the association id."""
    text = "".join(c if " " <= c < "\x7f" else "?" for c in str(text))
    sys.stderr.write(f"{name}: {level}: {text}\n")
    sys.stderr.flush()


def tlv(tag, value):
    """One TLV item: u16 tag, u32 length, value."""
    return struct.pack(">HI", tag, len(value)) + value


def tlv_items(body, known):
    """Split a TLV sequence into (tag, value) pairs, skipping extensions.

    Every length is checked against what is left; an unknown core tag is
    a protocol error (criticality rule of the protocol).
    """
    items, off = [], 0
    while off < len(body):
        if len(body) - off < 6:
            raise ProtocolError("truncated item header")
        tag, length = struct.unpack_from(">HI", body, off)
        off += 6
        if length > len(body) - off:
            raise ProtocolError("item runs past its parent")
        value = body[off:off + length]
        off += length
        if tag in known:
            items.append((tag, value))
        elif tag < 0x8000:
            raise ProtocolError(f"unknown core tag 0x{tag:04x}")
    return items


def _uint(value):
    return int.from_bytes(value, "big")


def _text(value):
    if b"\0" in value:
        raise ProtocolError("NUL in a text item", E_VALUE)
    return value.decode("ascii", "replace")


def pdvs(body):
    """Split a P-DATA body into (pcid, is_command, is_last, data) tuples."""
    out, off = [], 0
    while off < len(body):
        if len(body) - off < 4:
            raise ProtocolError("truncated PDV")
        length, = struct.unpack_from(">I", body, off)
        if length < 2 or length > len(body) - off - 4:
            raise ProtocolError("bad PDV length")
        pcid, mch = body[off + 4], body[off + 5]
        out.append((pcid, bool(mch & 1), bool(mch & 2),
                    body[off + 6:off + 4 + length]))
        off += 4 + length
    if not out:
        raise ProtocolError("P-DATA without a PDV")
    return out


class Session:
    """One handler session: HELLO, the association, then events."""

    def __init__(self, name):
        self.name = name
        self.fd_in = int(os.environ.get("DUL_FD_IN", "3"))
        self.fd_out = int(os.environ.get("DUL_FD_OUT", "4"))
        self.max_w2h = CTL_MAX
        self.max_h2w = LIMIT_MIN
        self.assoc_id = ""
        self.assoc = None
        self.contexts = {}
        self._hello()

    def _read_exact(self, n, at_start=False):
        buf = bytearray()
        while len(buf) < n:
            chunk = os.read(self.fd_in, n - len(buf))
            if not chunk:
                if at_start and not buf:
                    raise EOFError
                raise ProtocolError("end of file inside a frame")
            buf += chunk
        return bytes(buf)

    def recv(self):
        """Next core frame as (type, body); EOFError at a clean end."""
        while True:
            hdr = self._read_exact(8, at_start=True)
            magic, ver, mtype, length = struct.unpack(">2sBBI", hdr)
            if magic != b"DU" or ver != 1:
                raise ProtocolError("bad frame header", E_MAGIC)
            if length > self.max_w2h:
                raise ProtocolError("frame over the limit", E_TOO_LARGE)
            body = self._read_exact(length)
            if mtype >= 0x80 and mtype != SHUTDOWN_NOTICE:
                continue                    # extensions we do not use
            return mtype, body

    def send(self, mtype, body=b""):
        """Send one frame, however many writes it takes."""
        data = struct.pack(">2sBBI", b"DU", 1, mtype, len(body)) + body
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd_out, view):]

    def send_error(self, code, text):
        """Tell the worker the session failed (best effort)."""
        try:
            self.send(ERROR, tlv(0x0E01, struct.pack(">H", code)) +
                      tlv(0x0E02, text.encode("ascii", "replace")[:1024]))
        except OSError:
            pass

    def _hello(self):
        mtype, body = self.recv()
        if mtype != HELLO:
            raise ProtocolError("first message is not HELLO", E_UNEXPECTED)
        h = dict(tlv_items(body, _HELLO_TAGS))
        if len(h) != len(_HELLO_TAGS):
            raise ProtocolError("HELLO lacks an item")
        vmin, vmax = _uint(h[0x0F01]), _uint(h[0x0F02])
        self.assoc_id = _text(h[0x0F04])
        self.max_w2h = _uint(h[0x0F05])
        self.max_h2w = _uint(h[0x0F06])
        if not (LIMIT_MIN <= self.max_w2h <= LIMIT_MAX and
                LIMIT_MIN <= self.max_h2w <= LIMIT_MAX):
            raise ProtocolError("limit out of range", E_VALUE)
        if not vmin <= PROTOCOL <= vmax:
            self.send_error(E_VERSION, "no common protocol version")
            raise ProtocolError("no common protocol version", E_VERSION)
        self.send(HELLO_REPLY, tlv(0x0F10, struct.pack(">H", PROTOCOL)) +
                  tlv(0x0F11, self.name.encode("ascii")[:64]))

    def wait_assoc(self):
        """The A-ASSOCIATE indication as a dict; None if it never came."""
        while True:
            try:
                mtype, body = self.recv()
            except EOFError:
                return None
            if mtype == ASSOC_IND:
                break
            if mtype in (ABORT_IND, P_ABORT_IND, ERROR):
                return None
            if mtype != SHUTDOWN_NOTICE:
                raise ProtocolError("expected ASSOC_IND", E_UNEXPECTED)
        a = {"contexts": [], "decided": False}
        for tag, value in tlv_items(body, _IND_TAGS):
            if tag == 0x0002:
                a["calling_ae"] = _text(value)
            elif tag == 0x0003:
                a["called_ae"] = _text(value)
            elif tag == 0x0043:
                a["decided"] = _uint(value) == 1
            elif tag == 0x0010:
                pc = {"ts": [], "result_ts": None}
                for t, v in tlv_items(value, _PCTX_TAGS):
                    if t == 0x0011:
                        pc["id"] = _uint(v)
                    elif t == 0x0012:
                        pc["abstract"] = _text(v)
                    elif t == 0x0013:
                        pc["ts"].append(_text(v))
                    elif t == 0x0015:
                        pc["result"] = _uint(v)
                    elif t == 0x0016:
                        pc["result_ts"] = _text(v)
                if "id" not in pc or "result" not in pc:
                    raise ProtocolError("presentation context lacks items")
                a["contexts"].append(pc)
                self.contexts[pc["id"]] = pc
        self.assoc = a
        return a

    def accept_as_proposed(self):
        """Accept with the policy's answer for every context (decision 2)."""
        if not self.assoc["decided"]:
            self.send(ASSOC_RSP, tlv(0x0100, b"\x02"))

    def reject(self, result=1, reason=1):
        """Reject as the UL service-user (source 1)."""
        self.send(ASSOC_RSP, tlv(0x0100, b"\x01") +
                  tlv(0x0101, bytes([result])) + tlv(0x0102, b"\x01") +
                  tlv(0x0103, bytes([reason])))

    def accepted(self, pcid):
        """The accepted context with this id, or None."""
        pc = self.contexts.get(pcid)
        return pc if pc is not None and pc["result"] == 0 else None

    def next_event(self):
        """Next event: ("pdata", pdvs), ("release_ind",), ("eof",), ..."""
        try:
            mtype, body = self.recv()
        except EOFError:
            return ("eof",)
        if mtype not in _EVENT_TAGS and mtype != PDATA_IND:
            raise ProtocolError(f"unexpected message 0x{mtype:02x}",
                                E_UNEXPECTED)
        if mtype == PDATA_IND:
            return ("pdata", pdvs(body))
        items = dict(tlv_items(body, _EVENT_TAGS[mtype]))
        if mtype == RELEASE_IND:
            return ("release_ind",)
        if mtype == RELEASE_CNF:
            return ("release_cnf", _uint(items.get(0x0300, b"\0")))
        if mtype == ABORT_IND:
            return ("abort", _uint(items.get(0x0400, b"\0")),
                    _uint(items.get(0x0401, b"\0")))
        if mtype == P_ABORT_IND:
            return ("p_abort", _uint(items.get(0x0402, b"\0")),
                    _uint(items.get(0x0403, b"\0")))
        if mtype == ERROR:
            return ("error", _uint(items.get(0x0E01, b"\0")),
                    items.get(0x0E02, b"").decode("ascii", "replace"))
        return ("shutdown", _uint(items.get(0x8F01, b"\0")))

    def send_pdv(self, pcid, is_command, is_last, data):
        """Send one PDV of any size; split at the announced limit."""
        room = (self.max_h2w - 6) & ~1
        off = 0
        while True:
            chunk = data[off:off + room]
            off += len(chunk)
            mch = (1 if is_command else 0) | (2 if is_last and
                                              off >= len(data) else 0)
            self.send(PDATA_REQ, struct.pack(">IBB", len(chunk) + 2, pcid,
                                             mch) + chunk)
            if off >= len(data):
                return

    def release_respond(self):
        self.send(RELEASE_RSP)

    def abort(self):
        self.send(ABORT_REQ)


class Assembler:
    """DIMSE message assembly over PDVs, as dh_asm.c does it.

    feed() returns None (more to come), "command" (command complete, a
    data set follows: set .sink now) or "done" (message complete).  The
    command is gathered up to COMMAND_MAX; data set bytes go to .sink and
    are never kept here.  A command without a readable Command Data Set
    Type raises MalformedCommand, and the data after it is dropped.
    """

    def __init__(self):
        self.state = "idle"
        self.pcid = None
        self.command = b""
        self.has_data = False
        self.data_len = 0
        self.sink = None
        self.error = None

    def _start(self, pcid):
        self.state, self.pcid, self.command = "command", pcid, b""
        self.has_data, self.data_len = False, 0
        self.sink, self.error = None, None

    def feed(self, pcid, is_command, is_last, data):
        if self.state in ("idle", "skip") and is_command:
            self._start(pcid)
        elif self.state == "idle":
            raise SequenceError("data fragment before a command")
        if pcid != self.pcid:
            self.state = "idle"
            raise SequenceError("fragment on another context")
        if self.state == "command":
            if not is_command:
                self.state = "idle"
                raise SequenceError("data fragment inside a command")
            if len(data) > COMMAND_MAX - len(self.command):
                self.state = "idle"
                raise SequenceError("command set over the cap")
            self.command += data
            if not is_last:
                return None
            try:
                dst = get_us(parse_command(self.command), 0x0800)
            except MalformedCommand:
                dst = None
            if dst is None:
                self.state = "skip"
                raise MalformedCommand("no Command Data Set Type")
            if dst == NO_DATA_SET:
                self.state = "idle"
                return "done"
            self.has_data, self.state = True, "data"
            return "command"
        if is_command:
            self.state = "idle"
            raise SequenceError("command fragment inside a data set")
        self.data_len += len(data)
        if self.state == "data" and self.error is None and self.sink:
            try:
                self.sink(data)
            except Exception as e:          # kept, reported at the end
                self.error = e
        if not is_last:
            return None
        done = self.state == "data"
        self.state, self.sink = "idle", None
        return "done" if done else None


def parse_command(cmd):
    """Read a command set (group 0000, implicit VR LE) into {elem: value}.

    Strict, like dh_cmd_check(): only group 0000, ascending elements,
    even lengths inside the buffer, and a truthful group length first.
    """
    out, off, prev = {}, 0, -1
    if not cmd:
        raise MalformedCommand("empty command set")
    while off < len(cmd):
        if len(cmd) - off < 8:
            raise MalformedCommand("truncated element")
        group, elem, length = struct.unpack_from("<HHI", cmd, off)
        off += 8
        if group != 0 or length > len(cmd) - off or length % 2:
            raise MalformedCommand("bad element")
        if elem <= prev:
            raise MalformedCommand("elements out of order")
        if elem == 0x0000 and (prev != -1 or length != 4 or
                               struct.unpack_from("<I", cmd, off)[0] !=
                               len(cmd) - off - 4):
            raise MalformedCommand("bad group length")
        out[elem] = cmd[off:off + length]
        off += length
        prev = elem
    return out


def get_us(cmd, elem):
    """A US element as an int, None if absent."""
    if elem not in cmd:
        return None
    if len(cmd[elem]) != 2:
        raise MalformedCommand("US of the wrong size")
    return struct.unpack("<H", cmd[elem])[0]


def get_ui(cmd, elem):
    """A UI element as a str without NUL padding.

    Returns None if absent and False if unusable (over 64 bytes, a NUL
    inside, not ASCII).
    """
    if elem not in cmd:
        return None
    value = cmd[elem].rstrip(b"\0")
    if len(value) > 64 or b"\0" in value:
        return False
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        return False


def _element(elem, value, pad=b"\0"):
    if len(value) % 2:
        value += pad
    return struct.pack("<HHI", 0, elem, len(value)) + value


def build_response(field, msg_id, status, sop_class=None, sop_instance=None,
                   comment=None):
    """A response command set with its group length (PS3.7 E.1)."""
    body = b""
    if sop_class is not None:
        body += _element(0x0002, sop_class.encode("ascii"))
    body += _element(0x0100, struct.pack("<H", field))
    body += _element(0x0120, struct.pack("<H", msg_id))
    body += _element(0x0800, struct.pack("<H", NO_DATA_SET))
    body += _element(0x0900, struct.pack("<H", status))
    if comment:
        text = "".join(c if " " <= c < "\x7f" and c != "\\" else "?"
                       for c in comment[:64])
        body += _element(0x0902, text.encode("ascii"), b" ")
    if sop_instance is not None:
        body += _element(0x1000, sop_instance.encode("ascii"))
    return _element(0x0000, struct.pack("<I", len(body))) + body


def uid_valid(uid):
    """A valid UID (PS3.5 9.1): <= 64 chars, digits and single dots, no
    empty component and no leading zero in a component."""
    if not isinstance(uid, str) or not 0 < len(uid) <= 64:
        return False
    for comp in uid.split("."):
        if not comp or not all("0" <= c <= "9" for c in comp):
            return False
        if len(comp) > 1 and comp[0] == "0":
            return False
    return True


_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def path_component_ok(name):
    """1..255 of [A-Za-z0-9._-], not starting with '.' or '-'."""
    return (0 < len(name) <= 255 and name[0] not in ".-" and
            all(c in _SAFE or c in "._-" for c in name))


def ae_dirname(ae):
    """An AE title as a directory name: [A-Za-z0-9_-], never empty."""
    ae = ae.strip(" ")
    out = "".join(c if c in _SAFE or c in "_-" else "_" for c in ae)
    if out.startswith("-"):
        out = "_" + out[1:]
    return out or "_"


def open_dirs(rootfd, comps, sync=True):
    """Open (creating) rootfd/comps[0]/..., one component at a time.

    Each component must pass path_component_ok(); none is followed if it
    is a symbolic link; a new directory's parent is fsynced.  Returns a
    new descriptor.
    """
    for comp in comps:
        if not path_component_ok(comp):
            raise ValueError(f"unsafe path component {comp!r}")
    cur = os.dup(rootfd)
    try:
        for comp in comps:
            created = False
            try:
                os.mkdir(comp, 0o750, dir_fd=cur)
                created = True
            except FileExistsError:
                pass
            nxt = os.open(comp, os.O_RDONLY | os.O_DIRECTORY |
                          os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=cur)
            try:
                if created and sync:
                    os.fsync(cur)
            except OSError:
                os.close(nxt)
                raise
            os.close(cur)
            cur = nxt
    except BaseException:
        os.close(cur)
        raise
    return cur


def _meta_element(elem, vr, value, pad):
    if len(value) % 2:
        value += pad
    return struct.pack("<HH2sH", 2, elem, vr, len(value)) + value


def file_meta(sop_class, sop_instance, transfer_syntax, source_ae):
    """Preamble, DICM and group 0002 (PS3.10 7.1), from the command and
    the association only, never from the data set."""
    for uid in (sop_class, sop_instance, transfer_syntax):
        if not uid_valid(uid):
            raise ValueError("invalid UID in file meta")
    group = struct.pack("<HH2sHI", 2, 1, b"OB", 0, 2) + b"\x00\x01"
    group += _meta_element(0x0002, b"UI", sop_class.encode(), b"\0")
    group += _meta_element(0x0003, b"UI", sop_instance.encode(), b"\0")
    group += _meta_element(0x0010, b"UI", transfer_syntax.encode(), b"\0")
    group += _meta_element(0x0012, b"UI", IMPL_CLASS_UID.encode(), b"\0")
    group += _meta_element(0x0013, b"SH", IMPL_VERSION.encode(), b" ")
    ae = (source_ae or "").strip(" ")
    if 0 < len(ae) <= 16 and all(" " <= c < "\x7f" and c != "\\"
                                 for c in ae):
        group += _meta_element(0x0016, b"AE", ae.encode(), b" ")
    return (bytes(128) + b"DICM" +
            struct.pack("<HH2sHI", 2, 0, b"UL", 4, len(group)) + group)


class Part10Writer:
    """A Part-10 file written safely into the directory dirfd.

    Bytes go to a temporary file made with O_EXCL; commit() fsyncs it,
    links (no replace) or renames (os.replace) it into place and fsyncs
    the directory.  Only a commit that returns without raising may be
    answered with success; on failure nothing is left behind.
    """

    def __init__(self, dirfd, meta, sync=True):
        self.dirfd, self.sync, self.fd = dirfd, sync, None
        header = file_meta(*meta)
        for _ in range(16):
            self.tmp = ".dul-" + os.urandom(8).hex() + ".part"
            try:
                self.fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT |
                                  os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                                  0o640, dir_fd=dirfd)
                break
            except FileExistsError:
                continue
        if self.fd is None:
            raise FileExistsError("no free temporary name")
        try:
            self.write(header)
        except BaseException:
            self.abort()
            raise

    def write(self, data):
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def abort(self):
        """Drop the file."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        try:
            os.unlink(self.tmp, dir_fd=self.dirfd)
        except FileNotFoundError:
            pass

    def commit(self, name, duplicates):
        """Put the file in place as name; returns the name used, or None
        when an existing file was kept.  Raises FileExistsError for a
        refused duplicate and OSError for a failure."""
        if not path_component_ok(name):
            self.abort()
            raise ValueError(f"unsafe file name {name!r}")
        made = None
        try:
            if self.sync:
                os.fsync(self.fd)
            fd, self.fd = self.fd, None
            os.close(fd)
            if duplicates == "overwrite":
                os.replace(self.tmp, name, src_dir_fd=self.dirfd,
                           dst_dir_fd=self.dirfd)
                made = name
            else:
                stem, dot, ext = name.rpartition(".")
                for i in range(10000):
                    cand = name if i == 0 else f"{stem}_{i}{dot}{ext}"
                    try:
                        os.link(self.tmp, cand, src_dir_fd=self.dirfd,
                                dst_dir_fd=self.dirfd,
                                follow_symlinks=False)
                        made = cand
                        break
                    except FileExistsError:
                        if duplicates != "keep-both":
                            break
                os.unlink(self.tmp, dir_fd=self.dirfd)
                if made is None:
                    if duplicates == "keep":
                        return None
                    raise FileExistsError(name)
            if self.sync:
                os.fsync(self.dirfd)
            return made
        except BaseException:
            if made is not None and duplicates != "overwrite":
                try:
                    os.unlink(made, dir_fd=self.dirfd)
                except OSError:
                    pass
            self.abort()
            raise
