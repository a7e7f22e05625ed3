#!/usr/bin/env python3
"""A scripted handler for the conformance suite, standard library only.

dulserverd starts it as an `ae` entry's handler; the entry's `args` say
how it behaves, so that a test reaches a PS3.8 state (or a handler fault)
by choosing the called AE title.  It speaks doc/handler-protocol.md on
fds 3 and 4 and writes what it receives, one JSON object a line, to
TRACE_DIR/<association id>.jsonl, where the test reads it back.

Options (each one takes a value; times are in seconds):
  --trace DIR           where to write the trace (required)
  --hello MODE          reply (default) | none | badversion
  --assoc MODE          accept | hold | delay:S | reject:RESULT:REASON |
                        abort | exit:CODE | crash | badframe:KIND |
                        badanswer:KIND
  --after MODE          none | release | release-abort:S | abort:S |
                        crash:S | exit:S | pdata-bad | pdata-big
  --on-pdata MODE       echo | none | crash | exit | abort | nothing
  --on-release MODE     respond | hold | delay:S | pdata | crash | abort
  --fork-child          leave a grandchild behind in our process group
  --features N          the feature bits HELLO_REPLY asks for
  --after-eof S:N       after EOF on fd 3, wait S, write N bytes to fd 4
"""

import json
import os
import resource
import select
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
    __file__)), os.pardir, "pylib"))
sys.dont_write_bytecode = True

import dulpeer  # noqa: E402

HELLO, HELLO_REPLY, ASSOC_IND, ASSOC_RSP = 0x01, 0x02, 0x10, 0x11
PDATA_IND, PDATA_REQ = 0x20, 0x21
RELEASE_IND, RELEASE_RSP, RELEASE_REQ, RELEASE_CNF = 0x30, 0x31, 0x32, 0x33
ABORT_IND, ABORT_REQ, P_ABORT_IND = 0x40, 0x41, 0x42
ERROR = 0x7E
SHUTDOWN_NOTICE = 0x81

FD_IN = int(os.environ.get("DUL_FD_IN", "3"))
FD_OUT = int(os.environ.get("DUL_FD_OUT", "4"))
NAMES = {HELLO: "HELLO", ASSOC_IND: "ASSOC_IND", PDATA_IND: "PDATA_IND",
         RELEASE_IND: "RELEASE_IND", RELEASE_CNF: "RELEASE_CNF",
         ABORT_IND: "ABORT_IND", P_ABORT_IND: "P_ABORT_IND",
         ERROR: "ERROR", SHUTDOWN_NOTICE: "SHUTDOWN_NOTICE"}
MAX_FRAME = 64 << 20
LIFETIME = 60.0          # a bound on the whole session, whatever happens


def tlv(tag, value):
    """One TLV item: u16 tag, u32 length, value."""
    return struct.pack(">HI", tag, len(value)) + value


def tlv_items(body):
    """Split a TLV sequence into (tag, value) pairs."""
    out, off = [], 0
    while off + 6 <= len(body):
        tag, length = struct.unpack_from(">HI", body, off)
        out.append((tag, body[off + 6:off + 6 + length]))
        off += 6 + length
    return out


def pdv_items(body):
    """Split a P-DATA body into (pcid, mch, data)."""
    out, off = [], 0
    while off + 6 <= len(body):
        length, = struct.unpack_from(">I", body, off)
        out.append((body[off + 4], body[off + 5],
                    body[off + 6:off + 4 + length]))
        off += 4 + length
    return out


class Handler:
    """One session, driven by select() with timed actions."""

    def __init__(self, opts):
        self.opts = opts
        assoc = os.environ.get("DUL_ASSOC_ID", "unknown")
        path = os.path.join(opts["trace"], assoc.replace("/", "_") +
                            ".jsonl")
        self.fds = self.open_fds()
        self.trace_fd = os.open(path, os.O_WRONLY | os.O_CREAT |
                                os.O_APPEND, 0o644)
        self.inbuf = b""
        self.timers = []
        self.commands = {}
        self.accepted = []
        self.peer_max = 0
        self.released = False
        self.deadline = time.monotonic() + LIFETIME

    @staticmethod
    def open_fds():
        """Our open descriptors and what they are, as the worker left
        them (the directory being listed is left out)."""
        out = {}
        for f in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink("/proc/self/fd/" + f)
            except OSError:
                continue            # the listing's own descriptor
            if target.startswith("/proc/") and target.endswith("/fd"):
                continue
            out[f] = target.split(":")[0] if ":" in target else target
        return out

    def trace(self, **kw):
        """Append one record to the trace file."""
        kw["t"] = round(time.monotonic(), 3)
        os.write(self.trace_fd, (json.dumps(kw) + "\n").encode())

    @staticmethod
    def frame_bytes(mtype, body=b""):
        """One frame: header and body."""
        return struct.pack(">2sBBI", b"DU", 1, mtype, len(body)) + body

    def send(self, mtype, body=b""):
        """Write one frame, however many writes it takes."""
        self.send_raw(self.frame_bytes(mtype, body))

    def send_raw(self, data):
        """Write bytes as they are.  A worker that has stopped reading
        is noted, and the session goes on to read what is left on fd 3
        (a handler must cope with the end at any point)."""
        data = memoryview(data)
        try:
            while data:
                data = data[os.write(FD_OUT, data):]
        except BrokenPipeError:
            self.trace(msg="EPIPE")

    def later(self, seconds, action):
        """Run action() after the given delay."""
        self.timers.append((time.monotonic() + seconds, action))

    def mode(self, key):
        """An option split at its colons: ("delay", "0.5")."""
        return tuple(self.opts.get(key, "").split(":"))

    def run(self):
        """Read frames until EOF, running timed actions in between."""
        self.trace(msg="START", fds=self.fds, env=sorted(os.environ),
                   pgid=os.getpgrp(),
                   nofile=resource.getrlimit(resource.RLIMIT_NOFILE),
                   pid=os.getpid())
        if self.opts.get("fork-child") == "1":
            self.fork_child()
        while time.monotonic() < self.deadline:
            now = time.monotonic()
            due = [t for t in self.timers if t[0] <= now]
            for t in due:
                self.timers.remove(t)
                t[1]()
            wait = min([t[0] for t in self.timers] + [self.deadline]) - now
            r, _, _ = select.select([FD_IN], [], [], max(wait, 0))
            if not r:
                continue
            chunk = os.read(FD_IN, 65536)
            if not chunk:
                self.trace(msg="EOF")
                self.after_eof()
                return 0
            self.inbuf += chunk
            while len(self.inbuf) >= 8:
                magic, ver, mtype, length = struct.unpack_from(
                    ">2sBBI", self.inbuf)
                if magic != b"DU" or ver != 1 or length > MAX_FRAME:
                    self.trace(msg="BADFRAME")
                    return 3
                if len(self.inbuf) < 8 + length:
                    break
                body = self.inbuf[8:8 + length]
                self.inbuf = self.inbuf[8 + length:]
                self.frame(mtype, body)
        self.trace(msg="LIFETIME")
        return 4

    def after_eof(self):
        """Keep writing after the end, as a handler finishing its work
        may: the worker must read and drop it (doc 2.5), not close."""
        m = self.mode("after-eof")
        if m[0] == "":
            return
        time.sleep(float(m[0]))
        self.send_raw(self.frame_bytes(0x80, tlv(0x8E10, b"\x03") +
                                       tlv(0x8E11, b"x" * 64)) *
                      (int(m[1]) // 84 + 1))
        self.trace(msg="WROTE")

    def fork_child(self):
        """Leave a sleeping grandchild in our process group."""
        pid = os.fork()
        if pid == 0:
            for fd in range(0, 5):
                try:
                    os.close(fd)
                except OSError:
                    pass
            time.sleep(30)
            os._exit(0)
        self.trace(msg="CHILD", pid=pid)

    def frame(self, mtype, body):
        """Trace one frame and act on it."""
        rec = {"msg": NAMES.get(mtype, "0x%02x" % mtype)}
        items = dict(tlv_items(body)) if mtype not in (PDATA_IND,) else {}
        if mtype == HELLO:
            self.on_hello()
        elif mtype == ASSOC_IND:
            self.on_assoc_ind(body, rec)
            return
        elif mtype == PDATA_IND:
            pdvs = pdv_items(body)
            rec["pdvs"] = [[p, m, len(d)] for p, m, d in pdvs]
            self.trace(**rec)
            self.on_pdata(pdvs)
            return
        elif mtype == RELEASE_CNF:
            rec["collision"] = items.get(0x0300, b"\xff")[0]
        elif mtype == ABORT_IND:
            rec["source"] = items.get(0x0400, b"\xff")[0]
            rec["reason"] = items.get(0x0401, b"\xff")[0]
        elif mtype == P_ABORT_IND:
            rec["reason"] = items.get(0x0402, b"\xff")[0]
            rec["cause"] = items.get(0x0403, b"\xff")[0]
        elif mtype == ERROR:
            rec["code"] = struct.unpack(">H", items.get(0x0E01,
                                                         b"\0\0"))[0]
        elif mtype == SHUTDOWN_NOTICE:
            rec["seconds"] = struct.unpack(">I", items.get(
                0x8F01, b"\xff\xff\xff\xff"))[0]
        self.trace(**rec)
        if mtype == RELEASE_IND:
            self.on_release()

    def on_hello(self):
        """Answer HELLO as the options say."""
        m = self.mode("hello")[0] or "reply"
        if m == "reply":
            feat = b""
            if "features" in self.opts:
                feat = tlv(0x0F12, struct.pack(">I", int(
                    self.opts["features"], 0)))
            self.send(HELLO_REPLY, tlv(0x0F10, struct.pack(">H", 1)) +
                      tlv(0x0F11, b"conformance-handler") + feat)
        elif m == "badversion":
            self.send(HELLO_REPLY, tlv(0x0F10, struct.pack(">H", 9)))

    def on_assoc_ind(self, body, rec):
        """Record the indication, then answer it as the options say."""
        contexts, tss, roles = [], [], []
        decided = 0
        for tag, value in tlv_items(body):
            if tag == 0x0010:
                pc = dict(tlv_items(value))
                contexts.append([pc[0x0011][0], pc[0x0015][0]])
                tss.append([v.decode("latin-1") for t, v in
                            tlv_items(value) if t == 0x0013])
                if pc[0x0015][0] == 0:
                    self.accepted.append(pc[0x0011][0])
            elif tag == 0x0024:
                roles.append(dict(tlv_items(value))[0x0025].decode(
                    "latin-1"))
            elif tag == 0x0006:
                self.peer_max = struct.unpack(">I", value)[0]
            elif tag == 0x0043:
                decided = value[0]
            elif tag in (0x0002, 0x0003):
                rec["calling" if tag == 2 else "called"] = value.decode(
                    "latin-1")
            elif tag == 0x0030:
                ident = dict(tlv_items(value))
                rec["identity"] = [ident[0x0031][0],
                                   ident[0x0033].decode("latin-1"),
                                   len(ident.get(0x0034, b""))]
        rec["contexts"] = contexts
        rec["ts"] = tss
        rec["roles"] = roles
        rec["decided"] = decided
        self.trace(**rec)
        m = self.mode("assoc")
        if decided:
            self.established()
        elif m[0] in ("", "accept"):
            self.send(ASSOC_RSP, tlv(0x0100, b"\x02"))
            self.established()
        elif m[0] == "delay":
            def answer():
                self.send(ASSOC_RSP, tlv(0x0100, b"\x02"))
                self.established()
            self.later(float(m[1]), answer)
        elif m[0] == "reject":
            self.send(ASSOC_RSP, tlv(0x0100, b"\x01") +
                      tlv(0x0101, bytes([int(m[1])])) +
                      tlv(0x0102, b"\x01") + tlv(0x0103, bytes([int(m[2])])))
        elif m[0] == "abort":
            self.send(ABORT_REQ)
        elif m[0] == "exit":
            os._exit(int(m[1]))
        elif m[0] == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        elif m[0] == "badframe":
            self.bad_frame(m[1])
        elif m[0] == "badanswer":
            self.bad_answer(m[1])
        # "hold": never answer.

    def bad_frame(self, kind):
        """Send a frame that breaks the framing rules."""
        if kind == "hugelen":
            self.send_raw(struct.pack(">2sBBI", b"DU", 1, ASSOC_RSP,
                                      0xFFFFFFFF))
        elif kind == "unknowntype":
            self.send(0x55, b"")
        elif kind == "truncated":
            self.send_raw(struct.pack(">2sBBI", b"DU", 1, ASSOC_RSP, 7) +
                          b"\x01\x00")
            os._exit(0)
        elif kind == "badmagic":
            self.send_raw(b"XX\x01\x11\x00\x00\x00\x07" +
                          tlv(0x0100, b"\x02"))

    def bad_answer(self, kind):
        """Accept with content that contradicts the indication."""
        if kind == "unknownid":
            ans = tlv(0x0011, b"\x63") + tlv(0x0015, b"\x00") + \
                tlv(0x0016, dulpeer.IMPLICIT_LE.encode())
        else:                                   # "ts": not proposed
            ans = tlv(0x0011, b"\x01") + tlv(0x0015, b"\x00") + \
                tlv(0x0016, b"1.2.840.10008.1.2.4.50")
        self.send(ASSOC_RSP, tlv(0x0100, b"\x00") + tlv(0x0110, ans))

    def established(self):
        """The association is accepted: run the --after action."""
        m = self.mode("after")
        if m[0] == "release":
            self.send(RELEASE_REQ)
        elif m[0] == "release-abort":
            self.send(RELEASE_REQ)
            self.later(float(m[1]), lambda: self.send(ABORT_REQ))
        elif m[0] == "abort":
            self.later(float(m[1]), lambda: self.send(ABORT_REQ))
        elif m[0] == "crash":
            self.later(float(m[1]),
                       lambda: os.kill(os.getpid(), signal.SIGSEGV))
        elif m[0] == "exit":
            self.later(float(m[1]), lambda: os._exit(1))
        elif m[0] == "pdata-bad":
            self.send(PDATA_REQ, dulpeer.pdv(3, 3, dulpeer.c_echo_rq(7)))
        elif m[0] == "pdata-big":
            self.send(PDATA_REQ, dulpeer.pdv(self.accepted[0], 0,
                                             bytes(range(256)) * 100))

    def on_pdata(self, pdvs):
        """Collect command fragments; answer a whole C-ECHO-RQ."""
        m = self.mode("on-pdata")[0] or "echo"
        if m == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        elif m == "exit":
            os._exit(1)
        elif m == "abort":
            self.send(ABORT_REQ)
            return
        elif m in ("none", "nothing"):
            return
        for pcid, mch, data in pdvs:
            if not mch & 1:
                continue
            self.commands[pcid] = self.commands.get(pcid, b"") + data
            if not mch & 2:
                continue
            cmd = dulpeer.parse_command(self.commands.pop(pcid))
            if dulpeer.command_field(cmd, 0x0100) == 0x0030:
                msg_id = dulpeer.command_field(cmd, 0x0110)
                self.send(PDATA_REQ, dulpeer.pdv(
                    pcid, 3, dulpeer.c_echo_rsp(msg_id)))

    def on_release(self):
        """Answer RELEASE_IND as the options say."""
        m = self.mode("on-release")
        if m[0] in ("", "respond"):
            self.send(RELEASE_RSP)
        elif m[0] == "delay":
            self.later(float(m[1]), lambda: self.send(RELEASE_RSP))
        elif m[0] == "pdata":
            self.send(PDATA_REQ, dulpeer.pdv(self.accepted[0], 3,
                                             dulpeer.c_echo_rsp(5)))
            self.send(RELEASE_RSP)
        elif m[0] == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        elif m[0] == "abort":
            self.send(ABORT_REQ)
        # "hold": never answer.


def main(argv):
    """Parse --key value pairs and run one session."""
    opts = {}
    i = 1
    while i < len(argv):
        key = argv[i]
        if not key.startswith("--"):
            sys.stderr.write("handler.py: bad argument %r\n" % key)
            return 2
        if key == "--fork-child":
            opts["fork-child"] = "1"
            i += 1
            continue
        opts[key[2:]] = argv[i + 1]
        i += 2
    if "trace" not in opts:
        sys.stderr.write("handler.py: --trace is required\n")
        return 2
    return Handler(opts).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
