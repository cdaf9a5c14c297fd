#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup and the helpers it evals run from the EXIT trap
# SPDX-License-Identifier: LGPL-2.1-or-later
# The crash storm benchmark: N small crashers (test/fixtures/crasher segv) released at once behind
# a barrier, for N = 50 and 200, under each way corejournal can take crashes and under Debian's
# systemd-coredump, storm by storm interleaved; then one small crash at a time, crash to reap.
#
#   bench/storm.sh [--runs N] [--latency-runs N] [--sizes 50,200] [--raw FILE] [--no-doc] [--no-systemd]
#
# Modes (pipe ones with core_pipe_limit=N+16, and also 16 where named so):
#   pipe         corejournal-handler alone (Handoff=no); for N=50 also with core_pipe_limit=16
#   handoff      the handler hands each crash to corejournald (Handoff=auto, HandoffSocket= in ours)
#   socket       core_pattern=@@SOCKET, corejournald
#   systemd      systemd-coredump 252 behind systemd-socket-activate, core_pipe_limit=16 and N+16
# --runs: storms per mode and N (2); --latency-runs: single crashes per mode (7); --raw: keep the
# raw lines. Needs root (it borrows core_pattern, core_pipe_limit and suid_dumpable under flock
# /run/corejournal-test.lock, one storm at a time, and gives them back), a built tree (CJ_BUILD_DIR,
# default build/; not an ASan build), cc and python3. Prints a Markdown table and, unless --no-doc,
# writes it into docs/PERFORMANCE.md (between the storms markers).
set -euo pipefail
# The whole script is one compound command, read before it runs: editing or checking out this file
# during a run (bash reads scripts as it goes) cannot change what the run does.
{

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CJ_BUILD_DIR:-$SRC/build}
HANDLER=$BUILD/src/ingest/corejournal-handler
DAEMON=$BUILD/src/ingest/corejournald
CRASHER=$BUILD/test/fixtures/crasher
LOCK=/run/corejournal-test.lock
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"
SETTLE_S=6      # a storm is over when the record count has not moved for this long
STORM_TIMEOUT_S=180

RUNS=2 LAT_RUNS=7 SIZES=50,200 RAW='' DOC=1 SYSTEMD=1
while [ $# -gt 0 ]; do
        case "$1" in
        --runs) RUNS=$2; shift ;;
        --latency-runs) LAT_RUNS=$2; shift ;;
        --sizes) SIZES=$2 DOC=0; shift ;;
        --raw) RAW=$2; shift ;;
        --no-doc) DOC=0 ;;
        --no-systemd) SYSTEMD=0 ;;
        -h|--help) sed -n '4,19p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
        esac
        shift
done
[ "$(id -u)" = 0 ] || { echo "bench/storm.sh needs root (real kernel crashes, journald)" >&2; exit 77; }
for f in "$HANDLER" "$DAEMON" "$CRASHER"; do
        [ -x "$f" ] || { echo "build the tree first: ninja -C build ($f missing)" >&2; exit 2; }
done
{ [ "$RUNS" -ge 1 ] && [ "$LAT_RUNS" -ge 1 ]; } || { echo "--runs and --latency-runs must be at least 1" >&2; exit 2; }
# An ASan build must never dump core (its shadow mappings are terabytes).
if nm -D "$HANDLER" 2> /dev/null | grep -q __asan_init; then
        echo "$HANDLER is an ASan build; build without sanitizers for the benchmark" >&2
        exit 2
fi
IFS=, read -r -a NS_LIST <<< "$SIZES"



# ---- scratch directory on the filesystem of /var/lib/systemd/coredump --------------------------
T=$(mktemp -d /var/tmp/cjs.XXXXXX)
on_exit "rm -rf '$T'"
chmod 755 "$T"
mkdir -m 755 "$T/s" "$T/bin" "$T/dcache" "$T/logs"
free_mib=$(df -Pm "$T" | awk 'NR == 2 { print $4 }')
[ "$free_mib" -ge 2048 ] || { echo "only $free_mib MiB free on $T; need 2 GiB" >&2; exit 1; }
cc -O2 -Wall -o "$T/ct" "$SRC/bench/crash-timer.c" -ldl -lpthread
# Short names: core_pattern is cut at 127 characters. rusage-wrap logs to rusage.log beside itself.
cc -O2 -Wall -o "$T/w" "$SRC/bench/rusage-wrap.c"
cp "$HANDLER" "$T/h"
RUSAGE=$T/rusage.log
HANDLER_INFO="built $(date -u -r "$HANDLER" '+%Y-%m-%d %H:%M UTC'); HEAD was $(git -C "$SRC" rev-parse --short HEAD 2> /dev/null || echo unknown) when the run started"
machine_id=$(cat /etc/machine-id)
ulimit -c unlimited

# ---- journald: a private namespace for corejournal ---------------------------------------------
for d in /run/log /run/log/journal; do
        [ -e $d ] || on_exit "rmdir $d 2> /dev/null"
done
NS=cjstorm$$
/lib/systemd/systemd-journald "$NS" > /dev/null 2>&1 9>&- &
ns_pid=$!
on_exit "stop_pid $ns_pid; rm -rf /var/log/journal/$machine_id.$NS /run/log/journal/$machine_id.$NS /run/systemd/journal.$NS"
NS_SOCKET=/run/systemd/journal.$NS/socket
for _ in $(seq 100); do [ -S "$NS_SOCKET" ] && break; sleep 0.05; done
[ -S "$NS_SOCKET" ] || { echo "journald namespace $NS did not start" >&2; exit 1; }
# A namespace journald exits 30 s after its last stream client: hold a stdout stream open.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"cjstorm\n\n6\n0\n0\n0\n0\n")
time.sleep(86400)' "/run/systemd/journal.$NS/stdout" 9>&- &
keep_pid=$!
on_exit "stop_pid $keep_pid"

# One configuration for the handler and the daemon; RateLimitBurst= high so every core is stored,
# as systemd-coredump (which has no rate limit) stores every one.
write_config() { # FILE HANDOFF(no|auto)
        printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s/s\nSpoolDirectory=%s/spool\nDebugInfoCacheDirectory=%s/dcache\nHandoffSocket=%s/ho\nHandoff=%s\nMaxUse=0\nKeepFree=0\nRateLimitBurst=100000\n' \
                "$NS_SOCKET" "$T" "$T" "$T" "$T" "$2" > "$1"
}
write_config "$T/cn" no
write_config "$T/ca" auto

# ---- systemd-coredump: socket activation and the default journald (bench/lib.sh) --------------
sd_coredump_start

# The core_pattern of a mode. WRAP=1 puts rusage-wrap in front of a pipe helper.
pattern_for() { # MODE WRAP
        local w=
        [ "$2" = 1 ] && w="$T/w %P "
        case "$1" in
        pipe) echo "|$w$T/h --config=$T/cn %P %u %g %s %t %c %h %d %F %I" ;;
        handoff) echo "|$w$T/h --config=$T/ca %P %u %g %s %t %c %h %d %F %I" ;;
        socket) echo "@@$T/k" ;;
        systemd) echo "|$w$SD_COREDUMP %P %u %g %s %t 9223372036854775808 %h %d" ;;
        esac
}
for m in pipe handoff socket systemd; do
        p=$(pattern_for $m 1)
        [ ${#p} -le 127 ] || { echo "core_pattern too long (${#p}): $p" >&2; exit 1; }
done
set_pattern() { # MODE WRAP
        local p
        p=$(pattern_for "$1" "$2")
        printf '%s\n' "$p" > /proc/sys/kernel/core_pattern
        [ "$(cat /proc/sys/kernel/core_pattern)" = "$p" ] || { echo "core_pattern not taken: $p" >&2; return 1; }
}

# ---- corejournald: one instance per storm, so its VmHWM is the storm's -------------------------
DAEMON_PID=
daemon_start() {
        rm -f "$T/k" "$T/ho"
        "$DAEMON" --config="$T/ca" --socket="$T/k" 2>> "$T/daemon.log" 9>&- &
        DAEMON_PID=$!
        for _ in $(seq 100); do [ -S "$T/k" ] && [ -S "$T/ho" ] && return 0; sleep 0.05; done
        echo "corejournald did not start: $(tail -3 "$T/daemon.log")" >&2
        return 1
}
# The daemon's peak RSS in KiB (VmHWM: its lifetime's, so the storm's).
daemon_hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$DAEMON_PID/status"; }
daemon_stop() {
        stop_pid "$DAEMON_PID"
        DAEMON_PID=
}
# shellcheck disable=SC2016 # expanded at exit, when it names the daemon running then
on_exit '[ -z "$DAEMON_PID" ] || stop_pid "$DAEMON_PID"'

# ---- counting what a storm left ----------------------------------------------------------------
# Prints "records cores last_realtime_usec handed longest_handoff_wait_usec" for crash records of
# executable EXE (handed: records with COREJOURNAL_HANDOFF=daemon).
journal_count() { # MODE EXE
        local j=(--namespace "$NS")
        [ "$1" = systemd ] && j=()
        journalctl "${j[@]}" --no-pager -o export --output-fields=COREDUMP_FILENAME,COREJOURNAL_HANDOFF,COREJOURNAL_HANDOFF_WAIT_USEC \
                "COREDUMP_EXE=$2" 2> /dev/null |
                awk -F= '/^__CURSOR=/ { n++ } /^__REALTIME_TIMESTAMP=/ { if ($2 > t) t = $2 }
                         /^COREDUMP_FILENAME=/ { c++ } /^COREJOURNAL_HANDOFF=daemon$/ { h++ }
                         /^COREJOURNAL_HANDOFF_WAIT_USEC=/ { if ($2 > w) w = $2 }
                         END { printf "%d %d %.0f %d %.0f\n", n, c, t, h, w }'
}
# Waits until no process started by the kernel for us (wrapped helper, handler, service) runs.
wait_helpers_gone() {
        local i
        for ((i = 0; i < STORM_TIMEOUT_S * 10; i++)); do
                pgrep -f "^($T/w|$T/h|$SD_COREDUMP) " > /dev/null || return 0
                sleep 0.1
        done
        echo "helpers still running after ${STORM_TIMEOUT_S} s" >&2
        return 1
}

RESULTS=$T/results
: > "$RESULTS"
STORM_SEQ=0

# One storm: N crashers of a fresh copy of the crasher (its path names this storm's records),
# released at once; appends one line of key=value to RESULTS.
storm() { # RUN N MODE LIMIT
        local run=$1 n=$2 mode=$3 limit=$4 i exe name pids=() t0 t_reap records=0 cores=0 last=0 prev=-1 stable_since hwm=- now
        local handed=0 hwait=0
        STORM_SEQ=$((STORM_SEQ + 1))
        name=st$STORM_SEQ
        exe=$T/bin/$name
        cp "$CRASHER" "$exe"
        lock_begin
        echo 0 > /proc/sys/fs/suid_dumpable
        echo "$limit" > /proc/sys/kernel/core_pipe_limit
        case "$mode" in handoff|socket) daemon_start ;; esac
        set_pattern "$mode" 1
        : > "$RUSAGE"
        rm -f "$T/barrier"
        mkfifo "$T/barrier"
        exec 7<> "$T/barrier"
        # bash reports each crasher's death on stderr: that noise goes, until they are reaped.
        exec 6>&2 2> /dev/null
        for ((i = 0; i < n; i++)); do
                "$exe" --wait-fd 7 segv > /dev/null 2>&1 6>&- 9>&- &
                pids+=($!)
        done
        sleep "$(awk "BEGIN { print 0.5 + $n / 200 }")"
        exec 8> "$T/barrier"
        t0=$(date +%s%6N)
        head -c "$n" /dev/zero >&8
        exec 7>&- 8>&-
        # Only the crashers: a bare wait would also wait for the daemons.
        wait "${pids[@]}" || true
        t_reap=$(date +%s%6N)
        exec 2>&6 6>&-
        # Over when every record is there, or when the count stopped moving (crashes the kernel
        # skipped never get one).
        stable_since=$(date +%s%6N)
        while :; do
                read -r records cores last _ _ <<< "$(journal_count "$mode" "$exe")"
                now=$(date +%s%6N)
                [ "$records" -ge "$n" ] && break
                if [ "$records" != "$prev" ]; then
                        prev=$records stable_since=$now
                elif [ $((now - stable_since)) -ge $((SETTLE_S * 1000000)) ]; then
                        break
                fi
                [ $((now - t0)) -ge $((STORM_TIMEOUT_S * 1000000)) ] && break
                sleep 0.2
        done
        wait_helpers_gone
        read -r records cores last handed hwait <<< "$(journal_count "$mode" "$exe")"
        case "$mode" in handoff|socket) hwm=$(daemon_hwm); daemon_stop ;; esac
        lock_end
        mv "$RUSAGE" "$T/logs/$name.rusage"
        local files
        if [ "$mode" = systemd ]; then
                files=$(find "$SD_STORE" -maxdepth 1 -name "core.$name.*" | wc -l)
                find "$SD_STORE" -maxdepth 1 -name "core.$name.*" -delete
        else
                files=$(find "$T/s" -maxdepth 1 -name "core.$name.*" | wc -l)
                find "$T/s" -maxdepth 1 -name "core.$name.*" -delete
        fi
        local lastrel=-
        [ "$last" -gt 0 ] && lastrel=$((last - t0))
        echo "storm run=$run n=$n mode=$mode limit=$limit records=$records cores=$cores files=$files reap_usec=$((t_reap - t0)) last_usec=$lastrel handed=$handed handoff_wait_usec=$hwait daemon_hwm_kib=$hwm $(python3 "$SRC/bench/storm-report.py" --rusage "$T/logs/$name.rusage")" >> "$RESULTS"
        printf '  run %d/%d N=%d %-8s limit %-3d: %d/%d records, reaped %.1f s\n' "$run" "$RUNS" "$n" "$mode" "$limit" "$records" "$n" "$(awk "BEGIN { print ($t_reap - $t0) / 1e6 }")" >&2
}

# One small crash at a time (crash-timer, SIGSEGV, no extra memory), crash to reap and to the
# record, in socket mode, pipe mode (handler alone) and handed over, interleaved.
latency() {
        local r k m modes=(socket pipe handoff) out
        lock_begin
        echo 0 > /proc/sys/fs/suid_dumpable
        echo 16 > /proc/sys/kernel/core_pipe_limit
        daemon_start
        for ((r = 1; r <= LAT_RUNS; r++)); do
                for ((k = 0; k < 3; k++)); do
                        m=${modes[$(((k + r) % 3))]}
                        set_pattern "$m" 0
                        out=$("$T/ct" --namespace "$NS" --timeout 30) || { echo "crash-timer failed in $m mode: $out" >&2; return 1; }
                        echo "latency run=$r mode=$m $out" >> "$RESULTS"
                        wait_helpers_gone
                done
        done
        daemon_stop
        lock_end
        find "$T/s" -maxdepth 1 -name 'core.ct.*' -delete
}

MODES=(pipe handoff socket)
[ $SYSTEMD = 1 ] && MODES+=(systemd)
echo "corejournal storm bench: N=${NS_LIST[*]} x ${MODES[*]} x $RUNS runs" >&2
start=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# A warm-up crash fills the debug file cache, as on an installed system after the first crash.
latency_warm() {
        lock_begin
        echo 0 > /proc/sys/fs/suid_dumpable
        set_pattern pipe 0
        "$T/ct" --namespace "$NS" --timeout 30 > /dev/null
        wait_helpers_gone
        lock_end
}
latency_warm
for ((r = 1; r <= RUNS; r++)); do
        for n in "${NS_LIST[@]}"; do
                # Each mode with core_pipe_limit N+16; the kernel's default 16 too for N=50.
                runs=()
                for m in "${MODES[@]}"; do
                        runs+=("$m:$((n + 16))")
                        [ "$m" = socket ] && continue
                        [ "$m" = handoff ] && continue
                        if [ "$m" = systemd ] || [ "$n" -le 50 ]; then runs+=("$m:16"); fi
                done
                # Rotate the order from run to run.
                for ((k = 0; k < ${#runs[@]}; k++)); do
                        s=${runs[$(((k + r) % ${#runs[@]}))]}
                        storm "$r" "$n" "${s%%:*}" "${s#*:}"
                done
        done
done
latency
elapsed=$(($(date +%s) - start))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

[ -n "$RAW" ] && cp "$RESULTS" "$RAW"
ARGS="bench/storm.sh"
[ "$RUNS" != 2 ] && ARGS="$ARGS --runs $RUNS"
[ "$LAT_RUNS" != 7 ] && ARGS="$ARGS --latency-runs $LAT_RUNS"
REPORT=(--command "$ARGS" --elapsed "$elapsed" --runs "$RUNS" --systemd-note "$SYSTEMD_NOTE" --journald-note "$JOURNALD_NOTE"
        --load-before "$load_before" --load-after "$load_after" --handler-info "$HANDLER_INFO")
[ $DOC = 1 ] && REPORT+=(--doc "$SRC/docs/PERFORMANCE.md")
python3 "$SRC/bench/storm-report.py" "$RESULTS" "${REPORT[@]}"
exit
}
