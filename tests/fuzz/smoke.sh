#!/bin/sh
# Run every libFuzzer target found in DIR for a bounded number of inputs,
# seeded from its corpus, under the sanitizers it was built with.  A crash,
# a leak or an allocation over the malloc limit fails the run.
#
# Usage: smoke.sh DIR [RUNS]
set -eu

dir=$1
runs=${2:-${FUZZ_RUNS:-200000}}
here=$(cd "$(dirname "$0")" && pwd)
found=0
for f in "$dir"/fuzz_*; do
	[ -x "$f" ] || continue
	case $f in *.o|*.c) continue ;; esac
	name=$(basename "$f")
	found=$((found + 1))
	work=$(mktemp -d)
	seeds="$here/corpus/$name"
	[ -d "$seeds" ] || seeds=""
	echo "fuzz: $name, $runs runs"
	# shellcheck disable=SC2086
	if ! "$f" -runs="$runs" -malloc_limit_mb=32 -rss_limit_mb=2048 \
	    -max_len=65536 -timeout=10 -print_final_stats=1 \
	    "$work" $seeds >"$work.log" 2>&1; then
		tail -n 60 "$work.log"
		echo "fuzz: $name FAILED"
		exit 1
	fi
	grep -E '^stat::number_of_executed_units' "$work.log" || true
	rm -rf "$work" "$work.log"
done
if [ "$found" -eq 0 ]; then
	echo "fuzz: no targets in $dir" >&2
	exit 1
fi
echo "fuzz: $found targets passed"
