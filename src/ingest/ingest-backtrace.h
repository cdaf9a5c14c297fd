/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The --backtrace front end: a crash reported by a program itself, as an export record on stdin. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "export-record.h"

/* The positional arguments, in systemd-coredump's order. */
typedef struct BacktraceArgs {
        pid_t pid;
        uid_t uid;
        gid_t gid;
        const char *signal_arg; /* as given: a number, or an exception name from a script */
        int signo;              /* 0 when signal_arg is not a signal number */
        uint64_t timestamp_sec;
        uint64_t rlimit;        /* UINT64_MAX for unlimited (also given as -1) */
        const char *hostname;   /* NULL when not given */
        int dumpable;           /* -1 when not given */
        char *const *script_argv; /* a script's own argv after RLIMIT (exception form) */
        size_t n_script_argv;
        size_t n_ignored;       /* arguments past DUMPABLE in the signal form */
} BacktraceArgs;

/* Parses PID UID GID SIGNAL TIMESTAMP RLIMIT [HOSTNAME [DUMPABLE]], or the exception form
 * PID UID GID EXCEPTION TIMESTAMP RLIMIT [SCRIPT-ARGV...]. On -EINVAL error holds one line. */
int ingest_backtrace_parse_args(int argc, char *const *argv, BacktraceArgs *ret, char *error, size_t error_size);

/* What building the record noticed, for the front end to report. */
typedef struct BacktraceReport {
        bool context_added;     /* the PID was alive, verified, and its /proc context added */
        const char *context_skipped; /* why not, when it was not */
        char replaced[256];     /* submitted fields that conflicted with derived ones */
} BacktraceReport;

/* Builds the crash record from the arguments and the submitted record (NULL when stdin held
 * none). proc_fd is an open /proc (or a fixture tree standing in for it). */
int ingest_backtrace_build(const BacktraceArgs *args, const ExportRecord *submitted, int proc_fd, ExportRecord **ret, BacktraceReport *ret_report);
