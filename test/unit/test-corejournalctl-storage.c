/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corejournalctl's core retrieval (zstd streams, sparse output) and the storage directory
 * (disk usage, MaxUse/KeepFree, the vacuum order), and text made safe to print. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "cleanup.h"
#include "ctl-core.h"
#include "ctl-source.h"
#include "ctl-text.h"
#include "ctl-usage.h"

static int memfd_with(const void *data, size_t size) {
        int fd = memfd_create("test", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

static void test_unzstd(void **state) {
        size_t size = 3 * 1024 * 1024 + 17, bound = ZSTD_compressBound(size);
        _cleanup_(freep) uint8_t *plain = malloc(size), *packed = malloc(bound), *back = malloc(size);
        _cleanup_(closep) int in = -EBADF, out = -EBADF, cut = -EBADF, junk = -EBADF, empty = -EBADF;
        char path[] = "/tmp/test-ctl-core-XXXXXX";
        uint64_t written = 0;
        struct stat st;
        size_t n;

        assert_non_null(plain);
        /* Data with long zero runs (they become holes) and some that is not. */
        memset(plain, 0, size);
        for (size_t i = 0; i < size; i += 8192)
                plain[i] = (uint8_t) (i / 8192 + 1);
        memcpy(plain + size - 5, "tail!", 5);
        n = ZSTD_compress(packed, bound, plain, size, 1);
        assert_false(ZSTD_isError(n));

        in = memfd_with(packed, n);
        out = mkstemp(path);
        assert_true(out >= 0);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(ctl_core_unzstd(in, out, &written), 0);
        assert_true(written == size);
        assert_int_equal(fstat(out, &st), 0);
        assert_true((uint64_t) st.st_size == size);
        assert_int_equal(pread(out, back, size, 0), (ssize_t) size);
        assert_memory_equal(back, plain, size);
        /* Zero blocks were skipped, not written. */
        assert_true((uint64_t) st.st_blocks * 512 < size);

        /* A stream cut short, and bytes that are no zstd at all, are errors, not short cores. */
        cut = memfd_with(packed, n - 10);
        assert_int_equal(ctl_core_unzstd(cut, out, NULL), -EBADMSG);
        junk = memfd_with("not zstd at all", 15);
        assert_int_equal(ctl_core_unzstd(junk, out, NULL), -EBADMSG);
        empty = memfd_with("", 0);
        assert_int_equal(ctl_core_unzstd(empty, out, NULL), -EBADMSG);
}

static void test_copy_to_pipe(void **state) {
        _cleanup_(closep) int in = memfd_with("\0\0\0\0abc", 7);
        int p[2];
        char buf[16];

        /* A pipe cannot have holes: every byte is written. */
        assert_int_equal(pipe(p), 0);
        assert_int_equal(ctl_core_copy(in, p[1], NULL), 0);
        close(p[1]);
        assert_int_equal(read(p[0], buf, sizeof(buf)), 7);
        assert_memory_equal(buf, "\0\0\0\0abc", 7);
        close(p[0]);

        assert_int_equal(ctl_core_format_from_filename("/x/core.a.0.b.1.2.zst"), CTL_CORE_FORMAT_ZSTD);
        assert_int_equal(ctl_core_format_from_filename("/x/core.a.0.b.1.2.xz"), CTL_CORE_FORMAT_XZ);
        assert_int_equal(ctl_core_format_from_filename("/x/core.a.0.b.1.2.lz4"), CTL_CORE_FORMAT_LZ4);
        assert_int_equal(ctl_core_format_from_filename("/x/core.a.0.b.1.2"), CTL_CORE_FORMAT_RAW);
}

static void make_core(int dir, const char *name, size_t size, time_t mtime) {
        int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        _cleanup_(freep) char *data = malloc(size);
        struct timespec ts[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };

        assert_true(fd >= 0);
        memset(data, 'x', size);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        assert_int_equal(futimens(fd, ts), 0);
        close(fd);
}

static void test_storage_scan_and_vacuum(void **state) {
        char tmpl[] = "/tmp/test-ctl-storage-XXXXXX";
        const char *dir = mkdtemp(tmpl);
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) size_t *removed = NULL;
        size_t n_removed = 0, pick;
        CtlStorage s = {};
        uid_t uid;

        assert_non_null(dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        /* uid 1000 has three files, uid 2000 two; 1000's oldest goes first, then the counts tie
         * and the user whose oldest file is older loses one. */
        make_core(fd, "core.a.1000.b00d.1.1000000.zst", 8192, 1000);
        make_core(fd, "core.a.1000.b00d.2.2000000.zst", 8192, 3000);
        make_core(fd, "core.a.1000.b00d.3.3000000.zst", 8192, 5000);
        make_core(fd, "core.b.2000.b00d.4.4000000.zst", 8192, 2000);
        make_core(fd, "core.b.2000.b00d.5.5000000.zst", 8192, 4000);
        make_core(fd, "unrelated", 8192, 1);
        make_core(fd, "core.noid", 8192, 1);
        assert_int_equal(symlinkat("/etc/passwd", fd, "core.link.0.b00d.6.6"), 0);

        assert_int_equal(ctl_storage_scan(fd, &s), 0);
        assert_int_equal(s.n, 5);
        assert_true(s.size == 5 * 8192);
        assert_true(s.disk_bytes >= 5 * 8192);
        assert_true(s.fs_size > 0);

        assert_int_equal(ctl_storage_pick(&s, &pick), 0);
        assert_string_equal(s.files[pick].name, "core.a.1000.b00d.1.1000000.zst");

        /* Room for three files: two go, the oldest of 1000, then the oldest of 2000. */
        uint64_t per = s.files[0].disk_bytes;
        assert_int_equal(ctl_storage_vacuum(fd, &s, per * 3, 0, false, &removed, &n_removed), 0);
        assert_int_equal(n_removed, 2);
        assert_string_equal(s.files[removed[0]].name, "core.a.1000.b00d.1.1000000.zst");
        assert_string_equal(s.files[removed[1]].name, "core.b.2000.b00d.4.4000000.zst");
        assert_true(s.disk_bytes == per * 3);
        assert_false(ctl_storage_vacuum_needed(&s, per * 3, 0));
        assert_int_equal(faccessat(fd, "core.a.1000.b00d.1.1000000.zst", F_OK, 0), -1);
        assert_int_equal(faccessat(fd, "core.a.1000.b00d.2.2000000.zst", F_OK, 0), 0);
        assert_int_equal(faccessat(fd, "core.link.0.b00d.6.6", F_OK, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(faccessat(fd, "unrelated", F_OK, 0), 0);
        free(removed);
        removed = NULL;

        /* A dry run removes nothing but says what would go. */
        assert_int_equal(ctl_storage_vacuum(fd, &s, 1, 0, true, &removed, &n_removed), 0);
        assert_int_equal(n_removed, 3);
        assert_int_equal(faccessat(fd, "core.a.1000.b00d.2.2000000.zst", F_OK, 0), 0);
        ctl_storage_done(&s);

        assert_int_equal(ctl_storage_filename_uid("core.bash.1000.b00d.1.2.zst", &uid), 0);
        assert_int_equal(uid, 1000);
        assert_int_equal(ctl_storage_filename_uid("core.bash.x.b00d", &uid), -EINVAL);
        assert_int_equal(ctl_storage_filename_uid("core..1000.b", &uid), -EINVAL);
        assert_int_equal(ctl_storage_filename_uid("core.bash.4294967295.b", &uid), -EINVAL);
        assert_int_equal(ctl_storage_filename_uid("notcore.bash.1.b", &uid), -EINVAL);

        /* Clean up. */
        static const char *const left[] = { "core.a.1000.b00d.2.2000000.zst", "core.a.1000.b00d.3.3000000.zst",
                                            "core.b.2000.b00d.5.5000000.zst", "unrelated", "core.noid",
                                            "core.link.0.b00d.6.6" };
        for (size_t i = 0; i < ELEMENTSOF(left); i++)
                assert_int_equal(unlinkat(fd, left[i], 0), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_limits(void **state) {
        uint64_t max_use, keep_free;
        long page = sysconf(_SC_PAGESIZE);

        /* systemd's automatic values: 10% and 15% of the file system, within their bounds. */
        ctl_storage_limits(UINT64_C(100) << 30, UINT64_MAX, UINT64_MAX, &max_use, &keep_free);
        assert_true(max_use == CTL_MAX_USE_UPPER);
        assert_true(keep_free == CTL_KEEP_FREE_UPPER);
        ctl_storage_limits(UINT64_C(1) << 30, UINT64_MAX, UINT64_MAX, &max_use, &keep_free);
        assert_true(max_use == ((UINT64_C(1) << 30) / 10 + (uint64_t) page - 1) / (uint64_t) page * (uint64_t) page);
        assert_true(keep_free == ((UINT64_C(1) << 30) * 15 / 100 + (uint64_t) page - 1) / (uint64_t) page * (uint64_t) page);
        ctl_storage_limits(UINT64_C(4) << 20, UINT64_MAX, UINT64_MAX, &max_use, &keep_free);
        assert_true(max_use == CTL_MAX_USE_LOWER);
        ctl_storage_limits(0, UINT64_MAX, UINT64_MAX, &max_use, &keep_free);
        assert_true(keep_free == CTL_KEEP_FREE_UNKNOWN_FS);
        /* Configured ones are rounded up to pages; 0 means no limit. */
        ctl_storage_limits(UINT64_C(1) << 30, 1, 0, &max_use, &keep_free);
        assert_true(max_use == (uint64_t) page);
        assert_true(keep_free == 0);

        CtlStorage s = { .disk_bytes = 100, .fs_free = 1000 };
        assert_false(ctl_storage_vacuum_needed(&s, 100, 1000));
        assert_true(ctl_storage_vacuum_needed(&s, 99, 0));
        assert_true(ctl_storage_vacuum_needed(&s, 0, 1001));
        assert_false(ctl_storage_vacuum_needed(&s, 0, 0));
        s.fs_free = UINT64_MAX; /* unknown: KeepFree cannot apply */
        assert_false(ctl_storage_vacuum_needed(&s, 0, 1001));
}

static void test_text(void **state) {
        char *s = NULL;

        assert_int_equal(ctl_text_sanitize("plain", 5, 0, &s), 0);
        assert_string_equal(s, "plain");
        free(s);
        assert_int_equal(ctl_text_sanitize("a\x1b[2Jb\tc\nd", 10, CTL_TEXT_ESCAPE_CONTROL, &s), 0);
        assert_string_equal(s, "a\\x1b[2Jb\tc\nd");
        free(s);
        assert_int_equal(ctl_text_sanitize("a\tb\nc", 5, CTL_TEXT_ESCAPE_CONTROL | CTL_TEXT_ESCAPE_NEWLINE, &s), 0);
        assert_string_equal(s, "a\\x09b\\x0ac");
        free(s);
        /* Not UTF-8: U+FFFD for JSON and metrics, \xNN for a terminal. Overlong and surrogates too. */
        assert_int_equal(ctl_text_sanitize("\xff\xc0\xaf\xed\xa0\x80\xc3", 7, 0, &s), 0);
        assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
        free(s);
        assert_int_equal(ctl_text_sanitize("\xff\0\xc2\x85\xc3\xa9", 6, CTL_TEXT_ESCAPE_CONTROL, &s), 0);
        assert_string_equal(s, "\\xff\\x00\\xc2\\x85\xc3\xa9");
        free(s);

        assert_int_equal(ctl_text_utf8_prefix("abc", 10), 3);
        assert_int_equal(ctl_text_utf8_prefix("ab\xc3\xa9", 3), 2);
        assert_int_equal(ctl_text_utf8_prefix("ab\xc3\xa9", 4), 4);
}

static void test_core_opener(void **state) {
        uid_t uid = 1;
        gid_t gid = 1;

        /* Root's record (corejournal's own delivery), or no _UID at all (journal-remote): as we are. */
        assert_int_equal(ctl_core_opener("0", "0", 0, &uid, &gid), CTL_CORE_OPEN_SELF);
        assert_int_equal(ctl_core_opener("0", "0", 4242, &uid, &gid), CTL_CORE_OPEN_SELF);
        assert_int_equal(ctl_core_opener(NULL, NULL, 4242, &uid, &gid), CTL_CORE_OPEN_SELF);
        /* The user reads a record the user sent: the kernel checks the user's own rights. */
        assert_int_equal(ctl_core_opener("4242", "4242", 4242, &uid, &gid), CTL_CORE_OPEN_SELF);
        assert_int_equal(uid, 1);
        /* Root reads a user's record: only with that user's rights. */
        assert_int_equal(ctl_core_opener("4242", "4343", 0, &uid, &gid), CTL_CORE_OPEN_AS_SENDER);
        assert_int_equal(uid, 4242);
        assert_int_equal(gid, 4343);
        /* Another unprivileged user's record, or malformed IDs: refused. */
        uid = gid = 1;
        assert_int_equal(ctl_core_opener("4242", "4242", 1000, &uid, &gid), CTL_CORE_OPEN_REFUSED);
        assert_int_equal(ctl_core_opener("4242", NULL, 0, &uid, &gid), CTL_CORE_OPEN_REFUSED);
        assert_int_equal(ctl_core_opener("4242", "x", 0, &uid, &gid), CTL_CORE_OPEN_REFUSED);
        assert_int_equal(ctl_core_opener("-1", "0", 0, &uid, &gid), CTL_CORE_OPEN_REFUSED);
        assert_int_equal(ctl_core_opener("", "0", 0, &uid, &gid), CTL_CORE_OPEN_REFUSED);
        assert_int_equal(ctl_core_opener("4242x", "0", 0, &uid, &gid), CTL_CORE_OPEN_REFUSED);
        assert_int_equal(ctl_core_opener("4294967295", "0", 0, &uid, &gid), CTL_CORE_OPEN_REFUSED);
        assert_int_equal(uid, 1);
        assert_int_equal(gid, 1);
}

static void test_user_journal_names(void **state) {
        assert_true(ctl_source_is_user_journal("user-4242.journal", 4242));
        assert_true(ctl_source_is_user_journal("user-4242@0005f1e2d3c4b5a6-0123456789abcdef.journal~", 4242));
        assert_true(ctl_source_is_user_journal("user-4242@8a3c1c2e5f8b4f4f9f1e2d3c4b5a6978-0000000000000001-0005f1e2d3c4b5a6.journal", 4242));
        assert_false(ctl_source_is_user_journal("user-42420.journal", 4242));
        assert_false(ctl_source_is_user_journal("user-424.journal", 4242));
        assert_false(ctl_source_is_user_journal("user-4242.journal.bak", 4242));
        assert_false(ctl_source_is_user_journal("system.journal", 4242));
        assert_false(ctl_source_is_user_journal("user-1000.journal", 4242));
        assert_false(ctl_source_is_user_journal("user-4242", 4242));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unzstd),
                cmocka_unit_test(test_copy_to_pipe),
                cmocka_unit_test(test_storage_scan_and_vacuum),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_text),
                cmocka_unit_test(test_core_opener),
                cmocka_unit_test(test_user_journal_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
