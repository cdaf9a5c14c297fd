#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes a Journal Export Format stream of N entries of which C are crash records shaped like
corejournal's (and systemd-coredump's) kernel records, for the corejournalctl benchmark.
usage: make-journal.py N C > stream.export"""
import os
import random
import struct
import sys

n, crashes = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(1)
boot = "%032x" % rnd.getrandbits(128)
out = sys.stdout.buffer
t0 = 1_790_000_000_000_000
every = max(1, n // max(1, crashes))
exes = ["/usr/bin/app%d" % i for i in range(20)]


def text(k, v):
    out.write(("%s=%s\n" % (k, v)).encode())


def binary(k, v):
    out.write(k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n")


made = 0
for i in range(n):
    ts = t0 + i * 1000
    text("__REALTIME_TIMESTAMP", ts)
    text("__MONOTONIC_TIMESTAMP", i * 1000 + 1)
    text("_BOOT_ID", boot)
    text("_HOSTNAME", "bench")
    if i % every == 0 and made < crashes:
        made += 1
        exe = exes[made % len(exes)]
        pid = 10000 + made
        text("MESSAGE_ID", "fc2e22bc6ee647b6b90729ab34a250b1")
        text("PRIORITY", 2)
        text("SYSLOG_IDENTIFIER", "corejournal")
        text("COREDUMP_PID", pid)
        text("COREDUMP_UID", 1000)
        text("COREDUMP_GID", 1000)
        text("COREDUMP_SIGNAL", 11)
        text("COREDUMP_SIGNAL_NAME", "SIGSEGV")
        text("COREDUMP_TIMESTAMP", ts)
        text("COREDUMP_COMM", os.path.basename(exe))
        text("COREDUMP_EXE", exe)
        text("COREDUMP_CMDLINE", exe + " --serve")
        text("COREDUMP_UNIT", os.path.basename(exe) + ".service")
        text("COREDUMP_HOSTNAME", "bench")
        text("COREDUMP_FILENAME", "/var/lib/systemd/coredump/core.%s.1000.%s.%d.%d.zst" % (os.path.basename(exe), boot, pid, ts))
        text("COREJOURNAL_SIGNATURE", "%032x" % (made % 7))
        text("COREJOURNAL_CORE_SIZE", 315392)
        binary("MESSAGE", ("Process %d (%s) of user 1000 dumped core.\n\nStack trace of thread %d:\n#0  0x00005555555551a9 crash (%s + 0x11a9)\n" % (pid, os.path.basename(exe), pid, os.path.basename(exe))).encode())
    else:
        text("MESSAGE", "ordinary log line %d" % i)
        text("PRIORITY", 6)
        text("SYSLOG_IDENTIFIER", "svc%d" % (i % 50))
    out.write(b"\n")
