/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "ingest-record.h"

int ingest_record_add_identity(ExportRecord *record, const char *message_id, const char *source) {
        int r;

        r = export_record_append_string(record, "MESSAGE_ID", message_id);
        if (r >= 0)
                r = export_record_append_string(record, "PRIORITY", "2");
        if (r >= 0)
                r = export_record_append_string(record, "SYSLOG_IDENTIFIER", "corejournal");
        if (r >= 0)
                r = export_record_append_string(record, "COREJOURNAL_SOURCE", source);
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
