#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Does what systemd-coredump-python's excepthook does on an uncaught exception, with the
handler path taken from CJ_HANDLER_CMD: runs `HANDLER --backtrace PID UID GID EXCEPTION
TIMESTAMP RLIMIT ARGV...` and writes the same binary-encoded fields to its stdin."""
import os
import resource
import struct
import subprocess
import sys
import time
import traceback


def field(pipe, name, value):
    value = value.encode("utf-8")
    pipe.write(name.encode("ascii") + b"\n" + struct.pack("<Q", len(value)) + value + b"\n")


def hook(etype, value, tb):
    text = "".join(traceback.format_exception(etype, value, tb))
    cmd = os.environ["CJ_HANDLER_CMD"].split() + [
        "--backtrace", str(os.getpid()), str(os.getuid()), str(os.getgid()), etype.__name__,
        str(int(time.time())), str(resource.getrlimit(resource.RLIMIT_CORE)[0])] + sys.argv
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    field(p.stdin, "MESSAGE", "Process {} ({}) of user {} failed with {}: {}\n\n{}".format(
        os.getpid(), " ".join(sys.argv), os.getuid(), etype.__name__, value, text))
    field(p.stdin, "COREDUMP_PYTHON_EXECUTABLE", sys.executable)
    field(p.stdin, "COREDUMP_PYTHON_VERSION", sys.version)
    field(p.stdin, "COREDUMP_PYTHON_THREAD_INFO", str(sys.thread_info))
    field(p.stdin, "COREDUMP_PYTHON_EXCEPTION_TYPE", etype.__name__)
    field(p.stdin, "COREDUMP_PYTHON_EXCEPTION_VALUE", str(value))
    p.stdin.write(b"\n")
    p.stdin.close()
    if p.wait() != 0:
        sys.stderr.write("handler exited with %d\n" % p.returncode)
    sys.__excepthook__(etype, value, tb)


sys.excepthook = hook


def inner():
    return 1 / 0


inner()
