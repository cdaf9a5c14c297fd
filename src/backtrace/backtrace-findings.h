/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the analysis child found in a core (modules, threads, frames), rebuilt in the parent from
 * the child's line-by-line JSON output, which it does not trust. */
#pragma once

#include "backtrace-debuginfo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

/* Frame.module when the address lies in no listed module. */
#define BACKTRACE_NO_MODULE SIZE_MAX

typedef struct BacktraceFrame {
        uint64_t pc;       /* as unwound (return address for outer frames) */
        uint64_t offset;   /* pc minus the module's start; 0 without a module */
        char *symbol;      /* function name, NULL when unknown */
        char *module_name; /* NULL when the address lies in no module */
        size_t module;     /* index into BacktraceFindings.modules, or BACKTRACE_NO_MODULE */
} BacktraceFrame;

typedef struct BacktraceThread {
        pid_t tid;
        BacktraceFrame *frames;
        size_t n_frames;
        bool ended;            /* the child said the thread was complete */
        bool frames_truncated; /* stopped at BACKTRACE_FRAMES_MAX */
        char *unwind_error;    /* why unwinding stopped early (libdwfl's words), or NULL */
} BacktraceThread;

typedef struct BacktraceModule {
        char *name;          /* as libdwfl names it: the soname, the executable's name, or the path */
        char *path;          /* the file symbols came from, NULL when not found on this host */
        uint64_t start, end;
        char *build_id;      /* lowercase hex, NULL when the module has none */
        bool main;           /* holds the program's entry point (AT_ENTRY) */
        char *package_owner; /* the package note's owner name, NULL without a note */
        json_object *package;/* the package note, an object; NULL without one */
        char *package_error; /* why a package note that is present was not used */
} BacktraceModule;

typedef struct BacktraceFindings {
        bool has_core;       /* the child read the ELF header of a core */
        char *architecture;  /* e.g. "AMD x86-64", NULL when elfutils has no name for it */
        uint64_t core_size, core_expected_size;
        BacktraceModule *modules;
        size_t n_modules;
        bool modules_truncated;
        bool modules_complete; /* the child listed every module (up to the limit) */
        BacktraceThread *threads;
        size_t n_threads;
        bool threads_truncated;
        bool ended;          /* the child reported that it went through to the end */
        char *error;         /* the child's reason for stopping early, or NULL */
        char *memory_note;   /* why the child thinks it ran short of memory, or NULL */
        char *compressed_debuginfo[BACKTRACE_DEBUGINFO_CACHE_FILES_MAX]; /* debug files read compressed */
        size_t n_compressed_debuginfo;
        bool malformed;      /* some output was dropped as invalid */
} BacktraceFindings;

void backtrace_findings_done(BacktraceFindings *f);

/* Takes one line of the child's output (without its newline). Lines that are not valid JSON,
 * break the expected order or exceed a limit are dropped and set f->malformed; the return value
 * is -ENOMEM or 0. */
int backtrace_findings_add_line(BacktraceFindings *f, const char *line, size_t size);

/* Feeds every complete line of buf to backtrace_findings_add_line(); a last line without its
 * newline is dropped (the child died while writing it). */
int backtrace_findings_add_output(BacktraceFindings *f, const char *buf, size_t size);

/* The thread the crash happened in: the first one (its NT_PRSTATUS comes first in the core). */
static inline const BacktraceThread *backtrace_findings_crashing_thread(const BacktraceFindings *f) {
        return f->n_threads > 0 ? &f->threads[0] : NULL;
}
