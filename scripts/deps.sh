#!/bin/sh
# Install every Debian package that building, running and testing
# dulserverd need.  Installs only what is missing; safe to run again.
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
	libconfig-dev libbsd-dev libcmocka-dev
	dcmtk python3 python3-pydicom socat procps
	clang libclang-rt-14-dev clang-tools valgrind cppcheck strace"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: root is needed to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
