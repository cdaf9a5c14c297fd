/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encoding of a record as Journal Export Format or as journald's native protocol. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "export-record.h"

typedef enum ExportEncoding {
        EXPORT_ENCODING_EXPORT, /* Journal Export Format, ends with an empty line */
        EXPORT_ENCODING_NATIVE, /* journald's native datagram payload */
        _EXPORT_ENCODING_MAX,
        _EXPORT_ENCODING_INVALID = -22,
} ExportEncoding;

/* Journal address fields written ahead of the record's own fields, for sinks such as
 * systemd-journal-remote that need them. A zero boot_id[0] leaves _BOOT_ID out. */
typedef struct ExportAddress {
        uint64_t realtime_usec;
        uint64_t monotonic_usec;
        char boot_id[33];
        const char *hostname; /* written as _HOSTNAME when not NULL */
} ExportAddress;

/* Fills in the current time, boot ID and host name. */
int export_address_now(ExportAddress *ret);

/* A record laid out as a gather list that points into the record (no copy of values). */
typedef struct ExportIovec {
        struct iovec *iov;
        size_t n_iov;
        uint64_t *lengths;   /* little-endian sizes of binary fields */
        char *address_text;  /* the address fields, already encoded */
        uint64_t total_size;
} ExportIovec;

int export_iovec_build(const ExportRecord *record, ExportEncoding encoding, const ExportAddress *address, ExportIovec *ret);
void export_iovec_done(ExportIovec *v);

/* Writes the whole gather list to fd (any size, short writes retried). Returns 0 or -errno. */
int export_iovec_write(int fd, const ExportIovec *v);

/* Encodes a record into one new buffer. */
int export_record_serialize(const ExportRecord *record, ExportEncoding encoding, const ExportAddress *address, char **ret, size_t *ret_size);

/* Appends one Export Format record to fd. */
int export_record_write(int fd, const ExportRecord *record, const ExportAddress *address);
