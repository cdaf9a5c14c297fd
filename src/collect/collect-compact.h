/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The compact core: what a stack trace needs, kept from the core stream as it passes, so the
 * analysis never needs the whole core written anywhere a second time.
 *
 * It holds the ELF header, the notes (registers of every thread, NT_FILE, auxv), the page-sized
 * segments (the ELF header page of each mapped file, for build-ids), the vDSO, and up to
 * COMPACT_STACK_MAX bytes above each thread's stack pointer. Everything else is described by
 * program headers with no file data, which is what a core has for memory the kernel did not
 * dump. libdwfl and gdb read the result as an ordinary core. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "collect-core.h"

typedef struct CollectCompact CollectCompact;

int collect_compact_new(CollectCompact **ret);
CollectCompact *collect_compact_free(CollectCompact *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(CollectCompact *, collect_compact_free);

/* Sees size bytes at stream offset offset pass, with the head reader's view of the stream
 * (info, after the same bytes were fed to it). Never fails; running out of memory or past
 * COMPACT_SIZE_MAX only makes the compact core poorer. */
void collect_compact_feed(CollectCompact *c, const CollectCoreInfo *info, uint64_t offset, const void *data, size_t size);

/* How many bytes from stream offset offset on the compact core does not need (0: the next byte
 * is needed; UINT64_MAX: nothing more is), valid once the notes have passed. */
uint64_t collect_compact_skippable(const CollectCompact *c, const CollectCoreInfo *info, uint64_t offset);

/* Writes the compact core into a new sealed memfd. Returns 0 with the fd and its size, -ENODATA
 * when the stream never showed a usable head and notes, or -errno. */
int collect_compact_build(CollectCompact *c, const CollectCoreInfo *info, int *ret_fd, uint64_t *ret_size);
