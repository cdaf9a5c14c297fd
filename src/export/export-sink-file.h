/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Delivery of records as a Journal Export Format stream to a file or stdout. */
#pragma once

#include "export-record.h"

/* Appends one record, with address fields (__REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP,
 * _BOOT_ID, _HOSTNAME) so systemd-journal-remote can import the stream. path "-" means stdout.
 * The file is created 0640 if missing and locked while the record is written, so concurrent
 * writers never interleave. Returns 0 or -errno. */
int export_sink_file_append(const char *path, const ExportRecord *record);
