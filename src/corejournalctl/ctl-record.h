/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a crash record says, read the way coredumpctl reads it: the kind of record, its signal,
 * where its core is and whether that is still there. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "export-record.h"

/* The COREFILE column and the Storage: state. */
typedef enum CtlCoreState {
        CTL_CORE_NONE,          /* a crash record without a core */
        CTL_CORE_PRESENT,       /* COREDUMP_FILENAME exists and is readable */
        CTL_CORE_MISSING,       /* COREDUMP_FILENAME no longer exists */
        CTL_CORE_ERROR,         /* COREDUMP_FILENAME exists but cannot be read (permissions) */
        CTL_CORE_JOURNAL,       /* the core is the record's COREDUMP= field */
        CTL_CORE_TRUNCATED,     /* present or journal, but COREDUMP_TRUNCATED is set */
        CTL_CORE_REMOTE,        /* COREDUMP_FILENAME is on the machine that sent the record, and the core did not travel */
        CTL_CORE_NOT_APPLICABLE,/* systemd's --backtrace record: no core was ever expected ("-") */
        _CTL_CORE_STATE_MAX,
        _CTL_CORE_STATE_INVALID = -EINVAL,
} CtlCoreState;

/* How the stored file looked: 0 and its size, or the -errno of looking at it. */
typedef struct CtlFileProbe {
        int error;
        uint64_t size;
} CtlFileProbe;

/* "none", "present", "missing", "error", "journal", "truncated", or NULL for not applicable. */
const char *ctl_core_state_to_string(CtlCoreState s);

/* stat() and access(R_OK) of a stored core: -ENOENT when gone, -EACCES when unreadable, -EBADF
 * when not a regular file. */
void ctl_file_probe(const char *path, CtlFileProbe *ret);

/* The record's core state; probe describes COREDUMP_FILENAME (NULL: not looked at, taken as
 * present). */
/* Whether the record was written on another machine, so that its COREDUMP_FILENAME names a file
 * there, not here (a record read from a central journal-remote store): its _MACHINE_ID differs
 * from this machine's, or, without one, its COREJOURNAL_CORE_HOST differs from this host name. */
bool ctl_record_core_elsewhere(const ExportRecord *r);

CtlCoreState ctl_record_core_state(const ExportRecord *r, const CtlFileProbe *probe);

/* True for a record with systemd-coredump's --backtrace MESSAGE_ID (no signal, no core). */
bool ctl_record_is_backtrace_only(const ExportRecord *r);

/* The crash's signal number from COREDUMP_SIGNAL, or -1 when that is not a number (a Python
 * exception name) or absent. */
int ctl_record_signal(const ExportRecord *r);

/* "SIGSEGV"-style name: COREDUMP_SIGNAL_NAME, else derived from the number, else the raw
 * COREDUMP_SIGNAL (an exception name), else NULL. buf holds derived names. */
const char *ctl_record_signal_name(const ExportRecord *r, char buf[static 16]);

/* Parses a decimal field into *ret; false when absent or not a number. */
bool ctl_record_get_u64(const ExportRecord *r, const char *name, uint64_t *ret);

/* systemd's parse_boolean() truth of a field ("1", "yes", "true", "on", …). */
bool ctl_record_get_bool(const ExportRecord *r, const char *name);

/* The executable to show: COREDUMP_EXE, else COREDUMP_COMM, else NULL. */
const char *ctl_record_exe(const ExportRecord *r);

/* __REALTIME_TIMESTAMP of a record read by ctl_entry_read(), 0 when absent. */
uint64_t ctl_record_time(const ExportRecord *r);
