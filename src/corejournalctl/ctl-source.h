/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which journal files to read (system, namespace, directory, files) and whether we may read them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* sd-journal.h declares sd_journal_closep() for _cleanup_. */
#include <systemd/sd-journal.h>

#include "ctl-args.h"
#include "ctl-limits.h"


typedef struct CtlSource {
        CtlSourceKind kind;
        const char *namespace_;        /* "NS", "+NS" (with the default namespace) or "*" (all) */
        const char *directory;
        const char *const *files;      /* patterns, NULL-terminated */
        bool all;                      /* system: every machine's journal, not only this one's */
} CtlSource;

/* What a look at the journal files of a source found, from the caller's credentials. */
typedef struct CtlAccess {
        size_t readable;        /* journal files we may read */
        size_t readable_own;    /* of those, the caller's own user journals (user-UID.journal) */
        size_t denied;          /* journal files or directories refused (EACCES, EPERM) */
        char *denied_path;      /* the first refused one, or NULL */
} CtlAccess;

void ctl_access_done(CtlAccess *a);

/* Whether name is a journal file journald keeps for uid: user-UID.journal, or an archived or
 * corrupted one (user-UID@….journal, user-UID@….journal~). */
bool ctl_source_is_user_journal(const char *name, uid_t uid);

/* Opens the journal files of a source. Returns 0, or -errno with a one-line message in error
 * (-ENOENT when --file patterns match nothing, -EACCES/-EPERM when refused). */
int ctl_source_open(const CtlSource *s, sd_journal **ret, char error[static CTL_ERROR_MAX]);

/* Counts the journal files of a source we may and may not read (at most CTL_ACCESS_FILES_MAX
 * entries are looked at), so that "nothing found" can be told apart from "not allowed to look";
 * sd-journal skips unreadable files silently. Returns 0 or -ENOMEM. */
int ctl_source_check_access(const CtlSource *s, CtlAccess *ret);
