#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs dependencies, builds, and runs every suite (unit, fuzz replay, root when root), then
# a sanitizer build (ASan+UBSan) of the unit and fuzz-replay suites. Ends with one line
# "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

"$top/tools/install-deps.sh" --tests

declare -i passed=0 failed=0 skipped=0
# Adds a meson build directory's results to the totals.
tally() {
        local counts
        counts=$(python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
        read -r p f s <<< "$counts"
        passed+=p failed+=f skipped+=s
}

run_suites() { # BUILD-DIR MESON-SETUP-ARGS... -- MESON-TEST-ARGS...
        local dir=$1; shift
        local setup=() test=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do setup+=("$1"); shift; done
        [ $# -gt 0 ] && shift
        test=("$@")
        local log rc=0
        log=$(mktemp)
        if [ -f "$dir/build.ninja" ]; then
                meson setup --reconfigure "$dir" "${setup[@]}" > "$log" 2>&1 || rc=$?
        else
                rm -rf "$dir"
                meson setup "$dir" "${setup[@]}" > "$log" 2>&1 || rc=$?
        fi
        [ $rc = 0 ] && { ninja -C "$dir" > "$log" 2>&1 || rc=$?; }
        if [ $rc != 0 ]; then
                cat "$log"
                rm -f "$log"
                echo "run-tests: building in $dir failed" >&2
                failed+=1
                return 1
        fi
        rm -f "$log"
        meson test -C "$dir" --print-errorlogs "${test[@]}" || rc=$?
        tally "$dir"
        return $rc
}

rc=0
run_suites build -- || rc=1
run_suites build-sanitize -Db_sanitize=address,undefined -Db_lundef=false -- --suite unit --suite fuzz || rc=1

echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $rc
