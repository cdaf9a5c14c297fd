#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what corejournal needs to build and test on Debian 12, with apt-get, only when missing.
# Installing systemd-coredump (for coredumpctl in the tests) makes its postinst rewrite
# kernel.core_pattern, kernel.core_pipe_limit and fs.suid_dumpable: they are saved under the
# test lock and put back at once.
set -euo pipefail

build_pkgs=(meson ninja-build pkg-config gcc libsystemd-dev libzstd-dev libdw-dev libelf-dev
        libjson-c-dev libacl1-dev libcurl4-openssl-dev)
test_pkgs=(libcmocka-dev clang python3 systemd-journal-remote zstd acl attr gdb util-linux binutils
        iproute2 openssl libc6-dbg)

want=("${build_pkgs[@]}")
[ "${1:-}" = --tests ] && want+=("${test_pkgs[@]}" systemd-coredump)

missing=()
for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
        exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
exec 9>/run/corejournal-test.lock
flock 9
pattern=$(cat /proc/sys/kernel/core_pattern)
pipe_limit=$(cat /proc/sys/kernel/core_pipe_limit)
suid=$(cat /proc/sys/fs/suid_dumpable)
restore() {
        printf '%s\n' "$pattern" > /proc/sys/kernel/core_pattern
        printf '%s\n' "$pipe_limit" > /proc/sys/kernel/core_pipe_limit
        printf '%s\n' "$suid" > /proc/sys/fs/suid_dumpable
}
trap restore EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
