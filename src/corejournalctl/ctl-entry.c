/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ctl-entry.h"
#include "ctl-limits.h"
#include "ctl-time.h"

const char *const ctl_fields_list[] = {
        "MESSAGE_ID", "COREDUMP_PID", "COREDUMP_UID", "COREDUMP_GID", "COREDUMP_SIGNAL",
        "COREDUMP_SIGNAL_NAME", "COREDUMP_EXE", "COREDUMP_COMM", "COREDUMP_FILENAME",
        "COREDUMP_TRUNCATED", "COREDUMP", "COREJOURNAL_SIGNATURE", "_BOOT_ID", "_MACHINE_ID",
        "COREJOURNAL_CORE_HOST", NULL,
};

const char *const ctl_fields_info[] = {
        "MESSAGE_ID", "COREDUMP_PID", "COREDUMP_UID", "COREDUMP_GID", "COREDUMP_SIGNAL",
        "COREDUMP_SIGNAL_NAME", "COREDUMP_EXE", "COREDUMP_COMM", "COREDUMP_CMDLINE",
        "COREDUMP_HOSTNAME", "COREDUMP_UNIT", "COREDUMP_USER_UNIT", "COREDUMP_SESSION",
        "COREDUMP_OWNER_UID", "COREDUMP_SLICE", "COREDUMP_CGROUP", "COREDUMP_TIMESTAMP",
        "COREDUMP_FILENAME", "COREDUMP_TRUNCATED", "COREDUMP", "COREDUMP_PACKAGE_NAME",
        "COREDUMP_PACKAGE_VERSION", "COREDUMP_PACKAGE_JSON", "COREDUMP_TID", "COREDUMP_THREAD_NAME",
        "COREJOURNAL_SIGNATURE", "COREJOURNAL_SOURCE", "COREJOURNAL_CORE_NOT_STORED",
        "COREJOURNAL_CORE_NOT_STORED_MESSAGE", "COREJOURNAL_CORE_SIZE", "COREJOURNAL_CORE_STORED_SIZE",
        "COREJOURNAL_BACKTRACE_JSON", "SYSLOG_IDENTIFIER", "_UID", "_GID", "_BOOT_ID", "_MACHINE_ID", "MESSAGE",
        "COREJOURNAL_CORE_HOST", "COREJOURNAL_CORE_FORWARD", "COREJOURNAL_CORE_FILENAME", NULL,
};

const char *const ctl_fields_groups[] = {
        "MESSAGE_ID", "COREDUMP_PID", "COREDUMP_TID", "COREDUMP_SIGNAL", "COREDUMP_SIGNAL_NAME",
        "COREDUMP_EXE", "COREDUMP_COMM", "COREJOURNAL_SIGNATURE", "COREJOURNAL_BACKTRACE_JSON", NULL,
};

const char *const ctl_fields_metrics[] = {
        "MESSAGE_ID", "COREDUMP_SIGNAL", "COREDUMP_SIGNAL_NAME", "COREDUMP_EXE", "COREDUMP_COMM",
        "COREDUMP_UNIT", "COREDUMP_USER_UNIT", "COREJOURNAL_SIGNATURE", "COREJOURNAL_CORE_NOT_STORED",
        "COREJOURNAL_CORE_STORED_SIZE", NULL,
};

static int append_value(ExportRecord *record, const char *name, const void *data, size_t size) {
        size_t prefix = strlen(name) + 1;

        if (size < prefix || memcmp(data, name, prefix - 1) != 0 || ((const char *) data)[prefix - 1] != '=')
                return -EBADMSG;
        return export_record_append_reserved(record, name, (const char *) data + prefix, size - prefix);
}

int ctl_entry_read(sd_journal *j, const char *const *names, ExportRecord **ret) {
        _cleanup_(export_record_freep) ExportRecord *record = NULL;
        _cleanup_(freep) char *cursor = NULL;
        uint64_t realtime;
        int r;

        r = export_record_new(&record);
        if (r < 0)
                return r;

        r = sd_journal_get_realtime_usec(j, &realtime);
        if (r < 0)
                return r;
        /* Address fields, as journalctl -o export names them, so a record says when it was written. */
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "%" PRIu64, realtime);
        r = export_record_append_reserved(record, "__REALTIME_TIMESTAMP", buf, (size_t) len);
        if (r < 0)
                return r;
        r = sd_journal_get_cursor(j, &cursor);
        if (r < 0)
                return r;
        r = export_record_append_reserved(record, "__CURSOR", cursor, strlen(cursor));
        if (r < 0)
                return r;

        for (size_t i = 0; names && names[i]; i++) {
                const void *data;
                size_t size;
                bool peek = strcmp(names[i], "COREDUMP") == 0;

                if (peek)
                        (void) sd_journal_set_data_threshold(j, CTL_COREDUMP_PEEK_SIZE + sizeof("COREDUMP="));
                r = sd_journal_get_data(j, names[i], &data, &size);
                if (peek)
                        (void) sd_journal_set_data_threshold(j, CTL_FIELD_SIZE_MAX);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                if (peek && size > sizeof("COREDUMP=") - 1 + CTL_COREDUMP_PEEK_SIZE)
                        size = sizeof("COREDUMP=") - 1 + CTL_COREDUMP_PEEK_SIZE;
                r = append_value(record, names[i], data, size);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(record);
        return 0;
}

int ctl_entry_read_values(sd_journal *j, const char *field, ExportRecord *record) {
        const void *data;
        size_t size, prefix = strlen(field);
        int r, n = 0;

        sd_journal_restart_data(j);
        while ((r = sd_journal_enumerate_data(j, &data, &size)) > 0) {
                if (size <= prefix || memcmp(data, field, prefix) != 0 || ((const char *) data)[prefix] != '=')
                        continue;
                r = append_value(record, field, data, size);
                if (r < 0)
                        return r;
                n++;
        }
        return r < 0 ? r : n;
}

void ctl_walk_init(CtlWalk *w, sd_journal *j, bool reverse, uint64_t since, uint64_t until, uint64_t max) {
        *w = (CtlWalk) {
                .j = j,
                .reverse = reverse,
                .since = since,
                .until = until,
                .max = max,
        };
}

static int walk_seek(CtlWalk *w) {
        (void) sd_journal_set_data_threshold(w->j, CTL_FIELD_SIZE_MAX);
        if (!w->reverse && w->since != CTL_USEC_INFINITY)
                return sd_journal_seek_realtime_usec(w->j, w->since);
        if (w->reverse && w->until != CTL_USEC_INFINITY)
                return sd_journal_seek_realtime_usec(w->j, w->until);
        return w->reverse ? sd_journal_seek_tail(w->j) : sd_journal_seek_head(w->j);
}

/* The next entry in range without counting it. */
static int walk_step(CtlWalk *w) {
        for (;;) {
                uint64_t t;
                int r = w->reverse ? sd_journal_previous(w->j) : sd_journal_next(w->j);
                if (r <= 0)
                        return r;
                r = sd_journal_get_realtime_usec(w->j, &t);
                if (r < 0)
                        return r;
                if (!w->reverse) {
                        if (w->until != CTL_USEC_INFINITY && t > w->until)
                                return 0;
                        if (w->since != CTL_USEC_INFINITY && t < w->since)
                                continue;
                } else {
                        if (w->since != CTL_USEC_INFINITY && t < w->since)
                                return 0;
                        if (w->until != CTL_USEC_INFINITY && t > w->until)
                                continue;
                }
                return 1;
        }
}

int ctl_walk_next(CtlWalk *w) {
        int r;

        if (!w->started) {
                r = walk_seek(w);
                if (r < 0)
                        return r;
                w->started = true;
        }
        if (w->max != UINT64_MAX && w->n >= w->max)
                return 0;
        r = walk_step(w);
        if (r > 0)
                w->n++;
        return r;
}

int ctl_walk_has_more(CtlWalk *w) {
        return walk_step(w);
}
