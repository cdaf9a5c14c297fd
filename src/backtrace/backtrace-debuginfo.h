/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A cache of separate debug files with their DWARF decompressed. Distributions ship compressed
 * debug sections (Debian's libc6-dbg: 2.3 MB of zlib'd .debug_info); libdw inflates a whole
 * section on first use, which cost 50 of the 60 ms a small crash's stack trace took. An
 * uncompressed copy, found first on the analysis's debuginfo path, is mapped instead: the same
 * DWARF, so the same text, for a few page faults. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where debug files must live to be copied into the cache: root's own, never a user's. */
#define BACKTRACE_DEBUGINFO_SYSTEM_DIR "/usr/lib/debug"
#define BACKTRACE_DEBUGINFO_CACHE_FILES_MAX 8 /* copies made after one crash, at most */

/* The debuginfo path the analysis searches with a cache: the cache before the system's files. */
int backtrace_debuginfo_path(const char *cache_dir, char **ret);

/* Whether the debug file open at fd has a compressed .debug_info (SHF_COMPRESSED). */
bool backtrace_debuginfo_is_compressed(int fd);

/* Makes uncompressed copies, in cache_dir/.build-id/XX/REST.debug, of the given debug files
 * (paths the analysis reported: each must resolve to a regular file below
 * BACKTRACE_DEBUGINFO_SYSTEM_DIR that is owned by root and writable by nobody else; the build ID
 * is read from the file, never taken from the report). Runs in a forked child with CPU and memory
 * limits. Then removes the least recently used copies until the cache holds at most size_max
 * bytes. A cache_dir that does not exist is not created: nothing is done. Returns the number of
 * copies made, or -errno. */
int backtrace_debuginfo_cache(const char *cache_dir, char *const *paths, size_t n_paths, uint64_t size_max);

/* The uncompressing copy itself, for tests and the child: in_fd's ELF rewritten to out_fd with
 * every SHF_COMPRESSED section inflated. Returns 0, or -errno (-EBADMSG for bad ELF). */
int backtrace_debuginfo_decompress(int in_fd, int out_fd);
