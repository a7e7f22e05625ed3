#!/usr/bin/env python3
"""C-ECHO through dulserverd to the shipped echo handlers, with DCMTK.

dulserverd runs under socat (inetd style: one `dulserverd -i` per
connection) and in debug mode (`dulserverd -d`, one connection), with
dul-echo-scp and with examples/python/dul_echo_scp.py as the handler.
echoscu must succeed, and the worker must log one summary line per
association saying it was released, with the handler's exit status 0.
"""

import os
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))
import dulsrv  # noqa: E402
from dulsrv import check  # noqa: E402


def echo(port, calling, called="ECHOSCP", extra=()):
    """Run echoscu; it must succeed."""
    rc, out = dulsrv.run_tool(["echoscu", "-to", "10", "-ta", "10",
                               "-aet", calling, "-aec", called] +
                              list(extra) + ["127.0.0.1", str(port)],
                              timeout=30)
    check(rc == 0, "echoscu %s exited %d:\n%s" % (calling, rc, out))
    return out


def released(srv, calling, pdus_in=3):
    """The association's summary line says: released, handler exit 0."""
    s = srv.summary(calling)
    check(s["outcome"] == "released", "outcome %s" % s["line"])
    check(s["handler"] == "0", "handler status %s" % s["line"])
    check(s["called"] == "ECHOSCP", "called %s" % s["line"])
    check(s["peer"].startswith("127.0.0.1:"), "peer %s" % s["line"])
    check(int(s["pdus_in"]) == pdus_in, "pdus_in %s" % s["line"])
    check(s["detail"] is None, "detail %s" % s["line"])


def main():
    env = dulsrv.Env("echo")
    env.require("echoscu")

    def entries(negotiation):
        e = [dulsrv.ae_entry("ECHOSCP", env.echo_scp,
                             negotiation=negotiation)]
        if env.python is not None:
            h, a = env.python_handler(os.path.join(env.pydir,
                                                   "dul_echo_scp.py"))
            e.append(dulsrv.ae_entry("PYECHO", h, a,
                                     negotiation=negotiation))
        return e

    def inetd_c():
        port = dulsrv.free_port()
        srv = dulsrv.Server(env, "inetd-handler",
                            dulsrv.config(port, entries("handler")), port)
        echo(port, "ECHO_C1")
        released(srv, "ECHO_C1")
        # Three C-ECHOs on one association, then four at once.
        echo(port, "ECHO_C2", extra=["--repeat", "3"])
        released(srv, "ECHO_C2", pdus_in=5)
        threads = [threading.Thread(target=echo,
                                    args=(port, "ECHO_P%d" % i))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for i in range(4):
            released(srv, "ECHO_P%d" % i)
        srv.stop()

    def inetd_policy():
        port = dulsrv.free_port()
        srv = dulsrv.Server(env, "inetd-policy",
                            dulsrv.config(port, entries("policy")), port)
        echo(port, "ECHO_POL")
        released(srv, "ECHO_POL")
        s = srv.summary("ECHO_POL")
        check(s["called"] == "ECHOSCP", s["line"])
        srv.stop()

    def inetd_python():
        if env.python is None:
            print("note: no Python usable as a handler; skipped")
            return
        port = dulsrv.free_port()
        srv = dulsrv.Server(env, "inetd-python",
                            dulsrv.config(port, entries("handler")), port)
        out = echo(port, "ECHO_PY", called="PYECHO")
        s = srv.summary("ECHO_PY")
        check(s["outcome"] == "released" and s["handler"] == "0",
              s["line"] + "\n" + out)
        check(s["called"] == "PYECHO", s["line"])
        srv.stop()

    def debug_mode():
        port = dulsrv.free_port()
        srv = dulsrv.Server(env, "debug",
                            dulsrv.config(port, entries("handler")), port,
                            mode="debug")
        echo(port, "ECHO_DBG")
        check(srv.wait_exit() == 0, "dulserverd -d exit status")
        released(srv, "ECHO_DBG")

    env.run("echoscu -> dul-echo-scp under socat (-i)", inetd_c)
    env.run("echoscu -> dul-echo-scp, negotiation = policy", inetd_policy)
    env.run("echoscu -> dul_echo_scp.py under socat (-i)", inetd_python)
    env.run("echoscu -> dul-echo-scp with dulserverd -d", debug_mode)
    env.finish()


if __name__ == "__main__":
    main()
