/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Delivery of records to systemd-journal-remote over HTTP(S), as systemd-journal-upload does. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "export-record.h"

/* journal-remote's port when the URL names none (systemd-journal-remote.service listens there). */
#define EXPORT_HTTP_PORT_DEFAULT 19532
/* Opened with dlopen() on first use; only hosts that upload need it installed. */
#define EXPORT_HTTP_LIBCURL "libcurl.so.4"
#define EXPORT_HTTP_TIMEOUT_USEC_DEFAULT ((uint64_t) 5 * 1000 * 1000)
/* Bounded retry: this many attempts in all, pausing EXPORT_HTTP_BACKOFF_USEC and then twice as
 * long after each failure that may pass (no connection, timeout, 5xx, 408, 429). */
#define EXPORT_HTTP_ATTEMPTS 3
#define EXPORT_HTTP_BACKOFF_USEC ((uint64_t) 250 * 1000)

typedef struct ExportHttpTarget {
        const char *url;         /* http://HOST[:PORT] or https://…; NULL: no upload */
        const char *key_file;    /* client key (PEM) for https, or NULL */
        const char *cert_file;   /* client certificate (PEM) for https, or NULL */
        const char *trust_file;  /* CA certificate(s) (PEM) the server must chain to; NULL: the system's */
        uint64_t timeout_usec;   /* one attempt, connection included; 0: EXPORT_HTTP_TIMEOUT_USEC_DEFAULT */
        unsigned attempts;       /* 0: EXPORT_HTTP_ATTEMPTS */
        uint64_t backoff_usec;   /* 0: EXPORT_HTTP_BACKOFF_USEC */
} ExportHttpTarget;

/* The upload endpoint for a configured URL: the scheme must be http or https; a missing port
 * becomes EXPORT_HTTP_PORT_DEFAULT and the path becomes "/upload" (a URL that already ends in
 * "/upload" keeps it). Query strings, fragments and user names are refused. Returns 0 and a new
 * string, -EINVAL (with a reason in error), -EOPNOTSUPP (no libcurl) or -ENOMEM. */
int export_http_upload_url(const char *url, char **ret, char *error, size_t error_size);

/* POSTs one record as Journal Export Format (Content-Type: application/vnd.fdo.journal) with
 * __REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP, _BOOT_ID and _HOSTNAME, streamed from the record
 * without a copy. Retries as described above. Returns 0 once the server answered 2xx, else
 * -errno with a one-line reason in error: -ECONNREFUSED/-EHOSTUNREACH/-ENETUNREACH/-ETIMEDOUT
 * (not reachable), -EPROTO (TLS: certificate or handshake), -EIO (5xx), -EBADMSG (the server
 * refuses this record for good: 4xx other than 408 and 429), -EINVAL (bad URL), -EOPNOTSUPP
 * (libcurl cannot be loaded), -ENOMEM. */
int export_sink_http_send(const ExportHttpTarget *target, const ExportRecord *record, char *error, size_t error_size);
