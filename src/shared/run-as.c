/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "run-as.h"

/* 32-bit IDs: on some architectures the plain syscalls still take 16-bit ones. */
#ifdef SYS_setresuid32
#define SYSCALL_SETRESUID SYS_setresuid32
#define SYSCALL_SETRESGID SYS_setresgid32
#define SYSCALL_SETGROUPS SYS_setgroups32
#else
#define SYSCALL_SETRESUID SYS_setresuid
#define SYSCALL_SETRESGID SYS_setresgid
#define SYSCALL_SETGROUPS SYS_setgroups
#endif

/* The largest exit status that carries an errno; the child's errno values are far below it. */
#define RUN_AS_STATUS_MAX 254

static bool is_kept(int fd, const int *keep_fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (keep_fds[i] == fd)
                        return true;
        return false;
}

/* Closes the descriptors above 2 that are not kept, in ranges between the kept ones. */
static void close_others(const int *keep_fds, size_t n) {
        unsigned lo = 3;

        for (;;) {
                /* The smallest kept descriptor at or above lo. */
                int next = -1;
                for (size_t i = 0; i < n; i++)
                        if (keep_fds[i] >= (int) lo && (next < 0 || keep_fds[i] < next))
                                next = keep_fds[i];
                if (next < 0) {
                        io_close_range(lo, ~0U);
                        return;
                }
                if ((unsigned) next > lo)
                        io_close_range(lo, (unsigned) next - 1);
                lo = (unsigned) next + 1;
                while (is_kept((int) lo, keep_fds, n))
                        lo++;
        }
}

/* The raw system calls change only the calling thread's credentials, which in a forked child is
 * the whole process; libc's wrappers would try to signal threads that do not exist here. */
_noreturn_ static void child(uid_t uid, gid_t gid, const int *keep_fds, size_t n_keep_fds, int (*fn)(void *), void *userdata) {
        int r;

        close_others(keep_fds, n_keep_fds);
        if (syscall(SYSCALL_SETGROUPS, 0, NULL) < 0 || syscall(SYSCALL_SETRESGID, gid, gid, gid) < 0 ||
            syscall(SYSCALL_SETRESUID, uid, uid, uid) < 0)
                r = negative_errno();
        else
                r = fn(userdata);
        if (r > 0)
                r = 0;
        _exit(r == 0 ? 0 : -r > RUN_AS_STATUS_MAX ? RUN_AS_STATUS_MAX : -r);
}

/* Waits at most timeout_ms for the child to exit: running as the user, it may be stopped
 * (SIGSTOP) by that user, and a caller stuck here would hold other crashes up. Past the
 * deadline it is killed, which works on a stopped process too. */
static int wait_child(pid_t pid, int timeout_ms, int *ret_status) {
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);

        if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int r;
                do
                        r = poll(&p, 1, timeout_ms);
                while (r < 0 && errno == EINTR);
                (void) close(pidfd);
                if (r == 0)
                        (void) kill(pid, SIGKILL);
        }
        while (waitpid(pid, ret_status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return 0;
}

int run_as(uid_t uid, gid_t gid, const int *keep_fds, size_t n_keep_fds, int (*fn)(void *userdata), void *userdata) {
        return run_as_timeout(uid, gid, keep_fds, n_keep_fds, fn, userdata, RUN_AS_TIMEOUT_MSEC);
}

int run_as_timeout(uid_t uid, gid_t gid, const int *keep_fds, size_t n_keep_fds, int (*fn)(void *userdata),
                   void *userdata, int timeout_ms) {
        int status, r;
        pid_t pid;

        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0)
                child(uid, gid, keep_fds, n_keep_fds, fn, userdata);

        r = wait_child(pid, timeout_ms, &status);
        if (r < 0)
                return r;
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                return -ETIMEDOUT;
        if (!WIFEXITED(status))
                return -ECHILD;
        return -WEXITSTATUS(status);
}
