/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's @@ socket mode (Linux 6.17+): the coredump request/ack handshake and the identity of
 * the crashing peer (see KERNEL-FACTS.md §2). */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "collect-pidfd.h"
#include "ingest-kernel.h"

/* linux/coredump.h, spelled out: the uapi header is too new for the build hosts we support. */
#define COREDUMP_REQ_SIZE_VER0 16u
#define COREDUMP_ACK_SIZE_VER0 16u
#define COREDUMP_KERNEL 1ull    /* the kernel streams the core */
#define COREDUMP_USERSPACE 2ull /* the server makes the core itself */
#define COREDUMP_REJECT 4ull    /* no core */
#define COREDUMP_WAIT 8ull      /* the crasher is kept until the server closes */

/* The marker the kernel sends after reading the ack. */
typedef enum CoredumpMark {
        COREDUMP_MARK_REQACK = 0,
        COREDUMP_MARK_MINSIZE = 1,
        COREDUMP_MARK_MAXSIZE = 2,
        COREDUMP_MARK_UNSUPPORTED = 3,
        COREDUMP_MARK_CONFLICTING = 4,
        _COREDUMP_MARK_MAX,
        _COREDUMP_MARK_INVALID = -EINVAL,
} CoredumpMark;

typedef struct CoredumpRequest {
        uint32_t size;     /* bytes of the request, COREDUMP_REQ_SIZE_VER0..COREDUMP_REQUEST_SIZE_MAX */
        uint32_t size_ack; /* the largest ack the kernel takes */
        uint64_t mask;     /* COREDUMP_* flags the kernel supports */
} CoredumpRequest;

/* Parses the fixed part of a request: the first n bytes received (little-endian fields as the
 * kernel writes them, native on every architecture it runs this on). Returns 0, -EBADMSG when
 * fewer than COREDUMP_REQ_SIZE_VER0 bytes are given, size is below that or size_ack cannot hold
 * our ack, -EMSGSIZE when size is over COREDUMP_REQUEST_SIZE_MAX, or -EPROTONOSUPPORT when the
 * kernel does not offer KERNEL, REJECT and WAIT (we need all three). */
int ingest_socket_parse_request(const void *buf, size_t n, CoredumpRequest *ret);

/* Encodes the ack for req into buf (COREDUMP_ACK_SIZE_VER0 bytes). mask must hold exactly one of
 * KERNEL, USERSPACE or REJECT, optionally WAIT, and be a subset of req->mask. Returns the number of
 * bytes to send, or -EINVAL. */
int ingest_socket_make_ack(const CoredumpRequest *req, uint64_t mask, uint8_t buf[static COREDUMP_ACK_SIZE_VER0]);

/* "reqack", "minsize", "maxsize", "unsupported", "conflicting", or NULL. */
const char *coredump_mark_to_string(CoredumpMark mark);

/* The soft "Max core file size" of /proc/PID/limits content: UINT64_MAX for unlimited. -EBADMSG
 * when the line is missing or malformed. */
int ingest_socket_parse_core_rlimit(const char *content, size_t size, uint64_t *ret);

/* A lower bound of the core's size from /proc/PID/status content: RssAnon + RssShmem in bytes
 * (pages the default coredump_filter always dumps). -EBADMSG when neither line is there. */
int ingest_socket_parse_resident(const char *content, size_t size, uint64_t *ret);

/* One accepted connection from the kernel, before the ack. */
typedef struct IngestSocketPeer {
        int pidfd;                /* owned: SO_PEERPIDFD */
        struct ucred cred;        /* SO_PEERCRED: the effective IDs */
        CollectPidfdInfo info;    /* PIDFD_GET_INFO, taken while the crasher is parked */
        CoredumpRequest request;
        uint64_t accept_usec;     /* CLOCK_REALTIME at accept, the crash's timestamp */
} IngestSocketPeer;

void ingest_socket_peer_done(IngestSocketPeer *p);

/* Identifies the peer of conn_fd and reads its request, each read bounded by
 * COREDUMP_HANDSHAKE_TIMEOUT_USEC. A peer that is not a process in the middle of a core dump (no
 * pidfd, no COREDUMPED bit, a PID that does not match SO_PEERCRED) is refused with -EPERM; a
 * malformed request gives the parse errors above; a silent peer -ETIMEDOUT; error gets one line.
 * ret is assigned only on success. */
int ingest_socket_peer_read(int conn_fd, uint64_t accept_usec, IngestSocketPeer *ret, char *error, size_t error_size);

/* Sends the ack (mask as for ingest_socket_make_ack) and reads the kernel's marker. Returns the
 * marker (a CoredumpMark, COREDUMP_MARK_REQACK when the kernel agreed) or -errno. Afterwards the
 * read timeout is cleared, as the core stream may legitimately take long. */
int ingest_socket_ack(int conn_fd, const CoredumpRequest *req, uint64_t mask);

/* The KernelArgs of a socket-mode crash: pid, real uid/gid (from the pidfd, else /proc status,
 * else SO_PEERCRED), dumpable from the coredump mask, RLIMIT_CORE from /proc/PID/limits below
 * proc_fd (unlimited when unreadable), the accept time; signal 0 (learnt later from the core or the
 * exit status); pidfd is peer->pidfd (not given away). Also returns the resident lower bound of the
 * core size (0 when unknown). */
void ingest_socket_kernel_args(const IngestSocketPeer *peer, int proc_fd, KernelArgs *ret, uint64_t *ret_resident);
