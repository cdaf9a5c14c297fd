/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backtrace_analyze() on real kernel cores of the programs in test/fixtures/backtrace/. The
 * cores are made by test/root/test-backtrace-unwind.sh (it borrows core_pattern), which runs this
 * with:
 *   CJ_BT_CORES    directory of <label>.core and <label>.pid (chain1, chain2, chain_c, package,
 *                  threads, recursion, stripped)
 *   CJ_BT_FIXTURES directory of the built fixture programs
 *   CJ_BT_DEBUG    a debuginfo path holding .build-id/xx/yyyy.debug for bt-stripped
 *   CJ_BT_PRIVATE  the same, in a directory only root may read
 *   CJ_BT_DEBUGINFOD a directory laid out as a debuginfod server (buildid/<id>/debuginfo) with a
 *                  writable cache/ beside it, served through a file:// URL: no network
 *   CJ_BT_OUT      where the text and package JSON of each core are written for comparison
 *                  with systemd's own output
 * Without CJ_BT_CORES it exits 77 (skipped). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "backtrace-analyze.h"
#include "backtrace-json.h"
#include "cleanup.h"
#include "input-limits.h"
#include "io.h"

/* Under AddressSanitizer, let a failed allocation return NULL as libc's malloc does (ASan's
 * default is to exit), so the memory budget tests see what production builds do. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "allocator_may_return_null=1";
}

#define NOBODY 65534

static const char *cores_dir, *fixtures_dir, *debug_dir, *private_dir, *debuginfod_dir, *out_dir;

static char *path_of(const char *dir, const char *name, const char *suffix) {
        char *p;
        assert_true(asprintf(&p, "%s/%s%s", dir, name, suffix) >= 0);
        return p;
}

static int open_core(const char *label) {
        _cleanup_(freep) char *p = path_of(cores_dir, label, ".core");
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("cannot open %s: %m", p);
        return fd;
}

static pid_t pid_of(const char *label) {
        _cleanup_(freep) char *p = path_of(cores_dir, label, ".pid");
        _cleanup_(fclosep) FILE *f = fopen(p, "re");
        int pid = 0;

        assert_non_null(f);
        assert_int_equal(fscanf(f, "%d", &pid), 1);
        return (pid_t) pid;
}

static BacktraceOptions options_for(const char *program) {
        static char exe[4096];
        snprintf(exe, sizeof(exe), "%s/%s", fixtures_dir, program);
        return (BacktraceOptions) {
                .uid = NOBODY,
                .gid = NOBODY,
                .exe = exe,
                .timeout_usec = 60 * 1000 * 1000,
        };
}

static void analyze(const char *label, const BacktraceOptions *o, BacktraceResult *r) {
        _cleanup_(closep) int fd = open_core(label);
        assert_int_equal(backtrace_analyze(fd, o, r), 0);
}

static void write_out(const char *label, const char *suffix, const char *data) {
        _cleanup_(freep) char *p = NULL;
        _cleanup_(fclosep) FILE *f = NULL;

        if (!out_dir || !data)
                return;
        p = path_of(out_dir, label, suffix);
        f = fopen(p, "we");
        assert_non_null(f);
        assert_true(fputs(data, f) >= 0);
}

/* The nth line of the text (0-based), without its newline, in buf. */
static const char *line(const char *text, size_t n, char *buf, size_t size) {
        const char *p = text;
        for (size_t i = 0; i < n && p; i++) {
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        if (!p || !*p)
                return "";
        size_t len = strcspn(p, "\n");
        snprintf(buf, size, "%.*s", (int) len, p);
        return buf;
}

/* A frame line for symbol in module, whatever the address and offset. */
static void assert_frame(const char *l, unsigned n, const char *symbol, const char *module) {
        char sym[256], mod[256];
        unsigned long long pc, off;
        unsigned got;

        if (sscanf(l, "#%u", &got) != 1 || got != n)
                fail_msg("not frame #%u: '%s'", n, l);
        if (sscanf(l + 4, "0x%16llx %255s (%255s + 0x%llx)", &pc, sym, mod, &off) != 4)
                fail_msg("malformed frame line: '%s'", l);
        if (strcmp(sym, symbol) != 0 || strcmp(mod, module) != 0)
                fail_msg("frame #%u is '%s', expected %s in %s", n, l, symbol, module);
        /* Column layout: "#<n>" padded to 3, a space, 18 characters of address. */
        assert_int_equal(l[3], ' ');
        assert_true(strncmp(l + 4, "0x", 2) == 0 && l[4 + 18] == ' ');
}

static json_object *parse_json(const char *s) {
        json_object *o = NULL;
        assert_int_equal(backtrace_json_parse(s, strlen(s), 64, &o), 0);
        return o;
}

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("no member %s in %s", key, json_object_to_json_string(o));
        return v;
}

static json_object *frame_at(json_object *root, size_t thread, size_t frame) {
        return json_object_array_get_idx(get(json_object_array_get_idx(get(root, "threads"), thread), "frames"), frame);
}

static void test_chain(void **state) {
        BacktraceOptions o = options_for("bt-chain");
        BacktraceResult r;
        char buf[512], expect[64];
        pid_t pid = pid_of("chain1");

        analyze("chain1", &o, &r);
        write_out("chain1", ".txt", r.text);
        write_out("chain1", ".pkg", r.package_json);
        assert_false(r.partial);
        assert_null(r.partial_reason);
        assert_non_null(r.text);

        snprintf(expect, sizeof(expect), "Stack trace of thread %d:", (int) pid);
        assert_string_equal(line(r.text, 0, buf, sizeof(buf)), expect);
        assert_frame(line(r.text, 1, buf, sizeof(buf)), 0, "func_b", "bt-chain");
        assert_frame(line(r.text, 2, buf, sizeof(buf)), 1, "func_a", "bt-chain");
        assert_frame(line(r.text, 3, buf, sizeof(buf)), 2, "main", "bt-chain");
        assert_non_null(strstr(r.text, "\nELF object binary architecture: "));
        assert_int_equal(r.text[strlen(r.text) - 1], '\n');

        /* The same frames in the JSON, with the module's build-id. */
        _cleanup_(json_object_putp) json_object *root = parse_json(r.json);
        json_object *thread = json_object_array_get_idx(get(root, "threads"), 0);
        assert_int_equal(json_object_get_int(get(thread, "tid")), pid);
        assert_true(json_object_get_boolean(get(thread, "crashing")));
        static const char *const names[] = { "func_b", "func_a", "main" };
        const char *build_id = NULL;
        json_object *modules = get(root, "modules");
        for (size_t i = 0; i < json_object_array_length(modules); i++) {
                json_object *m = json_object_array_get_idx(modules, i);
                if (strcmp(json_object_get_string(get(m, "name")), "bt-chain") == 0) {
                        build_id = json_object_get_string(get(m, "build_id"));
                        assert_true(json_object_get_boolean(get(m, "main")));
                        assert_string_equal(json_object_get_string(get(m, "path")), o.exe);
                }
        }
        assert_non_null(build_id);
        assert_int_equal(strlen(build_id), 40);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                json_object *fr = frame_at(root, 0, i);
                assert_string_equal(json_object_get_string(get(fr, "symbol")), names[i]);
                assert_string_equal(json_object_get_string(get(fr, "module")), "bt-chain");
                assert_string_equal(json_object_get_string(get(fr, "build_id")), build_id);
                assert_int_equal(strlen(json_object_get_string(get(fr, "address"))), 18);
        }

        /* Without package notes systemd still writes the ELF type and architecture. */
        assert_non_null(r.package_json);
        assert_true(strncmp(r.package_json, "{\"elfType\":\"coredump\"", 21) == 0);
        assert_null(strstr(r.package_json, "bt-chain"));
        assert_null(r.package_name);
        assert_null(r.package_version);
        backtrace_result_done(&r);
}

static void test_signature(void **state) {
        BacktraceOptions o = options_for("bt-chain");
        BacktraceResult a, b, c;

        assert_int_not_equal(pid_of("chain1"), pid_of("chain2"));
        analyze("chain1", &o, &a);
        analyze("chain2", &o, &b);
        analyze("chain_c", &o, &c);
        write_out("chain2", ".txt", b.text);
        write_out("chain_c", ".txt", c.text);

        assert_non_null(a.signature);
        assert_int_equal(strlen(a.signature), 32);
        assert_string_equal(a.signature, b.signature);
        assert_string_not_equal(a.signature, c.signature);
        assert_non_null(strstr(c.text, " func_c (bt-chain + 0x"));
        assert_null(strstr(c.text, " func_b ("));

        /* Without COREDUMP_EXE the module is named by its path; the signature only keeps the
         * last component, so it does not change. */
        BacktraceOptions no_exe = o;
        BacktraceResult d;
        no_exe.exe = NULL;
        analyze("chain1", &no_exe, &d);
        assert_string_equal(d.signature, a.signature);
        backtrace_result_done(&a);
        backtrace_result_done(&b);
        backtrace_result_done(&c);
        backtrace_result_done(&d);
}

static void test_package(void **state) {
        BacktraceOptions o = options_for("bt-package");
        BacktraceResult r;
        char buf[512], expect[512];

        analyze("package", &o, &r);
        write_out("package", ".txt", r.text);
        write_out("package", ".pkg", r.package_json);
        assert_false(r.partial);
        assert_string_equal(r.package_name, "demo");
        assert_string_equal(r.package_version, "1.0");
        assert_string_equal(line(r.text, 0, buf, sizeof(buf)), "Module bt-package from deb demo-1.0");
        assert_frame(line(r.text, 2, buf, sizeof(buf)), 0, "package_crash", "bt-package");
        assert_frame(line(r.text, 3, buf, sizeof(buf)), 1, "main", "bt-package");

        _cleanup_(json_object_putp) json_object *root = parse_json(r.json);
        json_object *m = json_object_array_get_idx(get(root, "modules"), 0);
        const char *build_id = NULL;
        for (size_t i = 0; i < json_object_array_length(get(root, "modules")); i++) {
                json_object *mi = json_object_array_get_idx(get(root, "modules"), i);
                if (strcmp(json_object_get_string(get(mi, "name")), "bt-package") == 0)
                        m = mi;
        }
        build_id = json_object_get_string(get(m, "build_id"));
        assert_string_equal(json_object_get_string(get(get(m, "package"), "name")), "demo");
        assert_string_equal(json_object_get_string(get(m, "package_owner")), "FDO");
        snprintf(expect, sizeof(expect),
                 "{\"elfType\":\"coredump\",\"elfArchitecture\":\"%s\",\"bt-package\":"
                 "{\"type\":\"deb\",\"name\":\"demo\",\"version\":\"1.0\",\"buildId\":\"%s\"}}",
                 json_object_get_string(get(root, "architecture")), build_id);
        assert_string_equal(r.package_json, expect);
        backtrace_result_done(&r);

        /* Without COREDUMP_EXE the program is found by its entry point. */
        o.exe = NULL;
        analyze("package", &o, &r);
        assert_string_equal(r.package_name, "demo");
        assert_string_equal(r.package_version, "1.0");
        snprintf(expect, sizeof(expect), "Module %s/bt-package from deb demo-1.0", fixtures_dir);
        assert_string_equal(line(r.text, 0, buf, sizeof(buf)), expect);
        backtrace_result_done(&r);
}

static void test_threads(void **state) {
        BacktraceOptions o = options_for("bt-threads");
        BacktraceResult r;
        pid_t pid = pid_of("threads");
        char buf[512];
        int tid = 0;

        analyze("threads", &o, &r);
        write_out("threads", ".txt", r.text);
        assert_false(r.partial);

        /* Four blocks, blank lines between; the crashing thread (not the main one) first. */
        const char *blocks[5] = {};
        size_t n = 0;
        for (const char *p = r.text; (p = strstr(p, "Stack trace of thread ")); p++) {
                assert_true(n < 4);
                blocks[n++] = p;
                assert_true(p == r.text || strncmp(p - 2, "\n\n", 2) == 0);
        }
        assert_int_equal(n, 4);
        assert_int_equal(sscanf(blocks[0], "Stack trace of thread %d:", &tid), 1);
        assert_int_not_equal(tid, pid);
        assert_frame(line(blocks[0], 1, buf, sizeof(buf)), 0, "thread_crash", "bt-threads");
        assert_frame(line(blocks[0], 2, buf, sizeof(buf)), 1, "crashing", "bt-threads");
        for (size_t i = 1; i < 4; i++) {
                size_t end = i + 1 < 4 ? (size_t) (blocks[i + 1] - blocks[i]) : strlen(blocks[i]);
                _cleanup_(freep) char *block = strndup(blocks[i], end);
                assert_non_null(strstr(block, " thread_park (bt-threads + 0x"));
                assert_null(strstr(block, "thread_crash"));
        }

        _cleanup_(json_object_putp) json_object *root = parse_json(r.json);
        json_object *threads = get(root, "threads");
        assert_int_equal(json_object_array_length(threads), 4);
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(json_object_get_boolean(get(json_object_array_get_idx(threads, i), "crashing")), i == 0);
        assert_int_equal(json_object_get_int(get(json_object_array_get_idx(threads, 0), "tid")), tid);
        backtrace_result_done(&r);
}

static void test_recursion(void **state) {
        BacktraceOptions o = options_for("bt-recursion");
        BacktraceResult r;
        char buf[512];

        analyze("recursion", &o, &r);
        write_out("recursion", ".txt", r.text);
        for (unsigned i = 0; i < BACKTRACE_FRAMES_MAX; i++)
                assert_frame(line(r.text, 1 + i, buf, sizeof(buf)), i, "recurse", "bt-recursion");
        assert_true(strncmp(line(r.text, 1 + BACKTRACE_FRAMES_MAX, buf, sizeof(buf)), "ELF object", 10) == 0);
        assert_true(r.partial);
        assert_string_equal(r.partial_reason, "frames beyond the first 64 were not unwound in 1 thread");
        assert_non_null(r.signature);
        backtrace_result_done(&r);
}

static void test_stripped(void **state) {
        BacktraceOptions o = options_for("bt-stripped");
        BacktraceResult r;
        char buf[512];

        /* The default search path has no debug file for it: no names. */
        analyze("stripped", &o, &r);
        write_out("stripped", ".txt", r.text);
        assert_frame(line(r.text, 1, buf, sizeof(buf)), 0, "n/a", "bt-stripped");
        backtrace_result_done(&r);

        /* Found by build-id under the given path. */
        o.debuginfo_path = debug_dir;
        analyze("stripped", &o, &r);
        assert_frame(line(r.text, 1, buf, sizeof(buf)), 0, "stripped_inner", "bt-stripped");
        assert_frame(line(r.text, 2, buf, sizeof(buf)), 1, "stripped_outer", "bt-stripped");
        assert_frame(line(r.text, 3, buf, sizeof(buf)), 2, "main", "bt-stripped");
        assert_false(r.partial);
        backtrace_result_done(&r);
}

static void test_sandbox_identity(void **state) {
        BacktraceOptions o = options_for("bt-stripped");
        BacktraceResult r;
        char buf[512];

        /* A debug file only root can read: the child, as nobody, cannot use it... */
        o.debuginfo_path = private_dir;
        analyze("stripped", &o, &r);
        assert_frame(line(r.text, 1, buf, sizeof(buf)), 0, "n/a", "bt-stripped");
        backtrace_result_done(&r);

        /* ...while a child left as root can (so the file is fine and the drop is real). */
        o.uid = 0;
        o.gid = 0;
        analyze("stripped", &o, &r);
        assert_frame(line(r.text, 1, buf, sizeof(buf)), 0, "stripped_inner", "bt-stripped");
        backtrace_result_done(&r);
}

static void test_debuginfod(void **state) {
        _cleanup_(freep) char *url = NULL, *cache = NULL;
        BacktraceOptions o = options_for("bt-stripped");
        BacktraceResult r;
        char buf[512];

        if (!debuginfod_dir)
                skip();
        assert_true(asprintf(&url, "file://%s", debuginfod_dir) >= 0);
        cache = path_of(debuginfod_dir, "cache", "");
        assert_int_equal(setenv("DEBUGINFOD_URLS", url, 1), 0);
        assert_int_equal(setenv("DEBUGINFOD_CACHE_PATH", cache, 1), 0);

        /* Off by default: DEBUGINFOD_URLS in the environment is not enough. */
        analyze("stripped", &o, &r);
        assert_frame(line(r.text, 1, buf, sizeof(buf)), 0, "n/a", "bt-stripped");
        backtrace_result_done(&r);

        o.debuginfod = true;
        analyze("stripped", &o, &r);
        assert_frame(line(r.text, 1, buf, sizeof(buf)), 0, "stripped_inner", "bt-stripped");
        backtrace_result_done(&r);

        assert_int_equal(unsetenv("DEBUGINFOD_URLS"), 0);
        assert_int_equal(unsetenv("DEBUGINFOD_CACHE_PATH"), 0);
}

static void test_budgets(void **state) {
        BacktraceOptions o = options_for("bt-threads");
        BacktraceResult r;

        o.timeout_usec = 1;
        analyze("threads", &o, &r);
        assert_true(r.partial);
        assert_string_equal(r.partial_reason, "analysis exceeded the time budget of 1 us");
        assert_null(r.text);
        backtrace_result_done(&r);

        o = options_for("bt-threads");
        o.memory_max = 1;
        analyze("threads", &o, &r);
        assert_true(r.partial);
        assert_non_null(r.partial_reason);
        if (!strstr(r.partial_reason, "memory"))
                fail_msg("reason: %s", r.partial_reason);
        backtrace_result_done(&r);

        /* A budget that is tight but not tiny: libc's debug file (when installed) no longer fits
         * or the peak comes close to the limit; either way the result says so. */
        o.memory_max = 4 * MIB;
        analyze("threads", &o, &r);
        assert_non_null(r.json);
        if (r.partial && !strstr(r.partial_reason, "memory"))
                fail_msg("reason: %s", r.partial_reason);
        backtrace_result_done(&r);
}

static void test_truncated(void **state) {
        _cleanup_(closep) int fd = open_core("chain1");
        BacktraceOptions o = options_for("bt-chain");
        struct stat st;

        assert_int_equal(fstat(fd, &st), 0);
        _cleanup_(freep) char *core = malloc((size_t) st.st_size);
        assert_non_null(core);
        assert_int_equal(pread(fd, core, (size_t) st.st_size, 0), st.st_size);

        const off_t cuts[] = { 0, 32, 64, 64 + 56, 64 + 56 * 4, 1024, 4096, 8192, st.st_size / 4,
                               st.st_size / 2, st.st_size - 4096, st.st_size - 1 };
        for (size_t i = 0; i < ELEMENTSOF(cuts); i++) {
                _cleanup_(closep) int cut = memfd_create("cut-core", MFD_CLOEXEC);
                BacktraceResult r;

                assert_true(cut >= 0);
                assert_int_equal(write(cut, core, (size_t) cuts[i]), cuts[i]);
                assert_int_equal(backtrace_analyze(cut, &o, &r), 0);
                assert_true(r.partial);
                assert_non_null(r.partial_reason);
                if (cuts[i] >= 64 && !strstr(r.partial_reason, "the core is truncated ("))
                        fail_msg("cut at %jd: %s", (intmax_t) cuts[i], r.partial_reason);
                assert_non_null(r.json);
                backtrace_result_done(&r);
        }
}

static void test_cost(void **state) {
        static const char *const labels[] = { "chain1", "package", "threads", "recursion" };
        static const char *const programs[] = { "bt-chain", "bt-package", "bt-threads", "bt-recursion" };

        for (size_t i = 0; i < ELEMENTSOF(labels); i++) {
                BacktraceOptions o = options_for(programs[i]);
                BacktraceResult r;
                struct stat st;
                _cleanup_(closep) int fd = open_core(labels[i]);

                assert_int_equal(fstat(fd, &st), 0);
                assert_int_equal(backtrace_analyze(fd, &o, &r), 0);
                printf("# cost %-10s core %8jd bytes: %6.1f ms, child peak RSS %5.1f MiB\n", labels[i],
                       (intmax_t) st.st_size, (double) r.usec / 1000.0, (double) r.max_rss / (double) MIB);
                assert_true(r.usec > 0);
                assert_true(r.max_rss > 0);
                backtrace_result_done(&r);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_chain),
                cmocka_unit_test(test_signature),
                cmocka_unit_test(test_package),
                cmocka_unit_test(test_threads),
                cmocka_unit_test(test_recursion),
                cmocka_unit_test(test_stripped),
                cmocka_unit_test(test_sandbox_identity),
                cmocka_unit_test(test_debuginfod),
                cmocka_unit_test(test_budgets),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_cost),
        };

        cores_dir = getenv("CJ_BT_CORES");
        fixtures_dir = getenv("CJ_BT_FIXTURES");
        debug_dir = getenv("CJ_BT_DEBUG");
        private_dir = getenv("CJ_BT_PRIVATE");
        out_dir = getenv("CJ_BT_OUT");
        debuginfod_dir = getenv("CJ_BT_DEBUGINFOD");
        if (!cores_dir || !fixtures_dir || !debug_dir || !private_dir) {
                printf("SKIP: run through test/root/test-backtrace-unwind.sh, which makes the cores\n");
                return 77;
        }
        if (geteuid() != 0) {
                printf("SKIP: needs root (the analysis child switches to uid %d)\n", NOBODY);
                return 77;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
