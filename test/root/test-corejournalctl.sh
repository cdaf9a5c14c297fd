#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# corejournalctl on real crash records: kernel crashes through core_pattern into a private journald
# namespace (as test-kernel-crash.sh makes them), systemd-coredump's own --backtrace records, and a
# journal file written by systemd-journal-remote from our export stream. Every verb and option is
# checked against what a user sees, and against Debian's coredumpctl where both do the same thing.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl coredumpctl python3 zstd gdb setpriv unshare script
CJ_CTL=${CJ_CTL:?CJ_CTL must point at the built corejournalctl}
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_journald_start
CRASHER="$CJ_BUILD_DIR/test/fixtures/crasher"
[ -x "$CRASHER" ] || cj_fail "crasher fixture not built"
cp "$CRASHER" "$CJ_TMP/crasher"
cp "$CRASHER" "$CJ_TMP/other"
CRASHER=$CJ_TMP/crasher
OTHER=$CJ_TMP/other
STORE=$CJ_TMP/store
mkdir -m 755 "$STORE"
echo 16 > /proc/sys/kernel/core_pipe_limit
ulimit -c unlimited
FIELD="$CJ_SOURCE_DIR/test/root/export-field.py"
NSDIR=$(cj_ns_journal_dir)
CTL=("$CJ_CTL" --no-pager --namespace="$CJ_NS")
COREDUMPCTL=(coredumpctl --no-pager --directory="$NSDIR")

configure() {
        { printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s\nHandoff=no\n' "$CJ_NS_SOCKET" "$STORE"; printf '%s\n' "$@"; } > "$CJ_TMP/c.conf"
}
configure
cj_use_handler "$CJ_TMP/c.conf"

# Runs corejournalctl, keeping stdout, stderr and the exit status: ctl OUT ARGS...
ctl() {
        local out=$1; shift
        rc=0
        "${CTL[@]}" "$@" > "$out" 2> "$out.err" || rc=$?
}
expect_rc() { # WANT WHAT
        [ "$rc" = "$1" ] || cj_fail "$2: exit $rc, expected $1 (stderr: $(cat "$CJ_TMP/o.err" 2>/dev/null))"
}
# The PIDs column of a list output, in order.
pids() { awk 'NR > 1 { print $5 }' "$1" | tr '\n' ' ' | sed 's/ $//'; }
# A JSON check in Python: json_check FILE 'python expression over d'.
json_check() {
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" \
                || cj_fail "JSON check failed: $2 on $(head -c 2000 "$1")"
}
crash() { # records a crash and waits for its record; prints the PID
        local pid
        pid=$(cj_crash "$@")
        cj_wait_records "COREDUMP_PID=$pid"
        echo "$pid"
}

# 1. Crash records of every storage kind, two executables, and systemd-coredump's own records.
p_segv=$(crash "$CRASHER" segv)
p_abort=$(crash "$CRASHER" abort)
p_other=$(crash "$OTHER" fpe)
configure Storage=journal
p_journal=$(crash "$CRASHER" abort)
configure Compress=no
p_raw=$(crash "$CRASHER" segv)
configure Storage=none
p_none=$(crash "$CRASHER" bus)
configure
for p in $p_segv $p_abort $p_other $p_raw; do
        cj_journalctl -o export "COREDUMP_PID=$p" | "$FIELD" COREDUMP_FILENAME > /dev/null || cj_fail "no core file for $p"
done
cj_journalctl -o export "COREDUMP_PID=$p_journal" | "$FIELD" COREDUMP > /dev/null || cj_fail "no embedded core for $p_journal"

# systemd-coredump 252 itself, writing a --backtrace record (MESSAGE_ID 1f4e0a44…) into our
# namespace: in a private mount namespace, a tmpfs over /run/systemd holds our namespace's socket
# where the system journal's would be (the host's /run is not touched).
SD_COREDUMP=/lib/systemd/systemd-coredump
p_sd=
if [ -x "$SD_COREDUMP" ]; then
        sleep 60 & p_sd=$!
        touch "$CJ_TMP/sock"
        printf 'MESSAGE=systemd backtrace record\nCJ_TEST=systemd\n\n' |
                unshare --mount --propagation private sh -c 'mount --bind "$1" "$4" && mount -t tmpfs tmpfs /run/systemd &&
                        mkdir /run/systemd/journal && touch /run/systemd/journal/socket &&
                        mount --bind "$4" /run/systemd/journal/socket && exec "$2" --backtrace "$3" 0 0 5 "$(date +%s)" 0' \
                        sh "$CJ_NS_SOCKET" "$SD_COREDUMP" "$p_sd" "$CJ_TMP/sock" || cj_fail "systemd-coredump --backtrace failed"
        kill "$p_sd"; wait "$p_sd" 2>/dev/null || true
        cj_wait_records CJ_TEST=systemd
        [ "$(cj_journalctl -o export CJ_TEST=systemd | "$FIELD" MESSAGE_ID)" = 1f4e0a44a88649939aaea34fc6da8c95 ] \
                || cj_fail "systemd-coredump's record has another MESSAGE_ID"
fi
ALL="$p_segv $p_abort $p_other $p_journal $p_raw $p_none${p_sd:+ $p_sd}"
cj_pass "records: zstd, journal, uncompressed, none, another executable${p_sd:+, systemd-coredump --backtrace}"

# 2. list: the same table as coredumpctl, byte for byte.
ctl "$CJ_TMP/list" list
expect_rc 0 "list"
[ "$(head -1 "$CJ_TMP/list" | tr -s ' ')" = "TIME PID UID GID SIG COREFILE EXE SIZE" ] || cj_fail "list header: $(head -1 "$CJ_TMP/list")"
[ "$(pids "$CJ_TMP/list")" = "$ALL" ] || cj_fail "list shows '$(pids "$CJ_TMP/list")', expected '$ALL'"
"${COREDUMPCTL[@]}" list > "$CJ_TMP/list.coredumpctl" 2> /dev/null || cj_fail "coredumpctl list failed"
cmp -s "$CJ_TMP/list" "$CJ_TMP/list.coredumpctl" \
        || cj_fail "list differs from coredumpctl's: $(diff "$CJ_TMP/list.coredumpctl" "$CJ_TMP/list")"
row() { grep -E "^\S+ \S+ \S+ \S+ +$1 " "$CJ_TMP/list"; }
row "$p_segv" | grep -q " SIGSEGV present  $CRASHER " || cj_fail "segv row: $(row "$p_segv")"
row "$p_journal" | grep -q " SIGABRT journal  $CRASHER " || cj_fail "journal row: $(row "$p_journal")"
row "$p_none" | grep -q " SIGBUS  none     $CRASHER " || cj_fail "none row: $(row "$p_none")"
row "$p_other" | grep -q " SIGFPE  present  $OTHER " || cj_fail "other row: $(row "$p_other")"
ctl "$CJ_TMP/o" --no-legend list
cmp -s "$CJ_TMP/o" <("${COREDUMPCTL[@]}" --no-legend list 2>/dev/null) || cj_fail "--no-legend differs from coredumpctl's"
grep -q '^TIME' "$CJ_TMP/o" && cj_fail "--no-legend printed the header"
cj_pass "list: the table coredumpctl prints, COREFILE present/journal/none, --no-legend"

# 3. Match rules: PID, COMM, path (absolute and relative), FIELD=VALUE; same field OR, fields AND.
check_list() { # WANT-PIDS ARGS...
        local want=$1; shift
        ctl "$CJ_TMP/o" list "$@"
        expect_rc 0 "list $*"
        [ "$(pids "$CJ_TMP/o")" = "$want" ] || cj_fail "list $*: got '$(pids "$CJ_TMP/o")', expected '$want'"
        # coredumpctl 252 joins a relative path to the working directory without resolving "." and
        # "..", so "./other" finds nothing there; we resolve them.
        [ "${COMPARE:-yes}" = no ] || cmp -s "$CJ_TMP/o" <("${COREDUMPCTL[@]}" list "$@" 2>/dev/null) \
                || cj_fail "list $* differs from coredumpctl's"
}
check_list "$p_abort" "$p_abort"
check_list "$p_segv $p_other" "$p_segv" "$p_other"
check_list "$p_other" other
check_list "$p_other" "$OTHER"
(cd "$CJ_TMP" && COMPARE=no check_list "$p_other" ./other) || exit 1
(cd "$STORE" && COMPARE=no check_list "$p_other" ../store/../other) || exit 1
check_list "$p_abort $p_journal" COREDUMP_SIGNAL=6
check_list "$p_abort $p_other $p_journal" COREDUMP_SIGNAL=6 COREDUMP_SIGNAL=8
check_list "$p_abort $p_journal" crasher COREDUMP_SIGNAL=6
check_list "$p_journal" "$p_journal" "$CRASHER"
ctl "$CJ_TMP/o" list other "$p_segv"
expect_rc 3 "different fields must AND"
grep -qx "corejournalctl: No coredumps found." "$CJ_TMP/o.err" || cj_fail "no 'No coredumps found.': $(cat "$CJ_TMP/o.err")"
ctl "$CJ_TMP/o" -q list other "$p_segv"
expect_rc 3 "-q, nothing found"
[ -s "$CJ_TMP/o.err" ] && cj_fail "-q still printed: $(cat "$CJ_TMP/o.err")"
ctl "$CJ_TMP/o" list 'lower=x'
expect_rc 2 "a match on an invalid field name"
cj_pass "match rules: PID, COMM, absolute and relative paths, FIELD=VALUE, OR within a field, AND across"

# 4. -n, -1, -r, --since, --until, -F.
check_order() { # WANT-PIDS ARGS...
        local want=$1; shift
        ctl "$CJ_TMP/o" "$@"
        expect_rc 0 "$*"
        [ "$(pids "$CJ_TMP/o")" = "$want" ] || cj_fail "$*: got '$(pids "$CJ_TMP/o")', expected '$want'"
}
check_order "$p_segv $p_abort" -n 2
check_order "$(echo $ALL | awk '{ print $NF }')" -1
check_order "$(echo $ALL | tr ' ' '\n' | tac | tr '\n' ' ' | sed 's/ $//')" -r
check_order "$p_journal $p_abort" -r list COREDUMP_SIGNAL=6
t_other=$(cj_journalctl -o export "COREDUMP_PID=$p_other" | "$FIELD" __REALTIME_TIMESTAMP)
t_raw=$(cj_journalctl -o export "COREDUMP_PID=$p_raw" | "$FIELD" __REALTIME_TIMESTAMP)
since=$(python3 -c "print('@%d.%06d' % divmod($t_other, 1000000))")
until=$(python3 -c "print('@%d.%06d' % divmod($t_raw, 1000000))")
check_order "$p_other $p_journal $p_raw" --since="$since" --until="$until"
check_order "$p_raw $p_journal $p_other" -r --since="$since" --until="$until"
check_order "$p_segv $p_abort $p_other" --until="$(python3 -c "print('@%d.%06d' % divmod($t_other, 1000000))")"
ctl "$CJ_TMP/o" --since="$until" --until="$since"
expect_rc 2 "--since after --until"
ctl "$CJ_TMP/o" --since=tomorrow
expect_rc 3 "--since=tomorrow"
ctl "$CJ_TMP/o" -F COREDUMP_PID
[ "$(tr '\n' ' ' < "$CJ_TMP/o" | sed 's/ $//')" = "$ALL" ] || cj_fail "-F COREDUMP_PID: $(cat "$CJ_TMP/o")"
cmp -s "$CJ_TMP/o" <("${COREDUMPCTL[@]}" -F COREDUMP_PID 2>/dev/null) || cj_fail "-F differs from coredumpctl's"
ctl "$CJ_TMP/o" -F COREDUMP_EXE list other
[ "$(cat "$CJ_TMP/o")" = "$OTHER" ] || cj_fail "-F with a match: $(cat "$CJ_TMP/o")"
ctl "$CJ_TMP/o" -F COREDUMP_EXE dump
expect_rc 2 "-F with dump"
cj_pass "-n, -1, -r, --since/--until (both directions), -F"

# 5. info: coredumpctl's block, line for line (the "… ago" part aside).
norm() { sed -E 's/ \([0-9a-z ]+ (ago|left)\)$//; s/^( +Timestamp: .*) \(now\)$/\1/'; }
# Our info adds "Not Stored:" and "Signature:" lines that coredumpctl does not have.
ours_only() { grep -v -e '^    Not Stored: ' -e '^     Signature: '; }
for p in $p_segv $p_journal $p_none $p_raw; do
        ctl "$CJ_TMP/info" info "$p"
        expect_rc 0 "info $p"
        "${COREDUMPCTL[@]}" info "$p" 2> /dev/null | norm > "$CJ_TMP/info.coredumpctl"
        ours_only < "$CJ_TMP/info" | norm > "$CJ_TMP/info.ours"
        cmp -s "$CJ_TMP/info.ours" "$CJ_TMP/info.coredumpctl" \
                || cj_fail "info $p differs from coredumpctl's: $(diff "$CJ_TMP/info.coredumpctl" "$CJ_TMP/info.ours")"
done
ctl "$CJ_TMP/info" info "$p_none"
grep -q '^    Not Stored: ' "$CJ_TMP/info" || cj_fail "info lacks why the core was not stored: $(cat "$CJ_TMP/info")"
ctl "$CJ_TMP/info" info
grep -q "^           PID: $(echo $ALL | awk '{ print $NF }') " "$CJ_TMP/info" || cj_fail "info without matches is not the last record"
[ "$(grep -c '^           PID: ' "$CJ_TMP/info")" = 1 ] || cj_fail "info without matches showed more than one record"
ctl "$CJ_TMP/info" info crasher
[ "$(grep -c '^           PID: ' "$CJ_TMP/info")" = 5 ] || cj_fail "info crasher: $(grep -c '^           PID: ' "$CJ_TMP/info") blocks, expected 5"
cmp -s <(ours_only < "$CJ_TMP/info" | norm) <("${COREDUMPCTL[@]}" info crasher 2>/dev/null | norm) || cj_fail "info of several records differs: $(diff <("${COREDUMPCTL[@]}" info crasher 2>/dev/null | norm) <(norm < "$CJ_TMP/info"))"
if [ -n "$p_sd" ]; then
        ctl "$CJ_TMP/info" info "$p_sd"
        grep -q '^        Reason: 5$' "$CJ_TMP/info" || cj_fail "systemd --backtrace record: no 'Reason: 5': $(cat "$CJ_TMP/info")"
        cmp -s <(ours_only < "$CJ_TMP/info" | norm) <("${COREDUMPCTL[@]}" info "$p_sd" 2>/dev/null | norm) || cj_fail "info of systemd's record differs"
fi
cj_pass "info: coredumpctl's layout for every storage kind and systemd-coredump's own record"

# 6. dump: byte-identical to coredumpctl's dump; stdout, -o, refusal on a terminal, no core.
for p in $p_segv $p_journal $p_raw; do
        ctl "$CJ_TMP/dump.ours" dump "$p"
        expect_rc 0 "dump $p"
        grep -q "^           PID: $p " "$CJ_TMP/dump.ours.err" || cj_fail "dump to stdout: info not on stderr"
        "${COREDUMPCTL[@]}" dump "$p" -o "$CJ_TMP/dump.coredumpctl" > /dev/null 2>&1 || true
        if [ "$p" = "$p_raw" ]; then
                # coredumpctl 252 cannot dump an uncompressed file ("Protocol not supported"): compare with the file.
                file=$(cj_journalctl -o export "COREDUMP_PID=$p" | "$FIELD" COREDUMP_FILENAME)
                cp "$file" "$CJ_TMP/dump.coredumpctl"
        fi
        cj_assert_same_file "$CJ_TMP/dump.coredumpctl" "$CJ_TMP/dump.ours" "dump $p differs from coredumpctl's"
        ctl "$CJ_TMP/o" dump -o "$CJ_TMP/dump.file" "$p"
        expect_rc 0 "dump -o"
        cj_assert_same_file "$CJ_TMP/dump.coredumpctl" "$CJ_TMP/dump.file" "dump -o $p differs"
        [ "$(stat -c %a "$CJ_TMP/dump.file")" = 600 ] || cj_fail "dump -o file mode $(stat -c %a "$CJ_TMP/dump.file")"
        grep -q "^           PID: $p " "$CJ_TMP/o" || cj_fail "dump -o: info not on stdout"
done
gdb -batch -ex bt "$CRASHER" "$CJ_TMP/dump.file" 2>&1 | grep -q crash_here || cj_fail "gdb cannot read the dumped core"
ctl "$CJ_TMP/o" dump COREDUMP_SIGNAL=11
grep -q "More than one entry matches, ignoring rest." "$CJ_TMP/o.err" || cj_fail "no notice about several matches"
rc=0; script -qec "${CTL[*]} dump $p_segv" /dev/null > "$CJ_TMP/tty.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "refusing to write a core to a terminal" "$CJ_TMP/tty.out" || cj_fail "dump to a terminal: exit $rc, $(cat "$CJ_TMP/tty.out")"
ctl "$CJ_TMP/o" dump "$p_none"
expect_rc 1 "dump of a record without a core"
grep -q "has no core" "$CJ_TMP/o.err" || cj_fail "dump without core: $(cat "$CJ_TMP/o.err")"
ctl "$CJ_TMP/o" dump -o "$CJ_TMP/none.core" "$p_none"
[ -e "$CJ_TMP/none.core" ] && cj_fail "a failed dump left its output file"
ctl "$CJ_TMP/o" dump 999999999
expect_rc 3 "dump with nothing matching"
cj_pass "dump: zstd, journal and uncompressed cores byte-identical to coredumpctl's; -o 0600; tty refused"

# 7. debug: the debugger gets the executable and an uncompressed temporary core, removed afterwards.
cat > "$CJ_TMP/debugger" <<'EOF'
#!/bin/sh
printf '%s\n' "$@" > "$STUB_ARGS"
for last; do :; done
cp "$last" "$STUB_CORE"
EOF
chmod +x "$CJ_TMP/debugger"
export STUB_ARGS=$CJ_TMP/stub.args STUB_CORE=$CJ_TMP/stub.core
mkdir "$CJ_TMP/tmp"
for p in $p_segv $p_journal $p_raw; do
        rm -f "$STUB_ARGS" "$STUB_CORE"
        rc=0
        COREJOURNAL_DEBUGGER=$CJ_TMP/debugger TMPDIR=$CJ_TMP/tmp "${CTL[@]}" debug -A "--batch -ex 'info threads'" "$p" > "$CJ_TMP/o" 2>&1 || rc=$?
        expect_rc 0 "debug $p"
        mapfile -t argv < "$STUB_ARGS"
        [ "${argv[0]}" = --batch ] && [ "${argv[1]}" = -ex ] && [ "${argv[2]}" = "info threads" ] || cj_fail "debugger arguments: ${argv[*]}"
        [ "${argv[3]}" = "$CRASHER" ] && [ "${argv[4]}" = -c ] || cj_fail "debugger got '${argv[*]}', expected the executable and -c"
        "${CTL[@]}" dump "$p" > "$CJ_TMP/want.core" 2> /dev/null
        cj_assert_same_file "$CJ_TMP/want.core" "$STUB_CORE" "the debugger's core differs from the dump"
        if [ "$p" = "$p_raw" ]; then
                [ "${argv[5]}" = "$(cj_journalctl -o export "COREDUMP_PID=$p" | "$FIELD" COREDUMP_FILENAME)" ] \
                        || cj_fail "an uncompressed core should be passed as stored: ${argv[5]}"
        else
                case "${argv[5]}" in "$CJ_TMP/tmp/corejournalctl-core-"*) ;; *) cj_fail "temporary core in the wrong place: ${argv[5]}" ;; esac
                [ -e "${argv[5]}" ] && cj_fail "the temporary core ${argv[5]} was not removed"
        fi
done
[ -z "$(ls -A "$CJ_TMP/tmp")" ] || cj_fail "debug left files in TMPDIR: $(ls -A "$CJ_TMP/tmp")"
rc=0; "${CTL[@]}" debug --debugger=gdb -A "-batch -ex bt" "$p_segv" > "$CJ_TMP/gdb.out" 2>&1 || rc=$?
expect_rc 0 "debug with gdb"
grep -q crash_here "$CJ_TMP/gdb.out" || cj_fail "gdb backtrace lacks crash_here: $(tail -5 "$CJ_TMP/gdb.out")"
rc=0; "${CTL[@]}" debug --debugger="$CJ_TMP/no-such-debugger" "$p_segv" > "$CJ_TMP/o" 2>&1 || rc=$?
expect_rc 1 "a missing debugger"
rc=0; "${CTL[@]}" debug "$p_none" > "$CJ_TMP/o" 2>&1 || rc=$?
expect_rc 1 "debug without a core"
cj_pass "debug: argv (exe, -c, core, -A split), temporary copy removed, real gdb backtrace"

# 8. --json on every verb.
ctl "$CJ_TMP/j" --json list
json_check "$CJ_TMP/j" "len(d) == len('$ALL'.split()) and all(set(['time','pid','uid','gid','sig','corefile','exe','size']) <= set(r) for r in d)"
json_check "$CJ_TMP/j" "[r['pid'] for r in d] == [int(x) for x in '$ALL'.split()]"
json_check "$CJ_TMP/j" "[r['corefile'] for r in d if r['pid'] in ($p_segv, $p_journal, $p_none)] == ['present', 'journal', 'none']"
json_check "$CJ_TMP/j" "[(r['sig'], r['signal_name']) for r in d if r['pid'] == $p_segv] == [(11, 'SIGSEGV')]"
"${COREDUMPCTL[@]}" --json=short list > "$CJ_TMP/j.coredumpctl" 2> /dev/null
python3 - "$CJ_TMP/j" "$CJ_TMP/j.coredumpctl" <<'EOF' || cj_fail "--json list disagrees with coredumpctl's --json"
import json, sys
ours, theirs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
keys = ['time', 'pid', 'uid', 'gid', 'sig', 'corefile', 'exe', 'size']
a = [{k: r[k] for k in keys} for r in ours]
b = [{k: r.get(k) for k in keys} for r in theirs]
if a != b:
    print(a, b, sep='\n', file=sys.stderr)
    sys.exit(1)
EOF
ctl "$CJ_TMP/j" --json=pretty info "$p_segv"
json_check "$CJ_TMP/j" "len(d) == 1 and d[0]['pid'] == $p_segv and d[0]['signal'] == 11 and d[0]['exe'] == '$CRASHER' and d[0]['storage']['state'] == 'present'"
json_check "$CJ_TMP/j" "d[0]['storage']['filename'].startswith('$STORE/core.crasher.0.') and d[0]['storage']['size_on_disk'] > 0 and d[0]['message'].startswith('Process $p_segv (crasher)')"
ctl "$CJ_TMP/j" --json info "$p_none"
json_check "$CJ_TMP/j" "d[0]['storage']['state'] == 'none' and d[0]['storage']['not_stored'] == 'storage-none'"
ctl "$CJ_TMP/j" --json -F COREDUMP_SIGNAL list crasher
json_check "$CJ_TMP/j" "d == ['11', '6', '6', '11', '7']"
ctl "$CJ_TMP/j" --json groups
json_check "$CJ_TMP/j" "all(set(['signature','executable','count','first_seen','last_seen','executables','signals','top_frames']) <= set(g) for g in d)"
ctl "$CJ_TMP/dump.ours" --json dump "$p_segv"
json_check "$CJ_TMP/dump.ours.err" "d['pid'] == $p_segv"
ctl "$CJ_TMP/j" --json disk-usage --storage-dir="$STORE"
json_check "$CJ_TMP/j" "d['files'] == 4 and d['disk_bytes'] > 0 and d['directory'] == '$STORE'"
ctl "$CJ_TMP/j" --json vacuum --storage-dir="$STORE" --dry-run --max-use=1
json_check "$CJ_TMP/j" "d['dry_run'] and len(d['removed']) == 4"
cj_pass "--json: list (same values as coredumpctl --json), info, -F, groups, dump, disk-usage, vacuum (metrics in 10)"

# 9. groups: by COREJOURNAL_SIGNATURE where a record has one, else by executable. The expected
# groups are computed from journalctl's own JSON; two --backtrace records of this shell (no core,
# so no signature) make a group by executable.
SHELL_EXE=$(readlink -f /proc/$$/exe)
for _ in 1 2; do
        printf 'MESSAGE=script crash\nCJ_TEST=bt\n\n' | "$CJ_HANDLER" --namespace="$CJ_NS" --backtrace $$ 0 0 6 "$(date +%s)" 0 \
                || cj_fail "handler --backtrace failed"
done
cj_wait_records CJ_TEST=bt 2
ALL_RECORDS=$(( $(echo $ALL | wc -w) + 2 ))
journalctl --namespace="$CJ_NS" --no-pager -o json \
        --output-fields=COREDUMP_EXE,COREDUMP_COMM,COREJOURNAL_SIGNATURE,COREDUMP_PID,COREJOURNAL_BACKTRACE_JSON \
        MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1 + MESSAGE_ID=1f4e0a44a88649939aaea34fc6da8c95 > "$CJ_TMP/records.json"
cat > "$CJ_TMP/groups.py" <<'EOF'
import collections, json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
groups = json.load(open(sys.argv[2]))
segv, raw, other, shell = sys.argv[3:7]
def key(r):
    sig = r.get('COREJOURNAL_SIGNATURE')
    return ('s', sig) if sig else ('e', r.get('COREDUMP_EXE') or r.get('COREDUMP_COMM') or 'unknown')
def gkey(g):
    return ('s', g['signature']) if g['signature'] else ('e', g['executable'])
want = collections.Counter(key(r) for r in records)
got = {gkey(g): g['count'] for g in groups}
assert got == dict(want), (got, dict(want))
counts = [g['count'] for g in groups]
assert counts == sorted(counts, reverse=True), counts
by_pid = {r['COREDUMP_PID']: key(r) for r in records}
assert by_pid[segv] == by_pid[raw], 'two SIGSEGVs of one executable at one place are apart'
assert by_pid[other] != by_pid[segv], 'another executable is in the same group'
shell_group = [g for g in groups if g['executable'] == shell]
assert shell_group and shell_group[0]['count'] == 2 and shell_group[0]['signature'] is None, shell_group
for r in records:
    if r['COREDUMP_PID'] == segv and r.get('COREJOURNAL_BACKTRACE_JSON'):
        g = [g for g in groups if gkey(g) == key(r)][0]
        assert any('crash_here' in f for f in g['top_frames'] or []), g
EOF
ctl "$CJ_TMP/g" --json groups
expect_rc 0 "groups"
python3 "$CJ_TMP/groups.py" "$CJ_TMP/records.json" "$CJ_TMP/g" "$p_segv" "$p_raw" "$p_other" "$SHELL_EXE" \
        || cj_fail "groups: $(cat "$CJ_TMP/g")"
ctl "$CJ_TMP/g" groups
head -1 "$CJ_TMP/g" | grep -q '^COUNT FIRST SEEN' || cj_fail "groups header: $(head -1 "$CJ_TMP/g")"
grep -E "^ *2 .* - +$SHELL_EXE " "$CJ_TMP/g" > /dev/null || cj_fail "groups table lacks the shell's group: $(cat "$CJ_TMP/g")"
ctl "$CJ_TMP/g" --json groups other
json_check "$CJ_TMP/g" "len(d) == 1 and d[0]['count'] == 1 and d[0]['executables'] == ['$OTHER']"
ctl "$CJ_TMP/g" --json -n 1 groups
json_check "$CJ_TMP/g" "len(d) == 1"
cj_pass "groups: by signature, else by executable; one crash site together, another executable apart"

# 10. metrics: the Prometheus text format, parsed by an independent reader.
cat > "$CJ_TMP/prom.py" <<'EOF'
import re, sys
# The text exposition format 0.0.4: HELP/TYPE lines, then samples "name{label="value",...} number".
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([0-9.eE+-]+|NaN|[+-]Inf)$')
label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)')
typed, helped, values = {}, set(), {}
for n, line in enumerate(open(sys.argv[1], encoding='utf-8').read().split('\n')[:-1], 1):
    if line.startswith('# HELP '):
        helped.add(line.split(' ')[2]); continue
    if line.startswith('# TYPE '):
        _, _, name, kind = line.split(' ')
        assert kind in ('counter', 'gauge'), line
        assert name not in typed, 'TYPE twice: ' + line
        typed[name] = kind; continue
    m = sample.match(line)
    assert m, 'line %d is not a sample: %r' % (n, line)
    name, labels = m.group(1), {}
    assert name in typed and name in helped, 'sample before its TYPE/HELP: ' + line
    rest = m.group(3) or ''
    while rest:
        lm = label.match(rest)
        assert lm, 'bad labels in %r' % line
        labels[lm.group(1)] = lm.group(2).replace('\\n', '\n').replace('\\"', '"').replace('\\\\', '\\')
        rest = rest[lm.end():]
    key = (name, tuple(sorted(labels.items())))
    assert key not in values, 'duplicate series ' + line
    values[key] = float(m.group(4))
for want in sys.argv[2:]:
    name, _, rest = want.partition('{')
    labels = tuple(sorted(tuple(kv.split('=', 1)) for kv in rest.rstrip('}').split(',') if kv)) if rest else ()
    want_value = float(name.split(' ')[1]); name = name.split(' ')[0] if ' ' in name else name
    got = values.get((name.split(' ')[0], labels))
    assert got == want_value, '%s: got %r' % (want, got)
EOF
prom() { python3 "$CJ_TMP/prom.py" "$@" || cj_fail "metrics check failed: $*"; }
ctl "$CJ_TMP/m" metrics --storage-dir="$STORE"
expect_rc 0 "metrics"
n_all=$ALL_RECORDS
python3 - "$CJ_TMP/m" <<EOF || cj_fail "metrics values: $(cat "$CJ_TMP/m")"
import re, subprocess, sys
text = open(sys.argv[1]).read()
subprocess.run([sys.executable, "$CJ_TMP/prom.py", sys.argv[1]], check=True)
def v(series):
    m = re.search('^' + re.escape(series) + r' (\S+)$', text, re.M)
    return float(m.group(1)) if m else None
checks = {
    'corejournal_crashes_total': $n_all,
    'corejournal_crashes_by_executable_total{executable="$CRASHER"}': 5,
    'corejournal_crashes_by_executable_total{executable="$OTHER"}': 1,
    'corejournal_crashes_by_signal_total{signal="SIGABRT"}': 4,  # two kernel crashes, two --backtrace records
    'corejournal_crashes_by_signal_total{signal="SIGFPE"}': 1,
    'corejournal_cores_not_stored_total{reason="storage-none"}': 1,
    'corejournal_storage_files': 4,
}
import collections, json
records = [json.loads(l) for l in open("$CJ_TMP/records.json")]
for sig, n in collections.Counter(r['COREJOURNAL_SIGNATURE'] for r in records if r.get('COREJOURNAL_SIGNATURE')).items():
    checks['corejournal_crashes_by_signature_total{signature="%s"}' % sig] = n
bad = {k: (v(k), want) for k, want in checks.items() if v(k) != want}
assert not bad, bad
assert v('corejournal_core_stored_bytes_total') > 0
EOF
ctl "$CJ_TMP/mj" --json metrics --storage-dir="$STORE"
json_check "$CJ_TMP/mj" "d['crashes'] == $n_all and d['by_executable']['$OTHER'] == 1 and d['not_stored_by_reason'] == {'storage-none': 1} and d['storage_files'] == 4"
ctl "$CJ_TMP/m" metrics other
grep -qx "corejournal_crashes_total 1" "$CJ_TMP/m" || cj_fail "metrics with a match: $(grep crashes_total "$CJ_TMP/m")"
cj_pass "metrics: valid text format; crashes by executable and signal, refusals by reason, storage"

# 11. A journal file from systemd-journal-remote, fed our export stream of kernel crashes.
if [ -x /lib/systemd/systemd-journal-remote ]; then
        configure "ExportFile=$CJ_TMP/stream.export"
        # N records whole in the stream: every record parsed and ended by an empty line.
        complete() {
                python3 - "$CJ_TMP/stream.export" "$1" <<'PY'
import struct, sys
try:
    data = open(sys.argv[1], 'rb').read()
except FileNotFoundError:
    sys.exit(1)
i, n, pids = 0, 0, 0
while i < len(data):
    if data[i:i + 1] == b'\n':
        n, i = n + 1, i + 1
        continue
    nl = data.find(b'\n', i)
    if nl < 0:
        sys.exit(1)
    line = data[i:nl]
    if b'=' in line:
        pids += line.startswith(b'COREDUMP_PID=')
        i = nl + 1
    else:
        if nl + 9 > len(data):
            sys.exit(1)
        (size,) = struct.unpack('<Q', data[nl + 1:nl + 9])
        i = nl + 9 + size + 1
        if i > len(data):
            sys.exit(1)
want = int(sys.argv[2])
sys.exit(0 if n >= want and pids >= want and data.endswith(b'\n\n') else 1)
PY
        }
        wait_stream() {
                for _ in $(seq 100); do complete "$1" && return 0; sleep 0.1; done
                cj_fail "the export stream does not hold $1 whole records"
        }
        # One after the other, so the stream's order is known.
        r1=$(cj_crash "$CRASHER" segv)
        wait_stream 1
        r2=$(cj_crash "$OTHER" abort)
        wait_stream 2
        configure
        /lib/systemd/systemd-journal-remote -o "$CJ_TMP/remote-1.journal" - < "$CJ_TMP/stream.export" 2> "$CJ_TMP/remote.err" \
                || cj_fail "journal-remote refused the stream: $(cat "$CJ_TMP/remote.err")"
        FILECTL=("$CJ_CTL" --no-pager --file="$CJ_TMP/remote-*.journal")
        "${FILECTL[@]}" list > "$CJ_TMP/f" || cj_fail "list --file failed"
        [ "$(pids "$CJ_TMP/f")" = "$r1 $r2" ] || cj_fail "list --file: $(cat "$CJ_TMP/f")"
        coredumpctl --no-pager --file="$CJ_TMP/remote-1.journal" list > "$CJ_TMP/f.coredumpctl" 2>/dev/null
        cmp -s "$CJ_TMP/f" "$CJ_TMP/f.coredumpctl" || cj_fail "list --file differs from coredumpctl's: $(diff "$CJ_TMP/f.coredumpctl" "$CJ_TMP/f")"
        [ "$("${FILECTL[@]}" -F COREDUMP_PID list other)" = "$r2" ] || cj_fail "a COMM match on --file"
        "${FILECTL[@]}" dump "$r1" > "$CJ_TMP/f.core" 2> /dev/null || cj_fail "dump from --file"
        coredumpctl --no-pager --file="$CJ_TMP/remote-1.journal" dump "$r1" -o "$CJ_TMP/f.coredumpctl" > /dev/null 2>&1
        cj_assert_same_file "$CJ_TMP/f.coredumpctl" "$CJ_TMP/f.core" "dump from --file differs from coredumpctl's"
        "${FILECTL[@]}" --json groups > "$CJ_TMP/f.json" || cj_fail "groups --file"
        json_check "$CJ_TMP/f.json" "sorted(e for g in d for e in g['executables']) == sorted(['$CRASHER', '$OTHER']) and len(d) == 2"
        "${FILECTL[@]}" metrics | grep -qx "corejournal_crashes_total 2" || cj_fail "metrics --file"
        "${FILECTL[@]}" info "$r2" > "$CJ_TMP/f.info" && grep -q "^    Executable: $OTHER$" "$CJ_TMP/f.info" || cj_fail "info --file: $(cat "$CJ_TMP/f.info")"
        "$CJ_CTL" --no-pager --directory="$NSDIR" list "$p_other" > "$CJ_TMP/d" || cj_fail "list --directory"
        [ "$(pids "$CJ_TMP/d")" = "$p_other" ] || cj_fail "list --directory: $(cat "$CJ_TMP/d")"
        cj_pass "--file (glob) on a systemd-journal-remote file: list, matches, dump, info, groups, metrics; --directory"
else
        echo "SKIP: systemd-journal-remote not installed"
fi

# 12. Without access to the journal files: a clear error and its own exit status.
as_user() { setpriv --reuid=4242 --regid=4242 --clear-groups "$@"; }
for src in --namespace="$CJ_NS" --directory="$NSDIR" --file="$NSDIR/system.journal"; do
        rc=0; as_user "$CJ_CTL" --no-pager "$src" list > "$CJ_TMP/u" 2> "$CJ_TMP/u.err" || rc=$?
        [ "$rc" = 4 ] || cj_fail "unprivileged $src: exit $rc, $(cat "$CJ_TMP/u.err")"
        [ "$(wc -l < "$CJ_TMP/u.err")" = 1 ] && grep -q "permission denied" "$CJ_TMP/u.err" || cj_fail "unprivileged $src: $(cat "$CJ_TMP/u.err")"
done
mkdir -m 700 "$CJ_TMP/private"
rc=0; as_user "$CJ_CTL" --no-pager disk-usage --storage-dir="$CJ_TMP/private" > /dev/null 2> "$CJ_TMP/u.err" || rc=$?
[ "$rc" = 4 ] || cj_fail "unreadable storage directory: exit $rc, $(cat "$CJ_TMP/u.err")"
cj_pass "no access: one-line 'permission denied', exit status 4"

# 13. Exit statuses for bad usage.
for bad in "--no-such-option" "frobnicate" "-n 0" "--json=yaml" "--since=notadate" "--namespace=x --directory=/tmp" "disk-usage crasher" "-o x list"; do
        rc=0; "$CJ_CTL" $bad > /dev/null 2> "$CJ_TMP/b.err" || rc=$?
        [ "$rc" = 2 ] && [ "$(wc -l < "$CJ_TMP/b.err")" = 1 ] || cj_fail "'$bad': exit $rc, $(cat "$CJ_TMP/b.err")"
done
cj_pass "bad arguments: one-line error, exit status 2"

# 14. disk-usage and vacuum on a copy of the store (systemd's order: the user with most files first, oldest first).
VSTORE=$CJ_TMP/vstore
mkdir "$VSTORE"
i=0
for uid in 1000 1000 1000 2000 2000; do
        i=$((i + 1))
        head -c $((64 * 1024)) /dev/urandom > "$VSTORE/core.prog.$uid.0123456789abcdef0123456789abcdef.$i.$i.zst"
        touch -d "@$((1700000000 + i))" "$VSTORE/core.prog.$uid.0123456789abcdef0123456789abcdef.$i.$i.zst"
done
ln -s /etc/passwd "$VSTORE/core.link.0.x.1.1"
echo keep > "$VSTORE/not-a-core"
"$CJ_CTL" disk-usage --storage-dir="$VSTORE" > "$CJ_TMP/du" || cj_fail "disk-usage failed"
grep -q "in 5 files in $VSTORE" "$CJ_TMP/du" || cj_fail "disk-usage: $(cat "$CJ_TMP/du")"
usage=$("$CJ_CTL" --json disk-usage --storage-dir="$VSTORE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["disk_bytes"])')
per=$((usage / 5))
"$CJ_CTL" vacuum --storage-dir="$VSTORE" --max-use=$((per * 3)) --keep-free=0 > "$CJ_TMP/vac" || cj_fail "vacuum failed: $(cat "$CJ_TMP/vac")"
ls "$VSTORE" | sort > "$CJ_TMP/left"
printf '%s\n' core.link.0.x.1.1 core.prog.1000.0123456789abcdef0123456789abcdef.3.3.zst core.prog.2000.0123456789abcdef0123456789abcdef.4.4.zst \
        core.prog.2000.0123456789abcdef0123456789abcdef.5.5.zst not-a-core | sort > "$CJ_TMP/want"
cmp -s "$CJ_TMP/left" "$CJ_TMP/want" || cj_fail "vacuum removed the wrong files: $(diff "$CJ_TMP/want" "$CJ_TMP/left")"
grep -q "^Removed core.prog.1000.0123456789abcdef0123456789abcdef.1.1.zst" "$CJ_TMP/vac" || cj_fail "vacuum output: $(cat "$CJ_TMP/vac")"
[ -L "$VSTORE/core.link.0.x.1.1" ] && [ -s /etc/passwd ] || cj_fail "vacuum touched a symlink"
cj_pass "disk-usage and vacuum: systemd's order, symlinks and other files left alone"

# 15. Anyone can submit a record naming any file as its core; root's dump opens it only with the
#     sender's rights, so it must not copy a file the sender may not read.
sleep 60 & p_forged=$!
printf 'MESSAGE=forged\nCOREDUMP_FILENAME=/etc/shadow\n\n' |
        setpriv --reuid=4242 --regid=4242 --clear-groups "$CJ_HANDLER" --namespace="$CJ_NS" --backtrace "$p_forged" 4242 4242 11 "$(date +%s)" 0 \
        || cj_fail "a user's --backtrace submission failed"
kill "$p_forged"; wait "$p_forged" 2>/dev/null || true
cj_wait_records "COREDUMP_PID=$p_forged"
ctl "$CJ_TMP/forged" dump "$p_forged"
expect_rc 1 "dump of a record a user sent with COREDUMP_FILENAME"
grep -q "the record was sent by uid 4242, who may not read its COREDUMP_FILENAME /etc/shadow" "$CJ_TMP/forged.err" || cj_fail "forged record: $(cat "$CJ_TMP/forged.err")"
[ -s "$CJ_TMP/forged" ] && cj_fail "dump copied the file a user's record named"
cj_pass "a COREDUMP_FILENAME in a record a user sent is not opened"
