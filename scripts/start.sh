#!/bin/sh
# Set everything up, then run dulserverd in the foreground on port 11112
# with the shipped example configuration.  Until the master process lands,
# it builds everything and says what can be run instead.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/setup.sh"
cat >&2 <<'MSG'
start: the listening daemon (the master process) is not part of this
version yet.  What exists runs one association at a time:
  build/src/dulserverd -d -f FILE   serve one connection, logs on stderr
  build/src/dulserverd -i -f FILE   serve the connection on fd 0 (inetd)
  build/src/dulserverd -n -f FILE   check a configuration file
etc/dulserverd.conf.in is the example configuration it will run.
MSG
exit 1
