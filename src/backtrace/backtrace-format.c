/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtrace-format.h"
#include "backtrace-json.h"
#include "input-limits.h"

static const char *strna(const char *s) {
        return s ?: "n/a";
}

static const char *last_component(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

int backtrace_format_package_reference(json_object *metadata, char **ret) {
        const char *name = backtrace_json_get_string(metadata, "name");
        _cleanup_(freep) char *type = NULL, *clean_name = NULL, *version = NULL, *arch = NULL;
        char *s;

        if (!name) {
                *ret = NULL;
                return 0;
        }
        /* The note is the crashed program's: it gets no say over the lines of MESSAGE. */
        if (backtrace_format_note_string(metadata, "type", &type) < 0 ||
            backtrace_format_note_string(metadata, "name", &clean_name) < 0 ||
            backtrace_format_note_string(metadata, "version", &version) < 0 ||
            backtrace_format_note_string(metadata, "architecture", &arch) < 0)
                return -ENOMEM;
        /* The architecture means something even without a version, so it is always shown. */
        if (asprintf(&s, "%s %s%s%s%s%s", type ?: "package", clean_name, version ? "-" : "", version ?: "",
                     arch ? "." : "", arch ?: "") < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int backtrace_format_note_string(json_object *metadata, const char *key, char **ret) {
        const char *s = backtrace_json_get_string(metadata, key);

        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = backtrace_json_sanitize(s, BACKTRACE_NAME_SIZE_MAX);
        return *ret ? 0 : -ENOMEM;
}

int backtrace_format_package_metadata(const BacktraceModule *m, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        int r;

        if (!m->package) {
                *ret = NULL;
                return 0;
        }

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        json_object_object_foreach(m->package, key, value) {
                if (m->build_id && strcmp(key, "buildId") == 0)
                        continue;
                r = backtrace_json_add(o, key, json_object_get(value));
                if (r < 0)
                        return r;
        }
        if (m->build_id) {
                r = backtrace_json_add_string(o, "buildId", m->build_id);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

/* True when an earlier module of the same name had a package note: systemd reports each name's
 * note once. */
static bool package_seen_before(const BacktraceFindings *f, size_t index) {
        for (size_t i = 0; i < index; i++)
                if (f->modules[i].package && strcmp(f->modules[i].name, f->modules[index].name) == 0)
                        return true;
        return false;
}

static int format_module(FILE *out, const BacktraceFindings *f, size_t index) {
        const BacktraceModule *m = &f->modules[index];
        _cleanup_(json_object_putp) json_object *metadata = NULL;
        _cleanup_(freep) char *reference = NULL;
        _cleanup_(freep) char *build_id = NULL;
        int r;

        if (!m->build_id)
                fprintf(out, "Module %s without build-id.\n", m->name);
        if (!m->package || package_seen_before(f, index))
                return 0;

        r = backtrace_format_package_metadata(m, &metadata);
        if (r < 0)
                return r;
        r = backtrace_format_package_reference(metadata, &reference);
        if (r < 0)
                return r;
        r = backtrace_format_note_string(metadata, "buildId", &build_id);
        if (r < 0)
                return r;

        fprintf(out, "Module %s", m->name);
        if (reference)
                fprintf(out, " from %s", reference);
        /* A package and version identify the build already. */
        if (build_id && !(reference && backtrace_json_get_string(metadata, "version")))
                fprintf(out, ", build-id=%s", build_id);
        fputc('\n', out);
        return 0;
}

static const char *frame_module_name(const BacktraceFindings *f, const BacktraceFrame *fr) {
        if (fr->module != BACKTRACE_NO_MODULE && fr->module < f->n_modules)
                return f->modules[fr->module].name;
        return fr->module_name;
}

int backtrace_format_text(const BacktraceFindings *f, char **ret, bool *ret_truncated) {
        /* text is declared first so that it is freed after the stream writing into it closes. */
        _cleanup_(freep) char *text = NULL;
        _cleanup_(fclosep) FILE *out = NULL;
        size_t size = 0;
        bool truncated = false;
        int r;

        if (!f->has_core) {
                *ret = NULL;
                *ret_truncated = false;
                return 0;
        }

        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;

        for (size_t i = 0; i < f->n_modules; i++) {
                r = format_module(out, f, i);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < f->n_threads; i++) {
                const BacktraceThread *t = &f->threads[i];

                if (i > 0)
                        fputc('\n', out);
                fprintf(out, "Stack trace of thread %i:\n", (int) t->tid);
                for (size_t j = 0; j < t->n_frames; j++) {
                        const BacktraceFrame *fr = &t->frames[j];
                        fprintf(out, "#%-2u 0x%016" PRIx64 " %s (%s + 0x%" PRIx64 ")\n", (unsigned) j, fr->pc,
                                strna(fr->symbol), strna(frame_module_name(f, fr)), fr->offset);
                }
        }

        if (fflush(out) != 0 || ferror(out))
                return -ENOMEM;
        if (size == 0) {
                /* No module line and no thread: the architecture alone says nothing. */
                *ret = NULL;
                *ret_truncated = false;
                return 0;
        }
        if (f->architecture)
                fprintf(out, "ELF object binary architecture: %s\n", f->architecture);

        if (fflush(out) != 0 || ferror(out))
                return -ENOMEM;
        out = safe_fclose(out);

        if (size > BACKTRACE_TEXT_SIZE_MAX) {
                size_t cut = BACKTRACE_TEXT_SIZE_MAX;
                while (cut > 0 && text[cut - 1] != '\n')
                        cut--;
                text[cut] = 0;
                truncated = true;
        }

        *ret = TAKE_PTR(text);
        *ret_truncated = truncated;
        return 0;
}

int backtrace_format_package_json(const BacktraceFindings *f, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        char *s;
        int r;

        if (!f->modules_complete) {
                *ret = NULL;
                return 0;
        }

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = backtrace_json_add_string(o, "elfType", "coredump");
        if (r >= 0 && f->architecture)
                r = backtrace_json_add_string(o, "elfArchitecture", f->architecture);
        if (r < 0)
                return r;

        for (size_t i = 0; i < f->n_modules; i++) {
                json_object *metadata;

                if (!f->modules[i].package || package_seen_before(f, i))
                        continue;
                r = backtrace_format_package_metadata(&f->modules[i], &metadata);
                if (r < 0)
                        return r;
                r = backtrace_json_add(o, f->modules[i].name, metadata);
                if (r < 0)
                        return r;
        }

        s = strdup(json_object_to_json_string_ext(o, BACKTRACE_JSON_FLAGS));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

const BacktraceModule *backtrace_format_main_module(const BacktraceFindings *f, const char *exe) {
        for (size_t i = 0; i < f->n_modules; i++) {
                if (exe ? strcmp(last_component(f->modules[i].name), last_component(exe)) == 0 : f->modules[i].main)
                        return &f->modules[i];
        }
        return NULL;
}

static int module_json(const BacktraceModule *m, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = backtrace_json_add_string(o, "name", m->name);
        if (r >= 0)
                r = backtrace_json_add_string(o, "path", m->path);
        if (r >= 0)
                r = backtrace_json_add_address(o, "start", m->start);
        if (r >= 0)
                r = backtrace_json_add_address(o, "end", m->end);
        if (r >= 0)
                r = backtrace_json_add_string(o, "build_id", m->build_id);
        if (r >= 0)
                r = backtrace_json_add(o, "main", json_object_new_boolean(m->main));
        if (r >= 0)
                r = backtrace_json_add(o, "package", json_object_get(m->package));
        if (r >= 0)
                r = backtrace_json_add_string(o, "package_owner", m->package_owner);
        if (r >= 0 && m->package_error)
                r = backtrace_json_add_string(o, "package_error", m->package_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int frame_json(const BacktraceFindings *f, const BacktraceFrame *fr, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const BacktraceModule *m = fr->module != BACKTRACE_NO_MODULE && fr->module < f->n_modules ?
                &f->modules[fr->module] : NULL;
        int r;

        if (!o)
                return -ENOMEM;
        r = backtrace_json_add_address(o, "address", fr->pc);
        if (r >= 0)
                r = backtrace_json_add_string(o, "symbol", fr->symbol);
        if (r >= 0)
                r = backtrace_json_add_string(o, "module", m ? m->name : fr->module_name);
        if (r >= 0)
                r = backtrace_json_add_address(o, "offset", fr->offset);
        if (r >= 0)
                r = backtrace_json_add_string(o, "build_id", m ? m->build_id : NULL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int thread_json(const BacktraceFindings *f, size_t index, json_object **ret) {
        const BacktraceThread *t = &f->threads[index];
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *frames;
        int r;

        if (!o)
                return -ENOMEM;
        r = backtrace_json_add(o, "tid", json_object_new_int(t->tid));
        if (r >= 0)
                r = backtrace_json_add(o, "crashing", json_object_new_boolean(index == 0));
        if (r < 0)
                return r;

        frames = json_object_new_array();
        r = backtrace_json_add(o, "frames", frames);
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->n_frames; i++) {
                json_object *fo;
                r = frame_json(f, &t->frames[i], &fo);
                if (r < 0)
                        return r;
                if (json_object_array_add(frames, fo) < 0) {
                        json_object_put(fo);
                        return -ENOMEM;
                }
        }

        r = backtrace_json_add(o, "frames_truncated", json_object_new_boolean(t->frames_truncated));
        if (r >= 0)
                r = backtrace_json_add_string(o, "unwind_error", t->unwind_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int backtrace_format_json(const BacktraceFindings *f, const char *signature, const char *partial_reason, char **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *modules, *threads;
        char *s;
        int r;

        if (!o)
                return -ENOMEM;
        r = backtrace_json_add(o, "version", json_object_new_int(1));
        if (r >= 0)
                r = backtrace_json_add_string(o, "architecture", f->architecture);
        if (r >= 0)
                r = backtrace_json_add_string(o, "signature", signature);
        if (r >= 0)
                r = backtrace_json_add(o, "partial", json_object_new_boolean(partial_reason != NULL));
        if (r >= 0)
                r = backtrace_json_add_string(o, "partial_reason", partial_reason);
        if (r < 0)
                return r;

        modules = json_object_new_array();
        r = backtrace_json_add(o, "modules", modules);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f->n_modules; i++) {
                json_object *mo;
                r = module_json(&f->modules[i], &mo);
                if (r < 0)
                        return r;
                if (json_object_array_add(modules, mo) < 0) {
                        json_object_put(mo);
                        return -ENOMEM;
                }
        }
        r = backtrace_json_add(o, "modules_truncated", json_object_new_boolean(f->modules_truncated));
        if (r < 0)
                return r;

        threads = json_object_new_array();
        r = backtrace_json_add(o, "threads", threads);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f->n_threads; i++) {
                json_object *to;
                r = thread_json(f, i, &to);
                if (r < 0)
                        return r;
                if (json_object_array_add(threads, to) < 0) {
                        json_object_put(to);
                        return -ENOMEM;
                }
        }
        r = backtrace_json_add(o, "threads_truncated", json_object_new_boolean(f->threads_truncated));
        if (r < 0)
                return r;

        s = strdup(json_object_to_json_string_ext(o, BACKTRACE_JSON_FLAGS));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
