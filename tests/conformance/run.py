#!/usr/bin/env python3
"""Run the wire-level conformance suite against a built dulserverd.

usage: run.py --builddir DIR [--jobs N] [--keep] [--list] [PATTERN ...]

Every test_* function of the test modules gets the shared Env (the
daemons) and either returns or raises.  Tests run in parallel threads:
they wait on sockets and timers, not on the CPU.  A PATTERN keeps only the
tests whose names contain it.  Output is TAP; the exit status is 0 when
every test passed, 1 otherwise, 77 (skip) when there is nothing to test.
"""

import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True      # leave the source tree as it is

import harness  # noqa: E402
import test_battery  # noqa: E402
import test_daemon  # noqa: E402
import test_fsm  # noqa: E402
import test_negotiation  # noqa: E402

MODULES = [test_fsm, test_battery, test_daemon, test_negotiation]
TEST_TIMEOUT = 60.0      # no single test may take longer
SUITE_TIMEOUT = 600.0    # nor the whole suite


def collect(patterns):
    """The test functions, in module and definition order."""
    out = []
    for mod in MODULES:
        for name, fn in vars(mod).items():
            if not name.startswith("test_") or not callable(fn):
                continue
            if patterns and not any(p in name for p in patterns):
                continue
            out.append((fn.__code__.co_firstlineno, mod.__name__, name, fn))
    out.sort(key=lambda t: (MODULES.index(sys.modules[t[1]]), t[0]))
    return [(name, fn) for _, _, name, fn in out]


def run_one(env, name, fn):
    """Run one test; return (name, ok, seconds, message)."""
    t0 = time.monotonic()
    try:
        fn(env)
        return name, True, time.monotonic() - t0, ""
    except harness.Failure as e:
        return name, False, time.monotonic() - t0, str(e)
    except Exception:
        return name, False, time.monotonic() - t0, traceback.format_exc()


def watchdog(deadline):
    """End the process if the suite outlives its bound."""
    while time.monotonic() < deadline:
        time.sleep(1)
    sys.stdout.write("Bail out! suite still running after %.0f s\n" %
                     SUITE_TIMEOUT)
    sys.stdout.flush()
    os._exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--jobs", type=int,
                    default=int(os.environ.get("CONFORMANCE_JOBS", "8")))
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (logs, traces)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("patterns", nargs="*")
    args = ap.parse_args()

    tests = collect(args.patterns)
    if args.list:
        for name, _ in tests:
            print(name)
        return 0
    dulserverd = os.path.join(args.builddir, "src", "dulserverd")
    if not os.access(dulserverd, os.X_OK):
        print("1..0 # SKIP no %s" % dulserverd)
        return 77
    if not tests:
        print("1..0 # SKIP no test matches")
        return 77

    work = tempfile.mkdtemp(prefix="dulconf.")
    env = harness.Env(args.builddir, sys.executable, work)
    threading.Thread(target=watchdog, args=(time.monotonic() +
                                            SUITE_TIMEOUT,),
                     daemon=True).start()
    failed = 0
    t0 = time.monotonic()
    try:
        env.start()
        print("1..%d" % len(tests))
        sys.stdout.flush()
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futs = [pool.submit(run_one, env, name, fn)
                    for name, fn in tests]
            for i, f in enumerate(futs, 1):
                name, ok, secs, msg = f.result(TEST_TIMEOUT * len(tests))
                if ok:
                    print("ok %d - %s (%.2f s)" % (i, name, secs))
                else:
                    failed += 1
                    print("not ok %d - %s (%.2f s)" % (i, name, secs))
                    for line in msg.rstrip().splitlines():
                        print("#   " + line)
                sys.stdout.flush()
    finally:
        env.stop()
        print("# %d tests, %d failed, %.1f s, %d connections" % (
            len(tests), failed, time.monotonic() - t0,
            sum(d.accepted for d in env.daemons.values())))
        if args.keep or failed:
            print("# logs and traces kept in " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
