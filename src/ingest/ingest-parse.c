/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "ingest-parse.h"

int ingest_parse_decimal(const char *s, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (!s[0])
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                unsigned d = (unsigned) (*p - '0');
                if (d > max || v > (max - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int ingest_parse_error(char *error, size_t size, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(error, size, format, ap);
        va_end(ap);
        return -EINVAL;
}
