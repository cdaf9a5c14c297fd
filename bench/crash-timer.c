/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crash-timer: crashes a child of its own and measures, on CLOCK_MONOTONIC,
 *   - crash-to-reap: from just before the faulting instruction (the child sends the time through a
 *     pipe) to the moment waitpid() returns in the parent;
 *   - crash-to-record: from the same instant to the first time the record (COREDUMP_PID=<pid> and
 *     the coredump MESSAGE_ID) can be read from the journal with sd-journal.
 *
 *   crash-timer [--touch MIB] [--zero MIB] [--sparse MIB] [--threads N] [--abort]
 *               [--namespace NS | --system] [--timeout SEC] [--field NAME]...
 *
 * The memory is prepared as build/test/fixtures/crasher does it (--touch: xorshift output,
 * incompressible; --zero: touched zero pages; --sparse: every 64th page touched), then the child
 * waits for a go from the parent, writes the time and crashes (SIGSEGV on a NULL read, or abort()).
 * The child is forked before libsystemd is loaded (dlopen), so its core holds no more than a small
 * C program's mappings plus the prepared memory.
 *
 * Prints one line: pid=N signal=N core=0|1 crash_mono_usec=N reap_usec=N visible_usec=N|-1
 * then seen_by=wait|fresh|none (which sd-journal handle saw the record first, see poller()),
 * message_lines=N (lines of the record's MESSAGE: more than one when it holds a stack trace)
 * and NAME=VALUE for each --field found in the record (values must not hold spaces). Build:
 *   cc -O2 -o crash-timer bench/crash-timer.c -ldl -lpthread */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#define FIELDS_MAX 16
#define COREDUMP_MESSAGE_ID "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1"

static volatile int sink;

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static void die(const char *what) {
        fprintf(stderr, "crash-timer: %s: %s\n", what, strerror(errno));
        exit(2);
}

static void *map(size_t mib) {
        void *p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                die("mmap");
        return p;
}

static void *park(void *arg) {
        (void) arg;
        for (;;)
                pause();
        return NULL;
}

static size_t arg_touch, arg_zero, arg_sparse;
static int arg_threads = 1;
static int arg_abort;
static const char *arg_namespace;
static int arg_system;
static unsigned arg_timeout = 300;
static const char *arg_fields[FIELDS_MAX];
static size_t n_fields;

/* The child: prepare memory, report ready, wait for go, stamp the time, crash. */
static void child(int up, int down) {
        struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
        (void) setrlimit(RLIMIT_CORE, &rl);

        if (arg_touch) {
                uint64_t *p = map(arg_touch), x = 88172645463325252ull;
                for (size_t k = 0; k < (arg_touch << 20) / 8; k++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        p[k] = x;
                }
        }
        if (arg_zero) {
                volatile char *p = map(arg_zero);
                for (size_t k = 0; k < arg_zero << 20; k += 4096)
                        p[k] = 1, p[k] = 0;
        }
        if (arg_sparse) {
                volatile char *p = map(arg_sparse);
                for (size_t k = 0; k < arg_sparse << 20; k += 64 * 4096)
                        p[k] = 1;
        }
        for (int t = 1; t < arg_threads; t++) {
                pthread_t th;
                if (pthread_create(&th, NULL, park, NULL) != 0)
                        _exit(3);
        }

        char c = 'r';
        if (write(up, &c, 1) != 1 || read(down, &c, 1) != 1)
                _exit(3);
        uint64_t t = now_usec();
        if (write(up, &t, sizeof(t)) != sizeof(t))
                _exit(3);
        if (arg_abort)
                abort();
        volatile int *volatile bad = (volatile int *) (uintptr_t) 8;
        sink = *bad;
        _exit(4);
}

/* sd-journal, loaded after the fork. */
static struct {
        typeof(sd_journal_open) *open;
        typeof(sd_journal_open_namespace) *open_namespace;
        typeof(sd_journal_add_match) *add_match;
        typeof(sd_journal_next) *next;
        typeof(sd_journal_wait) *wait;
        typeof(sd_journal_get_data) *get_data;
        typeof(sd_journal_close) *close;
} sdj;

static sd_journal *journal;
static volatile uint64_t reaped_at; /* set by the main thread once waitpid returned */
static uint64_t visible_at;
static char *field_values[FIELDS_MAX];
static long message_lines = -1;

static void load_sd_journal(void) {
        void *h = dlopen("libsystemd.so.0", RTLD_NOW);
        if (!h) {
                fprintf(stderr, "crash-timer: %s\n", dlerror());
                exit(2);
        }
#define SYM(f, name) if (!(sdj.f = dlsym(h, name))) { fprintf(stderr, "crash-timer: no %s\n", name); exit(2); }
        SYM(open, "sd_journal_open");
        SYM(open_namespace, "sd_journal_open_namespace");
        SYM(add_match, "sd_journal_add_match");
        SYM(next, "sd_journal_next");
        SYM(wait, "sd_journal_wait");
        SYM(get_data, "sd_journal_get_data");
        SYM(close, "sd_journal_close");
#undef SYM
}

static sd_journal *open_journal(pid_t pid) {
        sd_journal *j;
        char match[64];
        int r;

        if (arg_system)
                r = sdj.open(&j, SD_JOURNAL_LOCAL_ONLY);
        else
                r = sdj.open_namespace(&j, arg_namespace, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0) {
                errno = -r;
                die("sd_journal_open");
        }
        snprintf(match, sizeof(match), "COREDUMP_PID=%d", (int) pid);
        if (sdj.add_match(j, match, 0) < 0 || sdj.add_match(j, COREDUMP_MESSAGE_ID, 0) < 0)
                die("sd_journal_add_match");
        return j;
}

static pid_t child_pid;
static const char *seen_by = "";

/* Polls the journal until the record shows: every 2 ms while the crasher lives, every 250 µs
 * after it was reaped (sd_journal_wait also wakes on inotify, which journald sends late). A handle
 * kept open has been seen to miss a record for good (journald's file rotation, presumably), so a
 * fresh handle is also asked every 20 ms; seen_by= says which one saw the record first. */
static void *poller(void *arg) {
        uint64_t deadline = now_usec() + (uint64_t) arg_timeout * 1000000u, fresh_at = now_usec();
        (void) arg;

        while (now_usec() < deadline) {
                int r = sdj.next(journal);
                if (r > 0)
                        seen_by = "wait";
                else if (now_usec() >= fresh_at) {
                        sd_journal *f = open_journal(child_pid);
                        if (sdj.next(f) > 0) {
                                sdj.close(journal);
                                journal = f;
                                seen_by = "fresh";
                                r = 1;
                        } else
                                sdj.close(f);
                        fresh_at = now_usec() + 20000;
                }
                if (r > 0) {
                        visible_at = now_usec();
                        for (size_t i = 0; i < n_fields; i++) {
                                const void *d;
                                size_t l;
                                if (sdj.get_data(journal, arg_fields[i], &d, &l) >= 0)
                                        field_values[i] = strndup(d, l);
                        }
                        const void *d;
                        size_t l;
                        if (sdj.get_data(journal, "MESSAGE", &d, &l) >= 0) {
                                message_lines = 1;
                                for (size_t k = 0; k < l; k++)
                                        message_lines += ((const char *) d)[k] == '\n';
                        }
                        return NULL;
                }
                (void) sdj.wait(journal, reaped_at ? 250 : 2000);
        }
        return NULL;
}

int main(int argc, char **argv) {
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "--abort") == 0)
                        arg_abort = 1;
                else if (strcmp(a, "--system") == 0)
                        arg_system = 1;
                else if (v && strcmp(a, "--touch") == 0)
                        arg_touch = strtoul(v, NULL, 10), i++;
                else if (v && strcmp(a, "--zero") == 0)
                        arg_zero = strtoul(v, NULL, 10), i++;
                else if (v && strcmp(a, "--sparse") == 0)
                        arg_sparse = strtoul(v, NULL, 10), i++;
                else if (v && strcmp(a, "--threads") == 0)
                        arg_threads = atoi(v), i++;
                else if (v && strcmp(a, "--namespace") == 0)
                        arg_namespace = v, i++;
                else if (v && strcmp(a, "--timeout") == 0)
                        arg_timeout = (unsigned) strtoul(v, NULL, 10), i++;
                else if (v && strcmp(a, "--field") == 0 && n_fields < FIELDS_MAX)
                        arg_fields[n_fields++] = v, i++;
                else {
                        fprintf(stderr, "usage: crash-timer [--touch MIB] [--zero MIB] [--sparse MIB] [--threads N] [--abort]\n"
                                        "                   [--namespace NS | --system] [--timeout SEC] [--field NAME]...\n");
                        return 2;
                }
        }

        int up[2], down[2];
        if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0)
                die("pipe");
        pid_t pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                close(up[0]);
                close(down[1]);
                child(up[1], down[0]);
        }
        close(up[1]);
        close(down[0]);

        int watch = arg_system || arg_namespace;
        pthread_t th;
        if (watch) {
                load_sd_journal();
                child_pid = pid;
                journal = open_journal(pid);
                if (pthread_create(&th, NULL, poller, NULL) != 0)
                        die("pthread_create");
        }

        char c;
        uint64_t t_crash;
        if (read(up[0], &c, 1) != 1)
                die("child did not get ready");
        if (write(down[1], "g", 1) != 1)
                die("write");
        if (read(up[0], &t_crash, sizeof(t_crash)) != sizeof(t_crash))
                die("child did not stamp the crash");
        int status;
        if (waitpid(pid, &status, 0) < 0)
                die("waitpid");
        reaped_at = now_usec();

        if (watch)
                pthread_join(th, NULL);

        printf("pid=%d signal=%d core=%d crash_mono_usec=%" PRIu64 " reap_usec=%" PRIu64 " visible_usec=%" PRId64,
               (int) pid, WIFSIGNALED(status) ? WTERMSIG(status) : 0, WIFSIGNALED(status) && WCOREDUMP(status),
               t_crash, reaped_at - t_crash, visible_at ? (int64_t) (visible_at - t_crash) : (int64_t) -1);
        if (watch)
                printf(" seen_by=%s", visible_at ? seen_by : "none");
        if (message_lines >= 0)
                printf(" message_lines=%ld", message_lines);
        for (size_t i = 0; i < n_fields; i++)
                if (field_values[i])
                        printf(" %s", field_values[i]);
        printf("\n");
        if (journal)
                sdj.close(journal);
        return WIFSIGNALED(status) ? 0 : 1;
}
