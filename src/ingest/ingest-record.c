/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

#include "ingest-record.h"

/* COREJOURNAL_RECORD_ID: 128 random bits, so a spool replay can tell a record already delivered. */
static int add_record_id(ExportRecord *record) {
        uint8_t bytes[16];
        char hex[33];

        if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t) sizeof(bytes))
                return negative_errno();
        for (size_t i = 0; i < sizeof(bytes); i++)
                (void) snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
        return export_record_append_string(record, "COREJOURNAL_RECORD_ID", hex);
}

int ingest_record_add_identity(ExportRecord *record, const char *message_id, const char *source) {
        int r;

        r = export_record_append_string(record, "MESSAGE_ID", message_id);
        if (r >= 0)
                r = export_record_append_string(record, "PRIORITY", "2");
        if (r >= 0)
                r = export_record_append_string(record, "SYSLOG_IDENTIFIER", "corejournal");
        if (r >= 0)
                r = export_record_append_string(record, "COREJOURNAL_SOURCE", source);
        if (r >= 0)
                r = add_record_id(record);
        return r;
}

int ingest_record_add_hostname(ExportRecord *record, const char *hostname) {
        char buf[HOST_NAME_MAX + 1] = {};

        if (!hostname) {
                if (gethostname(buf, sizeof(buf) - 1) < 0 || !buf[0])
                        return 0;
                hostname = buf;
        }
        return export_record_append_string(record, "COREDUMP_HOSTNAME", hostname);
}
