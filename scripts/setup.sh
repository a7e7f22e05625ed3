#!/bin/sh
# Install the dependencies, then bootstrap, configure and build in build/.
# Safe to run again.  Extra arguments go to configure.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh scripts/deps.sh
[ -x configure ] || ./bootstrap
mkdir -p build
cd build
[ -f Makefile ] || ../configure "$@"
make -j"$(nproc)"
