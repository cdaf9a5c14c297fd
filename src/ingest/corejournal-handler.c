/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corejournal-handler: turns a crash into a journal record. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "collect-config.h"
#include "export-reader.h"
#include "export-sink-file.h"
#include "export-sink-journal.h"
#include "ingest-backtrace.h"
#include "ingest-deliver.h"
#include "ingest-handoff-channel.h"
#include "ingest-install.h"
#include "ingest-kernel.h"
#include "ingest-store.h"
#include "input-limits.h"

/* Exit codes a caller can branch on (documented in docs/corejournal-handler.8.md). */
enum {
        EXIT_USAGE = 2,      /* bad arguments */
        EXIT_BAD_INPUT = 65, /* the submitted record is malformed or over a limit */
        EXIT_DELIVERY = 75,  /* the record could not be delivered */
};

static const char *arg_journal_socket = NULL;
static bool arg_upload = false;
static const char *arg_output = NULL;
static const char *arg_config = NULL;
static CollectConfig config;
static const char *arg_proc = "/proc";
static char namespace_socket[256];
static bool arg_backtrace = false;
static bool arg_replay = false;
static enum { INSTALL_NONE, INSTALL_DO, INSTALL_UNDO } arg_install = INSTALL_NONE;
static const char *arg_state_dir = STATE_DIR;
static int kmsg_fd = -EBADF; /* kernel mode: stderr is /dev/null, so errors go to the kernel log */
static bool sink_on_command_line = false; /* --output, --journal-socket or --namespace given */

_printf_(1, 2) static void log_error(const char *format, ...) {
        char line[1024];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(line, sizeof(line), format, ap);
        va_end(ap);
        fprintf(stderr, "corejournal-handler: %s\n", line);
        if (kmsg_fd >= 0) {
                /* One write() per record: /dev/kmsg takes each write as one message, and
                 * dprintf() gives up on it (it cannot seek). */
                char msg[1100];
                int n = snprintf(msg, sizeof(msg), "<3>corejournal-handler[%d]: %s\n", (int) getpid(), line);
                if (n > 0)
                        (void) !write(kmsg_fd, msg, (size_t) n < sizeof(msg) ? (size_t) n : sizeof(msg) - 1);
        }
}

static void help(void) {
        printf("%s [OPTIONS...] --backtrace PID UID GID SIGNAL TIMESTAMP RLIMIT [HOSTNAME [DUMPABLE]]\n"
               "%s [OPTIONS...] PID UID GID SIGNAL TIMESTAMP RLIMIT [HOSTNAME [DUMPABLE [PIDFD [TID]]]]\n"
               "        (from kernel.core_pattern=|/path/to/corejournal-handler %s)\n\n"
               "Turn a crash into a journal record (MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1).\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version and enabled features\n"
               "     --backtrace            Read the crash report as an export record on stdin\n"
               "     --journal-socket=PATH  Deliver to journald listening on PATH\n"
               "     --namespace=NAME       Deliver to the journald namespace NAME\n"
               "     --output=FILE          Append the record to FILE as Journal Export Format\n"
               "                            ('-' for stdout) instead of journald\n"
               "     --config=FILE          Read only FILE instead of coredump.conf and its drop-ins\n"
               "     --install              Point kernel.core_pattern at this program (with --config\n"
               "                            if given), saving the values it replaces\n"
               "     --uninstall            Restore what --install replaced\n"
               "     --replay               Deliver the records waiting in the spool\n",
               program_invocation_short_name, program_invocation_short_name, KERNEL_PATTERN_ARGS);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_BACKTRACE, ARG_JOURNAL_SOCKET, ARG_NAMESPACE, ARG_OUTPUT, ARG_PROC, ARG_CONFIG, ARG_INSTALL, ARG_UNINSTALL, ARG_STATE_DIR, ARG_REPLAY };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "backtrace", no_argument, NULL, ARG_BACKTRACE },
                { "journal-socket", required_argument, NULL, ARG_JOURNAL_SOCKET },
                { "namespace", required_argument, NULL, ARG_NAMESPACE },
                { "output", required_argument, NULL, ARG_OUTPUT },
                { "proc", required_argument, NULL, ARG_PROC }, /* tests: a fixture /proc tree */
                { "config", required_argument, NULL, ARG_CONFIG },
                { "install", no_argument, NULL, ARG_INSTALL },
                { "replay", no_argument, NULL, ARG_REPLAY },
                { "uninstall", no_argument, NULL, ARG_UNINSTALL },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR }, /* tests */
                {},
        };
        int c;

        /* '+': stop at the first positional argument, since a script's own argv (which may
         * hold anything, options included) follows the positional ones. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("corejournal %s\n+ZSTD +ELFUTILS +JSON\n", PACKAGE_VERSION);
                        return 0;
                case ARG_BACKTRACE:
                        arg_backtrace = true;
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
                case ARG_OUTPUT:
                        arg_output = optarg;
                        break;
                case ARG_PROC:
                        arg_proc = optarg;
                        break;
                case ARG_CONFIG:
                        arg_config = optarg;
                        break;
                case ARG_REPLAY:
                        arg_replay = true;
                        break;
                case ARG_INSTALL:
                        arg_install = INSTALL_DO;
                        break;
                case ARG_UNINSTALL:
                        arg_install = INSTALL_UNDO;
                        break;
                case ARG_STATE_DIR:
                        arg_state_dir = optarg;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        return 1;
}

static void config_donep(CollectConfig **c) {
        collect_config_done(*c);
}

/* Reads coredump.conf (or --config); problems are logged and defaults kept. */
static int load_config(void) {
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};
        int r;

        r = collect_config_load(AT_FDCWD, arg_config, &diag, &config);
        for (size_t i = 0; i < diag.n_messages; i++)
                log_error("warning: %s", diag.messages[i]);
        if (diag.n_suppressed > 0)
                log_error("warning: %zu more configuration problems not shown", diag.n_suppressed);
        if (r < 0) {
                log_error("cannot read configuration %s: %s", arg_config ?: "", strerror(-r));
                return r;
        }
        /* The command line wins over the configuration: --output, --journal-socket and
         * --namespace also win over UploadURL=, and keep the crash from the daemon. */
        arg_upload = !arg_output && !arg_journal_socket && config.upload_url;
        sink_on_command_line = arg_output || arg_journal_socket;
        if (!arg_output)
                arg_output = config.export_file;
        if (!arg_journal_socket)
                arg_journal_socket = config.journal_socket;
        return 0;
}

static IngestSink sink(void) {
        static ExportHttpTarget upload;
        bool uploading = arg_upload && ingest_deliver_upload_target(&config, &upload);
        return (IngestSink) {
                .export_file = arg_output,
                .journal_socket = arg_journal_socket,
                .upload = uploading ? &upload : NULL,
                .spool_dir = config.spool_dir,
        };
}

/* Delivers the record (with as_user's credentials when given) or spools it; only a record neither
 * the sink nor the spool took fails. */
static int deliver(const ExportRecord *record, const ExportSinkCredentials *as_user) {
        IngestSink s = sink();
        IngestDeliveryReport report;
        const char *target = s.upload ? s.upload->url : s.export_file ?: s.journal_socket ?: JOURNAL_SOCKET_DEFAULT;
        int r;

        r = ingest_deliver(&s, record, as_user, &report);
        if (report.as_user_error < 0)
                log_error("warning: cannot send the record to %s as uid %u (%s); sent it as root, to the system journal",
                          target, (unsigned) as_user->uid, strerror(-report.as_user_error));
        if (report.sink_error < 0 && report.sink_message[0])
                log_error("%s: %s", r == INGEST_SPOOLED ? "warning" : "cannot deliver the record", report.sink_message);
        else if (report.sink_error == -ENOENT || report.sink_error == -ECONNREFUSED)
                log_error("%s: no journald listens on %s", r == INGEST_SPOOLED ? "warning" : "cannot deliver the record", target);
        else if (report.sink_error < 0)
                log_error("%s: %s: %s", r == INGEST_SPOOLED ? "warning" : "cannot deliver the record", target,
                          strerror(-report.sink_error));
        if (r == INGEST_SPOOLED)
                log_error("the record is kept in %s/%s and will be replayed when the journal takes records again",
                          s.spool_dir, report.spool_name);
        else if (r < 0 && s.spool_dir)
                log_error("cannot keep the record in the spool %s either", s.spool_dir);
        if (report.replayed > 0)
                log_error("replayed %zu spooled record%s", report.replayed, report.replayed == 1 ? "" : "s");
        return r;
}

static int run_replay(void) {
        IngestSink s = sink();
        IngestDeliveryReport report = {};
        int r = ingest_deliver_replay(&s, &report);
        if (r < 0) {
                log_error("cannot replay the spool %s: %s", s.spool_dir, strerror(-r));
                return EXIT_FAILURE;
        }
        printf("replayed %zu, remaining %zu, rejected %zu\n", report.replayed, report.spool_remaining, report.rejected);
        return report.spool_remaining > 0 ? EXIT_DELIVERY : EXIT_SUCCESS;
}

static const ExportLimits submission_limits = {
        .field_size_max = BACKTRACE_INPUT_FIELD_SIZE_MAX,
        .record_size_max = BACKTRACE_INPUT_RECORD_SIZE_MAX,
        .fields_max = BACKTRACE_INPUT_FIELDS_MAX,
};

static int run_backtrace(int argc, char *const *argv) {
        _cleanup_(export_record_freep) ExportRecord *submitted = NULL, *record = NULL;
        _cleanup_(export_reader_freep) ExportReader *reader = NULL;
        _cleanup_(closep) int proc_fd = -EBADF;
        BacktraceArgs args;
        BacktraceReport report;
        char error[512];
        int r;

        r = ingest_backtrace_parse_args(argc, argv, &args, error, sizeof(error));
        if (r < 0) {
                log_error("%s", error);
                return EXIT_USAGE;
        }
        if (args.n_ignored > 0)
                log_error("warning: ignoring %zu argument%s after DUMPABLE", args.n_ignored, args.n_ignored == 1 ? "" : "s");

        /* The whole submission is parsed before anything is sent: a malformed one sends nothing. */
        if (fcntl(STDIN_FILENO, F_GETFD) >= 0) {
                r = export_reader_new_fd(STDIN_FILENO, &submission_limits, EXPORT_READER_EOF_ENDS_RECORD, &reader);
                if (r < 0) {
                        log_error("cannot read stdin: %s", strerror(-r));
                        return EXIT_FAILURE;
                }
                r = export_reader_next(reader, &submitted);
                if (r < 0) {
                        log_error("malformed record on stdin: %s", export_reader_error(reader));
                        return EXIT_BAD_INPUT;
                }
                if (r == 0)
                        log_error("warning: no record on stdin, sending the crash without one");
                const char *names;
                size_t n = export_reader_dropped(reader, &names);
                if (n > 0)
                        log_error("warning: dropped %zu field%s reserved for journald from the submission: %s%s",
                                  n, n == 1 ? "" : "s", names, n > 8 ? ",..." : "");
                if (r > 0) {
                        _cleanup_(export_record_freep) ExportRecord *extra = NULL;
                        int k = export_reader_next(reader, &extra);
                        if (k != 0)
                                log_error("warning: ignoring input after the first record on stdin");
                }
        }

        proc_fd = open(arg_proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0) {
                log_error("cannot open %s: %m", arg_proc);
                return EXIT_FAILURE;
        }

        r = ingest_backtrace_build(&args, submitted, proc_fd, &record, &report);
        if (r < 0) {
                log_error("cannot build the record: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        if (report.replaced[0])
                log_error("warning: kept derived values over submitted ones for %s", report.replaced);

        /* The submitter's own credentials already reach journald. */
        r = deliver(record, NULL);
        return r < 0 ? EXIT_DELIVERY : EXIT_SUCCESS;
}

static int run_install(void) {
        _cleanup_(closep) int sys_fd = -EBADF, state_fd = -EBADF;
        _cleanup_(freep) char *self = NULL, *config_path = NULL;
        char error[512] = "";
        bool changed = true;
        int r;

        self = realpath("/proc/self/exe", NULL);
        if (!self) {
                log_error("cannot resolve this program's path: %m");
                return EXIT_FAILURE;
        }
        if (arg_config && !(config_path = realpath(arg_config, NULL))) {
                log_error("cannot use configuration %s: %m", arg_config);
                return EXIT_USAGE;
        }
        sys_fd = open("/proc/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sys_fd < 0 || (mkdir(arg_state_dir, 0755) < 0 && errno != EEXIST) ||
            (state_fd = open(arg_state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
                log_error("cannot open /proc/sys or %s: %m", arg_state_dir);
                return EXIT_FAILURE;
        }

        if (arg_install == INSTALL_DO)
                r = ingest_install(sys_fd, state_fd, self, config_path, error, sizeof(error));
        else
                r = ingest_uninstall(sys_fd, state_fd, self, &changed, error, sizeof(error));
        if (r < 0) {
                log_error("%s", error[0] ? error : strerror(-r));
                return r == -EINVAL || r == -ENAMETOOLONG ? EXIT_USAGE : EXIT_FAILURE;
        }
        if (!changed)
                log_error("kernel.core_pattern does not point at %s; left alone", self);
        return EXIT_SUCCESS;
}

/* The kernel starts pipe helpers with fds 1 and 2 closed: fill them before anything opens a
 * file that could land there and receive stray output. */
static void ensure_std_fds(void) {
        for (int fd = 0; fd <= 2; fd++)
                if (fcntl(fd, F_GETFD) < 0)
                        (void) open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

/* The daemon took the crash and went away before recording it: the core is gone with it, the record
 * is written here from what was gathered while the crasher was parked. It carries the daemon's
 * COREJOURNAL_RECORD_ID, so it is skipped when the daemon's own record did reach the journal. */
static int record_lost_handoff(KernelCrash *crash) {
        IngestSink s = sink();
        int r;

        r = export_record_append_string(crash->record, "COREJOURNAL_HANDOFF", "lost");
        if (r >= 0)
                r = ingest_store_discard(crash, -EBADF, "handoff-lost",
                                         "corejournald took the crash and stopped before recording it; the core is lost");
        if (r < 0) {
                log_error("process %d: cannot build the record: %s", (int) crash->args.pid, strerror(-r));
                return EXIT_FAILURE;
        }
        if (ingest_deliver_has_record(&s, crash->record))
                return EXIT_SUCCESS;
        ExportSinkCredentials as_user;
        bool to_user = ingest_kernel_sender(crash, config.deliver_as_user, &as_user);
        return deliver(crash->record, to_user ? &as_user : NULL) < 0 ? EXIT_DELIVERY : EXIT_SUCCESS;
}

/* Handoff=auto: offers the crash to corejournald. Returns 1 when it is taken care of (*ret_exit
 * then holds the exit code), 0 when this handler processes the crash itself — with the reason in
 * COREJOURNAL_HANDOFF_ERROR when a handoff was tried and failed — or -ENOMEM. */
static int hand_off(KernelCrash *crash, int *ret_exit) {
        _cleanup_(closep) int conn = -EBADF;
        char error[256] = "";
        int r;

        r = ingest_handoff_offer(config.handoff_socket, crash, STDIN_FILENO, HANDOFF_ANSWER_TIMEOUT_USEC, &conn,
                                 error, sizeof(error));
        if (r < 0)
                return r;
        if (r == INGEST_HANDOFF_UNAVAILABLE)
                return 0;
        if (r == INGEST_HANDOFF_DECLINED) {
                log_error("warning: process %d: %s; processing the crash here", (int) crash->args.pid, error);
                r = export_record_append_string(crash->record, "COREJOURNAL_HANDOFF", "fallback");
                if (r >= 0)
                        r = export_record_append_string(crash->record, "COREJOURNAL_HANDOFF_ERROR", error);
                return r < 0 ? r : 0;
        }

        /* The daemon holds the core now. Our copy of the pipe would keep the crasher waiting for us
         * (the kernel waits for every reader), so it goes; /dev/null takes its place. */
        _cleanup_(closep) int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0)
                (void) close(STDIN_FILENO);
        crash->pidfd = safe_close(crash->pidfd);

        r = ingest_handoff_wait_recorded(conn);
        if (r >= 0) {
                *ret_exit = EXIT_SUCCESS;
                return 1;
        }
        log_error("process %d: corejournald took the crash but stopped before recording it (%s); writing the record here",
                  (int) crash->args.pid, r == -EPIPE ? "connection closed" : strerror(-r));
        *ret_exit = record_lost_handoff(crash);
        return 1;
}

static int run_kernel(int argc, char *const *argv) {
        _cleanup_(ingest_kernel_crash_done) KernelCrash crash = { .pidfd = -EBADF };
        _cleanup_(closep) int proc_fd = -EBADF;
        KernelArgs args;
        IngestStoreReport report;
        char error[512];
        int r;

        /* Our own crash must not come back to us. */
        (void) prctl(PR_SET_DUMPABLE, 0);

        r = ingest_kernel_parse_args(argc, argv, &args, error, sizeof(error));
        if (r < 0) {
                log_error("%s", error);
                return EXIT_USAGE;
        }

        proc_fd = open(arg_proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0) {
                log_error("cannot open %s: %m", arg_proc);
                return EXIT_FAILURE;
        }

        r = ingest_kernel_gather(&args, proc_fd, &crash);
        if (r < 0) {
                log_error("cannot collect the context of process %d: %s", (int) args.pid, strerror(-r));
                return EXIT_FAILURE;
        }
        if (crash.context_skipped)
                log_error("warning: process %d: no /proc context: %s", (int) args.pid, crash.context_skipped);

        /* The daemon delivers where its own configuration says: a handler told otherwise on its
         * command line keeps its crashes. */
        if (config.handoff && !sink_on_command_line) {
                int exit_code;
                r = hand_off(&crash, &exit_code);
                if (r > 0)
                        return exit_code;
                if (r < 0)
                        log_error("warning: process %d: cannot offer the crash to corejournald: %s; processing it here",
                                  (int) args.pid, strerror(-r));
        }

        /* Consumes the core from stdin and closes it at EOF, which releases the crasher. */
        r = ingest_store_core(&crash, &config, STDIN_FILENO, &report);
        if (r < 0) {
                log_error("cannot read the core of process %d: %s", (int) args.pid, strerror(-r));
                return EXIT_FAILURE;
        }
        if (report.problem[0])
                log_error("process %d: %s", (int) args.pid, report.problem);

        ExportSinkCredentials as_user;
        bool to_user = ingest_kernel_sender(&crash, config.deliver_as_user, &as_user);
        r = deliver(crash.record, to_user ? &as_user : NULL);
        /* Off the record's path: make the next stack trace through the same libraries fast. */
        (void) ingest_store_cache_debuginfo(&crash, &config);
        return r < 0 ? EXIT_DELIVERY : EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        _cleanup_(config_donep) CollectConfig *config_cleanup = &config;
        int r;

        ensure_std_fds();

        r = parse_argv(argc, argv);
        if (r < 0)
                return EXIT_USAGE;
        if (r == 0)
                return EXIT_SUCCESS;
        /* Kernel mode: stderr is /dev/null, so problems from here on (configuration included)
         * go to the kernel log too. */
        if (!arg_backtrace && arg_install == INSTALL_NONE && !arg_replay && argc - optind >= 6)
                kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (load_config() < 0)
                return EXIT_USAGE;

        if (arg_install != INSTALL_NONE)
                return run_install();
        if (arg_replay)
                return run_replay();
        if (arg_backtrace)
                return run_backtrace(argc - optind, argv + optind);
        if (argc - optind >= 6)
                return run_kernel(argc - optind, argv + optind);

        log_error("expected the kernel's arguments (%s) or --backtrace; see --help", KERNEL_PATTERN_ARGS);
        return EXIT_USAGE;
}
