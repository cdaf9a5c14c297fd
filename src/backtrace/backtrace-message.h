/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The MESSAGE= text of a crash record, in systemd-coredump's shape. */
#pragma once

/* "Process <pid> (<comm>) of user <uid> dumped core." followed, when stack_trace is not NULL or
 * empty, by a blank line and the trace text. comm NULL is written as "n/a". */
int backtrace_message_dumped_core(const char *pid, const char *comm, const char *uid, const char *stack_trace, char **ret);

/* "Process <pid> (<comm>) of user <uid> failed with <reason>" (no period), systemd's text for a
 * --backtrace submission that brought no message of its own. */
int backtrace_message_failed_with(const char *pid, const char *comm, const char *uid, const char *reason, char **ret);
