/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corejournalctl's output from in-memory records: list rows and table, info block, JSON shapes,
 * groups, and the Prometheus text format. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <systemd/sd-id128.h>

#include "cleanup.h"
#include "ctl-groups.h"
#include "ctl-info.h"
#include "ctl-json.h"
#include "ctl-list.h"
#include "ctl-metrics.h"
#include "ctl-record.h"
#include "export-record.h"

#define T0 UINT64_C(1700000000000000) /* Tue 2023-11-14 22:13:20 UTC */

/* A record from "NAME=value" strings (journald's "_" and "__" names allowed). */
static ExportRecord *record(const char *first, ...) {
        ExportRecord *r = NULL;
        va_list ap;

        assert_int_equal(export_record_new(&r), 0);
        va_start(ap, first);
        for (const char *kv = first; kv; kv = va_arg(ap, const char *)) {
                const char *eq = strchr(kv, '=');
                char name[128];
                assert_non_null(eq);
                memcpy(name, kv, (size_t) (eq - kv));
                name[eq - kv] = 0;
                assert_int_equal(export_record_append_reserved(r, name, eq + 1, strlen(eq + 1)), 0);
        }
        va_end(ap);
        return r;
}

/* A stream into *buf, which holds the text once the stream is closed. */
static FILE *capture(char **buf, size_t *size) {
        FILE *f = open_memstream(buf, size);
        assert_non_null(f);
        return f;
}

static int setup_utc(void **state) {
        (void) setenv("TZ", "UTC", 1);
        tzset();
        return 0;
}

#define KERNEL_RECORD(pid, sig, name, extra...)                                                         \
        record("__REALTIME_TIMESTAMP=1700000000000000", "__CURSOR=s=1;i=" pid, "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1", \
               "COREDUMP_PID=" pid, "COREDUMP_UID=1000", "COREDUMP_GID=1000", "COREDUMP_SIGNAL=" sig,     \
               "COREDUMP_SIGNAL_NAME=" name, "COREDUMP_COMM=crasher", "COREDUMP_EXE=/usr/bin/crasher", ##extra, NULL)

static void test_core_states(void **state) {
        _cleanup_(export_record_freep) ExportRecord *file = KERNEL_RECORD("1", "11", "SIGSEGV", "COREDUMP_FILENAME=/c.zst");
        _cleanup_(export_record_freep) ExportRecord *cut = KERNEL_RECORD("2", "11", "SIGSEGV", "COREDUMP_FILENAME=/c.zst",
                                                                         "COREDUMP_TRUNCATED=1");
        _cleanup_(export_record_freep) ExportRecord *journal = KERNEL_RECORD("3", "6", "SIGABRT", "COREDUMP=\x7f" "ELF");
        _cleanup_(export_record_freep) ExportRecord *none = KERNEL_RECORD("4", "7", "SIGBUS");
        _cleanup_(export_record_freep) ExportRecord *sd = record("MESSAGE_ID=1f4e0a44a88649939aaea34fc6da8c95", "COREDUMP_PID=5",
                                                                 "COREDUMP_SIGNAL=6", NULL);
        CtlFileProbe ok = { .size = 100 }, gone = { .error = -ENOENT }, denied = { .error = -EACCES };

        assert_int_equal(ctl_record_core_state(file, &ok), CTL_CORE_PRESENT);
        assert_int_equal(ctl_record_core_state(file, &gone), CTL_CORE_MISSING);
        assert_int_equal(ctl_record_core_state(file, &denied), CTL_CORE_ERROR);
        assert_int_equal(ctl_record_core_state(cut, &ok), CTL_CORE_TRUNCATED);
        assert_int_equal(ctl_record_core_state(cut, &gone), CTL_CORE_MISSING);
        assert_int_equal(ctl_record_core_state(journal, NULL), CTL_CORE_JOURNAL);
        assert_int_equal(ctl_record_core_state(none, NULL), CTL_CORE_NONE);
        assert_int_equal(ctl_record_core_state(sd, NULL), CTL_CORE_NOT_APPLICABLE);
        assert_string_equal(ctl_core_state_to_string(CTL_CORE_TRUNCATED), "truncated");
        assert_null(ctl_core_state_to_string(CTL_CORE_NOT_APPLICABLE));
        assert_true(ctl_record_is_backtrace_only(sd));
        assert_false(ctl_record_is_backtrace_only(none));
}

static void test_list_table(void **state) {
        _cleanup_(export_record_freep) ExportRecord *a = KERNEL_RECORD("4242", "11", "SIGSEGV", "COREDUMP_FILENAME=/c.zst");
        _cleanup_(export_record_freep) ExportRecord *b = record(
                "__REALTIME_TIMESTAMP=1700000061000000", "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1", "COREDUMP_PID=7",
                "COREDUMP_UID=0", "COREDUMP_GID=0", "COREDUMP_SIGNAL=6", "COREDUMP_COMM=evil\x1b[2J", "COREDUMP=x", NULL);
        _cleanup_(export_record_freep) ExportRecord *sd = record(
                "__REALTIME_TIMESTAMP=1700000062000000", "MESSAGE_ID=1f4e0a44a88649939aaea34fc6da8c95", "COREDUMP_PID=123456",
                "COREDUMP_UID=0", "COREDUMP_GID=0", "COREDUMP_SIGNAL=6", "COREDUMP_COMM=sleep", "COREDUMP_EXE=/usr/bin/sleep", NULL);
        CtlFileProbe present = { .size = 17818 };
        _cleanup_(freep) char *text = NULL;
        size_t size;
        CtlTable t;
        FILE *f;

        ctl_list_table_init(&t);
        assert_int_equal(ctl_list_add_record(&t, a, &present), 0);
        assert_int_equal(ctl_list_add_record(&t, b, NULL), 0);
        assert_int_equal(ctl_list_add_record(&t, sd, NULL), 0);

        f = capture(&text, &size);
        assert_int_equal(ctl_table_print(&t, f, true), 0);
        fclose(f);
        /* coredumpctl's layout: one space between columns, numbers right-aligned, "-" for
         * nothing, no trailing blanks; SIG0 for systemd's --backtrace records. */
        assert_string_equal(text,
                            "TIME                           PID  UID  GID SIG     COREFILE EXE               SIZE\n"
                            "Tue 2023-11-14 22:13:20 UTC   4242 1000 1000 SIGSEGV present  /usr/bin/crasher 17.4K\n"
                            "Tue 2023-11-14 22:14:21 UTC      7    0    0 SIGABRT journal  evil\\x1b[2J          -\n"
                            "Tue 2023-11-14 22:14:22 UTC 123456    0    0 SIG0    -        /usr/bin/sleep       -\n");
        free(text);

        /* Without the legend the widths come from the cells alone. */
        f = capture(&text, &size);
        assert_int_equal(ctl_table_print(&t, f, false), 0);
        fclose(f);
        assert_string_equal(text,
                            "Tue 2023-11-14 22:13:20 UTC   4242 1000 1000 SIGSEGV present /usr/bin/crasher 17.4K\n"
                            "Tue 2023-11-14 22:14:21 UTC      7    0    0 SIGABRT journal evil\\x1b[2J          -\n"
                            "Tue 2023-11-14 22:14:22 UTC 123456    0    0 SIG0    -       /usr/bin/sleep       -\n");
        ctl_table_done(&t);
}

static void test_info_block(void **state) {
        char machine_field[64], machine[SD_ID128_STRING_MAX];
        sd_id128_t id;
        /* The record comes from this machine, so its COREDUMP_FILENAME is a file here. */
        assert_int_equal(sd_id128_get_machine(&id), 0);
        (void) sd_id128_to_string(id, machine);
        (void) snprintf(machine_field, sizeof(machine_field), "_MACHINE_ID=%s", machine);
        _cleanup_(export_record_freep) ExportRecord *r = record(
                "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1", "COREDUMP_PID=4242", "COREDUMP_UID=0", "COREDUMP_GID=0",
                "COREDUMP_SIGNAL=11", "COREDUMP_SIGNAL_NAME=SIGSEGV", "COREDUMP_EXE=/usr/bin/crasher",
                "COREDUMP_COMM=crasher", "COREDUMP_CMDLINE=/usr/bin/crasher segv", "COREDUMP_HOSTNAME=vm",
                "COREDUMP_UNIT=crash.service", "COREDUMP_SLICE=system.slice", "COREDUMP_CGROUP=/system.slice/crash.service",
                "COREDUMP_TIMESTAMP=1700000000000000", "COREDUMP_FILENAME=/var/lib/systemd/coredump/core.crasher.zst",
                "COREDUMP_PACKAGE_NAME=demo", "COREDUMP_PACKAGE_VERSION=1.0",
                "COREDUMP_PACKAGE_JSON={\"elfType\":\"coredump\",\"crasher\":{\"name\":\"demo\",\"buildId\":\"abc123\"}}",
                "COREJOURNAL_SIGNATURE=123cf701ec08b9b5f381d3a98f448986", "_BOOT_ID=b00d", machine_field,
                "MESSAGE=Process 4242 (crasher) of user 0 dumped core.\n\nStack trace of thread 4242:\n#0  0x0000000000401000 crash_here (crasher + 0x1000)\n",
                NULL);
        _cleanup_(export_record_freep) ExportRecord *refused = record(
                "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1", "COREDUMP_PID=5", "COREDUMP_UID=4294967294", "COREDUMP_SIGNAL=6",
                "COREJOURNAL_CORE_NOT_STORED=keep-free", "COREJOURNAL_CORE_NOT_STORED_MESSAGE=Not enough free space.", NULL);
        _cleanup_(export_record_freep) ExportRecord *sd = record(
                "MESSAGE_ID=1f4e0a44a88649939aaea34fc6da8c95", "COREDUMP_PID=6", "COREDUMP_SIGNAL=ZeroDivisionError", NULL);
        CtlFileProbe probe = { .size = 52940 };
        _cleanup_(freep) char *text = NULL;
        size_t size;
        FILE *f;

        _cleanup_(freep) char *expect = NULL;
        f = capture(&text, &size);
        assert_int_equal(ctl_info_print(f, r, &probe, T0 + 20 * 1000000), 0);
        fclose(f);
        assert_true(asprintf(&expect,
                            "           PID: 4242 (crasher)\n"
                            "           UID: 0 (root)\n"
                            "           GID: 0 (root)\n"
                            "        Signal: 11 (SEGV)\n"
                            "     Timestamp: Tue 2023-11-14 22:13:20 UTC (20s ago)\n"
                            "  Command Line: /usr/bin/crasher segv\n"
                            "    Executable: /usr/bin/crasher\n"
                            " Control Group: /system.slice/crash.service\n"
                            "          Unit: crash.service\n"
                            "         Slice: system.slice\n"
                            "       Boot ID: b00d\n"
                            "    Machine ID: %s\n"
                            "      Hostname: vm\n"
                            "       Storage: /var/lib/systemd/coredump/core.crasher.zst (present)\n"
                            "  Size on Disk: 51.6K\n"
                            "       Package: demo/1.0\n"
                            "      build-id: abc123\n"
                            "     Signature: 123cf701ec08b9b5f381d3a98f448986\n"
                            "       Message: Process 4242 (crasher) of user 0 dumped core.\n"
                            "                \n"
                            "                Stack trace of thread 4242:\n"
                            "                #0  0x0000000000401000 crash_here (crasher + 0x1000)\n", machine) > 0);
        assert_string_equal(text, expect);
        free(text);

        /* The same record read on another machine (a central journal-remote store): the file is
         * there, not here, and the block says which host keeps it. */
        assert_int_equal(export_record_remove(r, "_MACHINE_ID"), 1);
        assert_int_equal(export_record_append_reserved(r, "_MACHINE_ID", "fee1", 4), 0);
        assert_int_equal(export_record_append_string(r, "COREJOURNAL_CORE_HOST", "web-7"), 0);
        f = capture(&text, &size);
        assert_int_equal(ctl_info_print(f, r, &probe, T0 + 20 * 1000000), 0);
        fclose(f);
        assert_non_null(strstr(text, "       Storage: /var/lib/systemd/coredump/core.crasher.zst (remote)\n"
                                     "       Kept On: web-7\n"));
        assert_null(strstr(text, "Size on Disk"));
        assert_int_equal(ctl_record_core_state(r, &probe), CTL_CORE_REMOTE);
        assert_int_equal(export_record_append(r, "COREDUMP", "\177ELF", 4), 0);
        assert_int_equal(ctl_record_core_state(r, &probe), CTL_CORE_JOURNAL);
        free(text);

        /* Unknown users print as their number; a refused core says why. */
        f = capture(&text, &size);
        assert_int_equal(ctl_info_print(f, refused, NULL, T0), 0);
        fclose(f);
        assert_string_equal(text,
                            "           PID: 5\n"
                            "           UID: 4294967294 (4294967294)\n"
                            "        Signal: 6 (ABRT)\n"
                            "       Storage: none\n"
                            "    Not Stored: Not enough free space.\n");
        free(text);

        /* systemd's --backtrace records say "Reason", as coredumpctl does. */
        f = capture(&text, &size);
        assert_int_equal(ctl_info_print(f, sd, NULL, T0), 0);
        fclose(f);
        assert_string_equal(text,
                            "           PID: 6\n"
                            "        Reason: ZeroDivisionError\n"
                            "       Storage: none\n");
}

static void test_json_shapes(void **state) {
        _cleanup_(export_record_freep) ExportRecord *r = KERNEL_RECORD("4242", "11", "SIGSEGV", "COREDUMP_FILENAME=/c.zst",
                                                                       "COREDUMP_CMDLINE=bad \xff byte");
        _cleanup_(export_record_freep) ExportRecord *sd = record("__REALTIME_TIMESTAMP=5", "MESSAGE_ID=1f4e0a44a88649939aaea34fc6da8c95",
                                                                 "COREDUMP_PID=6", "COREDUMP_SIGNAL=6", NULL);
        _cleanup_(json_object_putp) json_object *row = NULL, *info = NULL, *sdrow = NULL;
        CtlFileProbe probe = { .size = 4096 };
        json_object *v, *storage;

        assert_int_equal(ctl_json_list_row(r, &probe, &row), 0);
        static const char *const list_keys[] = { "time", "pid", "uid", "gid", "sig", "corefile", "exe", "size", "comm",
                                                 "signal_name", "message_id", "filename", "signature", "boot_id", "cursor" };
        assert_int_equal(json_object_object_length(row), ELEMENTSOF(list_keys));
        for (size_t i = 0; i < ELEMENTSOF(list_keys); i++)
                assert_true(json_object_object_get_ex(row, list_keys[i], NULL));
        assert_true(json_object_object_get_ex(row, "time", &v) && json_object_is_type(v, json_type_int));
        assert_true(json_object_get_uint64(v) == T0);
        assert_true(json_object_object_get_ex(row, "pid", &v) && json_object_get_int(v) == 4242);
        assert_true(json_object_object_get_ex(row, "sig", &v) && json_object_get_int(v) == 11);
        assert_true(json_object_object_get_ex(row, "corefile", &v));
        assert_string_equal(json_object_get_string(v), "present");
        assert_true(json_object_object_get_ex(row, "size", &v) && json_object_get_int(v) == 4096);
        assert_true(json_object_object_get_ex(row, "signature", &v) && v == NULL); /* absent: null */
        assert_string_equal(json_object_to_json_string_ext(row, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                            "{\"time\":1700000000000000,\"pid\":4242,\"uid\":1000,\"gid\":1000,\"sig\":11,\"corefile\":\"present\","
                            "\"exe\":\"/usr/bin/crasher\",\"size\":4096,\"comm\":\"crasher\",\"signal_name\":\"SIGSEGV\","
                            "\"message_id\":\"fc2e22bc6ee647b6b90729ab34a250b1\",\"filename\":\"/c.zst\",\"signature\":null,"
                            "\"boot_id\":null,\"cursor\":\"s=1;i=4242\"}");

        /* systemd's --backtrace record: no signal and no core state, as coredumpctl's null. */
        assert_int_equal(ctl_json_list_row(sd, NULL, &sdrow), 0);
        assert_true(json_object_object_get_ex(sdrow, "sig", &v) && v == NULL);
        assert_true(json_object_object_get_ex(sdrow, "corefile", &v) && v == NULL);

        assert_int_equal(ctl_json_info(r, &probe, &info), 0);
        static const char *const info_keys[] = {
                "time", "cursor", "message_id", "pid", "tid", "uid", "gid", "signal", "signal_name", "timestamp", "comm",
                "thread_name", "exe", "cmdline", "cgroup", "unit", "user_unit", "slice", "session", "owner_uid", "boot_id",
                "machine_id", "hostname", "storage", "package_name", "package_version", "build_id", "signature", "source",
                "backtrace", "message",
        };
        assert_int_equal(json_object_object_length(info), ELEMENTSOF(info_keys));
        for (size_t i = 0; i < ELEMENTSOF(info_keys); i++)
                assert_true(json_object_object_get_ex(info, info_keys[i], NULL));
        assert_true(json_object_object_get_ex(info, "storage", &storage));
        static const char *const storage_keys[] = { "state", "filename", "size_on_disk", "truncated", "core_size",
                                                    "stored_size", "not_stored", "not_stored_message" };
        assert_int_equal(json_object_object_length(storage), ELEMENTSOF(storage_keys));
        for (size_t i = 0; i < ELEMENTSOF(storage_keys); i++)
                assert_true(json_object_object_get_ex(storage, storage_keys[i], NULL));
        assert_true(json_object_object_get_ex(storage, "truncated", &v) && json_object_is_type(v, json_type_boolean));
        /* Bytes that are not UTF-8 become U+FFFD, so the output is always valid JSON. */
        assert_true(json_object_object_get_ex(info, "cmdline", &v));
        assert_string_equal(json_object_get_string(v), "bad \xef\xbf\xbd byte");
}

static void test_groups(void **state) {
        static const char bt[] =
                "COREJOURNAL_BACKTRACE_JSON={\"version\":1,\"signature\":\"aa\",\"threads\":["
                "{\"tid\":8,\"crashing\":false,\"frames\":[{\"symbol\":\"poll\"}]},"
                "{\"tid\":7,\"crashing\":true,\"frames\":[{\"symbol\":\"__pthread_kill_implementation\",\"module\":\"libc.so.6\"},"
                "{\"symbol\":null,\"module\":\"crasher\",\"offset\":\"0x0000000000001132\"},{\"symbol\":\"main\"}]}]}";
        _cleanup_(export_record_freep) ExportRecord *a1 = record("__REALTIME_TIMESTAMP=300", "__CURSOR=c1", "COREDUMP_PID=1",
                                                                 "COREDUMP_SIGNAL=11", "COREDUMP_EXE=/bin/a",
                                                                 "COREJOURNAL_SIGNATURE=aa", NULL);
        _cleanup_(export_record_freep) ExportRecord *a2 = record("__REALTIME_TIMESTAMP=100", "__CURSOR=c2", "COREDUMP_PID=2",
                                                                 "COREDUMP_SIGNAL=6", "COREDUMP_EXE=/bin/a2",
                                                                 "COREJOURNAL_SIGNATURE=aa", bt, NULL);
        _cleanup_(export_record_freep) ExportRecord *b1 = record("__REALTIME_TIMESTAMP=200", "COREDUMP_PID=3",
                                                                 "COREDUMP_SIGNAL=11", "COREDUMP_EXE=/bin/b", NULL);
        _cleanup_(export_record_freep) ExportRecord *b2 = record("__REALTIME_TIMESTAMP=400", "COREDUMP_PID=4",
                                                                 "COREDUMP_SIGNAL=11", "COREDUMP_EXE=/bin/b", NULL);
        _cleanup_(export_record_freep) ExportRecord *b3 = record("__REALTIME_TIMESTAMP=500", "COREDUMP_PID=5",
                                                                 "COREDUMP_SIGNAL=11", "COREDUMP_EXE=/bin/b", NULL);
        _cleanup_(export_record_freep) ExportRecord *c = record("__REALTIME_TIMESTAMP=50", "COREDUMP_PID=6",
                                                                "COREDUMP_COMM=python3", "COREDUMP_SIGNAL=ValueError", NULL);
        /* A signature that names an executable is still a signature, not the executable's group. */
        _cleanup_(export_record_freep) ExportRecord *d = record("__REALTIME_TIMESTAMP=60", "COREDUMP_PID=7",
                                                                "COREDUMP_EXE=/bin/b", "COREJOURNAL_SIGNATURE=/bin/b", NULL);
        CtlGroups g = {};

        assert_int_equal(ctl_groups_add(&g, a1), 0);
        assert_int_equal(ctl_groups_add(&g, a2), 0);
        assert_int_equal(ctl_groups_add(&g, b1), 0);
        assert_int_equal(ctl_groups_add(&g, b2), 0);
        assert_int_equal(ctl_groups_add(&g, b3), 0);
        assert_int_equal(ctl_groups_add(&g, c), 0);
        assert_int_equal(ctl_groups_add(&g, d), 0);
        ctl_groups_sort(&g);

        assert_int_equal(g.records, 7);
        assert_int_equal(g.n, 4);
        /* Most records first. */
        assert_null(g.groups[0].signature);
        assert_string_equal(g.groups[0].executable, "/bin/b");
        assert_int_equal(g.groups[0].count, 3);
        assert_true(g.groups[0].first_seen == 200 && g.groups[0].last_seen == 500);
        assert_int_equal(g.groups[0].latest_pid, 5);

        assert_string_equal(g.groups[1].signature, "aa");
        assert_null(g.groups[1].executable);
        assert_int_equal(g.groups[1].count, 2);
        assert_true(g.groups[1].first_seen == 100 && g.groups[1].last_seen == 300);
        assert_string_equal(g.groups[1].latest_cursor, "c1");
        assert_int_equal(g.groups[1].n_executables, 2);
        assert_string_equal(g.groups[1].executables[0], "/bin/a");
        assert_string_equal(g.groups[1].executables[1], "/bin/a2");
        assert_int_equal(g.groups[1].n_signals, 2);
        assert_string_equal(g.groups[1].signals[0], "SIGSEGV");
        assert_string_equal(g.groups[1].signals[1], "SIGABRT");
        /* The crashing thread's frames, not the first thread's. */
        assert_non_null(g.groups[1].top_frames);
        assert_string_equal(g.groups[1].top_frames[0], "__pthread_kill_implementation");
        assert_string_equal(g.groups[1].top_frames[1], "crasher+0x1132");
        assert_string_equal(g.groups[1].top_frames[2], "main");
        assert_null(g.groups[1].top_frames[3]);

        /* Equal counts: the newer group first. */
        assert_string_equal(g.groups[2].signature, "/bin/b");
        assert_null(g.groups[3].signature);
        assert_string_equal(g.groups[3].executable, "python3");
        assert_string_equal(g.groups[3].signals[0], "ValueError");
        assert_null(g.groups[3].top_frames);
        ctl_groups_done(&g);

        /* Other shapes of frames; and what is not usable yields no frames. */
        char **frames = NULL;
        static const char arr[] = "[\"f1\",{\"function\":\"f2\"},{\"name\":\"f3\"},{\"module\":\"m\",\"offset\":16},{}]";
        assert_int_equal(ctl_groups_top_frames(arr, strlen(arr), 0, 4, &frames), 0);
        assert_string_equal(frames[0], "f1");
        assert_string_equal(frames[1], "f2");
        assert_string_equal(frames[2], "f3");
        assert_string_equal(frames[3], "m+0x10");
        assert_null(frames[4]);
        strv_free(frames);
        static const char by_tid[] = "{\"threads\":[{\"tid\":1,\"frames\":[\"x\"]},{\"tid\":2,\"frames\":[\"y\"]}]}";
        assert_int_equal(ctl_groups_top_frames(by_tid, strlen(by_tid), 2, 5, &frames), 0);
        assert_string_equal(frames[0], "y");
        strv_free(frames);
        assert_int_equal(ctl_groups_top_frames("{not json", 9, 0, 5, &frames), 0);
        assert_null(frames);
        assert_int_equal(ctl_groups_top_frames("{\"frames\":[]}", 13, 0, 5, &frames), 0);
        assert_null(frames);
        /* Nesting deeper than CTL_BACKTRACE_JSON_DEPTH_MAX is refused, not recursed into. */
        char deep[200];
        memset(deep, '[', 100);
        memset(deep + 100, ']', 100);
        assert_int_equal(ctl_groups_top_frames(deep, sizeof(deep), 0, 5, &frames), 0);
        assert_null(frames);
}

static void test_prometheus_escaping(void **state) {
        static const struct {
                const char *in;
                const char *out;
        } cases[] = {
                { "/usr/bin/plain", "/usr/bin/plain" },
                { "back\\slash", "back\\\\slash" },
                { "say \"hi\"", "say \\\"hi\\\"" },
                { "two\nlines", "two\\nlines" },
                { "bad\xff", "bad\xef\xbf\xbd" },
                { "caf\xc3\xa9", "caf\xc3\xa9" },
        };
        char *s = NULL;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(ctl_metrics_escape_label(cases[i].in, strlen(cases[i].in), &s), 0);
                assert_string_equal(s, cases[i].out);
                free(s);
        }
        /* NUL bytes cannot reach the output. */
        assert_int_equal(ctl_metrics_escape_label("a\0b", 3, &s), 0);
        assert_string_equal(s, "a\xef\xbf\xbd" "b");
        free(s);

        /* Long values are cut at CTL_METRICS_LABEL_VALUE_MAX bytes, never inside a character. */
        char long_value[CTL_METRICS_LABEL_VALUE_MAX + 8];
        memset(long_value, 'a', sizeof(long_value));
        memcpy(long_value + CTL_METRICS_LABEL_VALUE_MAX - 1, "\xc3\xa9", 2);
        assert_int_equal(ctl_metrics_escape_label(long_value, sizeof(long_value), &s), 0);
        assert_int_equal(strlen(s), CTL_METRICS_LABEL_VALUE_MAX - 1);
        free(s);
}

static void test_prometheus_text(void **state) {
        _cleanup_(export_record_freep) ExportRecord *a = record(
                "__REALTIME_TIMESTAMP=1700000000250000", "COREDUMP_SIGNAL=11", "COREDUMP_SIGNAL_NAME=SIGSEGV",
                "COREDUMP_EXE=/usr/bin/a \"q\"", "COREDUMP_UNIT=a.service", "COREJOURNAL_SIGNATURE=s1",
                "COREJOURNAL_CORE_STORED_SIZE=1000", NULL);
        _cleanup_(export_record_freep) ExportRecord *b = record(
                "__REALTIME_TIMESTAMP=1699999999000000", "COREDUMP_SIGNAL=6", "COREDUMP_EXE=/usr/bin/a \"q\"",
                "COREDUMP_UNIT=user@1000.service", "COREDUMP_USER_UNIT=app.service", "COREJOURNAL_CORE_NOT_STORED=keep-free", NULL);
        _cleanup_(export_record_freep) ExportRecord *c = record("COREDUMP_SIGNAL=ZeroDivisionError", "COREDUMP_COMM=python3",
                                                                "COREJOURNAL_CORE_STORED_SIZE=24", NULL);
        _cleanup_(freep) char *text = NULL;
        CtlMetrics m = {};
        size_t size;
        FILE *f;

        assert_int_equal(ctl_metrics_add(&m, a), 0);
        assert_int_equal(ctl_metrics_add(&m, b), 0);
        assert_int_equal(ctl_metrics_add(&m, c), 0);
        m.storage_known = true;
        m.storage_bytes = 8192;
        m.storage_files = 2;

        f = capture(&text, &size);
        assert_int_equal(ctl_metrics_write(&m, f), 0);
        fclose(f);
        assert_string_equal(
                text,
                "# HELP corejournal_crashes_total Crash records in the journal.\n"
                "# TYPE corejournal_crashes_total counter\n"
                "corejournal_crashes_total 3\n"
                "# HELP corejournal_crashes_by_executable_total Crash records by executable (COREDUMP_EXE, else COREDUMP_COMM).\n"
                "# TYPE corejournal_crashes_by_executable_total counter\n"
                "corejournal_crashes_by_executable_total{executable=\"/usr/bin/a \\\"q\\\"\"} 2\n"
                "corejournal_crashes_by_executable_total{executable=\"python3\"} 1\n"
                "# HELP corejournal_crashes_by_unit_total Crash records by systemd unit (COREDUMP_USER_UNIT, else COREDUMP_UNIT).\n"
                "# TYPE corejournal_crashes_by_unit_total counter\n"
                "corejournal_crashes_by_unit_total{unit=\"a.service\"} 1\n"
                "corejournal_crashes_by_unit_total{unit=\"app.service\"} 1\n"
                "# HELP corejournal_crashes_by_signal_total Crash records by signal name (or exception name).\n"
                "# TYPE corejournal_crashes_by_signal_total counter\n"
                "corejournal_crashes_by_signal_total{signal=\"SIGABRT\"} 1\n"
                "corejournal_crashes_by_signal_total{signal=\"SIGSEGV\"} 1\n"
                "corejournal_crashes_by_signal_total{signal=\"ZeroDivisionError\"} 1\n"
                "# HELP corejournal_crashes_by_signature_total Crash records by stack signature (COREJOURNAL_SIGNATURE).\n"
                "# TYPE corejournal_crashes_by_signature_total counter\n"
                "corejournal_crashes_by_signature_total{signature=\"s1\"} 1\n"
                "# HELP corejournal_cores_not_stored_total Crash records whose core was not stored, by reason (COREJOURNAL_CORE_NOT_STORED).\n"
                "# TYPE corejournal_cores_not_stored_total counter\n"
                "corejournal_cores_not_stored_total{reason=\"keep-free\"} 1\n"
                "# HELP corejournal_core_stored_bytes_total Bytes of core files written, as recorded (COREJOURNAL_CORE_STORED_SIZE).\n"
                "# TYPE corejournal_core_stored_bytes_total counter\n"
                "corejournal_core_stored_bytes_total 1024\n"
                "# HELP corejournal_storage_bytes Disk space the core files in the storage directory take now.\n"
                "# TYPE corejournal_storage_bytes gauge\n"
                "corejournal_storage_bytes 8192\n"
                "# HELP corejournal_storage_files Core files in the storage directory now.\n"
                "# TYPE corejournal_storage_files gauge\n"
                "corejournal_storage_files 2\n"
                "# HELP corejournal_last_crash_timestamp_seconds When the newest crash record was written.\n"
                "# TYPE corejournal_last_crash_timestamp_seconds gauge\n"
                "corejournal_last_crash_timestamp_seconds 1700000000.250000\n"
                "# HELP corejournal_metrics_series_dropped_total Records not counted under a label because a family reached its series limit.\n"
                "# TYPE corejournal_metrics_series_dropped_total counter\n"
                "corejournal_metrics_series_dropped_total{family=\"executable\"} 0\n"
                "corejournal_metrics_series_dropped_total{family=\"unit\"} 0\n"
                "corejournal_metrics_series_dropped_total{family=\"signal\"} 0\n"
                "corejournal_metrics_series_dropped_total{family=\"signature\"} 0\n"
                "corejournal_metrics_series_dropped_total{family=\"reason\"} 0\n");

        /* The same numbers as JSON, label values unescaped. */
        _cleanup_(json_object_putp) json_object *o = NULL;
        assert_int_equal(ctl_metrics_to_json(&m, &o), 0);
        assert_string_equal(
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                "{\"crashes\":3,\"by_executable\":{\"/usr/bin/a \\\"q\\\"\":2,\"python3\":1},"
                "\"by_unit\":{\"a.service\":1,\"app.service\":1},"
                "\"by_signal\":{\"SIGABRT\":1,\"SIGSEGV\":1,\"ZeroDivisionError\":1},\"by_signature\":{\"s1\":1},"
                "\"not_stored_by_reason\":{\"keep-free\":1},\"core_stored_bytes\":1024,\"storage_bytes\":8192,"
                "\"storage_files\":2,\"last_crash\":1700000000250000,"
                "\"series_dropped\":{\"executable\":0,\"unit\":0,\"signal\":0,\"signature\":0,\"reason\":0}}");
        ctl_metrics_done(&m);

        /* Beyond CTL_METRICS_SERIES_MAX label values, records are counted as dropped. */
        for (int i = 0; i < CTL_METRICS_SERIES_MAX + 5; i++) {
                char exe[64];
                (void) snprintf(exe, sizeof(exe), "COREDUMP_EXE=/bin/p%d", i);
                _cleanup_(export_record_freep) ExportRecord *r = record(exe, NULL);
                assert_int_equal(ctl_metrics_add(&m, r), 0);
        }
        assert_int_equal(m.by_executable.n, CTL_METRICS_SERIES_MAX);
        assert_int_equal(m.by_executable.dropped, 5);
        assert_true(m.crashes == CTL_METRICS_SERIES_MAX + 5);
        ctl_metrics_done(&m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_core_states),
                cmocka_unit_test(test_list_table),
                cmocka_unit_test(test_info_block),
                cmocka_unit_test(test_json_shapes),
                cmocka_unit_test(test_groups),
                cmocka_unit_test(test_prometheus_escaping),
                cmocka_unit_test(test_prometheus_text),
        };
        return cmocka_run_group_tests(tests, setup_utc, NULL);
}
