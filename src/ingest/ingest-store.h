/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The core of a kernel crash: admission, storage, and the record fields that describe it. */
#pragma once

#include <stddef.h>

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

/* After the record is delivered: uncompressed copies of the compressed debug files the stack
 * trace read (DebugInfoCacheDirectory=, DebugInfoCacheMax=), so that the next crash involving
 * them is analysed in milliseconds. Returns the number of copies made, or -errno. */
int ingest_store_cache_debuginfo(KernelCrash *crash, const CollectConfig *config);

/* The signal that killed the process, from a core's PT_NOTE bytes: NT_SIGINFO's si_signo, else the
 * first NT_PRSTATUS's. 0 when the notes hold neither (bounds-checked; the notes are hostile). */
int ingest_store_note_signal(const void *notes, size_t size);

/* Records the signal (COREDUMP_SIGNAL, COREDUMP_SIGNAL_NAME) once it is known; socket mode learns
 * it only from the core or the exit status. -EINVAL for a signal outside 1..64, -ENOMEM. */
int ingest_store_set_signal(KernelCrash *crash, int signo);

/* Admission before a single byte of the core exists (socket mode, where a refusal is a REJECT and
 * the kernel never produces the core): the storage directory has no budget left (MaxUse=,
 * KeepFree=), or the resident anonymous memory (a lower bound of the core) is already over
 * ProcessSizeMax=. Returns 0 with *ret_token NULL when admitted, else 0 with the
 * COREJOURNAL_CORE_NOT_STORED token ("max-use", "keep-free", "process-size-max") and a sentence in
 * *ret_message (freed by the caller); -ENOMEM. Storage=none is admitted: the stream still gives the
 * stack trace. */
int ingest_store_admit(const KernelCrash *crash, const CollectConfig *config, uint64_t resident,
                       const char **ret_token, char **ret_message);

/* The record of a crash whose core the kernel made but that is not kept: read from core_fd (taken
 * over) to its end and thrown away, as past a rate limit in pipe mode, or already lost (core_fd
 * -EBADF). Adds COREJOURNAL_CORE_SIZE (bytes read, when read), COREJOURNAL_CORE_NOT_STORED=token,
 * the sentence why, and systemd's MESSAGE for a core without a stack trace. Returns 0 — a read
 * error only cuts the count short — or -ENOMEM. */
int ingest_store_discard(KernelCrash *crash, int core_fd, const char *token, const char *why);

/* The record of a crash whose core was never produced (REJECT): COREJOURNAL_CORE_NOT_STORED=token,
 * the sentence why, and systemd's MESSAGE for a crash without a core. -ENOMEM. */
int ingest_store_refused(KernelCrash *crash, const char *token, const char *why);
