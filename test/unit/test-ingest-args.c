/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ingest-backtrace.h"
#include "collect-storage.h"
#include "ingest-kernel.h"

#define ARGV(...) ((char *const[]) { __VA_ARGS__, NULL })
#define ARGC(...) ((int) (sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *)))
#define BT(ret, err, ...) ingest_backtrace_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), ret, err, sizeof(err))
#define KERNEL(ret, err, ...) ingest_kernel_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), ret, err, sizeof(err))

static void test_backtrace_signal_form(void **state) {
        BacktraceArgs a;
        char err[256];

        assert_int_equal(BT(&a, err, "123", "1000", "100", "11", "1700000000", "0", "host", "1"), 0);
        assert_int_equal(a.pid, 123);
        assert_int_equal(a.uid, 1000);
        assert_int_equal(a.gid, 100);
        assert_int_equal(a.signo, 11);
        assert_int_equal(a.timestamp_sec, 1700000000);
        assert_int_equal(a.rlimit, 0);
        assert_string_equal(a.hostname, "host");
        assert_int_equal(a.dumpable, 1);
        assert_int_equal(a.n_script_argv, 0);

        assert_int_equal(BT(&a, err, "1", "0", "0", "6", "1", "18446744073709551615"), 0);
        assert_int_equal(a.rlimit, UINT64_MAX);
        assert_null(a.hostname);
        assert_int_equal(a.dumpable, -1);

        assert_int_equal(BT(&a, err, "1", "0", "0", "6", "1", "0", "h", "1", "extra"), 0);
        assert_int_equal(a.n_ignored, 1);
}

static void test_backtrace_exception_form(void **state) {
        BacktraceArgs a;
        char err[256];

        /* What systemd-coredump-python sends: an exception name, RLIMIT -1, the script's argv. */
        assert_int_equal(BT(&a, err, "42", "1000", "1000", "ZeroDivisionError", "1700000000", "-1", "./app.py", "--flag", "x"), 0);
        assert_int_equal(a.signo, 0);
        assert_string_equal(a.signal_arg, "ZeroDivisionError");
        assert_int_equal(a.rlimit, UINT64_MAX);
        assert_null(a.hostname);
        assert_int_equal(a.n_script_argv, 3);
        assert_string_equal(a.script_argv[1], "--flag");
}

static void test_backtrace_errors(void **state) {
        BacktraceArgs a;
        char err[256];

        assert_int_equal(BT(&a, err, "1", "2", "3"), -EINVAL);
        assert_non_null(strstr(err, "got 3 arguments"));
        assert_int_equal(BT(&a, err, "abc", "0", "0", "11", "1", "0"), -EINVAL);
        assert_non_null(strstr(err, "invalid PID 'abc'"));
        assert_int_equal(BT(&a, err, "0", "0", "0", "11", "1", "0"), -EINVAL);
        assert_int_equal(BT(&a, err, "-5", "0", "0", "11", "1", "0"), -EINVAL);
        assert_int_equal(BT(&a, err, "1", "4294967295", "0", "11", "1", "0"), -EINVAL);
        assert_int_equal(BT(&a, err, "1", "0", "0", "11", "1.5", "0"), -EINVAL);
        assert_int_equal(BT(&a, err, "1", "0", "0", "11", "1", "-2"), -EINVAL);
        assert_int_equal(BT(&a, err, "1", "0", "0", "", "1", "0"), -EINVAL);
        assert_int_equal(BT(&a, err, "1", "0", "0", "11", "1", "0", "h", "7"), -EINVAL);
        assert_int_equal(BT(&a, err, "99999999999999999999", "0", "0", "11", "1", "0"), -EINVAL);
}

static void test_kernel_args(void **state) {
        KernelArgs a;
        char err[256];

        assert_int_equal(KERNEL(&a, err, "6797", "1000", "1000", "11", "1700000000", "18446744073709551615", "box", "1", "3", "6798"), 0);
        assert_int_equal(a.pid, 6797);
        assert_int_equal(a.signo, 11);
        assert_int_equal(a.rlimit, UINT64_MAX);
        assert_string_equal(a.hostname, "box");
        assert_int_equal(a.dumpable, 1);
        assert_int_equal(a.pidfd, 3);
        assert_int_equal(a.tid, 6798);

        /* Older kernels: %F and %I absent or expanded to nothing. */
        assert_int_equal(KERNEL(&a, err, "5", "0", "0", "6", "1", "0", "h", "2", "", ""), 0);
        assert_int_equal(a.pidfd, -1);
        assert_int_equal(a.tid, 0);
        assert_int_equal(a.dumpable, 2);
        assert_int_equal(KERNEL(&a, err, "5", "0", "0", "6", "1", "0"), 0);
        assert_null(a.hostname);

        assert_int_equal(KERNEL(&a, err, "5", "0", "0", "ValueError", "1", "0"), -EINVAL);
        assert_non_null(strstr(err, "invalid SIGNAL"));
        assert_int_equal(KERNEL(&a, err, "5", "0", "0", "65", "1", "0"), -EINVAL);
        assert_int_equal(KERNEL(&a, err, "5", "0", "0", "6", "1", "0", "h", "3"), -EINVAL);
        assert_int_equal(KERNEL(&a, err, "5", "0", "0", "6", "1", "0", "h", "1", "x"), -EINVAL);
        assert_int_equal(KERNEL(&a, err, "5", "0"), -EINVAL);
}

static void test_regular_uid(void **state) {
        assert_false(collect_storage_uid_is_regular(0));
        assert_false(collect_storage_uid_is_regular(999));
        assert_true(collect_storage_uid_is_regular(1000));
        assert_false(collect_storage_uid_is_regular(65534));
        assert_false(collect_storage_uid_is_regular(61184));
        assert_false(collect_storage_uid_is_regular(65519));
        assert_true(collect_storage_uid_is_regular(65520));
        assert_false(collect_storage_uid_is_regular((uid_t) -1));
}

static void test_safe_for_user(void **state) {
        /* dumpable, at_secure, same_ids, root_only_core, uid */
        assert_true(ingest_kernel_safe_for_user(1, 0, true, false, 4242));
        assert_false(ingest_kernel_safe_for_user(2, 0, true, false, 4242));  /* suid_dumpable=2 */
        assert_false(ingest_kernel_safe_for_user(0, 0, true, false, 4242));
        assert_false(ingest_kernel_safe_for_user(-1, 0, true, false, 4242)); /* %d absent */
        assert_false(ingest_kernel_safe_for_user(1, 1, true, false, 4242));  /* AT_SECURE */
        assert_false(ingest_kernel_safe_for_user(1, -1, true, false, 4242)); /* auxv unknown */
        assert_false(ingest_kernel_safe_for_user(1, 0, false, false, 4242)); /* uid != euid */
        assert_false(ingest_kernel_safe_for_user(1, 0, true, true, 4242));   /* kernel: root only */
        assert_false(ingest_kernel_safe_for_user(1, 0, true, false, 0));
        assert_false(ingest_kernel_safe_for_user(1, 0, true, false, 999));
        assert_false(ingest_kernel_safe_for_user(1, 0, true, false, 65534));
        assert_false(ingest_kernel_safe_for_user(1, 0, true, false, 61184));
}

static void test_sender(void **state) {
        KernelCrash c = { .args = { .uid = 4242, .gid = 4343 }, .allow_user_read = true };
        ExportSinkCredentials as = { .uid = 1, .gid = 1 };

        assert_true(ingest_kernel_sender(&c, true, &as));
        assert_int_equal(as.uid, 4242);
        assert_int_equal(as.gid, 4343);

        /* DeliverAsUser=no, or a crash not safe for the user: sent as root, ret untouched. */
        as = (ExportSinkCredentials) { .uid = 1, .gid = 1 };
        assert_false(ingest_kernel_sender(&c, false, &as));
        c.allow_user_read = false;
        assert_false(ingest_kernel_sender(&c, true, &as));
        assert_int_equal(as.uid, 1);
        assert_int_equal(as.gid, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_backtrace_signal_form),
                cmocka_unit_test(test_backtrace_exception_form),
                cmocka_unit_test(test_backtrace_errors),
                cmocka_unit_test(test_kernel_args),
                cmocka_unit_test(test_regular_uid),
                cmocka_unit_test(test_safe_for_user),
                cmocka_unit_test(test_sender),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
