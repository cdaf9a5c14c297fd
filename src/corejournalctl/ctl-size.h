/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Byte counts as systemd prints and parses them (1024-based K, M, G, …). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Big enough for any formatted size, with room for what the compiler cannot rule out. */
#define CTL_SIZE_STRING_MAX 48

/* "812B", "51.7K", "28.7M" — one decimal, truncated, as systemd's format_bytes(). */
const char *ctl_size_format(uint64_t bytes, char buf[static CTL_SIZE_STRING_MAX]);

/* Parses "1048576", "512K", "1.5G", "4GiB" (suffixes K M G T P E, 1024-based, optional "B" or
 * "iB"). Returns 0, -EINVAL for anything else, -ERANGE when it does not fit 64 bits. */
int ctl_size_parse(const char *s, uint64_t *ret);
