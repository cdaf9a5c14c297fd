/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backtrace-sandbox.h"
#include "cleanup.h"

static int fail(const char *step, const char **ret_step) {
        int r = negative_errno();
        *ret_step = step;
        return r;
}

static int set_limit(int resource, rlim_t soft, rlim_t hard) {
        struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };
        return setrlimit(resource, &rl) < 0 ? negative_errno() : 0;
}

static uint64_t saturating_add(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Moves the two descriptors to 3 and 4 without clobbering either on the way. */
static int move_fds(int core_fd, int output_fd) {
        int c = fcntl(core_fd, F_DUPFD_CLOEXEC, 10), o;

        if (c < 0)
                return negative_errno();
        o = fcntl(output_fd, F_DUPFD_CLOEXEC, 10);
        if (o < 0)
                return negative_errno();
        if (dup2(c, BACKTRACE_SANDBOX_CORE_FD) < 0 || dup2(o, BACKTRACE_SANDBOX_OUTPUT_FD) < 0)
                return negative_errno();
        return 0;
}

static int null_stdio(void) {
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        for (int i = 0; i < 3; i++)
                if (fd != i && dup2(fd, i) < 0)
                        return negative_errno();
        return 0;
}

/* Pages of address space and of data (heap and stack) in use, from /proc/self/statm. */
static int memory_in_use(uint64_t *ret_size, uint64_t *ret_data) {
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/statm", "re");
        unsigned long long size, resident, shared, text, lib, data;
        long page = sysconf(_SC_PAGESIZE);

        if (!f)
                return negative_errno();
        if (fscanf(f, "%llu %llu %llu %llu %llu %llu", &size, &resident, &shared, &text, &lib, &data) != 6)
                return -EIO;
        *ret_size = (uint64_t) size * (uint64_t) page;
        *ret_data = (uint64_t) data * (uint64_t) page;
        return 0;
}

static void reset_signals(void) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t all;

        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &sa, NULL);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
}

int backtrace_sandbox_enter(const BacktraceSandbox *s, int core_fd, int output_fd, const char **ret_step) {
        uint64_t size = 0, data = 0, cpu_sec;
        FILE *f;
        int r;

        r = move_fds(core_fd, output_fd);
        if (r < 0) {
                *ret_step = BACKTRACE_SANDBOX_STEP_MOVE_FDS;
                return r;
        }
        reset_signals();
        r = null_stdio();
        if (r < 0) {
                *ret_step = "opening /dev/null";
                return r;
        }
        if (close_range(BACKTRACE_SANDBOX_OUTPUT_FD + 1, ~0U, 0) < 0)
                return fail("close_range()", ret_step);

        if (set_limit(RLIMIT_CORE, 0, 0) < 0)
                return fail("setrlimit(RLIMIT_CORE)", ret_step);
        cpu_sec = (s->cpu_usec + 999999) / 1000000;
        if (cpu_sec == 0)
                cpu_sec = 1;
        /* SIGXCPU at the soft limit, SIGKILL a second later. */
        r = set_limit(RLIMIT_CPU, (rlim_t) cpu_sec, (rlim_t) cpu_sec + 1);
        if (r < 0) {
                *ret_step = "setrlimit(RLIMIT_CPU)";
                return r;
        }
        r = memory_in_use(&size, &data);
        if (r < 0) {
                *ret_step = "reading /proc/self/statm";
                return r;
        }
        /* What the child inherited stays usable; memory_max bounds what it adds on top. */
        uint64_t as = saturating_add(saturating_add(size, s->core_size), s->memory_max);
        uint64_t heap = saturating_add(data, s->memory_max);
        r = set_limit(RLIMIT_AS, (rlim_t) as, (rlim_t) as);
        if (r >= 0)
                r = set_limit(RLIMIT_DATA, (rlim_t) heap, (rlim_t) heap);
        if (r < 0) {
                *ret_step = "setrlimit(RLIMIT_AS/RLIMIT_DATA)";
                return r;
        }
        if (!s->debuginfod && set_limit(RLIMIT_FSIZE, 0, 0) < 0)
                return fail("setrlimit(RLIMIT_FSIZE)", ret_step);

        /* Be the first the OOM killer picks (best effort; raising it needs no privilege). */
        f = fopen("/proc/self/oom_score_adj", "we");
        if (f) {
                (void) fputs("1000\n", f);
                (void) fclose(f);
        }

        /* Without privileges, keeping the current identity is all that is possible. */
        if (setgroups(0, NULL) < 0 && !(errno == EPERM && geteuid() != 0))
                return fail("setgroups()", ret_step);
        if (setresgid(s->gid, s->gid, s->gid) < 0)
                return fail("setresgid()", ret_step);
        if (setresuid(s->uid, s->uid, s->uid) < 0)
                return fail("setresuid()", ret_step);
        if (getuid() != s->uid || geteuid() != s->uid || getgid() != s->gid || getegid() != s->gid) {
                errno = EPERM;
                return fail("checking the identity", ret_step);
        }
        /* After the identity change, which resets it: nobody of that uid may ptrace us or open
         * our /proc files, and so the core descriptor. */
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
                return fail("prctl(PR_SET_DUMPABLE)", ret_step);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail("prctl(PR_SET_NO_NEW_PRIVS)", ret_step);
        /* Die with the parent (set after the identity change, which clears it); the parent may
         * have gone already. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                return fail("prctl(PR_SET_PDEATHSIG)", ret_step);
        if (getppid() != s->parent) {
                errno = ESRCH;
                return fail("checking the parent", ret_step);
        }

        /* libdwfl asks debuginfod servers whenever this is set. */
        if (!s->debuginfod && unsetenv("DEBUGINFOD_URLS") < 0)
                return fail("unsetenv()", ret_step);

        return 0;
}
