/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backtrace-analyze.h"
#include "backtrace-findings.h"
#include "backtrace-format.h"
#include "backtrace-json.h"
#include "backtrace-sandbox.h"
#include "backtrace-signature.h"
#include "backtrace-unwind.h"
#include "input-limits.h"
#include "io.h"
#include "signal-names.h"

/* How the child's run ended, as the parent saw it. */
typedef struct ChildOutcome {
        char *output;
        size_t size;
        bool timed_out;
        bool output_overflow;
        int status;           /* from waitpid() */
        uint64_t max_rss;
} ChildOutcome;

_noreturn_ static void child_main(int core_fd, int output_fd, const BacktraceOptions *o, const BacktraceSandbox *s) {
        const char *step = NULL;
        FILE *out;
        int r;

        r = backtrace_sandbox_enter(s, core_fd, output_fd, &step);
        if (r < 0) {
                /* Until the descriptors are moved the pipe is still where the parent left it. The
                 * step names and strerror() texts hold no quotes, so this is valid JSON. */
                int fd = step && strcmp(step, BACKTRACE_SANDBOX_STEP_MOVE_FDS) == 0 ? output_fd : BACKTRACE_SANDBOX_OUTPUT_FD;
                (void) dprintf(fd, "{\"t\":\"error\",\"message\":\"cannot set up the sandbox: %s: %s\"}\n",
                               step ?: "?", strerror(-r));
                _exit(EXIT_FAILURE);
        }

        out = fdopen(BACKTRACE_SANDBOX_OUTPUT_FD, "w");
        if (!out)
                _exit(EXIT_FAILURE);
        r = backtrace_unwind(BACKTRACE_SANDBOX_CORE_FD, o->exe, o->debuginfo_path, out);
        (void) fflush(out);
        /* Out of memory, the line saying so may not have been written; this needs no allocation. */
        if (r == -ENOMEM)
                (void) dprintf(BACKTRACE_SANDBOX_OUTPUT_FD, "{\"t\":\"memory\",\"message\":\"analysis ran out of memory\"}\n");
        _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

static int pidfd_open_child(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? negative_errno() : fd;
}

/* Milliseconds to wait for poll(), rounded up, or 0 when the deadline has passed. */
static int remaining_ms(uint64_t deadline) {
        uint64_t now = io_now_monotonic_usec();

        if (now >= deadline)
                return 0;
        uint64_t ms = (deadline - now + 999) / 1000;
        return ms > INT_MAX ? INT_MAX : (int) ms;
}

/* Waits until the child has exited (without reaping it) or the deadline passes; false on the
 * latter. Without pidfds (before Linux 5.3) it looks every 10 ms. */
static bool wait_exit(pid_t pid, int pidfd, uint64_t deadline) {
        for (;;) {
                int timeout = remaining_ms(deadline);
                if (timeout == 0)
                        return false;
                if (pidfd >= 0) {
                        struct pollfd p = { .fd = pidfd, .events = POLLIN };
                        int n = poll(&p, 1, timeout);
                        if (n < 0 && errno == EINTR)
                                continue;
                        return n != 0;
                }
                siginfo_t si = {};
                if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
                        return errno != EINTR;
                if (si.si_pid == pid)
                        return true;
                (void) usleep(10 * 1000);
        }
}

/* Reads the child's output until EOF, the deadline or the size cap, then reaps it (killing it
 * first when it has not ended by the deadline). */
static int collect_child(pid_t pid, int pipe_fd, uint64_t deadline, ChildOutcome *c) {
        _cleanup_(closep) int pidfd = pidfd_open_child(pid);
        size_t allocated = 0;
        bool eof = false;
        struct rusage ru = {};
        int r = 0;

        while (!eof) {
                struct pollfd p = { .fd = pipe_fd, .events = POLLIN };
                int timeout = remaining_ms(deadline), n;

                if (timeout == 0) {
                        c->timed_out = true;
                        break;
                }
                n = poll(&p, 1, timeout);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = negative_errno();
                        break;
                }
                if (n == 0)
                        continue;

                if (c->size == allocated) {
                        if (allocated >= BACKTRACE_OUTPUT_SIZE_MAX) {
                                /* One byte more tells whether the child wanted to say more. */
                                char probe;
                                ssize_t k = read(pipe_fd, &probe, 1);
                                if (k < 0 && errno == EINTR)
                                        continue;
                                if (k > 0)
                                        c->output_overflow = true;
                                eof = true;
                                break;
                        }
                        size_t want = allocated == 0 ? 64 * 1024 : allocated * 2;
                        if (want > BACKTRACE_OUTPUT_SIZE_MAX)
                                want = BACKTRACE_OUTPUT_SIZE_MAX;
                        char *b = realloc(c->output, want + 1);
                        if (!b) {
                                r = -ENOMEM;
                                break;
                        }
                        c->output = b;
                        allocated = want;
                }
                ssize_t k = read(pipe_fd, c->output + c->size, allocated - c->size);
                if (k < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        r = negative_errno();
                        break;
                }
                if (k == 0)
                        eof = true;
                c->size += (size_t) k;
        }
        if (c->output)
                c->output[c->size] = 0;

        /* After EOF the child is exiting; still, it gets no more than the deadline. */
        if (eof && !wait_exit(pid, pidfd, deadline))
                c->timed_out = true;
        if (!eof || c->timed_out || c->output_overflow || r < 0)
                (void) kill(pid, SIGKILL);

        for (;;) {
                if (wait4(pid, &c->status, 0, &ru) >= 0)
                        break;
                if (errno == ECHILD) {
                        /* Reaped behind our back (SIGCHLD ignored): the output still tells. */
                        c->status = 0;
                        break;
                }
                if (errno != EINTR) {
                        (void) kill(pid, SIGKILL);
                        return r < 0 ? r : negative_errno();
                }
        }
        c->max_rss = (uint64_t) ru.ru_maxrss * 1024;
        return r;
}

static void format_duration(uint64_t usec, char *buf, size_t size) {
        if (usec % 1000000 == 0)
                (void) snprintf(buf, size, "%" PRIu64 " s", usec / 1000000);
        else if (usec % 1000 == 0)
                (void) snprintf(buf, size, "%" PRIu64 " ms", usec / 1000);
        else
                (void) snprintf(buf, size, "%" PRIu64 " us", usec);
}

static void format_size(uint64_t bytes, char *buf, size_t size) {
        if (bytes >= MIB && bytes % MIB == 0)
                (void) snprintf(buf, size, "%" PRIu64 " MiB", bytes / MIB);
        else if (bytes >= KIB && bytes % KIB == 0)
                (void) snprintf(buf, size, "%" PRIu64 " KiB", bytes / KIB);
        else
                (void) snprintf(buf, size, "%" PRIu64 " bytes", bytes);
}

/* Collects "; "-separated reasons. */
typedef struct Reasons {
        FILE *f;
        char *text;
        size_t size;
        size_t n;
} Reasons;

static void reason_add(Reasons *r, const char *format, ...) _printf_(2, 3);
static void reason_add(Reasons *r, const char *format, ...) {
        va_list ap;

        if (!r->f)
                return;
        if (r->n++ > 0)
                fputs("; ", r->f);
        va_start(ap, format);
        vfprintf(r->f, format, ap);
        va_end(ap);
}

static void child_reasons(Reasons *rs, const ChildOutcome *c, const BacktraceFindings *f, uint64_t timeout_usec) {
        char buf[32], name[16];

        if (c->timed_out) {
                format_duration(timeout_usec, buf, sizeof(buf));
                reason_add(rs, "analysis exceeded the time budget of %s", buf);
        } else if (c->output_overflow) {
                format_size(BACKTRACE_OUTPUT_SIZE_MAX, buf, sizeof(buf));
                reason_add(rs, "analysis output exceeded %s", buf);
        } else if (WIFSIGNALED(c->status)) {
                int sig = WTERMSIG(c->status);
                if (sig == SIGXCPU) {
                        format_duration(timeout_usec, buf, sizeof(buf));
                        reason_add(rs, "analysis exceeded its CPU time budget of %s", buf);
                } else {
                        const char *s = signal_to_name(sig, name);
                        reason_add(rs, "analysis child was killed by signal %d%s%s%s", sig,
                                   s ? " (" : "", s ?: "", s ? ")" : "");
                }
        } else if (f->error)
                reason_add(rs, "%s", f->error);
        else if (WIFEXITED(c->status) && WEXITSTATUS(c->status) != 0)
                reason_add(rs, "analysis child exited with status %d", WEXITSTATUS(c->status));
        else if (!f->ended)
                reason_add(rs, "analysis ended early");
}

static void finding_reasons(Reasons *rs, const BacktraceFindings *f, uint64_t memory_max, bool text_truncated) {
        const BacktraceThread *crashing = backtrace_findings_crashing_thread(f);
        size_t cut = 0;
        char buf[32];

        if (f->memory_note) {
                format_size(memory_max, buf, sizeof(buf));
                reason_add(rs, "analysis ran short of its memory budget of %s: %s", buf, f->memory_note);
        }
        if (f->has_core && f->core_size < f->core_expected_size)
                reason_add(rs, "the core is truncated (%" PRIu64 " of %" PRIu64 " bytes)",
                           f->core_size, f->core_expected_size);
        if (crashing && crashing->n_frames == 0)
                reason_add(rs, "the crashing thread could not be unwound%s%s",
                           crashing->unwind_error ? ": " : "", crashing->unwind_error ?: "");
        if (f->modules_truncated)
                reason_add(rs, "modules beyond the first %d were not listed", BACKTRACE_MODULES_MAX);
        if (f->threads_truncated)
                reason_add(rs, "threads beyond the first %d were not unwound", BACKTRACE_THREADS_MAX);
        for (size_t i = 0; i < f->n_threads; i++)
                if (f->threads[i].frames_truncated)
                        cut++;
        if (cut > 0)
                reason_add(rs, "frames beyond the first %d were not unwound in %zu thread%s",
                           BACKTRACE_FRAMES_MAX, cut, cut == 1 ? "" : "s");
        if (text_truncated) {
                format_size(BACKTRACE_TEXT_SIZE_MAX, buf, sizeof(buf));
                reason_add(rs, "stack trace text cut at %s", buf);
        }
        if (f->malformed)
                reason_add(rs, "some analysis output was malformed and dropped");
}

static int build_result(const BacktraceFindings *f, const ChildOutcome *c, const BacktraceOptions *o,
                        uint64_t timeout_usec, uint64_t memory, BacktraceResult *res) {
        _cleanup_(json_object_putp) json_object *metadata = NULL;
        Reasons rs = {};
        bool text_truncated = false;
        const BacktraceModule *main_module;
        int r;

        r = backtrace_format_text(f, &res->text, &text_truncated);
        if (r < 0)
                return r;
        r = backtrace_format_package_json(f, &res->package_json);
        if (r < 0)
                return r;

        main_module = backtrace_format_main_module(f, o->exe);
        if (main_module) {
                r = backtrace_format_package_metadata(main_module, &metadata);
                if (r < 0)
                        return r;
                /* systemd sets both fields only when the note names a package. */
                if (backtrace_json_get_string(metadata, "name")) {
                        r = backtrace_format_note_string(metadata, "name", &res->package_name);
                        if (r >= 0)
                                r = backtrace_format_note_string(metadata, "version", &res->package_version);
                        if (r < 0)
                                return r;
                }
        }

        r = backtrace_signature(f, &res->signature);
        if (r < 0 && r != -ENODATA)
                return r;

        rs.f = open_memstream(&rs.text, &rs.size);
        if (!rs.f)
                return -ENOMEM;
        child_reasons(&rs, c, f, timeout_usec);
        finding_reasons(&rs, f, memory, text_truncated);
        if (fflush(rs.f) != 0 || ferror(rs.f)) {
                (void) fclose(rs.f);
                free(rs.text);
                return -ENOMEM;
        }
        (void) fclose(rs.f);
        if (rs.n > 0) {
                res->partial = true;
                res->partial_reason = rs.text;
        } else
                free(rs.text);

        if (f->n_compressed_debuginfo > 0) {
                res->compressed_debuginfo = calloc(f->n_compressed_debuginfo + 1, sizeof(char *));
                if (!res->compressed_debuginfo)
                        return -ENOMEM;
                for (size_t i = 0; i < f->n_compressed_debuginfo; i++)
                        if (!(res->compressed_debuginfo[i] = strdup(f->compressed_debuginfo[i])))
                                return -ENOMEM;
        }

        return backtrace_format_json(f, res->signature, res->partial_reason, &res->json);
}

int backtrace_analyze(int core_fd, const BacktraceOptions *o, BacktraceResult *ret) {
        _cleanup_(closep) int read_fd = -EBADF, write_fd = -EBADF;
        _cleanup_(backtrace_findings_done) BacktraceFindings f = {};
        BacktraceResult res = {};
        ChildOutcome c = {};
        uint64_t start, timeout, memory;
        struct stat st;
        int fds[2], r;
        pid_t pid;

        if (core_fd < 0 || !o || !ret)
                return -EINVAL;
        if (fstat(core_fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADF;

        timeout = o->timeout_usec > 0 ? o->timeout_usec : BACKTRACE_TIMEOUT_USEC_DEFAULT;
        memory = o->memory_max > 0 ? o->memory_max : BACKTRACE_MEMORY_MAX_DEFAULT;
        BacktraceSandbox sandbox = {
                .uid = o->uid,
                .gid = o->gid,
                .cpu_usec = timeout,
                .memory_max = memory,
                .core_size = (uint64_t) st.st_size,
                .debuginfod = o->debuginfod,
                .parent = getpid(),
        };

        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        read_fd = fds[0];
        write_fd = fds[1];

        start = io_now_monotonic_usec();
        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                read_fd = safe_close(read_fd);
                child_main(core_fd, write_fd, o, &sandbox);
        }
        write_fd = safe_close(write_fd);

        r = collect_child(pid, read_fd, start + timeout, &c);
        if (r < 0) {
                free(c.output);
                return r;
        }
        res.usec = io_now_monotonic_usec() - start;
        res.max_rss = c.max_rss;

        r = backtrace_findings_add_output(&f, c.output ?: "", c.size);
        free(c.output);
        c.output = NULL;
        if (r >= 0)
                r = build_result(&f, &c, o, timeout, memory, &res);
        if (r < 0) {
                backtrace_result_done(&res);
                return r;
        }

        *ret = res;
        return 0;
}

void backtrace_result_done(BacktraceResult *r) {
        if (!r)
                return;
        free(r->text);
        free(r->json);
        free(r->package_json);
        free(r->package_name);
        free(r->package_version);
        free(r->signature);
        free(r->partial_reason);
        strv_free(r->compressed_debuginfo);
        *r = (BacktraceResult) {};
}
