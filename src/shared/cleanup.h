/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scope-bound cleanup helpers shared by every module. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Takes ownership of a pointer: returns it and leaves NULL behind. */
#define TAKE_PTR(p)                                  \
        ({                                           \
                __typeof__(p) _take_ptr_tmp_ = (p);  \
                (p) = NULL;                          \
                _take_ptr_tmp_;                      \
        })

/* Takes ownership of a file descriptor: returns it and leaves -EBADF behind. */
#define TAKE_FD(fd)                                  \
        ({                                           \
                int _take_fd_tmp_ = (fd);            \
                (fd) = -EBADF;                       \
                _take_fd_tmp_;                       \
        })

/* Declares name##p(type **) that calls func(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                  \
        static inline void func##p(type *p) {                    \
                if (*p)                                          \
                        func(*p);                                \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}

/* Closes fd when valid, keeping errno intact; returns -EBADF for assignment. */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        (void) safe_close(*fd);
}

static inline FILE *safe_fclose(FILE *f) {
        if (f)
                (void) fclose(f);
        return NULL;
}

static inline void fclosep(FILE **f) {
        (void) safe_fclose(*f);
}

static inline void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);

/* Converts a libc-style failure (returns -1, sets errno) to -errno at the call site. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}
