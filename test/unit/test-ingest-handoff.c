/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "ingest-handoff.h"
#include "input-limits.h"
#include "message-ids.h"

static const HandoffOffer sample_offer = {
        .flags = HANDOFF_FLAG_PIDFD | HANDOFF_FLAG_CONTEXT_VERIFIED | HANDOFF_FLAG_AT_SECURE_KNOWN,
        .pid = 4242,
        .uid = 1000,
        .gid = 100,
        .signo = 11,
        .dumpable = 1,
        .tid = 4243,
        .timestamp_sec = 1700000000,
        .rlimit = UINT64_MAX,
        .context_size = 1234,
};

static void assert_offer_equal(const HandoffOffer *a, const HandoffOffer *b) {
        assert_int_equal(a->flags, b->flags);
        assert_int_equal(a->pid, b->pid);
        assert_int_equal(a->uid, b->uid);
        assert_int_equal(a->gid, b->gid);
        assert_int_equal(a->signo, b->signo);
        assert_int_equal(a->dumpable, b->dumpable);
        assert_int_equal(a->tid, b->tid);
        assert_int_equal(a->timestamp_sec, b->timestamp_sec);
        assert_int_equal(a->rlimit, b->rlimit);
        assert_int_equal(a->context_size, b->context_size);
}

static void test_offer_round_trip(void **state) {
        uint8_t buf[HANDOFF_OFFER_SIZE];
        HandoffOffer o;

        assert_int_equal(ingest_handoff_encode_offer(&sample_offer, buf), HANDOFF_OFFER_SIZE);
        assert_int_equal(ingest_handoff_decode_offer(buf, sizeof(buf), &o), 0);
        assert_offer_equal(&o, &sample_offer);
        /* The wire layout is fixed: magic "CJHO", version 1, type 1. */
        assert_memory_equal(buf, "CJHO\x01\x00\x01\x00", 8);

        /* Optional kernel values absent. */
        HandoffOffer minimal = sample_offer;
        minimal.flags = 0;
        minimal.dumpable = -1;
        minimal.tid = 0;
        assert_int_equal(ingest_handoff_encode_offer(&minimal, buf), HANDOFF_OFFER_SIZE);
        assert_int_equal(ingest_handoff_decode_offer(buf, sizeof(buf), &o), 0);
        assert_int_equal(o.dumpable, -1);
        assert_int_equal(o.tid, 0);
}

static void test_offer_refused(void **state) {
        uint8_t buf[HANDOFF_MESSAGE_SIZE_MAX + 1] = {};
        HandoffOffer o = { .pid = -1 };
        uint16_t v;

        assert_int_equal(ingest_handoff_encode_offer(&sample_offer, buf), HANDOFF_OFFER_SIZE);
        /* Short, long, oversized. */
        assert_int_equal(ingest_handoff_decode_offer(buf, 7, &o), -EBADMSG);
        assert_int_equal(ingest_handoff_decode_offer(buf, HANDOFF_OFFER_SIZE - 1, &o), -EBADMSG);
        assert_int_equal(ingest_handoff_decode_offer(buf, HANDOFF_OFFER_SIZE + 1, &o), -EBADMSG);
        assert_int_equal(ingest_handoff_decode_offer(buf, HANDOFF_MESSAGE_SIZE_MAX + 1, &o), -EMSGSIZE);
        assert_int_equal(ingest_handoff_decode_offer(NULL, HANDOFF_OFFER_SIZE, &o), -EBADMSG);
        /* Nothing was assigned by the failures. */
        assert_int_equal(o.pid, -1);

#define MUTATE(off, type, value, expected)                                                 \
        do {                                                                               \
                uint8_t m[HANDOFF_OFFER_SIZE];                                             \
                type x = (value);                                                          \
                memcpy(m, buf, sizeof(m));                                                 \
                memcpy(m + (off), &x, sizeof(x));                                          \
                assert_int_equal(ingest_handoff_decode_offer(m, sizeof(m), &o), expected); \
        } while (0)

        MUTATE(0, uint32_t, 0x4f484a44u, -EBADMSG);       /* magic */
        MUTATE(4, uint16_t, 2, -EPROTONOSUPPORT);         /* a newer version */
        MUTATE(4, uint16_t, 0, -EPROTONOSUPPORT);
        MUTATE(6, uint16_t, HANDOFF_ACCEPTED, -EBADMSG);  /* not an offer */
        MUTATE(6, uint16_t, 99, -EBADMSG);
        MUTATE(8, uint32_t, 1u << 7, -EBADMSG);           /* unknown flag */
        MUTATE(12, int32_t, 0, -EBADMSG);                 /* pid */
        MUTATE(12, int32_t, -5, -EBADMSG);
        MUTATE(16, uint32_t, UINT32_MAX, -EBADMSG);       /* uid -1 */
        MUTATE(24, int32_t, 0, -EBADMSG);                 /* signal */
        MUTATE(24, int32_t, 65, -EBADMSG);
        MUTATE(28, int32_t, 3, -EBADMSG);                 /* dumpable */
        MUTATE(28, int32_t, -2, -EBADMSG);
        MUTATE(32, int32_t, -1, -EBADMSG);                /* tid */
        MUTATE(36, uint32_t, 1, -EBADMSG);                /* reserved */
        MUTATE(40, uint64_t, UINT64_MAX, -EBADMSG);       /* timestamp */
        MUTATE(56, uint64_t, 0, -EBADMSG);                /* no context */
        MUTATE(56, uint64_t, HANDOFF_CONTEXT_SIZE_MAX + 1, -EMSGSIZE);
        MUTATE(56, uint64_t, HANDOFF_CONTEXT_SIZE_MAX, 0);
#undef MUTATE

        /* The version is read before the size: a newer, longer offer is a version problem. */
        v = 2;
        memcpy(buf + 4, &v, 2);
        assert_int_equal(ingest_handoff_decode_offer(buf, 100, &o), -EPROTONOSUPPORT);

        /* The encoder refuses what the decoder would. */
        HandoffOffer bad = sample_offer;
        bad.signo = 0;
        assert_int_equal(ingest_handoff_encode_offer(&bad, buf), -EINVAL);
        bad = sample_offer;
        bad.context_size = HANDOFF_CONTEXT_SIZE_MAX + 1;
        assert_int_equal(ingest_handoff_encode_offer(&bad, buf), -EINVAL);
        assert_int_equal(ingest_handoff_encode_offer(NULL, buf), -EINVAL);
}

static void test_messages(void **state) {
        uint8_t buf[HANDOFF_MESSAGE_SIZE], off[HANDOFF_OFFER_SIZE];
        HandoffMessage m;

        for (HandoffType t = HANDOFF_ACCEPTED; t < _HANDOFF_TYPE_MAX; t++) {
                assert_int_equal(ingest_handoff_encode_message(t, -EBUSY, buf), HANDOFF_MESSAGE_SIZE);
                assert_int_equal(ingest_handoff_decode_message(buf, sizeof(buf), &m), 0);
                assert_int_equal(m.type, t);
                assert_int_equal(m.status, -EBUSY);
                assert_non_null(handoff_type_to_string(t));
        }
        assert_string_equal(handoff_type_to_string(HANDOFF_RECORDED), "recorded");
        assert_null(handoff_type_to_string(0));
        assert_null(handoff_type_to_string(_HANDOFF_TYPE_MAX));
        assert_int_equal(ingest_handoff_encode_message(HANDOFF_OFFER, 0, buf), -EINVAL);
        assert_int_equal(ingest_handoff_encode_message(_HANDOFF_TYPE_MAX, 0, buf), -EINVAL);

        assert_int_equal(ingest_handoff_encode_message(HANDOFF_RECORDED, 1, buf), HANDOFF_MESSAGE_SIZE);
        assert_int_equal(ingest_handoff_decode_message(buf, sizeof(buf) - 1, &m), -EBADMSG);
        buf[12] = 1; /* reserved */
        assert_int_equal(ingest_handoff_decode_message(buf, sizeof(buf), &m), -EBADMSG);
        buf[12] = 0;
        buf[4] = 7; /* version */
        assert_int_equal(ingest_handoff_decode_message(buf, sizeof(buf), &m), -EPROTONOSUPPORT);
        /* An offer is not a message, a message not an offer. */
        assert_int_equal(ingest_handoff_encode_offer(&sample_offer, off), HANDOFF_OFFER_SIZE);
        assert_int_equal(ingest_handoff_decode_message(off, sizeof(off), &m), -EBADMSG);
        assert_int_equal(ingest_handoff_encode_message(HANDOFF_ACCEPTED, 0, buf), HANDOFF_MESSAGE_SIZE);
        HandoffOffer o;
        assert_int_equal(ingest_handoff_decode_offer(buf, sizeof(buf), &o), -EBADMSG);
}

static ExportRecord *sample_record(const char *pid) {
        ExportRecord *r = NULL;
        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(export_record_append_string(r, "MESSAGE_ID", MESSAGE_ID_COREDUMP), 0);
        assert_int_equal(export_record_append_string(r, "COREDUMP_PID", pid), 0);
        assert_int_equal(export_record_append(r, "COREDUMP_ENVIRON", "A=1\nB=\xff\0C", 10), 0);
        assert_int_equal(export_record_append_string(r, "COREDUMP_COMM", "crasher"), 0);
        return r;
}

static void test_context(void **state) {
        _cleanup_(export_record_freep) ExportRecord *record = sample_record("4242"), *back = NULL;
        _cleanup_(freep) char *buf = NULL;
        HandoffOffer o = sample_offer;
        char error[256];
        size_t size;

        assert_int_equal(ingest_handoff_encode_context(record, &buf, &size), 0);
        o.context_size = size;
        assert_int_equal(ingest_handoff_decode_context(&o, buf, size, &back, error, sizeof(error)), 0);
        assert_int_equal(back->n_fields, record->n_fields);
        for (size_t i = 0; i < record->n_fields; i++) {
                assert_string_equal(back->fields[i].name, record->fields[i].name);
                assert_int_equal(back->fields[i].size, record->fields[i].size);
                assert_memory_equal(back->fields[i].value, record->fields[i].value, record->fields[i].size);
        }
        back = export_record_free(back);

        /* The size must be the offer's. */
        assert_int_equal(ingest_handoff_decode_context(&o, buf, size - 1, &back, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "the offer said"));
        /* Another PID than the offer's. */
        o.pid = 4243;
        assert_int_equal(ingest_handoff_decode_context(&o, buf, size, &back, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "another process"));
        o.pid = 4242;
        assert_null(back);
}

static void decode_text(const char *text, int expected, const char *what) {
        _cleanup_(export_record_freep) ExportRecord *back = NULL;
        HandoffOffer o = sample_offer;
        char error[256] = "";

        o.context_size = strlen(text);
        assert_int_equal(ingest_handoff_decode_context(&o, text, strlen(text), &back, error, sizeof(error)), expected);
        if (what)
                assert_non_null(strstr(error, what));
}

static void test_context_refused(void **state) {
        decode_text("MESSAGE_ID=" MESSAGE_ID_COREDUMP "\nCOREDUMP_PID=4242\n\n", 0, NULL);
        decode_text("MESSAGE_ID=" MESSAGE_ID_COREDUMP "\nCOREDUMP_PID=4242\n\nMESSAGE_ID=x\n\n", -EBADMSG, "more than one");
        decode_text("\n", -EBADMSG, NULL);
        decode_text("MESSAGE_ID=other\nCOREDUMP_PID=4242\n\n", -EBADMSG, "not a crash record");
        decode_text("COREDUMP_PID=4242\n\n", -EBADMSG, "not a crash record");
        decode_text("MESSAGE_ID=" MESSAGE_ID_COREDUMP "\n\n", -EBADMSG, "another process");
        decode_text("MESSAGE_ID=" MESSAGE_ID_COREDUMP "\nCOREDUMP_PID=4242\n_PID=1\n\n", -EBADMSG, "reserved");
        decode_text("MESSAGE_ID=" MESSAGE_ID_COREDUMP "\nCOREDUMP_PID=4242\nlower=case\n\n", -EBADMSG, "malformed");
        decode_text("MESSAGE_ID=" MESSAGE_ID_COREDUMP "\nCOREDUMP_PID=4242\n", -EBADMSG, "malformed");
        decode_text("garbage", -EBADMSG, "malformed");

        /* Over the field limit: a binary field announcing more than HANDOFF_CONTEXT_FIELD_SIZE_MAX. */
        uint8_t big[64] = "MESSAGE_ID=" MESSAGE_ID_COREDUMP "\nX\n";
        size_t n = strlen((char *) big);
        uint64_t len = HANDOFF_CONTEXT_FIELD_SIZE_MAX + 1;
        memcpy(big + n, &len, 8);
        HandoffOffer o = sample_offer;
        o.context_size = n + 8;
        _cleanup_(export_record_freep) ExportRecord *back = NULL;
        char error[256];
        assert_int_equal(ingest_handoff_decode_context(&o, big, n + 8, &back, error, sizeof(error)), -E2BIG);

        /* Too many fields. */
        _cleanup_(freep) char *many = malloc(64 * (HANDOFF_CONTEXT_FIELDS_MAX + 2));
        assert_non_null(many);
        char *w = many;
        w += sprintf(w, "MESSAGE_ID=%s\nCOREDUMP_PID=4242\n", MESSAGE_ID_COREDUMP);
        for (int i = 0; i < HANDOFF_CONTEXT_FIELDS_MAX; i++)
                w += sprintf(w, "F%d=x\n", i);
        *w++ = '\n';
        *w = 0;
        decode_text(many, -E2BIG, NULL);
}

static void test_context_encode_limits(void **state) {
        _cleanup_(export_record_freep) ExportRecord *r = NULL;
        _cleanup_(freep) char *buf = NULL, *value = NULL;
        size_t size;

        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(ingest_handoff_encode_context(r, &buf, &size), -EMSGSIZE);
        value = calloc(1, HANDOFF_CONTEXT_FIELD_SIZE_MAX + 1);
        assert_non_null(value);
        assert_int_equal(export_record_append(r, "BIG", value, HANDOFF_CONTEXT_FIELD_SIZE_MAX + 1), 0);
        assert_int_equal(ingest_handoff_encode_context(r, &buf, &size), -EMSGSIZE);
}

static void test_crash_round_trip(void **state) {
        KernelCrash crash = {
                .args = { .pid = 77, .uid = 5, .gid = 6, .signo = 6, .timestamp_sec = 99, .rlimit = 4096,
                          .dumpable = 2, .tid = 78, .pidfd = 3 },
                .pidfd = 9,
                .context_verified = true,
                .at_secure = 1,
                .allow_user_read = false,
        };
        HandoffOffer o;
        KernelCrash back;

        ingest_handoff_offer_from_crash(&crash, 10, &o);
        assert_int_equal(o.flags, HANDOFF_FLAG_PIDFD | HANDOFF_FLAG_CONTEXT_VERIFIED | HANDOFF_FLAG_AT_SECURE_KNOWN |
                         HANDOFF_FLAG_AT_SECURE);
        ingest_handoff_crash_from_offer(&o, NULL, 12, &back);
        assert_int_equal(back.args.pid, 77);
        assert_int_equal(back.args.uid, 5);
        assert_int_equal(back.args.gid, 6);
        assert_int_equal(back.args.signo, 6);
        assert_int_equal(back.args.timestamp_sec, 99);
        assert_int_equal(back.args.rlimit, 4096);
        assert_int_equal(back.args.dumpable, 2);
        assert_int_equal(back.args.tid, 78);
        assert_int_equal(back.pidfd, 12);
        assert_true(back.context_verified);
        assert_null(back.context_skipped);
        assert_int_equal(back.at_secure, 1);
        assert_false(back.allow_user_read);

        crash.pidfd = -EBADF;
        crash.context_verified = false;
        crash.at_secure = -1;
        crash.allow_user_read = true;
        ingest_handoff_offer_from_crash(&crash, 10, &o);
        assert_int_equal(o.flags, HANDOFF_FLAG_ALLOW_USER_READ);
        ingest_handoff_crash_from_offer(&o, NULL, -EBADF, &back);
        assert_int_equal(back.at_secure, -1);
        assert_true(back.allow_user_read);
        assert_non_null(back.context_skipped);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_offer_round_trip),
                cmocka_unit_test(test_offer_refused),
                cmocka_unit_test(test_messages),
                cmocka_unit_test(test_context),
                cmocka_unit_test(test_context_refused),
                cmocka_unit_test(test_context_encode_limits),
                cmocka_unit_test(test_crash_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
