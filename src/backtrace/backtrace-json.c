/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtrace-json.h"
#include "export-record.h"

int backtrace_json_parse(const char *text, size_t size, int max_depth, json_object **ret) {
        struct json_tokener *tok;
        json_object *o;

        if (size > INT32_MAX)
                return -EBADMSG;

        tok = json_tokener_new_ex(max_depth);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        o = json_tokener_parse_ex(tok, text, (int) size);
        if (!o || json_tokener_get_error(tok) != json_tokener_success) {
                json_object_put(o);
                json_tokener_free(tok);
                return -EBADMSG;
        }

        /* Only whitespace may follow the value (STRICT stops at the value's end). */
        for (size_t i = json_tokener_get_parse_end(tok); i < size; i++)
                if (!strchr(" \t\r\n", text[i])) {
                        json_object_put(o);
                        json_tokener_free(tok);
                        return -EBADMSG;
                }

        json_tokener_free(tok);
        *ret = o;
        return 0;
}

const char *backtrace_json_get_string(json_object *object, const char *key) {
        json_object *v;

        if (!json_object_is_type(object, json_type_object))
                return NULL;
        if (!json_object_object_get_ex(object, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

int backtrace_json_get_address(json_object *object, const char *key, uint64_t *ret) {
        const char *s = backtrace_json_get_string(object, key);
        unsigned long long v;
        char *end;

        if (!s || strncmp(s, "0x", 2) != 0 || !strchr("0123456789abcdef", s[2]) || s[2] == 0)
                return -EBADMSG;
        errno = 0;
        v = strtoull(s + 2, &end, 16);
        if (errno != 0 || *end != 0)
                return -EBADMSG;
        *ret = (uint64_t) v;
        return 0;
}

int backtrace_json_add(json_object *object, const char *key, json_object *value) {
        if (json_object_object_add(object, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

int backtrace_json_add_address(json_object *object, const char *key, uint64_t value) {
        char buf[2 + 16 + 1];
        json_object *v;

        (void) snprintf(buf, sizeof(buf), "0x%016" PRIx64, value);
        v = json_object_new_string(buf);
        if (!v)
                return -ENOMEM;
        return backtrace_json_add(object, key, v);
}

int backtrace_json_add_string(json_object *object, const char *key, const char *value) {
        json_object *v = NULL;

        if (value) {
                v = json_object_new_string(value);
                if (!v)
                        return -ENOMEM;
        }
        return backtrace_json_add(object, key, v);
}

/* Length of the printable UTF-8 character at s (at most n bytes available), 0 if there is none. */
static size_t printable_char_length(const char *s, size_t n) {
        unsigned char c = (unsigned char) s[0];
        size_t len;

        if (c < 0x80)
                len = 1;
        else if ((c & 0xe0) == 0xc0)
                len = 2;
        else if ((c & 0xf0) == 0xe0)
                len = 3;
        else if ((c & 0xf8) == 0xf0)
                len = 4;
        else
                return 0;
        if (len > n)
                return 0;
        /* TAB passes export_value_is_text() but has no place in a name. */
        if (c == '\t')
                return 0;
        return export_value_is_text(s, len) ? len : 0;
}

char *backtrace_json_sanitize(const char *s, size_t max) {
        size_t n = strnlen(s, max), i = 0, o = 0;
        char *copy = malloc(n + 1);

        if (!copy)
                return NULL;
        while (i < n) {
                size_t len = printable_char_length(s + i, n - i);
                if (len == 0) {
                        copy[o++] = '?';
                        i++;
                        continue;
                }
                memcpy(copy + o, s + i, len);
                o += len;
                i += len;
        }
        copy[o] = 0;
        return copy;
}
