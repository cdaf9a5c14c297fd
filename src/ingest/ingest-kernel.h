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
        const char *source;     /* COREJOURNAL_SOURCE; NULL: "kernel-pipe". Socket mode learns
                                 * the signal after the core (signo 0 until then). */
} KernelArgs;

/* The core_pattern line for a handler at path (absolute). */
#define KERNEL_PATTERN_ARGS "%P %u %g %s %t %c %h %d %F %I"

/* Parses the kernel's argv (after the program name). The first six are required, the rest
 * optional, as older kernels lack %F. On -EINVAL error holds one line. */
int ingest_kernel_parse_args(int argc, char *const *argv, KernelArgs *ret, char *error, size_t error_size);

#include <stdbool.h>

#include "collect-pidfd.h"
#include "export-record.h"
#include "export-sink-journal.h"

/* A kernel crash being processed: what is known before the core is read. */
typedef struct KernelCrash {
        KernelArgs args;
        int pidfd;                  /* owned; -EBADF when none could be had */
        bool have_info;
        CollectPidfdInfo info;      /* taken while the crasher was parked */
        bool context_verified;      /* /proc context read and the pidfd still alive after */
        const char *context_skipped; /* why the context is missing, when it is */
        int at_secure;              /* from auxv: 1, 0, or -1 unknown */
        bool allow_user_read;       /* safe for the user: a read ACL on the core, the record in
                                     * the user's journal (ingest_kernel_safe_for_user()) */
        ExportRecord *record;       /* owned */
        char **compressed_debuginfo; /* owned: debug files the stack trace inflated, to cache after delivery */
} KernelCrash;

void ingest_kernel_crash_done(KernelCrash *c);

/* Takes the pidfd (from %F, or opened by PID), checks it names args->pid, reads its identity
 * and the /proc context below proc_fd, then checks the process is still the same one. Builds
 * the record's identity, argv and context fields. Returns 0 (with context_skipped set when the
 * context could not be verified: the record then has only what the kernel said), or -ENOMEM. */
int ingest_kernel_gather(const KernelArgs *args, int proc_fd, KernelCrash *ret);

/* Whether a crash is the crashing user's own business, so that the user may read its core and its
 * record: the process kept one identity (dumpable 1, at_secure 0 — not 1 nor unknown (-1) —, real
 * IDs equal to the effective ones, a core the kernel did not mark root-only) and uid is a regular
 * user (collect_storage_uid_is_regular()). */
bool ingest_kernel_safe_for_user(int dumpable, int at_secure, bool same_ids, bool root_only_core, uid_t uid);

/* Whose credentials the record of crash c is sent to journald with. True, with the crashing
 * user's real UID and GID in ret, when deliver_as_user (DeliverAsUser=) and the crash is safe for
 * the user (allow_user_read): journald then files it in that user's journal. False: send it as
 * ourselves (root), into the system journal, which a setuid program's record never leaves. */
bool ingest_kernel_sender(const KernelCrash *c, bool deliver_as_user, ExportSinkCredentials *ret);
