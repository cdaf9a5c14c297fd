/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "collect-config.h"
#include "export-record.h"
#include "export-sink-journal.h"
#include "io.h"
#include "input-limits.h"

/* What systemd's config parser treats as whitespace and as comment starts. */
#define WHITESPACE " \t\n\r"
#define COMMENTS "#;"

#define USEC_PER_MSEC ((uint64_t) 1000)
#define USEC_PER_SEC ((uint64_t) 1000 * USEC_PER_MSEC)
#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MINUTE)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)
#define USEC_PER_WEEK (7 * USEC_PER_DAY)
#define USEC_PER_MONTH (2629800 * USEC_PER_SEC)  /* 30.44 days, as systemd counts a month */
#define USEC_PER_YEAR (31557600 * USEC_PER_SEC)  /* 365.25 days */
#define USEC_INFINITY UINT64_MAX

/* How much of a bad value a diagnostic quotes. */
#define DIAGNOSTIC_VALUE_MAX 64

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *strip(char *s) {
        s += strspn(s, WHITESPACE);
        size_t n = strlen(s);
        while (n > 0 && strchr(WHITESPACE, s[n - 1]))
                n--;
        s[n] = 0;
        return s;
}

/* ---- storage names ---------------------------------------------------------------------- */

static const char *const storage_table[_COREDUMP_STORAGE_MAX] = {
        [COREDUMP_STORAGE_NONE] = "none",
        [COREDUMP_STORAGE_EXTERNAL] = "external",
        [COREDUMP_STORAGE_JOURNAL] = "journal",
};

/* The index of s in a table of names, or -EINVAL. */
static int name_lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; s && i < n; i++)
                if (strcmp(s, table[i]) == 0)
                        return i;
        return -EINVAL;
}

const char *coredump_storage_to_string(CoredumpStorage storage) {
        if (storage < 0 || storage >= _COREDUMP_STORAGE_MAX)
                return NULL;
        return storage_table[storage];
}

CoredumpStorage coredump_storage_from_string(const char *s) {
        return (CoredumpStorage) name_lookup(storage_table, _COREDUMP_STORAGE_MAX, s);
}

static const char *const forward_table[_COREDUMP_FORWARD_MAX] = {
        [COREDUMP_FORWARD_LOCAL] = "local",
        [COREDUMP_FORWARD_EMBED] = "embed",
        [COREDUMP_FORWARD_FIRST] = "first",
};

const char *coredump_forward_to_string(CoredumpForward forward) {
        if (forward < 0 || forward >= _COREDUMP_FORWARD_MAX)
                return NULL;
        return forward_table[forward];
}

CoredumpForward coredump_forward_from_string(const char *s) {
        return (CoredumpForward) name_lookup(forward_table, _COREDUMP_FORWARD_MAX, s);
}

/* ---- value parsers ------------------------------------------------------------------------ */

/* Reads a run of decimal digits; -ERANGE when it does not fit. */
static int parse_digits(const char **p, uint64_t *ret) {
        uint64_t v = 0;
        const char *s = *p;

        for (; is_digit(*s); s++) {
                unsigned d = (unsigned) (*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *p = s;
        *ret = v;
        return 0;
}

int collect_config_parse_size(const char *s, uint64_t *ret) {
        /* Tried in this order; each later component of a value must use a smaller unit. */
        static const struct {
                char suffix; /* 0: no suffix, which always matches */
                uint64_t factor;
        } table[] = {
                { 'E', 1024 * 1024 * 1024 * GIB },
                { 'P', 1024 * 1024 * GIB },
                { 'T', 1024 * GIB },
                { 'G', GIB },
                { 'M', MIB },
                { 'K', KIB },
                { 'B', 1 },
                { 0, 1 },
        };
        const char *p = s;
        uint64_t sum = 0;
        size_t start = 0;
        int r;

        if (!s)
                return -EINVAL;

        do {
                uint64_t l;
                double frac = 0;
                size_t i;

                p += strspn(p, WHITESPACE);
                if (*p == '-')
                        return -ERANGE;
                if (!is_digit(*p))
                        return -EINVAL;
                r = parse_digits(&p, &l);
                if (r < 0)
                        return r;
                if (*p == '.') {
                        double scale = 0.1;
                        for (p++; is_digit(*p); p++, scale /= 10)
                                frac += (*p - '0') * scale;
                }
                p += strspn(p, WHITESPACE);

                for (i = start; i < ELEMENTSOF(table); i++)
                        if (table[i].suffix == 0 || *p == table[i].suffix)
                                break;
                if (i >= ELEMENTSOF(table))
                        return -EINVAL;

                uint64_t factor = table[i].factor;
                if (l + (frac > 0) > UINT64_MAX / factor)
                        return -ERANGE;
                uint64_t v = l * factor + (uint64_t) (frac * (double) factor);
                if (v > UINT64_MAX - sum)
                        return -ERANGE;
                sum += v;

                if (table[i].suffix != 0)
                        p++;
                start = i + 1;
        } while (*p);

        *ret = sum;
        return 0;
}

int collect_config_parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "no", "n", "false", "f", "off" };

        if (!s)
                return -EINVAL;
        if (strcmp(s, "1") == 0) {
                *ret = true;
                return 0;
        }
        if (strcmp(s, "0") == 0) {
                *ret = false;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

/* Returns what follows a time unit at p and sets *ret to its length in µs, or returns p. */
static const char *timespan_unit(const char *p, uint64_t *ret) {
        /* Longer spellings first where one is a prefix of another, as systemd tries them. */
        static const struct {
                const char *suffix;
                uint64_t usec;
        } table[] = {
                { "seconds", USEC_PER_SEC },
                { "second", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "minutes", USEC_PER_MINUTE },
                { "minute", USEC_PER_MINUTE },
                { "min", USEC_PER_MINUTE },
                { "months", USEC_PER_MONTH },
                { "month", USEC_PER_MONTH },
                { "M", USEC_PER_MONTH },
                { "msec", USEC_PER_MSEC },
                { "ms", USEC_PER_MSEC },
                { "m", USEC_PER_MINUTE },
                { "hours", USEC_PER_HOUR },
                { "hour", USEC_PER_HOUR },
                { "hr", USEC_PER_HOUR },
                { "h", USEC_PER_HOUR },
                { "days", USEC_PER_DAY },
                { "day", USEC_PER_DAY },
                { "d", USEC_PER_DAY },
                { "weeks", USEC_PER_WEEK },
                { "week", USEC_PER_WEEK },
                { "w", USEC_PER_WEEK },
                { "years", USEC_PER_YEAR },
                { "year", USEC_PER_YEAR },
                { "y", USEC_PER_YEAR },
                { "usec", 1 },
                { "us", 1 },
                { "\xce\xbcs", 1 }, /* U+03BC GREEK SMALL LETTER MU */
                { "\xc2\xb5s", 1 }, /* U+00B5 MICRO SIGN */
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (startswith(p, table[i].suffix)) {
                        *ret = table[i].usec;
                        return p + strlen(table[i].suffix);
                }
        return p;
}

int collect_config_parse_timespan(const char *s, uint64_t *ret_usec) {
        const char *p;
        uint64_t usec = 0;
        bool something = false;
        int r;

        if (!s)
                return -EINVAL;

        p = s + strspn(s, WHITESPACE);
        if (startswith(p, "infinity")) {
                p += strlen("infinity");
                if (p[strspn(p, WHITESPACE)] != 0)
                        return -EINVAL;
                *ret_usec = USEC_INFINITY;
                return 0;
        }

        for (;;) {
                uint64_t multiplier = USEC_PER_SEC, l = 0, k;
                const char *e, *u;

                p += strspn(p, WHITESPACE);
                if (*p == 0) {
                        if (!something)
                                return -EINVAL;
                        break;
                }
                if (*p == '-')
                        return -ERANGE;
                if (!is_digit(*p) && *p != '.')
                        return -EINVAL;

                e = p;
                r = parse_digits(&e, &l);
                if (r < 0)
                        return r;
                /* e: end of the integer part; p: end of the number including its fraction */
                p = e;
                if (*e == '.')
                        for (p = e + 1; is_digit(*p); p++)
                                ;

                u = p + strspn(p, WHITESPACE);
                const char *after = timespan_unit(u, &multiplier);
                if (after == p && *after != 0)
                        return -EINVAL; /* "12.34.56", "5x" */
                p = after;

                if (l >= USEC_INFINITY / multiplier)
                        return -ERANGE;
                k = l * multiplier;
                if (k >= USEC_INFINITY - usec)
                        return -ERANGE;
                usec += k;
                something = true;

                if (*e == '.') {
                        uint64_t m = multiplier / 10;
                        const char *b;

                        for (b = e + 1; is_digit(*b); b++, m /= 10) {
                                k = (uint64_t) (*b - '0') * m;
                                if (k >= USEC_INFINITY - usec)
                                        return -ERANGE;
                                usec += k;
                        }
                        if (b == e + 1)
                                return -EINVAL; /* "3.s", "3." */
                }
        }

        *ret_usec = usec;
        return 0;
}

static int parse_unsigned(const char *s, unsigned *ret) {
        uint64_t v;
        int r;

        if (!is_digit(*s))
                return -EINVAL;
        r = parse_digits(&s, &v);
        if (r < 0)
                return r;
        if (*s != 0)
                return -EINVAL;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

/* Normalizes an absolute path in place: repeated and trailing slashes and "." components go.
 * -EINVAL for a relative path or one with a ".." component, -ENAMETOOLONG past PATH_MAX. */
static int path_normalize(char *path) {
        char *w = path;

        if (path[0] != '/')
                return -EINVAL;
        if (strlen(path) >= PATH_MAX)
                return -ENAMETOOLONG;

        for (const char *r = path; *r;) {
                size_t n;

                r += strspn(r, "/");
                n = strcspn(r, "/");
                if (n == 0)
                        break;
                if (n == 1 && r[0] == '.') {
                        r += n;
                        continue;
                }
                if (n == 2 && r[0] == '.' && r[1] == '.')
                        return -EINVAL;
                *w++ = '/';
                memmove(w, r, n);
                w += n;
                r += n;
        }
        if (w == path)
                *w++ = '/';
        *w = 0;
        return 0;
}

/* ---- diagnostics ------------------------------------------------------------------------------ */

void collect_config_diagnostics_done(CollectConfigDiagnostics *diag) {
        if (!diag)
                return;
        for (size_t i = 0; i < diag->n_messages; i++)
                free(diag->messages[i]);
        free(diag->messages);
        *diag = (CollectConfigDiagnostics) {};
}

/* Copies s with every byte outside printable ASCII (and the backslash) written as \xNN, so
 * that a hostile value or file name cannot forge log lines; cut after max bytes of s. */
static char *escape(const char *s, size_t max) {
        size_t n = strnlen(s, max), extra = strlen(s) > n ? 3 : 0;
        char *out = malloc(n * 4 + extra + 1), *w = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c >= 0x7f || c == '\\')
                        w += sprintf(w, "\\x%02x", c);
                else
                        *w++ = (char) c;
        }
        if (extra) {
                memcpy(w, "...", 3);
                w += 3;
        }
        *w = 0;
        return out;
}

typedef struct Parser {
        CollectConfigDiagnostics *diag;
        const char *filename;
        unsigned n_problems;
} Parser;

/* Records one problem; line 0 means the whole file. Returns 0 or -ENOMEM. */
_printf_(3, 4)
static int report(Parser *p, unsigned line, const char *format, ...) {
        _cleanup_(freep) char *text = NULL, *name = NULL;
        char *message = NULL;
        va_list ap;
        int r;

        p->n_problems++;
        if (!p->diag)
                return 0;
        if (p->diag->n_messages >= CONFIG_DIAGNOSTICS_MAX) {
                p->diag->n_suppressed++;
                return 0;
        }

        va_start(ap, format);
        r = vasprintf(&text, format, ap);
        va_end(ap);
        if (r < 0) {
                text = NULL;
                return -ENOMEM;
        }
        name = escape(p->filename, PATH_MAX);
        if (!name)
                return -ENOMEM;
        if (line > 0)
                r = asprintf(&message, "%s:%u: %s", name, line, text);
        else
                r = asprintf(&message, "%s: %s", name, text);
        if (r < 0)
                return -ENOMEM;

        char **m = reallocarray(p->diag->messages, p->diag->n_messages + 1, sizeof(char *));
        if (!m) {
                free(message);
                return -ENOMEM;
        }
        p->diag->messages = m;
        m[p->diag->n_messages++] = message;
        return 0;
}

/* Reports a value that does not parse, quoting it safely. */
static int report_bad_value(Parser *p, unsigned line, const char *key, const char *value, const char *expected) {
        _cleanup_(freep) char *v = escape(value, DIAGNOSTIC_VALUE_MAX);
        if (!v)
                return -ENOMEM;
        return report(p, line, "invalid %s= value '%s' (expected %s), ignoring", key, v, expected);
}

/* ---- keys ------------------------------------------------------------------------------------- */

typedef enum KeyType {
        KEY_STORAGE,
        KEY_BOOLEAN,
        KEY_SIZE,
        KEY_TIMESPAN,
        KEY_UNSIGNED,
        KEY_PATH,
        KEY_URL,     /* http:// or https://, checked in full where it is used */
        KEY_FORWARD,
        KEY_AUTO_OR_NO, /* a bool: "auto" is true, a false boolean false */
} KeyType;

enum {
        KEY_INFINITY = 1 << 0, /* a size that also takes "infinity" */
        KEY_POSITIVE = 1 << 1, /* 0 is refused */
        KEY_FILE = 1 << 2,     /* a path naming a file, not "/" */
        KEY_SOCKET = 1 << 3,   /* a path that must fit in sockaddr_un */
};

typedef struct KeyDef {
        const char *name;
        KeyType type;
        unsigned flags;
        size_t offset;
        uint64_t default_number; /* storage, boolean, size, time span, unsigned */
        const char *default_path;
        uint64_t cap;            /* a size above this is lowered to it; 0: none */
} KeyDef;

#define FIELD(f) offsetof(CollectConfig, f)

static const KeyDef keys[] = {
        /* systemd's [Coredump] keys */
        { "Storage", KEY_STORAGE, 0, FIELD(storage), COREDUMP_STORAGE_EXTERNAL, NULL, 0 },
        { "Compress", KEY_BOOLEAN, 0, FIELD(compress), true, NULL, 0 },
        { "ProcessSizeMax", KEY_SIZE, 0, FIELD(process_size_max), COREDUMP_PROCESS_SIZE_MAX_DEFAULT, NULL, 0 },
        { "ExternalSizeMax", KEY_SIZE, KEY_INFINITY, FIELD(external_size_max),
          COREDUMP_EXTERNAL_SIZE_MAX_DEFAULT, NULL, 0 },
        { "JournalSizeMax", KEY_SIZE, 0, FIELD(journal_size_max), COREDUMP_JOURNAL_SIZE_MAX_DEFAULT, NULL,
          COREDUMP_JOURNAL_SIZE_MAX_DEFAULT },
        { "MaxUse", KEY_SIZE, 0, FIELD(max_use), COREDUMP_SIZE_AUTOMATIC, NULL, 0 },
        { "KeepFree", KEY_SIZE, 0, FIELD(keep_free), COREDUMP_SIZE_AUTOMATIC, NULL, 0 },
        { "EnterNamespace", KEY_BOOLEAN, 0, FIELD(enter_namespace), false, NULL, 0 },
        /* corejournal extensions */
        { "JournalSocket", KEY_PATH, KEY_FILE | KEY_SOCKET, FIELD(journal_socket), 0, JOURNAL_SOCKET_DEFAULT, 0 },
        { "DeliverAsUser", KEY_BOOLEAN, 0, FIELD(deliver_as_user), true, NULL, 0 },
        { "ExportFile", KEY_PATH, KEY_FILE, FIELD(export_file), 0, NULL, 0 },
        { "StorageDirectory", KEY_PATH, 0, FIELD(storage_dir), 0, COREDUMP_STORAGE_DIR, 0 },
        { "SpoolDirectory", KEY_PATH, 0, FIELD(spool_dir), 0, SPOOL_DIR, 0 },
        { "BacktraceTimeoutSec", KEY_TIMESPAN, KEY_POSITIVE, FIELD(backtrace_timeout_usec),
          COREDUMP_BACKTRACE_TIMEOUT_USEC_DEFAULT, NULL, 0 },
        { "BacktraceMemoryMax", KEY_SIZE, KEY_POSITIVE, FIELD(backtrace_memory_max),
          COREDUMP_BACKTRACE_MEMORY_MAX_DEFAULT, NULL, 0 },
        { "BacktraceDebuginfod", KEY_BOOLEAN, 0, FIELD(backtrace_debuginfod), false, NULL, 0 },
        { "RateLimitIntervalSec", KEY_TIMESPAN, 0, FIELD(ratelimit_interval_usec),
          COREDUMP_RATELIMIT_INTERVAL_USEC_DEFAULT, NULL, 0 },
        { "RateLimitBurst", KEY_UNSIGNED, 0, FIELD(ratelimit_burst), COREDUMP_RATELIMIT_BURST_DEFAULT, NULL, 0 },
        { "UploadURL", KEY_URL, 0, FIELD(upload_url), 0, NULL, 0 },
        { "UploadKeyFile", KEY_PATH, KEY_FILE, FIELD(upload_key_file), 0, NULL, 0 },
        { "UploadCertificateFile", KEY_PATH, KEY_FILE, FIELD(upload_cert_file), 0, NULL, 0 },
        { "UploadTrustedCertificateFile", KEY_PATH, KEY_FILE, FIELD(upload_trust_file), 0, NULL, 0 },
        { "UploadTimeoutSec", KEY_TIMESPAN, KEY_POSITIVE, FIELD(upload_timeout_usec),
          COREDUMP_UPLOAD_TIMEOUT_USEC_DEFAULT, NULL, 0 },
        { "ForwardCore", KEY_FORWARD, 0, FIELD(forward_core), COREDUMP_FORWARD_LOCAL, NULL, 0 },
        { "ForwardCoreSizeMax", KEY_SIZE, 0, FIELD(forward_core_size_max), COREDUMP_FORWARD_CORE_SIZE_MAX_DEFAULT,
          NULL, COREDUMP_JOURNAL_SIZE_MAX_DEFAULT },
        { "ForwardCoreFirst", KEY_UNSIGNED, 0, FIELD(forward_core_first), COREDUMP_FORWARD_CORE_FIRST_DEFAULT, NULL, 0 },
        { "StateDirectory", KEY_PATH, 0, FIELD(state_dir), 0, STATE_DIR, 0 },
        { "DebugInfoCacheDirectory", KEY_PATH, 0, FIELD(debuginfo_cache_dir), 0, DEBUGINFO_CACHE_DIR, 0 },
        { "DebugInfoCacheMax", KEY_SIZE, 0, FIELD(debuginfo_cache_max), COREDUMP_DEBUGINFO_CACHE_MAX_DEFAULT, NULL, 0 },
        { "Handoff", KEY_AUTO_OR_NO, 0, FIELD(handoff), true, NULL, 0 },
        { "HandoffSocket", KEY_PATH, KEY_FILE | KEY_SOCKET, FIELD(handoff_socket), 0, COREDUMP_HANDOFF_SOCKET_DEFAULT, 0 },
};

static void *field_of(CollectConfig *c, const KeyDef *k) {
        return (uint8_t *) c + k->offset;
}

/* Sets key k of c to its default. Returns 0 or -ENOMEM (c unchanged). */
static int key_reset(CollectConfig *c, const KeyDef *k) {
        void *f = field_of(c, k);

        switch (k->type) {
        case KEY_STORAGE:
                *(CoredumpStorage *) f = (CoredumpStorage) k->default_number;
                return 0;
        case KEY_BOOLEAN:
        case KEY_AUTO_OR_NO:
                *(bool *) f = k->default_number != 0;
                return 0;
        case KEY_SIZE:
        case KEY_TIMESPAN:
                *(uint64_t *) f = k->default_number;
                return 0;
        case KEY_UNSIGNED:
                *(unsigned *) f = (unsigned) k->default_number;
                return 0;
        case KEY_FORWARD:
                *(CoredumpForward *) f = (CoredumpForward) k->default_number;
                return 0;
        case KEY_PATH:
        case KEY_URL: {
                char *copy = NULL;
                if (k->default_path) {
                        copy = strdup(k->default_path);
                        if (!copy)
                                return -ENOMEM;
                }
                free(*(char **) f);
                *(char **) f = copy;
                return 0;
        }
        }
        return 0;
}

static int key_assign_path(Parser *p, CollectConfig *c, const KeyDef *k, unsigned line, const char *value) {
        _cleanup_(freep) char *path = strdup(value);
        int r;

        if (!path)
                return -ENOMEM;
        r = path_normalize(path);
        if (r == -ENAMETOOLONG)
                return report_bad_value(p, line, k->name, value, "a path shorter than PATH_MAX");
        if (r < 0)
                return report_bad_value(p, line, k->name, value, "an absolute path without \"..\"");
        if ((k->flags & KEY_FILE) && strcmp(path, "/") == 0)
                return report_bad_value(p, line, k->name, value, "the path of a file");
        if ((k->flags & KEY_SOCKET) && strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return report_bad_value(p, line, k->name, value, "a socket path shorter than 108 bytes");

        char **f = field_of(c, k);
        free(*f);
        *f = TAKE_PTR(path);
        return 0;
}

/* Applies "key=value" from a [Coredump] section. Returns 0 or -ENOMEM. */
static int key_assign(Parser *p, CollectConfig *c, const KeyDef *k, unsigned line, const char *value) {
        void *f = field_of(c, k);
        int r;

        /* An empty value restores the default, so that a drop-in can undo an earlier file. */
        if (value[0] == 0)
                return key_reset(c, k);

        switch (k->type) {
        case KEY_STORAGE: {
                CoredumpStorage s = coredump_storage_from_string(value);
                if (s < 0)
                        return report_bad_value(p, line, k->name, value, "none, external or journal");
                *(CoredumpStorage *) f = s;
                return 0;
        }
        case KEY_BOOLEAN: {
                bool b;
                if (collect_config_parse_boolean(value, &b) < 0)
                        return report_bad_value(p, line, k->name, value, "a boolean such as yes or no");
                *(bool *) f = b;
                return 0;
        }
        case KEY_SIZE: {
                uint64_t v;
                if ((k->flags & KEY_INFINITY) && strcmp(value, "infinity") == 0)
                        v = COREDUMP_SIZE_INFINITY;
                else {
                        r = collect_config_parse_size(value, &v);
                        if (r < 0)
                                return report_bad_value(p, line, k->name, value,
                                                        k->flags & KEY_INFINITY ?
                                                        "a size such as 2G, or infinity" :
                                                        "a size such as 512M");
                }
                if ((k->flags & KEY_POSITIVE) && v == 0)
                        return report_bad_value(p, line, k->name, value, "a size above 0");
                if (k->cap > 0 && v > k->cap) {
                        r = report(p, line, "%s= is larger than journald accepts, lowered to %" PRIu64 "M",
                                   k->name, k->cap / MIB);
                        if (r < 0)
                                return r;
                        v = k->cap;
                }
                *(uint64_t *) f = v;
                return 0;
        }
        case KEY_TIMESPAN: {
                uint64_t v;
                r = collect_config_parse_timespan(value, &v);
                if (r < 0 || v == USEC_INFINITY)
                        return report_bad_value(p, line, k->name, value, "a finite time span such as 10s or 500ms");
                if ((k->flags & KEY_POSITIVE) && v == 0)
                        return report_bad_value(p, line, k->name, value, "a time span above 0");
                *(uint64_t *) f = v;
                return 0;
        }
        case KEY_UNSIGNED: {
                unsigned v;
                if (parse_unsigned(value, &v) < 0)
                        return report_bad_value(p, line, k->name, value, "a non-negative integer");
                *(unsigned *) f = v;
                return 0;
        }
        case KEY_PATH:
                return key_assign_path(p, c, k, line, value);
        case KEY_URL: {
                if ((strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0) ||
                    strpbrk(value, " \t"))
                        return report_bad_value(p, line, k->name, value, "a URL starting with http:// or https://");
                char *copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
                free(*(char **) f);
                *(char **) f = copy;
                return 0;
        }
        case KEY_FORWARD: {
                CoredumpForward v = coredump_forward_from_string(value);
                if (v < 0)
                        return report_bad_value(p, line, k->name, value, "local, embed or first");
                *(CoredumpForward *) f = v;
                return 0;
        }
        case KEY_AUTO_OR_NO: {
                bool b = true;
                if (strcmp(value, "auto") != 0 && (collect_config_parse_boolean(value, &b) < 0 || b))
                        return report_bad_value(p, line, k->name, value, "auto or no");
                *(bool *) f = b;
                return 0;
        }
        }
        return 0;
}

void collect_config_done(CollectConfig *c) {
        if (!c)
                return;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (keys[i].type == KEY_PATH || keys[i].type == KEY_URL) {
                        char **f = field_of(c, &keys[i]);
                        free(*f);
                        *f = NULL;
                }
}

int collect_config_init(CollectConfig *ret) {
        _cleanup_(collect_config_done) CollectConfig c = {};
        int r;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                r = key_reset(&c, &keys[i]);
                if (r < 0)
                        return r;
        }
        *ret = c;
        c = (CollectConfig) {};
        return 0;
}

/* ---- lines ------------------------------------------------------------------------------------ */

typedef enum Section {
        SECTION_NONE,     /* before any section header */
        SECTION_COREDUMP,
        SECTION_IGNORED,  /* an unknown or malformed section: its lines are skipped */
} Section;

/* Handles one logical line (continuations joined, NUL-terminated, modified in place). */
static int parse_line(Parser *p, CollectConfig *c, Section *section, unsigned line, char *l) {
        _cleanup_(freep) char *escaped = NULL;
        char *eq, *key, *value;

        l = strip(l);
        if (l[0] == 0)
                return 0;

        if (!export_value_is_text(l, strlen(l)))
                return report(p, line, "line is not valid UTF-8 text or holds control characters, ignoring");

        if (l[0] == '[') {
                size_t n = strlen(l);
                if (n < 2 || l[n - 1] != ']') {
                        *section = SECTION_IGNORED;
                        escaped = escape(l, DIAGNOSTIC_VALUE_MAX);
                        if (!escaped)
                                return -ENOMEM;
                        return report(p, line, "invalid section header '%s', ignoring the lines below it", escaped);
                }
                l[n - 1] = 0;
                if (strcmp(l + 1, "Coredump") == 0) {
                        *section = SECTION_COREDUMP;
                        return 0;
                }
                *section = SECTION_IGNORED;
                if (startswith(l + 1, "X-"))
                        return 0;
                escaped = escape(l + 1, DIAGNOSTIC_VALUE_MAX);
                if (!escaped)
                        return -ENOMEM;
                return report(p, line, "unknown section [%s], ignoring it", escaped);
        }

        if (*section == SECTION_IGNORED)
                return 0;
        if (*section == SECTION_NONE)
                return report(p, line, "assignment outside of a section, ignoring");

        eq = strchr(l, '=');
        if (!eq)
                return report(p, line, "missing '=', ignoring line");
        *eq = 0;
        key = strip(l);
        value = strip(eq + 1);
        if (key[0] == 0)
                return report(p, line, "missing key name before '=', ignoring line");

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(key, keys[i].name) == 0)
                        return key_assign(p, c, &keys[i], line, value);

        if (startswith(key, "X-"))
                return 0;
        escaped = escape(key, DIAGNOSTIC_VALUE_MAX);
        if (!escaped)
                return -ENOMEM;
        return report(p, line, "unknown key '%s' in section [Coredump], ignoring", escaped);
}

/* True when a line ends in a backslash that is not itself escaped: an odd run of them. */
static bool ends_in_continuation(const char *s, size_t n) {
        size_t k = 0;
        while (k < n && s[n - 1 - k] == '\\')
                k++;
        return k % 2 == 1;
}

int collect_config_parse_buffer(
                CollectConfig *c,
                const char *filename,
                const char *text,
                size_t size,
                CollectConfigDiagnostics *diag) {

        Parser p = { .diag = diag, .filename = filename ?: "(buffer)" };
        _cleanup_(freep) char *logical = NULL; /* the logical line being assembled */
        size_t logical_size = 0, pos = 0;
        unsigned line = 0, logical_line = 0;
        bool continuing = false, skipping = false;
        Section section = SECTION_NONE;
        int r;

        if (!c || (!text && size > 0))
                return -EINVAL;

        logical = malloc(CONFIG_LINE_MAX + 1);
        if (!logical)
                return -ENOMEM;

        /* A UTF-8 byte order mark at the very start is ignored, as systemd does. */
        if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                pos = 3;

        while (pos < size) {
                /* A physical line ends at \n, \r, \r\n or NUL, as systemd's read_line() has it. */
                const char *s = text + pos;
                size_t n = 0;
                while (pos + n < size && s[n] != '\n' && s[n] != '\r' && s[n] != 0)
                        n++;
                pos += n;
                if (pos < size) {
                        if (text[pos] == '\r' && pos + 1 < size && text[pos + 1] == '\n')
                                pos++;
                        pos++;
                }
                line++;

                /* Comment lines are dropped even inside a continued line. */
                size_t lead = 0;
                while (lead < n && strchr(WHITESPACE, s[lead]))
                        lead++;
                if (lead < n && strchr(COMMENTS, s[lead]))
                        continue;

                bool more = ends_in_continuation(s, n);
                if (skipping) {
                        /* Dropping the rest of a logical line that was too long. */
                        skipping = more;
                        continue;
                }

                if (!continuing) {
                        logical_size = 0;
                        logical_line = line;
                }
                if (n > CONFIG_LINE_MAX - logical_size) {
                        r = report(&p, logical_line, "line longer than %zu bytes, ignoring", (size_t) CONFIG_LINE_MAX);
                        if (r < 0)
                                return r;
                        continuing = false;
                        skipping = more;
                        continue;
                }
                memcpy(logical + logical_size, s, n);
                logical_size += n;

                if (more) {
                        logical[logical_size - 1] = ' '; /* the backslash becomes a space */
                        continuing = true;
                        continue;
                }

                logical[logical_size] = 0;
                continuing = false;
                r = parse_line(&p, c, &section, logical_line, logical);
                if (r < 0)
                        return r;
        }

        /* The file ended inside a continued line: systemd still applies what it has. */
        if (continuing) {
                logical[logical_size] = 0;
                r = parse_line(&p, c, &section, logical_line, logical);
                if (r < 0)
                        return r;
        }

        return (int) (p.n_problems > INT_MAX ? INT_MAX : p.n_problems);
}

/* ---- files ------------------------------------------------------------------------------------ */

/* The directories systemd searches, highest priority first, relative to the root. */
static const char *const search_dirs[] = {
        "etc/systemd",
        "run/systemd",
        "usr/local/lib/systemd",
        "usr/lib/systemd",
};

/* Opens path (relative) below root_fd, resolving symlinks as if root_fd were "/". */
static int open_in_root(int root_fd, const char *path, int flags) {
        int fd;

        if (root_fd == AT_FDCWD) {
                _cleanup_(freep) char *abs = NULL;
                if (asprintf(&abs, "/%s", path) < 0)
                        return -ENOMEM;
                fd = openat(AT_FDCWD, abs, flags);
                return fd < 0 ? negative_errno() : fd;
        }

        struct open_how how = {
                .flags = (uint64_t) flags,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        if (fd < 0 && (errno == ENOSYS || errno == EPERM))
                /* No openat2() (old kernel or seccomp): symlinks then resolve from the real root. */
                fd = openat(root_fd, path, flags);
        return fd < 0 ? negative_errno() : fd;
}

/* Reads a configuration file from an open fd. A character device that is /dev/null (a masked
 * file) reads as empty. -EISDIR, -EINVAL for another non-regular file, -EFBIG past
 * CONFIG_FILE_SIZE_MAX. */
static int read_config_fd(int fd, char **ret, size_t *ret_size, struct stat *ret_stat) {
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
                char *empty = strdup("");
                if (!empty)
                        return -ENOMEM;
                *ret = empty;
                *ret_size = 0;
                *ret_stat = st;
                return 0;
        }
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > (off_t) CONFIG_FILE_SIZE_MAX)
                return -EFBIG;

        _cleanup_(freep) char *data = NULL;
        size_t size;
        r = io_read_all(fd, CONFIG_FILE_SIZE_MAX, &data, &size);
        if (r < 0)
                return r;
        if (r > 0)
                return -EFBIG; /* grew while we read it */
        *ret = TAKE_PTR(data);
        *ret_size = size;
        *ret_stat = st;
        return 0;
}

static int report_file_error(Parser *p, int error) {
        switch (error) {
        case -EFBIG:
                return report(p, 0, "file is larger than %zu bytes, ignoring it", (size_t) CONFIG_FILE_SIZE_MAX);
        case -EISDIR:
                return report(p, 0, "is a directory, ignoring it");
        case -EINVAL:
                return report(p, 0, "is not a regular file, ignoring it");
        default:
                errno = -error;
                return report(p, 0, "cannot read file, ignoring it: %m");
        }
}

/* Opens and applies one file of the search path. Returns problems found or -ENOMEM. fd is
 * consumed. */
static int apply_file_fd(CollectConfig *c, int fd, const char *display_name, CollectConfigDiagnostics *diag) {
        _cleanup_(closep) int owned = fd;
        _cleanup_(freep) char *data = NULL;
        Parser p = { .diag = diag, .filename = display_name };
        struct stat st;
        size_t size;
        int r;

        r = read_config_fd(owned, &data, &size, &st);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = report_file_error(&p, r);
                return r < 0 ? r : (int) p.n_problems;
        }
        return collect_config_parse_buffer(c, display_name, data, size, diag);
}

typedef struct DropIn {
        char *name;       /* file name in its directory */
        size_t dir_index; /* index into search_dirs */
} DropIn;

static int dropin_compare(const void *a, const void *b) {
        return strcmp(((const DropIn *) a)->name, ((const DropIn *) b)->name);
}

typedef struct DropInList {
        DropIn *items;
        size_t n;
} DropInList;

static void dropin_list_done(DropInList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].name);
        free(l->items);
        *l = (DropInList) {};
}

static bool dropin_name_valid(const struct dirent *de) {
        size_t n = strlen(de->d_name);

        if (de->d_name[0] == '.')
                return false;
        if (n <= strlen(".conf") || strcmp(de->d_name + n - strlen(".conf"), ".conf") != 0)
                return false;
        return de->d_type == DT_REG || de->d_type == DT_LNK || de->d_type == DT_UNKNOWN;
}

/* Lists the drop-ins of every search directory; a name seen in an earlier directory hides the
 * same name later. Returns problems found or -ENOMEM. */
static int dropins_collect(int root_fd, DropInList *list, Parser *p) {
        bool overflow_reported = false;
        int r;

        for (size_t d = 0; d < ELEMENTSOF(search_dirs); d++) {
                _cleanup_(freep) char *path = NULL, *display = NULL;
                if (asprintf(&path, "%s/coredump.conf.d", search_dirs[d]) < 0 ||
                    asprintf(&display, "/%s", path) < 0)
                        return -ENOMEM;

                int fd = open_in_root(root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd == -ENOENT || fd == -ENOTDIR)
                        continue;
                if (fd == -ENOMEM)
                        return fd;
                if (fd < 0) {
                        p->filename = display;
                        errno = -fd;
                        r = report(p, 0, "cannot read directory, ignoring it: %m");
                        if (r < 0)
                                return r;
                        continue;
                }
                DIR *dir = fdopendir(fd);
                if (!dir) {
                        r = negative_errno();
                        (void) safe_close(fd);
                        return r;
                }

                for (struct dirent *de; (de = readdir(dir));) {
                        if (!dropin_name_valid(de))
                                continue;
                        bool seen = false;
                        for (size_t i = 0; i < list->n && !seen; i++)
                                seen = strcmp(list->items[i].name, de->d_name) == 0;
                        if (seen)
                                continue;
                        if (list->n >= CONFIG_DROPINS_MAX) {
                                if (!overflow_reported) {
                                        p->filename = display;
                                        r = report(p, 0, "more than %d drop-in files, ignoring the rest",
                                                   CONFIG_DROPINS_MAX);
                                        if (r < 0) {
                                                closedir(dir);
                                                return r;
                                        }
                                        overflow_reported = true;
                                }
                                break;
                        }
                        DropIn *items = reallocarray(list->items, list->n + 1, sizeof(DropIn));
                        char *name = strdup(de->d_name);
                        if (items)
                                list->items = items;
                        if (!items || !name) {
                                free(name);
                                closedir(dir);
                                return -ENOMEM;
                        }
                        list->items[list->n++] = (DropIn) { .name = name, .dir_index = d };
                }
                closedir(dir);
        }

        if (list->n > 0)
                qsort(list->items, list->n, sizeof(DropIn), dropin_compare);
        return 0;
}

static int load_search_path(CollectConfig *c, int root_fd, CollectConfigDiagnostics *diag) {
        _cleanup_(dropin_list_done) DropInList dropins = {};
        Parser p = { .diag = diag };
        int total = 0, r;
        struct {
                int fd;
                char *display;
                struct stat st;
        } *opened = NULL;
        size_t n_opened = 0;

        r = dropins_collect(root_fd, &dropins, &p);
        if (r < 0)
                return r;

        /* Open every drop-in first, so that a main file that is one of them (a symlink to it or
         * from it) is read once, in the drop-in's place, as systemd does. */
        opened = calloc(dropins.n ?: 1, sizeof(*opened));
        if (!opened)
                return -ENOMEM;
        for (size_t i = 0; i < dropins.n; i++)
                opened[i].fd = -EBADF;

        for (size_t i = 0; i < dropins.n; i++) {
                _cleanup_(freep) char *path = NULL;
                if (asprintf(&path, "%s/coredump.conf.d/%s", search_dirs[dropins.items[i].dir_index],
                             dropins.items[i].name) < 0 ||
                    asprintf(&opened[i].display, "/%s", path) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
                n_opened = i + 1;
                int fd = open_in_root(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                if (fd == -ENOENT)
                        continue; /* a dangling symlink: skipped, but its name still hides others */
                if (fd < 0) {
                        p.filename = opened[i].display;
                        r = report_file_error(&p, fd);
                        if (r < 0)
                                goto finish;
                        continue;
                }
                opened[i].fd = fd;
                if (fstat(fd, &opened[i].st) < 0)
                        opened[i].st = (struct stat) {};
        }

        /* The first main file found is the only one read. */
        for (size_t d = 0; d < ELEMENTSOF(search_dirs); d++) {
                _cleanup_(freep) char *path = NULL, *display = NULL;
                struct stat st;
                if (asprintf(&path, "%s/coredump.conf", search_dirs[d]) < 0 ||
                    asprintf(&display, "/%s", path) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
                int fd = open_in_root(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                if (fd == -ENOENT || fd == -ENOTDIR)
                        continue;
                if (fd < 0) {
                        p.filename = display;
                        r = report_file_error(&p, fd);
                        if (r < 0)
                                goto finish;
                        break;
                }
                bool is_dropin = false;
                if (fstat(fd, &st) >= 0)
                        for (size_t i = 0; i < n_opened && !is_dropin; i++)
                                is_dropin = opened[i].fd >= 0 && opened[i].st.st_dev == st.st_dev &&
                                            opened[i].st.st_ino == st.st_ino;
                if (is_dropin) {
                        (void) safe_close(fd);
                        break;
                }
                r = apply_file_fd(c, fd, display, diag);
                if (r < 0)
                        goto finish;
                total += r;
                break;
        }

        for (size_t i = 0; i < n_opened; i++) {
                if (opened[i].fd < 0)
                        continue;
                r = apply_file_fd(c, TAKE_FD(opened[i].fd), opened[i].display, diag);
                if (r < 0)
                        goto finish;
                total += r;
        }

        r = total + (int) p.n_problems;

finish:
        for (size_t i = 0; i < dropins.n; i++) {
                (void) safe_close(opened[i].fd);
                free(opened[i].display);
        }
        free(opened);
        return r;
}

int collect_config_load(
                int root_fd,
                const char *override_path,
                CollectConfigDiagnostics *diag,
                CollectConfig *ret) {

        _cleanup_(collect_config_done) CollectConfig c = {};
        int r;

        if (!ret)
                return -EINVAL;

        r = collect_config_init(&c);
        if (r < 0)
                return r;

        if (override_path) {
                _cleanup_(closep) int fd = open(override_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                _cleanup_(freep) char *data = NULL;
                struct stat st;
                size_t size;

                if (fd < 0)
                        return negative_errno();
                r = read_config_fd(fd, &data, &size, &st);
                if (r < 0)
                        return r;
                r = collect_config_parse_buffer(&c, override_path, data, size, diag);
        } else
                r = load_search_path(&c, root_fd, diag);
        if (r < 0)
                return r;

        *ret = c;
        c = (CollectConfig) {};
        return r;
}
