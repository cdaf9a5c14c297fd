/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON output (json-c): the stable objects of list rows and info records, and printing them. */
#pragma once

#include <stdio.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "ctl-args.h"
#include "ctl-record.h"
#include "export-record.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* A JSON string of size bytes, invalid UTF-8 and NUL replaced by U+FFFD; NULL on ENOMEM. */
json_object *ctl_json_string(const void *s, size_t size);

/* A field as a JSON string, or NULL (JSON null) when absent or out of memory. */
json_object *ctl_json_field(const ExportRecord *r, const char *name);

/* A decimal field as a JSON integer, or NULL (JSON null) when absent or not a number. */
json_object *ctl_json_field_u64(const ExportRecord *r, const char *name);

/* Parses JSON from a record (bounded by CTL_BACKTRACE_JSON_SIZE_MAX and
 * CTL_BACKTRACE_JSON_DEPTH_MAX); NULL when it is not valid JSON. */
json_object *ctl_json_parse(const char *s, size_t size);

/* The list row of a record. Keys: coredumpctl's "time" (µs), "pid", "uid", "gid", "sig" (signal
 * number, null when none), "corefile", "exe", "size" (bytes or null), and ours: "comm",
 * "signal_name", "message_id", "filename", "signature", "boot_id", "cursor". */
int ctl_json_list_row(const ExportRecord *r, const CtlFileProbe *probe, json_object **ret);

/* The info object of a record (keys in docs/corejournalctl.1.md). */
int ctl_json_info(const ExportRecord *r, const CtlFileProbe *probe, json_object **ret);

/* Prints obj and a newline in the mode (short: one line, pretty: indented). Returns 0 or -EIO. */
int ctl_json_print(FILE *f, json_object *obj, CtlJsonMode mode);
