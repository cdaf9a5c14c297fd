/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a cgroup path says about a process: its unit, user unit, slice, session and owner, derived
 * the way systemd 252 does it (src/basic/cgroup-util.c). Pure functions over strings. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Which forms of unit name collect_cgroup_unit_name_is_valid() accepts. */
typedef enum CollectUnitNameFlags {
        COLLECT_UNIT_NAME_PLAIN = 1 << 0,    /* foo.service */
        COLLECT_UNIT_NAME_INSTANCE = 1 << 1, /* foo@bar.service */
        COLLECT_UNIT_NAME_TEMPLATE = 1 << 2, /* foo@.service */
} CollectUnitNameFlags;

/* True for a unit name of one of the given forms: shorter than 256 bytes, a known unit type
 * suffix, and only [0-9A-Za-z:_.\-] plus at most the first '@' before the suffix. */
bool collect_cgroup_unit_name_is_valid(const char *name, CollectUnitNameFlags flags);

/* Picks the path of the systemd hierarchy out of /proc/PID/cgroup content: the unified "0::"
 * line, else (legacy hierarchy) the line whose controllers include "name=systemd". A trailing
 * " (deleted)" is cut. Returns 0, -ENODATA when no such line exists, or -ENOMEM. */
int collect_cgroup_parse_proc_cgroup(const char *content, size_t size, char **ret_path);

/* The cgroup root that paths are shown relative to, from PID 1's cgroup path: that path with a
 * trailing "/init.scope" (or legacy "/system.slice", "/system") removed. Returns 0 or -ENOMEM. */
int collect_cgroup_root_from_init(const char *init_path, char **ret_root);

/* path made relative to root (it keeps its leading '/'); path itself when it does not lie below
 * root or root is not absolute. Returns a pointer into path, or to a static "/" when they are
 * the same path. */
const char *collect_cgroup_shift(const char *path, const char *root);

/* Each returns 0 and a newly allocated string, -ENXIO when the path does not carry that
 * information, or -ENOMEM. */
int collect_cgroup_path_get_unit(const char *path, char **ret_unit);      /* foo.service */
int collect_cgroup_path_get_user_unit(const char *path, char **ret_unit); /* unit under user@UID.service or session-N.scope */
int collect_cgroup_path_get_slice(const char *path, char **ret_slice);    /* innermost leading slice, "-.slice" if none */
int collect_cgroup_path_get_session(const char *path, char **ret_session);/* "3" for .../session-3.scope */
/* 0 and the UID of a user-UID.slice, -ENXIO, or -ENOMEM. */
int collect_cgroup_path_get_owner_uid(const char *path, uid_t *ret_uid);
