/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Field formats follow systemd 252's systemd-coredump (src/coredump/coredump.c,
 * gather_pid_metadata()) and the helpers it calls in src/basic/process-util.c, escape.c and
 * cgroup-util.c; docs/COMPAT.md lists the fields. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "collect-cgroup.h"
#include "collect-proc.h"
#include "input-limits.h"
#include "io.h"

/* ---- parsing helpers ---- */

/* Strict decimal: digits only, no sign or space, no overflow. */
static bool parse_u64(const char *s, size_t n, uint64_t *ret) {
        uint64_t v = 0;

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                unsigned d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = v;
        return true;
}

static bool parse_pid(const char *s, size_t n, pid_t *ret) {
        uint64_t v;

        if (!parse_u64(s, n, &v) || v > INT32_MAX)
                return false;
        *ret = (pid_t) v;
        return true;
}

/* A descriptor number as /proc/PID/fd names it: decimal without leading zeros. */
static bool parse_fd(const char *name, int *ret) {
        pid_t v;

        if (name[0] == '0' && name[1] != 0)
                return false;
        if (!parse_pid(name, strlen(name), &v))
                return false;
        *ret = v;
        return true;
}

int collect_proc_parse_stat(const char *content, size_t size, CollectProcIdentity *ret) {
        const char *lparen, *rparen, *p, *end = content + size;
        struct {
                const char *s;
                size_t n;
        } tok[20];
        pid_t pid, ppid;
        uint64_t start;

        /* "PID (COMM) STATE PPID ..." where COMM is any bytes, parentheses and newlines included:
         * only the last ')' ends it. */
        lparen = memchr(content, '(', size);
        rparen = memrchr(content, ')', size);
        if (!lparen || !rparen || rparen < lparen || lparen - content < 2 || lparen[-1] != ' ')
                return -EBADMSG;
        if (!parse_pid(content, (size_t) (lparen - 1 - content), &pid) || pid <= 0)
                return -EBADMSG;

        /* Fields 3 (state) to 22 (starttime), separated by spaces. */
        p = rparen + 1;
        for (size_t i = 0; i < ELEMENTSOF(tok); i++) {
                if (p >= end || *p != ' ')
                        return -EBADMSG;
                p++;
                tok[i].s = p;
                while (p < end && *p != ' ' && *p != '\n' && *p != 0)
                        p++;
                tok[i].n = (size_t) (p - tok[i].s);
                if (tok[i].n == 0)
                        return -EBADMSG;
        }
        if (!parse_pid(tok[1].s, tok[1].n, &ppid) || !parse_u64(tok[19].s, tok[19].n, &start))
                return -EBADMSG;

        size_t comm_len = (size_t) (rparen - lparen - 1);
        if (comm_len > sizeof(ret->comm) - 1)
                comm_len = sizeof(ret->comm) - 1;
        ret->pid = pid;
        ret->ppid = ppid;
        ret->start_time_ticks = start;
        memcpy(ret->comm, lparen + 1, comm_len);
        ret->comm[comm_len] = 0;
        return 0;
}

/* Parses the four numbers after "Uid:" or "Gid:" (tabs or spaces between them). */
static bool parse_id_line(const char *p, const char *end, uint32_t ret[static 4]) {
        for (size_t i = 0; i < 4; i++) {
                const char *s;
                uint64_t v;

                while (p < end && (*p == '\t' || *p == ' '))
                        p++;
                s = p;
                while (p < end && *p >= '0' && *p <= '9')
                        p++;
                if (!parse_u64(s, (size_t) (p - s), &v) || v > UINT32_MAX)
                        return false;
                ret[i] = (uint32_t) v;
        }
        return true;
}

int collect_proc_parse_status(const char *content, size_t size, CollectProcIdentity *ret) {
        const char *line = content, *end = content + size;
        uint32_t uids[4], gids[4];
        bool have_uid = false, have_gid = false;

        while (line < end && !(have_uid && have_gid)) {
                const char *nl = memchr(line, '\n', (size_t) (end - line));
                const char *eol = nl ? nl : end;
                size_t len = (size_t) (eol - line);

                if (!have_uid && len >= 4 && memcmp(line, "Uid:", 4) == 0) {
                        if (!parse_id_line(line + 4, eol, uids))
                                return -EBADMSG;
                        have_uid = true;
                } else if (!have_gid && len >= 4 && memcmp(line, "Gid:", 4) == 0) {
                        if (!parse_id_line(line + 4, eol, gids))
                                return -EBADMSG;
                        have_gid = true;
                }
                line = nl ? nl + 1 : end;
        }
        if (!have_uid || !have_gid)
                return -EBADMSG;

        ret->ruid = uids[0];
        ret->euid = uids[1];
        ret->suid = uids[2];
        ret->fsuid = uids[3];
        ret->rgid = gids[0];
        ret->egid = gids[1];
        return 0;
}

/* ---- escaping, as systemd's cescape_char() and shell_maybe_quote() ---- */

/* Writes the C escape of one byte (at most 4 characters) and returns its length. */
static size_t cescape_byte(char c, char out[static 4]) {
        unsigned char u = (unsigned char) c;
        char e = 0;

        switch (c) {
        case '\a': e = 'a'; break;
        case '\b': e = 'b'; break;
        case '\f': e = 'f'; break;
        case '\n': e = 'n'; break;
        case '\r': e = 'r'; break;
        case '\t': e = 't'; break;
        case '\v': e = 'v'; break;
        case '\\': e = '\\'; break;
        case '"': e = '"'; break;
        case '\'': e = '\''; break;
        default: break;
        }
        if (e) {
                out[0] = '\\';
                out[1] = e;
                return 2;
        }
        if (u < ' ' || u >= 127) {
                out[0] = '\\';
                out[1] = (char) ('0' + (u >> 6));
                out[2] = (char) ('0' + ((u >> 3) & 7));
                out[3] = (char) ('0' + (u & 7));
                return 4;
        }
        out[0] = c;
        return 1;
}

/* systemd's char_is_cc(): C0 controls and DEL. */
static bool byte_is_cc(char c) {
        return (unsigned char) c < ' ' || (unsigned char) c == 127;
}

/* Length of the valid UTF-8 character at s (at most n bytes), or -1, with systemd's rules:
 * shortest form only, no surrogates, no U+FDD0..U+FDEF, no U+xFFFE/U+xFFFF, below U+110000. */
static int utf8_char_len(const char *str, size_t n) {
        const unsigned char *s = (const unsigned char *) str;
        size_t len, shortest;
        uint32_t c;

        if (n == 0)
                return -1;
        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0)
                len = 2, c = s[0] & 0x1f;
        else if ((s[0] & 0xf0) == 0xe0)
                len = 3, c = s[0] & 0x0f;
        else if ((s[0] & 0xf8) == 0xf0)
                len = 4, c = s[0] & 0x07;
        else if ((s[0] & 0xfc) == 0xf8)
                len = 5, c = s[0] & 0x03;
        else if ((s[0] & 0xfe) == 0xfc)
                len = 6, c = s[0] & 0x01;
        else
                return -1;
        if (len > n)
                return -1;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return -1;
                c = (c << 6) | (s[i] & 0x3f);
        }
        shortest = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : c < 0x200000 ? 4 : c < 0x4000000 ? 5 : 6;
        if (shortest != len)
                return -1;
        if (c >= 0x110000 || (c & 0xfffff800) == 0xd800 || (c >= 0xfdd0 && c <= 0xfdef) ||
            (c & 0xfffe) == 0xfffe)
                return -1;
        return (int) len;
}

/* Whitespace and the characters systemd's shell_maybe_quote() quotes for
 * (WHITESPACE SHELL_NEED_ESCAPE GLOB_CHARS "'()<>|&;!"). */
static bool byte_needs_quotes(char c) {
        return c != 0 && strchr(" \t\n\r" "\"\\`$" "*?[" "'()<>|&;!", c) != NULL;
}

/* Appends arg (n bytes, no NUL inside) quoted as systemd's shell_maybe_quote() with
 * SHELL_ESCAPE_POSIX|SHELL_ESCAPE_EMPTY. out must have room for 4 * n + 3 bytes. */
static char *quote_posix(char *out, const char *arg, size_t n) {
        size_t i = 0;

        if (n == 0)
                return stpcpy(out, "\"\"");

        while (i < n) {
                int l = utf8_char_len(arg + i, n - i);
                if (l < 0 || byte_is_cc(arg[i]) || byte_needs_quotes(arg[i]))
                        break;
                i += (size_t) l;
        }
        if (i >= n) {
                memcpy(out, arg, n);
                return out + n;
        }

        *out++ = '$';
        *out++ = '\'';
        memcpy(out, arg, i);
        out += i;
        while (i < n) {
                int l = utf8_char_len(arg + i, n - i);
                if (l < 0 || byte_is_cc(arg[i])) {
                        out += cescape_byte(arg[i], out);
                        i++;
                } else if (l == 1) {
                        if (arg[i] == '\\' || arg[i] == '\'')
                                *out++ = '\\';
                        *out++ = arg[i++];
                } else {
                        memcpy(out, arg + i, (size_t) l);
                        out += l;
                        i += (size_t) l;
                }
        }
        *out++ = '\'';
        return out;
}

int collect_proc_format_comm(const char *content, size_t size, char **ret) {
        char buf[PROC_COMM_ESCAPED_MAX];
        size_t widths[4] = { 0 }, k = 0, i = 0, n = 0;
        bool cut = false;

        /* systemd reads the first line only (read_one_line_file(): \n, \r and NUL end it). */
        while (n < size && content[n] != '\n' && content[n] != '\r' && content[n] != 0)
                n++;

        /* cellescape(): each byte escaped whole or not at all, then "..." when cut. */
        for (size_t j = 0; j < n; j++) {
                char four[4];
                size_t w = cescape_byte(content[j], four);
                if (i + w + 1 > sizeof(buf)) {
                        cut = true;
                        break;
                }
                memcpy(buf + i, four, w);
                i += w;
                widths[k] = w;
                k = (k + 1) % 4;
        }
        if (cut) {
                for (size_t j = 0; j < ELEMENTSOF(widths) && i + 4 > sizeof(buf); j++) {
                        k = k == 0 ? 3 : k - 1;
                        if (widths[k] == 0)
                                break;
                        i -= widths[k];
                }
                memcpy(buf + i, "...", 3);
                i += 3;
        }
        buf[i] = 0;

        char *s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int collect_proc_format_cmdline(const char *content, size_t size, char **ret) {
        char *out, *o;

        /* Trailing NULs end the last argument or stand for empty trailing arguments, which
         * systemd drops; every other NUL separates two arguments. */
        while (size > 0 && content[size - 1] == 0)
                size--;
        if (size == 0)
                return -ENOENT;

        /* Each byte becomes at most 4, each argument adds at most 3 quotes and a space. */
        if (size > (SIZE_MAX - 8) / 8)
                return -ENOMEM;
        o = out = malloc(size * 8 + 8);
        if (!out)
                return -ENOMEM;

        for (size_t i = 0; i <= size;) {
                const char *nul = memchr(content + i, 0, size - i);
                size_t n = nul ? (size_t) (nul - content) - i : size - i;

                if (o != out)
                        *o++ = ' ';
                o = quote_posix(o, content + i, n);
                i += n + 1;
        }
        *o = 0;
        *ret = out;
        return 0;
}

int collect_proc_format_environ(const char *content, size_t size, size_t max, char **ret, size_t *ret_size) {
        _cleanup_(freep) char *out = NULL;
        size_t o = 0, cap;

        if (max > SIZE_MAX / 2)
                max = SIZE_MAX / 2;
        /* systemd checks the size before each byte and once more at the end: a result of max
         * bytes or more is refused. Output never exceeds min(4 * size, max + 3) bytes. */
        cap = size > (max + 3) / 4 ? max + 3 : size * 4;
        out = malloc(cap + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < size; i++) {
                if (o >= max)
                        return -ENOBUFS;
                if (content[i] == 0)
                        out[o++] = '\n';
                else
                        o += cescape_byte(content[i], out + o);
        }
        if (o >= max)
                return -ENOBUFS;
        out[o] = 0;
        *ret = TAKE_PTR(out);
        if (ret_size)
                *ret_size = o;
        return 0;
}

int collect_proc_open_fds_append(char **buf, size_t *size, size_t size_max, int fd, const char *target,
                                 const char *fdinfo, size_t fdinfo_size) {
        char head[32];
        size_t target_len = strlen(target), head_len, need;
        bool first = *size == 0, newline = fdinfo_size > 0 && fdinfo[fdinfo_size - 1] != '\n';
        int n;

        n = snprintf(head, sizeof(head), "%s%d:", first ? "" : "\n", fd);
        if (n < 0 || (size_t) n >= sizeof(head))
                return -EINVAL;
        head_len = (size_t) n;

        need = head_len + target_len + 1 + fdinfo_size + (newline ? 1 : 0);
        if (need > size_max || *size > size_max - need)
                return 0;

        char *b = realloc(*buf, *size + need + 1);
        if (!b)
                return -ENOMEM;
        char *p = b + *size;
        memcpy(p, head, head_len);
        p += head_len;
        memcpy(p, target, target_len);
        p += target_len;
        *p++ = '\n';
        if (fdinfo_size > 0)
                memcpy(p, fdinfo, fdinfo_size);
        p += fdinfo_size;
        if (newline)
                *p++ = '\n';
        *p = 0;
        *buf = b;
        *size += need;
        return 1;
}

/* ---- reading below the /proc tree ---- */

/* Reads a regular file below dir_fd, never through a symlink in its last component and never
 * blocking on a FIFO. Returns 0 (all read), 1 (cut at max) or -errno. */
static int read_file_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_(closep) int fd = -EBADF;
        struct stat st;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        return io_read_all(fd, max, ret, ret_size);
}

static int readlink_at(int dir_fd, const char *path, char **ret) {
        _cleanup_(freep) char *buf = malloc(PATH_MAX + 1);
        ssize_t n;

        if (!buf)
                return -ENOMEM;
        n = readlinkat(dir_fd, path, buf, PATH_MAX);
        if (n < 0)
                return negative_errno();
        if ((size_t) n >= PATH_MAX) /* the kernel never makes one this long; treat as cut */
                return -ENAMETOOLONG;
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Read failures leave a field out; only running out of memory stops the collection. */
static int fatal_only(int r) {
        return r == -ENOMEM ? r : 0;
}

/* Hands *value (size bytes plus a NUL) to the record. Returns 1 or -errno. */
static int add_owned(ExportRecord *record, const char *name, char **value, size_t size) {
        int r = export_record_adopt(record, name, (uint8_t *) *value, size, false);
        if (r < 0)
                return r;
        *value = NULL;
        return 1;
}

static int add_string(ExportRecord *record, const char *name, char **value) {
        return add_owned(record, name, value, strlen(*value));
}

static int add_file(int pid_fd, const char *file, size_t max, ExportRecord *record, const char *name) {
        _cleanup_(freep) char *s = NULL;
        size_t n;
        int r;

        r = read_file_at(pid_fd, file, max, &s, &n);
        if (r < 0)
                return fatal_only(r);
        return add_owned(record, name, &s, n);
}

static int add_comm(int pid_fd, ExportRecord *record) {
        _cleanup_(freep) char *raw = NULL, *s = NULL;
        size_t n;
        int r;

        r = read_file_at(pid_fd, "comm", PROC_FILE_SIZE_MAX, &raw, &n);
        if (r < 0)
                return fatal_only(r);
        r = collect_proc_format_comm(raw, n, &s);
        if (r < 0)
                return r;
        return add_string(record, "COREDUMP_COMM", &s);
}

static int add_link(int pid_fd, const char *link, ExportRecord *record, const char *name, char **ret_target) {
        _cleanup_(freep) char *s = NULL;
        int r;

        r = readlink_at(pid_fd, link, &s);
        if (r < 0)
                return fatal_only(r);
        if (ret_target) {
                *ret_target = strdup(s);
                if (!*ret_target)
                        return -ENOMEM;
        }
        return add_string(record, name, &s);
}

static int add_exe(int pid_fd, ExportRecord *record) {
        _cleanup_(freep) char *s = NULL;
        size_t n;
        int r;

        r = readlink_at(pid_fd, "exe", &s);
        if (r < 0)
                return fatal_only(r);
        /* systemd's get_process_exe() drops the mark of a replaced or removed binary. */
        n = strlen(s);
        if (n >= strlen(" (deleted)") && strcmp(s + n - strlen(" (deleted)"), " (deleted)") == 0)
                s[n - strlen(" (deleted)")] = 0;
        return add_string(record, "COREDUMP_EXE", &s);
}

static int add_cmdline(int dir_fd, const char *path, ExportRecord *record, const char *name) {
        _cleanup_(freep) char *raw = NULL, *s = NULL;
        size_t n;
        int r;

        r = read_file_at(dir_fd, path, PROC_FILE_SIZE_MAX, &raw, &n);
        if (r < 0)
                return fatal_only(r);
        r = collect_proc_format_cmdline(raw, n, &s);
        if (r < 0)
                return fatal_only(r);
        return add_string(record, name, &s);
}

static int add_environ(int pid_fd, ExportRecord *record) {
        _cleanup_(freep) char *raw = NULL, *s = NULL;
        size_t n, m;
        int r;

        /* Escaping never shrinks: raw content over the limit cannot fit escaped. */
        r = read_file_at(pid_fd, "environ", PROC_ENVIRON_SIZE_MAX, &raw, &n);
        if (r != 0)
                return fatal_only(r);
        r = collect_proc_format_environ(raw, n, PROC_ENVIRON_SIZE_MAX, &s, &m);
        if (r < 0)
                return fatal_only(r);
        return add_owned(record, "COREDUMP_ENVIRON", &s, m);
}

/* The systemd hierarchy path of pid made relative to the cgroup root of PID 1, as systemd's
 * cg_pid_get_path_shifted(). */
static int cgroup_path(int proc_fd, const char *content, size_t size, char **ret) {
        _cleanup_(freep) char *path = NULL, *init_content = NULL, *init_path = NULL, *root = NULL;
        size_t init_size;
        int r;

        r = collect_cgroup_parse_proc_cgroup(content, size, &path);
        if (r < 0)
                return r;

        /* Without PID 1's cgroup (unreadable, or a tree without it) the path is used as is. */
        if (read_file_at(proc_fd, "1/cgroup", PROC_FILE_SIZE_MAX, &init_content, &init_size) >= 0 &&
            collect_cgroup_parse_proc_cgroup(init_content, init_size, &init_path) >= 0) {
                r = collect_cgroup_root_from_init(init_path, &root);
                if (r < 0)
                        return r;
                const char *shifted = collect_cgroup_shift(path, root);
                if (shifted != path) {
                        char *s = strdup(shifted);
                        if (!s)
                                return -ENOMEM;
                        free(path);
                        path = s;
                }
        }
        *ret = TAKE_PTR(path);
        return 0;
}

static int add_cgroup_fields(const char *path, ExportRecord *record, size_t *n_added) {
        static int (*const getters[])(const char *, char **) = {
                collect_cgroup_path_get_unit,
                collect_cgroup_path_get_user_unit,
                collect_cgroup_path_get_session,
        };
        static const char *const names[] = {
                "COREDUMP_UNIT",
                "COREDUMP_USER_UNIT",
                "COREDUMP_SESSION",
        };
        _cleanup_(freep) char *slice = NULL;
        uid_t owner;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(getters); i++) {
                _cleanup_(freep) char *s = NULL;

                r = getters[i](path, &s);
                if (r < 0) {
                        if (r == -ENOMEM)
                                return r;
                        continue;
                }
                r = add_string(record, names[i], &s);
                if (r < 0)
                        return r;
                (*n_added)++;
        }

        r = collect_cgroup_path_get_owner_uid(path, &owner);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                r = export_record_appendf(record, "COREDUMP_OWNER_UID", "%u", (unsigned) owner);
                if (r < 0)
                        return r;
                (*n_added)++;
        }

        r = collect_cgroup_path_get_slice(path, &slice);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                r = add_string(record, "COREDUMP_SLICE", &slice);
                if (r < 0)
                        return r;
                (*n_added)++;
        }
        return 0;
}

static int fd_compare(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;
        return (x > y) - (x < y);
}

static int add_open_fds(int pid_fd, ExportRecord *record) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_(closep) int info_fd = -EBADF;
        _cleanup_(freep) int *fds = NULL;
        _cleanup_(freep) char *buf = NULL;
        size_t n_fds = 0, n_listed = 0, size = 0;
        int dfd, r;

        dfd = openat(pid_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return fatal_only(negative_errno());
        d = fdopendir(dfd);
        if (!d) {
                r = negative_errno();
                (void) safe_close(dfd);
                return fatal_only(r);
        }
        /* Without fdinfo the entries still list their targets. */
        info_fd = openat(pid_fd, "fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

        fds = malloc(PROC_OPEN_FDS_MAX * sizeof(int));
        if (!fds)
                return -ENOMEM;
        /* The kernel lists descriptors in ascending order, so stopping at the limit keeps the
         * lowest ones; sorting makes fixture trees read the same way. */
        for (;;) {
                struct dirent *de;
                int fd;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return fatal_only(negative_errno()); /* the process went away */
                        break;
                }
                if (!parse_fd(de->d_name, &fd))
                        continue;
                fds[n_fds++] = fd;
                if (n_fds >= PROC_OPEN_FDS_MAX)
                        break;
        }
        qsort(fds, n_fds, sizeof(int), fd_compare);

        for (size_t i = 0; i < n_fds; i++) {
                _cleanup_(freep) char *target = NULL, *info = NULL;
                char name[16];
                size_t info_size = 0;

                (void) snprintf(name, sizeof(name), "%d", fds[i]);
                r = readlink_at(dirfd(d), name, &target);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue; /* closed meanwhile */
                if (info_fd >= 0) {
                        r = read_file_at(info_fd, name, PROC_FDINFO_SIZE_MAX, &info, &info_size);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                info_size = 0;
                }
                r = collect_proc_open_fds_append(&buf, &size, PROC_OPEN_FDS_SIZE_MAX, fds[i], target,
                                                 info ? info : "", info_size);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                n_listed++;
        }

        /* Descriptors seen but none readable: the process is gone, not fd-less. */
        if (n_fds > 0 && n_listed == 0)
                return 0;
        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return -ENOMEM;
        }
        return add_owned(record, "COREDUMP_OPEN_FDS", &buf, size);
}

static int read_ppid(int proc_fd, pid_t pid, pid_t *ret) {
        _cleanup_(freep) char *content = NULL;
        CollectProcIdentity id;
        char path[32];
        size_t n;
        int r;

        if (pid == 1)
                return -ENOENT;
        (void) snprintf(path, sizeof(path), "%d/stat", pid);
        r = read_file_at(proc_fd, path, PROC_FILE_SIZE_MAX, &content, &n);
        if (r < 0)
                return r;
        r = collect_proc_parse_stat(content, n, &id);
        if (r < 0)
                return r;
        if (id.ppid <= 0) /* no parent in this PID namespace */
                return -ENOENT;
        *ret = id.ppid;
        return 0;
}

/* The nearest ancestor in another mount namespace, as systemd's get_mount_namespace_leader().
 * Namespaces are compared by the ns/mnt link text ("mnt:[INODE]"), which names the inode that
 * systemd compares with stat(). */
static int mount_namespace_leader(int proc_fd, pid_t pid, pid_t *ret) {
        _cleanup_(freep) char *ns = NULL;
        char path[32];
        int r;

        (void) snprintf(path, sizeof(path), "%d/ns/mnt", pid);
        r = readlink_at(proc_fd, path, &ns);
        if (r < 0)
                return r;

        for (unsigned i = 0; i < PROC_ANCESTORS_MAX; i++) {
                _cleanup_(freep) char *parent_ns = NULL;
                pid_t ppid;

                r = read_ppid(proc_fd, pid, &ppid);
                if (r < 0)
                        return r;
                (void) snprintf(path, sizeof(path), "%d/ns/mnt", ppid);
                r = readlink_at(proc_fd, path, &parent_ns);
                if (r < 0)
                        return r;
                if (strcmp(ns, parent_ns) != 0) {
                        *ret = ppid;
                        return 0;
                }
                pid = ppid;
        }
        return -ELOOP;
}

/* COREDUMP_CONTAINER_CMDLINE, as systemd's get_process_container_parent_cmdline(): only for a
 * process whose root reads "/" but is another directory than the system's root (here: PID 1's
 * root, so that nothing outside proc_fd is looked at). stat() follows the root link to learn
 * its inode; nothing is opened through it. */
static int add_container_cmdline(int proc_fd, int pid_fd, pid_t pid, ExportRecord *record) {
        char path[32];
        pid_t leader = 0;
        int r;

        /* AT_STATX_DONT_SYNC: a root on a network or FUSE file system must not make the
         * privileged handler wait for its server (a hostile one never answers). */
        struct statx stx, init_stx;
        if (statx(pid_fd, "root", AT_STATX_DONT_SYNC, STATX_INO, &stx) < 0 ||
            statx(proc_fd, "1/root", AT_STATX_DONT_SYNC, STATX_INO, &init_stx) < 0)
                return 0;
        if (stx.stx_dev_major == init_stx.stx_dev_major && stx.stx_dev_minor == init_stx.stx_dev_minor &&
            stx.stx_ino == init_stx.stx_ino)
                return 0;

        r = mount_namespace_leader(proc_fd, pid, &leader);
        if (r < 0)
                return fatal_only(r);
        (void) snprintf(path, sizeof(path), "%d/cmdline", leader);
        return add_cmdline(proc_fd, path, record, "COREDUMP_CONTAINER_CMDLINE");
}

/* Adds r's field count to *n, or says to stop. */
static bool tally(int r, size_t *n, int *ret_error) {
        if (r < 0) {
                *ret_error = r;
                return false;
        }
        *n += (size_t) r;
        return true;
}

int collect_proc_context(int proc_fd, pid_t pid, ExportRecord *record) {
        _cleanup_(closep) int pid_fd = -EBADF;
        _cleanup_(freep) char *cgroup = NULL, *path = NULL, *root = NULL;
        size_t n = 0, cgroup_size = 0;
        char name[16];
        int r, error = 0;

        if (pid <= 0)
                return -EINVAL;
        (void) snprintf(name, sizeof(name), "%d", pid);
        pid_fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (pid_fd < 0)
                return errno == ESRCH ? -ENOENT : negative_errno();

        /* In the order systemd 252's gather_pid_metadata() writes them. */
        if (!tally(add_comm(pid_fd, record), &n, &error) ||
            !tally(add_exe(pid_fd, record), &n, &error))
                return error;

        r = read_file_at(pid_fd, "cgroup", PROC_FILE_SIZE_MAX, &cgroup, &cgroup_size);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                r = cgroup_path(proc_fd, cgroup, cgroup_size, &path);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        r = add_cgroup_fields(path, record, &n);
                        if (r < 0)
                                return r;
                }
        }

        if (!tally(add_cmdline(pid_fd, "cmdline", record, "COREDUMP_CMDLINE"), &n, &error))
                return error;
        if (path) {
                r = export_record_append_string(record, "COREDUMP_CGROUP", path);
                if (r < 0)
                        return r;
                n++;
        }
        if (!tally(add_open_fds(pid_fd, record), &n, &error) ||
            !tally(add_file(pid_fd, "status", PROC_FILE_SIZE_MAX, record, "COREDUMP_PROC_STATUS"), &n, &error) ||
            !tally(add_file(pid_fd, "maps", PROC_FILE_SIZE_MAX, record, "COREDUMP_PROC_MAPS"), &n, &error) ||
            !tally(add_file(pid_fd, "limits", PROC_FILE_SIZE_MAX, record, "COREDUMP_PROC_LIMITS"), &n, &error))
                return error;
        if (cgroup) {
                r = add_owned(record, "COREDUMP_PROC_CGROUP", &cgroup, cgroup_size);
                if (r < 0)
                        return r;
                n++;
        }
        if (!tally(add_file(pid_fd, "mountinfo", PROC_FILE_SIZE_MAX, record, "COREDUMP_PROC_MOUNTINFO"), &n, &error) ||
            !tally(add_file(pid_fd, "auxv", PROC_FILE_SIZE_MAX, record, "COREDUMP_PROC_AUXV"), &n, &error) ||
            !tally(add_link(pid_fd, "cwd", record, "COREDUMP_CWD", NULL), &n, &error) ||
            !tally(add_link(pid_fd, "root", record, "COREDUMP_ROOT", &root), &n, &error))
                return error;
        /* A root that reads "/" may still be a container's own root. */
        if (root && strcmp(root, "/") == 0 &&
            !tally(add_container_cmdline(proc_fd, pid_fd, pid, record), &n, &error))
                return error;
        if (!tally(add_environ(pid_fd, record), &n, &error))
                return error;

        return (int) n;
}

int collect_proc_identity(int proc_fd, pid_t pid, CollectProcIdentity *ret) {
        _cleanup_(closep) int pid_fd = -EBADF;
        _cleanup_(freep) char *stat = NULL, *status = NULL;
        CollectProcIdentity id = { 0 };
        size_t stat_size, status_size;
        char name[16];
        int r;

        if (pid <= 0)
                return -EINVAL;
        (void) snprintf(name, sizeof(name), "%d", pid);
        pid_fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (pid_fd < 0)
                return errno == ESRCH ? -ENOENT : negative_errno();

        r = read_file_at(pid_fd, "stat", PROC_FILE_SIZE_MAX, &stat, &stat_size);
        if (r >= 0)
                r = read_file_at(pid_fd, "status", PROC_FILE_SIZE_MAX, &status, &status_size);
        if (r == -ESRCH)
                return -ENOENT; /* exited between open and read */
        if (r < 0)
                return r;

        r = collect_proc_parse_stat(stat, stat_size, &id);
        if (r < 0)
                return r;
        if (id.pid != pid)
                return -EBADMSG;
        r = collect_proc_parse_status(status, status_size, &id);
        if (r < 0)
                return r;

        *ret = id;
        return 0;
}
