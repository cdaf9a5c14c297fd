#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The direct sink, for hosts without a local journald: corejournald runs in a "host" network
# namespace serving the kernel's @@ socket mode and uploads each record itself (UploadURL=) to
# systemd-journal-remote in a "central" namespace, over plain HTTP and HTTPS (a test CA made now).
# A server that is down, a link that is cut during a storm, a certificate that does not match and a
# server that refuses a record: nothing is lost, nothing arrives twice.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl coredumpctl python3 zstd ip openssl ss
CJ_DAEMON=${CJ_DAEMON:-$CJ_BUILD_DIR/src/ingest/corejournald}
CJ_CTL=${CJ_CTL:-$CJ_BUILD_DIR/src/corejournalctl/corejournalctl}
FIELD="$CJ_SOURCE_DIR/test/root/export-field.py"
[ "$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')" -ge 6017 ] || cj_skip "the kernel has no @@ socket mode (6.17+)"
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_netns_pair
cj_tls_make
TLS=$CJ_TMP/tls
STORE=$CJ_TMP/store
SPOOL=$CJ_TMP/spool
CENTRAL=$CJ_TMP/central
mkdir -p "$CENTRAL/http" "$CENTRAL/https" "$STORE"
ulimit -c unlimited
cp "${CJ_CRASHER:-$CJ_BUILD_DIR/test/fixtures/crasher}" "$CJ_TMP/crasher"
CRASHER=$CJ_TMP/crasher
SOCKET=$CJ_TMP/kernel
LOG=$CJ_TMP/daemon.log
HTTP_URL=http://$CJ_CENTRAL_IP:19532
HTTPS_URL=https://$CJ_CENTRAL_IP:19533

configure() {
        { printf '[Coredump]\nStorageDirectory=%s\nSpoolDirectory=%s\nStateDirectory=%s/state\n' "$STORE" "$SPOOL" "$CJ_TMP"
          printf 'MaxUse=0\nKeepFree=0\nUploadTimeoutSec=2s\nRateLimitBurst=1000\n'
          printf '%s\n' "$@"; } > "$CJ_TMP/c.conf"
}

DAEMON_PID=
start_daemon() {
        rm -f "$SOCKET"
        ip netns exec "$CJ_HOST_NS" "$CJ_DAEMON" --config="$CJ_TMP/c.conf" --socket="$SOCKET" --workers=4 2>> "$LOG" 9>&- &
        DAEMON_PID=$!
        cj_on_exit "kill -9 $DAEMON_PID 2>/dev/null || true"
        local i
        for i in $(seq 100); do
                [ -S "$SOCKET" ] && return 0
                sleep 0.05
        done
        cj_fail "corejournald did not start: $(cat "$LOG")"
}
stop_daemon() {
        kill -TERM "$DAEMON_PID"
        wait "$DAEMON_PID" 2> /dev/null || true
}

central_count() { cj_count_in --directory="$CENTRAL/$1" "$2"; }
wait_central() { # http|https MATCH [N]
        local i
        for i in $(seq 150); do
                [ "$(central_count "$1" "$2")" -ge "${3:-1}" ] && return 0
                sleep 0.2
        done
        cj_fail "central ($1): expected ${3:-1} entries for $2, got $(central_count "$1" "$2"); daemon: $(tail -3 "$LOG")"
}
spooled() { find "$SPOOL" -maxdepth 1 -name '*.export' 2> /dev/null | wc -l; }

cj_remote_start REMOTE_HTTP 19532 "$CENTRAL/http/remote.journal"
cj_remote_start REMOTE_HTTPS 19533 "$CENTRAL/https/remote.journal" \
        "--listen-https=$CJ_CENTRAL_IP:19533" "--key=$TLS/central.key" "--cert=$TLS/central.pem"

# ---- 1. Plain HTTP, the core embedded (ForwardCore=embed): it arrives byte for byte.
configure "UploadURL=$HTTP_URL" "ForwardCore=embed"
start_daemon
printf '@@%s\n' "$SOCKET" > /proc/sys/kernel/core_pattern
pid=$(cj_crash "$CRASHER" segv)
wait_central http "COREDUMP_PID=$pid"
journalctl --directory="$CENTRAL/http" -o export "COREDUMP_PID=$pid" > "$CJ_TMP/rec.export"
for f in _BOOT_ID _HOSTNAME COREJOURNAL_SIGNATURE COREDUMP_PROC_MAPS COREJOURNAL_CORE_FILENAME; do
        "$FIELD" "$f" < "$CJ_TMP/rec.export" > /dev/null || cj_fail "central record lacks $f"
done
[ "$("$FIELD" COREJOURNAL_SOURCE < "$CJ_TMP/rec.export")" = kernel-socket ] || cj_fail "not a socket-mode record"
file=$("$FIELD" COREJOURNAL_CORE_FILENAME < "$CJ_TMP/rec.export")
zstd -dcq "$file" > "$CJ_TMP/stored.core"
"$CJ_CTL" --directory="$CENTRAL/http" dump "COREDUMP_PID=$pid" -o "$CJ_TMP/central.core" 2> /dev/null
cj_assert_same_file "$CJ_TMP/stored.core" "$CJ_TMP/central.core" "core uploaded by the direct sink"
coredumpctl --directory="$CENTRAL/http" dump "COREDUMP_PID=$pid" -o "$CJ_TMP/coredumpctl.core" 2> /dev/null
cj_assert_same_file "$CJ_TMP/stored.core" "$CJ_TMP/coredumpctl.core" "coredumpctl's dump at the centre"
[ "$(spooled)" = 0 ] || cj_fail "a delivered record was spooled"
cj_pass "direct sink over HTTP: socket-mode crash uploaded with its core; dump identical (ours and coredumpctl's)"

# ---- 2. HTTPS with the test CA and a client certificate.
stop_daemon
configure "UploadURL=$HTTPS_URL" "UploadTrustedCertificateFile=$TLS/ca.pem" \
        "UploadKeyFile=$TLS/host.key" "UploadCertificateFile=$TLS/host.pem"
start_daemon
pid=$(cj_crash "$CRASHER" abort)
wait_central https "COREDUMP_PID=$pid"
cj_pass "direct sink over HTTPS, server certificate checked against the test CA"

# ---- 3. A server certificate the host does not trust (the system's CAs): the record is spooled
# with a one-line reason naming the URL, and uploaded once the configuration is fixed (SIGHUP).
stop_daemon
configure "UploadURL=$HTTPS_URL"
start_daemon
pid_untrusted=$(cj_crash "$CRASHER" segv)
for _ in $(seq 100); do [ "$(spooled)" -ge 1 ] && break; sleep 0.1; done
[ "$(spooled)" = 1 ] || cj_fail "an untrusted server: $(spooled) records spooled; $(tail -2 "$LOG")"
grep "process $pid_untrusted" "$LOG" | grep -q "$HTTPS_URL/upload" || cj_fail "no log line naming the URL: $(tail -2 "$LOG")"
[ "$(central_count https "COREDUMP_PID=$pid_untrusted")" = 0 ] || cj_fail "uploaded to an untrusted server"
configure "UploadURL=$HTTPS_URL" "UploadTrustedCertificateFile=$TLS/ca.pem"
kill -HUP "$DAEMON_PID"
sleep 0.5
pid=$(cj_crash "$CRASHER" segv)
wait_central https "COREDUMP_PID=$pid"
wait_central https "COREDUMP_PID=$pid_untrusted"
[ "$(spooled)" = 0 ] || cj_fail "the spool was not replayed after the fix"
cj_pass "untrusted server certificate: spooled with a reason, uploaded once trusted"

# ---- 4. The server is down for a while: records wait in the spool and each arrives exactly once
# when it is back — through corejournald's own retry or `--replay` (the timer's job), whichever
# runs first (one replay at a time holds the spool's lock).
stop_daemon
configure "UploadURL=$HTTP_URL"
start_daemon
kill "$REMOTE_HTTP"; wait "$REMOTE_HTTP" 2> /dev/null || true
down=()
for i in 1 2 3; do down+=("$(cj_crash "$CRASHER" segv)"); done
for _ in $(seq 100); do [ "$(spooled)" -ge 3 ] && break; sleep 0.1; done
[ "$(spooled)" = 3 ] || cj_fail "server down: $(spooled) records spooled for 3 crashes"
cj_remote_start REMOTE_HTTP 19532 "$CENTRAL/http/remote.journal"
ip netns exec "$CJ_HOST_NS" "$CJ_HANDLER" --config="$CJ_TMP/c.conf" --replay > "$CJ_TMP/replay.out" ||
        cj_fail "replay: $(cat "$CJ_TMP/replay.out")"
for p in "${down[@]}"; do
        wait_central http "COREDUMP_PID=$p"
        [ "$(central_count http "COREDUMP_PID=$p")" = 1 ] || cj_fail "record of $p arrived $(central_count http "COREDUMP_PID=$p") times"
done
ip netns exec "$CJ_HOST_NS" "$CJ_HANDLER" --config="$CJ_TMP/c.conf" --replay | grep -q "replayed 0, remaining 0" ||
        cj_fail "a second replay found work"
cj_pass "server down: 3 crashes spooled, replayed once each when it came back"

# ---- 5. The link is cut during a storm of 20 crashes and restored: every record arrives once.
cj_link down
cj_storm 20 "$CRASHER" segv
pids=("${CJ_STORM_PIDS[@]}")
for _ in $(seq 600); do [ "$(spooled)" -ge 20 ] && break; sleep 0.1; done
[ "$(spooled)" = 20 ] || cj_fail "link down: $(spooled) of 20 records spooled; $(tail -2 "$LOG")"
cj_link up
# The next delivery replays what waits, oldest first.
pid=$(cj_crash "$CRASHER" segv)
wait_central http "COREDUMP_PID=$pid"
for p in "${pids[@]}"; do
        [ "$(central_count http "COREDUMP_PID=$p")" = 1 ] || cj_fail "storm record of $p arrived $(central_count http "COREDUMP_PID=$p") times"
done
[ "$(spooled)" = 0 ] || cj_fail "$(spooled) records left in the spool"
cj_pass "link cut during a storm of 20: spooled, then each uploaded exactly once"

# ---- 6. A server that refuses a record for good (HTTP 4xx) cannot hold back the spool: replay sets
# the record aside as *.rejected (test-collect-spool shows the records behind it still go).
stop_daemon
configure "UploadURL=$HTTP_URL/wrong-path"
printf 'MESSAGE=refused\n' | ip netns exec "$CJ_HOST_NS" "$CJ_HANDLER" --config="$CJ_TMP/c.conf" \
        --backtrace $$ 0 0 11 "$(date +%s)" 0 host 1 2> "$CJ_TMP/bt.err"
[ "$(spooled)" = 1 ] || cj_fail "a refused upload was not spooled: $(cat "$CJ_TMP/bt.err")"
grep -q "HTTP 404" "$CJ_TMP/bt.err" || cj_fail "the error does not give the HTTP status: $(cat "$CJ_TMP/bt.err")"
[ "$(grep -c . "$CJ_TMP/bt.err")" -le 2 ] || cj_fail "more than a reason and where the record is kept: $(cat "$CJ_TMP/bt.err")"
rc=0
ip netns exec "$CJ_HOST_NS" "$CJ_HANDLER" --config="$CJ_TMP/c.conf" --replay > "$CJ_TMP/replay.out" || rc=$?
grep -q "replayed 0, remaining 0, rejected 1" "$CJ_TMP/replay.out" || cj_fail "replay against a refusing server: $(cat "$CJ_TMP/replay.out")"
[ "$(find "$SPOOL" -name '*.rejected' | wc -l)" = 1 ] || cj_fail "no *.rejected file kept"
[ "$(spooled)" = 0 ] || cj_fail "a refused record still waits in the spool"
cj_pass "a record the server refuses (HTTP 404) is set aside as *.rejected, kept, and out of the replay's way"
