/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ctl-match.h"
#include "export-record.h"
#include "message-ids.h"

/* coredumpctl's parse_pid(): a decimal number above 0 that fits a pid_t. */
static bool is_pid(const char *s) {
        unsigned long long n = 0;

        if (!*s)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                n = n * 10 + (unsigned long long) (*p - '0');
                if (n > 0x7fffffff)
                        return false;
        }
        return n > 0;
}

/* Joins cwd and path and removes ".", ".." and repeated slashes, without touching the file
 * system (the executable may no longer exist). */
static int path_absolute(const char *path, const char *cwd, char **ret) {
        _cleanup_(freep) char *joined = NULL;
        size_t n = 0;
        char *out;

        if (path[0] == '/')
                joined = strdup(path);
        else {
                if (!cwd || cwd[0] != '/')
                        return -EINVAL;
                if (asprintf(&joined, "%s/%s", cwd, path) < 0)
                        joined = NULL;
        }
        if (!joined)
                return -ENOMEM;

        out = malloc(strlen(joined) + 2);
        if (!out)
                return -ENOMEM;
        for (char *p = joined; *p;) {
                while (*p == '/')
                        p++;
                char *e = strchrnul(p, '/');
                size_t len = (size_t) (e - p);
                if (len == 0 || (len == 1 && p[0] == '.'))
                        ;
                else if (len == 2 && p[0] == '.' && p[1] == '.') {
                        while (n > 0 && out[n - 1] != '/')
                                n--;
                        if (n > 0)
                                n--; /* the slash before the dropped component */
                } else {
                        out[n++] = '/';
                        memcpy(out + n, p, len);
                        n += len;
                }
                p = e;
        }
        if (n == 0)
                out[n++] = '/';
        out[n] = 0;
        *ret = out;
        return 0;
}

static int strv_push(char ***l, size_t *n, char *s) {
        char **m = realloc(*l, (*n + 2) * sizeof(char *));
        if (!m) {
                free(s);
                return -ENOMEM;
        }
        *l = m;
        m[(*n)++] = s;
        m[*n] = NULL;
        return 0;
}

bool ctl_match_field_name_valid(const char *name, size_t length) {
        /* journald's own trusted fields (_PID, _SYSTEMD_UNIT, …) are matchable too. */
        ExportNameKind k = export_name_classify(name, length);
        return k == EXPORT_NAME_VALID || k == EXPORT_NAME_TRUSTED;
}

bool ctl_match_valid(const char *arg) {
        const char *eq = strchr(arg, '=');
        return *arg && (!eq || ctl_match_field_name_valid(arg, (size_t) (eq - arg)));
}

int ctl_match_build(const char *const *args, const char *cwd, char ***ret, size_t *bad_index) {
        static const char *const ids[] = {
                "MESSAGE_ID=" MESSAGE_ID_COREDUMP,
                "MESSAGE_ID=" MESSAGE_ID_SYSTEMD_BACKTRACE,
        };
        _cleanup_(strv_freep) char **l = NULL;
        size_t n = 0;
        int r;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                char *s = strdup(ids[i]);
                if (!s)
                        return -ENOMEM;
                r = strv_push(&l, &n, s);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; args && args[i]; i++) {
                const char *a = args[i], *eq = strchr(a, '=');
                char *m = NULL;

                if (eq) {
                        if (!ctl_match_field_name_valid(a, (size_t) (eq - a))) {
                                if (bad_index)
                                        *bad_index = i;
                                return -EINVAL;
                        }
                        m = strdup(a);
                } else if (strchr(a, '/')) {
                        _cleanup_(freep) char *p = NULL;
                        r = path_absolute(a, cwd, &p);
                        if (r == -EINVAL && bad_index)
                                *bad_index = i;
                        if (r < 0)
                                return r;
                        if (asprintf(&m, "COREDUMP_EXE=%s", p) < 0)
                                m = NULL;
                } else if (is_pid(a)) {
                        if (asprintf(&m, "COREDUMP_PID=%s", a) < 0)
                                m = NULL;
                } else if (asprintf(&m, "COREDUMP_COMM=%s", a) < 0)
                        m = NULL;
                if (!m)
                        return -ENOMEM;
                r = strv_push(&l, &n, m);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(l);
        return 0;
}

int ctl_match_apply(sd_journal *j, char *const *matches) {
        for (size_t i = 0; matches && matches[i]; i++) {
                int r = sd_journal_add_match(j, matches[i], 0);
                if (r < 0)
                        return r;
        }
        return 0;
}
