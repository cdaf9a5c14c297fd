/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect-spool.h"
#include "export-reader.h"
#include "export-writer.h"
#include "input-limits.h"
#include "io.h"

int collect_spool_write(int dir_fd, const ExportRecord *record, char **ret_name) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) char *name = NULL;
        uint32_t rnd = 0;
        int r;

        fd = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        r = export_record_write(fd, record, NULL);
        if (r < 0)
                return r;
        if (fsync(fd) < 0)
                return negative_errno();

        (void) getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
        if (asprintf(&name, "%020" PRIu64 "-%d-%08x" SPOOL_SUFFIX, io_now_realtime_usec(), (int) getpid(), rnd) < 0)
                return -ENOMEM;
        r = io_link_tmpfile(fd, dir_fd, name);
        if (r < 0)
                return r;
        (void) fsync(dir_fd);
        if (ret_name)
                *ret_name = TAKE_PTR(name);
        return 0;
}

static int name_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool is_spool_name(const char *n) {
        size_t len = strlen(n), suffix = strlen(SPOOL_SUFFIX);
        return n[0] != '.' && len > suffix && strcmp(n + len - suffix, SPOOL_SUFFIX) == 0;
}

/* The spooled file names, sorted; at most SPOOL_FILES_MAX of them per run. */
static int list_spool(int dir_fd, char ***ret, size_t *ret_n) {
        char **names = NULL;
        size_t n = 0;
        DIR *d;
        int r;

        r = io_opendir_at(dir_fd, &d);
        if (r < 0)
                return r;
        for (struct dirent *de; (de = readdir(d)) && n < SPOOL_FILES_MAX;) {
                if (!is_spool_name(de->d_name))
                        continue;
                char **nn = reallocarray(names, n + 2, sizeof(char *));
                if (!nn)
                        goto oom;
                names = nn;
                if (!(names[n] = strdup(de->d_name)))
                        goto oom;
                names[++n] = NULL;
        }
        closedir(d);
        if (n > 0)
                qsort(names, n, sizeof(char *), name_compare);
        *ret = names;
        *ret_n = n;
        return 0;
oom:
        closedir(d);
        strv_free(names);
        return -ENOMEM;
}

/* Keeps a file's bytes for a person to look at, out of the replay's way. */
static void set_aside(int dir_fd, const char *name, const char *suffix) {
        char aside[512];
        (void) snprintf(aside, sizeof(aside), "%s%s", name, suffix);
        (void) renameat(dir_fd, name, dir_fd, aside);
}

int collect_spool_replay(int dir_fd, CollectSpoolDeliver deliver, void *userdata, CollectSpoolStats *ret) {
        _cleanup_(strv_freep) char **names = NULL;
        CollectSpoolStats stats = {};
        size_t n;
        int r, result = 0;

        r = list_spool(dir_fd, &names, &n);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n; i++) {
                _cleanup_(export_reader_freep) ExportReader *reader = NULL;
                _cleanup_(export_record_freep) ExportRecord *record = NULL;
                _cleanup_(closep) int fd = openat(dir_fd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

                if (fd < 0)
                        continue; /* replayed meanwhile by someone else */
                r = export_reader_new_fd(fd, &export_limits_journal, EXPORT_READER_KEEP_TRUSTED, &reader);
                if (r < 0)
                        return r;
                r = export_reader_next(reader, &record);
                if (r <= 0) {
                        set_aside(dir_fd, names[i], ".damaged");
                        stats.damaged++;
                        continue;
                }
                r = deliver(record, userdata);
                if (r == -EBADMSG) {
                        set_aside(dir_fd, names[i], ".rejected");
                        stats.rejected++;
                        continue;
                }
                if (r < 0) {
                        stats.remaining = n - i;
                        result = 1;
                        break;
                }
                if (unlinkat(dir_fd, names[i], 0) < 0 && errno != ENOENT)
                        return negative_errno();
                stats.replayed++;
        }

        if (ret)
                *ret = stats;
        return result;
}
