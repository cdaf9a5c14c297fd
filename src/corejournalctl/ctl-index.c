/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-index.h"

static uint64_t hash(const char *s) {
        uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * UINT64_C(0x100000001b3);
        return h;
}

void ctl_index_done(CtlIndex *x) {
        free(x->slots);
        *x = (CtlIndex) {};
}

size_t ctl_index_find(const CtlIndex *x, const char *const *keys, const char *key) {
        if (x->n_slots == 0)
                return (size_t) -1;
        for (size_t h = hash(key) & (x->n_slots - 1);; h = (h + 1) & (x->n_slots - 1)) {
                if (x->slots[h] == 0)
                        return (size_t) -1;
                if (strcmp(keys[x->slots[h] - 1], key) == 0)
                        return x->slots[h] - 1;
        }
}

static void insert(size_t *slots, size_t n_slots, const char *const *keys, size_t index) {
        for (size_t h = hash(keys[index]) & (n_slots - 1);; h = (h + 1) & (n_slots - 1))
                if (slots[h] == 0) {
                        slots[h] = index + 1;
                        return;
                }
}

int ctl_index_add(CtlIndex *x, const char *const *keys, size_t index) {
        /* Keep the load at most one half. */
        if ((x->n + 1) * 2 > x->n_slots) {
                size_t n_slots = x->n_slots ? x->n_slots * 2 : 64;
                size_t *slots = calloc(n_slots, sizeof(size_t));
                if (!slots)
                        return -ENOMEM;
                for (size_t i = 0; i < x->n_slots; i++)
                        if (x->slots[i])
                                insert(slots, n_slots, keys, x->slots[i] - 1);
                free(x->slots);
                x->slots = slots;
                x->n_slots = n_slots;
        }
        insert(x->slots, x->n_slots, keys, index);
        x->n++;
        return 0;
}
