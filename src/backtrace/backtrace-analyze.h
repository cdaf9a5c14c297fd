/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stack traces, package metadata and a crash signature from a core, computed in a sandboxed,
 * time- and memory-bounded child process. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Defaults when BacktraceOptions leaves a budget 0 (coredump.conf's BacktraceTimeoutSec= and
 * BacktraceMemoryMax= defaults). */
#define BACKTRACE_TIMEOUT_USEC_DEFAULT ((uint64_t) 10 * 1000 * 1000)
#define BACKTRACE_MEMORY_MAX_DEFAULT ((uint64_t) 512 * 1024 * 1024)

typedef struct BacktraceOptions {
        uint64_t timeout_usec;      /* wall-clock budget (also RLIMIT_CPU, rounded up to seconds); 0: default */
        uint64_t memory_max;        /* bytes of address space and heap the child may add; 0: default */
        uid_t uid;                  /* unprivileged identity the child runs as (the caller decides) */
        gid_t gid;
        const char *exe;            /* COREDUMP_EXE, names the main module; may be NULL */
        const char *debuginfo_path; /* libdwfl's search path for debug files ("-:.debug:/usr/lib/debug"
                                     * when NULL); absolute entries are searched under .build-id/ */
        bool debuginfod;            /* let libdwfl ask DEBUGINFOD_URLS servers (off by default) */
} BacktraceOptions;

typedef struct BacktraceResult {
        char *text;            /* systemd 252's stack trace text, for MESSAGE after the blank line */
        char *json;            /* our structured trace, for COREJOURNAL_BACKTRACE_JSON= */
        char *package_json;    /* COREDUMP_PACKAGE_JSON as systemd 252 writes it */
        char *package_name;    /* COREDUMP_PACKAGE_NAME/VERSION: the main executable's package note */
        char *package_version;
        char *signature;       /* COREJOURNAL_SIGNATURE: 32 hex digits, NULL without a crashing frame */
        bool partial;          /* something is missing; partial_reason says what ("; "-separated) */
        char *partial_reason;
        uint64_t usec;         /* wall time of the analysis, fork to reap */
        uint64_t max_rss;      /* peak resident memory of the child, bytes */
        char **compressed_debuginfo; /* debug files the analysis inflated (NULL-terminated), for
                                      * backtrace_debuginfo_cache(); NULL when none */
} BacktraceResult;

/* Analyses the core open at core_fd (a regular file or memfd; read with pread and mmap, the file
 * offset is not used). Every field may be NULL, and a failed or cut-short analysis is not an
 * error: it yields what arrived, partial and a reason. Returns 0, -EINVAL/-EBADF for bad
 * arguments, or -errno when the child cannot be started. *ret is assigned only on success. The
 * caller must not ignore SIGCHLD (the child is reaped with waitpid()). */
int backtrace_analyze(int core_fd, const BacktraceOptions *o, BacktraceResult *ret);

void backtrace_result_done(BacktraceResult *r);
