/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctl-debug.h"

const char *ctl_debug_pick_debugger(const char *option) {
        const char *e;

        if (option && *option)
                return option;
        e = getenv("COREJOURNAL_DEBUGGER");
        if (e && *e)
                return e;
        e = getenv("SYSTEMD_DEBUGGER");
        if (e && *e)
                return e;
        return "gdb";
}

int ctl_debug_check_exe(const char *exe) {
        size_t n = strlen(exe);

        if (n >= strlen(" (deleted)") && strcmp(exe + n - strlen(" (deleted)"), " (deleted)") == 0)
                return -ENOENT;
        if (exe[0] != '/')
                return -ENOENT;
        return 0;
}

int ctl_debug_argv(const char *debugger, char *const *args, const char *exe, const char *core, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        size_t n_args = 0, k = 0;

        while (args && args[n_args])
                n_args++;
        l = calloc(n_args + 5, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if (!(l[k++] = strdup(debugger)))
                return -ENOMEM;
        for (size_t i = 0; i < n_args; i++)
                if (!(l[k++] = strdup(args[i])))
                        return -ENOMEM;
        if (!(l[k++] = strdup(exe)) || !(l[k++] = strdup("-c")) || !(l[k++] = strdup(core)))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

static volatile sig_atomic_t child_pid;

static void forward_term(int sig) {
        if (child_pid > 0)
                (void) kill((pid_t) child_pid, sig);
}

int ctl_debug_run(char *const *argv) {
        struct sigaction ign = { .sa_handler = SIG_IGN }, fwd = { .sa_handler = forward_term }, old_int, old_term;
        int pipefd[2], status, err = 0;
        pid_t pid;

        /* A close-on-exec pipe tells the parent whether execvp() worked. */
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        (void) fflush(stdout);
        (void) fflush(stderr);
        pid = fork();
        if (pid < 0) {
                err = -errno;
                (void) close(pipefd[0]);
                (void) close(pipefd[1]);
                return err;
        }
        if (pid == 0) {
                (void) close(pipefd[0]);
                (void) signal(SIGINT, SIG_DFL);
                (void) signal(SIGTERM, SIG_DFL);
                execvp(argv[0], argv);
                int e = errno;
                (void) !write(pipefd[1], &e, sizeof(e));
                _exit(127);
        }
        (void) close(pipefd[1]);
        child_pid = pid;
        (void) sigaction(SIGINT, &ign, &old_int);
        (void) sigaction(SIGTERM, &fwd, &old_term);

        ssize_t n;
        do
                n = read(pipefd[0], &err, sizeof(err));
        while (n < 0 && errno == EINTR);
        (void) close(pipefd[0]);

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        status = -1;
                        break;
                }
        child_pid = 0;
        (void) sigaction(SIGINT, &old_int, NULL);
        (void) sigaction(SIGTERM, &old_term, NULL);

        if (n == (ssize_t) sizeof(err) && err > 0)
                return -err;
        if (status == -1)
                return -ECHILD;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}
