/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

/* This reader runs in the privileged helper while the crashed process is parked, on bytes the
 * crashed process controls. It therefore deliberately avoids libelf: it copies a handful of
 * fixed-size structs (the ELF header, program headers, section header 0) out of the stream, checks
 * every offset and size with explicit bounds and overflow checks, and keeps the PT_NOTE bytes
 * without interpreting them. Real ELF parsing (notes, build-ids, unwinding) happens later in the
 * sandboxed, unprivileged child. */

#include <elf.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "collect-core.h"
#include "input-limits.h"

typedef enum Stage {
        STAGE_EHDR,  /* collecting the ELF header */
        STAGE_SHDR0, /* PN_XNUM with section 0 placed before the program headers: collecting it */
        STAGE_PHDRS, /* collecting program headers */
        STAGE_BODY,  /* head done; PT_NOTE or section 0 still to be captured */
        STAGE_DONE,  /* nothing left to capture; bytes are only counted */
} Stage;

struct CollectCore {
        CollectCoreInfo info;
        Stage stage;

        uint8_t ehdr_buf[sizeof(Elf64_Ehdr)];
        size_t ehdr_have;
        Elf64_Ehdr ehdr;

        uint64_t ph_start;      /* e_phoff */
        uint64_t ph_count;      /* entries in the table; UINT64_MAX: open-ended (PN_XNUM, count later) */
        uint64_t ph_data_start; /* open-ended: lowest p_offset of a segment with data seen so far */
        uint8_t entry[sizeof(Elf64_Phdr)];
        size_t entry_have;
        Elf64_Phdr *phdrs;
        size_t n_phdrs, n_allocated;
        uint64_t max_end;       /* max(p_offset + p_filesz) */

        uint64_t sh_start;      /* e_shoff, 0 when there are no section headers */
        uint64_t sh_end;        /* end of the section header table, 0 when none */
        bool sh0_wanted;        /* capture section 0 in the body (extended count, placed last) */
        uint8_t sh0[sizeof(Elf64_Shdr)];
        size_t sh0_have;

        uint64_t note_filesz;
        uint8_t *note;
        size_t note_have;
};

static const char *const head_table[_COLLECT_CORE_HEAD_MAX] = {
        [COLLECT_CORE_HEAD_PENDING] = "ELF header or program headers incomplete",
        [COLLECT_CORE_HEAD_OK] = "ELF core",
        [COLLECT_CORE_HEAD_NOT_ELF] = "not an ELF file",
        [COLLECT_CORE_HEAD_NOT_ELF64] = "not a 64-bit ELF file",
        [COLLECT_CORE_HEAD_FOREIGN_ENDIAN] = "ELF file of the other byte order",
        [COLLECT_CORE_HEAD_NOT_CORE] = "ELF file that is not a core",
        [COLLECT_CORE_HEAD_BAD_LAYOUT] = "ELF core with impossible header fields",
        [COLLECT_CORE_HEAD_TOO_MANY_PHDRS] = "ELF core with too many program headers",
        [COLLECT_CORE_HEAD_NO_MEMORY] = "out of memory reading the program headers",
};

static const char *const note_table[_COLLECT_CORE_NOTE_MAX] = {
        [COLLECT_CORE_NOTE_NONE] = "no PT_NOTE segment",
        [COLLECT_CORE_NOTE_PENDING] = "PT_NOTE segment not received yet",
        [COLLECT_CORE_NOTE_COMPLETE] = "PT_NOTE segment kept",
        [COLLECT_CORE_NOTE_CUT] = "PT_NOTE segment cut by the end of the stream",
        [COLLECT_CORE_NOTE_TOO_LARGE] = "PT_NOTE segment too large to keep",
        [COLLECT_CORE_NOTE_UNREACHABLE] = "PT_NOTE segment placed inside the headers",
        [COLLECT_CORE_NOTE_NO_MEMORY] = "out of memory keeping the PT_NOTE segment",
};

const char *collect_core_head_to_string(CollectCoreHead head) {
        if (head < 0 || head >= _COLLECT_CORE_HEAD_MAX)
                return NULL;
        return head_table[head];
}

const char *collect_core_note_to_string(CollectCoreNote note) {
        if (note < 0 || note >= _COLLECT_CORE_NOTE_MAX)
                return NULL;
        return note_table[note];
}

int collect_core_new(CollectCore **ret) {
        CollectCore *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->stage = STAGE_EHDR;
        c->info.head = COLLECT_CORE_HEAD_PENDING;
        c->info.note = COLLECT_CORE_NOTE_NONE;
        *ret = c;
        return 0;
}

CollectCore *collect_core_free(CollectCore *c) {
        if (!c)
                return NULL;
        free(c->phdrs);
        free(c->note);
        free(c);
        return NULL;
}

const CollectCoreInfo *collect_core_info(const CollectCore *c) {
        return &c->info;
}

bool collect_core_is_complete(const CollectCore *c) {
        return c->info.ended && c->info.head == COLLECT_CORE_HEAD_OK && !c->info.truncated;
}

/* a + b, or false on overflow. */
static bool add_u64(uint64_t a, uint64_t b, uint64_t *ret) {
        return !__builtin_add_overflow(a, b, ret);
}

/* start + count * entry_size, or false on overflow. */
static bool table_end(uint64_t start, uint64_t count, uint64_t entry_size, uint64_t *ret) {
        uint64_t bytes;
        if (__builtin_mul_overflow(count, entry_size, &bytes))
                return false;
        return add_u64(start, bytes, ret);
}

/* Gives up on the head: nothing more is captured, the rest of the stream is only counted.
 * expected_size keeps what the section header table alone says (0 when nothing). */
static void head_fail(CollectCore *c, CollectCoreHead head) {
        c->info.head = head;
        c->info.expected_size = head == COLLECT_CORE_HEAD_TOO_MANY_PHDRS ? c->sh_end : 0;
        c->info.phdrs = NULL;
        c->info.n_phdrs = 0;
        c->sh0_wanted = false;
        c->stage = STAGE_DONE;
}

/* Body captures still pending? Then stay in STAGE_BODY, else STAGE_DONE. */
static void body_settle(CollectCore *c) {
        c->stage = (c->info.note == COLLECT_CORE_NOTE_PENDING || c->sh0_wanted) ? STAGE_BODY : STAGE_DONE;
}

static void phdrs_finish(CollectCore *c) {
        uint64_t pos = c->info.received;

        c->info.head = COLLECT_CORE_HEAD_OK;
        c->info.phdrs = c->n_phdrs > 0 ? c->phdrs : NULL;
        c->info.n_phdrs = c->n_phdrs;
        c->info.expected_size = c->max_end > c->sh_end ? c->max_end : c->sh_end;

        /* The first PT_NOTE with data is the one the kernel writes (registers, auxv, NT_FILE). */
        for (size_t i = 0; i < c->n_phdrs; i++) {
                const Elf64_Phdr *ph = &c->phdrs[i];
                if (ph->p_type != PT_NOTE || ph->p_filesz == 0)
                        continue;
                c->info.note_offset = ph->p_offset;
                c->note_filesz = ph->p_filesz;
                if (ph->p_filesz > CORE_NOTE_SIZE_MAX)
                        c->info.note = COLLECT_CORE_NOTE_TOO_LARGE;
                else if (ph->p_offset < pos)
                        c->info.note = COLLECT_CORE_NOTE_UNREACHABLE;
                else
                        c->info.note = COLLECT_CORE_NOTE_PENDING;
                break;
        }

        /* An extended count whose section 0 comes after the table (the kernel writes it last):
         * read it when it passes, to check the count the table's layout suggested. */
        c->sh0_wanted = c->info.phnum_extended && c->ph_count == UINT64_MAX && c->sh_start >= pos;
        body_settle(c);
}

/* Prepares for a table of count entries at ph_start (count known). */
static void phdrs_begin(CollectCore *c, uint64_t count) {
        uint64_t end;

        if (count > CORE_PHDRS_MAX)
                return head_fail(c, COLLECT_CORE_HEAD_TOO_MANY_PHDRS);
        if (!table_end(c->ph_start, count, sizeof(Elf64_Phdr), &end))
                return head_fail(c, COLLECT_CORE_HEAD_BAD_LAYOUT);
        c->ph_count = count;
        if (count == 0)
                return phdrs_finish(c);
        c->phdrs = calloc(count, sizeof(Elf64_Phdr));
        if (!c->phdrs)
                return head_fail(c, COLLECT_CORE_HEAD_NO_MEMORY);
        c->n_allocated = count;
        c->stage = STAGE_PHDRS;
}

static void ehdr_parse(CollectCore *c) {
        Elf64_Ehdr *e = &c->ehdr;
        const unsigned char *id;

        memcpy(e, c->ehdr_buf, sizeof(*e));
        id = e->e_ident;

        if (memcmp(id, ELFMAG, SELFMAG) != 0 || id[EI_VERSION] != EV_CURRENT)
                return head_fail(c, COLLECT_CORE_HEAD_NOT_ELF);
        if (id[EI_CLASS] != ELFCLASS64)
                return head_fail(c, COLLECT_CORE_HEAD_NOT_ELF64);
#if __BYTE_ORDER == __LITTLE_ENDIAN
        if (id[EI_DATA] != ELFDATA2LSB)
#else
        if (id[EI_DATA] != ELFDATA2MSB)
#endif
                return head_fail(c, COLLECT_CORE_HEAD_FOREIGN_ENDIAN);
        if (e->e_type != ET_CORE)
                return head_fail(c, COLLECT_CORE_HEAD_NOT_CORE);

        c->info.machine = e->e_machine;

        if (e->e_shoff != 0) {
                /* e_shnum 0 with e_shoff set means the count is in section 0's sh_size; only
                 * section 0 is counted then. */
                uint64_t count = e->e_shnum != 0 ? e->e_shnum : 1;
                if (e->e_shentsize != sizeof(Elf64_Shdr) || e->e_shoff < sizeof(Elf64_Ehdr) ||
                    !table_end(e->e_shoff, count, sizeof(Elf64_Shdr), &c->sh_end))
                        return head_fail(c, COLLECT_CORE_HEAD_BAD_LAYOUT);
                c->sh_start = e->e_shoff;
        }

        if (e->e_phnum == 0) {
                c->ph_count = 0;
                return phdrs_finish(c);
        }
        if (e->e_phentsize != sizeof(Elf64_Phdr) || e->e_phoff < sizeof(Elf64_Ehdr))
                return head_fail(c, COLLECT_CORE_HEAD_BAD_LAYOUT);
        c->ph_start = e->e_phoff;

        if (e->e_phnum != PN_XNUM)
                return phdrs_begin(c, e->e_phnum);

        /* More than 65534 segments: the count is section 0's sh_info. */
        c->info.phnum_extended = true;
        if (c->sh_start == 0)
                return head_fail(c, COLLECT_CORE_HEAD_BAD_LAYOUT);
        if (c->sh_start + sizeof(Elf64_Shdr) <= c->ph_start) {
                c->stage = STAGE_SHDR0;
                return;
        }

        /* Section 0 comes after the table (the kernel puts it at the very end). Read the table
         * open-ended: it ends where the first segment data begins, as in every core the kernel
         * writes (the PT_NOTE data follows the table directly), or at CORE_PHDRS_MAX. */
        c->ph_count = UINT64_MAX;
        c->ph_data_start = UINT64_MAX;
        c->stage = STAGE_PHDRS;
}

static void sh0_parse_count(CollectCore *c) {
        Elf64_Shdr sh;
        memcpy(&sh, c->sh0, sizeof(sh));
        c->info.phnum_declared = sh.sh_info;
}

static void phdr_add(CollectCore *c) {
        Elf64_Phdr ph;
        uint64_t end;

        memcpy(&ph, c->entry, sizeof(ph));
        c->entry_have = 0;

        if (!add_u64(ph.p_offset, ph.p_filesz, &end))
                return head_fail(c, COLLECT_CORE_HEAD_BAD_LAYOUT);
        if (end > c->max_end)
                c->max_end = end;

        if (c->n_phdrs == c->n_allocated) {
                /* Only the open-ended table grows; its size is bounded by CORE_PHDRS_MAX. */
                size_t want = c->n_allocated ? c->n_allocated * 2 : 1024;
                if (want > CORE_PHDRS_MAX)
                        want = CORE_PHDRS_MAX;
                Elf64_Phdr *n = realloc(c->phdrs, want * sizeof(Elf64_Phdr));
                if (!n)
                        return head_fail(c, COLLECT_CORE_HEAD_NO_MEMORY);
                c->phdrs = n;
                c->n_allocated = want;
        }
        c->phdrs[c->n_phdrs++] = ph;

        if (c->ph_count != UINT64_MAX) {
                if (c->n_phdrs == c->ph_count)
                        phdrs_finish(c);
                return;
        }

        /* Open-ended: stop where the next entry would run into segment data. */
        if (ph.p_filesz > 0 && ph.p_offset < c->ph_data_start)
                c->ph_data_start = ph.p_offset;
        uint64_t next_end;
        if (!table_end(c->ph_start, c->n_phdrs + 1, sizeof(Elf64_Phdr), &next_end) || next_end > c->ph_data_start)
                return phdrs_finish(c);
        if (c->n_phdrs >= CORE_PHDRS_MAX)
                return head_fail(c, COLLECT_CORE_HEAD_TOO_MANY_PHDRS);
}

/* Copies the part of [pos, pos + size) inside [start, start + len) to dst (which holds that
 * region); returns the number of bytes copied. */
static size_t copy_overlap(uint8_t *dst, uint64_t start, uint64_t len, uint64_t pos, const uint8_t *data,
                           size_t size) {
        uint64_t end = start + len, lo = start > pos ? start : pos, hi = pos + size < end ? pos + size : end;
        if (lo >= hi)
                return 0;
        memcpy(dst + (lo - start), data + (lo - pos), hi - lo);
        return hi - lo;
}

static void body_capture(CollectCore *c, const uint8_t *data, size_t size) {
        uint64_t pos = c->info.received;

        if (c->info.note == COLLECT_CORE_NOTE_PENDING && pos + size > c->info.note_offset) {
                if (!c->note) {
                        c->note = malloc(c->note_filesz);
                        if (!c->note)
                                c->info.note = COLLECT_CORE_NOTE_NO_MEMORY;
                }
                if (c->note) {
                        c->note_have += copy_overlap(c->note, c->info.note_offset, c->note_filesz, pos, data, size);
                        if (c->note_have == c->note_filesz) {
                                c->info.note = COLLECT_CORE_NOTE_COMPLETE;
                                c->info.note_data = c->note;
                                c->info.note_size = c->note_have;
                        }
                }
        }

        if (c->sh0_wanted && pos + size > c->sh_start) {
                c->sh0_have += copy_overlap(c->sh0, c->sh_start, sizeof(c->sh0), pos, data, size);
                if (c->sh0_have == sizeof(c->sh0)) {
                        c->sh0_wanted = false;
                        sh0_parse_count(c);
                        if (c->info.phnum_declared != c->n_phdrs) {
                                /* The table's layout and the declared count disagree: only the
                                 * section header table's end remains a trustworthy size. */
                                c->info.head = COLLECT_CORE_HEAD_BAD_LAYOUT;
                                c->info.expected_size = c->sh_end;
                                c->info.phdrs = NULL;
                                c->info.n_phdrs = 0;
                        }
                }
        }
}

void collect_core_feed(CollectCore *c, const void *data, size_t size) {
        const uint8_t *p = data;

        while (size > 0) {
                uint64_t pos = c->info.received;
                size_t n;

                switch (c->stage) {
                case STAGE_EHDR:
                        n = sizeof(c->ehdr_buf) - c->ehdr_have;
                        if (n > size)
                                n = size;
                        memcpy(c->ehdr_buf + c->ehdr_have, p, n);
                        c->ehdr_have += n;
                        c->info.received += n;
                        p += n;
                        size -= n;
                        if (c->ehdr_have == sizeof(c->ehdr_buf))
                                ehdr_parse(c);
                        break;

                case STAGE_SHDR0:
                case STAGE_PHDRS: {
                        uint64_t start = c->stage == STAGE_SHDR0 ? c->sh_start : c->ph_start;
                        uint8_t *buf = c->stage == STAGE_SHDR0 ? c->sh0 : c->entry;
                        size_t *have = c->stage == STAGE_SHDR0 ? &c->sh0_have : &c->entry_have;
                        size_t want = c->stage == STAGE_SHDR0 ? sizeof(c->sh0) : sizeof(c->entry);

                        if (pos < start) {
                                /* a gap before the table */
                                n = start - pos < size ? (size_t) (start - pos) : size;
                        } else {
                                n = want - *have;
                                if (n > size)
                                        n = size;
                                memcpy(buf + *have, p, n);
                                *have += n;
                        }
                        c->info.received += n;
                        p += n;
                        size -= n;
                        if (*have < want)
                                break;
                        if (c->stage == STAGE_SHDR0) {
                                sh0_parse_count(c);
                                phdrs_begin(c, c->info.phnum_declared);
                        } else
                                phdr_add(c);
                        break;
                }

                case STAGE_BODY:
                        body_capture(c, p, size);
                        c->info.received += size;
                        body_settle(c);
                        return;

                case STAGE_DONE:
                        c->info.received += size;
                        return;
                }
        }
}

/* Distance from pos to start, or 0 when start has been reached. */
static uint64_t distance(uint64_t pos, uint64_t start) {
        return start > pos ? start - pos : 0;
}

uint64_t collect_core_skippable(const CollectCore *c) {
        uint64_t pos = c->info.received, d = UINT64_MAX;

        switch (c->stage) {
        case STAGE_EHDR:
                return 0;
        case STAGE_SHDR0:
                return distance(pos, c->sh_start);
        case STAGE_PHDRS:
                return distance(pos, c->ph_start);
        case STAGE_BODY:
                if (c->info.note == COLLECT_CORE_NOTE_PENDING)
                        d = distance(pos, c->info.note_offset);
                if (c->sh0_wanted) {
                        uint64_t s = distance(pos, c->sh_start);
                        if (s < d)
                                d = s;
                }
                return d;
        case STAGE_DONE:
                return UINT64_MAX;
        }
        return 0;
}

int collect_core_skip(CollectCore *c, uint64_t size) {
        if (size > collect_core_skippable(c))
                return -EBUSY;
        c->info.received += size;
        return 0;
}

void collect_core_end(CollectCore *c) {
        CollectCoreInfo *i = &c->info;

        if (i->ended)
                return;
        i->ended = true;

        if (i->note == COLLECT_CORE_NOTE_PENDING) {
                i->note = COLLECT_CORE_NOTE_CUT;
                i->note_data = c->note;
                i->note_size = c->note_have;
        }
        c->sh0_wanted = false;
        if (c->stage != STAGE_BODY && c->stage != STAGE_DONE)
                i->truncated = true; /* cut inside the head: head stays PENDING */
        if (i->expected_size > 0 && i->received < i->expected_size)
                i->truncated = true;
        c->stage = STAGE_DONE;
}
