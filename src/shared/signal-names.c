/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>
#include <stdio.h>

#include "signal-names.h"

static const char *const names[] = {
        [SIGHUP] = "SIGHUP",     [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",   [SIGILL] = "SIGILL",
        [SIGTRAP] = "SIGTRAP",   [SIGABRT] = "SIGABRT",     [SIGBUS] = "SIGBUS",     [SIGFPE] = "SIGFPE",
        [SIGKILL] = "SIGKILL",   [SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV",   [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE",   [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",   [SIGSTKFLT] = "SIGSTKFLT",
        [SIGCHLD] = "SIGCHLD",   [SIGCONT] = "SIGCONT",     [SIGSTOP] = "SIGSTOP",   [SIGTSTP] = "SIGTSTP",
        [SIGTTIN] = "SIGTTIN",   [SIGTTOU] = "SIGTTOU",     [SIGURG] = "SIGURG",     [SIGXCPU] = "SIGXCPU",
        [SIGXFSZ] = "SIGXFSZ",   [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",   [SIGWINCH] = "SIGWINCH",
        [SIGIO] = "SIGIO",       [SIGPWR] = "SIGPWR",       [SIGSYS] = "SIGSYS",
};

const char *signal_to_name(int signo, char buf[static 16]) {
        if (signo > 0 && signo < (int) (sizeof(names) / sizeof(names[0])) && names[signo])
                return names[signo];
        /* Named relative to glibc's SIGRTMIN (34), as systemd names them; the two signals
         * below it are glibc-internal and have no name. */
        if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
                (void) snprintf(buf, 16, "SIGRTMIN+%d", signo - SIGRTMIN);
                return buf;
        }
        return NULL;
}
