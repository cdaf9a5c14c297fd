/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The confinement of the analysis child: its descriptors, limits and identity. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Where the child finds the core and its output pipe after backtrace_sandbox_enter(). */
#define BACKTRACE_SANDBOX_CORE_FD 3
#define BACKTRACE_SANDBOX_OUTPUT_FD 4

/* The first step; when it fails the output is still at the descriptor the caller passed. */
#define BACKTRACE_SANDBOX_STEP_MOVE_FDS "moving descriptors"

typedef struct BacktraceSandbox {
        uid_t uid;               /* identity the child takes, with no supplementary groups */
        gid_t gid;
        uint64_t cpu_usec;       /* RLIMIT_CPU, rounded up to whole seconds */
        uint64_t memory_max;     /* address space and heap on top of what the child inherits */
        uint64_t core_size;      /* the core is mapped whole, so its size is added to RLIMIT_AS */
        bool debuginfod;         /* keep DEBUGINFOD_URLS and allow writing files (its cache) */
        pid_t parent;            /* the child dies with it (PR_SET_PDEATHSIG) */
} BacktraceSandbox;

/* Called in the freshly forked child. Moves core_fd and output_fd to the fixed numbers above,
 * puts /dev/null on 0-2 and closes every other descriptor, resets signals, sets RLIMIT_CORE 0,
 * RLIMIT_CPU, RLIMIT_AS, RLIMIT_DATA and (unless debuginfod) RLIMIT_FSIZE 0, raises the OOM score,
 * drops to uid/gid with setgroups(0), makes itself non-dumpable, sets no_new_privs and dies with
 * the parent. Returns 0,
 * or -errno with *ret_step naming what failed. */
int backtrace_sandbox_enter(const BacktraceSandbox *s, int core_fd, int output_fd, const char **ret_step);
