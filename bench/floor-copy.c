/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* floor-copy: the floor of a helper that keeps the core. Reads the core stream on fd 0 in 1 MiB
 * pieces (pipe enlarged to 1 MiB, as corejournal-handler does) and write()s every byte, zero pages
 * included, uncompressed, to DIR/floor.PID (O_CREAT|O_EXCL); closes fd 0 at EOF (which releases the
 * crasher), then fsync()s the file and DIR, as corejournal-handler and systemd-coredump do before
 * they publish a core.
 *   core_pattern = |/path/floor-copy DIR %P
 * Build: cc -O2 -o floor-copy bench/floor-copy.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static char buf[1 << 20];

int main(int argc, char **argv) {
        char path[4096];

        if (argc != 3)
                return 2;
        snprintf(path, sizeof(path), "%s/floor.%s", argv[1], argv[2]);
        int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out < 0)
                return 1;
        (void) fcntl(0, F_SETPIPE_SZ, 1 << 20);
        int rc = 0;
        for (;;) {
                ssize_t n = read(0, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(out, buf + off, (size_t) (n - off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w <= 0) {
                                rc = 1;
                                break;
                        }
                        off += w;
                }
                if (rc)
                        break;
        }
        close(0);
        if (fsync(out) < 0)
                rc = 1;
        close(out);
        int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
                (void) fsync(dir);
                close(dir);
        }
        return rc;
}
