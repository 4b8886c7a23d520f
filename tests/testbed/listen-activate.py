#!/usr/bin/python3
"""Socket activation the way systemd does it, for the test bed's libvirtd.

    listen-activate.py NAME=PATH [NAME=PATH ...] -- PROGRAM [ARG ...]

Binds and listens on each PATH, then starts PROGRAM in a child with the
sockets as fds 3, 4, ... and LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES set
(sd_listen_fds(3)). Unlike systemd-socket-activate, which execs PROGRAM in
its own process, the process that called listen() stays the parent: the
daemon's sockets then carry this process's credentials (SO_PEERCRED names
whoever called listen()), as under systemd. It exits with the child.
"""
import fcntl
import os
import socket
import sys


def main():
    sep = sys.argv.index("--")
    specs, argv = sys.argv[1:sep], sys.argv[sep + 1:]
    socks, names = [], []
    for spec in specs:
        name, path = spec.split("=", 1)
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(128)
        socks.append(s)
        names.append(name)
    pid = os.fork()
    if pid == 0:
        # Out of the way first: a socket may already sit at 3, 4, ...
        high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 100) for s in socks]
        for i, fd in enumerate(high):
            os.dup2(fd, 3 + i, inheritable=True)
            os.close(fd)
        os.environ["LISTEN_FDS"] = str(len(socks))
        os.environ["LISTEN_PID"] = str(os.getpid())
        os.environ["LISTEN_FDNAMES"] = ":".join(names)
        os.execv(argv[0], argv)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    main()
