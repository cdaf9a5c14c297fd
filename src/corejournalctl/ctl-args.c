/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ctl-args.h"
#include "ctl-match.h"
#include "ctl-size.h"
#include "ctl-text.h"
#include "ctl-time.h"

static const char *const verb_names[_CTL_VERB_MAX] = {
        [CTL_VERB_LIST] = "list",
        [CTL_VERB_INFO] = "info",
        [CTL_VERB_DUMP] = "dump",
        [CTL_VERB_DEBUG] = "debug",
        [CTL_VERB_GROUPS] = "groups",
        [CTL_VERB_DISK_USAGE] = "disk-usage",
        [CTL_VERB_VACUUM] = "vacuum",
        [CTL_VERB_METRICS] = "metrics",
        [CTL_VERB_HELP] = "help",
};

const char *ctl_verb_to_string(CtlVerb verb) {
        return verb >= 0 && verb < _CTL_VERB_MAX ? verb_names[verb] : NULL;
}

CtlVerb ctl_verb_from_string(const char *s) {
        if (strcmp(s, "gdb") == 0) /* coredumpctl's alias */
                return CTL_VERB_DEBUG;
        for (CtlVerb v = 0; v < _CTL_VERB_MAX; v++)
                if (strcmp(verb_names[v], s) == 0)
                        return v;
        return _CTL_VERB_INVALID;
}

CtlExit ctl_exit_from_error(int r) {
        if (r >= 0)
                return CTL_EXIT_OK;
        if (r == -ESRCH)
                return CTL_EXIT_NOT_FOUND;
        if (r == -EACCES || r == -EPERM)
                return CTL_EXIT_PERMISSION;
        return CTL_EXIT_FAILURE;
}

const char *ctl_args_help(void) {
        return "corejournalctl [OPTIONS...] COMMAND [MATCHES...]\n"
               "\n"
               "Find, read, retrieve and debug crashes recorded in the journal.\n"
               "\n"
               "Commands:\n"
               "  list [MATCHES...]    List crash records (default)\n"
               "  info [MATCHES...]    Show details of crash records (the last one without MATCHES)\n"
               "  dump [MATCHES...]    Write the core of the last matching record to stdout or -o FILE\n"
               "  debug [MATCHES...]   Run a debugger on the last matching record's core\n"
               "  groups [MATCHES...]  Group crashes by stack signature (or executable)\n"
               "  disk-usage           Show the space core files take in the storage directory\n"
               "  vacuum               Remove old core files until MaxUse/KeepFree are met\n"
               "  metrics [MATCHES...] Print crash metrics in the Prometheus text format\n"
               "\n"
               "Matches: PID, COMM, /path/to/EXE, or FIELD=VALUE.\n"
               "\n"
               "Options:\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "     --no-pager              Do not pipe output into a pager\n"
               "     --no-legend             Do not print column headers\n"
               "     --json[=short|pretty|off]  Print JSON\n"
               "  -n INT                     Show at most INT records (groups)\n"
               "  -1                         Show the most recent record only\n"
               "  -r --reverse               Show the newest records first\n"
               "  -S --since=DATE            Only records at or after DATE\n"
               "  -U --until=DATE            Only records at or before DATE\n"
               "  -F --field=FIELD           Print the values FIELD takes in matching records\n"
               "  -o --output=FILE           Write the core to FILE (dump)\n"
               "     --debugger=DEBUGGER     Debugger to run (default: $COREJOURNAL_DEBUGGER, gdb)\n"
               "  -A --debugger-arguments=ARGS  Extra arguments for the debugger\n"
               "     --namespace=NS          Read the journal namespace NS\n"
               "  -D --directory=DIR         Read the journal files in DIR\n"
               "     --file=GLOB             Read the journal files matching GLOB (repeatable)\n"
               "     --all                   Read the journals of all machines, not only this one\n"
               "  -q --quiet                 Do not print notices\n"
               "     --storage-dir=DIR       External core directory (default " COREDUMP_STORAGE_DIR ")\n"
               "     --max-use=BYTES         MaxUse= for disk-usage and vacuum (default: automatic)\n"
               "     --keep-free=BYTES       KeepFree= for disk-usage and vacuum (default: automatic)\n"
               "     --dry-run               vacuum: show what would be removed\n";
}

void ctl_args_done(CtlArgs *args) {
        free(args->matches);
        free(args->files);
        strv_free(args->debugger_args);
        *args = (CtlArgs) {};
}

static int fail(char error[static CTL_ERROR_MAX], const char *format, ...) _printf_(2, 3);
static int fail(char error[static CTL_ERROR_MAX], const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(error, CTL_ERROR_MAX, format, ap);
        va_end(ap);
        return -EINVAL;
}

enum {
        ARG_VERSION = 0x100,
        ARG_NO_PAGER,
        ARG_NO_LEGEND,
        ARG_JSON,
        ARG_DEBUGGER,
        ARG_FILE,
        ARG_NAMESPACE,
        ARG_ALL,
        ARG_STORAGE_DIR,
        ARG_MAX_USE,
        ARG_KEEP_FREE,
        ARG_DRY_RUN,
};

static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "no-pager", no_argument, NULL, ARG_NO_PAGER },
        { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
        { "json", optional_argument, NULL, ARG_JSON },
        { "debugger", required_argument, NULL, ARG_DEBUGGER },
        { "debugger-arguments", required_argument, NULL, 'A' },
        { "output", required_argument, NULL, 'o' },
        { "field", required_argument, NULL, 'F' },
        { "file", required_argument, NULL, ARG_FILE },
        { "directory", required_argument, NULL, 'D' },
        { "namespace", required_argument, NULL, ARG_NAMESPACE },
        { "reverse", no_argument, NULL, 'r' },
        { "since", required_argument, NULL, 'S' },
        { "until", required_argument, NULL, 'U' },
        { "quiet", no_argument, NULL, 'q' },
        { "all", no_argument, NULL, ARG_ALL },
        { "storage-dir", required_argument, NULL, ARG_STORAGE_DIR },
        { "max-use", required_argument, NULL, ARG_MAX_USE },
        { "keep-free", required_argument, NULL, ARG_KEEP_FREE },
        { "dry-run", no_argument, NULL, ARG_DRY_RUN },
        {}
};

static int parse_size_option(const char *name, const char *value, uint64_t *ret, char error[static CTL_ERROR_MAX]) {
        if (ctl_size_parse(value, ret) < 0)
                return fail(error, "invalid %s value '%s' (expected bytes, e.g. 512M or 2G)", name, value);
        return 0;
}

/* Which verbs take which options; checked after parsing so the messages can name both. */
static int check_combinations(CtlArgs *a, bool output_set, bool storage_set, char error[static CTL_ERROR_MAX]) {
        bool journal_verb = a->verb != CTL_VERB_DISK_USAGE && a->verb != CTL_VERB_VACUUM;

        if (a->since != CTL_USEC_INFINITY && a->until != CTL_USEC_INFINITY && a->since > a->until)
                return fail(error, "--since= must be before --until=");
        if (a->field && a->verb != CTL_VERB_LIST && a->verb != CTL_VERB_INFO)
                return fail(error, "--field/-F only makes sense with list and info");
        if (output_set && a->verb != CTL_VERB_DUMP)
                return fail(error, "--output/-o only makes sense with dump");
        if (a->n_matches > 0 && !journal_verb)
                return fail(error, "%s takes no match arguments", ctl_verb_to_string(a->verb));
        if (a->dry_run && a->verb != CTL_VERB_VACUUM)
                return fail(error, "--dry-run only makes sense with vacuum");
        if ((a->max_use != UINT64_MAX || a->keep_free != UINT64_MAX) && journal_verb)
                return fail(error, "--max-use/--keep-free only make sense with disk-usage and vacuum");
        if (storage_set && journal_verb && a->verb != CTL_VERB_METRICS)
                return fail(error, "--storage-dir only makes sense with disk-usage, vacuum and metrics");
        if (a->all && a->source != CTL_SOURCE_SYSTEM)
                return fail(error, "--all only applies to the system journal");
        return 0;
}

int ctl_args_parse(int argc, char **argv, uint64_t now, CtlArgs *ret, char error[static CTL_ERROR_MAX]) {
        _cleanup_(freep) const char **files = NULL;
        _cleanup_(freep) const char **matches = NULL;
        _cleanup_(strv_freep) char **debugger_args = NULL;
        CtlArgs a = {
                .verb = CTL_VERB_LIST,
                .rows_max = UINT64_MAX,
                .since = CTL_USEC_INFINITY,
                .until = CTL_USEC_INFINITY,
                .pager = true,
                .legend = true,
                .storage_dir = COREDUMP_STORAGE_DIR,
                .max_use = UINT64_MAX,
                .keep_free = UINT64_MAX,
        };
        bool output_set = false, storage_set = false;
        size_t n_files = 0;
        int c, r;

        error[0] = 0;
        optind = 0; /* a full reset, so the parser can run more than once (tests) */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":hn:1rS:U:F:o:A:D:q", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        a.help = true;
                        break;
                case ARG_VERSION:
                        a.version = true;
                        break;
                case ARG_NO_PAGER:
                        a.pager = false;
                        break;
                case ARG_NO_LEGEND:
                        a.legend = false;
                        break;
                case ARG_JSON:
                        if (!optarg || strcmp(optarg, "short") == 0)
                                a.json = CTL_JSON_SHORT;
                        else if (strcmp(optarg, "pretty") == 0)
                                a.json = CTL_JSON_PRETTY;
                        else if (strcmp(optarg, "off") == 0)
                                a.json = CTL_JSON_OFF;
                        else
                                return fail(error, "invalid --json= mode '%s' (expected short, pretty or off)", optarg);
                        break;
                case ARG_DEBUGGER:
                        a.debugger = optarg;
                        break;
                case 'A':
                        strv_free(debugger_args);
                        debugger_args = NULL;
                        r = ctl_text_split_words(optarg, CTL_DEBUGGER_ARGS_MAX, &debugger_args);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return fail(error, "invalid --debugger-arguments '%s' (unbalanced quotes or more than %d words)",
                                            optarg, CTL_DEBUGGER_ARGS_MAX);
                        break;
                case 'n': {
                        char *end;
                        errno = 0;
                        unsigned long long n = strtoull(optarg, &end, 10);
                        if (optarg[0] < '0' || optarg[0] > '9' || *end || errno != 0 || n < 1)
                                return fail(error, "invalid -n value '%s' (expected an integer of at least 1)", optarg);
                        a.rows_max = n;
                        a.rows_max_set = true;
                        break;
                }
                case '1':
                        a.rows_max = 1;
                        a.rows_max_set = true;
                        a.reverse = true;
                        break;
                case 'r':
                        a.reverse = true;
                        break;
                case 'S':
                case 'U':
                        if (ctl_time_parse(optarg, now, c == 'S' ? &a.since : &a.until) < 0)
                                return fail(error, "invalid %s value '%s' (try YYYY-MM-DD [HH:MM[:SS]], @SECONDS, -1h, yesterday)",
                                            c == 'S' ? "--since" : "--until", optarg);
                        break;
                case 'F':
                        a.field = optarg;
                        break;
                case 'o':
                        a.output = optarg;
                        output_set = true;
                        break;
                case ARG_FILE: {
                        if (n_files >= CTL_FILES_MAX)
                                return fail(error, "more than %d --file options", CTL_FILES_MAX);
                        const char **l = realloc(files, (n_files + 2) * sizeof(char *));
                        if (!l)
                                return -ENOMEM;
                        files = l;
                        files[n_files++] = optarg;
                        files[n_files] = NULL;
                        break;
                }
                case 'D':
                        a.directory = optarg;
                        break;
                case ARG_NAMESPACE:
                        a.namespace_ = optarg;
                        break;
                case 'q':
                        a.quiet = true;
                        break;
                case ARG_ALL:
                        a.all = true;
                        break;
                case ARG_STORAGE_DIR:
                        if (optarg[0] != '/')
                                return fail(error, "--storage-dir= needs an absolute path, got '%s'", optarg);
                        a.storage_dir = optarg;
                        storage_set = true;
                        break;
                case ARG_MAX_USE:
                        r = parse_size_option("--max-use", optarg, &a.max_use, error);
                        if (r < 0)
                                return r;
                        break;
                case ARG_KEEP_FREE:
                        r = parse_size_option("--keep-free", optarg, &a.keep_free, error);
                        if (r < 0)
                                return r;
                        break;
                case ARG_DRY_RUN:
                        a.dry_run = true;
                        break;
                case ':':
                        return fail(error, "option '%s' needs an argument", argv[optind - 1]);
                default:
                        if (optopt > 0 && optopt < 0x100 && optopt != '?')
                                return fail(error, "unknown option '-%c'", optopt);
                        return fail(error, "unknown option '%s'", argv[optind - 1]);
                }
        }

        if (a.help || a.version) {
                a.matches = TAKE_PTR(matches);
                if (!a.matches && !(a.matches = calloc(1, sizeof(char *))))
                        return -ENOMEM;
                a.files = TAKE_PTR(files);
                a.n_files = n_files;
                a.debugger_args = TAKE_PTR(debugger_args);
                *ret = a;
                return 0;
        }

        /* GNU getopt permuted the non-options to the end, in order: the verb, then the matches. */
        int first = optind;
        if (first < argc) {
                CtlVerb v = ctl_verb_from_string(argv[first]);
                if (v < 0)
                        return fail(error, "unknown command '%s' (see --help)", argv[first]);
                a.verb = v;
                first++;
        }
        if (argc - first > CTL_MATCHES_MAX)
                return fail(error, "more than %d match arguments", CTL_MATCHES_MAX);
        matches = calloc((size_t) (argc - first) + 1, sizeof(char *));
        if (!matches)
                return -ENOMEM;
        for (int i = first; i < argc; i++) {
                if (!ctl_match_valid(argv[i]))
                        return fail(error, "invalid match '%s' (FIELD=VALUE needs a journal field name: A-Z, 0-9, _)", argv[i]);
                matches[a.n_matches++] = argv[i];
        }

        if (!!a.namespace_ + !!a.directory + (n_files > 0) > 1)
                return fail(error, "--namespace=, --directory= and --file= cannot be combined");
        a.source = a.namespace_ ? CTL_SOURCE_NAMESPACE :
                   a.directory  ? CTL_SOURCE_DIRECTORY :
                   n_files > 0  ? CTL_SOURCE_FILES :
                                  CTL_SOURCE_SYSTEM;

        if (a.field && !ctl_match_field_name_valid(a.field, strlen(a.field)))
                return fail(error, "invalid --field name '%s' (A-Z, 0-9, _)", a.field);

        r = check_combinations(&a, output_set, storage_set, error);
        if (r < 0)
                return r;

        /* info without matches shows the most recent record, as coredumpctl does. */
        if (a.verb == CTL_VERB_INFO && a.n_matches == 0 && !a.rows_max_set) {
                a.rows_max = 1;
                a.reverse = true;
        }

        a.matches = TAKE_PTR(matches);
        a.files = TAKE_PTR(files);
        a.n_files = n_files;
        a.debugger_args = TAKE_PTR(debugger_args);
        *ret = a;
        return 0;
}
