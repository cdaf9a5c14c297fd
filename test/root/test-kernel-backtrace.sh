#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Stack traces through the real kernel (pipe mode): programs with known call chains crash, and
# the records carry the exact frames in MESSAGE and in COREJOURNAL_BACKTRACE_JSON, the package
# note's fields, and a signature that is stable for one bug and differs for another.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl python3
BT=$CJ_BUILD_DIR/test/fixtures/backtrace
[ -x "$BT/bt-chain" ] || cj_skip "backtrace fixtures not built"
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_journald_start
FIELD="$CJ_SOURCE_DIR/test/root/export-field.py"
printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s/store\nSpoolDirectory=%s/spool\nHandoff=no\n' "$CJ_NS_SOCKET" "$CJ_TMP" "$CJ_TMP" > "$CJ_TMP/c.conf"
cj_use_handler "$CJ_TMP/c.conf"
echo 16 > /proc/sys/kernel/core_pipe_limit
ulimit -c unlimited
for p in bt-chain bt-package bt-threads bt-recursion; do cp "$BT/$p" "$CJ_TMP/"; done

record() { cj_wait_records "COREDUMP_PID=$1"; cj_journalctl -o export "COREDUMP_PID=$1"; }
field() { "$FIELD" "$1" < "$2"; }
# The symbols of the crashing thread's frames, in order, from MESSAGE.
frames() { field MESSAGE "$1" | awk '/^Stack trace of thread/ {n++} n == 1 && /^#/ {print $3}'; }
json_frames() { field COREJOURNAL_BACKTRACE_JSON "$1" | python3 -c 'import json,sys; t=[t for t in json.load(sys.stdin)["threads"] if t.get("crashing")][0]; print(" ".join(f.get("symbol") or "n/a" for f in t["frames"]))'; }

# 1. main -> func_a -> func_b, twice; then main -> func_a -> func_c.
pid=$(cj_crash "$CJ_TMP/bt-chain")
record "$pid" > "$CJ_TMP/b1"
[ "$(frames "$CJ_TMP/b1" | head -3 | tr '\n' ' ')" = "func_b func_a main " ] || cj_fail "frames in MESSAGE: $(frames "$CJ_TMP/b1" | tr '\n' ' ')"
json_frames "$CJ_TMP/b1" | grep -q "^func_b func_a main" || cj_fail "frames in the JSON: $(json_frames "$CJ_TMP/b1")"
pid=$(cj_crash "$CJ_TMP/bt-chain")
record "$pid" > "$CJ_TMP/b2"
pid=$(cj_crash "$CJ_TMP/bt-chain" other)
record "$pid" > "$CJ_TMP/c1"
[ "$(frames "$CJ_TMP/c1" | head -3 | tr '\n' ' ')" = "func_c func_a main " ] || cj_fail "func_c frames: $(frames "$CJ_TMP/c1" | tr '\n' ' ')"
s1=$(field COREJOURNAL_SIGNATURE "$CJ_TMP/b1"); s2=$(field COREJOURNAL_SIGNATURE "$CJ_TMP/b2"); s3=$(field COREJOURNAL_SIGNATURE "$CJ_TMP/c1")
[ -n "$s1" ] && [ "$s1" = "$s2" ] || cj_fail "the same bug gave signatures '$s1' and '$s2'"
[ "$s1" != "$s3" ] || cj_fail "a crash at another place got the same signature"
cj_pass "exact frames in MESSAGE and JSON; one signature per bug, another for another place"

# 2. The package note: fields, and the module line in MESSAGE.
pid=$(cj_crash "$CJ_TMP/bt-package")
record "$pid" > "$CJ_TMP/p"
[ "$(field COREDUMP_PACKAGE_NAME "$CJ_TMP/p")" = demo ] || cj_fail "COREDUMP_PACKAGE_NAME: $(field COREDUMP_PACKAGE_NAME "$CJ_TMP/p")"
[ "$(field COREDUMP_PACKAGE_VERSION "$CJ_TMP/p")" = 1.0 ] || cj_fail "COREDUMP_PACKAGE_VERSION missing"
field COREDUMP_PACKAGE_JSON "$CJ_TMP/p" | python3 -c 'import json,sys; d=json.load(sys.stdin); m=[v for k,v in d.items() if k.endswith("bt-package")][0]; assert m["name"]=="demo" and m["version"]=="1.0" and m["buildId"], d' \
        || cj_fail "COREDUMP_PACKAGE_JSON: $(field COREDUMP_PACKAGE_JSON "$CJ_TMP/p")"
field MESSAGE "$CJ_TMP/p" | grep -q "^Module bt-package from deb demo-1.0" || cj_fail "no module line: $(field MESSAGE "$CJ_TMP/p" | head -5)"
cj_pass "package note: COREDUMP_PACKAGE_NAME/VERSION/JSON and the module line"

# 3. Threads: the crashing thread first, every thread listed.
pid=$(cj_crash "$CJ_TMP/bt-threads")
record "$pid" > "$CJ_TMP/t"
n=$(field MESSAGE "$CJ_TMP/t" | grep -c "^Stack trace of thread")
[ "$n" = 4 ] || cj_fail "expected 4 threads in the trace, got $n"
frames "$CJ_TMP/t" | grep -q thread_crash || cj_fail "the first thread is not the crashing one: $(frames "$CJ_TMP/t" | tr '\n' ' ')"
[ "$(field COREDUMP_TID "$CJ_TMP/t")" != "$pid" ] || cj_fail "COREDUMP_TID should be the crashing thread, not the main one"
cj_pass "multithreaded crash: crashing thread first, all 4 listed"

# 4. A stack overflow: deep recursion is cut at the frame limit, the rest of the record intact.
pid=$(cj_crash "$CJ_TMP/bt-recursion")
record "$pid" > "$CJ_TMP/r"
[ "$(frames "$CJ_TMP/r" | grep -c '^recurse$')" -ge 32 ] || cj_fail "recursion frames missing: $(frames "$CJ_TMP/r" | sort | uniq -c)"
field COREDUMP_FILENAME "$CJ_TMP/r" > /dev/null || cj_fail "the overflowing process's core was not stored"
cj_pass "stack overflow: the trace shows recurse() down to the frame limit"
