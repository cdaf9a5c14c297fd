/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "export-sink-journal.h"
#include "export-writer.h"
#include "input-limits.h"
#include "run-as.h"

int export_sink_journal_socket_for_namespace(const char *namespace, char *ret, size_t size) {
        int n;

        if (!namespace || !namespace[0])
                n = snprintf(ret, size, "%s", JOURNAL_SOCKET_DEFAULT);
        else {
                /* journald accepts namespace names that are valid unit name prefixes. */
                for (const char *p = namespace; *p; p++)
                        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\", *p))
                                return -EINVAL;
                if (strlen(namespace) > 64 || namespace[0] == '.')
                        return -EINVAL;
                n = snprintf(ret, size, "/run/systemd/journal.%s/socket", namespace);
        }
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return 0;
}

static int socket_address(const char *path, struct sockaddr_un *ret, socklen_t *ret_len) {
        size_t len = strlen(path);

        if (len == 0 || len >= sizeof(ret->sun_path))
                return -EINVAL;
        *ret = (struct sockaddr_un) { .sun_family = AF_UNIX };
        memcpy(ret->sun_path, path, len);
        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + 1);
        return 0;
}

/* One prepared message on a socket: sending it makes only async-signal-safe calls, so a forked
 * child can do it (run_as()). */
typedef struct Message {
        int sock;
        struct msghdr mh;
} Message;

static int message_send(void *userdata) {
        const Message *m = userdata;

        for (;;) {
                if (sendmsg(m->sock, &m->mh, MSG_NOSIGNAL) >= 0)
                        return 0;
                if (errno != EINTR)
                        return errno == EAGAIN ? -ETIMEDOUT : negative_errno();
        }
}

/* Sends as the caller, or with the credentials in as (in a child that takes them). */
static int message_deliver(Message *m, int passed_fd, const ExportSinkCredentials *as) {
        int keep[2] = { m->sock, passed_fd };

        if (!as)
                return message_send(m);
        return run_as(as->uid, as->gid, keep, passed_fd >= 0 ? 2 : 1, message_send, m);
}

static int send_memfd(int sock, const struct sockaddr_un *addr, socklen_t addr_len, const ExportIovec *v,
                      const ExportSinkCredentials *as) {
        _cleanup_(closep) int fd = -EBADF;
        int r;

        fd = memfd_create("corejournal-record", MFD_ALLOW_SEALING | MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = export_iovec_write(fd, v);
        if (r < 0)
                return r;
        /* journald maps sealed memfds; unsealed ones it refuses from unprivileged senders. */
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return negative_errno();

        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        Message m = {
                .sock = sock,
                .mh = {
                        .msg_name = (void *) addr,
                        .msg_namelen = addr_len,
                        .msg_control = &control,
                        .msg_controllen = sizeof(control),
                },
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&m.mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));

        return message_deliver(&m, fd, as);
}

static int send_record(const char *socket_path, const ExportRecord *record, const ExportSinkCredentials *as) {
        _cleanup_(closep) int sock = -EBADF;
        struct sockaddr_un addr;
        socklen_t addr_len;
        ExportIovec v;
        int r;

        r = socket_address(socket_path ?: JOURNAL_SOCKET_DEFAULT, &addr, &addr_len);
        if (r < 0)
                return r;

        sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return negative_errno();
        struct timeval tv = {
                .tv_sec = JOURNAL_SEND_TIMEOUT_USEC / 1000000,
                .tv_usec = JOURNAL_SEND_TIMEOUT_USEC % 1000000,
        };
        (void) setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

        r = export_iovec_build(record, EXPORT_ENCODING_NATIVE, NULL, &v);
        if (r < 0)
                return r;
        if (v.total_size > JOURNAL_ENTRY_SIZE_MAX) {
                export_iovec_done(&v);
                return -EMSGSIZE;
        }

        r = -EMSGSIZE;
        if (v.total_size <= JOURNAL_DATAGRAM_SIZE_MAX && v.n_iov <= IOV_MAX) {
                Message m = {
                        .sock = sock,
                        .mh = {
                                .msg_name = &addr,
                                .msg_namelen = addr_len,
                                .msg_iov = v.iov,
                                .msg_iovlen = v.n_iov,
                        },
                };
                r = message_deliver(&m, -EBADF, as);
        }
        /* Too large for a datagram: the same bytes go through a sealed memfd. */
        if (r == -EMSGSIZE || r == -ENOBUFS)
                r = send_memfd(sock, &addr, addr_len, &v, as);

        export_iovec_done(&v);
        return r;
}

int export_sink_journal_send(const char *socket_path, const ExportRecord *record) {
        return send_record(socket_path, record, NULL);
}

int export_sink_journal_send_as(const char *socket_path, const ExportRecord *record, const ExportSinkCredentials *as) {
        return send_record(socket_path, record, as);
}
