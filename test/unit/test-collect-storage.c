/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <acl/libacl.h>
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zstd.h>

#include <cmocka.h>

#include "collect-space.h"
#include "collect-storage.h"
#include "input-limits.h"
#include "io.h"

#define BOOT_ID "0123456789abcdef0123456789abcdef"

static char test_dir[] = "/var/tmp/test-collect-storage-XXXXXX";
static int dir_fd = -EBADF;

/* ---- cores and the "kernel" that writes them ---- */

typedef enum Fill {
        FILL_ZERO,
        FILL_TEXT,   /* compressible */
        FILL_RANDOM, /* incompressible */
} Fill;

typedef struct Core {
        uint8_t *data;
        size_t size;
} Core;

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_random(void) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

/* A kernel-style core: header, n segments of the given sizes and contents, PT_NOTE first. */
static Core build_core(size_t n, const size_t *sizes, const Fill *fills) {
        size_t n_ph = n + 1, off, note_off;
        Core c;

        note_off = sizeof(Elf64_Ehdr) + n_ph * sizeof(Elf64_Phdr);
        off = (note_off + 256 + 4095) / 4096 * 4096;
        c.size = off;
        for (size_t i = 0; i < n; i++)
                c.size += sizes[i];
        c.data = calloc(1, c.size);
        assert_non_null(c.data);

        Elf64_Ehdr e = {
                .e_type = ET_CORE,
                .e_machine = EM_X86_64,
                .e_version = EV_CURRENT,
                .e_phoff = sizeof(Elf64_Ehdr),
                .e_ehsize = sizeof(Elf64_Ehdr),
                .e_phentsize = sizeof(Elf64_Phdr),
                .e_phnum = (uint16_t) n_ph,
        };
        memcpy(e.e_ident, ELFMAG, SELFMAG);
        e.e_ident[EI_CLASS] = ELFCLASS64;
        e.e_ident[EI_DATA] = ELFDATA2LSB;
        e.e_ident[EI_VERSION] = EV_CURRENT;
        memcpy(c.data, &e, sizeof(e));

        Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = note_off, .p_filesz = 256 };
        memcpy(c.data + sizeof(e), &note, sizeof(note));
        memset(c.data + note_off, 'N', 256);
        for (size_t i = 0; i < n; i++) {
                Elf64_Phdr p = { .p_type = PT_LOAD, .p_offset = off, .p_filesz = sizes[i], .p_memsz = sizes[i] };
                memcpy(c.data + sizeof(e) + (i + 1) * sizeof(p), &p, sizeof(p));
                for (size_t k = 0; k < sizes[i]; k++) {
                        if (fills[i] == FILL_TEXT)
                                c.data[off + k] = "core dump text "[k % 15] ^ (uint8_t) (k / 4096);
                        else if (fills[i] == FILL_RANDOM)
                                c.data[off + k] = (uint8_t) next_random();
                }
                off += sizes[i];
        }
        return c;
}

static Core build_simple(size_t text, size_t zero, size_t random) {
        const size_t sizes[] = { text, zero, random };
        const Fill fills[] = { FILL_TEXT, FILL_ZERO, FILL_RANDOM };
        return build_core(3, sizes, fills);
}

typedef struct Feeder {
        pid_t pid;
        int fd;
} Feeder;

/* A child writes data (size bytes of it) into a pipe in uneven pieces, as the kernel feeds the
 * helper; returns the read end. The child exits 0 only when every byte was taken. */
static Feeder feed(const uint8_t *data, size_t size) {
        int p[2];
        Feeder f;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        f.pid = fork();
        assert_true(f.pid >= 0);
        if (f.pid == 0) {
                size_t off = 0, k = 0;
                close(p[0]);
                while (off < size) {
                        size_t n = (size_t[]) { 4096, 100, 65536, 7, 12288 }[k++ % 5];
                        if (n > size - off)
                                n = size - off;
                        if (io_write_all(p[1], data + off, n) < 0)
                                _exit(EXIT_FAILURE);
                        off += n;
                }
                _exit(EXIT_SUCCESS);
        }
        close(p[1]);
        f.fd = p[0];
        return f;
}

/* The feeder finished: every byte was read (drained), none refused with EPIPE. */
static void assert_fed(Feeder f) {
        int status;
        assert_int_equal(waitpid(f.pid, &status, 0), f.pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static CollectStorageParams external(const char *name, bool compress) {
        CollectStorageParams p;
        collect_storage_params_init(&p);
        p.storage = COREDUMP_STORAGE_EXTERNAL;
        p.compress = compress;
        p.dir_fd = dir_fd;
        p.filename = name;
        return p;
}

static void save(const Core *c, const CollectStorageParams *p, CollectStorageResult *res) {
        Feeder f = feed(c->data, c->size);
        assert_int_equal(collect_storage_save(f.fd, p, NULL, res), 0);
        assert_int_equal(fcntl(f.fd, F_GETFD), -1); /* the input was closed */
        assert_fed(f);
        assert_int_equal(res->received, c->size);
}

static size_t count_entries(void) {
        DIR *d = opendir(test_dir);
        size_t n = 0;
        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static uint8_t *read_file(const char *name, size_t *ret_size) {
        char *data = NULL;
        _cleanup_(closep) int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(io_read_all(fd, (size_t) 1 << 30, &data, ret_size) >= 0);
        return (uint8_t *) data;
}

static uint8_t *zstd_decompress(const uint8_t *src, size_t size, size_t *ret_size) {
        ZSTD_DCtx *d = ZSTD_createDCtx();
        size_t cap = 1 << 20, used = 0;
        uint8_t *out = malloc(cap);
        ZSTD_inBuffer in = { src, size, 0 };
        size_t r = 1;

        assert_non_null(d);
        while (in.pos < in.size || r != 0) {
                if (used == cap) {
                        cap *= 2;
                        out = realloc(out, cap);
                        assert_non_null(out);
                }
                ZSTD_outBuffer o = { out + used, cap - used, 0 };
                size_t before = in.pos;
                r = ZSTD_decompressStream(d, &o, &in);
                assert_false(ZSTD_isError(r));
                used += o.pos;
                if (o.pos == 0 && in.pos == before && r != 0 && used < cap)
                        fail_msg("zstd stream ends early");
        }
        ZSTD_freeDCtx(d);
        *ret_size = used;
        return out;
}

static int setup_dir(void **state) {
        strcpy(test_dir, "/var/tmp/test-collect-storage-XXXXXX");
        assert_non_null(mkdtemp(test_dir));
        dir_fd = open(test_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dir_fd >= 0);
        return 0;
}

static int teardown_dir(void **state) {
        DIR *d = opendir(test_dir);
        if (d) {
                for (struct dirent *de; (de = readdir(d));)
                        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                                (void) unlinkat(dirfd(d), de->d_name, 0);
                closedir(d);
        }
        (void) rmdir(test_dir);
        dir_fd = safe_close(dir_fd);
        return 0;
}

/* ---- external storage ---- */

static void test_external_compressed(void **state) {
        Core c = build_simple(3 << 20, 8 << 20, 1 << 20);
        CollectStorageParams p = external("core.comp.1000." BOOT_ID ".42.1700000000000000.zst", true);
        CollectStorageResult res;
        struct stat st;

        save(&c, &p, &res);
        assert_true(res.stored);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_NONE);
        assert_string_equal(res.filename, p.filename);
        assert_int_equal(res.expected_size, c.size);
        assert_false(res.truncated);
        assert_false(res.exceeds_process_size_max);
        assert_int_equal(res.memfd, -EBADF);

        assert_int_equal(fstatat(dir_fd, p.filename, &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(st.st_uid, geteuid());
        assert_int_equal(st.st_nlink, 1);
        assert_int_equal(res.file_size, st.st_size);
        assert_int_equal(res.written, (uint64_t) st.st_blocks * 512);
        assert_true(res.file_size < c.size / 4);

        size_t zsize, size;
        _cleanup_(freep) uint8_t *z = read_file(p.filename, &zsize);
        _cleanup_(freep) uint8_t *plain = zstd_decompress(z, zsize, &size);
        assert_int_equal(size, c.size);
        assert_memory_equal(plain, c.data, c.size);
        /* the zero region became frames of their own */
        assert_true(ZSTD_findFrameCompressedSize(z, zsize) < zsize);

        /* the zstd tool reads it too */
        char cmd[512];
        (void) snprintf(cmd, sizeof(cmd), "zstd -q -t '%s/%s'", test_dir, p.filename);
        if (access("/usr/bin/zstd", X_OK) == 0)
                assert_int_equal(system(cmd), 0);

        assert_true(res.read_usec > 0);
        assert_int_equal(count_entries(), 1);
        collect_storage_result_done(&res);
        free(c.data);
}

/* Incompressible data goes out as raw zstd frames (a copy), compressible data around it is still
 * compressed: text, 40 MiB of random bytes, text again. The file decompresses to the core. */
static void test_incompressible_raw_frames(void **state) {
        const size_t sizes[] = { 6 << 20, 40 << 20, 6 << 20, 40 << 20 };
        const Fill fills[] = { FILL_TEXT, FILL_RANDOM, FILL_TEXT, FILL_TEXT };
        Core c = build_core(4, sizes, fills);
        CollectStorageParams p = external("core.raw.1000." BOOT_ID ".42.1700000000000000.zst", true);
        CollectStorageResult res;

        save(&c, &p, &res);
        assert_true(res.stored);

        size_t zsize, size, frames = 0, raw_frames = 0;
        _cleanup_(freep) uint8_t *z = read_file(p.filename, &zsize);
        _cleanup_(freep) uint8_t *plain = zstd_decompress(z, zsize, &size);
        assert_int_equal(size, c.size);
        assert_memory_equal(plain, c.data, c.size);

        /* Walk the frames: the random part is mostly raw-block frames (header byte 0xa0, first
         * block of type raw), and the file is barely larger than the random part plus the
         * compressed text, i.e. the text after it was compressed again (the probe). */
        for (size_t off = 0; off < zsize;) {
                size_t n = ZSTD_findFrameCompressedSize(z + off, zsize - off);
                assert_false(ZSTD_isError(n));
                if (z[off + 4] == 0xa0 && ((z[off + 9] >> 1) & 3) == 0)
                        raw_frames++;
                frames++;
                off += n;
        }
        print_message("%zu frames, %zu raw; %zu bytes for a %zu-byte core\n", frames, raw_frames, zsize, c.size);
        assert_true(raw_frames >= 30 && raw_frames <= 38);
        assert_true(zsize < (size_t) (40 << 20) + (4 << 20));

        char cmd[512];
        (void) snprintf(cmd, sizeof(cmd), "zstd -q -t '%s/%s'", test_dir, p.filename);
        if (access("/usr/bin/zstd", X_OK) == 0)
                assert_int_equal(system(cmd), 0);
        collect_storage_result_done(&res);
        free(c.data);
}

static void test_external_sparse(void **state) {
        Core c = build_simple(64 * 1024, 64 << 20, 64 * 1024);
        CollectStorageParams p = external("core.sparse.1000." BOOT_ID ".42.1700000000000000", false);
        CollectStorageResult res;
        struct stat st;

        save(&c, &p, &res);
        assert_true(res.stored);
        assert_int_equal(fstatat(dir_fd, p.filename, &st, 0), 0);
        assert_int_equal(st.st_size, c.size);
        assert_int_equal(res.file_size, c.size);
        assert_int_equal(res.written, (uint64_t) st.st_blocks * 512);
        /* 64 MiB of zeros stayed holes */
        assert_true((uint64_t) st.st_blocks * 512 < c.size / 16);

        size_t size;
        _cleanup_(freep) uint8_t *back = read_file(p.filename, &size);
        assert_int_equal(size, c.size);
        assert_memory_equal(back, c.data, c.size);
        collect_storage_result_done(&res);
        free(c.data);

        /* a core that ends in zeros still has its full length */
        Core tail = build_simple(4096, 0, 0);
        tail.data = realloc(tail.data, tail.size + 3 * 4096 + 5);
        memset(tail.data + tail.size, 0, 3 * 4096 + 5);
        tail.size += 3 * 4096 + 5;
        p.filename = "core.tail.1000." BOOT_ID ".42.1700000000000000";
        save(&tail, &p, &res);
        assert_true(res.stored);
        assert_int_equal(fstatat(dir_fd, p.filename, &st, 0), 0);
        assert_int_equal(st.st_size, tail.size);
        collect_storage_result_done(&res);
        free(tail.data);
}

static void test_external_size_max(void **state) {
        Core c = build_simple(1 << 20, 2 << 20, 1 << 20);
        CollectStorageResult res;
        _cleanup_(freep) char *msg = NULL;

        /* uncompressed: ExternalSizeMax= is on the core's size, refused as soon as the headers
         * tell, the rest drained */
        CollectStorageParams p = external("core.big.1000." BOOT_ID ".42.1700000000000000", false);
        p.external_size_max = 1 << 20;
        save(&c, &p, &res);
        assert_false(res.stored);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_EXTERNAL_SIZE_MAX);
        assert_int_equal(res.limit, 1 << 20);
        assert_int_equal(res.size, c.size);
        assert_null(res.filename);
        assert_false(res.truncated);
        assert_int_equal(count_entries(), 0);
        assert_int_equal(collect_storage_describe(&res, &msg), 0);
        char want[200];
        (void) snprintf(want, sizeof(want),
                        "The core will not be stored: size %zu is greater than 1048576 (the configured maximum)", c.size);
        assert_string_equal(msg, want);
        collect_storage_result_done(&res);

        /* compressed: on the compressed size, so a compressible core of 4 MiB passes 1 MiB... */
        Core text = build_simple(4 << 20, 0, 0);
        p = external("core.text.1000." BOOT_ID ".42.1700000000000000.zst", true);
        p.external_size_max = 1 << 20;
        p.process_size_max = 8 << 20;
        save(&text, &p, &res);
        assert_true(res.stored);
        assert_true(res.file_size <= 1 << 20);
        assert_int_equal(unlinkat(dir_fd, p.filename, 0), 0);
        collect_storage_result_done(&res);

        /* ... random bytes do not */
        Core noise = build_simple(0, 0, 3 << 20);
        p.filename = "core.noise.1000." BOOT_ID ".42.1700000000000000.zst";
        save(&noise, &p, &res);
        assert_false(res.stored);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_EXTERNAL_SIZE_MAX);
        assert_true(res.size > 1 << 20);
        assert_int_equal(count_entries(), 0);
        collect_storage_result_done(&res);

        /* a stream longer than max(ProcessSizeMax=, ExternalSizeMax=) is where systemd stops */
        p.filename = "core.long.1000." BOOT_ID ".42.1700000000000000.zst";
        p.process_size_max = 2 << 20;
        save(&text, &p, &res);
        assert_false(res.stored);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_PROCESS_SIZE_MAX);
        assert_int_equal(res.limit, 2 << 20);
        assert_true(res.exceeds_process_size_max);
        assert_string_equal(collect_storage_reason_to_string(res.reason), "exceeds ProcessSizeMax");
        assert_int_equal(count_entries(), 0);
        collect_storage_result_done(&res);

        /* without headers to tell, the limit stops the stream once passed */
        uint8_t *junk = calloc(1, 3 << 20);
        memset(junk, 'j', 3 << 20);
        Core raw = { junk, 3 << 20 };
        p = external("core.junk.1000." BOOT_ID ".42.1700000000000000", false);
        p.external_size_max = (1 << 20) + 1;
        save(&raw, &p, &res);
        assert_false(res.stored);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_EXTERNAL_SIZE_MAX);
        assert_int_equal(res.expected_size, 0);
        assert_true(res.size > (1 << 20) + 1 && res.size <= 3 << 20);
        assert_int_equal(count_entries(), 0);
        collect_storage_result_done(&res);

        free(junk);
        free(noise.data);
        free(text.data);
        free(c.data);
}

static void test_disk_budget(void **state) {
        Core c = build_simple(0, 0, 2 << 20);
        CollectStorageParams p = external("core.budget.1000." BOOT_ID ".42.1700000000000000", false);
        CollectSpaceAdmission space;
        CollectStorageResult res;

        /* MaxUse= leaves 1 MiB: the core is dropped mid-stream, nothing is linked */
        collect_space_compute(100ULL << 30, 50ULL << 30, 10 << 20, 0, 9 << 20, &space);
        assert_true(space.allowed);
        assert_int_equal(space.budget, 1 << 20);
        p.space = &space;
        save(&c, &p, &res);
        assert_false(res.stored);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_MAX_USE);
        assert_int_equal(res.limit, 1 << 20);
        assert_int_equal(count_entries(), 0);
        collect_storage_result_done(&res);

        /* KeepFree= already reached: refused before a byte is written */
        collect_space_compute(100ULL << 30, 1 << 20, 0, 2 << 20, 0, &space);
        assert_false(space.allowed);
        assert_int_equal(space.limit, COLLECT_SPACE_LIMIT_KEEP_FREE);
        save(&c, &p, &res);
        assert_false(res.stored);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_KEEP_FREE);
        assert_int_equal(count_entries(), 0);
        collect_storage_result_done(&res);

        /* enough room */
        collect_space_compute(100ULL << 30, 50ULL << 30, 100 << 20, 0, 0, &space);
        save(&c, &p, &res);
        assert_true(res.stored);
        collect_storage_result_done(&res);
        free(c.data);
}

static void test_truncated_core_is_stored(void **state) {
        Core c = build_simple(1 << 20, 1 << 20, 0);
        CollectStorageParams p = external("core.cut.1000." BOOT_ID ".42.1700000000000000.zst", true);
        CollectStorageResult res;
        size_t cut = c.size - 12345;

        Feeder f = feed(c.data, cut);
        assert_int_equal(collect_storage_save(f.fd, &p, NULL, &res), 0);
        assert_fed(f);
        assert_true(res.stored);
        assert_true(res.truncated);
        assert_int_equal(res.received, cut);
        assert_int_equal(res.expected_size, c.size);
        collect_storage_result_done(&res);
        free(c.data);
}

static void test_empty_stream(void **state) {
        CollectStorageParams p = external("core.empty.1000." BOOT_ID ".42.1700000000000000.zst", true);
        CollectStorageResult res;
        uint8_t none = 0;

        Feeder f = feed(&none, 0);
        assert_int_equal(collect_storage_save(f.fd, &p, NULL, &res), 0);
        assert_fed(f);
        assert_true(res.stored);
        assert_true(res.truncated);
        assert_int_equal(res.received, 0);

        size_t zsize, size;
        _cleanup_(freep) uint8_t *z = read_file(p.filename, &zsize);
        assert_true(zsize > 0); /* one empty frame: a valid .zst */
        _cleanup_(freep) uint8_t *plain = zstd_decompress(z, zsize, &size);
        assert_int_equal(size, 0);
        collect_storage_result_done(&res);
}

static void test_never_overwrites(void **state) {
        Core c = build_simple(4096, 0, 0);
        CollectStorageParams p = external("core.exists.1000." BOOT_ID ".42.1700000000000000.zst", true);
        CollectStorageResult res;
        _cleanup_(freep) char *msg = NULL;

        _cleanup_(closep) int fd = openat(dir_fd, p.filename, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(io_write_all(fd, "old", 3), 0);

        save(&c, &p, &res);
        assert_false(res.stored);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_EXISTS);
        assert_int_equal(res.error, -EEXIST);
        assert_int_equal(collect_storage_describe(&res, &msg), 0);
        assert_non_null(msg);

        size_t size;
        _cleanup_(freep) uint8_t *back = read_file(p.filename, &size);
        assert_int_equal(size, 3);
        assert_memory_equal(back, "old", 3);
        assert_int_equal(count_entries(), 1);
        collect_storage_result_done(&res);
        free(c.data);
}

static void test_xattrs(void **state) {
        Core c = build_simple(4096, 4096, 0);
        CollectStorageParams p = external("core.x.1000." BOOT_ID ".4242.1700000000000000.zst", true);
        const CollectStorageXattrs x = {
                .pid = "4242",
                .uid = "1000",
                .gid = "1000",
                .signal = "11",
                .timestamp = "1700000000000000",
                .rlimit = "18446744073709551615",
                .hostname = "host.example",
                .comm = "my prog\\303\\251",
                .exe = "/usr/bin/my prog",
        };
        CollectStorageXattrs y = x;
        y.exe = ""; /* left out, as systemd leaves out empty values */
        CollectStorageResult res;

        p.xattrs = &y;
        save(&c, &p, &res);
        assert_true(res.stored);
        if (res.xattr_error == -EOPNOTSUPP) {
                collect_storage_result_done(&res);
                free(c.data);
                skip();
        }
        assert_int_equal(res.xattr_error, 0);

        char path[256], value[256];
        (void) snprintf(path, sizeof(path), "%s/%s", test_dir, p.filename);
        const struct {
                const char *name, *value;
        } want[] = {
                { "user.coredump.pid", x.pid },
                { "user.coredump.uid", x.uid },
                { "user.coredump.gid", x.gid },
                { "user.coredump.signal", x.signal },
                { "user.coredump.timestamp", x.timestamp },
                { "user.coredump.rlimit", x.rlimit },
                { "user.coredump.hostname", x.hostname },
                { "user.coredump.comm", x.comm },
        };
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                ssize_t n = getxattr(path, want[i].name, value, sizeof(value));
                assert_int_equal(n, strlen(want[i].value)); /* no trailing NUL */
                assert_memory_equal(value, want[i].value, (size_t) n);
        }
        assert_int_equal(getxattr(path, "user.coredump.exe", value, sizeof(value)), -1);
        assert_int_equal(errno, ENODATA);
        collect_storage_result_done(&res);
        free(c.data);
}

/* The ACL entries of a file as text, e.g. "user::rw-,user:1000:r--,group::r--,mask::r--,other::---". */
static char *acl_text(const char *name) {
        char path[256];
        (void) snprintf(path, sizeof(path), "%s/%s", test_dir, name);
        acl_t acl = acl_get_file(path, ACL_TYPE_ACCESS);
        assert_non_null(acl);
        char *t = acl_to_any_text(acl, NULL, ',', TEXT_NUMERIC_IDS);
        assert_non_null(t);
        char *s = strdup(t);
        acl_free(t);
        acl_free(acl);
        return s;
}

static void test_acl(void **state) {
        Core c = build_simple(4096, 0, 0);
        CollectStorageResult res;
        _cleanup_(freep) char *granted = NULL, *plain = NULL, *system_user = NULL;

        CollectStorageParams p = external("core.acl.1000." BOOT_ID ".1.1700000000000000.zst", true);
        p.grant_read = true;
        p.read_uid = 1000;
        save(&c, &p, &res);
        assert_true(res.stored);
        if (res.acl_error == -EOPNOTSUPP) {
                collect_storage_result_done(&res);
                free(c.data);
                skip();
        }
        assert_int_equal(res.acl_error, 0);
        assert_true(res.acl_granted);
        granted = acl_text(p.filename);
        assert_string_equal(granted, "user::rw-,user:1000:r--,group::r--,mask::r--,other::---");
        collect_storage_result_done(&res);

        /* not asked: no ACL beyond the mode */
        p.filename = "core.noacl.1000." BOOT_ID ".2.1700000000000000.zst";
        p.grant_read = false;
        save(&c, &p, &res);
        assert_false(res.acl_granted);
        plain = acl_text(p.filename);
        assert_string_equal(plain, "user::rw-,group::r--,other::---");
        collect_storage_result_done(&res);

        /* asked, but for a system user: systemd gives none */
        p.filename = "core.sys.999." BOOT_ID ".3.1700000000000000.zst";
        p.grant_read = true;
        p.read_uid = 999;
        save(&c, &p, &res);
        assert_false(res.acl_granted);
        system_user = acl_text(p.filename);
        assert_string_equal(system_user, "user::rw-,group::r--,other::---");
        collect_storage_result_done(&res);
        free(c.data);
}

/* Where linkat(AT_EMPTY_PATH) is refused (before Linux 6.10 without CAP_DAC_READ_SEARCH; here a
 * seccomp filter in a child refuses it the same way, with ENOENT), the /proc/self/fd link is used. */
static void test_link_fallback(void **state) {
        Core c = build_simple(8192, 4096, 0);
        const char *name = "core.fallback.1000." BOOT_ID ".5.1700000000000000";
        pid_t pid;
        int status;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct sock_filter filter[] = {
                        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_linkat, 0, 3),
                        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4])),
                        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 0, 1),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOENT),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                };
                struct sock_fprog prog = { .len = ELEMENTSOF(filter), .filter = filter };
                CollectStorageResult res;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
                        _exit(10);
                int probe = openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
                if (probe < 0 || linkat(probe, "", dir_fd, "probe", AT_EMPTY_PATH) == 0 || errno != ENOENT)
                        _exit(11);
                close(probe);

                CollectStorageParams p = external(name, false);
                Feeder f = feed(c.data, c.size);
                if (collect_storage_save(f.fd, &p, NULL, &res) < 0 || !res.stored)
                        _exit(12);
                /* and it does not overwrite either */
                f = feed(c.data, c.size);
                if (collect_storage_save(f.fd, &p, NULL, &res) < 0 || res.stored ||
                    res.reason != COLLECT_STORAGE_REASON_EXISTS)
                        _exit(13);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);

        size_t size;
        _cleanup_(freep) uint8_t *back = read_file(name, &size);
        assert_int_equal(size, c.size);
        assert_memory_equal(back, c.data, c.size);
        assert_int_equal(count_entries(), 1);
        free(c.data);
}

/* ---- journal and none ---- */

static void test_journal(void **state) {
        Core c = build_simple(1 << 20, 4 << 20, 4096);
        CollectStorageParams p;
        CollectStorageResult res;
        struct stat st;

        collect_storage_params_init(&p);
        p.storage = COREDUMP_STORAGE_JOURNAL;
        save(&c, &p, &res);
        assert_true(res.stored);
        assert_true(res.memfd >= 0);
        assert_null(res.filename);
        assert_int_equal(fstat(res.memfd, &st), 0);
        assert_int_equal(st.st_size, c.size);
        assert_int_equal(res.file_size, c.size);
        int seals = fcntl(res.memfd, F_GET_SEALS);
        assert_true(seals >= 0);
        assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
                         F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
        /* zero pages cost no memory */
        assert_true((uint64_t) st.st_blocks * 512 < c.size / 2);

        uint8_t *back = malloc(c.size);
        assert_int_equal(pread(res.memfd, back, c.size, 0), (ssize_t) c.size);
        assert_memory_equal(back, c.data, c.size);
        free(back);
        assert_int_equal(count_entries(), 0);
        collect_storage_result_done(&res);
        assert_int_equal(res.memfd, -EBADF);

        /* JournalSizeMax= on the uncompressed size */
        p.journal_size_max = c.size - 1;
        save(&c, &p, &res);
        assert_false(res.stored);
        assert_int_equal(res.memfd, -EBADF);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_JOURNAL_SIZE_MAX);
        assert_int_equal(res.size, c.size);
        collect_storage_result_done(&res);
        free(c.data);
}

static void test_storage_none(void **state) {
        Core c = build_simple(1 << 20, 16 << 20, 4096);
        CollectStorageParams p;
        CollectStorageResult res;
        _cleanup_(collect_core_freep) CollectCore *core = NULL;

        collect_storage_params_init(&p);
        p.storage = COREDUMP_STORAGE_NONE;
        assert_int_equal(collect_core_new(&core), 0);
        Feeder f = feed(c.data, c.size - 1);
        assert_int_equal(collect_storage_save(f.fd, &p, core, &res), 0);
        assert_fed(f);
        assert_false(res.stored);
        assert_int_equal(res.reason, COLLECT_STORAGE_REASON_STORAGE_NONE);
        assert_int_equal(res.received, c.size - 1);
        assert_true(res.truncated);
        /* the caller's reader kept the note */
        assert_int_equal(collect_core_info(core)->note, COLLECT_CORE_NOTE_COMPLETE);
        assert_memory_equal(collect_core_info(core)->note_data, "NNNN", 4);
        assert_int_equal(count_entries(), 0);
        collect_storage_result_done(&res);
        free(c.data);
}

static void test_invalid_params(void **state) {
        Core c = build_simple(4096, 0, 0);
        CollectStorageParams p = external("a/b", true);
        CollectStorageResult res;

        Feeder f = feed(c.data, c.size);
        assert_int_equal(collect_storage_save(f.fd, &p, NULL, &res), -EINVAL);
        assert_int_equal(fcntl(f.fd, F_GETFD), -1); /* taken over all the same */
        (void) waitpid(f.pid, NULL, 0);
        free(c.data);
}

/* ---- file names ---- */

static void test_filename(void **state) {
        const struct {
                const char *comm;
                const char *want;
        } cases[] = {
                { "bash", "core.bash.1000." BOOT_ID ".4242.1700000000000000.zst" },
                { "a.b c", "core.a\\x2eb\\x20c.1000." BOOT_ID ".4242.1700000000000000.zst" },
                { "a/b", "core.a\\x2fb.1000." BOOT_ID ".4242.1700000000000000.zst" },
                { "x\\303\\251", "core.x\\x5c303\\x5c251.1000." BOOT_ID ".4242.1700000000000000.zst" },
                { "\xc3\xa9\t", "core.\\xc3\\xa9\\x09.1000." BOOT_ID ".4242.1700000000000000.zst" },
                { "", "core..1000." BOOT_ID ".4242.1700000000000000.zst" },
                { "Web Content", "core.Web\\x20Content.1000." BOOT_ID ".4242.1700000000000000.zst" },
        };
        char *name = NULL;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(collect_storage_make_filename(cases[i].comm, 1000, BOOT_ID, 4242, 1700000000000000ULL,
                                                               true, &name),
                                 0);
                assert_string_equal(name, cases[i].want);
                free(name);
        }

        assert_int_equal(collect_storage_make_filename("bash", 0, BOOT_ID, 1, 5, false, &name), 0);
        assert_string_equal(name, "core.bash.0." BOOT_ID ".1.5");
        uid_t uid;
        assert_int_equal(collect_space_core_filename_uid(name, &uid), 0);
        assert_int_equal(uid, 0);
        free(name);

        /* very long: cut to CORE_FILENAME_MAX, never inside an escape */
        char comm[600];
        for (size_t i = 0; i < sizeof(comm) - 1; i++)
                comm[i] = i % 3 == 0 ? '.' : 'a';
        comm[sizeof(comm) - 1] = 0;
        assert_int_equal(collect_storage_make_filename(comm, 4294967294U, BOOT_ID, 2147483647, UINT64_MAX, true, &name),
                         0);
        assert_true(strlen(name) <= CORE_FILENAME_MAX && strlen(name) > CORE_FILENAME_MAX - 4);
        assert_null(strchr(name, '/'));
        const char *tail = ".4294967294." BOOT_ID ".2147483647.18446744073709551615.zst";
        assert_string_equal(name + strlen(name) - strlen(tail), tail);
        const char *e = name + strlen(name) - strlen(tail);
        assert_true(e[-1] != '\\' && (e - name < 3 || (e[-2] != '\\' && e[-3] != '\\')));
        assert_int_equal(collect_space_core_filename_uid(name, &uid), 0);
        assert_int_equal(uid, 4294967294U);
        free(name);

        /* a name that fits is not cut */
        for (size_t i = 0; i < 15; i++)
                comm[i] = '\x01';
        comm[15] = 0;
        assert_int_equal(collect_storage_make_filename(comm, 1000, BOOT_ID, 1, 1, true, &name), 0);
        assert_int_equal(strlen(name), strlen("core.") + 15 * 4 + strlen(".1000." BOOT_ID ".1.1.zst"));
        free(name);

        assert_int_equal(collect_storage_make_filename("x", 1000, "0123", 1, 1, true, &name), -EINVAL);
        assert_int_equal(collect_storage_make_filename("x", 1000, "0123456789ABCDEF0123456789abcdef", 1, 1, true, &name),
                         -EINVAL);
        assert_int_equal(collect_storage_make_filename("x", 1000, BOOT_ID, 0, 1, true, &name), -EINVAL);
}

/* ---- free space ---- */

static void test_space_defaults(void **state) {
        uint64_t max_use, keep_free;
        CollectSpaceAdmission a;

        /* 100 GiB: both capped at 4 GiB */
        collect_space_resolve(100ULL << 30, UINT64_MAX, UINT64_MAX, &max_use, &keep_free);
        assert_int_equal(max_use, 4ULL << 30);
        assert_int_equal(keep_free, 4ULL << 30);

        /* 1 GiB: 10% and 15%, page-aligned up */
        collect_space_resolve(1ULL << 30, UINT64_MAX, UINT64_MAX, &max_use, &keep_free);
        assert_int_equal(max_use, 107376640);  /* 107374182 rounded up to 4096 */
        assert_int_equal(keep_free, 161062912); /* 161061273 rounded up */

        /* 5 MiB: MaxUse= at least 1 MiB */
        collect_space_resolve(5 << 20, UINT64_MAX, UINT64_MAX, &max_use, &keep_free);
        assert_int_equal(max_use, 1 << 20);
        assert_int_equal(keep_free, 786432);  /* 15%: exactly 192 pages */

        /* unknown size */
        collect_space_resolve(0, UINT64_MAX, UINT64_MAX, &max_use, &keep_free);
        assert_int_equal(max_use, 1 << 20);
        assert_int_equal(keep_free, 1 << 20);

        /* configured values are page-aligned, 0 means none */
        collect_space_resolve(1ULL << 30, 1, 0, &max_use, &keep_free);
        assert_int_equal(max_use, 4096);
        assert_int_equal(keep_free, 0);

        /* budget: the tighter of the two */
        collect_space_compute(100ULL << 30, 10ULL << 30, UINT64_MAX, UINT64_MAX, 1ULL << 30, &a);
        assert_true(a.allowed);
        assert_int_equal(a.limit, COLLECT_SPACE_LIMIT_MAX_USE);
        assert_int_equal(a.budget, 3ULL << 30);
        collect_space_compute(100ULL << 30, 5ULL << 30, UINT64_MAX, UINT64_MAX, 1ULL << 30, &a);
        assert_int_equal(a.limit, COLLECT_SPACE_LIMIT_KEEP_FREE);
        assert_int_equal(a.budget, 1ULL << 30);
        collect_space_compute(100ULL << 30, 50ULL << 30, UINT64_MAX, UINT64_MAX, 5ULL << 30, &a);
        assert_false(a.allowed);
        assert_int_equal(a.budget, 0);
        assert_string_equal(collect_space_limit_to_string(a.limit), "MaxUse=");
        collect_space_compute(100ULL << 30, 50ULL << 30, 0, 0, 5ULL << 30, &a);
        assert_true(a.allowed);
        assert_int_equal(a.limit, COLLECT_SPACE_LIMIT_NONE);
        assert_int_equal(a.budget, UINT64_MAX);

        assert_int_equal(collect_space_admit(dir_fd, UINT64_MAX, UINT64_MAX, 0, &a), 0);
        assert_true(a.fs_size > 0);
        assert_true(a.max_use >= 1 << 20);
}

static void write_file(const char *name, size_t size) {
        _cleanup_(closep) int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        _cleanup_(freep) char *buf = malloc(size ? size : 1);
        assert_true(fd >= 0);
        memset(buf, 'x', size);
        assert_int_equal(io_write_all(fd, buf, size), 0);
        assert_int_equal(fsync(fd), 0);
}

static void test_space_usage(void **state) {
        uint64_t bytes;
        size_t n;
        struct stat a, b;
        uid_t uid;

        assert_int_equal(collect_space_usage(dir_fd, &bytes, &n), 0);
        assert_int_equal(bytes, 0);
        assert_int_equal(n, 0);

        write_file("core.a.1000." BOOT_ID ".1.1700000000000000.zst", 100000);
        write_file("core.b\\x2ec.0." BOOT_ID ".2.1700000000000000", 20000);
        write_file("other-file", 50000);             /* not a core name */
        write_file("core.nouid." BOOT_ID, 50000);    /* no uid field */
        assert_int_equal(symlinkat("core.a.1000." BOOT_ID ".1.1700000000000000.zst", dir_fd,
                                   "core.link.1000." BOOT_ID ".3.1700000000000000"),
                         0);
        assert_int_equal(mkdirat(dir_fd, "core.dir.1000." BOOT_ID ".4.1", 0700), 0);

        assert_int_equal(fstatat(dir_fd, "core.a.1000." BOOT_ID ".1.1700000000000000.zst", &a, 0), 0);
        assert_int_equal(fstatat(dir_fd, "core.b\\x2ec.0." BOOT_ID ".2.1700000000000000", &b, 0), 0);
        assert_int_equal(collect_space_usage(dir_fd, &bytes, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(bytes, (uint64_t) (a.st_blocks + b.st_blocks) * 512);

        assert_int_equal(collect_space_core_filename_uid("core.x.65534.b.1.2", &uid), 0);
        assert_int_equal(uid, 65534);
        assert_int_equal(collect_space_core_filename_uid("core.x..b", &uid), -EINVAL);
        assert_int_equal(collect_space_core_filename_uid("core.x.12a.b", &uid), -EINVAL);
        assert_int_equal(collect_space_core_filename_uid("core.x.4294967295.b", &uid), -EINVAL);
        assert_int_equal(collect_space_core_filename_uid("corex.1.2", &uid), -EINVAL);
        assert_int_equal(unlinkat(dir_fd, "core.dir.1000." BOOT_ID ".4.1", AT_REMOVEDIR), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_external_compressed, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_incompressible_raw_frames, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_external_sparse, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_external_size_max, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_disk_budget, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_truncated_core_is_stored, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_empty_stream, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_never_overwrites, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_xattrs, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_acl, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_link_fallback, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_journal, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_storage_none, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_invalid_params, setup_dir, teardown_dir),
                cmocka_unit_test(test_filename),
                cmocka_unit_test_setup_teardown(test_space_defaults, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_space_usage, setup_dir, teardown_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
