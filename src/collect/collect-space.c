/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "collect-space.h"

static const char *const limit_table[_COLLECT_SPACE_LIMIT_MAX] = {
        [COLLECT_SPACE_LIMIT_NONE] = NULL,
        [COLLECT_SPACE_LIMIT_MAX_USE] = "MaxUse=",
        [COLLECT_SPACE_LIMIT_KEEP_FREE] = "KeepFree=",
};

const char *collect_space_limit_to_string(CollectSpaceLimit limit) {
        if (limit < 0 || limit >= _COLLECT_SPACE_LIMIT_MAX)
                return NULL;
        return limit_table[limit];
}

static uint64_t page_align(uint64_t v) {
        long ps = sysconf(_SC_PAGESIZE);
        uint64_t page = ps > 0 ? (uint64_t) ps : 4096;
        if (v > UINT64_MAX - (page - 1))
                return UINT64_MAX;
        return (v + page - 1) / page * page;
}

void collect_space_resolve(uint64_t fs_size, uint64_t max_use, uint64_t keep_free, uint64_t *ret_max_use,
                           uint64_t *ret_keep_free) {
        if (max_use == UINT64_MAX) {
                if (fs_size > 0) {
                        max_use = page_align(fs_size / 10);
                        if (max_use > COLLECT_SPACE_MAX_USE_UPPER)
                                max_use = COLLECT_SPACE_MAX_USE_UPPER;
                        if (max_use < COLLECT_SPACE_MAX_USE_LOWER)
                                max_use = COLLECT_SPACE_MAX_USE_LOWER;
                } else
                        max_use = COLLECT_SPACE_MAX_USE_LOWER;
        } else
                max_use = page_align(max_use);

        if (keep_free == UINT64_MAX) {
                if (fs_size > 0) {
                        /* fs_size * 3 / 20 without overflowing for huge file systems */
                        keep_free = page_align(fs_size / 20 * 3 + fs_size % 20 * 3 / 20);
                        if (keep_free > COLLECT_SPACE_KEEP_FREE_UPPER)
                                keep_free = COLLECT_SPACE_KEEP_FREE_UPPER;
                } else
                        keep_free = COLLECT_SPACE_KEEP_FREE_UNKNOWN_FS;
        } else
                keep_free = page_align(keep_free);

        *ret_max_use = max_use;
        *ret_keep_free = keep_free;
}

void collect_space_compute(uint64_t fs_size, uint64_t fs_free, uint64_t max_use, uint64_t keep_free,
                           uint64_t usage, CollectSpaceAdmission *ret) {
        CollectSpaceAdmission a = {
                .budget = UINT64_MAX,
                .limit = COLLECT_SPACE_LIMIT_NONE,
                .usage = usage,
                .fs_size = fs_size,
                .fs_free = fs_free,
        };

        collect_space_resolve(fs_size, max_use, keep_free, &a.max_use, &a.keep_free);

        if (a.max_use > 0) {
                a.budget = a.max_use > usage ? a.max_use - usage : 0;
                a.limit = COLLECT_SPACE_LIMIT_MAX_USE;
        }
        if (a.keep_free > 0) {
                uint64_t b = fs_free > a.keep_free ? fs_free - a.keep_free : 0;
                if (b < a.budget) {
                        a.budget = b;
                        a.limit = COLLECT_SPACE_LIMIT_KEEP_FREE;
                }
        }
        a.allowed = a.budget > 0;
        *ret = a;
}

int collect_space_admit(int dir_fd, uint64_t max_use, uint64_t keep_free, uint64_t usage,
                        CollectSpaceAdmission *ret) {
        struct statvfs sv;

        if (fstatvfs(dir_fd, &sv) < 0)
                return negative_errno();

        collect_space_compute((uint64_t) sv.f_frsize * sv.f_blocks, (uint64_t) sv.f_frsize * sv.f_bfree, max_use,
                              keep_free, usage, ret);
        return 0;
}

int collect_space_core_filename_uid(const char *name, uid_t *ret) {
        const char *p, *e;
        uint64_t v = 0;

        if (strncmp(name, "core.", 5) != 0)
                return -EINVAL;
        p = strchr(name + 5, '.'); /* skip the comm */
        if (!p)
                return -EINVAL;
        p++;
        e = strchr(p, '.');
        if (!e || e == p || e - p > 10)
                return -EINVAL;
        for (const char *i = p; i < e; i++) {
                if (*i < '0' || *i > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*i - '0');
        }
        /* (uid_t) -1 is never a valid uid */
        if (v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uid_t) v;
        return 0;
}

int collect_space_usage(int dir_fd, uint64_t *ret_bytes, size_t *ret_n_files) {
        _cleanup_(closedirp) DIR *d = NULL;
        uint64_t sum = 0;
        size_t n = 0;

        int k = io_opendir_at(dir_fd, &d);
        if (k < 0)
                return k;

        for (;;) {
                struct dirent *de;
                struct stat st;
                uid_t uid;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return negative_errno();
                        break;
                }
                if (collect_space_core_filename_uid(de->d_name, &uid) < 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) < 0) {
                        if (errno == ENOENT) /* vacuumed meanwhile */
                                continue;
                        return negative_errno();
                }
                if (!S_ISREG(st.st_mode))
                        continue;
                sum += (uint64_t) st.st_blocks * 512;
                n++;
        }

        *ret_bytes = sum;
        if (ret_n_files)
                *ret_n_files = n;
        return 0;
}
