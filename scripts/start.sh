#!/bin/sh
# Set everything up, then run dulserverd in the foreground on port 11112
# with the shipped example configuration.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/setup.sh"
exec "$top/build/src/dulserverd" -f "$top/etc/dulserverd.conf" "$@"
