/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Identity of a crashed process taken from its pidfd (PIDFD_GET_INFO, Linux 6.13+). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* What the kernel reported; each group is valid only when its has_ flag is set. */
typedef struct CollectPidfdInfo {
        bool has_pid;      /* pid, tgid, ppid: only while the process is alive */
        bool has_creds;    /* the uid/gid set: only while alive */
        bool has_cgroupid;
        bool has_exit;     /* exit_code: only after it exited */
        bool has_coredump; /* coredump_mask */
        pid_t pid, tgid, ppid;
        uid_t ruid, euid, suid, fsuid;
        gid_t rgid, egid, sgid, fsgid;
        uint64_t cgroupid;
        int exit_code;          /* wait status, e.g. 0x8b for SIGSEGV with a core */
        uint32_t coredump_mask; /* PIDFD_COREDUMP_* bits */
} CollectPidfdInfo;

#define PIDFD_COREDUMPED 1u
#define PIDFD_COREDUMP_SKIP 2u
#define PIDFD_COREDUMP_USER 4u /* dumpable 1 */
#define PIDFD_COREDUMP_ROOT 8u /* dumpable 2: the core is for root only */

/* Queries the kernel about the process behind pidfd. Returns 0, -ENOTTY on kernels without
 * PIDFD_GET_INFO, -ESRCH when the process was reaped and nothing is left to report, or -errno. */
int collect_pidfd_info(int pidfd, CollectPidfdInfo *ret);

/* Opens a pidfd for pid (close-on-exec). Returns the fd, or -ESRCH when there is no such process. */
int collect_pidfd_open(pid_t pid);

/* The PID a pidfd refers to, from /proc/self/fdinfo (the "Pid:" line). -EBADF when fd is not a
 * pidfd, -ESRCH when its process is gone (Pid: -1). */
int collect_pidfd_get_pid(int pidfd, pid_t *ret);

/* True once the process behind pidfd has exited (it polls readable). */
bool collect_pidfd_exited(int pidfd);
