#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# 200 simultaneous crashes through the pipe helper: with core_pipe_limit raised to 256, every crash
# gets its record and its core (systemd-coredump 252 with its core_pipe_limit of 16 kept 16 of 50).
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_journald_start
STORE=$CJ_TMP/store
printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s\nSpoolDirectory=%s/spool\nMaxUse=0\nKeepFree=0\nHandoff=no\n' \
        "$CJ_NS_SOCKET" "$STORE" "$CJ_TMP" > "$CJ_TMP/c.conf"
cj_use_handler "$CJ_TMP/c.conf"
echo 256 > /proc/sys/kernel/core_pipe_limit
ulimit -c unlimited
cp "${CJ_CRASHER:-$CJ_BUILD_DIR/test/fixtures/crasher}" "$CJ_TMP/storm"
N=200

count() { cj_journalctl -o export "$1" | grep -ac '^__CURSOR='; }

# All crashers block reading fd 7 until the barrier opens, then crash at once.
mkfifo "$CJ_TMP/barrier"
exec 7<> "$CJ_TMP/barrier"
pids=()
for ((i = 0; i < N; i++)); do
        "$CJ_TMP/storm" --wait-fd 7 segv > /dev/null 2>&1 &
        pids+=($!)
done
sleep 1
t0=$(date +%s.%N)
exec 8> "$CJ_TMP/barrier"
head -c "$N" /dev/zero >&8
exec 7>&- 8>&-
# Only the crashers: a bare wait would also wait for journald and its keeper.
wait "${pids[@]}" 2> /dev/null || true
t_reaped=$(date +%s.%N)

for _ in $(seq 600); do
        [ "$(count "COREDUMP_EXE=$CJ_TMP/storm")" -ge "$N" ] && break
        sleep 0.2
done
t1=$(date +%s.%N)
sleep 1
n=$(count "COREDUMP_EXE=$CJ_TMP/storm")
[ "$n" = "$N" ] || cj_fail "$N crashes gave $n records"
[ "$(ls "$STORE" | grep -c '^core\.storm\.')" = "$N" ] || cj_fail "$(ls "$STORE" | grep -c '^core\.storm\.') core files for $N crashes"
[ "$(cj_journalctl -o export "COREDUMP_EXE=$CJ_TMP/storm" | grep -ac '^COREJOURNAL_SIGNATURE=')" = "$N" ] || cj_fail "records without a stack trace signature"
[ -z "$(ls -A "$CJ_TMP/spool" 2>/dev/null)" ] || cj_fail "records were left in the spool"
cj_pass "pipe-mode storm of $N: $N records, $N cores; all reaped $(awk "BEGIN { printf \"%.1f\", $t_reaped - $t0 }") s and last record $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s after release"
