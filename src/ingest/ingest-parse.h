/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict parsing of the numbers the kernel and submitters pass on the command line. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

/* Decimal digits only (no sign, space or suffix), at most max. -EINVAL or -ERANGE. */
int ingest_parse_decimal(const char *s, uint64_t max, uint64_t *ret);

/* Formats a one-line error into error and returns -EINVAL. */
int ingest_parse_error(char *error, size_t size, const char *format, ...) _printf_(3, 4);
