#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Real kernel crashes through core_pattern (pipe mode) into a private journald namespace, checked
# with journalctl, Debian's coredumpctl and gdb: signals, threads, ownership and ACLs, a setuid
# binary, sparse cores, each Storage= mode, size and free-space refusals, truncation.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl python3 zstd gdb getfacl getfattr setpriv
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_journald_start
FIELD="$CJ_SOURCE_DIR/test/root/export-field.py"
CRASHER="$CJ_BUILD_DIR/test/fixtures/crasher"
[ -x "$CRASHER" ] || cj_fail "crasher fixture not built"
cp "$CRASHER" "$CJ_TMP/crasher"
CRASHER=$CJ_TMP/crasher
STORE=$CJ_TMP/store
mkdir -m 755 "$STORE"
echo 16 > /proc/sys/kernel/core_pipe_limit
# Shells often start with a soft RLIMIT_CORE of 0, which (as in systemd) means "no core".
ulimit -c unlimited

# Writes the configuration the handler reads (its path is in core_pattern).
configure() {
        { printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s\nSpoolDirectory=%s/spool\nHandoff=no\n' "$CJ_NS_SOCKET" "$STORE" "$CJ_TMP"; printf '%s\n' "$@"; } > "$CJ_TMP/c.conf"
}
configure
cj_use_handler "$CJ_TMP/c.conf"

# The export of the record for PID $1 (waits for it).
record() {
        cj_wait_records "COREDUMP_PID=$1"
        cj_journalctl -o export "COREDUMP_PID=$1"
}
field() { "$FIELD" "$1" < "$2"; }
expect() { # EXPORT FIELD VALUE
        local got
        got=$(field "$2" "$1") || cj_fail "$2 missing from the record"
        [ "$got" = "$3" ] || cj_fail "$2 is '$got', expected '$3'"
}
COREDUMPCTL=(coredumpctl --no-pager --directory="$(cj_ns_journal_dir)")

# 1. SIGSEGV, the whole path: record, external zstd file, coredumpctl info/dump, gdb.
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/segv.export"
e=$CJ_TMP/segv.export
expect "$e" MESSAGE_ID fc2e22bc6ee647b6b90729ab34a250b1
expect "$e" PRIORITY 2
expect "$e" COREDUMP_SIGNAL 11
expect "$e" COREDUMP_SIGNAL_NAME SIGSEGV
expect "$e" COREDUMP_UID 0
expect "$e" COREDUMP_COMM crasher
expect "$e" COREDUMP_EXE "$CRASHER"
expect "$e" COREDUMP_CMDLINE "$CRASHER segv"
expect "$e" COREDUMP_DUMPABLE 1
expect "$e" COREDUMP_TID "$pid"
expect "$e" COREDUMP_THREAD_NAME crasher
expect "$e" COREJOURNAL_SOURCE kernel-pipe
field MESSAGE "$e" | head -1 | grep -qx "Process $pid (crasher) of user 0 dumped core." || cj_fail "MESSAGE first line: $(field MESSAGE "$e" | head -1)"
field MESSAGE "$e" | grep -q "^Stack trace of thread $pid:" || cj_fail "no stack trace in MESSAGE: $(field MESSAGE "$e")"
field MESSAGE "$e" | grep -Eq '^#0  0x[0-9a-f]{16} crash_here \(' || cj_fail "frame #0 is not crash_here: $(field MESSAGE "$e")"
field MESSAGE "$e" | grep -Eq '^#1  0x[0-9a-f]{16} main \(' || cj_fail "frame #1 is not main"
field MESSAGE "$e" | tail -1 | grep -qx "ELF object binary architecture: AMD x86-64" || cj_fail "no architecture line"
sig1=$(field COREJOURNAL_SIGNATURE "$e") || cj_fail "no COREJOURNAL_SIGNATURE"
field COREJOURNAL_BACKTRACE_JSON "$e" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["threads"][0]["frames"][0]["symbol"]=="crash_here", d' || cj_fail "COREJOURNAL_BACKTRACE_JSON lacks the crashing frame"
field COREJOURNAL_BACKTRACE_PARTIAL "$e" > /dev/null && cj_fail "a whole trace was marked partial: $(field COREJOURNAL_BACKTRACE_PARTIAL "$e")"
field COREDUMP_TRUNCATED "$e" > /dev/null && cj_fail "a whole core was marked truncated"
for f in COREDUMP_PROC_STATUS COREDUMP_PROC_MAPS COREDUMP_PROC_LIMITS COREDUMP_PROC_AUXV COREDUMP_OPEN_FDS COREDUMP_CWD COREDUMP_ROOT COREDUMP_CGROUP COREDUMP_ENVIRON COREDUMP_HOSTNAME COREDUMP_TIMESTAMP COREDUMP_RLIMIT; do
        field $f "$e" > /dev/null || cj_fail "$f missing"
done
file=$(field COREDUMP_FILENAME "$e")
case "$file" in "$STORE"/core.crasher.0.*."$pid".*.zst) ;; *) cj_fail "unexpected file name $file" ;; esac
[ "$(stat -c '%a %U' "$file")" = "640 root" ] || cj_fail "mode/owner of $file: $(stat -c '%a %U' "$file")"
[ "$(getfattr --only-values -n user.coredump.pid "$file")" = "$pid" ] || cj_fail "xattr user.coredump.pid missing"
zstd -dcq "$file" > "$CJ_TMP/segv.core"
[ "$(head -c 4 "$CJ_TMP/segv.core" | od -An -c | tr -d ' ')" = '177ELF' ] || cj_fail "stored core is not ELF"
[ "$(stat -c %s "$CJ_TMP/segv.core")" = "$(field COREJOURNAL_CORE_SIZE "$e")" ] || cj_fail "core size differs from COREJOURNAL_CORE_SIZE"
"${COREDUMPCTL[@]}" info "$pid" > "$CJ_TMP/info" 2>&1 || cj_fail "coredumpctl info failed: $(cat "$CJ_TMP/info")"
grep -q "Signal: 11 (SEGV)" "$CJ_TMP/info" || cj_fail "coredumpctl info lacks the signal: $(cat "$CJ_TMP/info")"
grep -q "Storage: $file (present)" "$CJ_TMP/info" || cj_fail "coredumpctl info lacks the storage line: $(cat "$CJ_TMP/info")"
"${COREDUMPCTL[@]}" dump "$pid" -o "$CJ_TMP/dumped.core" 2> "$CJ_TMP/dump.err" || cj_fail "coredumpctl dump failed: $(cat "$CJ_TMP/dump.err")"
cj_assert_same_file "$CJ_TMP/segv.core" "$CJ_TMP/dumped.core" "coredumpctl dump differs from the stored core"
gdb -batch -ex bt "$CRASHER" "$CJ_TMP/dumped.core" > "$CJ_TMP/gdb" 2>&1
grep -q "crash_here" "$CJ_TMP/gdb" || cj_fail "gdb bt lacks crash_here: $(cat "$CJ_TMP/gdb")"
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/segv2.export"
[ "$(field COREJOURNAL_SIGNATURE "$CJ_TMP/segv2.export")" = "$sig1" ] || cj_fail "the same bug got another signature"
cj_pass "SIGSEGV: record, stack trace, signature, zstd file, xattrs, coredumpctl info/dump, gdb bt"

# 2. Other signals.
for sig in abort:6:SIGABRT bus:7:SIGBUS fpe:8:SIGFPE; do
        IFS=: read -r mode num name <<< "$sig"
        pid=$(cj_crash "$CRASHER" "$mode")
        record "$pid" > "$CJ_TMP/sig.export"
        expect "$CJ_TMP/sig.export" COREDUMP_SIGNAL "$num"
        expect "$CJ_TMP/sig.export" COREDUMP_SIGNAL_NAME "$name"
        field COREDUMP_FILENAME "$CJ_TMP/sig.export" > /dev/null || cj_fail "$name: no core stored"
        field COREJOURNAL_SIGNATURE "$CJ_TMP/sig.export" > /dev/null || cj_fail "$name: no signature"
        # abort() is unwound through raise/abort back to crash_here.
        field MESSAGE "$CJ_TMP/sig.export" | grep -q " crash_here (" || cj_fail "$name: crash_here not in the trace"
done
cj_pass "SIGABRT, SIGBUS, SIGFPE"

# 3. Eight threads: every thread is in the core.
pid=$(cj_crash "$CRASHER" --threads 8 segv)
record "$pid" > "$CJ_TMP/thr.export"
"${COREDUMPCTL[@]}" dump "$pid" -o "$CJ_TMP/thr.core" 2> /dev/null
n=$(gdb -batch -ex 'info threads' "$CRASHER" "$CJ_TMP/thr.core" 2>/dev/null | grep -c 'Thread 0x\|LWP')
[ "$n" -ge 8 ] || cj_fail "expected 8 threads in the core, gdb shows $n"
cj_pass "8-thread crash: all threads in the core"

# 4. A regular user gets a read ACL on their own core.
pid=$(cj_crash setpriv --reuid=4242 --regid=4242 --clear-groups "$CRASHER" segv)
record "$pid" > "$CJ_TMP/user.export"
expect "$CJ_TMP/user.export" COREDUMP_UID 4242
file=$(field COREDUMP_FILENAME "$CJ_TMP/user.export")
getfacl -p "$file" 2>/dev/null | grep -q '^user:4242:r--' || cj_fail "no read ACL for uid 4242: $(getfacl -p "$file" 2>&1)"
setpriv --reuid=4242 --regid=4242 --clear-groups cat "$file" > /dev/null || cj_fail "uid 4242 cannot read its own core"
cj_pass "non-root crash: the user can read their core through the ACL"

# 5. A setuid-root binary run by that user, fs.suid_dumpable=2: root-only.
cp "$CRASHER" "$CJ_TMP/suid-crasher"
chown root:root "$CJ_TMP/suid-crasher"
chmod 4755 "$CJ_TMP/suid-crasher"
echo 2 > /proc/sys/fs/suid_dumpable
pid=$(cj_crash setpriv --reuid=4242 --regid=4242 --clear-groups "$CJ_TMP/suid-crasher" segv)
record "$pid" > "$CJ_TMP/suid.export"
expect "$CJ_TMP/suid.export" COREDUMP_DUMPABLE 2
file=$(field COREDUMP_FILENAME "$CJ_TMP/suid.export")
getfacl -p "$file" 2>/dev/null | grep -q '^user:4242' && cj_fail "setuid core got an ACL for the user"
setpriv --reuid=4242 --regid=4242 --clear-groups cat "$file" > /dev/null 2>&1 && cj_fail "uid 4242 can read a setuid core"
echo 0 > /proc/sys/fs/suid_dumpable
cj_pass "setuid-root crash with suid_dumpable=2: core readable by root only"

# 6. A 1 GiB mapping never touched: the stored file stays small.
pid=$(cj_crash "$CRASHER" --map-untouched 1024 segv)
record "$pid" > "$CJ_TMP/big.export"
file=$(field COREDUMP_FILENAME "$CJ_TMP/big.export")
size=$(stat -c %s "$file")
[ "$size" -lt $((1024 * 1024)) ] || cj_fail "1 GiB untouched mapping stored as $size bytes"
cj_pass "1 GiB untouched mapping: stored file is $size bytes"

# 7. Uncompressed external storage is sparse and whole.
configure Compress=no
pid=$(cj_crash "$CRASHER" --zero 64 segv)
record "$pid" > "$CJ_TMP/raw.export"
file=$(field COREDUMP_FILENAME "$CJ_TMP/raw.export")
case "$file" in *.zst) cj_fail "Compress=no still wrote $file" ;; esac
[ "$(stat -c %s "$file")" = "$(field COREJOURNAL_CORE_SIZE "$CJ_TMP/raw.export")" ] || cj_fail "uncompressed file size differs from the core size"
[ $(( $(stat -c %b "$file") * 512 )) -lt $((16 * 1024 * 1024)) ] || cj_fail "64 MiB of zero pages were written out"
gdb -batch -ex bt "$CRASHER" "$file" 2>&1 | grep -q crash_here || cj_fail "gdb cannot read the sparse core"
cj_pass "Compress=no: sparse, whole, readable by gdb"

# 8. Storage=journal embeds the core; Storage=none keeps none.
configure Storage=journal
pid=$(cj_crash "$CRASHER" abort)
record "$pid" > "$CJ_TMP/j.export"
field COREDUMP_FILENAME "$CJ_TMP/j.export" > /dev/null && cj_fail "Storage=journal wrote a file"
field COREDUMP "$CJ_TMP/j.export" > "$CJ_TMP/j.core" || cj_fail "no COREDUMP= field"
[ "$(stat -c %s "$CJ_TMP/j.core")" = "$(field COREJOURNAL_CORE_SIZE "$CJ_TMP/j.export")" ] || cj_fail "embedded core has the wrong size"
"${COREDUMPCTL[@]}" dump "$pid" -o "$CJ_TMP/j.dumped" 2> /dev/null || cj_fail "coredumpctl cannot dump an embedded core"
cj_assert_same_file "$CJ_TMP/j.core" "$CJ_TMP/j.dumped" "coredumpctl dump of the embedded core differs"
configure Storage=none
pid=$(cj_crash "$CRASHER" abort)
record "$pid" > "$CJ_TMP/n.export"
field COREDUMP_FILENAME "$CJ_TMP/n.export" > /dev/null && cj_fail "Storage=none wrote a file"
field COREDUMP "$CJ_TMP/n.export" > /dev/null && cj_fail "Storage=none embedded the core"
expect "$CJ_TMP/n.export" COREJOURNAL_CORE_NOT_STORED storage-none
cj_pass "Storage=journal embeds (coredumpctl dump matches); Storage=none stores nothing"

# 9. ExternalSizeMax refusal: a record saying why, no file.
configure ExternalSizeMax=1M
pid=$(cj_crash "$CRASHER" --touch 16 segv)
record "$pid" > "$CJ_TMP/x.export"
field COREDUMP_FILENAME "$CJ_TMP/x.export" > /dev/null && cj_fail "a core over ExternalSizeMax was stored"
expect "$CJ_TMP/x.export" COREJOURNAL_CORE_NOT_STORED external-size-max
field COREJOURNAL_CORE_NOT_STORED_MESSAGE "$CJ_TMP/x.export" | grep -q "ExternalSizeMax\|configured maximum" || cj_fail "no explanation of the refusal"
cj_pass "ExternalSizeMax refusal recorded"

# 10. KeepFree refusal on a small tmpfs store.
mkdir "$CJ_TMP/small"
mount -t tmpfs -o size=32M tmpfs "$CJ_TMP/small"
cj_on_exit "umount '$CJ_TMP/small'"
STORE=$CJ_TMP/small configure KeepFree=31M
pid=$(cj_crash "$CRASHER" --touch 4 segv)
record "$pid" > "$CJ_TMP/k.export"
field COREDUMP_FILENAME "$CJ_TMP/k.export" > /dev/null && cj_fail "a core was stored past KeepFree"
expect "$CJ_TMP/k.export" COREJOURNAL_CORE_NOT_STORED keep-free
[ -z "$(ls -A "$CJ_TMP/small")" ] || cj_fail "the refused core left files behind: $(ls -A "$CJ_TMP/small")"
cj_pass "KeepFree refusal on a 32 MiB tmpfs, nothing left behind"

# 11. RLIMIT_CORE=0: systemd's rule, no core, the record says so.
configure
pid=$(cj_crash bash -c "ulimit -c 0; exec '$CRASHER' segv")
record "$pid" > "$CJ_TMP/r.export"
field COREDUMP_FILENAME "$CJ_TMP/r.export" > /dev/null && cj_fail "RLIMIT_CORE=0 still stored a core"
expect "$CJ_TMP/r.export" MESSAGE "Process $pid (crasher) of user 0 terminated abnormally without generating a coredump."
# A limit above a page but below the core's size: the core is not stored, the record says so.
pid=$(cj_crash bash -c "ulimit -c 64; exec '$CRASHER' --touch 4 segv")
record "$pid" > "$CJ_TMP/r2.export"
field COREDUMP_FILENAME "$CJ_TMP/r2.export" > /dev/null && cj_fail "a core over RLIMIT_CORE was stored"
field COREJOURNAL_CORE_NOT_STORED "$CJ_TMP/r2.export" > /dev/null || cj_fail "no reason for the refused core"
cj_pass "RLIMIT_CORE honoured as systemd does (0: no core; small: not stored)"

# 12. The crasher is killed while the core is read: the short core is flagged.
configure
"$CRASHER" --touch 1024 segv > /dev/null 2>&1 &
pid=$!
# /proc/PID/status says "CoreDumping: 1" while the kernel writes the core.
for _ in $(seq 500); do grep -q '^CoreDumping:[[:space:]]*1' /proc/$pid/status 2>/dev/null && break; sleep 0.01; done
grep -q '^CoreDumping:[[:space:]]*1' /proc/$pid/status || cj_fail "the crasher never started dumping"
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
record "$pid" > "$CJ_TMP/t.export"
expect "$CJ_TMP/t.export" COREDUMP_TRUNCATED 1
cj_pass "a core cut short by SIGKILL is marked COREDUMP_TRUNCATED=1"

# 13. journald unreachable in kernel mode: the handler says so in the kernel log (its stderr is
#     /dev/null) and spools the record; a replay delivers it.
# Userspace lines in the kernel log are rate-limited; earlier crashes may have used the burst.
echo on > /proc/sys/kernel/printk_devkmsg
printf '[Coredump]\nJournalSocket=/run/cj-no-journald-%s\nStorageDirectory=%s\nSpoolDirectory=%s/spool\nHandoff=no\n' $$ "$STORE" "$CJ_TMP" > "$CJ_TMP/c.conf"
pid=$(cj_crash "$CRASHER" abort)
# (dmesg goes to a file first: with pipefail, grep -q closing the pipe early would fail dmesg.)
for _ in $(seq 100); do
        dmesg > "$CJ_TMP/dmesg"
        grep -q "corejournal-handler\[[0-9]*\]: warning: no journald listens on /run/cj-no-journald-$$" "$CJ_TMP/dmesg" && break
        sleep 0.05
done
grep -q "corejournal-handler\[[0-9]*\]: warning: no journald listens on /run/cj-no-journald-$$" "$CJ_TMP/dmesg" || cj_fail "no kernel log line about the absent journald"
[ "$(ls "$CJ_TMP/spool" | wc -l)" -ge 1 ] || cj_fail "the record was not spooled"
"$CJ_HANDLER" --config="$CJ_TMP/c.conf" --journal-socket="$CJ_NS_SOCKET" --replay > /dev/null || cj_fail "--replay failed"
record "$pid" > "$CJ_TMP/sp.export"
expect "$CJ_TMP/sp.export" COREDUMP_SIGNAL 6
cj_pass "journald unreachable: kernel log line, record spooled and replayed"

# 14. An incompressible core (64 MiB of random bytes): stored mostly as raw zstd frames, and still
#     one zstd file that coredumpctl dump, zstd -d and gdb read.
configure
pid=$(cj_crash "$CRASHER" --touch 64 segv)
record "$pid" > "$CJ_TMP/inc.export"
file=$(field COREDUMP_FILENAME "$CJ_TMP/inc.export")
zstd -dcq "$file" > "$CJ_TMP/inc.core"
[ "$(stat -c %s "$CJ_TMP/inc.core")" = "$(field COREJOURNAL_CORE_SIZE "$CJ_TMP/inc.export")" ] || cj_fail "incompressible core: size differs"
"${COREDUMPCTL[@]}" dump "$pid" -o "$CJ_TMP/inc.dumped" > /dev/null 2>&1 || cj_fail "coredumpctl dump of an incompressible core failed"
cj_assert_same_file "$CJ_TMP/inc.core" "$CJ_TMP/inc.dumped" "coredumpctl dump of an incompressible core"
gdb -batch -ex bt "$CRASHER" "$CJ_TMP/inc.dumped" 2>&1 | grep -q crash_here || cj_fail "gdb bt of an incompressible core lacks crash_here"
python3 - "$file" <<'PY' || cj_fail "the incompressible part was not stored as raw frames"
import sys
# Count raw-block frames (single segment, 4-byte size, first block raw) in the concatenation.
data = open(sys.argv[1], "rb").read()
raw = i = 0
while True:
    j = data.find(b"\x28\xb5\x2f\xfd\xa0", i)
    if j < 0:
        break
    if (data[j + 9] >> 1) & 3 == 0:
        raw += 1
    i = j + 5
assert raw >= 48, raw
PY
cj_pass "an incompressible core: raw zstd frames, read by zstd, coredumpctl dump and gdb"
