/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctl-core.h"
#include "ctl-debug.h"
#include "ctl-entry.h"
#include "ctl-groups.h"
#include "ctl-info.h"
#include "ctl-json.h"
#include "ctl-list.h"
#include "ctl-match.h"
#include "ctl-metrics.h"
#include "ctl-pager.h"
#include "ctl-size.h"
#include "ctl-source.h"
#include "ctl-text.h"
#include "ctl-time.h"
#include "ctl-usage.h"
#include "ctl-verbs.h"

static void log_msg(const char *format, ...) _printf_(1, 2);
static void log_msg(const char *format, ...) {
        va_list ap;

        (void) fflush(stdout);
        fputs("corejournalctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* Logs and returns r, for "return log_error_errno(r, …)". */
static int log_errno(int r, const char *format, ...) _printf_(2, 3);
static int log_errno(int r, const char *format, ...) {
        va_list ap;

        (void) fflush(stdout);
        fputs("corejournalctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return r;
}

/* Set by open_journal() when some journal files of the source may not be read: "nothing found"
 * is then not a fact about the journal. */
static bool journal_files_denied = false;

static int not_found(const CtlArgs *a) {
        if (journal_files_denied)
                return log_errno(-EACCES, "permission denied: no matching crash in the journal files you may read");
        if (!a->quiet)
                log_msg("No coredumps found.");
        return -ESRCH;
}

static void pager_finishp(CtlPager *p) {
        ctl_pager_finish(p);
}

static int start_pager(const CtlArgs *a, CtlPager *p) {
        int r;

        *p = (CtlPager) {};
        if (!a->pager)
                return 0;
        r = ctl_pager_start(p);
        if (r < 0)
                log_msg("cannot start the pager, printing directly: %s", strerror(-r));
        return 0;
}

/* Tells "not allowed" from "nothing there" (sd-journal skips the files it may not read): with no
 * readable file, or no matching record in the readable ones while others are refused, -EACCES and
 * one line; with matching records in the readable ones, one line saying what is left out. */
static int check_access(const CtlArgs *a, sd_journal *j, const CtlAccess *access) {
        char others[64] = "";
        int r;

        journal_files_denied = access->denied > 0;
        if (access->denied > 1)
                (void) snprintf(others, sizeof(others), " and %zu other journal file%s", access->denied - 1,
                                access->denied > 2 ? "s" : "");
        if (access->readable == 0 && access->denied > 0)
                return log_errno(-EACCES, "permission denied: cannot read %s%s (run as root or as a member of the systemd-journal group)",
                                 access->denied_path, others);
        if (access->denied > 0) {
                r = sd_journal_next(j);
                if (r < 0)
                        return log_errno(r, "cannot read the journal: %s", strerror(-r));
                if (r == 0)
                        return log_errno(-EACCES, "permission denied: no matching crash in the journal files you may read; "
                                         "cannot read %s%s (run as root or as a member of the systemd-journal group)",
                                         access->denied_path, others);
                (void) sd_journal_seek_head(j);
                if (!a->quiet) {
                        /* Unprivileged, the readable files are usually just the user's own journal. */
                        bool own = geteuid() != 0 && access->readable_own == access->readable;
                        log_msg("%s: cannot read %s%s (root and members of the systemd-journal group see all crashes)",
                                own ? "showing only your own crashes" : "showing only the crashes in the journal files you may read",
                                access->denied_path, others);
                }
        }
        if (access->readable == 0 && access->denied == 0 && !a->quiet && a->source != CTL_SOURCE_FILES)
                log_msg("No journal files were found.");
        return 0;
}

/* Opens the source, adds the match rules, and tells "not allowed" from "nothing there". */
static int open_journal(const CtlArgs *a, sd_journal **ret) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_(strv_freep) char **matches = NULL;
        char error[CTL_ERROR_MAX], cwd[4096];
        CtlSource s = {
                .kind = a->source,
                .namespace_ = a->namespace_,
                .directory = a->directory,
                .files = a->files,
                .all = a->all,
        };
        CtlAccess access = {};
        size_t bad = 0;
        int r;

        r = ctl_source_open(&s, &j, error);
        if (r == -ENOMEM)
                return log_errno(r, "out of memory");
        if (r < 0)
                return log_errno(r, "%s", error);

        r = ctl_match_build(a->matches, getcwd(cwd, sizeof(cwd)), &matches, &bad);
        if (r == -EINVAL)
                return log_errno(r, "invalid match '%s'", a->matches[bad]);
        if (r < 0)
                return log_errno(r, "out of memory");
        r = ctl_match_apply(j, matches);
        if (r < 0)
                return log_errno(r, "cannot add the matches: %s", strerror(-r));

        r = ctl_source_check_access(&s, &access);
        if (r < 0)
                return log_errno(r, "out of memory");
        r = check_access(a, j, &access);
        ctl_access_done(&access);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(j);
        return 0;
}

static void probe_record(const ExportRecord *r, CtlFileProbe *probe, const CtlFileProbe **ret) {
        const char *path = export_record_get_string(r, "COREDUMP_FILENAME");
        /* A file named by another machine's record is not looked at here. */
        if (path && !ctl_record_core_elsewhere(r)) {
                ctl_file_probe(path, probe);
                *ret = probe;
        } else
                *ret = NULL;
}

static int print_json(const CtlArgs *a, FILE *f, json_object *o) {
        int r = ctl_json_print(f, o, a->json);
        return r < 0 ? log_errno(r, "cannot write output: %s", strerror(-r)) : 0;
}

/* Appends o to array, which takes it over; o is freed when it cannot be added. Returns 0, or
 * -ENOMEM (also for a NULL o, a failed allocation upstream). */
static int json_array_take(json_object *array, json_object *o) {
        if (!o)
                return -ENOMEM;
        if (json_object_array_add(array, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        return 0;
}

/* -F FIELD: every value of the field in every matching record. */
static int verb_field(const CtlArgs *a, sd_journal *j) {
        _cleanup_(json_object_putp) json_object *array = json_object_new_array();
        _cleanup_(pager_finishp) CtlPager pager = {};
        CtlWalk w;
        uint64_t n = 0;
        int r;

        if (!array)
                return log_errno(-ENOMEM, "out of memory");
        (void) start_pager(a, &pager);
        ctl_walk_init(&w, j, a->reverse, a->since, a->until, a->rows_max);
        while ((r = ctl_walk_next(&w)) > 0) {
                _cleanup_(export_record_freep) ExportRecord *values = NULL;
                n++;
                r = export_record_new(&values);
                if (r < 0)
                        return log_errno(r, "out of memory");
                r = ctl_entry_read_values(j, a->field, values);
                if (r == -EINVAL)
                        return log_errno(r, "invalid field name '%s'", a->field);
                if (r < 0)
                        return log_errno(r, "cannot read the journal: %s", strerror(-r));
                for (size_t i = 0; i < values->n_fields; i++) {
                        if (a->json) {
                                if (json_array_take(array, ctl_json_string(values->fields[i].value, values->fields[i].size)) < 0)
                                        return log_errno(-ENOMEM, "out of memory");
                        } else {
                                fwrite(values->fields[i].value, 1, values->fields[i].size, stdout);
                                fputc('\n', stdout);
                        }
                }
        }
        if (r < 0)
                return log_errno(r, "cannot read the journal: %s", strerror(-r));
        if (n == 0)
                return not_found(a);
        if (a->json)
                return print_json(a, stdout, array);
        return 0;
}

static int verb_list(const CtlArgs *a, sd_journal *j) {
        _cleanup_(json_object_putp) json_object *array = json_object_new_array();
        _cleanup_(pager_finishp) CtlPager pager = {};
        CtlTable t;
        CtlWalk w;
        int r;

        if (!array)
                return log_errno(-ENOMEM, "out of memory");
        ctl_list_table_init(&t);
        ctl_walk_init(&w, j, a->reverse, a->since, a->until, a->rows_max);
        while ((r = ctl_walk_next(&w)) > 0) {
                _cleanup_(export_record_freep) ExportRecord *rec = NULL;
                const CtlFileProbe *probe;
                CtlFileProbe p;

                r = ctl_entry_read(j, ctl_fields_list, &rec);
                if (r < 0)
                        break;
                probe_record(rec, &p, &probe);
                if (a->json) {
                        json_object *row = NULL;
                        r = ctl_json_list_row(rec, probe, &row);
                        if (r >= 0)
                                r = json_array_take(array, row);
                } else
                        r = ctl_list_add_record(&t, rec, probe);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                ctl_table_done(&t);
                return log_errno(r, "cannot read the journal: %s", strerror(-r));
        }
        if (w.n == 0) {
                ctl_table_done(&t);
                return not_found(a);
        }
        (void) start_pager(a, &pager);
        if (a->json)
                r = print_json(a, stdout, array);
        else {
                r = ctl_table_print(&t, stdout, a->legend);
                if (r < 0)
                        r = log_errno(r, "cannot write output: %s", strerror(-r));
        }
        ctl_table_done(&t);
        return r;
}

static int verb_info(const CtlArgs *a, sd_journal *j, uint64_t now) {
        _cleanup_(json_object_putp) json_object *array = json_object_new_array();
        _cleanup_(pager_finishp) CtlPager pager = {};
        CtlWalk w;
        int r;

        if (!array)
                return log_errno(-ENOMEM, "out of memory");
        (void) start_pager(a, &pager);
        ctl_walk_init(&w, j, a->reverse, a->since, a->until, a->rows_max);
        while ((r = ctl_walk_next(&w)) > 0) {
                _cleanup_(export_record_freep) ExportRecord *rec = NULL;
                const CtlFileProbe *probe;
                CtlFileProbe p;

                r = ctl_entry_read(j, ctl_fields_info, &rec);
                if (r < 0)
                        break;
                probe_record(rec, &p, &probe);
                if (a->json) {
                        json_object *o = NULL;
                        r = ctl_json_info(rec, probe, &o);
                        if (r >= 0)
                                r = json_array_take(array, o);
                } else {
                        if (w.n > 1)
                                fputc('\n', stdout);
                        r = ctl_info_print(stdout, rec, probe, now);
                }
                if (r < 0)
                        break;
        }
        if (r < 0)
                return log_errno(r, "cannot read the journal: %s", strerror(-r));
        if (w.n == 0)
                return not_found(a);
        if (a->json)
                return print_json(a, stdout, array);
        return 0;
}

/* The newest matching record in range, for dump and debug. */
static int focus(const CtlArgs *a, sd_journal *j, CtlWalk *w, ExportRecord **ret) {
        int r;

        ctl_walk_init(w, j, true, a->since, a->until, 1);
        r = ctl_walk_next(w);
        if (r < 0)
                return log_errno(r, "cannot read the journal: %s", strerror(-r));
        if (r == 0)
                return not_found(a);
        r = ctl_entry_read(j, ctl_fields_info, ret);
        if (r < 0)
                return log_errno(r, "cannot read the journal: %s", strerror(-r));
        return 0;
}

static int describe(const CtlArgs *a, FILE *f, const ExportRecord *rec, uint64_t now) {
        const CtlFileProbe *probe;
        CtlFileProbe p;
        int r;

        probe_record(rec, &p, &probe);
        if (a->json) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                r = ctl_json_info(rec, probe, &o);
                if (r < 0)
                        return log_errno(r, "out of memory");
                return print_json(a, f, o);
        }
        r = ctl_info_print(f, rec, probe, now);
        return r < 0 ? log_errno(r, "cannot write output: %s", strerror(-r)) : 0;
}

static void more_matches_notice(const CtlArgs *a, CtlWalk *w) {
        w->max = UINT64_MAX;
        if (!a->quiet && ctl_walk_has_more(w) > 0)
                log_msg("More than one entry matches, ignoring rest.");
}

static int verb_dump(const CtlArgs *a, sd_journal *j, uint64_t now) {
        _cleanup_(export_record_freep) ExportRecord *rec = NULL;
        _cleanup_(closep) int fd = -EBADF;
        char error[CTL_ERROR_MAX];
        CtlWalk w;
        int r;

        if (!a->output && isatty(STDOUT_FILENO))
                return log_errno(-ENOTTY, "refusing to write a core to a terminal (redirect stdout or use --output=FILE)");
        r = focus(a, j, &w, &rec);
        if (r < 0)
                return r;
        if (a->output) {
                /* Cores hold a process's memory: readable by the caller only. */
                fd = open(a->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
                if (fd < 0)
                        return log_errno(-errno, "cannot open %s for writing: %s", a->output, strerror(errno));
        }
        r = describe(a, a->output ? stdout : stderr, rec, now);
        if (r < 0)
                return r;
        r = ctl_core_write(j, rec, a->output ? fd : STDOUT_FILENO, error);
        if (r < 0) {
                if (a->output)
                        (void) unlink(a->output);
                return log_errno(r, "%s", error);
        }
        more_matches_notice(a, &w);
        return 0;
}

static int verb_debug(const CtlArgs *a, sd_journal *j, uint64_t now) {
        _cleanup_(export_record_freep) ExportRecord *rec = NULL;
        _cleanup_(strv_freep) char **argv = NULL;
        _cleanup_(freep) char *core = NULL;
        const char *debugger = ctl_debug_pick_debugger(a->debugger), *exe, *tmpdir = getenv("TMPDIR");
        char error[CTL_ERROR_MAX];
        bool temporary = false;
        CtlWalk w;
        int r;

        r = focus(a, j, &w, &rec);
        if (r < 0)
                return r;
        if (!a->quiet) {
                r = describe(a, stdout, rec, now);
                if (r < 0)
                        return r;
                fputc('\n', stdout);
        }
        exe = export_record_get_string(rec, "COREDUMP_EXE");
        if (!exe)
                return log_errno(-ENOENT, "the record names no executable (COREDUMP_EXE)");
        r = ctl_debug_check_exe(exe);
        if (r < 0)
                return log_errno(r, "%s", strchr(exe, '/') == exe ? "Binary already deleted." : "Binary is not an absolute path.");

        if (!tmpdir || tmpdir[0] != '/')
                tmpdir = "/var/tmp";
        r = ctl_core_materialize(j, rec, tmpdir, &core, &temporary, error);
        if (r < 0)
                return log_errno(r, "%s", error);
        r = ctl_debug_argv(debugger, a->debugger_args, exe, core, &argv);
        if (r >= 0)
                r = ctl_debug_run(argv);
        if (temporary)
                (void) unlink(core);
        if (r == -ENOMEM)
                return log_errno(r, "out of memory");
        if (r < 0)
                return log_errno(r, "cannot run %s: %s", debugger, strerror(-r));
        if (r > 0)
                return log_errno(-EPROTO, "%s exited with status %d", debugger, r);
        return 0;
}

static int verb_groups(const CtlArgs *a, sd_journal *j) {
        static const char *const headers[] = { "COUNT", "FIRST SEEN", "LAST SEEN", "SIGNATURE", "EXE", "SIGNALS", "TOP FRAMES" };
        static const bool right[] = { true, false, false, false, false, false, false };
        _cleanup_(json_object_putp) json_object *array = json_object_new_array();
        _cleanup_(pager_finishp) CtlPager pager = {};
        CtlGroups g = {};
        CtlTable t;
        CtlWalk w;
        int r;

        if (!array)
                return log_errno(-ENOMEM, "out of memory");
        ctl_walk_init(&w, j, false, a->since, a->until, UINT64_MAX);
        while ((r = ctl_walk_next(&w)) > 0) {
                _cleanup_(export_record_freep) ExportRecord *rec = NULL;
                r = ctl_entry_read(j, ctl_fields_groups, &rec);
                if (r < 0)
                        break;
                r = ctl_groups_add(&g, rec);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                ctl_groups_done(&g);
                return log_errno(r, "cannot read the journal: %s", strerror(-r));
        }
        if (g.records == 0) {
                ctl_groups_done(&g);
                return not_found(a);
        }
        if (g.ungrouped > 0 && !a->quiet)
                log_msg("%" PRIu64 " records were not grouped: more than %d groups", g.ungrouped, CTL_GROUPS_MAX);
        ctl_groups_sort(&g);
        ctl_table_init(&t, ELEMENTSOF(headers), headers, right);
        size_t shown = g.n;
        if (a->rows_max != UINT64_MAX && a->rows_max < shown)
                shown = (size_t) a->rows_max;
        for (size_t i = 0; i < shown && r >= 0; i++) {
                const CtlGroup *grp = &g.groups[i];
                if (a->json) {
                        json_object *o = json_object_new_object(), *exes = json_object_new_array(),
                                    *sigs = json_object_new_array(), *frames = grp->top_frames ? json_object_new_array() : NULL;
                        for (size_t k = 0; k < grp->n_executables && exes; k++)
                                (void) json_object_array_add(exes, ctl_json_string(grp->executables[k], strlen(grp->executables[k])));
                        for (size_t k = 0; k < grp->n_signals && sigs; k++)
                                (void) json_object_array_add(sigs, ctl_json_string(grp->signals[k], strlen(grp->signals[k])));
                        for (size_t k = 0; frames && grp->top_frames[k]; k++)
                                (void) json_object_array_add(frames, json_object_new_string(grp->top_frames[k]));
                        if (!o) {
                                json_object_put(exes);
                                json_object_put(sigs);
                                json_object_put(frames);
                                r = -ENOMEM;
                                break;
                        }
                        json_object_object_add(o, "signature", grp->signature ? ctl_json_string(grp->signature, strlen(grp->signature)) : NULL);
                        json_object_object_add(o, "executable", grp->executable ? ctl_json_string(grp->executable, strlen(grp->executable)) : NULL);
                        json_object_object_add(o, "count", json_object_new_uint64(grp->count));
                        json_object_object_add(o, "first_seen", json_object_new_uint64(grp->first_seen));
                        json_object_object_add(o, "last_seen", json_object_new_uint64(grp->last_seen));
                        json_object_object_add(o, "executables", exes);
                        json_object_object_add(o, "more_executables", json_object_new_boolean(grp->more_executables));
                        json_object_object_add(o, "signals", sigs);
                        json_object_object_add(o, "top_frames", frames);
                        json_object_object_add(o, "latest_pid", grp->latest_pid ? json_object_new_uint64(grp->latest_pid) : NULL);
                        json_object_object_add(o, "latest_cursor", grp->latest_cursor ? json_object_new_string(grp->latest_cursor) : NULL);
                        r = json_array_take(array, o);
                        continue;
                }

                char count[32], first[CTL_TIME_STRING_MAX], last[CTL_TIME_STRING_MAX];
                _cleanup_(freep) char *exes = NULL, *sigs = NULL, *frames = NULL;
                size_t len = 0;
                FILE *m;

                (void) snprintf(count, sizeof(count), "%" PRIu64, grp->count);
                if ((m = open_memstream(&exes, &len))) {
                        for (size_t k = 0; k < grp->n_executables; k++)
                                fprintf(m, "%s%s", k ? ", " : "", grp->executables[k]);
                        if (grp->more_executables)
                                fputs(", …", m);
                        fclose(m);
                }
                if ((m = open_memstream(&sigs, &len))) {
                        for (size_t k = 0; k < grp->n_signals; k++)
                                fprintf(m, "%s%s", k ? "," : "", grp->signals[k]);
                        fclose(m);
                }
                if (grp->top_frames && (m = open_memstream(&frames, &len))) {
                        for (size_t k = 0; grp->top_frames[k]; k++)
                                fprintf(m, "%s%s", k ? " < " : "", grp->top_frames[k]);
                        fclose(m);
                }
                const char *cells[] = {
                        count, ctl_time_format(grp->first_seen, first), ctl_time_format(grp->last_seen, last),
                        grp->signature, exes, sigs, frames,
                };
                r = ctl_table_add_row(&t, cells);
        }
        if (r >= 0) {
                (void) start_pager(a, &pager);
                if (a->json)
                        r = print_json(a, stdout, array);
                else {
                        r = ctl_table_print(&t, stdout, a->legend);
                        if (r < 0)
                                r = log_errno(r, "cannot write output: %s", strerror(-r));
                }
        } else
                r = log_errno(r, "out of memory");
        ctl_table_done(&t);
        ctl_groups_done(&g);
        return r;
}

static int open_storage(const CtlArgs *a, int *ret_fd) {
        int fd = open(a->storage_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                if (e == EACCES || e == EPERM)
                        return log_errno(-e, "permission denied: cannot read the storage directory %s", a->storage_dir);
                return log_errno(-e, "cannot open the storage directory %s: %s", a->storage_dir, strerror(e));
        }
        *ret_fd = fd;
        return 0;
}

static int scan_storage(const CtlArgs *a, int fd, CtlStorage *s) {
        int r = ctl_storage_scan(fd, s);
        if (r == -EACCES || r == -EPERM)
                return log_errno(r, "permission denied: cannot list the storage directory %s", a->storage_dir);
        if (r < 0)
                return log_errno(r, "cannot list the storage directory %s: %s", a->storage_dir, strerror(-r));
        if (s->entries_limit && !a->quiet)
                log_msg("only the first %d entries of %s were looked at", CTL_STORAGE_ENTRIES_MAX, a->storage_dir);
        return 0;
}

static int verb_disk_usage(const CtlArgs *a) {
        _cleanup_(closep) int fd = -EBADF;
        char b1[CTL_SIZE_STRING_MAX], b2[CTL_SIZE_STRING_MAX], b3[CTL_SIZE_STRING_MAX], b4[CTL_SIZE_STRING_MAX];
        uint64_t max_use, keep_free;
        CtlStorage s = {};
        int r;

        r = open_storage(a, &fd);
        if (r < 0)
                return r;
        r = scan_storage(a, fd, &s);
        if (r < 0)
                return r;
        ctl_storage_limits(s.fs_size, a->max_use, a->keep_free, &max_use, &keep_free);
        bool needed = ctl_storage_vacuum_needed(&s, max_use, keep_free);
        if (a->json) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();
                if (!o) {
                        ctl_storage_done(&s);
                        return log_errno(-ENOMEM, "out of memory");
                }
                json_object_object_add(o, "directory", ctl_json_string(a->storage_dir, strlen(a->storage_dir)));
                json_object_object_add(o, "files", json_object_new_uint64(s.n));
                json_object_object_add(o, "disk_bytes", json_object_new_uint64(s.disk_bytes));
                json_object_object_add(o, "apparent_bytes", json_object_new_uint64(s.size));
                json_object_object_add(o, "max_use", json_object_new_uint64(max_use));
                json_object_object_add(o, "keep_free", json_object_new_uint64(keep_free));
                json_object_object_add(o, "fs_size", json_object_new_uint64(s.fs_size));
                json_object_object_add(o, "fs_free", s.fs_free != UINT64_MAX ? json_object_new_uint64(s.fs_free) : NULL);
                json_object_object_add(o, "vacuum_needed", json_object_new_boolean(needed));
                json_object_object_add(o, "entries_limit", json_object_new_boolean(s.entries_limit));
                r = print_json(a, stdout, o);
        } else {
                printf("Core files take up %s on disk (%s apparent) in %zu file%s in %s.\n", ctl_size_format(s.disk_bytes, b1),
                       ctl_size_format(s.size, b2), s.n, s.n == 1 ? "" : "s", a->storage_dir);
                printf("MaxUse=%s KeepFree=%s; the file system has %s free of %s; vacuum %s.\n",
                       max_use ? ctl_size_format(max_use, b1) : "off", keep_free ? ctl_size_format(keep_free, b2) : "off",
                       s.fs_free != UINT64_MAX ? ctl_size_format(s.fs_free, b3) : "?", ctl_size_format(s.fs_size, b4),
                       needed ? "needed" : "not needed");
        }
        ctl_storage_done(&s);
        return r;
}

static int verb_vacuum(const CtlArgs *a) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) size_t *removed = NULL;
        char b1[CTL_SIZE_STRING_MAX], b2[CTL_SIZE_STRING_MAX], b3[CTL_SIZE_STRING_MAX], b4[CTL_SIZE_STRING_MAX];
        uint64_t max_use, keep_free, freed = 0;
        size_t n_removed = 0;
        CtlStorage s = {};
        int r, k;

        r = open_storage(a, &fd);
        if (r < 0)
                return r;
        r = scan_storage(a, fd, &s);
        if (r < 0)
                return r;
        ctl_storage_limits(s.fs_size, a->max_use, a->keep_free, &max_use, &keep_free);
        k = ctl_storage_vacuum(fd, &s, max_use, keep_free, a->dry_run, &removed, &n_removed);
        for (size_t i = 0; i < n_removed; i++)
                freed += s.files[removed[i]].disk_bytes;
        bool satisfied = !ctl_storage_vacuum_needed(&s, max_use, keep_free);

        if (a->json) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();
                json_object *list = json_object_new_array();
                if (!o || !list) {
                        json_object_put(list);
                        ctl_storage_done(&s);
                        return log_errno(-ENOMEM, "out of memory");
                }
                for (size_t i = 0; i < n_removed; i++) {
                        const CtlCoreFile *f = &s.files[removed[i]];
                        json_object *e = json_object_new_object();
                        if (!e)
                                break;
                        json_object_object_add(e, "name", ctl_json_string(f->name, strlen(f->name)));
                        json_object_object_add(e, "uid", json_object_new_uint64(f->uid));
                        json_object_object_add(e, "disk_bytes", json_object_new_uint64(f->disk_bytes));
                        json_object_object_add(e, "mtime", json_object_new_uint64(f->mtime_usec));
                        json_object_array_add(list, e);
                }
                json_object_object_add(o, "directory", ctl_json_string(a->storage_dir, strlen(a->storage_dir)));
                json_object_object_add(o, "dry_run", json_object_new_boolean(a->dry_run));
                json_object_object_add(o, "removed", list);
                json_object_object_add(o, "freed_bytes", json_object_new_uint64(freed));
                json_object_object_add(o, "files", json_object_new_uint64(s.n - n_removed));
                json_object_object_add(o, "disk_bytes", json_object_new_uint64(s.disk_bytes));
                json_object_object_add(o, "max_use", json_object_new_uint64(max_use));
                json_object_object_add(o, "keep_free", json_object_new_uint64(keep_free));
                json_object_object_add(o, "fs_free", s.fs_free != UINT64_MAX ? json_object_new_uint64(s.fs_free) : NULL);
                json_object_object_add(o, "satisfied", json_object_new_boolean(satisfied));
                r = print_json(a, stdout, o);
        } else {
                for (size_t i = 0; i < n_removed; i++)
                        printf("%s %s (%s)\n", a->dry_run ? "Would remove" : "Removed", s.files[removed[i]].name,
                               ctl_size_format(s.files[removed[i]].disk_bytes, b1));
                printf("%s %s; core files %s take %s (MaxUse=%s KeepFree=%s).\n", a->dry_run ? "Would free" : "Freed",
                       ctl_size_format(freed, b1), a->dry_run ? "would" : "now", ctl_size_format(s.disk_bytes, b2),
                       max_use ? ctl_size_format(max_use, b3) : "off", keep_free ? ctl_size_format(keep_free, b4) : "off");
        }
        if (k < 0)
                r = log_errno(k, "cannot remove a core file from %s: %s", a->storage_dir, strerror(-k));
        else if (!satisfied && !a->quiet)
                log_msg("the limits cannot be met by removing core files alone");
        ctl_storage_done(&s);
        return r;
}

static int verb_metrics(const CtlArgs *a, sd_journal *j) {
        CtlMetrics m = {};
        CtlWalk w;
        int r, fd;

        ctl_walk_init(&w, j, false, a->since, a->until, UINT64_MAX);
        while ((r = ctl_walk_next(&w)) > 0) {
                _cleanup_(export_record_freep) ExportRecord *rec = NULL;
                r = ctl_entry_read(j, ctl_fields_metrics, &rec);
                if (r < 0)
                        break;
                r = ctl_metrics_add(&m, rec);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                ctl_metrics_done(&m);
                return log_errno(r, "cannot read the journal: %s", strerror(-r));
        }
        /* The storage directory is optional here: metrics work without access to it. */
        fd = open(a->storage_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                CtlStorage s = {};
                if (ctl_storage_scan(fd, &s) >= 0) {
                        m.storage_known = true;
                        m.storage_bytes = s.disk_bytes;
                        m.storage_files = s.n;
                        ctl_storage_done(&s);
                }
                (void) close(fd);
        }
        if (a->json) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                r = ctl_metrics_to_json(&m, &o);
                ctl_metrics_done(&m);
                if (r < 0)
                        return log_errno(r, "out of memory");
                return print_json(a, stdout, o);
        }
        r = ctl_metrics_write(&m, stdout);
        ctl_metrics_done(&m);
        if (r < 0)
                return log_errno(r, "cannot write output: %s", strerror(-r));
        return 0;
}

int ctl_verbs_run(const CtlArgs *a, uint64_t now) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        int r;

        switch (a->verb) {
        case CTL_VERB_HELP:
                fputs(ctl_args_help(), stdout);
                return 0;
        case CTL_VERB_DISK_USAGE:
                return verb_disk_usage(a);
        case CTL_VERB_VACUUM:
                return verb_vacuum(a);
        default:
                break;
        }

        r = open_journal(a, &j);
        if (r < 0)
                return r;
        switch (a->verb) {
        case CTL_VERB_LIST:
                return a->field ? verb_field(a, j) : verb_list(a, j);
        case CTL_VERB_INFO:
                return a->field ? verb_field(a, j) : verb_info(a, j, now);
        case CTL_VERB_DUMP:
                return verb_dump(a, j, now);
        case CTL_VERB_DEBUG:
                return verb_debug(a, j, now);
        case CTL_VERB_GROUPS:
                return verb_groups(a, j);
        case CTL_VERB_METRICS:
                return verb_metrics(a, j);
        default:
                return -EINVAL;
        }
}
