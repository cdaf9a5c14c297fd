#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Stack traces of real kernel cores: the fixture programs of test/fixtures/backtrace crash with
# core_pattern pointing at a scratch directory (borrowed under the lock, restored at once), then
# test-backtrace-cores analyses the cores (frames, package note, signature, threads, stripped
# binary with a separate debug file, budgets, truncation), and where Debian's systemd 252 is
# installed our text and COREDUMP_PACKAGE_JSON are compared byte for byte with its own.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd readelf
cj_tmpdir
B="$CJ_BUILD_DIR/test/fixtures/backtrace"
for p in bt-chain bt-package bt-threads bt-recursion bt-stripped bt-stripped.symbols test-backtrace-cores sd-parse-elf; do
        [ -e "$B/$p" ] || cj_fail "$B/$p is not built"
done

# The analysis child runs as nobody and must reach the fixtures and debug files.
chmod 0755 "$CJ_TMP"
CORES=$CJ_TMP/cores
mkdir -m 0755 "$CORES" "$CJ_TMP/out"

# 1. Make the cores: core_pattern in file mode, only for as long as it takes.
crash() { # LABEL PROGRAM [ARGS...]
        local label=$1 pid
        shift
        pid=$(cd "$CORES" && ulimit -c unlimited && cj_crash "$@")
        [ -s "$CORES/core.$pid" ] || cj_fail "no core from $*"
        mv "$CORES/core.$pid" "$CORES/$label.core"
        echo "$pid" > "$CORES/$label.pid"
}
cj_borrow_sysctls
restore_sysctls=${_cj_cleanups[-1]}
printf '%s\n' "$CORES/core.%p" > /proc/sys/kernel/core_pattern
crash chain1 "$B/bt-chain"
crash chain2 "$B/bt-chain"
crash chain_c "$B/bt-chain" other
crash package "$B/bt-package"
crash threads "$B/bt-threads"
crash recursion "$B/bt-recursion"
crash stripped "$B/bt-stripped"
# Give core_pattern back now (the exit trap does it again, harmlessly); the lock stays held.
eval "$restore_sysctls"
chmod 0644 "$CORES"/*

# 2. The stripped program's debug file, where libdwfl looks for it by build-id: once readable
#    by all, once in a directory only root may enter.
build_id=$(readelf -n "$B/bt-stripped" | awk '/Build ID:/ { print $3 }')
[ ${#build_id} -ge 4 ] || cj_fail "bt-stripped has no build-id"
for d in debug private; do
        mkdir -p "$CJ_TMP/$d/.build-id/${build_id:0:2}"
        cp "$B/bt-stripped.symbols" "$CJ_TMP/$d/.build-id/${build_id:0:2}/${build_id:2}.debug"
done
chmod -R a+rX "$CJ_TMP/debug"
chmod 0700 "$CJ_TMP/private"
# The same file as a debuginfod server would serve it, through a file:// URL (no network).
mkdir -p "$CJ_TMP/debuginfod/buildid/$build_id" "$CJ_TMP/debuginfod/cache"
cp "$B/bt-stripped.symbols" "$CJ_TMP/debuginfod/buildid/$build_id/debuginfo"
chmod -R a+rX "$CJ_TMP/debuginfod"
chmod 0777 "$CJ_TMP/debuginfod/cache"

# 3. The analyses.
CJ_BT_CORES=$CORES CJ_BT_FIXTURES=$B CJ_BT_DEBUG=$CJ_TMP/debug CJ_BT_PRIVATE=$CJ_TMP/private \
        CJ_BT_DEBUGINFOD=$CJ_TMP/debuginfod CJ_BT_OUT=$CJ_TMP/out \
        "$B/test-backtrace-cores" || cj_fail "test-backtrace-cores failed"
cj_pass "stack traces of real cores"

# 4. Byte-for-byte against systemd 252's own parse_elf_object(), where it is installed.
SD_LIB=$(ls /usr/lib/*/systemd/libsystemd-shared-252*.so 2>/dev/null | head -1 || true)
if [ -z "$SD_LIB" ]; then
        echo "note: libsystemd-shared-252 not installed; no comparison with systemd's text"
        exit 0
fi
compare() { # LABEL PROGRAM
        local rc=0
        "$B/sd-parse-elf" "$SD_LIB" "$CORES/$1.core" "$B/$2" "$CJ_TMP/out/$1.sd.txt" "$CJ_TMP/out/$1.sd.pkg" || rc=$?
        [ $rc = 77 ] && { echo "note: $SD_LIB lacks parse_elf_object; no comparison"; exit 0; }
        [ $rc = 0 ] || cj_fail "systemd's parse_elf_object() failed on $1"
        cj_assert_same_file "$CJ_TMP/out/$1.sd.txt" "$CJ_TMP/out/$1.txt" "stack trace text of $1 differs from systemd's"
        if [ -e "$CJ_TMP/out/$1.pkg" ]; then
                cj_assert_same_file "$CJ_TMP/out/$1.sd.pkg" "$CJ_TMP/out/$1.pkg" "COREDUMP_PACKAGE_JSON of $1 differs from systemd's"
        fi
}
compare chain1 bt-chain
compare chain_c bt-chain
compare package bt-package
compare threads bt-threads
compare recursion bt-recursion
compare stripped bt-stripped
cj_pass "text and package JSON identical to systemd 252's ($SD_LIB)"
