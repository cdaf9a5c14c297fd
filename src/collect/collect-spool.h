/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The spool: records the journal could not take, kept as Export Format files until replayed. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "export-record.h"

/* Each spooled file holds one record; its name orders replay: <µs realtime>-<pid>-<random>.export. */
#define SPOOL_SUFFIX ".export"

/* Writes record into dir_fd atomically (O_TMPFILE, fsync, link), so a reader never sees half a
 * record. The record should carry a COREJOURNAL_RECORD_ID= so replay can tell whether an earlier
 * attempt already reached the journal. Returns 0 and the file name, or -errno. */
int collect_spool_write(int dir_fd, const ExportRecord *record, char **ret_name);

/* Called for each spooled record, oldest first. Return 0 when the record is in the journal (the
 * file is then removed), -EBADMSG when the sink will never take it (the file is renamed
 * NAME.rejected and replay goes on), or another -errno to stop replaying (the file and all later
 * ones stay). */
typedef int (*CollectSpoolDeliver)(const ExportRecord *record, void *userdata);

typedef struct CollectSpoolStats {
        size_t replayed;  /* delivered and removed */
        size_t remaining; /* still in the spool after this run */
        size_t damaged;   /* unreadable files, renamed to *.damaged and kept */
        size_t rejected;  /* refused for good by the sink, renamed to *.rejected and kept */
} CollectSpoolStats;

/* Replays the spool in name order. Returns 0 when the deliver callback accepted every record,
 * 1 when it stopped early (the rest kept), or -errno. */
int collect_spool_replay(int dir_fd, CollectSpoolDeliver deliver, void *userdata, CollectSpoolStats *ret);
