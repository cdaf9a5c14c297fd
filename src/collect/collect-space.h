/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Disk space for external cores: MaxUse=/KeepFree= resolved as systemd does, the space core files
 * take now, and how many bytes a new core may still write. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* systemd-coredump's automatic values (src/coredump/coredump-vacuum.c): MaxUse= is 10% of the
 * file system, at least 1 MiB and at most 4 GiB; KeepFree= is 15% of it, at most 4 GiB, or 1 MiB
 * when the file system size is unknown. Both are rounded up to whole pages. */
#define COLLECT_SPACE_MAX_USE_LOWER ((uint64_t) 1024 * 1024)
#define COLLECT_SPACE_MAX_USE_UPPER ((uint64_t) 4 * 1024 * 1024 * 1024)
#define COLLECT_SPACE_KEEP_FREE_UPPER ((uint64_t) 4 * 1024 * 1024 * 1024)
#define COLLECT_SPACE_KEEP_FREE_UNKNOWN_FS ((uint64_t) 1024 * 1024)

/* Which limit sets a new core's budget. */
typedef enum CollectSpaceLimit {
        COLLECT_SPACE_LIMIT_NONE,      /* neither applies (both configured 0) */
        COLLECT_SPACE_LIMIT_MAX_USE,   /* MaxUse= minus what core files already take */
        COLLECT_SPACE_LIMIT_KEEP_FREE, /* free space minus KeepFree= */
        _COLLECT_SPACE_LIMIT_MAX,
        _COLLECT_SPACE_LIMIT_INVALID = -EINVAL,
} CollectSpaceLimit;

typedef struct CollectSpaceAdmission {
        bool allowed;             /* budget > 0: a new core may be started */
        uint64_t budget;          /* bytes a new core may take on disk; UINT64_MAX: no limit applies */
        CollectSpaceLimit limit;  /* the limit that sets the budget */
        uint64_t max_use;         /* resolved MaxUse=, 0: no limit */
        uint64_t keep_free;       /* resolved KeepFree=, 0: no limit */
        uint64_t usage;           /* bytes core files take now (as given) */
        uint64_t fs_size;         /* f_frsize * f_blocks, 0 when unknown */
        uint64_t fs_free;         /* f_frsize * f_bfree (systemd counts the root reserve as free) */
} CollectSpaceAdmission;

/* "MaxUse=" or "KeepFree=" (NULL for NONE). */
const char *collect_space_limit_to_string(CollectSpaceLimit limit);

/* Resolves max_use and keep_free (UINT64_MAX: automatic) for a file system of fs_size bytes (0:
 * unknown) the way systemd's vacuum does: automatic values as above, configured ones rounded up to
 * whole pages, 0 meaning no limit. */
void collect_space_resolve(uint64_t fs_size, uint64_t max_use, uint64_t keep_free, uint64_t *ret_max_use,
                           uint64_t *ret_keep_free);

/* The admission decision from numbers alone: budget = min(max_use - usage, fs_free - keep_free)
 * over the limits that apply. */
void collect_space_compute(uint64_t fs_size, uint64_t fs_free, uint64_t max_use, uint64_t keep_free,
                           uint64_t usage, CollectSpaceAdmission *ret);

/* The same for the file system of dir_fd (fstatvfs). Returns 0 or -errno. */
int collect_space_admit(int dir_fd, uint64_t max_use, uint64_t keep_free, uint64_t usage,
                        CollectSpaceAdmission *ret);

/* Parses the uid out of a systemd core file name, "core.<comm>.<uid>.…" (the comm is escaped, so
 * it has no '.'). Returns 0, or -EINVAL for a name that is not one. */
int collect_space_core_filename_uid(const char *name, uid_t *ret);

/* What the core files in dir_fd take: st_blocks * 512 summed over the regular files whose names
 * collect_space_core_filename_uid() accepts (what systemd's vacuum counts). Symlinks are not
 * followed. Returns 0 or -errno; ret_n_files may be NULL. */
int collect_space_usage(int dir_fd, uint64_t *ret_bytes, size_t *ret_n_files);
