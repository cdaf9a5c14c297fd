/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The core of a kernel crash: admission, storage, and the record fields that describe it. */
#pragma once

#include "collect-config.h"
#include "ingest-kernel.h"

typedef struct IngestStoreReport {
        char problem[512]; /* one line for the log when something went wrong; "" otherwise */
} IngestStoreReport;

/* Reads the core from core_fd (taken over, closed at EOF so the crasher is released) and keeps
 * it as config says: an external file, embedded in the record, or not at all. Adds to the
 * record COREDUMP_FILENAME or COREDUMP=, COREDUMP_TRUNCATED, our COREJOURNAL_CORE_* fields
 * (size, stored bytes, why it was not kept, timings) and MESSAGE. Returns 0 — a refused or
 * failed store is described in the record and the report, not an error — or -errno when the
 * stream could not be read at all or memory ran out. */
int ingest_store_core(KernelCrash *crash, const CollectConfig *config, int core_fd, IngestStoreReport *ret);
