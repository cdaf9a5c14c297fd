/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stable signature of a crash: a hash over the crashing thread's top frames, the same for the
 * same bug in the same build across PIDs, ASLR and hosts (see docs/BACKTRACE.md). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtrace-findings.h"

/* Frames hashed, after the skipped ones. */
#define BACKTRACE_SIGNATURE_FRAMES 5

/* Length of a signature: two 64-bit hashes in lowercase hex. */
#define BACKTRACE_SIGNATURE_LENGTH 32

/* True for a frame of the C library's abort/raise/assert/fortify machinery, which leading
 * frames of the signature skip. module may be a path; symbol may be NULL. */
bool backtrace_signature_skips(const char *module, const char *symbol);

/* One frame's normalized form: "<module basename>!<symbol>", "<module basename>+0x<offset>"
 * without a symbol, "?" without a module. Returns 0 or -ENOMEM. */
int backtrace_signature_frame(const char *module, const char *symbol, uint64_t offset, char **ret);

/* The signature of the crashing thread (32 hex digits). Returns 0, -ENODATA when there is no
 * crashing thread with frames, or -ENOMEM. */
int backtrace_signature(const BacktraceFindings *f, char **ret);

/* The hash itself, over any text: FNV-1a 64 from two offset bases, as 32 hex digits. */
void backtrace_signature_hash(const void *data, size_t size, char ret[static BACKTRACE_SIGNATURE_LENGTH + 1]);
