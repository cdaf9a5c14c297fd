/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "collect-pidfd.h"
#include "io.h"

/* The installed uapi headers predate PIDFD_GET_INFO, so the layout is defined here
 * (struct pidfd_info of Linux 6.18, 72 bytes; the size is part of the ioctl number). */
struct kernel_pidfd_info {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid;
        uint32_t ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
        uint32_t coredump_mask;
        uint32_t coredump_signal; /* 6.19+; zero on 6.18 */
};
_Static_assert(sizeof(struct kernel_pidfd_info) == 72, "pidfd_info layout");

#define PIDFS_IOCTL_MAGIC 0xFF
#define KERNEL_PIDFD_GET_INFO _IOWR(PIDFS_IOCTL_MAGIC, 11, struct kernel_pidfd_info)

#define KERNEL_PIDFD_INFO_PID 0x1u
#define KERNEL_PIDFD_INFO_CREDS 0x2u
#define KERNEL_PIDFD_INFO_CGROUPID 0x4u
#define KERNEL_PIDFD_INFO_EXIT 0x8u
#define KERNEL_PIDFD_INFO_COREDUMP 0x10u

int collect_pidfd_info(int pidfd, CollectPidfdInfo *ret) {
        struct kernel_pidfd_info k = {
                .mask = KERNEL_PIDFD_INFO_PID | KERNEL_PIDFD_INFO_CREDS | KERNEL_PIDFD_INFO_CGROUPID |
                        KERNEL_PIDFD_INFO_EXIT | KERNEL_PIDFD_INFO_COREDUMP,
        };

        if (ioctl(pidfd, KERNEL_PIDFD_GET_INFO, &k) < 0)
                return negative_errno();

        *ret = (CollectPidfdInfo) {
                .has_pid = k.mask & KERNEL_PIDFD_INFO_PID,
                .has_creds = k.mask & KERNEL_PIDFD_INFO_CREDS,
                .has_cgroupid = k.mask & KERNEL_PIDFD_INFO_CGROUPID,
                .has_exit = k.mask & KERNEL_PIDFD_INFO_EXIT,
                .has_coredump = k.mask & KERNEL_PIDFD_INFO_COREDUMP,
                .pid = (pid_t) k.pid,
                .tgid = (pid_t) k.tgid,
                .ppid = (pid_t) k.ppid,
                .ruid = k.ruid,
                .euid = k.euid,
                .suid = k.suid,
                .fsuid = k.fsuid,
                .rgid = k.rgid,
                .egid = k.egid,
                .sgid = k.sgid,
                .fsgid = k.fsgid,
                .cgroupid = k.cgroupid,
                .exit_code = k.exit_code,
                .coredump_mask = k.coredump_mask,
        };
        return 0;
}

int collect_pidfd_open(pid_t pid) {
        /* pidfd_open() fds are close-on-exec without asking. */
        long fd = syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? negative_errno() : (int) fd;
}

int collect_pidfd_get_pid(int pidfd, pid_t *ret) {
        _cleanup_(freep) char *s = NULL;
        char path[64];
        bool is_pidfd = false;
        int r;

        (void) snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        r = io_read_file_at(AT_FDCWD, path, 16 * 1024, &s, NULL);
        if (r < 0)
                return r;
        for (char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (strncmp(line, "Pid:", 4) != 0)
                        continue;
                char *end;
                errno = 0;
                long v = strtol(line + 4, &end, 10);
                if (errno != 0 || end == line + 4)
                        return -EBADMSG;
                is_pidfd = true;
                if (v <= 0)
                        return -ESRCH;
                *ret = (pid_t) v;
                return 0;
        }
        return is_pidfd ? -EBADMSG : -EBADF;
}

bool collect_pidfd_exited(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}
