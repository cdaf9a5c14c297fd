#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-ins on corejournald's handoff socket (SOCK_SEQPACKET), for test-handoff.sh.

  handoff-peer.py client KIND SOCKET   one hostile client: KIND is oversized, garbage, version,
                                       silent or nothing; prints what the daemon answered
                                       ("refused STATUS", "closed") and exits 0
  handoff-peer.py server KIND SOCKET SECONDS
                                       a fake daemon for that long: KIND silent takes offers and
                                       never answers, refuse answers every offer with -EBUSY;
                                       prints "listening", then one line per offer
  handoff-peer.py activate KERNEL HANDOFF COMMAND...
                                       socket activation as corejournald.socket does it: binds the
                                       handoff socket (SEQPACKET) and the kernel's (STREAM), in
                                       that order, and executes COMMAND with them as fds 3 and 4
"""
import os
import socket
import struct
import sys
import time

MAGIC = b"CJHO"
REFUSED = 3
EBUSY = 16


def message(version, kind, status=0):
    return MAGIC + struct.pack("<HHiI", version, kind, status, 0)


def answer(s):
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        data = b""
    if not data:
        return "closed"
    magic, version, kind, status, _ = struct.unpack("<4sHHiI", data[:16])
    if magic != MAGIC or kind != REFUSED:
        return "unexpected %r" % data
    return "refused %d" % status


def client(kind, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    if kind == "oversized":
        s.send(b"\0" * 8000)
    elif kind == "garbage":
        s.send(os.urandom(64))
    elif kind == "version":
        # A well-formed preamble of a protocol version this daemon does not speak.
        s.send(message(9, 1) + b"\0" * 48)
    elif kind == "silent":
        pass  # the daemon must drop us after its receive timeout
    print(answer(s), flush=True)


def server(kind, path, seconds):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind(path)
    os.chmod(path, 0o600)
    ls.listen(64)
    ls.settimeout(0.1)
    print("listening", flush=True)
    held = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        # The offer carries the context memfd and the pidfd, never the core.
        msg, fds, _, _ = socket.recv_fds(c, 4096, 8)
        print("offer of %d bytes with %d descriptors" % (len(msg), len(fds)), flush=True)
        for fd in fds:
            os.close(fd)
        if kind == "refuse":
            c.send(message(1, REFUSED, -EBUSY))
        held.append(c)
    for c in held:
        c.close()
    ls.close()
    os.unlink(path)


def activate(kernel, handoff, command):
    # The handoff socket first: the daemon must tell them apart by type, not by position.
    socks = []
    for path, kind in ((handoff, socket.SOCK_SEQPACKET), (kernel, socket.SOCK_STREAM)):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, kind)
        s.bind(path)
        os.chmod(path, 0o600)
        s.listen(4096)
        socks.append(s)
    high = [os.dup(s.fileno()) for s in socks]  # out of the way of 3 and 4
    for fd, h in enumerate(high, start=3):
        os.dup2(h, fd, inheritable=True)
    env = dict(os.environ, LISTEN_FDS="2", LISTEN_PID=str(os.getpid()))
    os.execve(command[0], command, env)


if __name__ == "__main__":
    if sys.argv[1] == "activate":
        activate(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif sys.argv[1] == "client":
        client(sys.argv[2], sys.argv[3])
    else:
        server(sys.argv[2], sys.argv[3], float(sys.argv[4]))
