/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pointing kernel.core_pattern at the handler (and back) for systems without the sysctl.d drop-in. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Where --install keeps the values it replaced, for --uninstall. */
#define INSTALL_SAVED_FILE "saved-sysctl"

/* Writes kernel.core_pattern=|HANDLER [--config=CONFIG] %P %u %g %s %t %c %h %d %F %I and raises
 * kernel.core_pipe_limit to 16 when it is 0 (the crasher must wait while its /proc is read). The
 * values replaced are saved below state_dir, unless the current pattern is already ours.
 * proc_sys_fd is an open /proc/sys. On -EINVAL/-ENAMETOOLONG error says why in one line. */
int ingest_install(int proc_sys_fd, int state_dir_fd, const char *handler, const char *config, char *error, size_t error_size);

/* Restores what ingest_install() saved (and removes the saved copy). Without a saved copy, a
 * pattern that is ours is replaced by the kernel default "core" and core_pipe_limit set to 0; a
 * pattern that is not ours is left alone (returns 0, *ret_changed false). */
int ingest_uninstall(int proc_sys_fd, int state_dir_fd, const char *handler, bool *ret_changed, char *error, size_t error_size);
