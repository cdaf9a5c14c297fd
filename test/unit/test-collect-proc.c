/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crash context from fixture /proc trees (test/fixtures/proc), from trees built at run time for
 * the size limits, and from the real /proc of this test process. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "collect-proc.h"
#include "input-limits.h"
#include "io.h"

static char **saved_argv;

static int open_tree(const char *sub) {
        char path[PATH_MAX];
        (void) snprintf(path, sizeof(path), "%s/proc%s", FIXTURES_DIR, sub);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("cannot open fixture tree %s: %m", path);
        return fd;
}

static ExportRecord *collect(int proc_fd, pid_t pid, int expect_n) {
        ExportRecord *rec = NULL;
        assert_int_equal(export_record_new(&rec), 0);
        int r = collect_proc_context(proc_fd, pid, rec);
        if (expect_n >= 0)
                assert_int_equal(r, expect_n);
        assert_int_equal((size_t) r, rec->n_fields);
        return rec;
}

static void assert_field_mem(const ExportRecord *rec, const char *name, const void *value, size_t size) {
        const ExportField *f = export_record_find(rec, name);
        if (!f)
                fail_msg("field %s missing", name);
        if (f->size != size || memcmp(f->value, value, size) != 0)
                fail_msg("field %s: want (%zu bytes) \"%.*s\", got (%zu bytes) \"%.*s\"", name, size, (int) size,
                         (const char *) value, f->size, (int) f->size, (const char *) f->value);
}

static void assert_field(const ExportRecord *rec, const char *name, const char *value) {
        assert_field_mem(rec, name, value, strlen(value));
}

static void assert_no_field(const ExportRecord *rec, const char *name) {
        const ExportField *f = export_record_find(rec, name);
        if (f)
                fail_msg("field %s present: \"%.*s\"", name, (int) f->size, (const char *) f->value);
}

/* The field equals the fixture file's bytes. */
static void assert_field_file(const ExportRecord *rec, const char *name, const char *file) {
        _cleanup_(freep) char *data = NULL;
        char path[PATH_MAX];
        size_t size;

        (void) snprintf(path, sizeof(path), "%s/proc/%s", FIXTURES_DIR, file);
        assert_true(io_read_file_at(AT_FDCWD, path, 1024 * 1024, &data, &size) >= 0);
        assert_field_mem(rec, name, data, size);
}

static void assert_names(const ExportRecord *rec, const char *const *names, size_t n) {
        assert_int_equal(rec->n_fields, n);
        for (size_t i = 0; i < n; i++)
                if (strcmp(rec->fields[i].name, names[i]) != 0)
                        fail_msg("field %zu: want %s, got %s", i, names[i], rec->fields[i].name);
}

static void test_system_service(void **state) {
        static const char *const order[] = {
                "COREDUMP_COMM", "COREDUMP_EXE", "COREDUMP_UNIT", "COREDUMP_SLICE", "COREDUMP_CMDLINE",
                "COREDUMP_CGROUP", "COREDUMP_OPEN_FDS", "COREDUMP_PROC_STATUS", "COREDUMP_PROC_MAPS",
                "COREDUMP_PROC_LIMITS", "COREDUMP_PROC_CGROUP", "COREDUMP_PROC_MOUNTINFO", "COREDUMP_PROC_AUXV",
                "COREDUMP_CWD", "COREDUMP_ROOT", "COREDUMP_ENVIRON",
        };
        _cleanup_(closep) int proc_fd = open_tree("");
        _cleanup_(export_record_freep) ExportRecord *rec = collect(proc_fd, 100, (int) ELEMENTSOF(order));

        assert_names(rec, order, ELEMENTSOF(order));
        assert_field(rec, "COREDUMP_COMM", "foo");
        assert_field(rec, "COREDUMP_EXE", "/usr/bin/foo");
        assert_field(rec, "COREDUMP_UNIT", "foo.service");
        assert_field(rec, "COREDUMP_SLICE", "system.slice");
        assert_field(rec, "COREDUMP_CMDLINE", "/usr/bin/foo --config /etc/foo.conf");
        assert_field(rec, "COREDUMP_CGROUP", "/system.slice/foo.service");
        assert_field(rec, "COREDUMP_OPEN_FDS",
                     "0:/dev/null\npos:\t0\nflags:\t0100000\nmnt_id:\t25\nino:\t6\n"
                     "\n"
                     "1:socket:[31337]\npos:\t0\nflags:\t02000002\nmnt_id:\t8\nino:\t6\n"
                     "\n"
                     "2:socket:[31337]\npos:\t0\nflags:\t02000002\nmnt_id:\t8\nino:\t6\n"
                     "\n"
                     "10:anon_inode:[eventfd]\npos:\t0\nflags:\t02004002\nmnt_id:\t14\nino:\t6\n"
                     "eventfd-count:                0\neventfd-id: 3\n");
        assert_field_file(rec, "COREDUMP_PROC_STATUS", "100/status");
        assert_field_file(rec, "COREDUMP_PROC_MAPS", "100/maps");
        assert_field_file(rec, "COREDUMP_PROC_LIMITS", "100/limits");
        assert_field(rec, "COREDUMP_PROC_CGROUP", "0::/system.slice/foo.service\n");
        assert_field_file(rec, "COREDUMP_PROC_MOUNTINFO", "100/mountinfo");
        assert_field_file(rec, "COREDUMP_PROC_AUXV", "100/auxv");
        assert_int_equal(export_record_find(rec, "COREDUMP_PROC_AUXV")->size, 7 * 16);
        assert_field(rec, "COREDUMP_CWD", "/");
        assert_field(rec, "COREDUMP_ROOT", "/");
        assert_field(rec, "COREDUMP_ENVIRON", "LANG=C.UTF-8\nPATH=/usr/bin:/bin\n");
        /* Its own mount namespace (PrivateTmp=) but the host's root: not a container. */
        assert_no_field(rec, "COREDUMP_CONTAINER_CMDLINE");
        assert_no_field(rec, "COREDUMP_USER_UNIT");
        assert_no_field(rec, "COREDUMP_SESSION");
        assert_no_field(rec, "COREDUMP_OWNER_UID");
}

static void test_session_process(void **state) {
        _cleanup_(closep) int proc_fd = open_tree("");
        _cleanup_(export_record_freep) ExportRecord *rec = collect(proc_fd, 200, -1);

        assert_field(rec, "COREDUMP_COMM", "vim");
        assert_field(rec, "COREDUMP_EXE", "/usr/bin/vim.basic"); /* " (deleted)" dropped */
        assert_field(rec, "COREDUMP_UNIT", "session-3.scope");
        assert_field(rec, "COREDUMP_SESSION", "3");
        assert_field(rec, "COREDUMP_OWNER_UID", "1000");
        assert_field(rec, "COREDUMP_SLICE", "user-1000.slice");
        assert_no_field(rec, "COREDUMP_USER_UNIT");
        assert_field(rec, "COREDUMP_CGROUP", "/user.slice/user-1000.slice/session-3.scope");
        /* argv: "/usr/bin/vim" "my file.txt" "it's" "" "naïve" "a<TAB>b" "x<0xff>y" and two trailing
         * empty arguments, which are dropped. */
        assert_field(rec, "COREDUMP_CMDLINE",
                     "/usr/bin/vim $'my file.txt' $'it\\'s' \"\" na\xc3\xafve $'a\\tb' $'x\\377y'");
        assert_field(rec, "COREDUMP_CWD", "/home/user");
        assert_field(rec, "COREDUMP_ENVIRON", "HOME=/home/user\nTERM=xterm-256color\n");
        assert_field(rec, "COREDUMP_OPEN_FDS",
                     "0:/dev/pts/3\npos:\t0\nflags:\t0100002\nmnt_id:\t25\nino:\t6\n\n"
                     "1:/dev/pts/3\npos:\t0\nflags:\t0100002\nmnt_id:\t25\nino:\t6\n\n"
                     "2:/dev/pts/3\npos:\t0\nflags:\t0100002\nmnt_id:\t25\nino:\t6\n");
        assert_no_field(rec, "COREDUMP_CONTAINER_CMDLINE");
}

static void test_user_unit_process(void **state) {
        _cleanup_(closep) int proc_fd = open_tree("");
        _cleanup_(export_record_freep) ExportRecord *rec = collect(proc_fd, 300, -1);

        assert_field(rec, "COREDUMP_UNIT", "user@1000.service");
        assert_field(rec, "COREDUMP_USER_UNIT", "bar.service");
        assert_field(rec, "COREDUMP_SLICE", "user-1000.slice");
        assert_field(rec, "COREDUMP_OWNER_UID", "1000");
        assert_no_field(rec, "COREDUMP_SESSION");
        assert_field(rec, "COREDUMP_CMDLINE", "/usr/libexec/bar");
        assert_field(rec, "COREDUMP_CGROUP", "/user.slice/user-1000.slice/user@1000.service/app.slice/bar.service");
        /* No fd directory, environ, maps, mountinfo or auxv in this fixture. */
        assert_no_field(rec, "COREDUMP_OPEN_FDS");
        assert_no_field(rec, "COREDUMP_ENVIRON");
        assert_no_field(rec, "COREDUMP_PROC_MAPS");
        assert_no_field(rec, "COREDUMP_PROC_AUXV");
}

static void test_hostile_process(void **state) {
        static const char maps_tail[] = "\n\0\xff tail";
        _cleanup_(closep) int proc_fd = open_tree("");
        _cleanup_(export_record_freep) ExportRecord *rec = collect(proc_fd, 4242, -1);
        char maps[3000 + sizeof(maps_tail) - 1];
        CollectProcIdentity id;

        /* systemd keeps the first line of comm only. */
        assert_field(rec, "COREDUMP_COMM", "a) (b");
        assert_field(rec, "COREDUMP_EXE", "/tmp/evil\nexe");
        assert_field(rec, "COREDUMP_CWD", "/tmp/a) (b");
        assert_field(rec, "COREDUMP_CMDLINE", "$'\\377\\376\\001$x' $'\\177'");
        assert_field(rec, "COREDUMP_ENVIRON", "A=1\nB=x\\ny\nC=\\\"q\\\" \\\\ \\001\\303\\251\nD");
        /* Garbage first line skipped; " (deleted)" dropped; nothing valid below the slices. */
        assert_field(rec, "COREDUMP_CGROUP", "/user.slice/user-4294967295.slice/session-x!.scope");
        assert_field(rec, "COREDUMP_SLICE", "user-4294967295.slice");
        assert_no_field(rec, "COREDUMP_UNIT");
        assert_no_field(rec, "COREDUMP_USER_UNIT");
        assert_no_field(rec, "COREDUMP_SESSION");
        assert_no_field(rec, "COREDUMP_OWNER_UID"); /* 4294967295 is not a UID */
        /* fd 4 has fdinfo but no link, fd 5 is no link, "notanumber" no descriptor. */
        assert_field(rec, "COREDUMP_OPEN_FDS", "0:/dev/null\npos:\t0\nflags:\t02\n\n3:/tmp/x\ny\n");
        memset(maps, 'x', 3000);
        memcpy(maps + 3000, maps_tail, sizeof(maps_tail) - 1);
        assert_field_mem(rec, "COREDUMP_PROC_MAPS", maps, sizeof(maps));
        assert_field(rec, "COREDUMP_PROC_MOUNTINFO", "");
        assert_field_mem(rec, "COREDUMP_PROC_AUXV", "\xde\xad\xbe\xef\x00\x01\x02", 7);

        assert_int_equal(collect_proc_identity(proc_fd, 4242, &id), 0);
        assert_int_equal(id.pid, 4242);
        assert_int_equal(id.ppid, 200);
        assert_string_equal(id.comm, "a) (b\nc");
        assert_int_equal(id.start_time_ticks, 9000);
        assert_int_equal(id.ruid, 1000);
        assert_int_equal(id.fsuid, 1000);
        assert_int_equal(id.egid, 1000);
}

static void test_missing_files(void **state) {
        _cleanup_(closep) int proc_fd = open_tree("");
        _cleanup_(export_record_freep) ExportRecord *rec = collect(proc_fd, 555, 2);
        CollectProcIdentity id;

        assert_field(rec, "COREDUMP_COMM", "dying");
        assert_field_file(rec, "COREDUMP_PROC_STATUS", "555/status");
        assert_int_equal(collect_proc_identity(proc_fd, 555, &id), -ENOENT);
}

static void test_gone(void **state) {
        _cleanup_(closep) int proc_fd = open_tree("");
        _cleanup_(export_record_freep) ExportRecord *rec = NULL;
        CollectProcIdentity id;

        assert_int_equal(export_record_new(&rec), 0);
        assert_int_equal(collect_proc_context(proc_fd, 999, rec), -ENOENT);
        assert_int_equal(rec->n_fields, 0);
        assert_int_equal(collect_proc_identity(proc_fd, 999, &id), -ENOENT);
        assert_int_equal(collect_proc_context(proc_fd, 0, rec), -EINVAL);
}

static void test_identity(void **state) {
        _cleanup_(closep) int proc_fd = open_tree("");
        CollectProcIdentity id;

        assert_int_equal(collect_proc_identity(proc_fd, 100, &id), 0);
        assert_int_equal(id.pid, 100);
        assert_int_equal(id.ppid, 1);
        assert_int_equal(id.start_time_ticks, 5000);
        assert_int_equal(id.ruid, 107);
        assert_int_equal(id.euid, 107);
        assert_int_equal(id.suid, 107);
        assert_int_equal(id.fsuid, 107);
        assert_int_equal(id.rgid, 113);
        assert_int_equal(id.egid, 113);
        assert_string_equal(id.comm, "foo");
}

static void test_container(void **state) {
        _cleanup_(closep) int proc_fd = open_tree("/container");
        _cleanup_(export_record_freep) ExportRecord *rec = collect(proc_fd, 502, -1);
        _cleanup_(export_record_freep) ExportRecord *loop = NULL, *host = NULL;

        /* Root reads "/" but is not PID 1's root; the nearest ancestor in another mount
         * namespace is systemd-nspawn (500), not the container's init (501). */
        assert_field(rec, "COREDUMP_ROOT", "/");
        assert_field(rec, "COREDUMP_CONTAINER_CMDLINE", "systemd-nspawn -D /var/lib/machines/deb --boot");
        assert_field(rec, "COREDUMP_CMDLINE", "/usr/bin/crash --now");
        assert_field(rec, "COREDUMP_UNIT", "systemd-nspawn@deb.service");
        assert_field(rec, "COREDUMP_SLICE", "machine.slice");
        assert_field(rec, "COREDUMP_CGROUP",
                     "/machine.slice/systemd-nspawn@deb.service/payload/system.slice/crash.service");
        /* CONTAINER_CMDLINE comes right after ROOT, as systemd writes it. */
        for (size_t i = 0; i + 1 < rec->n_fields; i++)
                if (strcmp(rec->fields[i].name, "COREDUMP_ROOT") == 0)
                        assert_string_equal(rec->fields[i + 1].name, "COREDUMP_CONTAINER_CMDLINE");

        /* Parents that point at each other: the walk ends, the field is left out. */
        loop = collect(proc_fd, 600, -1);
        assert_field(loop, "COREDUMP_COMM", "loop");
        assert_no_field(loop, "COREDUMP_CONTAINER_CMDLINE");

        /* systemd-nspawn itself shares PID 1's mount namespace: no container leader. */
        host = collect(proc_fd, 500, -1);
        assert_no_field(host, "COREDUMP_CONTAINER_CMDLINE");
}

/* ---- trees built at run time, for the size limits ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

typedef struct TmpTree {
        char path[PATH_MAX];
        int fd;
} TmpTree;

static void tmp_tree_new(TmpTree *t) {
        const char *tmp = getenv("TMPDIR");
        (void) snprintf(t->path, sizeof(t->path), "%s/test-collect-proc.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(t->path));
        t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(t->fd >= 0);
}

static void tmp_tree_done(TmpTree *t) {
        (void) safe_close(t->fd);
        (void) nftw(t->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_at(int dir_fd, const char *path, const void *data, size_t size) {
        _cleanup_(closep) int fd = openat(dir_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(io_write_all(fd, data, size), 0);
}

static size_t count_entries(const ExportField *f) {
        size_t n = f->size > 0;
        for (size_t i = 0; i + 1 < f->size; i++)
                if (f->value[i] == '\n' && f->value[i + 1] == '\n')
                        n++;
        return n;
}

static void test_open_fds_count_limit(void **state) {
        TmpTree t;
        const size_t n = PROC_OPEN_FDS_MAX + 50;

        tmp_tree_new(&t);
        assert_int_equal(mkdirat(t.fd, "77", 0755), 0);
        assert_int_equal(mkdirat(t.fd, "77/fd", 0755), 0);
        assert_int_equal(mkdirat(t.fd, "77/fdinfo", 0755), 0);
        for (size_t i = 0; i < n; i++) {
                char name[64];
                (void) snprintf(name, sizeof(name), "77/fd/%zu", i);
                assert_int_equal(symlinkat("/dev/null", t.fd, name), 0);
                (void) snprintf(name, sizeof(name), "77/fdinfo/%zu", i);
                write_at(t.fd, name, "pos:\t0\n", 7);
        }

        ExportRecord *rec = collect(t.fd, 77, 1);
        const ExportField *f = export_record_find(rec, "COREDUMP_OPEN_FDS");
        assert_non_null(f);
        assert_int_equal(count_entries(f), PROC_OPEN_FDS_MAX);
        assert_memory_equal(f->value, "0:/dev/null\npos:\t0\n\n1:/dev/null\n", 32);
        (void) export_record_free(rec);
        tmp_tree_done(&t);
}

static void test_open_fds_size_limit(void **state) {
        TmpTree t;
        const size_t info_size = PROC_FDINFO_SIZE_MAX + 1000, n = PROC_OPEN_FDS_SIZE_MAX / PROC_FDINFO_SIZE_MAX + 10;
        _cleanup_(freep) char *info = malloc(info_size);

        assert_non_null(info);
        memset(info, 'i', info_size);
        tmp_tree_new(&t);
        assert_int_equal(mkdirat(t.fd, "78", 0755), 0);
        assert_int_equal(mkdirat(t.fd, "78/fd", 0755), 0);
        assert_int_equal(mkdirat(t.fd, "78/fdinfo", 0755), 0);
        for (size_t i = 0; i < n; i++) {
                char name[64];
                (void) snprintf(name, sizeof(name), "78/fd/%zu", i);
                assert_int_equal(symlinkat("pipe:[1]", t.fd, name), 0);
                (void) snprintf(name, sizeof(name), "78/fdinfo/%zu", i);
                write_at(t.fd, name, info, info_size);
        }

        ExportRecord *rec = collect(t.fd, 78, 1);
        const ExportField *f = export_record_find(rec, "COREDUMP_OPEN_FDS");
        assert_non_null(f);
        assert_true(f->size <= PROC_OPEN_FDS_SIZE_MAX);
        /* Whole entries only, each fdinfo cut at PROC_FDINFO_SIZE_MAX and given its newline. */
        size_t entries = count_entries(f);
        assert_true(entries < n);
        size_t entry = strlen("0:pipe:[1]\n") + PROC_FDINFO_SIZE_MAX + 1;
        assert_true(f->size + entry + 2 > PROC_OPEN_FDS_SIZE_MAX);
        assert_int_equal(f->value[f->size - 1], '\n');
        assert_int_equal(f->value[f->size - 2], 'i');
        (void) export_record_free(rec);
        tmp_tree_done(&t);
}

static void test_environ_limit(void **state) {
        TmpTree t;
        /* Every \001 becomes the 4 bytes "\001": 4 * n bytes against the limit. */
        const size_t fits = PROC_ENVIRON_SIZE_MAX / 4 - 1, over = PROC_ENVIRON_SIZE_MAX / 4;
        _cleanup_(freep) char *env = malloc(over);

        assert_non_null(env);
        memset(env, 1, over);
        tmp_tree_new(&t);
        assert_int_equal(mkdirat(t.fd, "80", 0755), 0);
        write_at(t.fd, "80/environ", env, fits);
        assert_int_equal(mkdirat(t.fd, "81", 0755), 0);
        write_at(t.fd, "81/environ", env, over);

        ExportRecord *rec = collect(t.fd, 80, 1);
        const ExportField *f = export_record_find(rec, "COREDUMP_ENVIRON");
        assert_non_null(f);
        assert_int_equal(f->size, fits * 4);
        assert_memory_equal(f->value, "\\001\\001", 8);
        (void) export_record_free(rec);

        /* Reaching the limit leaves the field out, as systemd does. */
        rec = collect(t.fd, 81, 0);
        (void) export_record_free(rec);
        tmp_tree_done(&t);
}

/* ---- the real /proc ---- */

static void test_real_proc_self(void **state) {
        _cleanup_(closep) int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_(export_record_freep) ExportRecord *rec = NULL;
        _cleanup_(freep) char *expected_cmdline = NULL;
        char comm[17] = { 0 }, exe[PATH_MAX + 1];
        ssize_t n;
        size_t len = 0;

        if (proc_fd < 0)
                skip();
        rec = collect(proc_fd, getpid(), -1);

        assert_int_equal(prctl(PR_GET_NAME, comm), 0);
        assert_field(rec, "COREDUMP_COMM", comm);

        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        assert_true(n > 0);
        exe[n] = 0;
        assert_field(rec, "COREDUMP_EXE", exe);

        /* argv needs no quoting here (meson runs the test by its plain build path). */
        for (char **a = saved_argv; *a; a++)
                len += strlen(*a) + 1;
        expected_cmdline = calloc(len + 1, 1);
        assert_non_null(expected_cmdline);
        for (char **a = saved_argv; *a; a++) {
                if (a != saved_argv)
                        strcat(expected_cmdline, " ");
                strcat(expected_cmdline, *a);
                if (strpbrk(*a, " \t\n'\"\\$`*?[()<>|&;!"))
                        skip();
        }
        assert_field(rec, "COREDUMP_CMDLINE", expected_cmdline);

        /* auxv: pairs of words ending in AT_NULL, with this process's page size and entry point. */
        const ExportField *f = export_record_find(rec, "COREDUMP_PROC_AUXV");
        assert_non_null(f);
        assert_int_equal(f->size % (2 * sizeof(unsigned long)), 0);
        bool have_pagesz = false, have_entry = false;
        for (size_t i = 0; i + 2 * sizeof(unsigned long) <= f->size; i += 2 * sizeof(unsigned long)) {
                unsigned long type, value;
                memcpy(&type, f->value + i, sizeof(type));
                memcpy(&value, f->value + i + sizeof(type), sizeof(value));
                if (type == AT_PAGESZ)
                        have_pagesz = value == (unsigned long) sysconf(_SC_PAGESIZE);
                if (type == AT_ENTRY)
                        have_entry = value == getauxval(AT_ENTRY);
                if (type == AT_NULL)
                        assert_int_equal(i + 2 * sizeof(unsigned long), f->size);
        }
        assert_true(have_pagesz);
        assert_true(have_entry);

        assert_true(export_record_has(rec, "COREDUMP_CGROUP"));
        assert_true(export_record_has(rec, "COREDUMP_OPEN_FDS"));
        assert_true(export_record_has(rec, "COREDUMP_PROC_STATUS"));
        assert_no_field(rec, "COREDUMP_CONTAINER_CMDLINE");

        CollectProcIdentity id;
        assert_int_equal(collect_proc_identity(proc_fd, getpid(), &id), 0);
        assert_int_equal(id.pid, getpid());
        assert_int_equal(id.ppid, getppid());
        assert_int_equal(id.ruid, getuid());
        assert_int_equal(id.euid, geteuid());
        assert_int_equal(id.rgid, getgid());
        assert_string_equal(id.comm, comm);
}

/* ---- the pure formatters and parsers ---- */

static void assert_cmdline(const char *content, size_t size, const char *want) {
        _cleanup_(freep) char *s = NULL;
        int r = collect_proc_format_cmdline(content, size, &s);
        if (!want) {
                assert_int_equal(r, -ENOENT);
                return;
        }
        assert_int_equal(r, 0);
        assert_string_equal(s, want);
}

static void test_format_cmdline(void **state) {
        assert_cmdline("", 0, NULL);
        assert_cmdline("\0\0\0", 3, NULL);
        assert_cmdline("ls", 2, "ls"); /* unterminated last argument */
        assert_cmdline("ls\0-l\0", 6, "ls -l");
        assert_cmdline("a\0\0b\0", 5, "a \"\" b");
        assert_cmdline("a*b\0", 4, "$'a*b'");
        assert_cmdline("x\\y\0", 4, "$'x\\\\y'");
        assert_cmdline("say \"hi\"\0", 9, "$'say \"hi\"'");
        assert_cmdline("!\0", 2, "$'!'");
        assert_cmdline("~/x=1,2%@^{}\0", 13, "~/x=1,2%@^{}"); /* not special to systemd */
        assert_cmdline("caf\xc3\xa9\0", 6, "caf\xc3\xa9");
        assert_cmdline("\xc0\xaf\0", 3, "$'\\300\\257'");           /* overlong */
        assert_cmdline("\xed\xa0\x80\0", 4, "$'\\355\\240\\200'");  /* surrogate */
        assert_cmdline("ab\xc3\0", 4, "$'ab\\303'");                 /* cut sequence */
        assert_cmdline("a\nb\x7f\0", 5, "$'a\\nb\\177'");
        assert_cmdline("\x1b[0m\0", 5, "$'\\033[0m'");
}

static void test_format_comm(void **state) {
        char long_comm[200], want[128];
        _cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;

        assert_int_equal(collect_proc_format_comm("bash\n", 5, &a), 0);
        assert_string_equal(a, "bash");
        assert_int_equal(collect_proc_format_comm("a\"b'c\\d\te\xc3\xa9\n", 13, &b), 0);
        assert_string_equal(b, "a\\\"b\\'c\\\\d\\te\\303\\251");
        assert_int_equal(collect_proc_format_comm("x\ry", 3, &c), 0);
        assert_string_equal(c, "x");

        memset(long_comm, 'a', sizeof(long_comm));
        assert_int_equal(collect_proc_format_comm(long_comm, sizeof(long_comm), &d), 0);
        memset(want, 'a', 124);
        strcpy(want + 124, "...");
        assert_string_equal(d, want);

        memset(long_comm, 1, sizeof(long_comm));
        assert_int_equal(collect_proc_format_comm(long_comm, sizeof(long_comm), &e), 0);
        assert_int_equal(strlen(e), 31 * 4 + 3);
        assert_memory_equal(e, "\\001\\001", 8);
        assert_string_equal(e + 31 * 4, "...");
}

static void test_format_environ(void **state) {
        _cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL;
        size_t n;

        assert_int_equal(collect_proc_format_environ("", 0, 10, &a, &n), 0);
        assert_string_equal(a, "");
        assert_int_equal(collect_proc_format_environ("ab", 2, 3, &b, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(collect_proc_format_environ("ab", 2, 2, &c, &n), -ENOBUFS);
        assert_int_equal(collect_proc_format_environ("\x01", 1, 5, &c, &n), 0);
        assert_string_equal(c, "\\001");
        free(c);
        c = NULL;
        assert_int_equal(collect_proc_format_environ("\x01", 1, 4, &c, &n), -ENOBUFS);
        assert_int_equal(collect_proc_format_environ("A=\"\\\0", 5, 100, &c, &n), 0);
        assert_string_equal(c, "A=\\\"\\\\\n");
}

static void test_open_fds_append(void **state) {
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0;

        assert_int_equal(collect_proc_open_fds_append(&buf, &size, 100, 0, "/dev/null", "pos:\t0\n", 7), 1);
        assert_int_equal(collect_proc_open_fds_append(&buf, &size, 100, 7, "pipe:[1]", "", 0), 1);
        assert_int_equal(collect_proc_open_fds_append(&buf, &size, 100, 8, "x", "a\n\nb", 4), 1);
        assert_string_equal(buf, "0:/dev/null\npos:\t0\n\n7:pipe:[1]\n\n8:x\na\n\nb\n");
        assert_int_equal(size, strlen(buf));
        /* One byte short of room: nothing appended. */
        size_t before = size;
        assert_int_equal(collect_proc_open_fds_append(&buf, &size, before + 5, 9, "ab", "", 0), 0);
        assert_int_equal(size, before);
        assert_int_equal(collect_proc_open_fds_append(&buf, &size, before + 6, 9, "ab", "", 0), 1);
        assert_string_equal(buf + before, "\n9:ab\n");
}

static void test_parse_stat(void **state) {
        CollectProcIdentity id = { 0 };
        static const char ok[] = "12 (x) (y) Z 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n";
        char big[200];

        assert_int_equal(collect_proc_parse_stat(ok, strlen(ok), &id), 0);
        assert_int_equal(id.pid, 12);
        assert_int_equal(id.ppid, 3);
        assert_int_equal(id.start_time_ticks, 777);
        assert_string_equal(id.comm, "x) (y");

        /* Exactly 22 fields, no newline. */
        static const char exact[] = "1 (a) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 18446744073709551615";
        assert_int_equal(collect_proc_parse_stat(exact, strlen(exact), &id), 0);
        assert_true(id.start_time_ticks == UINT64_MAX);

        static const char *const bad[] = {
                "",
                "12 (x S 3",
                "12 x) S 3",
                "(x) S 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777",
                "12(x) S 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777",
                "-1 (x) S 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777",
                "0 (x) S 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777",
                "99999999999 (x) S 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777",
                "12 (x) S -3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777",
                "12 (x) S 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",          /* cut before starttime */
                "12 (x) S 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551616",
                "12 (x) S 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77x",
                "12 (x)  S 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (collect_proc_parse_stat(bad[i], strlen(bad[i]), &id) != -EBADMSG)
                        fail_msg("parsed: \"%s\"", bad[i]);

        /* A comm longer than the kernel allows is cut to fit. */
        memcpy(big, "5 (", 3);
        memset(big + 3, 'c', 100);
        strcpy(big + 103, ") S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 42");
        assert_int_equal(collect_proc_parse_stat(big, strlen(big), &id), 0);
        assert_int_equal(strlen(id.comm), sizeof(id.comm) - 1);
        assert_int_equal(id.start_time_ticks, 42);
}

static void test_parse_status(void **state) {
        CollectProcIdentity id = { 0 };
        static const char ok[] = "Name:\tUid: fake\nUid:\t1\t2\t3\t4\nGid:   5 6 7 8\n";

        assert_int_equal(collect_proc_parse_status(ok, strlen(ok), &id), 0);
        assert_int_equal(id.ruid, 1);
        assert_int_equal(id.euid, 2);
        assert_int_equal(id.suid, 3);
        assert_int_equal(id.fsuid, 4);
        assert_int_equal(id.rgid, 5);
        assert_int_equal(id.egid, 6);

        static const char *const bad[] = {
                "",
                "Uid:\t1\t2\t3\t4\n",
                "Gid:\t1\t2\t3\t4\n",
                "Uid:\t1\t2\t3\nGid:\t1\t2\t3\t4\n",
                "Uid:\t1\t2\t3\t4294967296\nGid:\t1\t2\t3\t4\n",
                "Uid:\t1\t2\t3\t-4\nGid:\t1\t2\t3\t4\n",
                "Uid:\nGid:\t1\t2\t3\t4\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (collect_proc_parse_status(bad[i], strlen(bad[i]), &id) != -EBADMSG)
                        fail_msg("parsed: \"%s\"", bad[i]);
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_system_service),
                cmocka_unit_test(test_session_process),
                cmocka_unit_test(test_user_unit_process),
                cmocka_unit_test(test_hostile_process),
                cmocka_unit_test(test_missing_files),
                cmocka_unit_test(test_gone),
                cmocka_unit_test(test_identity),
                cmocka_unit_test(test_container),
                cmocka_unit_test(test_open_fds_count_limit),
                cmocka_unit_test(test_open_fds_size_limit),
                cmocka_unit_test(test_environ_limit),
                cmocka_unit_test(test_real_proc_self),
                cmocka_unit_test(test_format_cmdline),
                cmocka_unit_test(test_format_comm),
                cmocka_unit_test(test_format_environ),
                cmocka_unit_test(test_open_fds_append),
                cmocka_unit_test(test_parse_stat),
                cmocka_unit_test(test_parse_status),
        };

        saved_argv = argv;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
