/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ctl-groups.h"
#include "ctl-json.h"
#include "ctl-limits.h"
#include "ctl-record.h"
#include "ctl-text.h"

static void group_done(CtlGroup *g) {
        free(g->signature);
        free(g->executable);
        for (size_t i = 0; i < g->n_executables; i++)
                free(g->executables[i]);
        free(g->executables);
        for (size_t i = 0; i < g->n_signals; i++)
                free(g->signals[i]);
        free(g->signals);
        strv_free(g->top_frames);
        free(g->latest_cursor);
}

void ctl_groups_done(CtlGroups *g) {
        for (size_t i = 0; i < g->n; i++) {
                group_done(&g->groups[i]);
                free(g->keys[i]);
        }
        free(g->groups);
        free(g->keys);
        ctl_index_done(&g->index);
        *g = (CtlGroups) {};
}

/* Adds value to a small distinct list unless present; false in *full when there was no room. */
static int distinct_add(char ***list, size_t *n, const char *value, bool *full) {
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*list)[i], value) == 0)
                        return 0;
        if (*n >= CTL_GROUP_EXECUTABLES_MAX) {
                if (full)
                        *full = true;
                return 0;
        }
        char **l = realloc(*list, (*n + 1) * sizeof(char *));
        if (!l)
                return -ENOMEM;
        *list = l;
        l[*n] = strdup(value);
        if (!l[*n])
                return -ENOMEM;
        (*n)++;
        return 0;
}

static const char *frame_text(json_object *frame, char *buf, size_t size) {
        static const char *const names[] = { "function", "symbol", "name" };
        json_object *v, *off;

        if (json_object_is_type(frame, json_type_string))
                return json_object_get_string(frame);
        if (!json_object_is_type(frame, json_type_object))
                return "??";
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (json_object_object_get_ex(frame, names[i], &v) && json_object_is_type(v, json_type_string) &&
                    json_object_get_string_len(v) > 0)
                        return json_object_get_string(v);
        if (json_object_object_get_ex(frame, "module", &v) && json_object_is_type(v, json_type_string) &&
            json_object_object_get_ex(frame, "offset", &off)) {
                uint64_t o;
                if (json_object_is_type(off, json_type_int))
                        o = json_object_get_uint64(off);
                else if (!json_object_is_type(off, json_type_string) ||
                         sscanf(json_object_get_string(off), "%" SCNx64, &o) != 1) /* "0x…" strings */
                        return "??";
                (void) snprintf(buf, size, "%s+0x%" PRIx64, json_object_get_string(v), o);
                return buf;
        }
        return "??";
}

static json_object *pick_frames(json_object *root, uint64_t tid) {
        json_object *threads, *frames, *v;

        if (json_object_is_type(root, json_type_array))
                return root;
        if (!json_object_is_type(root, json_type_object))
                return NULL;
        if (json_object_object_get_ex(root, "threads", &threads) && json_object_is_type(threads, json_type_array)) {
                size_t n = json_object_array_length(threads);
                json_object *chosen = NULL;

                for (size_t i = 0; i < n && !chosen; i++) {
                        json_object *t = json_object_array_get_idx(threads, i);
                        if ((json_object_object_get_ex(t, "crashing", &v) || json_object_object_get_ex(t, "crashed", &v)) &&
                            json_object_get_boolean(v))
                                chosen = t;
                }
                for (size_t i = 0; i < n && !chosen && tid > 0; i++) {
                        json_object *t = json_object_array_get_idx(threads, i);
                        if (json_object_object_get_ex(t, "tid", &v) && json_object_is_type(v, json_type_int) &&
                            json_object_get_uint64(v) == tid)
                                chosen = t;
                }
                if (!chosen && n > 0)
                        chosen = json_object_array_get_idx(threads, 0);
                root = chosen;
                if (!root)
                        return NULL;
        }
        if ((json_object_object_get_ex(root, "frames", &frames) || json_object_object_get_ex(root, "stack", &frames)) &&
            json_object_is_type(frames, json_type_array))
                return frames;
        return NULL;
}

int ctl_groups_top_frames(const char *json, size_t size, uint64_t tid, size_t max, char ***ret) {
        _cleanup_(json_object_putp) json_object *root = ctl_json_parse(json, size);
        _cleanup_(strv_freep) char **l = NULL;
        json_object *frames;
        size_t n;

        *ret = NULL;
        if (!root)
                return 0;
        frames = pick_frames(root, tid);
        if (!frames)
                return 0;
        n = json_object_array_length(frames);
        if (n > max)
                n = max;
        if (n == 0)
                return 0;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char buf[256];
                const char *t = frame_text(json_object_array_get_idx(frames, i), buf, sizeof(buf));
                int r = ctl_text_sanitize(t, strlen(t), CTL_TEXT_ESCAPE_CONTROL | CTL_TEXT_ESCAPE_NEWLINE, &l[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int ctl_groups_add(CtlGroups *g, const ExportRecord *r) {
        const char *signature = export_record_get_string(r, "COREJOURNAL_SIGNATURE");
        const char *exe = ctl_record_exe(r);
        uint64_t t = ctl_record_time(r), pid = 0, tid = 0;
        _cleanup_(freep) char *key = NULL;
        char sig_buf[16];
        CtlGroup *grp;
        size_t i;
        int k;

        if (signature && !*signature)
                signature = NULL;
        if (!exe)
                exe = "unknown";
        if (asprintf(&key, "%c:%s", signature ? 's' : 'e', signature ? signature : exe) < 0)
                return -ENOMEM;

        g->records++;
        i = ctl_index_find(&g->index, (const char *const *) g->keys, key);
        if (i == (size_t) -1) {
                if (g->n >= CTL_GROUPS_MAX) {
                        g->ungrouped++;
                        return 0;
                }
                if (g->n == g->allocated) {
                        size_t a = g->allocated ? g->allocated * 2 : 16;
                        CtlGroup *gs = reallocarray(g->groups, a, sizeof(CtlGroup));
                        if (!gs)
                                return -ENOMEM;
                        g->groups = gs;
                        char **ks = reallocarray(g->keys, a, sizeof(char *));
                        if (!ks)
                                return -ENOMEM;
                        g->keys = ks;
                        g->allocated = a;
                }
                grp = &g->groups[g->n];
                *grp = (CtlGroup) { .first_seen = t, .last_seen = t };
                if (signature ? !(grp->signature = strdup(signature)) : !(grp->executable = strdup(exe)))
                        return -ENOMEM;
                g->keys[g->n] = TAKE_PTR(key);
                i = g->n++;
                k = ctl_index_add(&g->index, (const char *const *) g->keys, i);
                if (k < 0)
                        return k;
        }
        grp = &g->groups[i];
        grp->count++;
        if (t < grp->first_seen)
                grp->first_seen = t;
        if (t >= grp->last_seen) {
                const char *cursor = export_record_get_string(r, "__CURSOR");
                grp->last_seen = t;
                free(grp->latest_cursor);
                grp->latest_cursor = cursor ? strdup(cursor) : NULL;
                grp->latest_pid = ctl_record_get_u64(r, "COREDUMP_PID", &pid) ? pid : 0;
        }
        k = distinct_add(&grp->executables, &grp->n_executables, exe, &grp->more_executables);
        if (k < 0)
                return k;
        const char *signal = ctl_record_signal_name(r, sig_buf);
        if (signal) {
                k = distinct_add(&grp->signals, &grp->n_signals, signal, NULL);
                if (k < 0)
                        return k;
        }

        const ExportField *bt = export_record_find(r, "COREJOURNAL_BACKTRACE_JSON");
        if (bt && (!grp->top_frames || t >= grp->top_frames_time)) {
                char **frames = NULL;
                (void) ctl_record_get_u64(r, "COREDUMP_TID", &tid);
                k = ctl_groups_top_frames((const char *) bt->value, bt->size, tid, CTL_GROUP_TOP_FRAMES, &frames);
                if (k < 0)
                        return k;
                if (frames) {
                        strv_free(grp->top_frames);
                        grp->top_frames = frames;
                        grp->top_frames_time = t;
                }
        }
        return 0;
}

static int group_compare(const void *a, const void *b, void *userdata) {
        const CtlGroup *x = a, *y = b;
        (void) userdata;

        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        if (x->last_seen != y->last_seen)
                return x->last_seen > y->last_seen ? -1 : 1;
        const char *kx = x->signature ? x->signature : x->executable, *ky = y->signature ? y->signature : y->executable;
        return strcmp(kx, ky);
}

void ctl_groups_sort(CtlGroups *g) {
        /* The index and keys no longer match after sorting; nothing is added afterwards. */
        qsort_r(g->groups, g->n, sizeof(CtlGroup), group_compare, NULL);
        ctl_index_done(&g->index);
}
