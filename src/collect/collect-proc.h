/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crash context of a process read from a /proc tree (the real /proc or a fixture tree). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "export-record.h"

/* Who a process is, for checking that a PID still names the process that crashed. */
typedef struct CollectProcIdentity {
        pid_t pid;
        pid_t ppid;
        uid_t ruid, euid, suid, fsuid;
        gid_t rgid, egid;
        uint64_t start_time_ticks; /* field 22 of /proc/PID/stat: clock ticks after boot */
        char comm[16 * 4 + 1];     /* as in /proc/PID/comm, without the newline */
} CollectProcIdentity;

/* Reads /proc/PID/stat and /proc/PID/status below proc_fd (an open directory that holds the
 * PID directories). Returns 0, -ENOENT when the process is gone, -EBADMSG when the files do
 * not parse, or another -errno. */
int collect_proc_identity(int proc_fd, pid_t pid, CollectProcIdentity *ret);

/* Appends the COREDUMP_* context fields of process pid, read below proc_fd: COMM, EXE, CMDLINE,
 * CGROUP, UNIT, USER_UNIT, SLICE, SESSION, OWNER_UID, CWD, ROOT, ENVIRON, OPEN_FDS,
 * PROC_STATUS, PROC_MAPS, PROC_LIMITS, PROC_CGROUP, PROC_MOUNTINFO, PROC_AUXV and
 * CONTAINER_CMDLINE, each only when it applies and could be read. Every read is capped
 * (PROC_FILE_SIZE_MAX and the limits in input-limits.h). Returns the number of fields added,
 * -ENOENT when the process directory is missing, -ENOMEM (fields added so far stay), -EINVAL for
 * pid <= 0, or the -errno of opening the process directory. */
int collect_proc_context(int proc_fd, pid_t pid, ExportRecord *record);

/* The parsers and formatters below work on file contents already read (buffers of size bytes,
 * any content), so tests and fuzzers can reach them without a /proc tree. */

/* Fills pid, ppid, start_time_ticks and comm of ret from /proc/PID/stat content; comm is what
 * lies between the first '(' and the LAST ')', cut to fit. Other members are left alone.
 * Returns 0 or -EBADMSG. */
int collect_proc_parse_stat(const char *content, size_t size, CollectProcIdentity *ret);

/* Fills ruid, euid, suid, fsuid, rgid and egid of ret from the Uid: and Gid: lines of
 * /proc/PID/status content. Returns 0 or -EBADMSG. */
int collect_proc_parse_status(const char *content, size_t size, CollectProcIdentity *ret);

/* COREDUMP_COMM from /proc/PID/comm content, as systemd's get_process_comm(): the first line
 * (up to \n, \r or NUL), each byte C-escaped (\n, \", \ooo for control and non-ASCII bytes),
 * cut with "..." to fit PROC_COMM_ESCAPED_MAX bytes with the NUL. Returns 0 or -ENOMEM. */
int collect_proc_format_comm(const char *content, size_t size, char **ret);

/* COREDUMP_CMDLINE (and CONTAINER_CMDLINE) from /proc/PID/cmdline content, as systemd's
 * get_process_cmdline(PROCESS_CMDLINE_QUOTE_POSIX): NUL-separated arguments, trailing empty ones
 * dropped, joined by spaces; an argument with a shell-special, control or invalid UTF-8 byte is
 * written $'...' with \\, \' and C escapes; an empty one is "". Returns 0, -ENOENT when no
 * argument remains (kernel threads, zombies), or -ENOMEM. */
int collect_proc_format_cmdline(const char *content, size_t size, char **ret);

/* COREDUMP_ENVIRON from /proc/PID/environ content, as systemd's get_process_environ(): each NUL
 * becomes a newline, every other byte is C-escaped. Returns 0, -ENOBUFS when the result would
 * reach max bytes (systemd then leaves the field out), or -ENOMEM. */
int collect_proc_format_environ(const char *content, size_t size, size_t max, char **ret, size_t *ret_size);

/* Appends one COREDUMP_OPEN_FDS entry to the buffer *buf of *size bytes (NUL-terminated; both
 * may start as NULL/0): "FD:TARGET\n", then the fdinfo content with a newline added after an
 * unterminated last line; every entry but the first starts with an empty line, as systemd's
 * compose_open_fds() writes. Returns 1 when appended, 0 when the result would pass size_max
 * (nothing is appended), or -ENOMEM. */
int collect_proc_open_fds_append(char **buf, size_t *size, size_t size_max, int fd, const char *target,
                                 const char *fdinfo, size_t fdinfo_size);
