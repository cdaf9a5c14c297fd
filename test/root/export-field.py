#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Prints the raw bytes of one field from a Journal Export Format stream on stdin.

usage: export-field.py FIELD [INDEX]
INDEX picks the record (default -1, the last one holding FIELD); exits 1 when absent.
An independent reader for the tests, so they do not check our parser with itself."""
import struct
import sys


def records(data):
    rec, i = [], 0
    while i < len(data):
        if data[i:i + 1] == b"\n":
            if rec:
                yield rec
            rec, i = [], i + 1
            continue
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            i = nl + 1
        else:
            name = line
            (size,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            value = data[nl + 9:nl + 9 + size]
            i = nl + 9 + size + 1
        rec.append((name.decode(), value))
    if rec:
        yield rec


def main():
    field = sys.argv[1]
    index = int(sys.argv[2]) if len(sys.argv) > 2 else -1
    hits = [dict(r)[field] for r in records(sys.stdin.buffer.read()) if field in dict(r)]
    if not hits or not -len(hits) <= index < len(hits):
        sys.exit(1)
    sys.stdout.buffer.write(hits[index])


main()
