/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-info.h"
#include "ctl-json.h"
#include "ctl-limits.h"
#include "ctl-text.h"
#include "message-ids.h"

json_object *ctl_json_string(const void *s, size_t size) {
        _cleanup_(freep) char *clean = NULL;

        if (ctl_text_sanitize(s, size, 0, &clean) < 0)
                return NULL;
        return json_object_new_string(clean);
}

json_object *ctl_json_field(const ExportRecord *r, const char *name) {
        const ExportField *f = export_record_find(r, name);
        return f ? ctl_json_string(f->value, f->size) : NULL;
}

json_object *ctl_json_field_u64(const ExportRecord *r, const char *name) {
        uint64_t v;
        return ctl_record_get_u64(r, name, &v) ? json_object_new_uint64(v) : NULL;
}

json_object *ctl_json_parse(const char *s, size_t size) {
        json_tokener *tok;
        json_object *obj;

        if (size > CTL_BACKTRACE_JSON_SIZE_MAX || size > INT32_MAX)
                return NULL;
        tok = json_tokener_new_ex(CTL_BACKTRACE_JSON_DEPTH_MAX);
        if (!tok)
                return NULL;
        obj = json_tokener_parse_ex(tok, s, (int) size);
        if (json_tokener_get_error(tok) != json_tokener_success) {
                json_object_put(obj);
                obj = NULL;
        }
        json_tokener_free(tok);
        return obj;
}

/* json_object_object_add() takes the value (NULL is JSON null); fails only for lack of memory. */
static int add(json_object *o, const char *key, json_object *v) {
        return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

int ctl_json_list_row(const ExportRecord *r, const CtlFileProbe *probe, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        CtlCoreState state = ctl_record_core_state(r, probe);
        const char *exe = ctl_record_exe(r), *corefile = ctl_core_state_to_string(state);
        int sig = ctl_record_is_backtrace_only(r) ? 0 : ctl_record_signal(r);
        char sig_buf[16];
        const char *signal_name = ctl_record_signal_name(r, sig_buf);
        int k = 0;

        if (!o)
                return -ENOMEM;
        k |= add(o, "time", json_object_new_uint64(ctl_record_time(r)));
        k |= add(o, "pid", ctl_json_field_u64(r, "COREDUMP_PID"));
        k |= add(o, "uid", ctl_json_field_u64(r, "COREDUMP_UID"));
        k |= add(o, "gid", ctl_json_field_u64(r, "COREDUMP_GID"));
        k |= add(o, "sig", sig > 0 ? json_object_new_int(sig) : NULL); /* null as coredumpctl's signal 0 */
        k |= add(o, "corefile", corefile ? json_object_new_string(corefile) : NULL);
        k |= add(o, "exe", exe ? ctl_json_string(exe, strlen(exe)) : NULL);
        k |= add(o, "size", (state == CTL_CORE_PRESENT || state == CTL_CORE_TRUNCATED) && probe && probe->error == 0 ?
                                    json_object_new_uint64(probe->size) : NULL);
        k |= add(o, "comm", ctl_json_field(r, "COREDUMP_COMM"));
        k |= add(o, "signal_name", signal_name ? ctl_json_string(signal_name, strlen(signal_name)) : NULL);
        k |= add(o, "message_id", ctl_json_field(r, "MESSAGE_ID"));
        k |= add(o, "filename", ctl_json_field(r, "COREDUMP_FILENAME"));
        k |= add(o, "signature", ctl_json_field(r, "COREJOURNAL_SIGNATURE"));
        k |= add(o, "boot_id", ctl_json_field(r, "_BOOT_ID"));
        k |= add(o, "cursor", ctl_json_field(r, "__CURSOR"));
        if (k)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

int ctl_json_info(const ExportRecord *r, const CtlFileProbe *probe, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *storage = json_object_new_object();
        CtlCoreState state = ctl_record_core_state(r, probe);
        const char *corefile = ctl_core_state_to_string(state);
        int sig = ctl_record_signal(r);
        char sig_buf[16];
        const char *signal_name = ctl_record_signal_name(r, sig_buf);
        int k = 0;

        if (!o || !storage)
                return -ENOMEM;
        k |= add(o, "time", json_object_new_uint64(ctl_record_time(r)));
        k |= add(o, "cursor", ctl_json_field(r, "__CURSOR"));
        k |= add(o, "message_id", ctl_json_field(r, "MESSAGE_ID"));
        k |= add(o, "pid", ctl_json_field_u64(r, "COREDUMP_PID"));
        k |= add(o, "tid", ctl_json_field_u64(r, "COREDUMP_TID"));
        k |= add(o, "uid", ctl_json_field_u64(r, "COREDUMP_UID"));
        k |= add(o, "gid", ctl_json_field_u64(r, "COREDUMP_GID"));
        k |= add(o, "signal", sig > 0 ? json_object_new_int(sig) : NULL);
        k |= add(o, "signal_name", signal_name ? ctl_json_string(signal_name, strlen(signal_name)) : NULL);
        k |= add(o, "timestamp", ctl_json_field_u64(r, "COREDUMP_TIMESTAMP"));
        k |= add(o, "comm", ctl_json_field(r, "COREDUMP_COMM"));
        k |= add(o, "thread_name", ctl_json_field(r, "COREDUMP_THREAD_NAME"));
        k |= add(o, "exe", ctl_json_field(r, "COREDUMP_EXE"));
        k |= add(o, "cmdline", ctl_json_field(r, "COREDUMP_CMDLINE"));
        k |= add(o, "cgroup", ctl_json_field(r, "COREDUMP_CGROUP"));
        k |= add(o, "unit", ctl_json_field(r, "COREDUMP_UNIT"));
        k |= add(o, "user_unit", ctl_json_field(r, "COREDUMP_USER_UNIT"));
        k |= add(o, "slice", ctl_json_field(r, "COREDUMP_SLICE"));
        k |= add(o, "session", ctl_json_field(r, "COREDUMP_SESSION"));
        k |= add(o, "owner_uid", ctl_json_field_u64(r, "COREDUMP_OWNER_UID"));
        k |= add(o, "boot_id", ctl_json_field(r, "_BOOT_ID"));
        k |= add(o, "machine_id", ctl_json_field(r, "_MACHINE_ID"));
        k |= add(o, "hostname", ctl_json_field(r, "COREDUMP_HOSTNAME"));

        k |= add(storage, "state", corefile ? json_object_new_string(corefile) : NULL);
        k |= add(storage, "filename", ctl_json_field(r, "COREDUMP_FILENAME"));
        k |= add(storage, "size_on_disk", probe && probe->error == 0 && export_record_has(r, "COREDUMP_FILENAME") ?
                                                  json_object_new_uint64(probe->size) : NULL);
        k |= add(storage, "truncated", json_object_new_boolean(ctl_record_get_bool(r, "COREDUMP_TRUNCATED")));
        k |= add(storage, "core_size", ctl_json_field_u64(r, "COREJOURNAL_CORE_SIZE"));
        k |= add(storage, "stored_size", ctl_json_field_u64(r, "COREJOURNAL_CORE_STORED_SIZE"));
        k |= add(storage, "not_stored", ctl_json_field(r, "COREJOURNAL_CORE_NOT_STORED"));
        k |= add(storage, "not_stored_message", ctl_json_field(r, "COREJOURNAL_CORE_NOT_STORED_MESSAGE"));
        k |= add(o, "storage", TAKE_PTR(storage));

        k |= add(o, "package_name", ctl_json_field(r, "COREDUMP_PACKAGE_NAME"));
        k |= add(o, "package_version", ctl_json_field(r, "COREDUMP_PACKAGE_VERSION"));
        {
                const char *exe = export_record_get_string(r, "COREDUMP_EXE");
                const char *pkg = export_record_get_string(r, "COREDUMP_PACKAGE_JSON");
                _cleanup_(freep) char *id = NULL;
                if (exe && pkg && ctl_info_build_id(pkg, exe, &id) < 0)
                        return -ENOMEM;
                k |= add(o, "build_id", id ? ctl_json_string(id, strlen(id)) : NULL);
        }
        k |= add(o, "signature", ctl_json_field(r, "COREJOURNAL_SIGNATURE"));
        k |= add(o, "source", ctl_json_field(r, "COREJOURNAL_SOURCE"));
        {
                const ExportField *bt = export_record_find(r, "COREJOURNAL_BACKTRACE_JSON");
                k |= add(o, "backtrace", bt ? ctl_json_parse((const char *) bt->value, bt->size) : NULL);
        }
        k |= add(o, "message", ctl_json_field(r, "MESSAGE"));
        if (k)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

int ctl_json_print(FILE *f, json_object *obj, CtlJsonMode mode) {
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

        flags |= mode == CTL_JSON_PRETTY ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
        const char *s = json_object_to_json_string_ext(obj, flags);
        if (!s)
                return -ENOMEM;
        fputs(s, f);
        fputc('\n', f);
        return ferror(f) ? -EIO : 0;
}
