/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rate limit of stored cores per executable and per unit (RateLimitIntervalSec=, RateLimitBurst=). */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

typedef struct IngestRatelimit IngestRatelimit;

/* Which limit refused a crash. */
typedef enum IngestRatelimitScope {
        INGEST_RATELIMIT_EXECUTABLE, /* COREDUMP_EXE */
        INGEST_RATELIMIT_UNIT,       /* COREDUMP_UNIT */
        _INGEST_RATELIMIT_SCOPE_MAX,
        _INGEST_RATELIMIT_SCOPE_INVALID = -EINVAL,
} IngestRatelimitScope;

/* What the limiter decided for one crash. */
typedef struct IngestRatelimitVerdict {
        bool allowed;          /* within both bursts: the core may be stored */
        IngestRatelimitScope limited_by; /* when refused: the executable's limit if it was over,
                                          * else the unit's */
        uint64_t refused;      /* refused cores in the current interval of the limit that refused
                                * this one, counting this one; 0 when allowed */
        uint64_t refused_before; /* when allowed and a new interval began: how many the previous
                                  * interval refused (to be reported once), else 0 */
} IngestRatelimitVerdict;

/* Not thread-safe: the caller serializes. Returns 0 or -ENOMEM. */
int ingest_ratelimit_new(IngestRatelimit **ret);
IngestRatelimit *ingest_ratelimit_free(IngestRatelimit *rl);
DEFINE_TRIVIAL_CLEANUP_FUNC(IngestRatelimit *, ingest_ratelimit_free);

/* "executable", "unit", or NULL. */
const char *ingest_ratelimit_scope_to_string(IngestRatelimitScope scope);

/* Counts a crash of exe in unit at now_usec (monotonic) against burst crashes per interval_usec,
 * once for the executable (NULL or "" counts under one shared key) and once for the unit (NULL or
 * "": no unit limit); the crash is refused when either count is over the burst, and every crash
 * counts against both, refused or not. interval 0 or burst 0 disables the limit (always allowed).
 * At most RATELIMIT_KEYS_MAX executables and units together are remembered; a new one replaces the
 * one whose interval began longest ago. Returns 0 or -ENOMEM. */
int ingest_ratelimit_check(IngestRatelimit *rl, const char *exe, const char *unit, uint64_t now_usec,
                           uint64_t interval_usec, unsigned burst, IngestRatelimitVerdict *ret);
