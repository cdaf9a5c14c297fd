/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Named limits of corejournalctl on what journal records and the storage directory may make it do
 * (documented in docs/corejournalctl.1.md). */
#pragma once

#include <stdint.h>

#include "input-limits.h"

/* Bytes of one field read from a record (sd-journal data threshold); longer values are cut.
 * COREDUMP= itself is only read whole, by dump and debug. */
#define CTL_FIELD_SIZE_MAX (16 * MIB)
/* Match arguments on one command line. */
#define CTL_MATCHES_MAX 1024
/* Journal files named by --file after glob expansion. */
#define CTL_FILES_MAX 4096
/* Words in --debugger-arguments=. */
#define CTL_DEBUGGER_ARGS_MAX 256
/* Distinct groups kept by `groups`; further records are counted in no group and reported. */
#define CTL_GROUPS_MAX 65536
/* Executables listed per group. */
#define CTL_GROUP_EXECUTABLES_MAX 16
/* Frames of the crashing thread shown per group. */
#define CTL_GROUP_TOP_FRAMES 5
/* COREJOURNAL_BACKTRACE_JSON: bytes parsed and nesting depth accepted. */
#define CTL_BACKTRACE_JSON_SIZE_MAX (4 * MIB)
#define CTL_BACKTRACE_JSON_DEPTH_MAX 16
/* Label values per metric family; further ones are summed into corejournal_metrics_series_dropped_total. */
#define CTL_METRICS_SERIES_MAX 1000
/* Bytes of one label value; longer values are cut at a character boundary. */
#define CTL_METRICS_LABEL_VALUE_MAX 512
/* Directory entries looked at in the storage directory by disk-usage, vacuum and metrics. */
#define CTL_STORAGE_ENTRIES_MAX 65536
/* Directories and files looked at when checking who may read the journal files of a source. */
#define CTL_ACCESS_FILES_MAX 65536
/* One error message handed from the library to the front end. */
#define CTL_ERROR_MAX 512
