/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The handoff connection between the pipe handler and corejournald (SOCK_SEQPACKET, descriptors as
 * SCM_RIGHTS): both ends of the exchange that ingest-handoff.h encodes. */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ingest-deliver.h"
#include "ingest-handoff.h"
#include "ingest-kernel.h"

/* ---- the handler's end ---- */

/* What became of an offer. */
typedef enum IngestHandoffOutcome {
        INGEST_HANDOFF_ACCEPTED,    /* the daemon took the crash and the handler confirmed: the core is
                                     * the daemon's. Close the core fd and the pidfd, then wait for
                                     * HANDOFF_RECORDED on the connection. */
        INGEST_HANDOFF_UNAVAILABLE, /* no socket file: no daemon serves handoffs here */
        INGEST_HANDOFF_DECLINED,    /* the connection failed, the daemon refused or did not answer in
                                     * time, or the crash cannot be offered: error says why. The daemon
                                     * will not touch the core. */
        _INGEST_HANDOFF_OUTCOME_MAX,
        _INGEST_HANDOFF_OUTCOME_INVALID = -EINVAL,
} IngestHandoffOutcome;

/* Offers crash to the daemon at socket_path: the offer, with the context record (in a sealed memfd)
 * and crash->pidfd as SCM_RIGHTS, then waits up to timeout_usec for the answer and confirms an
 * acceptance, passing core_fd along with the confirmation. core_fd and the pidfd stay the
 * caller's to close. Returns an IngestHandoffOutcome (*ret_conn set for INGEST_HANDOFF_ACCEPTED),
 * or -ENOMEM. */
int ingest_handoff_offer(const char *socket_path, const KernelCrash *crash, int core_fd, uint64_t timeout_usec,
                         int *ret_conn, char *error, size_t error_size);

/* Waits (without a time limit: the daemon may be streaming a large core) for HANDOFF_RECORDED and
 * returns its IngestDelivery, or -EPIPE when the daemon closed the connection without it (it died
 * or could not record the crash), -EBADMSG for anything else. */
int ingest_handoff_wait_recorded(int conn);

/* ---- the daemon's end ---- */

/* A crash a handler handed over. */
typedef struct IngestHandoffCrash {
        KernelCrash crash; /* owns the pidfd and the context record */
        int core_fd;       /* owned: the kernel's pipe, once the handler confirmed; else -EBADF */
} IngestHandoffCrash;

void ingest_handoff_crash_done(IngestHandoffCrash *h);

/* The connecting process's credentials (SO_PEERCRED); -EPERM unless its effective UID is
 * trusted_uid (error then holds one line). */
int ingest_handoff_check_peer(int conn, uid_t trusted_uid, struct ucred *ret, char *error, size_t error_size);

/* Reads the offer waiting on conn (without blocking) with its descriptors and checks everything: the
 * message, the descriptors (a sealed memfd of the announced size, a pidfd of the offered PID), the
 * context record. Returns 0, -EAGAIN when nothing has arrived yet, -EPIPE when the peer hung up
 * first, -EMSGSIZE, -EPROTONOSUPPORT or -EBADMSG for a bad offer, -ENOMEM; on error every received
 * descriptor is closed and error holds one line. ret is assigned only on success. */
int ingest_handoff_receive(int conn, IngestHandoffCrash *ret, char *error, size_t error_size);

/* After HANDOFF_ACCEPTED: waits up to timeout_usec for the handler's confirmation and takes the core
 * (a pipe) into h. Returns 0, -EPIPE when the handler hung up instead (it gave up and processes the
 * crash itself), -ETIMEDOUT, -EBADMSG (error then holds one line). */
int ingest_handoff_receive_core(int conn, uint64_t timeout_usec, IngestHandoffCrash *h, char *error, size_t error_size);

/* ---- both ---- */

/* Sends one message (not an offer) without blocking. Returns 0 or -errno (-EPIPE when the peer is
 * gone). */
int ingest_handoff_send(int conn, HandoffType type, int32_t status);

/* Waits up to timeout_usec (UINT64_MAX: no limit) for one message. Returns 0, -ETIMEDOUT, -EPIPE
 * when the peer hung up, or the decoder's errors. */
int ingest_handoff_read(int conn, uint64_t timeout_usec, HandoffMessage *ret);
