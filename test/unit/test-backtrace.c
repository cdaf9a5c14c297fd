/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/backtrace without real crashes: package notes, the child's output protocol, systemd's text,
 * the signature, and backtrace_analyze() on synthetic and hostile cores (the child runs as the
 * current user). Real kernel cores are covered by test/root/test-backtrace-unwind.sh. */
#include "config.h"

#include <elf.h>
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
#include <sys/procfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "backtrace-analyze.h"
#include "backtrace-findings.h"
#include "backtrace-format.h"
#include "backtrace-json.h"
#include "backtrace-package.h"
#include "backtrace-signature.h"
#include "cleanup.h"
#include "input-limits.h"

/* Under AddressSanitizer, let a failed allocation return NULL as libc's malloc does (ASan's
 * default is to exit), so the memory budget tests see what production builds do. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "allocator_may_return_null=1";
}

/* ---- package notes ---- */

/* Appends one note (host byte order) with the given alignment to buf at *size. */
static void put_note(uint8_t *buf, size_t *size, size_t align, const char *name, uint32_t type, const void *desc, size_t descsz) {
        uint32_t namesz = name ? (uint32_t) strlen(name) + 1 : 0, d = (uint32_t) descsz;

        memcpy(buf + *size, &namesz, 4);
        memcpy(buf + *size + 4, &d, 4);
        memcpy(buf + *size + 8, &type, 4);
        *size += 12;
        if (namesz > 0)
                memcpy(buf + *size, name, namesz);
        *size += namesz;
        *size = (*size + align - 1) & ~(align - 1);
        memcpy(buf + *size, desc, descsz);
        *size += descsz;
        *size = (*size + align - 1) & ~(align - 1);
}

static int find(const uint8_t *buf, size_t size, size_t align, char **owner, json_object **metadata) {
        return backtrace_package_find(buf, size, align, owner, metadata);
}

static void test_package_note_found(void **state) {
        static const char json[] = "{\"type\":\"deb\",\"name\":\"demo\",\"version\":\"1.0\"}";
        static const uint8_t build_id[20] = { 1, 2, 3 };
        uint8_t buf[512] = {};
        size_t size = 0;
        _cleanup_(freep) char *owner = NULL;
        _cleanup_(json_object_putp) json_object *metadata = NULL;

        /* A GNU build-id note first, then the package note, NUL-padded like ld writes it. */
        put_note(buf, &size, 4, "GNU", NT_GNU_BUILD_ID, build_id, sizeof(build_id));
        char padded[sizeof(json) + 3] = {};
        memcpy(padded, json, sizeof(json));
        put_note(buf, &size, 4, "FDO", BACKTRACE_PACKAGE_NOTE_TYPE, padded, sizeof(padded));
        assert_int_equal(find(buf, size, 4, &owner, &metadata), 1);
        assert_string_equal(owner, "FDO");
        assert_string_equal(backtrace_json_get_string(metadata, "name"), "demo");
        assert_string_equal(backtrace_json_get_string(metadata, "version"), "1.0");
        assert_string_equal(json_object_to_json_string_ext(metadata, BACKTRACE_JSON_FLAGS), json);
}

static void test_package_note_alignment_8(void **state) {
        static const char json[] = "{\"name\":\"x\"}";
        uint8_t buf[256] = {};
        size_t size = 0;
        _cleanup_(freep) char *owner = NULL;
        _cleanup_(json_object_putp) json_object *metadata = NULL;

        put_note(buf, &size, 8, "GNU", 5, "abcd", 4);
        put_note(buf, &size, 8, "Other", BACKTRACE_PACKAGE_NOTE_TYPE, json, sizeof(json));
        assert_int_equal(find(buf, size, 8, &owner, &metadata), 1);
        assert_string_equal(owner, "Other");
        assert_string_equal(backtrace_json_get_string(metadata, "name"), "x");
}

static void test_package_note_absent_or_broken(void **state) {
        uint8_t buf[256] = {};
        size_t size = 0;
        char *owner = NULL;
        json_object *metadata = NULL;

        assert_int_equal(find(buf, 0, 4, &owner, &metadata), 0);
        put_note(buf, &size, 4, "GNU", NT_GNU_BUILD_ID, "abcd", 4);
        assert_int_equal(find(buf, size, 4, &owner, &metadata), 0);

        /* No name or no descriptor: not a package note (systemd skips those). */
        size = 0;
        put_note(buf, &size, 4, NULL, BACKTRACE_PACKAGE_NOTE_TYPE, "{}", 3);
        put_note(buf, &size, 4, "FDO", BACKTRACE_PACKAGE_NOTE_TYPE, "", 0);
        assert_int_equal(find(buf, size, 4, &owner, &metadata), 0);

        /* A header whose sizes run past the segment ends the walk. */
        size = 0;
        put_note(buf, &size, 4, "FDO", BACKTRACE_PACKAGE_NOTE_TYPE, "{}", 3);
        assert_int_equal(find(buf, size - 2, 4, &owner, &metadata), 0);
        assert_int_equal(find(buf, 11, 4, &owner, &metadata), 0);
        uint32_t huge = UINT32_MAX;
        memcpy(buf + 4, &huge, 4);
        assert_int_equal(find(buf, size, 4, &owner, &metadata), 0);
        memcpy(buf, &huge, 4);
        assert_int_equal(find(buf, size, 4, &owner, &metadata), 0);
        assert_null(owner);
        assert_null(metadata);
}

static int parse(const char *s) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        return backtrace_package_parse(s, strlen(s) + 1, &o);
}

/* {"a":[[...]]} with depth levels in all, the object included. */
static void nested(char *buf, int depth) {
        size_t n = (size_t) sprintf(buf, "{\"a\":");
        for (int i = 1; i < depth; i++)
                buf[n++] = '[';
        for (int i = 1; i < depth; i++)
                buf[n++] = ']';
        buf[n++] = '}';
        buf[n] = 0;
}

static void test_package_note_json_rules(void **state) {
        assert_int_equal(parse("{}"), 0);
        assert_int_equal(parse(" {\"a\":[1,2,{\"b\":null}]}\n"), 0);
        assert_int_equal(parse("[]"), -EBADMSG);
        assert_int_equal(parse("\"name\""), -EBADMSG);
        assert_int_equal(parse("{\"a\":1} {}"), -EBADMSG);
        assert_int_equal(parse("{\"a\":1,}"), -EBADMSG);
        assert_int_equal(parse("{\"a\":\"\xff\"}"), -EBADMSG);
        assert_int_equal(parse("{\"a\":"), -EBADMSG);
        assert_int_equal(parse(""), -EBADMSG);

        /* Text after the first NUL is padding and ignored. */
        json_object *padded = NULL;
        assert_int_equal(backtrace_package_parse("{}\0garbage", 10, &padded), 0);
        assert_non_null(padded);
        json_object_put(padded);

        /* Depth: an object holding arrays nested to the limit passes, one more level fails. */
        char ok[2 * BACKTRACE_PACKAGE_NOTE_DEPTH_MAX + 16], bad[2 * BACKTRACE_PACKAGE_NOTE_DEPTH_MAX + 16];
        nested(ok, BACKTRACE_PACKAGE_NOTE_DEPTH_MAX);
        nested(bad, BACKTRACE_PACKAGE_NOTE_DEPTH_MAX + 1);
        assert_int_equal(parse(ok), 0);
        assert_int_equal(parse(bad), -EBADMSG);

        /* Size: a note just over the limit is refused without being parsed. */
        size_t big = BACKTRACE_PACKAGE_NOTE_SIZE_MAX + 1;
        _cleanup_(freep) char *s = malloc(big + 1);
        assert_non_null(s);
        memset(s, ' ', big);
        s[0] = '{';
        s[big - 1] = '}';
        s[big] = 0;
        assert_int_equal(backtrace_package_parse(s, big + 1, &(json_object *) { NULL }), -E2BIG);
        s[big - 2] = '}';
        s[big - 1] = 0;
        json_object *o = NULL;
        assert_int_equal(backtrace_package_parse(s, big, &o), 0);
        json_object_put(o);
}

/* ---- the child's output and systemd's text ---- */

#define CORE_LINE "{\"t\":\"core\",\"arch\":\"AMD x86-64\",\"size\":\"0x1000\",\"expected\":\"0x1000\"}\n"
#define MODULES_END "{\"t\":\"modules_end\"}\n"

static void findings_from(BacktraceFindings *f, const char *output) {
        *f = (BacktraceFindings) {};
        assert_int_equal(backtrace_findings_add_output(f, output, strlen(output)), 0);
}

static char *text_of(const BacktraceFindings *f) {
        char *text = NULL;
        bool truncated = true;
        assert_int_equal(backtrace_format_text(f, &text, &truncated), 0);
        assert_false(truncated);
        return text;
}

/* The strings below are what systemd 252 (Debian 12's libsystemd-shared-252.so) printed for
 * cores of the same shape; see test/root/test-backtrace-unwind.sh for the live comparison. */
static void test_text_like_systemd(void **state) {
        _cleanup_(backtrace_findings_done) BacktraceFindings f;
        _cleanup_(freep) char *text = NULL, *package = NULL;

        findings_from(&f,
                CORE_LINE
                "{\"t\":\"module\",\"name\":\"bt-package\",\"path\":\"/x/bt-package\",\"start\":\"0x55871dcd2000\",\"end\":\"0x55871dcd7000\","
                "\"build_id\":\"e38ec5e28b01ebfe19af6d70df9d19a1b745d75a\",\"main\":true,\"package_owner\":\"FDO\","
                "\"package\":{\"type\":\"deb\",\"name\":\"demo\",\"version\":\"1.0\"}}\n"
                "{\"t\":\"module\",\"name\":\"v-nover\",\"start\":\"0x1000\",\"end\":\"0x2000\",\"build_id\":\"8cc92010c9a0dcb79cd1be38f5cab73db31788a2\","
                "\"package_owner\":\"FDO\",\"package\":{\"name\":\"onlyname\",\"architecture\":\"x86_64\"}}\n"
                "{\"t\":\"module\",\"name\":\"v-empty\",\"start\":\"0x3000\",\"end\":\"0x4000\",\"build_id\":\"34f41da9371d02f9dbab056c608c4e02bcbd3106\","
                "\"package_owner\":\"FDO\",\"package\":{}}\n"
                "{\"t\":\"module\",\"name\":\"v-nobid\",\"start\":\"0x5000\",\"end\":\"0x6000\",\"build_id\":null}\n"
                "{\"t\":\"module\",\"name\":\"v-bidnote\",\"start\":\"0x7000\",\"end\":\"0x8000\",\"build_id\":\"9781d7969f886e2af6b79d14804bcd7c3a79dc6d\","
                "\"package_owner\":\"FDO\",\"package\":{\"type\":\"rpm\",\"buildId\":\"fake\",\"name\":\"n\",\"version\":\"2\"}}\n"
                "{\"t\":\"module\",\"name\":\"libc.so.6\",\"start\":\"0x7fe8d28ed000\",\"end\":\"0x7fe8d2ac7000\",\"build_id\":\"93ac61ec5a8eb1396f9fbd350e3169a558528a40\"}\n"
                MODULES_END
                "{\"t\":\"thread\",\"tid\":16034}\n"
                "{\"t\":\"frame\",\"pc\":\"0x55871dcd3132\",\"offset\":\"0x1132\",\"symbol\":\"package_crash\",\"module\":0,\"module_name\":\"bt-package\"}\n"
                "{\"t\":\"frame\",\"pc\":\"0x7fe8d291424a\",\"offset\":\"0x2724a\",\"symbol\":\"__libc_start_call_main\",\"module\":5,\"module_name\":\"libc.so.6\"}\n"
                "{\"t\":\"frame\",\"pc\":\"0x1234\",\"offset\":\"0x0\",\"symbol\":null,\"module\":-1}\n"
                "{\"t\":\"thread_end\",\"frames_truncated\":false,\"error\":null}\n"
                "{\"t\":\"thread\",\"tid\":16035}\n"
                "{\"t\":\"frame\",\"pc\":\"0x7fe8d2914305\",\"offset\":\"0x27305\",\"symbol\":\"__libc_start_main_impl\",\"module\":5,\"module_name\":\"libc.so.6\"}\n"
                "{\"t\":\"thread_end\",\"frames_truncated\":false,\"error\":null}\n"
                "{\"t\":\"end\"}\n");
        assert_false(f.malformed);
        assert_true(f.ended);

        text = text_of(&f);
        assert_string_equal(text,
                "Module bt-package from deb demo-1.0\n"
                "Module v-nover from package onlyname.x86_64, build-id=8cc92010c9a0dcb79cd1be38f5cab73db31788a2\n"
                "Module v-empty, build-id=34f41da9371d02f9dbab056c608c4e02bcbd3106\n"
                "Module v-nobid without build-id.\n"
                "Module v-bidnote from rpm n-2\n"
                "Stack trace of thread 16034:\n"
                "#0  0x000055871dcd3132 package_crash (bt-package + 0x1132)\n"
                "#1  0x00007fe8d291424a __libc_start_call_main (libc.so.6 + 0x2724a)\n"
                "#2  0x0000000000001234 n/a (n/a + 0x0)\n"
                "\n"
                "Stack trace of thread 16035:\n"
                "#0  0x00007fe8d2914305 __libc_start_main_impl (libc.so.6 + 0x27305)\n"
                "ELF object binary architecture: AMD x86-64\n");

        assert_int_equal(backtrace_format_package_json(&f, &package), 0);
        assert_string_equal(package,
                "{\"elfType\":\"coredump\",\"elfArchitecture\":\"AMD x86-64\","
                "\"bt-package\":{\"type\":\"deb\",\"name\":\"demo\",\"version\":\"1.0\",\"buildId\":\"e38ec5e28b01ebfe19af6d70df9d19a1b745d75a\"},"
                "\"v-nover\":{\"name\":\"onlyname\",\"architecture\":\"x86_64\",\"buildId\":\"8cc92010c9a0dcb79cd1be38f5cab73db31788a2\"},"
                "\"v-empty\":{\"buildId\":\"34f41da9371d02f9dbab056c608c4e02bcbd3106\"},"
                "\"v-bidnote\":{\"type\":\"rpm\",\"name\":\"n\",\"version\":\"2\",\"buildId\":\"9781d7969f886e2af6b79d14804bcd7c3a79dc6d\"}}");

        /* The main module: by COREDUMP_EXE's last component, else by the entry point. */
        assert_string_equal(backtrace_format_main_module(&f, "/usr/bin/v-nover")->name, "v-nover");
        assert_string_equal(backtrace_format_main_module(&f, NULL)->name, "bt-package");
        assert_null(backtrace_format_main_module(&f, "/usr/bin/other"));
}

static void test_text_frame_numbers_and_blank_lines(void **state) {
        _cleanup_(backtrace_findings_done) BacktraceFindings f;
        _cleanup_(freep) char *text = NULL, *output = NULL;
        size_t size = 0;
        FILE *s = open_memstream(&output, &size);

        assert_non_null(s);
        fputs(CORE_LINE "{\"t\":\"module\",\"name\":\"m\",\"start\":\"0x1000\",\"end\":\"0x9000\",\"build_id\":\"ab\"}\n"
              MODULES_END "{\"t\":\"thread\",\"tid\":7}\n", s);
        for (int i = 0; i < 12; i++)
                fprintf(s, "{\"t\":\"frame\",\"pc\":\"0x%x\",\"offset\":\"0x%x\",\"symbol\":\"f%d\",\"module\":0}\n",
                        0x1000 + i, i, i);
        fputs("{\"t\":\"thread_end\"}\n{\"t\":\"end\"}\n", s);
        assert_int_equal(fclose(s), 0);

        findings_from(&f, output);
        assert_false(f.malformed);
        text = text_of(&f);
        /* "#%-2u ": one space after two-digit numbers, two after one digit. */
        assert_non_null(strstr(text, "\n#9  0x0000000000001009 f9 (m + 0x9)\n#10 0x000000000000100a f10 (m + 0xa)\n"));
        assert_null(strstr(text, "architecture: \n"));
}

static void test_findings_reject_malformed(void **state) {
        static const char *const bad[] = {
                "not json",
                "[1,2]",
                "{\"t\":\"nonsense\"}",
                "{\"t\":\"thread\",\"tid\":1}",                        /* before the core line */
                "{\"t\":\"frame\",\"pc\":\"0x1\",\"offset\":\"0x0\"}", /* outside a thread */
                "{\"t\":\"core\"}",
        };
        _cleanup_(backtrace_findings_done) BacktraceFindings f;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                findings_from(&f, bad[i]);
                assert_int_equal(backtrace_findings_add_line(&f, bad[i], strlen(bad[i])), 0);
                assert_true(f.malformed);
                assert_false(f.has_core);
                backtrace_findings_done(&f);
        }

        static const char *const after_core[] = {
                "{\"t\":\"core\",\"size\":\"0x1\",\"expected\":\"0x1\"}",                       /* twice */
                "{\"t\":\"module\",\"name\":\"m\",\"start\":\"0x1\"}",                           /* no end */
                "{\"t\":\"module\",\"name\":\"m\",\"start\":\"1\",\"end\":\"0x2\"}",             /* not hex */
                "{\"t\":\"module\",\"name\":\"m\",\"start\":\"0x1\",\"end\":\"0x2\",\"build_id\":\"XYZ\"}",
                "{\"t\":\"module\",\"name\":\"m\",\"start\":\"0x1\",\"end\":\"0x2\",\"package\":[]}",
                "{\"t\":\"module\",\"name\":7,\"start\":\"0x1\",\"end\":\"0x2\"}",
                "{\"t\":\"thread\",\"tid\":1}",                                                  /* before modules_end */
        };
        for (size_t i = 0; i < ELEMENTSOF(after_core); i++) {
                findings_from(&f, CORE_LINE);
                assert_true(f.has_core);
                assert_false(f.malformed);
                assert_int_equal(backtrace_findings_add_line(&f, after_core[i], strlen(after_core[i])), 0);
                assert_true(f.malformed);
                assert_int_equal(f.n_modules, 0);
                assert_int_equal(f.n_threads, 0);
                backtrace_findings_done(&f);
        }

        static const char *const after_modules[] = {
                "{\"t\":\"module\",\"name\":\"m\",\"start\":\"0x1\",\"end\":\"0x2\"}",       /* after the end */
                "{\"t\":\"modules_end\"}",                                                      /* twice */
                "{\"t\":\"thread\",\"tid\":-1}",
                "{\"t\":\"thread\",\"tid\":\"1\"}",
                "{\"t\":\"thread_end\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(after_modules); i++) {
                findings_from(&f, CORE_LINE MODULES_END);
                assert_true(f.modules_complete);
                assert_false(f.malformed);
                assert_int_equal(backtrace_findings_add_line(&f, after_modules[i], strlen(after_modules[i])), 0);
                assert_true(f.malformed);
                assert_int_equal(f.n_modules, 0);
                assert_int_equal(f.n_threads, 0);
                backtrace_findings_done(&f);
        }

        /* A frame naming a module index that does not exist, and a frame past the limit. */
        findings_from(&f, CORE_LINE MODULES_END "{\"t\":\"thread\",\"tid\":1}\n"
                      "{\"t\":\"frame\",\"pc\":\"0x1\",\"offset\":\"0x0\",\"module\":3}\n");
        assert_true(f.malformed);
        assert_int_equal(f.threads[0].n_frames, 0);
        backtrace_findings_done(&f);

        /* Too deep a line is dropped whole. */
        char deep[BACKTRACE_OUTPUT_DEPTH_MAX * 2 + 64];
        int n = snprintf(deep, sizeof(deep), "{\"t\":\"error\",\"message\":\"x\",\"d\":");
        for (int i = 0; i < BACKTRACE_OUTPUT_DEPTH_MAX; i++)
                deep[n++] = '[';
        for (int i = 0; i < BACKTRACE_OUTPUT_DEPTH_MAX; i++)
                deep[n++] = ']';
        deep[n++] = '}';
        findings_from(&f, "");
        assert_int_equal(backtrace_findings_add_line(&f, deep, (size_t) n), 0);
        assert_true(f.malformed);
        assert_null(f.error);
        backtrace_findings_done(&f);

        /* A last line without its newline was cut by the child's death and is not used. */
        findings_from(&f, CORE_LINE "{\"t\":\"end\"}");
        assert_false(f.ended);
        assert_false(f.malformed);
}

static void test_findings_limits(void **state) {
        _cleanup_(backtrace_findings_done) BacktraceFindings f;
        _cleanup_(freep) char *output = NULL;
        size_t size = 0;
        FILE *s = open_memstream(&output, &size);

        assert_non_null(s);
        fputs(CORE_LINE MODULES_END, s);
        for (int t = 0; t < BACKTRACE_THREADS_MAX + 3; t++) {
                fprintf(s, "{\"t\":\"thread\",\"tid\":%d}\n", t + 1);
                for (int i = 0; i < BACKTRACE_FRAMES_MAX + 2; i++)
                        fprintf(s, "{\"t\":\"frame\",\"pc\":\"0x%x\",\"offset\":\"0x0\"}\n", i);
                fputs("{\"t\":\"thread_end\",\"frames_truncated\":true}\n", s);
        }
        assert_int_equal(fclose(s), 0);

        findings_from(&f, output);
        assert_true(f.malformed);
        assert_int_equal(f.n_threads, BACKTRACE_THREADS_MAX);
        for (size_t i = 0; i < f.n_threads; i++)
                assert_int_equal(f.threads[i].n_frames, BACKTRACE_FRAMES_MAX);
}

static void test_text_cut_at_limit(void **state) {
        _cleanup_(backtrace_findings_done) BacktraceFindings f;
        _cleanup_(freep) char *output = NULL, *text = NULL, *symbol = malloc(BACKTRACE_NAME_SIZE_MAX);
        size_t size = 0;
        bool truncated = false;
        FILE *s = open_memstream(&output, &size);

        assert_non_null(s);
        assert_non_null(symbol);
        memset(symbol, 's', BACKTRACE_NAME_SIZE_MAX - 1);
        symbol[BACKTRACE_NAME_SIZE_MAX - 1] = 0;
        fputs(CORE_LINE MODULES_END, s);
        for (int t = 0; t < 2; t++) {
                fprintf(s, "{\"t\":\"thread\",\"tid\":%d}\n", t + 1);
                for (int i = 0; i < BACKTRACE_FRAMES_MAX; i++)
                        fprintf(s, "{\"t\":\"frame\",\"pc\":\"0x%x\",\"offset\":\"0x0\",\"symbol\":\"%s\"}\n", i, symbol);
                fputs("{\"t\":\"thread_end\"}\n", s);
        }
        assert_int_equal(fclose(s), 0);

        findings_from(&f, output);
        assert_false(f.malformed);
        assert_int_equal(backtrace_format_text(&f, &text, &truncated), 0);
        assert_true(truncated);
        size = strlen(text);
        assert_true(size <= BACKTRACE_TEXT_SIZE_MAX);
        assert_true(size > BACKTRACE_TEXT_SIZE_MAX - BACKTRACE_NAME_SIZE_MAX - 64);
        assert_int_equal(text[size - 1], '\n');
}

static void test_sanitize(void **state) {
        _cleanup_(freep) char *a = backtrace_json_sanitize("caf\xc3\xa9\n#0 fake\x01\xff", 100);
        _cleanup_(freep) char *b = backtrace_json_sanitize("abc\xc3\xa9", 4);

        assert_string_equal(a, "caf\xc3\xa9?#0 fake??");
        assert_string_equal(b, "abc?");
}

/* ---- signature ---- */

static void test_signature_hash_is_fnv1a(void **state) {
        char h[BACKTRACE_SIGNATURE_LENGTH + 1];

        /* FNV-1a 64 reference values: "" → cbf29ce484222325, "a" → af63dc4c8601ec8c. */
        backtrace_signature_hash("", 0, h);
        assert_memory_equal(h, "cbf29ce484222325", 16);
        backtrace_signature_hash("a", 1, h);
        assert_memory_equal(h, "af63dc4c8601ec8c", 16);
        assert_int_equal(strlen(h), BACKTRACE_SIGNATURE_LENGTH);
        assert_int_equal(strspn(h, "0123456789abcdef"), BACKTRACE_SIGNATURE_LENGTH);
}

static void test_signature_skips_abort_machinery(void **state) {
        assert_true(backtrace_signature_skips("libc.so.6", "__pthread_kill_implementation"));
        assert_true(backtrace_signature_skips("libc.so.6", "__GI_raise"));
        assert_true(backtrace_signature_skips("libc.so.6", "raise"));
        assert_true(backtrace_signature_skips("/lib/libc.so.6", "__GI_abort"));
        assert_true(backtrace_signature_skips("libc.so.6", "__assert_fail_base"));
        assert_true(backtrace_signature_skips("libc.so.6", "__GI___assert_fail"));
        assert_true(backtrace_signature_skips("libc.so.6", "__libc_message"));
        assert_true(backtrace_signature_skips("libc.so.6", "__GI___fortify_fail"));
        assert_true(backtrace_signature_skips("libc.so.6", "__strcpy_chk"));
        assert_true(backtrace_signature_skips("libc-2.31.so", "gsignal"));
        assert_true(backtrace_signature_skips("libpthread.so.0", "raise"));
        assert_false(backtrace_signature_skips("libc.so.6", "__libc_start_call_main"));
        assert_false(backtrace_signature_skips("libc.so.6", "free"));
        assert_false(backtrace_signature_skips("libc.so.6", NULL));
        assert_false(backtrace_signature_skips("myprog", "abort"));
        assert_false(backtrace_signature_skips(NULL, "abort"));
}

static void test_signature_frame_form(void **state) {
        _cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL;

        assert_int_equal(backtrace_signature_frame("/usr/bin/prog", "main", 0x1234, &a), 0);
        assert_string_equal(a, "prog!main");
        assert_int_equal(backtrace_signature_frame("libfoo.so.1", NULL, 0x1234, &b), 0);
        assert_string_equal(b, "libfoo.so.1+0x1234");
        assert_int_equal(backtrace_signature_frame(NULL, "x", 0x1234, &c), 0);
        assert_string_equal(c, "?");
}

/* Child output for one crashing thread: frames given as "module symbol offset" triples. */
static char *signature_of(const char *pc_base, const char *const *frames, size_t n) {
        _cleanup_(backtrace_findings_done) BacktraceFindings f;
        _cleanup_(freep) char *output = NULL;
        size_t size = 0;
        char *sig = NULL;
        FILE *s = open_memstream(&output, &size);

        assert_non_null(s);
        fputs(CORE_LINE, s);
        fputs("{\"t\":\"module\",\"name\":\"prog\",\"start\":\"0x1000\",\"end\":\"0x9000\"}\n"
              "{\"t\":\"module\",\"name\":\"libc.so.6\",\"start\":\"0x10000\",\"end\":\"0x90000\"}\n"
              MODULES_END "{\"t\":\"thread\",\"tid\":1}\n", s);
        for (size_t i = 0; i < n; i++) {
                char module[32], symbol[64];
                unsigned offset;
                assert_int_equal(sscanf(frames[i], "%31s %63s %x", module, symbol, &offset), 3);
                fprintf(s, "{\"t\":\"frame\",\"pc\":\"%s%x\",\"offset\":\"0x%x\",\"symbol\":%s%s%s,\"module\":%d}\n",
                        pc_base, offset, offset, strcmp(symbol, "-") == 0 ? "" : "\"",
                        strcmp(symbol, "-") == 0 ? "null" : symbol, strcmp(symbol, "-") == 0 ? "" : "\"",
                        strcmp(module, "prog") == 0 ? 0 : 1);
        }
        fputs("{\"t\":\"thread_end\"}\n{\"t\":\"end\"}\n", s);
        assert_int_equal(fclose(s), 0);

        findings_from(&f, output);
        assert_false(f.malformed);
        assert_int_equal(backtrace_signature(&f, &sig), 0);
        return sig;
}

static void test_signature_stability(void **state) {
        static const char *const abort_in_a[] = {
                "libc.so.6 __pthread_kill_implementation 8aeec", "libc.so.6 __GI_raise 3bfb2",
                "libc.so.6 __GI_abort 26472", "prog func_a 1191", "prog main 11b4",
                "libc.so.6 __libc_start_call_main 2724a",
        };
        static const char *const crash_in_a[] = {
                "prog func_a 1191", "prog main 11b4", "libc.so.6 __libc_start_call_main 2724a",
        };
        static const char *const crash_in_b[] = {
                "prog func_b 1145", "prog func_a 1191", "prog main 11b4",
        };
        static const char *const no_symbols_1[] = { "prog - 1145", "prog - 1191" };
        static const char *const no_symbols_2[] = { "prog - 1149", "prog - 1191" };
        static const char *const only_abort[] = { "libc.so.6 __GI_abort 26472", "libc.so.6 raise 3bfb2" };
        static const char *const deep[] = {
                "prog f1 1", "prog f2 2", "prog f3 3", "prog f4 4", "prog f5 5", "prog f6 6",
        };
        static const char *const deep_other_tail[] = {
                "prog f1 1", "prog f2 2", "prog f3 3", "prog f4 4", "prog f5 5", "prog g6 6",
        };
        _cleanup_(freep) char *a = signature_of("0x5555", abort_in_a, ELEMENTSOF(abort_in_a));
        _cleanup_(freep) char *a_aslr = signature_of("0x7777", abort_in_a, ELEMENTSOF(abort_in_a));
        _cleanup_(freep) char *c = signature_of("0x5555", crash_in_a, ELEMENTSOF(crash_in_a));
        _cleanup_(freep) char *b = signature_of("0x5555", crash_in_b, ELEMENTSOF(crash_in_b));
        _cleanup_(freep) char *n1 = signature_of("0x5555", no_symbols_1, ELEMENTSOF(no_symbols_1));
        _cleanup_(freep) char *n1_aslr = signature_of("0x6666", no_symbols_1, ELEMENTSOF(no_symbols_1));
        _cleanup_(freep) char *n2 = signature_of("0x5555", no_symbols_2, ELEMENTSOF(no_symbols_2));
        _cleanup_(freep) char *o = signature_of("0x5555", only_abort, ELEMENTSOF(only_abort));
        _cleanup_(freep) char *d = signature_of("0x5555", deep, ELEMENTSOF(deep));
        _cleanup_(freep) char *d2 = signature_of("0x5555", deep_other_tail, ELEMENTSOF(deep_other_tail));

        assert_string_equal(a, a_aslr);    /* addresses do not count */
        assert_string_equal(a, c);         /* abort()'s frames are skipped */
        assert_string_not_equal(a, b);     /* another place, another signature */
        assert_string_equal(n1, n1_aslr);  /* module offsets are ASLR-free */
        assert_string_not_equal(n1, n2);
        assert_string_not_equal(o, a);     /* nothing but abort: its frames are used */
        assert_string_equal(d, d2);        /* only the top BACKTRACE_SIGNATURE_FRAMES count */

        /* Pinned: a change of the normalization or hash shows up here (bump its version). */
        assert_string_equal(b, "123cf701ec08b9b5f381d3a98f448986");
}

/* ---- backtrace_analyze() on synthetic cores ---- */

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#else
#define HOST_MACHINE EM_NONE
#endif

#define STACK_ADDRESS 0x10000

/* Writes an ELF core with n_threads NT_PRSTATUS notes (pc 0x1234, sp in a one-page PT_LOAD),
 * after an NT_PRPSINFO, then garbage_size bytes of garbage notes, to a memfd. */
static int synthetic_core(unsigned n_threads, size_t garbage_size) {
        size_t note_size = 0, notes_max = (size_t) (n_threads + 1) * (12 + 8 + sizeof(prstatus_t) + sizeof(prpsinfo_t)) + garbage_size + 64;
        _cleanup_(freep) uint8_t *notes = calloc(1, notes_max);
        Elf64_Ehdr eh = {
                .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
                .e_type = ET_CORE,
                .e_machine = HOST_MACHINE,
                .e_version = EV_CURRENT,
                .e_phoff = sizeof(Elf64_Ehdr),
                .e_ehsize = sizeof(Elf64_Ehdr),
                .e_phentsize = sizeof(Elf64_Phdr),
                .e_phnum = 2,
        };
        Elf64_Phdr ph[2] = {};
        uint8_t stack[4096] = {};
        int fd;

        assert_non_null(notes);
        /* libdwfl takes the process from NT_PRPSINFO. */
        prpsinfo_t ps = { .pr_pid = 1000 };
        put_note(notes, &note_size, 4, "CORE", NT_PRPSINFO, &ps, sizeof(ps));
        for (unsigned i = 0; i < n_threads; i++) {
                prstatus_t st = { .pr_pid = (pid_t) (1000 + i) };
#if defined(__x86_64__)
                st.pr_reg[16] = 0x1234;                  /* rip */
                st.pr_reg[19] = STACK_ADDRESS + 0x800;   /* rsp */
                st.pr_reg[4] = STACK_ADDRESS + 0x800;    /* rbp */
#endif
                put_note(notes, &note_size, 4, "CORE", NT_PRSTATUS, &st, sizeof(st));
        }
        for (size_t i = 0; i < garbage_size; i++)
                notes[note_size + i] = (uint8_t) (i * 7 + (i >> 3));
        note_size += garbage_size;

        ph[0] = (Elf64_Phdr) { .p_type = PT_NOTE, .p_offset = sizeof(eh) + sizeof(ph), .p_filesz = note_size, .p_align = 4 };
        ph[1] = (Elf64_Phdr) {
                .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = (sizeof(eh) + sizeof(ph) + note_size + 4095) & ~(size_t) 4095,
                .p_vaddr = STACK_ADDRESS, .p_filesz = sizeof(stack), .p_memsz = sizeof(stack), .p_align = 4096,
        };

        fd = memfd_create("synthetic-core", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, &eh, sizeof(eh), 0), (ssize_t) sizeof(eh));
        assert_int_equal(pwrite(fd, ph, sizeof(ph), sizeof(eh)), (ssize_t) sizeof(ph));
        assert_int_equal(pwrite(fd, notes, note_size, (off_t) ph[0].p_offset), (ssize_t) note_size);
        assert_int_equal(pwrite(fd, stack, sizeof(stack), (off_t) ph[1].p_offset), (ssize_t) sizeof(stack));
        return fd;
}

static BacktraceOptions options(void) {
        return (BacktraceOptions) { .uid = getuid(), .gid = getgid(), .timeout_usec = 30 * 1000 * 1000 };
}

static size_t count(const char *haystack, const char *needle) {
        size_t n = 0;
        for (const char *p = haystack; p && (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static void test_analyze_rejects_bad_arguments(void **state) {
        BacktraceOptions o = options();
        BacktraceResult r = { .text = (char *) "untouched" };
        int p[2];

        assert_int_equal(backtrace_analyze(-1, &o, &r), -EINVAL);
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(backtrace_analyze(p[0], &o, &r), -EBADF);
        assert_string_equal(r.text, "untouched");
        close(p[0]);
        close(p[1]);
}

static void test_analyze_not_a_core(void **state) {
        static const char *const contents[] = { "", "hello", "\x7f" "ELF", "\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0\1\0>\0" };
        BacktraceOptions o = options();

        for (size_t i = 0; i < ELEMENTSOF(contents); i++) {
                _cleanup_(closep) int fd = memfd_create("not-a-core", MFD_CLOEXEC);
                BacktraceResult r;
                size_t len = i == 3 ? 20 : strlen(contents[i]);

                assert_true(fd >= 0);
                assert_int_equal(write(fd, contents[i], len), (ssize_t) len);
                assert_int_equal(backtrace_analyze(fd, &o, &r), 0);
                assert_true(r.partial);
                assert_non_null(r.partial_reason);
                assert_null(r.text);
                assert_null(r.signature);
                assert_null(r.package_json);
                assert_non_null(r.json);  /* an empty trace that says why */
                assert_non_null(strstr(r.json, "\"partial\":true"));
                backtrace_result_done(&r);
        }
}

static void test_analyze_synthetic_threads(void **state) {
        _cleanup_(closep) int fd = synthetic_core(3, 0);
        BacktraceOptions o = options();
        BacktraceResult r;

        if (HOST_MACHINE == EM_NONE)
                skip();
        assert_int_equal(backtrace_analyze(fd, &o, &r), 0);
        assert_non_null(r.text);
        assert_int_equal(count(r.text, "Stack trace of thread "), 3);
        assert_non_null(strstr(r.text, "Stack trace of thread 1000:\n#0  0x0000000000001234 n/a (n/a + 0x0)\n"));
        assert_true(strstr(r.text, "thread 1000:") < strstr(r.text, "thread 1001:"));
        assert_non_null(r.signature);
        assert_non_null(r.package_json);
        assert_null(r.package_name);
        assert_non_null(strstr(r.json, "\"tid\":1000,\"crashing\":true"));
        assert_non_null(strstr(r.json, "\"tid\":1001,\"crashing\":false"));
        assert_true(r.usec > 0);
        backtrace_result_done(&r);
}

static void test_analyze_many_threads(void **state) {
        _cleanup_(closep) int fd = synthetic_core(5000, 0);
        BacktraceOptions o = options();
        BacktraceResult r;

        if (HOST_MACHINE == EM_NONE)
                skip();
        assert_int_equal(backtrace_analyze(fd, &o, &r), 0);
        assert_int_equal(count(r.text, "Stack trace of thread "), BACKTRACE_THREADS_MAX);
        assert_true(r.partial);
        assert_non_null(strstr(r.partial_reason, "threads beyond the first 64 were not unwound"));
        assert_non_null(strstr(r.json, "\"threads_truncated\":true"));
        backtrace_result_done(&r);
}

static void test_analyze_garbage_notes(void **state) {
        BacktraceOptions o = options();

        if (HOST_MACHINE == EM_NONE)
                skip();
        for (size_t garbage = 1; garbage < 5000; garbage = garbage * 3 + 1) {
                _cleanup_(closep) int fd = synthetic_core(2, garbage);
                BacktraceResult r;

                assert_int_equal(backtrace_analyze(fd, &o, &r), 0);
                /* Whatever libdwfl makes of it, the result is complete or says why not. */
                assert_true(!r.partial || (r.partial_reason && r.partial_reason[0]));
                assert_non_null(r.json);
                backtrace_result_done(&r);
        }
}

static void test_analyze_truncated_synthetic(void **state) {
        static const off_t cuts[] = { 1, 16, 64, 100, 64 + 2 * 56, 400, 1000, 2000 };
        BacktraceOptions o = options();

        if (HOST_MACHINE == EM_NONE)
                skip();
        for (size_t i = 0; i < ELEMENTSOF(cuts); i++) {
                _cleanup_(closep) int fd = synthetic_core(4, 0);
                BacktraceResult r;

                assert_true(cuts[i] < lseek(fd, 0, SEEK_END));
                assert_int_equal(ftruncate(fd, cuts[i]), 0);
                assert_int_equal(backtrace_analyze(fd, &o, &r), 0);
                assert_true(r.partial);
                assert_non_null(r.partial_reason);
                /* Once the ELF header is whole, the cut itself is named. */
                if (cuts[i] >= 64 && !strstr(r.partial_reason, "the core is truncated ("))
                        fail_msg("cut at %jd: %s", (intmax_t) cuts[i], r.partial_reason);
                backtrace_result_done(&r);
        }
}

static void test_analyze_budgets(void **state) {
        _cleanup_(closep) int fd = synthetic_core(200, 0);
        BacktraceOptions o = options();
        BacktraceResult r;

        if (HOST_MACHINE == EM_NONE)
                skip();
        o.timeout_usec = 1;
        assert_int_equal(backtrace_analyze(fd, &o, &r), 0);
        assert_true(r.partial);
        assert_string_equal(r.partial_reason, "analysis exceeded the time budget of 1 us");
        assert_true(r.usec < 5 * 1000 * 1000);
        backtrace_result_done(&r);

        o = options();
        o.memory_max = 1;
        assert_int_equal(backtrace_analyze(fd, &o, &r), 0);
        assert_true(r.partial);
        assert_non_null(r.partial_reason);
        backtrace_result_done(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_package_note_found),
                cmocka_unit_test(test_package_note_alignment_8),
                cmocka_unit_test(test_package_note_absent_or_broken),
                cmocka_unit_test(test_package_note_json_rules),
                cmocka_unit_test(test_text_like_systemd),
                cmocka_unit_test(test_text_frame_numbers_and_blank_lines),
                cmocka_unit_test(test_findings_reject_malformed),
                cmocka_unit_test(test_findings_limits),
                cmocka_unit_test(test_text_cut_at_limit),
                cmocka_unit_test(test_sanitize),
                cmocka_unit_test(test_signature_hash_is_fnv1a),
                cmocka_unit_test(test_signature_skips_abort_machinery),
                cmocka_unit_test(test_signature_frame_form),
                cmocka_unit_test(test_signature_stability),
                cmocka_unit_test(test_analyze_rejects_bad_arguments),
                cmocka_unit_test(test_analyze_not_a_core),
                cmocka_unit_test(test_analyze_synthetic_threads),
                cmocka_unit_test(test_analyze_many_threads),
                cmocka_unit_test(test_analyze_garbage_notes),
                cmocka_unit_test(test_analyze_truncated_synthetic),
                cmocka_unit_test(test_analyze_budgets),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
