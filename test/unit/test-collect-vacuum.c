/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "collect-space.h"
#include "collect-vacuum.h"
#include "input-limits.h"

#define BOOT_ID "0123456789abcdef0123456789abcdef"
#define S ((size_t) 64 * 1024)

/* ---- pure logic ---- */

static CollectVacuumEntry E(uid_t uid, uint64_t mtime) {
        return (CollectVacuumEntry) { .uid = uid, .mtime_usec = mtime, .size = 4096 };
}

static size_t pick(const CollectVacuumEntry *e, size_t n) {
        size_t i = SIZE_MAX;
        assert_int_equal(collect_vacuum_pick(e, n, &i), 0);
        assert_true(i < n);
        return i;
}

static void test_pick_most_files_then_oldest(void **state) {
        /* uid 1000 has the most files; uid 0 has the oldest and by far the biggest one. */
        CollectVacuumEntry e[] = {
                E(1000, 200), E(2000, 400), E(1000, 100), E(0, 10), E(2000, 50), E(1000, 300),
        };
        e[3].size = 100 * MIB;

        assert_int_equal(pick(e, ELEMENTSOF(e)), 2); /* 1000@100: the user with the most files */
        e[2].removed = true;
        /* 1000 and 2000 have two each: the one whose oldest file is older goes first. */
        assert_int_equal(pick(e, ELEMENTSOF(e)), 4); /* 2000@50 */
        e[4].removed = true;
        assert_int_equal(pick(e, ELEMENTSOF(e)), 0); /* 1000@200 (two files against one) */
        e[0].removed = true;
        /* One file each: the oldest one overall. */
        assert_int_equal(pick(e, ELEMENTSOF(e)), 3); /* 0@10 */
        e[3].removed = true;
        assert_int_equal(pick(e, ELEMENTSOF(e)), 5); /* 1000@300 before 2000@400 */
        e[5].removed = true;
        assert_int_equal(pick(e, ELEMENTSOF(e)), 1);
        e[1].removed = true;

        size_t i = 77;
        assert_int_equal(collect_vacuum_pick(e, ELEMENTSOF(e), &i), -ENOENT);
        assert_int_equal(i, 77);
        assert_int_equal(collect_vacuum_pick(NULL, 0, &i), -ENOENT);
}

static void test_pick_ties_in_directory_order(void **state) {
        /* Equal mtimes within a user: the first in directory order. */
        CollectVacuumEntry a[] = { E(5, 300), E(5, 100), E(5, 100), E(5, 200) };
        assert_int_equal(pick(a, ELEMENTSOF(a)), 1);

        /* Users with as many files and equally old oldest files: the one that got to that count
         * first in directory order (systemd's single pass), here 7 (at index 2) before 6. */
        CollectVacuumEntry b[] = { E(6, 10), E(7, 10), E(7, 20), E(6, 20) };
        assert_int_equal(pick(b, ELEMENTSOF(b)), 1);
        CollectVacuumEntry c[] = { E(6, 10), E(7, 10), E(6, 20), E(7, 20) };
        assert_int_equal(pick(c, ELEMENTSOF(c)), 0);

        /* A time that cannot be represented counts as the newest. */
        CollectVacuumEntry d[] = { E(8, UINT64_MAX), E(8, 5) };
        assert_int_equal(pick(d, ELEMENTSOF(d)), 1);
}

static void test_pick_many_users(void **state) {
        /* More users than the table's initial size; uid 4242 has one file more than all others. */
        size_t n = 3001;
        _cleanup_(freep) CollectVacuumEntry *e = calloc(n, sizeof(*e));
        assert_non_null(e);
        for (size_t i = 0; i < 3000; i++)
                e[i] = E((uid_t) (i % 1500) * 65536, 1000 - i % 7);
        e[3000] = E(4242, 99999);
        e[1234] = E(4242, 99998);
        e[17] = E(4242, 99997);
        /* 4242 now has three files; every other user two (or one). */
        assert_int_equal(pick(e, n), 17);
}

static void test_needed(void **state) {
        assert_false(collect_vacuum_needed(1000, 0, 1000, 0));
        assert_true(collect_vacuum_needed(1000, 0, 1001, UINT64_MAX));
        assert_false(collect_vacuum_needed(0, 0, UINT64_MAX, 0));
        assert_true(collect_vacuum_needed(0, 1000, 0, 999));
        assert_false(collect_vacuum_needed(0, 1000, 0, 1000));
        assert_false(collect_vacuum_needed(1000, 1000, 0, UINT64_MAX));
        assert_true(collect_vacuum_needed(1000, 1000, 2000, UINT64_MAX));
}

/* ---- directories ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

typedef struct TmpDir {
        char path[PATH_MAX];
        int fd;
} TmpDir;

static void tmp_dir_new(TmpDir *t) {
        const char *tmp = getenv("TMPDIR");
        (void) snprintf(t->path, sizeof(t->path), "%s/test-collect-vacuum.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(t->path));
        t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(t->fd >= 0);
}

static void tmp_dir_done(TmpDir *t) {
        t->fd = safe_close(t->fd);
        (void) nftw(t->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(int dir_fd, const char *name, size_t size, uint64_t mtime_sec) {
        static char buf[64 * 1024];
        _cleanup_(closep) int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        assert_true(fd >= 0);

        memset(buf, 0xa5, sizeof(buf));
        for (size_t left = size; left > 0;) {
                ssize_t k = write(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
                assert_true(k > 0);
                left -= (size_t) k;
        }
        struct timespec ts[2] = { { .tv_sec = (time_t) mtime_sec }, { .tv_sec = (time_t) mtime_sec } };
        assert_int_equal(futimens(fd, ts), 0);
}

/* Writes core.<comm>.<uid>.<boot id>.<pid>.<µs>.zst of size bytes with that mtime; returns its name. */
static char *make_core(int dir_fd, const char *comm, uid_t uid, size_t size, uint64_t mtime_sec) {
        static unsigned pid = 100;
        char *name = NULL;

        assert_true(asprintf(&name, "core.%s.%u." BOOT_ID ".%u.%" PRIu64 "000000.zst", comm, (unsigned) uid,
                             pid++, mtime_sec) > 0);
        write_file(dir_fd, name, size, mtime_sec);
        return name;
}

static uint64_t usage_of(int dir_fd, const char *name) {
        struct stat st;
        assert_int_equal(fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
        return (uint64_t) st.st_blocks * 512;
}

static bool exists(int dir_fd, const char *name) {
        struct stat st;
        return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0;
}

static size_t strv_length(char **l) {
        size_t n = 0;
        for (; l && l[n]; n++)
                ;
        return n;
}

static void test_under_limits_nothing_removed(void **state) {
        _cleanup_(collect_vacuum_result_done) CollectVacuumResult r = {};
        _cleanup_(freep) char *a = NULL, *b = NULL;
        uint64_t max_use, keep_free;
        TmpDir t;

        tmp_dir_new(&t);
        a = make_core(t.fd, "a", 1000, S, 100);
        b = make_core(t.fd, "b", 1000, S, 200);
        uint64_t total = usage_of(t.fd, a) + usage_of(t.fd, b);

        assert_int_equal(collect_vacuum(t.fd, NULL, total, 0, &r), 0);
        assert_int_equal(r.n_removed, 0);
        assert_null(r.removed);
        assert_true(r.bytes_freed == 0);
        assert_true(r.usage == total);
        assert_true(r.satisfied);
        assert_true(exists(t.fd, a) && exists(t.fd, b));
        collect_vacuum_result_done(&r);

        /* systemd's automatic values, resolved from this file system. */
        assert_int_equal(collect_vacuum(t.fd, NULL, UINT64_MAX, UINT64_MAX, &r), 0);
        collect_space_resolve(r.fs_size, UINT64_MAX, UINT64_MAX, &max_use, &keep_free);
        assert_true(r.max_use == max_use && max_use > 0);
        assert_true(r.keep_free == keep_free && keep_free > 0);
        assert_true(exists(t.fd, a) && exists(t.fd, b));
        collect_vacuum_result_done(&r);

        /* Both limits off: nothing is looked at. */
        assert_int_equal(collect_vacuum(t.fd, NULL, 0, 0, &r), 0);
        assert_int_equal(r.n_removed, 0);
        assert_true(r.satisfied);
        assert_true(exists(t.fd, a) && exists(t.fd, b));

        tmp_dir_done(&t);
}

static void test_max_use_in_systemd_order(void **state) {
        _cleanup_(collect_vacuum_result_done) CollectVacuumResult r = {};
        char *c[8] = {};
        TmpDir t;

        tmp_dir_new(&t);
        c[0] = make_core(t.fd, "big", 0, 3 * S, 10); /* oldest and biggest, but its user has one file */
        c[1] = make_core(t.fd, "x", 1000, S, 100);
        c[2] = make_core(t.fd, "x", 1000, S, 200);
        c[3] = make_core(t.fd, "x", 1000, S, 300);
        c[4] = make_core(t.fd, "y", 2000, S, 50);
        c[5] = make_core(t.fd, "y", 2000, S, 400);
        c[6] = make_core(t.fd, "new", 3000, S, 500); /* just written */

        uint64_t total = 0;
        for (size_t i = 0; i < 6; i++)
                total += usage_of(t.fd, c[i]);
        uint64_t freed = usage_of(t.fd, c[1]) + usage_of(t.fd, c[4]);
        /* Exactly enough that two files must go: 1000@100 (three files), then 2000@50 (two files
         * each, and 2000's oldest is older). The new core does not count. */
        uint64_t limit = total - freed;

        assert_int_equal(collect_vacuum(t.fd, c[6], limit, 0, &r), 0);
        assert_int_equal(r.n_removed, 2);
        assert_int_equal(strv_length(r.removed), 2);
        assert_string_equal(r.removed[0], c[1]);
        assert_string_equal(r.removed[1], c[4]);
        assert_true(r.bytes_freed == freed);
        assert_true(r.usage == limit);
        assert_true(r.satisfied);
        assert_false(r.entries_limit || r.removals_limit);
        assert_int_equal(r.error, 0);
        assert_false(exists(t.fd, c[1]) || exists(t.fd, c[4]));
        for (size_t i = 0; i < 7; i++)
                if (i != 1 && i != 4)
                        assert_true(exists(t.fd, c[i]));
        collect_vacuum_result_done(&r);

        /* Again: already within the limit. */
        assert_int_equal(collect_vacuum(t.fd, c[6], limit, 0, &r), 0);
        assert_int_equal(r.n_removed, 0);
        assert_true(r.satisfied);

        for (size_t i = 0; i < 7; i++)
                free(c[i]);
        tmp_dir_done(&t);
}

static void test_exclude_never_removed(void **state) {
        _cleanup_(collect_vacuum_result_done) CollectVacuumResult r = {};
        _cleanup_(freep) char *new = NULL, *a = NULL, *b = NULL;
        const char *link = "core.hardlink.1000." BOOT_ID ".9.9000000.zst";
        TmpDir t;

        tmp_dir_new(&t);
        /* The new core is the oldest file of the user with the most files, and alone above MaxUse. */
        new = make_core(t.fd, "new", 1000, 8 * S, 10);
        a = make_core(t.fd, "a", 1000, S, 20);
        b = make_core(t.fd, "b", 1000, S, 30);
        uint64_t others = usage_of(t.fd, a) + usage_of(t.fd, b);

        /* systemd counts only the other files: they fit, nothing goes. */
        assert_int_equal(collect_vacuum(t.fd, new, 4 * S, 0, &r), 0);
        assert_int_equal(r.n_removed, 0);
        assert_true(r.usage == others);
        assert_true(r.satisfied);
        collect_vacuum_result_done(&r);

        /* The smallest MaxUse (one page): everything else goes, the new core and a hard link to it
         * (the same inode, as systemd compares) stay. */
        assert_int_equal(linkat(t.fd, new, t.fd, link, 0), 0);
        assert_int_equal(collect_vacuum(t.fd, new, 1, 0, &r), 0);
        assert_int_equal(r.n_removed, 2);
        assert_string_equal(r.removed[0], a);
        assert_string_equal(r.removed[1], b);
        assert_true(r.usage == 0);
        assert_true(r.satisfied);
        assert_true(exists(t.fd, new));
        assert_true(exists(t.fd, link));
        collect_vacuum_result_done(&r);

        /* Without the exclusion the new core is just the oldest file. */
        assert_int_equal(collect_vacuum(t.fd, NULL, 1, 0, &r), 0);
        assert_int_equal(r.n_removed, 2);
        assert_false(exists(t.fd, new) || exists(t.fd, link));
        collect_vacuum_result_done(&r);

        assert_int_equal(collect_vacuum(t.fd, "../x", 1, 0, &r), -EINVAL);
        assert_int_equal(collect_vacuum(t.fd, "", 1, 0, &r), -EINVAL);
        tmp_dir_done(&t);
}

static void test_only_regular_core_files(void **state) {
        _cleanup_(collect_vacuum_result_done) CollectVacuumResult r = {};
        _cleanup_(freep) char *core = NULL, *target = NULL;
        const char *link = "core.link.1000." BOOT_ID ".2.2000000.zst";
        const char *dangling = "core.dangling.1000." BOOT_ID ".3.3000000.zst";
        const char *dir = "core.dir.1000." BOOT_ID ".4.4000000.zst";
        const char *fifo = "core.fifo.1000." BOOT_ID ".5.5000000.zst";
        const char *others[] = {
                "notcore.x.1000." BOOT_ID ".6.6000000.zst",
                "core.x",
                "core.a.b.c",
                "core.noname",
                "core.neg.-1." BOOT_ID ".7.7000000.zst",
                "core.invalid.4294967295." BOOT_ID ".8.8000000.zst",
                "core.letters.10x0." BOOT_ID ".9.9000000.zst",
        };
        TmpDir t, outside;

        tmp_dir_new(&t);
        tmp_dir_new(&outside);
        write_file(outside.fd, "victim", S, 1);
        assert_true(asprintf(&target, "%s/victim", outside.path) > 0);

        core = make_core(t.fd, "real", 1000, S, 1000);
        assert_int_equal(symlinkat(target, t.fd, link), 0);
        assert_int_equal(symlinkat("/nonexistent", t.fd, dangling), 0);
        assert_int_equal(mkdirat(t.fd, dir, 0755), 0);
        write_file(t.fd, "core.inside.1000." BOOT_ID ".1.1000000.zst", S, 1);
        assert_int_equal(renameat(t.fd, "core.inside.1000." BOOT_ID ".1.1000000.zst", t.fd, "keep"), 0);
        assert_int_equal(mkfifoat(t.fd, fifo, 0600), 0);
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                write_file(t.fd, others[i], S, 1);

        /* Only the one real core counts, the symlink's target least of all. */
        assert_int_equal(collect_vacuum(t.fd, NULL, 64 * MIB, 0, &r), 0);
        assert_int_equal(r.n_removed, 0);
        assert_true(r.usage == usage_of(t.fd, core));
        collect_vacuum_result_done(&r);

        assert_int_equal(collect_vacuum(t.fd, NULL, 1, 0, &r), 0);
        assert_int_equal(r.n_removed, 1);
        assert_string_equal(r.removed[0], core);
        assert_true(r.usage == 0);
        assert_true(r.satisfied);

        assert_false(exists(t.fd, core));
        assert_true(exists(t.fd, link));
        assert_true(exists(t.fd, dangling));
        assert_true(exists(t.fd, dir));
        assert_true(exists(t.fd, fifo));
        assert_true(exists(t.fd, "keep"));
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                assert_true(exists(t.fd, others[i]));
        assert_true(usage_of(outside.fd, "victim") >= S);

        tmp_dir_done(&t);
        tmp_dir_done(&outside);
}

static void test_open_file_is_removed_and_released(void **state) {
        _cleanup_(collect_vacuum_result_done) CollectVacuumResult r = {};
        _cleanup_(freep) char *a = NULL, *b = NULL;
        _cleanup_(closep) int held = -EBADF;
        struct stat st;
        TmpDir t;

        tmp_dir_new(&t);
        a = make_core(t.fd, "a", 1000, 4 * S, 100);
        b = make_core(t.fd, "b", 1000, S, 200);
        assert_int_equal(fsync(t.fd), 0);
        held = openat(t.fd, a, O_RDONLY | O_CLOEXEC);
        assert_true(held >= 0);

        /* Being open (a reader, coredumpctl) does not save a file, as in systemd; its blocks are
         * released so the space comes back at once. */
        assert_int_equal(collect_vacuum(t.fd, NULL, usage_of(t.fd, b), 0, &r), 0);
        assert_int_equal(r.n_removed, 1);
        assert_string_equal(r.removed[0], a);
        assert_int_equal(fstat(held, &st), 0);
        assert_int_equal(st.st_nlink, 0);
        assert_int_equal(st.st_blocks, 0);
        assert_true(exists(t.fd, b));

        tmp_dir_done(&t);
}

static void test_removals_limit(void **state) {
        _cleanup_(collect_vacuum_result_done) CollectVacuumResult r = {};
        size_t n = VACUUM_REMOVALS_MAX + 3;
        char name[128];
        TmpDir t;

        tmp_dir_new(&t);
        for (size_t i = 0; i < n; i++) {
                (void) snprintf(name, sizeof(name), "core.m.1000." BOOT_ID ".%zu.%zu.zst", i, i);
                write_file(t.fd, name, 4096, 1000 + i);
        }

        assert_int_equal(collect_vacuum(t.fd, NULL, 1, 0, &r), 0);
        assert_int_equal(r.n_removed, VACUUM_REMOVALS_MAX);
        assert_true(r.removals_limit);
        assert_false(r.satisfied);
        /* Oldest first. */
        (void) snprintf(name, sizeof(name), "core.m.1000." BOOT_ID ".%d.%d.zst", 0, 0);
        assert_string_equal(r.removed[0], name);
        (void) snprintf(name, sizeof(name), "core.m.1000." BOOT_ID ".%zu.%zu.zst", n - 4, n - 4);
        assert_string_equal(r.removed[VACUUM_REMOVALS_MAX - 1], name);
        collect_vacuum_result_done(&r);

        /* The next call goes on: three pages left against one allowed. */
        assert_int_equal(collect_vacuum(t.fd, NULL, 1, 0, &r), 0);
        assert_int_equal(r.n_removed, 2);
        assert_false(r.removals_limit);
        assert_true(r.satisfied);
        (void) snprintf(name, sizeof(name), "core.m.1000." BOOT_ID ".%zu.%zu.zst", n - 1, n - 1);
        assert_true(exists(t.fd, name));

        tmp_dir_done(&t);
}

static void test_entries_limit(void **state) {
        _cleanup_(collect_vacuum_result_done) CollectVacuumResult r = {};
        char name[64];
        TmpDir t;

        tmp_dir_new(&t);
        for (size_t i = 0; i < VACUUM_DIR_ENTRIES_MAX; i++) {
                (void) snprintf(name, sizeof(name), "junk.%zu", i);
                int fd = openat(t.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                assert_true(fd >= 0);
                (void) safe_close(fd);
        }

        /* With "." and "..", more entries than one call looks at. */
        assert_int_equal(collect_vacuum(t.fd, NULL, 1, 0, &r), 0);
        assert_true(r.entries_limit);
        assert_int_equal(r.n_removed, 0);
        collect_vacuum_result_done(&r);

        assert_int_equal(unlinkat(t.fd, "junk.0", 0), 0);
        assert_int_equal(unlinkat(t.fd, "junk.1", 0), 0);
        assert_int_equal(unlinkat(t.fd, "junk.2", 0), 0);
        assert_int_equal(collect_vacuum(t.fd, NULL, 1, 0, &r), 0);
        assert_false(r.entries_limit);

        tmp_dir_done(&t);
}

/* KeepFree= needs a file system whose free space the test controls: a small tmpfs, mounted in a
 * private mount namespace so that it can never outlive the test. */
static void test_keep_free_on_tmpfs(void **state) {
        _cleanup_(collect_vacuum_result_done) CollectVacuumResult r = {};
        _cleanup_(freep) char *old = NULL, *x1 = NULL, *x2 = NULL, *x3 = NULL, *new = NULL;
        char mp[PATH_MAX];
        const char *tmp = getenv("TMPDIR");
        int fd;

        if (geteuid() != 0) {
                print_message("KeepFree= on a tmpfs needs root to mount it; skipped\n");
                skip();
        }
        (void) snprintf(mp, sizeof(mp), "%s/test-collect-vacuum-mnt.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(mp));
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", mp, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4m,mode=0700") < 0) {
                print_message("cannot mount a tmpfs in a private namespace (%s); skipped\n", strerror(errno));
                (void) rmdir(mp);
                skip();
        }
        fd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);

        /* 4 MiB: 3.5 MiB of cores leave 0.5 MiB free against 1.75 MiB to keep free. */
        old = make_core(fd, "old", 2000, 768 * KIB, 50);
        x1 = make_core(fd, "x", 1000, 768 * KIB, 100);
        x2 = make_core(fd, "x", 1000, 768 * KIB, 200);
        x3 = make_core(fd, "x", 1000, 768 * KIB, 300);
        new = make_core(fd, "new", 3000, 512 * KIB, 500);

        assert_int_equal(collect_vacuum(fd, new, 0, 1792 * KIB, &r), 0);
        assert_true(r.fs_size == 4 * MIB);
        assert_int_equal(r.n_removed, 2);
        assert_string_equal(r.removed[0], x1);
        assert_string_equal(r.removed[1], x2);
        assert_true(r.fs_free == 2 * MIB);
        assert_true(r.satisfied);
        assert_true(exists(fd, old) && exists(fd, x3) && exists(fd, new));

        (void) safe_close(fd);
        assert_int_equal(umount2(mp, MNT_DETACH), 0);
        assert_int_equal(rmdir(mp), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pick_most_files_then_oldest),
                cmocka_unit_test(test_pick_ties_in_directory_order),
                cmocka_unit_test(test_pick_many_users),
                cmocka_unit_test(test_needed),
                cmocka_unit_test(test_under_limits_nothing_removed),
                cmocka_unit_test(test_max_use_in_systemd_order),
                cmocka_unit_test(test_exclude_never_removed),
                cmocka_unit_test(test_only_regular_core_files),
                cmocka_unit_test(test_open_file_is_removed_and_released),
                cmocka_unit_test(test_removals_limit),
                cmocka_unit_test(test_entries_limit),
                cmocka_unit_test(test_keep_free_on_tmpfs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
