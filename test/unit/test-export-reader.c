/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "export-reader.h"
#include "export-writer.h"
#include "input-limits.h"

static const ExportLimits small = {
        .field_size_max = 16,
        .record_size_max = 64,
        .fields_max = 4,
};

/* Parses data expecting failure with err; checks the message names offset and problem. */
static void expect_error(const char *data, size_t size, const ExportLimits *limits, int err, const char *needle) {
        _cleanup_(export_reader_freep) ExportReader *rd = NULL;
        _cleanup_(export_record_freep) ExportRecord *rec = NULL;

        assert_int_equal(export_reader_new_memory(data, size, limits ?: &export_limits_journal, 0, &rd), 0);
        int r = export_reader_next(rd, &rec);
        if (r != err)
                fail_msg("expected %d, got %d (%s)", err, r, export_reader_error(rd));
        if (!strstr(export_reader_error(rd), needle))
                fail_msg("error '%s' lacks '%s'", export_reader_error(rd), needle);
        /* Failure is sticky. */
        assert_int_equal(export_reader_next(rd, &rec), err);
}

#define EXPECT(lit, limits, err, needle) expect_error(lit, sizeof(lit) - 1, limits, err, needle)

static void test_parses_text_and_binary(void **state) {
        static const char in[] =
                "__CURSOR=s=abc\n"
                "__REALTIME_TIMESTAMP=1\n"
                "MESSAGE=hi there\n"
                "BIN\n\x05\0\0\0\0\0\0\0a\n\0\xff" "b\n"
                "EMPTY=\n"
                "EQ=a=b\n"
                "\n"
                "\n" /* an empty record between two is skipped */
                "SECOND=2\n"
                "\n";
        _cleanup_(export_reader_freep) ExportReader *rd = NULL;
        _cleanup_(export_record_freep) ExportRecord *a = NULL, *b = NULL, *c = NULL;

        assert_int_equal(export_reader_new_memory(in, sizeof(in) - 1, &export_limits_journal, 0, &rd), 0);
        assert_int_equal(export_reader_next(rd, &a), 1);
        assert_int_equal(a->n_fields, 4);
        assert_string_equal(a->fields[0].name, "MESSAGE");
        assert_string_equal((char *) a->fields[0].value, "hi there");
        assert_string_equal(a->fields[1].name, "BIN");
        assert_int_equal(a->fields[1].size, 5);
        assert_memory_equal(a->fields[1].value, "a\n\0\xff" "b", 5);
        assert_int_equal(a->fields[2].size, 0);
        assert_string_equal((char *) a->fields[3].value, "a=b");
        assert_int_equal(export_reader_next(rd, &b), 1);
        assert_string_equal(export_record_get_string(b, "SECOND"), "2");
        assert_int_equal(export_reader_next(rd, &c), 0);
        assert_int_equal(export_reader_offset(rd), sizeof(in) - 1);
}

static void test_trusted_fields(void **state) {
        static const char in[] = "_PID=1\nMESSAGE=m\n_UID=0\n\n";
        _cleanup_(export_reader_freep) ExportReader *rd = NULL, *keep = NULL;
        _cleanup_(export_record_freep) ExportRecord *a = NULL, *b = NULL;
        const char *names;

        assert_int_equal(export_reader_new_memory(in, sizeof(in) - 1, &export_limits_journal, 0, &rd), 0);
        assert_int_equal(export_reader_next(rd, &a), 1);
        assert_int_equal(a->n_fields, 1);
        assert_int_equal(export_reader_dropped(rd, &names), 2);
        assert_string_equal(names, "_PID,_UID");

        assert_int_equal(export_reader_new_memory(in, sizeof(in) - 1, &export_limits_journal, EXPORT_READER_KEEP_TRUSTED, &keep), 0);
        assert_int_equal(export_reader_next(keep, &b), 1);
        assert_int_equal(b->n_fields, 3);
        assert_int_equal(export_reader_dropped(keep, NULL), 0);
}

static void test_eof_rules(void **state) {
        static const char in[] = "A=1\nB=2\n";
        _cleanup_(export_reader_freep) ExportReader *rd = NULL;
        _cleanup_(export_record_freep) ExportRecord *a = NULL;

        /* Strict by default... */
        EXPECT("A=1\nB=2\n", NULL, -EBADMSG, "offset 8: unexpected end of input: record not terminated by an empty line");
        /* ...but a submission may end at EOF after a complete field. */
        assert_int_equal(export_reader_new_memory(in, sizeof(in) - 1, &export_limits_journal, EXPORT_READER_EOF_ENDS_RECORD, &rd), 0);
        assert_int_equal(export_reader_next(rd, &a), 1);
        assert_int_equal(a->n_fields, 2);

        /* Empty input is a clean end. */
        _cleanup_(export_reader_freep) ExportReader *empty = NULL;
        _cleanup_(export_record_freep) ExportRecord *none = NULL;
        assert_int_equal(export_reader_new_memory("", 0, &export_limits_journal, 0, &empty), 0);
        assert_int_equal(export_reader_next(empty, &none), 0);
}

static void test_malformations(void **state) {
        EXPECT("A=1\nB=no newline", NULL, -EBADMSG, "offset 4: unexpected end of input: text field B has no terminating newline");
        EXPECT("A=1\nNAME", NULL, -EBADMSG, "offset 4: unexpected end of input inside field name 'NAME'");
        EXPECT("BIN\n\x05\0\0", NULL, -EBADMSG, "offset 4: unexpected end of input: length of binary field BIN is cut short (3 of 8 bytes)");
        EXPECT("BIN\n\x05\0\0\0\0\0\0\0ab", NULL, -EBADMSG, "offset 12: unexpected end of input: binary field BIN declares 5 bytes but the input ends at offset 14");
        EXPECT("BIN\n\x02\0\0\0\0\0\0\0abX", NULL, -EBADMSG, "offset 14: binary field BIN is not followed by a newline (found 0x58)");
        EXPECT("BIN\n\x02\0\0\0\0\0\0\0ab", NULL, -EBADMSG, "offset 14: unexpected end of input: missing newline after binary field BIN");
        EXPECT("M=1\nlower=x\n\n", NULL, -EBADMSG, "offset 4: field name 'lower' contains a character other than A-Z, 0-9 and _");
        EXPECT("1A=x\n\n", NULL, -EBADMSG, "offset 0: field name '1A' starts with a digit");
        EXPECT("=x\n\n", NULL, -EBADMSG, "offset 0: field name '' is empty");
        EXPECT("A\x01=x\n\n", NULL, -EBADMSG, "field name 'A\\x01' contains");
        EXPECT("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=x\n\n", NULL, -EBADMSG,
               "offset 0: field name 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...' is longer than 64 characters");
}

static void test_limits(void **state) {
        EXPECT("A=0123456789abcdefX\n\n", &small, -E2BIG, "offset 0: text field A is longer than the limit of 16 bytes");
        EXPECT("B\n\x11\0\0\0\0\0\0\0", &small, -E2BIG, "offset 2: binary field B declares 17 bytes, over the limit of 16");
        EXPECT("B\n\xff\xff\xff\xff\xff\xff\xff\xff", &small, -E2BIG, "declares 18446744073709551615 bytes");
        EXPECT("A=1\nB=2\nC=3\nD=4\nE=5\n\n", &small, -E2BIG, "offset 16: record has more than 4 fields");
        EXPECT("A=0123456789abcde\nB=0123456789abcde\nC=0123456789abcde\nD=0123456789abcde\n\n", &small, -E2BIG,
               "offset 54: record exceeds the limit of 64 bytes at field D");
        /* Exactly at the limit is fine. */
        static const char ok[] = "A=0123456789abcdef\n\n";
        _cleanup_(export_reader_freep) ExportReader *rd = NULL;
        _cleanup_(export_record_freep) ExportRecord *rec = NULL;
        assert_int_equal(export_reader_new_memory(ok, sizeof(ok) - 1, &small, 0, &rd), 0);
        assert_int_equal(export_reader_next(rd, &rec), 1);
}

/* A writer feeding a pipe in small pieces exercises buffer refills at every boundary. */
static void test_roundtrip_through_pipe(void **state) {
        _cleanup_(export_record_freep) ExportRecord *r = NULL, *back = NULL, *back2 = NULL;
        _cleanup_(export_reader_freep) ExportReader *rd = NULL;
        _cleanup_(freep) char *data = NULL, *big = malloc(300000);
        size_t size;
        int fds[2];

        assert_non_null(big);
        for (size_t i = 0; i < 300000; i++)
                big[i] = (char) (i % 251);
        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(export_record_append_string(r, "MESSAGE", "hello"), 0);
        assert_int_equal(export_record_append(r, "BIG", big, 300000), 0);
        memset(big, 'x', 100000);
        assert_int_equal(export_record_append(r, "LONGTEXT", big, 100000), 0);
        assert_int_equal(export_record_serialize(r, EXPORT_ENCODING_EXPORT, NULL, &data, &size), 0);

        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                for (int copy = 0; copy < 2; copy++)
                        for (size_t off = 0; off < size; off += 777) {
                                size_t n = size - off < 777 ? size - off : 777;
                                if (write(fds[1], data + off, n) != (ssize_t) n)
                                        _exit(1);
                        }
                _exit(0);
        }
        close(fds[1]);
        assert_int_equal(export_reader_new_fd(fds[0], &export_limits_journal, 0, &rd), 0);
        assert_int_equal(export_reader_next(rd, &back), 1);
        assert_int_equal(export_reader_next(rd, &back2), 1);
        for (ExportRecord *b = back; b; b = b == back ? back2 : NULL) {
                assert_int_equal(b->n_fields, 3);
                for (size_t i = 0; i < 3; i++) {
                        assert_string_equal(b->fields[i].name, r->fields[i].name);
                        assert_int_equal(b->fields[i].size, r->fields[i].size);
                        assert_memory_equal(b->fields[i].value, r->fields[i].value, r->fields[i].size);
                }
        }
        _cleanup_(export_record_freep) ExportRecord *end = NULL;
        assert_int_equal(export_reader_next(rd, &end), 0);
        assert_int_equal(export_reader_offset(rd), 2 * size);
        close(fds[0]);
}

/* Output of a real `journalctl -o export`, kept as a fixture. */
static void test_journalctl_fixture(void **state) {
        _cleanup_(export_reader_freep) ExportReader *rd = NULL;
        int fd = open(FIXTURES_DIR "/export/journalctl-export.bin", O_RDONLY | O_CLOEXEC);
        size_t n = 0;
        bool saw_binary = false;

        assert_true(fd >= 0);
        assert_int_equal(export_reader_new_fd(fd, &export_limits_journal, EXPORT_READER_KEEP_TRUSTED, &rd), 0);
        for (;;) {
                _cleanup_(export_record_freep) ExportRecord *rec = NULL;
                int r = export_reader_next(rd, &rec);
                if (r < 0)
                        fail_msg("%s", export_reader_error(rd));
                if (r == 0)
                        break;
                n++;
                assert_non_null(export_record_find(rec, "_BOOT_ID"));
                assert_null(export_record_find(rec, "__CURSOR"));
                const ExportField *f = export_record_find(rec, "CJ_BINARY");
                if (f) {
                        assert_int_equal(f->size, 7);
                        assert_memory_equal(f->value, "a\nb\0c\xff" "d", 7);
                        saw_binary = true;
                }
        }
        close(fd);
        assert_true(n >= 2);
        assert_true(saw_binary);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parses_text_and_binary),
                cmocka_unit_test(test_trusted_fields),
                cmocka_unit_test(test_eof_rules),
                cmocka_unit_test(test_malformations),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_roundtrip_through_pipe),
                cmocka_unit_test(test_journalctl_fixture),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
