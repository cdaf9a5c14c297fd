/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Getting a record's core back: the stored file (zstd or uncompressed) or the COREDUMP= field. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

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

/* Writes the core of the current entry of j (r read from it) to out_fd. A COREDUMP_FILENAME of a
 * record that journald got from a user other than root (_UID) is not opened: anyone can write such
 * a field with --backtrace. Returns 0, or -errno with a one-line message in error: -ENOENT (no
 * core, or the file is gone), -EACCES, -EPROTONOSUPPORT (xz or lz4), -EBADMSG (corrupt, or an
 * untrusted file name). */
int ctl_core_write(sd_journal *j, const ExportRecord *r, int out_fd, char error[static CTL_ERROR_MAX]);

/* An uncompressed core of the current entry for a debugger: the stored file itself when it is
 * uncompressed (*ret_temporary false), else a new mode-0600 file in tmpdir that the caller removes
 * (*ret_temporary true). Returns 0 or -errno as ctl_core_write(). */
int ctl_core_materialize(sd_journal *j, const ExportRecord *r, const char *tmpdir, char **ret_path,
                         bool *ret_temporary, char error[static CTL_ERROR_MAX]);
