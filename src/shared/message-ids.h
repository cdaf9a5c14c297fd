/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every MESSAGE_ID corejournal emits; the catalog in units/ documents each one. */
#pragma once

/* A crash record, the same ID systemd-coredump uses for kernel cores. */
#define MESSAGE_ID_COREDUMP "fc2e22bc6ee647b6b90729ab34a250b1"

/* The ID systemd-coredump gives --backtrace records; ours use MESSAGE_ID_COREDUMP instead. */
#define MESSAGE_ID_SYSTEMD_BACKTRACE "1f4e0a44a88649939aaea34fc6da8c95"
