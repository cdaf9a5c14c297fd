/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Evicting old core files as systemd-coredump's vacuum does: while the core files take more than
 * MaxUse= or the file system has less than KeepFree= free, remove the oldest core of the user with
 * the most core files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One core file as the vacuum sees it. */
typedef struct CollectVacuumEntry {
        uid_t uid;            /* parsed from the file name (collect_space_core_filename_uid()), not st_uid */
        uint64_t mtime_usec;  /* st_mtim in µs; UINT64_MAX when negative or out of range */
        uint64_t size;        /* st_blocks * 512 */
        bool removed;         /* no longer there: collect_vacuum_pick() skips it */
} CollectVacuumEntry;

typedef struct CollectVacuumResult {
        size_t n_removed;       /* files removed */
        uint64_t bytes_freed;   /* st_blocks * 512 of the removed files */
        char **removed;         /* their names in the order removed, NULL-terminated (NULL: none) */
        uint64_t usage;         /* st_blocks * 512 of the core files left, the excluded one not counted */
        uint64_t max_use;       /* resolved MaxUse=, 0: no limit */
        uint64_t keep_free;     /* resolved KeepFree=, 0: no limit */
        uint64_t fs_size;       /* f_frsize * f_blocks, 0 when unknown */
        uint64_t fs_free;       /* f_frsize * f_bfree afterwards, UINT64_MAX when unknown */
        bool satisfied;         /* afterwards usage <= max_use and fs_free >= keep_free (where they apply) */
        bool entries_limit;     /* the scan stopped at VACUUM_DIR_ENTRIES_MAX entries */
        bool removals_limit;    /* removal stopped at VACUUM_REMOVALS_MAX files */
        int error;              /* -errno of the removal that ended the run, else 0 */
        char *error_filename;   /* the file that could not be removed, else NULL */
} CollectVacuumResult;

/* Frees what collect_vacuum() put in r. */
void collect_vacuum_result_done(CollectVacuumResult *r);

/* Whether systemd vacuums with these resolved limits: core files take more than max_use, or fewer
 * than keep_free bytes are free. 0 disables a limit. */
bool collect_vacuum_needed(uint64_t max_use, uint64_t keep_free, uint64_t usage, uint64_t fs_free);

/* Which file goes next, chosen as systemd chooses from entries in directory order: the user
 * (by the uid in the name) with the most files, between users with as many the one whose oldest
 * file is older, and then the one that reached that count first in directory order; of that user,
 * the file with the oldest mtime, the first one in directory order between equal ones. Entries
 * marked removed are skipped. Returns 0, -ENOENT when no entry is left, or -ENOMEM. */
int collect_vacuum_pick(const CollectVacuumEntry *entries, size_t n, size_t *ret_index);

/* Vacuums the storage directory dir_fd after a core was written. max_use and keep_free are as in
 * CollectConfig (UINT64_MAX: systemd's automatic values, 0: no limit; see collect_space_resolve()).
 * exclude is the name (in dir_fd) of the file just written, or NULL: it and any hard link to it
 * are neither removed nor counted, as systemd excludes the new core. Only regular files whose
 * names collect_space_core_filename_uid() accepts are considered; nothing is followed through a
 * symlink. A removed file that is still open elsewhere has its blocks released (hole punched, or
 * truncated), as systemd does. Returns 0 with *ret filled (a failed removal ends the run and is
 * reported in ret->error), or -errno when the directory cannot be read, -EINVAL, -ENOMEM. */
int collect_vacuum(int dir_fd, const char *exclude, uint64_t max_use, uint64_t keep_free,
                   CollectVacuumResult *ret);
