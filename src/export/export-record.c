/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export-record.h"
#include "input-limits.h"

ExportNameKind export_name_classify(const char *name, size_t length) {
        if (length == 0)
                return EXPORT_NAME_EMPTY;
        if (length > EXPORT_FIELD_NAME_MAX)
                return EXPORT_NAME_TOO_LONG;
        if (name[0] >= '0' && name[0] <= '9')
                return EXPORT_NAME_LEADING_DIGIT;
        for (size_t i = 0; i < length; i++) {
                char c = name[i];
                if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                        return EXPORT_NAME_BAD_CHARACTER;
        }
        if (name[0] == '_')
                return length > 1 && name[1] == '_' ? EXPORT_NAME_ADDRESS : EXPORT_NAME_TRUSTED;
        return EXPORT_NAME_VALID;
}

const char *export_name_kind_to_string(ExportNameKind kind) {
        static const char *const table[_EXPORT_NAME_KIND_MAX] = {
                [EXPORT_NAME_VALID] = "valid",
                [EXPORT_NAME_TRUSTED] = "is a trusted field that only journald may set",
                [EXPORT_NAME_ADDRESS] = "is an address field (cursor, timestamp or seqnum)",
                [EXPORT_NAME_EMPTY] = "is empty",
                [EXPORT_NAME_TOO_LONG] = "is longer than 64 characters",
                [EXPORT_NAME_LEADING_DIGIT] = "starts with a digit",
                [EXPORT_NAME_BAD_CHARACTER] = "contains a character other than A-Z, 0-9 and _",
        };
        if (kind < 0 || kind >= _EXPORT_NAME_KIND_MAX)
                return "invalid";
        return table[kind];
}

/* Decodes one UTF-8 sequence the way systemd's utf8_encoded_valid_unichar() accepts it:
 * shortest form, no surrogates, no non-characters, below U+110000. Returns its length or 0. */
static size_t utf8_decode(const uint8_t *p, size_t size, uint32_t *ret) {
        size_t len;
        uint32_t c;

        if (p[0] < 0x80)
                len = 1, c = p[0];
        else if ((p[0] & 0xe0) == 0xc0)
                len = 2, c = p[0] & 0x1f;
        else if ((p[0] & 0xf0) == 0xe0)
                len = 3, c = p[0] & 0x0f;
        else if ((p[0] & 0xf8) == 0xf0)
                len = 4, c = p[0] & 0x07;
        else
                return 0;
        if (len > size)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (p[i] & 0x3f);
        }
        size_t shortest = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (shortest != len)
                return 0;
        if (c >= 0x110000 || (c >= 0xd800 && c <= 0xdfff) || (c >= 0xfdd0 && c <= 0xfdef) ||
            (c & 0xfffe) == 0xfffe)
                return 0;
        *ret = c;
        return len;
}

bool export_value_is_text(const void *value, size_t size) {
        const uint8_t *p = value;

        while (size > 0) {
                uint32_t c;
                size_t len = utf8_decode(p, size, &c);
                if (len == 0)
                        return false;
                if ((c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f))
                        return false;
                p += len;
                size -= len;
        }
        return true;
}

int export_record_new(ExportRecord **ret) {
        ExportRecord *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}

static void field_done(ExportField *f) {
        free(f->name);
        free(f->value);
}

ExportRecord *export_record_free(ExportRecord *record) {
        if (!record)
                return NULL;
        for (size_t i = 0; i < record->n_fields; i++)
                field_done(&record->fields[i]);
        free(record->fields);
        free(record);
        return NULL;
}

static int grow(ExportRecord *record) {
        if (record->n_fields < record->allocated)
                return 0;
        size_t n = record->allocated ? record->allocated * 2 : 32;
        ExportField *f = reallocarray(record->fields, n, sizeof(*f));
        if (!f)
                return -ENOMEM;
        record->fields = f;
        record->allocated = n;
        return 0;
}

/* Stores name and an owned value buffer; on failure nothing is taken. */
static int push_owned(ExportRecord *record, const char *name, uint8_t *value, size_t size) {
        int r = grow(record);
        if (r < 0)
                return r;
        char *n = strdup(name);
        if (!n)
                return -ENOMEM;
        record->fields[record->n_fields++] = (ExportField) {
                .name = n,
                .value = value,
                .size = size,
        };
        record->payload_size += strlen(name) + 1 + size;
        return 0;
}

static int append_unchecked(ExportRecord *record, const char *name, const void *value, size_t size) {
        if (size > SIZE_MAX - 1)
                return -E2BIG;
        _cleanup_(freep) uint8_t *v = malloc(size + 1);
        if (!v)
                return -ENOMEM;
        if (size > 0)
                memcpy(v, value, size);
        v[size] = 0;
        int r = push_owned(record, name, v, size);
        if (r < 0)
                return r;
        v = NULL;
        return 0;
}

static bool name_allowed(const char *name, bool allow_reserved) {
        switch (export_name_classify(name, strlen(name))) {
        case EXPORT_NAME_VALID:
                return true;
        case EXPORT_NAME_TRUSTED:
        case EXPORT_NAME_ADDRESS:
                return allow_reserved;
        default:
                return false;
        }
}

int export_record_adopt(ExportRecord *record, const char *name, uint8_t *value, size_t size, bool allow_reserved) {
        if (!name_allowed(name, allow_reserved))
                return -EINVAL;
        return push_owned(record, name, value, size);
}

int export_record_append(ExportRecord *record, const char *name, const void *value, size_t size) {
        if (!name_allowed(name, false))
                return -EINVAL;
        return append_unchecked(record, name, value, size);
}

int export_record_append_reserved(ExportRecord *record, const char *name, const void *value, size_t size) {
        if (!name_allowed(name, true))
                return -EINVAL;
        return append_unchecked(record, name, value, size);
}

int export_record_append_string(ExportRecord *record, const char *name, const char *value) {
        return export_record_append(record, name, value, strlen(value));
}

int export_record_appendf(ExportRecord *record, const char *name, const char *format, ...) {
        _cleanup_(freep) char *s = NULL;
        va_list ap;
        int n;

        va_start(ap, format);
        n = vasprintf(&s, format, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return export_record_append(record, name, s, (size_t) n);
}

size_t export_record_remove(ExportRecord *record, const char *name) {
        size_t j = 0, removed = 0;

        for (size_t i = 0; i < record->n_fields; i++) {
                ExportField *f = &record->fields[i];
                if (strcmp(f->name, name) == 0) {
                        record->payload_size -= strlen(f->name) + 1 + f->size;
                        field_done(f);
                        removed++;
                        continue;
                }
                record->fields[j++] = *f;
        }
        record->n_fields = j;
        return removed;
}

int export_record_set(ExportRecord *record, const char *name, const void *value, size_t size) {
        if (!name_allowed(name, false))
                return -EINVAL;
        (void) export_record_remove(record, name);
        return append_unchecked(record, name, value, size);
}

int export_record_set_string(ExportRecord *record, const char *name, const char *value) {
        return export_record_set(record, name, value, strlen(value));
}

const ExportField *export_record_find(const ExportRecord *record, const char *name) {
        for (size_t i = 0; i < record->n_fields; i++)
                if (strcmp(record->fields[i].name, name) == 0)
                        return &record->fields[i];
        return NULL;
}

const char *export_record_get_string(const ExportRecord *record, const char *name) {
        const ExportField *f = export_record_find(record, name);
        if (!f || memchr(f->value, 0, f->size))
                return NULL;
        return (const char *) f->value;
}
