/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The external core directory: what its core files take, and vacuuming them in systemd-coredump's
 * order until MaxUse=/KeepFree= hold. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* systemd-coredump's automatic limits: MaxUse= 10% of the file system (at least 1 MiB, at most
 * 4 GiB), KeepFree= 15% (at most 4 GiB; 1 MiB when the size is unknown). */
#define CTL_MAX_USE_LOWER ((uint64_t) 1024 * 1024)
#define CTL_MAX_USE_UPPER ((uint64_t) 4 * 1024 * 1024 * 1024)
#define CTL_KEEP_FREE_UPPER ((uint64_t) 4 * 1024 * 1024 * 1024)
#define CTL_KEEP_FREE_UNKNOWN_FS ((uint64_t) 1024 * 1024)

typedef struct CtlCoreFile {
        char *name;
        uid_t uid;              /* from the name, "core.<comm>.<uid>.…" */
        uint64_t mtime_usec;
        uint64_t disk_bytes;    /* st_blocks * 512 */
        uint64_t size;          /* st_size */
        bool removed;
} CtlCoreFile;

typedef struct CtlStorage {
        CtlCoreFile *files;     /* in directory order */
        size_t n, allocated;
        uint64_t disk_bytes;    /* of the files not removed */
        uint64_t size;
        uint64_t fs_size;       /* 0 when unknown */
        uint64_t fs_free;       /* f_bfree * f_frsize, as systemd counts; UINT64_MAX when unknown */
        bool entries_limit;     /* the scan stopped at CTL_STORAGE_ENTRIES_MAX entries */
} CtlStorage;

void ctl_storage_done(CtlStorage *s);

/* The uid in a systemd core file name. Returns 0 or -EINVAL. */
int ctl_storage_filename_uid(const char *name, uid_t *ret);

/* Scans dir_fd: regular files whose names ctl_storage_filename_uid() accepts (nothing is followed
 * through a symlink), plus the file system's size and free space. Returns 0 or -errno. */
int ctl_storage_scan(int dir_fd, CtlStorage *ret);

/* Resolves max_use and keep_free (UINT64_MAX: automatic, 0: no limit, else rounded up to pages). */
void ctl_storage_limits(uint64_t fs_size, uint64_t max_use, uint64_t keep_free, uint64_t *ret_max_use,
                        uint64_t *ret_keep_free);

/* Whether files have to go: usage above max_use, or less than keep_free free (0: no limit). */
bool ctl_storage_vacuum_needed(const CtlStorage *s, uint64_t max_use, uint64_t keep_free);

/* The next file to remove, as systemd chooses: the user with the most files (ties: the one whose
 * oldest file is older, then the first to reach that count in directory order), and that user's
 * oldest file (the first in directory order among equals). Returns 0, or -ENOENT when none is left. */
int ctl_storage_pick(const CtlStorage *s, size_t *ret_index);

/* Removes files picked by ctl_storage_pick() while ctl_storage_vacuum_needed() (resolved limits),
 * updating s (free space re-read after each removal); with dry_run only marks them, counting their
 * blocks as freed. The indexes of the removed files go to *removed_files (their number to
 * *n_removed_files), also when a removal fails. Returns 0, or the -errno of the removal that
 * stopped it (the files before it stay removed and are reported). */
int ctl_storage_vacuum(int dir_fd, CtlStorage *s, uint64_t max_use, uint64_t keep_free, bool dry_run,
                       size_t **removed_files, size_t *n_removed_files);
