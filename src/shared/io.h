/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole-buffer reads and writes on file descriptors, with size caps. */
#pragma once

#include <sys/uio.h>

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes all of buf, retrying on EINTR and short writes. Returns 0 or -errno. */
int io_write_all(int fd, const void *buf, size_t size);

/* Writes all of buf at offset (pwrite), retrying on EINTR and short writes. Returns 0 or -errno. */
int io_pwrite_all(int fd, const void *buf, size_t size, uint64_t offset);

/* Links an O_TMPFILE open at fd as dir_fd/name, never replacing a file (-EEXIST). linkat() with
 * AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; without it the /proc/self/fd link does the same.
 * Returns 0 or -errno. */
int io_link_tmpfile(int fd, int dir_fd, const char *name);

/* Closes every descriptor from first to last (inclusive; ~0U for all): close_range(2), or one
 * close() at a time up to RLIMIT_NOFILE where that is missing. Async-signal-safe, for forked
 * children of a threaded process, which must not keep other clients' descriptors. */
void io_close_range(unsigned first, unsigned last);

/* Writes a whole gather list (any length; short writes and EINTR retried). The entries are
 * advanced in place as they are written. Returns 0 or -errno. */
int io_writev_all(int fd, struct iovec *iov, size_t n);

/* Opens the directory at path (O_NOFOLLOW: a symlink is refused), creating it with mode when it
 * does not exist. Returns the fd or -errno. */
int io_open_dir_create(const char *path, mode_t mode);

/* Opens the directory dir_fd refers to for readdir(), leaving dir_fd itself untouched. */
int io_opendir_at(int dir_fd, DIR **ret);

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

/* Reads up to size bytes, stopping early only at EOF. Returns bytes read or -errno. */
ssize_t io_read_full(int fd, void *buf, size_t size);

/* Reads fd to EOF into a NUL-terminated buffer. Returns 0 when the whole content fit in max
 * bytes, 1 when it was cut at max (the first max bytes are returned), or -errno. */
int io_read_all(int fd, size_t max, char **ret, size_t *ret_size);

/* Like io_read_all() for a file opened relative to dir_fd (O_NOFOLLOW is not implied). */
int io_read_file_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_size);

/* Reads /proc/sys/kernel/random/boot_id (or the given file) as 32 hex digits. */
int io_read_boot_id(char ret[static 33]);

/* Current CLOCK_REALTIME / CLOCK_MONOTONIC in microseconds. */
uint64_t io_now_realtime_usec(void);
uint64_t io_now_monotonic_usec(void);
