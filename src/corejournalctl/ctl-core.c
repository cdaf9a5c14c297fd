/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "cleanup.h"
#include "ctl-core.h"
#include "ctl-record.h"
#include "io.h"
#include "run-as.h"

/* Blocks of zeros this big become holes in a regular output file. */
#define CORE_HOLE_BLOCK 4096
/* Read size for uncompressed copies. */
#define CORE_COPY_BUFFER (128 * 1024)

static int fail(char error[static CTL_ERROR_MAX], int r, const char *format, ...) _printf_(3, 4);
static int fail(char error[static CTL_ERROR_MAX], int r, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(error, CTL_ERROR_MAX, format, ap);
        va_end(ap);
        return r;
}

CtlCoreFormat ctl_core_format_from_filename(const char *name) {
        size_t n = strlen(name);

        if (n >= 4 && strcmp(name + n - 4, ".zst") == 0)
                return CTL_CORE_FORMAT_ZSTD;
        if (n >= 3 && strcmp(name + n - 3, ".xz") == 0)
                return CTL_CORE_FORMAT_XZ;
        if (n >= 4 && strcmp(name + n - 4, ".lz4") == 0)
                return CTL_CORE_FORMAT_LZ4;
        return CTL_CORE_FORMAT_RAW;
}

/* Output that turns zero blocks into holes when it can. */
typedef struct Out {
        int fd;
        bool sparse;
        bool hole_pending;      /* the file ends in a hole that ftruncate() must materialize */
        uint64_t written;
        off_t start;
} Out;

static void out_init(Out *o, int fd) {
        struct stat st;
        int flags = fcntl(fd, F_GETFL);

        *o = (Out) { .fd = fd };
        if (fstat(fd, &st) >= 0 && S_ISREG(st.st_mode) && flags >= 0 && !(flags & O_APPEND)) {
                o->start = lseek(fd, 0, SEEK_CUR);
                o->sparse = o->start >= 0;
        }
}

static bool all_zero(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i])
                        return false;
        return true;
}

static int out_write(Out *o, const void *buf, size_t n) {
        const uint8_t *p = buf;
        int r;

        if (!o->sparse) {
                r = io_write_all(o->fd, p, n);
                if (r >= 0)
                        o->written += n;
                return r;
        }
        while (n > 0) {
                size_t chunk = n < CORE_HOLE_BLOCK ? n : CORE_HOLE_BLOCK;
                if (chunk == CORE_HOLE_BLOCK && all_zero(p, chunk)) {
                        if (lseek(o->fd, (off_t) chunk, SEEK_CUR) < 0)
                                return -errno;
                        o->hole_pending = true;
                } else {
                        r = io_write_all(o->fd, p, chunk);
                        if (r < 0)
                                return r;
                        o->hole_pending = false;
                }
                o->written += chunk;
                p += chunk;
                n -= chunk;
        }
        return 0;
}

static int out_finish(Out *o) {
        if (o->sparse && ftruncate(o->fd, o->start + (off_t) o->written) < 0)
                return -errno;
        return 0;
}

int ctl_core_unzstd(int in_fd, int out_fd, uint64_t *ret_size) {
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        size_t in_size = ZSTD_DStreamInSize(), out_size = ZSTD_DStreamOutSize();
        _cleanup_(freep) uint8_t *in_buf = malloc(in_size);
        _cleanup_(freep) uint8_t *out_buf = malloc(out_size);
        size_t last = 0;
        bool any = false;
        Out o;
        int r = 0;

        if (!dctx || !in_buf || !out_buf) {
                ZSTD_freeDCtx(dctx);
                return -ENOMEM;
        }
        out_init(&o, out_fd);
        for (;;) {
                ssize_t n = read(in_fd, in_buf, in_size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                any = true;
                ZSTD_inBuffer in = { in_buf, (size_t) n, 0 };
                while (in.pos < in.size) {
                        ZSTD_outBuffer out = { out_buf, out_size, 0 };
                        last = ZSTD_decompressStream(dctx, &out, &in);
                        if (ZSTD_isError(last)) {
                                r = -EBADMSG;
                                break;
                        }
                        r = out_write(&o, out_buf, out.pos);
                        if (r < 0)
                                break;
                }
                if (r < 0)
                        break;
        }
        /* Flush what the decoder still holds, then insist the last frame was complete. */
        while (r >= 0 && last > 0) {
                ZSTD_inBuffer in = { NULL, 0, 0 };
                ZSTD_outBuffer out = { out_buf, out_size, 0 };
                last = ZSTD_decompressStream(dctx, &out, &in);
                if (ZSTD_isError(last)) {
                        r = -EBADMSG;
                        break;
                }
                if (out.pos == 0) {
                        r = -EBADMSG; /* input ended inside a frame */
                        break;
                }
                r = out_write(&o, out_buf, out.pos);
        }
        ZSTD_freeDCtx(dctx);
        if (r >= 0 && !any)
                r = -EBADMSG;
        if (r >= 0)
                r = out_finish(&o);
        if (r < 0)
                return r;
        if (ret_size)
                *ret_size = o.written;
        return 0;
}

int ctl_core_copy(int in_fd, int out_fd, uint64_t *ret_size) {
        _cleanup_(freep) uint8_t *buf = malloc(CORE_COPY_BUFFER);
        Out o;
        int r;

        if (!buf)
                return -ENOMEM;
        out_init(&o, out_fd);
        for (;;) {
                ssize_t n = io_read_full(in_fd, buf, CORE_COPY_BUFFER);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                r = out_write(&o, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
        r = out_finish(&o);
        if (r < 0)
                return r;
        if (ret_size)
                *ret_size = o.written;
        return 0;
}

static bool parse_id(const char *s, uint32_t *ret) {
        char *end;

        if (!s || s[0] < '0' || s[0] > '9')
                return false;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || *end || v >= UINT32_MAX)
                return false;
        *ret = (uint32_t) v;
        return true;
}

CtlCoreOpener ctl_core_opener(const char *sender_uid, const char *sender_gid, uid_t self, uid_t *ret_uid, gid_t *ret_gid) {
        uint32_t uid, gid;

        /* No _UID: not from a local journald (journal-remote keeps what it was sent). */
        if (!sender_uid)
                return CTL_CORE_OPEN_SELF;
        if (!parse_id(sender_uid, &uid))
                return CTL_CORE_OPEN_REFUSED;
        /* Root sent it (our own delivery), or we did: opening it as ourselves gives the record's
         * writer nothing it could not read anyway. */
        if (uid == 0 || uid == self)
                return CTL_CORE_OPEN_SELF;
        if (self != 0 || !parse_id(sender_gid, &gid))
                return CTL_CORE_OPEN_REFUSED;
        *ret_uid = uid;
        *ret_gid = gid;
        return CTL_CORE_OPEN_AS_SENDER;
}

/* Where the core is; for a file, who may open it (ctl_core_opener()). */
static int locate(const ExportRecord *r, const char **ret_path, CtlCoreOpener *ret_opener, uid_t *ret_uid,
                  gid_t *ret_gid, char error[static CTL_ERROR_MAX]) {
        const char *path = export_record_get_string(r, "COREDUMP_FILENAME");
        const char *writer = export_record_get_string(r, "_UID");
        bool embedded = export_record_has(r, "COREDUMP");
        const char *host = export_record_get_string(r, "COREJOURNAL_CORE_HOST");

        /* A record from another machine (read from a central store) names a file there: the
         * core is here only if it travelled inside the record. */
        if (path && ctl_record_core_elsewhere(r)) {
                if (embedded) {
                        *ret_path = NULL;
                        *ret_opener = CTL_CORE_OPEN_SELF;
                        return 0;
                }
                const char *forward = export_record_get_string(r, "COREJOURNAL_CORE_FORWARD");
                if (!host)
                        host = export_record_get_string(r, "_HOSTNAME") ?: "n/a";
                if (forward)
                        return fail(error, -ENOENT, "the core stayed on host %s as %s (COREJOURNAL_CORE_FORWARD=%s); "
                                    "only the record travelled", host, path, forward);
                return fail(error, -ENOENT, "the core stayed on host %s as %s; only the record travelled", host, path);
        }
        /* The file is gone but the record carries the core (ForwardCore=embed). */
        if (path && embedded && access(path, F_OK) < 0 && errno == ENOENT)
                path = NULL;
        if (path) {
                CtlCoreOpener o = ctl_core_opener(writer, export_record_get_string(r, "_GID"), geteuid(), ret_uid, ret_gid);
                if (o == CTL_CORE_OPEN_REFUSED)
                        return fail(error, -EBADMSG,
                                    "the record was sent by uid %s, not root nor you; not opening its COREDUMP_FILENAME %s",
                                    writer, path);
                if (path[0] != '/')
                        return fail(error, -EBADMSG, "COREDUMP_FILENAME is not an absolute path: %s", path);
                *ret_path = path;
                *ret_opener = o;
                return 0;
        }
        if (export_record_has(r, "COREDUMP")) {
                *ret_path = NULL;
                *ret_opener = CTL_CORE_OPEN_SELF;
                return 0;
        }
        const char *why = export_record_get_string(r, "COREJOURNAL_CORE_NOT_STORED_MESSAGE");
        if (why)
                return fail(error, -ENOENT, "the record has no core: %s", why);
        return fail(error, -ENOENT, "the record has no core (neither a file nor in the journal)");
}

/* Core files are never symlinks; O_NOFOLLOW keeps a planted one from redirecting us. */
#define CORE_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK)

typedef struct OpenRequest {
        const char *path;
        int sock;
} OpenRequest;

/* In the child, with the sender's identity: opens the file and passes the descriptor back. */
static int open_and_pass(void *userdata) {
        const OpenRequest *q = userdata;
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte = 0;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control) };
        int fd;

        fd = open(q->path, CORE_OPEN_FLAGS);
        if (fd < 0)
                return negative_errno();
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        if (sendmsg(q->sock, &mh, MSG_NOSIGNAL) < 0)
                return negative_errno();
        return 0;
}

/* Opens path with the rights of uid/gid only: a user's record can make us read nothing that user
 * could not read. Returns the fd or -errno. */
static int open_as(const char *path, uid_t uid, gid_t gid) {
        _cleanup_(closep) int ours = -EBADF, theirs = -EBADF;
        int pair[2], r;

        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) < 0)
                return negative_errno();
        ours = pair[0];
        theirs = pair[1];
        OpenRequest q = { .path = path, .sock = theirs };
        r = run_as(uid, gid, &theirs, 1, open_and_pass, &q);
        if (r < 0)
                return r;

        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control) };
        if (recvmsg(ours, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
                return negative_errno();
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
                return -EIO;
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

static int open_core(const char *path, CtlCoreOpener opener, uid_t uid, gid_t gid, CtlCoreFormat *ret_format,
                     char error[static CTL_ERROR_MAX]) {
        CtlCoreFormat format = ctl_core_format_from_filename(path);
        struct stat st;
        int fd;

        if (format == CTL_CORE_FORMAT_XZ || format == CTL_CORE_FORMAT_LZ4)
                return fail(error, -EPROTONOSUPPORT,
                            "%s is %s-compressed, which corejournalctl cannot read; decompress it with '%s -dc %s'",
                            path, format == CTL_CORE_FORMAT_XZ ? "xz" : "lz4", format == CTL_CORE_FORMAT_XZ ? "xz" : "lz4", path);
        if (opener == CTL_CORE_OPEN_AS_SENDER) {
                fd = open_as(path, uid, gid);
                if (fd == -ENOENT)
                        return fail(error, -ENOENT, "the core file %s no longer exists", path);
                /* Not our permission problem: the record names a file its sender may not read. */
                if (fd == -EACCES || fd == -EPERM)
                        return fail(error, -EBADMSG, "the record was sent by uid %u, who may not read its COREDUMP_FILENAME %s; not opening it",
                                    (unsigned) uid, path);
                if (fd < 0)
                        return fail(error, fd, "cannot open %s as uid %u: %s", path, (unsigned) uid, strerror(-fd));
        } else {
                fd = open(path, CORE_OPEN_FLAGS);
                if (fd < 0) {
                        int e = errno;
                        if (e == ENOENT)
                                return fail(error, -ENOENT, "the core file %s no longer exists", path);
                        return fail(error, -e, "cannot open %s: %s", path, strerror(e));
                }
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                (void) close(fd);
                return fail(error, -EBADMSG, "%s is not a regular file", path);
        }
        *ret_format = format;
        return fd;
}

static int write_journal_core(sd_journal *j, int out_fd, uint64_t *ret_size, char error[static CTL_ERROR_MAX]) {
        const void *data;
        size_t len;
        Out o;
        int r;

        (void) sd_journal_set_data_threshold(j, 0);
        r = sd_journal_get_data(j, "COREDUMP", &data, &len);
        (void) sd_journal_set_data_threshold(j, CTL_FIELD_SIZE_MAX);
        if (r < 0)
                return fail(error, r, "cannot read the COREDUMP field: %s", strerror(-r));
        if (len < strlen("COREDUMP="))
                return fail(error, -EBADMSG, "the COREDUMP field is malformed");
        out_init(&o, out_fd);
        r = out_write(&o, (const uint8_t *) data + strlen("COREDUMP="), len - strlen("COREDUMP="));
        if (r >= 0)
                r = out_finish(&o);
        if (r < 0)
                return fail(error, r, "cannot write the core: %s", strerror(-r));
        if (ret_size)
                *ret_size = o.written;
        return 0;
}

int ctl_core_write(sd_journal *j, const ExportRecord *r, int out_fd, char error[static CTL_ERROR_MAX]) {
        _cleanup_(closep) int fd = -EBADF;
        CtlCoreFormat format;
        CtlCoreOpener opener;
        const char *path;
        uid_t uid = 0;
        gid_t gid = 0;
        int k;

        error[0] = 0;
        k = locate(r, &path, &opener, &uid, &gid, error);
        if (k < 0)
                return k;
        if (!path)
                return write_journal_core(j, out_fd, NULL, error);

        fd = open_core(path, opener, uid, gid, &format, error);
        if (fd < 0)
                return fd;
        (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        k = format == CTL_CORE_FORMAT_ZSTD ? ctl_core_unzstd(fd, out_fd, NULL) : ctl_core_copy(fd, out_fd, NULL);
        if (k == -EBADMSG)
                return fail(error, k, "%s is not a complete zstd stream", path);
        if (k < 0)
                return fail(error, k, "cannot copy %s: %s", path, strerror(-k));
        return 0;
}

int ctl_core_materialize(sd_journal *j, const ExportRecord *r, const char *tmpdir, char **ret_path,
                         bool *ret_temporary, char error[static CTL_ERROR_MAX]) {
        _cleanup_(freep) char *temp = NULL;
        _cleanup_(closep) int fd = -EBADF;
        CtlCoreOpener opener;
        const char *path;
        uid_t uid = 0;
        gid_t gid = 0;
        int k;

        error[0] = 0;
        k = locate(r, &path, &opener, &uid, &gid, error);
        if (k < 0)
                return k;
        /* A file only the sender's identity may open is copied through that descriptor: the
         * debugger, running as us, must not open the path itself. */
        if (path && ctl_core_format_from_filename(path) == CTL_CORE_FORMAT_RAW && opener == CTL_CORE_OPEN_SELF) {
                /* Checked like any other core before a debugger is pointed at it. */
                CtlCoreFormat format;
                int cfd = open_core(path, opener, uid, gid, &format, error);
                if (cfd < 0)
                        return cfd;
                (void) close(cfd);
                char *p = strdup(path);
                if (!p)
                        return -ENOMEM;
                *ret_path = p;
                *ret_temporary = false;
                return 0;
        }

        if (asprintf(&temp, "%s/corejournalctl-core-XXXXXX", tmpdir) < 0) {
                temp = NULL;
                return -ENOMEM;
        }
        fd = mkostemp(temp, O_CLOEXEC);
        if (fd < 0) {
                k = -errno;
                return fail(error, k, "cannot create a temporary file in %s: %s", tmpdir, strerror(-k));
        }
        k = ctl_core_write(j, r, fd, error);
        if (k < 0) {
                (void) unlink(temp);
                return k;
        }
        *ret_path = TAKE_PTR(temp);
        *ret_temporary = true;
        return 0;
}
