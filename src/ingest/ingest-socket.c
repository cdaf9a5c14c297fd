/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "collect-proc.h"
#include "ingest-socket.h"
#include "input-limits.h"
#include "io.h"
#include "unaligned.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

int ingest_socket_parse_request(const void *buf, size_t n, CoredumpRequest *ret) {
        const uint8_t *p = buf;
        CoredumpRequest req;

        if (!buf || n < COREDUMP_REQ_SIZE_VER0)
                return -EBADMSG;
        req = (CoredumpRequest) {
                .size = get_u32(p),
                .size_ack = get_u32(p + 4),
                .mask = get_u64(p + 8),
        };
        if (req.size < COREDUMP_REQ_SIZE_VER0 || req.size_ack < COREDUMP_ACK_SIZE_VER0)
                return -EBADMSG;
        if (req.size > COREDUMP_REQUEST_SIZE_MAX)
                return -EMSGSIZE;
        if ((req.mask & (COREDUMP_KERNEL | COREDUMP_REJECT | COREDUMP_WAIT)) !=
            (COREDUMP_KERNEL | COREDUMP_REJECT | COREDUMP_WAIT))
                return -EPROTONOSUPPORT;
        *ret = req;
        return 0;
}

int ingest_socket_make_ack(const CoredumpRequest *req, uint64_t mask, uint8_t buf[static COREDUMP_ACK_SIZE_VER0]) {
        uint64_t kind = mask & (COREDUMP_KERNEL | COREDUMP_USERSPACE | COREDUMP_REJECT);
        uint32_t size = COREDUMP_ACK_SIZE_VER0, spare = 0;

        if (!req || kind == 0 || (kind & (kind - 1)) != 0)
                return -EINVAL; /* exactly one kind, or the kernel answers CONFLICTING */
        if ((mask & ~(kind | COREDUMP_WAIT)) != 0 || (mask & ~req->mask) != 0)
                return -EINVAL;
        if (req->size_ack < size)
                return -EINVAL;
        memcpy(buf, &size, 4);
        memcpy(buf + 4, &spare, 4);
        memcpy(buf + 8, &mask, 8);
        return (int) size;
}

const char *coredump_mark_to_string(CoredumpMark mark) {
        static const char *const table[_COREDUMP_MARK_MAX] = {
                [COREDUMP_MARK_REQACK] = "reqack",
                [COREDUMP_MARK_MINSIZE] = "minsize",
                [COREDUMP_MARK_MAXSIZE] = "maxsize",
                [COREDUMP_MARK_UNSUPPORTED] = "unsupported",
                [COREDUMP_MARK_CONFLICTING] = "conflicting",
        };
        if ((int) mark < 0 || mark >= _COREDUMP_MARK_MAX)
                return NULL;
        return table[mark];
}

/* The line of content (size bytes, not NUL-terminated) that starts with prefix, as a pointer to
 * what follows the prefix and its length up to the newline; NULL when there is none. */
static const char *find_line(const char *content, size_t size, const char *prefix, size_t *ret_len) {
        size_t plen = strlen(prefix);
        for (size_t i = 0; i < size;) {
                const char *nl = memchr(content + i, '\n', size - i);
                size_t len = nl ? (size_t) (nl - (content + i)) : size - i;
                if (len >= plen && memcmp(content + i, prefix, plen) == 0) {
                        *ret_len = len - plen;
                        return content + i + plen;
                }
                i += len + 1;
        }
        return NULL;
}

/* A decimal number at the start of s (len bytes), after blanks; the rest is returned in ret_end. */
static int parse_number(const char *s, size_t len, uint64_t *ret, size_t *ret_end) {
        size_t i = 0;
        uint64_t v = 0;

        while (i < len && (s[i] == ' ' || s[i] == '\t'))
                i++;
        if (i >= len || s[i] < '0' || s[i] > '9')
                return -EBADMSG;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -EBADMSG;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        *ret = v;
        *ret_end = i;
        return 0;
}

int ingest_socket_parse_core_rlimit(const char *content, size_t size, uint64_t *ret) {
        size_t len, i = 0, end;
        const char *s;
        uint64_t v;

        if (!content)
                return -EBADMSG;
        s = find_line(content, size, "Max core file size", &len);
        if (!s)
                return -EBADMSG;
        while (i < len && s[i] == ' ')
                i++;
        if (len - i >= 9 && memcmp(s + i, "unlimited", 9) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (parse_number(s + i, len - i, &v, &end) < 0)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int ingest_socket_parse_resident(const char *content, size_t size, uint64_t *ret) {
        static const char *const keys[] = { "RssAnon:", "RssShmem:" };
        uint64_t total = 0;
        bool found = false;

        if (!content)
                return -EBADMSG;
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                size_t len, end;
                uint64_t v;
                const char *s = find_line(content, size, keys[k], &len);
                if (!s || parse_number(s, len, &v, &end) < 0)
                        continue;
                if (v > UINT64_MAX / 1024 / 2)
                        return -EBADMSG;
                total += v * 1024; /* the kernel prints kB */
                found = true;
        }
        if (!found)
                return -EBADMSG;
        *ret = total;
        return 0;
}

void ingest_socket_peer_done(IngestSocketPeer *p) {
        p->pidfd = safe_close(p->pidfd);
}

static int set_timeout(int fd, uint64_t usec) {
        struct timeval tv = { .tv_sec = (time_t) (usec / 1000000), .tv_usec = (suseconds_t) (usec % 1000000) };
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return negative_errno();
        return 0;
}

/* Reads exactly size bytes; -ETIMEDOUT when the timeout passed, -EPIPE at an early EOF. */
static int read_exact(int fd, void *buf, size_t size) {
        size_t done = 0;
        while (done < size) {
                ssize_t n = recv(fd, (uint8_t *) buf + done, size - done, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : negative_errno();
                if (n == 0)
                        return -EPIPE;
                done += (size_t) n;
        }
        return 0;
}

int ingest_socket_peer_read(int conn_fd, uint64_t accept_usec, IngestSocketPeer *ret, char *error, size_t error_size) {
        _cleanup_(closep) int pidfd = -EBADF;
        IngestSocketPeer peer = { .pidfd = -EBADF, .accept_usec = accept_usec };
        uint8_t head[COREDUMP_REQ_SIZE_VER0];
        socklen_t len;
        int fd, r;

        r = set_timeout(conn_fd, COREDUMP_HANDSHAKE_TIMEOUT_USEC);
        if (r < 0)
                return r;

        len = sizeof(peer.cred);
        if (getsockopt(conn_fd, SOL_SOCKET, SO_PEERCRED, &peer.cred, &len) < 0) {
                r = negative_errno();
                (void) snprintf(error, error_size, "SO_PEERCRED: %s", strerror(-r));
                return r;
        }
        len = sizeof(fd);
        if (getsockopt(conn_fd, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) < 0) {
                r = negative_errno();
                (void) snprintf(error, error_size, "peer PID %d: SO_PEERPIDFD: %s", (int) peer.cred.pid, strerror(-r));
                return -EPERM;
        }
        pidfd = fd;
        (void) fcntl(pidfd, F_SETFD, FD_CLOEXEC);

        /* Only a process in the middle of a core dump is the kernel speaking for a crasher: any
         * other peer (a local client that could open the socket) is refused before it says a word. */
        r = collect_pidfd_info(pidfd, &peer.info);
        if (r < 0) {
                (void) snprintf(error, error_size, "peer PID %d: PIDFD_GET_INFO: %s", (int) peer.cred.pid, strerror(-r));
                return -EPERM;
        }
        if (!peer.info.has_coredump || !(peer.info.coredump_mask & PIDFD_COREDUMPED)) {
                (void) snprintf(error, error_size, "peer PID %d (uid %u) is not dumping core; refused",
                                (int) peer.cred.pid, (unsigned) peer.cred.uid);
                return -EPERM;
        }
        if (peer.info.has_pid && peer.info.tgid != peer.cred.pid) {
                (void) snprintf(error, error_size, "peer PID %d does not match its pidfd (%d); refused",
                                (int) peer.cred.pid, (int) peer.info.tgid);
                return -EPERM;
        }

        r = read_exact(conn_fd, head, sizeof(head));
        if (r < 0) {
                (void) snprintf(error, error_size, "process %d: cannot read the coredump request: %s",
                                (int) peer.cred.pid, strerror(-r));
                return r;
        }
        r = ingest_socket_parse_request(head, sizeof(head), &peer.request);
        if (r < 0) {
                (void) snprintf(error, error_size, "process %d: unusable coredump request (size %" PRIu32 ", size_ack %" PRIu32 ", mask 0x%" PRIx64 "): %s",
                                (int) peer.cred.pid, get_u32(head), get_u32(head + 4), get_u64(head + 8), strerror(-r));
                return r;
        }
        /* Newer kernels may send more than we know; read and forget it. */
        for (uint32_t left = peer.request.size - COREDUMP_REQ_SIZE_VER0; left > 0;) {
                uint8_t skip[256];
                size_t n = left < sizeof(skip) ? left : sizeof(skip);
                r = read_exact(conn_fd, skip, n);
                if (r < 0) {
                        (void) snprintf(error, error_size, "process %d: cannot read the coredump request: %s",
                                        (int) peer.cred.pid, strerror(-r));
                        return r;
                }
                left -= (uint32_t) n;
        }

        peer.pidfd = TAKE_FD(pidfd);
        *ret = peer;
        return 0;
}

int ingest_socket_ack(int conn_fd, const CoredumpRequest *req, uint64_t mask) {
        uint8_t buf[COREDUMP_ACK_SIZE_VER0];
        uint32_t marker;
        ssize_t n;
        int size, r;

        size = ingest_socket_make_ack(req, mask, buf);
        if (size < 0)
                return size;
        /* One send of exactly the ack: the kernel reads it in one go. */
        do
                n = send(conn_fd, buf, (size_t) size, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        if (n != size)
                return -EIO;
        r = read_exact(conn_fd, &marker, sizeof(marker));
        if (r < 0)
                return r;
        r = set_timeout(conn_fd, 0);
        if (r < 0)
                return r;
        if (marker >= _COREDUMP_MARK_MAX)
                return -EPROTO;
        return (int) marker;
}

void ingest_socket_kernel_args(const IngestSocketPeer *peer, int proc_fd, KernelArgs *ret, uint64_t *ret_resident) {
        KernelArgs a = {
                .pid = peer->cred.pid,
                .uid = peer->cred.uid,
                .gid = peer->cred.gid,
                .signo = 0,
                .timestamp_sec = peer->accept_usec / 1000000,
                .rlimit = UINT64_MAX,
                .dumpable = -1,
                .pidfd = peer->pidfd,
                .source = "kernel-socket",
        };
        _cleanup_(freep) char *limits = NULL, *status = NULL;
        CollectProcIdentity id;
        size_t size;
        uint64_t v = 0;
        char path[64];

        if (peer->info.has_creds) {
                a.uid = peer->info.ruid;
                a.gid = peer->info.rgid;
        } else if (collect_proc_identity(proc_fd, a.pid, &id) >= 0) {
                a.uid = id.ruid;
                a.gid = id.rgid;
        }
        if (peer->info.coredump_mask & PIDFD_COREDUMP_ROOT)
                a.dumpable = 2;
        else if (peer->info.coredump_mask & PIDFD_COREDUMP_USER)
                a.dumpable = 1;

        (void) snprintf(path, sizeof(path), "%d/limits", (int) a.pid);
        if (io_read_file_at(proc_fd, path, 64 * KIB, &limits, &size) >= 0)
                (void) ingest_socket_parse_core_rlimit(limits, size, &a.rlimit);
        (void) snprintf(path, sizeof(path), "%d/status", (int) a.pid);
        if (io_read_file_at(proc_fd, path, 64 * KIB, &status, &size) < 0 ||
            ingest_socket_parse_resident(status, size, &v) < 0)
                v = 0;

        *ret = a;
        *ret_resident = v;
}
