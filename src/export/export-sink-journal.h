/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Delivery of a record to journald over its native protocol. */
#pragma once

#include <sys/types.h>

#include "export-record.h"

#define JOURNAL_SOCKET_DEFAULT "/run/systemd/journal/socket"

/* Fills ret with the socket path of a journald namespace (NULL or "" for the system one).
 * -EINVAL for a namespace name journald would refuse. */
int export_sink_journal_socket_for_namespace(const char *namespace, char *ret, size_t size);

/* Sends one record to journald listening on socket_path (NULL: the system journal). Records
 * larger than a datagram go as a sealed memfd. Returns 0 once the socket has taken the record,
 * or -errno: -ENOENT/-ECONNREFUSED when nothing listens there, -ETIMEDOUT when journald does not
 * take it in time, -EMSGSIZE when it exceeds journald's entry size limit. */
int export_sink_journal_send(const char *socket_path, const ExportRecord *record);

/* The identity a record is sent with, which journald records as _UID/_GID and, with its default
 * SplitMode=uid on persistent storage, uses to pick the journal file (user-UID.journal for a
 * regular user, readable by that user). */
typedef struct ExportSinkCredentials {
        uid_t uid;
        gid_t gid;
} ExportSinkCredentials;

/* Like export_sink_journal_send(), but the socket sees the sender as as->uid/as->gid: a forked
 * child takes that identity and sends what the caller prepared (safe from a threaded caller). The
 * caller needs CAP_SETUID and CAP_SETGID. Returns 0 or -errno as export_sink_journal_send(), or
 * -EPERM (or another -errno) when the identity cannot be taken, -ECHILD when the child died. */
int export_sink_journal_send_as(const char *socket_path, const ExportRecord *record, const ExportSinkCredentials *as);
