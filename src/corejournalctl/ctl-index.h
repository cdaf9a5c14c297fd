/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A string-keyed index into a caller's array (open addressing), for counting by label or group. */
#pragma once

#include <stddef.h>

typedef struct CtlIndex {
        size_t *slots;          /* array index + 1, 0 for empty */
        size_t n_slots;         /* a power of two */
        size_t n;
} CtlIndex;

void ctl_index_done(CtlIndex *x);

/* Looks key up through keys (the caller's array, keys[i] for index i). Returns the index, or
 * (size_t) -1 when absent. */
size_t ctl_index_find(const CtlIndex *x, const char *const *keys, const char *key);

/* Records that keys[index] now exists (call after appending it). Returns 0 or -ENOMEM. */
int ctl_index_add(CtlIndex *x, const char *const *keys, size_t index);
