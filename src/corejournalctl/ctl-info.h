/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* coredumpctl's labelled info block for one record. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "ctl-record.h"
#include "export-record.h"

/* Prints the block as coredumpctl 252 lays it out (labels right-aligned to 14 columns: PID, UID,
 * GID, Signal or Reason, Timestamp, Command Line, Executable, Control Group, Unit, User Unit,
 * Slice, Session, Owner UID, Boot ID, Machine ID, Hostname, Storage, Size on Disk, Package,
 * build-id, Message), plus our own Not Stored and Signature lines when the record has them.
 * probe describes COREDUMP_FILENAME (NULL when absent); now (µs) anchors "… ago". Returns 0 or
 * -EIO/-ENOMEM. */
int ctl_info_print(FILE *f, const ExportRecord *r, const CtlFileProbe *probe, uint64_t now);

/* The main module's build-id from COREDUMP_PACKAGE_JSON (the object whose key names the
 * executable's file, its "buildId"), or NULL. Returns a new string in *ret, or 0 with *ret NULL. */
int ctl_info_build_id(const char *package_json, const char *exe, char **ret);
