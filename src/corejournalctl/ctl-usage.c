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
#include "ctl-limits.h"
#include "ctl-usage.h"

void ctl_storage_done(CtlStorage *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->files[i].name);
        free(s->files);
        *s = (CtlStorage) {};
}

int ctl_storage_filename_uid(const char *name, uid_t *ret) {
        const char *p, *q;
        uint64_t v = 0;

        if (strncmp(name, "core.", 5) != 0)
                return -EINVAL;
        p = strchr(name + 5, '.'); /* the comm is escaped, so it has no '.' */
        if (!p || p == name + 5)
                return -EINVAL;
        p++;
        q = strchr(p, '.');
        if (!q || q == p)
                return -EINVAL;
        for (const char *c = p; c < q; c++) {
                if (*c < '0' || *c > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*c - '0');
                if (v >= UINT32_MAX) /* (uid_t) -1 is not a user */
                        return -EINVAL;
        }
        *ret = (uid_t) v;
        return 0;
}

static void read_fs(int dir_fd, CtlStorage *s) {
        struct statvfs sv;

        if (fstatvfs(dir_fd, &sv) < 0) {
                s->fs_size = 0;
                s->fs_free = UINT64_MAX;
                return;
        }
        s->fs_size = (uint64_t) sv.f_frsize * sv.f_blocks;
        s->fs_free = (uint64_t) sv.f_frsize * sv.f_bfree;
}

int ctl_storage_scan(int dir_fd, CtlStorage *ret) {
        CtlStorage s = {};
        DIR *d;
        struct dirent *de;
        size_t seen = 0;
        int fd, r = 0;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                (void) close(fd);
                return r;
        }

        errno = 0;
        while ((de = readdir(d))) {
                struct stat st;
                uid_t uid;

                if (++seen > CTL_STORAGE_ENTRIES_MAX) {
                        s.entries_limit = true;
                        break;
                }
                if (ctl_storage_filename_uid(de->d_name, &uid) < 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (s.n == s.allocated) {
                        size_t a = s.allocated ? s.allocated * 2 : 64;
                        CtlCoreFile *f = reallocarray(s.files, a, sizeof(CtlCoreFile));
                        if (!f) {
                                r = -ENOMEM;
                                break;
                        }
                        s.files = f;
                        s.allocated = a;
                }
                CtlCoreFile *f = &s.files[s.n];
                *f = (CtlCoreFile) {
                        .name = strdup(de->d_name),
                        .uid = uid,
                        .mtime_usec = st.st_mtim.tv_sec < 0 ? 0 :
                                (uint64_t) st.st_mtim.tv_sec * 1000000 + (uint64_t) st.st_mtim.tv_nsec / 1000,
                        .disk_bytes = (uint64_t) st.st_blocks * 512,
                        .size = (uint64_t) st.st_size,
                };
                if (!f->name) {
                        r = -ENOMEM;
                        break;
                }
                s.n++;
                s.disk_bytes += f->disk_bytes;
                s.size += f->size;
                errno = 0;
        }
        if (r == 0 && !de && errno != 0)
                r = -errno;
        read_fs(dirfd(d), &s);
        closedir(d);
        if (r < 0) {
                ctl_storage_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

static uint64_t round_up_page(uint64_t v) {
        long ps = sysconf(_SC_PAGESIZE);
        uint64_t page = ps > 0 ? (uint64_t) ps : 4096;
        return v > UINT64_MAX - page ? v : (v + page - 1) / page * page;
}

void ctl_storage_limits(uint64_t fs_size, uint64_t max_use, uint64_t keep_free, uint64_t *ret_max_use,
                        uint64_t *ret_keep_free) {
        if (max_use == UINT64_MAX) {
                max_use = fs_size / 10;
                if (max_use < CTL_MAX_USE_LOWER)
                        max_use = CTL_MAX_USE_LOWER;
                if (max_use > CTL_MAX_USE_UPPER)
                        max_use = CTL_MAX_USE_UPPER;
        }
        if (keep_free == UINT64_MAX) {
                keep_free = fs_size == 0 ? CTL_KEEP_FREE_UNKNOWN_FS : fs_size * 15 / 100;
                if (keep_free > CTL_KEEP_FREE_UPPER)
                        keep_free = CTL_KEEP_FREE_UPPER;
        }
        *ret_max_use = max_use == 0 ? 0 : round_up_page(max_use);
        *ret_keep_free = keep_free == 0 ? 0 : round_up_page(keep_free);
}

bool ctl_storage_vacuum_needed(const CtlStorage *s, uint64_t max_use, uint64_t keep_free) {
        if (max_use > 0 && s->disk_bytes > max_use)
                return true;
        if (keep_free > 0 && s->fs_free != UINT64_MAX && s->fs_free < keep_free)
                return true;
        return false;
}

int ctl_storage_pick(const CtlStorage *s, size_t *ret_index) {
        /* Per user: file count and oldest file, kept in one pass in directory order as systemd
         * does, so ties fall the same way. Users are few; a linear table is enough. */
        struct user {
                uid_t uid;
                size_t n_files;
                size_t oldest;
        } *users = NULL;
        size_t n_users = 0, worst = SIZE_MAX;

        for (size_t i = 0; i < s->n; i++) {
                const CtlCoreFile *f = &s->files[i];
                size_t u;

                if (f->removed)
                        continue;
                for (u = 0; u < n_users; u++)
                        if (users[u].uid == f->uid)
                                break;
                if (u == n_users) {
                        struct user *m = reallocarray(users, n_users + 1, sizeof(struct user));
                        if (!m) {
                                free(users);
                                return -ENOMEM;
                        }
                        users = m;
                        users[n_users++] = (struct user) { .uid = f->uid, .oldest = i };
                } else if (f->mtime_usec < s->files[users[u].oldest].mtime_usec)
                        users[u].oldest = i;
                users[u].n_files++;

                if (worst == SIZE_MAX || users[worst].n_files < users[u].n_files ||
                    (users[worst].n_files == users[u].n_files &&
                     s->files[users[u].oldest].mtime_usec < s->files[users[worst].oldest].mtime_usec))
                        worst = u;
        }
        if (worst == SIZE_MAX) {
                free(users);
                return -ENOENT;
        }
        *ret_index = users[worst].oldest;
        free(users);
        return 0;
}

int ctl_storage_vacuum(int dir_fd, CtlStorage *s, uint64_t max_use, uint64_t keep_free, bool dry_run,
                       size_t **removed_files, size_t *n_removed_files) {
        _cleanup_(freep) size_t *removed = NULL;
        size_t n_removed = 0;
        int r = 0;

        while (ctl_storage_vacuum_needed(s, max_use, keep_free)) {
                size_t i;
                r = ctl_storage_pick(s, &i);
                if (r < 0) {
                        if (r == -ENOENT)
                                r = 0; /* nothing left to remove: the limits cannot be met */
                        break;
                }
                CtlCoreFile *f = &s->files[i];
                if (!dry_run && unlinkat(dir_fd, f->name, 0) < 0 && errno != ENOENT) {
                        r = -errno;
                        break;
                }
                size_t *m = reallocarray(removed, n_removed + 1, sizeof(size_t));
                if (!m) {
                        r = -ENOMEM;
                        break;
                }
                removed = m;
                removed[n_removed++] = i;
                f->removed = true;
                s->disk_bytes -= f->disk_bytes;
                s->size -= f->size;
                if (dry_run) {
                        if (s->fs_free != UINT64_MAX)
                                s->fs_free += f->disk_bytes;
                } else
                        read_fs(dir_fd, s);
        }
        *removed_files = TAKE_PTR(removed);
        *n_removed_files = n_removed;
        return r;
}
