/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Named hard limits on every size that untrusted input controls (documented in docs/LIMITS.md). */
#pragma once

#include <stdint.h>

#define KIB ((uint64_t) 1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

/* Journal field names: A-Z, 0-9, '_', not starting with a digit, at most this long. */
#define EXPORT_FIELD_NAME_MAX 64

/* journald's own ceilings (DATA_SIZE_MAX, ENTRY_SIZE_MAX, fields per entry). */
#define JOURNAL_DATA_SIZE_MAX (768 * MIB)
#define JOURNAL_ENTRY_SIZE_MAX (770 * MIB)
#define JOURNAL_FIELDS_MAX 1024

/* What a --backtrace submission on stdin may carry. */
#define BACKTRACE_INPUT_FIELD_SIZE_MAX (64 * MIB)
#define BACKTRACE_INPUT_RECORD_SIZE_MAX (64 * MIB)
#define BACKTRACE_INPUT_FIELDS_MAX 1000

/* A /proc file read for context; longer contents are cut here. */
#define PROC_FILE_SIZE_MAX (4 * MIB)

/* Payload that goes in one datagram before the sealed-memfd path is taken. */
#define JOURNAL_DATAGRAM_SIZE_MAX (200 * KIB)

/* How long a send to journald may block on a full socket before it counts as failed. */
#define JOURNAL_SEND_TIMEOUT_USEC (10 * 1000 * 1000)

/* coredump.conf and its drop-ins: one logical line, continuations included (systemd allows 1M). */
#define CONFIG_LINE_MAX (64 * 1024)
/* coredump.conf and its drop-ins: one file; a larger file is ignored as a whole. */
#define CONFIG_FILE_SIZE_MAX (1024 * 1024)
/* coredump.conf.d drop-in files read, over all search directories together. */
#define CONFIG_DROPINS_MAX 256
/* Configuration diagnostics kept for the caller to log; further ones are only counted. */
#define CONFIG_DIAGNOSTICS_MAX 64
/* COREDUMP_COMM: bytes of the escaped name with its NUL (systemd's COMM_MAX_LEN); longer ends in "...". */
#define PROC_COMM_ESCAPED_MAX 128
/* COREDUMP_ENVIRON: escaped size at which the field is left out (systemd's ENVIRONMENT_BLOCK_MAX). */
#define PROC_ENVIRON_SIZE_MAX (5 * MIB)
/* COREDUMP_OPEN_FDS: descriptors listed; the list stops after this many. */
#define PROC_OPEN_FDS_MAX 4096
/* COREDUMP_OPEN_FDS: bytes of the whole field; the list stops before the entry that would pass it. */
#define PROC_OPEN_FDS_SIZE_MAX (4 * MIB)
/* One /proc/PID/fdinfo/N file; longer contents are cut here. */
#define PROC_FDINFO_SIZE_MAX (64 * KIB)
/* Parent processes walked to find a container's leader for COREDUMP_CONTAINER_CMDLINE. */
#define PROC_ANCESTORS_MAX 1024
/* ELF core stream: program headers read from the head (e_phnum, or section 0's sh_info with PN_XNUM). */
#define CORE_PHDRS_MAX 65536
/* ELF core stream: bytes of the PT_NOTE segment kept in memory for the stack trace step. */
#define CORE_NOTE_SIZE_MAX (16 * MIB)
/* Stored core file name (NAME_MAX); the escaped comm is cut, never inside an escape, to fit. */
#define CORE_FILENAME_MAX 255
/* Vacuum: directory entries looked at in one pass over the storage directory; the rest are not seen. */
#define VACUUM_DIR_ENTRIES_MAX 65536
/* Vacuum: core files removed by one call; the next core's vacuum goes on from there. */
#define VACUUM_REMOVALS_MAX 1024
/* Spooled records looked at in one replay run (the rest wait for the next). */
#define SPOOL_FILES_MAX 100000
/* Stack traces: threads unwound per core (systemd's THREADS_MAX); the others are left out. */
#define BACKTRACE_THREADS_MAX 64
/* Stack traces: frames unwound per thread (systemd's FRAMES_MAX); deeper frames are left out. */
#define BACKTRACE_FRAMES_MAX 64
/* Stack traces: modules (mapped ELF objects) listed per core; the others are left out. */
#define BACKTRACE_MODULES_MAX 1024
/* Stack traces: bytes of a symbol or module name; longer names are cut. */
#define BACKTRACE_NAME_SIZE_MAX (4 * KIB)
/* Stack trace text for MESSAGE; cut after the last whole line that fits. */
#define BACKTRACE_TEXT_SIZE_MAX (256 * KIB)
/* Output of the analysis child; beyond it the child is killed and the result is partial. */
#define BACKTRACE_OUTPUT_SIZE_MAX (4 * MIB)
/* A .note.package descriptor (JSON text); a larger note is ignored. */
#define BACKTRACE_PACKAGE_NOTE_SIZE_MAX (64 * KIB)
/* Nesting depth of a .note.package JSON value; a deeper note is ignored. */
#define BACKTRACE_PACKAGE_NOTE_DEPTH_MAX 16
/* Nesting depth of one line of the analysis child's output (a note plus its envelope). */
#define BACKTRACE_OUTPUT_DEPTH_MAX (BACKTRACE_PACKAGE_NOTE_DEPTH_MAX + 4)
/* The compact core kept for stack traces: bytes above each thread's stack pointer, threads whose
 * stacks are kept, and the whole compact core. */
#define COMPACT_STACK_MAX (1 * MIB)
#define COMPACT_THREADS_MAX 256
#define COMPACT_SIZE_MAX (64 * MIB)
/* Writable segments up to this size are kept whole in the compact core (.dynamic, link_map). */
#define COMPACT_WRITABLE_SEGMENT_MAX (256 * KIB)
/* Socket mode: the largest coredump request the kernel may send (systemd's limit); larger is refused. */
#define COREDUMP_REQUEST_SIZE_MAX 4096
/* Socket mode: how long the request and marker reads of the handshake may block. */
#define COREDUMP_HANDSHAKE_TIMEOUT_USEC ((uint64_t) 5 * 1000 * 1000)
/* corejournald: worker threads, and connections accepted but not yet taken by a worker. */
#define DAEMON_WORKERS_MAX 64
#define DAEMON_QUEUE_MAX 4096
/* corejournald: executables and units the rate limiter remembers together; the stalest entry
 * makes room for a new one. */
#define RATELIMIT_KEYS_MAX 1024
/* Pipe-mode handoff to corejournald: the largest message read from the handoff socket (a larger one
 * is refused as oversized), the context record that travels beside it (a sealed memfd), one field of
 * that record and its number of fields. */
#define HANDOFF_MESSAGE_SIZE_MAX 4096
#define HANDOFF_CONTEXT_SIZE_MAX (64 * MIB)
#define HANDOFF_CONTEXT_FIELD_SIZE_MAX (16 * MIB)
#define HANDOFF_CONTEXT_FIELDS_MAX 256
/* How long the handler waits for corejournald to accept or refuse a crash before processing it
 * itself, and how long the daemon waits for the handler's confirmation afterwards. */
#define HANDOFF_ANSWER_TIMEOUT_USEC ((uint64_t) 1000 * 1000)
/* corejournald: how long a handoff connection may stay silent before it is dropped, how many may
 * wait for their offer at once, and the bytes of context records queued for the workers (past it
 * new offers are refused and handlers process their crashes themselves). */
#define HANDOFF_RECEIVE_TIMEOUT_USEC ((uint64_t) 2 * 1000 * 1000)
#define HANDOFF_INTAKE_MAX 1024
#define HANDOFF_QUEUED_CONTEXT_MAX (256 * MIB)
/* corejournald: retrying the spool after the journal refused a record, from the first interval,
 * doubling, to the last. */
#define SPOOL_RETRY_INTERVAL_MIN_USEC ((uint64_t) 1000 * 1000)
#define SPOOL_RETRY_INTERVAL_MAX_USEC ((uint64_t) 60 * 1000 * 1000)
