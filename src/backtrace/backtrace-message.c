/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "backtrace-message.h"

int backtrace_message_dumped_core(const char *pid, const char *comm, const char *uid, const char *stack_trace, char **ret) {
        char *s;
        bool trace = stack_trace && stack_trace[0];

        if (asprintf(&s, "Process %s (%s) of user %s dumped core.%s%s", pid, comm ?: "n/a", uid,
                     trace ? "\n\n" : "", trace ? stack_trace : "") < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int backtrace_message_failed_with(const char *pid, const char *comm, const char *uid, const char *reason, char **ret) {
        char *s;

        if (asprintf(&s, "Process %s (%s) of user %s failed with %s", pid, comm ?: "n/a", uid, reason) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}
