/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crash records from sd-journal: the matching entries in order, and their fields as records. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-journal.h>

#include "export-record.h"

/* Bytes of COREDUMP= read to learn that a record embeds its core (the rest is never loaded here). */
#define CTL_COREDUMP_PEEK_SIZE 16

/* The fields each verb reads (NULL-terminated). */
extern const char *const ctl_fields_list[];
extern const char *const ctl_fields_info[];
extern const char *const ctl_fields_groups[];
extern const char *const ctl_fields_metrics[];

/* Reads the first value of each named field of the current entry into a new record, in the order
 * of names, plus __REALTIME_TIMESTAMP and __CURSOR. Values are cut at CTL_FIELD_SIZE_MAX;
 * COREDUMP, when named, at CTL_COREDUMP_PEEK_SIZE. Returns 0 or -errno. */
int ctl_entry_read(sd_journal *j, const char *const *names, ExportRecord **ret);

/* Appends every value of field in the current entry to record (a field may repeat). Returns the
 * number appended or -errno. */
int ctl_entry_read_values(sd_journal *j, const char *field, ExportRecord *record);

/* Walks the matching entries oldest first (newest first with reverse), keeping those with
 * since <= realtime <= until and stopping after max; the scan stops at the first entry past the
 * far bound instead of reading the rest of the journal. */
typedef struct CtlWalk {
        sd_journal *j;
        bool reverse;
        uint64_t since, until;  /* CTL_USEC_INFINITY: unbounded */
        uint64_t max;           /* UINT64_MAX: unbounded */
        uint64_t n;             /* entries returned so far */
        bool started;
} CtlWalk;

void ctl_walk_init(CtlWalk *w, sd_journal *j, bool reverse, uint64_t since, uint64_t until, uint64_t max);

/* Moves to the next entry in range. Returns 1 when positioned on one, 0 at the end, or -errno. */
int ctl_walk_next(CtlWalk *w);

/* Whether another entry in range exists beyond the current one (for "more than one matches").
 * Moves the journal's position. Returns 1, 0 or -errno. */
int ctl_walk_has_more(CtlWalk *w);
