/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest-ratelimit.h"
#include "input-limits.h"

typedef struct Entry {
        char *key;           /* "e:" + executable or "u:" + unit: one table, two kinds of key */
        uint64_t begin_usec; /* start of the current interval */
        uint64_t count;      /* crashes in the current interval */
        uint64_t refused;    /* of which refused */
} Entry;

struct IngestRatelimit {
        Entry entries[RATELIMIT_KEYS_MAX];
        size_t n_entries;
};

int ingest_ratelimit_new(IngestRatelimit **ret) {
        IngestRatelimit *rl = calloc(1, sizeof(*rl));
        if (!rl)
                return -ENOMEM;
        *ret = rl;
        return 0;
}

IngestRatelimit *ingest_ratelimit_free(IngestRatelimit *rl) {
        if (!rl)
                return NULL;
        for (size_t i = 0; i < rl->n_entries; i++)
                free(rl->entries[i].key);
        free(rl);
        return NULL;
}

const char *ingest_ratelimit_scope_to_string(IngestRatelimitScope scope) {
        static const char *const table[_INGEST_RATELIMIT_SCOPE_MAX] = {
                [INGEST_RATELIMIT_EXECUTABLE] = "executable",
                [INGEST_RATELIMIT_UNIT] = "unit",
        };
        if (scope < 0 || scope >= _INGEST_RATELIMIT_SCOPE_MAX)
                return NULL;
        return table[scope];
}

/* A linear scan: RATELIMIT_KEYS_MAX is small and each check is one crash. keep is an entry the
 * caller still holds, which must not be evicted. */
static Entry *find_or_add(IngestRatelimit *rl, const char *kind, const char *name, uint64_t now_usec, const Entry *keep) {
        size_t oldest = SIZE_MAX;
        char *key = NULL;

        if (asprintf(&key, "%s:%s", kind, name) < 0)
                return NULL;
        for (size_t i = 0; i < rl->n_entries; i++) {
                if (strcmp(rl->entries[i].key, key) == 0) {
                        free(key);
                        return &rl->entries[i];
                }
                if (&rl->entries[i] != keep &&
                    (oldest == SIZE_MAX || rl->entries[i].begin_usec < rl->entries[oldest].begin_usec))
                        oldest = i;
        }
        Entry *e;
        if (rl->n_entries < RATELIMIT_KEYS_MAX)
                e = &rl->entries[rl->n_entries++];
        else {
                e = &rl->entries[oldest];
                free(e->key);
        }
        *e = (Entry) { .key = key, .begin_usec = now_usec };
        return e;
}

/* Starts a new interval when the current one is over; returns what the old one refused. */
static uint64_t roll(Entry *e, uint64_t now_usec, uint64_t interval_usec) {
        uint64_t before = 0;
        if (now_usec < e->begin_usec || now_usec - e->begin_usec >= interval_usec) {
                before = e->refused;
                e->begin_usec = now_usec;
                e->count = 0;
                e->refused = 0;
        }
        return before;
}

int ingest_ratelimit_check(IngestRatelimit *rl, const char *exe, const char *unit, uint64_t now_usec,
                           uint64_t interval_usec, unsigned burst, IngestRatelimitVerdict *ret) {
        IngestRatelimitVerdict v = { .allowed = true, .limited_by = _INGEST_RATELIMIT_SCOPE_INVALID };
        Entry *e, *u = NULL;

        if (interval_usec == 0 || burst == 0) {
                *ret = v;
                return 0;
        }
        e = find_or_add(rl, "e", exe ?: "", now_usec, NULL);
        if (!e)
                return -ENOMEM;
        if (unit && unit[0]) {
                u = find_or_add(rl, "u", unit, now_usec, e);
                if (!u)
                        return -ENOMEM;
        }

        uint64_t before = roll(e, now_usec, interval_usec);
        if (u) {
                uint64_t b = roll(u, now_usec, interval_usec);
                before = b > before ? b : before;
        }
        e->count++;
        if (u)
                u->count++;

        if (e->count > burst || (u && u->count > burst)) {
                e->refused++;
                if (u)
                        u->refused++;
                v.allowed = false;
                v.limited_by = e->count > burst ? INGEST_RATELIMIT_EXECUTABLE : INGEST_RATELIMIT_UNIT;
                v.refused = v.limited_by == INGEST_RATELIMIT_EXECUTABLE ? e->refused : u->refused;
        } else
                v.refused_before = before;
        *ret = v;
        return 0;
}
