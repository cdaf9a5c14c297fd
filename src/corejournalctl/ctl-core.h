/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Getting a record's core back: the stored file (zstd or uncompressed) or the COREDUMP= field. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-journal.h>

#include "ctl-limits.h"
#include "export-record.h"

typedef enum CtlCoreFormat {
        CTL_CORE_FORMAT_RAW,
        CTL_CORE_FORMAT_ZSTD,
        CTL_CORE_FORMAT_XZ,     /* recognised, not supported (no liblzma dependency) */
        CTL_CORE_FORMAT_LZ4,    /* likewise (no liblz4) */
        _CTL_CORE_FORMAT_MAX,
        _CTL_CORE_FORMAT_INVALID = -EINVAL,
} CtlCoreFormat;

/* By the file name's suffix, as coredumpctl decides: .zst, .xz, .lz4, else uncompressed. */
CtlCoreFormat ctl_core_format_from_filename(const char *name);

/* Decompresses the zstd stream on in_fd to out_fd (holes for zero blocks when out_fd is a
 * regular file not in append mode). Returns 0 with the bytes written in *ret_size, -EBADMSG for a
 * corrupt or cut stream, or -errno. */
int ctl_core_unzstd(int in_fd, int out_fd, uint64_t *ret_size);

/* Copies in_fd to out_fd the same way. Returns 0 or -errno. */
int ctl_core_copy(int in_fd, int out_fd, uint64_t *ret_size);

/* Who opens the COREDUMP_FILENAME of a record, from whom journald got it (its _UID and _GID
 * fields, NULL when absent) and our effective UID self. Anyone can write such a field with
 * --backtrace, and corejournal itself sends a regular user's record with that user's credentials,
 * so the file is opened with no more rights than the record's sender had. */
typedef enum CtlCoreOpener {
        CTL_CORE_OPEN_SELF,      /* as we are: root sent it, we did, or no _UID (journal-remote) */
        CTL_CORE_OPEN_AS_SENDER, /* we are root, another user sent it: with that user's identity */
        CTL_CORE_OPEN_REFUSED,   /* another user sent it and we cannot take their identity, or
                                  * _UID/_GID are malformed */
        _CTL_CORE_OPENER_MAX,
        _CTL_CORE_OPENER_INVALID = -EINVAL,
} CtlCoreOpener;

/* The rule above; with CTL_CORE_OPEN_AS_SENDER, the sender's IDs in ret_uid and ret_gid. */
CtlCoreOpener ctl_core_opener(const char *sender_uid, const char *sender_gid, uid_t self, uid_t *ret_uid, gid_t *ret_gid);

/* Writes the core of the current entry of j (r read from it) to out_fd. The COREDUMP_FILENAME is
 * opened as ctl_core_opener() says. Returns 0, or -errno with a one-line message in error: -ENOENT
 * (no core, or the file is gone), -EACCES, -EPROTONOSUPPORT (xz or lz4), -EBADMSG (corrupt, or a
 * file the record may not name). */
int ctl_core_write(sd_journal *j, const ExportRecord *r, int out_fd, char error[static CTL_ERROR_MAX]);

/* An uncompressed core of the current entry for a debugger: the stored file itself when it is
 * uncompressed (*ret_temporary false), else a new mode-0600 file in tmpdir that the caller removes
 * (*ret_temporary true). Returns 0 or -errno as ctl_core_write(). */
int ctl_core_materialize(sd_journal *j, const ExportRecord *r, const char *tmpdir, char **ret_path,
                         bool *ret_temporary, char error[static CTL_ERROR_MAX]);
