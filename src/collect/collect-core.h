/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The head of an ELF core stream, read as the bytes pass: ELF header, program headers, the PT_NOTE
 * segment, and the size the stream must reach to be complete. */
#pragma once

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

/* What the head of the stream turned out to be. Only COLLECT_CORE_HEAD_OK describes a core whose
 * completeness can be judged from its program headers. */
typedef enum CollectCoreHead {
        COLLECT_CORE_HEAD_PENDING,        /* ELF header or program header table not complete yet */
        COLLECT_CORE_HEAD_OK,             /* ELF header and program header table read */
        COLLECT_CORE_HEAD_NOT_ELF,        /* bad magic or EI_VERSION */
        COLLECT_CORE_HEAD_NOT_ELF64,      /* EI_CLASS is not ELFCLASS64 */
        COLLECT_CORE_HEAD_FOREIGN_ENDIAN, /* EI_DATA is not this machine's byte order */
        COLLECT_CORE_HEAD_NOT_CORE,       /* e_type is not ET_CORE */
        COLLECT_CORE_HEAD_BAD_LAYOUT,     /* entry sizes, offsets or sizes no core can have */
        COLLECT_CORE_HEAD_TOO_MANY_PHDRS, /* more program headers than CORE_PHDRS_MAX */
        COLLECT_CORE_HEAD_NO_MEMORY,      /* the program header table could not be allocated */
        _COLLECT_CORE_HEAD_MAX,
        _COLLECT_CORE_HEAD_INVALID = -EINVAL,
} CollectCoreHead;

/* What became of the first PT_NOTE segment with data. */
typedef enum CollectCoreNote {
        COLLECT_CORE_NOTE_NONE,        /* no PT_NOTE (or the head is not read yet) */
        COLLECT_CORE_NOTE_PENDING,     /* its bytes have not all passed yet */
        COLLECT_CORE_NOTE_COMPLETE,    /* kept whole */
        COLLECT_CORE_NOTE_CUT,         /* the stream ended inside it; the part received is kept */
        COLLECT_CORE_NOTE_TOO_LARGE,   /* larger than CORE_NOTE_SIZE_MAX; not kept */
        COLLECT_CORE_NOTE_UNREACHABLE, /* placed before the end of the program header table */
        COLLECT_CORE_NOTE_NO_MEMORY,
        _COLLECT_CORE_NOTE_MAX,
        _COLLECT_CORE_NOTE_INVALID = -EINVAL,
} CollectCoreNote;

/* What the stream has shown so far. Pointers stay valid until the next feed or the free. */
typedef struct CollectCoreInfo {
        CollectCoreHead head;
        uint64_t received;          /* bytes fed (or skipped) so far */
        uint64_t expected_size;     /* bytes a complete core has, 0 while unknown: max(p_offset +
                                     * p_filesz) over the program headers, and the end of the
                                     * section header table when there is one */
        bool ended;                 /* collect_core_end() was called */
        bool truncated;             /* after the end: the head was cut off, or received < expected_size */
        uint16_t machine;           /* e_machine (EM_X86_64, ...); 0 before the header arrived */
        const Elf64_Phdr *phdrs;    /* n_phdrs program headers in native byte order */
        size_t n_phdrs;
        bool phnum_extended;        /* e_phnum was PN_XNUM: the count is in section 0's sh_info */
        uint32_t phnum_declared;    /* section 0's sh_info when phnum_extended and it was read, else 0 */
        CollectCoreNote note;
        const uint8_t *note_data;   /* the kept PT_NOTE bytes (note_size of them), or NULL */
        size_t note_size;
        uint64_t note_offset;       /* p_offset of that PT_NOTE */
} CollectCoreInfo;

typedef struct CollectCore CollectCore;

int collect_core_new(CollectCore **ret);
CollectCore *collect_core_free(CollectCore *core);
DEFINE_TRIVIAL_CLEANUP_FUNC(CollectCore *, collect_core_free);

/* Takes the next size bytes of the stream. Never fails: hostile content only changes what
 * collect_core_info() reports, and an allocation failure is reported there too. */
void collect_core_feed(CollectCore *core, const void *data, size_t size);

/* How many of the next bytes the reader does not need to see (0: the very next one is needed;
 * UINT64_MAX: none of the rest is), so a caller may splice them away unseen. */
uint64_t collect_core_skippable(const CollectCore *core);

/* Counts size bytes that passed without being looked at (e.g. spliced to /dev/null). Returns 0, or
 * -EBUSY, counting nothing, when size is over collect_core_skippable(). */
int collect_core_skip(CollectCore *core, uint64_t size);

/* Marks the end of the stream and settles truncated (and a PT_NOTE that was being read). */
void collect_core_end(CollectCore *core);

const CollectCoreInfo *collect_core_info(const CollectCore *core);

/* True when the stream ended, the head is OK and nothing is missing. */
bool collect_core_is_complete(const CollectCore *core);

/* Short English phrases, e.g. "not an ELF file". */
const char *collect_core_head_to_string(CollectCoreHead head);
const char *collect_core_note_to_string(CollectCoreNote note);
