#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The cache of uncompressed debug files: a crash whose stack trace went through libc6-dbg's
# compressed DWARF leaves an uncompressed copy behind (root's, 0644, no compressed section), the
# next crash finds it first and gets the same frame names; paths outside /usr/lib/debug, or files
# not owned by root, are never copied.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl readelf
libc=$(ldd "$CJ_BUILD_DIR/test/fixtures/crasher" | awk '/libc\.so/ { print $3 }')
id=$(readelf -n "$libc" 2> /dev/null | awk '/Build ID/ { print $3 }')
dbg=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
[ -n "$id" ] && [ -f "$dbg" ] || cj_skip "needs libc's separate debug file (package libc6-dbg)"
readelf -SW "$dbg" 2> /dev/null | grep -E ' \.debug_info ' | awk '{ print $(NF-3) }' | grep -q C ||
        cj_skip "$dbg has uncompressed DWARF already"
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_journald_start
FIELD="$CJ_SOURCE_DIR/test/root/export-field.py"
CACHE=$CJ_TMP/cache
mkdir -m 755 "$CACHE"
printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s/store\nSpoolDirectory=%s/spool\nDebugInfoCacheDirectory=%s\n' \
        "$CJ_NS_SOCKET" "$CJ_TMP" "$CJ_TMP" "$CACHE" > "$CJ_TMP/c.conf"
cj_use_handler "$CJ_TMP/c.conf"
ulimit -c unlimited
cp "$CJ_BUILD_DIR/test/fixtures/crasher" "$CJ_TMP/crasher"

record() { cj_wait_records "COREDUMP_PID=$1"; cj_journalctl -o export "COREDUMP_PID=$1"; }
# The crashing thread's frame symbols, from MESSAGE (addresses differ from run to run).
frames() { "$FIELD" MESSAGE < "$1" | awk '/^Stack trace of thread/ {n++} n == 1 && /^#/ {print $3}'; }
copy=$CACHE/.build-id/${id:0:2}/${id:2}.debug

# 1. The first crash reads the compressed file and leaves a copy.
pid=$(cj_crash "$CJ_TMP/crasher" abort)
record "$pid" > "$CJ_TMP/a1"
for _ in $(seq 100); do [ -f "$copy" ] && break; sleep 0.05; done
[ -f "$copy" ] || cj_fail "no uncompressed copy of $dbg in the cache: $(find "$CACHE")"
[ "$(stat -c '%U %a' "$copy")" = "root 644" ] || cj_fail "the copy is $(stat -c '%U %a' "$copy")"
readelf -SW "$copy" 2> /dev/null | grep -E ' \.debug_(info|line|str) ' | awk '{ print $(NF-3) }' | grep -q C &&
        cj_fail "the copy still has compressed sections"
frames "$CJ_TMP/a1" | grep -q '^__pthread_kill_implementation$' || cj_fail "frames without libc's DWARF names: $(frames "$CJ_TMP/a1" | tr '\n' ' ')"
cj_pass "a trace through compressed DWARF leaves an uncompressed, root-owned copy"

# 2. The next crash uses the copy (its atime moves) and names the frames the same way.
touch -a -d '2001-01-01' "$copy"
before=$(stat -c %X "$copy")
pid=$(cj_crash "$CJ_TMP/crasher" abort)
record "$pid" > "$CJ_TMP/a2"
[ "$(frames "$CJ_TMP/a1")" = "$(frames "$CJ_TMP/a2")" ] || cj_fail "frames differ with the cache: $(frames "$CJ_TMP/a2" | tr '\n' ' ')"
[ "$(stat -c %X "$copy")" -gt "$before" ] || cj_fail "the second trace did not read the copy"
[ "$(find "$CACHE" -type f | wc -l)" = 1 ] || cj_fail "a second copy was made: $(find "$CACHE" -type f)"
cj_pass "the next trace reads the copy and gives the same frames"

# 3. DebugInfoCacheMax=: a cache over its size keeps nothing older than what fits.
printf 'DebugInfoCacheMax=1K\n' >> "$CJ_TMP/c.conf"
rm -f "$copy"
pid=$(cj_crash "$CJ_TMP/crasher" abort)
record "$pid" > /dev/null
sleep 0.5
[ "$(find "$CACHE" -type f | wc -l)" = 0 ] || cj_fail "a cache capped at 1K kept $(du -sh "$CACHE")"
cj_pass "DebugInfoCacheMax= bounds the cache"
