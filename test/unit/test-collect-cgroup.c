/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cgroup path to unit, user unit, slice, session and owner, checked against what systemd 252
 * derives for the same paths. */
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
#include "collect-cgroup.h"

typedef struct PathCase {
        const char *path;
        const char *unit, *user_unit, *slice, *session; /* NULL: none (-ENXIO) */
        long owner_uid;                                  /* -1: none */
} PathCase;

static const PathCase cases[] = {
        { "/system.slice/foo.service", "foo.service", NULL, "system.slice", NULL, -1 },
        { "/system.slice/foo.service/sub/deeper", "foo.service", NULL, "system.slice", NULL, -1 },
        { "/system.slice/getty@tty2.service", "getty@tty2.service", NULL, "system.slice", NULL, -1 },
        { "/system.slice/getty@.service", NULL, NULL, "system.slice", NULL, -1 },  /* a template is no unit */
        { "/system.slice/_cpu.service", "cpu.service", NULL, "system.slice", NULL, -1 }, /* cg_escape()d */
        { "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", NULL, "system-getty.slice", NULL, -1 },
        { "/init.scope", "init.scope", NULL, "-.slice", NULL, -1 },
        { "/", NULL, NULL, "-.slice", NULL, -1 },
        { "", NULL, NULL, "-.slice", NULL, -1 },
        { "/foo.service", "foo.service", NULL, "-.slice", NULL, -1 },
        { "/user.slice/user-1000.slice/session-3.scope", "session-3.scope", NULL, "user-1000.slice", "3", 1000 },
        { "/user.slice/user-1000.slice/session-c2.scope/x", "session-c2.scope", NULL, "user-1000.slice", "c2", 1000 },
        { "/user.slice/user-1000.slice/user@1000.service/app.slice/bar.service",
          "user@1000.service", "bar.service", "user-1000.slice", NULL, 1000 },
        { "/user.slice/user-1000.slice/user@1000.service/init.scope",
          "user@1000.service", "init.scope", "user-1000.slice", NULL, 1000 },
        { "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1234.scope",
          "user@1000.service", "app-gnome-firefox-1234.scope", "user-1000.slice", NULL, 1000 },
        { "/user.slice/user-1000.slice/user@1000.service", "user@1000.service", NULL, "user-1000.slice", NULL, 1000 },
        { "/user.slice/user-0.slice/session-1.scope", "session-1.scope", NULL, "user-0.slice", "1", 0 },
        /* A session scope never needs unescaping; user units under it are found too. */
        { "/user.slice/user-1000.slice/session-3.scope/sub.service", "session-3.scope", "sub.service", "user-1000.slice", "3", 1000 },
        /* Bad owners: leading zero, the two invalid UIDs, overflow, sign. */
        { "/user.slice/user-01000.slice/session-1.scope", "session-1.scope", NULL, "user-01000.slice", "1", -1 },
        { "/user.slice/user-65535.slice/session-1.scope", "session-1.scope", NULL, "user-65535.slice", "1", -1 },
        { "/user.slice/user-4294967295.slice/session-1.scope", "session-1.scope", NULL, "user-4294967295.slice", "1", -1 },
        { "/user.slice/user-4294967294.slice/session-1.scope", "session-1.scope", NULL, "user-4294967294.slice", "1", 4294967294L },
        { "/user.slice/user-99999999999.slice/session-1.scope", "session-1.scope", NULL, "user-99999999999.slice", "1", -1 },
        { "/user.slice/user--1.slice", NULL, NULL, "user--1.slice", NULL, -1 },
        /* A bad session id or user manager name is just a unit, not a session. */
        { "/user.slice/user-1000.slice/session-x!.scope", NULL, NULL, "user-1000.slice", NULL, 1000 },
        { "/user.slice/user-1000.slice/session-.scope", "session-.scope", NULL, "user-1000.slice", NULL, 1000 },
        { "/user.slice/user-1000.slice/user@abc.service/x.service", "user@abc.service", NULL, "user-1000.slice", NULL, 1000 },
        /* Slices after a unit do not count; a slice where a unit should be is none. */
        { "/machine.slice/systemd-nspawn@deb.service/payload/system.slice/crash.service",
          "systemd-nspawn@deb.service", NULL, "machine.slice", NULL, -1 },
        { "/a.slice/b@c.slice", NULL, NULL, "a.slice", NULL, -1 },
        { "//system.slice///foo.service//", "foo.service", NULL, "system.slice", NULL, -1 },
        /* Not units at all. */
        { "/system.slice/foo.bar", NULL, NULL, "system.slice", NULL, -1 },
        { "/system.slice/.service", NULL, NULL, "system.slice", NULL, -1 },
        { "/system.slice/@x.service", NULL, NULL, "system.slice", NULL, -1 },
        { "/system.slice/foo bar.service", NULL, NULL, "system.slice", NULL, -1 },
        { "/ab", NULL, NULL, "-.slice", NULL, -1 },
};

static void assert_string_or_none(int r, const char *got, const char *want, const char *path, const char *what) {
        if (!want) {
                if (r != -ENXIO)
                        fail_msg("%s of \"%s\": want none, got r=%d \"%s\"", what, path, r, r >= 0 ? got : "");
                return;
        }
        if (r != 0 || strcmp(got, want) != 0)
                fail_msg("%s of \"%s\": want \"%s\", got r=%d \"%s\"", what, path, want, r, r >= 0 ? got : "");
}

static void test_path_cases(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const PathCase *c = &cases[i];
                _cleanup_(freep) char *unit = NULL, *user_unit = NULL, *slice = NULL, *session = NULL;
                uid_t uid = 4711;
                int r;

                r = collect_cgroup_path_get_unit(c->path, &unit);
                assert_string_or_none(r, unit, c->unit, c->path, "unit");
                r = collect_cgroup_path_get_user_unit(c->path, &user_unit);
                assert_string_or_none(r, user_unit, c->user_unit, c->path, "user unit");
                r = collect_cgroup_path_get_slice(c->path, &slice);
                assert_string_or_none(r, slice, c->slice, c->path, "slice");
                r = collect_cgroup_path_get_session(c->path, &session);
                assert_string_or_none(r, session, c->session, c->path, "session");
                r = collect_cgroup_path_get_owner_uid(c->path, &uid);
                if (c->owner_uid < 0) {
                        if (r != -ENXIO)
                                fail_msg("owner of \"%s\": want none, got r=%d uid=%u", c->path, r, (unsigned) uid);
                } else if (r != 0 || uid != (uid_t) c->owner_uid)
                        fail_msg("owner of \"%s\": want %ld, got r=%d uid=%u", c->path, c->owner_uid, r, (unsigned) uid);
        }
}

static void test_unit_names(void **state) {
        const CollectUnitNameFlags any = COLLECT_UNIT_NAME_PLAIN | COLLECT_UNIT_NAME_INSTANCE | COLLECT_UNIT_NAME_TEMPLATE;
        char longname[300];

        assert_true(collect_cgroup_unit_name_is_valid("foo.service", COLLECT_UNIT_NAME_PLAIN));
        assert_true(collect_cgroup_unit_name_is_valid("a:b-c_d.e\\x2d.mount", COLLECT_UNIT_NAME_PLAIN));
        assert_false(collect_cgroup_unit_name_is_valid("foo@bar.service", COLLECT_UNIT_NAME_PLAIN));
        assert_true(collect_cgroup_unit_name_is_valid("foo@bar.service", COLLECT_UNIT_NAME_INSTANCE));
        assert_true(collect_cgroup_unit_name_is_valid("foo@b@r.service", COLLECT_UNIT_NAME_INSTANCE));
        assert_false(collect_cgroup_unit_name_is_valid("foo@.service", COLLECT_UNIT_NAME_INSTANCE));
        assert_true(collect_cgroup_unit_name_is_valid("foo@.service", COLLECT_UNIT_NAME_TEMPLATE));
        assert_false(collect_cgroup_unit_name_is_valid("@foo.service", any));
        assert_false(collect_cgroup_unit_name_is_valid("foo.servic", any));
        assert_false(collect_cgroup_unit_name_is_valid("foo", any));
        assert_false(collect_cgroup_unit_name_is_valid(".service", any));
        assert_false(collect_cgroup_unit_name_is_valid("", any));
        assert_false(collect_cgroup_unit_name_is_valid(NULL, any));
        assert_false(collect_cgroup_unit_name_is_valid("f/o.service", any));
        assert_false(collect_cgroup_unit_name_is_valid("f\no.service", any));
        assert_false(collect_cgroup_unit_name_is_valid("foo.service", 0));

        memset(longname, 'a', sizeof(longname));
        memcpy(longname + 255 - strlen(".slice"), ".slice", strlen(".slice") + 1); /* 255 bytes */
        assert_true(collect_cgroup_unit_name_is_valid(longname, COLLECT_UNIT_NAME_PLAIN));
        memset(longname, 'a', sizeof(longname));
        memcpy(longname + 256 - strlen(".slice"), ".slice", strlen(".slice") + 1); /* 256 bytes */
        assert_false(collect_cgroup_unit_name_is_valid(longname, COLLECT_UNIT_NAME_PLAIN));
}

static void test_parse_proc_cgroup(void **state) {
        static const struct {
                const char *content;
                const char *path; /* NULL: -ENODATA */
        } t[] = {
                { "0::/system.slice/foo.service\n", "/system.slice/foo.service" },
                { "0::/system.slice/foo.service", "/system.slice/foo.service" },
                { "0::/\n", "/" },
                { "0::/a (deleted)\n", "/a" },
                { "0::/a (deleted) (deleted)\n", "/a (deleted)" },
                /* hybrid: the unified line wins over name=systemd */
                { "12:cpu,cpuacct:/x\n1:name=systemd:/legacy.service\n0::/unified.service\n", "/unified.service" },
                /* legacy */
                { "4:memory:/m\n1:name=systemd:/system.slice/old.service\n", "/system.slice/old.service" },
                { "1:foo,name=systemd,bar:/y\n", "/y" },
                { "1:name=systemdx:/y\n", NULL },
                { "10::/nope\n", NULL },
                { "0:/no-second-colon\n", NULL },
                { "", NULL },
                { "\n\n\n", NULL },
                { "0::/path:with:colons\n", "/path:with:colons" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_(freep) char *p = NULL;
                int r = collect_cgroup_parse_proc_cgroup(t[i].content, strlen(t[i].content), &p);
                if (!t[i].path)
                        assert_int_equal(r, -ENODATA);
                else {
                        assert_int_equal(r, 0);
                        assert_string_equal(p, t[i].path);
                }
        }

        /* A NUL ends the content; bytes after it are not looked at. */
        _cleanup_(freep) char *p = NULL;
        assert_int_equal(collect_cgroup_parse_proc_cgroup("0::/a\0" "0::/b\n", 11, &p), 0);
        assert_string_equal(p, "/a");
}

static void test_root_and_shift(void **state) {
        static const struct {
                const char *init, *root;
        } roots[] = {
                { "/init.scope", "" },
                { "/machine.slice/m.scope/payload/init.scope", "/machine.slice/m.scope/payload" },
                { "/system.slice", "" },
                { "/lxc/c1/system", "/lxc/c1" },
                { "/", "/" },
                { "/foo.scope", "/foo.scope" },
        };
        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                _cleanup_(freep) char *root = NULL;
                assert_int_equal(collect_cgroup_root_from_init(roots[i].init, &root), 0);
                assert_string_equal(root, roots[i].root);
        }

        /* The host: PID 1 in /init.scope gives an empty root, which shifts nothing. */
        assert_string_equal(collect_cgroup_shift("/system.slice/foo.service", ""), "/system.slice/foo.service");
        assert_string_equal(collect_cgroup_shift("/system.slice/foo.service", "/"), "/system.slice/foo.service");
        assert_string_equal(collect_cgroup_shift("/machine.slice/m.scope/payload/system.slice/x.service",
                                                 "/machine.slice/m.scope/payload"),
                            "/system.slice/x.service");
        assert_string_equal(collect_cgroup_shift("/machine.slice/m.scope/payload//a", "/machine.slice/m.scope/payload/"),
                            "/a");
        /* Component-wise, not byte-wise. */
        assert_string_equal(collect_cgroup_shift("/machine.slice/m.scope/payload2/a", "/machine.slice/m.scope/payload"),
                            "/machine.slice/m.scope/payload2/a");
        assert_string_equal(collect_cgroup_shift("/other/a", "/machine.slice"), "/other/a");
        assert_string_equal(collect_cgroup_shift("/a/b", "/a/b"), "/");
        assert_string_equal(collect_cgroup_shift("relative", "/a"), "relative");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_cases),
                cmocka_unit_test(test_unit_names),
                cmocka_unit_test(test_parse_proc_cgroup),
                cmocka_unit_test(test_root_and_shift),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
