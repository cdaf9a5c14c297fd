/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Storing a core stream, each byte written once: streamed (zstd or sparse) into an O_TMPFILE that is
 * linked under its final name only when complete, or into a memfd for the journal, or nowhere. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"
#include "collect-config.h"
#include "collect-compact.h"
#include "collect-core.h"
#include "collect-space.h"

/* zstd settings of the external store, chosen by measurement (see collect-storage.c): level 1,
 * and one worker thread only on machines with more than two CPUs. */
#define COLLECT_STORAGE_ZSTD_LEVEL 1

/* Why a core was not stored (or nothing to say: COLLECT_STORAGE_REASON_NONE). */
typedef enum CollectStorageReason {
        COLLECT_STORAGE_REASON_NONE,              /* stored, or Storage=none */
        COLLECT_STORAGE_REASON_STORAGE_NONE,      /* Storage=none */
        COLLECT_STORAGE_REASON_EXTERNAL_SIZE_MAX, /* the file would pass ExternalSizeMax= */
        COLLECT_STORAGE_REASON_JOURNAL_SIZE_MAX,  /* the core would pass JournalSizeMax= */
        COLLECT_STORAGE_REASON_PROCESS_SIZE_MAX,  /* the stream passed max(ProcessSizeMax=, ExternalSizeMax=),
                                                   * where systemd stops reading and keeps a truncated core */
        COLLECT_STORAGE_REASON_MAX_USE,           /* the file would pass MaxUse= */
        COLLECT_STORAGE_REASON_KEEP_FREE,         /* the file would leave less than KeepFree= free */
        COLLECT_STORAGE_REASON_DISK_FULL,         /* ENOSPC/EDQUOT while writing */
        COLLECT_STORAGE_REASON_EXISTS,            /* a file of that name exists; never overwritten */
        COLLECT_STORAGE_REASON_CREATE_FAILED,     /* O_TMPFILE, memfd or compressor could not be set up */
        COLLECT_STORAGE_REASON_WRITE_FAILED,      /* write, compression, fsync failed */
        COLLECT_STORAGE_REASON_LINK_FAILED,       /* linking under the final name failed (not EEXIST) */
        _COLLECT_STORAGE_REASON_MAX,
        _COLLECT_STORAGE_REASON_INVALID = -EINVAL,
} CollectStorageReason;

/* Values of the user.coredump.* extended attributes, each exactly the matching COREDUMP_* field
 * value (TIMESTAMP in µs, COMM escaped as COREDUMP_COMM is); NULL or "" leaves one out, as systemd
 * does. */
typedef struct CollectStorageXattrs {
        const char *pid, *uid, *gid, *signal, *timestamp, *rlimit, *hostname, *comm, *exe;
} CollectStorageXattrs;

typedef struct CollectStorageParams {
        CoredumpStorage storage;    /* NONE: drain only; EXTERNAL: file; JOURNAL: memfd */
        bool compress;              /* EXTERNAL: zstd; otherwise a sparse uncompressed file */
        uint64_t process_size_max;  /* ProcessSizeMax= */
        uint64_t external_size_max; /* ExternalSizeMax= (COREDUMP_SIZE_INFINITY: none); on the file's size */
        uint64_t journal_size_max;  /* JournalSizeMax=; on the uncompressed size */

        /* EXTERNAL only */
        const CollectSpaceAdmission *space; /* from collect_space_admit(); NULL: no disk budget */
        int dir_fd;                 /* storage directory */
        const char *filename;       /* final name in dir_fd (collect_storage_make_filename()) */
        const CollectStorageXattrs *xattrs; /* may be NULL */
        int zstd_level;             /* compression level, COLLECT_STORAGE_ZSTD_LEVEL by default */
        int zstd_workers;           /* zstd worker threads: 1 with more than 2 CPUs online, else 0 */
        bool grant_read;            /* give read_uid a read ACL: only when the caller judged it
                                     * safe (dumpable 1, no AT_SECURE, uid == euid, gid == egid) */
        uid_t read_uid;
        /* Any storage: sees the stream to keep a compact core for the stack trace (may be NULL). */
        CollectCompact *compact;
        /* Called once the stream has ended and the input is closed, before the flush, fsync,
         * xattrs and link (may be NULL); gets the head reader and userdata. */
        void (*on_stream_end)(CollectCore *core, void *userdata);
        void *userdata;
} CollectStorageParams;

typedef struct CollectStorageResult {
        uint64_t received;          /* bytes of the stream */
        uint64_t expected_size;     /* from the core's headers, 0 unknown */
        bool truncated;             /* fewer bytes than the headers promise, or the head was cut */
        bool exceeds_process_size_max; /* max(received, expected_size) > ProcessSizeMax=: systemd
                                        * makes no stack trace then */
        bool stored;
        CollectStorageReason reason;
        int error;                  /* -errno behind DISK_FULL and the *_FAILED reasons, else 0 */
        uint64_t limit;             /* the limit behind a size reason, in bytes */
        uint64_t size;              /* the size the limit refused (may be a lower bound) */
        uint64_t written;           /* st_blocks * 512 of the stored file or memfd, after fsync */
        uint64_t file_size;         /* its st_size: compressed size, or the core's size */
        char *filename;             /* EXTERNAL, stored: name in the directory */
        int memfd;                  /* JOURNAL, stored: sealed memfd holding the core, else -EBADF */
        int xattr_error;            /* first fsetxattr() failure (-EOPNOTSUPP: fs without user xattrs) */
        int acl_error;              /* ACL failure when grant_read was asked */
        bool acl_granted;
        uint64_t read_usec;         /* start to EOF (and the input closed): the crasher's wait */
        uint64_t finish_usec;       /* EOF to done: flush, fsync, xattrs, link */
} CollectStorageResult;

/* systemd's defaults for the limits, Storage=external, Compress=yes, no directory yet. */
/* Whether uid is a regular user, who may be given read access to their own core: not root, a
 * system user (up to 999), a dynamic user (61184-65519) or nobody — systemd's rules. */
bool collect_storage_uid_is_regular(uid_t uid);

void collect_storage_params_init(CollectStorageParams *p);
/* Frees what a result filled by collect_storage_save() owns (file name, memfd). */
void collect_storage_result_done(CollectStorageResult *r);

const char *collect_storage_reason_to_string(CollectStorageReason reason);

/* The sentence to log for a result that was not stored, in systemd's words where systemd has one
 * ("The core will not be stored: size N is greater than M (the configured maximum)"). Returns 0
 * with *ret NULL when there is nothing to say, or -ENOMEM. */
int collect_storage_describe(const CollectStorageResult *r, char **ret);

/* systemd's file name: core.<comm>.<uid>.<boot id>.<pid>.<timestamp µs>, ".zst" appended when
 * compressed. comm is the COREDUMP_COMM value; it is escaped as systemd's xescape(comm, "./ ")
 * ("\xNN" for '.', ' ', '\', control and non-ASCII bytes) and additionally for '/', which systemd
 * leaves in (and then fails to store). The escaped comm is cut to keep the name within
 * CORE_FILENAME_MAX. boot_id is 32 lowercase hex digits. Returns 0, -EINVAL, or -ENOMEM. */
int collect_storage_make_filename(const char *comm, uid_t uid, const char *boot_id, pid_t pid,
                                  uint64_t timestamp_usec, bool compressed, char **ret);

/* Reads the core stream from input_fd to EOF and stores it as p says, running the completeness
 * check (core, which the caller creates and keeps for the PT_NOTE; NULL: an internal one). Takes
 * input_fd over: it is closed the moment EOF is seen, before any flush, fsync, xattr or link work,
 * and on every return. Refusals by a limit and write-side failures are not errors: the rest of the
 * stream is drained, and the result says why nothing was stored. Returns 0, or -errno when reading
 * the stream fails or the parameters are invalid (-EINVAL). */
int collect_storage_save(int input_fd, const CollectStorageParams *p, CollectCore *core,
                         CollectStorageResult *ret);
