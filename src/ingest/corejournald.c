/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corejournald: the kernel's @@ coredump socket server (core_pattern=@@/run/corejournal/kernel).
 *
 * Worker model: a fixed pool of threads behind a bounded queue. The main thread only accepts
 * (so the listen backlog drains at once: a full backlog loses the crash, see KERNEL-FACTS.md §2),
 * stamps the accept time and queues the connection; a worker runs the whole crash. Threads, not
 * forked workers: the work is streaming I/O and waiting (the crasher, journald), every untrusted
 * ELF parse already runs in a forked, sandboxed child (backtrace-sandbox.c), and shared state (rate
 * limiter, counters, configuration) stays one mutex away instead of needing IPC. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "collect-config.h"
#include "export-sink-journal.h"
#include "ingest-deliver.h"
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
        uint64_t accept_usec;
} Pending;

static struct {
        pthread_mutex_t lock;        /* queue, stopping, config */
        pthread_cond_t not_empty;
        Pending *queue;
        size_t head, n;
        bool stopping;
        SharedConfig *config;

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
                delivered, spooled, lost;
} stats;

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
               "     --config=FILE          Read only FILE instead of coredump.conf and its drop-ins\n"
               "     --workers=N            Crashes processed at once (default %d, at most %d)\n"
               "     --journal-socket=PATH  Deliver to journald listening on PATH\n"
               "     --namespace=NAME       Deliver to the journald namespace NAME\n",
               program_invocation_short_name, SOCKET_PATH_DEFAULT, SOCKET_PATH_DEFAULT, WORKERS_DEFAULT, DAEMON_WORKERS_MAX);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_SOCKET, ARG_CONFIG, ARG_WORKERS, ARG_JOURNAL_SOCKET, ARG_NAMESPACE, ARG_PROC };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "socket", required_argument, NULL, ARG_SOCKET },
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
                 "%lu records delivered, %lu spooled, %lu lost; %lu clients refused, %lu protocol errors",
                 when, atomic_load(&stats.accepted), atomic_load(&stats.stored_streams), atomic_load(&stats.rejected),
                 atomic_load(&stats.ratelimited), atomic_load(&stats.delivered), atomic_load(&stats.spooled),
                 atomic_load(&stats.lost), atomic_load(&stats.refused_clients), atomic_load(&stats.protocol_errors));
}

static void deliver(const SharedConfig *config, const ExportRecord *record, pid_t pid) {
        IngestSink s = {
                .export_file = config->c.export_file,
                .journal_socket = arg_journal_socket ?: config->c.journal_socket,
                .spool_dir = config->c.spool_dir,
        };
        IngestDeliveryReport report = {};
        int r;

        pthread_mutex_lock(&daemon_state.deliver_lock);
        r = ingest_deliver(&s, record, &report);
        pthread_mutex_unlock(&daemon_state.deliver_lock);
        if (r == INGEST_DELIVERED)
                atomic_fetch_add(&stats.delivered, 1);
        else if (r == INGEST_SPOOLED) {
                atomic_fetch_add(&stats.spooled, 1);
                log_warning("process %d: the journal refused the record (%s); kept in %s/%s", (int) pid,
                            strerror(-report.sink_error), s.spool_dir, report.spool_name);
        } else {
                atomic_fetch_add(&stats.lost, 1);
                log_error("process %d: cannot deliver the record (%s) nor spool it in %s: %s", (int) pid,
                          strerror(-report.sink_error), s.spool_dir, strerror(-r));
        }
        if (report.replayed > 0)
                log_info("replayed %zu spooled record%s", report.replayed, report.replayed == 1 ? "" : "s");
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

        deliver(config, crash.record, args.pid);
        config_unref(config);
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

                handle_crash(p.fd, p.accept_usec);
        }
}

static bool queue_full(void) {
        pthread_mutex_lock(&daemon_state.lock);
        bool full = daemon_state.n >= DAEMON_QUEUE_MAX;
        pthread_mutex_unlock(&daemon_state.lock);
        return full;
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
                Pending p = { .fd = fd, .accept_usec = io_now_realtime_usec() };
                pthread_mutex_lock(&daemon_state.lock);
                daemon_state.queue[(daemon_state.head + daemon_state.n) % DAEMON_QUEUE_MAX] = p;
                daemon_state.n++;
                pthread_cond_signal(&daemon_state.not_empty);
                pthread_mutex_unlock(&daemon_state.lock);
                accepted++;
        }
        return accepted;
}

/* The kernel's rules for the path (KERNEL-FACTS.md §2): absolute, no "..", no space, < 108 bytes. */
static int check_socket_path(const char *path) {
        if (path[0] != '/' || strstr(path, "/..") || strchr(path, ' ') ||
            strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return -EINVAL;
        return 0;
}

static int listen_socket(const char *path, bool *ret_activated) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -EBADF;
        struct stat st;
        int n;

        n = sd_listen_fds(1);
        if (n < 0)
                return n;
        if (n > 1)
                return -E2BIG;
        if (n == 1) {
                if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0)
                        return -ENOTSOCK;
                *ret_activated = true;
                return SD_LISTEN_FDS_START;
        }

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

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
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
        *ret_activated = false;
        return TAKE_FD(fd);
}

static void raise_fd_limit(void) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

int main(int argc, char *argv[]) {
        _cleanup_(closep) int listen_fd = -EBADF, sig_fd = -EBADF;
        pthread_t threads[DAEMON_WORKERS_MAX];
        bool activated = false;
        uint64_t watchdog_usec = 0, last_ping = 0;
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
        daemon_state.queue = calloc(DAEMON_QUEUE_MAX, sizeof(Pending));
        if (!daemon_state.queue || ingest_ratelimit_new(&daemon_state.ratelimit) < 0) {
                log_error("out of memory");
                return 1;
        }
        daemon_state.proc_fd = open(arg_proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (daemon_state.proc_fd < 0) {
                log_error("cannot open %s: %m", arg_proc);
                return 1;
        }

        listen_fd = listen_socket(arg_socket, &activated);
        if (listen_fd < 0) {
                log_error("cannot listen on %s: %s", arg_socket, strerror(-listen_fd));
                return 1;
        }
        if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) < 0) {
                log_error("cannot make the listening socket non-blocking: %m");
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

        if (sd_watchdog_enabled(false, &watchdog_usec) <= 0)
                watchdog_usec = 0;
        (void) sd_notify(false, "READY=1\nSTATUS=Waiting for crashes");
        log_info("listening on %s%s with %u workers", activated ? "the activation socket" : arg_socket,
                 activated ? "" : "", arg_workers);

        bool stop = false;
        while (!stop) {
                bool full = queue_full();
                struct pollfd fds[2] = {
                        { .fd = sig_fd, .events = POLLIN },
                        { .fd = full ? -1 : listen_fd, .events = POLLIN },
                };
                /* A full queue is polled again shortly; the listen backlog holds new crashes. */
                int timeout = full ? 10 : -1;
                if (watchdog_usec > 0) {
                        int wd = (int) (watchdog_usec / 2 / 1000);
                        timeout = timeout < 0 || wd < timeout ? wd : timeout;
                }
                if (poll(fds, 2, timeout) < 0 && errno != EINTR) {
                        log_error("poll(): %m");
                        break;
                }
                if (watchdog_usec > 0 && io_now_monotonic_usec() - last_ping >= watchdog_usec / 2) {
                        (void) sd_notify(false, "WATCHDOG=1");
                        last_ping = io_now_monotonic_usec();
                }
                if (fds[1].revents & POLLIN)
                        (void) accept_pending(listen_fd);

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
         * socket-activated, systemd keeps the listening socket and what it holds for our successor;
         * standalone, we take in the backlog before closing it. */
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Draining crashes in flight");
        if (!activated) {
                while (accept_pending(listen_fd) > 0 || queue_full())
                        if (queue_full())
                                (void) poll(NULL, 0, 10);
                listen_fd = safe_close(listen_fd);
                (void) unlink(arg_socket);
        }
        pthread_mutex_lock(&daemon_state.lock);
        daemon_state.stopping = true;
        pthread_cond_broadcast(&daemon_state.not_empty);
        pthread_mutex_unlock(&daemon_state.lock);
        for (unsigned i = 0; i < arg_workers; i++)
                (void) pthread_join(threads[i], NULL);

        log_stats("exiting");
        config_unref(daemon_state.config);
        daemon_state.ratelimit = ingest_ratelimit_free(daemon_state.ratelimit);
        free(daemon_state.queue);
        daemon_state.proc_fd = safe_close(daemon_state.proc_fd);
        return atomic_load(&stats.lost) > 0 ? 1 : 0;
}
