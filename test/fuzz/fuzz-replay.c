/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a fuzz target over every file of the corpus directories (or files) named in argv, so each
 * test run replays what fuzzing found. Fails when a path cannot be read or holds no input. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fuzz.h"
#include "io.h"

static int run_file(int dir_fd, const char *name) {
        _cleanup_(freep) char *data = NULL;
        size_t size;
        int r = io_read_file_at(dir_fd, name, 64 * 1024 * 1024, &data, &size);
        if (r < 0) {
                fprintf(stderr, "cannot read %s: %s\n", name, strerror(-r));
                return r;
        }
        (void) LLVMFuzzerTestOneInput((const uint8_t *) data, size);
        return 0;
}

int main(int argc, char **argv) {
        size_t n = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "cannot open corpus %s: %m\n", argv[i]);
                        return EXIT_FAILURE;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(AT_FDCWD, argv[i]) < 0)
                                return EXIT_FAILURE;
                        n++;
                        continue;
                }
                DIR *d = opendir(argv[i]);
                if (!d) {
                        fprintf(stderr, "cannot open corpus %s: %m\n", argv[i]);
                        return EXIT_FAILURE;
                }
                for (struct dirent *de; (de = readdir(d));) {
                        if (de->d_name[0] == '.')
                                continue;
                        if (run_file(dirfd(d), de->d_name) < 0) {
                                closedir(d);
                                return EXIT_FAILURE;
                        }
                        n++;
                }
                closedir(d);
        }
        if (n == 0) {
                fprintf(stderr, "no corpus input found\n");
                return EXIT_FAILURE;
        }
        printf("replayed %zu inputs\n", n);
        return EXIT_SUCCESS;
}
