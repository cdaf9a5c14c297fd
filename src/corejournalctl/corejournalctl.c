/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corejournalctl: find, read, retrieve and debug crashes recorded in the journal. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "ctl-args.h"
#include "ctl-verbs.h"
#include "io.h"

int main(int argc, char **argv) {
        char error[CTL_ERROR_MAX];
        CtlArgs args;
        int r;

        tzset();
        r = ctl_args_parse(argc, argv, io_now_realtime_usec(), &args, error);
        if (r == -ENOMEM) {
                fputs("corejournalctl: out of memory\n", stderr);
                return CTL_EXIT_FAILURE;
        }
        if (r < 0) {
                fprintf(stderr, "corejournalctl: %s\n", error);
                return CTL_EXIT_USAGE;
        }
        if (args.help)
                fputs(ctl_args_help(), stdout);
        else if (args.version)
                printf("corejournalctl %s\n+ZSTD -XZ -LZ4 +JSON\n", PACKAGE_VERSION);
        else
                r = ctl_verbs_run(&args, io_now_realtime_usec());
        ctl_args_done(&args);
        if (fflush(stdout) != 0 && r >= 0) {
                fputs("corejournalctl: cannot write output\n", stderr);
                return CTL_EXIT_FAILURE;
        }
        return ctl_exit_from_error(r);
}
