#!/usr/bin/env python3
"""dul_echo_scp.py: a Verification SCP handler for dulserverd, in Python.

The Python twin of dul-echo-scp(8): it accepts the association as the
worker's policy proposed, answers every C-ECHO-RQ with success and every
other request with 0211 (unrecognized operation), and answers the
release.  Standard library only; the protocol is in dulhandler.py.
"""

import sys

import dulhandler as dh

NAME = "dul_echo_scp.py"


def answer(session, pcid, command, has_data):
    """Answer one complete message; False if it cannot be answered."""
    try:
        cmd = dh.parse_command(command)
        field = dh.get_us(cmd, 0x0100)
        msg_id = dh.get_us(cmd, 0x0110)
    except dh.MalformedCommand:
        return False
    if field is None:
        return False
    if field & dh.RSP_BIT or field == dh.C_CANCEL_RQ:
        dh.log(NAME, "warning", f"ignored command 0x{field:04x}")
        return True
    if msg_id is None:
        return False
    sop_class = dh.get_ui(cmd, 0x0002)
    if not isinstance(sop_class, str):
        pc = session.accepted(pcid)
        sop_class = pc["abstract"] if pc is not None else None
    if field == dh.C_ECHO_RQ and not has_data:
        status, sop_instance = dh.ST_SUCCESS, None
    else:
        status, sop_instance = dh.ST_UNRECOGNIZED_OP, dh.get_ui(cmd, 0x1000)
        dh.log(NAME, "info", f"refused command 0x{field:04x}")
    rsp = dh.build_response(field | dh.RSP_BIT, msg_id, status, sop_class,
                            sop_instance or None)
    session.send_pdv(pcid, True, True, rsp)
    return True


def serve(session):
    """Run the association to its end."""
    if session.wait_assoc() is None:
        return 0
    session.accept_as_proposed()
    asm = dh.Assembler()
    while True:
        ev = session.next_event()
        if ev[0] == "eof":
            return 0
        if ev[0] == "release_ind":
            session.release_respond()
        elif ev[0] == "error":
            dh.log(NAME, "error", f"worker: {ev[2]}")
        elif ev[0] == "pdata":
            try:
                for pcid, is_cmd, is_last, data in ev[1]:
                    if (asm.feed(pcid, is_cmd, is_last, data) == "done" and
                            not answer(session, pcid, asm.command,
                                       asm.has_data)):
                        raise dh.SequenceError("unusable command set")
            except (dh.SequenceError, dh.MalformedCommand) as e:
                dh.log(NAME, "warning", f"P-DATA: {e}")
                session.abort()


def main():
    if len(sys.argv) > 1:
        sys.stderr.write(f"usage: {NAME}\n")
        return 100
    try:
        session = dh.Session(NAME)
    except (dh.ProtocolError, OSError) as e:
        dh.log(NAME, "error", f"session: {e}")
        return 1
    try:
        return serve(session)
    except dh.ProtocolError as e:
        session.send_error(e.code, str(e))
        dh.log(NAME, "error", str(e))
        return 1
    except OSError as e:
        dh.log(NAME, "error", str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
