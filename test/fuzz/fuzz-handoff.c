/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the handoff protocol's decoders, as corejournald receives them from a
 * handler: the offer and the short messages (a message that decodes must encode back to the same
 * bytes), and the context record (one that decodes must survive an encode/decode round trip). The
 * context is the input after the first HANDOFF_OFFER_SIZE bytes when those are an offer, else the
 * whole input. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "ingest-handoff.h"
#include "input-limits.h"

static void check_context(const HandoffOffer *offer, const uint8_t *data, size_t size) {
        _cleanup_(export_record_freep) ExportRecord *record = NULL, *back = NULL;
        _cleanup_(freep) char *buf = NULL;
        HandoffOffer o = *offer;
        char error[256];
        size_t n;

        o.context_size = size;
        if (ingest_handoff_decode_context(&o, data, size, &record, error, sizeof(error)) < 0)
                return;
        if (record->n_fields == 0 || record->n_fields > HANDOFF_CONTEXT_FIELDS_MAX)
                abort();
        if (ingest_handoff_encode_context(record, &buf, &n) < 0)
                abort();
        o.context_size = n;
        if (ingest_handoff_decode_context(&o, buf, n, &back, error, sizeof(error)) < 0 ||
            back->n_fields != record->n_fields)
                abort();
        for (size_t i = 0; i < record->n_fields; i++)
                if (strcmp(back->fields[i].name, record->fields[i].name) != 0 ||
                    back->fields[i].size != record->fields[i].size ||
                    memcmp(back->fields[i].value, record->fields[i].value, record->fields[i].size) != 0)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const HandoffOffer any = { .pid = 4242, .uid = 0, .gid = 0, .signo = 11, .dumpable = 1, .context_size = 1 };
        uint8_t again[HANDOFF_OFFER_SIZE];
        HandoffOffer offer;
        HandoffMessage m;

        if (size > 4 * 1024 * 1024)
                return 0;

        if (ingest_handoff_decode_message(data, size, &m) == 0) {
                if (ingest_handoff_encode_message(m.type, m.status, again) != (int) size || memcmp(again, data, size) != 0)
                        abort();
        }

        size_t head = size < HANDOFF_OFFER_SIZE ? size : HANDOFF_OFFER_SIZE;
        if (ingest_handoff_decode_offer(data, head, &offer) == 0) {
                if (offer.context_size == 0 || offer.context_size > HANDOFF_CONTEXT_SIZE_MAX)
                        abort();
                if (ingest_handoff_encode_offer(&offer, again) != HANDOFF_OFFER_SIZE ||
                    memcmp(again, data, HANDOFF_OFFER_SIZE) != 0)
                        abort();
                check_context(&offer, data + HANDOFF_OFFER_SIZE, size - HANDOFF_OFFER_SIZE);
        } else
                check_context(&any, data, size);

        /* The whole input as one message: too long, too short, or malformed, never a crash. */
        (void) ingest_handoff_decode_offer(data, size, &offer);
        return 0;
}
