#!/bin/sh
# The wire-level conformance suite and the robustness battery: a scripted
# raw-socket peer against a real dulserverd -i, one process per
# connection (tests/conformance, doc/conformance.md).  Skipped (77)
# without a Python 3.
here=$(dirname "$0")
py=${PYTHON3:-python3}
if ! command -v "$py" >/dev/null 2>&1; then
	echo "no python3: conformance suite skipped"
	exit 77
fi
exec "$py" "$here/conformance/run.py" --builddir "${top_builddir:-..}"
