/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's pipe mode: core_pattern=|corejournal-handler %P %u %g %s %t %c %h %d %F %I */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* The specifiers the kernel expanded, in the order of our core_pattern line. */
typedef struct KernelArgs {
        pid_t pid;              /* %P, initial PID namespace */
        uid_t uid;              /* %u, the real UID */
        gid_t gid;              /* %g */
        int signo;              /* %s */
        uint64_t timestamp_sec; /* %t */
        uint64_t rlimit;        /* %c, soft RLIMIT_CORE (UINT64_MAX unlimited) */
        const char *hostname;   /* %h, NULL when absent */
        int dumpable;           /* %d, -1 when absent */
        int pidfd;              /* %F, -1 when absent (kernels before 6.16) */
        pid_t tid;              /* %I, 0 when absent */
} KernelArgs;

/* The core_pattern line for a handler at path (absolute). */
#define KERNEL_PATTERN_ARGS "%P %u %g %s %t %c %h %d %F %I"

/* Parses the kernel's argv (after the program name). The first six are required, the rest
 * optional, as older kernels lack %F. On -EINVAL error holds one line. */
int ingest_kernel_parse_args(int argc, char *const *argv, KernelArgs *ret, char *error, size_t error_size);
