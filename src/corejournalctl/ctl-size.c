/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl-size.h"

static const struct {
        const char *suffix;
        uint64_t factor;
} units[] = {
        { "E", UINT64_C(1) << 60 },
        { "P", UINT64_C(1) << 50 },
        { "T", UINT64_C(1) << 40 },
        { "G", UINT64_C(1) << 30 },
        { "M", UINT64_C(1) << 20 },
        { "K", UINT64_C(1) << 10 },
};

const char *ctl_size_format(uint64_t bytes, char buf[static CTL_SIZE_STRING_MAX]) {
        size_t n = sizeof(units) / sizeof(units[0]);

        for (size_t i = 0; i < n; i++)
                if (bytes >= units[i].factor) {
                        /* systemd's digit after the point: truncated, taken from the count of the
                         * next smaller unit so that nothing overflows near 2^64. */
                        uint64_t tenth = i + 1 < n ? (bytes / units[i + 1].factor * 10 / 1024) % 10 :
                                                     (bytes * 10 / units[i].factor) % 10;
                        (void) snprintf(buf, CTL_SIZE_STRING_MAX, "%" PRIu64 ".%" PRIu64 "%s", bytes / units[i].factor,
                                        tenth, units[i].suffix);
                        return buf;
                }
        (void) snprintf(buf, CTL_SIZE_STRING_MAX, "%" PRIu64 "B", bytes);
        return buf;
}

int ctl_size_parse(const char *s, uint64_t *ret) {
        uint64_t whole = 0, factor = 1, frac = 0, frac_div = 1;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (whole > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                whole = whole * 10 + (uint64_t) (*p - '0');
        }
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++)
                        if (frac_div < UINT64_C(1000000000)) {
                                frac = frac * 10 + (uint64_t) (*p - '0');
                                frac_div *= 10;
                        }
        }
        if (*p) {
                size_t i;
                for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                        if (*p == units[i].suffix[0])
                                break;
                if (i < sizeof(units) / sizeof(units[0])) {
                        factor = units[i].factor;
                        p++;
                        if (strcmp(p, "iB") == 0)
                                p += 2;
                }
                if (strcmp(p, "B") == 0)
                        p++;
                if (*p)
                        return -EINVAL;
        }
        if (frac_div > 1 && factor == 1)
                return -EINVAL; /* fractions of a byte */
        /* 128 bits keep whole * factor + frac * factor / frac_div exact before the range check. */
        unsigned __int128 v = (unsigned __int128) whole * factor + (unsigned __int128) frac * factor / frac_div;
        if (v > UINT64_MAX)
                return -ERANGE;
        *ret = (uint64_t) v;
        return 0;
}
