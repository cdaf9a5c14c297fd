/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-id128.h>

#include "ctl-record.h"
#include "message-ids.h"
#include "signal-names.h"

static const char *const core_states[_CTL_CORE_STATE_MAX] = {
        [CTL_CORE_NONE] = "none",
        [CTL_CORE_PRESENT] = "present",
        [CTL_CORE_MISSING] = "missing",
        [CTL_CORE_ERROR] = "error",
        [CTL_CORE_JOURNAL] = "journal",
        [CTL_CORE_TRUNCATED] = "truncated",
        [CTL_CORE_REMOTE] = "remote",
        [CTL_CORE_NOT_APPLICABLE] = NULL,
};

const char *ctl_core_state_to_string(CtlCoreState s) {
        return s >= 0 && s < _CTL_CORE_STATE_MAX ? core_states[s] : NULL;
}

void ctl_file_probe(const char *path, CtlFileProbe *ret) {
        struct stat st;

        if (stat(path, &st) < 0)
                *ret = (CtlFileProbe) { .error = errno > 0 ? -errno : -EIO };
        else if (!S_ISREG(st.st_mode))
                *ret = (CtlFileProbe) { .error = -EBADF };
        else if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0)
                *ret = (CtlFileProbe) { .error = errno > 0 ? -errno : -EIO };
        else
                *ret = (CtlFileProbe) { .size = (uint64_t) st.st_size };
}

bool ctl_record_is_backtrace_only(const ExportRecord *r) {
        const char *id = export_record_get_string(r, "MESSAGE_ID");
        return id && strcmp(id, MESSAGE_ID_SYSTEMD_BACKTRACE) == 0;
}

bool ctl_record_core_elsewhere(const ExportRecord *r) {
        const char *machine = export_record_get_string(r, "_MACHINE_ID");
        const char *host = export_record_get_string(r, "COREJOURNAL_CORE_HOST");

        if (machine && *machine) {
                sd_id128_t id;
                char here[SD_ID128_STRING_MAX];
                if (sd_id128_get_machine(&id) < 0)
                        return false;
                return strcmp(machine, sd_id128_to_string(id, here)) != 0;
        }
        if (host && *host) {
                char here[256] = "";
                (void) gethostname(here, sizeof(here) - 1);
                return strcmp(host, here) != 0;
        }
        return false;
}

CtlCoreState ctl_record_core_state(const ExportRecord *r, const CtlFileProbe *probe) {
        CtlCoreState s;
        bool embedded = export_record_has(r, "COREDUMP");

        if (export_record_has(r, "COREDUMP_FILENAME") && ctl_record_core_elsewhere(r))
                s = embedded ? CTL_CORE_JOURNAL : CTL_CORE_REMOTE;
        else if (export_record_has(r, "COREDUMP_FILENAME") && probe && probe->error == -ENOENT && embedded)
                s = CTL_CORE_JOURNAL; /* the file is gone (or never was here), the record carries the core */
        else if (export_record_has(r, "COREDUMP_FILENAME")) {
                if (!probe || probe->error == 0)
                        s = CTL_CORE_PRESENT;
                else if (probe->error == -ENOENT)
                        s = CTL_CORE_MISSING;
                else
                        s = CTL_CORE_ERROR;
        } else if (embedded)
                s = CTL_CORE_JOURNAL;
        else if (!ctl_record_is_backtrace_only(r))
                return CTL_CORE_NONE;
        else
                return CTL_CORE_NOT_APPLICABLE;

        if ((s == CTL_CORE_PRESENT || s == CTL_CORE_JOURNAL) && ctl_record_get_bool(r, "COREDUMP_TRUNCATED"))
                s = CTL_CORE_TRUNCATED;
        return s;
}

bool ctl_record_get_u64(const ExportRecord *r, const char *name, uint64_t *ret) {
        const char *s = export_record_get_string(r, name);
        uint64_t v = 0;

        if (!s || !*s)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return false;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *ret = v;
        return true;
}

bool ctl_record_get_bool(const ExportRecord *r, const char *name) {
        static const char *const truths[] = { "1", "yes", "y", "true", "t", "on" };
        const char *s = export_record_get_string(r, name);

        if (!s)
                return false;
        for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++)
                if (strcasecmp(s, truths[i]) == 0)
                        return true;
        return false;
}

int ctl_record_signal(const ExportRecord *r) {
        uint64_t v;

        if (!ctl_record_get_u64(r, "COREDUMP_SIGNAL", &v) || v == 0 || v > 127)
                return -1;
        return (int) v;
}

const char *ctl_record_signal_name(const ExportRecord *r, char buf[static 16]) {
        const char *name = export_record_get_string(r, "COREDUMP_SIGNAL_NAME");
        int sig;

        if (name && *name)
                return name;
        sig = ctl_record_signal(r);
        if (sig > 0) {
                name = signal_to_name(sig, buf);
                if (name)
                        return name;
        }
        name = export_record_get_string(r, "COREDUMP_SIGNAL");
        return name && *name ? name : NULL;
}

const char *ctl_record_exe(const ExportRecord *r) {
        const char *exe = export_record_get_string(r, "COREDUMP_EXE");
        if (exe && *exe)
                return exe;
        exe = export_record_get_string(r, "COREDUMP_COMM");
        return exe && *exe ? exe : NULL;
}

uint64_t ctl_record_time(const ExportRecord *r) {
        uint64_t t;
        return ctl_record_get_u64(r, "__REALTIME_TIMESTAMP", &t) ? t : 0;
}
