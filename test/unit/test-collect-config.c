/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "collect-config.h"
#include "input-limits.h"

#define CONFIG_FIXTURES FIXTURES_DIR "/config"

/* Parses text on top of the defaults; returns the number of problems. */
static int parse(CollectConfig *c, CollectConfigDiagnostics *diag, const char *text) {
        assert_int_equal(collect_config_init(c), 0);
        return collect_config_parse_buffer(c, "test.conf", text, strlen(text), diag);
}

/* True when some diagnostic starts with prefix and contains needle. */
static bool has_diag(const CollectConfigDiagnostics *diag, const char *prefix, const char *needle) {
        for (size_t i = 0; i < diag->n_messages; i++)
                if (strncmp(diag->messages[i], prefix, strlen(prefix)) == 0 &&
                    (!needle || strstr(diag->messages[i], needle)))
                        return true;
        return false;
}

static void print_diags(const CollectConfigDiagnostics *diag) {
        for (size_t i = 0; i < diag->n_messages; i++)
                print_message("diagnostic: %s\n", diag->messages[i]);
}

static void assert_defaults(const CollectConfig *c) {
        assert_int_equal(c->storage, COREDUMP_STORAGE_EXTERNAL);
        assert_true(c->compress);
        assert_true(c->process_size_max == 32 * GIB || sizeof(void *) == 4);
        assert_true(c->process_size_max == COREDUMP_PROCESS_SIZE_MAX_DEFAULT);
        assert_true(c->external_size_max == COREDUMP_PROCESS_SIZE_MAX_DEFAULT);
        assert_true(c->journal_size_max == 767 * MIB);
        assert_true(c->max_use == UINT64_MAX);
        assert_true(c->keep_free == UINT64_MAX);
        assert_false(c->enter_namespace);
        assert_string_equal(c->journal_socket, "/run/systemd/journal/socket");
        assert_true(c->deliver_as_user);
        assert_null(c->export_file);
        assert_string_equal(c->storage_dir, COREDUMP_STORAGE_DIR);
        assert_string_equal(c->spool_dir, SPOOL_DIR);
        assert_true(c->backtrace_timeout_usec == 10 * 1000 * 1000);
        assert_true(c->backtrace_memory_max == 512 * MIB);
        assert_false(c->backtrace_debuginfod);
        assert_true(c->ratelimit_interval_usec == 30 * 1000 * 1000);
        assert_int_equal(c->ratelimit_burst, 10);
}

static void test_defaults(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};

        assert_int_equal(collect_config_init(&c), 0);
        assert_defaults(&c);
        assert_string_equal(COREDUMP_STORAGE_DIR, "/var/lib/systemd/coredump");
}

static void test_every_key(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        int r = parse(&c, &diag,
                      "[Coredump]\n"
                      "Storage=journal\n"
                      "Compress=no\n"
                      "ProcessSizeMax=3G\n"
                      "ExternalSizeMax=4G\n"
                      "JournalSizeMax=100M\n"
                      "MaxUse=6G\n"
                      "KeepFree=700M\n"
                      "EnterNamespace=yes\n"
                      "JournalSocket=/run/systemd/journal.ns/socket\n"
                      "DeliverAsUser=no\n"
                      "ExportFile=/var/log/crashes.export\n"
                      "StorageDirectory=/srv/cores\n"
                      "SpoolDirectory=/srv/spool\n"
                      "BacktraceTimeoutSec=1min\n"
                      "BacktraceMemoryMax=1G\n"
                      "BacktraceDebuginfod=yes\n"
                      "RateLimitIntervalSec=5min\n"
                      "RateLimitBurst=0\n");
        print_diags(&diag);
        assert_int_equal(r, 0);
        assert_int_equal(diag.n_messages, 0);
        assert_int_equal(c.storage, COREDUMP_STORAGE_JOURNAL);
        assert_false(c.compress);
        assert_true(c.process_size_max == 3 * GIB);
        assert_true(c.external_size_max == 4 * GIB);
        assert_true(c.journal_size_max == 100 * MIB);
        assert_true(c.max_use == 6 * GIB);
        assert_true(c.keep_free == 700 * MIB);
        assert_true(c.enter_namespace);
        assert_string_equal(c.journal_socket, "/run/systemd/journal.ns/socket");
        assert_false(c.deliver_as_user);
        assert_string_equal(c.export_file, "/var/log/crashes.export");
        assert_string_equal(c.storage_dir, "/srv/cores");
        assert_string_equal(c.spool_dir, "/srv/spool");
        assert_true(c.backtrace_timeout_usec == 60ULL * 1000 * 1000);
        assert_true(c.backtrace_memory_max == GIB);
        assert_true(c.backtrace_debuginfod);
        assert_true(c.ratelimit_interval_usec == 300ULL * 1000 * 1000);
        assert_int_equal(c.ratelimit_burst, 0);

        /* Storage= takes every name, and only those, exactly spelled. */
        assert_string_equal(coredump_storage_to_string(COREDUMP_STORAGE_NONE), "none");
        assert_string_equal(coredump_storage_to_string(COREDUMP_STORAGE_EXTERNAL), "external");
        assert_string_equal(coredump_storage_to_string(COREDUMP_STORAGE_JOURNAL), "journal");
        assert_null(coredump_storage_to_string(_COREDUMP_STORAGE_MAX));
        assert_null(coredump_storage_to_string(_COREDUMP_STORAGE_INVALID));
        assert_int_equal(coredump_storage_from_string("none"), COREDUMP_STORAGE_NONE);
        assert_int_equal(coredump_storage_from_string("journal"), COREDUMP_STORAGE_JOURNAL);
        assert_int_equal(coredump_storage_from_string("Journal"), -EINVAL);
        assert_int_equal(coredump_storage_from_string("both"), -EINVAL);
        assert_int_equal(coredump_storage_from_string(NULL), -EINVAL);
}

static void test_fleet_keys(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        /* Defaults: no upload, cores stay on the host. */
        assert_int_equal(collect_config_init(&c), 0);
        assert_null(c.upload_url);
        assert_null(c.upload_key_file);
        assert_null(c.upload_cert_file);
        assert_null(c.upload_trust_file);
        assert_true(c.upload_timeout_usec == 5 * 1000 * 1000);
        assert_int_equal(c.forward_core, COREDUMP_FORWARD_LOCAL);
        assert_true(c.forward_core_size_max == 64 * MIB);
        assert_int_equal(c.forward_core_first, 3);
        assert_string_equal(c.state_dir, STATE_DIR);
        collect_config_done(&c);

        int r = parse(&c, &diag,
                      "[Coredump]\n"
                      "UploadURL=https://central.example:19532\n"
                      "UploadKeyFile=/etc/corejournal/key.pem\n"
                      "UploadCertificateFile=/etc/corejournal/cert.pem\n"
                      "UploadTrustedCertificateFile=/etc/corejournal/ca.pem\n"
                      "UploadTimeoutSec=750ms\n"
                      "ForwardCore=first\n"
                      "ForwardCoreSizeMax=16M\n"
                      "ForwardCoreFirst=5\n"
                      "StateDirectory=/srv/state\n");
        print_diags(&diag);
        assert_int_equal(r, 0);
        assert_string_equal(c.upload_url, "https://central.example:19532");
        assert_string_equal(c.upload_key_file, "/etc/corejournal/key.pem");
        assert_string_equal(c.upload_cert_file, "/etc/corejournal/cert.pem");
        assert_string_equal(c.upload_trust_file, "/etc/corejournal/ca.pem");
        assert_true(c.upload_timeout_usec == 750 * 1000);
        assert_int_equal(c.forward_core, COREDUMP_FORWARD_FIRST);
        assert_true(c.forward_core_size_max == 16 * MIB);
        assert_int_equal(c.forward_core_first, 5);
        assert_string_equal(c.state_dir, "/srv/state");

        /* Bad values warn and keep what was there; an empty value restores the default. */
        const char *bad = "[Coredump]\nUploadURL=ftp://x\nUploadURL=http://a b\n"
                          "ForwardCore=always\nUploadTimeoutSec=0\nForwardCoreSizeMax=1T\n";
        r = collect_config_parse_buffer(&c, "bad.conf", bad, strlen(bad), &diag);
        assert_int_equal(r, 5);
        assert_true(has_diag(&diag, "bad.conf:2: ", "UploadURL="));
        assert_true(has_diag(&diag, "bad.conf:3: ", "UploadURL="));
        assert_true(has_diag(&diag, "bad.conf:4: ", "local, embed or first"));
        assert_true(has_diag(&diag, "bad.conf:5: ", "UploadTimeoutSec="));
        assert_true(has_diag(&diag, "bad.conf:6: ", "ForwardCoreSizeMax="));
        assert_string_equal(c.upload_url, "https://central.example:19532");
        assert_int_equal(c.forward_core, COREDUMP_FORWARD_FIRST);
        assert_true(c.forward_core_size_max == COREDUMP_JOURNAL_SIZE_MAX_DEFAULT); /* lowered to the cap */
        const char *reset = "[Coredump]\nUploadURL=\nForwardCore=\n";
        r = collect_config_parse_buffer(&c, "reset.conf", reset, strlen(reset), &diag);
        assert_int_equal(r, 0);
        assert_null(c.upload_url);
        assert_int_equal(c.forward_core, COREDUMP_FORWARD_LOCAL);

        assert_string_equal(coredump_forward_to_string(COREDUMP_FORWARD_EMBED), "embed");
        assert_null(coredump_forward_to_string(_COREDUMP_FORWARD_MAX));
        assert_int_equal(coredump_forward_from_string("local"), COREDUMP_FORWARD_LOCAL);
        assert_int_equal(coredump_forward_from_string("First"), -EINVAL);
        assert_int_equal(coredump_forward_from_string(NULL), -EINVAL);
}

static void check_size(const char *s, int expect_r, uint64_t expect) {
        uint64_t v = 12345;
        int r = collect_config_parse_size(s, &v);
        if (r != expect_r)
                fail_msg("parse_size(\"%s\") = %d, expected %d", s, r, expect_r);
        if (r == 0 && v != expect)
                fail_msg("parse_size(\"%s\") = %llu, expected %llu", s, (unsigned long long) v,
                         (unsigned long long) expect);
        if (r < 0)
                assert_true(v == 12345); /* untouched on failure */
}

static void test_size_suffixes(void **state) {
        check_size("0", 0, 0);
        check_size("1", 0, 1);
        check_size("1B", 0, 1);
        check_size("1K", 0, KIB);
        check_size("2M", 0, 2 * MIB);
        check_size("767M", 0, 767 * MIB);
        check_size("3G", 0, 3 * GIB);
        check_size("1T", 0, 1024 * GIB);
        check_size("1P", 0, 1024 * 1024 * GIB);
        check_size("1E", 0, 1024 * 1024 * 1024 * GIB);
        check_size("15E", 0, 15 * (1024 * 1024 * 1024 * GIB));
        check_size("1.5K", 0, 1536);
        check_size("0.5G", 0, 512 * MIB);
        check_size("10.M", 0, 10 * MIB);
        check_size("1G 512M", 0, GIB + 512 * MIB);
        check_size("1G512M", 0, GIB + 512 * MIB);
        check_size("5 M", 0, 5 * MIB);
        check_size(" 5M", 0, 5 * MIB);
        check_size("16E", -ERANGE, 0);
        check_size("18446744073709551616", -ERANGE, 0);
        check_size("-1", -ERANGE, 0);
        check_size("", -EINVAL, 0);
        check_size("M", -EINVAL, 0);
        check_size("5k", -EINVAL, 0);  /* suffixes are upper case, as in systemd */
        check_size("1KB", -EINVAL, 0); /* no KB/KiB spelling in systemd either */
        check_size("1KiB", -EINVAL, 0);
        check_size("1M 1G", -EINVAL, 0); /* units must decrease */
        check_size("1 2", -EINVAL, 0);
        check_size("infinity", -EINVAL, 0);
        check_size("0x10", -EINVAL, 0);
}

static void test_infinity(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        /* Only ExternalSizeMax= takes "infinity" in systemd; elsewhere it is a bad value. */
        int r = parse(&c, &diag, "[Coredump]\nExternalSizeMax=infinity\nProcessSizeMax=infinity\nMaxUse=infinity\n");
        print_diags(&diag);
        assert_int_equal(r, 2);
        assert_true(c.external_size_max == UINT64_MAX);
        assert_true(c.process_size_max == COREDUMP_PROCESS_SIZE_MAX_DEFAULT);
        assert_true(c.max_use == COREDUMP_SIZE_AUTOMATIC);
        assert_true(has_diag(&diag, "test.conf:3: ", "ProcessSizeMax="));
        assert_true(has_diag(&diag, "test.conf:4: ", "MaxUse="));
}

static void test_booleans(void **state) {
        static const char *const yes[] = { "1", "yes", "YES", "y", "Y", "true", "True", "t", "on", "ON" };
        static const char *const no[] = { "0", "no", "No", "n", "false", "FALSE", "f", "off", "Off" };
        static const char *const bad[] = { "", "2", "yess", "enable", "ja", " yes", "01" };
        bool b;

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                b = false;
                assert_int_equal(collect_config_parse_boolean(yes[i], &b), 0);
                assert_true(b);
        }
        for (size_t i = 0; i < ELEMENTSOF(no); i++) {
                b = true;
                assert_int_equal(collect_config_parse_boolean(no[i], &b), 0);
                assert_false(b);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(collect_config_parse_boolean(bad[i], &b), -EINVAL);
}

static void check_timespan(const char *s, int expect_r, uint64_t expect_usec) {
        uint64_t v = 777;
        int r = collect_config_parse_timespan(s, &v);
        if (r != expect_r)
                fail_msg("parse_timespan(\"%s\") = %d, expected %d", s, r, expect_r);
        if (r == 0 && v != expect_usec)
                fail_msg("parse_timespan(\"%s\") = %llu, expected %llu", s, (unsigned long long) v,
                         (unsigned long long) expect_usec);
        if (r < 0)
                assert_true(v == 777);
}

static void test_timespans(void **state) {
        const uint64_t s = 1000 * 1000;

        check_timespan("10", 0, 10 * s);
        check_timespan("10s", 0, 10 * s);
        check_timespan("10 sec", 0, 10 * s);
        check_timespan("500ms", 0, 500 * 1000);
        check_timespan("500msec", 0, 500 * 1000);
        check_timespan("1min", 0, 60 * s);
        check_timespan("1m", 0, 60 * s);
        check_timespan("1min 30s", 0, 90 * s);
        check_timespan("1min30s", 0, 90 * s);
        check_timespan("1.5s", 0, 1500 * 1000);
        check_timespan(".5s", 0, 500 * 1000);
        check_timespan("2h", 0, 7200 * s);
        check_timespan("1d", 0, 86400 * s);
        check_timespan("1w", 0, 7 * 86400 * s);
        check_timespan("1M", 0, 2629800 * s);
        check_timespan("1y", 0, 31557600 * s);
        check_timespan("20us", 0, 20);
        check_timespan("20\xc2\xb5s", 0, 20);
        check_timespan("1 2", 0, 3 * s);
        check_timespan("0", 0, 0);
        check_timespan("infinity", 0, UINT64_MAX);
        check_timespan(" infinity ", 0, UINT64_MAX);
        check_timespan("", -EINVAL, 0);
        check_timespan("   ", -EINVAL, 0);
        check_timespan("5x", -EINVAL, 0);
        check_timespan("12.34.56", -EINVAL, 0);
        check_timespan("3.", -EINVAL, 0);
        check_timespan("3.s", -EINVAL, 0);
        check_timespan("-1", -ERANGE, 0);
        check_timespan("infinityx", -EINVAL, 0);
        check_timespan("1000000y", -ERANGE, 0);
}

static void test_bad_values_keep_defaults(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        int r = parse(&c, &diag,
                      "[Coredump]\n"
                      "Storage=both\n"             /* 2 */
                      "Compress=perhaps\n"         /* 3 */
                      "ProcessSizeMax=lots\n"      /* 4 */
                      "RateLimitBurst=-3\n"        /* 5 */
                      "RateLimitBurst=99999999999\n" /* 6 */
                      "BacktraceTimeoutSec=0\n"    /* 7 */
                      "BacktraceTimeoutSec=infinity\n" /* 8 */
                      "BacktraceMemoryMax=0\n"     /* 9 */
                      "StorageDirectory=relative/dir\n" /* 10 */
                      "SpoolDirectory=/var/../etc\n" /* 11 */
                      "ExportFile=/\n"             /* 12 */
                      "RateLimitIntervalSec=soon\n" /* 13 */
                      "KeepFree=1G\n"              /* 14: good */
                      "KeepFree=a lot\n"           /* 15: keeps the previous value */
                      "DeliverAsUser=maybe\n");    /* 16 */
        print_diags(&diag);
        assert_int_equal(r, 14);
        assert_int_equal(diag.n_messages, 14);
        assert_defaults(&(CollectConfig) {
                .storage = c.storage, .compress = c.compress, .process_size_max = c.process_size_max,
                .external_size_max = c.external_size_max, .journal_size_max = c.journal_size_max,
                .max_use = c.max_use, .keep_free = UINT64_MAX, .enter_namespace = c.enter_namespace,
                .journal_socket = c.journal_socket, .deliver_as_user = c.deliver_as_user, .export_file = c.export_file,
                .storage_dir = c.storage_dir, .spool_dir = c.spool_dir,
                .backtrace_timeout_usec = c.backtrace_timeout_usec,
                .backtrace_memory_max = c.backtrace_memory_max,
                .ratelimit_interval_usec = c.ratelimit_interval_usec,
                .ratelimit_burst = c.ratelimit_burst,
        });
        assert_true(c.keep_free == GIB);

        assert_true(has_diag(&diag, "test.conf:2: ", "Storage="));
        assert_true(has_diag(&diag, "test.conf:2: ", "'both'"));
        assert_true(has_diag(&diag, "test.conf:3: ", "Compress="));
        assert_true(has_diag(&diag, "test.conf:16: ", "DeliverAsUser="));
        assert_true(has_diag(&diag, "test.conf:4: ", "ProcessSizeMax="));
        assert_true(has_diag(&diag, "test.conf:5: ", "RateLimitBurst="));
        assert_true(has_diag(&diag, "test.conf:6: ", "RateLimitBurst="));
        assert_true(has_diag(&diag, "test.conf:7: ", "BacktraceTimeoutSec="));
        assert_true(has_diag(&diag, "test.conf:8: ", "BacktraceTimeoutSec="));
        assert_true(has_diag(&diag, "test.conf:9: ", "BacktraceMemoryMax="));
        assert_true(has_diag(&diag, "test.conf:10: ", "StorageDirectory="));
        assert_true(has_diag(&diag, "test.conf:11: ", "SpoolDirectory="));
        assert_true(has_diag(&diag, "test.conf:12: ", "ExportFile="));
        assert_true(has_diag(&diag, "test.conf:13: ", "RateLimitIntervalSec="));
        assert_true(has_diag(&diag, "test.conf:15: ", "KeepFree="));
}

static void test_handoff_keys(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        assert_int_equal(collect_config_init(&c), 0);
        assert_true(c.handoff);
        assert_string_equal(c.handoff_socket, "/run/corejournal/handoff");
        collect_config_done(&c);

        assert_int_equal(parse(&c, &diag, "[Coredump]\nHandoff=no\nHandoffSocket=/run/cj//handoff/\n"), 0);
        assert_false(c.handoff);
        assert_string_equal(c.handoff_socket, "/run/cj/handoff");
        collect_config_done(&c);

        assert_int_equal(parse(&c, &diag, "[Coredump]\nHandoff=no\nHandoff=auto\n"), 0);
        assert_true(c.handoff);
        collect_config_done(&c);
        assert_int_equal(parse(&c, &diag, "[Coredump]\nHandoff=off\n"), 0);
        assert_false(c.handoff);
        collect_config_done(&c);
        /* An empty value restores the default. */
        assert_int_equal(parse(&c, &diag, "[Coredump]\nHandoff=no\nHandoff=\n"), 0);
        assert_true(c.handoff);
        collect_config_done(&c);

        /* "yes" would promise what the handler cannot keep (it always falls back): refused. */
        int r = parse(&c, &diag,
                      "[Coredump]\n"
                      "Handoff=no\n"           /* 2: good */
                      "Handoff=yes\n"          /* 3 */
                      "Handoff=Auto\n"         /* 4 */
                      "HandoffSocket=relative\n" /* 5 */
                      "HandoffSocket=/run/a-socket-path-that-is-far-too-long-for-sockaddr-un-because-it-goes-on-and-on-and-on-and-on-and-on-and-on\n"); /* 6 */
        print_diags(&diag);
        assert_int_equal(r, 4);
        assert_false(c.handoff);
        assert_string_equal(c.handoff_socket, "/run/corejournal/handoff");
        assert_true(has_diag(&diag, "test.conf:3: ", "Handoff= value 'yes' (expected auto or no)"));
        assert_true(has_diag(&diag, "test.conf:4: ", "Handoff="));
        assert_true(has_diag(&diag, "test.conf:5: ", "HandoffSocket="));
        assert_true(has_diag(&diag, "test.conf:6: ", "shorter than 108 bytes"));
}

static void test_unknown_keys_and_sections(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        int r = parse(&c, &diag,
                      "Storage=none\n"          /* 1: outside of any section */
                      "[Coredump]\n"
                      "Frobnicate=1\n"          /* 3: unknown key */
                      "storage=none\n"          /* 4: keys are case-sensitive */
                      "X-Vendor-Thing=1\n"      /* 5: X- keys are silently ignored */
                      "[Journal]\n"             /* 6: unknown section */
                      "Storage=none\n"          /*    ...whose keys are ignored quietly */
                      "[X-Vendor]\n"            /* 8: X- sections are silently ignored */
                      "Storage=none\n"
                      "[coredump]\n"            /* 10: section names are case-sensitive */
                      "Storage=none\n"
                      "[Coredump\n"             /* 12: malformed header */
                      "Storage=none\n"
                      "[Coredump]\n"
                      "no equals sign\n"        /* 15 */
                      "=value\n"                /* 16 */
                      "Compress=off\n");
        print_diags(&diag);
        assert_int_equal(r, 8);
        assert_int_equal(c.storage, COREDUMP_STORAGE_EXTERNAL);
        assert_false(c.compress);
        assert_true(has_diag(&diag, "test.conf:1: ", "outside"));
        assert_true(has_diag(&diag, "test.conf:3: ", "unknown key 'Frobnicate'"));
        assert_true(has_diag(&diag, "test.conf:4: ", "unknown key 'storage'"));
        assert_true(has_diag(&diag, "test.conf:6: ", "unknown section [Journal]"));
        assert_true(has_diag(&diag, "test.conf:10: ", "unknown section [coredump]"));
        assert_true(has_diag(&diag, "test.conf:12: ", "invalid section header"));
        assert_true(has_diag(&diag, "test.conf:15: ", "missing '='"));
        assert_true(has_diag(&diag, "test.conf:16: ", "missing key name"));
}

static void test_comments_and_whitespace(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        int r = parse(&c, &diag,
                      "# a comment\n"
                      "; another comment\n"
                      "\n"
                      "   \t\n"
                      "  [Coredump]  \n"
                      "  # indented comment\n"
                      "\tStorage \t=\t none  \n"
                      "StorageDirectory = /srv/my cores \n");
        print_diags(&diag);
        assert_int_equal(r, 0);
        assert_int_equal(c.storage, COREDUMP_STORAGE_NONE);
        assert_string_equal(c.storage_dir, "/srv/my cores");

        /* A UTF-8 byte order mark, CRLF, bare CR and NUL all work as systemd reads them. */
        collect_config_done(&c);
        static const char text[] = "\xef\xbb\xbf[Coredump]\r\nStorage=journal\rCompress=no\0MaxUse=2G";
        assert_int_equal(collect_config_init(&c), 0);
        r = collect_config_parse_buffer(&c, "crlf.conf", text, sizeof(text) - 1, &diag);
        print_diags(&diag);
        assert_int_equal(r, 0);
        assert_int_equal(c.storage, COREDUMP_STORAGE_JOURNAL);
        assert_false(c.compress);
        assert_true(c.max_use == 2 * GIB);
}

static void test_continuation_lines(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        int r = parse(&c, &diag,
                      "[Coredump]\n"
                      "ProcessSizeMax=1G \\\n"         /* 2: joined with 3 */
                      "  512M\n"
                      "MaxUse=2G\\\n"                  /* 4: a comment inside is dropped */
                      "# skipped comment\n"
                      "; and another\n"
                      "256M\n"
                      "StorageDirectory=/a\\\\\n"      /* 8: an escaped backslash does not continue */
                      "Compress=no\n"                  /* 9 */
                      "Storage=\\\n"                   /* 10: the bad value is reported at 10 */
                      "bogus\n"
                      "RateLimitBurst=\\\n"            /* 12: the file ends inside a continuation */
                      "7\\");
        print_diags(&diag);
        assert_int_equal(r, 1);
        assert_true(c.process_size_max == GIB + 512 * MIB);
        assert_true(c.max_use == 2 * GIB + 256 * MIB);
        assert_string_equal(c.storage_dir, "/a\\\\");
        assert_false(c.compress);
        assert_int_equal(c.storage, COREDUMP_STORAGE_EXTERNAL);
        assert_true(has_diag(&diag, "test.conf:10: ", "Storage="));
        assert_true(has_diag(&diag, "test.conf:10: ", "'bogus'"));
        /* "7\" at the end: the backslash became a space, so the value is "7". */
        assert_int_equal(c.ratelimit_burst, 7);
}

static void test_empty_value_resets(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        int r = parse(&c, &diag,
                      "[Coredump]\n"
                      "Storage=journal\nCompress=no\nProcessSizeMax=1G\nExternalSizeMax=infinity\n"
                      "JournalSizeMax=1M\nMaxUse=1G\nKeepFree=1G\nEnterNamespace=yes\n"
                      "JournalSocket=/run/x.sock\nExportFile=/tmp/x\nStorageDirectory=/x\nSpoolDirectory=/y\n"
                      "BacktraceTimeoutSec=1s\nBacktraceMemoryMax=1M\nRateLimitIntervalSec=1s\nRateLimitBurst=1\n"
                      "Storage=\nCompress=\nProcessSizeMax=\nExternalSizeMax=\n"
                      "JournalSizeMax=\nMaxUse=\nKeepFree=\nEnterNamespace=\n"
                      "JournalSocket=\nExportFile=\nStorageDirectory=\nSpoolDirectory=\n"
                      "BacktraceTimeoutSec=\nBacktraceMemoryMax=\nRateLimitIntervalSec=\nRateLimitBurst=  \n");
        print_diags(&diag);
        assert_int_equal(r, 0);
        assert_defaults(&c);
}

static void test_paths(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};
        char text[512];

        int r = parse(&c, &diag,
                      "[Coredump]\n"
                      "StorageDirectory=//srv//cores/./x/\n"
                      "SpoolDirectory=/\n"
                      "ExportFile=/var/log/./crash.export\n");
        print_diags(&diag);
        assert_int_equal(r, 0);
        assert_string_equal(c.storage_dir, "/srv/cores/x");
        assert_string_equal(c.spool_dir, "/");
        assert_string_equal(c.export_file, "/var/log/crash.export");

        /* A socket path must fit in sockaddr_un (108 bytes with the NUL). */
        char long_path[120];
        memset(long_path, 'a', sizeof(long_path) - 1);
        long_path[0] = '/';
        long_path[sizeof(long_path) - 1] = 0;
        snprintf(text, sizeof(text), "[Coredump]\nJournalSocket=%s\n", long_path);
        collect_config_done(&c);
        r = parse(&c, &diag, text);
        assert_int_equal(r, 1);
        assert_string_equal(c.journal_socket, "/run/systemd/journal/socket");
        long_path[107] = 0; /* 107 bytes + NUL fit */
        snprintf(text, sizeof(text), "[Coredump]\nJournalSocket=%s\n", long_path);
        collect_config_done(&c);
        r = parse(&c, &diag, text);
        assert_int_equal(r, 0);
        assert_string_equal(c.journal_socket, long_path);
}

static void test_journal_size_capped(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        int r = parse(&c, &diag, "[Coredump]\nJournalSizeMax=2G\n");
        print_diags(&diag);
        assert_int_equal(r, 1);
        assert_true(c.journal_size_max == 767 * MIB);
        assert_true(has_diag(&diag, "test.conf:2: ", "767M"));
}

static void test_long_lines(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};
        const size_t n = CONFIG_LINE_MAX + 100;
        _cleanup_(freep) char *text = malloc(4 * CONFIG_LINE_MAX + 200);
        char *w = text;

        assert_non_null(text);
        w += sprintf(w, "[Coredump]\nStorageDirectory=/");
        memset(w, 'a', n);
        w += n;
        w += sprintf(w, "\nStorage=journal\nProcessSizeMax=1G\\\n");
        /* a continued line that grows past the limit: dropped as a whole, even its last piece */
        for (size_t i = 0; i < 40; i++) {
                memset(w, ' ', CONFIG_LINE_MAX / 32);
                w += CONFIG_LINE_MAX / 32;
                w += sprintf(w, "\\\n");
        }
        w += sprintf(w, "512M\nCompress=no\n");

        assert_int_equal(collect_config_init(&c), 0);
        int r = collect_config_parse_buffer(&c, "long.conf", text, (size_t) (w - text), &diag);
        print_diags(&diag);
        assert_int_equal(r, 2);
        assert_true(has_diag(&diag, "long.conf:2: ", "longer than"));
        assert_true(has_diag(&diag, "long.conf:4: ", "longer than"));
        assert_string_equal(c.storage_dir, COREDUMP_STORAGE_DIR);
        assert_int_equal(c.storage, COREDUMP_STORAGE_JOURNAL);
        assert_true(c.process_size_max == COREDUMP_PROCESS_SIZE_MAX_DEFAULT);
        assert_false(c.compress);
}

static void test_diagnostics_bounded_and_escaped(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};
        _cleanup_(freep) char *text = malloc(1000 * 16 + 16);
        char *w = text;

        assert_non_null(text);
        w += sprintf(w, "[Coredump]\n");
        for (int i = 0; i < 1000; i++)
                w += sprintf(w, "Bogus%d=1\n", i);
        assert_int_equal(collect_config_init(&c), 0);
        int r = collect_config_parse_buffer(&c, "many.conf", text, (size_t) (w - text), &diag);
        assert_int_equal(r, 1000);
        assert_int_equal(diag.n_messages, CONFIG_DIAGNOSTICS_MAX);
        assert_int_equal(diag.n_suppressed, 1000 - CONFIG_DIAGNOSTICS_MAX);

        /* Hostile file names and values are escaped and cut, never passed through raw. */
        collect_config_diagnostics_done(&diag);
        static const char bad[] = "[Coredump]\nStorage=\\x1b[31m\\" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
                                  "Compress=\x1b[2J\n";
        r = collect_config_parse_buffer(&c, "evil\nname.conf", bad, sizeof(bad) - 1, &diag);
        print_diags(&diag);
        assert_int_equal(r, 2);
        assert_int_equal(diag.n_messages, 2);
        for (size_t i = 0; i < diag.n_messages; i++) {
                assert_true(strncmp(diag.messages[i], "evil\\x0aname.conf:", 18) == 0);
                for (const char *p = diag.messages[i]; *p; p++)
                        assert_true(*p >= 0x20 && *p < 0x7f);
                assert_true(strlen(diag.messages[i]) < 300);
        }
        assert_true(has_diag(&diag, "evil\\x0aname.conf:2: ", "..."));
        assert_true(has_diag(&diag, "evil\\x0aname.conf:3: ", "control characters"));

        /* diag may be NULL: problems are still counted. */
        r = collect_config_parse_buffer(&c, "x.conf", bad, sizeof(bad) - 1, NULL);
        assert_int_equal(r, 2);
        /* An empty buffer is a clean, empty file. */
        assert_int_equal(collect_config_parse_buffer(&c, "x.conf", NULL, 0, NULL), 0);
}

/* ---- search path fixtures ---- */

static int open_fixture(const char *name) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", CONFIG_FIXTURES, name);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("cannot open fixture %s: %m", path);
        return fd;
}

static int load_fixture(const char *name, CollectConfigDiagnostics *diag, CollectConfig *ret) {
        _cleanup_(closep) int fd = open_fixture(name);
        int r = collect_config_load(fd, NULL, diag, ret);
        print_diags(diag);
        return r;
}

static void test_fixture_search_order(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        /* /etc's main file wins; /run's and /usr/lib's are not read at all. */
        assert_int_equal(load_fixture("search-order", &diag, &c), 0);
        assert_int_equal(c.storage, COREDUMP_STORAGE_JOURNAL);
        assert_true(c.compress);
        assert_true(c.max_use == COREDUMP_SIZE_AUTOMATIC);
        collect_config_done(&c);

        /* Without /etc and /run, /usr/local/lib comes before /usr/lib. */
        assert_int_equal(load_fixture("usr-fallback", &diag, &c), 0);
        assert_true(c.keep_free == 2 * GIB);
        assert_int_equal(c.storage, COREDUMP_STORAGE_EXTERNAL);
}

static void test_fixture_dropins(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        assert_int_equal(load_fixture("dropins", &diag, &c), 0);
        assert_int_equal(diag.n_messages, 0);
        /* main (/usr/lib) none -> 05-early (/etc) external -> 20-late (/usr/lib) journal:
         * drop-ins are ordered by name across directories, and all come after the main file. */
        assert_int_equal(c.storage, COREDUMP_STORAGE_JOURNAL);
        assert_true(c.max_use == 5 * GIB);
        assert_true(c.enter_namespace);
        /* /usr/lib's 01-vendor-first before /etc's 05-early: order by name, not by directory */
        assert_true(c.journal_size_max == 10 * MIB);
        /* 05-early then 15-runtime (/run) */
        assert_true(c.external_size_max == 2 * GIB);
        assert_true(c.journal_size_max == 10 * MIB);
        /* /etc's 10-vendor.conf masks /usr/lib's entirely: Compress and ProcessSizeMax untouched */
        assert_true(c.keep_free == 3 * GIB);
        assert_true(c.compress);
        assert_true(c.process_size_max == COREDUMP_PROCESS_SIZE_MAX_DEFAULT);
        /* 17-local (/usr/local/lib) before 20-late */
        assert_int_equal(c.ratelimit_burst, 20);
        /* README, .hidden.conf, *.conf.bak and a directory named 25-subdir.conf are not read. */
}

static void test_fixture_symlinks(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        /* Absolute symlinks resolve inside the root; a /dev/null symlink masks a vendor drop-in. */
        assert_int_equal(load_fixture("symlinks", &diag, &c), 0);
        assert_int_equal(c.storage, COREDUMP_STORAGE_NONE);
        assert_true(c.compress);
        assert_int_equal(c.ratelimit_burst, 60);
}

static void test_fixture_main_is_directory(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        /* Reported; it still hides /usr/lib's main file, and the defaults stay. */
        assert_int_equal(load_fixture("main-is-dir", &diag, &c), 1);
        assert_true(has_diag(&diag, "/etc/systemd/coredump.conf: ", "directory"));
        assert_int_equal(c.storage, COREDUMP_STORAGE_EXTERNAL);
}

static void test_fixture_bad_values(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};

        assert_int_equal(load_fixture("bad-values", &diag, &c), 6);
        assert_true(has_diag(&diag, "/etc/systemd/coredump.conf:3: ", "Compress="));
        assert_true(has_diag(&diag, "/etc/systemd/coredump.conf:4: ", "ProcessSizeMax="));
        assert_true(has_diag(&diag, "/etc/systemd/coredump.conf:5: ", "[Journal]"));
        assert_true(has_diag(&diag, "/etc/systemd/coredump.conf:8: ", "Frobnicate"));
        assert_true(has_diag(&diag, "/etc/systemd/coredump.conf:9: ", "BacktraceTimeoutSec="));
        assert_true(has_diag(&diag, "/etc/systemd/coredump.conf.d/50-bad.conf:2: ", "MaxUse="));
        assert_int_equal(c.storage, COREDUMP_STORAGE_JOURNAL);
        assert_true(c.compress);
        assert_true(c.process_size_max == COREDUMP_PROCESS_SIZE_MAX_DEFAULT);
        assert_true(c.max_use == COREDUMP_SIZE_AUTOMATIC);
        assert_true(c.keep_free == GIB);
        assert_true(c.backtrace_timeout_usec == COREDUMP_BACKTRACE_TIMEOUT_USEC_DEFAULT);
}

static void test_override_path(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};
        _cleanup_(closep) int fd = open_fixture("dropins");

        /* Only the given file is read: nothing of the search path below fd. */
        assert_int_equal(collect_config_load(fd, CONFIG_FIXTURES "/override/custom.conf", &diag, &c), 0);
        assert_int_equal(c.storage, COREDUMP_STORAGE_NONE);
        assert_int_equal(c.ratelimit_burst, 3);
        assert_true(c.max_use == COREDUMP_SIZE_AUTOMATIC);
        assert_false(c.enter_namespace);

        /* A missing override is an error and leaves ret alone. */
        CollectConfig untouched = { .ratelimit_burst = 4242 };
        assert_int_equal(collect_config_load(fd, CONFIG_FIXTURES "/override/missing.conf", &diag, &untouched),
                         -ENOENT);
        assert_int_equal(untouched.ratelimit_burst, 4242);
        assert_int_equal(collect_config_load(fd, CONFIG_FIXTURES "/override", &diag, &untouched), -EISDIR);
}

/* ---- generated trees ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void write_file(const char *dir, const char *name, const char *content, size_t size) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(content, 1, size, f), size);
        assert_int_equal(fclose(f), 0);
}

static void test_limits_on_files(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};
        char root[] = "/tmp/test-collect-config.XXXXXX", dir[256], text[64];

        assert_non_null(mkdtemp(root));
        snprintf(dir, sizeof(dir), "%s/etc", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(dir, sizeof(dir), "%s/etc/systemd", root);
        assert_int_equal(mkdir(dir, 0755), 0);

        /* A main file over CONFIG_FILE_SIZE_MAX is ignored as a whole. */
        size_t big = CONFIG_FILE_SIZE_MAX + 1;
        _cleanup_(freep) char *data = malloc(big);
        assert_non_null(data);
        memset(data, '#', big);
        memcpy(data, "[Coredump]\nStorage=none\n#", 25);
        write_file(dir, "coredump.conf", data, big);

        /* More drop-ins than CONFIG_DROPINS_MAX: reported, at most the limit read. */
        snprintf(dir, sizeof(dir), "%s/etc/systemd/coredump.conf.d", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        for (int i = 0; i < CONFIG_DROPINS_MAX + 20; i++) {
                char name[32];
                snprintf(name, sizeof(name), "%04d.conf", i);
                int n = snprintf(text, sizeof(text), "[Coredump]\nRateLimitBurst=%d\n", i + 1);
                write_file(dir, name, text, (size_t) n);
        }

        _cleanup_(closep) int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        int r = collect_config_load(fd, NULL, &diag, &c);
        print_diags(&diag);
        assert_int_equal(r, 2);
        assert_true(has_diag(&diag, "/etc/systemd/coredump.conf: ", "larger than"));
        assert_true(has_diag(&diag, "/etc/systemd/coredump.conf.d: ", "more than"));
        assert_int_equal(c.storage, COREDUMP_STORAGE_EXTERNAL);
        assert_true(c.ratelimit_burst >= 1 && c.ratelimit_burst <= CONFIG_DROPINS_MAX + 20);

        assert_int_equal(nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void test_empty_root(void **state) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};
        char root[] = "/tmp/test-collect-config.XXXXXX";

        assert_non_null(mkdtemp(root));
        _cleanup_(closep) int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(collect_config_load(fd, NULL, &diag, &c), 0);
        assert_int_equal(diag.n_messages, 0);
        assert_defaults(&c);
        assert_int_equal(rmdir(root), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_fleet_keys),
                cmocka_unit_test(test_size_suffixes),
                cmocka_unit_test(test_infinity),
                cmocka_unit_test(test_booleans),
                cmocka_unit_test(test_timespans),
                cmocka_unit_test(test_bad_values_keep_defaults),
                cmocka_unit_test(test_handoff_keys),
                cmocka_unit_test(test_unknown_keys_and_sections),
                cmocka_unit_test(test_comments_and_whitespace),
                cmocka_unit_test(test_continuation_lines),
                cmocka_unit_test(test_empty_value_resets),
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_journal_size_capped),
                cmocka_unit_test(test_long_lines),
                cmocka_unit_test(test_diagnostics_bounded_and_escaped),
                cmocka_unit_test(test_fixture_search_order),
                cmocka_unit_test(test_fixture_dropins),
                cmocka_unit_test(test_fixture_symlinks),
                cmocka_unit_test(test_fixture_main_is_directory),
                cmocka_unit_test(test_fixture_bad_values),
                cmocka_unit_test(test_override_path),
                cmocka_unit_test(test_limits_on_files),
                cmocka_unit_test(test_empty_root),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
