/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Doing one small thing with another user's identity: in a forked child that drops to it. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Runs fn(userdata) in a forked child that has taken uid and gid as its real, effective and saved
 * IDs, with no supplementary groups, and returns what fn returned (0 or -errno). Before fn runs the
 * child closes every descriptor above 2 except those in keep_fds, so that it holds no other
 * client's connection while it runs.
 *
 * The parent may have threads: between fork() and _exit() only async-signal-safe calls are
 * allowed, so fn must not allocate, use stdio or take locks; prepare everything before the call.
 * The child's result travels as its exit status.
 *
 * The child gets RUN_AS_TIMEOUT_MSEC: running as that user, it can be stopped by them, so past the
 * deadline it is killed (-ETIMEDOUT) rather than waited for.
 *
 * Returns fn's result, -EPERM (or another -errno) when the identity cannot be taken, -ETIMEDOUT,
 * -ECHILD when the child died of another signal, or -errno when fork() or waitpid() fail. */
#define RUN_AS_TIMEOUT_MSEC 15000
int run_as(uid_t uid, gid_t gid, const int *keep_fds, size_t n_keep_fds, int (*fn)(void *userdata), void *userdata);

/* run_as() with another deadline, in milliseconds. */
int run_as_timeout(uid_t uid, gid_t gid, const int *keep_fds, size_t n_keep_fds, int (*fn)(void *userdata),
                   void *userdata, int timeout_ms);
