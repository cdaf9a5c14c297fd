/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The analysis proper, run only inside the sandboxed child: libdwfl reads the core and the
 * findings are written as one JSON object per line (the protocol backtrace-findings.h reads). */
#pragma once

#include <stdio.h>

#include <elfutils/libdwfl.h>
#include <libelf.h>

#include "cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Dwfl *, dwfl_end);
DEFINE_TRIVIAL_CLEANUP_FUNC(Elf *, elf_end);

/* libdwfl's own default search path for separate debug files. */
#define BACKTRACE_DEBUGINFO_PATH_DEFAULT "-:.debug:/usr/lib/debug"

/* Writes, flushing after each line: the core header, every module (build-id, package note),
 * then each thread's frames, crashing thread first, and "end". exe (may be NULL) names the
 * program as COREDUMP_EXE does; debuginfo_path NULL means the default. Returns 0 when it got to
 * the end, or a negative errno after writing an "error" line when it could. */
int backtrace_unwind(int core_fd, const char *exe, const char *debuginfo_path, FILE *out);
