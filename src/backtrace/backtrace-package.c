/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "backtrace-json.h"
#include "backtrace-package.h"
#include "input-limits.h"

int backtrace_package_parse(const void *desc, size_t size, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        size_t length = strnlen(desc, size);
        int r;

        if (length > BACKTRACE_PACKAGE_NOTE_SIZE_MAX)
                return -E2BIG;

        /* The tokener's depth counts the outermost object as one level. */
        r = backtrace_json_parse(desc, length, BACKTRACE_PACKAGE_NOTE_DEPTH_MAX, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;

        *ret = TAKE_PTR(o);
        return 0;
}

static size_t align_up(size_t n, size_t align) {
        return (n + align - 1) & ~(align - 1);
}

int backtrace_package_find(const void *notes, size_t size, size_t align, char **ret_owner, json_object **ret_metadata) {
        const uint8_t *p = notes;
        size_t offset = 0;

        if (align != 8)
                align = 4;

        /* Elf32_Nhdr and Elf64_Nhdr are the same three 32-bit words. */
        while (size - offset >= 12) {
                uint32_t namesz, descsz, type;
                size_t name_offset, desc_offset, next;

                memcpy(&namesz, p + offset, 4);
                memcpy(&descsz, p + offset + 4, 4);
                memcpy(&type, p + offset + 8, 4);

                name_offset = offset + 12;
                if (namesz > size - name_offset)
                        return 0;
                desc_offset = align_up(name_offset + namesz, align);
                if (desc_offset > size || descsz > size - desc_offset)
                        return 0;
                next = align_up(desc_offset + descsz, align);

                if (type == BACKTRACE_PACKAGE_NOTE_TYPE && namesz > 0 && descsz > 0) {
                        _cleanup_(json_object_putp) json_object *metadata = NULL;
                        _cleanup_(freep) char *owner = NULL;
                        int r;

                        r = backtrace_package_parse(p + desc_offset, descsz, &metadata);
                        if (r < 0)
                                return r;

                        owner = backtrace_json_sanitize((const char *) p + name_offset, namesz);
                        if (!owner)
                                return -ENOMEM;

                        *ret_owner = TAKE_PTR(owner);
                        *ret_metadata = TAKE_PTR(metadata);
                        return 1;
                }

                if (next >= size)
                        break;
                offset = next;
        }
        return 0;
}
