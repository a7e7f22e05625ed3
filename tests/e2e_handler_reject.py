#!/usr/bin/env python3
"""What dulserverd rejects before a handler serves, seen from the wire.

Through dulserverd under socat (`dulserverd -i`), a scripted peer sends
an A-ASSOCIATE-RQ and checks the exact A-ASSOCIATE-RJ bytes, then the
connection's close; the worker's summary line must give the same codes
and say why.  The cases: an unknown called AE title (1, 1, 7), a calling
AE title the entry does not allow (1, 1, 3), and no acceptable
presentation context (1, 1, 1), decided by the policy (without starting
the handler) or after a handler accepted as proposed.  DCMTK's echoscu
must see the first rejection too, and a peer that does not close after
the rejection is closed on when ARTIM expires.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))
import dulpeer  # noqa: E402
import dulsrv  # noqa: E402
from dulsrv import check  # noqa: E402

CT = "1.2.840.10008.5.1.4.1.1.2"


def rejected(port, called, calling, rj, contexts=None, wait_close=False):
    """Send an RQ; the answer must be exactly this RJ.  The requestor
    closes (PS3.8 AE-4), or waits for the acceptor's ARTIM to close."""
    p = dulpeer.Peer("127.0.0.1", port)
    try:
        p.send(dulpeer.assoc_rq(called=called, calling=calling,
                                contexts=contexts))
        ptype, body = p.recv_pdu()
        got = bytes([ptype, 0]) + len(body).to_bytes(4, "big") + body
        check(got == dulsrv.rj_pdu(*rj), "%s: got %s, want %s" %
              (calling, got.hex(), dulsrv.rj_pdu(*rj).hex()))
        if wait_close:
            p.expect_close(timeout=6)
    finally:
        p.close()


def summary_says(srv, calling, rj, detail):
    s = srv.summary(calling)
    check(s["outcome"].startswith("rejected(%d,%d,%d:" % rj),
          "outcome: %s" % s["line"])
    check(s["detail"] is not None and detail in s["detail"],
          "detail %r not in: %s" % (detail, s["line"]))
    return s


def main():
    env = dulsrv.Env("reject")
    env.require("echoscu")
    port = dulsrv.free_port()
    entries = [
        dulsrv.ae_entry("ECHOSCP", env.echo_scp),
        dulsrv.ae_entry("GUARDED", env.echo_scp,
                        extra='calling_ae = [ "GOOD_*" ];'),
        # Would exit with status 3 if it were ever started.
        dulsrv.ae_entry("POLICYONLY", env.python or "/bin/false",
                        ["-B", env.fault, "exit-at-hello"],
                        negotiation="policy"),
    ]
    srv = dulsrv.Server(env, "reject", dulsrv.config(
        port, entries, timeouts="artim = 2; handler = 5; handler_exit = 2;"),
        port)

    def unknown_called():
        rejected(port, "NOSUCH", "RJ_CALLED", (1, 1, 7), wait_close=True)
        summary_says(srv, "RJ_CALLED", (1, 1, 7),
                     'called AE "NOSUCH" not configured')
        check(srv.summary("RJ_CALLED")["outcome"] ==
              "rejected(1,1,7:rejected-permanent/service-user/"
              "called-AE-title-not-recognized)", "outcome spelt out")
        rc, out = dulsrv.run_tool(["echoscu", "-d", "-to", "10",
                                   "-aet", "RJ_DCMTK", "-aec", "NOSUCH",
                                   "127.0.0.1", str(port)], timeout=30)
        check(rc != 0, "echoscu succeeded against an unknown AE")
        check("Called AE Title Not Recognized" in out,
              "echoscu did not see reason 7:\n" + out[-1500:])
        summary_says(srv, "RJ_DCMTK", (1, 1, 7), "not configured")

    def calling_refused():
        rejected(port, "GUARDED", "BAD_GUY", (1, 1, 3))
        summary_says(srv, "BAD_GUY", (1, 1, 3),
                     'calling AE "BAD_GUY" not allowed for GUARDED')
        # The same entry serves a calling AE title its list allows.
        p = dulpeer.Peer("127.0.0.1", port)
        try:
            p.send(dulpeer.assoc_rq(called="GUARDED", calling="GOOD_ONE"))
            ptype, _ = p.recv_pdu()
            check(ptype == dulpeer.A_ASSOCIATE_AC, "GOOD_ONE not accepted")
            p.send(dulpeer.RELRQ)
            ptype, _ = p.recv_pdu()
            check(ptype == dulpeer.A_RELEASE_RP, "no A-RELEASE-RP")
        finally:
            p.close()
        check(srv.summary("GOOD_ONE")["outcome"] == "released",
              "GOOD_ONE not released")

    def no_context_policy():
        rejected(port, "POLICYONLY", "RJ_POLICY", (1, 1, 1),
                 contexts=[(1, CT, [dulpeer.IMPLICIT_LE])])
        s = summary_says(srv, "RJ_POLICY", (1, 1, 1),
                         "no proposed presentation context is acceptable")
        check(s["handler"] == "0", "a handler was started: " + s["line"])

    def no_context_handler():
        rejected(port, "ECHOSCP", "RJ_NOCTX", (1, 1, 1),
                 contexts=[(1, CT, [dulpeer.IMPLICIT_LE]),
                           (3, dulpeer.VERIFICATION, ["1.2.3.4"])])
        summary_says(srv, "RJ_NOCTX", (1, 1, 1),
                     "no presentation context accepted")

    env.run("unknown called AE: RJ (1, 1, 7)", unknown_called)
    env.run("calling AE not allowed: RJ (1, 1, 3)", calling_refused)
    env.run("no context, policy decides: RJ (1, 1, 1), no exec",
            no_context_policy)
    env.run("no context, handler accepts as proposed: RJ (1, 1, 1)",
            no_context_handler)
    env.finish()


if __name__ == "__main__":
    main()
