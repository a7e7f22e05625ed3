#!/usr/bin/env python3
"""`dulserverd -n -f FILE`: exit 0 on a good file, 1 with file:line.

The configuration loader has unit tests of its own (tests/test_conf.c
and the files in tests/conf/bad); this runs the daemon the way an
operator does, on files that point at the built handlers, and checks
the exit status and the one line that says what is wrong and where.
"""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "pylib"))
import dulsrv  # noqa: E402
from dulsrv import check  # noqa: E402


def main():
    env = dulsrv.Env("conf")
    if not os.access(env.dulserverd, os.X_OK):
        print("SKIP: %s not built" % env.dulserverd)
        env.cleanup()
        sys.exit(dulsrv.SKIP)
    port = dulsrv.free_port()
    good = dulsrv.config(port, [
        dulsrv.ae_entry("ECHOSCP", env.echo_scp),
        dulsrv.ae_entry("STORESCP", env.store_scp,
                        ["--root", env.work],
                        contexts=[("storage", "uncompressed")]),
    ])

    def daemon(*args):
        p = subprocess.run([env.dulserverd] + list(args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def bad(name, text, line, what):
        path = env.write(name, text)
        rc, out, err = daemon("-n", "-f", path)
        check(rc == 1, "%s: exit %d, want 1 (%s)" % (name, rc, err))
        check("configuration OK" not in out, "%s: said OK" % name)
        lines = err.strip().splitlines()
        check(len(lines) == 1, "%s: want one line, got %r" % (name, err))
        check(re.match(r"^%s:%d: " % (re.escape(path), line), lines[0]),
              "%s: want %s:%d: ..., got %r" % (name, path, line, lines[0]))
        check(what in lines[0], "%s: %r not in %r" % (name, what, lines[0]))

    def line_of(text, needle):
        return text[:text.index(needle)].count("\n") + 1

    def good_file():
        path = env.write("good.conf", good)
        rc, out, err = daemon("-n", "-f", path)
        check(rc == 0, "exit %d: %s" % (rc, err))
        check(out == "configuration OK\n", "stdout %r" % out)
        check(err == "", "stderr %r" % err)
        rc, out, err = daemon("-n", "-i", "-f", path)
        check(rc == 0 and out == "configuration OK\n", "-n -i: %d" % rc)
        check("-i: server.listen" in err, "-n -i says nothing: %r" % err)

    def typo():
        text = good.replace("handler_exit = 2;", "handler_exti = 2;")
        bad("typo.conf", text, line_of(text, "handler_exti"),
            "unknown key; did you mean 'handler_exit'?")

    def missing_handler():
        text = good.replace(env.store_scp, env.path("no-such-handler"))
        bad("missing.conf", text, line_of(text, "no-such-handler"),
            "No such file or directory")

    def not_executable():
        plain = env.write("plain-file", "#!/bin/sh\n", 0o644)
        text = good.replace(env.echo_scp, plain)
        bad("noexec.conf", text, line_of(text, "plain-file"),
            "is not executable")

    def syntax():
        text = good.replace("port = ", "port = = ")
        bad("syntax.conf", text, line_of(text, "port = = "),
            "syntax error")

    def usage():
        rc, _, err = daemon("-n", "-Z")
        check(rc == 100, "usage error exit %d" % rc)
        check("usage:" in err, "no usage line: %r" % err)

    env.run("-n on a good file: exit 0, configuration OK", good_file)
    env.run("-n on a misspelt key: exit 1, file:line, hint", typo)
    env.run("-n on a missing handler: exit 1, file:line", missing_handler)
    env.run("-n on a handler that is not executable", not_executable)
    env.run("-n on a syntax error: exit 1, file:line", syntax)
    env.run("unknown option: usage, exit 100", usage)
    env.finish()


if __name__ == "__main__":
    main()
