"""PS3.8 Table 9-10 over real TCP: one test per acceptor-reachable cell.

Each test drives a real dulserverd into a state, sends the exact bytes of
one event, and asserts the exact PDU that comes back (or the close and
when it comes, against ARTIM), the one summary line, the worker's exit
status and what the test handler was told.  Tests are named
test_staS_evtE_action.  doc/conformance.md lists them.
"""

import time

import dulpeer
from harness import (ARTIM, HANDLER, IDLE, LATE, PROMPT, RECEIVED, RELEASE,
                     abort, check, echo_pdata, echo_rq, echo_rsp_pdata,
                     expected_ac, handler_not_saw, handler_saw, outcome, rj)

RELRQ = dulpeer.RELRQ
RELRP = dulpeer.RELRP
UNKNOWN_PDU = bytes.fromhex("08000000000400000000")  # type 0x08: Evt19
PEER_ABORT = abort(0, 0)

# Outcomes in the summary line, as regular expressions.
ABORTED_00 = r"aborted\(0,0:[^)]*\)"
ABORTED_20 = r"aborted\(2,0:[^)]*\)"
BY_PEER = r"aborted-by-peer\(0,0:[^)]*\)"


def ac_pdu():
    """A well-formed A-ASSOCIATE-AC, as a requestor would receive it."""
    rq = echo_rq("ECHO")
    return dulpeer.assoc_ac(rq, [(1, 0, dulpeer.IMPLICIT_LE)], 16384,
                            dulpeer.TEST_IMPL_UID)


def rj_pdu():
    """A well-formed A-ASSOCIATE-RJ."""
    return rj(1, 1, 1)


def data_pdata():
    """A P-DATA-TF with one data set fragment on context 1 (a handler
    answering C-ECHO ignores it)."""
    return dulpeer.pdata(dulpeer.pdv(1, 0, b"\x08\x00\x05\x00CS\x00\x00"))


# Drivers: each returns a connection in the named state.

def main(env):
    return env.daemons["main"]


def to_sta2(env):
    """Connected; the worker awaits the A-ASSOCIATE-RQ."""
    return main(env).connect()


def to_sta3(env, ae="HOLD"):
    """RQ sent to a handler that never answers it."""
    c = main(env).connect()
    c.send(echo_rq(ae))
    return c


def to_sta6(env, ae="ECHO"):
    """Associated: the exact A-ASSOCIATE-AC has arrived."""
    c = main(env).connect()
    rq = echo_rq(ae)
    c.send(rq)
    c.expect(expected_ac(rq), what="A-ASSOCIATE-AC")
    return c


def to_sta7(env, ae="RELEASE"):
    """Associated, and the handler asked to release: our RELRQ came."""
    c = to_sta6(env, ae)
    c.expect(RELRQ, what="A-RELEASE-RQ (AR-1)")
    return c


def to_sta8(env, ae="HOLDREL"):
    """The peer asked to release; the handler does not answer."""
    c = to_sta6(env, ae)
    c.send(RELRQ)
    return c


def to_sta10(env, ae="RELEASE"):
    """Release collision, acceptor side: both sent A-RELEASE-RQ."""
    c = to_sta7(env, ae)
    c.send(RELRQ)
    return c


def to_sta13(env):
    """Rejected by the provider (unknown called AE): RJ sent, ARTIM runs.
    Returns the connection and when the RJ arrived."""
    c = main(env).connect()
    c.send(echo_rq("NOSUCHAE"))
    t = c.expect(rj(1, 1, 7), what="A-ASSOCIATE-RJ (AE-6)")
    return c, t


# Common endings.

def aa1_sta2(c):
    """AA-1 in Sta2: A-ABORT (0, 0), then ARTIM bounds the wait."""
    c.expect(abort(0, 0), what="A-ABORT (AA-1)")
    c.expect_close_artim()
    res = c.finish()
    outcome(res, ABORTED_00, 2)
    check(res.trace == [], "a handler ran for an association never "
          "indicated")
    return res


def aa8(c, reason=2, code=2):
    """AA-8: provider A-ABORT, A-P-ABORT to the handler, ARTIM."""
    c.expect(abort(2, reason), what="A-ABORT (AA-8)")
    c.expect_close_artim()
    res = c.finish()
    outcome(res, r"aborted\(2,%d:[^)]*\)" % reason, code)
    handler_saw(res, "P_ABORT_IND", "EOF")
    p = res.find("P_ABORT_IND")
    check(p["reason"] == reason and p["cause"] == 7,
          "A-P-ABORT indication %s, expected reason %d cause 7" % (p,
                                                                   reason))
    return res


def aa3(c, when="ABORT_IND"):
    """AA-3: the peer's A-ABORT is indicated and we close at once."""
    c.send(PEER_ABORT)
    c.expect_close_prompt()
    res = c.finish()
    outcome(res, BY_PEER, 0)
    handler_saw(res, when, "EOF")
    a = res.find(when)
    check(a["source"] == 0 and a["reason"] == 0, "A-ABORT indication %s" %
          a)
    return res


def aa4(c):
    """AA-4: the transport closed; the handler gets A-P-ABORT."""
    c.shut()
    res = c.finish()
    check(res.ended - c.t_sent < PROMPT, "worker took %.2f s to notice the "
          "close" % (res.ended - c.t_sent))
    outcome(res, "connection-lost", 0)
    handler_saw(res, "P_ABORT_IND", "EOF")
    p = res.find("P_ABORT_IND")
    check(p["cause"] == 3, "A-P-ABORT cause %s, expected 3 (peer closed)"
          % p["cause"])
    return res


def aa6(c, t_start, code=0):
    """AA-6 in Sta13: nothing is sent; ARTIM, started at t_start and not
    restarted, ends the wait."""
    c.expect_close_artim(since=t_start)
    res = c.finish()
    outcome(res, r"rejected\(1,1,7:[^)]*\)", code)
    return res


# Sta2: transport open, awaiting A-ASSOCIATE-RQ.

def test_sta2_evt3_aa1(env):
    c = to_sta2(env)
    c.send(ac_pdu())
    aa1_sta2(c)


def test_sta2_evt4_aa1(env):
    c = to_sta2(env)
    c.send(rj_pdu())
    aa1_sta2(c)


def test_sta2_evt6_ae6_accept(env):
    c = to_sta2(env)
    rq = echo_rq("ECHO")
    c.send(rq)
    c.expect(expected_ac(rq), what="A-ASSOCIATE-AC")
    c.send(RELRQ)
    c.expect(RELRP, what="A-RELEASE-RP")
    res = c.finish()
    outcome(res, "released", 0)
    handler_saw(res, "START", "ASSOC_IND", "RELEASE_IND", "EOF")


def test_sta2_evt6_ae6_reject(env):
    c = to_sta2(env)
    c.send(echo_rq("ECHO", version=2))
    c.expect(rj(1, 2, 2), what="A-ASSOCIATE-RJ (1, 2, 2)")
    c.expect_close_artim()
    res = c.finish()
    outcome(res, r"rejected\(1,2,2:[^)]*\)", 0)
    check(res.trace == [], "a handler started for a provider rejection")


def test_sta2_evt10_aa1(env):
    c = to_sta2(env)
    c.send(echo_pdata())
    aa1_sta2(c)


def test_sta2_evt12_aa1(env):
    c = to_sta2(env)
    c.send(RELRQ)
    aa1_sta2(c)


def test_sta2_evt13_aa1(env):
    c = to_sta2(env)
    c.send(RELRP)
    aa1_sta2(c)


def test_sta2_evt16_aa2(env):
    c = to_sta2(env)
    c.send(PEER_ABORT)
    c.expect_close_prompt()
    res = c.finish()
    outcome(res, "closed", 0)


def test_sta2_evt17_aa5(env):
    c = to_sta2(env)
    c.shut()
    res = c.finish()
    check(res.ended - c.t_sent < PROMPT, "worker took %.2f s" % (
        res.ended - c.t_sent))
    outcome(res, "closed", 0)
    check(res.summary["pdus_out"] == "0", "sent %s PDUs" %
          res.summary["pdus_out"])


def test_sta2_evt18_aa2(env):
    c = to_sta2(env)
    c.expect_close_artim(since=c.t_connect)
    res = c.finish()
    outcome(res, "closed", 0)
    check("ARTIM" in (res.summary["detail"] or ""), "detail does not say "
          "ARTIM: %s" % res.summary["detail"])


def test_sta2_evt19_aa1(env):
    c = to_sta2(env)
    c.send(UNKNOWN_PDU)
    aa1_sta2(c)


# Sta3: awaiting the handler's A-ASSOCIATE response.

def test_sta3_evt3_aa8(env):
    c = to_sta3(env)
    c.send(ac_pdu())
    aa8(c)


def test_sta3_evt4_aa8(env):
    c = to_sta3(env)
    c.send(rj_pdu())
    aa8(c)


def test_sta3_evt6_aa8(env):
    c = to_sta3(env)
    c.send(echo_rq("HOLD"))
    aa8(c)


def test_sta3_evt10_aa8(env):
    c = to_sta3(env)
    c.send(echo_pdata())
    res = aa8(c)
    handler_not_saw(res, "PDATA_IND")


def test_sta3_evt12_aa8(env):
    c = to_sta3(env)
    c.send(RELRQ)
    aa8(c)


def test_sta3_evt13_aa8(env):
    c = to_sta3(env)
    c.send(RELRP)
    aa8(c)


def test_sta3_evt16_aa3(env):
    c = to_sta3(env)
    aa3(c)


def test_sta3_evt17_aa4(env):
    c = to_sta3(env)
    aa4(c)


def test_sta3_evt19_aa8(env):
    c = to_sta3(env)
    c.send(UNKNOWN_PDU)
    aa8(c, reason=1)


def test_sta3_evt7_ae7(env):
    c = main(env).connect()
    rq = echo_rq("DELAY")
    c.send(rq)
    t = c.expect(expected_ac(rq), what="A-ASSOCIATE-AC (AE-7)")
    check(t - c.t_sent >= 0.3, "AC before the handler's answer")
    c.send(RELRQ)
    c.expect(RELRP)
    outcome(c.finish(), "released", 0)


def test_sta3_evt8_ae8(env):
    c = main(env).connect()
    c.send(echo_rq("REJECT"))
    c.expect(rj(1, 1, 3), what="A-ASSOCIATE-RJ (AE-8)")
    c.expect_close_artim()
    res = c.finish()
    outcome(res, r"rejected\(1,1,3:[^)]*\)", 0)
    handler_saw(res, "ASSOC_IND", "EOF")


def test_sta3_evt15_aa1(env):
    c = main(env).connect()
    c.send(echo_rq("ABORT3"))
    c.expect(abort(0, 0), what="A-ABORT (AA-1)")
    c.expect_close_artim()
    res = c.finish()
    outcome(res, ABORTED_00, 0)


def test_sta3_timer_handler_rj(env):
    c = main(env).connect()
    c.send(echo_rq("HOLD"))
    t = c.expect(rj(2, 3, 1), timeout=HANDLER + LATE,
                 what="A-ASSOCIATE-RJ (2, 3, 1) at the handler deadline")
    check(t - c.t_sent >= HANDLER - 0.05, "RJ after %.2f s, before the "
          "handler deadline" % (t - c.t_sent))
    c.expect_close_artim(since=t)
    res = c.finish()
    outcome(res, r"rejected\(2,3,1:[^)]*\)", 2)


# Sta6: association established.

def test_sta6_evt3_aa8(env):
    c = to_sta6(env)
    c.send(ac_pdu())
    aa8(c)


def test_sta6_evt4_aa8(env):
    c = to_sta6(env)
    c.send(rj_pdu())
    aa8(c)


def test_sta6_evt6_aa8(env):
    c = to_sta6(env)
    c.send(echo_rq("ECHO"))
    aa8(c)


def test_sta6_evt10_dt2(env):
    c = to_sta6(env)
    c.send(echo_pdata(msg_id=7))
    c.expect(echo_rsp_pdata(msg_id=7), what="C-ECHO-RSP")
    c.send(RELRQ)
    c.expect(RELRP)
    res = c.finish()
    outcome(res, "released", 0)
    p = res.find("PDATA_IND")
    check(p is not None and p["pdvs"] == [[1, 3, len(
        dulpeer.c_echo_rq(7))]], "P-DATA indication %s" % p)


def test_sta6_evt12_ar2(env):
    c = to_sta6(env)
    c.send(RELRQ)
    c.expect(RELRP, what="A-RELEASE-RP")
    c.expect_close_artim()
    res = c.finish()
    outcome(res, "released", 0)
    handler_saw(res, "RELEASE_IND", "EOF")


def test_sta6_evt13_aa8(env):
    c = to_sta6(env)
    c.send(RELRP)
    aa8(c)


def test_sta6_evt16_aa3(env):
    c = to_sta6(env)
    aa3(c)


def test_sta6_evt17_aa4(env):
    c = to_sta6(env)
    aa4(c)


def test_sta6_evt19_aa8(env):
    c = to_sta6(env)
    c.send(UNKNOWN_PDU)
    aa8(c, reason=1)


def test_sta6_evt9_dt1(env):
    c = to_sta6(env)
    c.send(echo_pdata(msg_id=3))
    c.expect(echo_rsp_pdata(msg_id=3), what="P-DATA-TF (DT-1)")
    c.send(RELRQ)
    c.expect(RELRP)
    outcome(c.finish(), "released", 0)


def test_sta6_evt11_ar1(env):
    c = to_sta6(env, "RELEASE")
    c.expect(RELRQ, what="A-RELEASE-RQ (AR-1)")
    c.send(RELRP)
    c.expect_close_prompt()
    res = c.finish()
    outcome(res, "released", 0)


def test_sta6_evt15_aa1(env):
    c = to_sta6(env, "ABORT6")
    t = c.expect(abort(0, 0), what="A-ABORT (AA-1)")
    c.expect_close_artim(since=t)
    res = c.finish()
    outcome(res, ABORTED_00, 0)


def test_sta6_timer_idle_aa1(env):
    c = main(env).connect()
    rq = echo_rq("ECHO")
    c.send(rq)
    t_ac = c.expect(expected_ac(rq))
    t = c.expect(abort(0, 0), timeout=IDLE + LATE,
                 what="A-ABORT (0, 0) at the idle timeout")
    check(t - t_ac >= IDLE - RECEIVED, "idle abort after %.2f s" % (t - t_ac))
    c.expect_close_artim(since=t)
    res = c.finish()
    outcome(res, ABORTED_00, 0)
    p = res.find("P_ABORT_IND")
    check(p is not None and p["cause"] == 1, "handler told %s, expected "
          "cause 1 (idle)" % p)


# Sta7: awaiting A-RELEASE-RP (the handler asked to release).

def test_sta7_evt3_aa8(env):
    c = to_sta7(env)
    c.send(ac_pdu())
    aa8(c)


def test_sta7_evt4_aa8(env):
    c = to_sta7(env)
    c.send(rj_pdu())
    aa8(c)


def test_sta7_evt6_aa8(env):
    c = to_sta7(env)
    c.send(echo_rq("ECHO"))
    aa8(c)


def test_sta7_evt10_ar6(env):
    c = to_sta7(env)
    c.send(data_pdata())
    c.expect_silence(0.3)
    c.send(RELRP)
    c.expect_close_prompt()
    res = c.finish()
    outcome(res, "released", 0)
    handler_saw(res, "PDATA_IND", "RELEASE_CNF", "EOF")
    check(res.find("RELEASE_CNF")["collision"] == 0, "collision flag set")


def test_sta7_evt12_ar8(env):
    c = to_sta7(env)
    c.send(RELRQ)
    c.expect_silence(0.3)
    c.send(RELRP)
    c.expect(RELRP, what="A-RELEASE-RP after the collision")
    c.expect_close_artim()
    res = c.finish()
    outcome(res, "released", 0)
    handler_not_saw(res, "RELEASE_IND")
    check(res.find("RELEASE_CNF")["collision"] == 1, "no collision flag")


def test_sta7_evt13_ar3(env):
    c = to_sta7(env)
    c.send(RELRP)
    c.expect_close_prompt()
    res = c.finish()
    outcome(res, "released", 0)
    handler_saw(res, "RELEASE_CNF", "EOF")
    check(res.find("RELEASE_CNF")["collision"] == 0, "collision flag set")


def test_sta7_evt16_aa3(env):
    c = to_sta7(env)
    aa3(c)


def test_sta7_evt17_aa4(env):
    c = to_sta7(env)
    aa4(c)


def test_sta7_evt19_aa8(env):
    c = to_sta7(env)
    c.send(UNKNOWN_PDU)
    aa8(c, reason=1)


def test_sta7_evt15_aa1(env):
    c = to_sta7(env, "RELABORT")
    t = c.expect(abort(0, 0), what="A-ABORT (AA-1)")
    check(t - c.t_sent >= 0.75, "abort before the handler asked")
    c.expect_close_artim(since=t)
    outcome(c.finish(), ABORTED_00, 0)


def test_sta7_timer_release_aa1(env):
    c = to_sta7(env)
    t0 = time.monotonic()
    t = c.expect(abort(0, 0), timeout=RELEASE + LATE,
                 what="A-ABORT (0, 0) at the release timeout")
    check(t - t0 >= RELEASE - RECEIVED, "release timeout after %.2f s" % (
        t - t0))
    c.expect_close_artim(since=t)
    res = c.finish()
    outcome(res, ABORTED_00, 0)
    p = res.find("P_ABORT_IND")
    check(p is not None and p["cause"] == 11, "handler told %s, expected "
          "cause 11 (release timeout)" % p)


# Sta8: awaiting the handler's A-RELEASE response.

def test_sta8_evt3_aa8(env):
    c = to_sta8(env)
    c.send(ac_pdu())
    aa8(c)


def test_sta8_evt4_aa8(env):
    c = to_sta8(env)
    c.send(rj_pdu())
    aa8(c)


def test_sta8_evt6_aa8(env):
    c = to_sta8(env)
    c.send(echo_rq("ECHO"))
    aa8(c)


def test_sta8_evt10_aa8(env):
    c = to_sta8(env)
    c.send(echo_pdata())
    res = aa8(c)
    handler_not_saw(res, "PDATA_IND")


def test_sta8_evt12_aa8(env):
    c = to_sta8(env)
    c.send(RELRQ)
    aa8(c)


def test_sta8_evt13_aa8(env):
    c = to_sta8(env)
    c.send(RELRP)
    aa8(c)


def test_sta8_evt16_aa3(env):
    c = to_sta8(env)
    aa3(c)


def test_sta8_evt17_aa4(env):
    c = to_sta8(env)
    aa4(c)


def test_sta8_evt19_aa8(env):
    c = to_sta8(env)
    c.send(UNKNOWN_PDU)
    aa8(c, reason=1)


def test_sta8_evt9_ar7(env):
    c = to_sta8(env, "PDATAREL")
    c.expect(echo_rsp_pdata(msg_id=5), what="P-DATA-TF (AR-7)")
    c.expect(RELRP, what="A-RELEASE-RP (AR-4)")
    c.expect_close_artim()
    outcome(c.finish(), "released", 0)


def test_sta8_evt14_ar4(env):
    c = to_sta8(env, "DELAYREL")
    t = c.expect(RELRP, what="A-RELEASE-RP (AR-4)")
    check(t - c.t_sent >= 0.3, "RP before the handler answered")
    c.expect_close_artim(since=t)
    res = c.finish()
    outcome(res, "released", 0)


def test_sta8_evt15_aa1(env):
    c = to_sta8(env, "ABORTREL")
    t = c.expect(abort(0, 0), what="A-ABORT (AA-1)")
    c.expect_close_artim(since=t)
    outcome(c.finish(), ABORTED_00, 0)


def test_sta8_timer_handler_abort(env):
    c = to_sta8(env)
    t = c.expect(abort(2, 0), timeout=HANDLER + LATE,
                 what="A-ABORT (2, 0) at the handler deadline")
    check(t - c.t_sent >= HANDLER - 0.05, "abort after %.2f s" % (
        t - c.t_sent))
    c.expect_close_artim(since=t)
    outcome(c.finish(), ABORTED_20, 2)


# Sta10: release collision, acceptor side, awaiting A-RELEASE-RP.

def test_sta10_evt3_aa8(env):
    c = to_sta10(env)
    c.send(ac_pdu())
    aa8(c)


def test_sta10_evt4_aa8(env):
    c = to_sta10(env)
    c.send(rj_pdu())
    aa8(c)


def test_sta10_evt6_aa8(env):
    c = to_sta10(env)
    c.send(echo_rq("ECHO"))
    aa8(c)


def test_sta10_evt10_aa8(env):
    c = to_sta10(env)
    c.send(data_pdata())
    res = aa8(c)
    handler_not_saw(res, "PDATA_IND")


def test_sta10_evt12_aa8(env):
    c = to_sta10(env)
    c.send(RELRQ)
    aa8(c)


def test_sta10_evt13_ar10(env):
    c = to_sta10(env)
    c.send(RELRP)
    c.expect(RELRP, what="A-RELEASE-RP (AR-10 then AR-4)")
    c.expect_close_artim()
    res = c.finish()
    outcome(res, "released", 0)
    cnf = res.find("RELEASE_CNF")
    check(cnf is not None and cnf["collision"] == 1, "RELEASE_CNF %s" % cnf)


def test_sta10_evt16_aa3(env):
    c = to_sta10(env)
    aa3(c)


def test_sta10_evt17_aa4(env):
    c = to_sta10(env)
    aa4(c)


def test_sta10_evt19_aa8(env):
    c = to_sta10(env)
    c.send(UNKNOWN_PDU)
    aa8(c, reason=1)


def test_sta10_evt15_aa1(env):
    c = to_sta10(env, "RELABORT")
    t = c.expect(abort(0, 0), what="A-ABORT (AA-1)")
    c.expect_close_artim(since=t)
    res = c.finish()
    outcome(res, ABORTED_00, 0)
    handler_not_saw(res, "RELEASE_IND")


def test_sta10_timer_release_aa1(env):
    c = to_sta7(env)
    t0 = time.monotonic()
    c.send(RELRQ)
    t = c.expect(abort(0, 0), timeout=RELEASE + LATE,
                 what="A-ABORT (0, 0) at the release timeout")
    check(t - t0 >= RELEASE - RECEIVED, "release timeout after %.2f s" % (
        t - t0))
    c.expect_close_artim(since=t)
    res = c.finish()
    outcome(res, ABORTED_00, 0)
    p = res.find("P_ABORT_IND")
    check(p is not None and p["cause"] == 11, "handler told %s, expected "
          "cause 11 (release timeout)" % p)


# Sta12: release collision, acceptor side, awaiting the local response.
# The worker answers AR-10's confirmation itself (Evt14, decision 7),
# so no peer event can be read in Sta12; AR-4 is what can be seen.

def test_sta12_evt14_ar4(env):
    c = to_sta10(env)
    t0 = time.monotonic()
    c.send(RELRP)
    t = c.expect(RELRP, what="A-RELEASE-RP (AR-4 in Sta12)")
    check(t - t0 < PROMPT, "AR-4 took %.2f s" % (t - t0))
    c.expect_close_artim(since=t)
    res = c.finish()
    outcome(res, "released", 0)
    handler_saw(res, "ASSOC_IND", "RELEASE_CNF", "EOF")
    handler_not_saw(res, "RELEASE_IND")


# Sta13: awaiting the transport close (here: after a provider RJ).

def test_sta13_evt3_aa6(env):
    c, t = to_sta13(env)
    c.send(ac_pdu())
    aa6(c, t)


def test_sta13_evt4_aa6(env):
    c, t = to_sta13(env)
    c.send(rj_pdu())
    aa6(c, t)


def test_sta13_evt6_aa7(env):
    c, t = to_sta13(env)
    time.sleep(ARTIM / 2)
    c.send(echo_rq("ECHO"))
    c.expect(abort(2, 2), what="A-ABORT (AA-7)")
    aa6(c, t, 2)


def test_sta13_evt10_aa6(env):
    c, t = to_sta13(env)
    c.send(echo_pdata())
    aa6(c, t)


def test_sta13_evt12_aa6(env):
    c, t = to_sta13(env)
    c.send(RELRQ)
    aa6(c, t)


def test_sta13_evt13_aa6(env):
    c, t = to_sta13(env)
    time.sleep(ARTIM / 2)
    c.send(RELRP)
    aa6(c, t)


def test_sta13_evt16_aa2(env):
    c, t = to_sta13(env)
    c.send(PEER_ABORT)
    c.expect_close_prompt()
    outcome(c.finish(), r"rejected\(1,1,7:[^)]*\)", 0)


def test_sta13_evt17_ar5(env):
    c, t = to_sta13(env)
    c.shut()
    res = c.finish()
    check(res.ended - c.t_sent < PROMPT, "worker took %.2f s to end" % (
        res.ended - c.t_sent))
    outcome(res, r"rejected\(1,1,7:[^)]*\)", 0)


def test_sta13_evt18_aa2(env):
    c, t = to_sta13(env)
    c.expect_close_artim(since=t)
    outcome(c.finish(), r"rejected\(1,1,7:[^)]*\)", 0)


def test_sta13_evt19_aa7(env):
    c, t = to_sta13(env)
    time.sleep(ARTIM / 2)
    c.send(UNKNOWN_PDU)
    c.expect(abort(2, 1), what="A-ABORT (AA-7)")
    c.send(UNKNOWN_PDU + UNKNOWN_PDU)
    aa6(c, t, 2)
