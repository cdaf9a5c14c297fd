/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collect-compact.h"
#include "input-limits.h"
#include "io.h"

#define PAGE ((uint64_t) 4096)
#define RED_ZONE ((uint64_t) 256) /* below the stack pointer: the x86-64 red zone and some slack */
#define NT_PRSTATUS_RSP_OFFSET (112 + 19 * 8) /* pr_reg[RSP] in struct elf_prstatus, x86-64 */
#define AT_SYSINFO_EHDR_ 33

/* One kept piece of a PT_LOAD segment, in stream offsets. */
typedef struct KeptRange {
        uint64_t offset, size;
        size_t phdr; /* index in info->phdrs */
        uint8_t *data;
} KeptRange;

struct CollectCompact {
        uint8_t ehdr[sizeof(Elf64_Ehdr)];
        size_t ehdr_have;
        bool planned;
        KeptRange *ranges; /* sorted by offset, disjoint */
        size_t n_ranges;
        uint64_t kept;     /* bytes of all ranges */
};

int collect_compact_new(CollectCompact **ret) {
        CollectCompact *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

CollectCompact *collect_compact_free(CollectCompact *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_ranges; i++)
                free(c->ranges[i].data);
        free(c->ranges);
        free(c);
        return NULL;
}

static uint64_t page_floor(uint64_t v) {
        return v & ~(PAGE - 1);
}

static uint64_t page_ceil(uint64_t v) {
        return v > UINT64_MAX - PAGE ? UINT64_MAX : (v + PAGE - 1) & ~(PAGE - 1);
}

/* Walks the notes for the stack pointers of every thread and the vDSO address. */
static size_t find_addresses(const CollectCoreInfo *info, uint64_t *sps, size_t max, uint64_t *ret_vdso) {
        const uint8_t *p = info->note_data;
        size_t size = info->note_data ? info->note_size : 0, n = 0, off = 0;

        *ret_vdso = 0;
        while (off + 12 <= size) {
                uint32_t namesz, descsz, type;
                memcpy(&namesz, p + off, 4);
                memcpy(&descsz, p + off + 4, 4);
                memcpy(&type, p + off + 8, 4);
                uint64_t desc = off + 12 + (((uint64_t) namesz + 3) & ~(uint64_t) 3);
                uint64_t next = desc + (((uint64_t) descsz + 3) & ~(uint64_t) 3);
                if (desc > size || next > size || descsz > size)
                        break;
                if (type == NT_PRSTATUS && descsz >= NT_PRSTATUS_RSP_OFFSET + 8 && n < max)
                        memcpy(&sps[n++], p + desc + NT_PRSTATUS_RSP_OFFSET, 8);
                else if (type == NT_AUXV)
                        for (uint64_t a = desc; a + 16 <= desc + descsz; a += 16) {
                                uint64_t t, v;
                                memcpy(&t, p + a, 8);
                                memcpy(&v, p + a + 8, 8);
                                if (t == AT_SYSINFO_EHDR_)
                                        *ret_vdso = v;
                        }
                off = (size_t) next;
        }
        return n;
}

/* Adds [offset, offset + size) of segment phdr, merged with what is kept already, within budget. */
static void keep(CollectCompact *c, size_t phdr, uint64_t offset, uint64_t size) {
        if (size == 0 || c->kept + size > COMPACT_SIZE_MAX)
                return;
        /* Ranges are added in program header order, so only the last one can share a header
         * (this keeps planning linear in the number of headers). */
        for (size_t i = c->n_ranges > 0 ? c->n_ranges - 1 : 0; i < c->n_ranges; i++) {
                KeptRange *r = &c->ranges[i];
                if (r->phdr == phdr && offset < r->offset + r->size && r->offset < offset + size) {
                        /* Overlap (two threads on one stack segment): widen the existing range. */
                        uint64_t lo = offset < r->offset ? offset : r->offset;
                        uint64_t hi = offset + size > r->offset + r->size ? offset + size : r->offset + r->size;
                        if (c->kept - r->size + (hi - lo) > COMPACT_SIZE_MAX)
                                return;
                        c->kept += (hi - lo) - r->size;
                        r->offset = lo;
                        r->size = hi - lo;
                        return;
                }
        }
        KeptRange *n = reallocarray(c->ranges, c->n_ranges + 1, sizeof(KeptRange));
        if (!n)
                return;
        c->ranges = n;
        c->ranges[c->n_ranges++] = (KeptRange) { .offset = offset, .size = size, .phdr = phdr };
        c->kept += size;
}

static int range_compare(const void *a, const void *b) {
        const KeptRange *x = a, *y = b;
        return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Decides what to keep, once the program headers and the notes are known. */
static void plan(CollectCompact *c, const CollectCoreInfo *info) {
        uint64_t sps[COMPACT_THREADS_MAX], vdso;
        size_t n_sps = find_addresses(info, sps, COMPACT_THREADS_MAX, &vdso);

        c->planned = true;

        /* A stack overflow leaves the stack pointer just below the stack's lowest page (in the
         * guard gap): the frames are in the segment right above it. */
        for (size_t t = 0; t < n_sps; t++) {
                const Elf64_Phdr *above = NULL;
                bool inside = false;
                for (size_t i = 0; i < info->n_phdrs && !inside; i++) {
                        const Elf64_Phdr *ph = &info->phdrs[i];
                        if (ph->p_type != PT_LOAD || ph->p_filesz == 0)
                                continue;
                        if (sps[t] >= ph->p_vaddr && sps[t] - ph->p_vaddr < ph->p_filesz)
                                inside = true;
                        else if (ph->p_vaddr > sps[t] && ph->p_vaddr - sps[t] <= COMPACT_STACK_MAX &&
                                 (!above || ph->p_vaddr < above->p_vaddr))
                                above = ph;
                }
                if (!inside && above)
                        sps[t] = above->p_vaddr;
        }

        for (size_t i = 0; i < info->n_phdrs; i++) {
                const Elf64_Phdr *ph = &info->phdrs[i];
                if (ph->p_type != PT_LOAD || ph->p_filesz == 0)
                        continue;
                uint64_t start = ph->p_vaddr, end = ph->p_vaddr + ph->p_filesz;
                if (end < start)
                        continue;
                /* Whole: file header pages (libdwfl finds modules and build-ids through them and
                 * NT_FILE), the vDSO, and small writable segments, which hold each module's
                 * .dynamic (its DT_SONAME names the module as systemd's trace names it) and the
                 * loader's link_map chain. */
                if (ph->p_filesz <= PAGE || (vdso >= start && vdso < end && ph->p_filesz <= 16 * PAGE) ||
                    ((ph->p_flags & PF_W) && ph->p_filesz <= COMPACT_WRITABLE_SEGMENT_MAX)) {
                        keep(c, i, ph->p_offset, ph->p_filesz);
                        continue;
                }
                for (size_t t = 0; t < n_sps; t++) {
                        if (sps[t] < start || sps[t] >= end)
                                continue;
                        uint64_t lo = page_floor(sps[t] - start > RED_ZONE ? sps[t] - RED_ZONE : start);
                        if (lo < start)
                                lo = start;
                        uint64_t hi = page_ceil(sps[t] + COMPACT_STACK_MAX);
                        if (hi > end || hi < sps[t])
                                hi = end;
                        keep(c, i, ph->p_offset + (lo - start), hi - lo);
                }
        }
        if (c->n_ranges > 0)
                qsort(c->ranges, c->n_ranges, sizeof(KeptRange), range_compare);
        for (size_t i = 0; i < c->n_ranges; i++) {
                c->ranges[i].data = calloc(1, (size_t) c->ranges[i].size);
                if (!c->ranges[i].data) {
                        c->ranges[i].size = 0; /* drop it rather than fail the capture */
                        continue;
                }
        }
}

static bool ready(const CollectCoreInfo *info) {
        return info->head == COLLECT_CORE_HEAD_OK && info->note != COLLECT_CORE_NOTE_PENDING;
}

void collect_compact_feed(CollectCompact *c, const CollectCoreInfo *info, uint64_t offset, const void *data, size_t size) {
        const uint8_t *p = data;

        if (offset < sizeof(c->ehdr) && c->ehdr_have == offset) {
                size_t n = sizeof(c->ehdr) - (size_t) offset < size ? sizeof(c->ehdr) - (size_t) offset : size;
                memcpy(c->ehdr + offset, p, n);
                c->ehdr_have += n;
        }
        if (!c->planned && ready(info))
                plan(c, info);
        if (!c->planned)
                return;

        for (size_t i = 0; i < c->n_ranges; i++) {
                KeptRange *r = &c->ranges[i];
                if (!r->data || r->offset >= offset + size || r->offset + r->size <= offset)
                        continue;
                uint64_t lo = r->offset > offset ? r->offset : offset;
                uint64_t hi = r->offset + r->size < offset + size ? r->offset + r->size : offset + size;
                memcpy(r->data + (lo - r->offset), p + (lo - offset), (size_t) (hi - lo));
        }
}

uint64_t collect_compact_skippable(const CollectCompact *c, const CollectCoreInfo *info, uint64_t offset) {
        if (!c->planned || offset < sizeof(c->ehdr))
                return 0;
        for (size_t i = 0; i < c->n_ranges; i++) {
                const KeptRange *r = &c->ranges[i];
                if (r->offset + r->size <= offset || !r->data)
                        continue;
                return r->offset <= offset ? 0 : r->offset - offset;
        }
        return UINT64_MAX;
}

int collect_compact_build(CollectCompact *c, const CollectCoreInfo *info, int *ret_fd, uint64_t *ret_size) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) Elf64_Phdr *out = NULL;
        _cleanup_(freep) const KeptRange **source = NULL; /* the range behind each data header */
        size_t n_out = 0;
        int r;

        if (!c->planned || c->ehdr_have < sizeof(c->ehdr) || info->n_phdrs == 0)
                return -ENODATA;

        /* Each kept range can split its segment into up to three headers. */
        out = calloc(info->n_phdrs + 2 * c->n_ranges, sizeof(Elf64_Phdr));
        source = calloc(info->n_phdrs + 2 * c->n_ranges, sizeof(KeptRange *));
        if (!out || !source)
                return -ENOMEM;

        uint64_t pos = sizeof(Elf64_Ehdr) + (info->n_phdrs + 2 * c->n_ranges) * sizeof(Elf64_Phdr);
        uint64_t note_pos = (pos + 3) & ~(uint64_t) 3;
        size_t note_size = info->note_data ? info->note_size : 0;
        pos = page_ceil(note_pos + note_size);

        size_t next_range = 0;
        for (size_t i = 0; i < info->n_phdrs; i++) {
                Elf64_Phdr ph = info->phdrs[i];
                if (ph.p_type == PT_NOTE) {
                        if (info->note_data && ph.p_offset == info->note_offset) {
                                ph.p_offset = note_pos;
                                ph.p_filesz = note_size;
                        } else
                                ph.p_offset = pos, ph.p_filesz = 0;
                        out[n_out++] = ph;
                        continue;
                }
                /* Headers without data point at the current end of the data, as the kernel's
                 * do: libdwfl expects file offsets that never go backwards. */
                if (ph.p_type != PT_LOAD) {
                        ph.p_offset = pos, ph.p_filesz = 0;
                        out[n_out++] = ph;
                        continue;
                }
                /* A PT_LOAD: its kept range (at most one after merging) becomes a header with
                 * data, the rest before and after it headers without. */
                /* Ranges are sorted by offset and so by header: walk them alongside. */
                while (next_range < c->n_ranges && c->ranges[next_range].phdr < i)
                        next_range++;
                const KeptRange *k = NULL;
                for (size_t j = next_range; j < c->n_ranges && c->ranges[j].phdr == i; j++)
                        if (c->ranges[j].data && c->ranges[j].size > 0)
                                k = &c->ranges[j];
                if (!k) {
                        ph.p_offset = pos, ph.p_filesz = 0;
                        out[n_out++] = ph;
                        continue;
                }
                uint64_t head = k->offset - ph.p_offset, tail_vaddr = ph.p_vaddr + head + k->size;
                if (head > 0)
                        out[n_out++] = (Elf64_Phdr) { .p_type = PT_LOAD, .p_flags = ph.p_flags, .p_offset = pos,
                                                      .p_vaddr = ph.p_vaddr, .p_memsz = head, .p_align = ph.p_align };
                source[n_out] = k;
                out[n_out++] = (Elf64_Phdr) { .p_type = PT_LOAD, .p_flags = ph.p_flags, .p_offset = pos,
                                              .p_vaddr = ph.p_vaddr + head, .p_filesz = k->size, .p_memsz = k->size,
                                              .p_align = ph.p_align };
                pos = page_ceil(pos + k->size);
                if (ph.p_vaddr + ph.p_memsz > tail_vaddr)
                        out[n_out++] = (Elf64_Phdr) { .p_type = PT_LOAD, .p_flags = ph.p_flags, .p_offset = pos, .p_vaddr = tail_vaddr,
                                                      .p_memsz = ph.p_vaddr + ph.p_memsz - tail_vaddr, .p_align = ph.p_align };
        }
        if (n_out >= PN_XNUM)
                return -E2BIG;

        Elf64_Ehdr eh;
        memcpy(&eh, c->ehdr, sizeof(eh));
        eh.e_phoff = sizeof(Elf64_Ehdr);
        eh.e_phentsize = sizeof(Elf64_Phdr);
        eh.e_phnum = (Elf64_Half) n_out;
        eh.e_shoff = 0;
        eh.e_shnum = 0;
        eh.e_shstrndx = SHN_UNDEF;

        fd = memfd_create("corejournal-compact-core", MFD_ALLOW_SEALING | MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = io_pwrite_all(fd, &eh, sizeof(eh), 0);
        if (r >= 0)
                r = io_pwrite_all(fd, out, n_out * sizeof(Elf64_Phdr), sizeof(eh));
        if (r >= 0 && note_size > 0)
                r = io_pwrite_all(fd, info->note_data, note_size, note_pos);
        for (size_t i = 0; r >= 0 && i < n_out; i++)
                if (source[i])
                        r = io_pwrite_all(fd, source[i]->data, (size_t) source[i]->size, out[i].p_offset);
        if (r < 0)
                return r;
        if (ftruncate(fd, (off_t) pos) < 0)
                return negative_errno();
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return negative_errno();

        *ret_fd = TAKE_FD(fd);
        *ret_size = pos;
        return 0;
}
