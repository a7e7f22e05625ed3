#!/bin/sh
# Run a fuzzing campaign: every libFuzzer target in BUILDDIR/tests (or the
# named ones) for EXECS executions each, under the sanitizers the build
# has, with a 32 MiB malloc limit.  Each target's corpus grows under OUT
# (default BUILDDIR/fuzz-campaign, never the source tree), seeded from
# tests/fuzz/corpus/<target>; crash, leak and timeout files are written to
# OUT/crashes.  A summary line per target goes to OUT/summary.txt.
#
# Usage: campaign.sh BUILDDIR [EXECS [TARGET...]]
#	EXECS defaults to 10000000.  FUZZ_JOBS=N runs N processes per
#	target (each doing EXECS/N); FUZZ_OUT overrides OUT.
#
# Exits non-zero if any target found a problem.
set -eu

if [ $# -lt 1 ]; then
	echo "usage: campaign.sh BUILDDIR [EXECS [TARGET...]]" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
shift
execs=10000000
if [ $# -gt 0 ]; then
	execs=$1
	shift
fi
jobs=${FUZZ_JOBS:-1}
here=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-$build/fuzz-campaign}
mkdir -p "$out/crashes" "$out/logs"

if [ $# -eq 0 ]; then
	for f in "$build"/tests/fuzz_*; do
		[ -x "$f" ] || continue
		case $f in *.o|*.c) continue ;; esac
		set -- "$@" "$(basename "$f")"
	done
fi
if [ $# -eq 0 ]; then
	echo "campaign: no fuzz targets in $build/tests" >&2
	exit 2
fi

failed=0
for name in "$@"; do
	bin=$build/tests/$name
	corpus=$out/corpus/$name
	mkdir -p "$corpus"
	if [ -d "$here/corpus/$name" ]; then
		cp -n "$here/corpus/$name"/* "$corpus"/ 2>/dev/null || true
	fi
	log=$out/logs/$name.log
	per=$(( (execs + jobs - 1) / jobs ))
	echo "campaign: $name, $execs executions ($jobs x $per)"
	start=$(date +%s)
	rc=0
	if [ "$jobs" -gt 1 ]; then
		(cd "$out/logs" && "$bin" -jobs="$jobs" -workers="$jobs" \
		    -runs="$per" -malloc_limit_mb=32 -rss_limit_mb=2048 \
		    -max_len=65536 -timeout=10 -print_final_stats=1 \
		    -artifact_prefix="$out/crashes/$name-" "$corpus" \
		    >"$log" 2>&1) || rc=$?
		# libFuzzer has copied each job's log into its own output.
		rm -f "$out"/logs/fuzz-*.log
	else
		"$bin" -runs="$per" -malloc_limit_mb=32 -rss_limit_mb=2048 \
		    -max_len=65536 -timeout=10 -print_final_stats=1 \
		    -artifact_prefix="$out/crashes/$name-" "$corpus" \
		    >"$log" 2>&1 || rc=$?
	fi
	secs=$(( $(date +%s) - start ))
	done_execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    awk '{ s += $1 } END { print s + 0 }')
	files=$(find "$corpus" -type f | wc -l)
	result=clean
	if [ "$rc" -ne 0 ]; then
		result="FAILED (exit $rc, see $log)"
		failed=1
	fi
	line="$name executions=$done_execs seconds=$secs corpus=$files $result"
	echo "campaign: $line"
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $line" >>"$out/summary.txt"
done
echo "campaign: corpora in $out/corpus, crashes in $out/crashes"
exit "$failed"
