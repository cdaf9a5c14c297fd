# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for the root suite. Every test sources this file; it borrows global state
# (sysctls, journald instances) and gives it back on every exit path.
set -euo pipefail

CJ_HANDLER=${CJ_HANDLER:?CJ_HANDLER must point at the built corejournal-handler}
CJ_BUILD_DIR=${CJ_BUILD_DIR:-$(dirname "$(dirname "$CJ_HANDLER")")}
CJ_SOURCE_DIR=${CJ_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CJ_LOCK=/run/corejournal-test.lock

_cj_cleanups=()
_cj_failed=0

# Runs the registered cleanups, last first; installed as the EXIT trap.
_cj_exit() {
        local rc=$?
        local i
        for ((i = ${#_cj_cleanups[@]} - 1; i >= 0; i--)); do
                eval "${_cj_cleanups[$i]}" || true
        done
        exit "$rc"
}
trap _cj_exit EXIT
trap 'exit 130' INT TERM

cj_on_exit() { _cj_cleanups+=("$1"); }

cj_skip() { echo "SKIP: $*"; exit 77; }
cj_fail() { echo "FAIL: $*" >&2; exit 1; }
cj_pass() { echo "ok - $*"; }

cj_require_root() {
        [ "$(id -u)" = 0 ] || cj_skip "needs root (real kernel and journald)"
}

cj_require_cmd() {
        local c
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 || cj_skip "needs $c"
        done
}

# A scratch directory removed at exit.
cj_tmpdir() {
        CJ_TMP=$(mktemp -d /tmp/cj-test.XXXXXX)
        cj_on_exit "rm -rf '$CJ_TMP'"
}

# Starts a private journald namespace; sets CJ_NS, CJ_NS_SOCKET and CJ_JOURNALD_PID. Stopped by PID
# at exit and its journal files removed. Called again with the same name, it starts the namespace
# anew on the same files (after a test stopped it with kill "$CJ_JOURNALD_PID").
cj_journald_start() {
        CJ_NS=${1:-cjtest$$x$RANDOM}
        local machine_id
        machine_id=$(cat /etc/machine-id)
        # Daemons never inherit the test lock (fd 9): one that outlived the test would hold it.
        /lib/systemd/systemd-journald "$CJ_NS" >/dev/null 2>&1 9>&- &
        local pid=$!
        CJ_JOURNALD_PID=$pid
        cj_on_exit "cj_journald_stop $pid '$CJ_NS' '$machine_id'"
        CJ_NS_SOCKET=/run/systemd/journal.$CJ_NS/socket
        local i
        for i in $(seq 100); do
                [ -S "$CJ_NS_SOCKET" ] && break
                sleep 0.05
        done
        [ -S "$CJ_NS_SOCKET" ] || cj_fail "journald namespace $CJ_NS did not start"
        # A namespace journald exits after 30 s without clients; a stdout stream held open keeps
        # it up through long tests (it is closed before journald is stopped).
        python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"corejournal-test\n\n6\n0\n0\n0\n0\n")
time.sleep(86400)' "/run/systemd/journal.$CJ_NS/stdout" 9>&- &
        cj_on_exit "kill $! 2>/dev/null || true"
}

cj_journald_stop() {
        local pid=$1 ns=$2 machine_id=$3
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rm -rf "/var/log/journal/$machine_id.$ns" "/run/log/journal/$machine_id.$ns" "/run/systemd/journal.$ns"
}

# journalctl on the private namespace, after journald has flushed what it received.
cj_journalctl() {
        journalctl --namespace="$CJ_NS" --no-pager "$@"
}

# Waits until a match in the namespace returns at least N entries (default 1).
cj_wait_records() {
        local match=$1 n=${2:-1} i
        for i in $(seq 100); do
                [ "$(cj_journalctl -o export "$match" 2>/dev/null | grep -ac '^__CURSOR=')" -ge "$n" ] && return 0
                sleep 0.1
        done
        cj_fail "expected $n record(s) matching $match in namespace $CJ_NS"
}

# Takes the global test lock and saves the crash sysctls, restoring them at exit.
cj_borrow_sysctls() {
        exec 9>"$CJ_LOCK"
        flock 9
        local pattern pipe_limit suid devkmsg
        pattern=$(cat /proc/sys/kernel/core_pattern)
        pipe_limit=$(cat /proc/sys/kernel/core_pipe_limit)
        suid=$(cat /proc/sys/fs/suid_dumpable)
        devkmsg=$(cat /proc/sys/kernel/printk_devkmsg)
        cj_on_exit "cj_restore_sysctls '$pattern' '$pipe_limit' '$suid' '$devkmsg'"
}

cj_restore_sysctls() {
        printf '%s\n' "$1" > /proc/sys/kernel/core_pattern
        printf '%s\n' "$2" > /proc/sys/kernel/core_pipe_limit
        printf '%s\n' "$3" > /proc/sys/fs/suid_dumpable
        [ -z "${4:-}" ] || printf '%s\n' "$4" > /proc/sys/kernel/printk_devkmsg
}

# Compares two files byte for byte, failing with a message.
cj_assert_same_file() {
        cmp -s "$1" "$2" || cj_fail "$3: $(cmp "$1" "$2" 2>&1 | head -1)"
}

# Points core_pattern at a copy of the handler under a short path (the pattern is cut at 127
# characters), with the given configuration file. Needs cj_borrow_sysctls and cj_tmpdir first.
# Sets CJ_PATTERN_HANDLER.
cj_use_handler() {
        local conf=$1
        CJ_PATTERN_HANDLER=$CJ_TMP/h
        cp "$CJ_HANDLER" "$CJ_PATTERN_HANDLER"
        local pattern="|$CJ_PATTERN_HANDLER --config=$conf %P %u %g %s %t %c %h %d %F %I"
        [ ${#pattern} -le 127 ] || cj_fail "core_pattern too long (${#pattern}): $pattern"
        printf '%s\n' "$pattern" > /proc/sys/kernel/core_pattern
        [ "$(cat /proc/sys/kernel/core_pattern)" = "$pattern" ] || cj_fail "core_pattern not taken"
}

# Runs a command that must die of a signal with a core; prints its PID. Extra environment for
# the command goes before it (env VAR=x ...).
cj_crash() {
        local rc=0 pid
        "$@" > /dev/null 2>&1 &
        pid=$!
        wait $pid || rc=$?
        [ $rc -gt 128 ] || cj_fail "'$*' exited $rc instead of crashing"
        echo $pid
}

# The journal directory of the private namespace, for coredumpctl --directory.
cj_ns_journal_dir() {
        echo "/var/log/journal/$(cat /etc/machine-id).$CJ_NS"
}

# ---- test hosts for the fleet tests: network namespaces joined by a veth pair ----

# Makes a "host" and a "central" network namespace joined by a veth pair (10.231.N.1 and .2,
# N from the PID), removed at exit. Sets CJ_HOST_NS, CJ_CENTRAL_NS, CJ_HOST_LINK (the host's end,
# to take down), CJ_CENTRAL_IP.
cj_netns_pair() {
        cj_require_cmd ip
        local n=$(( $$ % 200 + 20 ))
        CJ_HOST_NS=cjh$$
        CJ_CENTRAL_NS=cjc$$
        CJ_HOST_LINK=cjh$$v
        CJ_CENTRAL_IP=10.231.$n.2
        ip netns add "$CJ_HOST_NS"
        cj_on_exit "ip netns del '$CJ_HOST_NS' 2>/dev/null || true"
        ip netns add "$CJ_CENTRAL_NS"
        cj_on_exit "ip netns del '$CJ_CENTRAL_NS' 2>/dev/null || true"
        ip link add "$CJ_HOST_LINK" netns "$CJ_HOST_NS" type veth peer name "cjc$$v" netns "$CJ_CENTRAL_NS"
        ip -n "$CJ_HOST_NS" addr add "10.231.$n.1/24" dev "$CJ_HOST_LINK"
        ip -n "$CJ_CENTRAL_NS" addr add "$CJ_CENTRAL_IP/24" dev "cjc$$v"
        local ns
        for ns in "$CJ_HOST_NS" "$CJ_CENTRAL_NS"; do
                ip -n "$ns" link set lo up
        done
        ip -n "$CJ_HOST_NS" link set "$CJ_HOST_LINK" up
        ip -n "$CJ_CENTRAL_NS" link set "cjc$$v" up
}

# Takes the host's end of the link down or up.
cj_link() { ip -n "$CJ_HOST_NS" link set "$CJ_HOST_LINK" "$1"; }

# A test CA, a server certificate for CJ_CENTRAL_IP and a client certificate, made now in
# $CJ_TMP/tls (ca.pem, central.{key,pem}, host.{key,pem}).
cj_tls_make() {
        cj_require_cmd openssl
        local d=$CJ_TMP/tls name san
        mkdir -p "$d"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
                -subj "/CN=corejournal test CA" 2>/dev/null
        for name in central host; do
                [ $name = central ] && san="IP:$CJ_CENTRAL_IP" || san="DNS:host"
                openssl req -newkey rsa:2048 -nodes -keyout "$d/$name.key" -out "$d/$name.csr" \
                        -subj "/CN=$name" 2>/dev/null
                printf 'subjectAltName=%s\n' "$san" > "$d/$name.ext"
                openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
                        -out "$d/$name.pem" -days 2 -extfile "$d/$name.ext" 2>/dev/null
        done
}

# Starts systemd-journal-remote in the central namespace: cj_remote_start VAR PORT OUTPUT [ARGS...]
# (ARGS such as --listen-https=… --key=… --cert=…; default --listen-http). Waits until it listens;
# stores its PID in VAR; stopped at exit.
cj_remote_start() {
        local var=$1 port=$2 output=$3
        shift 3
        local listen=("--listen-http=$CJ_CENTRAL_IP:$port")
        [ $# -gt 0 ] && listen=("$@")
        ip netns exec "$CJ_CENTRAL_NS" /lib/systemd/systemd-journal-remote "${listen[@]}" \
                --output="$output" --split-mode=none >> "$CJ_TMP/remote-$port.log" 2>&1 9>&- &
        local pid=$!
        printf -v "$var" '%s' "$pid"
        cj_on_exit "kill -9 $pid 2>/dev/null || true"
        local i
        for i in $(seq 100); do
                ss -N "$CJ_CENTRAL_NS" -ltn 2>/dev/null | grep -q ":$port " && return 0
                sleep 0.05
        done
        cj_fail "systemd-journal-remote did not listen on $port: $(cat "$CJ_TMP/remote-$port.log")"
}

# Counts the entries of a journal file (or files of a directory, given as --directory=D or
# --file=F) matching a field match.
cj_count_in() { journalctl "$1" -o export "$2" 2>/dev/null | grep -ac '^__CURSOR=' || true; }

# Crashes N copies of a crasher fixture at once: all wait behind a barrier (--wait-fd), then it
# opens. Returns when every one has died; their PIDs are in CJ_STORM_PIDS. Needs cj_tmpdir.
cj_storm() { # N CRASHER [CRASHER-ARGS...]
        local n=$1 i
        shift
        rm -f "$CJ_TMP/barrier"
        mkfifo "$CJ_TMP/barrier"
        exec 7<> "$CJ_TMP/barrier"
        CJ_STORM_PIDS=()
        for ((i = 0; i < n; i++)); do
                "$1" --wait-fd 7 "${@:2}" > /dev/null 2>&1 &
                CJ_STORM_PIDS+=($!)
        done
        sleep 0.5
        exec 8> "$CJ_TMP/barrier"
        head -c "$n" /dev/zero >&8
        exec 7>&- 8>&-
        # Only the crashers: a bare wait would also wait for journald and its keeper.
        wait "${CJ_STORM_PIDS[@]}" 2> /dev/null || true
}
