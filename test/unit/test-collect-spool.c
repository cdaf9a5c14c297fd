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
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "collect-spool.h"

/* The sink of these tests: refuses for good the record whose MESSAGE is "poison", fails (the
 * sink is away) while down is set, and takes the rest, noting their order. */
typedef struct Sink {
        bool down;
        char taken[8][32];
        size_t n_taken;
} Sink;

static int deliver(const ExportRecord *record, void *userdata) {
        Sink *s = userdata;
        const char *m = export_record_get_string(record, "MESSAGE");

        if (s->down)
                return -ECONNREFUSED;
        if (m && strcmp(m, "poison") == 0)
                return -EBADMSG;
        assert_true(s->n_taken < 8);
        (void) snprintf(s->taken[s->n_taken++], sizeof(s->taken[0]), "%s", m ?: "");
        return 0;
}

static void spool(int dir_fd, const char *message) {
        _cleanup_(export_record_freep) ExportRecord *r = NULL;
        _cleanup_(freep) char *name = NULL;

        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(export_record_append_string(r, "MESSAGE", message), 0);
        assert_int_equal(collect_spool_write(dir_fd, r, &name), 0);
        usleep(2000); /* names order by the µs clock */
}

static size_t count_suffix(const char *dir, const char *suffix) {
        DIR *d = opendir(dir);
        size_t n = 0;
        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));) {
                size_t l = strlen(de->d_name), ls = strlen(suffix);
                if (l > ls && strcmp(de->d_name + l - ls, suffix) == 0)
                        n++;
        }
        closedir(d);
        return n;
}

static void test_replay_order_and_rejects(void **state) {
        char dir[] = "/tmp/cj-spool.XXXXXX";
        char cmd[128];
        Sink sink = { .down = true };
        CollectSpoolStats stats;

        assert_non_null(mkdtemp(dir));
        _cleanup_(closep) int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dir_fd >= 0);
        spool(dir_fd, "first");
        spool(dir_fd, "poison");
        spool(dir_fd, "third");

        /* The sink is away: replay stops at the first record and keeps all three. */
        assert_int_equal(collect_spool_replay(dir_fd, deliver, &sink, &stats), 1);
        assert_int_equal(stats.replayed, 0);
        assert_int_equal(stats.remaining, 3);
        assert_int_equal(count_suffix(dir, SPOOL_SUFFIX), 3);

        /* Back: oldest first; the record refused for good is set aside and does not stop the
         * one behind it. */
        sink.down = false;
        assert_int_equal(collect_spool_replay(dir_fd, deliver, &sink, &stats), 0);
        assert_int_equal(stats.replayed, 2);
        assert_int_equal(stats.rejected, 1);
        assert_int_equal(stats.remaining, 0);
        assert_int_equal(sink.n_taken, 2);
        assert_string_equal(sink.taken[0], "first");
        assert_string_equal(sink.taken[1], "third");
        assert_int_equal(count_suffix(dir, SPOOL_SUFFIX), 0);
        assert_int_equal(count_suffix(dir, SPOOL_SUFFIX ".rejected"), 1);

        /* A rejected file is kept for a person, never replayed again. */
        assert_int_equal(collect_spool_replay(dir_fd, deliver, &sink, &stats), 0);
        assert_int_equal(stats.replayed + stats.rejected, 0);
        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_replay_order_and_rejects),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
