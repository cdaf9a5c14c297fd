/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Delivery of a record to journald over its native protocol. */
#pragma once

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
