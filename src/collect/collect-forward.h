/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ForwardCore=: whether a core stored on this host also travels inside its record. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "collect-config.h"

typedef enum CollectForwardDecision {
        COLLECT_FORWARD_EMBED,    /* embed the core as COREDUMP= */
        COLLECT_FORWARD_LOCAL,    /* ForwardCore=local: the core stays on this host */
        COLLECT_FORWARD_SIZE_MAX, /* larger than ForwardCoreSizeMax=: it stays on this host */
        COLLECT_FORWARD_REPEAT,   /* ForwardCore=first and this signature travelled often enough */
        _COLLECT_FORWARD_DECISION_MAX,
        _COLLECT_FORWARD_DECISION_INVALID = -22,
} CollectForwardDecision;

/* The COREJOURNAL_CORE_FORWARD= value for a decision: "embedded", "local", "size-max", "repeat". */
const char *collect_forward_decision_to_string(CollectForwardDecision d);

/* Decides for a core of size bytes. With ForwardCore=first, slot_free says whether one of the
 * signature's first ForwardCoreFirst= slots was free (collect_forward_take_slot(), asked only for
 * a core within the size cap; a crash without a signature counts as free). Pure. */
CollectForwardDecision collect_forward_decide(CoredumpForward policy, uint64_t size, uint64_t size_max, bool slot_free);

/* Takes one of the first `first` forwarding slots of a signature (32 lowercase hex digits),
 * counted in state_dir/forwarded/SIGNATURE under a lock, so concurrent crashes of one bug never
 * take more than `first` slots together. *ret_taken tells whether a slot was free. Returns 0,
 * -EINVAL for a malformed signature, or -errno (the caller then decides as if none was free). */
int collect_forward_take_slot(const char *state_dir, const char *signature, unsigned first, bool *ret_taken);

/* Reads a stored core back whole: decompresses a zstd file or reads a plain one. size is the
 * core's size as streamed; a file that does not give exactly that many bytes is -EBADMSG.
 * Returns 0 and a malloc'ed buffer of size + 1 bytes ending in a NUL (as export_record_adopt()
 * takes it), or -errno. */
int collect_forward_read_core(int dir_fd, const char *filename, bool compressed, uint64_t size, uint8_t **ret);
