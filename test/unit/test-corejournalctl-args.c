/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corejournalctl's command line: options, verbs, match rules, times, sizes, debugger words. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cleanup.h"
#include "ctl-args.h"
#include "ctl-debug.h"
#include "ctl-match.h"
#include "ctl-size.h"
#include "ctl-text.h"
#include "ctl-time.h"

/* 2023-11-14 22:13:20 UTC */
#define NOW (UINT64_C(1700000000) * CTL_USEC_PER_SEC)

/* Parses a NULL-terminated argument list (copied, as getopt permutes argv). */
static int parse(CtlArgs *a, char error[static CTL_ERROR_MAX], ...) {
        char *argv[64];
        int argc = 0;
        va_list ap;

        argv[argc++] = (char *) "corejournalctl";
        va_start(ap, error);
        for (const char *s; (s = va_arg(ap, const char *));)
                argv[argc++] = (char *) s;
        va_end(ap);
        argv[argc] = NULL;
        return ctl_args_parse(argc, argv, NOW, a, error);
}

static void test_defaults_and_verbs(void **state) {
        char error[CTL_ERROR_MAX];
        CtlArgs a;

        assert_int_equal(parse(&a, error, NULL), 0);
        assert_int_equal(a.verb, CTL_VERB_LIST);
        assert_int_equal(a.n_matches, 0);
        assert_non_null(a.matches);
        assert_null(a.matches[0]);
        assert_int_equal(a.source, CTL_SOURCE_SYSTEM);
        assert_true(a.pager);
        assert_true(a.legend);
        assert_int_equal(a.json, CTL_JSON_OFF);
        assert_true(a.rows_max == UINT64_MAX);
        assert_true(a.since == CTL_USEC_INFINITY && a.until == CTL_USEC_INFINITY);
        assert_string_equal(a.storage_dir, COREDUMP_STORAGE_DIR);
        assert_true(a.max_use == UINT64_MAX && a.keep_free == UINT64_MAX);
        ctl_args_done(&a);

        static const struct {
                const char *name;
                CtlVerb verb;
        } verbs[] = {
                { "list", CTL_VERB_LIST },       { "info", CTL_VERB_INFO },         { "dump", CTL_VERB_DUMP },
                { "debug", CTL_VERB_DEBUG },     { "gdb", CTL_VERB_DEBUG },         { "groups", CTL_VERB_GROUPS },
                { "disk-usage", CTL_VERB_DISK_USAGE }, { "vacuum", CTL_VERB_VACUUM }, { "metrics", CTL_VERB_METRICS },
        };
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                assert_int_equal(parse(&a, error, verbs[i].name, NULL), 0);
                assert_int_equal(a.verb, verbs[i].verb);
                ctl_args_done(&a);
        }
        assert_int_equal(parse(&a, error, "frobnicate", NULL), -EINVAL);
        assert_string_equal(error, "unknown command 'frobnicate' (see --help)");
        /* A match without a verb is not a verb, as with coredumpctl. */
        assert_int_equal(parse(&a, error, "1234", NULL), -EINVAL);
}

static void test_options_anywhere(void **state) {
        char error[CTL_ERROR_MAX];
        CtlArgs a;

        /* coredumpctl's "dump PID -o FILE" and "-o FILE dump PID" both work. */
        assert_int_equal(parse(&a, error, "dump", "1234", "-o", "core.out", "--no-pager", NULL), 0);
        assert_int_equal(a.verb, CTL_VERB_DUMP);
        assert_int_equal(a.n_matches, 1);
        assert_string_equal(a.matches[0], "1234");
        assert_string_equal(a.output, "core.out");
        assert_false(a.pager);
        ctl_args_done(&a);

        assert_int_equal(parse(&a, error, "-o", "x", "dump", "crasher", "COREDUMP_SIGNAL=6", NULL), 0);
        assert_int_equal(a.n_matches, 2);
        assert_string_equal(a.matches[1], "COREDUMP_SIGNAL=6");
        ctl_args_done(&a);

        assert_int_equal(parse(&a, error, "-1", NULL), 0);
        assert_true(a.rows_max == 1 && a.reverse);
        ctl_args_done(&a);

        assert_int_equal(parse(&a, error, "-n", "5", "-r", "--no-legend", "-q", NULL), 0);
        assert_true(a.rows_max == 5 && a.reverse && !a.legend && a.quiet);
        ctl_args_done(&a);

        /* info without matches shows the last record only; with matches, all of them. */
        assert_int_equal(parse(&a, error, "info", NULL), 0);
        assert_true(a.rows_max == 1 && a.reverse);
        ctl_args_done(&a);
        assert_int_equal(parse(&a, error, "info", "crasher", NULL), 0);
        assert_true(a.rows_max == UINT64_MAX && !a.reverse);
        ctl_args_done(&a);
        assert_int_equal(parse(&a, error, "-n", "3", "info", NULL), 0);
        assert_true(a.rows_max == 3 && !a.reverse);
        ctl_args_done(&a);
}

static void test_json_sources_and_storage(void **state) {
        char error[CTL_ERROR_MAX];
        CtlArgs a;

        assert_int_equal(parse(&a, error, "--json", NULL), 0);
        assert_int_equal(a.json, CTL_JSON_SHORT);
        ctl_args_done(&a);
        assert_int_equal(parse(&a, error, "--json=pretty", NULL), 0);
        assert_int_equal(a.json, CTL_JSON_PRETTY);
        ctl_args_done(&a);
        assert_int_equal(parse(&a, error, "--json=off", NULL), 0);
        assert_int_equal(a.json, CTL_JSON_OFF);
        ctl_args_done(&a);
        assert_int_equal(parse(&a, error, "--json=yaml", NULL), -EINVAL);
        assert_string_equal(error, "invalid --json= mode 'yaml' (expected short, pretty or off)");

        assert_int_equal(parse(&a, error, "--namespace=ns1", NULL), 0);
        assert_int_equal(a.source, CTL_SOURCE_NAMESPACE);
        assert_string_equal(a.namespace_, "ns1");
        ctl_args_done(&a);
        assert_int_equal(parse(&a, error, "-D", "/var/log/remote", NULL), 0);
        assert_int_equal(a.source, CTL_SOURCE_DIRECTORY);
        ctl_args_done(&a);
        assert_int_equal(parse(&a, error, "--file=/a/*.journal", "--file", "/b.journal", NULL), 0);
        assert_int_equal(a.source, CTL_SOURCE_FILES);
        assert_int_equal(a.n_files, 2);
        assert_string_equal(a.files[0], "/a/*.journal");
        assert_string_equal(a.files[1], "/b.journal");
        assert_null(a.files[2]);
        ctl_args_done(&a);
        assert_int_equal(parse(&a, error, "--namespace=x", "--file=/y", NULL), -EINVAL);
        assert_string_equal(error, "--namespace=, --directory= and --file= cannot be combined");
        assert_int_equal(parse(&a, error, "--all", "--directory=/x", NULL), -EINVAL);
        assert_int_equal(parse(&a, error, "--all", NULL), 0);
        assert_true(a.all);
        ctl_args_done(&a);

        assert_int_equal(parse(&a, error, "vacuum", "--storage-dir=/srv/cores", "--max-use=1.5G", "--keep-free=512M",
                               "--dry-run", NULL), 0);
        assert_string_equal(a.storage_dir, "/srv/cores");
        assert_true(a.max_use == UINT64_C(1610612736));
        assert_true(a.keep_free == UINT64_C(536870912));
        assert_true(a.dry_run);
        ctl_args_done(&a);
        assert_int_equal(parse(&a, error, "vacuum", "--storage-dir=relative", NULL), -EINVAL);
        assert_int_equal(parse(&a, error, "vacuum", "--max-use=lots", NULL), -EINVAL);
        assert_string_equal(error, "invalid --max-use value 'lots' (expected bytes, e.g. 512M or 2G)");
}

static void test_bad_combinations(void **state) {
        static const char *const cases[][4] = {
                { "-n", "0", NULL, "invalid -n value '0' (expected an integer of at least 1)" },
                { "-n", "x", NULL, "invalid -n value 'x' (expected an integer of at least 1)" },
                { "--since=@20", "--until=@10", NULL, "--since= must be before --until=" },
                { "-F", "COREDUMP_EXE", "dump", "--field/-F only makes sense with list and info" },
                { "-F", "lower", NULL, "invalid --field name 'lower' (A-Z, 0-9, _)" },
                { "-o", "x", "list", "--output/-o only makes sense with dump" },
                { "disk-usage", "crasher", NULL, "disk-usage takes no match arguments" },
                { "--dry-run", NULL, NULL, "--dry-run only makes sense with vacuum" },
                { "--max-use=1G", NULL, NULL, "--max-use/--keep-free only make sense with disk-usage and vacuum" },
                { "--storage-dir=/x", "info", NULL, "--storage-dir only makes sense with disk-usage, vacuum and metrics" },
                { "list", "lower=x", NULL, "invalid match 'lower=x' (FIELD=VALUE needs a journal field name: A-Z, 0-9, _)" },
                { "--no-such-option", NULL, NULL, "unknown option '--no-such-option'" },
                { "-Z", NULL, NULL, "unknown option '-Z'" },
                { "--since", NULL, NULL, "option '--since' needs an argument" },
                { "--since=notadate", NULL, NULL,
                  "invalid --since value 'notadate' (try YYYY-MM-DD [HH:MM[:SS]], @SECONDS, -1h, yesterday)" },
                { "-A", "'unbalanced", NULL, "invalid --debugger-arguments ''unbalanced' (unbalanced quotes or more than 256 words)" },
        };
        char error[CTL_ERROR_MAX];
        CtlArgs a;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = cases[i][1] ? parse(&a, error, cases[i][0], cases[i][1], cases[i][2], NULL) :
                                      parse(&a, error, cases[i][0], NULL);
                assert_int_equal(r, -EINVAL);
                assert_string_equal(error, cases[i][3]);
        }
}

static void test_debugger_arguments(void **state) {
        _cleanup_(strv_freep) char **argv = NULL, **words = NULL;
        char error[CTL_ERROR_MAX];
        CtlArgs a;

        assert_int_equal(parse(&a, error, "debug", "-A", "-batch -ex 'info all-registers' -ex \"bt full\" a\\ b", NULL), 0);
        assert_non_null(a.debugger_args);
        assert_string_equal(a.debugger_args[0], "-batch");
        assert_string_equal(a.debugger_args[1], "-ex");
        assert_string_equal(a.debugger_args[2], "info all-registers");
        assert_string_equal(a.debugger_args[3], "-ex");
        assert_string_equal(a.debugger_args[4], "bt full");
        assert_string_equal(a.debugger_args[5], "a b");
        assert_null(a.debugger_args[6]);

        /* coredumpctl's order: debugger, extra arguments, executable, -c, core. */
        assert_int_equal(ctl_debug_argv("gdb", a.debugger_args, "/usr/bin/x", "/var/tmp/core", &argv), 0);
        const char *want[] = { "gdb", "-batch", "-ex", "info all-registers", "-ex", "bt full", "a b", "/usr/bin/x", "-c",
                               "/var/tmp/core", NULL };
        for (size_t i = 0; want[i]; i++)
                assert_string_equal(argv[i], want[i]);
        assert_null(argv[10]);
        ctl_args_done(&a);

        assert_int_equal(ctl_text_split_words("  ''  \"\"  x ", 8, &words), 0);
        assert_string_equal(words[0], "");
        assert_string_equal(words[1], "");
        assert_string_equal(words[2], "x");
        assert_null(words[3]);
        assert_int_equal(ctl_text_split_words("a b c", 2, &argv), -EINVAL);
        assert_int_equal(ctl_text_split_words("\"open", 8, &argv), -EINVAL);
        assert_int_equal(ctl_text_split_words("trailing\\", 8, &argv), -EINVAL);

        assert_int_equal(ctl_debug_check_exe("/usr/bin/x"), 0);
        assert_int_equal(ctl_debug_check_exe("/usr/bin/x (deleted)"), -ENOENT);
        assert_int_equal(ctl_debug_check_exe("x"), -ENOENT);

        assert_int_equal(setenv("COREJOURNAL_DEBUGGER", "lldb", 1), 0);
        assert_string_equal(ctl_debug_pick_debugger(NULL), "lldb");
        assert_string_equal(ctl_debug_pick_debugger("cgdb"), "cgdb");
        assert_int_equal(unsetenv("COREJOURNAL_DEBUGGER"), 0);
        assert_int_equal(unsetenv("SYSTEMD_DEBUGGER"), 0);
        assert_string_equal(ctl_debug_pick_debugger(NULL), "gdb");
}

static void test_match_rules(void **state) {
        static const char *const args[] = {
                "1234", "crasher", "/usr/bin/foo", "COREDUMP_SIGNAL=6", "_SYSTEMD_UNIT=x.service", "0",
                "2147483648", "./bin/../sbin//tool", "../x", "12a", NULL,
        };
        static const char *const want[] = {
                "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1",
                "MESSAGE_ID=1f4e0a44a88649939aaea34fc6da8c95",
                "COREDUMP_PID=1234",
                "COREDUMP_COMM=crasher",
                "COREDUMP_EXE=/usr/bin/foo",
                "COREDUMP_SIGNAL=6",
                "_SYSTEMD_UNIT=x.service",
                "COREDUMP_COMM=0",          /* not a PID */
                "COREDUMP_COMM=2147483648", /* does not fit a pid_t */
                "COREDUMP_EXE=/home/u/sbin/tool",
                "COREDUMP_EXE=/home/x",
                "COREDUMP_COMM=12a",
                NULL,
        };
        _cleanup_(strv_freep) char **m = NULL;
        size_t bad = 99;

        assert_int_equal(ctl_match_build(args, "/home/u", &m, &bad), 0);
        for (size_t i = 0; want[i]; i++)
                assert_string_equal(m[i], want[i]);
        assert_null(m[ELEMENTSOF(want) - 1]);
        strv_free(m);
        m = NULL;

        /* Always restricted to crash records, even without arguments. */
        assert_int_equal(ctl_match_build(NULL, NULL, &m, NULL), 0);
        assert_string_equal(m[0], want[0]);
        assert_string_equal(m[1], want[1]);
        assert_null(m[2]);

        const char *invalid[] = { "ok", "lower=x", NULL };
        assert_int_equal(ctl_match_build(invalid, "/", &m, &bad), -EINVAL);
        assert_int_equal(bad, 1);
        const char *address[] = { "__CURSOR=x", NULL };
        assert_int_equal(ctl_match_build(address, "/", &m, &bad), -EINVAL);
        assert_int_equal(bad, 0);
        const char *relative[] = { "a/b", NULL };
        assert_int_equal(ctl_match_build(relative, NULL, &m, &bad), -EINVAL);

        assert_true(ctl_match_valid("COREDUMP_UNIT=a=b"));
        assert_false(ctl_match_valid("/x=y")); /* with "=" it is a raw match, never a path */
        assert_false(ctl_match_valid("=x"));
        assert_false(ctl_match_valid(""));
}

static void test_time(void **state) {
        char buf[CTL_TIME_STRING_MAX];
        uint64_t t;

        assert_int_equal(setenv("TZ", "UTC", 1), 0);
        tzset();
        assert_string_equal(ctl_time_format(NOW, buf), "Tue 2023-11-14 22:13:20 UTC");

        assert_int_equal(ctl_time_parse("@1700000000", NOW, &t), 0);
        assert_true(t == NOW);
        assert_int_equal(ctl_time_parse("@1700000000.25", NOW, &t), 0);
        assert_true(t == NOW + 250000);
        assert_int_equal(ctl_time_parse("now", NOW, &t), 0);
        assert_true(t == NOW);
        assert_int_equal(ctl_time_parse("-1h", NOW, &t), 0);
        assert_true(t == NOW - 3600 * CTL_USEC_PER_SEC);
        assert_int_equal(ctl_time_parse("+30min", NOW, &t), 0);
        assert_true(t == NOW + 1800 * CTL_USEC_PER_SEC);
        assert_int_equal(ctl_time_parse("2 days ago", NOW, &t), 0);
        assert_true(t == NOW - 2 * 86400 * CTL_USEC_PER_SEC);
        assert_int_equal(ctl_time_parse("1h 30min ago", NOW, &t), 0);
        assert_true(t == NOW - 5400 * CTL_USEC_PER_SEC);
        assert_int_equal(ctl_time_parse("today", NOW, &t), 0);
        assert_true(t == UINT64_C(1699920000) * CTL_USEC_PER_SEC);
        assert_int_equal(ctl_time_parse("yesterday", NOW, &t), 0);
        assert_true(t == UINT64_C(1699833600) * CTL_USEC_PER_SEC);
        assert_int_equal(ctl_time_parse("tomorrow", NOW, &t), 0);
        assert_true(t == UINT64_C(1700006400) * CTL_USEC_PER_SEC);
        assert_int_equal(ctl_time_parse("2023-11-14", NOW, &t), 0);
        assert_true(t == UINT64_C(1699920000) * CTL_USEC_PER_SEC);
        assert_int_equal(ctl_time_parse("2023-11-14 22:13:20", NOW, &t), 0);
        assert_true(t == NOW);
        assert_int_equal(ctl_time_parse("2023-11-14T22:13", NOW, &t), 0);
        assert_true(t == NOW - 20 * CTL_USEC_PER_SEC);
        assert_int_equal(ctl_time_parse("22:00", NOW, &t), 0);
        assert_true(t == NOW - 800 * CTL_USEC_PER_SEC);
        static const char *const bad[] = { "", "x", "@", "@1x", "-", "-1parsec", "2023-13-45", "2023-11-14 25:00", "ago", "1 lightyear ago" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(ctl_time_parse(bad[i], NOW, &t), -EINVAL);

        /* systemd's relative forms. */
        static const struct {
                uint64_t ago_sec;
                const char *text;
        } rel[] = {
                { 0, "now" },           { 1, "1s ago" },          { 59, "59s ago" },
                { 61, "1min 1s ago" },  { 300, "5min ago" },      { 3600 + 44 * 60, "1h 44min ago" },
                { 7 * 3600, "7h ago" }, { 26 * 3600, "1 day 2h ago" }, { 3 * 86400, "3 days ago" },
                { 8 * 86400, "1 week 1 day ago" }, { 40 * 86400, "1 month 9 days ago" },
                { 400 * 86400, "1 year 1 month ago" },
        };
        for (size_t i = 0; i < ELEMENTSOF(rel); i++)
                assert_string_equal(ctl_time_format_relative(NOW - rel[i].ago_sec * CTL_USEC_PER_SEC, NOW, buf), rel[i].text);
        assert_string_equal(ctl_time_format_relative(NOW + 90 * CTL_USEC_PER_SEC, NOW, buf), "1min 30s left");
        assert_string_equal(ctl_time_format_relative(NOW - 1500, NOW, buf), "1ms ago");
}

static void test_sizes(void **state) {
        /* What coredumpctl 252 prints in its SIZE column for these sizes (checked side by side). */
        static const struct {
                uint64_t bytes;
                const char *text;
        } golden[] = {
                { 100, "100B" },          { 1023, "1023B" },        { 1024, "1.0K" },
                { 1075, "1.0K" },         { 1126, "1.0K" },         { 17764, "17.3K" },
                { 17818, "17.4K" },       { 104857, "102.3K" },     { 1048575, "1023.9K" },
                { 1048576, "1.0M" },      { 1153433, "1.0M" },      { 1205862, "1.1M" },
                { 5242879, "4.9M" },      { 1073741823, "1023.9M" }, { 1127428915, "1.0G" },
                { UINT64_MAX, "15.9E" },
        };
        char buf[CTL_SIZE_STRING_MAX];
        uint64_t v;

        for (size_t i = 0; i < ELEMENTSOF(golden); i++)
                assert_string_equal(ctl_size_format(golden[i].bytes, buf), golden[i].text);

        assert_int_equal(ctl_size_parse("0", &v), 0);
        assert_true(v == 0);
        assert_int_equal(ctl_size_parse("4096", &v), 0);
        assert_true(v == 4096);
        assert_int_equal(ctl_size_parse("512K", &v), 0);
        assert_true(v == 512 * 1024);
        assert_int_equal(ctl_size_parse("2GiB", &v), 0);
        assert_true(v == UINT64_C(2) << 30);
        assert_int_equal(ctl_size_parse("1.5M", &v), 0);
        assert_true(v == 1572864);
        assert_int_equal(ctl_size_parse("100B", &v), 0);
        assert_true(v == 100);
        assert_int_equal(ctl_size_parse("16E", &v), -ERANGE);
        assert_int_equal(ctl_size_parse("18446744073709551616", &v), -ERANGE);
        static const char *const bad[] = { "", "K", "1.5", "1X", "-1", "1 G", "1.G", "1KK" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(ctl_size_parse(bad[i], &v), -EINVAL);
}

static void test_exit_statuses(void **state) {
        assert_int_equal(ctl_exit_from_error(0), CTL_EXIT_OK);
        assert_int_equal(ctl_exit_from_error(-ESRCH), CTL_EXIT_NOT_FOUND);
        assert_int_equal(ctl_exit_from_error(-EACCES), CTL_EXIT_PERMISSION);
        assert_int_equal(ctl_exit_from_error(-EPERM), CTL_EXIT_PERMISSION);
        assert_int_equal(ctl_exit_from_error(-EIO), CTL_EXIT_FAILURE);
        /* Distinct, as documented. */
        assert_int_not_equal(CTL_EXIT_USAGE, CTL_EXIT_NOT_FOUND);
        assert_int_not_equal(CTL_EXIT_PERMISSION, CTL_EXIT_NOT_FOUND);
        assert_int_not_equal(CTL_EXIT_PERMISSION, CTL_EXIT_FAILURE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_and_verbs),
                cmocka_unit_test(test_options_anywhere),
                cmocka_unit_test(test_json_sources_and_storage),
                cmocka_unit_test(test_bad_combinations),
                cmocka_unit_test(test_debugger_arguments),
                cmocka_unit_test(test_match_rules),
                cmocka_unit_test(test_time),
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_exit_statuses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
