/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect-core.h"
#include "input-limits.h"
#include "io.h"

/* A core laid out as the kernel writes one: ELF header, program headers (PT_NOTE first), the note
 * data right after the table, then page-aligned PT_LOAD data. */
typedef struct TestCore {
        uint8_t *data;
        size_t size;
        size_t note_offset, note_size;
        size_t n_phdrs;
} TestCore;

static void test_core_done(TestCore *c) {
        free(c->data);
}

static void put_ehdr(uint8_t *buf, uint16_t type, uint64_t phoff, uint16_t phnum, uint64_t shoff, uint16_t shnum) {
        Elf64_Ehdr e = {
                .e_type = type,
                .e_machine = EM_X86_64,
                .e_version = EV_CURRENT,
                .e_phoff = phoff,
                .e_shoff = shoff,
                .e_ehsize = sizeof(Elf64_Ehdr),
                .e_phentsize = sizeof(Elf64_Phdr),
                .e_phnum = phnum,
                .e_shentsize = shoff ? sizeof(Elf64_Shdr) : 0,
                .e_shnum = shnum,
        };
        memcpy(e.e_ident, ELFMAG, SELFMAG);
        e.e_ident[EI_CLASS] = ELFCLASS64;
        e.e_ident[EI_DATA] = ELFDATA2LSB;
        e.e_ident[EI_VERSION] = EV_CURRENT;
        memcpy(buf, &e, sizeof(e));
}

static void put_phdr(uint8_t *buf, size_t index, uint32_t type, uint64_t offset, uint64_t filesz) {
        Elf64_Phdr p = {
                .p_type = type,
                .p_flags = PF_R,
                .p_offset = offset,
                .p_vaddr = 0x400000 + index * 0x100000,
                .p_filesz = filesz,
                .p_memsz = filesz ? filesz : 4096,
                .p_align = type == PT_LOAD ? 4096 : 0,
        };
        memcpy(buf + sizeof(Elf64_Ehdr) + index * sizeof(Elf64_Phdr), &p, sizeof(p));
}

/* n_loads PT_LOADs of load_size bytes each (every third has no file data), note_size note bytes. */
static void build_core(TestCore *c, size_t n_loads, size_t load_size, size_t note_size) {
        size_t n_ph = 1 + n_loads, off;
        uint64_t offsets[64], sizes[64];

        assert_true(n_loads < 64);
        off = sizeof(Elf64_Ehdr) + n_ph * sizeof(Elf64_Phdr);
        c->note_offset = off;
        c->note_size = note_size;
        off = (off + note_size + 4095) / 4096 * 4096;
        for (size_t i = 0; i < n_loads; i++) {
                offsets[i] = off;
                sizes[i] = i % 3 == 2 ? 0 : load_size;
                off += sizes[i];
        }
        c->size = off;
        c->n_phdrs = n_ph;
        c->data = calloc(1, c->size);
        assert_non_null(c->data);

        put_ehdr(c->data, ET_CORE, sizeof(Elf64_Ehdr), (uint16_t) n_ph, 0, 0);
        put_phdr(c->data, 0, PT_NOTE, c->note_offset, note_size);
        for (size_t i = 0; i < note_size; i++)
                c->data[c->note_offset + i] = (uint8_t) (i * 7 + 1);
        for (size_t i = 0; i < n_loads; i++) {
                put_phdr(c->data, 1 + i, PT_LOAD, offsets[i], sizes[i]);
                for (size_t k = 0; k < sizes[i]; k += 97)
                        c->data[offsets[i] + k] = (uint8_t) (k ^ i);
        }
}

static void assert_whole(const CollectCore *core, const TestCore *c) {
        const CollectCoreInfo *i = collect_core_info(core);

        assert_int_equal(i->head, COLLECT_CORE_HEAD_OK);
        assert_int_equal(i->received, c->size);
        assert_int_equal(i->expected_size, c->size);
        assert_true(i->ended);
        assert_false(i->truncated);
        assert_true(collect_core_is_complete(core));
        assert_int_equal(i->machine, EM_X86_64);
        assert_int_equal(i->n_phdrs, c->n_phdrs);
        assert_int_equal(i->phdrs[0].p_type, PT_NOTE);
        assert_int_equal(i->note, COLLECT_CORE_NOTE_COMPLETE);
        assert_int_equal(i->note_offset, c->note_offset);
        assert_int_equal(i->note_size, c->note_size);
        assert_memory_equal(i->note_data, c->data + c->note_offset, c->note_size);
}

/* Feeds data in the given chunk sizes (cycled), then ends the stream. */
static CollectCore *feed_chunks(const uint8_t *data, size_t size, const size_t *chunks, size_t n_chunks) {
        CollectCore *core = NULL;
        size_t off = 0, k = 0;

        assert_int_equal(collect_core_new(&core), 0);
        while (off < size) {
                size_t n = chunks[k++ % n_chunks];
                if (n > size - off)
                        n = size - off;
                collect_core_feed(core, data + off, n);
                off += n;
        }
        collect_core_end(core);
        return core;
}

static CollectCore *feed_all(const uint8_t *data, size_t size) {
        size_t all = size ? size : 1;
        return feed_chunks(data, size, &all, 1);
}

static void test_whole_stream(void **state) {
        TestCore c;
        build_core(&c, 5, 8192, 1000);
        CollectCore *core = feed_all(c.data, c.size);
        assert_whole(core, &c);
        collect_core_free(core);
        test_core_done(&c);
}

static void test_every_split_point(void **state) {
        TestCore c;
        build_core(&c, 4, 4096, 333);

        /* one split anywhere in the head and the note, and just around the data */
        for (size_t s = 0; s <= c.note_offset + c.note_size + 2; s++) {
                CollectCore *core = NULL;
                assert_int_equal(collect_core_new(&core), 0);
                collect_core_feed(core, c.data, s);
                collect_core_feed(core, c.data + s, c.size - s);
                collect_core_end(core);
                assert_whole(core, &c);
                collect_core_free(core);
        }

        /* one byte at a time */
        size_t one = 1;
        CollectCore *core = feed_chunks(c.data, c.size, &one, 1);
        assert_whole(core, &c);
        collect_core_free(core);

        /* odd chunk sizes that straddle every boundary */
        const size_t odd[] = { 3, 61, 1, 55, 57, 7, 200, 4093 };
        core = feed_chunks(c.data, c.size, odd, ELEMENTSOF(odd));
        assert_whole(core, &c);
        collect_core_free(core);
        test_core_done(&c);
}

static void test_random_chunks(void **state) {
        TestCore c;
        unsigned seed = 12345;
        build_core(&c, 9, 3 * 4096, 5000);

        for (int round = 0; round < 200; round++) {
                size_t chunks[32];
                for (size_t k = 0; k < ELEMENTSOF(chunks); k++)
                        chunks[k] = 1 + (size_t) rand_r(&seed) % (round % 2 ? 300 : 9000);
                CollectCore *core = feed_chunks(c.data, c.size, chunks, ELEMENTSOF(chunks));
                assert_whole(core, &c);
                collect_core_free(core);
        }
        test_core_done(&c);
}

static void test_truncation_in_each_region(void **state) {
        TestCore c;
        build_core(&c, 4, 8192, 700);
        const size_t table_end = sizeof(Elf64_Ehdr) + c.n_phdrs * sizeof(Elf64_Phdr);
        const struct {
                size_t cut;
                CollectCoreHead head;
                CollectCoreNote note;
                bool expected_known;
        } cases[] = {
                { 0, COLLECT_CORE_HEAD_PENDING, COLLECT_CORE_NOTE_NONE, false },       /* nothing */
                { 10, COLLECT_CORE_HEAD_PENDING, COLLECT_CORE_NOTE_NONE, false },      /* in the ELF header */
                { 64, COLLECT_CORE_HEAD_PENDING, COLLECT_CORE_NOTE_NONE, false },      /* header only */
                { 64 + 30, COLLECT_CORE_HEAD_PENDING, COLLECT_CORE_NOTE_NONE, false }, /* in a phdr */
                { table_end - 1, COLLECT_CORE_HEAD_PENDING, COLLECT_CORE_NOTE_NONE, false },
                { table_end, COLLECT_CORE_HEAD_OK, COLLECT_CORE_NOTE_CUT, true },       /* before the note */
                { c.note_offset + 5, COLLECT_CORE_HEAD_OK, COLLECT_CORE_NOTE_CUT, true }, /* in the note */
                { c.note_offset + c.note_size, COLLECT_CORE_HEAD_OK, COLLECT_CORE_NOTE_COMPLETE, true },
                { c.size / 2, COLLECT_CORE_HEAD_OK, COLLECT_CORE_NOTE_COMPLETE, true }, /* in the data */
                { c.size - 1, COLLECT_CORE_HEAD_OK, COLLECT_CORE_NOTE_COMPLETE, true }, /* last byte missing */
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                CollectCore *core = feed_all(c.data, cases[k].cut);
                const CollectCoreInfo *i = collect_core_info(core);

                assert_int_equal(i->received, cases[k].cut);
                assert_true(i->truncated);
                assert_false(collect_core_is_complete(core));
                assert_int_equal(i->head, cases[k].head);
                assert_int_equal(i->note, cases[k].note);
                assert_int_equal(i->expected_size, cases[k].expected_known ? c.size : 0);
                if (cases[k].note == COLLECT_CORE_NOTE_CUT) {
                        size_t got = cases[k].cut > c.note_offset ? cases[k].cut - c.note_offset : 0;
                        assert_int_equal(i->note_size, got);
                        if (got > 0)
                                assert_memory_equal(i->note_data, c.data + c.note_offset, got);
                }
                collect_core_free(core);
        }

        /* trailing bytes beyond the last segment do not make a core incomplete */
        uint8_t *longer = calloc(1, c.size + 100);
        assert_non_null(longer);
        memcpy(longer, c.data, c.size);
        CollectCore *core = feed_all(longer, c.size + 100);
        assert_false(collect_core_info(core)->truncated);
        assert_int_equal(collect_core_info(core)->expected_size, c.size);
        collect_core_free(core);
        free(longer);
        test_core_done(&c);
}

static void test_not_a_core(void **state) {
        TestCore c;
        build_core(&c, 2, 4096, 64);

        struct {
                size_t at;
                uint8_t value;
                CollectCoreHead head;
        } cases[] = {
                { 1, 'X', COLLECT_CORE_HEAD_NOT_ELF },                          /* magic */
                { EI_VERSION, 2, COLLECT_CORE_HEAD_NOT_ELF },
                { EI_CLASS, ELFCLASS32, COLLECT_CORE_HEAD_NOT_ELF64 },
                { EI_DATA, ELFDATA2MSB, COLLECT_CORE_HEAD_FOREIGN_ENDIAN },
                { offsetof(Elf64_Ehdr, e_type), ET_EXEC, COLLECT_CORE_HEAD_NOT_CORE },
                { offsetof(Elf64_Ehdr, e_type), ET_DYN, COLLECT_CORE_HEAD_NOT_CORE },
                { offsetof(Elf64_Ehdr, e_phentsize), 32, COLLECT_CORE_HEAD_BAD_LAYOUT },
                { offsetof(Elf64_Ehdr, e_phoff), 8, COLLECT_CORE_HEAD_BAD_LAYOUT }, /* table in the header */
                { offsetof(Elf64_Ehdr, e_shoff), 200, COLLECT_CORE_HEAD_BAD_LAYOUT }, /* shentsize 0 */
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                uint8_t saved = c.data[cases[k].at];
                c.data[cases[k].at] = cases[k].value;
                CollectCore *core = feed_all(c.data, c.size);
                const CollectCoreInfo *i = collect_core_info(core);
                assert_int_equal(i->head, cases[k].head);
                assert_int_equal(i->expected_size, 0);
                assert_false(i->truncated); /* nothing to judge it by */
                assert_false(collect_core_is_complete(core));
                assert_int_equal(i->received, c.size);
                assert_int_equal(i->n_phdrs, 0);
                assert_null(i->phdrs);
                assert_int_equal(i->note, COLLECT_CORE_NOTE_NONE);
                assert_int_equal(collect_core_skippable(core), UINT64_MAX);
                collect_core_free(core);
                c.data[cases[k].at] = saved;
        }

        /* plain garbage */
        uint8_t garbage[4096];
        for (size_t k = 0; k < sizeof(garbage); k++)
                garbage[k] = (uint8_t) (k * 131 + 17);
        CollectCore *core = feed_all(garbage, sizeof(garbage));
        assert_int_equal(collect_core_info(core)->head, COLLECT_CORE_HEAD_NOT_ELF);
        collect_core_free(core);
        test_core_done(&c);
}

static void test_bad_segment(void **state) {
        TestCore c;
        build_core(&c, 2, 4096, 64);

        /* p_offset + p_filesz overflows */
        put_phdr(c.data, 1, PT_LOAD, UINT64_MAX - 10, 4096);
        CollectCore *core = feed_all(c.data, c.size);
        assert_int_equal(collect_core_info(core)->head, COLLECT_CORE_HEAD_BAD_LAYOUT);
        assert_int_equal(collect_core_info(core)->expected_size, 0);
        collect_core_free(core);

        /* a huge segment: valid head, hopelessly truncated */
        put_phdr(c.data, 1, PT_LOAD, 8192, UINT64_MAX / 2);
        core = feed_all(c.data, c.size);
        assert_int_equal(collect_core_info(core)->head, COLLECT_CORE_HEAD_OK);
        assert_int_equal(collect_core_info(core)->expected_size, 8192 + UINT64_MAX / 2);
        assert_true(collect_core_info(core)->truncated);
        collect_core_free(core);
        test_core_done(&c);
}

static void test_note_placement(void **state) {
        TestCore c;
        build_core(&c, 2, 4096, 64);

        /* larger than CORE_NOTE_SIZE_MAX: not kept, the core is still judged */
        put_phdr(c.data, 0, PT_NOTE, c.note_offset, CORE_NOTE_SIZE_MAX + 1);
        CollectCore *core = feed_all(c.data, c.size);
        assert_int_equal(collect_core_info(core)->note, COLLECT_CORE_NOTE_TOO_LARGE);
        assert_null(collect_core_info(core)->note_data);
        assert_true(collect_core_info(core)->truncated);
        collect_core_free(core);

        /* inside the headers, already passed */
        put_phdr(c.data, 0, PT_NOTE, 16, 64);
        core = feed_all(c.data, c.size);
        assert_int_equal(collect_core_info(core)->head, COLLECT_CORE_HEAD_OK);
        assert_int_equal(collect_core_info(core)->note, COLLECT_CORE_NOTE_UNREACHABLE);
        assert_false(collect_core_info(core)->truncated);
        collect_core_free(core);

        /* no PT_NOTE at all */
        put_phdr(c.data, 0, PT_LOAD, c.note_offset, 0);
        core = feed_all(c.data, c.size);
        assert_int_equal(collect_core_info(core)->note, COLLECT_CORE_NOTE_NONE);
        assert_true(collect_core_is_complete(core));
        collect_core_free(core);
        test_core_done(&c);
}

static void test_skippable(void **state) {
        TestCore c;
        CollectCore *core = NULL;
        build_core(&c, 3, 4096, 100);

        assert_int_equal(collect_core_new(&core), 0);
        assert_int_equal(collect_core_skippable(core), 0);
        assert_int_equal(collect_core_skip(core, 1), -EBUSY);
        collect_core_feed(core, c.data, c.note_offset); /* header and table */
        assert_int_equal(collect_core_info(core)->head, COLLECT_CORE_HEAD_OK);
        assert_int_equal(collect_core_skippable(core), 0); /* the note comes next */
        collect_core_feed(core, c.data + c.note_offset, c.note_size);
        assert_int_equal(collect_core_skippable(core), UINT64_MAX);
        assert_int_equal(collect_core_skip(core, c.size - c.note_offset - c.note_size), 0);
        collect_core_end(core);
        assert_whole(core, &c);
        collect_core_free(core);

        /* a gap before the note can be skipped, the note not */
        put_phdr(c.data, 0, PT_NOTE, c.note_offset + 50, 50);
        assert_int_equal(collect_core_new(&core), 0);
        collect_core_feed(core, c.data, c.note_offset);
        assert_int_equal(collect_core_skippable(core), 50);
        assert_int_equal(collect_core_skip(core, 51), -EBUSY);
        assert_int_equal(collect_core_skip(core, 50), 0);
        assert_int_equal(collect_core_skippable(core), 0);
        collect_core_feed(core, c.data + c.note_offset + 50, c.size - c.note_offset - 50);
        collect_core_end(core);
        assert_int_equal(collect_core_info(core)->note, COLLECT_CORE_NOTE_COMPLETE);
        assert_memory_equal(collect_core_info(core)->note_data, c.data + c.note_offset + 50, 50);
        assert_false(collect_core_info(core)->truncated);
        collect_core_free(core);
        test_core_done(&c);
}

/* e_phnum == PN_XNUM: the count sits in section 0's sh_info, before the table or (as the kernel
 * writes it) after all data. */
static void build_xnum(TestCore *c, uint32_t sh_info, bool shdr_first, size_t n_phdrs) {
        size_t table = shdr_first ? 128 : 64, off, note_off;

        off = table + n_phdrs * sizeof(Elf64_Phdr);
        note_off = off;
        off += 32;
        size_t data_off = (off + 4095) / 4096 * 4096;
        size_t end = data_off + 4096 * (n_phdrs - 1);
        size_t shoff = shdr_first ? 64 : end;
        c->size = shdr_first ? end : end + sizeof(Elf64_Shdr);
        c->data = calloc(1, c->size);
        c->n_phdrs = n_phdrs;
        c->note_offset = note_off;
        c->note_size = 32;
        assert_non_null(c->data);

        put_ehdr(c->data, ET_CORE, table, PN_XNUM, shoff, 1);
        Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = note_off, .p_filesz = 32 };
        memcpy(c->data + table, &note, sizeof(note));
        for (size_t i = 1; i < n_phdrs; i++) {
                Elf64_Phdr p = { .p_type = PT_LOAD, .p_offset = data_off + (i - 1) * 4096, .p_filesz = 4096 };
                memcpy(c->data + table + i * sizeof(Elf64_Phdr), &p, sizeof(p));
        }
        memset(c->data + note_off, 0xab, 32);
        Elf64_Shdr sh = { .sh_info = sh_info };
        memcpy(c->data + shoff, &sh, sizeof(sh));
}

static void test_extended_phnum(void **state) {
        TestCore c;

        /* section 0 first: the count is known before the table */
        build_xnum(&c, 4, true, 4);
        CollectCore *core = feed_all(c.data, c.size);
        assert_whole(core, &c);
        assert_true(collect_core_info(core)->phnum_extended);
        assert_int_equal(collect_core_info(core)->phnum_declared, 4);
        collect_core_free(core);
        test_core_done(&c);

        /* section 0 last (the kernel's layout), fed one byte at a time */
        build_xnum(&c, 5, false, 5);
        size_t one = 1;
        core = feed_chunks(c.data, c.size, &one, 1);
        assert_whole(core, &c);
        assert_int_equal(collect_core_info(core)->phnum_declared, 5);
        assert_int_equal(collect_core_info(core)->expected_size, c.size); /* includes section 0 */
        collect_core_free(core);

        /* ... and cut before section 0 */
        core = feed_all(c.data, c.size - 1);
        assert_true(collect_core_info(core)->truncated);
        collect_core_free(core);
        test_core_done(&c);

        /* the declared count contradicts the table's layout */
        build_xnum(&c, 7, false, 5);
        core = feed_all(c.data, c.size);
        assert_int_equal(collect_core_info(core)->head, COLLECT_CORE_HEAD_BAD_LAYOUT);
        assert_int_equal(collect_core_info(core)->expected_size, c.size);
        assert_false(collect_core_info(core)->truncated);
        collect_core_free(core);
        test_core_done(&c);

        /* more than CORE_PHDRS_MAX declared */
        build_xnum(&c, CORE_PHDRS_MAX + 1, true, 2);
        core = feed_all(c.data, c.size);
        assert_int_equal(collect_core_info(core)->head, COLLECT_CORE_HEAD_TOO_MANY_PHDRS);
        assert_null(collect_core_info(core)->phdrs);
        collect_core_free(core);
        test_core_done(&c);

        /* PN_XNUM without section headers */
        build_xnum(&c, 4, true, 4);
        Elf64_Ehdr *e = (Elf64_Ehdr *) c.data;
        e->e_shoff = 0;
        core = feed_all(c.data, c.size);
        assert_int_equal(collect_core_info(core)->head, COLLECT_CORE_HEAD_BAD_LAYOUT);
        collect_core_free(core);
        test_core_done(&c);
}

static void test_extended_phnum_over_limit(void **state) {
        /* An open-ended table (section 0 last) that never reaches segment data: it stops at
         * CORE_PHDRS_MAX entries. */
        size_t size = 64 + ((size_t) CORE_PHDRS_MAX + 10) * sizeof(Elf64_Phdr);
        uint8_t *data = calloc(1, size);
        assert_non_null(data);
        put_ehdr(data, ET_CORE, 64, PN_XNUM, size, 1);
        for (size_t i = 0; i < (size_t) CORE_PHDRS_MAX + 10; i++) {
                Elf64_Phdr p = { .p_type = PT_LOAD, .p_offset = size, .p_filesz = 0 };
                memcpy(data + 64 + i * sizeof(p), &p, sizeof(p));
        }
        CollectCore *core = feed_all(data, size);
        const CollectCoreInfo *i = collect_core_info(core);
        assert_int_equal(i->head, COLLECT_CORE_HEAD_TOO_MANY_PHDRS);
        assert_int_equal(i->expected_size, size + sizeof(Elf64_Shdr)); /* from the section table */
        assert_true(i->truncated);
        collect_core_free(core);
        free(data);
}

static void test_fixture_core(void **state) {
        _cleanup_(freep) char *data = NULL;
        size_t size;

        assert_int_equal(io_read_file_at(AT_FDCWD, FIXTURES_DIR "/cores/tiny-x86_64.core", 1 << 20, &data, &size), 0);
        CollectCore *core = feed_all((const uint8_t *) data, size);
        const CollectCoreInfo *i = collect_core_info(core);
        assert_int_equal(i->head, COLLECT_CORE_HEAD_OK);
        assert_int_equal(i->expected_size, size);
        assert_false(i->truncated);
        assert_int_equal(i->n_phdrs, 3);
        assert_int_equal(i->note, COLLECT_CORE_NOTE_COMPLETE);
        assert_memory_equal(i->note_data + 12, "CORE", 5); /* first note's name */
        collect_core_free(core);
}

/* A real core of a tiny process (sleep), written by gdb's gcore: note segment and section headers
 * come last there. The target is exec()ed so that it is small even when this test runs under ASan
 * (whose shadow mappings gcore would dump), and gcore's file size is capped all the same. */
static void test_gcore(void **state) {
        char dir[] = "/tmp/test-collect-core-XXXXXX", path[128], cmd[512], c;
        _cleanup_(freep) char *data = NULL;
        int p[2], status;
        size_t size;
        pid_t pid;

        if (access("/usr/bin/gcore", X_OK) < 0 || access("/bin/sleep", X_OK) < 0)
                skip();
        assert_non_null(mkdtemp(dir));
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[0]);
                execl("/bin/sleep", "sleep", "600", (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        close(p[1]);
        assert_int_equal(read(p[0], &c, 1), 0); /* EOF: the child has exec()ed */
        close(p[0]);

        (void) snprintf(cmd, sizeof(cmd), "ulimit -f 65536; gcore -o %s/core %d >/dev/null 2>&1", dir, (int) pid);
        status = system(cmd);
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        (void) snprintf(path, sizeof(path), "%s/core.%d", dir, (int) pid);
        if (status != 0 || access(path, R_OK) < 0) {
                (void) unlink(path);
                (void) rmdir(dir);
                skip(); /* no ptrace here */
        }
        int r = io_read_file_at(AT_FDCWD, path, (size_t) 64 << 20, &data, &size);
        (void) unlink(path);
        (void) rmdir(dir);
        assert_int_equal(r, 0);

        const size_t chunks[] = { 4096, 65536, 1, 13 };
        CollectCore *core = feed_chunks((const uint8_t *) data, size, chunks, ELEMENTSOF(chunks));
        const CollectCoreInfo *i = collect_core_info(core);
        assert_int_equal(i->head, COLLECT_CORE_HEAD_OK);
        assert_int_equal(i->expected_size, size);
        assert_false(i->truncated);
        assert_int_equal(i->note, COLLECT_CORE_NOTE_COMPLETE);
        assert_memory_equal(i->note_data, data + i->note_offset, i->note_size);
        collect_core_free(core);

        core = feed_all((const uint8_t *) data, size - 1);
        assert_true(collect_core_info(core)->truncated);
        collect_core_free(core);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whole_stream),
                cmocka_unit_test(test_every_split_point),
                cmocka_unit_test(test_random_chunks),
                cmocka_unit_test(test_truncation_in_each_region),
                cmocka_unit_test(test_not_a_core),
                cmocka_unit_test(test_bad_segment),
                cmocka_unit_test(test_note_placement),
                cmocka_unit_test(test_skippable),
                cmocka_unit_test(test_extended_phnum),
                cmocka_unit_test(test_extended_phnum_over_limit),
                cmocka_unit_test(test_fixture_core),
                cmocka_unit_test(test_gcore),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
