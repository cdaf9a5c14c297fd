/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pager for long output: less in secure mode, only when stdout is a terminal. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct CtlPager {
        pid_t pid;              /* 0 when no pager runs */
} CtlPager;

/* Starts less with LESSSECURE=1 (no shell escapes, no editor, no log files: safe as root on
 * journal contents anyone can write) and LESS=FRSXMK, and points stdout at it. Does nothing when
 * stdout is not a terminal or less is not installed in /usr/bin or /bin; $PAGER is not consulted.
 * Returns 0 or -errno. */
int ctl_pager_start(CtlPager *p);

/* Closes stdout towards the pager and waits for it. */
void ctl_pager_finish(CtlPager *p);
