/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ctl-list.h"
#include "ctl-size.h"
#include "ctl-text.h"
#include "ctl-time.h"

static const char *const list_headers[_CTL_LIST_COLUMN_MAX] = {
        "TIME", "PID", "UID", "GID", "SIG", "COREFILE", "EXE", "SIZE",
};
static const bool list_right[_CTL_LIST_COLUMN_MAX] = {
        [CTL_LIST_PID] = true, [CTL_LIST_UID] = true, [CTL_LIST_GID] = true, [CTL_LIST_SIZE] = true,
};

void ctl_table_init(CtlTable *t, size_t n_columns, const char *const *headers, const bool *right_aligned) {
        *t = (CtlTable) {
                .n_columns = n_columns,
                .headers = headers,
                .right_aligned = right_aligned,
        };
}

void ctl_list_table_init(CtlTable *t) {
        ctl_table_init(t, _CTL_LIST_COLUMN_MAX, list_headers, list_right);
}

void ctl_table_done(CtlTable *t) {
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                free(t->cells[i]);
        free(t->cells);
        t->cells = NULL;
        t->n_rows = t->allocated_rows = 0;
}

int ctl_table_add_row(CtlTable *t, const char *const *cells) {
        if (t->n_rows == t->allocated_rows) {
                size_t a = t->allocated_rows ? t->allocated_rows * 2 : 16;
                char **c = reallocarray(t->cells, a * t->n_columns, sizeof(char *));
                if (!c)
                        return -ENOMEM;
                t->cells = c;
                t->allocated_rows = a;
        }
        char **row = t->cells + t->n_rows * t->n_columns;
        for (size_t i = 0; i < t->n_columns; i++) {
                const char *v = cells[i] && *cells[i] ? cells[i] : "-";
                int r = ctl_text_sanitize(v, strlen(v), CTL_TEXT_ESCAPE_CONTROL | CTL_TEXT_ESCAPE_NEWLINE, &row[i]);
                if (r < 0) {
                        while (i > 0)
                                free(row[--i]);
                        return r;
                }
        }
        t->n_rows++;
        return 0;
}

/* Characters of a valid UTF-8 string (continuation bytes not counted). */
static size_t text_width(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        n++;
        return n;
}

static void put_cell(FILE *f, const char *s, size_t width, bool right, bool last) {
        size_t w = text_width(s);
        if (right)
                for (size_t k = w; k < width; k++)
                        fputc(' ', f);
        fputs(s, f);
        if (!right && !last)
                for (size_t k = w; k < width; k++)
                        fputc(' ', f);
}

int ctl_table_print(const CtlTable *t, FILE *f, bool legend) {
        _cleanup_(freep) size_t *widths = calloc(t->n_columns, sizeof(size_t));

        if (!widths)
                return -ENOMEM;
        for (size_t c = 0; c < t->n_columns; c++) {
                if (legend)
                        widths[c] = text_width(t->headers[c]);
                for (size_t r = 0; r < t->n_rows; r++) {
                        size_t w = text_width(t->cells[r * t->n_columns + c]);
                        if (w > widths[c])
                                widths[c] = w;
                }
        }
        for (size_t r = 0; r < t->n_rows + legend; r++) {
                for (size_t c = 0; c < t->n_columns; c++) {
                        const char *s = legend && r == 0 ? t->headers[c] : t->cells[(r - legend) * t->n_columns + c];
                        if (c > 0)
                                fputc(' ', f);
                        put_cell(f, s, widths[c], t->right_aligned[c], c + 1 == t->n_columns);
                }
                fputc('\n', f);
        }
        return ferror(f) ? -EIO : 0;
}

int ctl_list_add_record(CtlTable *t, const ExportRecord *r, const CtlFileProbe *probe) {
        char time_buf[CTL_TIME_STRING_MAX], size_buf[CTL_SIZE_STRING_MAX], sig_buf[16];
        const char *cells[_CTL_LIST_COLUMN_MAX] = {};
        CtlCoreState state = ctl_record_core_state(r, probe);

        cells[CTL_LIST_TIME] = ctl_time_format(ctl_record_time(r), time_buf);
        cells[CTL_LIST_PID] = export_record_get_string(r, "COREDUMP_PID");
        cells[CTL_LIST_UID] = export_record_get_string(r, "COREDUMP_UID");
        cells[CTL_LIST_GID] = export_record_get_string(r, "COREDUMP_GID");
        /* coredumpctl shows signal 0 for systemd's --backtrace records, which it prints "SIG0". */
        cells[CTL_LIST_SIG] = ctl_record_is_backtrace_only(r) ? "SIG0" : ctl_record_signal_name(r, sig_buf);
        cells[CTL_LIST_COREFILE] = ctl_core_state_to_string(state);
        cells[CTL_LIST_EXE] = ctl_record_exe(r);
        if ((state == CTL_CORE_PRESENT || state == CTL_CORE_TRUNCATED) && probe && probe->error == 0)
                cells[CTL_LIST_SIZE] = ctl_size_format(probe->size, size_buf);
        return ctl_table_add_row(t, cells);
}
