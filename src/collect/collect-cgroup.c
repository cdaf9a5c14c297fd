/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "collect-cgroup.h"

/* systemd's UNIT_NAME_MAX: a unit name is shorter than this. */
#define UNIT_NAME_MAX 256

/* A cgroup path component escaped by systemd carries one leading '_' (cg_escape()). */
#define COMPONENT_MAX (UNIT_NAME_MAX + 1)

static const char *const unit_types[] = {
        "service", "socket", "target", "device", "mount", "automount",
        "swap", "timer", "path", "slice", "scope",
};

static bool unit_type_is_valid(const char *suffix) {
        for (size_t i = 0; i < ELEMENTSOF(unit_types); i++)
                if (strcmp(suffix, unit_types[i]) == 0)
                        return true;
        return false;
}

static bool unit_char_is_valid(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                c == ':' || c == '-' || c == '_' || c == '.' || c == '\\';
}

bool collect_cgroup_unit_name_is_valid(const char *name, CollectUnitNameFlags flags) {
        const char *dot, *at = NULL;

        if (!name || name[0] == 0 || flags == 0)
                return false;
        if (strnlen(name, UNIT_NAME_MAX) >= UNIT_NAME_MAX)
                return false;

        dot = strrchr(name, '.');
        if (!dot || dot == name || !unit_type_is_valid(dot + 1))
                return false;

        for (const char *i = name; i < dot; i++) {
                if (*i == '@' && !at)
                        at = i;
                if (*i != '@' && !unit_char_is_valid(*i))
                        return false;
        }
        if (at == name)
                return false;

        if ((flags & COLLECT_UNIT_NAME_PLAIN) && !at)
                return true;
        if ((flags & COLLECT_UNIT_NAME_INSTANCE) && at && dot > at + 1)
                return true;
        if ((flags & COLLECT_UNIT_NAME_TEMPLATE) && at && dot == at + 1)
                return true;
        return false;
}

/* Copies the n-byte component p into buf (COMPONENT_MAX + 1 bytes) without systemd's escape
 * prefix. Returns the unescaped name, or NULL when the component is too long to be a unit. */
static const char *component_unescape(const char *p, size_t n, char buf[static COMPONENT_MAX + 1]) {
        if (n > COMPONENT_MAX)
                return NULL;
        memcpy(buf, p, n);
        buf[n] = 0;
        return buf[0] == '_' ? buf + 1 : buf;
}

static bool ends_with(const char *s, size_t n, const char *suffix) {
        size_t k = strlen(suffix);
        return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool starts_with(const char *s, size_t n, const char *prefix) {
        size_t k = strlen(prefix);
        return n >= k && memcmp(s, prefix, k) == 0;
}

/* The unit named by the first component of p (up to the next '/'). */
static int decode_unit(const char *p, char **ret_unit) {
        char buf[COMPONENT_MAX + 1];
        size_t n = strcspn(p, "/");
        const char *c;

        if (n < 3)
                return -ENXIO;
        c = component_unescape(p, n, buf);
        if (!c || !collect_cgroup_unit_name_is_valid(c, COLLECT_UNIT_NAME_PLAIN | COLLECT_UNIT_NAME_INSTANCE))
                return -ENXIO;

        char *s = strdup(c);
        if (!s)
                return -ENOMEM;
        *ret_unit = s;
        return 0;
}

static bool slice_name_is_valid(const char *p, size_t n) {
        char buf[COMPONENT_MAX + 1];
        const char *c;

        if (n < strlen("x.slice") || !ends_with(p, n, ".slice"))
                return false;
        c = component_unescape(p, n, buf);
        return c && collect_cgroup_unit_name_is_valid(c, COLLECT_UNIT_NAME_PLAIN);
}

/* Skips every leading slice component. */
static const char *skip_slices(const char *p) {
        for (;;) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (!slice_name_is_valid(p, n))
                        return p;
                p += n;
        }
}

/* systemd's parse_uid(): decimal, no sign, space or leading zero, not one of the two invalid
 * UIDs (uid_t)-1 and the 16-bit (uid_t)0xFFFF. */
static bool parse_uid(const char *s, size_t n, uid_t *ret) {
        uint64_t v = 0;

        if (n == 0 || n > 10 || (s[0] == '0' && n > 1))
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        if (v >= UINT32_MAX || v == 0xFFFF)
                return false;
        if (ret)
                *ret = (uid_t) v;
        return true;
}

static bool session_id_is_valid(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
                        return false;
        return true;
}

/* Skips a "session-ID.scope" component, which must be there; NULL if it is not. */
static const char *skip_session(const char *p) {
        if (!p || *p == 0)
                return NULL;
        p += strspn(p, "/");
        size_t n = strcspn(p, "/");
        if (n < strlen("session-x.scope") || !starts_with(p, n, "session-") || !ends_with(p, n, ".scope"))
                return NULL;
        if (!session_id_is_valid(p + strlen("session-"), n - strlen("session-") - strlen(".scope")))
                return NULL;
        p += n;
        return p + strspn(p, "/");
}

/* Skips a "user@UID.service" component, which must be there; NULL if it is not. */
static const char *skip_user_manager(const char *p) {
        if (!p || *p == 0)
                return NULL;
        p += strspn(p, "/");
        size_t n = strcspn(p, "/");
        if (n < strlen("user@x.service") || !starts_with(p, n, "user@") || !ends_with(p, n, ".service"))
                return NULL;
        if (!parse_uid(p + strlen("user@"), n - strlen("user@") - strlen(".service"), NULL))
                return NULL;
        p += n;
        return p + strspn(p, "/");
}

static const char *skip_user_prefix(const char *path) {
        const char *e = skip_slices(path), *t;

        t = skip_user_manager(e);
        if (t)
                return t;
        return skip_session(e);
}

int collect_cgroup_path_get_unit(const char *path, char **ret_unit) {
        _cleanup_(freep) char *unit = NULL;
        int r;

        r = decode_unit(skip_slices(path), &unit);
        if (r < 0)
                return r;
        /* Slices were skipped above; a slice here is not a unit the process runs in. */
        if (ends_with(unit, strlen(unit), ".slice"))
                return -ENXIO;
        *ret_unit = TAKE_PTR(unit);
        return 0;
}

int collect_cgroup_path_get_user_unit(const char *path, char **ret_unit) {
        const char *t = skip_user_prefix(path);
        if (!t)
                return -ENXIO;
        return collect_cgroup_path_get_unit(t, ret_unit);
}

int collect_cgroup_path_get_slice(const char *path, char **ret_slice) {
        const char *p = path, *last = NULL;

        for (;;) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (!slice_name_is_valid(p, n))
                        break;
                last = p;
                p += n;
        }
        if (!last) {
                char *s = strdup("-.slice");
                if (!s)
                        return -ENOMEM;
                *ret_slice = s;
                return 0;
        }
        return decode_unit(last, ret_slice);
}

int collect_cgroup_path_get_session(const char *path, char **ret_session) {
        _cleanup_(freep) char *unit = NULL;
        size_t n, id_len;
        int r;

        r = collect_cgroup_path_get_unit(path, &unit);
        if (r < 0)
                return r;
        n = strlen(unit);
        if (!starts_with(unit, n, "session-") || !ends_with(unit, n, ".scope") ||
            n < strlen("session-") + strlen(".scope"))
                return -ENXIO;
        id_len = n - strlen("session-") - strlen(".scope");
        if (!session_id_is_valid(unit + strlen("session-"), id_len))
                return -ENXIO;

        char *s = strndup(unit + strlen("session-"), id_len);
        if (!s)
                return -ENOMEM;
        *ret_session = s;
        return 0;
}

int collect_cgroup_path_get_owner_uid(const char *path, uid_t *ret_uid) {
        _cleanup_(freep) char *slice = NULL;
        size_t n;
        uid_t uid;
        int r;

        r = collect_cgroup_path_get_slice(path, &slice);
        if (r < 0)
                return r;
        n = strlen(slice);
        if (!starts_with(slice, n, "user-") || !ends_with(slice, n, ".slice") ||
            n < strlen("user-") + strlen(".slice"))
                return -ENXIO;
        if (!parse_uid(slice + strlen("user-"), n - strlen("user-") - strlen(".slice"), &uid))
                return -ENXIO;
        *ret_uid = uid;
        return 0;
}

/* The controller list of a legacy line ("4:name=systemd:/x") holds name=systemd. */
static bool controllers_have_systemd(const char *s, size_t n) {
        while (n > 0) {
                const char *comma = memchr(s, ',', n);
                size_t k = comma ? (size_t) (comma - s) : n;
                if (k == strlen("name=systemd") && memcmp(s, "name=systemd", k) == 0)
                        return true;
                if (!comma)
                        break;
                s += k + 1;
                n -= k + 1;
        }
        return false;
}

int collect_cgroup_parse_proc_cgroup(const char *content, size_t size, char **ret_path) {
        const char *found = NULL;
        size_t found_len = 0;

        /* A NUL cannot occur in the file; treat one as its end. */
        size = strnlen(content, size);

        for (int pass = 0; pass < 2 && !found; pass++) {
                const char *line = content, *end = content + size;

                while (line < end) {
                        const char *nl = memchr(line, '\n', (size_t) (end - line));
                        size_t len = nl ? (size_t) (nl - line) : (size_t) (end - line);
                        const char *c1 = memchr(line, ':', len);
                        const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t) (c1 + 1 - line)) : NULL;

                        if (c2) {
                                bool match = pass == 0 ?
                                        c1 - line == 1 && line[0] == '0' :
                                        controllers_have_systemd(c1 + 1, (size_t) (c2 - c1 - 1));
                                if (match) {
                                        found = c2 + 1;
                                        found_len = len - (size_t) (found - line);
                                        break;
                                }
                        }
                        line += len + (nl ? 1 : 0);
                }
        }
        if (!found)
                return -ENODATA;

        if (ends_with(found, found_len, " (deleted)"))
                found_len -= strlen(" (deleted)");

        char *p = strndup(found, found_len);
        if (!p)
                return -ENOMEM;
        *ret_path = p;
        return 0;
}

int collect_cgroup_root_from_init(const char *init_path, char **ret_root) {
        static const char *const suffixes[] = { "/init.scope", "/system.slice", "/system" };
        size_t n = strlen(init_path);

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (ends_with(init_path, n, suffixes[i])) {
                        n -= strlen(suffixes[i]);
                        break;
                }

        char *s = strndup(init_path, n);
        if (!s)
                return -ENOMEM;
        *ret_root = s;
        return 0;
}

const char *collect_cgroup_shift(const char *path, const char *root) {
        const char *p = path, *q = root;

        /* Like systemd's path_startswith(): component by component, both absolute. */
        if (path[0] != '/' || root[0] != '/')
                return path;
        for (;;) {
                p += strspn(p, "/");
                q += strspn(q, "/");
                size_t m = strcspn(p, "/"), n = strcspn(q, "/");
                if (n == 0)
                        break;
                if (m != n || memcmp(p, q, n) != 0)
                        return path;
                p += m;
                q += n;
        }
        if (*p == 0)
                return "/";
        return p - 1; /* the '/' before the first component below root */
}
