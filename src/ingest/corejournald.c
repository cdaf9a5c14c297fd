/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corejournald: the kernel's @@ coredump socket server (core_pattern=@@/run/corejournal/kernel), and
 * the receiving end of the pipe handler's handoff (/run/corejournal/handoff).
 *
 * Worker model: a fixed pool of threads behind a bounded queue. The main thread only accepts
 * (so the listen backlog drains at once: a full backlog loses the crash, see KERNEL-FACTS.md §2),
 * stamps the accept time and queues the connection; a worker runs the whole crash. Threads, not
 * forked workers: the work is streaming I/O and waiting (the crasher, journald), every untrusted
 * ELF parse already runs in a forked, sandboxed child (backtrace-sandbox.c), and shared state (rate
 * limiter, counters, configuration) stays one mutex away instead of needing IPC. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "collect-config.h"
#include "export-sink-journal.h"
#include "ingest-deliver.h"
#include "ingest-handoff-channel.h"
#include "ingest-kernel.h"
#include "ingest-ratelimit.h"
#include "ingest-socket.h"
#include "ingest-store.h"
#include "input-limits.h"
#include "io.h"

#define SOCKET_PATH_DEFAULT "/run/corejournal/kernel"
#define WORKERS_DEFAULT 8
#define LISTEN_BACKLOG 4096
/* How long a refused crasher's exit status is awaited for its signal number. */
#define EXIT_WAIT_MSEC 1000

static const char *arg_socket = SOCKET_PATH_DEFAULT;
static const char *arg_handoff_socket = NULL; /* NULL: HandoffSocket= */
static const char *arg_config = NULL;
static const char *arg_journal_socket = NULL;
static const char *arg_proc = "/proc";
static char namespace_socket[256];
static unsigned arg_workers = WORKERS_DEFAULT;

/* The configuration, replaced as a whole on SIGHUP; each crash holds a reference to one. */
typedef struct SharedConfig {
        CollectConfig c;
        unsigned refs;
} SharedConfig;

typedef struct Pending {
        int fd;
        uint64_t accept_usec;         /* CLOCK_REALTIME */
        IngestHandoffCrash *handoff;  /* owned: a crash a pipe handler handed over; NULL: the kernel's @@ connection */
        uint64_t queued_usec;         /* CLOCK_MONOTONIC, when a handoff was accepted */
} Pending;

static struct {
        pthread_mutex_t lock;        /* queue, stopping, config, handoff_queued_bytes */
        pthread_cond_t not_empty;
        Pending *queue;
        size_t head, n;
        bool stopping;
        SharedConfig *config;
        uint64_t handoff_queued_bytes; /* context records of handed-over crashes not finished yet */

        pthread_mutex_t ratelimit_lock;
        IngestRatelimit *ratelimit;
        pthread_mutex_t deliver_lock; /* one delivery (and spool replay) at a time */

        int proc_fd;
} daemon_state = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .not_empty = PTHREAD_COND_INITIALIZER,
        .ratelimit_lock = PTHREAD_MUTEX_INITIALIZER,
        .deliver_lock = PTHREAD_MUTEX_INITIALIZER,
        .proc_fd = -EBADF,
};

/* What the daemon reports on SIGUSR1 and at exit. */
static struct {
        atomic_ulong accepted, refused_clients, protocol_errors, stored_streams, rejected, ratelimited,
                delivered, spooled, lost, handoffs, handoffs_refused, handoffs_abandoned;
} stats;

/* The spool retry: after the journal refused a record, the spool is replayed on a timer (doubling
 * from SPOOL_RETRY_INTERVAL_MIN_USEC to _MAX_USEC) until it is empty. */
static struct {
        pthread_mutex_t lock;
        pthread_cond_t wake; /* CLOCK_MONOTONIC */
        bool due, stopping;
        uint64_t at_usec, interval_usec;
} replay = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
};

_printf_(2, 3) static void log_at(int level, const char *format, ...) {
        char line[2048];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(line, sizeof(line), format, ap);
        va_end(ap);
        /* Under systemd stderr goes to the journal, which reads the <N> prefix as the priority. */
        if (getenv("JOURNAL_STREAM"))
                fprintf(stderr, "<%d>%s\n", level, line);
        else
                fprintf(stderr, "corejournald: %s\n", line);
}
#define log_error(...) log_at(3, __VA_ARGS__)
#define log_warning(...) log_at(4, __VA_ARGS__)
#define log_info(...) log_at(6, __VA_ARGS__)

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "Serve the kernel's coredump socket (kernel.core_pattern=@@%s).\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version and enabled features\n"
               "     --socket=PATH          Listen on PATH (default %s; ignored when socket-activated)\n"
               "     --handoff-socket=PATH  Take pipe-mode handoffs on PATH (default HandoffSocket=;\n"
               "                            ignored when socket-activated)\n"
               "     --config=FILE          Read only FILE instead of coredump.conf and its drop-ins\n"
               "     --workers=N            Crashes processed at once (default %d, at most %d)\n"
               "     --journal-socket=PATH  Deliver to journald listening on PATH\n"
               "     --namespace=NAME       Deliver to the journald namespace NAME\n",
               program_invocation_short_name, SOCKET_PATH_DEFAULT, SOCKET_PATH_DEFAULT, WORKERS_DEFAULT, DAEMON_WORKERS_MAX);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_SOCKET, ARG_HANDOFF_SOCKET, ARG_CONFIG, ARG_WORKERS, ARG_JOURNAL_SOCKET, ARG_NAMESPACE, ARG_PROC };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "handoff-socket", required_argument, NULL, ARG_HANDOFF_SOCKET },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "workers", required_argument, NULL, ARG_WORKERS },
                { "journal-socket", required_argument, NULL, ARG_JOURNAL_SOCKET },
                { "namespace", required_argument, NULL, ARG_NAMESPACE },
                { "proc", required_argument, NULL, ARG_PROC },
                {},
        };
        char *end;
        unsigned long n;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("corejournal %s\n+ZSTD +ELFUTILS +JSON\n", PACKAGE_VERSION);
                        return 0;
                case ARG_SOCKET:
                        arg_socket = optarg;
                        break;
                case ARG_HANDOFF_SOCKET:
                        arg_handoff_socket = optarg;
                        break;
                case ARG_CONFIG:
                        arg_config = optarg;
                        break;
                case ARG_WORKERS:
                        errno = 0;
                        n = strtoul(optarg, &end, 10);
                        if (errno != 0 || *end || n == 0 || n > DAEMON_WORKERS_MAX) {
                                log_error("invalid --workers=%s (1..%d)", optarg, DAEMON_WORKERS_MAX);
                                return -EINVAL;
                        }
                        arg_workers = (unsigned) n;
                        break;
                case ARG_JOURNAL_SOCKET:
                        arg_journal_socket = optarg;
                        break;
                case ARG_NAMESPACE:
                        if (export_sink_journal_socket_for_namespace(optarg, namespace_socket, sizeof(namespace_socket)) < 0) {
                                log_error("invalid journal namespace '%s'", optarg);
                                return -EINVAL;
                        }
                        arg_journal_socket = namespace_socket;
                        break;
                case ARG_PROC:
                        arg_proc = optarg;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        if (optind < argc) {
                log_error("unexpected argument '%s'", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static SharedConfig *config_unref(SharedConfig *c) {
        if (!c)
                return NULL;
        pthread_mutex_lock(&daemon_state.lock);
        bool last = --c->refs == 0;
        pthread_mutex_unlock(&daemon_state.lock);
        if (last) {
                collect_config_done(&c->c);
                free(c);
        }
        return NULL;
}

static SharedConfig *config_ref_current(void) {
        pthread_mutex_lock(&daemon_state.lock);
        SharedConfig *c = daemon_state.config;
        c->refs++;
        pthread_mutex_unlock(&daemon_state.lock);
        return c;
}

/* Reads the configuration into a new SharedConfig; problems are logged, defaults kept. */
static int load_config(SharedConfig **ret) {
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};
        SharedConfig *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        r = collect_config_load(AT_FDCWD, arg_config, &diag, &c->c);
        for (size_t i = 0; i < diag.n_messages; i++)
                log_warning("configuration: %s", diag.messages[i]);
        if (diag.n_suppressed > 0)
                log_warning("%zu more configuration problems not shown", diag.n_suppressed);
        if (r < 0) {
                log_error("cannot read configuration %s: %s", arg_config ?: "", strerror(-r));
                free(c);
                return r;
        }
        c->refs = 1;
        *ret = c;
        return 0;
}

static void log_stats(const char *when) {
        log_info("%s: %lu crashes accepted, %lu cores streamed, %lu rejected before the stream (%lu by the rate limit), "
                 "%lu records delivered, %lu spooled, %lu lost; %lu clients refused, %lu protocol errors; "
                 "%lu handoffs taken, %lu refused, %lu abandoned by their handler",
                 when, atomic_load(&stats.accepted), atomic_load(&stats.stored_streams), atomic_load(&stats.rejected),
                 atomic_load(&stats.ratelimited), atomic_load(&stats.delivered), atomic_load(&stats.spooled),
                 atomic_load(&stats.lost), atomic_load(&stats.refused_clients), atomic_load(&stats.protocol_errors),
                 atomic_load(&stats.handoffs), atomic_load(&stats.handoffs_refused), atomic_load(&stats.handoffs_abandoned));
}

/* Asks for a spool replay soon, unless one is already scheduled. */
static void replay_schedule(void) {
        pthread_mutex_lock(&replay.lock);
        if (!replay.due) {
                replay.due = true;
                replay.interval_usec = SPOOL_RETRY_INTERVAL_MIN_USEC;
                replay.at_usec = io_now_monotonic_usec() + replay.interval_usec;
                pthread_cond_signal(&replay.wake);
        }
        pthread_mutex_unlock(&replay.lock);
}

/* Where records go; upload is the storage for UploadURL='s target. --journal-socket/--namespace on
 * the command line win over UploadURL=. */
static IngestSink sink_of(const SharedConfig *config, ExportHttpTarget *upload) {
        bool uploading = !arg_journal_socket && !config->c.export_file &&
                         ingest_deliver_upload_target(&config->c, upload);
        return (IngestSink) {
                .export_file = config->c.export_file,
                .journal_socket = arg_journal_socket ?: config->c.journal_socket,
                .upload = uploading ? upload : NULL,
                .spool_dir = config->c.spool_dir,
        };
}

/* Delivers or spools the crash's record (a spooled one schedules the replay), with the crashing
 * user's credentials when the crash is safe for the user. Returns an IngestDelivery, or -errno
 * when it is lost. */
static int deliver(const SharedConfig *config, const KernelCrash *crash) {
        ExportHttpTarget upload;
        IngestSink s = sink_of(config, &upload);
        IngestDeliveryReport report = {};
        ExportSinkCredentials as_user;
        bool to_user = ingest_kernel_sender(crash, config->c.deliver_as_user, &as_user);
        pid_t pid = crash->args.pid;
        int r;

        pthread_mutex_lock(&daemon_state.deliver_lock);
        r = ingest_deliver(&s, crash->record, to_user ? &as_user : NULL, &report);
        pthread_mutex_unlock(&daemon_state.deliver_lock);
        if (report.as_user_error < 0)
                log_warning("process %d: cannot send the record as uid %u (%s); sent it as root, to the system journal",
                            (int) pid, (unsigned) as_user.uid, strerror(-report.as_user_error));
        if (r == INGEST_DELIVERED)
                atomic_fetch_add(&stats.delivered, 1);
        else if (r == INGEST_SPOOLED) {
                atomic_fetch_add(&stats.spooled, 1);
                log_warning("process %d: the journal refused the record (%s); kept in %s/%s", (int) pid,
                            report.sink_message[0] ? report.sink_message : strerror(-report.sink_error),
                            s.spool_dir, report.spool_name);
                replay_schedule();
        } else {
                atomic_fetch_add(&stats.lost, 1);
                log_error("process %d: cannot deliver the record (%s) nor spool it in %s: %s", (int) pid,
                          strerror(-report.sink_error), s.spool_dir, strerror(-r));
        }
        if (report.replayed > 0)
                log_info("replayed %zu spooled record%s", report.replayed, report.replayed == 1 ? "" : "s");
        return r;
}

/* Counts the crash against its executable's and its unit's rate limits. When refused, ret_why
 * holds the sentence for the record (NULL when out of memory). Returns 0 or -ENOMEM. */
static int ratelimit(const SharedConfig *config, const ExportRecord *record, IngestRatelimitVerdict *ret, char **ret_why) {
        const char *exe = export_record_get_string(record, "COREDUMP_EXE") ?:
                export_record_get_string(record, "COREDUMP_COMM");
        const char *unit = export_record_get_string(record, "COREDUMP_UNIT");
        IngestRatelimitVerdict v;
        char *why = NULL;
        int r;

        pthread_mutex_lock(&daemon_state.ratelimit_lock);
        r = ingest_ratelimit_check(daemon_state.ratelimit, exe, unit, io_now_monotonic_usec(),
                                   config->c.ratelimit_interval_usec, config->c.ratelimit_burst, &v);
        pthread_mutex_unlock(&daemon_state.ratelimit_lock);
        if (r < 0)
                return r;
        if (!v.allowed) {
                atomic_fetch_add(&stats.ratelimited, 1);
                if (v.limited_by == INGEST_RATELIMIT_UNIT)
                        r = asprintf(&why, "The core will not be stored: more than %u crashes in %s within RateLimitIntervalSec=",
                                     config->c.ratelimit_burst, unit);
                else
                        r = asprintf(&why, "The core will not be stored: more than %u crashes of %s within RateLimitIntervalSec=",
                                     config->c.ratelimit_burst, exe ?: "this executable");
                if (r < 0)
                        why = NULL;
        }
        *ret = v;
        *ret_why = why;
        return 0;
}

/* COREJOURNAL_RATELIMITED_COUNT and _BY for a refused crash, _PREVIOUS for the first one admitted
 * after an interval that refused some. */
static int ratelimit_fields(ExportRecord *record, const IngestRatelimitVerdict *v) {
        int r;

        if (!v->allowed) {
                r = export_record_appendf(record, "COREJOURNAL_RATELIMITED_COUNT", "%lu", (unsigned long) v->refused);
                if (r >= 0)
                        r = export_record_append_string(record, "COREJOURNAL_RATELIMITED_BY",
                                                        ingest_ratelimit_scope_to_string(v->limited_by));
                return r;
        }
        if (v->refused_before > 0)
                return export_record_appendf(record, "COREJOURNAL_RATELIMITED_PREVIOUS", "%lu",
                                             (unsigned long) v->refused_before);
        return 0;
}

/* The signal of a crash whose core never came: the exit status, once the crasher is reaped. */
static int signal_from_exit(int pidfd) {
        CollectPidfdInfo info;
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        uint64_t deadline = io_now_monotonic_usec() + EXIT_WAIT_MSEC * 1000;

        for (;;) {
                if (collect_pidfd_info(pidfd, &info) >= 0 && info.has_exit && WIFSIGNALED(info.exit_code))
                        return WTERMSIG(info.exit_code);
                uint64_t now = io_now_monotonic_usec();
                if (now >= deadline)
                        return 0;
                /* Readable at exit; the exit status appears when the parent reaps it. */
                if (poll(&p, 1, 10) < 0 && errno != EINTR)
                        return 0;
        }
}

static void handle_crash(int conn_fd, uint64_t accept_usec) {
        _cleanup_(closep) int conn = conn_fd;
        _cleanup_(ingest_socket_peer_done) IngestSocketPeer peer = { .pidfd = -EBADF };
        _cleanup_(ingest_kernel_crash_done) KernelCrash crash = { .pidfd = -EBADF };
        _cleanup_(freep) char *why = NULL;
        SharedConfig *config = NULL;
        IngestRatelimitVerdict verdict = { .allowed = true };
        const char *token = NULL;
        KernelArgs args;
        uint64_t resident;
        char error[512] = "";
        int r;

        r = ingest_socket_peer_read(conn, accept_usec, &peer, error, sizeof(error));
        if (r == -EPERM) {
                atomic_fetch_add(&stats.refused_clients, 1);
                log_warning("%s", error);
                return;
        }
        if (r < 0) {
                atomic_fetch_add(&stats.protocol_errors, 1);
                log_error("%s", error);
                return;
        }
        atomic_fetch_add(&stats.accepted, 1);

        ingest_socket_kernel_args(&peer, daemon_state.proc_fd, &args, &resident);
        args.pidfd = fcntl(peer.pidfd, F_DUPFD_CLOEXEC, 3); /* the gather takes it over */
        r = ingest_kernel_gather(&args, daemon_state.proc_fd, &crash);
        if (r < 0) {
                /* Out of memory: no record can be built; let the process go without a core. */
                (void) ingest_socket_ack(conn, &peer.request, COREDUMP_REJECT);
                log_error("process %d: cannot collect its context: %s", (int) args.pid, strerror(-r));
                atomic_fetch_add(&stats.lost, 1);
                return;
        }
        if (crash.context_skipped)
                log_warning("process %d: no /proc context: %s", (int) args.pid, crash.context_skipped);

        config = config_ref_current();

        /* Admission before the core exists: a refusal is a REJECT, so the kernel never makes it. */
        r = ratelimit(config, crash.record, &verdict, &why);
        if (r >= 0 && !verdict.allowed)
                token = "rate-limit";
        else
                r = ingest_store_admit(&crash, &config->c, resident, &token, &why);
        if (r < 0) {
                token = "no-memory";
                why = NULL;
        }

        r = ingest_socket_ack(conn, &peer.request, token ? COREDUMP_REJECT : COREDUMP_KERNEL | COREDUMP_WAIT);
        if (r != COREDUMP_MARK_REQACK) {
                atomic_fetch_add(&stats.protocol_errors, 1);
                log_error("process %d: the kernel did not take our ack: %s", (int) args.pid,
                          r < 0 ? strerror(-r) : coredump_mark_to_string((CoredumpMark) r));
                if (!token) {
                        token = "protocol-error";
                        free(why);
                        why = NULL;
                }
        }

        if (!token && r == COREDUMP_MARK_REQACK) {
                IngestStoreReport report;
                /* Streams the core and closes the connection at EOF: that releases the crasher. */
                r = ingest_store_core(&crash, &config->c, TAKE_FD(conn), &report);
                if (r < 0) {
                        log_error("process %d: cannot read its core: %s", (int) args.pid, strerror(-r));
                        atomic_fetch_add(&stats.lost, 1);
                        config_unref(config);
                        return;
                }
                atomic_fetch_add(&stats.stored_streams, 1);
                if (report.problem[0])
                        log_warning("process %d: %s", (int) args.pid, report.problem);
        } else {
                conn = safe_close(conn); /* releases the crasher */
                atomic_fetch_add(&stats.rejected, 1);
                r = ingest_store_refused(&crash, token, why);
                if (r < 0) {
                        log_error("process %d: cannot build its record: %s", (int) args.pid, strerror(-r));
                        atomic_fetch_add(&stats.lost, 1);
                        config_unref(config);
                        return;
                }
        }

        r = ratelimit_fields(crash.record, &verdict);
        if (r >= 0 && crash.args.signo <= 0) {
                int signo = signal_from_exit(peer.pidfd);
                if (signo > 0)
                        r = ingest_store_set_signal(&crash, signo);
        }
        if (r < 0)
                log_error("process %d: cannot complete its record: %s", (int) args.pid, strerror(-r));

        deliver(config, &crash);
        /* Off the record's path: make the next stack trace through the same libraries fast. */
        (void) ingest_store_cache_debuginfo(&crash, &config->c);
        config_unref(config);
}

/* A crash a pipe handler handed over and we accepted: take the core with the handler's
 * confirmation, then store, trace and deliver it as in socket mode, and tell the handler it is
 * recorded. Without that word the handler writes the record itself (see corejournald(8)). */
static void handle_handoff(int conn_fd, IngestHandoffCrash *handoff, uint64_t queued_usec) {
        _cleanup_(closep) int conn = conn_fd;
        _cleanup_(ingest_handoff_crash_done) IngestHandoffCrash h = *handoff;
        _cleanup_(freep) char *why = NULL;
        IngestRatelimitVerdict verdict = { .allowed = true };
        uint64_t context_bytes = h.crash.record->payload_size;
        SharedConfig *config = NULL;
        pid_t pid = h.crash.args.pid;
        char error[512] = "";
        int r;

        free(handoff);

        r = ingest_handoff_receive_core(conn, HANDOFF_ANSWER_TIMEOUT_USEC, &h, error, sizeof(error));
        if (r < 0) {
                /* The handler gave up (it processes the crash itself) or sent no usable core. */
                atomic_fetch_add(&stats.handoffs_abandoned, 1);
                log_warning("process %d: handoff not confirmed: %s; left to its handler", (int) pid, error);
                goto finish;
        }
        uint64_t wait_usec = io_now_monotonic_usec() - queued_usec;

        config = config_ref_current();
        r = ratelimit(config, h.crash.record, &verdict, &why);
        if (r >= 0)
                r = export_record_append_string(h.crash.record, "COREJOURNAL_HANDOFF", "daemon");
        if (r >= 0)
                r = export_record_appendf(h.crash.record, "COREJOURNAL_HANDOFF_WAIT_USEC", "%" PRIu64, wait_usec);
        if (r >= 0 && !verdict.allowed) {
                /* The kernel made the core already: read it and keep nothing, no stack trace. */
                r = ingest_store_discard(&h.crash, TAKE_FD(h.core_fd), "rate-limit", why);
        } else if (r >= 0) {
                IngestStoreReport report;
                /* Streams the core and closes our copy of the pipe at EOF, releasing the crasher. */
                r = ingest_store_core(&h.crash, &config->c, TAKE_FD(h.core_fd), &report);
                if (r >= 0) {
                        atomic_fetch_add(&stats.stored_streams, 1);
                        if (report.problem[0])
                                log_warning("process %d: %s", (int) pid, report.problem);
                }
        }
        if (r >= 0)
                r = ratelimit_fields(h.crash.record, &verdict);
        if (r < 0) {
                /* No record from us: the handler, seeing the connection close, writes its own. */
                log_error("process %d: cannot process the handed-over crash: %s", (int) pid, strerror(-r));
                atomic_fetch_add(&stats.lost, 1);
                goto finish;
        }

        r = deliver(config, &h.crash);
        if (r >= 0) {
                int k = ingest_handoff_send(conn, HANDOFF_RECORDED, r);
                if (k < 0)
                        log_warning("process %d: cannot tell the handler the crash is recorded: %s", (int) pid, strerror(-k));
        }
        /* Off the record's path: make the next stack trace through the same libraries fast. */
        (void) ingest_store_cache_debuginfo(&h.crash, &config->c);

finish:
        config_unref(config);
        pthread_mutex_lock(&daemon_state.lock);
        daemon_state.handoff_queued_bytes -= context_bytes;
        pthread_mutex_unlock(&daemon_state.lock);
}

static void *worker(void *userdata) {
        (void) userdata;
        for (;;) {
                pthread_mutex_lock(&daemon_state.lock);
                while (daemon_state.n == 0 && !daemon_state.stopping)
                        pthread_cond_wait(&daemon_state.not_empty, &daemon_state.lock);
                if (daemon_state.n == 0) {
                        pthread_mutex_unlock(&daemon_state.lock);
                        return NULL;
                }
                Pending p = daemon_state.queue[daemon_state.head];
                daemon_state.head = (daemon_state.head + 1) % DAEMON_QUEUE_MAX;
                daemon_state.n--;
                pthread_mutex_unlock(&daemon_state.lock);

                if (p.handoff)
                        handle_handoff(p.fd, p.handoff, p.queued_usec);
                else
                        handle_crash(p.fd, p.accept_usec);
        }
}

/* Whether the queue takes one more crash whose context record holds handoff_bytes (0 for the
 * kernel's connections). Only the main thread adds to the queue, so room it sees stays there. */
static bool queue_has_room(uint64_t handoff_bytes) {
        pthread_mutex_lock(&daemon_state.lock);
        bool room = daemon_state.n < DAEMON_QUEUE_MAX &&
                (handoff_bytes == 0 || daemon_state.handoff_queued_bytes + handoff_bytes <= HANDOFF_QUEUED_CONTEXT_MAX);
        pthread_mutex_unlock(&daemon_state.lock);
        return room;
}

static bool queue_full(void) {
        return !queue_has_room(0);
}

/* Queues p for a worker; the caller checked for room. */
static void queue_push(Pending p) {
        pthread_mutex_lock(&daemon_state.lock);
        assert(daemon_state.n < DAEMON_QUEUE_MAX);
        daemon_state.queue[(daemon_state.head + daemon_state.n) % DAEMON_QUEUE_MAX] = p;
        daemon_state.n++;
        if (p.handoff)
                daemon_state.handoff_queued_bytes += p.handoff->crash.record->payload_size;
        pthread_cond_signal(&daemon_state.not_empty);
        pthread_mutex_unlock(&daemon_state.lock);
}

/* Accepts what the backlog holds, as long as the queue has room. Returns the number accepted. */
static size_t accept_pending(int listen_fd) {
        size_t accepted = 0;

        while (!queue_full()) {
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                log_error("accept(): %m");
                        break;
                }
                queue_push((Pending) { .fd = fd, .accept_usec = io_now_realtime_usec() });
                accepted++;
        }
        return accepted;
}

/* Handoff connections accepted by the main thread and waiting for their offer. The main thread reads
 * each offer as it arrives and answers at once, so a handler never waits for a worker to learn
 * whether its crash is taken. */
typedef struct Intake {
        int fd;
        pid_t pid;              /* the handler, for log lines */
        uint64_t deadline_usec; /* CLOCK_MONOTONIC; silent past it: dropped */
} Intake;

static Intake intakes[HANDOFF_INTAKE_MAX];
static size_t n_intakes;

static void intake_remove(size_t i, bool close_fd) {
        if (close_fd)
                (void) safe_close(intakes[i].fd);
        intakes[i] = intakes[--n_intakes];
}

/* Accepts handoff connections while there is room; a peer that is not root is refused at once. */
static void accept_handoffs(int listen_fd) {
        char error[256];

        while (n_intakes < HANDOFF_INTAKE_MAX) {
                struct ucred cred;
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                log_error("accept() on the handoff socket: %m");
                        return;
                }
                int r = ingest_handoff_check_peer(fd, 0, &cred, error, sizeof(error));
                if (r < 0) {
                        atomic_fetch_add(&stats.refused_clients, 1);
                        log_warning("handoff: %s", error);
                        (void) ingest_handoff_send(fd, HANDOFF_REFUSED, r);
                        (void) close(fd);
                        continue;
                }
                intakes[n_intakes++] = (Intake) {
                        .fd = fd,
                        .pid = cred.pid,
                        .deadline_usec = io_now_monotonic_usec() + HANDOFF_RECEIVE_TIMEOUT_USEC,
                };
        }
}

/* Reads the offer of intake i if it arrived, answers it and queues an accepted crash. Returns false
 * when the intake still waits. */
static bool intake_receive(size_t i) {
        IngestHandoffCrash h = { .crash.pidfd = -EBADF, .core_fd = -EBADF };
        Intake in = intakes[i];
        char error[512] = "";
        int r;

        r = ingest_handoff_receive(in.fd, &h, error, sizeof(error));
        if (r == -EAGAIN)
                return false;
        if (r < 0) {
                atomic_fetch_add(&stats.handoffs_refused, 1);
                log_warning("handoff from PID %d: %s", (int) in.pid, error[0] ? error : strerror(-r));
                if (r != -EPIPE)
                        (void) ingest_handoff_send(in.fd, HANDOFF_REFUSED, r);
                intake_remove(i, true);
                return true;
        }

        /* Room first, then the answer, then the queue: an accepted crash always gets a worker, and a
         * worker never waits for a confirmation before the handler had its answer. */
        IngestHandoffCrash *copy = NULL;
        if (!queue_has_room(h.crash.record->payload_size))
                r = -EBUSY;
        else if (!(copy = malloc(sizeof(*copy))))
                r = -ENOMEM;
        else
                r = ingest_handoff_send(in.fd, HANDOFF_ACCEPTED, 0);
        if (r < 0) {
                atomic_fetch_add(&stats.handoffs_refused, 1);
                log_warning("process %d: handoff not taken: %s", (int) h.crash.args.pid, strerror(-r));
                if (r == -EBUSY || r == -ENOMEM)
                        (void) ingest_handoff_send(in.fd, HANDOFF_REFUSED, r);
                ingest_handoff_crash_done(&h);
                free(copy);
                intake_remove(i, true);
                return true;
        }
        *copy = h;
        queue_push((Pending) {
                .fd = in.fd,
                .accept_usec = io_now_realtime_usec(),
                .handoff = copy,
                .queued_usec = io_now_monotonic_usec(),
        });
        atomic_fetch_add(&stats.handoffs, 1);
        intake_remove(i, false);
        return true;
}

/* Drops the intakes whose handler said nothing in time. */
static void intake_expire(uint64_t now) {
        for (size_t i = 0; i < n_intakes;)
                if (now >= intakes[i].deadline_usec) {
                        atomic_fetch_add(&stats.handoffs_refused, 1);
                        log_warning("handoff from PID %d: no offer within %" PRIu64 " ms; dropped", (int) intakes[i].pid,
                                    HANDOFF_RECEIVE_TIMEOUT_USEC / 1000);
                        intake_remove(i, true);
                } else
                        i++;
}

static void *replayer(void *userdata) {
        (void) userdata;
        pthread_mutex_lock(&replay.lock);
        for (;;) {
                while (!replay.stopping && !replay.due)
                        pthread_cond_wait(&replay.wake, &replay.lock);
                if (replay.stopping)
                        break;
                uint64_t now = io_now_monotonic_usec();
                if (now < replay.at_usec) {
                        struct timespec ts = {
                                .tv_sec = (time_t) (replay.at_usec / 1000000),
                                .tv_nsec = (long) (replay.at_usec % 1000000 * 1000),
                        };
                        (void) pthread_cond_timedwait(&replay.wake, &replay.lock, &ts);
                        continue;
                }
                pthread_mutex_unlock(&replay.lock);

                SharedConfig *config = config_ref_current();
                ExportHttpTarget upload;
                IngestSink sink = sink_of(config, &upload);
                IngestDeliveryReport report = {};
                pthread_mutex_lock(&daemon_state.deliver_lock);
                int r = ingest_deliver_replay(&sink, &report);
                pthread_mutex_unlock(&daemon_state.deliver_lock);
                if (r < 0)
                        log_warning("cannot replay the spool %s: %s", sink.spool_dir, strerror(-r));
                else if (report.replayed > 0)
                        log_info("replayed %zu spooled record%s, %zu left", report.replayed,
                                 report.replayed == 1 ? "" : "s", report.spool_remaining);
                config_unref(config);

                pthread_mutex_lock(&replay.lock);
                if (r < 0 || report.spool_remaining > 0) {
                        replay.interval_usec = replay.interval_usec * 2 > SPOOL_RETRY_INTERVAL_MAX_USEC ?
                                SPOOL_RETRY_INTERVAL_MAX_USEC : replay.interval_usec * 2;
                        replay.at_usec = io_now_monotonic_usec() + replay.interval_usec;
                } else
                        replay.due = false;
        }
        pthread_mutex_unlock(&replay.lock);
        return NULL;
}

/* The kernel's rules for the path (KERNEL-FACTS.md §2): absolute, no "..", no space, < 108 bytes. */
static int check_socket_path(const char *path) {
        if (path[0] != '/' || strstr(path, "/..") || strchr(path, ' ') ||
            strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return -EINVAL;
        return 0;
}

/* The sockets systemd passed (corejournald.socket): the kernel's is the stream socket, the
 * handoff's the sequential-packet one. Either may be missing; -ENOTSOCK for anything else. */
static int activation_sockets(int *ret_kernel, int *ret_handoff) {
        int kernel = -EBADF, handoff = -EBADF, n;

        n = sd_listen_fds(1);
        if (n <= 0)
                return n;
        if (n > 2)
                return -E2BIG;
        for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++)
                if (kernel < 0 && sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0)
                        kernel = fd;
                else if (handoff < 0 && sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) > 0)
                        handoff = fd;
                else
                        return -ENOTSOCK;
        *ret_kernel = kernel;
        *ret_handoff = handoff;
        return n;
}

/* Binds a listening socket of type at path, 0600 root. */
static int listen_socket(const char *path, int type) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -EBADF;
        struct stat st;

        if (check_socket_path(path) < 0)
                return -EINVAL;
        /* A stale socket from an earlier run is replaced; anything else is left alone. */
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                if (unlink(path) < 0)
                        return negative_errno();
        }
        _cleanup_(freep) char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        *strrchr(dir, '/') = 0;
        if (dir[0] && mkdir(dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();

        fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        memcpy(sa.sun_path, path, strlen(path));
        /* Only root may connect: the kernel ignores the mode, a local client does not. */
        mode_t old = umask(0177);
        int r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        (void) umask(old);
        if (r < 0)
                return negative_errno();
        if (chmod(path, 0600) < 0 || listen(fd, LISTEN_BACKLOG) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

static int set_nonblocking(int fd) {
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return negative_errno();
        return 0;
}

static void raise_fd_limit(void) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

int main(int argc, char *argv[]) {
        _cleanup_(closep) int kernel_fd = -EBADF, handoff_fd = -EBADF, sig_fd = -EBADF;
        static struct pollfd fds[3 + HANDOFF_INTAKE_MAX];
        static int ready[HANDOFF_INTAKE_MAX];
        pthread_t threads[DAEMON_WORKERS_MAX], replay_thread;
        pthread_condattr_t cond_attr;
        bool activated = false;
        uint64_t watchdog_usec = 0, last_ping = 0;
        _cleanup_(freep) char *handoff_path = NULL;
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        /* Our own crash must not come back to us (and our memory holds other processes' data). */
        (void) prctl(PR_SET_DUMPABLE, 0);
        raise_fd_limit();
        (void) signal(SIGPIPE, SIG_IGN);

        r = load_config(&daemon_state.config);
        if (r < 0)
                return 2;
        /* Kept apart from the configuration, which a reload replaces. */
        handoff_path = strdup(arg_handoff_socket ?: daemon_state.config->c.handoff_socket);
        daemon_state.queue = calloc(DAEMON_QUEUE_MAX, sizeof(Pending));
        if (!handoff_path || !daemon_state.queue || ingest_ratelimit_new(&daemon_state.ratelimit) < 0) {
                log_error("out of memory");
                return 1;
        }
        daemon_state.proc_fd = open(arg_proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (daemon_state.proc_fd < 0) {
                log_error("cannot open %s: %m", arg_proc);
                return 1;
        }

        r = activation_sockets(&kernel_fd, &handoff_fd);
        if (r < 0) {
                log_error("unusable sockets from the service manager: %s", strerror(-r));
                return 1;
        }
        activated = r > 0;
        if (!activated) {
                kernel_fd = listen_socket(arg_socket, SOCK_STREAM);
                if (kernel_fd < 0) {
                        log_error("cannot listen on %s: %s", arg_socket, strerror(-kernel_fd));
                        return 1;
                }
                handoff_fd = listen_socket(handoff_path, SOCK_SEQPACKET);
                if (handoff_fd < 0) {
                        log_error("cannot listen on %s: %s", handoff_path, strerror(-handoff_fd));
                        (void) unlink(arg_socket);
                        return 1;
                }
        }
        if ((kernel_fd >= 0 && set_nonblocking(kernel_fd) < 0) || (handoff_fd >= 0 && set_nonblocking(handoff_fd) < 0)) {
                log_error("cannot make the listening sockets non-blocking: %m");
                return 1;
        }

        /* Signals arrive through a signalfd in the main thread; workers never see them. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGUSR1);
        if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0 ||
            (sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
                log_error("cannot set up signals: %m");
                return 1;
        }

        for (unsigned i = 0; i < arg_workers; i++) {
                r = pthread_create(&threads[i], NULL, worker, NULL);
                if (r != 0) {
                        log_error("cannot start worker %u: %s", i, strerror(r));
                        return 1;
                }
        }
        if (pthread_condattr_init(&cond_attr) != 0 || pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC) != 0 ||
            pthread_cond_init(&replay.wake, &cond_attr) != 0 ||
            (r = pthread_create(&replay_thread, NULL, replayer, NULL)) != 0) {
                log_error("cannot start the spool replay: %s", strerror(r));
                return 1;
        }
        /* Records an earlier run left in the spool go out once the journal takes them. */
        replay_schedule();

        if (sd_watchdog_enabled(false, &watchdog_usec) <= 0)
                watchdog_usec = 0;
        (void) sd_notify(false, "READY=1\nSTATUS=Waiting for crashes");
        if (activated)
                log_info("listening on the activation socket%s with %u workers",
                         kernel_fd >= 0 && handoff_fd >= 0 ? "s (kernel and handoff)" :
                         kernel_fd >= 0 ? " (kernel; pipe-mode handoffs are not served)" : " (handoff; socket mode is not served)",
                         arg_workers);
        else
                log_info("listening on %s and %s with %u workers", arg_socket, handoff_path, arg_workers);

        bool stop = false;
        while (!stop) {
                bool full = queue_full();
                size_t n_fds = 0;

                fds[n_fds++] = (struct pollfd) { .fd = sig_fd, .events = POLLIN };
                fds[n_fds++] = (struct pollfd) { .fd = full ? -1 : kernel_fd, .events = POLLIN };
                fds[n_fds++] = (struct pollfd) { .fd = full || n_intakes >= HANDOFF_INTAKE_MAX ? -1 : handoff_fd, .events = POLLIN };
                size_t n_polled = n_intakes;
                for (size_t i = 0; i < n_polled; i++)
                        fds[n_fds++] = (struct pollfd) { .fd = intakes[i].fd, .events = POLLIN };

                /* A full queue is polled again shortly; the listen backlogs hold new crashes. */
                uint64_t now = io_now_monotonic_usec();
                int timeout = full ? 10 : -1;
                if (watchdog_usec > 0) {
                        int wd = (int) (watchdog_usec / 2 / 1000);
                        timeout = timeout < 0 || wd < timeout ? wd : timeout;
                }
                for (size_t i = 0; i < n_intakes; i++) {
                        int left = intakes[i].deadline_usec > now ? (int) ((intakes[i].deadline_usec - now + 999) / 1000) : 0;
                        timeout = timeout < 0 || left < timeout ? left : timeout;
                }
                if (poll(fds, n_fds, timeout) < 0 && errno != EINTR) {
                        log_error("poll(): %m");
                        break;
                }
                if (watchdog_usec > 0 && io_now_monotonic_usec() - last_ping >= watchdog_usec / 2) {
                        (void) sd_notify(false, "WATCHDOG=1");
                        last_ping = io_now_monotonic_usec();
                }
                if (fds[1].revents & POLLIN)
                        (void) accept_pending(kernel_fd);

                /* Offers that arrived; intakes move in the array as others go, so go by descriptor. */
                size_t n_ready = 0;
                for (size_t i = 0; i < n_polled; i++)
                        if (fds[3 + i].revents)
                                ready[n_ready++] = fds[3 + i].fd;
                for (size_t k = 0; k < n_ready; k++)
                        for (size_t i = 0; i < n_intakes; i++)
                                if (intakes[i].fd == ready[k]) {
                                        (void) intake_receive(i);
                                        break;
                                }
                intake_expire(io_now_monotonic_usec());
                if (fds[2].revents & POLLIN)
                        accept_handoffs(handoff_fd);

                struct signalfd_siginfo si;
                while (read(sig_fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                        switch (si.ssi_signo) {
                        case SIGTERM:
                        case SIGINT:
                                stop = true;
                                break;
                        case SIGHUP: {
                                SharedConfig *c;
                                (void) sd_notify(false, "RELOADING=1");
                                if (load_config(&c) >= 0) {
                                        pthread_mutex_lock(&daemon_state.lock);
                                        SharedConfig *old = daemon_state.config;
                                        daemon_state.config = c;
                                        pthread_mutex_unlock(&daemon_state.lock);
                                        config_unref(old);
                                        log_info("configuration reloaded");
                                } else
                                        log_error("keeping the previous configuration");
                                (void) sd_notify(false, "READY=1");
                                break;
                        }
                        case SIGUSR1:
                                log_stats("statistics");
                                break;
                        }
                }
        }

        /* Drain: crashes already connected are real crashes whose processes wait for us. When
         * socket-activated, systemd keeps the listening sockets and what they hold for our successor;
         * standalone, we take in the kernel's backlog before closing it. Handlers whose offer was not
         * answered yet see the connection close and process their crashes themselves. */
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Draining crashes in flight");
        while (n_intakes > 0)
                intake_remove(n_intakes - 1, true);
        if (!activated) {
                while (accept_pending(kernel_fd) > 0 || queue_full())
                        if (queue_full())
                                (void) poll(NULL, 0, 10);
                kernel_fd = safe_close(kernel_fd);
                handoff_fd = safe_close(handoff_fd);
                (void) unlink(arg_socket);
                (void) unlink(handoff_path);
        }
        pthread_mutex_lock(&daemon_state.lock);
        daemon_state.stopping = true;
        pthread_cond_broadcast(&daemon_state.not_empty);
        pthread_mutex_unlock(&daemon_state.lock);
        for (unsigned i = 0; i < arg_workers; i++)
                (void) pthread_join(threads[i], NULL);
        pthread_mutex_lock(&replay.lock);
        replay.stopping = true;
        pthread_cond_signal(&replay.wake);
        pthread_mutex_unlock(&replay.lock);
        (void) pthread_join(replay_thread, NULL);

        log_stats("exiting");
        config_unref(daemon_state.config);
        daemon_state.ratelimit = ingest_ratelimit_free(daemon_state.ratelimit);
        free(daemon_state.queue);
        daemon_state.proc_fd = safe_close(daemon_state.proc_fd);
        return atomic_load(&stats.lost) > 0 ? 1 : 0;
}
