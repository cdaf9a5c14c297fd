/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"

int io_write_all(int fd, const void *buf, size_t size) {
        const char *p = buf;

        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        return -EIO;
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

int io_pwrite_all(int fd, const void *buf, size_t size, uint64_t offset) {
        const char *p = buf;

        while (size > 0) {
                ssize_t n = pwrite(fd, p, size, (off_t) offset);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        return -EIO;
                p += n;
                size -= (size_t) n;
                offset += (uint64_t) n;
        }
        return 0;
}

int io_link_tmpfile(int fd, int dir_fd, const char *name) {
        char path[64];

        if (linkat(fd, "", dir_fd, name, AT_EMPTY_PATH) >= 0)
                return 0;
        if (errno != ENOENT && errno != EPERM && errno != EINVAL)
                return negative_errno();
        (void) snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, path, dir_fd, name, AT_SYMLINK_FOLLOW) < 0)
                return negative_errno();
        return 0;
}

void io_close_range(unsigned first, unsigned last) {
#ifdef SYS_close_range
        if (syscall(SYS_close_range, first, last, 0) == 0)
                return;
#endif
        /* Before Linux 5.9, or where a filter refuses it. */
        struct rlimit rl;
        unsigned max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (1u << 20) ?
                (unsigned) rl.rlim_max : (1u << 20);
        for (unsigned fd = first; fd <= last && fd < max; fd++)
                (void) close((int) fd);
}

int io_writev_all(int fd, struct iovec *iov, size_t n) {
        while (n > 0) {
                ssize_t k = writev(fd, iov, n > IOV_MAX ? IOV_MAX : (int) n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                /* Advance past what was written; this also drops zero-length entries. */
                size_t left = (size_t) k;
                while (n > 0 && left >= iov->iov_len) {
                        left -= iov->iov_len;
                        iov++;
                        n--;
                }
                if (n > 0 && left > 0) {
                        iov->iov_base = (char *) iov->iov_base + left;
                        iov->iov_len -= left;
                }
        }
        return 0;
}

int io_open_dir_create(const char *path, mode_t mode) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT)
                return fd >= 0 ? fd : negative_errno();
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return negative_errno();
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd >= 0 ? fd : negative_errno();
}

int io_opendir_at(int dir_fd, DIR **ret) {
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = negative_errno();
                (void) safe_close(fd);
                return r;
        }
        *ret = d;
        return 0;
}

ssize_t io_read_full(int fd, void *buf, size_t size) {
        char *p = buf;
        size_t done = 0;

        while (done < size) {
                ssize_t n = read(fd, p + done, size - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        return (ssize_t) done;
}

int io_read_all(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0, allocated = 0;
        int truncated = 0;

        for (;;) {
                if (size >= max) {
                        /* Full: one more byte tells whether the content was cut. */
                        char probe;
                        ssize_t n = read(fd, &probe, 1);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return negative_errno();
                        truncated = n > 0;
                        break;
                }
                if (size + 1 >= allocated) {
                        size_t want = allocated ? allocated * 2 : 16384;
                        if (want > max + 1)
                                want = max + 1;
                        char *n = realloc(buf, want);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        allocated = want;
                }
                ssize_t n = read(fd, buf + size, allocated - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }

        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return truncated;
}

int io_read_file_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_(closep) int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return io_read_all(fd, max, ret, ret_size);
}

int io_read_boot_id(char ret[static 33]) {
        _cleanup_(freep) char *s = NULL;
        size_t j = 0;
        int r;

        r = io_read_file_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 64, &s, NULL);
        if (r < 0)
                return r;
        for (const char *p = s; *p && *p != '\n'; p++) {
                if (*p == '-')
                        continue;
                if (j >= 32 || !strchr("0123456789abcdef", *p))
                        return -EBADMSG;
                ret[j++] = *p;
        }
        if (j != 32)
                return -EBADMSG;
        ret[32] = 0;
        return 0;
}

static uint64_t now_usec(clockid_t clock) {
        struct timespec ts;
        (void) clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

uint64_t io_now_realtime_usec(void) {
        return now_usec(CLOCK_REALTIME);
}

uint64_t io_now_monotonic_usec(void) {
        return now_usec(CLOCK_MONOTONIC);
}
