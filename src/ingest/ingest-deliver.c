/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "collect-spool.h"
#include "export-sink-file.h"
#include "export-sink-journal.h"
#include "ingest-deliver.h"
#include "io.h"

bool ingest_deliver_upload_target(const CollectConfig *config, ExportHttpTarget *ret) {
        if (!config->upload_url)
                return false;
        *ret = (ExportHttpTarget) {
                .url = config->upload_url,
                .key_file = config->upload_key_file,
                .cert_file = config->upload_cert_file,
                .trust_file = config->upload_trust_file,
                .timeout_usec = config->upload_timeout_usec,
        };
        return true;
}

/* journald is not taking records from anyone: sending again as ourselves would only wait again. */
static bool journal_unavailable(int r) {
        return r == -ENOENT || r == -ECONNREFUSED || r == -ETIMEDOUT;
}

static int send_record(const IngestSink *sink, const ExportRecord *record, char *message, size_t size) {
        if (size > 0)
                message[0] = 0;
        if (sink->upload)
                return export_sink_http_send(sink->upload, record, message, size);
        if (sink->export_file)
                return export_sink_file_append(sink->export_file, record);
        return export_sink_journal_send(sink->journal_socket, record);
}

/* The journald namespace a socket path belongs to: NULL for the system journal. */
static const char *socket_namespace(const char *socket_path, char *buf, size_t size) {
        const char *prefix = "/run/systemd/journal.", *suffix = "/socket";
        size_t lp = strlen(prefix), ls = strlen(suffix), n;

        if (!socket_path || strncmp(socket_path, prefix, lp) != 0)
                return NULL;
        n = strlen(socket_path);
        if (n <= lp + ls || strcmp(socket_path + n - ls, suffix) != 0 || n - lp - ls >= size)
                return NULL;
        memcpy(buf, socket_path + lp, n - lp - ls);
        buf[n - lp - ls] = 0;
        return buf;
}

/* Whether the journal behind the sink already holds a record with this COREJOURNAL_RECORD_ID:
 * a replay interrupted between sending and removing the file must not send it twice. */
bool ingest_deliver_has_record(const IngestSink *sink, const ExportRecord *record) {
        const char *id = export_record_get_string(record, "COREJOURNAL_RECORD_ID");
        char ns_buf[128], match[128];
        sd_journal *j = NULL;
        bool found = false;

        /* An export file or journal-remote cannot be asked; those get at-least-once. */
        if (!id || sink->export_file || sink->upload)
                return false;
        const char *ns = socket_namespace(sink->journal_socket, ns_buf, sizeof(ns_buf));
        if (sd_journal_open_namespace(&j, ns, SD_JOURNAL_LOCAL_ONLY) < 0)
                return false;
        (void) snprintf(match, sizeof(match), "COREJOURNAL_RECORD_ID=%s", id);
        if (sd_journal_add_match(j, match, 0) >= 0 && sd_journal_next(j) > 0)
                found = true;
        sd_journal_close(j);
        return found;
}

static int replay_one(const ExportRecord *record, void *userdata) {
        const IngestSink *sink = userdata;
        char message[256];
        if (ingest_deliver_has_record(sink, record))
                return 0;
        return send_record(sink, record, message, sizeof(message));
}

int ingest_deliver_replay(const IngestSink *sink, IngestDeliveryReport *ret) {
        _cleanup_(closep) int dir_fd = -EBADF;
        CollectSpoolStats stats = {};
        int r;

        if (!sink->spool_dir)
                return 0;
        dir_fd = open(sink->spool_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        /* One replay at a time: during a storm every handler would otherwise replay the same
         * files at once (and could send one twice between the journal check and the unlink). */
        if (flock(dir_fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? 0 : negative_errno();
        r = collect_spool_replay(dir_fd, replay_one, (void *) sink, &stats);
        if (r < 0)
                return r;
        ret->replayed += stats.replayed;
        ret->spool_remaining = stats.remaining;
        ret->rejected += stats.rejected;
        return 0;
}

int ingest_deliver(const IngestSink *sink, const ExportRecord *record, const ExportSinkCredentials *as_user,
                   IngestDeliveryReport *ret) {
        _cleanup_(closep) int dir_fd = -EBADF;
        _cleanup_(freep) char *name = NULL;
        IngestDeliveryReport report = {};
        int r;

        if (as_user && !sink->export_file && !sink->upload) {
                r = export_sink_journal_send_as(sink->journal_socket, record, as_user);
                if (r >= 0)
                        report.as_user = true;
                else if (!journal_unavailable(r)) {
                        /* Never lose it for want of the user's identity: sent as ourselves it
                         * lands in the system journal. */
                        report.as_user_error = r;
                        r = send_record(sink, record, report.sink_message, sizeof(report.sink_message));
                }
        } else
                r = send_record(sink, record, report.sink_message, sizeof(report.sink_message));
        if (r >= 0) {
                /* The journal is back: earlier refused records follow this one. */
                (void) ingest_deliver_replay(sink, &report);
                *ret = report;
                return INGEST_DELIVERED;
        }
        report.sink_error = r;
        if (!sink->spool_dir) {
                *ret = report;
                return r;
        }

        dir_fd = io_open_dir_create(sink->spool_dir, 0700);
        if (dir_fd < 0 || collect_spool_write(dir_fd, record, &name) < 0) {
                *ret = report;
                return r;
        }
        (void) snprintf(report.spool_name, sizeof(report.spool_name), "%s", name);
        *ret = report;
        return INGEST_SPOOLED;
}
