/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the @@ socket protocol parsers: the coredump request (and, when it
 * parses, every ack we could send for it), the core's notes for the signal, and the /proc limits
 * and status parsers corejournald uses before the ack. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ingest-socket.h"
#include "ingest-store.h"
#include "input-limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint64_t acks[] = {
                COREDUMP_KERNEL | COREDUMP_WAIT, COREDUMP_REJECT, COREDUMP_REJECT | COREDUMP_WAIT,
                COREDUMP_KERNEL | COREDUMP_REJECT, 0, COREDUMP_USERSPACE, 1ull << 10,
        };
        CoredumpRequest req;
        uint8_t ack[COREDUMP_ACK_SIZE_VER0];
        uint64_t v;

        if (size > 1024 * 1024)
                return 0;

        if (ingest_socket_parse_request(data, size, &req) == 0) {
                if (req.size < COREDUMP_REQ_SIZE_VER0 || req.size > COREDUMP_REQUEST_SIZE_MAX ||
                    req.size_ack < COREDUMP_ACK_SIZE_VER0)
                        abort();
                for (size_t i = 0; i < sizeof(acks) / sizeof(acks[0]); i++) {
                        int n = ingest_socket_make_ack(&req, acks[i], ack);
                        if (n < 0)
                                continue;
                        uint64_t mask, kind;
                        uint32_t spare, asize;
                        memcpy(&asize, ack, 4);
                        memcpy(&spare, ack + 4, 4);
                        memcpy(&mask, ack + 8, 8);
                        kind = mask & (COREDUMP_KERNEL | COREDUMP_USERSPACE | COREDUMP_REJECT);
                        /* What the kernel insists on (KERNEL-FACTS.md §2). */
                        if (n != COREDUMP_ACK_SIZE_VER0 || asize != (uint32_t) n || asize > req.size_ack || spare != 0 ||
                            (mask & ~req.mask) != 0 || kind == 0 || (kind & (kind - 1)) != 0)
                                abort();
                }
        }

        int signo = ingest_store_note_signal(data, size);
        if (signo < 0 || signo > 64)
                abort();

        (void) ingest_socket_parse_core_rlimit((const char *) data, size, &v);
        (void) ingest_socket_parse_resident((const char *) data, size, &v);
        return 0;
}
