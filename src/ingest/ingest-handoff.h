/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The handoff protocol between the pipe handler and corejournald: its messages and the context
 * record that travels with an offer (encoding and strict decoding, no I/O). */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "export-record.h"
#include "ingest-kernel.h"

/* Every message starts with the magic ("CJHO" in memory), the version and the type. */
#define HANDOFF_MAGIC 0x4f484a43u
#define HANDOFF_VERSION 1u
#define HANDOFF_OFFER_SIZE 64u   /* the offer of version 1 */
#define HANDOFF_MESSAGE_SIZE 16u /* every other message of version 1 */

/* The exchange, in order: the handler offers (with the context and the pidfd as SCM_RIGHTS), the
 * daemon accepts or refuses, the handler confirms with the core as SCM_RIGHTS (or hangs up, having
 * given up: the daemon never had the core), the daemon says the record is delivered or spooled. */
typedef enum HandoffType {
        HANDOFF_OFFER = 1,    /* handler → daemon: HandoffOffer */
        HANDOFF_ACCEPTED = 2, /* daemon → handler */
        HANDOFF_REFUSED = 3,  /* daemon → handler; status: -errno, why */
        HANDOFF_CONFIRM = 4,  /* handler → daemon, with the core: it is the daemon's now */
        HANDOFF_RECORDED = 5, /* daemon → handler; status: an IngestDelivery (delivered, spooled) */
        _HANDOFF_TYPE_MAX,
        _HANDOFF_TYPE_INVALID = -EINVAL,
} HandoffType;

/* HandoffOffer.flags */
#define HANDOFF_FLAG_PIDFD 1u            /* a pidfd travels after the context memfd */
#define HANDOFF_FLAG_CONTEXT_VERIFIED 2u /* the /proc context was read and checked */
#define HANDOFF_FLAG_ALLOW_USER_READ 4u  /* the crashing user may get a read ACL on the core */
#define HANDOFF_FLAG_AT_SECURE_KNOWN 8u  /* auxv said whether AT_SECURE was set ... */
#define HANDOFF_FLAG_AT_SECURE 16u       /* ... and it was */
#define _HANDOFF_FLAGS_ALL 31u

/* A crash offered to the daemon: the kernel's argv values and what the handler found out while
 * the crasher was parked. */
typedef struct HandoffOffer {
        uint32_t flags;
        int32_t pid;
        uint32_t uid, gid;
        int32_t signo;
        int32_t dumpable;      /* -1 when the kernel did not say */
        int32_t tid;           /* 0 when the kernel did not say */
        uint64_t timestamp_sec;
        uint64_t rlimit;
        uint64_t context_size; /* bytes of the context record in the memfd */
} HandoffOffer;

/* Any message but the offer. */
typedef struct HandoffMessage {
        HandoffType type;
        int32_t status;
} HandoffMessage;

/* "offer", "accepted", "refused", "confirm", "recorded", or NULL. */
const char *handoff_type_to_string(HandoffType type);

/* Encodes into buf. Returns the number of bytes to send, or -EINVAL for values the decoder would
 * refuse. */
int ingest_handoff_encode_offer(const HandoffOffer *offer, uint8_t buf[static HANDOFF_OFFER_SIZE]);
int ingest_handoff_encode_message(HandoffType type, int32_t status, uint8_t buf[static HANDOFF_MESSAGE_SIZE]);

/* Decodes one message of n bytes. Returns 0, -EMSGSIZE when n is over HANDOFF_MESSAGE_SIZE_MAX or
 * the offer announces a context over HANDOFF_CONTEXT_SIZE_MAX, -EPROTONOSUPPORT for the right
 * magic with another version, -EBADMSG for anything else malformed: a wrong magic, type or size,
 * unknown flags, nonzero reserved bytes, values out of range. ret is assigned only on success. */
int ingest_handoff_decode_offer(const void *buf, size_t n, HandoffOffer *ret);
int ingest_handoff_decode_message(const void *buf, size_t n, HandoffMessage *ret);

/* The offer for a crash whose context record is context_size bytes. */
void ingest_handoff_offer_from_crash(const KernelCrash *crash, uint64_t context_size, HandoffOffer *ret);

/* The context record (the one the handler built: identity, argv and /proc fields) as Journal
 * Export Format. -EMSGSIZE when it is over a HANDOFF_CONTEXT_* limit, -ENOMEM. */
int ingest_handoff_encode_context(const ExportRecord *record, char **ret, size_t *ret_size);

/* Parses the context record of offer: exactly one export record within the HANDOFF_CONTEXT_*
 * limits, of a crash (our MESSAGE_ID) of the offer's PID. Returns 0, -EBADMSG or -E2BIG (error
 * then holds one line), or -ENOMEM. */
int ingest_handoff_decode_context(const HandoffOffer *offer, const void *data, size_t size, ExportRecord **ret,
                                  char *error, size_t error_size);

/* The KernelCrash an offer describes, taking over record and pidfd (-EBADF for none). */
void ingest_handoff_crash_from_offer(const HandoffOffer *offer, ExportRecord *record, int pidfd, KernelCrash *ret);
