#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Crash records forwarded by systemd's own engine: real kernel crashes land in the host's journal
# (a private journald namespace), systemd-journal-upload in a "host" network namespace sends them
# to systemd-journal-remote in a "central" one, over HTTPS (a test CA made now) and plain HTTP.
# ForwardCore= decides which cores travel; corejournalctl --directory reads the central store; a
# link cut during a crash storm loses nothing and duplicates nothing.
source "$(dirname "$0")/lib.sh"
cj_require_root
cj_require_cmd journalctl coredumpctl python3 zstd ip openssl ss unshare
[ -x /lib/systemd/systemd-journal-upload ] || cj_skip "needs systemd-journal-upload (package systemd-journal-remote)"
CJ_CTL=${CJ_CTL:-$CJ_BUILD_DIR/src/corejournalctl/corejournalctl}
FIELD="$CJ_SOURCE_DIR/test/root/export-field.py"
cj_borrow_sysctls
cj_tmpdir
chmod 755 "$CJ_TMP"
cj_journald_start
cj_netns_pair
cj_tls_make
TLS=$CJ_TMP/tls
STORE=$CJ_TMP/store
CENTRAL=$CJ_TMP/central
mkdir -p "$CENTRAL/https" "$CENTRAL/http"
ulimit -c unlimited
cp "${CJ_CRASHER:-$CJ_BUILD_DIR/test/fixtures/crasher}" "$CJ_TMP/crasher"
CRASHER=$CJ_TMP/crasher
cp "$CRASHER" "$CJ_TMP/other" # another program: another signature
HOST_JOURNAL=$(cj_ns_journal_dir)

configure() {
        { printf '[Coredump]\nJournalSocket=%s\nStorageDirectory=%s\nSpoolDirectory=%s/spool\n' "$CJ_NS_SOCKET" "$STORE" "$CJ_TMP"
          printf 'StateDirectory=%s/state\nMaxUse=0\nKeepFree=0\n' "$CJ_TMP"
          printf '%s\n' "$@"; } > "$CJ_TMP/c.conf"
}
configure
cj_use_handler "$CJ_TMP/c.conf"

cj_remote_start REMOTE_HTTPS 19533 "$CENTRAL/https/remote.journal" \
        "--listen-https=$CJ_CENTRAL_IP:19533" "--key=$TLS/central.key" "--cert=$TLS/central.pem"
cj_remote_start REMOTE_HTTP 19532 "$CENTRAL/http/remote.journal"

# The uploaders follow the host's journal directory and keep their cursor in a state file, as
# systemd-journal-upload.service does; one per protocol.
UPLOAD_PIDS=()
start_uploader() { # NAME URL [ARGS...]
        local name=$1 url=$2
        shift 2
        ip netns exec "$CJ_HOST_NS" /lib/systemd/systemd-journal-upload --directory="$HOST_JOURNAL" \
                --url="$url" --save-state="$CJ_TMP/upload-$name.state" "$@" >> "$CJ_TMP/upload-$name.log" 2>&1 9>&- &
        local pid=$!
        # SIGKILL: blocked in a transfer over a cut link, it would not see SIGTERM for minutes.
        cj_on_exit "kill -9 $pid 2>/dev/null || true"
        eval "UPLOAD_$name=$pid"
}
start_uploader https "https://$CJ_CENTRAL_IP:19533" --key="$TLS/host.key" --cert="$TLS/host.pem" --trust="$TLS/ca.pem"
start_uploader http "http://$CJ_CENTRAL_IP:19532"

# Restarts an uploader that exited (as Restart= would); its state file resumes at the cursor.
keep_uploaders_up() {
        if ! kill -0 "$UPLOAD_https" 2>/dev/null; then
                echo "# systemd-journal-upload (https) exited; restarting it: $(tail -1 "$CJ_TMP/upload-https.log")"
                start_uploader https "https://$CJ_CENTRAL_IP:19533" --key="$TLS/host.key" --cert="$TLS/host.pem" --trust="$TLS/ca.pem"
        fi
        if ! kill -0 "$UPLOAD_http" 2>/dev/null; then
                echo "# systemd-journal-upload (http) exited; restarting it: $(tail -1 "$CJ_TMP/upload-http.log")"
                start_uploader http "http://$CJ_CENTRAL_IP:19532"
        fi
}

# Waits until the central file holds N entries matching a match (both protocols).
wait_central() {
        local match=$1 n=${2:-1} i
        for i in $(seq 300); do
                if [ "$(cj_count_in --directory="$CENTRAL/https" "$match")" -ge "$n" ] &&
                   [ "$(cj_count_in --directory="$CENTRAL/http" "$match")" -ge "$n" ]; then
                        return 0
                fi
                keep_uploaders_up
                sleep 0.2
        done
        cj_fail "central store: expected $n entries for $match (https $(cj_count_in --directory="$CENTRAL/https" "$match"), http $(cj_count_in --directory="$CENTRAL/http" "$match")); $(tail -2 "$CJ_TMP"/upload-*.log)"
}

# Every field of a record, address fields (__CURSOR, __SEQNUM, …) left out, in order.
fields_of() { # journalctl-args...
        journalctl --no-pager -o export "$@" | python3 -c '
import sys
data = sys.stdin.buffer.read()
out, i = [], 0
while i < len(data):
    nl = data.index(b"\n", i)
    line = data[i:nl]
    if not line:
        i = nl + 1
        continue
    if b"=" in line:
        name, value, i = line.split(b"=", 1)[0], line.split(b"=", 1)[1], nl + 1
    else:
        name = line
        size = int.from_bytes(data[nl + 1:nl + 9], "little")
        value, i = data[nl + 9:nl + 9 + size], nl + 9 + size + 1
    if not name.startswith(b"__"):
        out.append(name + b"=" + value.hex().encode())
sys.stdout.buffer.write(b"\n".join(out) + b"\n")'
}

crash() { # PROGRAM MODE [crasher options...]: prints the PID once the host journal has its record
        local pid
        pid=$(cj_crash "$@")
        cj_wait_records "COREDUMP_PID=$pid"
        echo "$pid"
}

# ---- ForwardCore=first, ForwardCoreFirst=2: three crashes of one bug, the first two carry the core.
configure "ForwardCore=first" "ForwardCoreFirst=2"
p1=$(crash "$CRASHER" segv); p2=$(crash "$CRASHER" segv); p3=$(crash "$CRASHER" segv)
p4=$(crash "$CJ_TMP/other" abort)                      # another bug: its own count
configure "ForwardCore=local"
p5=$(crash "$CRASHER" fpe)
configure "ForwardCore=embed" "ForwardCoreSizeMax=4K"
p6=$(crash "$CRASHER" bus)
for p in $p1 $p2 $p3 $p4 $p5 $p6; do wait_central "COREDUMP_PID=$p"; done

decision() { cj_journalctl -o export "COREDUMP_PID=$1" | "$FIELD" COREJOURNAL_CORE_FORWARD; }
[ "$(decision "$p1")/$(decision "$p2")/$(decision "$p3")/$(decision "$p4")/$(decision "$p5")/$(decision "$p6")" = \
  "embedded/embedded/repeat/embedded/local/size-max" ] ||
        cj_fail "forwarding decisions: $(decision "$p1")/$(decision "$p2")/$(decision "$p3")/$(decision "$p4")/$(decision "$p5")/$(decision "$p6")"
sig1=$(cj_journalctl -o export "COREDUMP_PID=$p1" | "$FIELD" COREJOURNAL_SIGNATURE)
[ -n "$sig1" ] && [ "$sig1" = "$(cj_journalctl -o export "COREDUMP_PID=$p3" | "$FIELD" COREJOURNAL_SIGNATURE)" ] ||
        cj_fail "the three segv crashes do not share a signature"
[ "$(cj_journalctl -o export "COREDUMP_PID=$p5" | "$FIELD" COREJOURNAL_CORE_HOST)" = "$(hostname)" ] ||
        cj_fail "a core kept on the host does not say which host"
cj_pass "ForwardCore=: first two of a signature embedded, the third a repeat; local and size cap kept on the host"

# Every field arrives unchanged — the binary COREDUMP= included — over both protocols.
for p in $p1 $p3 $p5; do
        fields_of --namespace="$CJ_NS" "COREDUMP_PID=$p" > "$CJ_TMP/host.fields"
        for proto in https http; do
                fields_of --directory="$CENTRAL/$proto" "COREDUMP_PID=$p" > "$CJ_TMP/central.fields"
                cj_assert_same_file "$CJ_TMP/host.fields" "$CJ_TMP/central.fields" "record of $p over $proto"
        done
done
[ "$(grep -c '^COREDUMP=' "$CJ_TMP/host.fields")" = 0 ] || cj_fail "ForwardCore=local embedded the core"
fields_of --namespace="$CJ_NS" "COREDUMP_PID=$p1" | grep -q '^COREDUMP=' || cj_fail "no COREDUMP= in an embedded record"
cj_pass "records arrive field for field identical over HTTPS and HTTP"

# ---- The central machine reads them. Its own disk does not have the host's core files: a mount
# namespace hides the storage directory, as another machine would.
central() { unshare -m sh -c 'mount -t tmpfs none "$1" && shift && exec "$@"' sh "$STORE" "$@"; }
central "$CJ_CTL" --directory="$CENTRAL/https" --no-pager list > "$CJ_TMP/central.list"
for p in $p1 $p2 $p3 $p4 $p5 $p6; do grep -qw "$p" "$CJ_TMP/central.list" || cj_fail "central list misses $p: $(cat "$CJ_TMP/central.list")"; done
awk -v p="$p1" '$5 == p' "$CJ_TMP/central.list" | grep -qw journal || cj_fail "embedded core not listed as journal: $(cat "$CJ_TMP/central.list")"
awk -v p="$p5" '$5 == p' "$CJ_TMP/central.list" | grep -qw missing || cj_fail "host-only core not listed as missing: $(cat "$CJ_TMP/central.list")"
for p in $p1 $p2 $p4; do
        "$CJ_CTL" --namespace="$CJ_NS" dump "COREDUMP_PID=$p" -o "$CJ_TMP/host.core" 2> /dev/null
        central "$CJ_CTL" --directory="$CENTRAL/https" dump "COREDUMP_PID=$p" -o "$CJ_TMP/central.core" 2> "$CJ_TMP/err" ||
                cj_fail "central dump of $p: $(tail -1 "$CJ_TMP/err")"
        cj_assert_same_file "$CJ_TMP/host.core" "$CJ_TMP/central.core" "core of $p at the centre"
        central coredumpctl --directory="$CENTRAL/http" dump "COREDUMP_PID=$p" -o "$CJ_TMP/coredumpctl.core" 2> "$CJ_TMP/err" ||
                cj_fail "central coredumpctl dump of $p: $(tail -1 "$CJ_TMP/err")"
        cj_assert_same_file "$CJ_TMP/host.core" "$CJ_TMP/coredumpctl.core" "coredumpctl's dump of $p at the centre"
done
rc=0
central "$CJ_CTL" --directory="$CENTRAL/https" dump "COREDUMP_PID=$p5" -o "$CJ_TMP/x.core" 2> "$CJ_TMP/err" || rc=$?
[ $rc != 0 ] && grep -q "$STORE" "$CJ_TMP/err" || cj_fail "dump of a host-only core at the centre: rc $rc, $(cat "$CJ_TMP/err")"
central "$CJ_CTL" --directory="$CENTRAL/https" --no-pager info "COREDUMP_PID=$p1" > "$CJ_TMP/info"
grep -q "Signature: $sig1" "$CJ_TMP/info" || cj_fail "central info: $(cat "$CJ_TMP/info")"
central "$CJ_CTL" --directory="$CENTRAL/https" --json=short groups > "$CJ_TMP/groups.json"
python3 - "$CJ_TMP/groups.json" "$sig1" <<'PY' || cj_fail "central groups: $(cat "$CJ_TMP/groups.json")"
import json, sys
groups = json.load(open(sys.argv[1]))
g = [g for g in groups if g["signature"] == sys.argv[2]]
assert len(g) == 1 and g[0]["count"] == 5, g  # segv ×3, fpe and bus: all crash in crash_here()
PY
cj_pass "central corejournalctl --directory: list, info, groups; dump byte-identical (and coredumpctl's); a host-only core named with its host file"

# ---- A record from another machine never opens a local file of the same name: an export stream
# made by hand with a foreign _MACHINE_ID, imported with journal-remote.
python3 - "$CJ_TMP/foreign.export" "$CJ_TMP/c.conf" <<'PY'
import sys, time
now = int(time.time() * 1e6)
fields = [("__REALTIME_TIMESTAMP", str(now)), ("__MONOTONIC_TIMESTAMP", "1"),
          ("_BOOT_ID", "0123456789abcdef0123456789abcdef"), ("_MACHINE_ID", "fedcba9876543210fedcba9876543210"),
          ("MESSAGE_ID", "fc2e22bc6ee647b6b90729ab34a250b1"), ("COREDUMP_PID", "777001"), ("COREDUMP_SIGNAL", "11"),
          ("COREDUMP_EXE", "/usr/bin/elsewhere"), ("COREDUMP_FILENAME", sys.argv[2]),
          ("COREJOURNAL_CORE_HOST", "web-7"), ("COREJOURNAL_CORE_FORWARD", "local"), ("MESSAGE", "foreign")]
open(sys.argv[1], "w").write("".join(f"{k}={v}\n" for k, v in fields) + "\n")
PY
/lib/systemd/systemd-journal-remote -o "$CJ_TMP/foreign.journal" - < "$CJ_TMP/foreign.export" 2> /dev/null
"$CJ_CTL" --file="$CJ_TMP/foreign.journal" --no-pager list | grep -q ' remote ' || cj_fail "a foreign record's core is not 'remote': $("$CJ_CTL" --file="$CJ_TMP/foreign.journal" --no-pager list)"
rc=0
"$CJ_CTL" --file="$CJ_TMP/foreign.journal" dump -o "$CJ_TMP/x.core" 2> "$CJ_TMP/err" || rc=$?
[ $rc != 0 ] && grep -q "stayed on host web-7" "$CJ_TMP/err" || cj_fail "dump of a foreign record opened a local file: rc $rc $(cat "$CJ_TMP/err")"
[ ! -s "$CJ_TMP/x.core" ] || cj_fail "dump wrote the local file of the same name"
cj_pass "a record from another machine is 'remote' and its file name is never opened here"

# ---- The link goes down during a storm of 20 crashes and comes back: every record arrives once.
configure "ForwardCore=local"
cj_link down
cj_storm 20 "$CRASHER" segv
cj_wait_records "COREDUMP_EXE=$CRASHER" 25
sleep 2
cj_link up
wait_central "COREDUMP_EXE=$CRASHER" 25
sleep 3 # anything sent twice would show up by now
for proto in https http; do
        journalctl --directory="$CENTRAL/$proto" -o export "COREDUMP_EXE=$CRASHER" | grep -a "^COREJOURNAL_RECORD_ID=" | sort > "$CJ_TMP/ids"
        [ "$(wc -l < "$CJ_TMP/ids")" = 25 ] && [ "$(sort -u "$CJ_TMP/ids" | wc -l)" = 25 ] ||
                cj_fail "$proto: $(wc -l < "$CJ_TMP/ids") records, $(sort -u "$CJ_TMP/ids" | wc -l) distinct, for 25 crashes"
done
cj_pass "link cut during a storm of 20: all 25 records (5 before, 20 during the cut) arrive exactly once over each protocol"
