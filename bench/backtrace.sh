#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Stack trace analysis: corejournal's path (full core → compact core → sandboxed libdwfl child)
# next to elfutils' eu-stack on the full core, on real kernel cores.
#
#   bench/backtrace.sh [--runs N]
#
# Makes one full core per workload with the kernel in file mode (core_pattern borrowed under flock
# /run/corejournal-test.lock, restored right after), then times each workload N times (5),
# interleaved: bench/bt-time.c (ours), `eu-stack` and `eu-stack -i -s` (which, like ours, reads the
# DWARF of every module for function names and source lines), rotating which goes first. Prints a
# Markdown table of medians; a ratio column is the median of the per-run ratios. Needs root, a built tree
# (CJ_BUILD_DIR, default build/), cc and eu-stack; /usr/bin/time for eu-stack's peak RSS.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CJ_BUILD_DIR:-$SRC/build}
CRASHER=$BUILD/test/fixtures/crasher
LOCK=/run/corejournal-test.lock
RUNS=5
while [ $# -gt 0 ]; do
        case "$1" in
        --runs) RUNS=$2; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
        esac
        shift
done
[ "$(id -u)" = 0 ] || { echo "bench/backtrace.sh needs root (kernel cores, the sandboxed child drops to 65534)" >&2; exit 77; }
[ -x "$CRASHER" ] || { echo "build the tree first: ninja -C build ($CRASHER missing)" >&2; exit 2; }
command -v eu-stack > /dev/null || { echo "eu-stack missing (apt-get install elfutils)" >&2; exit 2; }
[ "$RUNS" -ge 1 ] || { echo "--runs must be at least 1" >&2; exit 2; }
# Never core an ASan build's process.
if nm -D "$CRASHER" 2> /dev/null | grep -q __asan_init; then
        echo "$CRASHER is built with ASan; use a build without sanitizers" >&2; exit 2
fi
TIME_BIN=
[ -x /usr/bin/time ] && TIME_BIN=/usr/bin/time

# name:crasher arguments:label
WORKLOADS=("abort:abort:small abort()" "threads8:--threads 8 segv:8 threads, SIGSEGV"
           "touch64:--touch 64 segv:64 MiB incompressible, SIGSEGV")

# ---- cleanup: the borrowed core_pattern and every file made here, on every exit path ----------
LOCKED=0 SAVED_PATTERN= T=
cleanup() {
        local rc=$?
        if [ $LOCKED = 1 ]; then
                printf '%s\n' "$SAVED_PATTERN" > /proc/sys/kernel/core_pattern
                LOCKED=0
        fi
        [ -n "$T" ] && rm -rf "$T"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 755 so the analysis child (65534) can read the crasher copy the cores point at.
T=$(mktemp -d /var/tmp/cjbt.XXXXXX)
chmod 755 "$T"
cp "$CRASHER" "$T/crasher"
EXE=$T/crasher

# ---- bt-time: link against the tree's static libraries, adding libraries only when needed ------
B=$BUILD/src
CFLAGS=(-O2 -Wall -I"$BUILD" -I"$SRC/src/collect" -I"$SRC/src/backtrace" -I"$SRC/src/shared" -I"$SRC/src/export")
LIBS=("$B/collect/libcollect.a" "$B/backtrace/libbacktrace.a" "$B/export/libexport.a" "$B/shared/libshared.a")
linked=0
for extra in "-ldw -lelf -ljson-c" "-ldw -lelf -ljson-c -lzstd -lacl -lsystemd"; do
        # shellcheck disable=SC2086
        if cc "${CFLAGS[@]}" -o "$T/bt-time" "$SRC/bench/bt-time.c" "${LIBS[@]}" $extra 2> "$T/cc.log"; then
                linked=1
                break
        fi
done
[ $linked = 1 ] || { cat "$T/cc.log" >&2; exit 1; }

# ---- the cores: kernel file mode, one workload after another, under the lock -------------------
exec 9> "$LOCK"
flock 9
SAVED_PATTERN=$(cat /proc/sys/kernel/core_pattern)
LOCKED=1
printf '%s\n' "$T/core.%p" > /proc/sys/kernel/core_pattern
declare -A CORE
for wl in "${WORKLOADS[@]}"; do
        name=${wl%%:*} rest=${wl#*:}
        args=${rest%%:*}
        # shellcheck disable=SC2086
        ( ulimit -c unlimited; cd "$T"; exec "$EXE" $args ) > /dev/null 2>&1 &
        pid=$!
        wait $pid || true
        [ -s "$T/core.$pid" ] || { echo "no core for $name ($T/core.$pid)" >&2; exit 1; }
        mv "$T/core.$pid" "$T/core.$name"
        CORE[$name]=$T/core.$name
done
printf '%s\n' "$SAVED_PATTERN" > /proc/sys/kernel/core_pattern
LOCKED=0
flock -u 9
exec 9>&-

# ---- measurements -----------------------------------------------------------------------------
now_ns() { local t=$EPOCHREALTIME; echo "${t%.*}${t#*.}000"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

run_ours() { # NAME RUN [LOG [DEBUGINFO-CACHE]]
        local out log=${3:-ours}
        out=$("$T/bt-time" "${CORE[$1]}" "$EXE" ${4:+"$4"} 2> "$T/bt.err") || { cat "$T/bt.err" >&2; exit 1; }
        # compact= analysis_usec= child_rss= build_usec= text_lines= partial=
        set -- "$1" "$2" $out
        local name=$1 run=$2
        echo "$name $run ${3#compact=} ${4#analysis_usec=} ${5#child_rss=} ${6#build_usec=} ${7#text_lines=} ${8#partial=}" >> "$T/$log"
}
run_eu() { # NAME RUN LOG [EU-STACK OPTIONS...]
        local name=$1 run=$2 log=$3 t0 t1 rss=-
        shift 3
        t0=$(now_ns)
        if [ -n "$TIME_BIN" ]; then
                "$TIME_BIN" -f %M -o "$T/time.out" eu-stack "$@" --core="${CORE[$name]}" -e "$EXE" > "$T/eu.out" 2> "$T/eu.err" || true
        else
                eu-stack "$@" --core="${CORE[$name]}" -e "$EXE" > "$T/eu.out" 2> "$T/eu.err" || true
        fi
        t1=$(now_ns)
        [ -n "$TIME_BIN" ] && rss=$(tail -1 "$T/time.out")
        echo "$name $run $(( (t1 - t0) / 1000 )) $rss $(grep -c '^#' "$T/eu.out" || true)" >> "$T/$log"
}

# The debug file cache (DebugInfoCacheDirectory=), filled by one untimed run of each workload.
mkdir -m 755 "$T/dcache"
for wl in "${WORKLOADS[@]}"; do run_ours "${wl%%:*}" 0 warm "$T/dcache"; done
: > "$T/ours"
: > "$T/ourscache"
: > "$T/eu"
: > "$T/eudw"
for ((run = 1; run <= RUNS; run++)); do
        for wl in "${WORKLOADS[@]}"; do
                name=${wl%%:*}
                case $((run % 3)) in
                1) run_ours "$name" $run; run_ours "$name" $run ourscache "$T/dcache"; run_eu "$name" $run eu; run_eu "$name" $run eudw -i -s ;;
                2) run_eu "$name" $run eu; run_eu "$name" $run eudw -i -s; run_ours "$name" $run ourscache "$T/dcache"; run_ours "$name" $run ;;
                0) run_eu "$name" $run eudw -i -s; run_ours "$name" $run; run_eu "$name" $run eu; run_ours "$name" $run ourscache "$T/dcache" ;;
                esac
        done
done

# ---- table --------------------------------------------------------------------------------------
mib() { awk -v b="$1" 'BEGIN { printf (b < 1048576 ? "%.0f KiB" : "%.1f MiB"), (b < 1048576 ? b / 1024 : b / 1048576) }'; }
ratio() { # NAME LOG: median over runs of ours' analysis time ÷ that tool's time
        join <(awk -v n="$1" '$1 == n { print $2, $4 }' "$T/ours" | sort) \
             <(awk -v n="$1" '$1 == n { print $2, $3 }' "$T/$2" | sort) |
                awk '{ print $2 / $3 }' | median
}
echo "| workload | full core | compact core | ours: analysis (ms) | ours: child peak RSS (MiB) | ours: build compact (ms) | ours, debug file cache (ms) | its peak RSS (MiB) | eu-stack (ms) | eu-stack peak RSS (MiB) | ours ÷ eu-stack | eu-stack -i -s (ms) | eu-stack -i -s peak RSS (MiB) | ours ÷ eu-stack -i -s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for wl in "${WORKLOADS[@]}"; do
        name=${wl%%:*} label=${wl##*:}
        full=$(stat -c %s "${CORE[$name]}")
        compact=$(awk -v n="$name" '$1 == n { print $3 }' "$T/ours" | median)
        a_ms=$(awk -v n="$name" '$1 == n { print $4 / 1000 }' "$T/ours" | median)
        a_rss=$(awk -v n="$name" '$1 == n { print $5 / 1048576 }' "$T/ours" | median)
        b_ms=$(awk -v n="$name" '$1 == n { print $6 / 1000 }' "$T/ours" | median)
        c_ms=$(awk -v n="$name" '$1 == n { print $4 / 1000 }' "$T/ourscache" | median)
        c_rss=$(awk -v n="$name" '$1 == n { print $5 / 1048576 }' "$T/ourscache" | median)
        cols=$(printf ' %.1f | %.1f |' "$c_ms" "$c_rss")
        for log in eu eudw; do
                e_ms=$(awk -v n="$name" '$1 == n { print $3 / 1000 }' "$T/$log" | median)
                e_rss=—
                [ -n "$TIME_BIN" ] && e_rss=$(printf '%.1f' "$(awk -v n="$name" '$1 == n { print $4 / 1024 }' "$T/$log" | median)")
                cols+=$(printf ' %.1f | %s | %.2f× |' "$e_ms" "$e_rss" "$(ratio "$name" $log)")
        done
        printf '| %s | %s | %s | %.1f | %.1f | %.1f |%s\n' "$label" "$(mib "$full")" \
                "$(mib "$compact")" "$a_ms" "$a_rss" "$b_ms" "$cols"
done
# What each side produced, so a fast but empty trace would show.
for wl in "${WORKLOADS[@]}"; do
        name=${wl%%:*}
        echo "$name: ours text lines $(awk -v n="$name" '$1 == n { print $7 }' "$T/ours" | sort -u | paste -sd,)" \
             "(with the cache $(awk -v n="$name" '$1 == n { print $7 }' "$T/ourscache" | sort -u | paste -sd,))," \
             "partial $(awk -v n="$name" '$1 == n { print $8 }' "$T/ours" | sort -u | paste -sd,);" \
             "eu-stack frames $(awk -v n="$name" '$1 == n { print $5 }' "$T/eu" | sort -u | paste -sd,)," \
             "eu-stack -i -s frames $(awk -v n="$name" '$1 == n { print $5 }' "$T/eudw" | sort -u | paste -sd,)" >&2
done
