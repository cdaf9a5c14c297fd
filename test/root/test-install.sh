#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --install points core_pattern at the handler and saves what it replaced; a real crash then
# lands in the journal; --uninstall puts the saved values back.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_journald_start
cp "$CJ_HANDLER" "$CJ_TMP/h"
cp "${CJ_CRASHER:-$CJ_BUILD_DIR/test/fixtures/crasher}" "$CJ_TMP/crasher"
printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s/store\nHandoff=no\n' "$CJ_NS_SOCKET" "$CJ_TMP" > "$CJ_TMP/c.conf"
state=$CJ_TMP/state

echo "|/bin/false before-install" > /proc/sys/kernel/core_pattern
echo 0 > /proc/sys/kernel/core_pipe_limit
"$CJ_TMP/h" --state-dir="$state" --config="$CJ_TMP/c.conf" --install || cj_fail "--install failed"
expected="|$CJ_TMP/h --config=$CJ_TMP/c.conf %P %u %g %s %t %c %h %d %F %I"
[ "$(cat /proc/sys/kernel/core_pattern)" = "$expected" ] || cj_fail "core_pattern is '$(cat /proc/sys/kernel/core_pattern)'"
[ "$(cat /proc/sys/kernel/core_pipe_limit)" = 16 ] || cj_fail "core_pipe_limit not raised"
# Installing twice must not save our own pattern over the original.
"$CJ_TMP/h" --state-dir="$state" --config="$CJ_TMP/c.conf" --install || cj_fail "second --install failed"
cj_pass "--install sets core_pattern and core_pipe_limit"

ulimit -c unlimited
pid=$(cj_crash "$CJ_TMP/crasher" segv)
cj_wait_records "COREDUMP_PID=$pid"
cj_pass "a crash after --install reaches the journal"

"$CJ_TMP/h" --state-dir="$state" --uninstall || cj_fail "--uninstall failed"
[ "$(cat /proc/sys/kernel/core_pattern)" = "|/bin/false before-install" ] || cj_fail "core_pattern not restored: $(cat /proc/sys/kernel/core_pattern)"
[ "$(cat /proc/sys/kernel/core_pipe_limit)" = 0 ] || cj_fail "core_pipe_limit not restored"
[ ! -e "$state/saved-sysctl" ] || cj_fail "saved values left behind"
"$CJ_TMP/h" --state-dir="$state" --uninstall 2> "$CJ_TMP/err" || cj_fail "a second --uninstall failed"
grep -q "left alone" "$CJ_TMP/err" || cj_fail "a foreign pattern was not reported as left alone"
[ "$(cat /proc/sys/kernel/core_pattern)" = "|/bin/false before-install" ] || cj_fail "a foreign pattern was changed"
cj_pass "--uninstall restores the saved values and leaves foreign patterns alone"

# A path that would make the pattern too long is refused before anything changes.
long=$CJ_TMP/$(printf 'x%.0s' $(seq 100))
mkdir -p "$long" && cp "$CJ_HANDLER" "$long/h"
rc=0; "$long/h" --state-dir="$state" --install 2> "$CJ_TMP/err" || rc=$?
[ $rc = 2 ] && grep -q "the kernel keeps 127" "$CJ_TMP/err" || cj_fail "an over-long pattern was not refused (exit $rc)"
[ "$(cat /proc/sys/kernel/core_pattern)" = "|/bin/false before-install" ] || cj_fail "a refused --install changed core_pattern"
cj_pass "an over-long core_pattern is refused"

# The journal catalog entry for our MESSAGE_ID parses with the real journalctl.
mkdir -p "$CJ_TMP/catroot/usr/lib/systemd/catalog"
cp "$CJ_SOURCE_DIR/units/corejournal.catalog" "$CJ_TMP/catroot/usr/lib/systemd/catalog/"
journalctl --root="$CJ_TMP/catroot" --update-catalog 2> "$CJ_TMP/cat.err" || cj_fail "catalog rejected: $(cat "$CJ_TMP/cat.err")"
journalctl --root="$CJ_TMP/catroot" --list-catalog 2>/dev/null | grep -q "^fc2e22bc6ee647b6b90729ab34a250b1 corejournal: " || cj_fail "catalog entry not listed"
cj_pass "journal catalog entry for fc2e22bc6ee647b6b90729ab34a250b1"
