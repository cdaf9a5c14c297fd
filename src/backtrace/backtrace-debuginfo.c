/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>

#include "backtrace-debuginfo.h"
#include "cleanup.h"
#include "io.h"

/* The copying child's limits: a debug file is at most this large, and inflating it takes less. */
#define DEBUGINFO_FILE_MAX ((uint64_t) 512 * 1024 * 1024)
#define DEBUGINFO_CHILD_MEMORY ((rlim_t) 2048 * 1024 * 1024)
#define DEBUGINFO_CHILD_CPU_SEC 30
#define DEBUGINFO_CHILD_WALL_SEC 120
#define DEBUGINFO_CHILD_FILE_MAX ((rlim_t) 2048 * 1024 * 1024) /* one inflated copy */

int backtrace_debuginfo_path(const char *cache_dir, char **ret) {
        char *p;
        if (asprintf(&p, "-:.debug:%s:%s", cache_dir, BACKTRACE_DEBUGINFO_SYSTEM_DIR) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static void elf_endp(Elf **e) {
        if (*e)
                (void) elf_end(*e);
}

static Elf_Scn *find_section(Elf *elf, const char *want) {
        size_t shstrndx;
        Elf_Scn *scn = NULL;

        if (elf_getshdrstrndx(elf, &shstrndx) < 0)
                return NULL;
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr shdr;
                const char *name;
                if (gelf_getshdr(scn, &shdr) && (name = elf_strptr(elf, shstrndx, shdr.sh_name)) && strcmp(name, want) == 0)
                        return scn;
        }
        return NULL;
}

bool backtrace_debuginfo_is_compressed(int fd) {
        _cleanup_(elf_endp) Elf *elf = NULL;
        GElf_Shdr shdr;
        Elf_Scn *scn;

        (void) elf_version(EV_CURRENT);
        elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        if (!elf || elf_kind(elf) != ELF_K_ELF)
                return false;
        scn = find_section(elf, ".debug_info");
        return scn && gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_COMPRESSED);
}

/* Copies size bytes from the start of in_fd to out_fd: copy_file_range(), or read and write where
 * it cannot (another file system before Linux 5.3 and since 5.19). */
static int copy_whole(int in_fd, int out_fd, uint64_t size) {
        off_t off = 0;

        while ((uint64_t) off < size) {
                ssize_t n = copy_file_range(in_fd, &off, out_fd, NULL, (size_t) (size - (uint64_t) off), 0);
                if (n > 0)
                        continue;
                if (n == 0)
                        return -EBADMSG; /* the file shrank under us */
                if (errno != EXDEV && errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
                        return negative_errno();
                uint8_t buf[64 * 1024];
                while ((uint64_t) off < size) {
                        size_t want = size - (uint64_t) off < sizeof(buf) ? (size_t) (size - (uint64_t) off) : sizeof(buf);
                        ssize_t k = pread(in_fd, buf, want, off);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0)
                                return k < 0 ? negative_errno() : -EBADMSG;
                        int r = io_write_all(out_fd, buf, (size_t) k);
                        if (r < 0)
                                return r;
                        off += k;
                }
        }
        return 0;
}

int backtrace_debuginfo_decompress(int in_fd, int out_fd) {
        _cleanup_(elf_endp) Elf *elf = NULL;
        struct stat st;
        Elf_Scn *scn = NULL;

        if (fstat(in_fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) || (uint64_t) st.st_size > DEBUGINFO_FILE_MAX)
                return -EFBIG;
        /* libelf rewrites a file in place: start from a copy. */
        int r = copy_whole(in_fd, out_fd, (uint64_t) st.st_size);
        if (r < 0)
                return r;

        (void) elf_version(EV_CURRENT);
        elf = elf_begin(out_fd, ELF_C_RDWR, NULL);
        if (!elf || elf_kind(elf) != ELF_K_ELF)
                return -EBADMSG;
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr shdr;
                if (!gelf_getshdr(scn, &shdr))
                        return -EBADMSG;
                if ((shdr.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
                        return -EBADMSG;
        }
        if (elf_update(elf, ELF_C_WRITE) < 0)
                return -EBADMSG;
        return 0;
}

/* Opens path only when it resolves to a regular file below the system's debug directory, owned
 * by root and writable by no one else: the report naming it comes from the sandboxed analysis. */
static int open_system_debug_file(const char *path) {
        _cleanup_(freep) char *real = realpath(path, NULL);
        size_t n = strlen(BACKTRACE_DEBUGINFO_SYSTEM_DIR);
        struct stat st;

        if (!real)
                return negative_errno();
        if (strncmp(real, BACKTRACE_DEBUGINFO_SYSTEM_DIR, n) != 0 || real[n] != '/')
                return -EPERM;
        /* O_NONBLOCK: a FIFO planted there must not hang us; only a regular file is used. */
        int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        /* World-readable only: the copy is 0644, and must not publish what root kept to itself. */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) ||
            !(st.st_mode & S_IROTH)) {
                (void) close(fd);
                return -EPERM;
        }
        return fd;
}

/* cache_dir/.build-id/XX, created as needed (0755: every analysis identity reads the copies). */
static int open_build_id_dir(int cache_fd, const char *xx) {
        if (mkdirat(cache_fd, ".build-id", 0755) < 0 && errno != EEXIST)
                return negative_errno();
        _cleanup_(closep) int b = openat(cache_fd, ".build-id", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (b < 0)
                return negative_errno();
        if (mkdirat(b, xx, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        int d = openat(b, xx, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return d < 0 ? negative_errno() : d;
}

/* One copy. Returns 1 when made, 0 when it existed or needs none, -errno. */
static int cache_one(int cache_fd, const char *path) {
        _cleanup_(closep) int in = -EBADF, dir = -EBADF, out = -EBADF;
        _cleanup_(elf_endp) Elf *elf = NULL;
        const void *id = NULL;
        char hex[2 * 64 + 1], name[2 * 64 + 16];
        ssize_t n;

        in = open_system_debug_file(path);
        if (in < 0)
                return in;
        if (!backtrace_debuginfo_is_compressed(in))
                return 0;
        (void) elf_version(EV_CURRENT);
        elf = elf_begin(in, ELF_C_READ_MMAP, NULL);
        if (!elf)
                return -EBADMSG;
        n = dwelf_elf_gnu_build_id(elf, &id);
        if (n < 2 || n > 64)
                return -EBADMSG;
        for (ssize_t i = 0; i < n; i++)
                (void) snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *) id)[i]);
        char xx[3] = { hex[0], hex[1], 0 };
        (void) snprintf(name, sizeof(name), "%s.debug", hex + 2);

        dir = open_build_id_dir(cache_fd, xx);
        if (dir < 0)
                return dir;
        if (faccessat(dir, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        out = openat(dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
        if (out < 0)
                return negative_errno();
        int r = backtrace_debuginfo_decompress(in, out);
        if (r < 0)
                return r;
        if (fchmod(out, 0644) < 0 || fsync(out) < 0)
                return negative_errno();
        r = io_link_tmpfile(out, dir, name);
        if (r < 0)
                return r == -EEXIST ? 0 : r;
        return 1;
}

typedef struct CacheEntry {
        char path[PATH_MAX];
        uint64_t size;
        struct timespec atime;
} CacheEntry;

static int entry_compare(const void *a, const void *b) {
        const CacheEntry *x = a, *y = b;
        if (x->atime.tv_sec != y->atime.tv_sec)
                return x->atime.tv_sec < y->atime.tv_sec ? -1 : 1;
        return x->atime.tv_nsec < y->atime.tv_nsec ? -1 : x->atime.tv_nsec > y->atime.tv_nsec;
}

/* Removes the least recently used copies until the cache holds at most size_max bytes. */
static int cache_trim(const char *cache_dir, uint64_t size_max) {
        _cleanup_(freep) CacheEntry *e = NULL;
        _cleanup_(freep) char *top = NULL;
        size_t n = 0, cap = 0;
        uint64_t total = 0;
        DIR *d;

        if (asprintf(&top, "%s/.build-id", cache_dir) < 0)
                return -ENOMEM;
        d = opendir(top);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                char sub[PATH_MAX / 2];
                int len = snprintf(sub, sizeof(sub), "%s/%s", top, de->d_name);
                if (len < 0 || (size_t) len >= sizeof(sub))
                        continue;
                DIR *s = opendir(sub);
                if (!s)
                        continue;
                for (struct dirent *f; (f = readdir(s));) {
                        struct stat st;
                        if (f->d_name[0] == '.' || fstatat(dirfd(s), f->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                            !S_ISREG(st.st_mode))
                                continue;
                        if (n == cap) {
                                CacheEntry *ne = reallocarray(e, cap ? cap * 2 : 16, sizeof(*e));
                                if (!ne) {
                                        closedir(s);
                                        closedir(d);
                                        return -ENOMEM;
                                }
                                e = ne;
                                cap = cap ? cap * 2 : 16;
                        }
                        if (strlen(sub) + 1 + strlen(f->d_name) >= sizeof(e[n].path))
                                continue;
                        (void) snprintf(e[n].path, sizeof(e[n].path), "%s/%s", sub, f->d_name);
                        e[n].size = (uint64_t) st.st_blocks * 512;
                        e[n].atime = st.st_atim;
                        total += e[n].size;
                        n++;
                }
                closedir(s);
        }
        closedir(d);
        if (total <= size_max)
                return 0;
        qsort(e, n, sizeof(*e), entry_compare);
        for (size_t i = 0; i < n && total > size_max; i++)
                if (unlink(e[i].path) == 0)
                        total -= e[i].size;
        return 0;
}

int backtrace_debuginfo_cache(const char *cache_dir, char *const *paths, size_t n_paths, uint64_t size_max) {
        int status;
        pid_t pid;

        if (n_paths == 0)
                return 0;
        if (n_paths > BACKTRACE_DEBUGINFO_CACHE_FILES_MAX)
                n_paths = BACKTRACE_DEBUGINFO_CACHE_FILES_MAX;
        /* No cache (not installed): no child either. The child checks again, with its own fd. */
        if (access(cache_dir, F_OK) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                /* Forked from a threaded daemon: none of its descriptors (other crashes' core
                 * pipes, handoff connections) may stay open in here, or those crashes would wait
                 * for this child. */
                io_close_range(3, ~0U);
                /* libelf on files of any size: a crash or a runaway stays in this child, which
                 * also gets a wall-clock alarm (CPU time does not count waiting for the disk) and a
                 * cap on what it may write. */
                struct rlimit mem = { DEBUGINFO_CHILD_MEMORY, DEBUGINFO_CHILD_MEMORY };
                struct rlimit cpu = { DEBUGINFO_CHILD_CPU_SEC, DEBUGINFO_CHILD_CPU_SEC };
                struct rlimit fsize = { DEBUGINFO_CHILD_FILE_MAX, DEBUGINFO_CHILD_FILE_MAX };
                int made = 0;
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || setrlimit(RLIMIT_AS, &mem) < 0 ||
                    setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_FSIZE, &fsize) < 0)
                        _exit(255);
                (void) alarm(DEBUGINFO_CHILD_WALL_SEC);
                /* The cache exists once installed (tmpfiles.d); without it there is nothing to do,
                 * so an uninstalled build never writes below /var/cache. */
                _cleanup_(closep) int cache_fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cache_fd < 0)
                        _exit(errno == ENOENT ? 0 : 254);
                for (size_t i = 0; i < n_paths; i++)
                        if (cache_one(cache_fd, paths[i]) > 0)
                                made++;
                (void) cache_trim(cache_dir, size_max);
                _exit(made);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (!WIFEXITED(status) || WEXITSTATUS(status) >= 254)
                return -EIO;
        return WEXITSTATUS(status);
}
