"""A handler that misbehaves on purpose, one way per run.

The worker runs it as `python3 fault_handler.py MODE`.  It speaks just
enough of the handler protocol (doc/handler-protocol.md) to reach the
point where MODE goes wrong; the end-to-end tests then check what the
peer received and what the worker logged.  Standard library only.

Modes:
  exit-at-hello     exit 3 as soon as HELLO has arrived
  exit-at-assoc     answer HELLO, exit 4 once ASSOC_IND has arrived
  silent            answer HELLO, then never answer ASSOC_IND
  garbage-at-assoc  answer ASSOC_IND with bytes that are not a frame
  exit-mid          accept, exit 5 at the first P-DATA indication
  garbage-mid       accept, send a bad frame at the first P-DATA
  dup-answer        accept answering one context twice
  small-max         accept announcing a maximum length of 4
  ui-unrequested    accept with a user identity answer nobody asked for
  answers           accept with a window (2, 1) and an extended
                    negotiation answer; then answer the release
  early-pdata       accept and send a P-DATA request in the same write
  abort-exit        accept, then send ABORT_REQ and exit at once
  cross-release     accept; answer RELEASE_IND with RELEASE_REQ (the
                    crossing) and exit 0 only if RELEASE_CNF with
                    collision 1 and then EOF follow
  small-limit       announce in HELLO_REPLY that it takes bodies of at
                    most 64 KiB; accept as proposed, answer the release
  take-refused      accept every context the policy refused, with its
                    first transfer syntax and, where roles were proposed,
                    the SCU role only; answer the release
"""

import os
import struct
import sys
import time

FD_IN, FD_OUT = 3, 4
HELLO, HELLO_REPLY, ASSOC_IND, ASSOC_RSP = 0x01, 0x02, 0x10, 0x11
PDATA_IND, PDATA_REQ = 0x20, 0x21
RELEASE_IND, RELEASE_RSP, RELEASE_REQ, RELEASE_CNF = 0x30, 0x31, 0x32, 0x33
ABORT_REQ = 0x41


def read_exact(n):
    buf = b""
    while len(buf) < n:
        chunk = os.read(FD_IN, n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def recv():
    magic, ver, mtype, length = struct.unpack(">2sBBI", read_exact(8))
    if magic != b"DU" or ver != 1 or length > (64 << 20):
        sys.exit(20)
    return mtype, read_exact(length)


def frame(mtype, body=b""):
    return struct.pack(">2sBBI", b"DU", 1, mtype, len(body)) + body


def send(data):
    while data:
        data = data[os.write(FD_OUT, data):]


def tlv(tag, value):
    return struct.pack(">HI", tag, len(value)) + value


def items(body):
    off = 0
    while off + 6 <= len(body):
        tag, length = struct.unpack_from(">HI", body, off)
        yield tag, body[off + 6:off + 6 + length]
        off += 6 + length


def first_context(ind):
    """Id and first proposed transfer syntax of the first context."""
    for tag, value in items(ind):
        if tag == 0x0010:
            sub = dict(items(value))
            return sub[0x0011][0], sub[0x0013]
    sys.exit(21)


def start(limit=None):
    """HELLO in, HELLO_REPLY out, ASSOC_IND in; return its body."""
    mtype, _ = recv()
    if mtype != HELLO:
        sys.exit(22)
    extra = b"" if limit is None else tlv(0x0F13, struct.pack(">I", limit))
    send(frame(HELLO_REPLY, tlv(0x0F10, b"\x00\x01") +
               tlv(0x0F11, b"fault-handler") + extra))
    mtype, body = recv()
    if mtype != ASSOC_IND:
        sys.exit(23)
    return body


def accept_body(ind, extra=b"", twice=False):
    """ASSOC_RSP body accepting the first context with its first TS."""
    pcid, ts = first_context(ind)
    ans = tlv(0x0110, tlv(0x0011, bytes([pcid])) + tlv(0x0015, b"\x00") +
              tlv(0x0016, ts))
    return tlv(0x0100, b"\x00") + ans + (ans if twice else b"") + extra


def serve_until_release(answer=RELEASE_RSP):
    """Ignore P-DATA, answer the release, read to EOF."""
    while True:
        try:
            mtype, body = recv()
        except EOFError:
            return
        if mtype == RELEASE_IND:
            send(frame(answer))
            return


def main():
    mode = sys.argv[1]
    if mode == "exit-at-hello":
        recv()
        sys.exit(3)
    ind = start(65536 if mode == "small-limit" else None)
    if mode == "exit-at-assoc":
        sys.exit(4)
    if mode == "silent":
        time.sleep(60)
        sys.exit(24)
    if mode == "garbage-at-assoc":
        send(b"GARBAGE, NOT A FRAME")
        time.sleep(5)
        sys.exit(0)
    if mode == "dup-answer":
        send(frame(ASSOC_RSP, accept_body(ind, twice=True)))
    elif mode == "small-max":
        send(frame(ASSOC_RSP, accept_body(ind, tlv(0x0121,
                                                   struct.pack(">I", 4)))))
    elif mode == "ui-unrequested":
        send(frame(ASSOC_RSP, accept_body(ind, tlv(0x0124, b""))))
    elif mode == "answers":
        ext = {}
        for tag, value in items(ind):
            if tag == 0x0020:
                ext = dict(items(value))
        extra = tlv(0x0122, struct.pack(">HH", 2, 1))
        if ext:
            extra += tlv(0x0123, tlv(0x0021, ext[0x0021]) +
                         tlv(0x0022, b"\x01\x00\x01"))
        send(frame(ASSOC_RSP, accept_body(ind, extra)))
    elif mode == "early-pdata":
        pcid, _ = first_context(ind)
        pdv = struct.pack(">IBB", 8, pcid, 0x03) + b"EARLY!"
        send(frame(ASSOC_RSP, accept_body(ind)) + frame(PDATA_REQ, pdv))
    elif mode == "take-refused":
        body = tlv(0x0100, b"\x00")
        for tag, value in items(ind):
            if tag != 0x0010:
                continue
            sub = dict(items(value))
            if sub[0x0015] == b"\x00":
                continue
            ans = (tlv(0x0011, sub[0x0011]) + tlv(0x0015, b"\x00") +
                   tlv(0x0016, sub[0x0013]))
            if 0x0014 in sub:
                ans += tlv(0x0017, bytes([sub[0x0014][0], 0]))
            body += tlv(0x0110, ans)
        send(frame(ASSOC_RSP, body))
    elif mode == "abort-exit":
        send(frame(ASSOC_RSP, accept_body(ind)) + frame(ABORT_REQ))
        sys.exit(0)
    elif dict(items(ind)).get(0x0043) != b"\x01":
        send(frame(ASSOC_RSP, tlv(0x0100, b"\x02")))
    if mode in ("dup-answer", "small-max", "ui-unrequested"):
        # The worker must refuse: only an ERROR and EOF may follow.
        try:
            while True:
                recv()
        except EOFError:
            sys.exit(0)
    if mode in ("exit-mid", "garbage-mid"):
        while True:
            try:
                mtype, _ = recv()
            except EOFError:
                sys.exit(25)
            if mtype == PDATA_IND:
                if mode == "exit-mid":
                    sys.exit(5)
                send(b"DU\x02\x21\x00\x00\x00\x00")
                time.sleep(5)
                sys.exit(0)
    if mode == "cross-release":
        serve_until_release(RELEASE_REQ)
        try:
            mtype, body = recv()
        except EOFError:
            sys.exit(10)
        if mtype != RELEASE_CNF or dict(items(body)).get(0x0300) != b"\x01":
            sys.exit(11)
        try:
            recv()
        except EOFError:
            sys.exit(0)
        sys.exit(12)
    serve_until_release()
    try:
        while True:
            recv()
    except EOFError:
        sys.exit(0)


if __name__ == "__main__":
    main()
