#!/usr/bin/env python3
"""A handler for the resource tests (test_worker_resource.py), standard
library only.  It speaks doc/handler-protocol.md on fds 3 and 4, accepts
the association as the policy decided, and then does one thing:

  --trace DIR           where to write DIR/<association id>.jsonl
  --mode flood:N:SIZE   send N P-DATA requests of SIZE data bytes each on
                        the first accepted context, as fast as fd 4 takes
                        them, then read fd 3 to its end
  --mode stall:BYTES    read fd 3 until BYTES of P-DATA indications came,
                        then stop reading it (and never answer again)

Every record has the monotonic time; the flood records how much it wrote
and its longest single write, which is how long the worker held it back.
"""

import json
import os
import struct
import sys
import time

HELLO, HELLO_REPLY, ASSOC_IND, ASSOC_RSP = 0x01, 0x02, 0x10, 0x11
PDATA_IND, PDATA_REQ = 0x20, 0x21
RELEASE_IND, RELEASE_RSP = 0x30, 0x31
ABORT_IND, P_ABORT_IND = 0x40, 0x42
FD_IN = int(os.environ.get("DUL_FD_IN", "3"))
FD_OUT = int(os.environ.get("DUL_FD_OUT", "4"))
LIFETIME = 120.0         # a bound on the whole session, whatever happens


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


def frame(mtype, body=b""):
    """One frame: header and body."""
    return struct.pack(">2sBBI", b"DU", 1, mtype, len(body)) + body


class Session:
    """One association's handler."""

    def __init__(self, opts):
        self.mode = opts.get("mode", "stall:0").split(":")
        assoc = os.environ.get("DUL_ASSOC_ID", "unknown").replace("/", "_")
        self.trace_fd = os.open(os.path.join(opts["trace"], assoc +
                                             ".jsonl"),
                                os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                                0o644)
        self.inbuf = b""
        self.accepted = []
        self.pdata_bytes = 0
        self.deadline = time.monotonic() + LIFETIME

    def trace(self, **kw):
        kw["t"] = round(time.monotonic(), 3)
        os.write(self.trace_fd, (json.dumps(kw) + "\n").encode())

    def write(self, data):
        """Write everything; return the longest single write (seconds),
        or -1 when the worker closed fd 4."""
        view = memoryview(data)
        longest = 0.0
        try:
            while view:
                t0 = time.monotonic()
                n = os.write(FD_OUT, view)
                longest = max(longest, time.monotonic() - t0)
                view = view[n:]
        except BrokenPipeError:
            return -1
        return longest

    def frames(self):
        """Read fd 3 and yield whole frames until EOF."""
        while time.monotonic() < self.deadline:
            while len(self.inbuf) >= 8:
                _, _, mtype, length = struct.unpack_from(">2sBBI",
                                                         self.inbuf)
                if len(self.inbuf) < 8 + length:
                    break
                body = self.inbuf[8:8 + length]
                self.inbuf = self.inbuf[8 + length:]
                yield mtype, body
            chunk = os.read(FD_IN, 1 << 16)
            if not chunk:
                self.trace(msg="EOF", pdata_bytes=self.pdata_bytes)
                return
            self.inbuf += chunk

    def run(self):
        self.trace(msg="START", pid=os.getpid())
        for mtype, body in self.frames():
            if mtype == HELLO:
                self.write(frame(HELLO_REPLY, tlv(0x0F10, b"\0\1") +
                                 tlv(0x0F11, b"resource-handler")))
            elif mtype == ASSOC_IND:
                self.on_assoc(body)
                if self.mode[0] == "flood":
                    self.flood(int(self.mode[1]), int(self.mode[2]))
            elif mtype == PDATA_IND:
                self.pdata_bytes += len(body)
                if self.mode[0] == "stall" and \
                        self.pdata_bytes >= int(self.mode[1]):
                    self.trace(msg="STALL", bytes=self.pdata_bytes)
                    self.stall()
            elif mtype == RELEASE_IND:
                self.trace(msg="RELEASE_IND")
                self.write(frame(RELEASE_RSP))
            elif mtype in (ABORT_IND, P_ABORT_IND):
                items = dict(tlv_items(body))
                self.trace(msg="P_ABORT_IND" if mtype == P_ABORT_IND
                           else "ABORT_IND",
                           cause=items.get(0x0403, b"\xff")[0],
                           reason=items.get(0x0402, items.get(
                               0x0401, b"\xff"))[0])
        return 0

    def on_assoc(self, body):
        decided = 0
        for tag, value in tlv_items(body):
            if tag == 0x0010:
                pc = dict(tlv_items(value))
                if pc[0x0015][0] == 0:
                    self.accepted.append(pc[0x0011][0])
            elif tag == 0x0043:
                decided = value[0]
        self.trace(msg="ASSOC_IND", decided=decided, accepted=self.accepted)
        if not decided:
            self.write(frame(ASSOC_RSP, tlv(0x0100, b"\x02")))

    def flood(self, n, size):
        """N P-DATA requests, each one data fragment of size bytes."""
        pdv = struct.pack(">IBB", size + 2, self.accepted[0], 0) + \
            bytes(size)
        req = frame(PDATA_REQ, pdv)
        written, longest, closed = 0, 0.0, False
        t0 = time.monotonic()
        for _ in range(n):
            w = self.write(req)
            if w < 0:
                closed = True
                break
            written += len(req)
            longest = max(longest, w)
        self.trace(msg="FLOOD", written=written, wanted=n * len(req),
                   longest=round(longest, 3), closed=closed,
                   took=round(time.monotonic() - t0, 3))

    def stall(self):
        """Stop reading: wait (bounded) until the worker ends us."""
        while time.monotonic() < self.deadline:
            time.sleep(0.5)
        sys.exit(4)


def main(argv):
    opts = {}
    for i in range(1, len(argv) - 1, 2):
        opts[argv[i].lstrip("-")] = argv[i + 1]
    if "trace" not in opts:
        sys.stderr.write("resource_handler.py: --trace is required\n")
        return 2
    return Session(opts).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
