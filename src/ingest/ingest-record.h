/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fields every crash record carries, whichever way the crash arrived. */
#pragma once

#include <stddef.h>

#include "export-record.h"

/* MESSAGE_ID, PRIORITY=2, SYSLOG_IDENTIFIER=corejournal, COREJOURNAL_SOURCE=<source>
 * ("kernel-pipe", "kernel-socket", "backtrace") and a random COREJOURNAL_RECORD_ID. */
int ingest_record_add_identity(ExportRecord *record, const char *message_id, const char *source);

/* COREDUMP_HOSTNAME: the given name, or this host's when NULL. */
int ingest_record_add_hostname(ExportRecord *record, const char *hostname);
