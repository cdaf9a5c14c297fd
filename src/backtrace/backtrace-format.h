/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the findings become: systemd's stack trace text, COREDUMP_PACKAGE_JSON, our JSON. */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "backtrace-findings.h"

/* systemd's reference to a package version: "<type or 'package'> <name>[-<version>][.<arch>]",
 * or NULL when the metadata has no string "name"; the parts are sanitized. Returns 0 or -ENOMEM. */
int backtrace_format_package_reference(json_object *metadata, char **ret);

/* A string member of a package note, copied through backtrace_json_sanitize() (cut at
 * BACKTRACE_NAME_SIZE_MAX, no control characters); NULL when absent or not a string. */
int backtrace_format_note_string(json_object *metadata, const char *key, char **ret);

/* A module's package note as systemd reports it: the note's members, then "buildId" (the
 * module's own build-id replaces one the note may carry). NULL (and 0) without a note. */
int backtrace_format_package_metadata(const BacktraceModule *m, json_object **ret);

/* The stack trace text systemd 252 puts after the blank line of MESSAGE: module lines
 * ("Module <name> without build-id.", "Module <name>[ from <package>][, build-id=<id>]"),
 * "Stack trace of thread <tid>:" blocks separated by blank lines, frames
 * "#<n>  0x<pc> <symbol|n/a> (<module|n/a> + 0x<offset>)", and "ELF object binary architecture:
 * <name>". Cut after the last whole line within BACKTRACE_TEXT_SIZE_MAX; *ret_truncated tells.
 * Returns 0 with NULL when there is nothing but that last line to say, or -ENOMEM. */
int backtrace_format_text(const BacktraceFindings *f, char **ret, bool *ret_truncated);

/* COREDUMP_PACKAGE_JSON as systemd 252 writes it: {"elfType":"coredump","elfArchitecture":...,
 * "<module>":{<note>,"buildId":...},...}, one member per module with a package note. NULL (and
 * 0) unless the child got through the module list, as systemd writes none when that fails. */
int backtrace_format_package_json(const BacktraceFindings *f, char **ret);

/* The module that is the program: the first whose name's last path component equals exe's
 * (systemd's rule), or without exe the one holding the entry point. NULL when none is. */
const BacktraceModule *backtrace_format_main_module(const BacktraceFindings *f, const char *exe);

/* Our structured trace (schema in docs/BACKTRACE.md). signature and partial_reason may be NULL. */
int backtrace_format_json(const BacktraceFindings *f, const char *signature, const char *partial_reason, char **ret);
