#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --backtrace end to end: records submitted on stdin land in a private journald namespace with
# every byte intact (datagram and sealed-memfd paths), a Python excepthook's submission is
# accepted, bad input sends nothing, and our export stream imports into systemd-journal-remote.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl python3
cj_tmpdir
cj_journald_start
FIELD="$CJ_SOURCE_DIR/test/root/export-field.py"
now=$(date +%s)
# The spool lives in the scratch directory, never in the host's.
printf '[Coredump]\nSpoolDirectory=%s/spool\n' "$CJ_TMP" > "$CJ_TMP/c.conf"
handler() { "$CJ_HANDLER" --config="$CJ_TMP/c.conf" "$@"; }

# Writes one binary-encoded field: name, u64 LE size, value, newline.
binfield() { python3 -c 'import sys,struct; v=open(sys.argv[2],"rb").read(); sys.stdout.buffer.write(sys.argv[1].encode()+b"\n"+struct.pack("<Q",len(v))+v+b"\n")' "$1" "$2"; }

# 1. Binary value with NUL, newline and 0xff; a text field; a trusted field to be dropped.
printf 'a\0b\nc\xffd\n' > "$CJ_TMP/bin.val"
{ printf 'MESSAGE=small crash\nCJ_TEST=small\n_PID=1\n'; binfield CJ_BINARY "$CJ_TMP/bin.val"; printf '\n'; } > "$CJ_TMP/small.rec"
handler --namespace="$CJ_NS" --backtrace $$ "$(id -u)" "$(id -g)" 11 "$now" 0 < "$CJ_TMP/small.rec" 2> "$CJ_TMP/err" \
        || cj_fail "small record not accepted: $(cat "$CJ_TMP/err")"
grep -q "dropped 1 field reserved for journald from the submission: _PID" "$CJ_TMP/err" || cj_fail "no warning for _PID: $(cat "$CJ_TMP/err")"
cj_wait_records CJ_TEST=small
cj_journalctl -o export CJ_TEST=small > "$CJ_TMP/small.export"
"$FIELD" CJ_BINARY < "$CJ_TMP/small.export" > "$CJ_TMP/bin.back"
cj_assert_same_file "$CJ_TMP/bin.val" "$CJ_TMP/bin.back" "binary field changed on the way through journald"
check() { # FIELD EXPECTED
        local got
        got=$("$FIELD" "$1" < "$CJ_TMP/small.export") || cj_fail "field $1 missing"
        [ "$got" = "$2" ] || cj_fail "$1 is '$got', expected '$2'"
}
check MESSAGE_ID fc2e22bc6ee647b6b90729ab34a250b1
check PRIORITY 2
check MESSAGE "small crash"
check COREDUMP_PID $$
check COREDUMP_UID "$(id -u)"
check COREDUMP_GID "$(id -g)"
check COREDUMP_SIGNAL 11
check COREDUMP_SIGNAL_NAME SIGSEGV
check COREDUMP_TIMESTAMP "${now}000000"
check COREDUMP_RLIMIT 0
check COREDUMP_HOSTNAME "$(hostname)"
check COREDUMP_COMM "$(cat /proc/$$/comm)"
check COREDUMP_EXE "$(readlink /proc/$$/exe)"
check COREJOURNAL_SOURCE backtrace
check _PID "$(cj_journalctl -o export CJ_TEST=small | "$FIELD" _PID)" # journald's own, not the submitted 1
[ "$("$FIELD" _PID < "$CJ_TMP/small.export")" != 1 ] || cj_fail "submitted _PID=1 reached the journal"
cj_pass "binary-safe record through the datagram path, with /proc context"

# 2. Several MiB: too big for a datagram, goes through a sealed memfd.
head -c $((5 * 1024 * 1024)) /dev/urandom > "$CJ_TMP/big.val"
{ printf 'CJ_TEST=big\n'; binfield CJ_BIG "$CJ_TMP/big.val"; printf '\n'; } > "$CJ_TMP/big.rec"
handler --namespace="$CJ_NS" --backtrace $$ "$(id -u)" "$(id -g)" 6 "$now" 0 < "$CJ_TMP/big.rec" || cj_fail "big record not accepted"
cj_wait_records CJ_TEST=big
cj_journalctl -o export CJ_TEST=big | "$FIELD" CJ_BIG > "$CJ_TMP/big.back"
cj_assert_same_file "$CJ_TMP/big.val" "$CJ_TMP/big.back" "5 MiB field changed on the memfd path"
cj_pass "5 MiB record through the sealed memfd path"

# 3. A Python excepthook: exception name in the signal slot, the script's argv after RLIMIT.
CJ_HANDLER_CMD="$CJ_HANDLER --config=$CJ_TMP/c.conf --namespace=$CJ_NS" python3 "$CJ_SOURCE_DIR/test/root/python-excepthook.py" --flag 'two words' 2> "$CJ_TMP/py.err" \
        && cj_fail "the excepthook script should exit non-zero after the exception"
cj_wait_records COREDUMP_PYTHON_EXCEPTION_TYPE=ZeroDivisionError
cj_journalctl -o export COREDUMP_PYTHON_EXCEPTION_TYPE=ZeroDivisionError > "$CJ_TMP/py.export"
[ "$("$FIELD" COREDUMP_SIGNAL < "$CJ_TMP/py.export")" = ZeroDivisionError ] || cj_fail "COREDUMP_SIGNAL is not the exception name"
"$FIELD" COREDUMP_SIGNAL_NAME < "$CJ_TMP/py.export" >/dev/null && cj_fail "an exception must not get a SIGNAL_NAME"
"$FIELD" MESSAGE < "$CJ_TMP/py.export" | grep -q "^ZeroDivisionError: division by zero" || cj_fail "traceback missing from MESSAGE"
"$FIELD" MESSAGE < "$CJ_TMP/py.export" | head -1 | grep -q "failed with ZeroDivisionError: division by zero" || cj_fail "MESSAGE first line changed"
[ "$("$FIELD" COREDUMP_PYTHON_EXCEPTION_VALUE < "$CJ_TMP/py.export")" = "division by zero" ] || cj_fail "exception value lost"
"$FIELD" COREDUMP_PYTHON_VERSION < "$CJ_TMP/py.export" | grep -q "^3\." || cj_fail "python version lost"
[ "$("$FIELD" COREDUMP_HOSTNAME < "$CJ_TMP/py.export")" = "$(hostname)" ] || cj_fail "the script name was taken as the host name"
"$FIELD" COREJOURNAL_SCRIPT_CMDLINE < "$CJ_TMP/py.export" | grep -q -- "--flag" || cj_fail "script argv lost"
"$FIELD" COREDUMP_RLIMIT < "$CJ_TMP/py.export" >/dev/null || cj_fail "RLIMIT of -1 was not accepted"
"$FIELD" COREDUMP_CMDLINE < "$CJ_TMP/py.export" | grep -q "python-excepthook.py" || cj_fail "/proc context of the live script missing"
cj_pass "Python excepthook submission lands with every field"

# 4. Malformed input: one-line error, non-zero exit, nothing reaches the journal.
before=$(cj_journalctl -o export MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1 | grep -ac '^__CURSOR=')
for bad in 'CJ_TEST=bad\nlower=x\n\n' 'CJ_TEST=bad\nBIN\n\x05\x00\x00' 'CJ_TEST=bad\nNO_NEWLINE=x'; do
        rc=0
        printf "$bad" | handler --namespace="$CJ_NS" --backtrace $$ 0 0 11 "$now" 0 2> "$CJ_TMP/bad.err" || rc=$?
        [ "$rc" = 65 ] || cj_fail "malformed input exited $rc, expected 65"
        [ "$(wc -l < "$CJ_TMP/bad.err")" = 1 ] || cj_fail "expected a one-line error, got: $(cat "$CJ_TMP/bad.err")"
        grep -q "malformed record on stdin: offset [0-9]*: " "$CJ_TMP/bad.err" || cj_fail "error lacks the offset: $(cat "$CJ_TMP/bad.err")"
done
rc=0; handler --namespace="$CJ_NS" --backtrace notapid 0 0 11 "$now" 0 < /dev/null 2> "$CJ_TMP/bad.err" || rc=$?
[ "$rc" = 2 ] && grep -q "invalid PID 'notapid'" "$CJ_TMP/bad.err" || cj_fail "bad PID: exit $rc, $(cat "$CJ_TMP/bad.err")"
sleep 0.3
after=$(cj_journalctl -o export MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1 | grep -ac '^__CURSOR=')
[ "$before" = "$after" ] || cj_fail "a malformed submission reached the journal"
cj_pass "malformed submissions are refused with a one-line error and send nothing"

# 5. A PID that is gone: the record still lands, without /proc context; no stdin record at all.
sh -c 'exit 0' & gone=$!; wait $gone
handler --namespace="$CJ_NS" --backtrace "$gone" "$(id -u)" "$(id -g)" 6 "$now" 0 < /dev/null 2> "$CJ_TMP/gone.err" || cj_fail "dead PID refused"
cj_wait_records COREDUMP_PID="$gone"
cj_journalctl -o export COREDUMP_PID="$gone" > "$CJ_TMP/gone.export"
"$FIELD" COREDUMP_COMM < "$CJ_TMP/gone.export" > /dev/null && cj_fail "context added for a dead PID"
[ "$("$FIELD" MESSAGE < "$CJ_TMP/gone.export")" = "Process $gone (n/a) of user $(id -u) failed with SIGABRT" ] || cj_fail "synthesized MESSAGE wrong: $("$FIELD" MESSAGE < "$CJ_TMP/gone.export")"
cj_pass "a dead PID still yields a record"

# 6. No journald: a clear warning, and the record waits in the spool instead of being lost;
#    --replay delivers it exactly once, even if an interrupted replay left a copy behind.
{ printf 'CJ_TEST=spooled\n'; binfield CJ_BINARY "$CJ_TMP/bin.val"; printf '\n'; } > "$CJ_TMP/spool.rec"
rc=0; handler --journal-socket=/run/cj-no-such-socket --backtrace $$ 0 0 11 "$now" 0 < "$CJ_TMP/spool.rec" 2> "$CJ_TMP/nojd.err" || rc=$?
[ "$rc" = 0 ] || cj_fail "a spooled record should not fail the submission: exit $rc, $(cat "$CJ_TMP/nojd.err")"
grep -q "no journald listens on /run/cj-no-such-socket" "$CJ_TMP/nojd.err" || cj_fail "no warning about the absent journald: $(cat "$CJ_TMP/nojd.err")"
grep -q "kept in $CJ_TMP/spool/" "$CJ_TMP/nojd.err" || cj_fail "the spool file is not named: $(cat "$CJ_TMP/nojd.err")"
spooled=$(ls "$CJ_TMP/spool")
[ "$(echo "$spooled" | wc -l)" = 1 ] || cj_fail "expected one spooled file, got: $spooled"
cp "$CJ_TMP/spool/$spooled" "$CJ_TMP/spooled.copy"
handler --namespace="$CJ_NS" --replay > "$CJ_TMP/replay.out" || cj_fail "--replay failed"
grep -q "replayed 1, remaining 0" "$CJ_TMP/replay.out" || cj_fail "unexpected replay report: $(cat "$CJ_TMP/replay.out")"
cj_wait_records CJ_TEST=spooled
cj_journalctl -o export CJ_TEST=spooled | "$FIELD" CJ_BINARY > "$CJ_TMP/spool.back"
cj_assert_same_file "$CJ_TMP/bin.val" "$CJ_TMP/spool.back" "binary field changed in the spool"
cp "$CJ_TMP/spooled.copy" "$CJ_TMP/spool/$spooled"
handler --namespace="$CJ_NS" --replay > /dev/null || cj_fail "second --replay failed"
[ -z "$(ls "$CJ_TMP/spool")" ] || cj_fail "the duplicate was not cleared from the spool"
sleep 0.3
[ "$(cj_journalctl -o export CJ_TEST=spooled | grep -ac '^__CURSOR=')" = 1 ] || cj_fail "a replayed record reached the journal twice"
cj_pass "no journald: the record is spooled, replayed once, byte-exact"

# A record neither journald nor the spool takes: exit 75.
chmod 000 "$CJ_TMP/spool"; mv "$CJ_TMP/spool" "$CJ_TMP/spool.off"; touch "$CJ_TMP/spool"
rc=0; handler --journal-socket=/run/cj-no-such-socket --backtrace $$ 0 0 11 "$now" 0 < "$CJ_TMP/small.rec" 2> "$CJ_TMP/nojd.err" || rc=$?
[ "$rc" = 75 ] && grep -q "cannot keep the record in the spool" "$CJ_TMP/nojd.err" || cj_fail "unspoolable record: exit $rc, $(cat "$CJ_TMP/nojd.err")"
rm -f "$CJ_TMP/spool"; chmod 700 "$CJ_TMP/spool.off"; mv "$CJ_TMP/spool.off" "$CJ_TMP/spool"
cj_pass "a record nothing can take fails with exit 75"

# 7. Export stream -> systemd-journal-remote -> journalctl --file, byte-exact.
if command -v /lib/systemd/systemd-journal-remote >/dev/null; then
        handler --output="$CJ_TMP/stream.export" --backtrace $$ "$(id -u)" "$(id -g)" 11 "$now" 0 < "$CJ_TMP/small.rec"
        handler --output="$CJ_TMP/stream.export" --backtrace $$ "$(id -u)" "$(id -g)" 6 "$now" 0 < "$CJ_TMP/big.rec"
        /lib/systemd/systemd-journal-remote -o "$CJ_TMP/remote.journal" - < "$CJ_TMP/stream.export" 2> "$CJ_TMP/remote.err" \
                || cj_fail "journal-remote refused our stream: $(cat "$CJ_TMP/remote.err")"
        journalctl --file="$CJ_TMP/remote.journal" -o export > "$CJ_TMP/remote.export"
        [ "$(grep -ac '^__CURSOR=' "$CJ_TMP/remote.export")" = 2 ] || cj_fail "journal-remote did not store both records"
        "$FIELD" CJ_BINARY < "$CJ_TMP/remote.export" > "$CJ_TMP/remote.bin"
        cj_assert_same_file "$CJ_TMP/bin.val" "$CJ_TMP/remote.bin" "binary field changed through journal-remote"
        "$FIELD" CJ_BIG < "$CJ_TMP/remote.export" > "$CJ_TMP/remote.big"
        cj_assert_same_file "$CJ_TMP/big.val" "$CJ_TMP/remote.big" "big field changed through journal-remote"
        [ "$("$FIELD" _BOOT_ID < "$CJ_TMP/remote.export")" = "$(tr -d - < /proc/sys/kernel/random/boot_id)" ] || cj_fail "_BOOT_ID not carried"
        cj_pass "export stream imported by systemd-journal-remote, byte-exact"
else
        echo "SKIP: systemd-journal-remote not installed"
fi
