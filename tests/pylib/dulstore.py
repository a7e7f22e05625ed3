"""Helpers for the storage-safety and fault-injection tests, stdlib only.

They build on dulmaster.py (a real dulserverd master, its log, /proc) and
dulpeer.py (the scripted peer): C-STORE over the raw peer with the
status read back, an `ae` entry for dul-store-scp behind a small shell
wrapper that sets the handler's own DUL_FAULT (the worker gives handlers
a cleared environment, and DUL_* names are reserved in ae.env), and the
checks every test ends with: one summary line per association, nothing
from a sanitizer, no worker killed by a signal, and a store that holds
exactly the objects acknowledged, whole.
"""

import hashlib
import os
import re
import struct

import dulpeer
from dulmaster import ROOT, check

SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"
STATUS_SUCCESS = 0x0000
STATUS_OUT_OF_RESOURCES = 0xA700
STATUS_INVALID_INSTANCE = 0x0117
STATUS_CANNOT_UNDERSTAND = 0xC000

SUMMARY = re.compile(r'assoc=\S+ peer=\S+ calling="(?P<calling>[^"]*)" '
                     r'called="(?P<called>[^"]*)" outcome=(?P<outcome>\S+)')


def fault_build():
    """Whether the build under test has fault injection compiled in."""
    builddir = os.path.abspath(os.environ.get("top_builddir", ".."))
    try:
        with open(os.path.join(builddir, "config.h")) as f:
            return "#define DUL_FAULT_INJECTION 1" in f.read()
    except OSError:
        return False


def daemon_env(rules):
    """The environment for a master whose processes take these rules."""
    env = dict(os.environ)
    env.pop("DUL_FAULT", None)
    if rules:
        env["DUL_FAULT"] = rules
    return env


def store_handler(t, name, rules=None):
    """A handler path that runs dul-store-scp with DUL_FAULT=rules."""
    if not rules:
        return t.store_scp
    path = t.path(name + ".sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nDUL_FAULT='%s' exec '%s' \"$@\"\n" %
                (rules, t.store_scp))
    os.chmod(path, 0o755)
    return path


def store_ae(title, handler, root, layout="flat", extra_args=()):
    """An `ae` entry for a storage handler (Secondary Capture and
    verification), negotiated by the handler."""
    args = ["--root", root, "--layout", layout] + list(extra_args)
    return ('{ title = "%s"; handler = "%s"; args = [ %s ];\n'
            '    contexts = ( { abstract = "verification"; '
            'transfer = "uncompressed"; },\n'
            '      { abstract = "storage"; transfer = "any"; } );\n'
            '    negotiation = "handler"; }'
            % (title, handler, ", ".join('"%s"' % a for a in args)))


def store_root(t, name):
    """An empty storage root the workers' account owns."""
    d = t.path(name)
    os.makedirs(d, exist_ok=True)
    if ROOT:
        os.chown(d, 65534, 65534)
    return d


def dataset(instance, size, seed=0):
    """An implicit VR little endian data set of about size bytes whose
    bytes depend on seed."""
    pattern = bytes((i * 131 + seed * 7 + (i >> 8)) & 0xff
                    for i in range(4096))
    body = (pattern * (size // 4096 + 1))[:max(size, 2) & ~1]
    return dulpeer.dataset([
        (0x0008, 0x0016, SC_CLASS.encode()),
        (0x0008, 0x0018, instance if isinstance(instance, bytes)
         else instance.encode()),
        (0x0010, 0x0020, b"SEED%d" % seed),
        (0x7FE0, 0x0010, body),
    ])


def c_store_rq(instance, msg_id):
    """A C-STORE-RQ; instance may be any bytes, hostile ones included."""
    if isinstance(instance, str):
        instance = instance.encode("latin-1")
    els = [
        (0x0002, SC_CLASS.encode()),
        (0x0100, struct.pack("<H", 0x0001)),
        (0x0110, struct.pack("<H", msg_id & 0xffff)),
        (0x0700, struct.pack("<H", 0)),
        (0x0800, struct.pack("<H", 0x0000)),
        (0x1000, instance),
    ]
    return dulpeer.command_set(els)


class Aborted(Exception):
    """The acceptor sent A-ABORT."""


def _expect(ty, body, want, what):
    if ty == dulpeer.A_ABORT:
        raise Aborted("%s answered with A-ABORT %r" % (what, body[2:4]))
    check(ty == want, "%s answered with PDU type %d" % (what, ty))


class StoreAssoc:
    """One storage association through the raw peer."""

    def __init__(self, port, called="STORESCP", calling="STORESCU",
                 timeout=20.0):
        self.peer = dulpeer.Peer("127.0.0.1", port, timeout=timeout)
        self.peer.send(dulpeer.assoc_rq(
            called=called, calling=calling,
            contexts=[(1, dulpeer.VERIFICATION, [dulpeer.IMPLICIT_LE]),
                      (3, SC_CLASS, [dulpeer.IMPLICIT_LE])]))
        self.type, body = self.peer.recv_pdu()
        self.body = body
        self.msg_id = 0
        self.frag = 0
        if self.type == dulpeer.A_ASSOCIATE_AC:
            ac = dulpeer.parse_ac(body)
            check(ac["contexts"].get(3, (1,))[0] == 0,
                  "storage context refused: %r" % ac["contexts"])
            self.frag = (ac["max_len"] - 6) & ~1

    def send_store(self, instance, ds):
        """Send a C-STORE-RQ and its data set, without waiting."""
        self.msg_id += 1
        self.peer.send(dulpeer.pdata(dulpeer.pdv(
            3, 0x03, c_store_rq(instance, self.msg_id))))
        off = 0
        while True:
            chunk = ds[off:off + self.frag]
            off += len(chunk)
            last = off >= len(ds)
            self.peer.send(dulpeer.pdata(dulpeer.pdv(
                3, 0x02 if last else 0x00, chunk)))
            if last:
                return

    def response(self, timeout=None):
        """Read one C-STORE-RSP: (status, error comment).  Raises
        dulpeer.Closed, or Failure on another PDU."""
        ty, body = self.peer.recv_pdu(timeout)
        _expect(ty, body, dulpeer.P_DATA_TF, "C-STORE")
        cmd = dulpeer.parse_command(b"".join(
            d for _, _, d in dulpeer.parse_pdata(body)))
        check(dulpeer.command_field(cmd, 0x0100) == 0x8001,
              "not a C-STORE-RSP: %r" % cmd)
        check(dulpeer.command_field(cmd, 0x0120) == self.msg_id & 0xffff,
              "answer to message %d, sent %d" %
              (dulpeer.command_field(cmd, 0x0120), self.msg_id))
        comment = cmd.get((0, 0x0902), b"").rstrip(b"\0 ")
        return dulpeer.command_field(cmd, 0x0900), comment.decode(
            "latin-1")

    def store(self, instance, ds, timeout=None):
        self.send_store(instance, ds)
        return self.response(timeout)

    def echo(self):
        self.msg_id += 1
        self.peer.send(dulpeer.pdata(dulpeer.pdv(
            1, 0x03, dulpeer.c_echo_rq(self.msg_id))))
        ty, body = self.peer.recv_pdu()
        _expect(ty, body, dulpeer.P_DATA_TF, "C-ECHO")
        cmd = dulpeer.parse_command(b"".join(
            d for _, _, d in dulpeer.parse_pdata(body)))
        return dulpeer.command_field(cmd, 0x0900)

    def release(self):
        self.peer.send(dulpeer.RELRQ)
        ty, body = self.peer.recv_pdu()
        _expect(ty, body, dulpeer.A_RELEASE_RP, "A-RELEASE-RQ")
        self.peer.close()

    def close(self):
        self.peer.close()


def files_under(root):
    """Every file below root, as paths relative to it."""
    out = []
    for dp, _, fs in os.walk(root):
        for f in fs:
            out.append(os.path.relpath(os.path.join(dp, f), root))
    return sorted(out)


def part_files(root):
    """Temporary files of the Part-10 writer left below root."""
    return [f for f in files_under(root)
            if os.path.basename(f).startswith(".dul-")]


def stored_data_set(path):
    """The data set of a stored Part-10 file (after its meta group)."""
    with open(path, "rb") as f:
        blob = f.read()
    check(len(blob) >= 144 and blob[128:132] == b"DICM",
          "%s: no DICM prefix" % path)
    end = 144 + struct.unpack_from("<I", blob, 140)[0]
    return blob[end:]


def sha(data):
    return hashlib.sha256(data).hexdigest()


def summaries(d):
    """Parsed summary lines of a daemon's log."""
    out = []
    for line in d.text().splitlines():
        m = SUMMARY.search(line)
        if m:
            out.append(m.groupdict())
    return out


def clean_log(d):
    """No sanitizer report, no worker or handler killed by a signal
    other than the test's own SIGKILLs, no crash of the master."""
    text = d.text()
    for needle in ("Sanitizer", "runtime error:", "SIGSEGV", "SIGABRT",
                   "signal 11", "signal 6 "):
        i = text.find(needle)
        check(i < 0, "%r in the log of %s:\n%s" %
              (needle, d.name, text[max(0, i - 500):i + 1500]))
    check(d.proc.poll() is None, "the master of %s exited (%r)" %
          (d.name, d.proc.returncode))
