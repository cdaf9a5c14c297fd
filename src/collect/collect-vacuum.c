/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "collect-space.h"
#include "collect-vacuum.h"
#include "input-limits.h"

/* Where a scanned entry lives: what removal checks again right before unlinking. */
typedef struct VacuumFile {
        char *name;
        dev_t dev;
        ino_t ino;
} VacuumFile;

typedef struct VacuumScan {
        CollectVacuumEntry *entries;
        VacuumFile *files;
        size_t n, allocated;
        bool entries_limit;
} VacuumScan;

static void vacuum_scan_done(VacuumScan *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->files[i].name);
        free(s->files);
        free(s->entries);
        *s = (VacuumScan) {};
}

void collect_vacuum_result_done(CollectVacuumResult *r) {
        if (!r)
                return;
        strv_free(r->removed);
        r->removed = NULL;
        free(r->error_filename);
        r->error_filename = NULL;
}

bool collect_vacuum_needed(uint64_t max_use, uint64_t keep_free, uint64_t usage, uint64_t fs_free) {
        if (max_use > 0 && usage > max_use)
                return true;
        return keep_free > 0 && fs_free < keep_free;
}

/* systemd's timespec_load(): µs, "infinity" for what does not fit. */
static uint64_t timespec_usec(const struct timespec *ts) {
        if (ts->tv_sec < 0 || ts->tv_nsec < 0)
                return UINT64_MAX;
        if ((uint64_t) ts->tv_sec >= (UINT64_MAX - (uint64_t) ts->tv_nsec / 1000) / 1000000)
                return UINT64_MAX;
        return (uint64_t) ts->tv_sec * 1000000 + (uint64_t) ts->tv_nsec / 1000;
}

typedef struct VacuumCandidate {
        bool used;
        uid_t uid;
        size_t n_files;
        size_t oldest; /* entry index of the user's oldest file */
} VacuumCandidate;

static size_t uid_hash(uid_t uid, size_t mask) {
        return (size_t) (((uint64_t) uid * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & mask;
}

int collect_vacuum_pick(const CollectVacuumEntry *entries, size_t n, size_t *ret_index) {
        _cleanup_(freep) VacuumCandidate *table = NULL;
        VacuumCandidate *worst = NULL;
        size_t live = 0, size = 16;

        for (size_t i = 0; i < n; i++)
                live += !entries[i].removed;
        if (live == 0)
                return -ENOENT;

        /* An open-addressed table of users at most half full. */
        while (size < live * 2) {
                if (size > SIZE_MAX / 2 / sizeof(VacuumCandidate))
                        return -ENOMEM;
                size *= 2;
        }
        table = calloc(size, sizeof(VacuumCandidate));
        if (!table)
                return -ENOMEM;

        /* The same single pass as systemd, so that ties fall the same way: a user's oldest file is
         * only replaced by a strictly older one, and the worst user only by one with more files, or
         * as many files and a strictly older oldest file, at the moment that user's count grows. */
        for (size_t i = 0; i < n; i++) {
                VacuumCandidate *c;
                size_t h;

                if (entries[i].removed)
                        continue;

                for (h = uid_hash(entries[i].uid, size - 1);; h = (h + 1) & (size - 1))
                        if (!table[h].used || table[h].uid == entries[i].uid)
                                break;
                c = &table[h];
                if (!c->used)
                        *c = (VacuumCandidate) { .used = true, .uid = entries[i].uid, .oldest = i };
                else if (entries[i].mtime_usec < entries[c->oldest].mtime_usec)
                        c->oldest = i;

                c->n_files++;

                if (!worst || worst->n_files < c->n_files ||
                    (worst->n_files == c->n_files &&
                     entries[c->oldest].mtime_usec < entries[worst->oldest].mtime_usec))
                        worst = c;
        }

        *ret_index = worst->oldest;
        return 0;
}

static int vacuum_scan_add(VacuumScan *s, const char *name, uid_t uid, const struct stat *st) {
        char *copy;

        if (s->n == s->allocated) {
                size_t m = s->allocated ? s->allocated * 2 : 64;
                CollectVacuumEntry *e;
                VacuumFile *f;

                e = reallocarray(s->entries, m, sizeof(*e));
                if (!e)
                        return -ENOMEM;
                s->entries = e;
                f = reallocarray(s->files, m, sizeof(*f));
                if (!f)
                        return -ENOMEM;
                s->files = f;
                s->allocated = m;
        }

        copy = strdup(name);
        if (!copy)
                return -ENOMEM;

        s->entries[s->n] = (CollectVacuumEntry) {
                .uid = uid,
                .mtime_usec = timespec_usec(&st->st_mtim),
                .size = (uint64_t) st->st_blocks * 512,
        };
        s->files[s->n] = (VacuumFile) { .name = copy, .dev = st->st_dev, .ino = st->st_ino };
        s->n++;
        return 0;
}

/* The core files in dir_fd in directory order, without exclude (by name, and by inode when
 * have_exclude). Stops after VACUUM_DIR_ENTRIES_MAX directory entries. */
static int vacuum_scan(int dir_fd, const char *exclude, const struct stat *exclude_st, VacuumScan *s) {
        _cleanup_(closedirp) DIR *d = NULL;
        size_t examined = 0;

        int k = io_opendir_at(dir_fd, &d);
        if (k < 0)
                return k;

        for (;;) {
                struct dirent *de;
                struct stat st;
                uid_t uid;
                int r;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return negative_errno();
                        break;
                }
                if (examined == VACUUM_DIR_ENTRIES_MAX) {
                        s->entries_limit = true;
                        break;
                }
                examined++;

                if (collect_space_core_filename_uid(de->d_name, &uid) < 0)
                        continue;
                if (exclude && strcmp(de->d_name, exclude) == 0)
                        continue;
                /* Like systemd, files that vanished or cannot be looked at are passed over. */
                if (fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) < 0)
                        continue;
                if (!S_ISREG(st.st_mode))
                        continue;
                if (exclude_st && st.st_dev == exclude_st->st_dev && st.st_ino == exclude_st->st_ino)
                        continue;

                r = vacuum_scan_add(s, de->d_name, uid, &st);
                if (r < 0)
                        return r;
        }

        return 0;
}

/* Releases the blocks of a file that is unlinked but may still be held open by a reader, as
 * systemd's unlinkat_deallocate() does: punch a hole over all of it, or else truncate it. */
static void release_blocks(int fd) {
        struct stat st;
        uint64_t bs, len;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink > 0 || st.st_blocks == 0)
                return;

        bs = st.st_blksize > 512 ? (uint64_t) st.st_blksize : 512;
        len = (uint64_t) st.st_size;
        if (len <= (uint64_t) INT64_MAX - bs)
                len = (len + bs - 1) / bs * bs;
        if (len > 0 && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t) len) >= 0)
                return;
        (void) ftruncate(fd, 0);
}

/* Removes f if it is still the regular file the scan saw. Returns 1 removed (*ret_freed: its
 * st_blocks * 512), 0 when it is gone or was replaced meanwhile, or -errno. */
static int vacuum_remove(int dir_fd, const VacuumFile *f, uint64_t *ret_freed) {
        _cleanup_(closep) int fd = -EBADF;
        struct stat st;

        /* Opened to release its blocks afterwards. O_NOFOLLOW: a symlink put in its place fails with
         * ELOOP; O_NONBLOCK: a FIFO or socket fails with ENXIO instead of waiting. */
        fd = openat(dir_fd, f->name, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd >= 0) {
                if (fstat(fd, &st) < 0)
                        return negative_errno();
        } else {
                if (errno == ENOENT || errno == ELOOP || errno == EISDIR || errno == ENXIO)
                        return 0;
                /* Not writable (mode, attributes, a lease): remove it without releasing blocks. */
                if (fstatat(dir_fd, f->name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) < 0)
                        return errno == ENOENT ? 0 : negative_errno();
        }
        if (!S_ISREG(st.st_mode) || st.st_dev != f->dev || st.st_ino != f->ino)
                return 0;

        if (unlinkat(dir_fd, f->name, 0) < 0)
                return errno == ENOENT ? 0 : negative_errno();

        if (fd >= 0)
                release_blocks(fd);
        *ret_freed = (uint64_t) st.st_blocks * 512;
        return 1;
}

static void fs_space(int dir_fd, uint64_t *ret_size, uint64_t *ret_free) {
        struct statvfs sv;

        /* As systemd: an unknown size gives the fallback limits, unknown free space never
         * triggers KeepFree=. */
        if (fstatvfs(dir_fd, &sv) < 0) {
                *ret_size = 0;
                *ret_free = UINT64_MAX;
                return;
        }
        *ret_size = (uint64_t) sv.f_frsize * sv.f_blocks;
        *ret_free = (uint64_t) sv.f_frsize * sv.f_bfree;
}

static int strv_push(char ***l, size_t n, char *s) {
        char **m = reallocarray(*l, n + 2, sizeof(char *));

        if (!m)
                return -ENOMEM;
        m[n] = s;
        m[n + 1] = NULL;
        *l = m;
        return 0;
}

int collect_vacuum(int dir_fd, const char *exclude, uint64_t max_use, uint64_t keep_free,
                   CollectVacuumResult *ret) {
        _cleanup_(vacuum_scan_done) VacuumScan scan = {};
        _cleanup_(collect_vacuum_result_done) CollectVacuumResult res = {};
        struct stat exclude_st;
        bool have_exclude_st = false;
        int r;

        if (dir_fd < 0 && dir_fd != AT_FDCWD)
                return -EBADF;
        if (exclude && (!*exclude || strchr(exclude, '/') || strcmp(exclude, ".") == 0 ||
                        strcmp(exclude, "..") == 0))
                return -EINVAL;

        fs_space(dir_fd, &res.fs_size, &res.fs_free);
        collect_space_resolve(res.fs_size, max_use, keep_free, &res.max_use, &res.keep_free);

        /* Both limits off: systemd does not even look at the directory. */
        if (max_use == 0 && keep_free == 0) {
                res.satisfied = true;
                *ret = res;
                res = (CollectVacuumResult) {};
                return 0;
        }

        if (exclude) {
                if (fstatat(dir_fd, exclude, &exclude_st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) >= 0)
                        have_exclude_st = S_ISREG(exclude_st.st_mode);
                else if (errno != ENOENT)
                        return negative_errno();
        }

        r = vacuum_scan(dir_fd, exclude, have_exclude_st ? &exclude_st : NULL, &scan);
        if (r < 0)
                return r;
        res.entries_limit = scan.entries_limit;
        for (size_t i = 0; i < scan.n; i++)
                res.usage += scan.entries[i].size;

        while (collect_vacuum_needed(res.max_use, res.keep_free, res.usage, res.fs_free)) {
                uint64_t freed = 0;
                size_t i;

                r = collect_vacuum_pick(scan.entries, scan.n, &i);
                if (r == -ENOENT)
                        break;
                if (r < 0)
                        return r;

                if (res.n_removed >= VACUUM_REMOVALS_MAX) {
                        res.removals_limit = true;
                        break;
                }

                r = vacuum_remove(dir_fd, &scan.files[i], &freed);
                if (r < 0) {
                        res.error = r;
                        res.error_filename = TAKE_PTR(scan.files[i].name);
                        break;
                }

                /* Gone, replaced, or removed by us: either way it no longer counts. */
                scan.entries[i].removed = true;
                res.usage -= scan.entries[i].size;
                if (r == 0)
                        continue;

                r = strv_push(&res.removed, res.n_removed, scan.files[i].name);
                if (r < 0)
                        return r;
                scan.files[i].name = NULL;
                res.n_removed++;
                res.bytes_freed += freed;
                fs_space(dir_fd, &res.fs_size, &res.fs_free);
        }

        res.satisfied = !collect_vacuum_needed(res.max_use, res.keep_free, res.usage, res.fs_free);
        *ret = res;
        res = (CollectVacuumResult) {};
        return 0;
}
