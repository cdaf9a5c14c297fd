/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ctl-json.h"
#include "ctl-limits.h"
#include "ctl-metrics.h"
#include "ctl-record.h"
#include "ctl-text.h"

static void counter_set_done(CtlCounterSet *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->labels[i]);
        free(s->labels);
        free(s->values);
        ctl_index_done(&s->index);
        *s = (CtlCounterSet) {};
}

void ctl_metrics_done(CtlMetrics *m) {
        counter_set_done(&m->by_executable);
        counter_set_done(&m->by_unit);
        counter_set_done(&m->by_signal);
        counter_set_done(&m->by_signature);
        counter_set_done(&m->not_stored);
        *m = (CtlMetrics) {};
}

/* The label value as kept: valid UTF-8 without NUL, cut at CTL_METRICS_LABEL_VALUE_MAX bytes. */
static int label_value(const void *value, size_t size, char **ret) {
        char *clean = NULL;
        int r;

        r = ctl_text_sanitize(value, size, 0, &clean);
        if (r < 0)
                return r;
        clean[ctl_text_utf8_prefix(clean, CTL_METRICS_LABEL_VALUE_MAX)] = 0;
        *ret = clean;
        return 0;
}

/* Escapes \, " and newline of a kept label value for the text format. */
static int escape_text(const char *clean, char **ret) {
        size_t n = strlen(clean), o = 0;
        char *out = malloc(n * 2 + 1);

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (clean[i] == '\\' || clean[i] == '"') {
                        out[o++] = '\\';
                        out[o++] = clean[i];
                } else if (clean[i] == '\n') {
                        out[o++] = '\\';
                        out[o++] = 'n';
                } else
                        out[o++] = clean[i];
        }
        out[o] = 0;
        *ret = out;
        return 0;
}

int ctl_metrics_escape_label(const void *value, size_t size, char **ret) {
        _cleanup_(freep) char *clean = NULL;
        int r;

        r = label_value(value, size, &clean);
        if (r < 0)
                return r;
        return escape_text(clean, ret);
}

/* Counts one under the label value (kept sanitized and cut, escaped only when written). */
static int counter_add(CtlCounterSet *s, const void *value, size_t size, uint64_t amount) {
        _cleanup_(freep) char *label = NULL;
        size_t i;
        int r;

        r = label_value(value, size, &label);
        if (r < 0)
                return r;
        i = ctl_index_find(&s->index, (const char *const *) s->labels, label);
        if (i == (size_t) -1) {
                if (s->n >= CTL_METRICS_SERIES_MAX) {
                        s->dropped++;
                        return 0;
                }
                if (s->n == s->allocated) {
                        size_t a = s->allocated ? s->allocated * 2 : 16;
                        char **l = reallocarray(s->labels, a, sizeof(char *));
                        if (!l)
                                return -ENOMEM;
                        s->labels = l;
                        uint64_t *v = reallocarray(s->values, a, sizeof(uint64_t));
                        if (!v)
                                return -ENOMEM;
                        s->values = v;
                        s->allocated = a;
                }
                s->labels[s->n] = TAKE_PTR(label);
                s->values[s->n] = 0;
                i = s->n++;
                r = ctl_index_add(&s->index, (const char *const *) s->labels, i);
                if (r < 0)
                        return r;
        }
        s->values[i] += amount;
        return 0;
}

static int counter_add_field(CtlCounterSet *s, const ExportRecord *rec, const char *name) {
        const ExportField *f = export_record_find(rec, name);
        return f && f->size > 0 ? counter_add(s, f->value, f->size, 1) : 0;
}

int ctl_metrics_add(CtlMetrics *m, const ExportRecord *rec) {
        const char *exe = ctl_record_exe(rec), *signal;
        char sig_buf[16];
        uint64_t t = ctl_record_time(rec), bytes;
        int r;

        m->crashes++;
        if (t > m->last_crash_usec)
                m->last_crash_usec = t;
        r = counter_add(&m->by_executable, exe ? exe : "unknown", strlen(exe ? exe : "unknown"), 1);
        if (r < 0)
                return r;
        /* A user's service counts under its user unit; system services under their unit. */
        r = counter_add_field(&m->by_unit, rec, export_record_has(rec, "COREDUMP_USER_UNIT") ? "COREDUMP_USER_UNIT" : "COREDUMP_UNIT");
        if (r < 0)
                return r;
        signal = ctl_record_signal_name(rec, sig_buf);
        if (signal) {
                r = counter_add(&m->by_signal, signal, strlen(signal), 1);
                if (r < 0)
                        return r;
        }
        r = counter_add_field(&m->by_signature, rec, "COREJOURNAL_SIGNATURE");
        if (r < 0)
                return r;
        r = counter_add_field(&m->not_stored, rec, "COREJOURNAL_CORE_NOT_STORED");
        if (r < 0)
                return r;
        if (ctl_record_get_u64(rec, "COREJOURNAL_CORE_STORED_SIZE", &bytes))
                m->stored_bytes = bytes > UINT64_MAX - m->stored_bytes ? UINT64_MAX : m->stored_bytes + bytes;
        return 0;
}

static void family(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int index_compare(const void *a, const void *b, void *userdata) {
        const CtlCounterSet *s = userdata;
        return strcmp(s->labels[*(const size_t *) a], s->labels[*(const size_t *) b]);
}

/* The order in which a set's series are written: by label value. */
static int sorted_order(const CtlCounterSet *s, size_t **ret) {
        size_t *order = calloc(s->n ? s->n : 1, sizeof(size_t));

        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++)
                order[i] = i;
        qsort_r(order, s->n, sizeof(size_t), index_compare, (void *) s);
        *ret = order;
        return 0;
}

static int write_set(FILE *f, const CtlCounterSet *s, const char *name, const char *label, const char *help) {
        _cleanup_(freep) size_t *order = NULL;
        int r;

        family(f, name, "counter", help);
        r = sorted_order(s, &order);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n; i++) {
                _cleanup_(freep) char *escaped = NULL;
                r = escape_text(s->labels[order[i]], &escaped);
                if (r < 0)
                        return r;
                fprintf(f, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, escaped, s->values[order[i]]);
        }
        return 0;
}

static const struct {
        size_t offset;
        const char *name, *label, *family, *help;
} sets[] = {
                { offsetof(CtlMetrics, by_executable), "corejournal_crashes_by_executable_total", "executable", "executable",
                  "Crash records by executable (COREDUMP_EXE, else COREDUMP_COMM)." },
                { offsetof(CtlMetrics, by_unit), "corejournal_crashes_by_unit_total", "unit", "unit",
                  "Crash records by systemd unit (COREDUMP_USER_UNIT, else COREDUMP_UNIT)." },
                { offsetof(CtlMetrics, by_signal), "corejournal_crashes_by_signal_total", "signal", "signal",
                  "Crash records by signal name (or exception name)." },
                { offsetof(CtlMetrics, by_signature), "corejournal_crashes_by_signature_total", "signature", "signature",
                  "Crash records by stack signature (COREJOURNAL_SIGNATURE)." },
                { offsetof(CtlMetrics, not_stored), "corejournal_cores_not_stored_total", "reason", "reason",
                  "Crash records whose core was not stored, by reason (COREJOURNAL_CORE_NOT_STORED)." },
};

static const CtlCounterSet *set_of(const CtlMetrics *m, size_t i) {
        return (const CtlCounterSet *) ((const char *) m + sets[i].offset);
}

int ctl_metrics_write(const CtlMetrics *m, FILE *f) {
        int r;

        family(f, "corejournal_crashes_total", "counter", "Crash records in the journal.");
        fprintf(f, "corejournal_crashes_total %" PRIu64 "\n", m->crashes);
        for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
                r = write_set(f, set_of(m, i), sets[i].name, sets[i].label, sets[i].help);
                if (r < 0)
                        return r;
        }
        family(f, "corejournal_core_stored_bytes_total", "counter",
               "Bytes of core files written, as recorded (COREJOURNAL_CORE_STORED_SIZE).");
        fprintf(f, "corejournal_core_stored_bytes_total %" PRIu64 "\n", m->stored_bytes);
        if (m->storage_known) {
                family(f, "corejournal_storage_bytes", "gauge", "Disk space the core files in the storage directory take now.");
                fprintf(f, "corejournal_storage_bytes %" PRIu64 "\n", m->storage_bytes);
                family(f, "corejournal_storage_files", "gauge", "Core files in the storage directory now.");
                fprintf(f, "corejournal_storage_files %" PRIu64 "\n", m->storage_files);
        }
        if (m->last_crash_usec > 0) {
                family(f, "corejournal_last_crash_timestamp_seconds", "gauge", "When the newest crash record was written.");
                fprintf(f, "corejournal_last_crash_timestamp_seconds %" PRIu64 ".%06" PRIu64 "\n", m->last_crash_usec / 1000000,
                        m->last_crash_usec % 1000000);
        }
        family(f, "corejournal_metrics_series_dropped_total", "counter",
               "Records not counted under a label because a family reached its series limit.");
        for (size_t i = 0; i < ELEMENTSOF(sets); i++)
                fprintf(f, "corejournal_metrics_series_dropped_total{family=\"%s\"} %" PRIu64 "\n", sets[i].family,
                        set_of(m, i)->dropped);
        return ferror(f) ? -EIO : 0;
}

int ctl_metrics_to_json(const CtlMetrics *m, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *dropped = json_object_new_object();
        int k = 0;

        if (!o || !dropped)
                return -ENOMEM;
        k |= json_object_object_add(o, "crashes", json_object_new_uint64(m->crashes));
        for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
                const CtlCounterSet *s = set_of(m, i);
                _cleanup_(freep) size_t *order = NULL;
                json_object *counts = json_object_new_object();
                char key[32];

                if (!counts || sorted_order(s, &order) < 0) {
                        json_object_put(counts);
                        return -ENOMEM;
                }
                for (size_t j = 0; j < s->n; j++)
                        k |= json_object_object_add(counts, s->labels[order[j]], json_object_new_uint64(s->values[order[j]]));
                (void) snprintf(key, sizeof(key), "by_%s", sets[i].family);
                k |= json_object_object_add(o, strcmp(sets[i].family, "reason") == 0 ? "not_stored_by_reason" : key, counts);
                k |= json_object_object_add(dropped, sets[i].family, json_object_new_uint64(s->dropped));
        }
        k |= json_object_object_add(o, "core_stored_bytes", json_object_new_uint64(m->stored_bytes));
        k |= json_object_object_add(o, "storage_bytes", m->storage_known ? json_object_new_uint64(m->storage_bytes) : NULL);
        k |= json_object_object_add(o, "storage_files", m->storage_known ? json_object_new_uint64(m->storage_files) : NULL);
        k |= json_object_object_add(o, "last_crash", m->last_crash_usec ? json_object_new_uint64(m->last_crash_usec) : NULL);
        k |= json_object_object_add(o, "series_dropped", TAKE_PTR(dropped));
        if (k)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}
