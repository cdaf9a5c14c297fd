/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* floor-devnull: the floor of a core_pattern helper. Reads the core stream on fd 0 to EOF into a
 * 1 MiB buffer and throws it away, with the pipe enlarged to 1 MiB as corejournal-handler does;
 * closes fd 0 at EOF (which releases the crasher) and exits.
 *   core_pattern = |/path/floor-devnull
 * Build: cc -O2 -o floor-devnull bench/floor-devnull.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static char buf[1 << 20];

int main(void) {
        (void) fcntl(0, F_SETPIPE_SZ, 1 << 20);
        for (;;) {
                ssize_t n = read(0, buf, sizeof(buf));
                if (n > 0)
                        continue;
                if (n < 0 && errno == EINTR)
                        continue;
                break;
        }
        close(0);
        return 0;
}
