/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Getting a record to its sink, and never losing it: the spool takes what the journal refuses. */
#pragma once

#include <stdbool.h>

#include "export-record.h"

typedef struct IngestSink {
        const char *export_file;    /* append as Export Format here instead of journald, or NULL */
        const char *journal_socket; /* journald's native socket (NULL: the system journal) */
        const char *spool_dir;      /* where refused records wait; NULL: no spool */
} IngestSink;

typedef enum IngestDelivery {
        INGEST_DELIVERED, /* the sink took it */
        INGEST_SPOOLED,   /* the journal refused it; it waits in the spool */
        _INGEST_DELIVERY_MAX,
        _INGEST_DELIVERY_INVALID = -22,
} IngestDelivery;

typedef struct IngestDeliveryReport {
        int sink_error;        /* why the journal refused it, when spooled */
        char spool_name[128];  /* the spooled file, when spooled */
        size_t replayed;       /* earlier spooled records delivered on the way */
        size_t spool_remaining;
} IngestDeliveryReport;

/* Delivers record. After a successful delivery to journald, earlier spooled records are replayed
 * (oldest first, skipping any whose COREJOURNAL_RECORD_ID the journal already holds). Returns an
 * IngestDelivery, or -errno when neither the sink nor the spool took the record (report's
 * sink_error says why the sink did not). */
int ingest_deliver(const IngestSink *sink, const ExportRecord *record, IngestDeliveryReport *ret);

/* Whether the journal behind sink already holds a record with record's COREJOURNAL_RECORD_ID; false
 * for an export file, a record without the field, or a journal that cannot be read. */
bool ingest_deliver_has_record(const IngestSink *sink, const ExportRecord *record);

/* Replays the spool to the journal without a new record (corejournal-handler --replay). */
int ingest_deliver_replay(const IngestSink *sink, IngestDeliveryReport *ret);
