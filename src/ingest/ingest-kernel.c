/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ingest-kernel.h"
#include "ingest-parse.h"

int ingest_kernel_parse_args(int argc, char *const *argv, KernelArgs *ret, char *error, size_t error_size) {
        KernelArgs a = { .dumpable = -1, .pidfd = -1 };
        uint64_t v;

        if (argc < 6)
                return ingest_parse_error(error, error_size,
                                          "expected PID UID GID SIGNAL TIMESTAMP RLIMIT [HOSTNAME [DUMPABLE [PIDFD [TID]]]], got %d argument%s",
                                          argc, argc == 1 ? "" : "s");
        if (ingest_parse_decimal(argv[0], INT_MAX, &v) < 0 || v == 0)
                return ingest_parse_error(error, error_size, "invalid PID '%s'", argv[0]);
        a.pid = (pid_t) v;
        if (ingest_parse_decimal(argv[1], UINT32_MAX - 1, &v) < 0)
                return ingest_parse_error(error, error_size, "invalid UID '%s'", argv[1]);
        a.uid = (uid_t) v;
        if (ingest_parse_decimal(argv[2], UINT32_MAX - 1, &v) < 0)
                return ingest_parse_error(error, error_size, "invalid GID '%s'", argv[2]);
        a.gid = (gid_t) v;
        if (ingest_parse_decimal(argv[3], 64, &v) < 0 || v == 0)
                return ingest_parse_error(error, error_size, "invalid SIGNAL '%s'", argv[3]);
        a.signo = (int) v;
        if (ingest_parse_decimal(argv[4], UINT64_MAX / 1000000, &v) < 0)
                return ingest_parse_error(error, error_size, "invalid TIMESTAMP '%s'", argv[4]);
        a.timestamp_sec = v;
        if (ingest_parse_decimal(argv[5], UINT64_MAX, &v) < 0)
                return ingest_parse_error(error, error_size, "invalid RLIMIT '%s'", argv[5]);
        /* The kernel prints RLIM_INFINITY as 2^64-1; Debian's pattern hard-codes 2^63. */
        a.rlimit = v;

        /* An optional specifier the kernel does not know expands to nothing: treat an empty
         * argument as absent. */
        if (argc > 6 && argv[6][0])
                a.hostname = argv[6];
        if (argc > 7 && argv[7][0]) {
                if (ingest_parse_decimal(argv[7], 2, &v) < 0)
                        return ingest_parse_error(error, error_size, "invalid DUMPABLE '%s'", argv[7]);
                a.dumpable = (int) v;
        }
        if (argc > 8 && argv[8][0]) {
                if (ingest_parse_decimal(argv[8], INT_MAX, &v) < 0)
                        return ingest_parse_error(error, error_size, "invalid PIDFD '%s'", argv[8]);
                a.pidfd = (int) v;
        }
        if (argc > 9 && argv[9][0]) {
                if (ingest_parse_decimal(argv[9], INT_MAX, &v) < 0 || v == 0)
                        return ingest_parse_error(error, error_size, "invalid TID '%s'", argv[9]);
                a.tid = (pid_t) v;
        }

        *ret = a;
        return 0;
}
