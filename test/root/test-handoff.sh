#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Pipe mode with corejournald: the handler hands each crash to the daemon over the handoff socket.
# The daemon up: the record says so (COREJOURNAL_HANDOFF=daemon), the core is stored, coredumpctl
# reads it; rate limits per executable and per unit apply. The daemon down, silent or refusing: the
# handler processes the crash itself. The daemon SIGKILLed while a core streams: the handler writes
# the record, nothing is left in the storage directory. Hostile clients are refused while a real
# crash goes through. journald stopped during a crash: spooled, replayed by the daemon once journald
# is back, exactly once. A storm of 200 crashes through the daemon: 200 records.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl coredumpctl python3 zstd setpriv getfacl
CJ_DAEMON=${CJ_DAEMON:-$CJ_BUILD_DIR/src/ingest/corejournald}
[ -x "$CJ_DAEMON" ] || cj_fail "corejournald not built ($CJ_DAEMON)"
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_journald_start
FIELD="$CJ_SOURCE_DIR/test/root/export-field.py"
PEER="$CJ_SOURCE_DIR/test/root/handoff-peer.py"
CRASHER=$CJ_TMP/crasher
cp "${CJ_CRASHER:-$CJ_BUILD_DIR/test/fixtures/crasher}" "$CRASHER"
STORE=$CJ_TMP/store
mkdir -m 755 "$STORE"
HANDOFF=$CJ_TMP/handoff
LOG=$CJ_TMP/daemon.log
ulimit -c unlimited
echo 0 > /proc/sys/fs/suid_dumpable
echo 256 > /proc/sys/kernel/core_pipe_limit

# One configuration for the handler (through core_pattern) and the daemon.
configure() {
        { printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s\nSpoolDirectory=%s/spool\nHandoffSocket=%s\nMaxUse=0\nKeepFree=0\n' \
                "$CJ_NS_SOCKET" "$STORE" "$CJ_TMP" "$HANDOFF"
          printf '%s\n' "$@"; } > "$CJ_TMP/c.conf"
}

DAEMON_PID=
# The daemon's "listening on" lines so far (the log holds those of earlier runs).
listening_count() {
        local n
        n=$(grep -c "listening on" "$LOG" 2>/dev/null) || true
        echo "${n:-0}"
}
# Waits for the daemon's next "listening on" line.
wait_listening() {
        local before=$1 i
        for i in $(seq 100); do
                [ "$(listening_count)" -gt "$before" ] && return 0
                sleep 0.05
        done
        cj_fail "corejournald did not start: $(tail -3 "$LOG")"
}
start_daemon() {
        local before
        before=$(listening_count)
        "$CJ_DAEMON" --config="$CJ_TMP/c.conf" --socket="$CJ_TMP/kernel" --workers=8 2>> "$LOG" 9>&- &
        DAEMON_PID=$!
        cj_on_exit "kill -9 $DAEMON_PID 2>/dev/null || true"
        wait_listening "$before"
        [ -S "$HANDOFF" ] || cj_fail "no handoff socket"
}
# Stops the daemon with SIGTERM; fails unless it exits 0.
stop_daemon() {
        kill -TERM "$DAEMON_PID"
        local rc=0
        wait "$DAEMON_PID" || rc=$?
        [ $rc = 0 ] || cj_fail "corejournald exited $rc: $(tail -5 "$LOG")"
}
# Asks the daemon to reread the configuration and waits until it did.
reload_daemon() {
        local before
        before=$(grep -c 'configuration reloaded' "$LOG" || true)
        kill -HUP "$DAEMON_PID"
        for _ in $(seq 50); do
                [ "$(grep -c 'configuration reloaded' "$LOG" || true)" -gt "$before" ] && return 0
                sleep 0.1
        done
        cj_fail "the daemon did not reload"
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
absent() { field "$2" "$1" > /dev/null && cj_fail "$2 should not be in the record: $(field "$2" "$1")"; true; }
count() { cj_journalctl -o export "$@" 2>/dev/null | grep -ac '^__CURSOR=' || true; }
wait_count() {
        local i
        for i in $(seq $(($2 * 10))); do
                [ "$(count "$1")" -ge "$3" ] && return 0
                sleep 0.1
        done
        cj_fail "expected $3 records matching $1, got $(count "$1")"
}
# The handler processes that core_pattern starts for our copy of the handler.
handlers() { pgrep -f "^$CJ_TMP/h --config=" || true; }
no_leftovers() {
        [ -z "$(ls -A "$CJ_TMP/spool" 2>/dev/null)" ] || cj_fail "records left in the spool: $(ls -A "$CJ_TMP/spool")"
        for _ in $(seq 50); do [ -z "$(handlers)" ] && return 0; sleep 0.1; done
        cj_fail "handler processes still running: $(handlers)"
}

configure RateLimitBurst=1000
start_daemon
[ "$(stat -c '%a %U %F' "$HANDOFF")" = "600 root socket" ] || cj_fail "handoff socket: $(stat -c '%a %U %F' "$HANDOFF")"
cj_use_handler "$CJ_TMP/c.conf"
COREDUMPCTL=(coredumpctl --no-pager --directory="$(cj_ns_journal_dir)")

# 1. The daemon up: the crash goes through it, whole.
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/segv.export"
e=$CJ_TMP/segv.export
expect "$e" COREJOURNAL_HANDOFF daemon
expect "$e" COREJOURNAL_SOURCE kernel-pipe
expect "$e" MESSAGE_ID fc2e22bc6ee647b6b90729ab34a250b1
expect "$e" COREDUMP_SIGNAL 11
expect "$e" COREDUMP_UID 0
expect "$e" COREDUMP_EXE "$CRASHER"
expect "$e" COREDUMP_TID "$pid"
field COREJOURNAL_HANDOFF_WAIT_USEC "$e" | grep -Eqx '[0-9]+' || cj_fail "no COREJOURNAL_HANDOFF_WAIT_USEC"
field MESSAGE "$e" | grep -Eq '^#0  0x[0-9a-f]{16} crash_here \(' || cj_fail "frame #0 is not crash_here: $(field MESSAGE "$e")"
for f in COREDUMP_PROC_STATUS COREDUMP_PROC_MAPS COREDUMP_CMDLINE COREDUMP_CGROUP COREDUMP_ENVIRON COREJOURNAL_SIGNATURE; do
        field $f "$e" > /dev/null || cj_fail "$f missing"
done
absent "$e" COREDUMP_TRUNCATED
file=$(field COREDUMP_FILENAME "$e")
case "$file" in "$STORE"/core.crasher.0.*."$pid".*.zst) ;; *) cj_fail "unexpected file name $file" ;; esac
"${COREDUMPCTL[@]}" info "$pid" > "$CJ_TMP/info.out" 2>&1 || cj_fail "coredumpctl info failed: $(cat "$CJ_TMP/info.out")"
grep -q "Storage: $file" "$CJ_TMP/info.out" || cj_fail "coredumpctl info does not show the core: $(cat "$CJ_TMP/info.out")"
grep -q "Signal: 11 (SEGV)" "$CJ_TMP/info.out" || cj_fail "coredumpctl info: $(cat "$CJ_TMP/info.out")"
"${COREDUMPCTL[@]}" dump "$pid" -o "$CJ_TMP/dumped.core" > /dev/null 2>&1 || cj_fail "coredumpctl dump failed"
zstd -dcq "$file" > "$CJ_TMP/segv.core"
cj_assert_same_file "$CJ_TMP/segv.core" "$CJ_TMP/dumped.core" "coredumpctl dump differs from the stored core"
[ "$(stat -c %s "$CJ_TMP/segv.core")" = "$(field COREJOURNAL_CORE_SIZE "$e")" ] || cj_fail "core size differs"
no_leftovers
cj_pass "pipe mode through corejournald: COREJOURNAL_HANDOFF=daemon, stack trace, zstd file, coredumpctl info and dump"

# 2. A regular user's crash: what the handler learnt while the crasher was parked (who may read
#    the core) travels with the handoff.
pid=$(cj_crash setpriv --reuid=4242 --regid=4242 --clear-groups "$CRASHER" abort)
record "$pid" > "$CJ_TMP/user.export"
expect "$CJ_TMP/user.export" COREJOURNAL_HANDOFF daemon
expect "$CJ_TMP/user.export" COREDUMP_UID 4242
expect "$CJ_TMP/user.export" COREDUMP_SIGNAL 6
file=$(field COREDUMP_FILENAME "$CJ_TMP/user.export")
getfacl -p "$file" 2>/dev/null | grep -q '^user:4242:r--' || cj_fail "no read ACL for uid 4242 on $file"
cj_pass "a user's crash through the daemon: real UID, read ACL"

# 3. Rate limits are the daemon's: per executable, and per unit whatever the executable.
configure RateLimitBurst=3 RateLimitIntervalSec=1h
reload_daemon
cp "$CRASHER" "$CJ_TMP/limited"
for i in 1 2 3 4 5; do cj_crash "$CJ_TMP/limited" segv > /dev/null 2>&1; done
wait_count "COREDUMP_EXE=$CJ_TMP/limited" 20 5
cj_journalctl -o export "COREDUMP_EXE=$CJ_TMP/limited" > "$CJ_TMP/limited.export"
[ "$(grep -ac '^COREDUMP_FILENAME=' "$CJ_TMP/limited.export")" = 3 ] || cj_fail "not 3 cores past RateLimitBurst=3"
[ "$(grep -ac '^COREJOURNAL_CORE_NOT_STORED=rate-limit$' "$CJ_TMP/limited.export")" = 2 ] || cj_fail "not 2 rate-limited records"
[ "$(grep -ac '^COREJOURNAL_RATELIMITED_BY=executable$' "$CJ_TMP/limited.export")" = 2 ] || cj_fail "not limited by the executable"
grep -aq '^COREJOURNAL_RATELIMITED_COUNT=2$' "$CJ_TMP/limited.export" || cj_fail "no COREJOURNAL_RATELIMITED_COUNT=2"
grep -aq "^MESSAGE=Process [0-9]* (limited) of user 0 dumped core.$" "$CJ_TMP/limited.export" || cj_fail "no plain MESSAGE for a rate-limited core"
[ "$(ls "$STORE" | grep -c '^core\.limited\.')" = 3 ] || cj_fail "rate-limited cores reached the disk"
[ "$(grep -ac '^COREJOURNAL_HANDOFF=daemon$' "$CJ_TMP/limited.export")" = 5 ] || cj_fail "rate-limited crashes did not go through the daemon"
cgroot=$(findmnt -n -t cgroup2 -o TARGET | head -1)
if [ -n "$cgroot" ] && [ -w "$cgroot" ]; then
        unit=cj-handoff-$$.service
        mkdir "$cgroot/$unit"
        cj_on_exit "rmdir '$cgroot/$unit' 2>/dev/null || true"
        for i in 1 2 3 4 5; do
                cp "$CRASHER" "$CJ_TMP/unit$i"
                cj_crash sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" segv' sh "$cgroot/$unit" "$CJ_TMP/unit$i" > /dev/null 2>&1
        done
        wait_count "COREDUMP_UNIT=$unit" 20 5
        cj_journalctl -o export "COREDUMP_UNIT=$unit" > "$CJ_TMP/unit.export"
        [ "$(grep -ac '^COREDUMP_FILENAME=' "$CJ_TMP/unit.export")" = 3 ] || cj_fail "not 3 cores in a unit past RateLimitBurst=3"
        [ "$(grep -ac '^COREJOURNAL_RATELIMITED_BY=unit$' "$CJ_TMP/unit.export")" = 2 ] || cj_fail "not 2 crashes limited by their unit"
        grep -aq "^COREJOURNAL_CORE_NOT_STORED_MESSAGE=.*more than 3 crashes in $unit" "$CJ_TMP/unit.export" || cj_fail "no sentence naming the unit"
        cj_pass "rate limits in pipe mode through the daemon: 3 of 5 crashes of one executable and 3 of 5 executables of one unit kept"
else
        cj_pass "rate limit per executable in pipe mode through the daemon (no writable cgroup2 here for the per-unit case)"
fi
configure RateLimitBurst=1000
reload_daemon

# 4. Hostile clients on the handoff socket while a real crash goes through. A non-root user cannot
#    open the socket (0600); one that can (CAP_DAC_OVERRIDE) is refused by its UID; root sending
#    something oversized, garbage or another protocol version gets a refusal; a silent one is
#    dropped. Each costs one log line.
setpriv --reuid=4242 --regid=4242 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(0)
sys.exit(1)' "$HANDOFF" || cj_fail "uid 4242 could open the handoff socket"
setpriv --reuid=4242 --regid=4242 --clear-groups --inh-caps=+dac_override --ambient-caps=+dac_override \
        /usr/bin/python3 "$PEER" client nothing "$HANDOFF" > "$CJ_TMP/nonroot.out" 2>&1 || cj_fail "non-root client: $(cat "$CJ_TMP/nonroot.out")"
grep -qx "refused -1" "$CJ_TMP/nonroot.out" || cj_fail "non-root client not refused with EPERM: $(cat "$CJ_TMP/nonroot.out")"
hostile=()
for kind in oversized garbage version silent; do
        python3 "$PEER" client $kind "$HANDOFF" > "$CJ_TMP/hostile-$kind.out" 2>&1 9>&- &
        hostile+=($!)
done
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/conc.export"
expect "$CJ_TMP/conc.export" COREJOURNAL_HANDOFF daemon
field COREDUMP_FILENAME "$CJ_TMP/conc.export" > /dev/null || cj_fail "the concurrent crash lost its core"
wait "${hostile[@]}"
grep -qx "refused -90" "$CJ_TMP/hostile-oversized.out" || cj_fail "oversized: $(cat "$CJ_TMP/hostile-oversized.out")"
grep -qx "refused -74" "$CJ_TMP/hostile-garbage.out" || cj_fail "garbage: $(cat "$CJ_TMP/hostile-garbage.out")"
grep -qx "refused -93" "$CJ_TMP/hostile-version.out" || cj_fail "version: $(cat "$CJ_TMP/hostile-version.out")"
grep -qx "closed" "$CJ_TMP/hostile-silent.out" || cj_fail "silent: $(cat "$CJ_TMP/hostile-silent.out")"
grep -q "has UID 4242, only UID 0 may hand over crashes; refused" "$LOG" || cj_fail "no log line for the non-root client"
grep -q "oversized message of 8000 bytes" "$LOG" || cj_fail "no log line for the oversized message"
grep -q "malformed offer (64 bytes); refused" "$LOG" || cj_fail "no log line for garbage"
grep -q "handoff protocol version 9, this daemon speaks 1; refused" "$LOG" || cj_fail "no log line for the version"
grep -q "no offer within 2000 ms; dropped" "$LOG" || cj_fail "no log line for the silent client"
kill -0 "$DAEMON_PID" || cj_fail "corejournald died"
cj_pass "hostile handoff clients refused (UID, size, garbage, version, silence) while a real crash was recorded"

# 5. journald stopped during a crash: the daemon spools the record and replays it on its own once
#    journald is back; it lands once.
kill "$CJ_JOURNALD_PID"
wait "$CJ_JOURNALD_PID" 2>/dev/null || true
pid=$(cj_crash "$CRASHER" segv)
for _ in $(seq 100); do [ -n "$(ls -A "$CJ_TMP/spool" 2>/dev/null)" ] && break; sleep 0.1; done
[ "$(ls -A "$CJ_TMP/spool" | wc -l)" = 1 ] || cj_fail "the record was not spooled: $(tail -3 "$LOG")"
grep -q "process $pid: the journal refused the record" "$LOG" || cj_fail "no log line for the spooled record"
for _ in $(seq 50); do [ -z "$(handlers)" ] && break; sleep 0.1; done
[ -z "$(handlers)" ] || cj_fail "the handler still waits although the daemon spooled the record"
sleep 1.5
cj_journald_start "$CJ_NS"
wait_count "COREDUMP_PID=$pid" 40 1
sleep 3
[ "$(count "COREDUMP_PID=$pid")" = 1 ] || cj_fail "the spooled record landed $(count "COREDUMP_PID=$pid") times"
expect "$(record "$pid" > "$CJ_TMP/spooled.export"; echo "$CJ_TMP/spooled.export")" COREJOURNAL_HANDOFF daemon
[ -z "$(ls -A "$CJ_TMP/spool")" ] || cj_fail "the spool was not emptied"
grep -q "replayed 1 spooled record" "$LOG" || cj_fail "no log line for the replay"
cj_pass "journald stopped during a crash: spooled by the daemon, replayed by its retry timer once journald was back, once"

# 6. SIGKILL while a core streams into the daemon: the handler, which waits for the word that the
#    crash is recorded, writes the record itself; the core is lost with the daemon's O_TMPFILE, and
#    nothing is left in the storage directory.
before=$(ls -A "$STORE" | wc -l)
"$CRASHER" --touch 512 segv > /dev/null 2>&1 &
pid=$!
h=
for _ in $(seq 1000); do
        h=$(handlers)
        [ -n "$h" ] && [ "$(readlink "/proc/$h/fd/0" 2>/dev/null)" = /dev/null ] && break
        sleep 0.01
done
[ "$(readlink "/proc/$h/fd/0" 2>/dev/null)" = /dev/null ] || cj_fail "the handler never handed the core over"
ls -l "/proc/$DAEMON_PID/fd" | grep -q 'pipe:' || cj_fail "the daemon does not hold the core"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
rc=0
timeout 10 tail --pid=$pid -f /dev/null || cj_fail "the crasher is still parked after the daemon died"
wait $pid || rc=$?
[ $rc -gt 128 ] || cj_fail "the crasher exited $rc"
record "$pid" > "$CJ_TMP/lost.export"
expect "$CJ_TMP/lost.export" COREJOURNAL_HANDOFF lost
expect "$CJ_TMP/lost.export" COREJOURNAL_CORE_NOT_STORED handoff-lost
expect "$CJ_TMP/lost.export" COREDUMP_SIGNAL 11
expect "$CJ_TMP/lost.export" COREDUMP_EXE "$CRASHER"
field COREDUMP_PROC_MAPS "$CJ_TMP/lost.export" > /dev/null || cj_fail "the lost-handoff record lacks the /proc context"
absent "$CJ_TMP/lost.export" COREDUMP_FILENAME
[ "$(ls -A "$STORE" | wc -l)" = "$before" ] || cj_fail "SIGKILL left files: $(ls -A "$STORE")"
sleep 1
[ "$(count "COREDUMP_PID=$pid")" = 1 ] || cj_fail "$(count "COREDUMP_PID=$pid") records for one crash"
no_leftovers
cj_pass "corejournald SIGKILLed mid-stream: the handler recorded the crash (COREJOURNAL_HANDOFF=lost), no temporary files"

# 7. The daemon killed leaves a stale socket: connection refused, the handler processes the crash
#    itself, core and all. Stopped cleanly, it removes the socket: the handler says nothing.
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/stale.export"
expect "$CJ_TMP/stale.export" COREJOURNAL_HANDOFF fallback
field COREJOURNAL_HANDOFF_ERROR "$CJ_TMP/stale.export" | grep -q "Connection refused" || cj_fail "COREJOURNAL_HANDOFF_ERROR: $(field COREJOURNAL_HANDOFF_ERROR "$CJ_TMP/stale.export")"
field COREDUMP_FILENAME "$CJ_TMP/stale.export" > /dev/null || cj_fail "the fallback stored no core"
field MESSAGE "$CJ_TMP/stale.export" | grep -q crash_here || cj_fail "the fallback has no stack trace"
start_daemon
stop_daemon
[ -e "$HANDOFF" ] && cj_fail "the handoff socket was left behind"
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/down.export"
absent "$CJ_TMP/down.export" COREJOURNAL_HANDOFF
field COREDUMP_FILENAME "$CJ_TMP/down.export" > /dev/null || cj_fail "the inline record has no core"
field MESSAGE "$CJ_TMP/down.export" | grep -q crash_here || cj_fail "the inline record has no stack trace"
cj_pass "daemon down: stale socket → COREJOURNAL_HANDOFF=fallback with the reason; no socket → processed inline, no field"

# 8. A daemon that takes offers and never answers, then one that refuses: the handler gives up after
#    the answer timeout (1 s) or at the refusal and processes the crash itself; the crasher is not
#    held by the silent daemon, which never had the core.
python3 "$PEER" server silent "$HANDOFF" 8 > "$CJ_TMP/silent.out" 2>&1 9>&- &
peer=$!
for _ in $(seq 100); do grep -q listening "$CJ_TMP/silent.out" && break; sleep 0.05; done
t0=$(date +%s.%N)
pid=$(cj_crash "$CRASHER" segv)
t1=$(date +%s.%N)
record "$pid" > "$CJ_TMP/silent.export"
expect "$CJ_TMP/silent.export" COREJOURNAL_HANDOFF fallback
field COREJOURNAL_HANDOFF_ERROR "$CJ_TMP/silent.export" | grep -q "did not answer within 1000 ms" || cj_fail "COREJOURNAL_HANDOFF_ERROR: $(field COREJOURNAL_HANDOFF_ERROR "$CJ_TMP/silent.export")"
field COREDUMP_FILENAME "$CJ_TMP/silent.export" > /dev/null || cj_fail "the fallback stored no core"
silent_wait=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")
awk "BEGIN { exit !($t1 - $t0 < 4) }" || cj_fail "the crasher waited ${silent_wait} s: the silent daemon held it"
grep -q "offer of 64 bytes with 2 descriptors" "$CJ_TMP/silent.out" || cj_fail "the fake daemon saw: $(cat "$CJ_TMP/silent.out")"
wait $peer
python3 "$PEER" server refuse "$HANDOFF" 4 > "$CJ_TMP/refuse.out" 2>&1 9>&- &
peer=$!
for _ in $(seq 100); do grep -q listening "$CJ_TMP/refuse.out" && break; sleep 0.05; done
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/refused.export"
expect "$CJ_TMP/refused.export" COREJOURNAL_HANDOFF fallback
field COREJOURNAL_HANDOFF_ERROR "$CJ_TMP/refused.export" | grep -q "refused the crash: Device or resource busy" || cj_fail "COREJOURNAL_HANDOFF_ERROR: $(field COREJOURNAL_HANDOFF_ERROR "$CJ_TMP/refused.export")"
field COREDUMP_FILENAME "$CJ_TMP/refused.export" > /dev/null || cj_fail "the fallback stored no core"
wait $peer
cj_pass "a silent daemon: fallback after the 1 s answer timeout (crasher waited ${silent_wait} s); a refusing daemon: fallback at once"

# 9. Handoff=no: the handler does not even try.
configure Handoff=no
start_daemon
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/no.export"
absent "$CJ_TMP/no.export" COREJOURNAL_HANDOFF
field COREDUMP_FILENAME "$CJ_TMP/no.export" > /dev/null || cj_fail "Handoff=no stored no core"
configure RateLimitBurst=1000
reload_daemon
cj_pass "Handoff=no: processed by the handler"

# 10. Socket activation with both sockets, the handoff one passed first: corejournald tells them
#     apart by type, and a crash goes through the handoff. Stopped, it leaves the sockets to the
#     service manager.
stop_daemon
before=$(listening_count)
python3 "$PEER" activate "$CJ_TMP/kernel" "$HANDOFF" "$CJ_DAEMON" --config="$CJ_TMP/c.conf" --workers=8 2>> "$LOG" 9>&- &
DAEMON_PID=$!
cj_on_exit "kill -9 $DAEMON_PID 2>/dev/null || true"
wait_listening "$before"
tail -1 "$LOG" | grep -q "listening on the activation sockets (kernel and handoff)" || cj_fail "activation: $(tail -3 "$LOG")"
pid=$(cj_crash "$CRASHER" segv)
record "$pid" > "$CJ_TMP/activated.export"
expect "$CJ_TMP/activated.export" COREJOURNAL_HANDOFF daemon
stop_daemon
[ -S "$HANDOFF" ] || cj_fail "a socket-activated daemon removed the handoff socket"
start_daemon
cj_pass "socket activation: both sockets told apart by type, a crash through the passed handoff socket"

# 11. A storm of 200 simultaneous crashes through the daemon: 200 records, 200 cores.
N=200
cp "$CRASHER" "$CJ_TMP/storm"
mkfifo "$CJ_TMP/barrier"
exec 7<> "$CJ_TMP/barrier"
pids=()
for ((i = 0; i < N; i++)); do
        "$CJ_TMP/storm" --wait-fd 7 segv > /dev/null 2>&1 &
        pids+=($!)
done
sleep 1
# How many handler processes live at once (each waits for "recorded" after handing its crash over).
( peak=0; while :; do n=$(handlers | wc -l); [ "$n" -gt "$peak" ] && peak=$n && echo "$peak" > "$CJ_TMP/peak"; sleep 0.1; done ) &
sampler=$!
cj_on_exit "kill $sampler 2>/dev/null || true"
t0=$(date +%s.%N)
exec 8> "$CJ_TMP/barrier"
head -c "$N" /dev/zero >&8
exec 7>&- 8>&-
wait "${pids[@]}" 2> /dev/null || true
t_reaped=$(date +%s.%N)
for _ in $(seq 600); do
        [ "$(count "COREDUMP_EXE=$CJ_TMP/storm")" -ge "$N" ] && break
        sleep 0.2
done
t1=$(date +%s.%N)
sleep 1
cj_journalctl -o export "COREDUMP_EXE=$CJ_TMP/storm" > "$CJ_TMP/storm.export"
n=$(grep -ac '^__CURSOR=' "$CJ_TMP/storm.export")
[ "$n" = "$N" ] || cj_fail "$N crashes gave $n records"
via=$(grep -ac '^COREJOURNAL_HANDOFF=daemon$' "$CJ_TMP/storm.export")
[ "$via" = "$N" ] || cj_fail "only $via of $N crashes went through the daemon: $(grep -a '^COREJOURNAL_HANDOFF_ERROR=' "$CJ_TMP/storm.export" | sort | uniq -c | head -3)"
[ "$(ls "$STORE" | grep -c '^core\.storm\.')" = "$N" ] || cj_fail "$(ls "$STORE" | grep -c '^core\.storm\.') core files for $N crashes"
[ "$(grep -ac '^COREJOURNAL_SIGNATURE=' "$CJ_TMP/storm.export")" = "$N" ] || cj_fail "storm records without a stack trace"
max_wait=$(grep -a '^COREJOURNAL_HANDOFF_WAIT_USEC=' "$CJ_TMP/storm.export" | cut -d= -f2 | sort -n | tail -1)
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$DAEMON_PID/status)
no_leftovers
kill "$sampler" 2>/dev/null || true
peak_handlers=$(cat "$CJ_TMP/peak" 2>/dev/null || echo 0)
stop_daemon
cj_pass "pipe-mode storm of $N through corejournald: $N records, $N cores; all reaped $(awk "BEGIN { printf \"%.1f\", $t_reaped - $t0 }") s and last record $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s after release; longest wait for a worker $((max_wait / 1000)) ms; at most $peak_handlers handlers alive at once; daemon peak RSS ${hwm} kB"
