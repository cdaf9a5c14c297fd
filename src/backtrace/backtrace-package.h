/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ELF package metadata note (.note.package, https://systemd.io/ELF_PACKAGE_METADATA/). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* The note type; the owner name varies ("FDO" in practice), so only the type identifies it. */
#define BACKTRACE_PACKAGE_NOTE_TYPE UINT32_C(0xcafe1a7e)

/* Parses a package note descriptor: JSON text up to the first NUL (the descriptor is
 * NUL-padded), which must be one object within BACKTRACE_PACKAGE_NOTE_SIZE_MAX and
 * BACKTRACE_PACKAGE_NOTE_DEPTH_MAX. Returns 0, -E2BIG for a larger note, -EBADMSG for anything
 * that is not such an object, or -ENOMEM. */
int backtrace_package_parse(const void *desc, size_t size, json_object **ret);

/* Looks through the notes of one PT_NOTE segment (headers in host byte order, entries aligned
 * to align, 4 or 8) for the first package note with a name and a descriptor, and parses it.
 * Returns 1 with the owner name (printable, NUL-free) and the object, 0 when the segment has
 * no package note (a malformed note ends the walk), or the parse error of the note found. */
int backtrace_package_find(const void *notes, size_t size, size_t align, char **ret_owner, json_object **ret_metadata);
