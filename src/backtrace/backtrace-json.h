/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-c helpers for the stack trace module: cleanup, bounded parsing, field access. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* How the module writes JSON: compact, '/' unescaped (as systemd's JSON writer does). */
#define BACKTRACE_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Parses exactly one JSON value from text[0..size): strict syntax, valid UTF-8, at most
 * max_depth levels deep, nothing but whitespace after it. Returns 0, -EBADMSG for anything
 * else, or -ENOMEM. */
int backtrace_json_parse(const char *text, size_t size, int max_depth, json_object **ret);

/* Object member as a string, or NULL when absent or not a string. */
const char *backtrace_json_get_string(json_object *object, const char *key);

/* Object member "0x..." parsed as an unsigned 64-bit number. Returns 0 or -EBADMSG. */
int backtrace_json_get_address(json_object *object, const char *key, uint64_t *ret);

/* Adds key = "0x%016" PRIx64 (addresses are strings, so every JSON reader keeps all 64 bits). */
int backtrace_json_add_address(json_object *object, const char *key, uint64_t value);

/* Adds key = a string, or null for NULL. Returns 0 or -ENOMEM. */
int backtrace_json_add_string(json_object *object, const char *key, const char *value);

/* Adds key = value and takes the value's reference on success and failure alike. */
int backtrace_json_add(json_object *object, const char *key, json_object *value);

/* Copies at most max bytes of s, replacing every byte that is not part of printable UTF-8
 * (control characters, DEL, invalid or cut sequences) with '?', so names from a core cannot
 * forge lines in MESSAGE nor break the JSON (a character cut at max becomes '?' too). */
char *backtrace_json_sanitize(const char *s, size_t max);
