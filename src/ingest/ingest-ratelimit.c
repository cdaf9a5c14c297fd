/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ingest-ratelimit.h"
#include "input-limits.h"

typedef struct Entry {
        char *exe;
        uint64_t begin_usec; /* start of the current interval */
        uint64_t count;      /* crashes in the current interval */
        uint64_t refused;    /* of which refused */
} Entry;

struct IngestRatelimit {
        Entry entries[RATELIMIT_EXECUTABLES_MAX];
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
                free(rl->entries[i].exe);
        free(rl);
        return NULL;
}

/* A linear scan: RATELIMIT_EXECUTABLES_MAX is small and each check is one crash. */
static Entry *find_or_add(IngestRatelimit *rl, const char *exe, uint64_t now_usec) {
        size_t oldest = 0;
        for (size_t i = 0; i < rl->n_entries; i++) {
                if (strcmp(rl->entries[i].exe, exe) == 0)
                        return &rl->entries[i];
                if (rl->entries[i].begin_usec < rl->entries[oldest].begin_usec)
                        oldest = i;
        }
        char *copy = strdup(exe);
        if (!copy)
                return NULL;
        Entry *e;
        if (rl->n_entries < RATELIMIT_EXECUTABLES_MAX)
                e = &rl->entries[rl->n_entries++];
        else {
                e = &rl->entries[oldest];
                free(e->exe);
        }
        *e = (Entry) { .exe = copy, .begin_usec = now_usec };
        return e;
}

int ingest_ratelimit_check(IngestRatelimit *rl, const char *exe, uint64_t now_usec, uint64_t interval_usec,
                           unsigned burst, IngestRatelimitVerdict *ret) {
        IngestRatelimitVerdict v = { .allowed = true };
        Entry *e;

        if (interval_usec == 0 || burst == 0) {
                *ret = v;
                return 0;
        }
        e = find_or_add(rl, exe && exe[0] ? exe : "", now_usec);
        if (!e)
                return -ENOMEM;
        if (now_usec < e->begin_usec || now_usec - e->begin_usec >= interval_usec) {
                v.refused_before = e->refused;
                e->begin_usec = now_usec;
                e->count = 0;
                e->refused = 0;
        }
        e->count++;
        if (e->count > burst) {
                e->refused++;
                v.allowed = false;
                v.refused_before = 0;
        }
        v.refused = e->refused;
        *ret = v;
        return 0;
}
