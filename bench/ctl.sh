#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# corejournalctl next to Debian's coredumpctl on one journal file of 100,000 entries of which
# 1,000 are crash records (made with systemd-journal-remote from a generated export stream).
# Reports the median of 5 runs of each command and the ratio, measured in the same run.
# usage: bench/ctl.sh [BUILD-DIR]   (needs systemd-journal-remote; coredumpctl if installed)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
ctl=$build/src/corejournalctl/corejournalctl
tmp=$(mktemp -d /tmp/cj-bench-ctl.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

python3 "$top/bench/make-journal.py" 100000 1000 > "$tmp/stream.export"
/lib/systemd/systemd-journal-remote -o "$tmp/bench.journal" - < "$tmp/stream.export" 2> /dev/null
file=$tmp/bench.journal

# Median wall time in milliseconds of 5 runs of a command (output discarded).
median_ms() {
        local t=() i s e
        for i in 1 2 3 4 5; do
                s=$(date +%s%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s%N)
                t+=($(( (e - s) / 1000000 )))
        done
        printf '%s\n' "${t[@]}" | sort -n | sed -n 3p
}

echo "| command | corejournalctl (ms) | coredumpctl (ms) | ratio |"
echo "|---|---:|---:|---:|"
row() { # LABEL CTL-ARGS... -- COREDUMPCTL-ARGS...
        local label=$1; shift
        local a=() b=()
        while [ "$1" != -- ]; do a+=("$1"); shift; done; shift
        b=("$@")
        local ours theirs
        ours=$(median_ms "$ctl" --no-pager --file="$file" "${a[@]}")
        if command -v coredumpctl > /dev/null && [ ${#b[@]} -gt 0 ]; then
                theirs=$(median_ms coredumpctl --no-pager --file="$file" "${b[@]}")
                echo "| $label | $ours | $theirs | $(python3 -c "print(f'{$ours/max($theirs,1):.2f}')") |"
        else
                echo "| $label | $ours | — | — |"
        fi
}
row "list (all 1,000)" list -- list
row "info (one PID)" info 10500 -- info 10500
row "list --json" list --json -- --json=short list
row "metrics" metrics --
row "groups" groups --
