/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs of corejournalctl: the front end, which prints results, notices and errors. */
#pragma once

#include <stdint.h>

#include "ctl-args.h"

/* Runs the parsed command. Errors are printed here (one line on stderr); returns 0 or the -errno
 * that ctl_exit_from_error() turns into the exit status. */
int ctl_verbs_run(const CtlArgs *args, uint64_t now);
