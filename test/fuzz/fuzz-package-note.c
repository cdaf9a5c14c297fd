/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the package note parser (as a PT_NOTE segment with 4- and 8-byte
 * alignment, then through systemd's package formatting) and to the parent's reader of the
 * analysis child's output (as if a compromised child sent them), then to every formatter of the
 * result, checking the bounds each one promises. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "backtrace-findings.h"
#include "backtrace-format.h"
#include "backtrace-json.h"
#include "backtrace-package.h"
#include "backtrace-signature.h"
#include "cleanup.h"
#include "fuzz.h"
#include "input-limits.h"

static void check_note(const uint8_t *data, size_t size, size_t align) {
        _cleanup_(json_object_putp) json_object *metadata = NULL, *merged = NULL;
        _cleanup_(freep) char *owner = NULL, *reference = NULL;
        int r;

        r = backtrace_package_find(data, size, align, &owner, &metadata);
        if (r <= 0) {
                if (owner || metadata)
                        abort();
                return;
        }
        if (!owner || !json_object_is_type(metadata, json_type_object))
                abort();
        if (strlen(json_object_to_json_string_ext(metadata, BACKTRACE_JSON_FLAGS)) > 6 * BACKTRACE_PACKAGE_NOTE_SIZE_MAX)
                abort();

        BacktraceModule m = { .name = (char *) "module", .build_id = (char *) "0123abcd", .package = metadata };
        if (backtrace_format_package_metadata(&m, &merged) < 0)
                return;
        if (strcmp(backtrace_json_get_string(merged, "buildId") ?: "", "0123abcd") != 0)
                abort();
        if (backtrace_format_package_reference(merged, &reference) < 0)
                return;
        if (reference && !strchr(reference, ' '))
                abort();
}

static void check_output(const uint8_t *data, size_t size) {
        _cleanup_(backtrace_findings_done) BacktraceFindings f = {};
        _cleanup_(freep) char *text = NULL, *package = NULL, *json = NULL, *signature = NULL;
        bool truncated;

        if (backtrace_findings_add_output(&f, (const char *) data, size) < 0)
                return;
        if (f.n_threads > BACKTRACE_THREADS_MAX || f.n_modules > BACKTRACE_MODULES_MAX)
                abort();
        for (size_t i = 0; i < f.n_threads; i++) {
                if (f.threads[i].n_frames > BACKTRACE_FRAMES_MAX)
                        abort();
                for (size_t j = 0; j < f.threads[i].n_frames; j++)
                        if (f.threads[i].frames[j].module != BACKTRACE_NO_MODULE &&
                            f.threads[i].frames[j].module >= f.n_modules)
                                abort();
        }

        if (backtrace_format_text(&f, &text, &truncated) >= 0 && text) {
                if (strlen(text) > BACKTRACE_TEXT_SIZE_MAX)
                        abort();
                /* Names from the child or a note cannot add lines of their own: the lines are
                 * exactly the ones written for modules, threads and frames. */
                size_t modules = 0, threads = 0, frames = 0, frames_expected = 0;
                for (const char *line = text; *line;) {
                        const char *end = strchr(line, '\n');
                        if (!end)
                                abort();
                        if (strncmp(line, "Module ", 7) == 0)
                                modules++;
                        else if (strncmp(line, "Stack trace of thread ", 22) == 0)
                                threads++;
                        else if (line[0] == '#')
                                frames++;
                        else if (line[0] != '\n' && strncmp(line, "ELF object binary architecture: ", 32) != 0)
                                abort();
                        line = end + 1;
                }
                for (size_t i = 0; i < f.n_threads; i++)
                        frames_expected += f.threads[i].n_frames;
                if (modules > 2 * f.n_modules || (!truncated && (threads != f.n_threads || frames != frames_expected)))
                        abort();
        }
        (void) backtrace_format_package_json(&f, &package);
        if (backtrace_signature(&f, &signature) >= 0 && strlen(signature) != BACKTRACE_SIGNATURE_LENGTH)
                abort();
        (void) backtrace_format_json(&f, signature, "reason", &json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        check_note(data, size, 4);
        check_note(data, size, 8);
        check_output(data, size);
        return 0;
}
