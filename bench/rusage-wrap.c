/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rusage-wrap: runs a core_pattern helper (or a socket-activated service) as its child and, when
 * it has exited, appends its resource usage to rusage.log beside this program:
 *
 *   TAG wrapper=PID start_mono_usec=N end_mono_usec=N utime_usec=N stime_usec=N maxrss_kib=N
 *       oublock=N inblock=N status=N
 *
 * The figures are wait4()'s: the child plus every descendant it reaped (ru_maxrss the largest of
 * them); oublock counts 512-byte units of page-cache writes the processes caused (write_bytes of
 * /proc/PID/io, unlike st_blocks it includes data later truncated or unlinked).
 *
 *   core_pattern = |/dir/rusage-wrap %P /path/to/helper ARGS...
 *
 * The child gets fd 0 (the core pipe) and fd 3 (the %F pidfd, or the socket of
 * systemd-socket-activate) unchanged, and fds 1 and 2 closed as the kernel left them. The wrapper
 * itself closes every descriptor right after the fork, so with core_pipe_limit > 0 only the child
 * holds the pipe and decides when the crasher is released. LISTEN_PID, when set, is rewritten to
 * the child's PID so that sd_listen_fds() accepts the passed socket.
 * Build: cc -O2 -o rusage-wrap bench/rusage-wrap.c */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static uint64_t tv_usec(struct timeval tv) {
        return (uint64_t) tv.tv_sec * 1000000u + (uint64_t) tv.tv_usec;
}

int main(int argc, char **argv) {
        char log[4096], line[512];
        uint64_t start = now_usec();

        if (argc < 3)
                return 2;
        pid_t pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0) {
                if (getenv("LISTEN_PID")) {
                        char s[32];
                        snprintf(s, sizeof(s), "%d", (int) getpid());
                        setenv("LISTEN_PID", s, 1);
                }
                execv(argv[2], argv + 2);
                _exit(127);
        }
        (void) syscall(SYS_close_range, 0u, ~0u, 0u);

        int status = 0;
        struct rusage ru = {};
        while (wait4(pid, &status, 0, &ru) < 0)
                ;
        uint64_t end = now_usec();

        char *self = strdup(argv[0]);
        if (!self)
                return 1;
        snprintf(log, sizeof(log), "%s/rusage.log", dirname(self));
        int n = snprintf(line, sizeof(line),
                         "%s wrapper=%d start_mono_usec=%" PRIu64 " end_mono_usec=%" PRIu64 " utime_usec=%" PRIu64
                         " stime_usec=%" PRIu64 " maxrss_kib=%ld oublock=%ld inblock=%ld status=%d\n",
                         argv[1], (int) getpid(), start, end, tv_usec(ru.ru_utime), tv_usec(ru.ru_stime),
                         ru.ru_maxrss, ru.ru_oublock, ru.ru_inblock, status);
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return 1;
        (void) !write(fd, line, (size_t) n);
        close(fd);
        return 0;
}
