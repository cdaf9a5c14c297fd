/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest-install.h"
#include "ingest-kernel.h"
#include "ingest-parse.h"
#include "io.h"

/* The kernel keeps at most this many characters of core_pattern and silently cuts the rest. */
#define CORE_PATTERN_MAX 127

static int write_sysctl(int proc_sys_fd, const char *name, const char *value) {
        _cleanup_(closep) int fd = openat(proc_sys_fd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        return io_write_all(fd, value, strlen(value));
}

/* Reads a sysctl's value without its trailing newline. */
static int read_sysctl(int proc_sys_fd, const char *name, char **ret) {
        char *s;
        int r = io_read_file_at(proc_sys_fd, name, 4096, &s, NULL);
        if (r < 0)
                return r;
        s[strcspn(s, "\n")] = 0;
        *ret = s;
        return 0;
}

static bool pattern_is_ours(const char *pattern, const char *handler) {
        size_t n = strlen(handler);
        return pattern[0] == '|' && strncmp(pattern + 1, handler, n) == 0 && (pattern[1 + n] == ' ' || !pattern[1 + n]);
}

int ingest_install(int proc_sys_fd, int state_dir_fd, const char *handler, const char *config, char *error, size_t error_size) {
        _cleanup_(freep) char *old_pattern = NULL, *old_limit = NULL, *pattern = NULL, *saved = NULL;
        int r;

        if (handler[0] != '/')
                return ingest_parse_error(error, error_size, "the handler path must be absolute: %s", handler);
        if (strpbrk(handler, " \t") || (config && strpbrk(config, " \t")))
                return ingest_parse_error(error, error_size, "core_pattern cannot hold paths with spaces");
        if (asprintf(&pattern, "|%s%s%s %s", handler, config ? " --config=" : "", config ?: "", KERNEL_PATTERN_ARGS) < 0)
                return -ENOMEM;
        if (strlen(pattern) > CORE_PATTERN_MAX) {
                (void) ingest_parse_error(error, error_size, "core_pattern would be %zu characters, the kernel keeps %d: %s",
                                          strlen(pattern), CORE_PATTERN_MAX, pattern);
                return -ENAMETOOLONG;
        }

        r = read_sysctl(proc_sys_fd, "kernel/core_pattern", &old_pattern);
        if (r >= 0)
                r = read_sysctl(proc_sys_fd, "kernel/core_pipe_limit", &old_limit);
        if (r < 0)
                return r;

        /* Save what we replace once: reinstalling must not save our own pattern over it. */
        if (!pattern_is_ours(old_pattern, handler)) {
                if (asprintf(&saved, "%s\n%s\n", old_pattern, old_limit) < 0)
                        return -ENOMEM;
                _cleanup_(closep) int fd = openat(state_dir_fd, INSTALL_SAVED_FILE ".tmp",
                                                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        return negative_errno();
                r = io_write_all(fd, saved, strlen(saved));
                if (r >= 0 && fsync(fd) < 0)
                        r = negative_errno();
                if (r >= 0 && renameat(state_dir_fd, INSTALL_SAVED_FILE ".tmp", state_dir_fd, INSTALL_SAVED_FILE) < 0)
                        r = negative_errno();
                if (r < 0)
                        return r;
        }

        r = write_sysctl(proc_sys_fd, "kernel/core_pattern", pattern);
        if (r < 0)
                return r;
        if (strcmp(old_limit, "0") == 0) {
                r = write_sysctl(proc_sys_fd, "kernel/core_pipe_limit", "16");
                if (r < 0)
                        return r;
        }
        return 0;
}

int ingest_uninstall(int proc_sys_fd, int state_dir_fd, const char *handler, bool *ret_changed, char *error, size_t error_size) {
        _cleanup_(freep) char *saved = NULL, *current = NULL;
        int r;

        r = io_read_file_at(state_dir_fd, INSTALL_SAVED_FILE, 4096, &saved, NULL);
        if (r >= 0) {
                char *limit = strchr(saved, '\n');
                if (!limit || !strchr(limit + 1, '\n'))
                        return ingest_parse_error(error, error_size, "the saved sysctl values are damaged");
                *limit++ = 0;
                limit[strcspn(limit, "\n")] = 0;
                r = write_sysctl(proc_sys_fd, "kernel/core_pattern", saved);
                if (r >= 0)
                        r = write_sysctl(proc_sys_fd, "kernel/core_pipe_limit", limit);
                if (r < 0)
                        return r;
                if (unlinkat(state_dir_fd, INSTALL_SAVED_FILE, 0) < 0)
                        return negative_errno();
                *ret_changed = true;
                return 0;
        }
        if (r != -ENOENT)
                return r;

        r = read_sysctl(proc_sys_fd, "kernel/core_pattern", &current);
        if (r < 0)
                return r;
        if (!pattern_is_ours(current, handler)) {
                *ret_changed = false;
                return 0;
        }
        r = write_sysctl(proc_sys_fd, "kernel/core_pattern", "core");
        if (r >= 0)
                r = write_sysctl(proc_sys_fd, "kernel/core_pipe_limit", "0");
        if (r < 0)
                return r;
        *ret_changed = true;
        return 0;
}
