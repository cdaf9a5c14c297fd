/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backtrace-message.h"
#include "collect-pidfd.h"
#include "collect-proc.h"
#include "ingest-backtrace.h"
#include "ingest-parse.h"
#include "ingest-record.h"
#include "io.h"
#include "message-ids.h"
#include "signal-names.h"

int ingest_backtrace_parse_args(int argc, char *const *argv, BacktraceArgs *ret, char *error, size_t error_size) {
        BacktraceArgs a = { .dumpable = -1 };
        uint64_t v;

        if (argc < 6)
                return ingest_parse_error(error, error_size,
                                 "--backtrace needs PID UID GID SIGNAL TIMESTAMP RLIMIT [HOSTNAME [DUMPABLE]], got %d argument%s",
                                 argc, argc == 1 ? "" : "s");

        if (ingest_parse_decimal(argv[0], INT_MAX, &v) < 0 || v == 0)
                return ingest_parse_error(error, error_size, "invalid PID '%s': expected a positive number", argv[0]);
        a.pid = (pid_t) v;
        /* (uid_t) -1 is never a real user. */
        if (ingest_parse_decimal(argv[1], UINT32_MAX - 1, &v) < 0)
                return ingest_parse_error(error, error_size, "invalid UID '%s': expected a number", argv[1]);
        a.uid = (uid_t) v;
        if (ingest_parse_decimal(argv[2], UINT32_MAX - 1, &v) < 0)
                return ingest_parse_error(error, error_size, "invalid GID '%s': expected a number", argv[2]);
        a.gid = (gid_t) v;

        /* A signal number, or a script's exception name: anything printable is kept. */
        a.signal_arg = argv[3];
        if (ingest_parse_decimal(argv[3], 64, &v) == 0 && v > 0)
                a.signo = (int) v;
        else if (!argv[3][0] || strlen(argv[3]) > 256)
                return ingest_parse_error(error, error_size, "invalid SIGNAL '%.64s': expected a signal number or an exception name", argv[3]);

        if (ingest_parse_decimal(argv[4], UINT64_MAX / 1000000, &v) < 0)
                return ingest_parse_error(error, error_size, "invalid TIMESTAMP '%s': expected seconds since the epoch", argv[4]);
        a.timestamp_sec = v;

        /* Python's resource module reports an unlimited RLIMIT_CORE as -1. */
        if (strcmp(argv[5], "-1") == 0)
                a.rlimit = UINT64_MAX;
        else if (ingest_parse_decimal(argv[5], UINT64_MAX, &v) == 0)
                a.rlimit = v;
        else
                return ingest_parse_error(error, error_size, "invalid RLIMIT '%s': expected a number or -1", argv[5]);

        if (a.signo > 0) {
                if (argc > 6)
                        a.hostname = argv[6];
                if (argc > 7) {
                        if (ingest_parse_decimal(argv[7], 2, &v) < 0)
                                return ingest_parse_error(error, error_size, "invalid DUMPABLE '%s': expected 0, 1 or 2", argv[7]);
                        a.dumpable = (int) v;
                }
                a.n_ignored = argc > 8 ? (size_t) (argc - 8) : 0;
        } else {
                /* The exception form (systemd-coredump-python): the script's argv follows. */
                a.script_argv = argv + 6;
                a.n_script_argv = (size_t) (argc - 6);
        }

        *ret = a;
        return 0;
}

/* Seconds since the epoch at which the system booted, from the stat file below proc_fd. */
static int boot_time(int proc_fd, uint64_t *ret) {
        _cleanup_(freep) char *s = NULL;
        int r = io_read_file_at(proc_fd, "stat", 256 * 1024, &s, NULL);
        if (r < 0)
                return r;
        for (char *line = s; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, "btime ", 6) == 0)
                        return ingest_parse_decimal(strndupa(line + 6, strcspn(line + 6, "\n")), UINT64_MAX, ret);
        return -EBADMSG;
}

/* Adds the /proc context of the reporting process when it is alive and provably the one that
 * reported: same real UID, started before the reported time, and (through a pidfd taken first)
 * still the same process after every file was read. Returns why when it is not added. */
static const char *add_context(const BacktraceArgs *args, int proc_fd, ExportRecord *record) {
        _cleanup_(export_record_freep) ExportRecord *context = NULL;
        _cleanup_(closep) int pidfd = -EBADF;
        CollectProcIdentity before, after;
        uint64_t btime;
        long hz = sysconf(_SC_CLK_TCK);

        pidfd = collect_pidfd_open(args->pid);
        if (pidfd < 0)
                return "the process is no longer running";
        if (collect_proc_identity(proc_fd, args->pid, &before) < 0)
                return "the process is no longer running";
        if (before.ruid != args->uid)
                return "the PID now belongs to a process of another user";
        if (boot_time(proc_fd, &btime) < 0 || hz <= 0)
                return "the boot time is unknown, so the PID cannot be verified";
        if (btime + before.start_time_ticks / (uint64_t) hz > args->timestamp_sec + 1)
                return "the PID now belongs to a process started after the crash";

        if (export_record_new(&context) < 0)
                return "out of memory";
        if (collect_proc_context(proc_fd, args->pid, context) < 0)
                return "the process vanished while its context was read";

        if (collect_pidfd_exited(pidfd) &&
            (collect_proc_identity(proc_fd, args->pid, &after) < 0 ||
             after.start_time_ticks != before.start_time_ticks))
                return "the process vanished while its context was read";

        for (size_t i = 0; i < context->n_fields; i++) {
                const ExportField *f = &context->fields[i];
                if (export_record_append(record, f->name, f->value, f->size) < 0)
                        return "out of memory";
        }
        return NULL;
}

/* Fields the submitter may not override: the identity we derive ourselves. */
static bool field_is_derived(const ExportRecord *derived, const char *name) {
        return strncmp(name, "COREDUMP_", 9) == 0 && export_record_has(derived, name);
}

int ingest_backtrace_build(const BacktraceArgs *args, const ExportRecord *submitted, int proc_fd, ExportRecord **ret, BacktraceReport *ret_report) {
        _cleanup_(export_record_freep) ExportRecord *record = NULL;
        BacktraceReport report = {};
        char signame_buf[16];
        int r;

        r = export_record_new(&record);
        if (r < 0)
                return r;

        r = ingest_record_add_identity(record, MESSAGE_ID_COREDUMP, "backtrace");
        if (r < 0)
                return r;

        r = export_record_appendf(record, "COREDUMP_PID", "%d", (int) args->pid);
        if (r >= 0)
                r = export_record_appendf(record, "COREDUMP_UID", "%u", (unsigned) args->uid);
        if (r >= 0)
                r = export_record_appendf(record, "COREDUMP_GID", "%u", (unsigned) args->gid);
        if (r >= 0)
                r = export_record_append_string(record, "COREDUMP_SIGNAL", args->signal_arg);
        if (r >= 0 && args->signo > 0) {
                const char *name = signal_to_name(args->signo, signame_buf);
                if (name)
                        r = export_record_append_string(record, "COREDUMP_SIGNAL_NAME", name);
        }
        if (r >= 0)
                r = export_record_appendf(record, "COREDUMP_TIMESTAMP", "%" PRIu64 "000000", args->timestamp_sec);
        if (r >= 0)
                r = export_record_appendf(record, "COREDUMP_RLIMIT", "%" PRIu64, args->rlimit);
        if (r >= 0)
                r = ingest_record_add_hostname(record, args->hostname);
        if (r >= 0 && args->dumpable >= 0)
                r = export_record_appendf(record, "COREDUMP_DUMPABLE", "%d", args->dumpable);
        if (r >= 0 && args->n_script_argv > 0) {
                /* Joined with NULs like /proc/PID/cmdline, then quoted the same way. */
                _cleanup_(freep) char *joined = NULL, *cmdline = NULL;
                size_t size = 0;
                for (size_t i = 0; i < args->n_script_argv; i++)
                        size += strlen(args->script_argv[i]) + 1;
                joined = malloc(size ?: 1);
                if (!joined)
                        return -ENOMEM;
                size = 0;
                for (size_t i = 0; i < args->n_script_argv; i++) {
                        size_t len = strlen(args->script_argv[i]) + 1;
                        memcpy(joined + size, args->script_argv[i], len);
                        size += len;
                }
                r = collect_proc_format_cmdline(joined, size, &cmdline);
                if (r >= 0)
                        r = export_record_append_string(record, "COREJOURNAL_SCRIPT_CMDLINE", cmdline);
        }
        if (r < 0)
                return r;

        report.context_skipped = add_context(args, proc_fd, record);
        report.context_added = !report.context_skipped;

        /* Every submitted field is kept, except values for identity fields we derived
         * ourselves (a submitter cannot claim another PID or user) and journald's reserved
         * fields, which the reader already dropped. */
        if (submitted)
                for (size_t i = 0; i < submitted->n_fields; i++) {
                        const ExportField *f = &submitted->fields[i];
                        if (field_is_derived(record, f->name)) {
                                const ExportField *ours = export_record_find(record, f->name);
                                if (ours->size == f->size && memcmp(ours->value, f->value, f->size) == 0)
                                        continue;
                                size_t len = strlen(report.replaced);
                                (void) snprintf(report.replaced + len, sizeof(report.replaced) - len, "%s%s",
                                                len ? "," : "", f->name);
                                continue;
                        }
                        if (strcmp(f->name, "MESSAGE_ID") == 0) {
                                if (f->size != strlen(MESSAGE_ID_COREDUMP) || memcmp(f->value, MESSAGE_ID_COREDUMP, f->size) != 0)
                                        r = export_record_append(record, "COREJOURNAL_SUBMITTED_MESSAGE_ID", f->value, f->size);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (strcmp(f->name, "PRIORITY") == 0 || strcmp(f->name, "SYSLOG_IDENTIFIER") == 0)
                                (void) export_record_remove(record, f->name);
                        r = export_record_append(record, f->name, f->value, f->size);
                        if (r < 0)
                                return r;
                }

        if (!export_record_has(record, "MESSAGE")) {
                _cleanup_(freep) char *message = NULL, *pid = NULL, *uid = NULL;
                if (asprintf(&pid, "%d", (int) args->pid) < 0 || asprintf(&uid, "%u", (unsigned) args->uid) < 0)
                        return -ENOMEM;
                const char *reason = args->signo > 0 ? export_record_get_string(record, "COREDUMP_SIGNAL_NAME") : NULL;
                r = backtrace_message_failed_with(pid, export_record_get_string(record, "COREDUMP_COMM"), uid,
                                                  reason ?: args->signal_arg, &message);
                if (r < 0)
                        return r;
                r = export_record_append_string(record, "MESSAGE", message);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(record);
        if (ret_report)
                *ret_report = report;
        return 0;
}
