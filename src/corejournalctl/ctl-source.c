/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-id128.h>

#include "cleanup.h"
#include "ctl-source.h"

static const char *const journal_roots[] = { "/var/log/journal", "/run/log/journal" };

static int fail(char error[static CTL_ERROR_MAX], int r, const char *format, ...) _printf_(3, 4);
static int fail(char error[static CTL_ERROR_MAX], int r, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(error, CTL_ERROR_MAX, format, ap);
        va_end(ap);
        return r;
}

static bool has_glob_chars(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

static void globfreep(glob_t *g) {
        globfree(g);
}

/* The --file patterns expanded, each pattern's matches in sorted order. */
static int expand_files(const char *const *patterns, char ***ret, char error[static CTL_ERROR_MAX]) {
        _cleanup_(strv_freep) char **l = calloc(1, sizeof(char *));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; patterns && patterns[i]; i++) {
                _cleanup_(globfreep) glob_t g = {};
                int r = glob(patterns[i], 0, NULL, &g);

                if (r == GLOB_NOSPACE)
                        return -ENOMEM;
                if (r == GLOB_NOMATCH && !has_glob_chars(patterns[i])) {
                        /* A plain path: let sd-journal say what is wrong with it. */
                        char *s = strdup(patterns[i]);
                        char **m = s ? realloc(l, (n + 2) * sizeof(char *)) : NULL;
                        if (!m) {
                                free(s);
                                return -ENOMEM;
                        }
                        l = m;
                        l[n++] = s;
                        l[n] = NULL;
                        continue;
                }
                if (r != 0)
                        return fail(error, -ENOENT, "no journal files match '%s'", patterns[i]);
                for (size_t k = 0; k < g.gl_pathc; k++) {
                        if (n >= CTL_FILES_MAX)
                                return fail(error, -E2BIG, "--file= patterns match more than %d files", CTL_FILES_MAX);
                        char *s = strdup(g.gl_pathv[k]);
                        char **m = s ? realloc(l, (n + 2) * sizeof(char *)) : NULL;
                        if (!m) {
                                free(s);
                                return -ENOMEM;
                        }
                        l = m;
                        l[n++] = s;
                        l[n] = NULL;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int ctl_source_open(const CtlSource *s, sd_journal **ret, char error[static CTL_ERROR_MAX]) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        int r;

        error[0] = 0;
        switch (s->kind) {
        case CTL_SOURCE_SYSTEM:
                r = sd_journal_open(&j, s->all ? 0 : SD_JOURNAL_LOCAL_ONLY);
                if (r < 0)
                        return fail(error, r, "cannot open the system journal: %s", strerror(-r));
                break;
        case CTL_SOURCE_NAMESPACE: {
                const char *ns = s->namespace_;
                int flags = SD_JOURNAL_LOCAL_ONLY;

                if (strcmp(ns, "*") == 0) {
                        ns = NULL;
                        flags |= SD_JOURNAL_ALL_NAMESPACES;
                } else if (ns[0] == '+') {
                        ns++;
                        flags |= SD_JOURNAL_INCLUDE_DEFAULT_NAMESPACE;
                }
                r = sd_journal_open_namespace(&j, ns, flags);
                if (r < 0)
                        return fail(error, r, "cannot open the journal namespace '%s': %s", s->namespace_, strerror(-r));
                break;
        }
        case CTL_SOURCE_DIRECTORY:
                r = sd_journal_open_directory(&j, s->directory, 0);
                if (r == -EACCES || r == -EPERM)
                        return fail(error, r, "permission denied: cannot read the journal directory %s", s->directory);
                if (r < 0)
                        return fail(error, r, "cannot open the journal directory %s: %s", s->directory, strerror(-r));
                break;
        case CTL_SOURCE_FILES: {
                _cleanup_(strv_freep) char **paths = NULL;
                r = expand_files(s->files, &paths, error);
                if (r < 0)
                        return r;
                r = sd_journal_open_files(&j, (const char **) paths, 0);
                if (r == -EACCES || r == -EPERM)
                        return fail(error, r, "permission denied: cannot read the journal file%s %s%s", paths[1] ? "s" : "",
                                    paths[0], paths[1] ? ", …" : "");
                if (r < 0)
                        return fail(error, r, "cannot open the journal file%s %s%s: %s", paths[1] ? "s" : "",
                                    paths[0], paths[1] ? ", …" : "", strerror(-r));
                break;
        }
        default:
                return -EINVAL;
        }

        *ret = TAKE_PTR(j);
        return 0;
}

void ctl_access_done(CtlAccess *a) {
        free(a->denied_path);
        *a = (CtlAccess) {};
}

static bool is_privilege_error(int e) {
        return e == EACCES || e == EPERM;
}

static int note_denied(CtlAccess *a, const char *dir, const char *name) {
        a->denied++;
        if (a->denied_path)
                return 0;
        if (asprintf(&a->denied_path, "%s%s%s", dir, name ? "/" : "", name ? name : "") < 0) {
                a->denied_path = NULL;
                return -ENOMEM;
        }
        return 0;
}

static bool is_journal_file(const char *name) {
        size_t n = strlen(name);
        return (n > 8 && strcmp(name + n - 8, ".journal") == 0) || (n > 9 && strcmp(name + n - 9, ".journal~") == 0);
}

bool ctl_source_is_user_journal(const char *name, uid_t uid) {
        char prefix[32];
        size_t n;

        n = (size_t) snprintf(prefix, sizeof(prefix), "user-%u", (unsigned) uid);
        if (strncmp(name, prefix, n) != 0 || !is_journal_file(name))
                return false;
        return strcmp(name + n, ".journal") == 0 || name[n] == '@';
}

/* Looks at the journal files directly in path; with subdirs, also one level below. */
static int scan_dir(CtlAccess *a, const char *path, bool subdirs, size_t *budget) {
        _cleanup_(closep) int fd = -EBADF;
        DIR *d;
        struct dirent *de;
        int r = 0;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return is_privilege_error(errno) ? note_denied(a, path, NULL) : 0;
        d = fdopendir(fd);
        if (!d)
                return is_privilege_error(errno) ? note_denied(a, path, NULL) : 0;
        fd = -EBADF; /* owned by d now */

        while (r >= 0 && *budget > 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.' && (de->d_name[1] == 0 || (de->d_name[1] == '.' && de->d_name[2] == 0)))
                        continue;
                (*budget)--;
                if (is_journal_file(de->d_name)) {
                        if (faccessat(dirfd(d), de->d_name, R_OK, AT_EACCESS) >= 0) {
                                a->readable++;
                                if (ctl_source_is_user_journal(de->d_name, geteuid()))
                                        a->readable_own++;
                        }
                        else if (is_privilege_error(errno))
                                r = note_denied(a, path, de->d_name);
                        continue;
                }
                if (subdirs && (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)) {
                        _cleanup_(freep) char *sub = NULL;
                        if (asprintf(&sub, "%s/%s", path, de->d_name) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        r = scan_dir(a, sub, false, budget);
                }
        }
        closedir(d);
        return r;
}

/* The journal directories under /var/log/journal and /run/log/journal: "<machine>" (every machine
 * with all_machines) when with_default, "<machine>.<ns>" for the namespace ns, or every namespace
 * with all_namespaces. */
static int scan_roots(CtlAccess *a, const char *machine, const char *ns, bool all_machines, bool all_namespaces,
                      bool with_default, size_t *budget) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(journal_roots); i++) {
                DIR *d = opendir(journal_roots[i]);
                struct dirent *de;

                if (!d) {
                        if (is_privilege_error(errno)) {
                                r = note_denied(a, journal_roots[i], NULL);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }
                r = 0;
                while (r >= 0 && (de = readdir(d))) {
                        const char *name = de->d_name, *dot = strchr(name, '.');
                        size_t idlen = dot ? (size_t) (dot - name) : strlen(name);
                        bool ours = idlen == 32 && (all_machines || strncmp(name, machine, 32) == 0);
                        bool wanted;

                        if (!ours)
                                continue;
                        if (!dot)
                                wanted = with_default;
                        else if (all_namespaces)
                                wanted = true;
                        else
                                wanted = ns && strcmp(dot + 1, ns) == 0;
                        if (!wanted)
                                continue;

                        _cleanup_(freep) char *p = NULL;
                        if (asprintf(&p, "%s/%s", journal_roots[i], name) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        r = scan_dir(a, p, false, budget);
                }
                closedir(d);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ctl_source_check_access(const CtlSource *s, CtlAccess *ret) {
        CtlAccess a = {};
        size_t budget = CTL_ACCESS_FILES_MAX;
        char machine[33] = {};
        sd_id128_t id;
        int r = 0;

        if (sd_id128_get_machine(&id) >= 0)
                (void) sd_id128_to_string(id, machine);

        switch (s->kind) {
        case CTL_SOURCE_SYSTEM:
                r = scan_roots(&a, machine, NULL, s->all, false, true, &budget);
                break;
        case CTL_SOURCE_NAMESPACE: {
                const char *ns = s->namespace_;
                bool all = strcmp(ns, "*") == 0, with_default = all || ns[0] == '+';
                r = scan_roots(&a, machine, ns[0] == '+' ? ns + 1 : ns, false, all, with_default, &budget);
                break;
        }
        case CTL_SOURCE_DIRECTORY:
                r = scan_dir(&a, s->directory, true, &budget);
                break;
        case CTL_SOURCE_FILES: {
                char error[CTL_ERROR_MAX];
                _cleanup_(strv_freep) char **paths = NULL;
                if (expand_files(s->files, &paths, error) < 0)
                        break; /* ctl_source_open() reports it */
                for (size_t i = 0; paths[i] && r >= 0; i++) {
                        if (faccessat(AT_FDCWD, paths[i], R_OK, AT_EACCESS) >= 0) {
                                const char *slash = strrchr(paths[i], '/');
                                a.readable++;
                                if (ctl_source_is_user_journal(slash ? slash + 1 : paths[i], geteuid()))
                                        a.readable_own++;
                        } else if (is_privilege_error(errno))
                                r = note_denied(&a, paths[i], NULL);
                }
                break;
        }
        default:
                r = -EINVAL;
        }
        if (r < 0) {
                ctl_access_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}
