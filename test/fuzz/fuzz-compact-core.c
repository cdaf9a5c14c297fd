/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Streams arbitrary bytes through the core head reader and the compact core (which walks the
 * notes and program headers of an untrusted core), in chunks whose sizes come from the input,
 * then builds the compact core. */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "collect-compact.h"
#include "collect-core.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(collect_core_freep) CollectCore *core = NULL;
        _cleanup_(collect_compact_freep) CollectCompact *compact = NULL;
        uint64_t offset = 0;
        int fd;
        uint64_t built;

        if (size < 1 || collect_core_new(&core) < 0 || collect_compact_new(&compact) < 0)
                return 0;
        size_t step = (size_t) data[0] * 61 + 1; /* chunk size from the first byte */
        data++, size--;
        while (offset < size) {
                size_t n = size - offset < step ? size - (size_t) offset : step;
                collect_core_feed(core, data + offset, n);
                collect_compact_feed(compact, collect_core_info(core), offset, data + offset, n);
                offset += n;
        }
        collect_core_end(core);
        if (collect_compact_build(compact, collect_core_info(core), &fd, &built) >= 0)
                close(fd);
        return 0;
}
