/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl-pager.h"

static const char *const less_paths[] = { "/usr/bin/less", "/bin/less" };

int ctl_pager_start(CtlPager *p) {
        const char *less = NULL;
        int fds[2];
        pid_t pid;

        *p = (CtlPager) {};
        if (!isatty(STDOUT_FILENO))
                return 0;
        for (size_t i = 0; i < sizeof(less_paths) / sizeof(less_paths[0]) && !less; i++)
                if (access(less_paths[i], X_OK) >= 0)
                        less = less_paths[i];
        if (!less)
                return 0;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        (void) fflush(stdout);
        pid = fork();
        if (pid < 0) {
                int e = errno;
                (void) close(fds[0]);
                (void) close(fds[1]);
                return -e;
        }
        if (pid == 0) {
                if (dup2(fds[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                /* F: quit if one screen, R: colours, S: chop long lines, X: no init, M, K: quit on ^C. */
                (void) setenv("LESS", "FRSXMK", 1);
                (void) setenv("LESSSECURE", "1", 1);
                (void) unsetenv("LESSOPEN");
                (void) unsetenv("LESSCLOSE");
                (void) unsetenv("LESSKEY");
                execl(less, "less", (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        if (dup2(fds[1], STDOUT_FILENO) < 0) {
                int e = errno;
                (void) close(fds[0]);
                (void) close(fds[1]);
                (void) kill(pid, SIGTERM);
                (void) waitpid(pid, NULL, 0);
                return -e;
        }
        (void) close(fds[0]);
        (void) close(fds[1]);
        p->pid = pid;
        return 0;
}

void ctl_pager_finish(CtlPager *p) {
        if (p->pid <= 0)
                return;
        /* Closing the descriptor (not the FILE) ends less's input; stdout stays usable, empty. */
        (void) fflush(stdout);
        (void) close(STDOUT_FILENO);
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        p->pid = 0;
}
