/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "export-sink-http.h"

static void check(const char *url, const char *expect) {
        _cleanup_(freep) char *out = NULL;
        char error[256] = "";

        assert_int_equal(export_http_upload_url(url, &out, error, sizeof(error)), 0);
        assert_string_equal(out, expect);
}

static void check_refused(const char *url, const char *needle) {
        char *out = NULL, error[256] = "";

        assert_int_equal(export_http_upload_url(url, &out, error, sizeof(error)), -EINVAL);
        assert_null(out);
        print_message("refused %s: %s\n", url ?: "(null)", error);
        assert_non_null(strstr(error, needle));
}

static void test_upload_url(void **state) {
        /* journal-remote's port when none is given; the upload path appended once. */
        check("http://central", "http://central:19532/upload");
        check("http://10.0.0.2:8080", "http://10.0.0.2:8080/upload");
        check("https://central.example/", "https://central.example:19532/upload");
        check("https://central.example:443/upload", "https://central.example:443/upload");
        check("http://central/upload/", "http://central:19532/upload");
        check("http://central/journal", "http://central:19532/journal/upload");
        check("http://[::1]:19532", "http://[::1]:19532/upload");

        check_refused("ftp://central", "http:// or https://");
        check_refused("central:19532", "");
        check_refused("http://central/?x=1", "query");
        check_refused("http://user:pw@central", "user");
        check_refused("http://central/#frag", "fragment");
        check_refused("", "empty");
        check_refused(NULL, "empty");
}

/* Nothing listens on a closed port of the loopback: the sink says so in one line, retrying a
 * bounded number of times, and names the URL. */
static void test_unreachable(void **state) {
        _cleanup_(export_record_freep) ExportRecord *r = NULL;
        ExportHttpTarget t = { .url = "http://127.0.0.1:9", .attempts = 2, .backoff_usec = 1000 };
        char error[256];

        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(export_record_append_string(r, "MESSAGE", "hello"), 0);
        int ret = export_sink_http_send(&t, r, error, sizeof(error));
        print_message("%s\n", error);
        assert_int_equal(ret, -ECONNREFUSED);
        assert_non_null(strstr(error, "http://127.0.0.1:9/upload"));
        assert_null(strchr(error, '\n'));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_upload_url),
                cmocka_unit_test(test_unreachable),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
