/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "export-reader.h"
#include "export-writer.h"
#include "ingest-handoff.h"
#include "input-limits.h"
#include "message-ids.h"
#include "unaligned.h"

const char *handoff_type_to_string(HandoffType type) {
        static const char *const table[_HANDOFF_TYPE_MAX] = {
                [HANDOFF_OFFER] = "offer",
                [HANDOFF_ACCEPTED] = "accepted",
                [HANDOFF_REFUSED] = "refused",
                [HANDOFF_CONFIRM] = "confirm",
                [HANDOFF_RECORDED] = "recorded",
        };
        if (type <= 0 || type >= _HANDOFF_TYPE_MAX)
                return NULL;
        return table[type];
}

/* The same rules both ways: what the encoder writes, the decoder takes. */
static bool offer_is_valid(const HandoffOffer *o) {
        return (o->flags & ~_HANDOFF_FLAGS_ALL) == 0 &&
                o->pid > 0 &&
                o->uid != UINT32_MAX && o->gid != UINT32_MAX &&
                o->signo >= 1 && o->signo <= 64 &&
                o->dumpable >= -1 && o->dumpable <= 2 &&
                o->tid >= 0 &&
                o->timestamp_sec <= UINT64_MAX / 1000000 &&
                o->context_size > 0;
}

int ingest_handoff_encode_offer(const HandoffOffer *offer, uint8_t buf[static HANDOFF_OFFER_SIZE]) {
        if (!offer || !offer_is_valid(offer) || offer->context_size > HANDOFF_CONTEXT_SIZE_MAX)
                return -EINVAL;
        memset(buf, 0, HANDOFF_OFFER_SIZE);
        put_u32(buf, HANDOFF_MAGIC);
        put_u16(buf + 4, HANDOFF_VERSION);
        put_u16(buf + 6, HANDOFF_OFFER);
        put_u32(buf + 8, offer->flags);
        put_u32(buf + 12, (uint32_t) offer->pid);
        put_u32(buf + 16, offer->uid);
        put_u32(buf + 20, offer->gid);
        put_u32(buf + 24, (uint32_t) offer->signo);
        put_u32(buf + 28, (uint32_t) offer->dumpable);
        put_u32(buf + 32, (uint32_t) offer->tid);
        /* 36..39 reserved, zero */
        put_u64(buf + 40, offer->timestamp_sec);
        put_u64(buf + 48, offer->rlimit);
        put_u64(buf + 56, offer->context_size);
        return HANDOFF_OFFER_SIZE;
}

int ingest_handoff_encode_message(HandoffType type, int32_t status, uint8_t buf[static HANDOFF_MESSAGE_SIZE]) {
        if (type <= HANDOFF_OFFER || type >= _HANDOFF_TYPE_MAX)
                return -EINVAL;
        memset(buf, 0, HANDOFF_MESSAGE_SIZE);
        put_u32(buf, HANDOFF_MAGIC);
        put_u16(buf + 4, HANDOFF_VERSION);
        put_u16(buf + 6, (uint16_t) type);
        put_u32(buf + 8, (uint32_t) status);
        /* 12..15 reserved, zero */
        return HANDOFF_MESSAGE_SIZE;
}

/* The part every message shares: returns the type, or the decode error. */
static int decode_preamble(const uint8_t *p, size_t n) {
        if (n > HANDOFF_MESSAGE_SIZE_MAX)
                return -EMSGSIZE;
        if (!p || n < 8 || get_u32(p) != HANDOFF_MAGIC)
                return -EBADMSG;
        /* A newer handler (or daemon) is told apart from garbage: the version decides the rest. */
        if (get_u16(p + 4) != HANDOFF_VERSION)
                return -EPROTONOSUPPORT;
        uint16_t type = get_u16(p + 6);
        if (type < HANDOFF_OFFER || type >= _HANDOFF_TYPE_MAX)
                return -EBADMSG;
        return type;
}

int ingest_handoff_decode_offer(const void *buf, size_t n, HandoffOffer *ret) {
        const uint8_t *p = buf;
        HandoffOffer o;
        int r;

        r = decode_preamble(p, n);
        if (r < 0)
                return r;
        if (r != HANDOFF_OFFER || n != HANDOFF_OFFER_SIZE || get_u32(p + 36) != 0)
                return -EBADMSG;
        o = (HandoffOffer) {
                .flags = get_u32(p + 8),
                .pid = (int32_t) get_u32(p + 12),
                .uid = get_u32(p + 16),
                .gid = get_u32(p + 20),
                .signo = (int32_t) get_u32(p + 24),
                .dumpable = (int32_t) get_u32(p + 28),
                .tid = (int32_t) get_u32(p + 32),
                .timestamp_sec = get_u64(p + 40),
                .rlimit = get_u64(p + 48),
                .context_size = get_u64(p + 56),
        };
        if (!offer_is_valid(&o))
                return -EBADMSG;
        if (o.context_size > HANDOFF_CONTEXT_SIZE_MAX)
                return -EMSGSIZE;
        *ret = o;
        return 0;
}

int ingest_handoff_decode_message(const void *buf, size_t n, HandoffMessage *ret) {
        const uint8_t *p = buf;
        int r;

        r = decode_preamble(p, n);
        if (r < 0)
                return r;
        if (r == HANDOFF_OFFER || n != HANDOFF_MESSAGE_SIZE || get_u32(p + 12) != 0)
                return -EBADMSG;
        *ret = (HandoffMessage) { .type = (HandoffType) r, .status = (int32_t) get_u32(p + 8) };
        return 0;
}

void ingest_handoff_offer_from_crash(const KernelCrash *crash, uint64_t context_size, HandoffOffer *ret) {
        const KernelArgs *a = &crash->args;
        uint32_t flags = 0;

        if (crash->pidfd >= 0)
                flags |= HANDOFF_FLAG_PIDFD;
        if (crash->context_verified)
                flags |= HANDOFF_FLAG_CONTEXT_VERIFIED;
        if (crash->allow_user_read)
                flags |= HANDOFF_FLAG_ALLOW_USER_READ;
        if (crash->at_secure >= 0)
                flags |= HANDOFF_FLAG_AT_SECURE_KNOWN;
        if (crash->at_secure > 0)
                flags |= HANDOFF_FLAG_AT_SECURE;
        *ret = (HandoffOffer) {
                .flags = flags,
                .pid = a->pid,
                .uid = a->uid,
                .gid = a->gid,
                .signo = a->signo,
                .dumpable = a->dumpable,
                .tid = a->tid,
                .timestamp_sec = a->timestamp_sec,
                .rlimit = a->rlimit,
                .context_size = context_size,
        };
}

static const ExportLimits context_limits = {
        .field_size_max = HANDOFF_CONTEXT_FIELD_SIZE_MAX,
        .record_size_max = HANDOFF_CONTEXT_SIZE_MAX,
        .fields_max = HANDOFF_CONTEXT_FIELDS_MAX,
};

int ingest_handoff_encode_context(const ExportRecord *record, char **ret, size_t *ret_size) {
        _cleanup_(freep) char *buf = NULL;
        size_t size;
        int r;

        if (record->n_fields == 0 || record->n_fields > HANDOFF_CONTEXT_FIELDS_MAX)
                return -EMSGSIZE;
        for (size_t i = 0; i < record->n_fields; i++)
                if (record->fields[i].size > HANDOFF_CONTEXT_FIELD_SIZE_MAX)
                        return -EMSGSIZE;
        r = export_record_serialize(record, EXPORT_ENCODING_EXPORT, NULL, &buf, &size);
        if (r < 0)
                return r;
        if (size > HANDOFF_CONTEXT_SIZE_MAX)
                return -EMSGSIZE;
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

int ingest_handoff_decode_context(const HandoffOffer *offer, const void *data, size_t size, ExportRecord **ret,
                                  char *error, size_t error_size) {
        _cleanup_(export_reader_freep) ExportReader *reader = NULL;
        _cleanup_(export_record_freep) ExportRecord *record = NULL, *extra = NULL;
        char pid[16];
        int r;

        if (size != offer->context_size) {
                (void) snprintf(error, error_size, "the context has %zu bytes, the offer said %" PRIu64, size, offer->context_size);
                return -EBADMSG;
        }
        r = export_reader_new_memory(data, size, &context_limits, 0, &reader);
        if (r < 0)
                return r;
        r = export_reader_next(reader, &record);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                (void) snprintf(error, error_size, "malformed context record: %s", export_reader_error(reader));
                return r;
        }
        if (r == 0) {
                (void) snprintf(error, error_size, "the context holds no record");
                return -EBADMSG;
        }
        if (export_reader_dropped(reader, NULL) > 0) {
                (void) snprintf(error, error_size, "the context carries fields reserved for journald");
                return -EBADMSG;
        }
        r = export_reader_next(reader, &extra);
        if (r == -ENOMEM)
                return r;
        if (r != 0) {
                (void) snprintf(error, error_size, "the context holds more than one record");
                return -EBADMSG;
        }
        const char *id = export_record_get_string(record, "MESSAGE_ID");
        if (!id || strcmp(id, MESSAGE_ID_COREDUMP) != 0) {
                (void) snprintf(error, error_size, "the context is not a crash record");
                return -EBADMSG;
        }
        (void) snprintf(pid, sizeof(pid), "%" PRIi32, offer->pid);
        const char *record_pid = export_record_get_string(record, "COREDUMP_PID");
        if (!record_pid || strcmp(record_pid, pid) != 0) {
                (void) snprintf(error, error_size, "the context is about another process than PID %s", pid);
                return -EBADMSG;
        }
        *ret = TAKE_PTR(record);
        return 0;
}

void ingest_handoff_crash_from_offer(const HandoffOffer *offer, ExportRecord *record, int pidfd, KernelCrash *ret) {
        *ret = (KernelCrash) {
                .args = {
                        .pid = offer->pid,
                        .uid = offer->uid,
                        .gid = offer->gid,
                        .signo = offer->signo,
                        .timestamp_sec = offer->timestamp_sec,
                        .rlimit = offer->rlimit,
                        .dumpable = offer->dumpable,
                        .pidfd = -1,
                        .tid = offer->tid,
                },
                .pidfd = pidfd,
                .context_verified = offer->flags & HANDOFF_FLAG_CONTEXT_VERIFIED,
                .context_skipped = offer->flags & HANDOFF_FLAG_CONTEXT_VERIFIED ? NULL :
                        "the handler could not verify the process's context",
                .at_secure = !(offer->flags & HANDOFF_FLAG_AT_SECURE_KNOWN) ? -1 :
                        (offer->flags & HANDOFF_FLAG_AT_SECURE) ? 1 : 0,
                .allow_user_read = offer->flags & HANDOFF_FLAG_ALLOW_USER_READ,
                .record = record,
        };
}
