/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingest-ratelimit.h"
#include "ingest-socket.h"
#include "ingest-store.h"
#include "input-limits.h"

static void put_request(uint8_t buf[16], uint32_t size, uint32_t size_ack, uint64_t mask) {
        memcpy(buf, &size, 4);
        memcpy(buf + 4, &size_ack, 4);
        memcpy(buf + 8, &mask, 8);
}

static void test_request(void **state) {
        CoredumpRequest req;
        uint8_t buf[16];

        /* What 6.18 sends (KERNEL-FACTS.md §2). */
        put_request(buf, 16, 16, 0xf);
        assert_int_equal(ingest_socket_parse_request(buf, 16, &req), 0);
        assert_int_equal(req.size, 16);
        assert_int_equal(req.size_ack, 16);
        assert_int_equal(req.mask, 0xf);
        /* A newer, larger request is fine up to systemd's 4096. */
        put_request(buf, 4096, 64, 0xff);
        assert_int_equal(ingest_socket_parse_request(buf, 16, &req), 0);
        put_request(buf, 4097, 16, 0xf);
        assert_int_equal(ingest_socket_parse_request(buf, 16, &req), -EMSGSIZE);
        put_request(buf, 8, 16, 0xf);
        assert_int_equal(ingest_socket_parse_request(buf, 16, &req), -EBADMSG);
        put_request(buf, 16, 8, 0xf);
        assert_int_equal(ingest_socket_parse_request(buf, 16, &req), -EBADMSG);
        put_request(buf, 16, 16, 0xf);
        assert_int_equal(ingest_socket_parse_request(buf, 15, &req), -EBADMSG);
        assert_int_equal(ingest_socket_parse_request(NULL, 16, &req), -EBADMSG);
        /* Without REJECT we could not refuse a core; without WAIT not hold the crasher. */
        put_request(buf, 16, 16, COREDUMP_KERNEL | COREDUMP_WAIT);
        assert_int_equal(ingest_socket_parse_request(buf, 16, &req), -EPROTONOSUPPORT);
        put_request(buf, 16, 16, COREDUMP_KERNEL | COREDUMP_REJECT);
        assert_int_equal(ingest_socket_parse_request(buf, 16, &req), -EPROTONOSUPPORT);
}

static void test_ack(void **state) {
        CoredumpRequest req = { .size = 16, .size_ack = 16, .mask = 0xf };
        uint8_t buf[16];
        uint32_t size, spare;
        uint64_t mask;

        assert_int_equal(ingest_socket_make_ack(&req, COREDUMP_KERNEL | COREDUMP_WAIT, buf), 16);
        memcpy(&size, buf, 4);
        memcpy(&spare, buf + 4, 4);
        memcpy(&mask, buf + 8, 8);
        assert_int_equal(size, 16);
        assert_int_equal(spare, 0);
        assert_int_equal(mask, COREDUMP_KERNEL | COREDUMP_WAIT);
        assert_int_equal(ingest_socket_make_ack(&req, COREDUMP_REJECT, buf), 16);
        /* The kernel answers CONFLICTING or UNSUPPORTED to these; we never send them. */
        assert_int_equal(ingest_socket_make_ack(&req, COREDUMP_KERNEL | COREDUMP_REJECT, buf), -EINVAL);
        assert_int_equal(ingest_socket_make_ack(&req, 0, buf), -EINVAL);
        assert_int_equal(ingest_socket_make_ack(&req, COREDUMP_WAIT, buf), -EINVAL);
        assert_int_equal(ingest_socket_make_ack(&req, COREDUMP_KERNEL | (1ull << 10), buf), -EINVAL);
        req.mask = COREDUMP_KERNEL | COREDUMP_REJECT;
        assert_int_equal(ingest_socket_make_ack(&req, COREDUMP_KERNEL | COREDUMP_WAIT, buf), -EINVAL);
        req = (CoredumpRequest) { .size = 16, .size_ack = 8, .mask = 0xf };
        assert_int_equal(ingest_socket_make_ack(&req, COREDUMP_REJECT, buf), -EINVAL);
        assert_string_equal(coredump_mark_to_string(COREDUMP_MARK_CONFLICTING), "conflicting");
        assert_null(coredump_mark_to_string(_COREDUMP_MARK_MAX));
}

static void test_proc_parsers(void **state) {
        static const char limits[] =
                "Limit                     Soft Limit           Hard Limit           Units     \n"
                "Max file size             unlimited            unlimited            bytes     \n"
                "Max core file size        0                    unlimited            bytes     \n";
        static const char unlimited[] = "Max core file size        unlimited            unlimited            bytes\n";
        static const char status[] = "Name:\tx\nVmRSS:\t 9000 kB\nRssAnon:\t     1000 kB\nRssFile:\t 5 kB\nRssShmem:\t  24 kB\n";
        uint64_t v = 42;

        assert_int_equal(ingest_socket_parse_core_rlimit(limits, strlen(limits), &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(ingest_socket_parse_core_rlimit(unlimited, strlen(unlimited), &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(ingest_socket_parse_core_rlimit("Max core file size  x\n", 22, &v), -EBADMSG);
        assert_int_equal(ingest_socket_parse_core_rlimit(status, strlen(status), &v), -EBADMSG);
        assert_int_equal(ingest_socket_parse_resident(status, strlen(status), &v), 0);
        assert_int_equal(v, 1024 * 1024);
        assert_int_equal(ingest_socket_parse_resident(limits, strlen(limits), &v), -EBADMSG);
}

static size_t put_note(uint8_t *p, uint32_t type, int32_t signo, size_t descsz) {
        uint32_t namesz = 5;
        memset(p, 0, 12 + 8 + descsz);
        memcpy(p, &namesz, 4);
        memcpy(p + 4, &(uint32_t) { (uint32_t) descsz }, 4);
        memcpy(p + 8, &type, 4);
        memcpy(p + 12, "CORE", 5);
        memcpy(p + 20, &signo, 4);
        return 20 + ((descsz + 3) & ~(size_t) 3);
}

static void test_note_signal(void **state) {
        uint8_t notes[1024];
        size_t n = 0;

        n += put_note(notes + n, 1 /* NT_PRSTATUS */, 11, 336);
        assert_int_equal(ingest_store_note_signal(notes, n), 11);
        n += put_note(notes + n, 0x53494749 /* NT_SIGINFO */, 6, 128);
        assert_int_equal(ingest_store_note_signal(notes, n), 6);
        /* Cut inside the second note: only the first counts; cut inside the first: nothing. */
        assert_int_equal(ingest_store_note_signal(notes, n - 1), 11);
        assert_int_equal(ingest_store_note_signal(notes, 30), 0);
        assert_int_equal(ingest_store_note_signal(NULL, 0), 0);
        n = put_note(notes, 1, 1000, 336);
        assert_int_equal(ingest_store_note_signal(notes, n), 0);
}

static void test_ratelimit(void **state) {
        _cleanup_(ingest_ratelimit_freep) IngestRatelimit *rl = NULL;
        IngestRatelimitVerdict v;
        const uint64_t minute = 60 * 1000000ull;

        assert_int_equal(ingest_ratelimit_new(&rl), 0);
        for (int i = 0; i < 5; i++) {
                assert_int_equal(ingest_ratelimit_check(rl, "/bin/a", NULL, 1000 + i, minute, 5, &v), 0);
                assert_true(v.allowed);
        }
        for (int i = 1; i <= 3; i++) {
                assert_int_equal(ingest_ratelimit_check(rl, "/bin/a", NULL, 2000, minute, 5, &v), 0);
                assert_false(v.allowed);
                assert_int_equal(v.refused, i);
        }
        /* Another executable has its own budget. */
        assert_int_equal(ingest_ratelimit_check(rl, "/bin/b", NULL, 2000, minute, 5, &v), 0);
        assert_true(v.allowed);
        /* A new interval: allowed again, and told how many the last one refused. */
        assert_int_equal(ingest_ratelimit_check(rl, "/bin/a", NULL, 1000 + minute, minute, 5, &v), 0);
        assert_true(v.allowed);
        assert_int_equal(v.refused_before, 3);
        assert_int_equal(ingest_ratelimit_check(rl, "/bin/a", NULL, 1001 + minute, minute, 5, &v), 0);
        assert_int_equal(v.refused_before, 0);
        /* Disabled by a zero interval or burst. */
        for (int i = 0; i < 100; i++) {
                assert_int_equal(ingest_ratelimit_check(rl, "/bin/a", NULL, 5, 0, 5, &v), 0);
                assert_true(v.allowed);
                assert_int_equal(ingest_ratelimit_check(rl, "/bin/a", NULL, 5, minute, 0, &v), 0);
                assert_true(v.allowed);
        }
        /* More executables than remembered: still bounded and answering. */
        for (int i = 0; i < RATELIMIT_KEYS_MAX + 10; i++) {
                char exe[32];
                snprintf(exe, sizeof(exe), "/bin/x%d", i);
                assert_int_equal(ingest_ratelimit_check(rl, exe, NULL, 3000 + (uint64_t) i, minute, 1, &v), 0);
                assert_true(v.allowed);
        }
}

static void test_ratelimit_unit(void **state) {
        _cleanup_(ingest_ratelimit_freep) IngestRatelimit *rl = NULL;
        IngestRatelimitVerdict v;
        const uint64_t minute = 60 * 1000000ull;
        char exe[32];

        assert_int_equal(ingest_ratelimit_new(&rl), 0);
        /* Three different programs of one unit: each is within its own budget, the unit is not. */
        for (int i = 0; i < 3; i++) {
                snprintf(exe, sizeof(exe), "/bin/u%d", i);
                assert_int_equal(ingest_ratelimit_check(rl, exe, "loop.service", 1000 + i, minute, 3, &v), 0);
                assert_true(v.allowed);
        }
        for (int i = 1; i <= 2; i++) {
                snprintf(exe, sizeof(exe), "/bin/v%d", i);
                assert_int_equal(ingest_ratelimit_check(rl, exe, "loop.service", 1010, minute, 3, &v), 0);
                assert_false(v.allowed);
                assert_int_equal(v.limited_by, INGEST_RATELIMIT_UNIT);
                assert_int_equal(v.refused, i);
                assert_string_equal(ingest_ratelimit_scope_to_string(v.limited_by), "unit");
        }
        /* The same programs outside the unit, or in another one, are not held back by it. */
        assert_int_equal(ingest_ratelimit_check(rl, "/bin/v1", NULL, 1020, minute, 3, &v), 0);
        assert_true(v.allowed);
        assert_int_equal(ingest_ratelimit_check(rl, "/bin/v2", "other.service", 1020, minute, 3, &v), 0);
        assert_true(v.allowed);
        /* One program over its own burst in a unit with room: the executable's limit says no. */
        for (int i = 0; i < 3; i++)
                assert_int_equal(ingest_ratelimit_check(rl, "/bin/w", "w.service", 1030, minute, 3, &v), 0);
        assert_true(v.allowed);
        assert_int_equal(ingest_ratelimit_check(rl, "/bin/w", "w.service", 1031, minute, 3, &v), 0);
        assert_false(v.allowed);
        assert_int_equal(v.limited_by, INGEST_RATELIMIT_EXECUTABLE);
        assert_int_equal(v.refused, 1);
        /* The unit's next interval admits again and reports what the last one refused. */
        assert_int_equal(ingest_ratelimit_check(rl, "/bin/u9", "loop.service", 1000 + minute, minute, 3, &v), 0);
        assert_true(v.allowed);
        assert_int_equal(v.refused_before, 2);
        /* An empty unit is no unit. */
        for (int i = 0; i < 10; i++) {
                snprintf(exe, sizeof(exe), "/bin/z%d", i);
                assert_int_equal(ingest_ratelimit_check(rl, exe, "", 5000, minute, 3, &v), 0);
                assert_true(v.allowed);
        }
        /* Many units and executables: bounded, still answering. */
        for (int i = 0; i < RATELIMIT_KEYS_MAX + 10; i++) {
                char unit[32];
                snprintf(exe, sizeof(exe), "/bin/y%d", i);
                snprintf(unit, sizeof(unit), "y%d.service", i);
                assert_int_equal(ingest_ratelimit_check(rl, exe, unit, 6000 + (uint64_t) i, minute, 1, &v), 0);
                assert_true(v.allowed);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_request),
                cmocka_unit_test(test_ack),
                cmocka_unit_test(test_proc_parsers),
                cmocka_unit_test(test_note_signal),
                cmocka_unit_test(test_ratelimit),
                cmocka_unit_test(test_ratelimit_unit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
