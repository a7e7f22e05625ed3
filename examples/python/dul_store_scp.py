#!/usr/bin/env python3
"""dul_store_scp.py: a Storage SCP handler for dulserverd, in Python.

The Python twin of dul-store-scp(8), with the same durability contract:
each object streams into a temporary file in its destination directory,
and C-STORE success (0000) is answered only after os.fsync of the file,
an atomic link (or os.replace) into place and os.fsync of the directory.
File names come from the Affected SOP Instance UID only when it is a valid
UID; directories come from the layout (calling AE title mapped to a safe
alphabet, date), opened relative to the root without following links.
The data set is stored exactly as received.  Statuses are those of
dul-store-scp(8): 0117 invalid SOP Instance UID, 0122 class not that of
the context, 0211 unsupported command, A700 out of resources, C000
malformed command, C001 duplicate refused.
"""

import argparse
import os
import sys
import time

import dulhandler as dh

NAME = "dul_store_scp.py"
LAYOUTS = {
    "flat": [], "calling": ["calling"], "calling/date": ["calling", "date"],
    "date": ["date"], "date/calling": ["date", "calling"],
}


class Store:
    """One association's worth of storing."""

    def __init__(self, session, opts, rootfd):
        self.s, self.o, self.rootfd = session, opts, rootfd
        self.op = None

    def decide(self, pcid, command, has_data):
        """Judge a complete command: the answer so far, as a dict."""
        try:
            cmd = dh.parse_command(command)
            field = dh.get_us(cmd, 0x0100)
            msg_id = dh.get_us(cmd, 0x0110)
        except dh.MalformedCommand:
            return {"fatal": True}
        if field is None:
            return {"fatal": True}
        if field & dh.RSP_BIT or field == dh.C_CANCEL_RQ:
            return {"silent": True}
        if msg_id is None:
            return {"fatal": True}
        cls, inst = dh.get_ui(cmd, 0x0002), dh.get_ui(cmd, 0x1000)
        op = {"field": field | dh.RSP_BIT, "msg_id": msg_id,
              "status": dh.ST_SUCCESS, "comment": None,
              "class": cls if isinstance(cls, str) else None,
              "instance": inst if isinstance(inst, str) else None}
        pc = self.s.accepted(pcid)
        if field == dh.C_ECHO_RQ and not has_data:
            if op["class"] is None and pc is not None:
                op["class"] = pc["abstract"]
        elif field != dh.C_STORE_RQ:
            op.update(status=dh.ST_UNRECOGNIZED_OP,
                      comment=f"unsupported command 0x{field:04x}")
        elif not has_data:
            op.update(status=dh.ST_CANNOT_UNDERSTAND,
                      comment="C-STORE-RQ without a data set")
        elif not isinstance(cls, str) or not dh.uid_valid(cls):
            op.update(status=dh.ST_CANNOT_UNDERSTAND,
                      comment="invalid Affected SOP Class UID")
        elif inst is None:
            op.update(status=dh.ST_CANNOT_UNDERSTAND,
                      comment="no Affected SOP Instance UID")
        elif inst is False or not dh.uid_valid(inst):
            op.update(status=dh.ST_INVALID_INSTANCE,
                      comment="invalid Affected SOP Instance UID")
        elif pc is None or pc["abstract"] != cls:
            op.update(status=dh.ST_CLASS_UNSUPPORTED,
                      comment="SOP class differs from the context's")
        return op

    def begin(self, pcid, asm):
        """A command with a data set: open its file and point the data
        set at it, when the command is acceptable."""
        self.op = op = self.decide(pcid, asm.command, True)
        if op.get("fatal") or op.get("silent") or op["status"]:
            return
        names = {"calling": dh.ae_dirname(self.s.assoc.get("calling_ae", "")),
                 "date": time.strftime("%Y%m%d")}
        comps = [names[c] for c in LAYOUTS[self.o.layout]]
        op["dir"] = "".join(c + "/" for c in comps)
        try:
            op["dirfd"] = dh.open_dirs(self.rootfd, comps, self.o.fsync)
            op["writer"] = dh.Part10Writer(
                op["dirfd"], (op["class"], op["instance"],
                              self.s.accepted(pcid)["result_ts"],
                              self.s.assoc.get("calling_ae")), self.o.fsync)
        except (OSError, ValueError) as e:
            op.update(status=dh.ST_OUT_OF_RESOURCES, comment=f"file: {e}")
            dh.log(NAME, "error", op["comment"])
            return
        asm.sink = op["writer"].write

    def commit(self, asm):
        """The data set is complete: make it durable, then settle."""
        op, w = self.op, self.op.get("writer")
        if w is None:
            return
        op["writer"] = None
        if asm.error is not None:
            w.abort()
            op.update(status=dh.ST_OUT_OF_RESOURCES,
                      comment=f"write: {asm.error}")
            dh.log(NAME, "error", op["comment"])
            return
        name = op["instance"] + ".dcm"
        try:
            final = w.commit(name, self.o.duplicates)
        except FileExistsError:
            op.update(status=dh.ST_DUPLICATE,
                      comment="duplicate SOP instance")
            dh.log(NAME, "warning", f"duplicate {op['dir']}{name} refused")
            return
        except (OSError, ValueError) as e:
            op.update(status=dh.ST_OUT_OF_RESOURCES, comment=f"commit: {e}")
            dh.log(NAME, "error", op["comment"])
            return
        if final is None:
            dh.log(NAME, "warning",
                   f"duplicate {op['dir']}{name}: kept the stored file")
        else:
            dh.log(NAME, "info", f"stored {op['dir']}{final} "
                   f"({asm.data_len} bytes)")

    def cleanup(self):
        """Drop what the current message holds; return it."""
        op, self.op = self.op or {}, None
        if op.get("writer") is not None:
            op["writer"].abort()
        if op.get("dirfd") is not None:
            os.close(op["dirfd"])
        return op

    def respond(self, pcid):
        """Answer the current message; False if it cannot be answered."""
        op = self.cleanup()
        if op.get("fatal"):
            return False
        if op.get("silent"):
            return True
        rsp = dh.build_response(op["field"], op["msg_id"], op["status"],
                                op["class"], op["instance"],
                                op["comment"] if op["status"] else None)
        self.s.send_pdv(pcid, True, True, rsp)
        return True

    def pdata(self, asm, pdvs):
        """Feed one P-DATA indication and answer complete messages."""
        for pcid, is_cmd, is_last, data in pdvs:
            try:
                r = asm.feed(pcid, is_cmd, is_last, data)
            except dh.MalformedCommand:
                self.op = self.decide(pcid, asm.command, False)
                if "status" in self.op:
                    self.op.update(status=dh.ST_CANNOT_UNDERSTAND,
                                   comment="malformed command set")
                r = "answer"
            if r == "command":
                self.begin(pcid, asm)
                continue
            if r is None:
                continue
            if r == "done" and asm.has_data:
                self.commit(asm)
            elif r == "done":
                self.op = self.decide(pcid, asm.command, False)
            if not self.respond(pcid):
                raise dh.SequenceError("unusable command set")

    def serve(self):
        """Run the association to its end."""
        if self.s.wait_assoc() is None:
            return 0
        self.s.accept_as_proposed()
        asm = dh.Assembler()
        while True:
            ev = self.s.next_event()
            if ev[0] == "eof":
                return 0
            if ev[0] == "release_ind":
                self.s.release_respond()
            elif ev[0] == "error":
                dh.log(NAME, "error", f"worker: {ev[2]}")
            elif ev[0] == "pdata":
                try:
                    self.pdata(asm, ev[1])
                except dh.SequenceError as e:
                    dh.log(NAME, "warning", f"P-DATA: {e}")
                    self.cleanup()
                    self.s.abort()


def main():
    p = argparse.ArgumentParser(prog=NAME)
    p.add_argument("--root", required=True)
    p.add_argument("--layout", choices=sorted(LAYOUTS), default="flat")
    p.add_argument("--duplicates", default="keep",
                   choices=["keep", "reject", "overwrite", "keep-both"])
    p.add_argument("--fsync", dest="fsync", action="store_true",
                   default=True)
    p.add_argument("--no-fsync", dest="fsync", action="store_false",
                   help="benchmarks only: breaks the durability contract")
    opts = p.parse_args()
    try:
        rootfd = os.open(opts.root, os.O_RDONLY | os.O_DIRECTORY |
                         os.O_CLOEXEC)
    except OSError as e:
        dh.log(NAME, "error", f"--root {opts.root}: {e.strerror}")
        return 1
    try:
        session = dh.Session(NAME)
    except (dh.ProtocolError, OSError) as e:
        dh.log(NAME, "error", f"session: {e}")
        return 1
    if not opts.fsync:
        dh.log(NAME, "warning",
               "--no-fsync: objects are acknowledged before they are durable")
    try:
        return Store(session, opts, rootfd).serve()
    except dh.ProtocolError as e:
        session.send_error(e.code, str(e))
        dh.log(NAME, "error", str(e))
        return 1
    except OSError as e:
        dh.log(NAME, "error", str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
