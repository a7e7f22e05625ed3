#!/bin/sh
# Set everything up and run dulserverd in the foreground on port 11112
# with the shipped example configuration, the way an operator would:
# build, install under the configured prefix (/usr/local unless setup.sh
# was given --prefix), create the system account the configuration names
# (dulserverd), give it the example's storage root, check the
# configuration, and run the installed daemon.  An edited configuration
# from an earlier install is kept.  Ctrl-C stops the daemon once running
# associations have ended (shutdown_grace); a second Ctrl-C aborts them.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "start: run as root: it installs dulserverd and creates" \
	    "the dulserverd account" >&2
	exit 1
fi
sh "$top/scripts/setup.sh"
if ! make -C "$top/build" install >"$top/build/install.log" 2>&1; then
	tail -n 30 "$top/build/install.log" >&2
	exit 1
fi
eval "$(make -s --no-print-directory -C "$top/build" show-paths)"

if ! getent passwd dulserverd >/dev/null; then
	useradd --system --user-group --home-dir /nonexistent \
	    --no-create-home --shell /usr/sbin/nologin \
	    --comment "dulserverd workers and handlers" dulserverd
	echo "start: created the system account dulserverd" >&2
fi
store=$localstatedir/lib/dulserverd/incoming
install -d -o dulserverd -g dulserverd -m 0750 "$store"

conf=$sysconfdir/dulserverd.conf
"$sbindir/dulserverd" -n -f "$conf" >/dev/null
cat >&2 <<MSG
start: $sbindir/dulserverd -f $conf
       listening on port 11112; from another shell:
         echoscu -aec ECHOSCP localhost 11112
         storescu -aec STORESCP localhost 11112 FILE.dcm
       objects land in $store
MSG
exec "$sbindir/dulserverd" -f "$conf"
