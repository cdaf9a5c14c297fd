/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>

#include "backtrace-json.h"
#include "backtrace-package.h"
#include "backtrace-debuginfo.h"
#include "backtrace-unwind.h"
#include "input-limits.h"

typedef struct Unwind {
        FILE *out;
        Dwfl *dwfl;
        Elf *core;
        uint64_t entry;       /* AT_ENTRY of the crashed program, when the auxv had it */
        bool have_entry;
        size_t n_modules;
        size_t n_threads;
        size_t n_frames;      /* of the thread being unwound */
        bool frames_truncated;
        int error;            /* the first failure to write, which stops everything */
        bool memory_noted;    /* a "memory" line went out already */
} Unwind;

/* libdwfl hides allocation failures (a debug file that cannot be mapped is as good as absent),
 * so running short of memory is detected around it: a file found that does not fit in what the
 * limits leave, or a peak within this much of a limit. */
#define MEMORY_SLACK (8 * MIB)

/* The analysis running in this process, for libdwfl's find callbacks, which have no argument
 * of ours. */
static Unwind *current_unwind;

/* Writes one line; after a failure nothing more is written. */
static int emit(Unwind *u, json_object *o) {
        const char *s;

        if (u->error < 0)
                return u->error;
        if (!o)
                return (u->error = -ENOMEM);
        s = json_object_to_json_string_ext(o, BACKTRACE_JSON_FLAGS);
        if (!s)
                return (u->error = -ENOMEM);
        if (fputs(s, u->out) < 0 || fputc('\n', u->out) < 0 || fflush(u->out) != 0)
                return (u->error = errno > 0 ? -errno : -EIO);
        return 0;
}

/* A new output line of the given type, or NULL when out of memory. */
static json_object *line_new(const char *type) {
        json_object *o = json_object_new_object();

        if (o && backtrace_json_add_string(o, "t", type) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

/* Stops libdwfl's iteration after a failure of ours, remembering it. */
static int callback_fail(Unwind *u, int error) {
        if (u->error >= 0)
                u->error = error;
        return DWARF_CB_ABORT;
}

/* Adds a name through backtrace_json_sanitize(); NULL becomes null. */
static int add_name(json_object *o, const char *key, const char *value) {
        _cleanup_(freep) char *clean = NULL;

        if (value) {
                clean = backtrace_json_sanitize(value, BACKTRACE_NAME_SIZE_MAX);
                if (!clean)
                        return -ENOMEM;
        }
        return backtrace_json_add_string(o, key, clean);
}

static int emit_error(Unwind *u, int error, const char *format, ...) _printf_(3, 4);
static int emit_error(Unwind *u, int error, const char *format, ...) {
        _cleanup_(json_object_putp) json_object *o = line_new("error");
        _cleanup_(freep) char *message = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0 || !o || add_name(o, "message", message) < 0)
                return -ENOMEM;
        (void) emit(u, o);
        return error;
}

static const char *dwfl_error(void) {
        return dwfl_errmsg(-1) ?: "unknown error";
}

static const char *elf_error(void) {
        return elf_errmsg(-1) ?: "unknown error";
}

static int emit_flag(Unwind *u, const char *type) {
        _cleanup_(json_object_putp) json_object *o = line_new(type);
        return emit(u, o);
}

static int emit_memory(Unwind *u, const char *format, ...) _printf_(2, 3);
static int emit_memory(Unwind *u, const char *format, ...) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(freep) char *message = NULL;
        va_list ap;
        int r;

        if (u->memory_noted)
                return 0;
        u->memory_noted = true;

        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        o = line_new("memory");
        if (r < 0 || !o || add_name(o, "message", message) < 0)
                return (u->error = -ENOMEM);
        return emit(u, o);
}

/* Reads a small /proc file into buf without allocating (memory may be what ran out). */
static bool read_proc(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return false;
        n = read(fd, buf, size - 1);
        (void) safe_close(fd);
        if (n <= 0)
                return false;
        buf[n] = 0;
        return true;
}

/* Bytes the address space and heap limits leave; UINT64_MAX when unknown or unlimited. With
 * peak, the peak address space (VmPeak) stands for the current one. */
static uint64_t memory_left(bool peak) {
        unsigned long long size, resident, shared, text, lib, data;
        uint64_t page = (uint64_t) sysconf(_SC_PAGESIZE), left = UINT64_MAX, vm;
        struct rlimit as, heap;
        char buf[2048];

        if (!read_proc("/proc/self/statm", buf, sizeof(buf)) ||
            sscanf(buf, "%llu %llu %llu %llu %llu %llu", &size, &resident, &shared, &text, &lib, &data) != 6)
                return UINT64_MAX;
        vm = (uint64_t) size * page;
        if (peak && read_proc("/proc/self/status", buf, sizeof(buf))) {
                const char *p = strstr(buf, "\nVmPeak:");
                unsigned long long kib;
                if (p && sscanf(p, "\nVmPeak: %llu kB", &kib) == 1)
                        vm = (uint64_t) kib * 1024;
        }
        if (getrlimit(RLIMIT_AS, &as) >= 0 && as.rlim_cur != RLIM_INFINITY)
                left = as.rlim_cur > vm ? as.rlim_cur - vm : 0;
        if (getrlimit(RLIMIT_DATA, &heap) >= 0 && heap.rlim_cur != RLIM_INFINITY) {
                uint64_t used = (uint64_t) data * page;
                uint64_t l = heap.rlim_cur > used ? heap.rlim_cur - used : 0;
                if (l < left)
                        left = l;
        }
        return left;
}

/* A file libdwfl is about to map: larger than what is left means its symbols will be missing. */
static void check_file_fits(const char *path, int fd) {
        Unwind *u = current_unwind;
        struct stat st;

        if (!u || fd < 0 || fstat(fd, &st) < 0)
                return;
        if ((uint64_t) st.st_size > memory_left(false))
                (void) emit_memory(u, "%s (%" PRIu64 " bytes) does not fit in the memory left",
                                   path ?: "a module file", (uint64_t) st.st_size);
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                    char **file_name, Elf **elfp) {
        int fd = dwfl_build_id_find_elf(mod, userdata, modname, base, file_name, elfp);
        check_file_fits(file_name ? *file_name : NULL, fd);
        return fd;
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                          const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                          char **debuginfo_file_name) {
        int fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                              debuglink_crc, debuginfo_file_name);
        check_file_fits(debuginfo_file_name ? *debuginfo_file_name : NULL, fd);
        /* A compressed debug file costs a whole inflate per crash: ask for an uncompressed copy
         * (backtrace-debuginfo.h), which later analyses find first on the path. */
        if (fd >= 0 && current_unwind && debuginfo_file_name && *debuginfo_file_name &&
            backtrace_debuginfo_is_compressed(fd)) {
                json_object *o = line_new("compressed_debuginfo");
                if (!o || add_name(o, "path", *debuginfo_file_name) < 0)
                        (void) callback_fail(current_unwind, -ENOMEM);
                else
                        (void) emit(current_unwind, o);
                json_object_put(o);
        }
        return fd;
}

/* The size a complete core has: the end of the program header table, or of the furthest file
 * data a program header names. Headers past the end of a cut core are not read. */
static uint64_t core_expected_size(Elf *core, const GElf_Ehdr *eh, size_t phnum) {
        /* libelf counts no headers when the table is cut; the ELF header still tells. */
        uint64_t table = eh->e_phnum != PN_XNUM && eh->e_phnum > phnum ? eh->e_phnum : phnum;
        uint64_t expected = 0;

        if (eh->e_phentsize > 0 && table <= (UINT64_MAX - eh->e_phoff) / eh->e_phentsize)
                expected = eh->e_phoff + table * eh->e_phentsize;

        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr mem, *ph = gelf_getphdr(core, (int) i, &mem);
                if (!ph)
                        break;
                if (ph->p_filesz > UINT64_MAX - ph->p_offset)
                        continue;
                if (ph->p_offset + ph->p_filesz > expected)
                        expected = ph->p_offset + ph->p_filesz;
        }
        return expected;
}

static Elf_Type note_type(const GElf_Phdr *ph) {
        return ph->p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR;
}

/* AT_ENTRY from the core's NT_AUXV, which tells which module is the program itself. */
static void find_entry(Unwind *u, const GElf_Ehdr *eh, size_t phnum) {
        static const union { uint16_t u; uint8_t b[2]; } host = { .u = 1 };
        bool native = eh->e_ident[EI_DATA] == (host.b[0] ? ELFDATA2LSB : ELFDATA2MSB);
        size_t word = eh->e_ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;

        if (!native)
                return;

        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr mem, *ph = gelf_getphdr(u->core, (int) i, &mem);
                if (!ph || ph->p_type != PT_NOTE)
                        continue;
                Elf_Data *data = elf_getdata_rawchunk(u->core, (int64_t) ph->p_offset, ph->p_filesz, note_type(ph));
                if (!data)
                        continue;

                GElf_Nhdr nh;
                size_t name_offset, desc_offset;
                for (size_t offset = 0;
                     offset < data->d_size && (offset = gelf_getnote(data, offset, &nh, &name_offset, &desc_offset)) > 0;) {
                        if (nh.n_type != NT_AUXV || nh.n_namesz != sizeof("CORE") ||
                            memcmp((const char *) data->d_buf + name_offset, "CORE", sizeof("CORE")) != 0)
                                continue;
                        const uint8_t *p = (const uint8_t *) data->d_buf + desc_offset;
                        for (size_t k = 0; k + 2 * word <= nh.n_descsz; k += 2 * word) {
                                uint64_t type = 0, value = 0;
                                if (word == 8) {
                                        memcpy(&type, p + k, 8);
                                        memcpy(&value, p + k + 8, 8);
                                } else {
                                        uint32_t t32, v32;
                                        memcpy(&t32, p + k, 4);
                                        memcpy(&v32, p + k + 4, 4);
                                        type = t32, value = v32;
                                }
                                if (type == AT_NULL)
                                        break;
                                if (type == AT_ENTRY) {
                                        u->entry = value;
                                        u->have_entry = true;
                                        return;
                                }
                        }
                        return;
                }
        }
}

/* The first package note in elf's PT_NOTE segments: 1 found, 0 none, or the parse error. */
static int elf_find_package(Elf *elf, char **ret_owner, json_object **ret_metadata) {
        size_t phnum;

        if (elf_getphdrnum(elf, &phnum) < 0 || phnum > CORE_PHDRS_MAX)
                return 0;
        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr mem, *ph = gelf_getphdr(elf, (int) i, &mem);
                if (!ph || ph->p_type != PT_NOTE)
                        continue;
                Elf_Data *data = elf_getdata_rawchunk(elf, (int64_t) ph->p_offset, ph->p_filesz, note_type(ph));
                if (!data || !data->d_buf)
                        continue;
                int r = backtrace_package_find(data->d_buf, data->d_size, ph->p_align == 8 ? 8 : 4,
                                               ret_owner, ret_metadata);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* Without the module's file, its first page as dumped in the core still holds the ELF and
 * program headers, and usually the notes. */
static int core_find_package(Unwind *u, uint64_t start, char **ret_owner, json_object **ret_metadata) {
        size_t phnum;

        if (elf_getphdrnum(u->core, &phnum) < 0)
                return 0;
        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr mem, *ph = gelf_getphdr(u->core, (int) i, &mem);
                if (!ph || ph->p_type != PT_LOAD || start < ph->p_vaddr || start - ph->p_vaddr >= ph->p_filesz)
                        continue;
                uint64_t skip = start - ph->p_vaddr;
                Elf_Data *data = elf_getdata_rawchunk(u->core, (int64_t) (ph->p_offset + skip), ph->p_filesz - skip, ELF_T_BYTE);
                if (!data || !data->d_buf)
                        return 0;
                _cleanup_(elf_endp) Elf *image = elf_memory(data->d_buf, data->d_size);
                if (!image)
                        return 0;
                return elf_find_package(image, ret_owner, ret_metadata);
        }
        return 0;
}

static int module_callback(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg) {
        Unwind *u = arg;
        _cleanup_(json_object_putp) json_object *o = NULL, *metadata = NULL;
        _cleanup_(freep) char *owner = NULL;
        char build_id[2 * 64 + 1] = "";
        const unsigned char *bits;
        const char *mainfile = NULL;
        GElf_Addr vaddr, bias;
        Dwarf_Addr end = 0;
        Elf *elf;
        int n, r;

        if (u->n_modules >= BACKTRACE_MODULES_MAX) {
                (void) emit_flag(u, "modules_truncated");
                return DWARF_CB_ABORT;
        }
        /* Frames find their module's index here. */
        *userdata = (void *) (uintptr_t) (u->n_modules + 1);

        n = dwfl_module_build_id(mod, &bits, &vaddr);
        if (n > 0 && n <= 64)
                for (int i = 0; i < n; i++)
                        (void) snprintf(build_id + 2 * i, 3, "%02x", bits[i]);

        elf = dwfl_module_getelf(mod, &bias);
        (void) dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, &mainfile, NULL);
        r = elf ? elf_find_package(elf, &owner, &metadata) : core_find_package(u, start, &owner, &metadata);

        o = line_new("module");
        if (!o)
                return callback_fail(u, -ENOMEM);
        if (add_name(o, "name", name ?: "(unnamed)") < 0 ||
            add_name(o, "path", elf ? mainfile : NULL) < 0 ||
            backtrace_json_add_address(o, "start", start) < 0 ||
            backtrace_json_add_address(o, "end", end) < 0 ||
            backtrace_json_add_string(o, "build_id", build_id[0] ? build_id : NULL) < 0 ||
            backtrace_json_add(o, "main", json_object_new_boolean(u->have_entry && u->entry >= start && u->entry < end)) < 0)
                return callback_fail(u, -ENOMEM);
        if (r > 0) {
                if (backtrace_json_add_string(o, "package_owner", owner) < 0 ||
                    backtrace_json_add(o, "package", TAKE_PTR(metadata)) < 0)
                        return callback_fail(u, -ENOMEM);
        } else if (r < 0 && backtrace_json_add_string(o, "package_error",
                                                      r == -E2BIG ? "package note too large" :
                                                      "package note is not a valid JSON object") < 0)
                return callback_fail(u, -ENOMEM);

        if (emit(u, o) < 0)
                return DWARF_CB_ABORT;
        u->n_modules++;
        return DWARF_CB_OK;
}

/* The function a pc lies in, as systemd names it: the innermost DWARF scope's linkage name or
 * name (inlined functions included), else the ELF symbol. */
static const char *frame_symbol(Dwfl_Module *module, Dwarf_Addr pc) {
        Dwarf_Addr bias = 0;
        Dwarf_Die *cudie = dwfl_module_addrdie(module, pc, &bias);
        const char *symbol = NULL;

        if (cudie) {
                _cleanup_(freep) Dwarf_Die *scopes = NULL;
                int n = dwarf_getscopes(cudie, pc - bias, &scopes);

                for (int i = 0; i < n && !symbol; i++) {
                        Dwarf_Die *s = &scopes[i];
                        int tag = dwarf_tag(s);
                        Dwarf_Attribute space, *a;

                        if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine && tag != DW_TAG_entry_point)
                                continue;
                        a = dwarf_attr_integrate(s, DW_AT_MIPS_linkage_name, &space);
                        if (!a)
                                a = dwarf_attr_integrate(s, DW_AT_linkage_name, &space);
                        if (a)
                                symbol = dwarf_formstring(a);
                        if (!symbol)
                                symbol = dwarf_diename(s);
                }
        }
        return symbol ?: dwfl_module_addrname(module, pc);
}

static int frame_callback(Dwfl_Frame *frame, void *arg) {
        Unwind *u = arg;
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *symbol = NULL, *module_name = NULL;
        Dwarf_Addr pc, start = 0;
        Dwfl_Module *module;
        bool activation;
        int64_t index = -1;

        if (u->n_frames >= BACKTRACE_FRAMES_MAX) {
                u->frames_truncated = true;
                return DWARF_CB_ABORT;
        }
        if (!dwfl_frame_pc(frame, &pc, &activation))
                return DWARF_CB_ABORT;

        /* A return address points after the call: look up the call itself. */
        Dwarf_Addr lookup = pc - (activation ? 0 : 1);
        module = dwfl_addrmodule(u->dwfl, lookup);
        if (module) {
                void **userdata = NULL;

                symbol = frame_symbol(module, lookup);
                module_name = dwfl_module_info(module, &userdata, &start, NULL, NULL, NULL, NULL, NULL);
                if (userdata && *userdata)
                        index = (int64_t) (uintptr_t) *userdata - 1;
        }

        o = line_new("frame");
        if (!o ||
            backtrace_json_add_address(o, "pc", pc) < 0 ||
            backtrace_json_add_address(o, "offset", module ? pc - start : 0) < 0 ||
            add_name(o, "symbol", symbol) < 0 ||
            backtrace_json_add(o, "module", json_object_new_int64(index)) < 0 ||
            add_name(o, "module_name", module ? module_name ?: "(unnamed)" : NULL) < 0)
                return callback_fail(u, -ENOMEM);
        if (emit(u, o) < 0)
                return DWARF_CB_ABORT;
        u->n_frames++;
        return DWARF_CB_OK;
}

static int thread_callback(Dwfl_Thread *thread, void *arg) {
        Unwind *u = arg;
        _cleanup_(json_object_putp) json_object *begin = NULL, *end = NULL;
        int r;

        if (u->n_threads >= BACKTRACE_THREADS_MAX) {
                (void) emit_flag(u, "threads_truncated");
                return DWARF_CB_ABORT;
        }

        begin = line_new("thread");
        if (!begin || backtrace_json_add(begin, "tid", json_object_new_int(dwfl_thread_tid(thread))) < 0)
                return callback_fail(u, -ENOMEM);
        if (emit(u, begin) < 0)
                return DWARF_CB_ABORT;

        u->n_frames = 0;
        u->frames_truncated = false;
        r = dwfl_thread_getframes(thread, frame_callback, u);

        end = line_new("thread_end");
        if (!end ||
            backtrace_json_add(end, "frames_truncated", json_object_new_boolean(u->frames_truncated)) < 0 ||
            add_name(end, "error", r < 0 ? dwfl_errmsg(-1) : NULL) < 0)
                return callback_fail(u, -ENOMEM);
        if (emit(u, end) < 0)
                return DWARF_CB_ABORT;

        u->n_threads++;
        return DWARF_CB_OK;
}

static int emit_core(Unwind *u, int core_fd, const GElf_Ehdr *eh, size_t phnum) {
        _cleanup_(json_object_putp) json_object *o = line_new("core");
        uint64_t expected = core_expected_size(u->core, eh, phnum);
        struct stat st;

        if (fstat(core_fd, &st) < 0)
                return emit_error(u, -errno, "cannot stat the core: %m");

        if (!o ||
            add_name(o, "arch", dwelf_elf_e_machine_string(eh->e_machine)) < 0 ||
            backtrace_json_add_address(o, "size", (uint64_t) st.st_size) < 0 ||
            backtrace_json_add_address(o, "expected", expected) < 0)
                return -ENOMEM;
        return emit(u, o);
}

/* A core libelf cannot open: when its own ELF header (native 64-bit) says it is a core whose
 * program header table runs past the end of the file, the header line reports the cut. */
static int emit_cut_core(Unwind *u, int core_fd) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        Elf64_Ehdr eh;
        struct stat st;
        uint64_t expected;

        if (pread(core_fd, &eh, sizeof(eh), 0) != (ssize_t) sizeof(eh) || fstat(core_fd, &st) < 0)
                return 0;
        if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_CORE)
                return 0;
        if (eh.e_phentsize == 0 || eh.e_phnum > (UINT64_MAX - eh.e_phoff) / eh.e_phentsize)
                return 0;
        expected = eh.e_phoff + (uint64_t) eh.e_phnum * eh.e_phentsize;
        if (expected <= (uint64_t) st.st_size)
                return 0;

        o = line_new("core");
        if (!o ||
            add_name(o, "arch", dwelf_elf_e_machine_string(eh.e_machine)) < 0 ||
            backtrace_json_add_address(o, "size", (uint64_t) st.st_size) < 0 ||
            backtrace_json_add_address(o, "expected", expected) < 0)
                return -ENOMEM;
        return emit(u, o);
}

static int unwind(Unwind *u, int core_fd, const char *exe, const char *debuginfo_path);

int backtrace_unwind(int core_fd, const char *exe, const char *debuginfo_path, FILE *out) {
        Unwind u = { .out = out };
        int r;

        current_unwind = &u;
        r = unwind(&u, core_fd, exe, debuginfo_path);
        /* Peak use close to a limit means some allocation probably failed on the way. */
        if (memory_left(true) < MEMORY_SLACK)
                (void) emit_memory(&u, "analysis came within %" PRIu64 " MiB of its memory limit", MEMORY_SLACK / MIB);
        if (r >= 0)
                r = emit_flag(&u, "end");
        current_unwind = NULL;
        return r;
}

static int unwind(Unwind *u, int core_fd, const char *exe, const char *debuginfo_path) {
        _cleanup_(freep) char *path = strdup(debuginfo_path ?: BACKTRACE_DEBUGINFO_PATH_DEFAULT);
        _cleanup_(elf_endp) Elf *core = NULL;
        _cleanup_(dwfl_endp) Dwfl *dwfl = NULL;
        GElf_Ehdr eh;
        size_t phnum;
        int r;

        if (!path)
                return -ENOMEM;
        const Dwfl_Callbacks callbacks = {
                .find_elf = find_elf,
                .find_debuginfo = find_debuginfo,
                .section_address = dwfl_offline_section_address,
                .debuginfo_path = &path,
        };

        (void) elf_version(EV_CURRENT);
        core = elf_begin(core_fd, ELF_C_READ_MMAP, NULL);
        if (!core || !gelf_getehdr(core, &eh)) {
                /* libelf gives up on a core cut inside its program header table; say so. */
                r = emit_cut_core(u, core_fd);
                if (r < 0)
                        return r;
                return emit_error(u, -EBADMSG, "cannot read the core: %s", elf_error());
        }
        if (eh.e_type != ET_CORE)
                return emit_error(u, -EBADMSG, "not an ELF core file");
        u->core = core;

        /* The header line goes out even when the program headers are unreadable, so that a cut
         * core is reported as such. */
        bool have_phdrs = elf_getphdrnum(core, &phnum) >= 0;
        if (!have_phdrs)
                phnum = 0;
        if (phnum > CORE_PHDRS_MAX)
                return emit_error(u, -E2BIG, "the core has %zu program headers, more than %d", phnum, CORE_PHDRS_MAX);
        r = emit_core(u, core_fd, &eh, phnum);
        if (r < 0)
                return r;
        if (!have_phdrs)
                return emit_error(u, -EBADMSG, "cannot read the core's program headers: %s", elf_error());
        find_entry(u, &eh, phnum);

        dwfl = dwfl_begin(&callbacks);
        if (!dwfl)
                return emit_error(u, -ENOMEM, "dwfl_begin() failed: %s", dwfl_error());
        u->dwfl = dwfl;
        if (dwfl_core_file_report(dwfl, core, exe) < 0)
                return emit_error(u, -EBADMSG, "dwfl_core_file_report() failed: %s", dwfl_error());
        if (dwfl_report_end(dwfl, NULL, NULL) != 0)
                return emit_error(u, -EBADMSG, "dwfl_report_end() failed: %s", dwfl_error());
        if (dwfl_getmodules(dwfl, module_callback, u, 0) < 0)
                return emit_error(u, -EBADMSG, "dwfl_getmodules() failed: %s", dwfl_error());
        r = emit_flag(u, "modules_end");
        if (r < 0)
                return r;
        if (dwfl_core_file_attach(dwfl, core) < 0)
                return emit_error(u, -EBADMSG, "dwfl_core_file_attach() failed: %s", dwfl_error());
        if (dwfl_getthreads(dwfl, thread_callback, u) < 0 && u->error >= 0)
                return emit_error(u, -EBADMSG, "dwfl_getthreads() failed: %s", dwfl_error());
        return u->error;
}
