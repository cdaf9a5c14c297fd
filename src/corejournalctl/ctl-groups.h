/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crashes grouped by stack signature (COREJOURNAL_SIGNATURE), or by executable when a record has
 * none, with counts, first and last time seen, executables, signals and the top frames. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl-index.h"
#include "export-record.h"

typedef struct CtlGroup {
        char *signature;        /* NULL for a group of records without a signature */
        char *executable;       /* the executable of a group without a signature */
        uint64_t count;
        uint64_t first_seen, last_seen;   /* entry times, µs */
        char **executables;     /* distinct, first seen first, at most CTL_GROUP_EXECUTABLES_MAX */
        size_t n_executables;
        bool more_executables;
        char **signals;         /* distinct signal names, at most CTL_GROUP_EXECUTABLES_MAX */
        size_t n_signals;
        char **top_frames;      /* of the newest record with COREJOURNAL_BACKTRACE_JSON, or NULL */
        uint64_t top_frames_time;
        char *latest_cursor;
        uint64_t latest_pid;
} CtlGroup;

typedef struct CtlGroups {
        CtlGroup *groups;
        char **keys;            /* keys[i] identifies groups[i] */
        size_t n, allocated;
        CtlIndex index;
        uint64_t records;       /* records added */
        uint64_t ungrouped;     /* records that found no room (CTL_GROUPS_MAX groups exist) */
} CtlGroups;

void ctl_groups_done(CtlGroups *g);

/* Adds a record read with ctl_fields_groups (and __REALTIME_TIMESTAMP). Returns 0 or -ENOMEM. */
int ctl_groups_add(CtlGroups *g, const ExportRecord *r);

/* Orders groups by count (most first), then last seen (newest first), then key. */
void ctl_groups_sort(CtlGroups *g);

/* The first max frames of the crashing thread in COREJOURNAL_BACKTRACE_JSON (docs/BACKTRACE.md,
 * schema 1: "threads", each with "frames"; the thread with "crashing": true, else the one whose
 * "tid" is tid, else the first). Also accepted: "crashed" for "crashing", an object with
 * "frames", or an array of frames. A frame is a string, or an object with "function", "symbol" or
 * "name", else "module" and "offset" (a number or "0x…" string; shown as module+0xOFFSET), else
 * "??". Returns 0 with a NULL-terminated list (NULL when there are no
 * frames or the JSON is not usable), or -ENOMEM. */
int ctl_groups_top_frames(const char *json, size_t size, uint64_t tid, size_t max, char ***ret);
