/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The [Coredump] configuration: coredump.conf(5) keys with systemd's meanings plus our own. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input-limits.h"

/* Where a core is kept (Storage=). */
typedef enum CoredumpStorage {
        COREDUMP_STORAGE_NONE,
        COREDUMP_STORAGE_EXTERNAL,
        COREDUMP_STORAGE_JOURNAL,
        _COREDUMP_STORAGE_MAX,
        _COREDUMP_STORAGE_INVALID = -EINVAL,
} CoredumpStorage;

/* Whether a core stored externally also travels inside its record (ForwardCore=), for journals
 * forwarded to a central systemd-journal-remote. */
typedef enum CoredumpForward {
        COREDUMP_FORWARD_LOCAL, /* "local": the core stays on this host; the record says where */
        COREDUMP_FORWARD_EMBED, /* "embed": also embedded as COREDUMP=, up to ForwardCoreSizeMax= */
        COREDUMP_FORWARD_FIRST, /* "first": embedded for the first ForwardCoreFirst= crashes of each signature */
        _COREDUMP_FORWARD_MAX,
        _COREDUMP_FORWARD_INVALID = -EINVAL,
} CoredumpForward;

/* systemd-coredump's compiled-in defaults (src/coredump/coredump.c since v251): 32G on 64-bit
 * and 1G on 32-bit for processing and external storage; 767M for the journal, just below
 * journald's own limit on one field. */
#if __SIZEOF_POINTER__ == 8
#define COREDUMP_PROCESS_SIZE_MAX_DEFAULT (32 * GIB)
#else
#define COREDUMP_PROCESS_SIZE_MAX_DEFAULT (1 * GIB)
#endif
#define COREDUMP_EXTERNAL_SIZE_MAX_DEFAULT COREDUMP_PROCESS_SIZE_MAX_DEFAULT
#define COREDUMP_JOURNAL_SIZE_MAX_DEFAULT (767 * MIB)

/* Our own keys' defaults. */
#define COREDUMP_BACKTRACE_TIMEOUT_USEC_DEFAULT ((uint64_t) 10 * 1000 * 1000)
#define COREDUMP_BACKTRACE_MEMORY_MAX_DEFAULT (512 * MIB)
#define COREDUMP_RATELIMIT_INTERVAL_USEC_DEFAULT ((uint64_t) 30 * 1000 * 1000)
#define COREDUMP_RATELIMIT_BURST_DEFAULT 10U
#define COREDUMP_UPLOAD_TIMEOUT_USEC_DEFAULT ((uint64_t) 5 * 1000 * 1000)
#define COREDUMP_FORWARD_CORE_SIZE_MAX_DEFAULT (64 * MIB)
#define COREDUMP_FORWARD_CORE_FIRST_DEFAULT 3U
#define COREDUMP_DEBUGINFO_CACHE_MAX_DEFAULT (1 * GIB)
#define COREDUMP_HANDOFF_SOCKET_DEFAULT "/run/corejournal/handoff"

/* Value of max_use and keep_free meaning "not configured": size them from the file system the
 * way systemd does (10% and 15% of it, capped at 4G). Also external_size_max's "infinity". */
#define COREDUMP_SIZE_AUTOMATIC UINT64_MAX
#define COREDUMP_SIZE_INFINITY UINT64_MAX

typedef struct CollectConfig {
        CoredumpStorage storage;     /* Storage= */
        bool compress;               /* Compress= */
        uint64_t process_size_max;   /* ProcessSizeMax= */
        uint64_t external_size_max;  /* ExternalSizeMax=, COREDUMP_SIZE_INFINITY: no limit */
        uint64_t journal_size_max;   /* JournalSizeMax=, at most COREDUMP_JOURNAL_SIZE_MAX_DEFAULT */
        uint64_t max_use;            /* MaxUse=, COREDUMP_SIZE_AUTOMATIC when unset */
        uint64_t keep_free;          /* KeepFree=, COREDUMP_SIZE_AUTOMATIC when unset */
        bool enter_namespace;        /* EnterNamespace= */

        /* corejournal extensions */
        char *journal_socket;        /* JournalSocket=, never NULL */
        bool deliver_as_user;        /* DeliverAsUser=: a regular user's record goes to journald with
                                      * that user's credentials (their own journal file) */
        char *export_file;           /* ExportFile=, NULL: deliver to journald */
        char *storage_dir;           /* StorageDirectory=, never NULL */
        char *spool_dir;             /* SpoolDirectory=, never NULL */
        uint64_t backtrace_timeout_usec;  /* BacktraceTimeoutSec=, > 0 and finite */
        uint64_t backtrace_memory_max;    /* BacktraceMemoryMax=, > 0 and finite */
        bool backtrace_debuginfod;        /* BacktraceDebuginfod=: ask DEBUGINFOD_URLS servers, off by default */
        uint64_t ratelimit_interval_usec; /* RateLimitIntervalSec=, 0 disables rate limiting */
        unsigned ratelimit_burst;         /* RateLimitBurst=, 0 disables rate limiting */
        char *upload_url;                 /* UploadURL=: deliver to systemd-journal-remote there; NULL: journald */
        char *upload_key_file;            /* UploadKeyFile=, NULL: none */
        char *upload_cert_file;           /* UploadCertificateFile=, NULL: none */
        char *upload_trust_file;          /* UploadTrustedCertificateFile=, NULL: the system's CAs */
        uint64_t upload_timeout_usec;     /* UploadTimeoutSec=, > 0 and finite */
        CoredumpForward forward_core;     /* ForwardCore= */
        uint64_t forward_core_size_max;   /* ForwardCoreSizeMax= */
        unsigned forward_core_first;      /* ForwardCoreFirst= */
        char *state_dir;                  /* StateDirectory=, never NULL: per-signature forwarding counts */
        char *debuginfo_cache_dir;        /* DebugInfoCacheDirectory=, never NULL */
        uint64_t debuginfo_cache_max;     /* DebugInfoCacheMax=, 0: no cache */
        bool handoff;                     /* Handoff=auto (true) or no: pipe mode hands crashes to corejournald */
        char *handoff_socket;             /* HandoffSocket=, never NULL */
} CollectConfig;

/* Problems found while reading configuration, for the caller to log: each message reads
 * "FILE:LINE: text" (or "FILE: text" for a whole file). At most CONFIG_DIAGNOSTICS_MAX are kept;
 * the rest are only counted. Zero-initialize before first use. */
typedef struct CollectConfigDiagnostics {
        char **messages;
        size_t n_messages;
        size_t n_suppressed;
} CollectConfigDiagnostics;

void collect_config_diagnostics_done(CollectConfigDiagnostics *diag);

const char *coredump_storage_to_string(CoredumpStorage storage);
/* Exact, case-sensitive names as systemd takes them: "none", "external", "journal". */
CoredumpStorage coredump_storage_from_string(const char *s);

const char *coredump_forward_to_string(CoredumpForward forward);
/* "local", "embed" or "first". */
CoredumpForward coredump_forward_from_string(const char *s);

/* A size with systemd's parse_size() rules, base 1024: a decimal number (fractions allowed)
 * followed by K, M, G, T, P, E or B (bytes) or nothing, optionally several in decreasing order
 * ("1G 512M"). Suffixes are upper case; "infinity" is not a size. -EINVAL, or -ERANGE for
 * negative and overflowing values. */
int collect_config_parse_size(const char *s, uint64_t *ret);

/* A boolean as systemd spells it: 1/yes/y/true/t/on or 0/no/n/false/f/off (case-insensitive).
 * -EINVAL otherwise. */
int collect_config_parse_boolean(const char *s, bool *ret);

/* A time span as systemd's parse_sec(): "10" (seconds), "500ms", "1min 30s", "1.5h", or
 * "infinity" (UINT64_MAX). Units: us/usec, ms/msec, s/sec/second(s), m/min/minute(s),
 * h/hr/hour(s), d/day(s), w/week(s), M/month(s), y/year(s). -EINVAL or -ERANGE. */
int collect_config_parse_timespan(const char *s, uint64_t *ret_usec);

/* Fills ret with the defaults (systemd 252's for its keys). -ENOMEM. */
int collect_config_init(CollectConfig *ret);
/* Frees what c owns; c may then be initialized again. Accepts a zeroed or done config. */
void collect_config_done(CollectConfig *c);

/* Applies the text of one configuration file, named filename in diagnostics, on top of c: later
 * assignments override earlier ones, an empty value restores a key's default, and a bad value or
 * line is reported to diag (may be NULL) and leaves c unchanged. text need not be
 * NUL-terminated and may hold anything. Returns the number of problems found (0 when clean), or
 * -ENOMEM, in which case c is valid but may be partly updated. */
int collect_config_parse_buffer(
                CollectConfig *c,
                const char *filename,
                const char *text,
                size_t size,
                CollectConfigDiagnostics *diag);

/* Reads the configuration the way systemd-coredump does, below root_fd (a directory standing
 * for "/", or AT_FDCWD for the real root): the first of {etc,run,usr/local/lib,usr/lib}/systemd/
 * coredump.conf, then every ".conf" file in the coredump.conf.d directories beside them, ordered
 * by file name, a name in an earlier directory hiding the same name in a later one. With override_path (e.g.
 * from --config) only that file is read, opened as given rather than below root_fd. Files that
 * cannot be read, are too large or are not regular files are reported and skipped. Returns the
 * number of problems reported (0 when clean), -ENOMEM, or -errno when override_path cannot be
 * read; ret is assigned only on success. */
int collect_config_load(
                int root_fd,
                const char *override_path,
                CollectConfigDiagnostics *diag,
                CollectConfig *ret);
