"""The robustness battery's cases that the wire reaches, against a real
dulserverd: sections A (transport and pre-association), B (header and
length fields), C (A-ASSOCIATE-RQ content), D (sequencing), E (P-DATA and
PDV framing), H (handler faults), I (operating modes: -i) and K
(logging).

Each test is named test_bNNN_... after its case.  Each asserts the exact
bytes the peer receives, the one summary line (outcome and exit status),
and that a normal association right after still succeeds.  Times are
scaled to the suite's short timers.  doc/conformance.md maps the cases.
"""

import os
import random
import re
import resource
import socket
import struct
import subprocess
import time

import dulpeer
import test_fsm
from dulpeer import IMPLICIT_LE, TEST_IMPL_UID, VERIFICATION, item
from harness import (ARTIM, CT_IMAGE, HANDLER, IDLE, LATE, MAX_PDU, PROMPT,
                     abort, check, echo_pdata, echo_rq, echo_rsp_pdata,
                     expected_ac, handler_not_saw, handler_saw, outcome, rj)

RELRQ = dulpeer.RELRQ
RELRP = dulpeer.RELRP
ABORTED_00 = r"aborted\(0,0:[^)]*\)"
ABORTED_20 = r"aborted\(2,0:[^)]*\)"
ABORTED_21 = r"aborted\(2,1:[^)]*\)"
ABORTED_22 = r"aborted\(2,2:[^)]*\)"
ABORTED_26 = r"aborted\(2,6:[^)]*\)"
TRANSIENT = r"rejected\(2,3,1:[^)]*\)"
APP = item(0x10, dulpeer.APP_CONTEXT)
MAXLEN = item(0x51, struct.pack(">I", 16384))
IMPL = item(0x52, TEST_IMPL_UID.encode())
CT_UID = "1.2.826.0.1.3680043.9.7433.2.1"


# Builders.

def pc(cid, abstract=VERIFICATION, tss=(IMPLICIT_LE,)):
    """A presentation context item (RQ)."""
    if isinstance(abstract, str):
        abstract = abstract.encode()
    sub = item(0x30, abstract)
    for ts in tss:
        sub += item(0x40, ts.encode() if isinstance(ts, str) else ts)
    return item(0x20, bytes([cid, 0, 0, 0]) + sub)


def ui(*subs):
    """A user information item."""
    return item(0x50, b"".join(subs))


def rq(items, called="ECHO", calling="CONFSCU", version=1, hdr_rsv=0,
       rsv1=b"\0\0", rsv2=bytes(32)):
    """An A-ASSOCIATE-RQ from its fixed fields and items, as given."""
    body = struct.pack(">H", version) + rsv1 + dulpeer.ae16(called) + \
        dulpeer.ae16(calling) + rsv2 + b"".join(items)
    return dulpeer.pdu(1, body, hdr_rsv)


def std_rq(called="ECHO", extra_ui=b"", contexts=None, **kw):
    """A valid RQ: application context, contexts, user information."""
    if contexts is None:
        contexts = [pc(1)]
    return rq([APP] + contexts + [ui(MAXLEN, IMPL, extra_ui)],
              called=called, **kw)


def store_cmd(instance=CT_UID, msg_id=1):
    """A C-STORE-RQ command set for a CT image."""
    return dulpeer.c_store_rq(CT_IMAGE, instance, msg_id)


def ct_dataset(instance=CT_UID, size=0):
    """A small data set (implicit VR LE), padded to about size bytes."""
    elems = [(0x0008, 0x0016, CT_IMAGE.encode() + b"\0"),
             (0x0008, 0x0018, instance.encode()),
             (0x0010, 0x0010, b"Conformance^Test")]
    if size:
        elems.append((0x0011, 0x1010, bytes(size + size % 2)))
    return dulpeer.dataset(elems)


def store_rsp_status(data):
    """The status of a C-STORE-RSP command set."""
    cmd = dulpeer.parse_command(data)
    check(dulpeer.command_field(cmd, 0x0100) == 0x8001,
          "not a C-STORE-RSP: %r" % cmd)
    return dulpeer.command_field(cmd, 0x0900)


# Common sequences.

def d(env, name="main"):
    return env.daemons[name]


def sanity(env, name="main"):
    """A normal association right after the case still succeeds."""
    c = d(env, name).connect()
    r = echo_rq("ECHO")
    c.send(r)
    c.expect(expected_ac(r), what="A-ASSOCIATE-AC of the next association")
    c.send(echo_pdata(9))
    c.expect(echo_rsp_pdata(9), what="C-ECHO-RSP of the next association")
    c.send(RELRQ)
    c.expect(RELRP)
    outcome(c.finish(), "released", 0)


def associate(env, called="ECHO", r=None, contexts=None):
    """Connect, send an RQ, expect the exact AC."""
    c = d(env).connect()
    r = r or echo_rq(called)
    c.send(r)
    c.expect(expected_ac(r, contexts), what="A-ASSOCIATE-AC")
    return c


def ends(c, pattern, code):
    """We close after the expected PDU; the worker ends at once (AR-5 or
    AA-4) with the given outcome."""
    c.shut()
    res = c.finish()
    check(res.ended - c.t_sent < PROMPT, "worker took %.2f s to end" % (
        res.ended - c.t_sent))
    outcome(res, pattern, code)
    return res


def refused_sta2(env, data, name="main"):
    """Bytes in Sta2 that the table answers with AA-1: A-ABORT (0, 0)."""
    c = d(env, name).connect()
    c.send(data)
    c.expect(abort(0, 0), what="A-ABORT (0, 0) (AA-1)")
    return ends(c, ABORTED_00, 2)


def rejected(env, data, result, source, reason, called_code=0):
    """An RQ answered with exactly this A-ASSOCIATE-RJ."""
    c = d(env).connect()
    c.send(data)
    c.expect(rj(result, source, reason), what="A-ASSOCIATE-RJ (%d, %d, %d)"
             % (result, source, reason))
    return ends(c, r"rejected\(%d,%d,%d:[^)]*\)" % (result, source, reason),
                called_code)


def aborted_in_sta6(env, data, reason, called="ECHO"):
    """Bytes in Sta6 answered with A-ABORT (2, reason) (AA-8)."""
    c = associate(env, called)
    c.send(data)
    c.expect(abort(2, reason), what="A-ABORT (2, %d) (AA-8)" % reason)
    return ends(c, r"aborted\(2,%d:[^)]*\)" % reason, 2)


def vm_hwm_kib(pid):
    """Peak resident set size of a process, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User plus system CPU time a process has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def printable_log(res):
    """Every log line holds only printable ASCII (escaped peer bytes)."""
    for line in res.log.split("\n"):
        bad = [ch for ch in line if not " " <= ch <= "~"]
        check(not bad, "raw control or 8-bit bytes in a log line: %r" % line)


# A. Transport and pre-association.

def test_b001_connect_close(env):
    c = d(env).connect()
    c.shut()
    res = c.finish()
    check(res.ended - c.t_sent < 0.5, "worker took %.2f s after the close"
          % (res.ended - c.t_sent))
    outcome(res, "closed", 0)
    check(res.summary["pdus_out"] == "0", "a PDU was sent")
    sanity(env)


def test_b002_connect_silent(env):
    c = d(env).connect()
    c.expect_close_artim(since=c.t_connect)
    res = c.finish()
    check(res.ended - c.t_connect < ARTIM + LATE, "worker gone %.2f s after "
          "connect" % (res.ended - c.t_connect))
    outcome(res, "closed", 0)
    sanity(env)


def test_b003_connect_rst(env):
    c = d(env).connect()
    c.rst()
    res = c.finish(peer_known=False)
    check(res.ended - c.t_sent < 0.5, "worker took %.2f s after the reset"
          % (res.ended - c.t_sent))
    outcome(res, "closed", 0)
    lines = [ln for ln in res.log.splitlines() if ln]
    check(len(lines) == 1, "more than the summary line:\n" + res.log)
    sanity(env)


def non_dicom(env, data, hint):
    """Non-DICOM bytes: A-ABORT (0, 0) at once, then a drain that ARTIM
    ends; the length field is never read as a PDU length."""
    c = d(env).connect()
    c.send(data)
    t = c.expect(abort(0, 0), what="A-ABORT (0, 0)")
    check(t - c.t_sent < PROMPT, "abort took %.2f s" % (t - c.t_sent))
    c.expect_close_artim()
    res = c.finish()
    outcome(res, ABORTED_00, 2)
    if hint:
        check(re.search(hint, res.log) is not None, "log lacks the hint %r:"
              "\n%s" % (hint, res.log))
    return res


def test_b004_http_request(env):
    non_dicom(env, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", r"HTTP\?")
    sanity(env)


def test_b005_tls_client_hello(env):
    hello = bytes.fromhex("1603010200010001fc0303") + bytes(32)
    non_dicom(env, hello, r"TLS client")
    sanity(env)


def test_b006_other_non_dicom(env):
    non_dicom(env, b"SSH-2.0-OpenSSH_9.6\r\n", r"SSH\?")
    non_dicom(env, b"\x0bMSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\r"
              b"\x1c\r", r"HL7")
    rnd = bytearray(random.Random(136).randbytes(65536))
    rnd[0] = 0x99                       # an unknown PDU type
    non_dicom(env, bytes(rnd), None)
    sanity(env)


def test_b007_rq_dribbled(env):
    c = d(env, "slow").connect()
    r = echo_rq("ECHO")
    c.send_slowly(r, 0.02)
    c.expect(expected_ac(r), what="A-ASSOCIATE-AC to a dribbled RQ")
    c.send(RELRQ)
    c.expect(RELRP)
    outcome(c.finish(), "released", 0)
    sanity(env, "slow")


def test_b008_slowloris_before_rq(env):
    c = d(env).connect()
    c.send(bytes.fromhex("0100000000c8"))
    closed = False
    for i in range(int((ARTIM + LATE) / 0.3) + 1):
        c.sock.settimeout(0.3)
        try:
            chunk = c.sock.recv(100)
        except socket.timeout:
            try:
                c.sock.sendall(b"\x00")
            except OSError:
                closed = True
                break
            continue
        except ConnectionResetError:
            chunk = b""
        check(chunk == b"", "bytes from the acceptor: %s" % chunk.hex())
        closed = True
        break
    took = time.monotonic() - c.t_connect
    check(closed, "not closed while trickling")
    check(ARTIM - 0.05 <= took <= ARTIM + LATE, "closed %.2f s after "
          "connect, not at ARTIM" % took)
    res = c.finish()
    outcome(res, "closed", 0)
    sanity(env)


def test_b009_header_split(env):
    c = d(env).connect()
    r = echo_rq("ECHO")
    c.send(r[:1])
    time.sleep(0.4)
    c.send(r[1:6])
    time.sleep(0.4)
    c.send(r[6:])
    c.expect(expected_ac(r))
    c.send(RELRQ)
    c.expect(RELRP)
    outcome(c.finish(), "released", 0)
    sanity(env)


def test_b010_rq_with_pipelined_pdata(env):
    c = d(env).connect()
    c.send(echo_rq("DELAY") + echo_pdata())
    c.expect(abort(2, 2), what="A-ABORT (2, 2) (AA-8 in Sta3)")
    res = ends(c, ABORTED_22, 2)
    handler_saw(res, "ASSOC_IND", "P_ABORT_IND", "EOF")
    handler_not_saw(res, "PDATA_IND")
    sanity(env)


def test_b011_rq_then_fin(env):
    c = d(env).connect()
    c.send(echo_rq("ECHO"))
    c.sock.shutdown(socket.SHUT_WR)
    try:
        c.expect_closed(PROMPT + LATE)
    except AssertionError as e:
        raise AssertionError("%s (no A-ASSOCIATE-AC may be sent)" % e)
    res = c.finish()
    outcome(res, "connection-lost", 0)
    handler_saw(res, "ASSOC_IND", "P_ABORT_IND", "EOF")
    check(res.find("P_ABORT_IND")["cause"] == 3, "cause is not 3")
    sanity(env)


def test_b012_source_address_denied(env):
    c = d(env, "deny").connect()
    c.send(echo_rq("ECHO"))
    c.expect(rj(1, 1, 3), what="A-ASSOCIATE-RJ (1, 1, 3)")
    res = ends(c, r"rejected\(1,1,3:[^)]*\)", 0)
    check("127.0.0.1" in (res.summary["detail"] or ""),
          "the refused address is not in the summary: " + res.log)
    check(res.trace == [], "a handler ran for a denied address")
    sanity(env)


# B. PDU header and length fields.

def test_b013_rq_declaring_4gib(env):
    base = d(env, "lean").connect()
    base.send(echo_rq("NOSUCHAE"))
    base.expect(rj(1, 1, 7))
    base_hwm = vm_hwm_kib(base.spawned.proc.pid)
    c = d(env, "lean").connect()
    c.send(bytes.fromhex("0100ffffffff"))
    t = c.expect(abort(0, 0), what="A-ABORT (0, 0) at the header")
    check(t - c.t_sent < PROMPT, "abort took %.2f s" % (t - c.t_sent))
    t_hdr = c.t_sent
    zeros = bytes(65536)
    for i in range(16):                 # 1 MiB more; it is drained
        try:
            c.sock.sendall(zeros)
        except OSError:
            break
    hwm = vm_hwm_kib(c.spawned.proc.pid)
    check(hwm - base_hwm < 4096, "worker peak RSS %d KiB, an idle one %d "
          "KiB" % (hwm, base_hwm))
    c.expect_close_artim(since=t_hdr)
    outcome(c.finish(), ABORTED_00, 2)
    base.shut()
    base.finish()
    sanity(env)


def test_b014_rq_length_short(env):
    refused_sta2(env, bytes.fromhex("010000000000"))
    refused_sta2(env, bytes.fromhex("010000000010") + bytes(16))
    sanity(env)


def test_b015_rq_fixed_part_only(env):
    refused_sta2(env, rq([]))
    sanity(env)


def test_b016_rq_cut_short_then_fin(env):
    c = d(env).connect()
    r = echo_rq("ECHO")
    c.send(r[:100])
    c.sock.shutdown(socket.SHUT_WR)
    c.expect_closed(PROMPT)
    res = c.finish()
    outcome(res, "closed", 0)
    check(res.summary["pdus_out"] == "0", "a PDU was sent")
    check(res.trace == [], "a handler ran")
    sanity(env)


def test_b017_unknown_pdu_types(env):
    for t in (0x00, 0x08, 0xFF):
        refused_sta2(env, bytes([t, 0, 0, 0, 0, 4, 0, 0, 0, 0]))
        aborted_in_sta6(env, bytes([t, 0, 0, 0, 0, 4, 0, 0, 0, 0]), 1)
    c, _ = test_fsm.to_sta13(env)
    c.send(bytes.fromhex("ff000000000400000000"))
    c.expect(abort(2, 1), what="A-ABORT (2, 1) (AA-7)")
    c.send(bytes.fromhex("ff000000000400000000") * 3)
    ends(c, r"rejected\(1,1,7:[^)]*\)", 2)
    sanity(env)


def test_b018_reserved_fields_set(env):
    r = std_rq(hdr_rsv=0xFF, rsv1=b"\xff\xff", rsv2=b"\xff" * 32)
    c = d(env).connect()
    c.send(r)
    c.expect(expected_ac(r), what="A-ASSOCIATE-AC echoing the reserved "
             "bytes 43-74")
    c.send(dulpeer.pdu(4, echo_pdata(4)[6:], 0xFF))
    c.expect(echo_rsp_pdata(4))
    c.send(bytes.fromhex("05ff00000004ffffffff"))
    c.expect(RELRP)
    outcome(c.finish(), "released", 0)
    c = associate(env)
    c.send(bytes.fromhex("07ff00000004ffff0000"))
    c.expect_close_prompt()
    outcome(c.finish(), r"aborted-by-peer\(0,0:[^)]*\)", 0)
    sanity(env)


def test_b019_fixed_pdus_wrong_length(env):
    aborted_in_sta6(env, bytes.fromhex("050000000010") + bytes(16), 6)
    aborted_in_sta6(env, bytes.fromhex("070000000000"), 6)
    refused_sta2(env, bytes.fromhex("030000000006") + bytes(6))
    sanity(env)


def test_b020_pdata_over_max_length(env):
    c = associate(env)
    data = dulpeer.pdata(dulpeer.pdv(1, 0, bytes(MAX_PDU - 6)))
    check(len(data) == MAX_PDU + 6, "boundary PDU built wrong")
    c.send(data)
    c.send(echo_pdata(2))
    c.expect(echo_rsp_pdata(2), what="C-ECHO-RSP after a P-DATA of "
             "exactly the maximum length")
    c.send(struct.pack(">BBI", 4, 0, MAX_PDU + 1))
    c.expect(abort(2, 6), what="A-ABORT (2, 6) before the body")
    res = ends(c, ABORTED_26, 2)
    check(str(MAX_PDU + 1) in res.log and str(MAX_PDU) in res.log,
          "log does not give both lengths:\n" + res.log)
    p = [r for r in res.trace if r["msg"] == "PDATA_IND"]
    check(p and p[0]["pdvs"] == [[1, 0, MAX_PDU - 6]], "boundary P-DATA "
          "not indicated whole: %s" % p)
    sanity(env)


def test_b021_pdata_declaring_4gib(env):
    aborted_in_sta6(env, bytes.fromhex("0400ffffffff"), 6)
    sanity(env)


def test_b022_pdata_too_short(env):
    for n in (0, 5):
        aborted_in_sta6(env, struct.pack(">BBI", 4, 0, n) + bytes(n), 6)
    sanity(env)


def test_b023_rq_at_the_cap(env):
    cap = 1048576
    head = std_rq()
    pad_total = cap - (len(head) - 6)
    pads = []
    while pad_total > 0:
        n = min(pad_total - 4, 65535)
        if pad_total - (n + 4) in (1, 2, 3):
            n -= 8
        pads.append(item(0x7F, bytes(n)))
        pad_total -= n + 4
    r = std_rq(contexts=[pc(1)] + pads)
    check(len(r) == cap + 6, "RQ built with %d bytes" % (len(r) - 6))
    c = d(env).connect()
    c.send(r)
    t = c.expect(expected_ac(r), what="A-ASSOCIATE-AC to an RQ at the cap")
    check(t - c.t_sent < PROMPT, "took %.2f s" % (t - c.t_sent))
    c.send(RELRQ)
    c.expect(RELRP)
    outcome(c.finish(), "released", 0)
    c = d(env).connect()
    c.send(struct.pack(">BBI", 1, 0, cap + 1))
    c.expect(abort(0, 0), what="A-ABORT (0, 0) at the header of cap + 1")
    ends(c, ABORTED_00, 2)
    sanity(env)


# C. A-ASSOCIATE-RQ content.

def test_b024_protocol_version_bit0_clear(env):
    for v in (0x0000, 0x0002):
        rejected(env, std_rq(version=v), 1, 2, 2)
    sanity(env)


def test_b025_protocol_version_extra_bits(env):
    for v in (0x0003, 0xFFFF):
        r = std_rq(version=v)
        c = associate(env, r=r)
        ends(c, "connection-lost", 0)
    sanity(env)


def test_b026_wrong_application_context(env):
    for name in (b"1.2.3", b"9" * 64):
        rejected(env, rq([item(0x10, name), pc(1), ui(MAXLEN, IMPL)]),
                 1, 1, 2)
    sanity(env)


def test_b027_called_ae_not_ours(env):
    rejected(env, echo_rq("NOTOURS"), 1, 1, 7)
    sanity(env)


def test_b028_calling_ae_not_allowed(env):
    res = rejected(env, echo_rq("CALLING", calling="BADSCU"), 1, 1, 3)
    check("BADSCU" in res.log, "log does not name the calling AE")
    c = associate(env, r=echo_rq("CALLING", calling="GOODSCU"))
    ends(c, "connection-lost", 0)
    res = rejected(env, echo_rq("CALLIP"), 1, 1, 3)
    check("BADSCU" not in res.log and "127.0.0.1" in res.summary["detail"],
          "log does not name the address: " + res.log)
    sanity(env)


def test_b029_blank_ae_titles(env):
    rejected(env, std_rq(called=" " * 16), 1, 1, 7)
    rejected(env, std_rq(calling=" " * 16), 1, 1, 3)
    sanity(env)


def test_b030_hostile_ae_titles(env):
    for called in (b"EC\x00HO", b"EC\nHO", b"\x1b[31mX", b"\x7f\xff/..",
                   b"%n%s%n%s", b"$(id)", b"..\\.."):
        res = rejected(env, std_rq(called=called), 1, 1, 7)
        printable_log(res)
    res = rejected(env, std_rq(called="CALLING", calling=b"GOOD\nSCU"),
                   1, 1, 3)
    printable_log(res)
    sanity(env)


def test_b031_items_out_of_order(env):
    r = rq([ui(MAXLEN, IMPL), pc(1), APP])
    c = associate(env, r=r)
    ends(c, "connection-lost", 0)
    sanity(env)


def test_b032_mandatory_items_missing(env):
    refused_sta2(env, rq([pc(1), ui(MAXLEN, IMPL)]))
    refused_sta2(env, rq([APP, pc(1)]))
    refused_sta2(env, rq([APP, ui(MAXLEN, IMPL)]))
    sanity(env)


def test_b033_duplicate_items(env):
    refused_sta2(env, rq([APP, APP, pc(1), ui(MAXLEN, IMPL)]))
    refused_sta2(env, rq([APP, pc(1), ui(MAXLEN, IMPL), ui(MAXLEN, IMPL)]))
    sanity(env)


def test_b034_unknown_item(env):
    r = std_rq(contexts=[pc(1), item(0x7F, bytes(8)), pc(3)])
    c = associate(env, r=r, contexts=[(1, 0, IMPLICIT_LE),
                                      (3, 0, IMPLICIT_LE)])
    ends(c, "connection-lost", 0)
    sanity(env)


def test_b035_unknown_user_sub_item(env):
    r = std_rq(extra_ui=item(0x5F, bytes(10)))
    c = associate(env, r=r)
    ends(c, "connection-lost", 0)
    sanity(env)


def test_b036_sub_item_past_the_end(env):
    u = item(0x50, MAXLEN + IMPL + b"\x5f\x00\xff\xff\x00\x00\x00")
    refused_sta2(env, rq([APP, pc(1), u]))
    sanity(env)


def test_b037_context_longer_than_rq(env):
    r = rq([APP, ui(MAXLEN, IMPL), b"\x20\x00\xff\xff\x01\x00\x00\x00"])
    refused_sta2(env, r)
    sanity(env)


def test_b038_context_shorter_than_sub_items(env):
    p = pc(1)
    short = b"\x20\x00\x00\x04" + p[4:]
    refused_sta2(env, rq([APP, short, ui(MAXLEN, IMPL)]))
    sanity(env)


def test_b039_abstract_syntax_edge_cases(env):
    for name in (b"", b"1" * 65000, b"1.2.840\x00.10008.1.1", b"1.2.x",
                 b"1." + b"2" * 63):
        r = std_rq(contexts=[pc(1, name), pc(3)])
        c = associate(env, r=r, contexts=[(1, 3, IMPLICIT_LE),
                                          (3, 0, IMPLICIT_LE)])
        ends(c, "connection-lost", 0)
    sanity(env)


def test_b039_transfer_syntax_over_64_bytes(env):
    # The same edge for a transfer syntax, and for a role selection's SOP
    # class: a UID over 64 bytes cannot match, so a context proposing
    # only such gets result 4 and the others proceed, in either
    # negotiation mode; the handler's indication gives it empty, and the
    # handler is not blamed for it.
    long65, long1000 = "1." + "2" * 63, "1." + "3" * 998
    role = item(0x54, struct.pack(">H", 65) + long65.encode() + b"\x01\x00")
    for called in ("ECHO", "ECHOPOL"):
        r = std_rq(called=called, extra_ui=role, contexts=[
            pc(1, tss=[long65]), pc(3), pc(5, tss=[long1000, IMPLICIT_LE])])
        c = associate(env, r=r, contexts=[(1, 4, long65),
                                          (3, 0, IMPLICIT_LE),
                                          (5, 0, IMPLICIT_LE)])
        c.send(echo_pdata(1, pcid=3))
        c.expect(echo_rsp_pdata(1, pcid=3), what="C-ECHO-RSP, context 3")
        c.send(RELRQ)
        c.expect(RELRP)
        res = c.finish()
        outcome(res, "released", 0)
        ind = res.find("ASSOC_IND")
        check(ind is not None and
              ind["contexts"] == [[1, 4], [3, 0], [5, 0]] and
              ind["ts"] == [[""], [IMPLICIT_LE], ["", IMPLICIT_LE]] and
              ind["roles"] == [""],
              "%s: the handler saw %r" % (called, ind))
    sanity(env)


def test_b040_context_without_transfer_syntax(env):
    r = std_rq(contexts=[pc(1, tss=()), pc(3)])
    c = d(env).connect()
    c.send(r)
    ac = c.pdu()
    parsed = dulpeer.parse_ac(ac[6:])
    check(parsed["contexts"].get(1, (None,))[0] == 4 and
          parsed["contexts"].get(3) == (0, IMPLICIT_LE),
          "contexts answered %s, expected 1: result 4, 3: accepted" %
          parsed["contexts"])
    ends(c, "connection-lost", 0)
    sanity(env)


def test_b041_many_transfer_syntaxes(env):
    tss = ["1.2.840.10008.9.%04d" % i for i in range(2700)]
    tss.append(IMPLICIT_LE)
    p = pc(1, tss=tss)
    check(len(p) < 65540, "context item of %d bytes" % len(p))
    r = std_rq(contexts=[p])
    c = d(env).connect()
    c.send(r)
    t = c.expect(expected_ac(r), what="A-ASSOCIATE-AC, 2701 syntaxes")
    # A liveness bound, not a speed test: the time includes starting the
    # handler on a possibly loaded machine.  Speed is for bench/.
    check(t - c.t_sent < 10, "negotiation took %.2f s" % (t - c.t_sent))
    ends(c, "connection-lost", 0)
    big = std_rq(contexts=[pc(2 * i + 1, tss=tss) for i in range(128)])
    check(len(big) > 1048576, "128 contexts fit the cap")
    c = d(env).connect()
    c.send(big[:6])
    c.expect(abort(0, 0), what="A-ABORT (0, 0) at the header of 8 MB")
    ends(c, ABORTED_00, 2)
    sanity(env)


def test_b042_128_contexts(env):
    ids = list(range(1, 256, 2))
    r = std_rq(contexts=[pc(i) for i in ids])
    c = d(env).connect()
    c.send(r)
    c.expect(expected_ac(r, [(i, 0, IMPLICIT_LE) for i in ids]),
             what="A-ASSOCIATE-AC with 128 contexts")
    ends(c, "connection-lost", 0)
    sanity(env)


def test_b043_even_or_zero_context_id(env):
    for cid in (2, 0):
        refused_sta2(env, std_rq(contexts=[pc(1), pc(cid)]))
    sanity(env)


def test_b044_duplicate_or_129_contexts(env):
    refused_sta2(env, std_rq(contexts=[pc(1), pc(1)]))
    many = [pc(i % 256 if i % 256 else 1) for i in range(1, 259, 2)]
    refused_sta2(env, std_rq(contexts=many[:129] + [pc(5)]))
    sanity(env)


def test_b045_max_length_bad_item_length(env):
    for n in (0, 2, 8):
        bad = item(0x51, bytes(n))
        refused_sta2(env, rq([APP, pc(1), ui(bad, IMPL)]))
    sanity(env)


def peer_max(env, value, called="ECHO"):
    """Associate announcing a peer maximum length."""
    r = rq([APP, pc(1), ui(item(0x51, struct.pack(">I", value)), IMPL)],
           called=called)
    return associate(env, r=r)


def test_b046_max_length_zero(env):
    c = peer_max(env, 0)
    c.send(echo_pdata(6))
    c.expect(echo_rsp_pdata(6))
    c.send(RELRQ)
    c.expect(RELRP)
    outcome(c.finish(), "released", 0)
    sanity(env)


def collect_pdata(c, total, timeout):
    """Read P-DATA-TF PDUs until total data bytes have come; return the
    PDUs' lengths and the PDVs."""
    lens, pdvs, got = [], [], 0
    deadline = time.monotonic() + timeout
    while got < total:
        check(time.monotonic() < deadline, "only %d of %d bytes in %.0f s"
              % (got, total, timeout))
        p = c.pdu(timeout=deadline - time.monotonic())
        check(p[0] == 4, "not a P-DATA-TF: %s" % p[:10].hex())
        lens.append(len(p) - 6)
        for v in dulpeer.parse_pdata(p[6:]):
            pdvs.append(v)
            got += len(v[2])
    return lens, pdvs


def test_b047_max_length_extremes(env):
    for value in (1, 6, 7):
        rejected(env, rq([APP, pc(1), ui(item(0x51, struct.pack(
            ">I", value)), IMPL)]), 1, 2, 1)
    c = peer_max(env, 8, "PDBIG")
    lens, pdvs = collect_pdata(c, 25600, 20)
    check(max(lens) <= 8, "a PDU over the peer's maximum of 8: %d" %
          max(lens))
    check(b"".join(v[2] for v in pdvs) == bytes(range(256)) * 100,
          "fragments do not reassemble")
    check(all(v[1] == 0 for v in pdvs), "control headers %s" %
          sorted(set(v[1] for v in pdvs)))
    ends(c, "connection-lost", 0)
    c = peer_max(env, 0xFFFFFFFF)
    c.send(echo_pdata(6))
    c.expect(echo_rsp_pdata(6))
    ends(c, "connection-lost", 0)
    sanity(env)


def test_b048_max_length_or_impl_uid_missing(env):
    for u in (ui(IMPL), ui(MAXLEN)):
        c = associate(env, r=rq([APP, pc(1), u]))
        c.send(echo_pdata(6))
        c.expect(echo_rsp_pdata(6))
        ends(c, "connection-lost", 0)
    sanity(env)


def test_b049_long_implementation_version(env):
    for name in (b"V" * 17, b"V" * 64, b"BAD\n\x1b[0m\xff"):
        r = std_rq(extra_ui=item(0x55, name))
        c = associate(env, r=r)
        res = ends(c, "connection-lost", 0)
        printable_log(res)
    sanity(env)


def test_b050_role_selection(env):
    uid = VERIFICATION.encode()
    bad = item(0x54, struct.pack(">H", len(uid) + 10) + uid + b"\x01\x01")
    refused_sta2(env, std_rq(extra_ui=bad))
    odd = item(0x54, struct.pack(">H", len(uid)) + uid + b"\x02\xff")
    c = associate(env, r=std_rq(extra_ui=odd))
    ends(c, "connection-lost", 0)
    sanity(env)


def test_b051_extended_negotiation(env):
    uid = VERIFICATION.encode()
    bad = item(0x56, struct.pack(">H", len(uid) + 10) + uid + b"\x01")
    refused_sta2(env, std_rq(extra_ui=bad))
    good = item(0x56, struct.pack(">H", len(uid)) + uid + b"\x01\x00")
    c = associate(env, r=std_rq(extra_ui=good))
    ends(c, "connection-lost", 0)
    sanity(env)


def test_b052_user_identity(env):
    def ident(t, primary, secondary=b"", plen=None):
        plen = len(primary) if plen is None else plen
        return item(0x58, bytes([t, 0]) + struct.pack(">H", plen) +
                    primary + struct.pack(">H", len(secondary)) + secondary)
    refused_sta2(env, std_rq(extra_ui=ident(2, b"user", plen=65535)))
    for t in (0, 6):
        c = associate(env, r=std_rq(extra_ui=ident(t, b"user")))
        ends(c, "connection-lost", 0)
    c = associate(env, r=std_rq(extra_ui=ident(2, b"user", b"SECRETPW")))
    res = ends(c, "connection-lost", 0)
    check(b"SECRETPW" not in res.log.encode("latin-1"), "passcode logged")
    sanity(env)


def test_b053_async_operations_window(env):
    r = std_rq(extra_ui=item(0x53, struct.pack(">HH", 65535, 65535)))
    c = d(env).connect()
    c.send(r)
    c.expect(expected_ac(r, extra=item(0x53, struct.pack(">HH", 1, 1))),
             what="A-ASSOCIATE-AC answering the window with (1, 1)")
    ends(c, "connection-lost", 0)
    sanity(env)


# D. Sequencing.  The cells themselves are in test_fsm.py; these run them
# again with the association that must still work afterwards.

def test_b054_ac_or_rj_in_sta2(env):
    test_fsm.test_sta2_evt3_aa1(env)
    test_fsm.test_sta2_evt4_aa1(env)
    sanity(env)


def test_b055_pdata_or_release_in_sta2(env):
    test_fsm.test_sta2_evt10_aa1(env)
    test_fsm.test_sta2_evt12_aa1(env)
    test_fsm.test_sta2_evt13_aa1(env)
    sanity(env)


def test_b056_abort_in_sta2(env):
    test_fsm.test_sta2_evt16_aa2(env)
    sanity(env)


def test_b057_second_rq_in_sta6(env):
    aborted_in_sta6(env, echo_rq("ECHO"), 2)
    c = store_association(env)
    c.send(dulpeer.pdata(dulpeer.pdv(3, 3, store_cmd())))
    c.send(echo_rq("STORE"))
    c.expect(abort(2, 2), what="A-ABORT (2, 2) mid-message")
    ends(c, ABORTED_22, 2)
    sanity(env)


def test_b058_ac_rj_rp_in_sta6(env):
    aborted_in_sta6(env, test_fsm.ac_pdu(), 2)
    aborted_in_sta6(env, test_fsm.rj_pdu(), 2)
    aborted_in_sta6(env, RELRP, 2)
    sanity(env)


def store_files(env):
    """What the store handler has left under its root."""
    out = []
    for dirpath, _, files in os.walk(env.storedir):
        out += [os.path.join(dirpath, f) for f in files]
    return out


def test_b059_abort_in_sta3_and_mid_dataset(env):
    test_fsm.test_sta3_evt16_aa3(env)
    uid = "1.2.826.0.1.3680043.9.7433.2.59"
    r = echo_rq("STORE", contexts=[(1, VERIFICATION, [IMPLICIT_LE]),
                                   (3, CT_IMAGE, [IMPLICIT_LE])])
    c = d(env).connect()
    c.send(r)
    c.expect(expected_ac(r, [(1, 0, IMPLICIT_LE), (3, 0, IMPLICIT_LE)]))
    ds = ct_dataset(uid, 4000)
    c.send(dulpeer.pdata(dulpeer.pdv(3, 3, store_cmd(uid))))
    c.send(dulpeer.pdata(dulpeer.pdv(3, 0, ds[:2000])))
    c.send(abort(0, 0))
    c.expect_close_prompt()
    outcome(c.finish(), r"aborted-by-peer\(0,0:[^)]*\)", 0)
    check(not [f for f in store_files(env) if uid in f],
          "partial object kept: %s" % store_files(env))
    sanity(env)


def test_b060_abort_reserved_source_or_reason(env):
    for src, rsn in ((1, 0), (2, 0xFF)):
        c = associate(env)
        c.send(abort(src, rsn))
        c.expect_close_prompt()
        res = c.finish()
        outcome(res, r"aborted-by-peer\(%d,%d:[^)]*\)" % (src, rsn), 0)
    sanity(env)


def test_b061_normal_release(env):
    c = associate(env)
    c.send(RELRQ)
    c.expect(RELRP)
    c.shut()
    res = c.finish()
    check(res.ended - c.t_sent < PROMPT, "AR-5 took %.2f s" % (
        res.ended - c.t_sent))
    outcome(res, "released", 0)
    handler_saw(res, "RELEASE_IND", "EOF")
    sanity(env)


def test_b062_release_peer_never_closes(env):
    test_fsm.test_sta6_evt12_ar2(env)
    sanity(env)


def test_b063_pdata_in_sta8(env):
    test_fsm.test_sta8_evt10_aa8(env)
    sanity(env)


def test_b064_release_mid_dataset(env):
    uid = "1.2.826.0.1.3680043.9.7433.2.64"
    r = echo_rq("STORE", contexts=[(1, VERIFICATION, [IMPLICIT_LE]),
                                   (3, CT_IMAGE, [IMPLICIT_LE])])
    c = d(env).connect()
    c.send(r)
    c.expect(expected_ac(r, [(1, 0, IMPLICIT_LE), (3, 0, IMPLICIT_LE)]))
    ds = ct_dataset(uid, 4000)
    c.send(dulpeer.pdata(dulpeer.pdv(3, 3, store_cmd(uid))))
    c.send(dulpeer.pdata(dulpeer.pdv(3, 0, ds[:2000])))
    c.send(RELRQ)
    c.expect(RELRP, what="A-RELEASE-RP (nothing acknowledged before it)")
    res = ends(c, "released", 0)
    check(not [f for f in store_files(env) if uid in f],
          "incomplete object kept: %s" % store_files(env))
    check("incomplete" in res.log, "log does not say the message was "
          "incomplete:\n" + res.log)
    sanity(env)


def test_b065_release_rq_twice(env):
    test_fsm.test_sta8_evt12_aa8(env)
    sanity(env)


def test_b066_release_collision(env):
    test_fsm.test_sta7_evt12_ar8(env)
    sanity(env)


def test_b067_our_release_unanswered(env):
    test_fsm.test_sta7_timer_release_aa1(env)
    sanity(env)


def test_b068_rq_after_our_rj(env):
    test_fsm.test_sta13_evt6_aa7(env)
    sanity(env)


def test_b069_garbage_after_our_abort(env):
    c = associate(env)
    c.send(bytes.fromhex("ff000000000400000000"))
    t = c.expect(abort(2, 1), what="A-ABORT (2, 1)")
    pid = c.spawned.proc.pid
    cpu0 = cpu_seconds(pid)
    junk = random.Random(69).randbytes(4096)
    sent = 0
    while time.monotonic() - t < ARTIM - 0.3:
        try:
            c.sock.sendall(junk)
        except OSError:
            break
        sent += len(junk)
        time.sleep(0.005)
    cpu = cpu_seconds(pid) - cpu0
    elapsed = time.monotonic() - t
    check(cpu < 0.5 * elapsed, "worker used %.2f s of CPU in %.2f s" % (
        cpu, elapsed))
    c.expect_close_artim(since=t)
    res = c.finish()
    outcome(res, ABORTED_21, 2)
    check(res.summary["pdus_out"] == "2", "%s PDUs sent, expected the AC "
          "and one A-ABORT" % res.summary["pdus_out"])
    check(sent > 100000, "only %d bytes of garbage sent" % sent)
    sanity(env)


def test_b070_reset_in_every_state(env):
    c = d(env).connect()
    c.rst()
    outcome(c.finish(peer_known=False), "closed", 0)
    for c in (test_fsm.to_sta3(env), test_fsm.to_sta6(env),
              test_fsm.to_sta8(env)):
        c.send(echo_pdata()[:10])
        c.rst()
        res = c.finish()
        outcome(res, "connection-lost", 0)
        handler_saw(res, "P_ABORT_IND", "EOF")
    c, _ = test_fsm.to_sta13(env)
    c.rst()
    res = c.finish()
    check(res.ended - c.t_sent < PROMPT, "AR-5 took %.2f s" % (
        res.ended - c.t_sent))
    outcome(res, r"rejected\(1,1,7:[^)]*\)", 0)
    sanity(env)


# E. P-DATA, PDV and DIMSE framing.

def test_b071_pdv_length_below_2(env):
    aborted_in_sta6(env, bytes.fromhex("04000000000400000000"), 6)
    aborted_in_sta6(env, bytes.fromhex("0400000000050000000101"), 6)
    sanity(env)


def test_b072_pdv_length_4gib(env):
    aborted_in_sta6(env, bytes.fromhex("040000000006ffffffff0103"), 6)
    sanity(env)


def test_b073_pdv_lengths_do_not_sum(env):
    good = echo_pdata()
    n = struct.unpack(">I", good[6:10])[0]
    for delta in (-1, 1):
        bad = good[:6] + struct.pack(">I", n + delta) + good[10:]
        aborted_in_sta6(env, bad, 6)
    sanity(env)


def test_b074_pdv_on_bad_context(env):
    r = echo_rq("ECHO", contexts=[(1, VERIFICATION, [IMPLICIT_LE]),
                                  (3, CT_IMAGE, [IMPLICIT_LE])])
    for cid in (3, 201, 2, 0):
        c = d(env).connect()
        c.send(r)
        c.expect(expected_ac(r, [(1, 0, IMPLICIT_LE),
                                 (3, 3, IMPLICIT_LE)]))
        c.send(echo_pdata(pcid=cid))
        c.expect(abort(2, 6), what="A-ABORT (2, 6) for context %d" % cid)
        res = ends(c, ABORTED_26, 2)
        handler_not_saw(res, "PDATA_IND")
    sanity(env)


def test_b075_control_header_high_bits(env):
    c = associate(env)
    c.send(dulpeer.pdata(dulpeer.pdv(1, 0xFF, dulpeer.c_echo_rq(5))))
    c.expect(echo_rsp_pdata(5), what="C-ECHO-RSP (bits 2-7 ignored)")
    ends(c, "connection-lost", 0)
    sanity(env)


def store_association(env, name="main"):
    """Associate with the store handler: Verification on 1, CT on 3."""
    r = echo_rq("STORE", contexts=[(1, VERIFICATION, [IMPLICIT_LE]),
                                   (3, CT_IMAGE, [IMPLICIT_LE])])
    c = d(env, name).connect()
    c.send(r)
    c.expect(expected_ac(r, [(1, 0, IMPLICIT_LE), (3, 0, IMPLICIT_LE)]))
    return c


def expect_store_rsp(c, status=0, timeout=None):
    """The next PDU is one PDV carrying a C-STORE-RSP with this status."""
    p = c.pdu(timeout)
    pdvs = dulpeer.parse_pdata(p[6:])
    check(len(pdvs) == 1 and pdvs[0][:2] == (3, 3), "not one command PDV: "
          "%s" % p[:16].hex())
    got = store_rsp_status(pdvs[0][2])
    check(got == status, "C-STORE-RSP status 0x%04x, expected 0x%04x" % (
        got, status))


def test_b076_several_pdvs_in_one_pdu(env):
    c = associate(env)
    cmd = dulpeer.c_echo_rq(8)
    c.send(dulpeer.pdata(dulpeer.pdv(1, 1, cmd[:20]),
                         dulpeer.pdv(1, 3, cmd[20:])))
    c.expect(echo_rsp_pdata(8))
    ends(c, "connection-lost", 0)
    uid = "1.2.826.0.1.3680043.9.7433.2.76"
    c = store_association(env)
    ds = ct_dataset(uid, 1000)
    c.send(dulpeer.pdata(dulpeer.pdv(3, 3, store_cmd(uid)),
                         dulpeer.pdv(3, 0, ds[:500])))
    c.send(dulpeer.pdata(dulpeer.pdv(3, 2, ds[500:])))
    expect_store_rsp(c, 0)
    c.send(RELRQ)
    c.expect(RELRP)
    outcome(c.finish(), "released", 0)
    check([f for f in store_files(env) if f.endswith(uid + ".dcm")],
          "object not stored")
    sanity(env)


def test_b077_maximal_fragmentation(env):
    # Scaled: a 64 KiB data set in 2-byte fragments, one PDU each (PS3.8
    # Annex E: fragments are even).  Memory must not grow with the count.
    uid = "1.2.826.0.1.3680043.9.7433.2.77"
    c = store_association(env, "lean")
    ds = ct_dataset(uid, 65536)
    c.send(dulpeer.pdata(dulpeer.pdv(3, 3, store_cmd(uid))))
    pid = c.spawned.proc.pid
    t0 = time.monotonic()
    frags = [ds[i:i + 2] for i in range(0, len(ds), 2)]
    half = len(frags) // 2
    c.send(b"".join(dulpeer.pdata(dulpeer.pdv(3, 0, f))
                    for f in frags[:half]))
    time.sleep(0.3)
    hwm_half = vm_hwm_kib(pid)
    c.send(b"".join(dulpeer.pdata(dulpeer.pdv(
        3, 2 if i == len(frags) - 1 else 0, frags[i]))
        for i in range(half, len(frags))))
    expect_store_rsp(c, 0, timeout=30)
    took = time.monotonic() - t0
    hwm = vm_hwm_kib(pid)
    check(hwm - hwm_half < 1024, "worker RSS grew by %d KiB over the "
          "second %d PDUs" % (hwm - hwm_half, len(frags) - half))
    check(took < 30, "%d PDUs took %.1f s" % (len(frags), took))
    c.send(RELRQ)
    c.expect(RELRP)
    res = c.finish()
    outcome(res, "released", 0)
    check(int(res.summary["pdus_in"]) >= len(frags), "PDUs counted: %s" %
          res.summary["pdus_in"])
    sanity(env)


def test_b078_command_and_data_interleaved(env):
    # The worker passes PDVs through; the handler, which reassembles the
    # messages, finds the order broken and aborts as the service user.
    uid = "1.2.826.0.1.3680043.9.7433.2.78"
    c = store_association(env)
    cmd = store_cmd(uid)
    c.send(dulpeer.pdata(dulpeer.pdv(3, 1, cmd[:40])))
    c.send(dulpeer.pdata(dulpeer.pdv(3, 0, ct_dataset(uid)[:20])))
    c.expect(abort(0, 0), what="A-ABORT (0, 0) from the handler")
    c.expect_close_artim()
    res = c.finish()
    outcome(res, ABORTED_00, 0)
    check("out of sequence" in res.log, "the handler's reason is not "
          "logged:\n" + res.log)
    check(not [f for f in store_files(env) if uid in f], "object stored")
    sanity(env)


def test_b079_endless_command(env):
    c = store_association(env)
    for i in range(80):
        try:
            c.sock.sendall(dulpeer.pdata(dulpeer.pdv(3, 1, bytes(1024))))
        except OSError:
            break
    c.expect(abort(0, 0), what="A-ABORT (0, 0) from the handler")
    res = c.finish()
    outcome(res, ABORTED_00, 0)
    check(res.summary["pdus_out"] == "2", "a response was sent")
    check("size limit" in res.log, "the handler's reason is not logged:\n"
          + res.log)
    sanity(env)


def test_b080_malformed_command_set(env):
    cmd = store_cmd()
    lying = cmd[:8] + struct.pack("<I", 9999) + cmd[12:]
    overlong = cmd + struct.pack("<HHI", 0, 0x0900, 0x7FFFFFF0)
    odd = cmd + struct.pack("<HHI", 0, 0x0901, 3) + b"abc"
    for bad in (lying, overlong, odd):
        c = store_association(env)
        c.send(dulpeer.pdata(dulpeer.pdv(3, 3, bad)))
        got = c.pdu()
        if got[0] == 4:
            pdvs = dulpeer.parse_pdata(got[6:])
            st = store_rsp_status(pdvs[0][2])
            check(st >= 0xA000, "status 0x%04x for a malformed command" % st)
            res = ends(c, "connection-lost", 0)
        else:
            check(got[0] == 7, "neither a response nor an abort: %s" %
                  got[:10].hex())
            res = c.finish()
        check(int(res.summary["handler"]) < 128, "handler died of signal "
              "%d" % (int(res.summary["handler"]) - 128))
    sanity(env)


# H. Handler faults.

def handler_gone(res):
    """The handler process (and its group) no longer exists."""
    start = res.find("START")
    if start is None:
        return
    try:
        os.kill(start["pid"], 0)
    except ProcessLookupError:
        return
    raise AssertionError("handler pid %d still running" % start["pid"])


def test_b107_handler_never_answers(env):
    c = d(env).connect()
    c.send(echo_rq("NOHELLO"))
    t = c.expect(rj(2, 3, 1), timeout=HANDLER + LATE,
                 what="A-ASSOCIATE-RJ (2, 3, 1) at the handler deadline")
    check(t - c.t_sent >= HANDLER - 0.05, "RJ after %.2f s" % (
        t - c.t_sent))
    res = ends(c, TRANSIENT, 2)
    check(res.summary["detail"], "summary gives no reason")
    handler_gone(res)
    sanity(env)


def test_b108_handler_crashes(env):
    for ae in ("CRASH3", "EXIT3"):
        res = rejected(env, echo_rq(ae), 2, 3, 1, 2)
        handler_gone(res)
        if ae == "CRASH3":
            check("signal 11" in res.log, "signal not logged:\n" + res.log)
    for ae in ("CRASH6", "EXIT6"):
        c = associate(env, ae)
        c.send(echo_pdata())
        c.expect(abort(2, 0), what="A-ABORT (2, 0) after the handler died")
        ends(c, ABORTED_20, 2)
    c = associate(env, "CRASH8")
    c.send(RELRQ)
    c.expect(abort(2, 0), what="A-ABORT (2, 0), handler died in Sta8")
    res = ends(c, ABORTED_20, 2)
    check("signal 11" in res.log, "signal not logged:\n" + res.log)
    sanity(env)


def test_b109_malformed_handler_frames(env):
    for ae in ("HUGEFRAME", "UNKNOWNFRAME", "TRUNCFRAME", "BADMAGIC",
               "BADVER"):
        res = rejected(env, echo_rq(ae), 2, 3, 1, 2)
        check("handler" in (res.summary["detail"] or ""), "summary does not "
              "blame the handler: %s" % res.summary["detail"])
    sanity(env)


def test_b110_handler_accepts_unproposed(env):
    for ae in ("BADID", "BADTS"):
        rejected(env, echo_rq(ae), 2, 3, 1, 2)
    sanity(env)


def test_b111_handler_pdata_too_big_or_unaccepted(env):
    c = peer_max(env, 1024, "PDBIG")
    lens, pdvs = collect_pdata(c, 25600, 10)
    check(max(lens) <= 1024, "a PDU of %d bytes over the peer's 1024" %
          max(lens))
    check(b"".join(v[2] for v in pdvs) == bytes(range(256)) * 100,
          "fragments do not reassemble")
    ends(c, "connection-lost", 0)
    c = associate(env, "PDBADCTX")
    c.expect(abort(2, 0), what="A-ABORT (2, 0) for P-DATA on an unaccepted "
             "context")
    ends(c, ABORTED_20, 2)
    sanity(env)


def test_b112_handler_never_answers_a_request(env):
    c = associate(env, "SILENT")
    c.send(echo_pdata())
    t = c.expect(abort(0, 0), timeout=IDLE + LATE,
                 what="A-ABORT (0, 0) at the idle timeout")
    check(t - c.t_sent >= IDLE - 0.05, "abort after %.2f s" % (
        t - c.t_sent))
    ends(c, ABORTED_00, 0)
    sanity(env)


def test_b113_handler_descriptors(env):
    c = associate(env)
    res = ends(c, "connection-lost", 0)
    fds = res.find("START")["fds"]
    check(sorted(fds) == ["0", "1", "2", "3", "4"], "handler descriptors: "
          "%s" % fds)
    check(fds["0"] == "/dev/null" and all(fds[f] == "pipe" for f in "1234"),
          "handler descriptors: %s" % fds)
    sanity(env)


def test_b114_handler_environment(env):
    # Limits: a descriptor limit raised for the daemon (as a service
    # manager may) is not passed on: the handler's soft limit is the
    # usual 1024 at most, its hard limit the daemon's.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft <= 1024 < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    c = associate(env)
    res = ends(c, "connection-lost", 0)
    nofile = res.find("START")["nofile"]
    check(nofile[0] <= 1024 and nofile[1] == hard, "handler RLIMIT_NOFILE "
          "%s, daemon's hard limit %d" % (nofile, hard))
    documented = {"DUL_PROTOCOL", "DUL_FD_IN", "DUL_FD_OUT", "DUL_ASSOC_ID",
                  "DUL_SERVER_SOFTWARE", "DUL_AE_CONFIG", "DUL_CALLED_AE",
                  "DUL_CALLING_AE", "DUL_PEER_IMPLEMENTATION_UID",
                  "DUL_PEER_IMPLEMENTATION_VERSION", "DUL_TLS",
                  "DUL_PROXIED", "PROTO", "TCPREMOTEIP", "TCPREMOTEPORT",
                  "TCPLOCALIP", "TCPLOCALPORT", "PATH", "CONF_TEST"}
    # The wrapper shell adds PWD, Python's locale coercion LC_CTYPE.
    got = set(res.find("START")["env"]) - {"PWD", "LC_CTYPE", "SHLVL", "_"}
    check(got == documented, "handler environment differs: extra %s, "
          "missing %s" % (sorted(got - documented),
                          sorted(documented - got)))
    sanity(env)


def test_b115_handler_leaves_a_child(env):
    c = associate(env, "FORK")
    c.send(RELRQ)
    c.expect(RELRP)
    res = c.finish()
    outcome(res, "released", 0)
    child = res.find("CHILD")["pid"]
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        raise AssertionError("the handler's child %d outlived the "
                             "association" % child)
    sanity(env)


# I. Signals, lifecycle, operating modes.

def test_b125_inetd_without_a_connection(env):
    # -i needs a connected stream socket on fd 0.  Anything else is one
    # error line on stderr and exit 111 (system error at start-up): no
    # association, no summary line, at any logging.level.
    quiet = os.path.join(env.workdir, "b125-error.conf")
    with open(quiet, "w") as f:
        f.write(env.conf(level="error"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r, w = os.pipe()
    cases = [("/dev/null", None), ("a pipe", r),
             ("a listening socket", listener.fileno()),
             ("a datagram socket", udp.fileno())]
    try:
        for conf in (d(env).conf_path, quiet):
            for what, fd in cases:
                stdin = open(os.devnull, "rb") if fd is None else fd
                try:
                    p = subprocess.run(
                        [env.dulserverd, "-i", "-f", conf], stdin=stdin,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=30)
                finally:
                    if fd is None:
                        stdin.close()
                err = p.stderr.decode("latin-1")
                check(p.returncode == 111, "%s: exit status %d:\n%s" % (
                    what, p.returncode, err))
                lines = err.splitlines()
                check(len(lines) == 1 and "-i: standard input" in lines[0],
                      "%s: not one error line:\n%s" % (what, err))
                check(p.stdout == b"" and "assoc=" not in err,
                      "%s: output or a summary:\n%s" % (what, err))
    finally:
        os.close(r)
        os.close(w)
        listener.close()
        udp.close()
    sanity(env)


# K. Logging.

def test_b134_log_injection(env):
    fake = b"X\nworker[1]: assoc=FAKE peer=1.2.3.4:5 outcome=released"
    res = rejected(env, std_rq(called=fake[:16]), 1, 1, 7)
    printable_log(res)
    res = rejected(env, std_rq(called="CALLING", calling=b"\x1b[31m\xc3\xa9"
                               b"\x80\xff\r\n"), 1, 1, 3)
    printable_log(res)
    c = associate(env, r=std_rq(extra_ui=item(0x55, b"V\nFAKE LINE\x1b")))
    printable_log(ends(c, "connection-lost", 0))
    sanity(env)


def test_b136_one_summary_line(env):
    # Every test checks its association's one summary line (harness
    # Conn.finish); this one also checks each ending kind in turn.
    endings = []
    c = d(env).connect()
    c.shut()
    endings.append(c.finish().summary["outcome"])
    c = associate(env)
    c.send(RELRQ)
    c.expect(RELRP)
    endings.append(c.finish().summary["outcome"])
    c = associate(env)
    c.send(abort(0, 0))
    c.expect_close_prompt()
    endings.append(c.finish().summary["outcome"])
    c = d(env).connect()
    c.send(echo_rq("NOSUCHAE"))
    c.expect(rj(1, 1, 7))
    endings.append(ends(c, r"rejected.*", 0).summary["outcome"])
    check(len(set(endings)) == 4, "endings not told apart: %s" % endings)
    sanity(env)
