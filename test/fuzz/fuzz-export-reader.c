/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the export parser under small limits, and re-serializes whatever
 * parses, checking that the writer's output parses back to the same record. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "export-reader.h"
#include "export-writer.h"
#include "fuzz.h"

static const ExportLimits limits = {
        .field_size_max = 64 * 1024,
        .record_size_max = 256 * 1024,
        .fields_max = 256,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(export_reader_freep) ExportReader *rd = NULL;

        if (export_reader_new_memory(data, size, &limits, EXPORT_READER_KEEP_TRUSTED | (size & 1 ? EXPORT_READER_EOF_ENDS_RECORD : 0), &rd) < 0)
                return 0;
        for (;;) {
                _cleanup_(export_record_freep) ExportRecord *rec = NULL, *again = NULL;
                _cleanup_(export_reader_freep) ExportReader *rd2 = NULL;
                _cleanup_(freep) char *out = NULL;
                size_t n;

                if (export_reader_next(rd, &rec) <= 0)
                        break;
                if (export_record_serialize(rec, EXPORT_ENCODING_EXPORT, NULL, &out, &n) < 0)
                        abort();
                if (export_reader_new_memory(out, n, &export_limits_journal, EXPORT_READER_KEEP_TRUSTED, &rd2) < 0 ||
                    export_reader_next(rd2, &again) != 1 || again->n_fields != rec->n_fields)
                        abort();
                for (size_t i = 0; i < rec->n_fields; i++)
                        if (strcmp(rec->fields[i].name, again->fields[i].name) != 0 ||
                            rec->fields[i].size != again->fields[i].size ||
                            memcmp(rec->fields[i].value, again->fields[i].value, rec->fields[i].size) != 0)
                                abort();
        }
        return 0;
}
