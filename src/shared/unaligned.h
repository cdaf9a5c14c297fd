/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fixed-size integers at any address of a byte buffer, in host byte order: for wire formats
 * whose two ends are one host (the kernel's coredump socket, the handoff to corejournald). */
#pragma once

#include <stdint.h>
#include <string.h>

static inline uint16_t get_u16(const uint8_t *p) {
        uint16_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

static inline uint32_t get_u32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

static inline uint64_t get_u64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

static inline void put_u16(uint8_t *p, uint16_t v) {
        memcpy(p, &v, sizeof(v));
}

static inline void put_u32(uint8_t *p, uint32_t v) {
        memcpy(p, &v, sizeof(v));
}

static inline void put_u64(uint8_t *p, uint64_t v) {
        memcpy(p, &v, sizeof(v));
}
