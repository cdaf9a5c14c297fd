/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export-writer.h"
#include "io.h"

int export_address_now(ExportAddress *ret) {
        static char hostname[HOST_NAME_MAX + 1];
        ExportAddress a = {
                .realtime_usec = io_now_realtime_usec(),
                .monotonic_usec = io_now_monotonic_usec(),
        };
        int r;

        r = io_read_boot_id(a.boot_id);
        if (r < 0)
                return r;
        if (gethostname(hostname, sizeof(hostname) - 1) == 0 && hostname[0])
                a.hostname = hostname;
        *ret = a;
        return 0;
}

static bool field_is_binary(const ExportField *f, ExportEncoding encoding) {
        if (encoding == EXPORT_ENCODING_NATIVE)
                return memchr(f->value, '\n', f->size) != NULL;
        return !export_value_is_text(f->value, f->size);
}

void export_iovec_done(ExportIovec *v) {
        free(v->iov);
        free(v->lengths);
        free(v->address_text);
        *v = (ExportIovec) {};
}

static int address_encode(const ExportAddress *a, char **ret) {
        char *s = NULL;
        int n;

        if (a->boot_id[0])
                n = asprintf(&s, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%llu\n_BOOT_ID=%s\n%s%s%s",
                             (unsigned long long) a->realtime_usec, (unsigned long long) a->monotonic_usec,
                             a->boot_id, a->hostname ? "_HOSTNAME=" : "", a->hostname ?: "", a->hostname ? "\n" : "");
        else
                n = asprintf(&s, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%llu\n%s%s%s",
                             (unsigned long long) a->realtime_usec, (unsigned long long) a->monotonic_usec,
                             a->hostname ? "_HOSTNAME=" : "", a->hostname ?: "", a->hostname ? "\n" : "");
        if (n < 0)
                return -ENOMEM;
        *ret = s;
        return n;
}

int export_iovec_build(const ExportRecord *record, ExportEncoding encoding, const ExportAddress *address, ExportIovec *ret) {
        static char newline[] = "\n", equals[] = "=";
        ExportIovec v = {};
        /* Per field at most: name, "\n" or "=", length, value, "\n"; plus address and terminator. */
        size_t max = record->n_fields * 5 + 2;

        v.iov = calloc(max, sizeof(struct iovec));
        v.lengths = calloc(record->n_fields ?: 1, sizeof(uint64_t));
        if (!v.iov || !v.lengths) {
                export_iovec_done(&v);
                return -ENOMEM;
        }

#define PUSH(base, len)                                                         \
        do {                                                                    \
                v.iov[v.n_iov++] = (struct iovec) { .iov_base = (void *) (base), \
                                                    .iov_len = (len) };         \
                v.total_size += (len);                                          \
        } while (0)

        if (address) {
                int n = address_encode(address, &v.address_text);
                if (n < 0) {
                        export_iovec_done(&v);
                        return n;
                }
                PUSH(v.address_text, (size_t) n);
        }

        for (size_t i = 0; i < record->n_fields; i++) {
                const ExportField *f = &record->fields[i];
                PUSH(f->name, strlen(f->name));
                if (field_is_binary(f, encoding)) {
                        v.lengths[i] = htole64((uint64_t) f->size);
                        PUSH(newline, 1);
                        PUSH(&v.lengths[i], sizeof(uint64_t));
                } else
                        PUSH(equals, 1);
                /* The value and its newline are adjacent in memory: value[size] is a NUL,
                 * so the newline needs its own entry. */
                if (f->size > 0)
                        PUSH(f->value, f->size);
                PUSH(newline, 1);
        }

        if (encoding == EXPORT_ENCODING_EXPORT)
                PUSH(newline, 1);
#undef PUSH

        *ret = v;
        return 0;
}

int export_iovec_write(int fd, const ExportIovec *v) {
        /* Copy so partial writes can advance entries without touching the caller's list. */
        struct iovec *copy = malloc(sizeof(struct iovec) * (v->n_iov ?: 1));
        if (!copy)
                return -ENOMEM;
        memcpy(copy, v->iov, sizeof(struct iovec) * v->n_iov);
        int r = io_writev_all(fd, copy, v->n_iov);
        free(copy);
        return r;
}

int export_record_serialize(const ExportRecord *record, ExportEncoding encoding, const ExportAddress *address, char **ret, size_t *ret_size) {
        ExportIovec v;
        int r;

        r = export_iovec_build(record, encoding, address, &v);
        if (r < 0)
                return r;

        char *buf = malloc(v.total_size + 1);
        if (!buf) {
                export_iovec_done(&v);
                return -ENOMEM;
        }
        size_t off = 0;
        for (size_t i = 0; i < v.n_iov; i++) {
                memcpy(buf + off, v.iov[i].iov_base, v.iov[i].iov_len);
                off += v.iov[i].iov_len;
        }
        buf[off] = 0;
        export_iovec_done(&v);

        *ret = buf;
        *ret_size = off;
        return 0;
}

int export_record_write(int fd, const ExportRecord *record, const ExportAddress *address) {
        ExportIovec v;
        int r;

        r = export_iovec_build(record, EXPORT_ENCODING_EXPORT, address, &v);
        if (r < 0)
                return r;
        r = export_iovec_write(fd, &v);
        export_iovec_done(&v);
        return r;
}
