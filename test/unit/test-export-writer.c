/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "export-writer.h"

static ExportRecord *sample(void) {
        ExportRecord *r;
        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(export_record_append_string(r, "MESSAGE", "hello"), 0);
        assert_int_equal(export_record_append(r, "BIN", "a\nb", 3), 0);
        assert_int_equal(export_record_append(r, "EMPTY", "", 0), 0);
        assert_int_equal(export_record_append(r, "CTRL", "x\ry", 3), 0);
        return r;
}

static void test_export_encoding(void **state) {
        _cleanup_(export_record_freep) ExportRecord *r = sample();
        _cleanup_(freep) char *out = NULL;
        size_t size;

        assert_int_equal(export_record_serialize(r, EXPORT_ENCODING_EXPORT, NULL, &out, &size), 0);
        static const char expected[] =
                "MESSAGE=hello\n"
                "BIN\n\x03\0\0\0\0\0\0\0a\nb\n"
                "EMPTY=\n"
                "CTRL\n\x03\0\0\0\0\0\0\0x\ry\n"
                "\n";
        assert_int_equal(size, sizeof(expected) - 1);
        assert_memory_equal(out, expected, size);
}

static void test_native_encoding(void **state) {
        _cleanup_(export_record_freep) ExportRecord *r = sample();
        _cleanup_(freep) char *out = NULL;
        size_t size;

        /* Native protocol: only a newline forces the binary form; no record terminator. */
        assert_int_equal(export_record_serialize(r, EXPORT_ENCODING_NATIVE, NULL, &out, &size), 0);
        static const char expected[] =
                "MESSAGE=hello\n"
                "BIN\n\x03\0\0\0\0\0\0\0a\nb\n"
                "EMPTY=\n"
                "CTRL=x\ry\n";
        assert_int_equal(size, sizeof(expected) - 1);
        assert_memory_equal(out, expected, size);
}

static void test_address_fields(void **state) {
        _cleanup_(export_record_freep) ExportRecord *r = NULL;
        _cleanup_(freep) char *out = NULL;
        size_t size;
        ExportAddress a = {
                .realtime_usec = 1700000000123456,
                .monotonic_usec = 42,
                .boot_id = "0123456789abcdef0123456789abcdef",
                .hostname = "host",
        };

        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(export_record_append_string(r, "MESSAGE", "m"), 0);
        assert_int_equal(export_record_serialize(r, EXPORT_ENCODING_EXPORT, &a, &out, &size), 0);
        assert_string_equal(out,
                            "__REALTIME_TIMESTAMP=1700000000123456\n"
                            "__MONOTONIC_TIMESTAMP=42\n"
                            "_BOOT_ID=0123456789abcdef0123456789abcdef\n"
                            "_HOSTNAME=host\n"
                            "MESSAGE=m\n\n");

        ExportAddress now;
        assert_int_equal(export_address_now(&now), 0);
        assert_int_equal(strlen(now.boot_id), 32);
        assert_true(now.realtime_usec > 1600000000000000ULL);
}

static void test_write_large_to_pipe(void **state) {
        _cleanup_(export_record_freep) ExportRecord *r = NULL;
        int fds[2];
        size_t big = 3 * 1024 * 1024;
        _cleanup_(freep) char *value = malloc(big);

        assert_non_null(value);
        for (size_t i = 0; i < big; i++)
                value[i] = (char) (i * 7);
        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(export_record_append(r, "COREDUMP", value, big), 0);
        assert_int_equal(pipe(fds), 0);

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                _exit(export_record_write(fds[1], r, NULL) < 0);
        }
        close(fds[1]);
        _cleanup_(freep) char *got = malloc(big + 64);
        size_t n = 0;
        ssize_t k;
        while ((k = read(fds[0], got + n, big + 64 - n)) > 0)
                n += (size_t) k;
        close(fds[0]);
        /* "COREDUMP\n" + 8 + data + "\n" + "\n" */
        assert_int_equal(n, 9 + 8 + big + 2);
        assert_memory_equal(got + 17, value, big);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_export_encoding),
                cmocka_unit_test(test_native_encoding),
                cmocka_unit_test(test_address_fields),
                cmocka_unit_test(test_write_large_to_pipe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
