/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the configuration parser and checks what it promises whatever the
 * input: every field stays valid, and every diagnostic is bounded printable text. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "collect-config.h"
#include "fuzz.h"

static void check_path(const char *path, bool may_be_null) {
        if (!path) {
                if (!may_be_null)
                        abort();
                return;
        }
        if (path[0] != '/' || strstr(path, "//") || strlen(path) >= 4096)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        _cleanup_(collect_config_diagnostics_done) CollectConfigDiagnostics diag = {};
        int r;

        if (collect_config_init(&c) < 0)
                return 0;
        r = collect_config_parse_buffer(&c, "fuzz.conf", (const char *) data, size, &diag);
        if (r == -ENOMEM)
                return 0;
        if (r < 0 || diag.n_messages > CONFIG_DIAGNOSTICS_MAX ||
            (size_t) r != diag.n_messages + diag.n_suppressed)
                abort();

        for (size_t i = 0; i < diag.n_messages; i++) {
                const char *m = diag.messages[i];
                if (strncmp(m, "fuzz.conf:", 10) != 0 || strlen(m) > 1024)
                        abort();
                for (; *m; m++)
                        if (*m < 0x20 || *m >= 0x7f)
                                abort();
        }

        if (!coredump_storage_to_string(c.storage) || c.journal_size_max > COREDUMP_JOURNAL_SIZE_MAX_DEFAULT ||
            c.backtrace_timeout_usec == 0 || c.backtrace_timeout_usec == UINT64_MAX ||
            c.backtrace_memory_max == 0)
                abort();
        check_path(c.journal_socket, false);
        check_path(c.export_file, true);
        check_path(c.storage_dir, false);
        check_path(c.spool_dir, false);

        /* The value parsers on their own, over the input as one string. */
        _cleanup_(freep) char *s = strndup((const char *) data, size);
        if (s) {
                uint64_t v;
                bool b;
                (void) collect_config_parse_size(s, &v);
                (void) collect_config_parse_timespan(s, &v);
                (void) collect_config_parse_boolean(s, &b);
                (void) coredump_storage_from_string(s);
        }
        return 0;
}
