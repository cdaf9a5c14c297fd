/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export-reader.h"
#include "input-limits.h"

#define READ_CHUNK (64 * 1024)
#define DROPPED_NAMES_MAX 8

const ExportLimits export_limits_journal = {
        .field_size_max = JOURNAL_DATA_SIZE_MAX,
        .record_size_max = JOURNAL_ENTRY_SIZE_MAX,
        .fields_max = JOURNAL_FIELDS_MAX,
};

struct ExportReader {
        int fd; /* -EBADF when reading from memory */
        ExportLimits limits;
        ExportReaderFlags flags;

        uint8_t *buf;
        size_t allocated;
        bool owns_buf;
        size_t start, end;    /* unparsed bytes are buf[start..end) */
        uint64_t buf_offset;  /* input offset of buf[0] */
        bool eof;

        int error;
        char message[256];

        size_t n_dropped;
        char dropped[DROPPED_NAMES_MAX * (EXPORT_FIELD_NAME_MAX + 2)];
};

static int reader_new(const ExportLimits *limits, ExportReaderFlags flags, ExportReader **ret) {
        ExportReader *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->fd = -EBADF;
        r->limits = *limits;
        r->flags = flags;
        *ret = r;
        return 0;
}

int export_reader_new_fd(int fd, const ExportLimits *limits, ExportReaderFlags flags, ExportReader **ret) {
        ExportReader *r;
        int k;

        if (fd < 0)
                return -EBADF;
        k = reader_new(limits, flags, &r);
        if (k < 0)
                return k;
        r->fd = fd;
        r->owns_buf = true;
        *ret = r;
        return 0;
}

int export_reader_new_memory(const void *data, size_t size, const ExportLimits *limits, ExportReaderFlags flags, ExportReader **ret) {
        ExportReader *r;
        int k;

        k = reader_new(limits, flags, &r);
        if (k < 0)
                return k;
        r->buf = (uint8_t *) data;
        r->allocated = r->end = size;
        r->eof = true;
        *ret = r;
        return 0;
}

ExportReader *export_reader_free(ExportReader *reader) {
        if (!reader)
                return NULL;
        if (reader->owns_buf)
                free(reader->buf);
        free(reader);
        return NULL;
}

const char *export_reader_error(const ExportReader *reader) {
        return reader->message;
}

uint64_t export_reader_offset(const ExportReader *reader) {
        return reader->buf_offset + reader->start;
}

size_t export_reader_dropped(const ExportReader *reader, const char **ret_names) {
        if (ret_names)
                *ret_names = reader->dropped;
        return reader->n_dropped;
}

static size_t available(const ExportReader *r) {
        return r->end - r->start;
}

/* Records the first error; every later call returns it again. */
_printf_(4, 5) static int fail(ExportReader *r, int error, uint64_t offset, const char *format, ...) {
        int n = snprintf(r->message, sizeof(r->message), "offset %llu: ", (unsigned long long) offset);
        va_list ap;

        va_start(ap, format);
        if (n > 0 && (size_t) n < sizeof(r->message))
                (void) vsnprintf(r->message + n, sizeof(r->message) - (size_t) n, format, ap);
        va_end(ap);
        r->error = error;
        return error;
}

/* Makes a name printable for an error message: at most 64 bytes, others as \xNN. */
static const char *escape_name(const uint8_t *p, size_t size, char out[static 4 * EXPORT_FIELD_NAME_MAX + 4]) {
        size_t j = 0;
        for (size_t i = 0; i < size && i < EXPORT_FIELD_NAME_MAX; i++) {
                if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
                        out[j++] = (char) p[i];
                else
                        j += (size_t) sprintf(out + j, "\\x%02x", p[i]);
        }
        if (size > EXPORT_FIELD_NAME_MAX) {
                memcpy(out + j, "...", 3);
                j += 3;
        }
        out[j] = 0;
        return out;
}

/* Tries to have at least want unparsed bytes buffered. Returns 0 (check available() for
 * whether it succeeded; short only at EOF) or -errno. */
static int fill(ExportReader *r, size_t want) {
        while (available(r) < want && !r->eof) {
                if (r->start > 0) {
                        memmove(r->buf, r->buf + r->start, available(r));
                        r->buf_offset += r->start;
                        r->end -= r->start;
                        r->start = 0;
                }
                size_t need = want > r->end + READ_CHUNK ? want : r->end + READ_CHUNK;
                if (need > r->allocated) {
                        size_t n = r->allocated ? r->allocated : READ_CHUNK;
                        while (n < need)
                                n *= 2;
                        uint8_t *b = realloc(r->buf, n);
                        if (!b)
                                return -ENOMEM;
                        r->buf = b;
                        r->allocated = n;
                }
                ssize_t k = read(r->fd, r->buf + r->end, r->allocated - r->end);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        r->eof = true;
                r->end += (size_t) k;
        }
        return 0;
}

/* Finds the next '\n' at or after start+from, looking at no more than max bytes past
 * start. Returns its index relative to start, -ENOENT when absent within max (or at EOF). */
static ssize_t find_newline(ExportReader *r, size_t from, size_t max) {
        size_t scanned = from;
        for (;;) {
                size_t limit = available(r) < max ? available(r) : max;
                if (scanned < limit) {
                        uint8_t *p = memchr(r->buf + r->start + scanned, '\n', limit - scanned);
                        if (p)
                                return p - (r->buf + r->start);
                        scanned = limit;
                }
                if (scanned >= max || r->eof)
                        return -ENOENT;
                size_t want = available(r) + READ_CHUNK;
                int k = fill(r, want > max ? max : want);
                if (k < 0)
                        return k;
                if (available(r) <= scanned && r->eof)
                        return -ENOENT;
        }
}

static void note_dropped(ExportReader *r, const char *name) {
        if (r->n_dropped++ >= DROPPED_NAMES_MAX)
                return;
        size_t len = strlen(r->dropped);
        (void) snprintf(r->dropped + len, sizeof(r->dropped) - len, "%s%s", len ? "," : "", name);
}

/* Consumes one binary value of size bytes into a new buffer (ret may be NULL to skip it). */
static int read_binary(ExportReader *r, uint64_t size, uint8_t **ret) {
        uint8_t *v = malloc((size_t) size + 1);
        size_t have;
        if (!v)
                return -ENOMEM;

        have = available(r) < size ? available(r) : (size_t) size;
        memcpy(v, r->buf + r->start, have);
        r->start += have;
        while (have < size && r->fd >= 0 && !r->eof) {
                ssize_t k = read(r->fd, v + have, (size_t) size - have);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        free(v);
                        return -errno;
                }
                if (k == 0)
                        r->eof = true;
                have += (size_t) k;
                /* Bytes read around the buffer still count toward the input offset. */
                r->buf_offset += (uint64_t) k;
        }
        if (have < size) {
                free(v);
                return -EPIPE;
        }
        v[size] = 0;
        *ret = v;
        return 0;
}

int export_reader_next(ExportReader *r, ExportRecord **ret) {
        _cleanup_(export_record_freep) ExportRecord *record = NULL;
        char esc[4 * EXPORT_FIELD_NAME_MAX + 4];
        int k;

        if (r->error)
                return r->error;

        k = export_record_new(&record);
        if (k < 0)
                return k;
        r->n_dropped = 0;
        r->dropped[0] = 0;

        for (;;) {
                uint64_t field_offset = export_reader_offset(r);

                k = fill(r, EXPORT_FIELD_NAME_MAX + 2);
                if (k < 0)
                        return fail(r, k, field_offset, "read error: %s", strerror(-k));

                if (available(r) == 0) {
                        /* End of input. */
                        if (record->n_fields == 0)
                                return 0;
                        if (r->flags & EXPORT_READER_EOF_ENDS_RECORD)
                                break;
                        return fail(r, -EBADMSG, field_offset,
                                    "unexpected end of input: record not terminated by an empty line");
                }

                if (r->buf[r->start] == '\n') {
                        r->start++;
                        if (record->n_fields > 0)
                                break;
                        continue; /* an empty record (or only address fields): nothing to return */
                }

                /* The name ends at the first '=' (text field) or '\n' (binary field). */
                size_t scan = available(r) < EXPORT_FIELD_NAME_MAX + 1 ? available(r) : EXPORT_FIELD_NAME_MAX + 1;
                size_t name_len = 0;
                while (name_len < scan && r->buf[r->start + name_len] != '=' && r->buf[r->start + name_len] != '\n')
                        name_len++;
                if (name_len == scan) {
                        if (scan > EXPORT_FIELD_NAME_MAX)
                                return fail(r, -EBADMSG, field_offset, "field name '%s' is longer than %d characters",
                                            escape_name(r->buf + r->start, name_len, esc), EXPORT_FIELD_NAME_MAX);
                        return fail(r, -EBADMSG, field_offset,
                                    "unexpected end of input inside field name '%s'",
                                    escape_name(r->buf + r->start, name_len, esc));
                }

                ExportNameKind kind = export_name_classify((const char *) r->buf + r->start, name_len);
                if (kind != EXPORT_NAME_VALID && kind != EXPORT_NAME_TRUSTED && kind != EXPORT_NAME_ADDRESS)
                        return fail(r, -EBADMSG, field_offset, "field name '%s' %s",
                                    escape_name(r->buf + r->start, name_len, esc), export_name_kind_to_string(kind));

                char name[EXPORT_FIELD_NAME_MAX + 1];
                memcpy(name, r->buf + r->start, name_len);
                name[name_len] = 0;
                bool binary = r->buf[r->start + name_len] == '\n';
                _cleanup_(freep) uint8_t *value = NULL;
                uint64_t size;

                if (!binary) {
                        ssize_t nl = find_newline(r, name_len + 1, name_len + 1 + r->limits.field_size_max + 1);
                        if (nl == -ENOENT) {
                                if (available(r) > name_len + 1 + r->limits.field_size_max)
                                        return fail(r, -E2BIG, field_offset,
                                                    "text field %s is longer than the limit of %llu bytes",
                                                    name, (unsigned long long) r->limits.field_size_max);
                                return fail(r, -EBADMSG, field_offset,
                                            "unexpected end of input: text field %s has no terminating newline", name);
                        }
                        if (nl < 0)
                                return fail(r, (int) nl, field_offset, "read error: %s", strerror((int) -nl));
                        size = (uint64_t) nl - name_len - 1;
                        value = malloc((size_t) size + 1);
                        if (!value)
                                return fail(r, -ENOMEM, field_offset, "out of memory");
                        memcpy(value, r->buf + r->start + name_len + 1, (size_t) size);
                        value[size] = 0;
                        r->start += (size_t) nl + 1;
                } else {
                        uint64_t le;

                        r->start += name_len + 1;
                        k = fill(r, sizeof(le));
                        if (k < 0)
                                return fail(r, k, field_offset, "read error: %s", strerror(-k));
                        if (available(r) < sizeof(le))
                                return fail(r, -EBADMSG, export_reader_offset(r),
                                            "unexpected end of input: length of binary field %s is cut short (%zu of 8 bytes)",
                                            name, available(r));
                        memcpy(&le, r->buf + r->start, sizeof(le));
                        size = le64toh(le);
                        if (size > r->limits.field_size_max)
                                return fail(r, -E2BIG, export_reader_offset(r),
                                            "binary field %s declares %llu bytes, over the limit of %llu",
                                            name, (unsigned long long) size, (unsigned long long) r->limits.field_size_max);
                        if (record->payload_size + name_len + 1 + size > r->limits.record_size_max)
                                return fail(r, -E2BIG, field_offset,
                                            "record exceeds the limit of %llu bytes at field %s",
                                            (unsigned long long) r->limits.record_size_max, name);
                        r->start += sizeof(le);
                        uint64_t data_offset = export_reader_offset(r);
                        k = read_binary(r, size, &value);
                        if (k == -EPIPE)
                                return fail(r, -EBADMSG, data_offset,
                                            "unexpected end of input: binary field %s declares %llu bytes but the input ends at offset %llu",
                                            name, (unsigned long long) size, (unsigned long long) export_reader_offset(r));
                        if (k < 0)
                                return fail(r, k, data_offset, "read error: %s", strerror(-k));
                        k = fill(r, 1);
                        if (k < 0)
                                return fail(r, k, field_offset, "read error: %s", strerror(-k));
                        if (available(r) == 0)
                                return fail(r, -EBADMSG, export_reader_offset(r),
                                            "unexpected end of input: missing newline after binary field %s", name);
                        if (r->buf[r->start] != '\n')
                                return fail(r, -EBADMSG, export_reader_offset(r),
                                            "binary field %s is not followed by a newline (found 0x%02x)",
                                            name, r->buf[r->start]);
                        r->start++;
                }

                if (kind == EXPORT_NAME_ADDRESS)
                        continue;
                if (kind == EXPORT_NAME_TRUSTED && !(r->flags & EXPORT_READER_KEEP_TRUSTED)) {
                        note_dropped(r, name);
                        continue;
                }
                if (record->n_fields >= r->limits.fields_max)
                        return fail(r, -E2BIG, field_offset, "record has more than %zu fields", r->limits.fields_max);
                if (record->payload_size + name_len + 1 + size > r->limits.record_size_max)
                        return fail(r, -E2BIG, field_offset, "record exceeds the limit of %llu bytes at field %s",
                                    (unsigned long long) r->limits.record_size_max, name);

                k = export_record_adopt(record, name, value, (size_t) size, /* allow_reserved= */ true);
                if (k < 0)
                        return fail(r, k, field_offset, "cannot store field %s: %s", name, strerror(-k));
                value = NULL; /* owned by the record now */
        }

        *ret = TAKE_PTR(record);
        return 1;
}
