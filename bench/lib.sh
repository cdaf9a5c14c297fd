# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the benchmarks that borrow the kernel's crash settings (bench/run.sh, bench/storm.sh):
# cleanups run on every exit path, and the test lock around core_pattern, core_pipe_limit and
# suid_dumpable. Source it after setting LOCK.

# ---- cleanup: every exit path gives back what was borrowed ------------------------------------
CLEANUPS=()
LOCKED=0
on_exit() { CLEANUPS+=("$1"); }
cleanup() {
        local rc=$? i
        [ "$LOCKED" = 1 ] && restore_sysctls
        for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
                eval "${CLEANUPS[$i]}" || true
        done
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

restore_sysctls() {
        printf '%s\n' "$SAVED_PATTERN" > /proc/sys/kernel/core_pattern
        printf '%s\n' "$SAVED_PIPE_LIMIT" > /proc/sys/kernel/core_pipe_limit
        printf '%s\n' "$SAVED_SUID" > /proc/sys/fs/suid_dumpable
}
# Takes the lock and saves the three sysctls; lock_end gives them back and releases the lock.
lock_begin() {
        exec 9> "$LOCK"
        flock 9
        SAVED_PATTERN=$(cat /proc/sys/kernel/core_pattern)
        SAVED_PIPE_LIMIT=$(cat /proc/sys/kernel/core_pipe_limit)
        SAVED_SUID=$(cat /proc/sys/fs/suid_dumpable)
        LOCKED=1
}
lock_end() {
        restore_sysctls
        LOCKED=0
        flock -u 9
        exec 9>&-
}

# Whether something accepts connections on a unix socket.
socket_alive() { # PATH TYPE(dgram|seqpacket)
        python3 - "$1" "$2" << 'PY' 2> /dev/null
import socket, sys
t = socket.SOCK_DGRAM if sys.argv[2] == "dgram" else socket.SOCK_SEQPACKET
socket.socket(socket.AF_UNIX, t).connect(sys.argv[1])
PY
}
