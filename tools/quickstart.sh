#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs build dependencies, builds, and shows corejournal's main job on an embedded default:
# for the duration of this script kernel.core_pattern points at the freshly built handler, a
# bundled demo program crashes, and the crash record is read back from a private journald
# namespace with journalctl. core_pattern and everything started here are restored at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (it sets kernel.core_pattern and starts a private journald)" >&2; exit 1; }
tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build -Dtests=false > /dev/null
ninja -C build > /dev/null

ns=corejournal-quickstart
machine_id=$(cat /etc/machine-id)
work=$(mktemp -d /tmp/corejournal-quickstart.XXXXXX)
chmod 755 "$work"

exec 9> /run/corejournal-test.lock
flock 9
old_pattern=$(cat /proc/sys/kernel/core_pattern)
old_pipe_limit=$(cat /proc/sys/kernel/core_pipe_limit)
journald=
cleanup() {
        printf '%s\n' "$old_pattern" > /proc/sys/kernel/core_pattern
        printf '%s\n' "$old_pipe_limit" > /proc/sys/kernel/core_pipe_limit
        [ -n "$journald" ] && { kill "$journald" 2>/dev/null; wait "$journald" 2>/dev/null; }
        rm -rf "/var/log/journal/$machine_id.$ns" "/run/systemd/journal.$ns" "$work"
}
trap cleanup EXIT

/lib/systemd/systemd-journald "$ns" > /dev/null 2>&1 &
journald=$!
for _ in $(seq 100); do [ -S "/run/systemd/journal.$ns/socket" ] && break; sleep 0.05; done

# The embedded default: the handler delivers to the private namespace and keeps cores in $work.
cp build/src/ingest/corejournal-handler build/test/fixtures/crasher "$work/"
printf '[Coredump]\nJournalSocket=/run/systemd/journal.%s/socket\nStorageDirectory=%s/cores\n' "$ns" "$work" > "$work/c.conf"
printf '|%s/corejournal-handler --config=%s/c.conf %%P %%u %%g %%s %%t %%c %%h %%d %%F %%I\n' "$work" "$work" > /proc/sys/kernel/core_pattern
echo 16 > /proc/sys/kernel/core_pipe_limit
ulimit -c unlimited # a soft limit of 0 would mean "no core", as with systemd-coredump

echo "quickstart: crashing a demo program (SIGSEGV) through kernel.core_pattern..."
( "$work/crasher" segv ) > /dev/null 2>&1 || true # the subshell keeps bash's "Segmentation fault" notice quiet

for _ in $(seq 100); do
        journalctl --namespace="$ns" -q MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1 -o cat 2>/dev/null | grep -q . && break
        sleep 0.1
done
journalctl --namespace="$ns" --no-pager -o verbose MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1
echo
echo "quickstart: stored core files:"
ls -l "$work/cores"
