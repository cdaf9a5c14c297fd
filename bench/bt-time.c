/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Times corejournal's stack trace path on a full core file, for bench/backtrace.sh:
 *
 *   bt-time CORE EXE
 *
 * Reads CORE in 1 MiB chunks through collect_core_feed() + collect_compact_feed() (as the handler
 * does with the core pipe; nothing is skipped), builds the compact core (memfd), and runs
 * backtrace_analyze() on it as 65534:65534 with EXE as the main module, defaults otherwise.
 * Prints one line: compact=BYTES analysis_usec=N child_rss=BYTES build_usec=N frames_text=LINES
 * partial=0|1. build_usec is reading the file + feeding + collect_compact_build(). Needs root (the
 * analysis child drops to 65534). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backtrace-analyze.h"
#include "backtrace-debuginfo.h"
#include "collect-compact.h"
#include "collect-core.h"

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

int main(int argc, char **argv) {
        if (argc != 3 && argc != 4) {
                fprintf(stderr, "usage: bt-time CORE EXE [DEBUGINFO-CACHE-DIR]\n");
                return 2;
        }
        /* With a cache directory: search it first, and fill it after the analysis, as the
         * capture path does after delivering the record. */
        const char *cache = argc == 4 ? argv[3] : NULL;
        char *path = NULL;
        if (cache && backtrace_debuginfo_path(cache, &path) < 0)
                return 1;
        enum { CHUNK = 1 << 20 };
        uint8_t *buf = malloc(CHUNK);
        CollectCore *core = NULL;
        CollectCompact *compact = NULL;
        if (!buf || collect_core_new(&core) < 0 || collect_compact_new(&compact) < 0) {
                fprintf(stderr, "out of memory\n");
                return 1;
        }
        int in = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (in < 0) {
                fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
                return 1;
        }

        uint64_t t0 = now_usec(), offset = 0;
        for (;;) {
                ssize_t n = read(in, buf, CHUNK);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "read: %s\n", strerror(errno));
                        return 1;
                }
                if (n == 0)
                        break;
                collect_core_feed(core, buf, (size_t) n);
                collect_compact_feed(compact, collect_core_info(core), offset, buf, (size_t) n);
                offset += (uint64_t) n;
        }
        collect_core_end(core);
        int fd;
        uint64_t size;
        int r = collect_compact_build(compact, collect_core_info(core), &fd, &size);
        uint64_t build_usec = now_usec() - t0;
        if (r < 0) {
                fprintf(stderr, "collect_compact_build: %s\n", strerror(-r));
                return 1;
        }

        BacktraceOptions o = {
                .uid = 65534,
                .gid = 65534,
                .exe = argv[2],
                .debuginfo_path = path,
        };
        BacktraceResult res = {};
        r = backtrace_analyze(fd, &o, &res);
        if (r < 0) {
                fprintf(stderr, "backtrace_analyze: %s\n", strerror(-r));
                return 1;
        }
        unsigned lines = 0;
        for (const char *p = res.text; p && *p; p++)
                lines += *p == '\n';
        printf("compact=%" PRIu64 " analysis_usec=%" PRIu64 " child_rss=%" PRIu64 " build_usec=%" PRIu64
               " text_lines=%u partial=%d\n",
               size, res.usec, res.max_rss, build_usec, lines, res.partial);
        if (res.partial)
                fprintf(stderr, "partial: %s\n", res.partial_reason ?: "?");
        if (getenv("BT_TIME_SHOW"))
                fprintf(stderr, "%s\n", res.text ?: "(no text)");
        size_t n_cache = 0;
        while (cache && res.compressed_debuginfo && res.compressed_debuginfo[n_cache])
                n_cache++;
        if (n_cache > 0)
                (void) backtrace_debuginfo_cache(cache, res.compressed_debuginfo, n_cache, UINT64_MAX);
        free(path);
        backtrace_result_done(&res);
        close(fd);
        close(in);
        collect_compact_free(compact);
        collect_core_free(core);
        free(buf);
        return 0;
}
