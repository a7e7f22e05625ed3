#!/bin/sh
# Run the shipped handlers (dul-echo-scp, dul-store-scp) and the Python
# examples against fake_worker, which plays the worker's side of the
# handler protocol from a script and checks every answer.  Stored files
# must also parse with DCMTK's dcmdump, sit where the layout says, and
# nothing may appear outside the storage root.
set -u

top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
PYTHON3=${PYTHON3:-}
fw=./fake_worker
echo_c=$top_builddir/handlers/dul-echo-scp
store_c=$top_builddir/handlers/dul-store-scp
pydir=$top_srcdir/examples/python

work=$(mktemp -d "${TMPDIR:-/tmp}/dulhs.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
failed=0
n=0

fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

# run LABEL SCENARIO [fake_worker options] -- HANDLER...
run() {
	label=$1
	shift
	n=$((n + 1))
	echo "== $label"
	"$fw" "$@" >"$work/out.$n" || fail "$label"
}

# check_files LABEL ROOT PATTERN TS: every stored path is under ROOT,
# matches PATTERN, parses with dcmdump and carries our values.
check_files() {
	label=$1
	root=$2
	pattern=$3
	count=0
	while read -r p; do
		count=$((count + 1))
		case $p in
		$root/$pattern) ;;
		*) fail "$label: $p is not $root/$pattern" ;;
		esac
		if [ -z "$dcmdump" ]; then
			continue
		fi
		if ! "$dcmdump" "$p" >"$work/dump" 2>&1; then
			fail "$label: dcmdump $p"
			cat "$work/dump"
			continue
		fi
		for want in '(0010,0010) PN [Fake^Patient]' \
		    '(0002,0012) UI [2.25.37702220845173676206920092856050917640.1]' \
		    '(7fe0,0010) OW'; do
			grep -F -q "$want" "$work/dump" ||
			    fail "$label: dcmdump of $p lacks $want"
		done
	done <"$work/out.$n"
	[ "$count" -eq 3 ] || fail "$label: $count paths reported, wanted 3"
	[ -z "$(ls -A "$root/../outside")" ] ||
	    fail "$label: files appeared outside the root"
}

# store LABEL LAYOUT-OPTS FW-OPTS PATTERN -- HANDLER...: the store
# scenario with a fresh root.
store() {
	label=$1
	shift
	d=$work/$label
	mkdir -p "$d/root" "$d/outside"
	run "$label" -s store -r "$d/root" "$@"
}

dcmdump=$(command -v dcmdump || true)
[ -n "$dcmdump" ] || echo "note: dcmdump not found; files only checked by fake_worker"
today=$(date +%Y%m%d)

# The C handlers.
for s in echo decided seq abort version; do
	run "dul-echo-scp $s" -s "$s" -- "$echo_c"
done
run "dul-store-scp echo" -s echo -- "$store_c" --root "$work"
run "dul-store-scp seq" -s seq -- "$store_c" --root "$work"
store store-flat -- "$store_c" --root "$work/store-flat/root"
check_files store-flat "$work/store-flat/root" '*.dcm'
store store-reject -c ../EVIL -D c001 -- "$store_c" \
    --root "$work/store-reject/root" --layout calling/date \
    --duplicates reject
check_files store-reject "$work/store-reject/root" "___EVIL/$today/*.dcm"
mkdir -p "$work/big/root"
run "dul-store-scp toolarge" -s toolarge -r "$work/big/root" -- \
    "$store_c" --root "$work/big/root" --max-object-size 100

# The Python examples speak the same protocol.
if [ -z "$PYTHON3" ]; then
	echo "note: no python3; Python examples not run"
else
	for s in echo decided seq abort version; do
		run "dul_echo_scp.py $s" -s "$s" -- "$PYTHON3" \
		    "$pydir/dul_echo_scp.py"
	done
	store py-store-flat -- "$PYTHON3" "$pydir/dul_store_scp.py" \
	    --root "$work/py-store-flat/root"
	check_files py-store-flat "$work/py-store-flat/root" '*.dcm'
	store py-store-reject -c ../EVIL -D c001 -- "$PYTHON3" \
	    "$pydir/dul_store_scp.py" --root "$work/py-store-reject/root" \
	    --layout calling/date --duplicates reject
	check_files py-store-reject "$work/py-store-reject/root" \
	    "___EVIL/$today/*.dcm"
fi

if [ "$failed" -ne 0 ]; then
	echo "$failed check(s) failed"
	exit 1
fi
echo "all handler checks passed"
exit 0
