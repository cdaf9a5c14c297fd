/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backtrace-findings.h"
#include "backtrace-json.h"
#include "input-limits.h"

static bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static void frame_done(BacktraceFrame *f) {
        free(f->symbol);
        free(f->module_name);
}

static void thread_done(BacktraceThread *t) {
        for (size_t i = 0; i < t->n_frames; i++)
                frame_done(&t->frames[i]);
        free(t->frames);
        free(t->unwind_error);
}

static void module_done(BacktraceModule *m) {
        free(m->name);
        free(m->path);
        free(m->build_id);
        free(m->package_owner);
        json_object_put(m->package);
        free(m->package_error);
}

void backtrace_findings_done(BacktraceFindings *f) {
        for (size_t i = 0; i < f->n_modules; i++)
                module_done(&f->modules[i]);
        free(f->modules);
        for (size_t i = 0; i < f->n_threads; i++)
                thread_done(&f->threads[i]);
        free(f->threads);
        free(f->architecture);
        free(f->error);
        free(f->memory_note);
        for (size_t i = 0; i < f->n_compressed_debuginfo; i++)
                free(f->compressed_debuginfo[i]);
        *f = (BacktraceFindings) {};
}

/* A member copied through backtrace_json_sanitize(): 0 with *ret NULL when absent or null,
 * -EBADMSG when present with another type, -ENOMEM. */
static int get_name(json_object *o, const char *key, char **ret) {
        json_object *v;

        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = backtrace_json_sanitize(json_object_get_string(v), BACKTRACE_NAME_SIZE_MAX);
        return *ret ? 0 : -ENOMEM;
}

static bool get_bool(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
                json_object_get_boolean(v);
}

/* A build-id must be lowercase hex of even length, as the child writes it. */
static bool build_id_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n % 2 == 0 && n <= 2 * 64 && strspn(s, "0123456789abcdef") == n;
}

static int add_core(BacktraceFindings *f, json_object *o) {
        if (f->has_core)
                return -EBADMSG;
        if (backtrace_json_get_address(o, "size", &f->core_size) < 0 ||
            backtrace_json_get_address(o, "expected", &f->core_expected_size) < 0)
                return -EBADMSG;
        f->has_core = true;
        return get_name(o, "arch", &f->architecture);
}

static int add_module(BacktraceFindings *f, json_object *o) {
        BacktraceModule m = {};
        json_object *package;
        int r;

        if (!f->has_core || f->modules_complete || f->n_modules >= BACKTRACE_MODULES_MAX)
                return -EBADMSG;

        if (backtrace_json_get_address(o, "start", &m.start) < 0 ||
            backtrace_json_get_address(o, "end", &m.end) < 0)
                return -EBADMSG;
        m.main = get_bool(o, "main");
        r = get_name(o, "name", &m.name);
        if (r >= 0 && !m.name)
                r = -EBADMSG;
        if (r >= 0)
                r = get_name(o, "path", &m.path);
        if (r >= 0)
                r = get_name(o, "build_id", &m.build_id);
        if (r >= 0 && m.build_id && !build_id_valid(m.build_id))
                r = -EBADMSG;
        if (r >= 0)
                r = get_name(o, "package_error", &m.package_error);
        if (r >= 0 && json_object_object_get_ex(o, "package", &package) && package) {
                if (!json_object_is_type(package, json_type_object))
                        r = -EBADMSG;
                else {
                        m.package = json_object_get(package);
                        r = get_name(o, "package_owner", &m.package_owner);
                        if (r >= 0 && !m.package_owner)
                                r = -EBADMSG;
                }
        }
        if (r < 0) {
                module_done(&m);
                return r;
        }

        BacktraceModule *n = reallocarray(f->modules, f->n_modules + 1, sizeof(BacktraceModule));
        if (!n) {
                module_done(&m);
                return -ENOMEM;
        }
        f->modules = n;
        f->modules[f->n_modules++] = m;
        return 0;
}

static BacktraceThread *open_thread(BacktraceFindings *f) {
        if (f->n_threads == 0 || f->threads[f->n_threads - 1].ended)
                return NULL;
        return &f->threads[f->n_threads - 1];
}

static int add_thread(BacktraceFindings *f, json_object *o) {
        json_object *tid;

        if (!f->modules_complete || open_thread(f) || f->n_threads >= BACKTRACE_THREADS_MAX)
                return -EBADMSG;
        if (!json_object_object_get_ex(o, "tid", &tid) || !json_object_is_type(tid, json_type_int))
                return -EBADMSG;
        int64_t v = json_object_get_int64(tid);
        if (v < 0 || v > INT32_MAX)
                return -EBADMSG;

        BacktraceThread *n = reallocarray(f->threads, f->n_threads + 1, sizeof(BacktraceThread));
        if (!n)
                return -ENOMEM;
        f->threads = n;
        f->threads[f->n_threads++] = (BacktraceThread) { .tid = (pid_t) v };
        return 0;
}

static int add_frame(BacktraceFindings *f, json_object *o) {
        BacktraceThread *t = open_thread(f);
        BacktraceFrame fr = { .module = BACKTRACE_NO_MODULE };
        json_object *module;
        int r;

        if (!t || t->n_frames >= BACKTRACE_FRAMES_MAX)
                return -EBADMSG;
        if (backtrace_json_get_address(o, "pc", &fr.pc) < 0 ||
            backtrace_json_get_address(o, "offset", &fr.offset) < 0)
                return -EBADMSG;
        if (json_object_object_get_ex(o, "module", &module) && module) {
                if (!json_object_is_type(module, json_type_int))
                        return -EBADMSG;
                int64_t i = json_object_get_int64(module);
                if (i >= 0) {
                        if ((uint64_t) i >= f->n_modules)
                                return -EBADMSG;
                        fr.module = (size_t) i;
                }
        }
        r = get_name(o, "symbol", &fr.symbol);
        if (r >= 0)
                r = get_name(o, "module_name", &fr.module_name);
        if (r < 0) {
                frame_done(&fr);
                return r;
        }

        BacktraceFrame *n = reallocarray(t->frames, t->n_frames + 1, sizeof(BacktraceFrame));
        if (!n) {
                frame_done(&fr);
                return -ENOMEM;
        }
        t->frames = n;
        t->frames[t->n_frames++] = fr;
        return 0;
}

static int end_thread(BacktraceFindings *f, json_object *o) {
        BacktraceThread *t = open_thread(f);

        if (!t)
                return -EBADMSG;
        t->ended = true;
        t->frames_truncated = get_bool(o, "frames_truncated");
        return get_name(o, "error", &t->unwind_error);
}

static int dispatch(BacktraceFindings *f, json_object *o) {
        const char *type = backtrace_json_get_string(o, "t");

        if (!type || f->ended)
                return -EBADMSG;
        if (streq(type, "core"))
                return add_core(f, o);
        if (streq(type, "module"))
                return add_module(f, o);
        if (streq(type, "modules_truncated")) {
                f->modules_truncated = true;
                return 0;
        }
        if (streq(type, "modules_end")) {
                if (!f->has_core || f->modules_complete)
                        return -EBADMSG;
                f->modules_complete = true;
                return 0;
        }
        if (streq(type, "thread"))
                return add_thread(f, o);
        if (streq(type, "frame"))
                return add_frame(f, o);
        if (streq(type, "thread_end"))
                return end_thread(f, o);
        if (streq(type, "threads_truncated")) {
                f->threads_truncated = true;
                return 0;
        }
        if (streq(type, "error") || streq(type, "memory")) {
                char **slot = streq(type, "error") ? &f->error : &f->memory_note;
                _cleanup_(freep) char *message = NULL;
                int r = get_name(o, "message", &message);
                if (r < 0 || !message)
                        return r < 0 ? r : -EBADMSG;
                /* The first word counts; a child in trouble may try to say it twice. */
                if (!*slot)
                        *slot = TAKE_PTR(message);
                return 0;
        }
        if (streq(type, "compressed_debuginfo")) {
                _cleanup_(freep) char *path = NULL;
                int r = get_name(o, "path", &path);
                if (r < 0 || !path)
                        return r < 0 ? r : -EBADMSG;
                /* Only a hint for the cache, which checks every path itself; extra ones are dropped. */
                if (f->n_compressed_debuginfo < BACKTRACE_DEBUGINFO_CACHE_FILES_MAX)
                        f->compressed_debuginfo[f->n_compressed_debuginfo++] = TAKE_PTR(path);
                return 0;
        }
        if (streq(type, "end")) {
                if (open_thread(f))
                        return -EBADMSG;
                f->ended = true;
                return 0;
        }
        return -EBADMSG;
}

int backtrace_findings_add_line(BacktraceFindings *f, const char *line, size_t size) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        int r;

        r = backtrace_json_parse(line, size, BACKTRACE_OUTPUT_DEPTH_MAX, &o);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && json_object_is_type(o, json_type_object))
                r = dispatch(f, o);
        else
                r = -EBADMSG;
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                f->malformed = true;
        return 0;
}

int backtrace_findings_add_output(BacktraceFindings *f, const char *buf, size_t size) {
        size_t offset = 0;

        while (offset < size) {
                const char *nl = memchr(buf + offset, '\n', size - offset);
                if (!nl)
                        break;
                size_t length = (size_t) (nl - (buf + offset));
                if (length > 0) {
                        int r = backtrace_findings_add_line(f, buf + offset, length);
                        if (r < 0)
                                return r;
                }
                offset += length + 1;
        }
        return 0;
}
