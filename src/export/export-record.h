/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A journal record: an ordered list of binary-safe fields with validated names. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

typedef struct ExportField {
        char *name;     /* NUL-terminated, validated */
        uint8_t *value; /* NUL-terminated for convenience; size excludes the NUL */
        size_t size;
} ExportField;

typedef struct ExportRecord {
        ExportField *fields;
        size_t n_fields;
        size_t allocated;
        size_t payload_size; /* sum of name and value sizes, for size limits */
} ExportRecord;

/* What kind of name a candidate field name is (positive outcomes, not errors). */
typedef enum ExportNameKind {
        EXPORT_NAME_VALID,         /* an ordinary field a client may send */
        EXPORT_NAME_TRUSTED,       /* starts with one '_': set only by journald */
        EXPORT_NAME_ADDRESS,       /* starts with "__": cursor, timestamps, seqnum */
        EXPORT_NAME_EMPTY,
        EXPORT_NAME_TOO_LONG,      /* over EXPORT_FIELD_NAME_MAX */
        EXPORT_NAME_LEADING_DIGIT,
        EXPORT_NAME_BAD_CHARACTER, /* anything but A-Z, 0-9 and '_' */
        _EXPORT_NAME_KIND_MAX,
        _EXPORT_NAME_KIND_INVALID = -22,
} ExportNameKind;

ExportNameKind export_name_classify(const char *name, size_t length);
/* A short English phrase for a kind, e.g. "contains a character other than A-Z, 0-9, _". */
const char *export_name_kind_to_string(ExportNameKind kind);

/* True for a value the export format writes as text (KEY=value): valid UTF-8 of printable
 * characters, TAB allowed, no other control character (C0, DEL, C1). */
bool export_value_is_text(const void *value, size_t size);

int export_record_new(ExportRecord **ret);
ExportRecord *export_record_free(ExportRecord *record);
DEFINE_TRIVIAL_CLEANUP_FUNC(ExportRecord *, export_record_free);

/* Appends a copy of a field. -EINVAL for a name that is not EXPORT_NAME_VALID; the _reserved
 * variant also takes TRUSTED and ADDRESS names (for reading a journal's own output). */
int export_record_append(ExportRecord *record, const char *name, const void *value, size_t size);
int export_record_append_reserved(ExportRecord *record, const char *name, const void *value, size_t size);
/* Appends a field whose value buffer (size + 1 bytes, value[size] == 0) the record takes over
 * on success; on failure the caller still owns it. */
int export_record_adopt(ExportRecord *record, const char *name, uint8_t *value, size_t size, bool allow_reserved);
int export_record_append_string(ExportRecord *record, const char *name, const char *value);
int export_record_appendf(ExportRecord *record, const char *name, const char *format, ...) _printf_(3, 4);

/* Replaces every field of that name with one value (appended if absent). */
int export_record_set(ExportRecord *record, const char *name, const void *value, size_t size);
int export_record_set_string(ExportRecord *record, const char *name, const char *value);

/* Removes every field of that name; returns how many were removed. */
size_t export_record_remove(ExportRecord *record, const char *name);

/* The first field of that name, or NULL. */
const ExportField *export_record_find(const ExportRecord *record, const char *name);
/* Its value as a string when it has no NUL inside, else NULL. */
const char *export_record_get_string(const ExportRecord *record, const char *name);
static inline bool export_record_has(const ExportRecord *record, const char *name) {
        return export_record_find(record, name) != NULL;
}
