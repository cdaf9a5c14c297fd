/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* coredumpctl's match rules: arguments to journal matches, always limited to crash records. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-journal.h>

/* Builds the journal matches for the arguments, as coredumpctl 252 reads them: an argument with '='
 * is a raw FIELD=VALUE match, one with '/' a path (made absolute against cwd, "." and ".."
 * resolved lexically) matched against COREDUMP_EXE, a PID (a positive decimal number) against
 * COREDUMP_PID, and anything else against COREDUMP_COMM. The list starts with the two MESSAGE_IDs
 * of crash records (ours and systemd-coredump's kernel records share one, systemd's --backtrace
 * records have the other). sd-journal ORs matches on the same field and ANDs different fields.
 * Returns 0 with a NULL-terminated list; -EINVAL for a raw match whose field name journald would
 * not accept, or a relative path without an absolute cwd, with the argument's index in
 * *bad_index when that is not NULL; -ENOMEM. */
int ctl_match_build(const char *const *args, const char *cwd, char ***ret, size_t *bad_index);

/* Whether ctl_match_build() accepts the argument: only a FIELD=VALUE whose field name journald
 * would not accept (ours or one of its trusted "_" fields) is refused. */
bool ctl_match_valid(const char *arg);

/* Whether name is a field name a match or --field may use. */
bool ctl_match_field_name_valid(const char *name, size_t length);

/* Adds the built matches to j (one conjunction). Returns 0 or the -errno of sd_journal_add_match(). */
int ctl_match_apply(sd_journal *j, char *const *matches);
