/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the /proc parsers behind collect_proc_identity() (stat and status,
 * each given the whole input and the two halves around its first NUL) and to the formatters behind
 * collect_proc_context() (comm, cmdline, environ, one OPEN_FDS entry), checking the bounds and the
 * escaping each one promises. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "collect-proc.h"
#include "fuzz.h"
#include "input-limits.h"

#define FUZZ_ENVIRON_MAX 4096
#define FUZZ_OPEN_FDS_MAX 4096

static void check_identity(const char *stat, size_t stat_size, const char *status, size_t status_size) {
        CollectProcIdentity id = { 0 };

        if (collect_proc_parse_stat(stat, stat_size, &id) == 0) {
                if (id.pid <= 0 || id.ppid < 0 || strnlen(id.comm, sizeof(id.comm)) >= sizeof(id.comm))
                        abort();
        }
        (void) collect_proc_parse_status(status, status_size, &id);
}

/* Escaped output holds printable ASCII (and newlines where NULs were), nothing else. */
static void check_escaped(const char *s, size_t n, bool newline_ok) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if ((c < ' ' || c >= 127) && !(newline_ok && c == '\n'))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(freep) char *buf = NULL, *comm = NULL, *cmdline = NULL, *environ_s = NULL, *fds = NULL;
        size_t n, fds_size = 0;

        if (size > 1024 * 1024)
                return 0;
        buf = malloc(size + 1);
        if (!buf)
                return 0;
        if (size > 0)
                memcpy(buf, data, size);
        buf[size] = 0;

        check_identity(buf, size, buf, size);
        const char *nul = memchr(buf, 0, size);
        if (nul) {
                size_t first = (size_t) (nul - buf);
                check_identity(buf, first, nul + 1, size - first - 1);
        }

        if (collect_proc_format_comm(buf, size, &comm) == 0) {
                if (strlen(comm) >= PROC_COMM_ESCAPED_MAX)
                        abort();
                check_escaped(comm, strlen(comm), false);
        }

        if (collect_proc_format_cmdline(buf, size, &cmdline) == 0) {
                /* Control bytes never appear raw; everything else may (valid UTF-8). */
                for (const char *p = cmdline; *p; p++)
                        if ((unsigned char) *p < ' ' || *p == 127)
                                abort();
        }

        if (collect_proc_format_environ(buf, size, FUZZ_ENVIRON_MAX, &environ_s, &n) == 0) {
                if (n >= FUZZ_ENVIRON_MAX || strlen(environ_s) != n)
                        abort();
                check_escaped(environ_s, n, true);
        }

        /* First string: the link target; the rest: fdinfo content. */
        size_t target_len = strlen(buf), rest = target_len < size ? size - target_len - 1 : 0;
        for (int fd = 0; fd < 3; fd++) {
                int r = collect_proc_open_fds_append(&fds, &fds_size, FUZZ_OPEN_FDS_MAX, fd, buf,
                                                     buf + target_len + (rest > 0), rest);
                if (r < 0 || fds_size > FUZZ_OPEN_FDS_MAX || (r == 1 && fds[fds_size] != 0))
                        abort();
        }
        return 0;
}
