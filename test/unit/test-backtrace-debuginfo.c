/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <elfutils/libdw.h>

#include "backtrace-debuginfo.h"
#include "cleanup.h"

#ifndef BT_COMPRESSED_DEBUG
#error "BT_COMPRESSED_DEBUG must name the compressed debug file fixture"
#endif

/* The name of the first compile unit, read through libdw (which inflates sections itself). */
static char *first_cu_name(int fd) {
        Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
        Dwarf_Off off = 0, next;
        size_t hsize;
        Dwarf_Die die;
        char *name = NULL;

        assert_non_null(dw);
        assert_int_equal(dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL), 0);
        assert_non_null(dwarf_offdie(dw, off + hsize, &die));
        name = strdup(dwarf_diename(&die) ?: "");
        dwarf_end(dw);
        return name;
}

static void test_decompress(void **state) {
        _cleanup_(closep) int in = open(BT_COMPRESSED_DEBUG, O_RDONLY | O_CLOEXEC);
        char path[] = "/tmp/cj-debuginfo.XXXXXX";
        _cleanup_(closep) int out = mkstemp(path);
        _cleanup_(freep) char *a = NULL, *b = NULL;

        assert_true(in >= 0 && out >= 0);
        (void) unlink(path);
        assert_true(backtrace_debuginfo_is_compressed(in));
        assert_int_equal(backtrace_debuginfo_decompress(in, out), 0);
        assert_false(backtrace_debuginfo_is_compressed(out));
        /* The same DWARF either way. */
        a = first_cu_name(in);
        b = first_cu_name(out);
        assert_string_equal(a, b);
        assert_non_null(strstr(a, "bt-chain.c"));

        /* Not ELF at all. */
        _cleanup_(closep) int junk = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
        assert_false(backtrace_debuginfo_is_compressed(junk));
}

static size_t count_files(const char *dir) {
        char cmd[256];
        (void) snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", dir);
        FILE *p = popen(cmd, "r");
        unsigned n = 0;
        assert_non_null(p);
        assert_int_equal(fscanf(p, "%u", &n), 1);
        pclose(p);
        return n;
}

/* The analysis that names the files may be compromised by a hostile core: nothing outside the
 * system's debug directory, and nothing someone else could have written, is ever copied. */
static void test_cache_refuses(void **state) {
        char dir[] = "/tmp/cj-dcache.XXXXXX", cmd[128];
        assert_non_null(mkdtemp(dir));
        char *const paths[] = {
                (char *) BT_COMPRESSED_DEBUG,                      /* compressed, but not below /usr/lib/debug */
                (char *) "/etc/passwd",
                (char *) "/usr/lib/debug/../../../etc/passwd",
                (char *) "/usr/lib/debug/does-not-exist.debug",
                (char *) "",
        };
        assert_int_equal(backtrace_debuginfo_cache(dir, paths, ELEMENTSOF(paths), 1024 * 1024 * 1024), 0);
        assert_int_equal(count_files(dir), 0);

        /* No cache directory: nothing is made, nothing created. */
        char missing[256];
        (void) snprintf(missing, sizeof(missing), "%s/absent", dir);
        assert_int_equal(backtrace_debuginfo_cache(missing, paths, 1, 1024), 0);
        struct stat st;
        assert_int_equal(stat(missing, &st), -1);

        _cleanup_(freep) char *p = NULL;
        assert_int_equal(backtrace_debuginfo_path("/var/cache/x", &p), 0);
        assert_string_equal(p, "-:.debug:/var/cache/x:/usr/lib/debug");
        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decompress),
                cmocka_unit_test(test_cache_refuses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
