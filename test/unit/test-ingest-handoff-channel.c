/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Both ends of the handoff connection over real sockets, pipes, memfds and pidfds: the whole
 * exchange, every way the handler falls back, and what the daemon refuses. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "collect-pidfd.h"
#include "ingest-handoff-channel.h"
#include "input-limits.h"
#include "io.h"
#include "message-ids.h"

typedef enum DaemonScript {
        SCRIPT_RECORD,         /* accept, read the core, say recorded (spooled) */
        SCRIPT_REFUSE,         /* refuse with -EBUSY */
        SCRIPT_SILENT,         /* read the offer, never answer */
        SCRIPT_ACCEPT_AND_DIE, /* accept, take the confirmation, hang up without recording */
} DaemonScript;

typedef struct Daemon {
        int listen_fd;
        DaemonScript script;
        int receive_result;
        char error[256];
        char core[64];      /* what the daemon read from the handed-over core */
        int confirm_result; /* reading the handler's confirmation */
        pthread_t thread;
} Daemon;

static char socket_dir[] = "/tmp/cj-handoff-test.XXXXXX";
static char socket_path[128];

static void *daemon_run(void *userdata) {
        Daemon *d = userdata;
        _cleanup_(closep) int conn = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        _cleanup_(ingest_handoff_crash_done) IngestHandoffCrash h = { .crash.pidfd = -EBADF, .core_fd = -EBADF };
        struct ucred cred;
        HandoffMessage m;

        assert_true(conn >= 0);
        assert_int_equal(ingest_handoff_check_peer(conn, getuid(), &cred, d->error, sizeof(d->error)), 0);
        assert_int_equal(cred.pid, getpid());
        /* The handler sends right after connecting; wait for it like the daemon's poll loop does. */
        do
                d->receive_result = ingest_handoff_receive(conn, &h, d->error, sizeof(d->error));
        while (d->receive_result == -EAGAIN && usleep(1000) == 0);
        if (d->receive_result < 0)
                return NULL;

        switch (d->script) {
        case SCRIPT_RECORD:
                /* No core before the confirmation. */
                assert_int_equal(h.core_fd, -EBADF);
                assert_int_equal(ingest_handoff_send(conn, HANDOFF_ACCEPTED, 0), 0);
                d->confirm_result = ingest_handoff_receive_core(conn, HANDOFF_ANSWER_TIMEOUT_USEC, &h, d->error, sizeof(d->error));
                assert_int_equal(d->confirm_result, 0);
                assert_true(read(h.core_fd, d->core, sizeof(d->core) - 1) > 0);
                assert_int_equal(ingest_handoff_send(conn, HANDOFF_RECORDED, INGEST_SPOOLED), 0);
                break;
        case SCRIPT_REFUSE:
                assert_int_equal(ingest_handoff_send(conn, HANDOFF_REFUSED, -EBUSY), 0);
                break;
        case SCRIPT_SILENT:
                /* The handler gives up and hangs up: a late acceptance finds nobody to confirm it. */
                d->confirm_result = ingest_handoff_read(conn, 5 * HANDOFF_ANSWER_TIMEOUT_USEC, &m);
                (void) ingest_handoff_send(conn, HANDOFF_ACCEPTED, 0);
                assert_int_equal(ingest_handoff_receive_core(conn, HANDOFF_ANSWER_TIMEOUT_USEC, &h, d->error, sizeof(d->error)), -EPIPE);
                assert_int_equal(h.core_fd, -EBADF);
                break;
        case SCRIPT_ACCEPT_AND_DIE:
                assert_int_equal(ingest_handoff_send(conn, HANDOFF_ACCEPTED, 0), 0);
                d->confirm_result = ingest_handoff_receive_core(conn, HANDOFF_ANSWER_TIMEOUT_USEC, &h, d->error, sizeof(d->error));
                break;
        }
        return NULL;
}

static void daemon_start(Daemon *d, DaemonScript script) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        *d = (Daemon) { .script = script, .confirm_result = 1 };
        (void) unlink(socket_path);
        d->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        assert_true(d->listen_fd >= 0);
        memcpy(sa.sun_path, socket_path, strlen(socket_path));
        assert_int_equal(bind(d->listen_fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(d->listen_fd, 16), 0);
        assert_int_equal(pthread_create(&d->thread, NULL, daemon_run, d), 0);
}

static void daemon_join(Daemon *d) {
        assert_int_equal(pthread_join(d->thread, NULL), 0);
        d->listen_fd = safe_close(d->listen_fd);
}

/* A crash of this very process, with a pidfd and a small context record. */
static void make_crash(KernelCrash *ret) {
        ExportRecord *r = NULL;
        assert_int_equal(export_record_new(&r), 0);
        assert_int_equal(export_record_append_string(r, "MESSAGE_ID", MESSAGE_ID_COREDUMP), 0);
        assert_int_equal(export_record_appendf(r, "COREDUMP_PID", "%d", (int) getpid()), 0);
        assert_int_equal(export_record_append(r, "COREDUMP_ENVIRON", "A=1\n\0\xff", 6), 0);
        *ret = (KernelCrash) {
                .args = { .pid = getpid(), .uid = 0, .gid = 0, .signo = 11, .timestamp_sec = 1, .rlimit = UINT64_MAX,
                          .dumpable = 1, .pidfd = -1 },
                .pidfd = collect_pidfd_open(getpid()),
                .at_secure = -1,
                .record = r,
        };
        assert_true(ret->pidfd >= 0);
}

static void test_exchange_recorded(void **state) {
        _cleanup_(ingest_kernel_crash_done) KernelCrash crash = { .pidfd = -EBADF };
        _cleanup_(closep) int conn = -EBADF;
        int core[2];
        char error[256] = "";
        Daemon d;

        make_crash(&crash);
        assert_int_equal(pipe2(core, O_CLOEXEC), 0);
        assert_int_equal(write(core[1], "\177ELF core", 9), 9);
        daemon_start(&d, SCRIPT_RECORD);
        assert_int_equal(ingest_handoff_offer(socket_path, &crash, core[0], HANDOFF_ANSWER_TIMEOUT_USEC, &conn, error, sizeof(error)),
                         INGEST_HANDOFF_ACCEPTED);
        /* The core is the daemon's now: the handler lets go of it. */
        (void) close(core[0]);
        (void) close(core[1]);
        assert_int_equal(ingest_handoff_wait_recorded(conn), INGEST_SPOOLED);
        daemon_join(&d);
        assert_int_equal(d.receive_result, 0);
        assert_int_equal(d.confirm_result, 0);
        assert_string_equal(d.core, "\177ELF core");
}

static void test_exchange_lost(void **state) {
        _cleanup_(ingest_kernel_crash_done) KernelCrash crash = { .pidfd = -EBADF };
        _cleanup_(closep) int conn = -EBADF;
        int core[2];
        char error[256] = "";
        Daemon d;

        make_crash(&crash);
        assert_int_equal(pipe2(core, O_CLOEXEC), 0);
        daemon_start(&d, SCRIPT_ACCEPT_AND_DIE);
        assert_int_equal(ingest_handoff_offer(socket_path, &crash, core[0], HANDOFF_ANSWER_TIMEOUT_USEC, &conn, error, sizeof(error)),
                         INGEST_HANDOFF_ACCEPTED);
        daemon_join(&d);
        /* The daemon went away after taking the crash: the handler must write the record itself. */
        assert_int_equal(ingest_handoff_wait_recorded(conn), -EPIPE);
        (void) close(core[0]);
        (void) close(core[1]);
}

static void test_fallbacks(void **state) {
        _cleanup_(ingest_kernel_crash_done) KernelCrash crash = { .pidfd = -EBADF };
        int conn = -EBADF, core[2];
        char error[256];
        Daemon d;

        make_crash(&crash);
        assert_int_equal(pipe2(core, O_CLOEXEC), 0);

        /* Refused: the reason comes along. */
        daemon_start(&d, SCRIPT_REFUSE);
        assert_int_equal(ingest_handoff_offer(socket_path, &crash, core[0], HANDOFF_ANSWER_TIMEOUT_USEC, &conn, error, sizeof(error)),
                         INGEST_HANDOFF_DECLINED);
        assert_non_null(strstr(error, "refused the crash: Device or resource busy"));
        daemon_join(&d);

        /* No answer in time: declined, and the daemon sees the hang-up instead of a confirmation. */
        daemon_start(&d, SCRIPT_SILENT);
        uint64_t t0 = io_now_monotonic_usec();
        assert_int_equal(ingest_handoff_offer(socket_path, &crash, core[0], 200 * 1000, &conn, error, sizeof(error)),
                         INGEST_HANDOFF_DECLINED);
        assert_true(io_now_monotonic_usec() - t0 >= 200 * 1000);
        assert_non_null(strstr(error, "did not answer within 200 ms"));
        daemon_join(&d);
        assert_int_equal(d.receive_result, 0);
        assert_int_equal(d.confirm_result, -EPIPE);

        /* A socket file nobody listens on (a daemon killed without cleaning up). */
        (void) unlink(socket_path);
        int stale = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        memcpy(sa.sun_path, socket_path, strlen(socket_path));
        assert_int_equal(bind(stale, (struct sockaddr *) &sa, sizeof(sa)), 0);
        (void) close(stale);
        assert_int_equal(ingest_handoff_offer(socket_path, &crash, core[0], HANDOFF_ANSWER_TIMEOUT_USEC, &conn, error, sizeof(error)),
                         INGEST_HANDOFF_DECLINED);
        assert_non_null(strstr(error, "Connection refused"));

        /* No socket at all: no daemon here, nothing to complain about. */
        (void) unlink(socket_path);
        assert_int_equal(ingest_handoff_offer(socket_path, &crash, core[0], HANDOFF_ANSWER_TIMEOUT_USEC, &conn, error, sizeof(error)),
                         INGEST_HANDOFF_UNAVAILABLE);
        assert_int_equal(conn, -EBADF);
        (void) close(core[0]);
        (void) close(core[1]);
}

/* Sends raw bytes with the given descriptors on one end of a socketpair and lets the daemon's
 * receive judge them. */
static int receive_raw(const void *buf, size_t size, const int *fds, size_t n_fds, char *error, size_t error_size) {
        _cleanup_(ingest_handoff_crash_done) IngestHandoffCrash h = { .crash.pidfd = -EBADF, .core_fd = -EBADF };
        int sp[2];
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int) * 8)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        int r;

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        if (n_fds > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        if (buf)
                assert_int_equal(sendmsg(sp[0], &mh, 0), (ssize_t) size);
        else
                (void) shutdown(sp[0], SHUT_WR);
        r = ingest_handoff_receive(sp[1], &h, error, error_size);
        (void) close(sp[0]);
        (void) close(sp[1]);
        return r;
}

static int sealed_memfd(const void *data, size_t size, bool seal) {
        int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        if (seal)
                assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), 0);
        return fd;
}

static void test_receive_refusals(void **state) {
        _cleanup_(ingest_kernel_crash_done) KernelCrash crash = { .pidfd = -EBADF };
        _cleanup_(freep) char *context = NULL;
        uint8_t offer_buf[HANDOFF_OFFER_SIZE], big[HANDOFF_MESSAGE_SIZE_MAX + 100] = {};
        char error[256];
        size_t context_size;
        HandoffOffer offer;
        int core[2], sp[2];

        make_crash(&crash);
        assert_int_equal(ingest_handoff_encode_context(crash.record, &context, &context_size), 0);
        ingest_handoff_offer_from_crash(&crash, context_size, &offer);
        assert_int_equal(ingest_handoff_encode_offer(&offer, offer_buf), HANDOFF_OFFER_SIZE);
        assert_int_equal(pipe2(core, O_CLOEXEC), 0);
        int memfd = sealed_memfd(context, context_size, true);
        int unsealed = sealed_memfd(context, context_size, false);
        int fds[2] = { memfd, crash.pidfd };

        /* The real thing passes. */
        assert_int_equal(receive_raw(offer_buf, sizeof(offer_buf), fds, 2, error, sizeof(error)), 0);

        /* Nothing yet; a hang-up. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        IngestHandoffCrash h;
        assert_int_equal(ingest_handoff_receive(sp[1], &h, error, sizeof(error)), -EAGAIN);
        (void) close(sp[0]);
        (void) close(sp[1]);
        assert_int_equal(receive_raw(NULL, 0, NULL, 0, error, sizeof(error)), -EPIPE);

        /* Oversized, garbage, another version, a message that is not an offer. */
        assert_int_equal(receive_raw(big, sizeof(big), NULL, 0, error, sizeof(error)), -EMSGSIZE);
        assert_non_null(strstr(error, "oversized message of 4196 bytes"));
        assert_int_equal(receive_raw(big, HANDOFF_OFFER_SIZE, NULL, 0, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "malformed offer"));
        uint8_t v2[HANDOFF_OFFER_SIZE];
        memcpy(v2, offer_buf, sizeof(v2));
        v2[4] = 2;
        assert_int_equal(receive_raw(v2, sizeof(v2), fds, 2, error, sizeof(error)), -EPROTONOSUPPORT);
        assert_non_null(strstr(error, "version 2, this daemon speaks 1"));
        uint8_t msg[HANDOFF_MESSAGE_SIZE];
        assert_int_equal(ingest_handoff_encode_message(HANDOFF_CONFIRM, 0, msg), HANDOFF_MESSAGE_SIZE);
        assert_int_equal(receive_raw(msg, sizeof(msg), NULL, 0, error, sizeof(error)), -EBADMSG);

        /* Wrong descriptors: missing, too many, the wrong kinds. */
        assert_int_equal(receive_raw(offer_buf, sizeof(offer_buf), fds, 1, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "came with 1 descriptors, expected 2"));
        int many[5] = { memfd, crash.pidfd, core[0], core[1], memfd };
        assert_int_equal(receive_raw(offer_buf, sizeof(offer_buf), many, 5, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "more than"));
        int not_memfd[2] = { core[0], crash.pidfd };
        assert_int_equal(receive_raw(offer_buf, sizeof(offer_buf), not_memfd, 2, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "not a regular file"));
        int loose[2] = { unsealed, crash.pidfd };
        assert_int_equal(receive_raw(offer_buf, sizeof(offer_buf), loose, 2, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "not sealed"));
        int other_pidfd = collect_pidfd_open(1);
        assert_true(other_pidfd >= 0);
        int wrong_pid[2] = { memfd, other_pidfd };
        assert_int_equal(receive_raw(offer_buf, sizeof(offer_buf), wrong_pid, 2, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "the pidfd names PID 1"));

        /* The context: another size than announced, another process's record. */
        HandoffOffer o = offer;
        o.context_size = context_size + 1;
        assert_int_equal(ingest_handoff_encode_offer(&o, offer_buf), HANDOFF_OFFER_SIZE);
        assert_int_equal(receive_raw(offer_buf, sizeof(offer_buf), fds, 2, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "the offer said"));
        o = offer;
        o.pid = 1;
        o.flags &= ~HANDOFF_FLAG_PIDFD;
        assert_int_equal(ingest_handoff_encode_offer(&o, offer_buf), HANDOFF_OFFER_SIZE);
        assert_int_equal(receive_raw(offer_buf, sizeof(offer_buf), fds, 1, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "another process"));

        /* Only the trusted UID may hand over. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        struct ucred cred;
        assert_int_equal(ingest_handoff_check_peer(sp[1], getuid() + 1, &cred, error, sizeof(error)), -EPERM);
        assert_non_null(strstr(error, "only UID"));
        (void) close(sp[0]);
        (void) close(sp[1]);

        (void) close(other_pidfd);
        (void) close(memfd);
        (void) close(unsealed);
        (void) close(core[0]);
        (void) close(core[1]);
}

/* Sends a message with descriptors and lets the daemon take the core from it. */
static int confirm_raw(HandoffType type, const int *fds, size_t n_fds, bool hang_up, char *error, size_t error_size) {
        _cleanup_(ingest_handoff_crash_done) IngestHandoffCrash h = { .crash.pidfd = -EBADF, .core_fd = -EBADF };
        uint8_t buf[HANDOFF_MESSAGE_SIZE];
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int) * 4)];
        } control = {};
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        int sp[2], r;

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(ingest_handoff_encode_message(type, 0, buf), HANDOFF_MESSAGE_SIZE);
        if (n_fds > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        if (hang_up)
                (void) close(sp[0]);
        else
                assert_int_equal(sendmsg(sp[0], &mh, 0), (ssize_t) sizeof(buf));
        r = ingest_handoff_receive_core(sp[1], 200 * 1000, &h, error, error_size);
        assert_true(r < 0 || h.core_fd >= 0);
        if (!hang_up)
                (void) close(sp[0]);
        (void) close(sp[1]);
        return r;
}

static void test_confirm_refusals(void **state) {
        char error[256];
        int core[2];

        assert_int_equal(pipe2(core, O_CLOEXEC), 0);
        assert_int_equal(confirm_raw(HANDOFF_CONFIRM, core, 1, false, error, sizeof(error)), 0);
        assert_int_equal(confirm_raw(HANDOFF_CONFIRM, NULL, 0, true, error, sizeof(error)), -EPIPE);
        assert_int_equal(confirm_raw(HANDOFF_CONFIRM, NULL, 0, false, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "came with 0 descriptors"));
        assert_int_equal(confirm_raw(HANDOFF_CONFIRM, core, 2, false, error, sizeof(error)), -EBADMSG);
        int not_pipe = memfd_create("x", MFD_CLOEXEC);
        assert_int_equal(confirm_raw(HANDOFF_CONFIRM, &not_pipe, 1, false, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "not a pipe"));
        assert_int_equal(confirm_raw(HANDOFF_RECORDED, core, 1, false, error, sizeof(error)), -EBADMSG);
        assert_non_null(strstr(error, "expected the confirmation"));

        /* Silence: the daemon stops waiting. */
        int sp[2];
        IngestHandoffCrash h = { .crash.pidfd = -EBADF, .core_fd = -EBADF };
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(ingest_handoff_receive_core(sp[1], 100 * 1000, &h, error, sizeof(error)), -ETIMEDOUT);
        (void) close(sp[0]);
        (void) close(sp[1]);
        (void) close(not_pipe);
        (void) close(core[0]);
        (void) close(core[1]);
}

static int setup(void **state) {
        if (!mkdtemp(socket_dir))
                return -1;
        (void) snprintf(socket_path, sizeof(socket_path), "%s/handoff", socket_dir);
        return 0;
}

static int teardown(void **state) {
        (void) unlink(socket_path);
        return rmdir(socket_dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exchange_recorded),
                cmocka_unit_test(test_exchange_lost),
                cmocka_unit_test(test_fallbacks),
                cmocka_unit_test(test_receive_refusals),
                cmocka_unit_test(test_confirm_refusals),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
