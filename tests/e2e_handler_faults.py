#!/usr/bin/env python3
"""Handler failures and the answers a handler gives, seen from the wire.

dulserverd runs under socat (`dulserverd -i`) with tests/handlers/
fault_handler.py, which misbehaves in one chosen way per `ae` entry.  A
scripted peer checks the exact PDUs it receives (design 8.8: before the
A-ASSOCIATE-AC an RJ (2, 3, 1), afterwards an A-ABORT (2, 0)), and the
worker's summary line must say what happened, with the handler's exit
status.  The same peer also checks what a handler's accepting answer
puts into the A-ASSOCIATE-AC, a P-DATA request sent right behind the
answer, a handler's own abort, and the release crossing of
doc/handler-protocol.md 6.6.
"""

import os
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))
import dcmgen  # noqa: E402
import dulpeer  # noqa: E402
import dulsrv  # noqa: E402
from dulsrv import check  # noqa: E402

RJ_TRANSIENT = (2, 3, 1)
ABORT_PROVIDER = (2, 0)
MODES = ("exit-at-hello", "exit-at-assoc", "silent", "garbage-at-assoc",
         "exit-mid", "garbage-mid", "dup-answer", "small-max",
         "ui-unrequested", "answers", "early-pdata", "abort-exit",
         "cross-release", "small-limit", "take-refused")
BIG_MAX = "max_pdu_receive = 1048576;"
# A Python handler must answer HELLO within the handler timeout, which a
# loaded machine (the suite runs tests side by side) may make slow: every
# entry has 10 s, but the one whose timeout is measured.
SILENT_TIMEOUT = 2
EXTRA = {"small-limit": BIG_MAX,
         "silent": "timeouts = { handler = %d; };" % SILENT_TIMEOUT}


def title(mode):
    return mode.replace("-", "_").upper()[:16]


def raw(ptype, body):
    return bytes([ptype, 0]) + len(body).to_bytes(4, "big") + body


class Assoc:
    """One scripted association to the entry of a fault mode."""

    def __init__(self, port, called, calling, extra_user_items=b"",
                 contexts=None):
        self.peer = dulpeer.Peer("127.0.0.1", port)
        self.peer.send(dulpeer.assoc_rq(
            called=called, calling=calling, contexts=contexts,
            extra_user_items=extra_user_items))

    def next(self, timeout=None):
        ptype, body = self.peer.recv_pdu(timeout=timeout)
        return ptype, body

    def close(self):
        self.peer.close()


def user_sub_items(ac_body):
    """{sub-item type: [values]} of an A-ASSOCIATE-AC's user item."""
    out = {}
    off = 68
    while off + 4 <= len(ac_body):
        itype, _, ilen = struct.unpack_from(">BBH", ac_body, off)
        val = ac_body[off + 4:off + 4 + ilen]
        if itype == 0x50:
            uoff = 0
            while uoff + 4 <= len(val):
                st, _, sl = struct.unpack_from(">BBH", val, uoff)
                out.setdefault(st, []).append(val[uoff + 4:uoff + 4 + sl])
                uoff += 4 + sl
        off += 4 + ilen
    return out


def main():
    env = dulsrv.Env("faults")
    env.require()
    if env.python is None:
        print("SKIP: no Python 3 usable as a handler")
        env.cleanup()
        sys.exit(dulsrv.SKIP)
    # The loader checks handlers at start, so these fail only in execve.
    badinterp = env.write("bad-interpreter", "#!%s\n" %
                          env.path("no-such-interpreter"), 0o755)
    badformat = env.write("bad-format", "not a program\n", 0o755)
    entries = [
        dulsrv.ae_entry("BADINTERP", badinterp),
        dulsrv.ae_entry("BADFORMAT", badformat),
    ]
    for mode in MODES:
        h, a = env.python_handler(env.fault, mode)
        entries.append(dulsrv.ae_entry(
            title(mode), h, a, extra=EXTRA.get(mode, "")))
    h, a = env.python_handler(env.fault, "small-limit")
    entries.append(dulsrv.ae_entry("LIMIT_POLICY", h, a, extra=BIG_MAX,
                                   negotiation="policy"))
    h, a = env.python_handler(env.fault, "exit-mid")
    entries.append(dulsrv.ae_entry("EXIT_MID_STORE", h, a,
                                   contexts=[("storage", "uncompressed")]))
    port = dulsrv.free_port()
    srv = dulsrv.Server(env, "faults", dulsrv.config(
        port, entries, timeouts="artim = 5; handler = 10; "
        "handler_exit = 1;"), port)

    def summary(calling, outcome, handler=None, detail=None):
        s = srv.summary(calling)
        check(s["outcome"].startswith(outcome), "outcome %r: %s" %
              (outcome, s["line"]))
        if handler is not None:
            check(s["handler"] == str(handler), "handler status %s: %s" %
                  (handler, s["line"]))
        if detail is None:
            check(s["detail"] is None, "unexpected detail: " + s["line"])
        else:
            check(s["detail"] is not None and detail in s["detail"],
                  "detail %r: %s" % (detail, s["line"]))
        return s

    def rejected(called, calling, handler, detail):
        a = Assoc(port, called, calling)
        try:
            t0 = time.monotonic()
            got = raw(*a.next())
            took = time.monotonic() - t0
            check(got == dulsrv.rj_pdu(*RJ_TRANSIENT), "%s: got %s" %
                  (calling, got.hex()))
        finally:
            a.close()
        summary(calling, "rejected(2,3,1:rejected-transient/"
                "service-provider-presentation/temporary-congestion)",
                handler, detail)
        return took

    def aborted_mid(called, calling, handler, detail):
        a = Assoc(port, called, calling)
        try:
            ptype, _ = a.next()
            check(ptype == dulpeer.A_ASSOCIATE_AC, "no AC")
            a.peer.send(dulpeer.pdata(dulpeer.pdv(
                1, 0x03, dulpeer.c_echo_rq())))
            got = raw(*a.next())
            check(got == dulsrv.abort_pdu(*ABORT_PROVIDER),
                  "%s: got %s" % (calling, got.hex()))
        finally:
            a.close()
        summary(calling, "aborted(2,0:service-provider/", handler, detail)

    def exec_interpreter():
        rejected("BADINTERP", "EXEC_INTERP", 0,
                 "handler cannot be executed: No such file or directory")

    def exec_format():
        rejected("BADFORMAT", "EXEC_FORMAT", 0,
                 "handler cannot be executed: Exec format error")

    def exec_after_start(name, spoil, why):
        """dulserverd -d checked the handler at start; it is spoilt
        before the one connection comes."""
        h = env.write(name, "#!/bin/sh\nexit 0\n", 0o755)
        dport = dulsrv.free_port()
        dsrv = dulsrv.Server(env, name, dulsrv.config(
            dport, [dulsrv.ae_entry("SPOILT", h)]), dport, mode="debug")
        spoil(h)
        a = Assoc(dport, "SPOILT", "EXEC_" + name.upper())
        try:
            got = raw(*a.next())
            check(got == dulsrv.rj_pdu(*RJ_TRANSIENT), "got %s" % got.hex())
        finally:
            a.close()
        dsrv.wait_exit()
        s = dsrv.summary("EXEC_" + name.upper())
        check(s["outcome"].startswith("rejected(2,3,1:"), s["line"])
        check(s["detail"] == "handler cannot be executed: " + why,
              s["line"])

    def exit_at_hello():
        rejected(title("exit-at-hello"), "EXIT_HELLO", 3,
                 "handler failed: handler closed its output")

    def exit_at_assoc():
        rejected(title("exit-at-assoc"), "EXIT_ASSOC", 4,
                 "handler failed: handler closed its output")

    def silent():
        took = rejected(title("silent"), "SILENT", 143,
                        "did not answer in time")
        check(SILENT_TIMEOUT - 0.2 <= took < 2 * SILENT_TIMEOUT + 2,
              "rejected after %.1f s, want about %d" % (took,
                                                        SILENT_TIMEOUT))

    def garbage_at_assoc():
        rejected(title("garbage-at-assoc"), "GARBAGE_ASSOC", None,
                 "handler failed: bad frame header")

    def exit_mid():
        aborted_mid(title("exit-mid"), "EXIT_MID", 5,
                    "handler failed: handler closed its output")

    def garbage_mid():
        aborted_mid(title("garbage-mid"), "GARBAGE_MID", None,
                    "handler failed: bad frame header")

    def dup_answer():
        rejected(title("dup-answer"), "DUP_ANSWER", 0,
                 "ASSOC_RSP does not fit the indication")

    def small_max():
        rejected(title("small-max"), "SMALL_MAX", 0,
                 "ASSOC_RSP does not fit the indication")

    def ui_unrequested():
        rejected(title("ui-unrequested"), "UI_UNREQUESTED", 0,
                 "ASSOC_RSP does not fit the indication")

    def answers():
        # Proposed: a window of (5, 5) and extended negotiation for
        # Verification; the handler answers (2, 1) and 01 00 01.
        ext = (struct.pack(">H", len(dulpeer.VERIFICATION)) +
               dulpeer.VERIFICATION.encode() + b"\x07")
        user = (dulpeer.item(0x53, struct.pack(">HH", 5, 5)) +
                dulpeer.item(0x56, ext))
        a = Assoc(port, title("answers"), "ANSWERS", user)
        try:
            ptype, body = a.next()
            check(ptype == dulpeer.A_ASSOCIATE_AC, "no AC")
            sub = user_sub_items(body)
            check(sub.get(0x53) == [struct.pack(">HH", 2, 1)],
                  "window in the AC: %r" % sub.get(0x53))
            want = (struct.pack(">H", len(dulpeer.VERIFICATION)) +
                    dulpeer.VERIFICATION.encode() + b"\x01\x00\x01")
            check(sub.get(0x56) == [want],
                  "extended negotiation in the AC: %r" % sub.get(0x56))
            a.peer.send(dulpeer.RELRQ)
            check(raw(*a.next()) == dulpeer.RELRP, "no A-RELEASE-RP")
        finally:
            a.close()
        summary("ANSWERS", "released", 0)

    def early_pdata():
        a = Assoc(port, title("early-pdata"), "EARLY_PDATA")
        try:
            ptype, _ = a.next()
            check(ptype == dulpeer.A_ASSOCIATE_AC, "no AC")
            ptype, body = a.next()
            check(ptype == dulpeer.P_DATA_TF and
                  dulpeer.parse_pdata(body) == [(1, 0x03, b"EARLY!")],
                  "P-DATA right after the AC: %r" % body)
            a.peer.send(dulpeer.RELRQ)
            check(raw(*a.next()) == dulpeer.RELRP, "no A-RELEASE-RP")
        finally:
            a.close()
        summary("EARLY_PDATA", "released", 0)

    def abort_exit():
        a = Assoc(port, title("abort-exit"), "ABORT_EXIT")
        try:
            ptype, _ = a.next()
            check(ptype == dulpeer.A_ASSOCIATE_AC, "no AC")
            got = raw(*a.next())
            check(got == dulsrv.abort_pdu(0, 0), "got %s" % got.hex())
        finally:
            a.close()
        summary("ABORT_EXIT", "aborted(0,0:service-user/-)", 0)

    def cross_release():
        # The handler exits 0 only if it saw RELEASE_CNF, collision 1.
        a = Assoc(port, title("cross-release"), "CROSS_RELEASE")
        try:
            ptype, _ = a.next()
            check(ptype == dulpeer.A_ASSOCIATE_AC, "no AC")
            a.peer.send(dulpeer.RELRQ)
            check(raw(*a.next()) == dulpeer.RELRP, "no A-RELEASE-RP")
        finally:
            a.close()
        summary("CROSS_RELEASE", "released", 0)

    def small_limit():
        # Before the AC, the maximum length shrinks to what fits.
        a = Assoc(port, title("small-limit"), "SMALL_LIMIT")
        try:
            ptype, body = a.next()
            check(ptype == dulpeer.A_ASSOCIATE_AC, "no AC")
            max_len = dulpeer.parse_ac(body)["max_len"]
            check(max_len == 65536, "AC announces %s, want 65536" % max_len)
            a.peer.send(dulpeer.RELRQ)
            check(raw(*a.next()) == dulpeer.RELRP, "no A-RELEASE-RP")
        finally:
            a.close()
        summary("SMALL_LIMIT", "released", 0)

    def small_limit_policy():
        # The policy's AC announced 1 MiB before the handler said less.
        a = Assoc(port, "LIMIT_POLICY", "LIMIT_POLICY")
        try:
            ptype, body = a.next()
            check(ptype == dulpeer.A_ASSOCIATE_AC, "no AC")
            check(dulpeer.parse_ac(body)["max_len"] == 1048576,
                  "AC max length")
            got = raw(*a.next())
            check(got == dulsrv.abort_pdu(*ABORT_PROVIDER),
                  "got %s" % got.hex())
        finally:
            a.close()
        summary("LIMIT_POLICY", "aborted(2,0:", None,
                "handler accepts 65536 bytes, the A-ASSOCIATE-AC "
                "announced 1048576")

    def take_refused():
        # The entry offers Verification only; the handler takes CT too,
        # answering the role selection the peer proposed for it.
        ct = "1.2.840.10008.5.1.4.1.1.2"
        role = dulpeer.item(0x54, struct.pack(">H", len(ct)) +
                            ct.encode() + b"\x01\x01")
        a = Assoc(port, title("take-refused"), "TAKE_REFUSED", role,
                  contexts=[(1, dulpeer.VERIFICATION,
                             [dulpeer.IMPLICIT_LE]),
                            (3, ct, [dulpeer.EXPLICIT_LE])])
        try:
            ptype, body = a.next()
            check(ptype == dulpeer.A_ASSOCIATE_AC, "no AC")
            ac = dulpeer.parse_ac(body)
            check(ac["contexts"].get(3) == (0, dulpeer.EXPLICIT_LE),
                  "context 3: %r" % (ac["contexts"].get(3),))
            check(user_sub_items(body).get(0x54) ==
                  [struct.pack(">H", len(ct)) + ct.encode() + b"\x01\x00"],
                  "role answer: %r" % user_sub_items(body).get(0x54))
            a.peer.send(dulpeer.RELRQ)
            check(raw(*a.next()) == dulpeer.RELRP, "no A-RELEASE-RP")
        finally:
            a.close()
        summary("TAKE_REFUSED", "released", 0)

    def storescu_exit_mid():
        if not dulsrv.have("storescu"):
            print("note: no storescu; skipped")
            return
        obj = env.path("ct.dcm")
        dcmgen.write_object(obj, dcmgen.CT, dcmgen.EXPLICIT_LE, 4 << 20, 7)
        rc, out = dulsrv.run_tool(
            ["storescu", "-to", "10", "-ta", "10", "-td", "30", "-R",
             "-aet", "STORE_EXIT_MID", "-aec", "EXIT_MID_STORE",
             "127.0.0.1", str(port), obj], timeout=60)
        check(rc != 0, "storescu succeeded:\n" + out)
        check("Peer aborted Association" in out,
              "storescu did not see the abort:\n" + out[-1500:])
        # Its end shows as EOF on fd 4 or EPIPE on fd 3, whichever first.
        summary("STORE_EXIT_MID", "aborted(2,0:service-provider/", 5,
                "handler failed: ")

    env.run("exec fails, no interpreter: RJ (2, 3, 1)", exec_interpreter)
    env.run("exec fails, not a program: RJ (2, 3, 1)", exec_format)
    env.run("handler removed after start (-d): RJ (2, 3, 1)",
            lambda: exec_after_start("removed", os.unlink,
                                     "No such file or directory"))
    env.run("handler made non-executable after start (-d): RJ (2, 3, 1)",
            lambda: exec_after_start("noperm",
                                     lambda p: os.chmod(p, 0o644),
                                     "Permission denied"))
    env.run("handler exits at HELLO: RJ (2, 3, 1)", exit_at_hello)
    env.run("handler exits at ASSOC_IND: RJ (2, 3, 1)", exit_at_assoc)
    env.run("handler never answers: RJ (2, 3, 1) after %d s" %
            SILENT_TIMEOUT, silent)
    env.run("handler sends garbage at ASSOC_IND: RJ (2, 3, 1)",
            garbage_at_assoc)
    env.run("handler exits mid-transfer: A-ABORT (2, 0)", exit_mid)
    env.run("handler exits during storescu's C-STORE: A-ABORT (2, 0)",
            storescu_exit_mid)
    env.run("handler sends garbage mid-transfer: A-ABORT (2, 0)",
            garbage_mid)
    env.run("context answered twice: RJ (2, 3, 1)", dup_answer)
    env.run("maximum length 4: RJ (2, 3, 1)", small_max)
    env.run("unrequested user identity answer: RJ (2, 3, 1)",
            ui_unrequested)
    env.run("window and extended negotiation answers reach the AC", answers)
    env.run("P-DATA request right behind the acceptance", early_pdata)
    env.run("handler aborts and exits at once: A-ABORT (0, 0)", abort_exit)
    env.run("RELEASE_REQ crossing RELEASE_IND: RP, RELEASE_CNF(1)",
            cross_release)
    env.run("handler accepts a context the policy refused, with roles",
            take_refused)
    env.run("handler's receive limit lowers the AC's maximum length",
            small_limit)
    env.run("handler's receive limit after the policy's AC: A-ABORT (2, 0)",
            small_limit_policy)
    env.finish()


if __name__ == "__main__":
    main()
