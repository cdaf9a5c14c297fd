/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect-proc.h"
#include "collect-storage.h"
#include "ingest-kernel.h"
#include "ingest-parse.h"
#include "ingest-record.h"
#include "io.h"
#include "message-ids.h"
#include "signal-names.h"

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

void ingest_kernel_crash_done(KernelCrash *c) {
        c->pidfd = safe_close(c->pidfd);
        c->record = export_record_free(c->record);
        strv_free(c->compressed_debuginfo);
        c->compressed_debuginfo = NULL;
}

/* Reads AT_SECURE and the real/effective IDs from a saved auxv (u64 pairs on 64-bit). */
static void parse_auxv(const ExportField *f, int *ret_secure, int64_t ids[static 4]) {
        *ret_secure = -1;
        for (int i = 0; i < 4; i++)
                ids[i] = -1;
        if (!f)
                return;
        for (size_t off = 0; off + 16 <= f->size; off += 16) {
                uint64_t type, value;
                memcpy(&type, f->value + off, 8);
                memcpy(&value, f->value + off + 8, 8);
                if (type == 0) /* AT_NULL */
                        break;
                if (type == 23) /* AT_SECURE */
                        *ret_secure = value != 0;
                else if (type >= 11 && type <= 14) /* AT_UID, AT_EUID, AT_GID, AT_EGID */
                        ids[type - 11] = (int64_t) value;
        }
}

static int add_argv_fields(ExportRecord *r, const KernelArgs *a) {
        char signame_buf[16];
        const char *signame = signal_to_name(a->signo, signame_buf);
        int k;

        k = export_record_appendf(r, "COREDUMP_PID", "%d", (int) a->pid);
        if (k >= 0)
                k = export_record_appendf(r, "COREDUMP_UID", "%u", (unsigned) a->uid);
        if (k >= 0)
                k = export_record_appendf(r, "COREDUMP_GID", "%u", (unsigned) a->gid);
        if (k >= 0 && a->signo > 0)
                k = export_record_appendf(r, "COREDUMP_SIGNAL", "%d", a->signo);
        if (k >= 0 && a->signo > 0 && signame)
                k = export_record_append_string(r, "COREDUMP_SIGNAL_NAME", signame);
        if (k >= 0)
                k = export_record_appendf(r, "COREDUMP_TIMESTAMP", "%" PRIu64 "000000", a->timestamp_sec);
        if (k >= 0)
                k = export_record_appendf(r, "COREDUMP_RLIMIT", "%" PRIu64, a->rlimit);
        if (k >= 0)
                k = ingest_record_add_hostname(r, a->hostname);
        if (k >= 0 && a->dumpable >= 0)
                k = export_record_appendf(r, "COREDUMP_DUMPABLE", "%d", a->dumpable);
        if (k >= 0 && a->tid > 0)
                k = export_record_appendf(r, "COREDUMP_TID", "%d", (int) a->tid);
        return k;
}

/* The crashing thread's name, from /proc/PID/task/TID/comm. */
static int add_thread_name(ExportRecord *r, int proc_fd, const KernelArgs *a) {
        _cleanup_(freep) char *s = NULL;
        char path[64];

        if (a->tid <= 0)
                return 0;
        (void) snprintf(path, sizeof(path), "%d/task/%d/comm", (int) a->pid, (int) a->tid);
        if (io_read_file_at(proc_fd, path, 64, &s, NULL) < 0)
                return 0;
        s[strcspn(s, "\n")] = 0;
        if (!s[0] || !export_value_is_text(s, strlen(s)))
                return 0;
        return export_record_append_string(r, "COREDUMP_THREAD_NAME", s);
}

bool ingest_kernel_safe_for_user(int dumpable, int at_secure, bool same_ids, bool root_only_core, uid_t uid) {
        /* Nothing about the process changed identity: dumpable 1 (not suid_dumpable 2), no
         * AT_SECURE, real = effective IDs, and the kernel did not mark the core root-only. */
        return dumpable == 1 && at_secure == 0 && same_ids && !root_only_core && collect_storage_uid_is_regular(uid);
}

bool ingest_kernel_sender(const KernelCrash *c, bool deliver_as_user, ExportSinkCredentials *ret) {
        if (!deliver_as_user || !c->allow_user_read)
                return false;
        *ret = (ExportSinkCredentials) { .uid = c->args.uid, .gid = c->args.gid };
        return true;
}

int ingest_kernel_gather(const KernelArgs *args, int proc_fd, KernelCrash *ret) {
        _cleanup_(export_record_freep) ExportRecord *record = NULL, *context = NULL;
        _cleanup_(closep) int pidfd = -EBADF;
        KernelCrash c = { .args = *args, .pidfd = -EBADF, .at_secure = -1 };
        pid_t pidfd_pid;
        int r;

        r = export_record_new(&record);
        if (r < 0)
                return r;
        r = ingest_record_add_identity(record, MESSAGE_ID_COREDUMP, args->source ?: "kernel-pipe");
        if (r >= 0)
                r = add_argv_fields(record, args);
        if (r < 0)
                return r;

        /* The kernel's pidfd names the crasher for sure; a PID alone could be reused. */
        if (args->pidfd >= 0) {
                pidfd = args->pidfd;
                if (collect_pidfd_get_pid(pidfd, &pidfd_pid) < 0 || pidfd_pid != args->pid) {
                        c.context_skipped = "the PIDFD argument does not refer to the crashing process";
                        pidfd = -EBADF; /* not ours to trust; leave it alone */
                }
        } else
                pidfd = collect_pidfd_open(args->pid);

        if (pidfd >= 0 && collect_pidfd_info(pidfd, &c.info) >= 0)
                c.have_info = true;

        if (pidfd >= 0 && !c.context_skipped) {
                r = export_record_new(&context);
                if (r < 0)
                        return r;
                r = collect_proc_context(proc_fd, args->pid, context);
                if (r >= 0)
                        r = add_thread_name(context, proc_fd, args);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        c.context_skipped = "the process directory could not be read";
                else if (collect_pidfd_exited(pidfd) && collect_pidfd_get_pid(pidfd, &pidfd_pid) < 0)
                        /* Reaped while we read: the PID may name another process by now. */
                        c.context_skipped = "the process was reaped while its context was read";
                else {
                        for (size_t i = 0; i < context->n_fields; i++) {
                                r = export_record_append(record, context->fields[i].name,
                                                         context->fields[i].value, context->fields[i].size);
                                if (r < 0)
                                        return r;
                        }
                        c.context_verified = true;
                }
        } else if (!c.context_skipped)
                c.context_skipped = "no pidfd could be had for the process";

        int64_t ids[4];
        parse_auxv(export_record_find(record, "COREDUMP_PROC_AUXV"), &c.at_secure, ids);
        bool same_ids = c.have_info && c.info.has_creds ?
                c.info.ruid == c.info.euid && c.info.rgid == c.info.egid :
                ids[0] >= 0 && ids[0] == ids[1] && ids[2] >= 0 && ids[2] == ids[3];
        c.allow_user_read = ingest_kernel_safe_for_user(
                        args->dumpable, c.at_secure, same_ids,
                        c.have_info && c.info.has_coredump && (c.info.coredump_mask & PIDFD_COREDUMP_ROOT), args->uid);

        c.pidfd = TAKE_FD(pidfd);
        c.record = TAKE_PTR(record);
        *ret = c;
        return 0;
}
