/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Getting a record to its sink, and never losing it: the spool takes what the journal refuses. */
#pragma once

#include <stdbool.h>

#include "collect-config.h"
#include "export-record.h"
#include "export-sink-http.h"
#include "export-sink-journal.h"

typedef struct IngestSink {
        const char *export_file;    /* append as Export Format here instead of journald, or NULL */
        const char *journal_socket; /* journald's native socket (NULL: the system journal) */
        const ExportHttpTarget *upload; /* POST to systemd-journal-remote instead of journald, or NULL */
        const char *spool_dir;      /* where refused records wait; NULL: no spool */
} IngestSink;

typedef enum IngestDelivery {
        INGEST_DELIVERED, /* the sink took it */
        INGEST_SPOOLED,   /* the journal refused it; it waits in the spool */
        _INGEST_DELIVERY_MAX,
        _INGEST_DELIVERY_INVALID = -22,
} IngestDelivery;

typedef struct IngestDeliveryReport {
        bool as_user;          /* journald took it with the crashing user's credentials */
        int as_user_error;     /* why sending with the user's credentials failed (it was then
                                * sent as the caller), or 0 */
        int sink_error;        /* why the journal refused it, when spooled */
        char sink_message[256]; /* the same in words when the sink says more than an errno ("" otherwise) */
        char spool_name[128];  /* the spooled file, when spooled */
        size_t replayed;       /* earlier spooled records delivered on the way */
        size_t spool_remaining;
        size_t rejected;       /* spooled records the sink refused for good, kept as *.rejected */
} IngestDeliveryReport;

/* The upload target UploadURL= and its companions describe; false (ret untouched) when
 * UploadURL= is not set. The strings stay owned by config. */
bool ingest_deliver_upload_target(const CollectConfig *config, ExportHttpTarget *ret);

/* Delivers record. With as_user (and journald as the sink, not an upload) it is first sent with those
 * credentials, so that journald files it in that user's journal; when that fails it is sent as
 * the caller (the system journal), and when that fails too it is spooled. After a successful
 * delivery to journald, earlier spooled records are replayed as the caller (oldest first, skipping
 * any whose COREJOURNAL_RECORD_ID the journal already holds). Returns an IngestDelivery, or -errno
 * when neither the sink nor the spool took the record (report's sink_error says why the sink did
 * not). */
int ingest_deliver(const IngestSink *sink, const ExportRecord *record, const ExportSinkCredentials *as_user,
                   IngestDeliveryReport *ret);

/* Whether the journal behind sink already holds a record with record's COREJOURNAL_RECORD_ID; false
 * for an export file, a record without the field, or a journal that cannot be read. */
bool ingest_deliver_has_record(const IngestSink *sink, const ExportRecord *record);

/* Replays the spool to the journal without a new record (corejournal-handler --replay). A record
 * the upload target refuses for good (HTTP 4xx) is set aside as NAME.rejected and counted in
 * ret's rejected, so it cannot hold back the rest. */
int ingest_deliver_replay(const IngestSink *sink, IngestDeliveryReport *ret);
