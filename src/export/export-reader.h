/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A strict, bounded, streaming parser of the Journal Export Format. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "export-record.h"

typedef struct ExportLimits {
        uint64_t field_size_max;  /* one value */
        uint64_t record_size_max; /* names + values of one record */
        size_t fields_max;        /* fields in one record */
} ExportLimits;

/* journald's own ceilings, for reading what a journal wrote. */
extern const ExportLimits export_limits_journal;

typedef enum ExportReaderFlags {
        /* Keep journald's trusted '_' fields (reading a journal's own output) instead of
         * dropping them (reading a submission). Address fields ("__") are always skipped. */
        EXPORT_READER_KEEP_TRUSTED = 1 << 0,
        /* Accept end of input after a complete field as the end of the last record, as
         * systemd's importer does for a single submission. */
        EXPORT_READER_EOF_ENDS_RECORD = 1 << 1,
} ExportReaderFlags;

typedef struct ExportReader ExportReader;

int export_reader_new_fd(int fd, const ExportLimits *limits, ExportReaderFlags flags, ExportReader **ret);
/* Reads from memory that must outlive the reader. */
int export_reader_new_memory(const void *data, size_t size, const ExportLimits *limits, ExportReaderFlags flags, ExportReader **ret);
ExportReader *export_reader_free(ExportReader *reader);
DEFINE_TRIVIAL_CLEANUP_FUNC(ExportReader *, export_reader_free);

/* Parses the next record. Returns 1 and the record, 0 at the end of input on a record
 * boundary, or -EBADMSG (malformed), -E2BIG (over a limit), -ENOMEM or a read error; then
 * export_reader_error() says what and where, and every later call fails the same way. */
int export_reader_next(ExportReader *reader, ExportRecord **ret);

/* One line: "offset N: problem". Empty before any error. */
const char *export_reader_error(const ExportReader *reader);

/* Byte offset just past what has been parsed. */
uint64_t export_reader_offset(const ExportReader *reader);

/* Trusted fields dropped from the last record returned (without EXPORT_READER_KEEP_TRUSTED):
 * the count, and a comma-separated list of up to the first 8 names. */
size_t export_reader_dropped(const ExportReader *reader, const char **ret_names);
