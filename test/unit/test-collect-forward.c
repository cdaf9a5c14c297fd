/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "cleanup.h"
#include "collect-forward.h"
#include "input-limits.h"

#define SIG "0123456789abcdef0123456789abcdef"

static void test_decide(void **state) {
        /* local never embeds, whatever the size. */
        assert_int_equal(collect_forward_decide(COREDUMP_FORWARD_LOCAL, 10, 100, true), COLLECT_FORWARD_LOCAL);
        assert_int_equal(collect_forward_decide(COREDUMP_FORWARD_EMBED, 100, 100, false), COLLECT_FORWARD_EMBED);
        assert_int_equal(collect_forward_decide(COREDUMP_FORWARD_EMBED, 101, 100, true), COLLECT_FORWARD_SIZE_MAX);
        assert_int_equal(collect_forward_decide(COREDUMP_FORWARD_FIRST, 10, 100, true), COLLECT_FORWARD_EMBED);
        assert_int_equal(collect_forward_decide(COREDUMP_FORWARD_FIRST, 10, 100, false), COLLECT_FORWARD_REPEAT);
        /* The size cap is checked first: a large core never takes a slot. */
        assert_int_equal(collect_forward_decide(COREDUMP_FORWARD_FIRST, 1000, 100, true), COLLECT_FORWARD_SIZE_MAX);
        assert_string_equal(collect_forward_decision_to_string(COLLECT_FORWARD_EMBED), "embedded");
        assert_string_equal(collect_forward_decision_to_string(COLLECT_FORWARD_REPEAT), "repeat");
        assert_null(collect_forward_decision_to_string(_COLLECT_FORWARD_DECISION_MAX));
}

static char *make_tmpdir(void) {
        char *d = strdup("/tmp/cj-forward.XXXXXX");
        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static void remove_tree(const char *d) {
        char cmd[256];
        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
        assert_int_equal(system(cmd), 0);
}

static void test_slots(void **state) {
        _cleanup_(freep) char *dir = make_tmpdir();
        _cleanup_(freep) char *state_dir = NULL;
        bool taken;

        /* The state directory is created on first use. */
        assert_true(asprintf(&state_dir, "%s/state", dir) > 0);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(collect_forward_take_slot(state_dir, SIG, 3, &taken), 0);
                assert_true(taken);
        }
        assert_int_equal(collect_forward_take_slot(state_dir, SIG, 3, &taken), 0);
        assert_false(taken);
        /* Another signature has its own count; raising the limit frees slots again. */
        assert_int_equal(collect_forward_take_slot(state_dir, "ffffffffffffffffffffffffffffffff", 3, &taken), 0);
        assert_true(taken);
        assert_int_equal(collect_forward_take_slot(state_dir, SIG, 4, &taken), 0);
        assert_true(taken);
        assert_int_equal(collect_forward_take_slot(state_dir, SIG, 0, &taken), 0);
        assert_false(taken);

        /* A signature that could name another file is refused. */
        assert_int_equal(collect_forward_take_slot(state_dir, "../../etc/passwd", 3, &taken), -EINVAL);
        assert_int_equal(collect_forward_take_slot(state_dir, "0123456789ABCDEF0123456789abcdef", 3, &taken), -EINVAL);
        assert_int_equal(collect_forward_take_slot(state_dir, "0123", 3, &taken), -EINVAL);
        assert_int_equal(collect_forward_take_slot(state_dir, NULL, 3, &taken), -EINVAL);

        /* A damaged count reads as zero. */
        char path[512];
        (void) snprintf(path, sizeof(path), "%s/forwarded/%s", state_dir, SIG);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("garbage", f);
        fclose(f);
        assert_int_equal(collect_forward_take_slot(state_dir, SIG, 1, &taken), 0);
        assert_true(taken);
        assert_int_equal(collect_forward_take_slot(state_dir, SIG, 1, &taken), 0);
        assert_false(taken);
        remove_tree(dir);
}

/* Concurrent crashes of one bug never take more slots together than there are. */
static void test_slots_concurrent(void **state) {
        _cleanup_(freep) char *dir = make_tmpdir();
        int pipefd[2];
        pid_t pids[8];

        assert_int_equal(pipe(pipefd), 0);
        for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                pids[i] = fork();
                assert_true(pids[i] >= 0);
                if (pids[i] == 0) {
                        int taken_count = 0;
                        for (int k = 0; k < 20; k++) {
                                bool taken = false;
                                if (collect_forward_take_slot(dir, SIG, 25, &taken) < 0)
                                        _exit(2);
                                taken_count += taken;
                        }
                        char c = (char) taken_count;
                        _exit(write(pipefd[1], &c, 1) == 1 ? 0 : 3);
                }
        }
        close(pipefd[1]);
        int total = 0;
        for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                int status;
                assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        char c;
        while (read(pipefd[0], &c, 1) == 1)
                total += c;
        close(pipefd[0]);
        assert_int_equal(total, 25);
        remove_tree(dir);
}

static void write_file(const char *path, const void *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        close(fd);
}

static void test_read_core(void **state) {
        _cleanup_(freep) char *dir = make_tmpdir();
        _cleanup_(closep) int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        size_t size = 3 * 1024 * 1024 + 17;
        _cleanup_(freep) uint8_t *core = malloc(size), *z = NULL;
        uint8_t *back = NULL;
        char path[512];

        assert_true(dir_fd >= 0);
        assert_non_null(core);
        for (size_t i = 0; i < size; i++)
                core[i] = (uint8_t) (i * 7 + i / 4096);
        memset(core + 4096, 0, 1024 * 1024); /* a run of zeros, as cores have */

        size_t bound = ZSTD_compressBound(size);
        z = malloc(bound);
        assert_non_null(z);
        size_t zn = ZSTD_compress(z, bound, core, size, 1);
        assert_false(ZSTD_isError(zn));
        (void) snprintf(path, sizeof(path), "%s/core.zst", dir);
        write_file(path, z, zn);
        (void) snprintf(path, sizeof(path), "%s/core", dir);
        write_file(path, core, size);

        /* Both forms come back byte for byte, NUL-terminated for export_record_adopt(). */
        assert_int_equal(collect_forward_read_core(dir_fd, "core.zst", true, size, &back), 0);
        assert_memory_equal(back, core, size);
        assert_int_equal(back[size], 0);
        free(back);
        assert_int_equal(collect_forward_read_core(dir_fd, "core", false, size, &back), 0);
        assert_memory_equal(back, core, size);
        assert_int_equal(back[size], 0);
        free(back);

        /* A file that does not hold exactly the streamed size is refused, never half-read. */
        back = NULL;
        assert_int_equal(collect_forward_read_core(dir_fd, "core.zst", true, size - 1, &back), -EBADMSG);
        assert_int_equal(collect_forward_read_core(dir_fd, "core.zst", true, size + 1, &back), -EBADMSG);
        assert_int_equal(collect_forward_read_core(dir_fd, "core", false, size + 1, &back), -EBADMSG);
        assert_int_equal(collect_forward_read_core(dir_fd, "core", false, size - 1, &back), -EBADMSG);
        /* A truncated or corrupt zstd file, and a missing one. */
        (void) snprintf(path, sizeof(path), "%s/cut.zst", dir);
        write_file(path, z, zn / 2);
        assert_int_equal(collect_forward_read_core(dir_fd, "cut.zst", true, size, &back), -EBADMSG);
        (void) snprintf(path, sizeof(path), "%s/bad.zst", dir);
        write_file(path, core, 4096);
        assert_int_equal(collect_forward_read_core(dir_fd, "bad.zst", true, size, &back), -EBADMSG);
        assert_int_equal(collect_forward_read_core(dir_fd, "none.zst", true, size, &back), -ENOENT);
        assert_null(back);
        remove_tree(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decide),
                cmocka_unit_test(test_slots),
                cmocka_unit_test(test_slots_concurrent),
                cmocka_unit_test(test_read_core),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
