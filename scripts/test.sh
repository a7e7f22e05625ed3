#!/bin/sh
# Set everything up and run the whole test suite:
#   0. cppcheck (scripts/analyze.sh);
#   1. gcc, -Werror, ASan + UBSan, fault injection: make check (unit and
#      end-to-end tests);
#   2. clang, libFuzzer + ASan + UBSan: a bounded run of every fuzz target;
#   3. make distcheck.
# Exits non-zero on the first failure.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)

sh scripts/deps.sh

# Run as root, the tests' daemons run their workers and handlers as
# "nobody", which must be able to reach the built handlers.  A checkout
# under a private directory (mode 0700, as mktemp -d makes) is copied to a
# directory of its own that it can reach, and the suite runs there.
if [ "$(id -u)" = 0 ] && [ -z "${DUL_TEST_STAGED:-}" ] &&
    ! runuser -u nobody -- test -r "$top/configure.ac" 2>/dev/null; then
	stage=$(mktemp -d /tmp/dulserverd-test.XXXXXX)
	chmod 755 "$stage"
	printf 'nobody cannot reach %s: running the suite in %s\n' \
	    "$top" "$stage"
	tar -C "$top" --exclude=./build -cf - . | tar -C "$stage" -xf -
	chmod -R a+rX "$stage"
	rc=0
	DUL_TEST_STAGED=1 sh "$stage/scripts/test.sh" || rc=$?
	if [ "$rc" = 0 ]; then
		rm -rf "$stage"
	else
		printf 'the build and its logs stay in %s\n' "$stage"
	fi
	exit "$rc"
fi

[ -x configure ] || ./bootstrap

step() { printf '\n=== %s\n' "$*"; }

fail_logs() {
	find "$1" -name '*.log' -path '*tests*' ! -name 'config.log' \
	    ! -name 'test-suite.log' \
	    -newer "$1/Makefile" -exec grep -l -E '^(FAIL|ERROR)' {} + \
	    2>/dev/null | while read -r f; do
		printf '\n--- %s\n' "$f"
		tail -n 60 "$f"
		printf '\n--- %s, its failures\n' "$f"
		grep -E '^(FAIL|ERROR)' "$f" | head -n 20
	done
}

step "static analysis (cppcheck)"
sh scripts/analyze.sh

step "build and check (gcc, werror, sanitizers, fault injection)"
rm -rf build/check
mkdir -p build/check
(cd build/check && ../../configure --enable-werror --enable-sanitizers \
    --enable-fault-injection CFLAGS="-g -O1" >config.out 2>&1) ||
    { cat build/check/config.log; exit 1; }
make -C build/check -j"$jobs" >build/check/make.out 2>&1 ||
    { tail -n 50 build/check/make.out; exit 1; }
if ! make -C build/check -j"$jobs" check; then
	fail_logs build/check
	exit 1
fi

step "fuzz smoke (clang, libFuzzer, sanitizers)"
rm -rf build/fuzz
mkdir -p build/fuzz
(cd build/fuzz && ../../configure CC=clang --enable-fuzzing \
    --enable-sanitizers --enable-werror CFLAGS="-g -O1" >config.out 2>&1) ||
    { cat build/fuzz/config.log; exit 1; }
make -C build/fuzz -j"$jobs" >build/fuzz/make.out 2>&1 ||
    { tail -n 50 build/fuzz/make.out; exit 1; }
sh tests/fuzz/smoke.sh build/fuzz/tests

step "distcheck"
rm -rf build/dist
mkdir -p build/dist
(cd build/dist && ../../configure >config.out 2>&1)
if ! make -C build/dist -j"$jobs" distcheck >build/dist/distcheck.out 2>&1
then
	tail -n 40 build/dist/distcheck.out
	fail_logs build/dist
	exit 1
fi
tail -n 4 build/dist/distcheck.out

step "all tests passed"
