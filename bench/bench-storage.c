/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Micro-benchmark of collect_storage_save(): how long the read loop keeps a (simulated) crasher
 * parked, and how long the work after EOF takes, for each way of storing. Not part of the tests.
 *
 * A child process plays the kernel: it writes a stream into a pipe in 4 KiB writes, made of a real
 * core file's bytes repeated up to TOTAL_MIB, with ZERO_PERCENT of its 1 MiB blocks replaced by
 * zeros (untouched anonymous memory arrives as literal zeros in pipe mode).
 *
 * Build (from the source root, after ninja -C build):
 *   cc -O2 -D_GNU_SOURCE -Ibuild -Isrc/shared -Isrc/export -Isrc/collect bench/bench-storage.c \
 *      build/src/collect/libcollect.a build/src/export/libexport.a build/src/shared/libshared.a \
 *      -lzstd -lacl -lsystemd -o build/bench-storage
 * Run:
 *   build/bench-storage CORE_FILE [TOTAL_MIB [ZERO_PERCENT [REPEATS [DIR]]]]
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "collect-storage.h"
#include "io.h"

#define BLOCK ((size_t) 1024 * 1024)

static const uint8_t *core_data;
static size_t core_size;
static uint64_t total_bytes;
static unsigned zero_percent;

static bool block_is_zero(uint64_t block) {
        /* spread the zero blocks evenly; block 0 keeps the ELF head */
        return block > 0 && (block * zero_percent) % 100 < zero_percent;
}

static void writer(int fd) {
        static uint8_t zeros[4096];
        uint64_t off = 0;

        while (off < total_bytes) {
                uint64_t block = off / BLOCK;
                size_t n = 4096;
                const uint8_t *src;

                if (block_is_zero(block))
                        src = zeros;
                else {
                        size_t at = (size_t) (off % core_size);
                        if (n > core_size - at)
                                n = core_size - at;
                        src = core_data + at;
                }
                if (n > total_bytes - off)
                        n = (size_t) (total_bytes - off);
                if (io_write_all(fd, src, n) < 0)
                        _exit(EXIT_FAILURE);
                off += n;
        }
        _exit(EXIT_SUCCESS);
}

static int start_writer(pid_t *ret_pid) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(p[0]);
                writer(p[1]);
        }
        close(p[1]);
        *ret_pid = pid;
        return p[0];
}

typedef struct Config {
        const char *name;
        CoredumpStorage storage;
        bool compress;
        int level, workers;
        bool floor;
} Config;

typedef struct Sample {
        uint64_t read_usec, finish_usec, file_size, written;
        uint64_t cpu_usec; /* user + system time of this process (reader and zstd workers) */
} Sample;

static uint64_t cpu_now(void) {
        struct rusage ru;
        (void) getrusage(RUSAGE_SELF, &ru);
        return (uint64_t) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
               (uint64_t) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* One save of a fresh stream under configuration c. */
static int run_once(const Config *c, int dir_fd, Sample *ret) {
        Sample s = {};
        pid_t pid = 0;
        uint64_t cpu0 = cpu_now();
        int status, fd = start_writer(&pid);
        if (fd < 0)
                return fd;

        if (c->floor) {
                _cleanup_(freep) uint8_t *buf = malloc(BLOCK);
                uint64_t t0 = io_now_monotonic_usec();
                if (!buf)
                        return -ENOMEM;
                (void) fcntl(fd, F_SETPIPE_SZ, 1024 * 1024);
                while (read(fd, buf, BLOCK) > 0)
                        ;
                close(fd);
                s.read_usec = io_now_monotonic_usec() - t0;
        } else {
                CollectStorageParams p;
                CollectStorageResult res;
                collect_storage_params_init(&p);
                p.storage = c->storage;
                p.compress = c->compress;
                p.zstd_level = c->level;
                p.zstd_workers = c->workers;
                p.journal_size_max = UINT64_MAX;
                p.dir_fd = dir_fd;
                p.filename = "core.bench";
                int r = collect_storage_save(fd, &p, NULL, &res);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", c->name, strerror(-r));
                        return r;
                }
                s = (Sample) { res.read_usec, res.finish_usec, res.file_size, res.written };
                if (c->storage != COREDUMP_STORAGE_NONE && !res.stored)
                        fprintf(stderr, "%s: not stored (%s)\n", c->name,
                                collect_storage_reason_to_string(res.reason));
                collect_storage_result_done(&res);
                (void) unlinkat(dir_fd, "core.bench", 0);
        }
        s.cpu_usec = cpu_now() - cpu0;
        (void) waitpid(pid, &status, 0);
        *ret = s;
        return 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned n) {
        qsort(v, n, sizeof(v[0]), cmp_u64);
        return v[n / 2];
}

int main(int argc, char **argv) {
        _cleanup_(freep) char *data = NULL;
        _cleanup_(closep) int dir_fd = -EBADF;
        unsigned repeats;
        const char *dir;

        if (argc < 2) {
                fprintf(stderr, "usage: %s CORE_FILE [TOTAL_MIB [ZERO_PERCENT [REPEATS [DIR]]]]\n", argv[0]);
                return EXIT_FAILURE;
        }
        if (io_read_file_at(AT_FDCWD, argv[1], (size_t) 4 << 30, &data, &core_size) < 0 || core_size == 0) {
                fprintf(stderr, "cannot read %s\n", argv[1]);
                return EXIT_FAILURE;
        }
        core_data = (const uint8_t *) data;
        total_bytes = (argc > 2 ? strtoull(argv[2], NULL, 10) : 1024) * BLOCK;
        zero_percent = argc > 3 ? (unsigned) atoi(argv[3]) : 50;
        repeats = argc > 4 ? (unsigned) atoi(argv[4]) : 5;
        if (repeats < 1 || repeats > 64 || zero_percent > 100)
                return EXIT_FAILURE;
        dir = argc > 5 ? argv[5] : "/var/tmp";
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) {
                perror(dir);
                return EXIT_FAILURE;
        }

        printf("stream %" PRIu64 " MiB, %u%% zero blocks, median of %u\n", total_bytes / BLOCK, zero_percent, repeats);

        const Config configs[] = {
                { "floor (read only)", .floor = true },
                { "Storage=none", COREDUMP_STORAGE_NONE },
                { "journal memfd", COREDUMP_STORAGE_JOURNAL },
                { "external sparse", COREDUMP_STORAGE_EXTERNAL, false },
                { "zstd level 1, 0 thr", COREDUMP_STORAGE_EXTERNAL, true, 1, 0 },
                { "zstd level 1, 1 thr", COREDUMP_STORAGE_EXTERNAL, true, 1, 1 },
                { "zstd level 1, 2 thr", COREDUMP_STORAGE_EXTERNAL, true, 1, 2 },
                { "zstd level 3, 0 thr", COREDUMP_STORAGE_EXTERNAL, true, 3, 0 },
                { "zstd level 3, 1 thr", COREDUMP_STORAGE_EXTERNAL, true, 3, 1 },
                { "zstd level 3, 2 thr", COREDUMP_STORAGE_EXTERNAL, true, 3, 2 },
        };
        /* Rounds over all configurations, so drift in the machine's state hits each alike. */
        static Sample samples[ELEMENTSOF(configs)][64];
        for (unsigned round = 0; round < repeats; round++)
                for (size_t i = 0; i < ELEMENTSOF(configs); i++) {
                        if (argc > 6 && !strstr(configs[i].name, argv[6]))
                                continue;
                        if (run_once(&configs[i], dir_fd, &samples[i][round]) < 0)
                                return EXIT_FAILURE;
                }

        for (size_t i = 0; i < ELEMENTSOF(configs); i++) {
                uint64_t rd[64], fin[64], cpu[64];
                if (argc > 6 && !strstr(configs[i].name, argv[6]))
                        continue;
                for (unsigned k = 0; k < repeats; k++) {
                        rd[k] = samples[i][k].read_usec;
                        fin[k] = samples[i][k].finish_usec;
                        cpu[k] = samples[i][k].cpu_usec;
                }
                uint64_t rd_median = median(rd, repeats), fin_median = median(fin, repeats);
                uint64_t cpu_median = median(cpu, repeats);
                printf("%-22s to EOF %7.3f s (min %6.3f, max %6.3f)  after EOF %6.3f s  CPU %6.3f s  file %7.1f MiB  on disk %7.1f MiB\n",
                       configs[i].name, rd_median / 1e6, rd[0] / 1e6, rd[repeats - 1] / 1e6,
                       fin_median / 1e6, cpu_median / 1e6, samples[i][0].file_size / 1048576.0,
                       samples[i][0].written / 1048576.0);
        }
        return EXIT_SUCCESS;
}
