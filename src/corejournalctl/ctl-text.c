/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ctl-text.h"

/* Decodes one UTF-8 character at p (n bytes available). Returns its length, or 0 when the bytes
 * there are not a valid, shortest-form encoding of a scalar value. */
static size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *ret) {
        uint32_t c, min;
        size_t len;

        if (p[0] < 0x80) {
                *ret = p[0];
                return 1;
        }
        if ((p[0] & 0xe0) == 0xc0) {
                len = 2, c = p[0] & 0x1f, min = 0x80;
        } else if ((p[0] & 0xf0) == 0xe0) {
                len = 3, c = p[0] & 0x0f, min = 0x800;
        } else if ((p[0] & 0xf8) == 0xf0) {
                len = 4, c = p[0] & 0x07, min = 0x10000;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (p[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *ret = c;
        return len;
}

typedef struct Buf {
        char *data;
        size_t size;
        size_t allocated;
} Buf;

static int buf_put(Buf *b, const void *p, size_t n) {
        if (b->size + n + 1 > b->allocated) {
                size_t a = b->allocated ? b->allocated : 64;
                while (a < b->size + n + 1) {
                        if (a > SIZE_MAX / 2)
                                return -ENOMEM;
                        a *= 2;
                }
                char *d = realloc(b->data, a);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->allocated = a;
        }
        memcpy(b->data + b->size, p, n);
        b->size += n;
        b->data[b->size] = 0;
        return 0;
}

static int buf_escape_bytes(Buf *b, const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char e[5];
                (void) snprintf(e, sizeof(e), "\\x%02x", p[i]);
                int r = buf_put(b, e, 4);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ctl_text_sanitize(const void *s, size_t size, CtlTextFlags flags, char **ret) {
        static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
        const uint8_t *p = s;
        Buf b = {};
        int r;

        r = buf_put(&b, "", 0);
        if (r < 0)
                return r;

        for (size_t i = 0; i < size;) {
                uint32_t c;
                size_t len = utf8_decode(p + i, size - i, &c);
                bool escape = flags & CTL_TEXT_ESCAPE_CONTROL;

                if (len == 0 || c == 0) {
                        r = escape ? buf_escape_bytes(&b, p + i, 1) : buf_put(&b, replacement, 3);
                        len = 1;
                } else if (escape && (((c < 0x20 || c == 0x7f) && c != '\t' && c != '\n') ||
                                      (c >= 0x80 && c < 0xa0) ||
                                      ((c == '\t' || c == '\n') && (flags & CTL_TEXT_ESCAPE_NEWLINE))))
                        r = buf_escape_bytes(&b, p + i, len);
                else
                        r = buf_put(&b, p + i, len);
                if (r < 0) {
                        free(b.data);
                        return r;
                }
                i += len;
        }

        *ret = b.data;
        return 0;
}

size_t ctl_text_utf8_prefix(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n <= max)
                return n;
        /* Step back over continuation bytes to the start of the character that would be cut. */
        while (max > 0 && ((uint8_t) s[max] & 0xc0) == 0x80)
                max--;
        return max;
}

static int words_add(char ***words, size_t *n, size_t max_words, Buf *w) {
        if (*n >= max_words)
                return -EINVAL;
        char **l = realloc(*words, (*n + 2) * sizeof(char *));
        if (!l)
                return -ENOMEM;
        *words = l;
        l[(*n)++] = w->data ? w->data : strdup("");
        l[*n] = NULL;
        *w = (Buf) {};
        return l[*n - 1] ? 0 : -ENOMEM;
}

int ctl_text_split_words(const char *s, size_t max_words, char ***ret) {
        _cleanup_(strv_freep) char **words = NULL;
        size_t n = 0;
        Buf w = {};
        bool in_word = false;
        int r = 0;

        words = calloc(1, sizeof(char *));
        if (!words)
                return -ENOMEM;

        for (const char *p = s;; p++) {
                if (*p == 0 || *p == ' ' || *p == '\t' || *p == '\n') {
                        if (in_word) {
                                r = words_add(&words, &n, max_words, &w);
                                if (r < 0)
                                        break;
                                in_word = false;
                        }
                        if (*p == 0)
                                break;
                        continue;
                }
                in_word = true;
                if (*p == '\'') {
                        const char *end = strchr(p + 1, '\'');
                        if (!end) {
                                r = -EINVAL;
                                break;
                        }
                        r = buf_put(&w, p + 1, (size_t) (end - p - 1));
                        p = end;
                } else if (*p == '"') {
                        for (p++; *p && *p != '"'; p++) {
                                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                                        p++;
                                r = buf_put(&w, p, 1);
                                if (r < 0)
                                        break;
                        }
                        if (r >= 0 && *p != '"')
                                r = -EINVAL;
                } else if (*p == '\\') {
                        if (p[1] == 0) {
                                r = -EINVAL;
                                break;
                        }
                        r = buf_put(&w, ++p, 1);
                } else
                        r = buf_put(&w, p, 1);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                free(w.data);
                return r;
        }

        *ret = TAKE_PTR(words);
        return 0;
}
