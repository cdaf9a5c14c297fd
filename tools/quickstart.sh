#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs build dependencies, builds, and shows corejournal's main job on an embedded default:
# a crash submitted through corejournal-handler --backtrace lands in a private journald
# namespace and is read back with journalctl. Everything started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (it starts a private journald)" >&2; exit 1; }
tools/install-deps.sh
[ -d build ] || meson setup build -Dtests=false > /dev/null
ninja -C build > /dev/null

ns=corejournal-quickstart
machine_id=$(cat /etc/machine-id)
/lib/systemd/systemd-journald "$ns" > /dev/null 2>&1 &
journald=$!
trap 'kill $journald 2>/dev/null; wait $journald 2>/dev/null; rm -rf "/var/log/journal/$machine_id.$ns" "/run/systemd/journal.$ns"' EXIT
for _ in $(seq 100); do [ -S "/run/systemd/journal.$ns/socket" ] && break; sleep 0.05; done

# The embedded default: a program reporting its own crash, as a Python excepthook does.
printf 'MESSAGE=Process %s (quickstart) of user %s failed with SIGSEGV\nCOREJOURNAL_DEMO=1\n\n' $$ "$(id -u)" |
        build/src/ingest/corejournal-handler --namespace="$ns" --backtrace $$ "$(id -u)" "$(id -g)" 11 "$(date +%s)" 0

sleep 0.3
journalctl --namespace="$ns" --no-pager -o verbose MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1
