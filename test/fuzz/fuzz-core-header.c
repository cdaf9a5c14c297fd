/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds a core stream to the head reader in chunks whose sizes come from the input itself, skips
 * what the reader says it does not need, and checks the invariants a caller relies on. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "collect-core.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(collect_core_freep) CollectCore *core = NULL;
        const CollectCoreInfo *info;
        unsigned seed;
        size_t off = 0;

        if (collect_core_new(&core) < 0)
                return 0;

        /* The first byte picks the chunking (it is also part of the stream, so cores still parse). */
        seed = size > 0 ? data[0] : 0;
        while (off < size) {
                size_t n = seed == 0 ? size - off : 1 + (off * 31 + seed) % (seed * 8 + 1);
                if (n > size - off)
                        n = size - off;
                /* Every few chunks, skip what may be skipped instead of feeding it. */
                if (seed % 3 == 1 && (off / 64) % 2 == 1) {
                        uint64_t skip = collect_core_skippable(core);
                        if (skip > 0) {
                                size_t s = skip < n ? (size_t) skip : n;
                                if (collect_core_skip(core, s) != 0)
                                        abort();
                                off += s;
                                continue;
                        }
                }
                collect_core_feed(core, data + off, n);
                off += n;
        }
        collect_core_end(core);

        info = collect_core_info(core);
        if (info->received != size)
                abort();
        if (info->head == COLLECT_CORE_HEAD_OK) {
                if (info->n_phdrs > 0 && !info->phdrs)
                        abort();
                for (size_t i = 0; i < info->n_phdrs; i++)
                        if (info->phdrs[i].p_offset + info->phdrs[i].p_filesz > info->expected_size)
                                abort();
        }
        /* A head cut short is truncated; otherwise the expected size (0: unknown) decides. */
        if (info->truncated != (info->head == COLLECT_CORE_HEAD_PENDING || info->received < info->expected_size))
                abort();
        /* What was kept of the note is exactly the stream's bytes there (a cut note may have none). */
        if ((info->note == COLLECT_CORE_NOTE_COMPLETE || info->note == COLLECT_CORE_NOTE_CUT) && info->note_size > 0) {
                if (info->note_offset >= size || info->note_size > size - info->note_offset)
                        abort();
                if (memcmp(info->note_data, data + info->note_offset, info->note_size) != 0)
                        abort();
        } else if (info->note_size != 0 || info->note_data)
                abort();
        if (collect_core_skippable(core) != UINT64_MAX)
                abort();
        return 0;
}
