/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Timestamps as systemd prints them, and the --since=/--until= forms. */
#pragma once

#include <stdint.h>

#define CTL_USEC_INFINITY UINT64_MAX
#define CTL_USEC_PER_SEC UINT64_C(1000000)

/* Big enough for "Wed 2025-11-22 11:38:32 CEST" and longer zone names. */
#define CTL_TIME_STRING_MAX 64

/* "Sat 2025-11-22 11:38:32 UTC" in local time (weekday in English, as systemd prints it). */
const char *ctl_time_format(uint64_t usec, char buf[static CTL_TIME_STRING_MAX]);

/* systemd's relative form: "20s ago", "1h 44min ago", "3 days ago", "5min left", "now". */
const char *ctl_time_format_relative(uint64_t usec, uint64_t now, char buf[static CTL_TIME_STRING_MAX]);

/* Parses "now", "today", "yesterday", "tomorrow", "@SECONDS[.FRACTION]", "YYYY-MM-DD[ HH:MM[:SS]]"
 * (also with 'T'), "HH:MM[:SS]" (today), and relative times "-1h", "+30min", "2 days ago", "1h 30min
 * ago" against now (µs). Local time. Returns 0 or -EINVAL. */
int ctl_time_parse(const char *s, uint64_t now, uint64_t *ret);
