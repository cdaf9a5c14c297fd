/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running a debugger on a crash: its command line and the child process. */
#pragma once

#include <errno.h>

/* The debugger to run: --debugger=, else $COREJOURNAL_DEBUGGER, else $SYSTEMD_DEBUGGER (as
 * coredumpctl reads it), else "gdb". */
const char *ctl_debug_pick_debugger(const char *option);

/* Checks the executable a record names: -ENOENT for "… (deleted)" or a relative path. */
int ctl_debug_check_exe(const char *exe);

/* debugger, its extra arguments, exe, "-c", core — coredumpctl's order. Returns 0 or -ENOMEM. */
int ctl_debug_argv(const char *debugger, char *const *args, const char *exe, const char *core, char ***ret);

/* Runs argv (PATH lookup for argv[0]) with the terminal, SIGINT ignored here while it runs (the
 * debugger handles it) and SIGTERM forwarded. Returns the debugger's exit status (128+N for a
 * signal) or -errno when it could not be started (-ENOENT: no such debugger). */
int ctl_debug_run(char *const *argv);
