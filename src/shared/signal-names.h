/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signal numbers to their SIG* names, as the COREDUMP_SIGNAL_NAME field spells them. */
#pragma once

/* "SIGSEGV" for 11, "SIGRTMIN+3" for real-time signals, NULL for numbers without a name. */
const char *signal_to_name(int signo, char buf[static 16]);
