/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the cgroup logic: as /proc/PID/cgroup content, and as a path, to the
 * unit, user unit, slice, session and owner derivations and to root shifting, checking that what
 * comes out is well-formed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "collect-cgroup.h"
#include "fuzz.h"

static const CollectUnitNameFlags unit_forms = COLLECT_UNIT_NAME_PLAIN | COLLECT_UNIT_NAME_INSTANCE;

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void check_path(const char *path) {
        _cleanup_(freep) char *unit = NULL, *user_unit = NULL, *slice = NULL, *session = NULL, *root = NULL;
        uid_t uid;

        if (collect_cgroup_path_get_unit(path, &unit) == 0 &&
            (!collect_cgroup_unit_name_is_valid(unit, unit_forms) || ends_with(unit, ".slice")))
                abort();
        if (collect_cgroup_path_get_user_unit(path, &user_unit) == 0 &&
            (!collect_cgroup_unit_name_is_valid(user_unit, unit_forms) || ends_with(user_unit, ".slice")))
                abort();
        if (collect_cgroup_path_get_slice(path, &slice) != 0 ||
            !collect_cgroup_unit_name_is_valid(slice, COLLECT_UNIT_NAME_PLAIN) || !ends_with(slice, ".slice"))
                abort();
        if (collect_cgroup_path_get_session(path, &session) == 0) {
                /* A session implies its scope is the unit. */
                if (!unit || strncmp(unit, "session-", 8) != 0 || strncmp(unit + 8, session, strlen(session)) != 0 ||
                    strcmp(unit + 8 + strlen(session), ".scope") != 0)
                        abort();
        }
        if (collect_cgroup_path_get_owner_uid(path, &uid) == 0 &&
            (uid == (uid_t) -1 || uid == (uid_t) 0xFFFF || strncmp(slice, "user-", 5) != 0))
                abort();

        if (collect_cgroup_root_from_init(path, &root) == 0) {
                const char *s = collect_cgroup_shift(path, root);
                size_t n = strlen(path), k = strlen(s);
                if (!(strcmp(s, "/") == 0 || (k <= n && strcmp(path + n - k, s) == 0)))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(freep) char *buf = NULL, *path = NULL;

        if (size > 64 * 1024)
                return 0;
        buf = malloc(size + 1);
        if (!buf)
                return 0;
        if (size > 0)
                memcpy(buf, data, size);
        buf[size] = 0;

        if (collect_cgroup_parse_proc_cgroup(buf, size, &path) == 0) {
                if (strchr(path, '\n'))
                        abort();
                check_path(path);
        }
        check_path(buf);
        return 0;
}
