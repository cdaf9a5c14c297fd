/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtrace-signature.h"
#include "cleanup.h"

#define FNV1A_64_PRIME UINT64_C(0x100000001b3)
#define FNV1A_64_OFFSET_BASIS UINT64_C(0xcbf29ce484222325)
/* The second hash starts from the standard basis with every bit flipped. */
#define FNV1A_64_OFFSET_BASIS_2 (~FNV1A_64_OFFSET_BASIS)

/* Bumped whenever normalization changes, so old and new signatures never collide. */
#define SIGNATURE_PREFIX "corejournal-signature-1\n"

static const char *basename_of(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

static bool has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool backtrace_signature_skips(const char *module, const char *symbol) {
        static const char *const names[] = {
                "raise", "gsignal", "abort",
                "pthread_kill", "pthread_kill_implementation", "pthread_kill_internal",
                "assert_fail", "assert_fail_base", "assert_perror_fail",
                "libc_message", "libc_fatal", "fortify_fail", "chk_fail", "stack_chk_fail",
                "malloc_printerr",
        };
        const char *m;

        if (!module || !symbol)
                return false;
        m = basename_of(module);
        if (!has_prefix(m, "libc.so") && !has_prefix(m, "libc-") && !has_prefix(m, "libc.musl") &&
            !has_prefix(m, "libpthread.so") && !has_prefix(m, "libpthread-"))
                return false;

        /* glibc's internal aliases: __GI_raise, __GI___pthread_kill, __libc_message ... */
        if (has_prefix(symbol, "__GI_"))
                symbol += strlen("__GI_");
        while (*symbol == '_')
                symbol++;

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(symbol, names[i]) == 0)
                        return true;
        /* The fortified wrappers (__strcpy_chk, __memcpy_chk, ...) only report the caller's bug. */
        return has_suffix(symbol, "_chk");
}

int backtrace_signature_frame(const char *module, const char *symbol, uint64_t offset, char **ret) {
        char *s;
        int r;

        if (!module)
                r = asprintf(&s, "?");
        else if (symbol)
                r = asprintf(&s, "%s!%s", basename_of(module), symbol);
        else
                r = asprintf(&s, "%s+0x%" PRIx64, basename_of(module), offset);
        if (r < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static uint64_t fnv1a_64(uint64_t h, const void *data, size_t size) {
        const uint8_t *p = data;

        for (size_t i = 0; i < size; i++) {
                h ^= p[i];
                h *= FNV1A_64_PRIME;
        }
        return h;
}

void backtrace_signature_hash(const void *data, size_t size, char ret[static BACKTRACE_SIGNATURE_LENGTH + 1]) {
        uint64_t a = fnv1a_64(FNV1A_64_OFFSET_BASIS, data, size);
        uint64_t b = fnv1a_64(FNV1A_64_OFFSET_BASIS_2, data, size);

        (void) snprintf(ret, BACKTRACE_SIGNATURE_LENGTH + 1, "%016" PRIx64 "%016" PRIx64, a, b);
}

static const char *frame_module(const BacktraceFindings *f, const BacktraceFrame *fr) {
        if (fr->module != BACKTRACE_NO_MODULE && fr->module < f->n_modules)
                return f->modules[fr->module].name;
        return fr->module_name;
}

int backtrace_signature(const BacktraceFindings *f, char **ret) {
        const BacktraceThread *t = backtrace_findings_crashing_thread(f);
        /* text is freed after the stream writing into it closes. */
        _cleanup_(freep) char *text = NULL;
        _cleanup_(fclosep) FILE *s = NULL;
        size_t size = 0, first = 0, n = 0;
        char *sig;

        if (!t || t->n_frames == 0)
                return -ENODATA;

        while (first < t->n_frames &&
               backtrace_signature_skips(frame_module(f, &t->frames[first]), t->frames[first].symbol))
                first++;
        /* A crash entirely inside the skipped machinery keeps its frames. */
        if (first == t->n_frames)
                first = 0;

        s = open_memstream(&text, &size);
        if (!s)
                return -ENOMEM;
        fputs(SIGNATURE_PREFIX, s);
        for (size_t i = first; i < t->n_frames && n < BACKTRACE_SIGNATURE_FRAMES; i++, n++) {
                const BacktraceFrame *fr = &t->frames[i];
                _cleanup_(freep) char *line = NULL;

                if (backtrace_signature_frame(frame_module(f, fr), fr->symbol, fr->offset, &line) < 0)
                        return -ENOMEM;
                fputs(line, s);
                fputc('\n', s);
        }
        if (fflush(s) != 0 || ferror(s))
                return -ENOMEM;
        s = safe_fclose(s);

        sig = malloc(BACKTRACE_SIGNATURE_LENGTH + 1);
        if (!sig)
                return -ENOMEM;
        backtrace_signature_hash(text, size, sig);
        *ret = sig;
        return 0;
}
