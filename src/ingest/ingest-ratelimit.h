/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-executable rate limit of stored cores (RateLimitIntervalSec=, RateLimitBurst=). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

typedef struct IngestRatelimit IngestRatelimit;

/* What the limiter decided for one crash. */
typedef struct IngestRatelimitVerdict {
        bool allowed;          /* within the burst: the core may be stored */
        uint64_t refused;      /* refused cores of this executable in the current interval,
                                * counting this one when it is refused */
        uint64_t refused_before; /* when allowed and a new interval began: how many the previous
                                  * interval refused (to be reported once), else 0 */
} IngestRatelimitVerdict;

/* Not thread-safe: the caller serializes. Returns 0 or -ENOMEM. */
int ingest_ratelimit_new(IngestRatelimit **ret);
IngestRatelimit *ingest_ratelimit_free(IngestRatelimit *rl);
DEFINE_TRIVIAL_CLEANUP_FUNC(IngestRatelimit *, ingest_ratelimit_free);

/* Counts a crash of exe (NULL or "" counts under one shared key) at now_usec (monotonic) against
 * burst crashes per interval_usec; interval 0 or burst 0 disables the limit (always allowed). At
 * most RATELIMIT_EXECUTABLES_MAX executables are remembered; a new one replaces the one whose
 * interval began longest ago. Returns 0 or -ENOMEM. */
int ingest_ratelimit_check(IngestRatelimit *rl, const char *exe, uint64_t now_usec, uint64_t interval_usec,
                           unsigned burst, IngestRatelimitVerdict *ret);
