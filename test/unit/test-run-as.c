/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_as(): the child takes the identity, runs, and its result comes back; descriptors not kept
 * are closed in the child. Taking another identity needs root; without it only that is skipped. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "io.h"
#include "run-as.h"

typedef struct Probe {
        uid_t uid;
        gid_t gid;
        int kept_fd;
        int closed_fd;
} Probe;

/* Async-signal-safe checks only: the result is the exit status. */
static int check_identity(void *userdata) {
        const Probe *p = userdata;
        gid_t groups[1];

        if (getuid() != p->uid || geteuid() != p->uid || getgid() != p->gid || getegid() != p->gid)
                return -EPERM;
        if (getgroups(1, groups) != 0)
                return -E2BIG;
        if (fcntl(p->kept_fd, F_GETFD) < 0)
                return -EBADF;
        if (fcntl(p->closed_fd, F_GETFD) >= 0)
                return -EEXIST;
        return 0;
}

static int fail_with_enoent(void *userdata) {
        (void) userdata;
        return -ENOENT;
}

static int die(void *userdata) {
        (void) userdata;
        abort();
}

/* The user the child runs as may stop it; the caller must not wait for it forever. */
static int stop_self(void *userdata) {
        (void) userdata;
        (void) kill(getpid(), SIGSTOP);
        return 0;
}

/* io_close_range(), the closing run_as() and the debug file cache's child rely on. */
static void test_close_range(void **state) {
        int fds[4];
        for (int i = 0; i < 4; i++) {
                fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                assert_true(fds[i] > 2);
        }
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                io_close_range((unsigned) fds[1], (unsigned) fds[2]);
                if (fcntl(fds[0], F_GETFD) < 0 || fcntl(fds[1], F_GETFD) >= 0 || fcntl(fds[2], F_GETFD) >= 0 ||
                    fcntl(fds[3], F_GETFD) < 0)
                        _exit(1);
                io_close_range(3, ~0U);
                for (int i = 0; i < 4; i++)
                        if (fcntl(fds[i], F_GETFD) >= 0)
                                _exit(2);
                _exit(fcntl(STDERR_FILENO, F_GETFD) < 0 ? 3 : 0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        for (int i = 0; i < 4; i++)
                close(fds[i]);
}

static void test_run_as(void **state) {
        _cleanup_(closep) int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
        _cleanup_(closep) int b = open("/dev/null", O_RDONLY | O_CLOEXEC);
        _cleanup_(closep) int c = open("/dev/null", O_RDONLY | O_CLOEXEC);
        uid_t uid = geteuid() == 0 ? 4242 : geteuid();
        gid_t gid = geteuid() == 0 ? 4343 : getegid();

        assert_true(a >= 0 && b >= 0 && c >= 0);
        if (geteuid() != 0) {
                /* Dropping supplementary groups needs CAP_SETGID. */
                assert_int_equal(run_as(uid, gid, NULL, 0, fail_with_enoent, NULL), -EPERM);
                skip();
        }
        int keep[] = { a, c };
        Probe p = { .uid = uid, .gid = gid, .kept_fd = c, .closed_fd = b };
        assert_int_equal(run_as(uid, gid, keep, 2, check_identity, &p), 0);
        /* Only c kept: a is closed in the child as well. */
        p.closed_fd = a;
        assert_int_equal(run_as(uid, gid, &c, 1, check_identity, &p), 0);
        assert_int_equal(run_as(uid, gid, NULL, 0, fail_with_enoent, NULL), -ENOENT);
        assert_int_equal(run_as(uid, gid, NULL, 0, die, NULL), -ECHILD);
        /* A child its user stopped is killed at the deadline, not waited for. */
        assert_int_equal(run_as_timeout(uid, gid, NULL, 0, stop_self, NULL, 300), -ETIMEDOUT);
        /* The parent kept everything. */
        assert_true(fcntl(a, F_GETFD) >= 0 && fcntl(b, F_GETFD) >= 0 && fcntl(c, F_GETFD) >= 0);
        assert_int_equal(geteuid(), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_close_range),
                cmocka_unit_test(test_run_as),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
