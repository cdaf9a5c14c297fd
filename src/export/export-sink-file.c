/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "export-sink-file.h"
#include "export-writer.h"

int export_sink_file_append(const char *path, const ExportRecord *record) {
        _cleanup_(closep) int owned = -EBADF;
        ExportAddress address;
        int fd, r;

        r = export_address_now(&address);
        if (r < 0)
                return r;

        if (strcmp(path, "-") == 0)
                fd = STDOUT_FILENO;
        else {
                owned = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
                if (owned < 0)
                        return negative_errno();
                fd = owned;
        }

        /* Advisory on regular files; a pipe or terminal simply ignores it. */
        bool locked = flock(fd, LOCK_EX) == 0;
        r = export_record_write(fd, record, &address);
        if (locked)
                (void) flock(fd, LOCK_UN);
        if (r < 0)
                return r;
        if (owned >= 0 && fsync(owned) < 0 && errno != EINVAL)
                return negative_errno();
        return 0;
}
