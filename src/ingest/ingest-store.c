/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "backtrace-analyze.h"
#include "backtrace-debuginfo.h"
#include "backtrace-message.h"
#include "collect-compact.h"
#include "collect-forward.h"
#include "collect-space.h"
#include "collect-storage.h"
#include "collect-vacuum.h"
#include "ingest-store.h"
#include "input-limits.h"
#include "io.h"
#include "signal-names.h"

/* Embeds the sealed memfd's content as the binary COREDUMP= field. */
static int embed_core(ExportRecord *record, int memfd, uint64_t size) {
        if (size == 0)
                return export_record_append(record, "COREDUMP", "", 0);
        void *p = mmap(NULL, (size_t) size, PROT_READ, MAP_PRIVATE, memfd, 0);
        if (p == MAP_FAILED)
                return negative_errno();
        int r = export_record_append(record, "COREDUMP", p, (size_t) size);
        (void) munmap(p, (size_t) size);
        return r;
}

/* ForwardCore=: a core kept in the storage directory may also travel inside its record, for
 * journals forwarded to a central systemd-journal-remote. The record always says which host holds
 * the file, and whether (and why not) the core travels with it. */
static int add_forwarding(ExportRecord *record, const CollectConfig *config, int dir_fd,
                          const CollectStorageResult *res, const char *signature, bool *ret_embedded) {
        char host[256] = "";
        bool slot_free = true;
        int r;

        (void) gethostname(host, sizeof(host) - 1);
        if (host[0]) {
                r = export_record_append_string(record, "COREJOURNAL_CORE_HOST", host);
                if (r < 0)
                        return r;
        }
        /* Without a signature (no stack trace) a crash cannot be counted, so its core travels;
         * a count that cannot be kept errs the same way: bandwidth is cheaper than a lost core. */
        if (config->forward_core == COREDUMP_FORWARD_FIRST && res->received <= config->forward_core_size_max &&
            signature &&
            collect_forward_take_slot(config->state_dir, signature, config->forward_core_first, &slot_free) < 0)
                slot_free = true;

        CollectForwardDecision d = collect_forward_decide(config->forward_core, res->received,
                                                          config->forward_core_size_max, slot_free);
        if (d == COLLECT_FORWARD_EMBED) {
                _cleanup_(freep) uint8_t *core = NULL;
                size_t n = strlen(res->filename);
                bool compressed = n > 4 && strcmp(res->filename + n - 4, ".zst") == 0;

                r = collect_forward_read_core(dir_fd, res->filename, compressed, res->received, &core);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return export_record_appendf(record, "COREJOURNAL_CORE_FORWARD_ERROR",
                                                     "cannot read the stored core back: %s", strerror(-r));
                r = export_record_adopt(record, "COREDUMP", core, (size_t) res->received, false);
                if (r < 0)
                        return r;
                TAKE_PTR(core);
                *ret_embedded = true;
        }
        return export_record_append_string(record, "COREJOURNAL_CORE_FORWARD", collect_forward_decision_to_string(d));
}

/* The COREJOURNAL_CORE_NOT_STORED= values: stable tokens for queries and metrics. */
static const char *not_stored_token(CollectStorageReason reason) {
        static const char *const table[_COLLECT_STORAGE_REASON_MAX] = {
                [COLLECT_STORAGE_REASON_STORAGE_NONE] = "storage-none",
                [COLLECT_STORAGE_REASON_EXTERNAL_SIZE_MAX] = "external-size-max",
                [COLLECT_STORAGE_REASON_JOURNAL_SIZE_MAX] = "journal-size-max",
                [COLLECT_STORAGE_REASON_PROCESS_SIZE_MAX] = "process-size-max",
                [COLLECT_STORAGE_REASON_MAX_USE] = "max-use",
                [COLLECT_STORAGE_REASON_KEEP_FREE] = "keep-free",
                [COLLECT_STORAGE_REASON_DISK_FULL] = "disk-full",
                [COLLECT_STORAGE_REASON_EXISTS] = "file-exists",
                [COLLECT_STORAGE_REASON_CREATE_FAILED] = "create-failed",
                [COLLECT_STORAGE_REASON_WRITE_FAILED] = "write-failed",
                [COLLECT_STORAGE_REASON_LINK_FAILED] = "link-failed",
        };
        if (reason <= 0 || reason >= _COLLECT_STORAGE_REASON_MAX)
                return NULL;
        return table[reason];
}

/* With the core embedded too (ForwardCore=), the file goes in COREJOURNAL_CORE_FILENAME:
 * coredumpctl opens COREDUMP_FILENAME whenever a record has one, and on a central store that file
 * is on another machine, so the embedded core would never be used. */
static int add_outcome(ExportRecord *record, const CollectStorageResult *res, const char *storage_dir,
                       bool rlimit_refused, bool embedded) {
        int r;

        r = export_record_appendf(record, "COREJOURNAL_CORE_SIZE", "%" PRIu64, res->received);
        if (r >= 0 && res->expected_size > 0)
                r = export_record_appendf(record, "COREJOURNAL_CORE_EXPECTED_SIZE", "%" PRIu64, res->expected_size);
        if (r >= 0 && res->truncated)
                r = export_record_append_string(record, "COREDUMP_TRUNCATED", "1");
        if (r >= 0 && res->stored && res->filename) {
                _cleanup_(freep) char *path = NULL;
                if (asprintf(&path, "%s/%s", storage_dir, res->filename) < 0)
                        return -ENOMEM;
                r = export_record_append_string(record, embedded ? "COREJOURNAL_CORE_FILENAME" : "COREDUMP_FILENAME", path);
        }
        if (r >= 0 && res->stored)
                r = export_record_appendf(record, "COREJOURNAL_CORE_STORED_SIZE", "%" PRIu64, res->file_size);
        if (r >= 0 && res->stored)
                r = export_record_appendf(record, "COREJOURNAL_CORE_DISK_BYTES", "%" PRIu64, res->written);
        if (r >= 0 && rlimit_refused)
                r = export_record_append_string(record, "COREJOURNAL_CORE_NOT_STORED", "rlimit");
        else if (r >= 0 && !res->stored && not_stored_token(res->reason))
                r = export_record_append_string(record, "COREJOURNAL_CORE_NOT_STORED", not_stored_token(res->reason));
        if (r >= 0)
                r = export_record_appendf(record, "COREJOURNAL_CORE_READ_USEC", "%" PRIu64, res->read_usec);
        if (r >= 0)
                r = export_record_appendf(record, "COREJOURNAL_CORE_FINISH_USEC", "%" PRIu64, res->finish_usec);
        return r;
}

/* The identity analysis children run as for cores their user may not read: systemd-coredump's
 * own user when it exists (nothing else runs as it), else nobody. */
static void ingest_store_analysis_identity(uid_t *ret_uid, gid_t *ret_gid) {
        struct passwd *pw = getpwnam("systemd-coredump");
        if (pw && pw->pw_uid != 0 && pw->pw_gid != 0) {
                *ret_uid = pw->pw_uid;
                *ret_gid = pw->pw_gid;
                return;
        }
        *ret_uid = 65534;
        *ret_gid = 65534;
}

/* The stack trace runs in a thread from the moment the stream ends, so the sandboxed analysis
 * overlaps the storage's flush, fsync and link instead of following them. */
typedef struct TraceJob {
        const KernelCrash *crash;
        char ***crash_debuginfo; /* where the debug files to cache go (the crash's, writable) */
        const CollectConfig *config;
        CollectCompact *compact;
        const char *exe;   /* COREDUMP_EXE, taken before the thread starts (the record may grow meanwhile) */
        pthread_t thread;
        bool started;
        int compact_fd;
        uint64_t compact_size;
        int build_error;   /* collect_compact_build() failure, 0 when the core was built */
        int analyze_error; /* backtrace_analyze() failure */
        BacktraceResult result;
} TraceJob;

static void *trace_job_run(void *userdata) {
        TraceJob *job = userdata;

        /* The analysis runs as the crashing user when that user may read the core anyway (it
         * can then read the user's own binaries too), else as the unprivileged analysis user;
         * never as root. */
        bool as_user = job->crash->allow_user_read;
        uid_t uid;
        gid_t gid;
        ingest_store_analysis_identity(&uid, &gid);
        _cleanup_(freep) char *path = NULL;
        if (job->config->debuginfo_cache_max > 0)
                (void) backtrace_debuginfo_path(job->config->debuginfo_cache_dir, &path);
        BacktraceOptions o = {
                .debuginfo_path = path,
                .timeout_usec = job->config->backtrace_timeout_usec,
                .memory_max = job->config->backtrace_memory_max,
                .uid = as_user ? job->crash->args.uid : uid,
                .gid = as_user ? job->crash->args.gid : gid,
                .exe = job->exe,
                .debuginfod = job->config->backtrace_debuginfod,
        };
        job->analyze_error = backtrace_analyze(job->compact_fd, &o, &job->result);
        return NULL;
}

static void trace_job_start(CollectCore *core, void *userdata) {
        TraceJob *job = userdata;

        job->build_error = collect_compact_build(job->compact, collect_core_info(core), &job->compact_fd, &job->compact_size);
        if (job->build_error < 0)
                return;
        job->exe = export_record_get_string(job->crash->record, "COREDUMP_EXE");
        if (pthread_create(&job->thread, NULL, trace_job_run, job) == 0)
                job->started = true;
        else
                trace_job_run(job); /* no thread: analyse now, in line */
}

/* Waits for the analysis and adds its fields. */
static int trace_job_finish(TraceJob *job, BacktraceResult *ret) {
        ExportRecord *record = job->crash->record;
        BacktraceResult res;
        int r;

        if (job->started)
                (void) pthread_join(job->thread, NULL);
        job->compact_fd = safe_close(job->compact_fd);
        if (job->build_error == -ENOMEM)
                return -ENOMEM;
        if (job->build_error < 0 || (job->build_error == 0 && job->compact_size == 0 && !job->started))
                return export_record_append_string(record, "COREJOURNAL_BACKTRACE_PARTIAL",
                                                   "no stack trace: the core's headers and notes never arrived whole");
        if (job->analyze_error < 0)
                return export_record_appendf(record, "COREJOURNAL_BACKTRACE_PARTIAL", "no stack trace: %s",
                                             strerror(-job->analyze_error));

        res = job->result;
        job->result = (BacktraceResult) {};
        strv_free(*job->crash_debuginfo);
        *job->crash_debuginfo = TAKE_PTR(res.compressed_debuginfo);
        r = 0;
        if (res.package_name)
                r = export_record_append_string(record, "COREDUMP_PACKAGE_NAME", res.package_name);
        if (r >= 0 && res.package_version)
                r = export_record_append_string(record, "COREDUMP_PACKAGE_VERSION", res.package_version);
        if (r >= 0 && res.package_json)
                r = export_record_append_string(record, "COREDUMP_PACKAGE_JSON", res.package_json);
        if (r >= 0 && res.signature)
                r = export_record_append_string(record, "COREJOURNAL_SIGNATURE", res.signature);
        if (r >= 0 && res.json)
                r = export_record_append_string(record, "COREJOURNAL_BACKTRACE_JSON", res.json);
        if (r >= 0 && res.partial)
                r = export_record_append_string(record, "COREJOURNAL_BACKTRACE_PARTIAL", res.partial_reason ?: "partial");
        if (r >= 0)
                r = export_record_appendf(record, "COREJOURNAL_BACKTRACE_USEC", "%" PRIu64, res.usec);
        if (r >= 0)
                r = export_record_appendf(record, "COREJOURNAL_COMPACT_CORE_SIZE", "%" PRIu64, job->compact_size);
        if (r < 0) {
                backtrace_result_done(&res);
                return r;
        }
        *ret = res;
        return 0;
}

int ingest_store_core(KernelCrash *crash, const CollectConfig *config, int core_fd, IngestStoreReport *ret) {
        _cleanup_(collect_storage_result_done) CollectStorageResult res = { .memfd = -EBADF };
        _cleanup_(closep) int input = core_fd, dir_fd = -EBADF;
        _cleanup_(freep) char *filename = NULL, *why = NULL, *message = NULL;
        _cleanup_(collect_compact_freep) CollectCompact *compact = NULL;
        _cleanup_(collect_core_freep) CollectCore *core = NULL;
        _cleanup_(backtrace_result_done) BacktraceResult trace = {};
        TraceJob job = { .compact_fd = -EBADF };
        IngestStoreReport report = {};
        ExportRecord *record = crash->record;
        const KernelArgs *a = &crash->args;
        CollectStorageParams p;
        CollectSpaceAdmission space;
        CollectStorageXattrs xattrs;
        char boot_id[33];
        bool rlimit_refused = false;
        int r;

        collect_storage_params_init(&p);
        p.storage = config->storage;
        p.compress = config->compress;
        p.process_size_max = config->process_size_max;
        p.external_size_max = config->external_size_max;
        p.journal_size_max = config->journal_size_max;

        /* As systemd: an RLIMIT_CORE below a page means the process asked for no core; a larger
         * one caps how much is kept. */
        long page = sysconf(_SC_PAGESIZE);
        if (a->rlimit < (uint64_t) (page > 0 ? page : 4096)) {
                p.storage = COREDUMP_STORAGE_NONE;
                rlimit_refused = true;
                (void) snprintf(report.problem, sizeof(report.problem),
                                "Resource limits disable core dumping for process %d (%s).", (int) a->pid,
                                export_record_get_string(record, "COREDUMP_COMM") ?: "n/a");
        } else {
                /* The storage refuses a core past max(ProcessSizeMax, the storage's own limit),
                 * so the process's limit caps all of them. */
                if (a->rlimit < p.process_size_max)
                        p.process_size_max = a->rlimit;
                if (a->rlimit < p.external_size_max)
                        p.external_size_max = a->rlimit;
                if (a->rlimit < p.journal_size_max)
                        p.journal_size_max = a->rlimit;
        }

        if (p.storage == COREDUMP_STORAGE_EXTERNAL) {
                dir_fd = io_open_dir_create(config->storage_dir, 0755);
                r = dir_fd < 0 ? dir_fd : io_read_boot_id(boot_id);
                if (r >= 0)
                        r = collect_storage_make_filename(export_record_get_string(record, "COREDUMP_COMM") ?: "n/a",
                                                          a->uid, boot_id, a->pid, a->timestamp_sec * 1000000,
                                                          p.compress, &filename);
                uint64_t usage = 0;
                if (r >= 0)
                        r = collect_space_usage(dir_fd, &usage, NULL);
                if (r >= 0)
                        r = collect_space_admit(dir_fd, config->max_use, config->keep_free, usage, &space);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        (void) snprintf(report.problem, sizeof(report.problem),
                                        "cannot use the storage directory %s: %s; the core is not stored",
                                        config->storage_dir, strerror(-r));
                        p.storage = COREDUMP_STORAGE_NONE;
                } else {
                        xattrs = (CollectStorageXattrs) {
                                .pid = export_record_get_string(record, "COREDUMP_PID"),
                                .uid = export_record_get_string(record, "COREDUMP_UID"),
                                .gid = export_record_get_string(record, "COREDUMP_GID"),
                                .signal = export_record_get_string(record, "COREDUMP_SIGNAL"),
                                .timestamp = export_record_get_string(record, "COREDUMP_TIMESTAMP"),
                                .rlimit = export_record_get_string(record, "COREDUMP_RLIMIT"),
                                .hostname = export_record_get_string(record, "COREDUMP_HOSTNAME"),
                                .comm = export_record_get_string(record, "COREDUMP_COMM"),
                                .exe = export_record_get_string(record, "COREDUMP_EXE"),
                        };
                        p.space = &space;
                        p.dir_fd = dir_fd;
                        p.filename = filename;
                        p.xattrs = &xattrs;
                        p.grant_read = crash->allow_user_read;
                        p.read_uid = a->uid;
                }
        }

        r = collect_compact_new(&compact);
        if (r < 0)
                return r;
        p.compact = compact;
        r = collect_core_new(&core);
        if (r < 0)
                return r;
        job = (TraceJob) {
                .crash = crash,
                .crash_debuginfo = &crash->compressed_debuginfo,
                .config = config,
                .compact = compact,
                .compact_fd = -EBADF,
        };
        p.on_stream_end = trace_job_start;
        p.userdata = &job;

        r = collect_storage_save(TAKE_FD(input), &p, core, &res);
        if (r < 0) {
                /* The thread reads the record: it must be done before anything returns. */
                if (job.started)
                        (void) pthread_join(job.thread, NULL);
                job.compact_fd = safe_close(job.compact_fd);
                backtrace_result_done(&job.result);
                return r;
        }
        /* From here on the crasher is released: the rest is off its critical path. */

        if (crash->args.signo <= 0) {
                /* Socket mode: the kernel does not say which signal; the core's notes do. */
                const CollectCoreInfo *info = collect_core_info(core);
                int signo = ingest_store_note_signal(info->note_data, info->note_size);
                if (signo > 0) {
                        r = ingest_store_set_signal(crash, signo);
                        if (r < 0)
                                return r;
                        if (res.stored && res.filename && dir_fd >= 0) {
                                _cleanup_(closep) int fd = openat(dir_fd, res.filename, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                                const char *v = export_record_get_string(record, "COREDUMP_SIGNAL");
                                if (fd >= 0 && v)
                                        (void) fsetxattr(fd, "user.coredump.signal", v, strlen(v), XATTR_CREATE);
                        }
                }
        }

        if (res.stored && p.storage == COREDUMP_STORAGE_EXTERNAL) {
                _cleanup_(collect_vacuum_result_done) CollectVacuumResult vac = {};
                if (collect_vacuum(dir_fd, res.filename, config->max_use, config->keep_free, &vac) >= 0 &&
                    vac.n_removed > 0) {
                        r = export_record_appendf(record, "COREJOURNAL_VACUUM_REMOVED", "%zu", vac.n_removed);
                        if (r < 0)
                                return r;
                }
        }

        r = trace_job_finish(&job, &trace);
        backtrace_result_done(&job.result);
        if (r < 0)
                return r;

        bool forwarded = false;
        if (p.storage == COREDUMP_STORAGE_EXTERNAL && res.stored && res.filename) {
                r = add_forwarding(record, config, dir_fd, &res, trace.signature, &forwarded);
                if (r < 0)
                        return r;
        }

        if (p.storage == COREDUMP_STORAGE_JOURNAL && res.stored && res.memfd >= 0) {
                r = embed_core(record, res.memfd, res.received);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        (void) snprintf(report.problem, sizeof(report.problem),
                                        "cannot embed the core in the record: %s", strerror(-r));
        }

        r = add_outcome(record, &res, config->storage_dir, rlimit_refused, forwarded);
        if (r < 0)
                return r;

        if (!report.problem[0]) {
                r = collect_storage_describe(&res, &why);
                if (r < 0)
                        return r;
                if (why && res.reason != COLLECT_STORAGE_REASON_STORAGE_NONE)
                        (void) snprintf(report.problem, sizeof(report.problem), "%s", why);
        }
        if (report.problem[0]) {
                r = export_record_append_string(record, "COREJOURNAL_CORE_NOT_STORED_MESSAGE", report.problem);
                if (r < 0)
                        return r;
        }

        /* systemd's wording: a core that was read (kept or not) "dumped core"; one the
         * process's own limits disabled "terminated abnormally without generating a coredump". */
        char pid[16], uid[16];
        (void) snprintf(pid, sizeof(pid), "%d", (int) a->pid);
        (void) snprintf(uid, sizeof(uid), "%u", (unsigned) a->uid);
        if (rlimit_refused) {
                if (asprintf(&message, "Process %s (%s) of user %s terminated abnormally without generating a coredump.",
                             pid, export_record_get_string(record, "COREDUMP_COMM") ?: "n/a", uid) < 0)
                        return -ENOMEM;
        } else {
                r = backtrace_message_dumped_core(pid, export_record_get_string(record, "COREDUMP_COMM"), uid, trace.text, &message);
                if (r < 0)
                        return r;
        }
        r = export_record_append_string(record, "MESSAGE", message);
        if (r < 0)
                return r;

        *ret = report;
        return 0;
}

int ingest_store_note_signal(const void *notes, size_t size) {
        const uint8_t *p = notes;
        int prstatus = 0;

        if (!notes)
                return 0;
        for (size_t off = 0; size - off >= 12;) {
                uint32_t namesz, descsz, type;
                memcpy(&namesz, p + off, 4);
                memcpy(&descsz, p + off + 4, 4);
                memcpy(&type, p + off + 8, 4);
                off += 12;
                uint64_t name_end = (uint64_t) off + (((uint64_t) namesz + 3) & ~(uint64_t) 3);
                if (name_end > size)
                        break;
                uint64_t desc_end = name_end + descsz;
                if (desc_end > size)
                        break;
                int32_t signo;
                if (descsz >= 4 && (type == NT_SIGINFO || (type == NT_PRSTATUS && prstatus == 0))) {
                        /* siginfo_t and struct elf_prstatus both start with si_signo. */
                        memcpy(&signo, p + name_end, 4);
                        if (signo > 0 && signo <= 64) {
                                if (type == NT_SIGINFO)
                                        return signo;
                                prstatus = signo;
                        }
                }
                off = (size_t) ((desc_end + 3) & ~(uint64_t) 3);
                if (off > size)
                        break;
        }
        return prstatus;
}

int ingest_store_set_signal(KernelCrash *crash, int signo) {
        char buf[16];
        const char *name;
        int r;

        if (signo <= 0 || signo > 64)
                return -EINVAL;
        r = export_record_appendf(crash->record, "COREDUMP_SIGNAL", "%d", signo);
        if (r < 0)
                return r;
        name = signal_to_name(signo, buf);
        if (name) {
                r = export_record_append_string(crash->record, "COREDUMP_SIGNAL_NAME", name);
                if (r < 0)
                        return r;
        }
        crash->args.signo = signo;
        return 0;
}

int ingest_store_admit(const KernelCrash *crash, const CollectConfig *config, uint64_t resident,
                       const char **ret_token, char **ret_message) {
        _cleanup_(closep) int dir_fd = -EBADF;
        CollectSpaceAdmission space;
        uint64_t usage = 0;
        char *message = NULL;
        int r;

        (void) crash;
        if (resident > config->process_size_max) {
                if (asprintf(&message, "The core will not be stored: the process's resident memory %" PRIu64
                             " is greater than %" PRIu64 " (the configured maximum, ProcessSizeMax=)",
                             resident, config->process_size_max) < 0)
                        return -ENOMEM;
                *ret_token = "process-size-max";
                *ret_message = message;
                return 0;
        }
        if (config->storage == COREDUMP_STORAGE_EXTERNAL) {
                dir_fd = io_open_dir_create(config->storage_dir, 0755);
                r = dir_fd < 0 ? dir_fd : collect_space_usage(dir_fd, &usage, NULL);
                if (r >= 0)
                        r = collect_space_admit(dir_fd, config->max_use, config->keep_free, usage, &space);
                if (r == -ENOMEM)
                        return r;
                /* An unusable directory is judged by the stream path, which says why in the record. */
                if (r >= 0 && !space.allowed) {
                        bool max_use = space.limit == COLLECT_SPACE_LIMIT_MAX_USE;
                        if (asprintf(&message, "The core will not be stored: no space left under %s (%s)",
                                     max_use ? "MaxUse=" : "KeepFree=", config->storage_dir) < 0)
                                return -ENOMEM;
                        *ret_token = max_use ? "max-use" : "keep-free";
                        *ret_message = message;
                        return 0;
                }
        }
        *ret_token = NULL;
        *ret_message = NULL;
        return 0;
}

int ingest_store_discard(KernelCrash *crash, int core_fd, const char *token, const char *why) {
        _cleanup_(closep) int input = core_fd;
        _cleanup_(freep) char *message = NULL;
        ExportRecord *record = crash->record;
        char pid[16], uid[16];
        int r;

        if (input >= 0) {
                /* Read at pipe speed, so the crasher goes as soon as the kernel has written it all. */
                _cleanup_(freep) uint8_t *buf = malloc(256 * KIB);
                uint64_t total = 0;
                if (!buf)
                        return -ENOMEM;
                for (;;) {
                        ssize_t n = read(input, buf, 256 * KIB);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        total += (uint64_t) n;
                }
                input = safe_close(input);
                r = export_record_appendf(record, "COREJOURNAL_CORE_SIZE", "%" PRIu64, total);
                if (r < 0)
                        return r;
        }
        r = export_record_append_string(record, "COREJOURNAL_CORE_NOT_STORED", token);
        if (r >= 0 && why)
                r = export_record_append_string(record, "COREJOURNAL_CORE_NOT_STORED_MESSAGE", why);
        if (r < 0)
                return r;
        (void) snprintf(pid, sizeof(pid), "%d", (int) crash->args.pid);
        (void) snprintf(uid, sizeof(uid), "%u", (unsigned) crash->args.uid);
        r = backtrace_message_dumped_core(pid, export_record_get_string(record, "COREDUMP_COMM"), uid, NULL, &message);
        if (r < 0)
                return r;
        return export_record_append_string(record, "MESSAGE", message);
}

int ingest_store_refused(KernelCrash *crash, const char *token, const char *why) {
        _cleanup_(freep) char *message = NULL;
        ExportRecord *record = crash->record;
        int r;

        r = export_record_append_string(record, "COREJOURNAL_CORE_NOT_STORED", token);
        if (r >= 0 && why)
                r = export_record_append_string(record, "COREJOURNAL_CORE_NOT_STORED_MESSAGE", why);
        if (r < 0)
                return r;
        if (asprintf(&message, "Process %d (%s) of user %u terminated abnormally without generating a coredump.",
                     (int) crash->args.pid, export_record_get_string(record, "COREDUMP_COMM") ?: "n/a",
                     (unsigned) crash->args.uid) < 0)
                return -ENOMEM;
        return export_record_append_string(record, "MESSAGE", message);
}

int ingest_store_cache_debuginfo(KernelCrash *crash, const CollectConfig *config) {
        size_t n = 0;

        if (!crash->compressed_debuginfo || config->debuginfo_cache_max == 0)
                return 0;
        while (crash->compressed_debuginfo[n])
                n++;
        int r = backtrace_debuginfo_cache(config->debuginfo_cache_dir, crash->compressed_debuginfo, n,
                                          config->debuginfo_cache_max);
        strv_free(crash->compressed_debuginfo);
        crash->compressed_debuginfo = NULL;
        return r;
}
