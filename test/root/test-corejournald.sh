#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# corejournald and the kernel's @@ socket mode: real crashes through core_pattern=@@SOCKET into a
# private journald namespace; a setuid crash; a storm of 200 simultaneous crashes; the rate limit
# (REJECT, no core); hostile local clients; SIGTERM draining a crash; SIGKILL leaving nothing behind.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl coredumpctl python3 zstd gdb getfacl getfattr setpriv
CJ_DAEMON=${CJ_DAEMON:-$CJ_BUILD_DIR/src/ingest/corejournald}
[ -x "$CJ_DAEMON" ] || cj_fail "corejournald not built ($CJ_DAEMON)"
grep -qw socket /proc/sys/kernel/core_modes 2>/dev/null ||
        [ "$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')" -ge 6017 ] || cj_skip "the kernel has no @@ socket mode (6.17+)"
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
SOCKET=$CJ_TMP/kernel
LOG=$CJ_TMP/daemon.log
ulimit -c unlimited
echo 0 > /proc/sys/fs/suid_dumpable

configure() {
        { printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s\nSpoolDirectory=%s/spool\nHandoffSocket=%s/handoff\n' "$CJ_NS_SOCKET" "$STORE" "$CJ_TMP" "$CJ_TMP"
          printf '%s\n' "$@"; } > "$CJ_TMP/c.conf"
}

DAEMON_PID=
start_daemon() {
        rm -f "$SOCKET"
        "$CJ_DAEMON" --config="$CJ_TMP/c.conf" --socket="$SOCKET" --workers=8 2>> "$LOG" &
        DAEMON_PID=$!
        cj_on_exit "kill -9 $DAEMON_PID 2>/dev/null || true"
        local i
        for i in $(seq 100); do
                [ -S "$SOCKET" ] && return 0
                sleep 0.05
        done
        cj_fail "corejournald did not start: $(cat "$LOG")"
}

# Stops the daemon with SIGTERM and waits; fails unless it exits 0.
stop_daemon() {
        kill -TERM "$DAEMON_PID"
        local rc=0
        wait "$DAEMON_PID" || rc=$?
        [ $rc = 0 ] || cj_fail "corejournald exited $rc: $(tail -5 "$LOG")"
}

record() {
        cj_wait_records "COREDUMP_PID=$1"
        cj_journalctl -o export "COREDUMP_PID=$1"
}
field() { "$FIELD" "$1" < "$2"; }
expect() {
        local got
        got=$(field "$2" "$1") || cj_fail "$2 missing from the record"
        [ "$got" = "$3" ] || cj_fail "$2 is '$got', expected '$3'"
}
count() { cj_journalctl -o export "$@" 2>/dev/null | grep -ac '^__CURSOR=' || true; }
# Waits up to $2 seconds until the match $1 counts $3 records.
wait_count() {
        local i
        for i in $(seq $(($2 * 10))); do
                [ "$(count "$1")" -ge "$3" ] && return 0
                sleep 0.1
        done
        cj_fail "expected $3 records matching $1, got $(count "$1")"
}

configure RateLimitBurst=1000
start_daemon
printf '@@%s\n' "$SOCKET" > /proc/sys/kernel/core_pattern
[ "$(cat /proc/sys/kernel/core_pattern)" = "@@$SOCKET" ] || cj_fail "core_pattern not taken"
COREDUMPCTL=(coredumpctl --no-pager --directory="$(cj_ns_journal_dir)")

# 1. One SIGSEGV, the whole path.
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/segv.export"
e=$CJ_TMP/segv.export
expect "$e" COREJOURNAL_SOURCE kernel-socket
expect "$e" MESSAGE_ID fc2e22bc6ee647b6b90729ab34a250b1
expect "$e" COREDUMP_SIGNAL 11
expect "$e" COREDUMP_SIGNAL_NAME SIGSEGV
expect "$e" COREDUMP_UID 0
expect "$e" COREDUMP_DUMPABLE 1
expect "$e" COREDUMP_EXE "$CRASHER"
expect "$e" COREDUMP_RLIMIT 18446744073709551615
ts=$(field COREDUMP_TIMESTAMP "$e")
[ $(( $(date +%s) - ts / 1000000 )) -lt 60 ] || cj_fail "COREDUMP_TIMESTAMP $ts is not the crash time"
field MESSAGE "$e" | head -1 | grep -qx "Process $pid (crasher) of user 0 dumped core." || cj_fail "MESSAGE: $(field MESSAGE "$e" | head -1)"
field MESSAGE "$e" | grep -Eq '^#0  0x[0-9a-f]{16} crash_here \(' || cj_fail "frame #0 is not crash_here: $(field MESSAGE "$e")"
field COREDUMP_TRUNCATED "$e" > /dev/null && cj_fail "a whole core was marked truncated"
for f in COREDUMP_PROC_STATUS COREDUMP_PROC_MAPS COREDUMP_PROC_LIMITS COREDUMP_CMDLINE COREDUMP_CGROUP COREJOURNAL_SIGNATURE; do
        field $f "$e" > /dev/null || cj_fail "$f missing"
done
file=$(field COREDUMP_FILENAME "$e")
case "$file" in "$STORE"/core.crasher.0.*."$pid".*.zst) ;; *) cj_fail "unexpected file name $file" ;; esac
[ "$(getfattr --absolute-names --only-values -n user.coredump.signal "$file")" = 11 ] || cj_fail "xattr user.coredump.signal missing"
"${COREDUMPCTL[@]}" dump "$pid" -o "$CJ_TMP/dumped.core" > /dev/null 2> "$CJ_TMP/dump.err" || cj_fail "coredumpctl dump failed: $(cat "$CJ_TMP/dump.err")"
zstd -dcq "$file" > "$CJ_TMP/segv.core"
cj_assert_same_file "$CJ_TMP/segv.core" "$CJ_TMP/dumped.core" "coredumpctl dump differs from the stored core"
[ "$(stat -c %s "$CJ_TMP/segv.core")" = "$(field COREJOURNAL_CORE_SIZE "$e")" ] || cj_fail "core size differs"
gdb -batch -ex bt "$CRASHER" "$CJ_TMP/dumped.core" 2>&1 | grep -q crash_here || cj_fail "gdb bt lacks crash_here"
cj_pass "SIGSEGV over @@: kernel-socket record, stack trace, zstd file, coredumpctl dump, gdb bt"

# 2. SIGABRT: the signal comes from the core's notes.
pid=$(cj_crash "$CRASHER" abort)
record "$pid" > "$CJ_TMP/abrt.export"
expect "$CJ_TMP/abrt.export" COREDUMP_SIGNAL 6
expect "$CJ_TMP/abrt.export" COREDUMP_SIGNAL_NAME SIGABRT
cj_pass "SIGABRT: signal from the core"

# 3. A regular user's crash: real uid, read ACL. A setuid-root binary with suid_dumpable=2: root only.
pid=$(cj_crash setpriv --reuid=4242 --regid=4242 --clear-groups "$CRASHER" segv)
record "$pid" > "$CJ_TMP/user.export"
expect "$CJ_TMP/user.export" COREDUMP_UID 4242
file=$(field COREDUMP_FILENAME "$CJ_TMP/user.export")
getfacl -p "$file" 2>/dev/null | grep -q '^user:4242:r--' || cj_fail "no read ACL for uid 4242"
cp "$CRASHER" "$CJ_TMP/suid-crasher"
chown root:root "$CJ_TMP/suid-crasher"
chmod 4755 "$CJ_TMP/suid-crasher"
echo 2 > /proc/sys/fs/suid_dumpable
pid=$(cj_crash setpriv --reuid=4242 --regid=4242 --clear-groups "$CJ_TMP/suid-crasher" segv)
record "$pid" > "$CJ_TMP/suid.export"
echo 0 > /proc/sys/fs/suid_dumpable
expect "$CJ_TMP/suid.export" COREDUMP_DUMPABLE 2
expect "$CJ_TMP/suid.export" COREDUMP_UID 4242
file=$(field COREDUMP_FILENAME "$CJ_TMP/suid.export")
[ "$(stat -c '%a %U' "$file")" = "640 root" ] || cj_fail "mode/owner of the setuid core: $(stat -c '%a %U' "$file")"
getfacl -p "$file" 2>/dev/null | grep -q '^user:4242' && cj_fail "setuid core got an ACL for the user"
setpriv --reuid=4242 --regid=4242 --clear-groups cat "$file" > /dev/null 2>&1 && cj_fail "uid 4242 can read a setuid core"
cj_pass "user crash readable through its ACL; setuid crash (dumpable 2) root-only"

# 4. Hostile local clients. The socket is 0600 root: another user cannot even connect. Root
# sending garbage is refused (not a dumping process) while a real crash goes through.
[ "$(stat -c '%a %U' "$SOCKET")" = "600 root" ] || cj_fail "socket mode: $(stat -c '%a %U' "$SOCKET")"
setpriv --reuid=4242 --regid=4242 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(0)
sys.exit(1)' "$SOCKET" || cj_fail "uid 4242 could connect to the coredump socket"
python3 - "$SOCKET" > "$CJ_TMP/garbage.out" 2>&1 <<'EOF' &
import os, socket, sys, time
socks = []
for payload in (b"\xff" * 16, b"\x00\x10\x00\x00" * 4, os.urandom(5000), b""):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    if payload:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before we finished talking: what we want
    socks.append(s)
time.sleep(1.5)   # hold the connections open across the real crash
for s in socks:
    s.settimeout(3)
    try:
        assert s.recv(100) == b"", "the daemon answered a non-crashing client"
    except ConnectionResetError:
        pass
print("closed")
EOF
garbage=$!
sleep 0.2
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/conc.export"
field COREDUMP_FILENAME "$CJ_TMP/conc.export" > /dev/null || cj_fail "the concurrent crash lost its core"
wait $garbage || cj_fail "garbage client: $(cat "$CJ_TMP/garbage.out")"
[ "$(grep -c 'is not dumping core; refused' "$LOG")" -ge 4 ] || cj_fail "the daemon did not refuse the clients: $(tail "$LOG")"
kill -0 "$DAEMON_PID" || cj_fail "corejournald died"
cj_pass "uid 4242 cannot connect (0600); root garbage refused; a concurrent crash recorded"

# Starts N crashers of $1 behind a barrier (all blocked reading fd 7), releases them at once, reaps
# them; prints the release time.
storm() {
        local exe=$1 n=$2 i
        rm -f "$CJ_TMP/barrier"
        mkfifo "$CJ_TMP/barrier"
        exec 7<> "$CJ_TMP/barrier"
        for ((i = 0; i < n; i++)); do
                "$exe" --wait-fd 7 segv > /dev/null 2>&1 &
        done
        sleep 1
        exec 8> "$CJ_TMP/barrier"
        date +%s.%N
        head -c "$n" /dev/zero >&8
        exec 7>&- 8>&-
        wait
}

# 5. A storm of 200 simultaneous crashes: exactly 200 records, each with its core.
cp "$CRASHER" "$CJ_TMP/storm"
t0=$(storm "$CJ_TMP/storm" 200)
wait_count "COREDUMP_EXE=$CJ_TMP/storm" 120 200
t1=$(date +%s.%N)
sleep 1
n=$(count "COREDUMP_EXE=$CJ_TMP/storm")
[ "$n" = 200 ] || cj_fail "200 crashes gave $n records"
ns=$(cj_journalctl -o export "COREDUMP_EXE=$CJ_TMP/storm" | grep -ac '^COREDUMP_FILENAME=')
[ "$ns" = 200 ] || cj_fail "200 crashes stored $ns cores"
[ "$(ls "$STORE" | grep -c '^core\.storm\.')" = 200 ] || cj_fail "$(ls "$STORE" | grep -c '^core\.storm\.') core files for 200 crashes"
[ "$(cj_journalctl -o export "COREDUMP_EXE=$CJ_TMP/storm" | grep -ac '^COREDUMP_SIGNAL=11$')" = 200 ] || cj_fail "storm records without the signal"
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$DAEMON_PID/status)
cj_pass "storm of 200: 200 records, 200 cores; last record $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s after release; daemon peak RSS ${hwm} kB"

# 6. SIGHUP reloads RateLimitBurst=5 RateLimitIntervalSec=1min; 200 crashes of one program: 5
# cores, the rest REJECTed (no core made) and recorded as rate-limited.
configure RateLimitBurst=5 RateLimitIntervalSec=1min
kill -HUP "$DAEMON_PID"
for i in $(seq 50); do grep -q 'configuration reloaded' "$LOG" && break; sleep 0.1; done
cp "$CRASHER" "$CJ_TMP/limited"
t0=$(storm "$CJ_TMP/limited" 200)
wait_count "COREDUMP_EXE=$CJ_TMP/limited" 120 200
t1=$(date +%s.%N)
sleep 1
cj_journalctl -o export "COREDUMP_EXE=$CJ_TMP/limited" > "$CJ_TMP/limited.export"
[ "$(grep -ac '^__CURSOR=' "$CJ_TMP/limited.export")" = 200 ] || cj_fail "rate-limited storm: $(grep -ac '^__CURSOR=' "$CJ_TMP/limited.export") records"
[ "$(grep -ac '^COREDUMP_FILENAME=' "$CJ_TMP/limited.export")" = 5 ] || cj_fail "$(grep -ac '^COREDUMP_FILENAME=' "$CJ_TMP/limited.export") cores stored past RateLimitBurst=5"
[ "$(grep -ac '^COREJOURNAL_CORE_NOT_STORED=rate-limit$' "$CJ_TMP/limited.export")" = 195 ] || cj_fail "not 195 rate-limited records"
[ "$(ls "$STORE" | grep -c '^core\.limited\.')" = 5 ] || cj_fail "rate-limited cores reached the disk"
grep -aq '^COREJOURNAL_RATELIMITED_COUNT=195$' "$CJ_TMP/limited.export" || cj_fail "no COREJOURNAL_RATELIMITED_COUNT=195"
[ "$(grep -ac '^COREDUMP_SIGNAL=11$' "$CJ_TMP/limited.export")" -ge 190 ] || cj_fail "REJECTed crashes lack the signal from their exit status"
grep -aq "^MESSAGE=Process [0-9]* (limited) of user 0 terminated abnormally without generating a coredump.$" "$CJ_TMP/limited.export" || cj_fail "no systemd MESSAGE for a refused core"
kill -USR1 "$DAEMON_PID"
for i in $(seq 50); do grep -q '(195 by the rate limit)' "$LOG" && break; sleep 0.1; done
grep -q '(195 by the rate limit)' "$LOG" || cj_fail "SIGUSR1 statistics lack the rate-limit count: $(tail -3 "$LOG")"
cj_pass "SIGHUP reload; RateLimitBurst=5: 5 cores, 195 REJECTed and recorded as rate-limited in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"

# 7. No space (KeepFree= larger than the file system): REJECT, a record saying why.
configure RateLimitBurst=1000 KeepFree=1E
kill -HUP "$DAEMON_PID"
sleep 0.5
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/full.export"
expect "$CJ_TMP/full.export" COREJOURNAL_CORE_NOT_STORED keep-free
field COREDUMP_FILENAME "$CJ_TMP/full.export" > /dev/null && cj_fail "a core was stored without space"
cj_pass "no space under KeepFree=: REJECT, record with COREJOURNAL_CORE_NOT_STORED=keep-free"

# 8. SIGTERM while a crash streams: the daemon drains it and the record lands, whole.
configure RateLimitBurst=1000 Storage=none
kill -HUP "$DAEMON_PID"
sleep 0.5
"$CRASHER" --touch 512 segv > /dev/null 2>&1 &
pid=$!
for _ in $(seq 500); do grep -q '^CoreDumping:[[:space:]]*1' /proc/$pid/status 2>/dev/null && break; sleep 0.01; done
grep -q '^CoreDumping:[[:space:]]*1' /proc/$pid/status || cj_fail "the crasher never started dumping"
stop_daemon
wait $pid || true
record "$pid" > "$CJ_TMP/term.export"
field COREDUMP_TRUNCATED "$CJ_TMP/term.export" > /dev/null && cj_fail "the drained core was cut"
[ "$(field COREJOURNAL_CORE_SIZE "$CJ_TMP/term.export")" -gt $((512 * 1024 * 1024)) ] || cj_fail "the drained core is short"
[ -e "$SOCKET" ] && cj_fail "the socket file was left behind"
cj_pass "SIGTERM during a 512 MiB crash: drained, whole record, socket removed"

# 9. SIGKILL while a crash streams: no temporary files (O_TMPFILE), the crasher is released. In
# socket mode there is no kernel fallback: that crash has no record, and the next ones (stale
# socket, nobody listening) die without a core until the daemon is back.
configure RateLimitBurst=1000
start_daemon
before=$(ls -A "$STORE" | wc -l)
"$CRASHER" --touch 512 segv > /dev/null 2>&1 &
pid=$!
for _ in $(seq 500); do grep -q '^CoreDumping:[[:space:]]*1' /proc/$pid/status 2>/dev/null && break; sleep 0.01; done
sleep 0.2
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
rc=0
timeout 10 tail --pid=$pid -f /dev/null || cj_fail "the crasher is still parked after the daemon died"
wait $pid || rc=$?
[ $rc -gt 128 ] || cj_fail "the crasher exited $rc"
[ "$(ls -A "$STORE" | wc -l)" = "$before" ] || cj_fail "SIGKILL left files: $(ls -A "$STORE")"
sleep 0.5
[ "$(count "COREDUMP_PID=$pid")" = 0 ] || cj_fail "a record appeared for a crash the daemon never finished"
pid=$(cj_crash "$CRASHER" segv)
start_daemon
sleep 1
[ "$(count "COREDUMP_PID=$pid")" = 0 ] || cj_fail "a crash without a listener got a record"
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > /dev/null
stop_daemon
cj_pass "SIGKILL: no temporary files, crasher released, no record (no fallback in socket mode); a restarted daemon records again"
