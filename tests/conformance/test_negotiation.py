"""The negotiation policy of the configuration, against a real daemon:
strict_user_info (robustness battery case 48), require_user_identity and
user_identity_types (case 52), and the A-ASSOCIATE-AC of a `policy` entry
that answers the most role selection items a request can hold.  Each
configuration is a daemon of its own; times are the suite's.
"""

import struct

import dulpeer
import harness
from dulpeer import IMPLICIT_LE, TEST_IMPL_UID, VERIFICATION, item
from harness import PROMPT, check, echo_pdata, echo_rsp_pdata, outcome, rj

APP = item(0x10, dulpeer.APP_CONTEXT)
MAXLEN = item(0x51, struct.pack(">I", 16384))
IMPL = item(0x52, TEST_IMPL_UID.encode())
RELRQ = dulpeer.RELRQ
RELRP = dulpeer.RELRP


def pc(cid, abstract=VERIFICATION, tss=(IMPLICIT_LE,)):
    """A presentation context item (RQ)."""
    sub = item(0x30, abstract.encode())
    for ts in tss:
        sub += item(0x40, ts.encode())
    return item(0x20, bytes([cid, 0, 0, 0]) + sub)


def rq(called, subs, contexts=None, calling="CONFSCU"):
    """An A-ASSOCIATE-RQ whose user information holds exactly subs."""
    body = struct.pack(">HH", 1, 0) + dulpeer.ae16(called) + \
        dulpeer.ae16(calling) + bytes(32) + APP + \
        b"".join(contexts or [pc(1)]) + item(0x50, b"".join(subs))
    return dulpeer.pdu(1, body)


def ident(t, primary, secondary=b""):
    """A user identity sub-item (0x58), no positive response asked."""
    return item(0x58, bytes([t, 0]) + struct.pack(">H", len(primary)) +
                primary + struct.pack(">H", len(secondary)) + secondary)


def handler_entry(env, title, extra):
    """An `ae` entry served by the test handler, with extra keys."""
    return ('  { title = "%s"; handler = "%s"; args = [ "--trace", "%s" ]; '
            'contexts = ( { abstract = "%s"; transfer = "ts"; } ); %s },\n'
            % (title, env.handler_sh, env.tracedir, VERIFICATION, extra))


class Extra:
    """A daemon of its own: the suite's configuration with more entries
    and, optionally, a changed network group."""

    def __init__(self, env, name, entries, network=""):
        conf = env.conf().replace("ae = (\n", "ae = (\n" + entries, 1)
        conf = conf.replace("network : { ", "network : { " + network, 1)
        self.daemon = harness.Daemon(env, name, conf)
        self.daemon.start()

    def __enter__(self):
        return self.daemon

    def __exit__(self, *exc):
        self.daemon.stop()


def refused(daemon, data, triple, detail):
    """An RQ answered with exactly this A-ASSOCIATE-RJ, before any
    handler was started, with the reason in the log."""
    c = daemon.connect()
    c.send(data)
    c.expect(rj(*triple), what="A-ASSOCIATE-RJ %r" % (triple,))
    c.shut()
    res = c.finish()
    outcome(res, r"rejected\(%d,%d,%d:[^)]*\)" % triple, 0)
    check(detail in res.summary.get("detail", ""), "detail %r, wanted %r" %
          (res.summary.get("detail"), detail))
    check(not res.trace and "handler " not in res.log,
          "a handler was started:\n%s" % res.log)
    return res


def served(daemon, data, called):
    """An RQ that is accepted: a C-ECHO, a release; returns the result."""
    c = daemon.connect()
    c.send(data)
    ty, body = c.recv_pdu(PROMPT + harness.LATE)
    check(ty == dulpeer.A_ASSOCIATE_AC, "%s: PDU type %d %r" % (
        called, ty, body[:8]))
    c.send(echo_pdata(3))
    c.expect(echo_rsp_pdata(3))
    c.send(RELRQ)
    c.expect(RELRP)
    res = c.finish()
    outcome(res, "released", 0)
    return res


def test_b048_strict_user_info(env):
    # network.strict_user_info = true: a request without the Maximum
    # Length or the Implementation Class UID sub-item gets RJ (1, 1, 1),
    # as DCMTK's storescp --reject does; an entry may stay lenient.
    entries = handler_entry(env, "LENIENT", "strict_user_info = false;")
    with Extra(env, "strict", entries, "strict_user_info = true; ") as d:
        refused(d, rq("ECHO", [IMPL]), (1, 1, 1), "no Maximum Length")
        refused(d, rq("ECHO", [MAXLEN]), (1, 1, 1),
                "no Implementation Class UID")
        refused(d, rq("ECHO", [MAXLEN, item(0x52, b"")]), (1, 1, 1),
                "no Implementation Class UID")
        served(d, rq("ECHO", [MAXLEN, IMPL]), "ECHO")
        res = served(d, rq("LENIENT", [MAXLEN]), "LENIENT")
        check("peer sent no implementation class UID" in res.log,
              "no warning:\n" + res.log)
        res = served(d, rq("LENIENT", [IMPL]), "LENIENT")
        check("peer sent no maximum length" in res.log,
              "no warning:\n" + res.log)
    # The default (lenient), with an entry that is strict on its own.
    entries = handler_entry(env, "STRICT", "strict_user_info = true;")
    with Extra(env, "lenient", entries) as d:
        res = served(d, rq("ECHO", [MAXLEN]), "ECHO")
        check("peer sent no implementation class UID" in res.log,
              "no warning:\n" + res.log)
        refused(d, rq("STRICT", [MAXLEN]), (1, 1, 1),
                "no Implementation Class UID")


def test_b052_user_identity_required(env):
    # require_user_identity: no 0x58, or a type not listed, is RJ
    # (1, 1, 1) with the reason logged; a present identity reaches the
    # handler, which judges it; the passcode is never logged.
    entries = (handler_entry(env, "IDENT", "require_user_identity = true;") +
               handler_entry(env, "IDENTJWT", "require_user_identity = true; "
                             'user_identity_types = [ "jwt" ];'))
    with Extra(env, "ident", entries) as d:
        refused(d, rq("IDENT", [MAXLEN, IMPL]), (1, 1, 1),
                "no user identity (require_user_identity)")
        refused(d, rq("IDENT", [MAXLEN, IMPL, ident(0, b"user")]),
                (1, 1, 1), "user identity type 0 not accepted")
        refused(d, rq("IDENT", [MAXLEN, IMPL, ident(6, b"user")]),
                (1, 1, 1), "user identity type 6 not accepted")
        res = refused(d, rq("IDENTJWT", [MAXLEN, IMPL,
                                         ident(2, b"alice", b"SECRETPW")]),
                      (1, 1, 1), "user identity type 2 not accepted")
        check("SECRETPW" not in res.log, "passcode logged")
        res = served(d, rq("IDENT", [MAXLEN, IMPL,
                                     ident(2, b"alice", b"SECRETPW")]),
                     "IDENT")
        rec = res.find("ASSOC_IND")
        check(rec is not None and rec.get("identity") == [2, "alice", 8],
              "handler saw %r" % (rec,))
        check("SECRETPW" not in res.log, "passcode logged")
        res = served(d, rq("IDENTJWT", [MAXLEN, IMPL,
                                        ident(5, b"eyJhbGciOi.x.y")]),
                     "IDENTJWT")
        check(res.find("ASSOC_IND").get("identity") ==
              [5, "eyJhbGciOi.x.y", 0], "handler saw %r" %
              res.find("ASSOC_IND"))
        # Entries that do not require it still accept without.
        served(d, rq("ECHO", [MAXLEN, IMPL]), "ECHO")


def test_policy_ac_with_most_role_items(env):
    # A `policy` entry whose contexts accept every proposed context, with
    # the peer as SCU and SCP: 128 contexts, 128 distinct 64-character
    # abstract syntaxes, 128 role selection items.  The A-ASSOCIATE-AC
    # answers every one, well within its user information item.
    uids = []
    for i in range(128):
        head = "1.2.826.0.1.3680043.9.7433.3.%d." % (i + 1)
        uids.append(head + "9" * (64 - len(head)))
    contexts = [pc(2 * i + 1, u) for i, u in enumerate(uids)]
    roles = [item(0x54, struct.pack(">H", 64) + u.encode() + b"\x01\x01")
             for u in uids]
    entries = ('  { title = "ROLES"; handler = "%s"; args = [ "--trace", '
               '"%s" ]; negotiation = "policy"; contexts = ( { abstract = '
               '"1.2.826.0.1.3680043.9.7433.3.*"; transfer = "ts"; '
               'peer_roles = "both"; } ); },\n' % (env.handler_sh,
                                                   env.tracedir))
    with Extra(env, "roles", entries) as d:
        c = d.connect()
        c.send(rq("ROLES", [MAXLEN, IMPL] + roles, contexts))
        ty, body = c.recv_pdu(PROMPT + harness.LATE)
        check(ty == dulpeer.A_ASSOCIATE_AC, "PDU type %d %r" % (ty,
                                                               body[:8]))
        ac = dulpeer.parse_ac(body)
        check(sorted(ac["contexts"]) == list(range(1, 256, 2)) and
              all(r == 0 for r, _ in ac["contexts"].values()),
              "contexts %r" % ac["contexts"])
        answered = role_items(body)
        check(answered == [(u, 1, 1) for u in uids],
              "%d role items answered" % len(answered))
        c.send(RELRQ)
        c.expect(RELRP)
        outcome(c.finish(), "released", 0)


def role_items(body):
    """The role selection sub-items of an A-ASSOCIATE-AC body."""
    out = []
    off = 68
    while off + 4 <= len(body):
        itype, _, ilen = struct.unpack_from(">BBH", body, off)
        if itype == 0x50:
            uoff, val = 0, body[off + 4:off + 4 + ilen]
            while uoff + 4 <= len(val):
                st, _, sl = struct.unpack_from(">BBH", val, uoff)
                if st == 0x54:
                    n = struct.unpack_from(">H", val, uoff + 4)[0]
                    uid = val[uoff + 6:uoff + 6 + n].decode()
                    out.append((uid, val[uoff + 6 + n],
                                val[uoff + 7 + n]))
                uoff += 4 + sl
        off += 4 + ilen
    return out
