/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line of corejournalctl: verbs, options and their checks, and the exit statuses. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl-limits.h"

typedef enum CtlVerb {
        CTL_VERB_LIST,
        CTL_VERB_INFO,
        CTL_VERB_DUMP,
        CTL_VERB_DEBUG,
        CTL_VERB_GROUPS,
        CTL_VERB_DISK_USAGE,
        CTL_VERB_VACUUM,
        CTL_VERB_METRICS,
        CTL_VERB_HELP,
        _CTL_VERB_MAX,
        _CTL_VERB_INVALID = -EINVAL,
} CtlVerb;

typedef enum CtlJsonMode {
        CTL_JSON_OFF,
        CTL_JSON_SHORT,
        CTL_JSON_PRETTY,
        _CTL_JSON_MODE_MAX,
        _CTL_JSON_MODE_INVALID = -EINVAL,
} CtlJsonMode;

typedef enum CtlSourceKind {
        CTL_SOURCE_SYSTEM,    /* the local system journal (all machines with --all) */
        CTL_SOURCE_NAMESPACE, /* --namespace=NS */
        CTL_SOURCE_DIRECTORY, /* --directory=DIR */
        CTL_SOURCE_FILES,     /* --file=GLOB… */
        _CTL_SOURCE_KIND_MAX,
        _CTL_SOURCE_KIND_INVALID = -EINVAL,
} CtlSourceKind;

/* Exit statuses (documented in docs/corejournalctl.1.md). */
typedef enum CtlExit {
        CTL_EXIT_OK = 0,
        CTL_EXIT_FAILURE = 1,     /* anything not below: I/O errors, a broken record, a failing debugger */
        CTL_EXIT_USAGE = 2,       /* bad arguments or options */
        CTL_EXIT_NOT_FOUND = 3,   /* no crash record matched */
        CTL_EXIT_PERMISSION = 4,  /* the journal files (or the core, or the storage directory) are not readable */
} CtlExit;

/* The parsed command line. Strings point into argv; the lists are owned (ctl_args_done()). */
typedef struct CtlArgs {
        CtlVerb verb;
        const char **matches;      /* NULL-terminated, never NULL after parsing */
        size_t n_matches;

        CtlSourceKind source;
        const char *namespace_;
        const char *directory;
        const char **files;        /* --file patterns, NULL-terminated, or NULL */
        size_t n_files;
        bool all;

        uint64_t rows_max;         /* UINT64_MAX: no limit */
        bool rows_max_set;
        bool reverse;
        uint64_t since, until;     /* µs, CTL_USEC_INFINITY: unset */
        const char *field;
        const char *output;
        CtlJsonMode json;
        bool pager;
        bool legend;
        bool quiet;

        const char *debugger;
        char **debugger_args;      /* split -A words, NULL-terminated, or NULL */

        const char *storage_dir;
        uint64_t max_use;          /* UINT64_MAX: systemd's automatic value, 0: no limit */
        uint64_t keep_free;        /* likewise */
        bool dry_run;

        bool help;
        bool version;
} CtlArgs;

/* Parses argv (options may follow the verb, as with coredumpctl). now (µs) anchors relative and
 * named times. Returns 0, or -EINVAL with a one-line message in error, or -ENOMEM. */
int ctl_args_parse(int argc, char **argv, uint64_t now, CtlArgs *ret, char error[static CTL_ERROR_MAX]);

void ctl_args_done(CtlArgs *args);

const char *ctl_verb_to_string(CtlVerb verb);
CtlVerb ctl_verb_from_string(const char *s);

/* The exit status for a verb's result: 0 → OK, -ESRCH → NOT_FOUND, -EACCES/-EPERM → PERMISSION,
 * -EINVAL from argument checks is reported by the caller, anything else → FAILURE. */
CtlExit ctl_exit_from_error(int r);

/* The --help text. */
const char *ctl_args_help(void);
