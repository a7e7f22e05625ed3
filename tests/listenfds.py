#!/usr/bin/env python3
"""Pass listening sockets the way systemd does, then exec a command.

usage: listenfds.py ADDR:PORT [ADDR:PORT...] -- COMMAND [ARGS...]

Each address is bound and listened on, the sockets are moved to fds 3 and
up, LISTEN_FDS and LISTEN_PID (this process, which the command becomes)
are set, and the command is executed in place (sd_listen_fds(3)).
"""

import os
import socket
import sys


def main():
    if "--" not in sys.argv:
        sys.exit("usage: listenfds.py ADDR:PORT... -- COMMAND...")
    cut = sys.argv.index("--")
    addrs, cmd = sys.argv[1:cut], sys.argv[cut + 1:]
    if not addrs or not cmd:
        sys.exit("usage: listenfds.py ADDR:PORT... -- COMMAND...")
    socks = []
    for a in addrs:
        host, _, port = a.rpartition(":")
        host = host.strip("[]")
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(128)
        socks.append(s)
    # Park the sockets above the target range first, then put them on 3..
    high = [os.dup2(s.fileno(), 100 + i) for i, s in enumerate(socks)]
    for s in socks:
        s.close()
    for i, fd in enumerate(high):
        os.dup2(fd, 3 + i)
        os.set_inheritable(3 + i, True)
        os.close(fd)
    os.environ["LISTEN_FDS"] = str(len(high))
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.environ["LISTEN_FDNAMES"] = ":".join("dicom" for _ in high)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
