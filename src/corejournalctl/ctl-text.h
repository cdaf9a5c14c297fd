/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Record values made safe to print (UTF-8, terminal control characters) and shell-like words. */
#pragma once

#include <stddef.h>

typedef enum CtlTextFlags {
        /* C0 controls other than TAB and newline, DEL and C1 controls become \xNN escapes, and so do
         * bytes that are not UTF-8 (else those become U+FFFD and controls are kept). */
        CTL_TEXT_ESCAPE_CONTROL = 1 << 0,
        /* With CTL_TEXT_ESCAPE_CONTROL: TAB and newline are escaped too (one-line cells). */
        CTL_TEXT_ESCAPE_NEWLINE = 1 << 1,
} CtlTextFlags;

/* A NUL-terminated copy of size bytes of s that is valid UTF-8 without NUL bytes: bytes outside
 * valid UTF-8 (overlong forms, surrogates, cut sequences, NUL) are replaced as flags say. Returns 0
 * or -ENOMEM. */
int ctl_text_sanitize(const void *s, size_t size, CtlTextFlags flags, char **ret);

/* The length of the longest prefix of the valid UTF-8 string s that is at most max bytes and ends
 * on a character boundary. */
size_t ctl_text_utf8_prefix(const char *s, size_t max);

/* Splits s into words as a shell would without expansions: blanks separate words, '…' is literal,
 * "…" honours \" and \\, a backslash outside quotes takes the next character. Returns 0 with a
 * NULL-terminated list, -EINVAL for an unterminated quote or more than max_words words, -ENOMEM. */
int ctl_text_split_words(const char *s, size_t max_words, char ***ret);
