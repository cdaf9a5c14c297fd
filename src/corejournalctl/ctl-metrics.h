/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crash metrics in the Prometheus text exposition format (version 0.0.4). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "ctl-index.h"
#include "export-record.h"

/* Counts by one label, at most CTL_METRICS_SERIES_MAX label values. */
typedef struct CtlCounterSet {
        char **labels;          /* valid UTF-8, cut at CTL_METRICS_LABEL_VALUE_MAX, not escaped */
        uint64_t *values;
        size_t n, allocated;
        CtlIndex index;
        uint64_t dropped;       /* records whose label value found no room */
} CtlCounterSet;

typedef struct CtlMetrics {
        uint64_t crashes;
        CtlCounterSet by_executable, by_unit, by_signal, by_signature, not_stored;
        uint64_t stored_bytes;          /* sum of COREJOURNAL_CORE_STORED_SIZE */
        uint64_t last_crash_usec;       /* newest entry time, 0 when none */
        bool storage_known;             /* the storage directory could be read */
        uint64_t storage_bytes;         /* disk blocks of its core files now */
        uint64_t storage_files;
} CtlMetrics;

void ctl_metrics_done(CtlMetrics *m);

/* Counts a record read with ctl_fields_metrics (and __REALTIME_TIMESTAMP). Returns 0 or -ENOMEM. */
int ctl_metrics_add(CtlMetrics *m, const ExportRecord *r);

/* A label value for the text format: valid UTF-8 (else U+FFFD), cut at
 * CTL_METRICS_LABEL_VALUE_MAX bytes on a character boundary, with \ " and newline escaped as
 * \\ \" \n. Returns 0 or -ENOMEM. */
int ctl_metrics_escape_label(const void *value, size_t size, char **ret);

/* The same numbers as one JSON object: "crashes", "by_executable", "by_unit", "by_signal",
 * "by_signature", "not_stored_by_reason" (objects from label value to count), "core_stored_bytes",
 * "storage_bytes", "storage_files" (null when unknown), "last_crash" (µs or null),
 * "series_dropped" (by family). Label values are UTF-8 and cut, not escaped. Returns 0 or -ENOMEM. */
int ctl_metrics_to_json(const CtlMetrics *m, json_object **ret);

/* Writes every family with # HELP and # TYPE lines, series sorted by label value. Returns 0,
 * -EIO or -ENOMEM. */
int ctl_metrics_write(const CtlMetrics *m, FILE *f);
