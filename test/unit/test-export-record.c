/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "export-record.h"

static void test_name_rules(void **state) {
        assert_int_equal(export_name_classify("MESSAGE", 7), EXPORT_NAME_VALID);
        assert_int_equal(export_name_classify("COREDUMP_PROC_STATUS", 20), EXPORT_NAME_VALID);
        assert_int_equal(export_name_classify("A1_2", 4), EXPORT_NAME_VALID);
        assert_int_equal(export_name_classify("_PID", 4), EXPORT_NAME_TRUSTED);
        assert_int_equal(export_name_classify("_", 1), EXPORT_NAME_TRUSTED);
        assert_int_equal(export_name_classify("__CURSOR", 8), EXPORT_NAME_ADDRESS);
        assert_int_equal(export_name_classify("", 0), EXPORT_NAME_EMPTY);
        assert_int_equal(export_name_classify("1DIGIT", 6), EXPORT_NAME_LEADING_DIGIT);
        assert_int_equal(export_name_classify("lower", 5), EXPORT_NAME_BAD_CHARACTER);
        assert_int_equal(export_name_classify("MIXED_a", 7), EXPORT_NAME_BAD_CHARACTER);
        assert_int_equal(export_name_classify("A-B", 3), EXPORT_NAME_BAD_CHARACTER);
        assert_int_equal(export_name_classify("A B", 3), EXPORT_NAME_BAD_CHARACTER);

        char name[66];
        memset(name, 'A', sizeof(name));
        assert_int_equal(export_name_classify(name, 64), EXPORT_NAME_VALID);
        assert_int_equal(export_name_classify(name, 65), EXPORT_NAME_TOO_LONG);
}

static void test_text_or_binary(void **state) {
        assert_true(export_value_is_text("", 0));
        assert_true(export_value_is_text("hello world", 11));
        assert_true(export_value_is_text("tab\there", 8));
        assert_true(export_value_is_text("caf\xc3\xa9", 5));           /* é */
        assert_true(export_value_is_text("\xf0\x9f\x92\xa5", 4));      /* U+1F4A5 */
        assert_false(export_value_is_text("a\nb", 3));
        assert_false(export_value_is_text("a\rb", 3));
        assert_false(export_value_is_text("a\0b", 3));
        assert_false(export_value_is_text("\x7f", 1));                 /* DEL */
        assert_false(export_value_is_text("\xc2\x85", 2));             /* C1 control U+0085 */
        assert_false(export_value_is_text("\xff", 1));
        assert_false(export_value_is_text("\xc3", 1));                 /* cut sequence */
        assert_false(export_value_is_text("\xc0\xaf", 2));             /* overlong '/' */
        assert_false(export_value_is_text("\xed\xa0\x80", 3));         /* surrogate */
        assert_false(export_value_is_text("\xef\xbf\xbe", 3));         /* U+FFFE */
        assert_false(export_value_is_text("\xf4\x90\x80\x80", 4));     /* above U+10FFFF */
}

static void test_append_find_set_remove(void **state) {
        _cleanup_(export_record_freep) ExportRecord *r = NULL;

        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(export_record_append_string(r, "A", "1"), 0);
        assert_int_equal(export_record_append(r, "BIN", "x\0y", 3), 0);
        assert_int_equal(export_record_appendf(r, "A", "%d", 2), 0);
        assert_int_equal(export_record_append_string(r, "_PID", "1"), -EINVAL);
        assert_int_equal(export_record_append_string(r, "__CURSOR", "x"), -EINVAL);
        assert_int_equal(export_record_append_string(r, "bad", "x"), -EINVAL);
        assert_int_equal(export_record_append_reserved(r, "_PID", "1", 1), 0);
        assert_int_equal(r->n_fields, 4);

        assert_string_equal(export_record_get_string(r, "A"), "1");
        assert_null(export_record_get_string(r, "BIN")); /* has a NUL inside */
        assert_int_equal(export_record_find(r, "BIN")->size, 3);
        assert_memory_equal(export_record_find(r, "BIN")->value, "x\0y", 3);
        assert_null(export_record_find(r, "MISSING"));

        assert_int_equal(export_record_set_string(r, "A", "3"), 0);
        assert_int_equal(r->n_fields, 3);
        assert_string_equal(export_record_get_string(r, "A"), "3");
        assert_int_equal(export_record_remove(r, "A"), 1);
        assert_false(export_record_has(r, "A"));
        assert_int_equal(export_record_remove(r, "A"), 0);
        assert_int_equal(r->payload_size, strlen("BIN") + 1 + 3 + strlen("_PID") + 1 + 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_rules),
                cmocka_unit_test(test_text_or_binary),
                cmocka_unit_test(test_append_find_set_remove),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
