/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "collect-pidfd.h"
#include "ingest-handoff-channel.h"
#include "input-limits.h"
#include "io.h"

/* Descriptors an offer carries: the context, and the pidfd when there is one. */
#define OFFER_FDS_MAX 2

#define SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Writes one line to error and returns r. */
_printf_(4, 5) static int fail(int r, char *error, size_t error_size, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(error, error_size, format, ap);
        va_end(ap);
        return r;
}

int ingest_handoff_send(int conn, HandoffType type, int32_t status) {
        uint8_t buf[HANDOFF_MESSAGE_SIZE];
        int n = ingest_handoff_encode_message(type, status, buf);
        if (n < 0)
                return n;
        for (;;) {
                ssize_t k = send(conn, buf, (size_t) n, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k == n)
                        return 0;
                if (k >= 0)
                        return -EIO; /* SOCK_SEQPACKET sends all or nothing */
                if (errno != EINTR)
                        return negative_errno();
        }
}

int ingest_handoff_read(int conn, uint64_t timeout_usec, HandoffMessage *ret) {
        uint64_t deadline = timeout_usec == UINT64_MAX ? UINT64_MAX : io_now_monotonic_usec() + timeout_usec;
        uint8_t buf[HANDOFF_MESSAGE_SIZE_MAX];
        struct pollfd p = { .fd = conn, .events = POLLIN };

        for (;;) {
                int timeout = -1;
                if (deadline != UINT64_MAX) {
                        uint64_t now = io_now_monotonic_usec();
                        if (now >= deadline)
                                return -ETIMEDOUT;
                        timeout = (int) ((deadline - now + 999) / 1000);
                }
                int r = poll(&p, 1, timeout);
                if (r < 0 && errno != EINTR)
                        return negative_errno();
                if (r <= 0)
                        continue;

                ssize_t n = recv(conn, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return errno == ECONNRESET ? -EPIPE : negative_errno();
                }
                if (n == 0)
                        return -EPIPE;
                return ingest_handoff_decode_message(buf, (size_t) n, ret);
        }
}

/* ---- the handler's end ---- */

/* The context record in a sealed memfd, so the daemon can map it without fearing it shrinks. */
static int context_memfd(const ExportRecord *record, uint64_t *ret_size) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) char *buf = NULL;
        size_t size;
        int r;

        r = ingest_handoff_encode_context(record, &buf, &size);
        if (r < 0)
                return r;
        fd = memfd_create("corejournal-handoff", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return negative_errno();
        r = io_write_all(fd, buf, size);
        if (r < 0)
                return r;
        if (fcntl(fd, F_ADD_SEALS, SEALS_REQUIRED | F_SEAL_SEAL) < 0)
                return negative_errno();
        *ret_size = size;
        return TAKE_FD(fd);
}

/* One message with descriptors attached. */
static int send_with_fds(int conn, const void *buf, size_t size, const int *fds, size_t n_fds) {
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int) * OFFER_FDS_MAX)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = size };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = CMSG_SPACE(sizeof(int) * n_fds),
        };

        if (n_fds == 0 || n_fds > OFFER_FDS_MAX)
                return -EINVAL;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        for (;;) {
                if (sendmsg(conn, &mh, MSG_NOSIGNAL) >= 0)
                        return 0;
                if (errno != EINTR)
                        return negative_errno();
        }
}

int ingest_handoff_offer(const char *socket_path, const KernelCrash *crash, int core_fd, uint64_t timeout_usec,
                         int *ret_conn, char *error, size_t error_size) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int conn = -EBADF, memfd = -EBADF;
        uint8_t offer_buf[HANDOFF_OFFER_SIZE], confirm[HANDOFF_MESSAGE_SIZE];
        HandoffOffer offer;
        HandoffMessage m;
        uint64_t context_size;
        int r;

        if (!socket_path || strlen(socket_path) >= sizeof(sa.sun_path))
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "invalid handoff socket path");
        memcpy(sa.sun_path, socket_path, strlen(socket_path));

        conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (conn < 0)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "socket(): %m");
        /* Non-blocking: a full backlog (EAGAIN) must not hold the crasher; we process it ourselves. */
        if (connect(conn, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                if (errno == ENOENT)
                        return fail(INGEST_HANDOFF_UNAVAILABLE, error, error_size, "no daemon listens on %s", socket_path);
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "cannot connect to %s: %m", socket_path);
        }

        memfd = context_memfd(crash->record, &context_size);
        if (memfd == -ENOMEM)
                return -ENOMEM;
        if (memfd < 0)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "cannot put the context in a memfd: %s", strerror(-memfd));
        ingest_handoff_offer_from_crash(crash, context_size, &offer);
        r = ingest_handoff_encode_offer(&offer, offer_buf);
        if (r < 0)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "cannot encode the offer: %s", strerror(-r));
        int fds[OFFER_FDS_MAX] = { memfd, crash->pidfd };
        r = send_with_fds(conn, offer_buf, HANDOFF_OFFER_SIZE, fds, crash->pidfd >= 0 ? 2 : 1);
        if (r < 0)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "cannot send the offer: %s", strerror(-r));
        memfd = safe_close(memfd);

        r = ingest_handoff_read(conn, timeout_usec, &m);
        if (r == -ETIMEDOUT)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "corejournald did not answer within %" PRIu64 " ms", timeout_usec / 1000);
        if (r == -EPIPE)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "corejournald closed the connection without an answer");
        if (r == -EPROTONOSUPPORT)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "corejournald speaks another version of the handoff protocol");
        if (r < 0)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "no usable answer from corejournald: %s", strerror(-r));
        if (m.type == HANDOFF_REFUSED)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "corejournald refused the crash: %s",
                            m.status < 0 ? strerror(-m.status) : "no reason given");
        if (m.type != HANDOFF_ACCEPTED)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "unexpected '%s' from corejournald", handoff_type_to_string(m.type));

        /* Only now does the core go: had we given up first, the daemon would never have had it, so
         * the two of us never read the same stream, and a daemon too slow to answer does not hold
         * the crasher with a copy of the pipe. */
        r = ingest_handoff_encode_message(HANDOFF_CONFIRM, 0, confirm);
        if (r >= 0)
                r = send_with_fds(conn, confirm, HANDOFF_MESSAGE_SIZE, &core_fd, 1);
        if (r < 0)
                return fail(INGEST_HANDOFF_DECLINED, error, error_size, "cannot confirm the handoff: %s", strerror(-r));

        *ret_conn = TAKE_FD(conn);
        return INGEST_HANDOFF_ACCEPTED;
}

int ingest_handoff_wait_recorded(int conn) {
        HandoffMessage m;
        int r;

        r = ingest_handoff_read(conn, UINT64_MAX, &m);
        if (r == -EPIPE)
                return r;
        if (r < 0 || m.type != HANDOFF_RECORDED || m.status < 0 || m.status >= _INGEST_DELIVERY_MAX)
                return -EBADMSG;
        return m.status;
}

/* ---- the daemon's end ---- */

void ingest_handoff_crash_done(IngestHandoffCrash *h) {
        ingest_kernel_crash_done(&h->crash);
        h->core_fd = safe_close(h->core_fd);
}

int ingest_handoff_check_peer(int conn, uid_t trusted_uid, struct ucred *ret, char *error, size_t error_size) {
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                int r = negative_errno();
                return fail(r, error, error_size, "SO_PEERCRED: %s", strerror(-r));
        }
        if (cred.uid != trusted_uid)
                return fail(-EPERM, error, error_size, "PID %d has UID %u, only UID %u may hand over crashes; refused",
                            (int) cred.pid, (unsigned) cred.uid, (unsigned) trusted_uid);
        *ret = cred;
        return 0;
}

/* The descriptors that came with an offer; closed unless taken. */
typedef struct ReceivedFds {
        int fd[OFFER_FDS_MAX];
        size_t n;
} ReceivedFds;

static void received_fds_done(ReceivedFds *f) {
        for (size_t i = 0; i < f->n; i++)
                f->fd[i] = safe_close(f->fd[i]);
}

/* Maps the context memfd (sealed, so it cannot shrink under us) and parses it. */
static int read_context(int fd, const HandoffOffer *offer, ExportRecord **ret, char *error, size_t error_size) {
        struct stat st;
        int seals, r;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return fail(-EBADMSG, error, error_size, "the context is not a regular file");
        seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0 || (seals & SEALS_REQUIRED) != SEALS_REQUIRED)
                return fail(-EBADMSG, error, error_size, "the context memfd is not sealed");
        if ((uint64_t) st.st_size != offer->context_size)
                return fail(-EBADMSG, error, error_size, "the context has %" PRIu64 " bytes, the offer said %" PRIu64,
                            (uint64_t) st.st_size, offer->context_size);
        void *p = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
                r = negative_errno();
                return fail(r, error, error_size, "cannot map the context: %s", strerror(-r));
        }
        r = ingest_handoff_decode_context(offer, p, (size_t) st.st_size, ret, error, error_size);
        (void) munmap(p, (size_t) st.st_size);
        return r;
}

/* Receives one message and the descriptors with it (without blocking). Returns its size, -EAGAIN,
 * or -errno; 0 when the peer hung up. Every descriptor that came is in fds, the kernel having
 * dropped those past OFFER_FDS_MAX (*ret_cut is then true). */
static ssize_t receive_with_fds(int conn, uint8_t buf[static HANDOFF_MESSAGE_SIZE_MAX], ReceivedFds *fds, bool *ret_truncated,
                                bool *ret_cut) {
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int) * OFFER_FDS_MAX)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = HANDOFF_MESSAGE_SIZE_MAX };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        ssize_t n;

        do
                n = recvmsg(conn, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : errno == ECONNRESET ? 0 : negative_errno();

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (fds->n < OFFER_FDS_MAX)
                                fds->fd[fds->n++] = fd;
                        else
                                (void) close(fd);
                }
        }
        *ret_truncated = (mh.msg_flags & MSG_TRUNC) || n > HANDOFF_MESSAGE_SIZE_MAX;
        *ret_cut = mh.msg_flags & MSG_CTRUNC;
        return n;
}

int ingest_handoff_receive(int conn, IngestHandoffCrash *ret, char *error, size_t error_size) {
        _cleanup_(export_record_freep) ExportRecord *record = NULL;
        _cleanup_(received_fds_done) ReceivedFds fds = {};
        uint8_t buf[HANDOFF_MESSAGE_SIZE_MAX];
        bool truncated, cut;
        HandoffOffer offer;
        ssize_t n;
        int r;

        n = receive_with_fds(conn, buf, &fds, &truncated, &cut);
        if (n == -EAGAIN)
                return -EAGAIN;
        if (n < 0)
                return fail((int) n, error, error_size, "cannot read the offer: %s", strerror((int) -n));
        if (n == 0)
                return fail(-EPIPE, error, error_size, "the handler hung up before offering a crash");
        if (truncated)
                return fail(-EMSGSIZE, error, error_size, "oversized message of %zd bytes (at most %d); refused",
                            n, HANDOFF_MESSAGE_SIZE_MAX);
        r = ingest_handoff_decode_offer(buf, (size_t) n, &offer);
        if (r == -EPROTONOSUPPORT)
                return fail(r, error, error_size, "handoff protocol version %u, this daemon speaks %u; refused",
                            (unsigned) (buf[4] | buf[5] << 8), HANDOFF_VERSION);
        if (r == -EMSGSIZE)
                return fail(r, error, error_size, "the offer announces a context over %" PRIu64 " bytes; refused",
                            (uint64_t) HANDOFF_CONTEXT_SIZE_MAX);
        if (r < 0)
                return fail(r, error, error_size, "malformed offer (%zd bytes); refused", n);

        size_t expected = offer.flags & HANDOFF_FLAG_PIDFD ? 2 : 1;
        if (cut || fds.n != expected)
                return fail(-EBADMSG, error, error_size, "the offer came with %s%zu descriptors, expected %zu; refused",
                            cut ? "more than " : "", fds.n, expected);
        r = read_context(fds.fd[0], &offer, &record, error, error_size);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                size_t len = strlen(error);
                (void) snprintf(error + len, error_size - len, "; refused");
                return r == -E2BIG ? -EMSGSIZE : r;
        }
        if (expected == 2) {
                pid_t pid;
                r = collect_pidfd_get_pid(fds.fd[1], &pid);
                if (r < 0)
                        return fail(-EBADMSG, error, error_size, "the pidfd is not one of a live process (%s); refused",
                                    strerror(-r));
                if (pid != offer.pid)
                        return fail(-EBADMSG, error, error_size, "the pidfd names PID %d, the offer PID %d; refused",
                                    (int) pid, (int) offer.pid);
        }

        IngestHandoffCrash h = { .core_fd = -EBADF };
        ingest_handoff_crash_from_offer(&offer, TAKE_PTR(record), expected == 2 ? TAKE_FD(fds.fd[1]) : -EBADF, &h.crash);
        *ret = h;
        return 0;
}

int ingest_handoff_receive_core(int conn, uint64_t timeout_usec, IngestHandoffCrash *h, char *error, size_t error_size) {
        _cleanup_(received_fds_done) ReceivedFds fds = {};
        uint64_t deadline = io_now_monotonic_usec() + timeout_usec;
        uint8_t buf[HANDOFF_MESSAGE_SIZE_MAX];
        struct pollfd p = { .fd = conn, .events = POLLIN };
        bool truncated, cut;
        HandoffMessage m;
        struct stat st;
        ssize_t n;
        int r;

        for (;;) {
                uint64_t now = io_now_monotonic_usec();
                if (now >= deadline)
                        return fail(-ETIMEDOUT, error, error_size, "no confirmation within %" PRIu64 " ms",
                                    timeout_usec / 1000);
                r = poll(&p, 1, (int) ((deadline - now + 999) / 1000));
                if (r < 0 && errno != EINTR) {
                        r = negative_errno();
                        return fail(r, error, error_size, "poll(): %s", strerror(-r));
                }
                if (r <= 0)
                        continue;
                n = receive_with_fds(conn, buf, &fds, &truncated, &cut);
                if (n != -EAGAIN)
                        break;
        }
        if (n == 0)
                return fail(-EPIPE, error, error_size, "the handler hung up instead of confirming");
        if (n < 0)
                return fail((int) n, error, error_size, "cannot read the confirmation: %s", strerror((int) -n));
        if (truncated || ingest_handoff_decode_message(buf, (size_t) n, &m) < 0 || m.type != HANDOFF_CONFIRM)
                return fail(-EBADMSG, error, error_size, "expected the confirmation, got something else");
        if (cut || fds.n != 1)
                return fail(-EBADMSG, error, error_size, "the confirmation came with %s%zu descriptors, expected the core",
                            cut ? "more than " : "", fds.n);
        if (fstat(fds.fd[0], &st) < 0 || !S_ISFIFO(st.st_mode))
                return fail(-EBADMSG, error, error_size, "the core descriptor is not a pipe");
        h->core_fd = safe_close(h->core_fd);
        h->core_fd = TAKE_FD(fds.fd[0]);
        return 0;
}
