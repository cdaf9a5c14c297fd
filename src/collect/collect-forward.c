/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "cleanup.h"
#include "collect-forward.h"
#include "io.h"

const char *collect_forward_decision_to_string(CollectForwardDecision d) {
        static const char *const table[_COLLECT_FORWARD_DECISION_MAX] = {
                [COLLECT_FORWARD_EMBED] = "embedded",
                [COLLECT_FORWARD_LOCAL] = "local",
                [COLLECT_FORWARD_SIZE_MAX] = "size-max",
                [COLLECT_FORWARD_REPEAT] = "repeat",
        };
        if (d < 0 || d >= _COLLECT_FORWARD_DECISION_MAX)
                return NULL;
        return table[d];
}

CollectForwardDecision collect_forward_decide(CoredumpForward policy, uint64_t size, uint64_t size_max, bool slot_free) {
        if (policy != COREDUMP_FORWARD_EMBED && policy != COREDUMP_FORWARD_FIRST)
                return COLLECT_FORWARD_LOCAL;
        if (size > size_max)
                return COLLECT_FORWARD_SIZE_MAX;
        if (policy == COREDUMP_FORWARD_FIRST && !slot_free)
                return COLLECT_FORWARD_REPEAT;
        return COLLECT_FORWARD_EMBED;
}

static bool signature_is_valid(const char *s) {
        size_t n = 0;
        for (; s[n]; n++)
                if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
                        return false;
        return n == 32;
}

int collect_forward_take_slot(const char *state_dir, const char *signature, unsigned first, bool *ret_taken) {
        _cleanup_(closep) int state_fd = -EBADF, dir_fd = -EBADF, fd = -EBADF;
        char text[32];
        unsigned long long count = 0;
        ssize_t n;

        if (!signature || !signature_is_valid(signature))
                return -EINVAL;
        *ret_taken = false;
        if (first == 0)
                return 0;
        state_fd = io_open_dir_create(state_dir, 0755);
        if (state_fd < 0)
                return state_fd;
        if (mkdirat(state_fd, "forwarded", 0700) < 0 && errno != EEXIST)
                return negative_errno();
        dir_fd = openat(state_fd, "forwarded", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return negative_errno();
        fd = openat(dir_fd, signature, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        if (flock(fd, LOCK_EX) < 0)
                return negative_errno();
        n = pread(fd, text, sizeof(text) - 1, 0);
        if (n < 0)
                return negative_errno();
        text[n] = 0;
        /* A damaged count reads as 0: at worst a few more cores travel. */
        if (sscanf(text, "%llu", &count) != 1)
                count = 0;
        if (count >= first)
                return 0;
        n = snprintf(text, sizeof(text), "%llu\n", count + 1);
        if (pwrite(fd, text, (size_t) n, 0) != n || ftruncate(fd, n) < 0)
                return negative_errno() ?: -EIO;
        *ret_taken = true;
        return 0;
}

static void free_dstream(ZSTD_DStream **d) {
        if (*d)
                ZSTD_freeDStream(*d);
}

/* Decompresses fd into buf, which must come out exactly size bytes long. */
static int decompress_whole(int fd, uint8_t *buf, uint64_t size) {
        _cleanup_(free_dstream) ZSTD_DStream *d = ZSTD_createDStream();
        uint8_t in_buf[128 * 1024];
        ZSTD_outBuffer out = { .dst = buf, .size = (size_t) size };
        size_t last = 0;

        if (!d)
                return -ENOMEM;
        for (;;) {
                ssize_t n = io_read_full(fd, in_buf, sizeof(in_buf));
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                ZSTD_inBuffer in = { .src = in_buf, .size = (size_t) n };
                while (in.pos < in.size) {
                        size_t out_before = out.pos, in_before = in.pos;
                        last = ZSTD_decompressStream(d, &out, &in);
                        if (ZSTD_isError(last))
                                return -EBADMSG;
                        /* No progress with the output full: the file holds more than the core. */
                        if (out.pos == out_before && in.pos == in_before)
                                return -EBADMSG;
                }
        }
        return last == 0 && out.pos == out.size ? 0 : -EBADMSG;
}

int collect_forward_read_core(int dir_fd, const char *filename, bool compressed, uint64_t size, uint8_t **ret) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) uint8_t *buf = NULL;
        int r;

        if (size > SIZE_MAX - 1)
                return -EFBIG;
        fd = openat(dir_fd, filename, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (compressed) {
                buf = malloc((size_t) size + 1);
                if (!buf)
                        return -ENOMEM;
                buf[size] = 0;
                r = decompress_whole(fd, buf, size);
        } else {
                size_t got = 0;
                /* One byte more than expected shows a file longer than the core. */
                r = io_read_all(fd, (size_t) size + 1, (char **) &buf, &got);
                if (r >= 0 && got != size)
                        r = -EBADMSG;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}
