#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The corejournal benchmark: real kernel crashes through core_pattern (pipe mode), each measured
# under corejournal-handler, two floors (a helper that reads the core to /dev/null, one that copies
# it to a file and fsyncs) and, when installed, Debian's systemd-coredump, run by run interleaved.
#
#   bench/run.sh [--quick] [--runs N] [--raw FILE] [--no-doc] [--no-systemd] [--only W1,W2]
#
# --runs: runs per crash (3); --raw: keep the raw per-crash lines; --only: just these workloads
# (names as in WORKLOADS below; implies --no-doc); --no-systemd: leave systemd-coredump out.
# Needs root (it borrows kernel.core_pattern under flock /run/corejournal-test.lock, one workload at
# a time, and gives it back), a built tree (CJ_BUILD_DIR, default build/), cc and python3.
# Prints a Markdown table and, unless --quick or --no-doc, writes it into docs/PERFORMANCE.md.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CJ_BUILD_DIR:-$SRC/build}
HANDLER=$BUILD/src/ingest/corejournal-handler
LOCK=/run/corejournal-test.lock
# shellcheck source=bench/lib.sh
source "$SRC/bench/lib.sh"

QUICK=0 RUNS=3 RAW= DOC=1 SYSTEMD=1 ONLY=
while [ $# -gt 0 ]; do
        case "$1" in
        --quick) QUICK=1 DOC=0 ;;
        --runs) RUNS=$2; shift ;;
        --raw) RAW=$2; shift ;;
        --no-doc) DOC=0 ;;
        --no-systemd) SYSTEMD=0 ;;
        --only) ONLY=$2 DOC=0; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
        esac
        shift
done
[ "$(id -u)" = 0 ] || { echo "bench/run.sh needs root (real kernel crashes, journald)" >&2; exit 77; }
[ -x "$HANDLER" ] || { echo "build the tree first: ninja -C build ($HANDLER missing)" >&2; exit 2; }
[ "$RUNS" -ge 1 ] || { echo "--runs must be at least 1" >&2; exit 2; }

# name:crash-timer options. The 2 GiB sparse one touches every 64th page.
if [ $QUICK = 1 ]; then
        WORKLOADS=("touch64:--touch 64" "abort:--abort")
else
        WORKLOADS=("touch64:--touch 64" "touch512:--touch 512" "touch2048:--touch 2048"
                   "zero64:--zero 64" "zero512:--zero 512" "zero2048:--zero 2048"
                   "sparse2048:--sparse 2048" "abort:--abort" "threads8:--threads 8")
fi
if [ -n "$ONLY" ]; then
        sel=()
        for wl in "${WORKLOADS[@]}"; do
                [[ ",$ONLY," == *",${wl%%:*},"* ]] && sel+=("$wl")
        done
        [ ${#sel[@]} -gt 0 ] || { echo "--only matches no workload" >&2; exit 2; }
        WORKLOADS=("${sel[@]}")
fi
FIELDS=(COREDUMP_FILENAME COREDUMP_TRUNCATED COREJOURNAL_CORE_SIZE COREJOURNAL_CORE_STORED_SIZE
        COREJOURNAL_CORE_DISK_BYTES COREJOURNAL_CORE_READ_USEC COREJOURNAL_CORE_FINISH_USEC
        COREJOURNAL_CORE_NOT_STORED)



# ---- scratch directory on the filesystem of /var/lib/systemd/coredump --------------------------
T=$(mktemp -d /var/tmp/cjb.XXXXXX)
on_exit "rm -rf '$T'"
chmod 755 "$T"
mkdir -m 755 "$T/s"
for p in crash-timer rusage-wrap floor-devnull floor-copy; do
        cc -O2 -Wall -o "$T/$p" "$SRC/bench/$p.c" -ldl -lpthread
done
# Short names: core_pattern is cut at 127 characters.
mv "$T/rusage-wrap" "$T/w"
mv "$T/floor-devnull" "$T/fd"
mv "$T/floor-copy" "$T/fc"
cp "$HANDLER" "$T/h"
HANDLER_INFO="built $(date -u -r "$HANDLER" '+%Y-%m-%d %H:%M UTC'); HEAD was $(git -C "$SRC" rev-parse --short HEAD 2> /dev/null || echo unknown) when the run started"
LOG=$T/rusage.log
touch "$LOG"

machine_id=$(cat /etc/machine-id)

# ---- journald: a private namespace for corejournal -----------------------------------------------
# journald creates these parents when missing; remove them at exit if they are ours and empty.
for d in /run/log /run/log/journal; do
        [ -e $d ] || on_exit "rmdir $d 2> /dev/null"
done
NS=cjbench$$
/lib/systemd/systemd-journald "$NS" > /dev/null 2>&1 &
ns_pid=$!
on_exit "kill $ns_pid; wait $ns_pid; rm -rf /var/log/journal/$machine_id.$NS /run/log/journal/$machine_id.$NS /run/systemd/journal.$NS"
for _ in $(seq 100); do [ -S /run/systemd/journal.$NS/socket ] && break; sleep 0.05; done
[ -S /run/systemd/journal.$NS/socket ] || { echo "journald namespace $NS did not start" >&2; exit 1; }
# A namespace journald exits after 30 s without a stream client (journald's idle timeout for
# namespaces), which the gaps of the 2 GiB crashes reach: hold a stdout stream open.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"cjbench\n\n6\n0\n0\n0\n0\n")
time.sleep(86400)' /run/systemd/journal.$NS/stdout &
keep_pid=$!
on_exit "kill $keep_pid; wait $keep_pid"
# As installed: a debug file cache directory (tmpfiles.d makes it); the first crash through libc
# fills it, the interleaved runs after that read the uncompressed copy.
mkdir -m 755 "$T/dcache"
printf '[Coredump]\nJournalSocket=/run/systemd/journal.%s/socket\nStorageDirectory=%s/s\nDebugInfoCacheDirectory=%s/dcache\nHandoff=no\n' "$NS" "$T" "$T" > "$T/c"

# ---- systemd-coredump: socket activation and the default journald (bench/lib.sh) --------------
sd_coredump_start

HANDLERS=(devnull copy ours)
[ $SYSTEMD = 1 ] && HANDLERS+=(systemd)

pattern_for() {
        case "$1" in
        devnull) echo "|$T/w %P $T/fd" ;;
        copy) echo "|$T/w %P $T/fc $T/s %P" ;;
        ours) echo "|$T/w %P $T/h --config=$T/c %P %u %g %s %t %c %h %d %F %I" ;;
        systemd) echo "|$T/w %P $SD_COREDUMP %P %u %g %s %t 9223372036854775808 %h %d" ;;
        esac
}
for h in "${HANDLERS[@]}"; do
        p=$(pattern_for "$h")
        [ ${#p} -le 127 ] || { echo "core_pattern too long (${#p}): $p" >&2; exit 1; }
done

# Waits until rusage.log has N lines with tag TAG; prints the last.
wait_log() { # TAG N TIMEOUT_S
        local i
        for ((i = 0; i < $3 * 100; i++)); do
                [ "$(grep -c "^$1 " "$LOG")" -ge "$2" ] && { grep "^$1 " "$LOG" | tail -1; return 0; }
                sleep 0.01
        done
        return 1
}

RESULTS=$T/results
: > "$RESULTS"

# One crash of workload W under handler H in run R: appends one line of key=value to RESULTS.
measure() { # R W OPTIONS H
        local r=$1 w=$2 opts=$3 h=$4 journal=() fields=() f out pid svc_before=0 hl sl file stored=0 alloc=0
        printf '%s\n' "$(pattern_for "$h")" > /proc/sys/kernel/core_pattern
        case "$h" in
        ours) journal=(--namespace "$NS")
                kill -0 "$ns_pid" 2> /dev/null || { echo "the journald namespace $NS is gone" >&2; return 1; } ;;
        systemd) journal=(--system); svc_before=$(grep -c '^svc ' "$LOG" || true) ;;
        esac
        for f in "${FIELDS[@]}"; do fields+=(--field "$f"); done
        # shellcheck disable=SC2086
        out=$("$T/crash-timer" $opts "${journal[@]}" --timeout 120 "${fields[@]}") || {
                echo "crash-timer failed under $h: $out" >&2; return 1; }
        pid=${out%% *} pid=${pid#pid=}
        hl=$(wait_log "$pid" 1 600) || { echo "$h: the helper for $pid never finished" >&2; return 1; }
        sl=
        if [ "$h" = systemd ]; then
                sl=$(wait_log svc $((svc_before + 1)) 600) || { echo "systemd-coredump service for $pid never finished" >&2; return 1; }
        fi
        file=
        case "$h" in
        copy) file=$T/s/floor.$pid ;;
        ours|systemd) file=$(sed -n 's/.*COREDUMP_FILENAME=\([^ ]*\).*/\1/p' <<< "$out") ;;
        esac
        if [ -n "$file" ] && [ -f "$file" ]; then
                read -r stored alloc <<< "$(stat -c '%s %b' "$file")"
                alloc=$((alloc * 512))
        fi
        # Remove what this crash stored, also when the record did not name it.
        rm -f "$file" "$T"/s/*."$pid".* "$T/s/floor.$pid"
        [ "$h" = systemd ] && rm -f "$SD_STORE"/core.crash-timer.*."$pid".*
        echo "run=$r work=$w handler=$h $out helper: ${hl#* } svc: ${sl#* } stored_bytes=$stored alloc_bytes=$alloc" >> "$RESULTS"
}

# Free space on the storage filesystem, in MiB.
free_mib() { df -Pm "$T/s" | awk 'NR == 2 { print $4 }'; }
# A workload needs room for two copies of its core (systemd-coredump writes it twice) and a margin.
need_mib() { # OPTIONS
        local n
        n=$(grep -o '[0-9]\+' <<< "$1" | head -1)
        case "$1" in --touch*|--zero*|--sparse*) echo $((2 * n + 4096)) ;; *) echo 4096 ;; esac
}
wait_for_space() { # MIB
        local i
        for ((i = 0; i < 60; i++)); do
                [ "$(free_mib)" -ge "$1" ] && return 0
                [ $i = 0 ] && echo "  waiting for $1 MiB free on $(df -P "$T/s" | awk 'NR == 2 { print $6 }') ($(free_mib) MiB now)" >&2
                sleep 10
        done
        echo "not enough free space ($(free_mib) MiB, need $1 MiB); stopping" >&2
        return 1
}

nhandlers=${#HANDLERS[@]}
echo "corejournal bench: ${#WORKLOADS[@]} crashes x ${HANDLERS[*]} x $RUNS runs" >&2
start=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= RUNS; r++)); do
        for wl in "${WORKLOADS[@]}"; do
                w=${wl%%:*} opts=${wl#*:}
                wait_for_space "$(need_mib "$opts")"
                lock_begin
                echo 16 > /proc/sys/kernel/core_pipe_limit
                # Rotate the order of the helpers from run to run.
                for ((k = 0; k < nhandlers; k++)); do
                        h=${HANDLERS[$(((k + r + ${#w}) % nhandlers))]}
                        measure "$r" "$w" "$opts" "$h"
                done
                lock_end
                echo "  run $r/$RUNS $w done ($(($(date +%s) - start)) s)" >&2
        done
done
elapsed=$(($(date +%s) - start))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

[ -n "$RAW" ] && cp "$RESULTS" "$RAW"
ARGS="bench/run.sh"
[ $QUICK = 1 ] && ARGS="$ARGS --quick"
[ "$RUNS" != 3 ] && ARGS="$ARGS --runs $RUNS"
REPORT=(--command "$ARGS" --elapsed "$elapsed" --runs "$RUNS" --systemd-note "$SYSTEMD_NOTE" --journald-note "$JOURNALD_NOTE"
        --load-before "$load_before" --load-after "$load_after" --handler-info "$HANDLER_INFO")
[ $DOC = 1 ] && REPORT+=(--doc "$SRC/docs/PERFORMANCE.md")
python3 "$SRC/bench/report.py" "$RESULTS" "${REPORT[@]}"
