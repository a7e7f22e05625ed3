#!/bin/sh
# Static analysis (doc/ANALYSIS.md): cppcheck over the daemon, the
# library and the handlers (warning, style, performance, portability)
# and over the tests (warning), then, with -s, clang's static analyzer
# over a build of everything (scan-build, a few minutes).  Exits non-zero
# on any report that scripts/cppcheck.supp or scripts/scan-build.known
# does not explain.
#
#   sh scripts/analyze.sh [-s]
#
# scan-build uses build/analyze, or $ANALYZE_BUILDDIR.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scan=0
[ "${1:-}" = "-s" ] && scan=1

command -v cppcheck >/dev/null || { echo "cppcheck not found"; exit 1; }
common="--std=c11 --quiet --inline-suppr --error-exitcode=1
	--suppressions-list=scripts/cppcheck.supp -I src -I lib"
echo "=== cppcheck: src lib handlers"
# shellcheck disable=SC2086
cppcheck $common --enable=warning,style,performance,portability \
    src lib handlers
echo "=== cppcheck: tests"
# shellcheck disable=SC2086
cppcheck $common --enable=warning tests
echo "cppcheck: no findings"

[ "$scan" -eq 1 ] || exit 0
command -v scan-build >/dev/null ||
    { echo "scan-build not found (Debian: clang-tools)"; exit 1; }
[ -x configure ] || ./bootstrap
build="${ANALYZE_BUILDDIR:-$top/build/analyze}"
rm -rf "$build"
mkdir -p "$build"
echo "=== scan-build: clang's static analyzer, everything and the tests"
(cd "$build" &&
    scan-build "$top/configure" CC=clang --enable-fault-injection \
    CFLAGS="-g -O1" >config.out 2>&1 &&
    scan-build -o "$build/reports" make -j"$(nproc)" >make.out 2>&1 &&
    scan-build -o "$build/reports" \
    make -j"$(nproc)" -C tests check TESTS= >>make.out 2>&1) ||
    { tail -n 30 "$build/make.out"; exit 1; }
# Each report as "file check", compared with the explained ones.
grep -E ': warning: .*\[[A-Za-z.]+\]$' "$build/make.out" |
    sed -e "s|^$top/||" -e 's|^\([^:]*\):.*\[\([A-Za-z.]*\)\]$|\1 \2|' |
    sort -u >"$build/reports.txt"
unknown=$(grep -v '^#' scripts/scan-build.known |
    grep -vxF -f - "$build/reports.txt" || true)
if [ -n "$unknown" ]; then
	echo "scan-build: reports not explained in doc/ANALYSIS.md:"
	echo "$unknown"
	grep -E ": warning: " "$build/make.out" | sort -u
	exit 1
fi
echo "scan-build: $(wc -l <"$build/reports.txt") kinds of report, each" \
    "explained in doc/ANALYSIS.md"
