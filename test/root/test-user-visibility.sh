#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Unprivileged use. A regular user's crash is sent to journald with that user's credentials, so a
# journald with persistent storage (SplitMode=uid, its default) files it in user-UID.journal, which
# the user may read: corejournalctl and coredumpctl run as the user show it. Crashes of root, of
# another user and of a setuid-root program stay out of the user's journal, and asking for them
# gets a one-line permission error (exit 4). Both kernel paths (pipe helper and corejournald's @@
# socket), DeliverAsUser=no, and the fall back to root when the user's identity cannot send.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl coredumpctl getfacl setpriv zstd gdb
CJ_CTL=${CJ_CTL:?CJ_CTL must point at the built corejournalctl}
# journald splits journals by user only on persistent storage; a namespace's is
# /var/log/journal/MACHINE.NS, created by journald when /var/log/journal exists.
[ -d /var/log/journal ] || cj_skip "needs /var/log/journal (persistent journal storage)"
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_journald_start
NSDIR=$(cj_ns_journal_dir)
FIELD="$CJ_SOURCE_DIR/test/root/export-field.py"
CRASHER="$CJ_BUILD_DIR/test/fixtures/crasher"
[ -x "$CRASHER" ] || cj_fail "crasher fixture not built"
cp "$CRASHER" "$CJ_TMP/crasher"
CRASHER=$CJ_TMP/crasher
STORE=$CJ_TMP/store
mkdir -m 755 "$STORE"
echo 0 > /proc/sys/fs/suid_dumpable
echo 16 > /proc/sys/kernel/core_pipe_limit
ulimit -c unlimited
# A directory the test user may write to (for dump -o).
mkdir -m 700 "$CJ_TMP/home"
chown 4242:4242 "$CJ_TMP/home"

AS_USER=(setpriv --reuid=4242 --regid=4242 --clear-groups)
AS_OTHER=(setpriv --reuid=4343 --regid=4343 --clear-groups)

configure() {
        { printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s\nSpoolDirectory=%s/spool\n' "$CJ_NS_SOCKET" "$STORE" "$CJ_TMP"
          printf '%s\n' "$@"; } > "$CJ_TMP/c.conf"
}
configure
cj_use_handler "$CJ_TMP/c.conf"

crash() { # records a crash and waits for its record; prints the PID
        local pid
        pid=$(cj_crash "$@")
        cj_wait_records "COREDUMP_PID=$pid"
        echo "$pid"
}
# Records matching $2 in the journal file $1 (0 when the file does not exist).
in_file() {
        [ -e "$1" ] || { echo 0; return; }
        journalctl --file="$1" -o export --no-pager "$2" 2>/dev/null | grep -ac '^__CURSOR=' || true
}
# Fails unless the record of PID $1 is in the journal file named $2 and in no other of the namespace.
expect_only_in() {
        local pid=$1 want=$2 f n
        for f in "$NSDIR"/*.journal; do
                n=$(in_file "$f" "COREDUMP_PID=$pid")
                if [ "$(basename "$f")" = "$want" ]; then
                        [ "$n" = 1 ] || cj_fail "the record of $pid is not in $want (found $n): $(ls "$NSDIR")"
                else
                        [ "$n" = 0 ] || cj_fail "the record of $pid is in $(basename "$f"), expected only in $want"
                fi
        done
}
sender_uid() { cj_journalctl -o export "COREDUMP_PID=$1" | "$FIELD" _UID; }
# corejournalctl as a user, keeping stdout, stderr and the exit status: user_ctl RUNNER OUT ARGS...
user_ctl() {
        local -n runner=$1
        local out=$2; shift 2
        rc=0
        "${runner[@]}" "$CJ_CTL" --no-pager --namespace="$CJ_NS" "$@" > "$out" 2> "$out.err" || rc=$?
}
pids() { awk 'NR > 1 { print $5 }' "$1" | tr '\n' ' ' | sed 's/ $//'; }
# A one-line permission error (exit 4) for OUT.
expect_denied() {
        [ "$rc" = 4 ] || cj_fail "$2: exit $rc, expected 4 (stderr: $(cat "$1.err"))"
        [ "$(wc -l < "$1.err")" = 1 ] && grep -q "^corejournalctl: permission denied: " "$1.err" \
                || cj_fail "$2: expected one 'permission denied' line, got: $(cat "$1.err")"
        [ -s "$1" ] && cj_fail "$2: printed $(cat "$1")"
        true
}

# 1. The pipe helper: a regular user's crash lands in that user's journal, sent as the user.
p_user=$(crash "${AS_USER[@]}" "$CRASHER" segv)
expect_only_in "$p_user" user-4242.journal
[ "$(sender_uid "$p_user")" = 4242 ] || cj_fail "_UID of the user's record is $(sender_uid "$p_user"), expected 4242"
getfacl -p "$NSDIR/user-4242.journal" 2>/dev/null | grep -q '^user:4242:r--' || cj_fail "user-4242.journal has no read ACL for 4242"
cj_pass "pipe helper: the user's crash is in user-4242.journal (_UID=4242), which the user may read"

# 2. Root's crash, another user's crash, and a setuid-root program run by the user
#    (fs.suid_dumpable=2) stay out of the user's journal.
p_root=$(crash "$CRASHER" abort)
expect_only_in "$p_root" system.journal
p_other=$(crash "${AS_OTHER[@]}" "$CRASHER" segv)
expect_only_in "$p_other" user-4343.journal
cp "$CRASHER" "$CJ_TMP/suid-crasher"
chown root:root "$CJ_TMP/suid-crasher"
chmod 4755 "$CJ_TMP/suid-crasher"
echo 2 > /proc/sys/fs/suid_dumpable
p_suid=$(crash "${AS_USER[@]}" "$CJ_TMP/suid-crasher" segv)
echo 0 > /proc/sys/fs/suid_dumpable
expect_only_in "$p_suid" system.journal
[ "$(sender_uid "$p_suid")" = 0 ] || cj_fail "the setuid crash was sent by uid $(sender_uid "$p_suid"), expected root"
[ "$(cj_journalctl -o export "COREDUMP_PID=$p_suid" | "$FIELD" COREDUMP_UID)" = 4242 ] || cj_fail "the setuid crash's COREDUMP_UID"
cj_pass "root's, another user's and a setuid-root crash (suid_dumpable=2) are not in user-4242.journal"

# 3. corejournalctl as the user: their own crash, one line saying what is not shown.
user_ctl AS_USER "$CJ_TMP/u" list
[ "$rc" = 0 ] || cj_fail "user list: exit $rc: $(cat "$CJ_TMP/u.err")"
[ "$(pids "$CJ_TMP/u")" = "$p_user" ] || cj_fail "user list shows '$(pids "$CJ_TMP/u")', expected '$p_user'"
[ "$(wc -l < "$CJ_TMP/u.err")" = 1 ] && grep -q "^corejournalctl: showing only your own crashes: cannot read $NSDIR/" "$CJ_TMP/u.err" \
        || cj_fail "user list: expected one 'showing only your own crashes' line, got: $(cat "$CJ_TMP/u.err")"
user_ctl AS_USER "$CJ_TMP/u" -q list
[ "$rc" = 0 ] && [ ! -s "$CJ_TMP/u.err" ] || cj_fail "user list -q: exit $rc, stderr: $(cat "$CJ_TMP/u.err")"
user_ctl AS_USER "$CJ_TMP/u" info "$p_user"
[ "$rc" = 0 ] && grep -q "^           UID: 4242" "$CJ_TMP/u" || cj_fail "user info: exit $rc: $(cat "$CJ_TMP/u" "$CJ_TMP/u.err")"
user_ctl AS_USER "$CJ_TMP/u" dump "$p_user" -o "$CJ_TMP/home/core"
[ "$rc" = 0 ] || cj_fail "user dump of their own core: exit $rc: $(cat "$CJ_TMP/u.err")"
file=$(cj_journalctl -o export "COREDUMP_PID=$p_user" | "$FIELD" COREDUMP_FILENAME)
zstd -dcq "$file" > "$CJ_TMP/want.core"
cj_assert_same_file "$CJ_TMP/home/core" "$CJ_TMP/want.core" "the user's dump differs from the stored core"
"${AS_USER[@]}" env HOME="$CJ_TMP/home" "$CJ_CTL" --no-pager --namespace="$CJ_NS" -q debug "$p_user" -A "-batch -ex bt" > "$CJ_TMP/u.gdb" 2>&1 \
        || cj_fail "user debug of their own crash failed: $(cat "$CJ_TMP/u.gdb")"
grep -q "in main (" "$CJ_TMP/u.gdb" || cj_fail "user debug: no stack in $(cat "$CJ_TMP/u.gdb")"
cj_pass "corejournalctl as the user: list shows only their crash with one notice (none with -q); info; dump; debug"

# 4. ... and a clear refusal for crashes that are not theirs.
for p in "$p_root" "$p_other" "$p_suid"; do
        user_ctl AS_USER "$CJ_TMP/u" list "$p"
        expect_denied "$CJ_TMP/u" "user list $p"
        user_ctl AS_USER "$CJ_TMP/u" info "$p"
        expect_denied "$CJ_TMP/u" "user info $p"
done
user_ctl AS_USER "$CJ_TMP/u" -q dump "$p_root" -o "$CJ_TMP/home/root.core"
expect_denied "$CJ_TMP/u" "user dump of root's crash"
[ -e "$CJ_TMP/home/root.core" ] && cj_fail "user dump of root's crash left a file"
# The other user sees their own crash and not this user's.
user_ctl AS_OTHER "$CJ_TMP/o" list
[ "$rc" = 0 ] && [ "$(pids "$CJ_TMP/o")" = "$p_other" ] || cj_fail "uid 4343 list: exit $rc, '$(pids "$CJ_TMP/o")'"
cj_pass "crashes of root, another user and a setuid program: one 'permission denied' line, exit 4"

# 5. Root still sees everything, with no notice, and can dump the user's core (opened with the
#    sender's rights).
rc=0; "$CJ_CTL" --no-pager --namespace="$CJ_NS" list > "$CJ_TMP/r" 2> "$CJ_TMP/r.err" || rc=$?
[ "$rc" = 0 ] && [ "$(pids "$CJ_TMP/r")" = "$p_user $p_root $p_other $p_suid" ] && [ ! -s "$CJ_TMP/r.err" ] \
        || cj_fail "root list: exit $rc, '$(pids "$CJ_TMP/r")', stderr: $(cat "$CJ_TMP/r.err")"
"$CJ_CTL" --no-pager --namespace="$CJ_NS" dump "$p_user" -o "$CJ_TMP/r.core" > /dev/null 2>&1 || cj_fail "root dump of the user's crash failed"
cj_assert_same_file "$CJ_TMP/r.core" "$CJ_TMP/want.core" "root's dump of the user's core differs"
"$CJ_CTL" --no-pager --namespace="$CJ_NS" -q debug "$p_user" -A "-batch -ex bt" > "$CJ_TMP/r.gdb" 2>&1 || cj_fail "root debug of the user's crash failed: $(cat "$CJ_TMP/r.gdb")"
grep -q "in main (" "$CJ_TMP/r.gdb" || cj_fail "root debug of the user's crash: no stack in $(cat "$CJ_TMP/r.gdb")"
cj_pass "root: every crash, no notice; dump and debug of a record the user's identity sent"

# 6. Debian's coredumpctl, as the user, reads the same journal files.
rc=0; "${AS_USER[@]}" coredumpctl --no-pager --directory="$NSDIR" list > "$CJ_TMP/c" 2> "$CJ_TMP/c.err" || rc=$?
[ "$rc" = 0 ] || cj_fail "coredumpctl as the user: exit $rc: $(cat "$CJ_TMP/c.err")"
[ "$(pids "$CJ_TMP/c")" = "$p_user" ] || cj_fail "coredumpctl as the user shows '$(pids "$CJ_TMP/c")', expected '$p_user'"
"${AS_USER[@]}" coredumpctl --no-pager --directory="$NSDIR" dump "$p_user" -o "$CJ_TMP/home/c.core" > /dev/null 2>&1 \
        || cj_fail "coredumpctl dump as the user failed"
cj_assert_same_file "$CJ_TMP/home/c.core" "$CJ_TMP/want.core" "coredumpctl's dump as the user differs"
cj_pass "coredumpctl as the user: list shows the same crash, dump works"

# 7. DeliverAsUser=no: the user's crash stays in the system journal.
configure DeliverAsUser=no
p_no=$(crash "${AS_USER[@]}" "$CRASHER" segv)
expect_only_in "$p_no" system.journal
[ "$(sender_uid "$p_no")" = 0 ] || cj_fail "DeliverAsUser=no: sent by uid $(sender_uid "$p_no")"
cj_pass "DeliverAsUser=no: sent as root, in the system journal"

# 8. The user's identity cannot reach the socket (a directory only root may enter): sent as root
#    instead, with a line in the kernel log; the record is not lost.
echo on > /proc/sys/kernel/printk_devkmsg
mkdir -m 700 "$CJ_TMP/private"
ln -s "$CJ_NS_SOCKET" "$CJ_TMP/private/socket"
{ printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s\nSpoolDirectory=%s/spool\n' "$CJ_TMP/private/socket" "$STORE" "$CJ_TMP"; } > "$CJ_TMP/c.conf"
p_fb=$(crash "${AS_USER[@]}" "$CRASHER" segv)
expect_only_in "$p_fb" system.journal
[ "$(sender_uid "$p_fb")" = 0 ] || cj_fail "fallback: sent by uid $(sender_uid "$p_fb")"
for _ in $(seq 100); do
        dmesg > "$CJ_TMP/dmesg"
        grep -q "corejournal-handler\[[0-9]*\]: warning: cannot send the record to $CJ_TMP/private/socket as uid 4242 (Permission denied); sent it as root" "$CJ_TMP/dmesg" && break
        sleep 0.05
done
grep -q "corejournal-handler\[[0-9]*\]: warning: cannot send the record to $CJ_TMP/private/socket as uid 4242 (Permission denied); sent it as root" "$CJ_TMP/dmesg" \
        || cj_fail "no kernel log line about the fallback to root"
[ -z "$(ls -A "$CJ_TMP/spool" 2>/dev/null)" ] || cj_fail "the record was spooled instead of sent as root"
cj_pass "the user's identity cannot send: sent as root (system journal), kernel log line"

# 9. No journald at all: the user's record is spooled, and a replay (as root) delivers it.
{ printf '[Coredump]\nJournalSocket=/run/cj-no-journald-%s\nStorageDirectory=%s\nSpoolDirectory=%s/spool\n' $$ "$STORE" "$CJ_TMP"; } > "$CJ_TMP/c.conf"
pid=$(cj_crash "${AS_USER[@]}" "$CRASHER" segv)
for _ in $(seq 100); do
        [ -n "$(ls -A "$CJ_TMP/spool" 2>/dev/null)" ] && break
        sleep 0.05
done
[ "$(ls "$CJ_TMP/spool" | wc -l)" = 1 ] || cj_fail "the user's record was not spooled"
"$CJ_HANDLER" --config="$CJ_TMP/c.conf" --journal-socket="$CJ_NS_SOCKET" --replay > /dev/null || cj_fail "--replay failed"
cj_wait_records "COREDUMP_PID=$pid"
expect_only_in "$pid" system.journal
cj_pass "no journald: the user's record is spooled and replayed (into the system journal)"
configure

# 10. corejournald (the @@ socket): the same rules.
if grep -qw socket /proc/sys/kernel/core_modes 2>/dev/null || [ "$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')" -ge 6017 ]; then
        SOCKET=$CJ_TMP/kernel
        "${CJ_DAEMON:-$CJ_BUILD_DIR/src/ingest/corejournald}" --config="$CJ_TMP/c.conf" --socket="$SOCKET" --workers=2 2>> "$CJ_TMP/daemon.log" &
        daemon=$!
        cj_on_exit "kill -9 $daemon 2>/dev/null || true"
        for _ in $(seq 100); do
                [ -S "$SOCKET" ] && break
                sleep 0.05
        done
        [ -S "$SOCKET" ] || cj_fail "corejournald did not start: $(cat "$CJ_TMP/daemon.log")"
        printf '@@%s\n' "$SOCKET" > /proc/sys/kernel/core_pattern
        p_duser=$(crash "${AS_USER[@]}" "$CRASHER" segv)
        expect_only_in "$p_duser" user-4242.journal
        [ "$(cj_journalctl -o export "COREDUMP_PID=$p_duser" | "$FIELD" COREJOURNAL_SOURCE)" = kernel-socket ] || cj_fail "not a socket-mode record"
        echo 2 > /proc/sys/fs/suid_dumpable
        p_dsuid=$(crash "${AS_USER[@]}" "$CJ_TMP/suid-crasher" segv)
        echo 0 > /proc/sys/fs/suid_dumpable
        expect_only_in "$p_dsuid" system.journal
        user_ctl AS_USER "$CJ_TMP/u" list
        [ "$rc" = 0 ] && [ "$(pids "$CJ_TMP/u")" = "$p_user $p_duser" ] || cj_fail "user list after socket mode: exit $rc, '$(pids "$CJ_TMP/u")'"
        kill -TERM "$daemon"
        rc=0; wait "$daemon" || rc=$?
        [ "$rc" = 0 ] || cj_fail "corejournald exited $rc: $(tail -5 "$CJ_TMP/daemon.log")"
        cj_pass "corejournald: the user's crash in user-4242.journal, the setuid crash in the system journal"
else
        echo "SKIP: the kernel has no @@ socket mode (6.17+)"
fi
