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

# Stops a process we started: SIGTERM, then SIGKILL after 5 s.
stop_pid() { # PID
        local i
        kill "$1" 2> /dev/null || return 0
        for ((i = 0; i < 50; i++)); do
                kill -0 "$1" 2> /dev/null || break
                sleep 0.1
        done
        kill -9 "$1" 2> /dev/null || true
        wait "$1" 2> /dev/null || true
}

# systemd-coredump as its package runs it, without PID 1: systemd-socket-activate stands in for
# systemd-coredump.socket (Accept=yes), each connection running the service behind the resource
# wrapper $T/w; a default journald is started when none runs. Sets SYSTEMD=0 with SYSTEMD_NOTE
# saying why when it cannot be run, and JOURNALD_NOTE; everything started is stopped at exit.
SD_COREDUMP=/lib/systemd/systemd-coredump
SD_SOCKET=/run/systemd/coredump
SD_JOURNAL_SOCKET=/run/systemd/journal/socket
SD_STORE=/var/lib/systemd/coredump
sd_coredump_start() {
        local d _
        SYSTEMD_NOTE=
        if [ $SYSTEMD = 1 ] && [ ! -x $SD_COREDUMP ]; then
                SYSTEMD=0 SYSTEMD_NOTE="$SD_COREDUMP is not installed"
        fi
        if [ $SYSTEMD = 1 ] && ! command -v systemd-socket-activate > /dev/null; then
                SYSTEMD=0 SYSTEMD_NOTE="systemd-socket-activate is not installed"
        fi
        if [ $SYSTEMD = 1 ] && { [ -e $SD_SOCKET ] || socket_alive $SD_SOCKET seqpacket; }; then
                SYSTEMD=0 SYSTEMD_NOTE="$SD_SOCKET already exists (not ours to replace)"
        fi
        JOURNALD_NOTE=
        if [ $SYSTEMD = 1 ]; then
                if socket_alive $SD_JOURNAL_SOCKET dgram; then
                        JOURNALD_NOTE="the default journald that was already running"
                else
                        for d in /run/log/journal/$machine_id /var/log/journal/$machine_id /run/systemd/journal; do
                                [ -e "$d" ] || on_exit "rm -rf $d"
                        done
                        /lib/systemd/systemd-journald > /dev/null 2>&1 9>&- &
                        sd_journald_pid=$!
                        on_exit "stop_pid $sd_journald_pid"
                        for _ in $(seq 100); do socket_alive $SD_JOURNAL_SOCKET dgram && break; sleep 0.05; done
                        socket_alive $SD_JOURNAL_SOCKET dgram || { echo "default journald did not start" >&2; exit 1; }
                        JOURNALD_NOTE="a default journald started for the run (none was running) and stopped after it"
                fi
                [ -d $SD_STORE ] || on_exit "rmdir $SD_STORE 2> /dev/null"
                # systemd-coredump.socket (Accept=yes) stands in: each connection runs the service, wrapped
                # to account for its resources like the pipe helpers.
                systemd-socket-activate --seqpacket --accept -l $SD_SOCKET "$T/w" svc $SD_COREDUMP > "$T/sa.log" 2>&1 9>&- &
                sa_pid=$!
                on_exit "stop_pid $sa_pid; rm -f $SD_SOCKET"
                for _ in $(seq 100); do [ -S $SD_SOCKET ] && break; sleep 0.05; done
                [ -S $SD_SOCKET ] || { echo "systemd-socket-activate did not listen on $SD_SOCKET: $(cat "$T/sa.log")" >&2; exit 1; }
        fi
}
