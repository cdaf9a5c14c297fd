/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <acl/libacl.h>
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zstd.h>

#include "collect-storage.h"
#include "input-limits.h"
#include "io.h"

/* How the read loop stays fast (principle 1: the crasher is parked until we see EOF).
 *
 * The stream is read in STREAM_CHUNK pieces (a full chunk is gathered before it is handed on, so
 * every chunk starts page-aligned in the core) and goes through the head reader, then to the
 * sink; the input is closed the moment read() returns 0, before the compressor is flushed and
 * before fsync, xattrs and the link. The pipe is enlarged to STREAM_PIPE_SIZE (best effort) so
 * the kernel can run ahead of us.
 *
 * zstd, measured with bench/bench-storage.c on this 2-CPU VM (Linux 6.18, libzstd 1.5.4, ext4; other
 * jobs shared the machine at times). A child plays the kernel and writes 1 GiB into the pipe in
 * 4 KiB writes: a real core (gcore of a python3 process, 385 MB) repeated, every other 1 MiB block
 * zero. Medians of 7-9 rounds; seconds until EOF, and CPU seconds of the reading process (the
 * quiet runs predate the zero frames described below, the busy one has them):
 *
 *                       quiet machine     busy (another job on one CPU)
 *      level 1, 0 thr   1.41 / 1.48 s     1.73 s, 1.23 s CPU
 *      level 1, 1 thr   1.15 / 1.28 s     2.03 s, 1.53 s CPU
 *      level 1, 2 thr   1.12 / 1.29 s     1.83 s, 1.25 s CPU
 *      level 3, 0 thr   1.95 s            2.39 s, 1.90 s CPU
 *      level 3, 1 thr   1.44 s            2.45 s, 2.11 s CPU
 *      level 3, 2 thr   1.38 s            2.07 s, 1.88 s CPU
 *      read only        0.32 s            0.69 s, 0.31 s CPU
 *      sparse, no zstd  0.52 s            0.72 s, 0.46 s CPU (+0.3 s fsync after EOF)
 *
 * Level 1 reaches EOF 25-35% sooner than level 3 for files 3% larger (82.6 vs 80.0 MiB). A
 * worker thread overlaps compression with reading and wins 15-20% when a CPU is free, but with two
 * CPUs (one is the kernel writing the core) it loses as much as soon as anything else runs, and
 * costs 25% more CPU: so one worker only when there are more than two CPUs.
 *
 * Zero pages do not cost "almost nothing" in zstd: 1 GiB of them took 0.58 CPU s at level 1. A
 * chunk that is all zeros is therefore written as a prebuilt zstd frame (see compress_chunk()):
 * 0.26 CPU s for the same GiB, the read-only floor being 0.24 s. */
#define STREAM_CHUNK ((size_t) 1024 * 1024)

/* Incompressible memory (encrypted, already compressed, random) still costs zstd level 1 about a
 * CPU second per GB, in the read loop the crasher waits on, for files no smaller. When the output
 * of the last RAW_WINDOW of compressed chunks was over RAW_RATIO_PERCENT of the input, chunks are
 * stored as raw-block zstd frames (a copy, RFC 8878 §3.1.1.2.2) instead. A PROBE_SIZE sample from
 * the middle of each raw chunk is compressed (1/128 of the data): once one comes out below
 * PROBE_RATIO_PERCENT, compression resumes with that chunk. */
#define RAW_WINDOW ((uint64_t) 4 * 1024 * 1024)
#define RAW_RATIO_PERCENT 97
#define PROBE_SIZE ((size_t) 8192)
#define PROBE_RATIO_PERCENT 90
#define ZSTD_RAW_BLOCK_MAX ((size_t) 128 * 1024)

/* The file's writeback is started every WRITEBACK_KICK bytes while the stream is read
 * (sync_file_range(SYNC_FILE_RANGE_WRITE), which does not wait), so that the fsync after EOF —
 * which the record waits for — finds most of the file on disk already. */
#define WRITEBACK_KICK ((uint64_t) 32 * 1024 * 1024)
#define STREAM_PIPE_SIZE (1024 * 1024)
#define ZERO_PAGE_SIZE ((size_t) 4096)
#define ZSTD_OUT_SIZE ((size_t) 256 * 1024)

/* systemd's uid classes (Debian's build): regular users get a read ACL on their own cores, system
 * users (<= 999), dynamic users (61184-65519) and nobody do not. */
#define SYSTEM_UID_MAX 999
#define DYNAMIC_UID_MIN 61184
#define DYNAMIC_UID_MAX 65519
#define UID_NOBODY 65534

static const char *const reason_table[_COLLECT_STORAGE_REASON_MAX] = {
        [COLLECT_STORAGE_REASON_NONE] = NULL,
        [COLLECT_STORAGE_REASON_STORAGE_NONE] = "Storage=none",
        [COLLECT_STORAGE_REASON_EXTERNAL_SIZE_MAX] = "exceeds ExternalSizeMax",
        [COLLECT_STORAGE_REASON_JOURNAL_SIZE_MAX] = "exceeds JournalSizeMax",
        [COLLECT_STORAGE_REASON_PROCESS_SIZE_MAX] = "exceeds ProcessSizeMax",
        [COLLECT_STORAGE_REASON_MAX_USE] = "exceeds MaxUse",
        [COLLECT_STORAGE_REASON_KEEP_FREE] = "would pass KeepFree",
        [COLLECT_STORAGE_REASON_DISK_FULL] = "disk full",
        [COLLECT_STORAGE_REASON_EXISTS] = "file exists",
        [COLLECT_STORAGE_REASON_CREATE_FAILED] = "cannot create file",
        [COLLECT_STORAGE_REASON_WRITE_FAILED] = "write failed",
        [COLLECT_STORAGE_REASON_LINK_FAILED] = "link failed",
};

const char *collect_storage_reason_to_string(CollectStorageReason reason) {
        if (reason < 0 || reason >= _COLLECT_STORAGE_REASON_MAX)
                return NULL;
        return reason_table[reason];
}

int collect_storage_describe(const CollectStorageResult *r, char **ret) {
        char *s = NULL;
        int k;

        errno = r->error < 0 ? -r->error : 0;
        switch (r->reason) {
        case COLLECT_STORAGE_REASON_NONE:
                *ret = NULL;
                return 0;
        case COLLECT_STORAGE_REASON_STORAGE_NONE:
                k = asprintf(&s, "Storage=none, the core is not stored.");
                break;
        case COLLECT_STORAGE_REASON_EXTERNAL_SIZE_MAX:
        case COLLECT_STORAGE_REASON_JOURNAL_SIZE_MAX:
                k = asprintf(&s, "The core will not be stored: size %" PRIu64 " is greater than %" PRIu64
                                 " (the configured maximum)", r->size, r->limit);
                break;
        case COLLECT_STORAGE_REASON_PROCESS_SIZE_MAX:
                k = asprintf(&s, "Core file was truncated to %" PRIu64 " bytes, the core will not be stored.",
                             r->limit);
                break;
        case COLLECT_STORAGE_REASON_MAX_USE:
                k = asprintf(&s, "The core will not be stored: it would use more than the %" PRIu64
                                 " bytes MaxUse= leaves for it.", r->limit);
                break;
        case COLLECT_STORAGE_REASON_KEEP_FREE:
                k = asprintf(&s, "The core will not be stored: it would use more than the %" PRIu64
                                 " bytes KeepFree= leaves for it.", r->limit);
                break;
        case COLLECT_STORAGE_REASON_DISK_FULL:
                k = asprintf(&s, "Not enough disk space for coredump, refusing: %m");
                break;
        case COLLECT_STORAGE_REASON_EXISTS:
                k = asprintf(&s, "The core will not be stored: a file of its name already exists.");
                break;
        case COLLECT_STORAGE_REASON_CREATE_FAILED:
                k = asprintf(&s, "Failed to create temporary file for coredump: %m");
                break;
        case COLLECT_STORAGE_REASON_WRITE_FAILED:
                k = asprintf(&s, "Failed to write coredump: %m");
                break;
        case COLLECT_STORAGE_REASON_LINK_FAILED:
                k = asprintf(&s, "Failed to move coredump into place: %m");
                break;
        default:
                return -EINVAL;
        }
        if (k < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

void collect_storage_params_init(CollectStorageParams *p) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);

        *p = (CollectStorageParams) {
                .storage = COREDUMP_STORAGE_EXTERNAL,
                .compress = true,
                .process_size_max = COREDUMP_PROCESS_SIZE_MAX_DEFAULT,
                .external_size_max = COREDUMP_EXTERNAL_SIZE_MAX_DEFAULT,
                .journal_size_max = COREDUMP_JOURNAL_SIZE_MAX_DEFAULT,
                .zstd_level = COLLECT_STORAGE_ZSTD_LEVEL,
                .zstd_workers = cpus > 2 ? 1 : 0, /* see the measurements above */
                .dir_fd = -EBADF,
        };
}

void collect_storage_result_done(CollectStorageResult *r) {
        free(r->filename);
        r->filename = NULL;
        r->memfd = safe_close(r->memfd);
}

static bool escape_byte(unsigned char c) {
        return c < ' ' || c >= 127 || c == '\\' || c == '.' || c == ' ' || c == '/';
}

int collect_storage_make_filename(const char *comm, uid_t uid, const char *boot_id, pid_t pid,
                                  uint64_t timestamp_usec, bool compressed, char **ret) {
        char tail[128], *name;
        size_t room, used = 0;
        int k;

        if (!comm || !boot_id || strlen(boot_id) != 32 || strspn(boot_id, "0123456789abcdef") != 32 || pid <= 0 ||
            uid == (uid_t) -1)
                return -EINVAL;

        k = snprintf(tail, sizeof(tail), ".%u.%s.%d.%" PRIu64 "%s", (unsigned) uid, boot_id, (int) pid,
                     timestamp_usec, compressed ? ".zst" : "");
        if (k < 0 || (size_t) k >= sizeof(tail))
                return -EINVAL;
        room = CORE_FILENAME_MAX - strlen("core.") - (size_t) k; /* bytes left for the escaped comm */

        name = malloc(CORE_FILENAME_MAX + 1);
        if (!name)
                return -ENOMEM;
        memcpy(name, "core.", 5);
        for (const unsigned char *c = (const unsigned char *) comm; *c; c++) {
                size_t need = escape_byte(*c) ? 4 : 1;
                if (used + need > room)
                        break; /* cut between escapes, never inside one */
                if (need == 4) {
                        static const char hex[] = "0123456789abcdef";
                        name[5 + used] = '\\';
                        name[5 + used + 1] = 'x';
                        name[5 + used + 2] = hex[*c >> 4];
                        name[5 + used + 3] = hex[*c & 15];
                } else
                        name[5 + used] = (char) *c;
                used += need;
        }
        memcpy(name + 5 + used, tail, (size_t) k + 1);
        *ret = name;
        return 0;
}

/* The write side of one save. */
typedef struct Saver {
        const CollectStorageParams *p;
        CollectCore *core;
        CollectStorageResult *res;
        bool storing;
        int out_fd;
        ZSTD_CCtx *cctx;
        uint8_t *zbuf;
        uint64_t raw_cap;                /* stream bytes storing may take */
        CollectStorageReason raw_reason; /* ... and the reason when it takes more */
        uint64_t file_cap;               /* compressed bytes the file may take (ExternalSizeMax=) */
        uint64_t budget;                 /* bytes the file may take on disk (MaxUse=/KeepFree=) */
        CollectStorageReason budget_reason;
        uint64_t out_bytes;              /* compressed bytes, or bytes of non-zero pages, written */
        bool checked_expected;
        bool frame_open;                 /* the compressor has a zstd frame under way */
        uint8_t *zero_frame;             /* a whole zstd frame holding STREAM_CHUNK zero bytes */
        size_t zero_frame_size;
        uint64_t kicked;                 /* out_bytes when writeback was last started */
        bool raw;                        /* chunks go out as raw frames (the data does not compress) */
        ZSTD_CCtx *probe_cctx;           /* compresses the samples of raw chunks */
        uint8_t *probe_buf;
        uint64_t window_in, window_out;  /* compressed mode: input since the window began, out_bytes then */
        uint64_t raw_bytes;              /* stream bytes stored as raw frames, for the report */
} Saver;

static void saver_done(Saver *s) {
        s->out_fd = safe_close(s->out_fd);
        if (s->cctx)
                (void) ZSTD_freeCCtx(s->cctx);
        s->cctx = NULL;
        free(s->zbuf);
        s->zbuf = NULL;
        free(s->zero_frame);
        s->zero_frame = NULL;
        if (s->probe_cctx)
                (void) ZSTD_freeCCtx(s->probe_cctx);
        s->probe_cctx = NULL;
        free(s->probe_buf);
        s->probe_buf = NULL;
}

/* Stops storing: the O_TMPFILE or memfd goes away with its fd, nothing was linked. */
static void refuse(Saver *s, CollectStorageReason reason, int error, uint64_t limit, uint64_t size) {
        if (!s->storing)
                return;
        s->storing = false;
        s->out_fd = safe_close(s->out_fd);
        if (s->cctx) {
                (void) ZSTD_freeCCtx(s->cctx);
                s->cctx = NULL;
        }
        s->res->reason = reason;
        s->res->error = error;
        s->res->limit = limit;
        s->res->size = size;
}

static void refuse_write(Saver *s, int error) {
        refuse(s, error == -ENOSPC || error == -EDQUOT ? COLLECT_STORAGE_REASON_DISK_FULL
                                                      : COLLECT_STORAGE_REASON_WRITE_FAILED,
               error, 0, 0);
}

static bool is_zero(const uint8_t *p, size_t n) {
        return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static void account(Saver *s, uint64_t bytes) {
        s->out_bytes += bytes;
        if (s->p->storage == COREDUMP_STORAGE_EXTERNAL && s->out_bytes - s->kicked >= WRITEBACK_KICK) {
                (void) sync_file_range(s->out_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
                s->kicked = s->out_bytes;
        }
        if (s->out_bytes > s->file_cap)
                refuse(s, COLLECT_STORAGE_REASON_EXTERNAL_SIZE_MAX, 0, s->file_cap, s->out_bytes);
        else if (s->out_bytes > s->budget)
                refuse(s, s->budget_reason, 0, s->budget, s->out_bytes);
}

/* Writes the non-zero pages of a chunk that starts page-aligned at offset; zero pages stay holes. */
static void write_sparse(Saver *s, const uint8_t *buf, size_t size, uint64_t offset) {
        size_t i = 0;

        while (i < size && s->storing) {
                size_t start, n = size - i < ZERO_PAGE_SIZE ? size - i : ZERO_PAGE_SIZE;
                int r;

                if (is_zero(buf + i, n)) {
                        i += n;
                        continue;
                }
                start = i;
                while (i < size) {
                        n = size - i < ZERO_PAGE_SIZE ? size - i : ZERO_PAGE_SIZE;
                        if (is_zero(buf + i, n))
                                break;
                        i += n;
                }
                r = io_pwrite_all(s->out_fd, buf + start, i - start, offset + start);
                if (r < 0)
                        return refuse_write(s, r);
                account(s, i - start);
        }
}

static void compress(Saver *s, const uint8_t *buf, size_t size, ZSTD_EndDirective mode) {
        ZSTD_inBuffer in = { buf, size, 0 };

        while (s->storing) {
                ZSTD_outBuffer out = { s->zbuf, ZSTD_OUT_SIZE, 0 };
                size_t left = ZSTD_compressStream2(s->cctx, &out, &in, mode);
                if (ZSTD_isError(left))
                        return refuse_write(s, -EIO);
                if (out.pos > 0) {
                        int r = io_write_all(s->out_fd, s->zbuf, out.pos);
                        if (r < 0)
                                return refuse_write(s, r);
                        account(s, out.pos);
                }
                if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
                        return;
        }
}

/* The frame that stands for a chunk of zeros, made on first use: compressing zeros is not free
 * (0.58 CPU s per GiB at level 1 here), copying a 51-byte frame is. */
static int zero_frame(Saver *s) {
        ZSTD_CCtx *c;
        uint8_t *zeros;
        size_t bound = ZSTD_compressBound(STREAM_CHUNK), n;

        if (s->zero_frame)
                return 0;
        c = ZSTD_createCCtx();
        zeros = calloc(1, STREAM_CHUNK);
        s->zero_frame = malloc(bound);
        if (!c || !zeros || !s->zero_frame ||
            ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, s->p->zstd_level)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)))
                n = (size_t) -1;
        else
                n = ZSTD_compress2(c, s->zero_frame, bound, zeros, STREAM_CHUNK);
        (void) ZSTD_freeCCtx(c);
        free(zeros);
        if (n == (size_t) -1 || ZSTD_isError(n)) {
                free(s->zero_frame);
                s->zero_frame = NULL;
                return -ENOMEM;
        }
        s->zero_frame_size = n;
        return 0;
}

/* One chunk as a zstd frame of raw blocks: the bytes as they are, behind a 9-byte frame header
 * (single segment, 4-byte content size, no checksum) and a 3-byte header per 128 KiB block. */
static void write_raw_frame(Saver *s, const uint8_t *buf, size_t size) {
        uint8_t frame_header[9] = { 0x28, 0xb5, 0x2f, 0xfd, 0xa0 };
        uint8_t block_headers[STREAM_CHUNK / ZSTD_RAW_BLOCK_MAX + 1][3];
        struct iovec iov[1 + 2 * (STREAM_CHUNK / ZSTD_RAW_BLOCK_MAX + 1)];
        size_t n_iov = 0, n_blocks = 0, total = sizeof(frame_header);

        assert(size <= STREAM_CHUNK);
        for (int i = 0; i < 4; i++)
                frame_header[5 + i] = (uint8_t) (size >> (8 * i));
        iov[n_iov++] = (struct iovec) { frame_header, sizeof(frame_header) };
        size_t off = 0;
        do {
                size_t n = size - off < ZSTD_RAW_BLOCK_MAX ? size - off : ZSTD_RAW_BLOCK_MAX;
                bool last = off + n == size;
                uint32_t h = (uint32_t) (n << 3) | (last ? 1u : 0u); /* block type 0: raw */
                uint8_t *bh = block_headers[n_blocks++];
                bh[0] = (uint8_t) h;
                bh[1] = (uint8_t) (h >> 8);
                bh[2] = (uint8_t) (h >> 16);
                iov[n_iov++] = (struct iovec) { bh, 3 };
                iov[n_iov++] = (struct iovec) { (void *) (buf + off), n };
                total += 3 + n;
                off += n;
        } while (off < size);

        int r = io_writev_all(s->out_fd, iov, n_iov);
        if (r < 0)
                return refuse_write(s, r);
        s->raw_bytes += size;
        account(s, total);
}

/* Ends the open compressed frame, if any. */
static void end_frame(Saver *s) {
        if (s->frame_open) {
                compress(s, NULL, 0, ZSTD_e_end);
                s->frame_open = false;
        }
}

/* Whether a chunk met while storing raw would compress: its middle PROBE_SIZE bytes, compressed. */
static bool probe_compresses(Saver *s, const uint8_t *buf, size_t size) {
        size_t bound = ZSTD_compressBound(PROBE_SIZE);

        if (size < PROBE_SIZE)
                return false;
        if (!s->probe_cctx) {
                s->probe_cctx = ZSTD_createCCtx();
                s->probe_buf = malloc(bound);
                if (!s->probe_cctx || !s->probe_buf)
                        return true; /* no memory to judge: compress, as before */
        }
        size_t at = (size / 2 - PROBE_SIZE / 2) & ~(ZERO_PAGE_SIZE - 1);
        size_t n = ZSTD_compressCCtx(s->probe_cctx, s->probe_buf, bound, buf + at, PROBE_SIZE, s->p->zstd_level);
        return !ZSTD_isError(n) && n * 100 < PROBE_SIZE * PROBE_RATIO_PERCENT;
}

/* Compresses one chunk. A chunk of nothing but zeros (untouched memory, often most of a core)
 * becomes a prebuilt frame of its own: a zstd file may be any sequence of frames, and every
 * decoder (zstd, libzstd streaming, coredumpctl) reads them as one stream. */
static void compress_chunk(Saver *s, const uint8_t *buf, size_t size) {
        if (size == STREAM_CHUNK && is_zero(buf, size) && zero_frame(s) >= 0) {
                int r;
                if (s->frame_open) {
                        compress(s, NULL, 0, ZSTD_e_end);
                        s->frame_open = false;
                        if (!s->storing)
                                return;
                }
                r = io_write_all(s->out_fd, s->zero_frame, s->zero_frame_size);
                if (r < 0)
                        return refuse_write(s, r);
                return account(s, s->zero_frame_size);
        }
        if (s->raw) {
                if (!probe_compresses(s, buf, size))
                        return write_raw_frame(s, buf, size);
                s->raw = false;
                s->window_in = 0;
                s->window_out = s->out_bytes;
        }
        compress(s, buf, size, ZSTD_e_continue);
        s->frame_open = true;
        /* Judge the last few MiB (the compressor holds back at most a block, small beside it). */
        s->window_in += size;
        if (s->window_in >= RAW_WINDOW) {
                if ((s->out_bytes - s->window_out) * 100 >= s->window_in * RAW_RATIO_PERCENT) {
                        end_frame(s);
                        s->raw = true;
                }
                s->window_in = 0;
                s->window_out = s->out_bytes;
        }
}

/* Hands one chunk (starting at stream offset offset) to the head reader and the sink. */
static void process(Saver *s, const uint8_t *buf, size_t size, uint64_t offset) {
        collect_core_feed(s->core, buf, size);
        if (s->p->compact)
                collect_compact_feed(s->p->compact, collect_core_info(s->core), offset, buf, size);
        if (!s->storing)
                return;

        const CollectCoreInfo *info = collect_core_info(s->core);
        if (!s->checked_expected && info->head != COLLECT_CORE_HEAD_PENDING) {
                /* Refuse before writing a byte more when the headers already tell. */
                s->checked_expected = true;
                if (info->expected_size > s->raw_cap)
                        return refuse(s, s->raw_reason, 0, s->raw_cap, info->expected_size);
        }
        if (offset + size > s->raw_cap)
                return refuse(s, s->raw_reason, 0, s->raw_cap, offset + size);

        if (s->cctx)
                compress_chunk(s, buf, size);
        else
                write_sparse(s, buf, size, offset);
}

static int setup(Saver *s) {
        const CollectStorageParams *p = s->p;
        uint64_t max;
        int r;

        s->file_cap = UINT64_MAX;
        s->budget = UINT64_MAX;

        switch (p->storage) {
        case COREDUMP_STORAGE_NONE:
                s->res->reason = COLLECT_STORAGE_REASON_STORAGE_NONE;
                return 0;

        case COREDUMP_STORAGE_JOURNAL:
                s->raw_cap = p->journal_size_max;
                s->raw_reason = COLLECT_STORAGE_REASON_JOURNAL_SIZE_MAX;
                s->out_fd = memfd_create("core", MFD_CLOEXEC | MFD_ALLOW_SEALING);
                if (s->out_fd < 0) {
                        s->res->reason = COLLECT_STORAGE_REASON_CREATE_FAILED;
                        s->res->error = negative_errno();
                        return 0;
                }
                s->storing = true;
                return 0;

        case COREDUMP_STORAGE_EXTERNAL:
                break;

        default:
                return -EINVAL;
        }

        if (p->dir_fd < 0 || !p->filename || !*p->filename || strchr(p->filename, '/'))
                return -EINVAL;

        if (p->space) {
                s->budget = p->space->budget;
                s->budget_reason = p->space->limit == COLLECT_SPACE_LIMIT_KEEP_FREE ? COLLECT_STORAGE_REASON_KEEP_FREE
                                                                                    : COLLECT_STORAGE_REASON_MAX_USE;
                if (!p->space->allowed) {
                        s->res->reason = s->budget_reason;
                        s->res->limit = s->budget;
                        return 0;
                }
        }

        /* systemd reads at most max(ProcessSizeMax=, ExternalSizeMax=) bytes; ExternalSizeMax= is
         * compared with the file's size, i.e. the compressed size when compressing. */
        max = p->external_size_max;
        if (p->compress) {
                s->raw_cap = p->process_size_max > max ? p->process_size_max : max;
                s->raw_reason = COLLECT_STORAGE_REASON_PROCESS_SIZE_MAX;
                s->file_cap = max;
        } else {
                s->raw_cap = max;
                s->raw_reason = COLLECT_STORAGE_REASON_EXTERNAL_SIZE_MAX;
        }

        s->out_fd = openat(p->dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
        if (s->out_fd < 0) {
                s->res->reason = COLLECT_STORAGE_REASON_CREATE_FAILED;
                s->res->error = negative_errno();
                return 0;
        }

        if (p->compress) {
                s->cctx = ZSTD_createCCtx();
                s->zbuf = malloc(ZSTD_OUT_SIZE);
                if (!s->cctx || !s->zbuf) {
                        s->res->reason = COLLECT_STORAGE_REASON_CREATE_FAILED;
                        s->res->error = -ENOMEM;
                        s->out_fd = safe_close(s->out_fd);
                        return 0;
                }
                r = (int) ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, p->zstd_level));
                r |= (int) ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, 1));
                if (r) {
                        s->res->reason = COLLECT_STORAGE_REASON_CREATE_FAILED;
                        s->res->error = -EINVAL;
                        s->out_fd = safe_close(s->out_fd);
                        return 0;
                }
                /* A libzstd built without threads refuses workers: compress on this thread then. */
                if (p->zstd_workers > 0)
                        (void) ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_nbWorkers, p->zstd_workers);
        }

        s->storing = true;
        return 0;
}

bool collect_storage_uid_is_regular(uid_t uid) {
        return uid > SYSTEM_UID_MAX && !(uid >= DYNAMIC_UID_MIN && uid <= DYNAMIC_UID_MAX) && uid != UID_NOBODY &&
               uid != (uid_t) -1;
}

/* Adds user:uid:r-- to the file's access ACL and recomputes the mask. */
static int add_read_acl(int fd, uid_t uid) {
        acl_t acl;
        acl_entry_t entry;
        acl_permset_t perms;
        int r = 0;

        acl = acl_get_fd(fd);
        if (!acl)
                return negative_errno();
        if (acl_create_entry(&acl, &entry) < 0 || acl_set_tag_type(entry, ACL_USER) < 0 ||
            acl_set_qualifier(entry, &uid) < 0 || acl_get_permset(entry, &perms) < 0 || acl_clear_perms(perms) < 0 ||
            acl_add_perm(perms, ACL_READ) < 0 || acl_set_permset(entry, perms) < 0 || acl_calc_mask(&acl) < 0 ||
            acl_set_fd(fd, acl) < 0)
                r = negative_errno();
        (void) acl_free(acl);
        return r;
}

static int set_xattrs(int fd, const CollectStorageXattrs *x) {
        const struct {
                const char *name, *value;
        } list[] = {
                { "user.coredump.pid", x->pid },
                { "user.coredump.uid", x->uid },
                { "user.coredump.gid", x->gid },
                { "user.coredump.signal", x->signal },
                { "user.coredump.timestamp", x->timestamp },
                { "user.coredump.rlimit", x->rlimit },
                { "user.coredump.hostname", x->hostname },
                { "user.coredump.comm", x->comm },
                { "user.coredump.exe", x->exe },
        };

        for (size_t i = 0; i < ELEMENTSOF(list); i++) {
                if (!list[i].value || !*list[i].value)
                        continue;
                if (fsetxattr(fd, list[i].name, list[i].value, strlen(list[i].value), XATTR_CREATE) < 0)
                        return negative_errno(); /* the others would fail the same way */
        }
        return 0;
}

static void fill_sizes(int fd, CollectStorageResult *res) {
        struct stat st;
        if (fstat(fd, &st) >= 0) {
                res->written = (uint64_t) st.st_blocks * 512;
                res->file_size = (uint64_t) st.st_size;
        }
}

static void finish_external(Saver *s) {
        const CollectStorageParams *p = s->p;
        uint64_t received = collect_core_info(s->core)->received;
        int r;

        if (s->cctx) {
                /* close the last frame; an empty stream still gets one (empty) frame */
                if (s->frame_open || s->out_bytes == 0)
                        compress(s, NULL, 0, ZSTD_e_end);
                if (!s->storing)
                        return;
        } else if (ftruncate(s->out_fd, (off_t) received) < 0)
                return refuse_write(s, negative_errno());

        (void) fchmod(s->out_fd, 0640); /* whatever the umask did */
        if (p->xattrs)
                s->res->xattr_error = set_xattrs(s->out_fd, p->xattrs);
        if (p->grant_read && collect_storage_uid_is_regular(p->read_uid)) {
                s->res->acl_error = add_read_acl(s->out_fd, p->read_uid);
                s->res->acl_granted = s->res->acl_error == 0;
        }

        if (fsync(s->out_fd) < 0)
                return refuse_write(s, negative_errno());

        r = io_link_tmpfile(s->out_fd, p->dir_fd, p->filename);
        if (r < 0) {
                return refuse(s, r == -EEXIST ? COLLECT_STORAGE_REASON_EXISTS : COLLECT_STORAGE_REASON_LINK_FAILED, r, 0,
                              0);
        }
        (void) fsync(p->dir_fd);

        s->res->filename = strdup(p->filename);
        if (!s->res->filename) {
                /* Stored all the same; the caller has the name it passed. */
                s->res->error = -ENOMEM;
        }
        fill_sizes(s->out_fd, s->res);
        s->res->stored = true;
        s->out_fd = safe_close(s->out_fd);
}

static void finish_journal(Saver *s) {
        uint64_t received = collect_core_info(s->core)->received;

        if (ftruncate(s->out_fd, (off_t) received) < 0)
                return refuse_write(s, negative_errno());
        if (fcntl(s->out_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return refuse_write(s, negative_errno());
        fill_sizes(s->out_fd, s->res);
        s->res->stored = true;
        s->res->memfd = TAKE_FD(s->out_fd);
}

/* Splices up to size bytes of a pipe to /dev/null: returns bytes moved, 0 at EOF, -EINVAL when
 * splicing is not possible here, or -errno. */
static ssize_t splice_away(int in_fd, int null_fd, uint64_t size) {
        size_t len = size > ((size_t) 1 << 30) ? (size_t) 1 << 30 : (size_t) size;
        for (;;) {
                ssize_t n = splice(in_fd, NULL, null_fd, NULL, len, 0);
                if (n >= 0)
                        return n;
                if (errno != EINTR)
                        return negative_errno();
        }
}

int collect_storage_save(int input_fd, const CollectStorageParams *p, CollectCore *core,
                         CollectStorageResult *ret) {
        _cleanup_(closep) int in_fd = input_fd, null_fd = -EBADF;
        _cleanup_(collect_core_freep) CollectCore *own_core = NULL;
        _cleanup_(freep) uint8_t *buf = NULL;
        CollectStorageResult res = { .memfd = -EBADF };
        uint64_t t_start, t_eof;
        bool try_splice = true;
        size_t fill = 0;
        int r;

        t_start = io_now_monotonic_usec();
        if (input_fd < 0 || !p)
                return -EINVAL;
        if (!core) {
                r = collect_core_new(&own_core);
                if (r < 0)
                        return r;
                core = own_core;
        }

        _cleanup_(saver_done) Saver s = {
                .p = p,
                .core = core,
                .res = &res,
                .out_fd = -EBADF,
        };
        r = setup(&s);
        if (r < 0)
                return r;

        buf = malloc(STREAM_CHUNK);
        if (!buf)
                return -ENOMEM;

        /* Let the kernel run ahead of us: fewer, larger wakeups (best effort; pipes only). */
        (void) fcntl(in_fd, F_SETPIPE_SZ, STREAM_PIPE_SIZE);

        for (;;) {
                ssize_t n;

                if (!s.storing && fill == 0 && try_splice) {
                        uint64_t skip = collect_core_skippable(core);
                        if (p->compact) {
                                uint64_t keep = collect_compact_skippable(p->compact, collect_core_info(core),
                                                                          collect_core_info(core)->received);
                                if (keep < skip)
                                        skip = keep;
                        }
                        if (skip > 0) {
                                if (null_fd < 0)
                                        null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
                                n = null_fd >= 0 ? splice_away(in_fd, null_fd, skip) : -EINVAL;
                                if (n > 0) {
                                        (void) collect_core_skip(core, (uint64_t) n);
                                        continue;
                                }
                                if (n == 0)
                                        break;
                                if (n != -EINVAL)
                                        return (int) n;
                                try_splice = false; /* not a pipe: read below */
                        }
                }

                n = read(in_fd, buf + fill, STREAM_CHUNK - fill);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                fill += (size_t) n;
                if (!s.storing || fill == STREAM_CHUNK) {
                        uint64_t offset = collect_core_info(core)->received;
                        process(&s, buf, fill, offset);
                        fill = 0;
                }
        }

        /* EOF: release the crasher before anything else. */
        in_fd = safe_close(in_fd);
        t_eof = io_now_monotonic_usec();
        res.read_usec = t_eof - t_start;

        if (fill > 0)
                process(&s, buf, fill, collect_core_info(core)->received);
        collect_core_end(core);

        /* The whole stream has passed: work that needs only what was seen (the stack trace
         * from the compact core) can start now, alongside the flush, fsync and link below. */
        if (p->on_stream_end)
                p->on_stream_end(core, p->userdata);

        if (s.storing) {
                if (p->storage == COREDUMP_STORAGE_JOURNAL)
                        finish_journal(&s);
                else
                        finish_external(&s);
        }

        const CollectCoreInfo *info = collect_core_info(core);
        res.received = info->received;
        res.expected_size = info->expected_size;
        res.truncated = info->truncated;
        res.exceeds_process_size_max = info->received > p->process_size_max || info->expected_size > p->process_size_max;
        res.finish_usec = io_now_monotonic_usec() - t_eof;
        *ret = res;
        return 0;
}
