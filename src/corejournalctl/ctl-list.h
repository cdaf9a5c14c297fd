/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The list table: coredumpctl's columns, widths from the cells, numbers right-aligned. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ctl-record.h"
#include "export-record.h"

typedef enum CtlListColumn {
        CTL_LIST_TIME,
        CTL_LIST_PID,
        CTL_LIST_UID,
        CTL_LIST_GID,
        CTL_LIST_SIG,
        CTL_LIST_COREFILE,
        CTL_LIST_EXE,
        CTL_LIST_SIZE,
        _CTL_LIST_COLUMN_MAX,
} CtlListColumn;

/* Rows collected before printing, because widths depend on every cell. */
typedef struct CtlTable {
        size_t n_columns;
        const char *const *headers;
        const bool *right_aligned;
        char **cells;           /* n_rows * n_columns, each sanitized for a terminal */
        size_t n_rows;
        size_t allocated_rows;
} CtlTable;

/* A table with coredumpctl's list columns. */
void ctl_list_table_init(CtlTable *t);
/* A table with the given columns (headers and alignment stay owned by the caller). */
void ctl_table_init(CtlTable *t, size_t n_columns, const char *const *headers, const bool *right_aligned);
void ctl_table_done(CtlTable *t);

/* Appends a row; cells (n_columns of them) are copied, made printable; NULL or "" shows "-".
 * Returns 0 or -ENOMEM. */
int ctl_table_add_row(CtlTable *t, const char *const *cells);

/* Prints the table: the header when legend, columns one space apart, padded to the widest cell
 * (in characters), no trailing blanks. Returns 0 or -EIO. */
int ctl_table_print(const CtlTable *t, FILE *f, bool legend);

/* Appends the list row of a record: TIME (entry time), PID, UID, GID, SIG (name; "SIG0" for
 * systemd's --backtrace records, as coredumpctl shows them), COREFILE, EXE (COREDUMP_EXE, else COREDUMP_COMM), SIZE (of the stored file
 * when present). probe describes COREDUMP_FILENAME, NULL when the record has none. */
int ctl_list_add_record(CtlTable *t, const ExportRecord *r, const CtlFileProbe *probe);
