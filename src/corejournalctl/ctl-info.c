/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "ctl-info.h"
#include "ctl-json.h"
#include "ctl-size.h"
#include "ctl-text.h"
#include "ctl-time.h"

/* Bytes of a passwd/group lookup buffer. */
#define NAME_LOOKUP_BUFFER_SIZE 16384

/* systemd's uid_to_name(): the user name, or the number itself. */
static void uid_name(uint64_t uid, char *buf, size_t size) {
        struct passwd pw, *res = NULL;
        char tmp[NAME_LOOKUP_BUFFER_SIZE];

        if (uid <= UINT32_MAX - 1 && getpwuid_r((uid_t) uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
                (void) snprintf(buf, size, "%s", res->pw_name);
        else
                (void) snprintf(buf, size, "%" PRIu64, uid);
}

static void gid_name(uint64_t gid, char *buf, size_t size) {
        struct group gr, *res = NULL;
        char tmp[NAME_LOOKUP_BUFFER_SIZE];

        if (gid <= UINT32_MAX - 1 && getgrgid_r((gid_t) gid, &gr, tmp, sizeof(tmp), &res) == 0 && res)
                (void) snprintf(buf, size, "%s", res->gr_name);
        else
                (void) snprintf(buf, size, "%" PRIu64, gid);
}

/* A field made printable (controls escaped, newlines kept); NULL when absent. */
static char *field_text(const ExportRecord *r, const char *name) {
        const ExportField *f = export_record_find(r, name);
        char *s = NULL;

        if (!f)
                return NULL;
        if (ctl_text_sanitize(f->value, f->size, CTL_TEXT_ESCAPE_CONTROL | CTL_TEXT_ESCAPE_NEWLINE, &s) < 0)
                return NULL;
        return s;
}

static void line(FILE *f, const char *label, const char *value) {
        fprintf(f, "%14s: %s\n", label, value);
}

static void id_line(FILE *f, const char *label, const ExportRecord *r, const char *field, bool group) {
        _cleanup_(freep) char *v = field_text(r, field);
        uint64_t n;
        char name[256];

        if (!v)
                return;
        if (ctl_record_get_u64(r, field, &n)) {
                if (group)
                        gid_name(n, name, sizeof(name));
                else
                        uid_name(n, name, sizeof(name));
                fprintf(f, "%14s: %s (%s)\n", label, v, name);
        } else
                line(f, label, v);
}

static void text_line(FILE *f, const char *label, const ExportRecord *r, const char *field) {
        _cleanup_(freep) char *v = field_text(r, field);
        if (v)
                line(f, label, v);
}

int ctl_info_build_id(const char *package_json, const char *exe, char **ret) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        const char *base = strrchr(exe, '/');

        base = base ? base + 1 : exe;
        *ret = NULL;
        root = ctl_json_parse(package_json, strlen(package_json));
        if (!root || !json_object_is_type(root, json_type_object))
                return 0;
        json_object_object_foreach(root, key, module) {
                const char *kb = strrchr(key, '/');
                json_object *id;

                kb = kb ? kb + 1 : key;
                /* systemd compares file names, as module names may be paths or bare names. */
                if (strcmp(kb, base) != 0)
                        continue;
                if (json_object_object_get_ex(module, "buildId", &id) && json_object_is_type(id, json_type_string)) {
                        *ret = strdup(json_object_get_string(id));
                        return *ret ? 0 : -ENOMEM;
                }
                break;
        }
        return 0;
}

int ctl_info_print(FILE *f, const ExportRecord *r, const CtlFileProbe *probe, uint64_t now) {
        bool normal = !ctl_record_is_backtrace_only(r);
        char buf[CTL_TIME_STRING_MAX], rel[CTL_TIME_STRING_MAX], sig_buf[16];
        int r_ = 0;

        {
                _cleanup_(freep) char *pid = field_text(r, "COREDUMP_PID"), *comm = field_text(r, "COREDUMP_COMM");
                if (comm)
                        fprintf(f, "%14s: %s (%s)\n", "PID", pid ? pid : "n/a", comm);
                else
                        line(f, "PID", pid ? pid : "n/a");
        }
        id_line(f, "UID", r, "COREDUMP_UID", false);
        id_line(f, "GID", r, "COREDUMP_GID", true);
        {
                _cleanup_(freep) char *sig = field_text(r, "COREDUMP_SIGNAL");
                int n = ctl_record_signal(r);
                const char *name = n > 0 ? ctl_record_signal_name(r, sig_buf) : NULL;

                if (sig && normal && n > 0 && name)
                        /* coredumpctl prints systemd's signal_to_string(), without "SIG". */
                        fprintf(f, "%14s: %s (%s)\n", "Signal", sig, strncmp(name, "SIG", 3) == 0 ? name + 3 : name);
                else if (sig)
                        line(f, normal ? "Signal" : "Reason", sig);
        }
        {
                uint64_t ts;
                _cleanup_(freep) char *raw = field_text(r, "COREDUMP_TIMESTAMP");
                if (ctl_record_get_u64(r, "COREDUMP_TIMESTAMP", &ts))
                        fprintf(f, "%14s: %s (%s)\n", "Timestamp", ctl_time_format(ts, buf),
                                ctl_time_format_relative(ts, now, rel));
                else if (raw)
                        line(f, "Timestamp", raw);
        }
        text_line(f, "Command Line", r, "COREDUMP_CMDLINE");
        text_line(f, "Executable", r, "COREDUMP_EXE");
        text_line(f, "Control Group", r, "COREDUMP_CGROUP");
        text_line(f, "Unit", r, "COREDUMP_UNIT");
        text_line(f, "User Unit", r, "COREDUMP_USER_UNIT");
        text_line(f, "Slice", r, "COREDUMP_SLICE");
        text_line(f, "Session", r, "COREDUMP_SESSION");
        id_line(f, "Owner UID", r, "COREDUMP_OWNER_UID", false);
        text_line(f, "Boot ID", r, "_BOOT_ID");
        text_line(f, "Machine ID", r, "_MACHINE_ID");
        text_line(f, "Hostname", r, "COREDUMP_HOSTNAME");

        {
                _cleanup_(freep) char *file = field_text(r, "COREDUMP_FILENAME");
                CtlCoreState state = ctl_record_core_state(r, probe);

                bool elsewhere = ctl_record_core_elsewhere(r);
                if (file) {
                        fprintf(f, "%14s: %s (%s)\n", "Storage", file, ctl_core_state_to_string(state));
                        _cleanup_(freep) char *host = elsewhere ? field_text(r, "COREJOURNAL_CORE_HOST") : NULL;
                        if (host)
                                line(f, "Kept On", host);
                        if (!elsewhere && probe && probe->error == 0) {
                                char size[CTL_SIZE_STRING_MAX];
                                line(f, "Size on Disk", ctl_size_format(probe->size, size));
                        }
                } else if (export_record_has(r, "COREDUMP"))
                        line(f, "Storage", "journal");
                else
                        line(f, "Storage", "none");
        }
        {
                _cleanup_(freep) char *why = field_text(r, "COREJOURNAL_CORE_NOT_STORED_MESSAGE");
                _cleanup_(freep) char *token = field_text(r, "COREJOURNAL_CORE_NOT_STORED");
                if (why || token)
                        line(f, "Not Stored", why ? why : token);
        }
        {
                _cleanup_(freep) char *name = field_text(r, "COREDUMP_PACKAGE_NAME");
                _cleanup_(freep) char *version = field_text(r, "COREDUMP_PACKAGE_VERSION");
                if (name && version)
                        fprintf(f, "%14s: %s/%s\n", "Package", name, version);
        }
        {
                const char *exe = export_record_get_string(r, "COREDUMP_EXE");
                const char *json = export_record_get_string(r, "COREDUMP_PACKAGE_JSON");
                _cleanup_(freep) char *id = NULL;
                if (exe && json) {
                        r_ = ctl_info_build_id(json, exe, &id);
                        if (r_ < 0)
                                return r_;
                        if (id) {
                                _cleanup_(freep) char *safe = NULL;
                                r_ = ctl_text_sanitize(id, strlen(id), CTL_TEXT_ESCAPE_CONTROL | CTL_TEXT_ESCAPE_NEWLINE, &safe);
                                if (r_ < 0)
                                        return r_;
                                line(f, "build-id", safe);
                        }
                }
        }
        text_line(f, "Signature", r, "COREJOURNAL_SIGNATURE");

        {
                const ExportField *m = export_record_find(r, "MESSAGE");
                _cleanup_(freep) char *text = NULL;
                if (m) {
                        r_ = ctl_text_sanitize(m->value, m->size, CTL_TEXT_ESCAPE_CONTROL, &text);
                        if (r_ < 0)
                                return r_;
                        /* coredumpctl indents continuation lines by 16 and strips the whole text. */
                        char *start = text;
                        while (*start == ' ' || *start == '\t' || *start == '\n')
                                start++;
                        size_t len = strlen(start);
                        while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t' || start[len - 1] == '\n'))
                                len--;
                        fprintf(f, "%14s: ", "Message");
                        for (size_t i = 0; i < len; i++) {
                                fputc(start[i], f);
                                if (start[i] == '\n')
                                        fputs("                ", f);
                        }
                        fputc('\n', f);
                }
        }
        return ferror(f) ? -EIO : 0;
}
