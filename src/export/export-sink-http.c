/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "export-sink-http.h"
#include "export-writer.h"

/* libcurl is opened only when an upload is configured: linked in, it would bring some thirty
 * libraries (TLS, LDAP, Kerberos, SSH...) into every crash handler's start-up, which the crashed
 * process waits for. */
typedef struct CurlApi {
        CURLcode (*global_init)(long flags);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
        CURLcode (*easy_perform)(CURL *h);
        CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
        void (*easy_cleanup)(CURL *h);
        const char *(*easy_strerror)(CURLcode code);
        struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
        void (*slist_free_all)(struct curl_slist *l);
        CURLU *(*url)(void);
        void (*url_cleanup)(CURLU *u);
        CURLUcode (*url_set)(CURLU *u, CURLUPart what, const char *part, unsigned int flags);
        CURLUcode (*url_get)(const CURLU *u, CURLUPart what, char **part, unsigned int flags);
        const char *(*url_strerror)(CURLUcode code);
        void (*free)(void *p);
} CurlApi;

static CurlApi api;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_load_error; /* 0, -EOPNOTSUPP (no libcurl) or -ENOMEM (curl_global_init() failed) */
static char curl_load_message[200];

/* Resolves one symbol of the opened library into api; false when it is missing. */
static bool load_symbol(void *h, void *field, const char *symbol) {
        void *p = dlsym(h, symbol);
        if (!p) {
                (void) snprintf(curl_load_message, sizeof(curl_load_message), "%s lacks %s", EXPORT_HTTP_LIBCURL, symbol);
                curl_load_error = -EOPNOTSUPP;
                return false;
        }
        memcpy(field, &p, sizeof(p));
        return true;
}

/* Once per process: corejournald's workers share it (curl_global_init() is not thread-safe
 * before curl 7.84). */
static void curl_load_once(void) {
        void *h = dlopen(EXPORT_HTTP_LIBCURL, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                (void) snprintf(curl_load_message, sizeof(curl_load_message),
                                "uploading needs %s (package libcurl4): %s", EXPORT_HTTP_LIBCURL, dlerror());
                curl_load_error = -EOPNOTSUPP;
                return;
        }
        if (!load_symbol(h, &api.global_init, "curl_global_init") ||
            !load_symbol(h, &api.easy_init, "curl_easy_init") ||
            !load_symbol(h, &api.easy_setopt, "curl_easy_setopt") ||
            !load_symbol(h, &api.easy_perform, "curl_easy_perform") ||
            !load_symbol(h, &api.easy_getinfo, "curl_easy_getinfo") ||
            !load_symbol(h, &api.easy_cleanup, "curl_easy_cleanup") ||
            !load_symbol(h, &api.easy_strerror, "curl_easy_strerror") ||
            !load_symbol(h, &api.slist_append, "curl_slist_append") ||
            !load_symbol(h, &api.slist_free_all, "curl_slist_free_all") ||
            !load_symbol(h, &api.url, "curl_url") ||
            !load_symbol(h, &api.url_cleanup, "curl_url_cleanup") ||
            !load_symbol(h, &api.url_set, "curl_url_set") ||
            !load_symbol(h, &api.url_get, "curl_url_get") ||
            !load_symbol(h, &api.url_strerror, "curl_url_strerror") ||
            !load_symbol(h, &api.free, "curl_free"))
                return;
        CURLcode c = api.global_init(CURL_GLOBAL_DEFAULT);
        if (c != CURLE_OK) {
                (void) snprintf(curl_load_message, sizeof(curl_load_message), "cannot initialize libcurl: %s",
                                api.easy_strerror(c));
                curl_load_error = -ENOMEM;
        }
}

/* Loads libcurl on first use. Returns 0, or -errno with the reason in error. */
static int curl_load(char *error, size_t error_size) {
        (void) pthread_once(&curl_once, curl_load_once);
        if (curl_load_error < 0)
                (void) snprintf(error, error_size, "%s", curl_load_message);
        return curl_load_error;
}

static void free_curl_url(CURLU **u) {
        if (*u)
                api.url_cleanup(*u);
}

static void free_curl_string(char **s) {
        if (*s)
                api.free(*s);
}

int export_http_upload_url(const char *url, char **ret, char *error, size_t error_size) {
        _cleanup_(free_curl_url) CURLU *u = NULL;
        _cleanup_(free_curl_string) char *scheme = NULL, *port = NULL, *path = NULL, *part = NULL, *out = NULL;
        _cleanup_(freep) char *new_path = NULL;
        CURLUcode uc;

        if (!url || !*url) {
                (void) snprintf(error, error_size, "the upload URL is empty");
                return -EINVAL;
        }
        int r = curl_load(error, error_size);
        if (r < 0)
                return r;
        u = api.url();
        if (!u)
                return -ENOMEM;
        uc = api.url_set(u, CURLUPART_URL, url, 0);
        if (uc != CURLUE_OK) {
                (void) snprintf(error, error_size, "bad upload URL \"%s\": %s", url, api.url_strerror(uc));
                return uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        }
        if (api.url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
                (void) snprintf(error, error_size, "upload URL \"%s\" must start with http:// or https://", url);
                return -EINVAL;
        }
        static const CURLUPart refused[] = { CURLUPART_QUERY, CURLUPART_FRAGMENT, CURLUPART_USER, CURLUPART_PASSWORD };
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                if (api.url_get(u, refused[i], &part, 0) == CURLUE_OK) {
                        (void) snprintf(error, error_size,
                                        "upload URL \"%s\" may not carry a query, fragment or user name", url);
                        return -EINVAL;
                }
        }
        if (api.url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK) {
                char def[8];
                (void) snprintf(def, sizeof(def), "%d", EXPORT_HTTP_PORT_DEFAULT);
                if (api.url_set(u, CURLUPART_PORT, def, 0) != CURLUE_OK)
                        return -ENOMEM;
        }
        if (api.url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
                return -ENOMEM;
        size_t n = strlen(path);
        while (n > 0 && path[n - 1] == '/')
                n--;
        const char *suffix = "/upload";
        size_t ls = strlen(suffix);
        if (n >= ls && memcmp(path + n - ls, suffix, ls) == 0)
                ls = 0; /* already the upload endpoint */
        if (asprintf(&new_path, "%.*s%s", (int) n, path, ls > 0 ? suffix : "") < 0)
                return -ENOMEM;
        if (api.url_set(u, CURLUPART_PATH, new_path, 0) != CURLUE_OK ||
            api.url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
                return -ENOMEM;
        char *copy = strdup(out);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

/* Where the request body stands in the gather list. */
typedef struct BodyCursor {
        const ExportIovec *v;
        size_t index;  /* current iovec */
        size_t offset; /* bytes of it already sent */
} BodyCursor;

static size_t body_read(char *buf, size_t size, size_t nitems, void *userdata) {
        BodyCursor *c = userdata;
        size_t want = size * nitems, done = 0;

        while (done < want && c->index < c->v->n_iov) {
                const struct iovec *iov = &c->v->iov[c->index];
                size_t left = iov->iov_len - c->offset, n = want - done < left ? want - done : left;
                memcpy(buf + done, (const uint8_t *) iov->iov_base + c->offset, n);
                done += n;
                c->offset += n;
                if (c->offset == iov->iov_len) {
                        c->index++;
                        c->offset = 0;
                }
        }
        return done;
}

/* curl rewinds the body when it must send it again (a redirect, a reused connection that died). */
static int body_seek(void *userdata, curl_off_t offset, int origin) {
        BodyCursor *c = userdata;

        if (origin != SEEK_SET || offset < 0)
                return CURL_SEEKFUNC_CANTSEEK;
        c->index = 0;
        c->offset = 0;
        uint64_t left = (uint64_t) offset;
        while (c->index < c->v->n_iov && left >= c->v->iov[c->index].iov_len) {
                left -= c->v->iov[c->index].iov_len;
                c->index++;
        }
        if (c->index == c->v->n_iov && left > 0)
                return CURL_SEEKFUNC_FAIL;
        c->offset = (size_t) left;
        return CURL_SEEKFUNC_OK;
}

/* The start of the server's answer, for the error line. */
typedef struct ReplyText {
        char text[160];
        size_t len;
} ReplyText;

static size_t reply_write(char *data, size_t size, size_t nmemb, void *userdata) {
        ReplyText *t = userdata;
        size_t n = size * nmemb, room = sizeof(t->text) - 1 - t->len;
        size_t take = n < room ? n : room;

        /* The server's words go to a log: no control characters. */
        for (size_t i = 0; i < take; i++) {
                unsigned char c = (unsigned char) data[i];
                t->text[t->len++] = c == '\n' || c == '\r' ? ' ' : c < 0x20 || c == 0x7f ? '?' : (char) c;
        }
        t->text[t->len] = 0;
        return n;
}

static int curl_error_to_errno(CURL *h, CURLcode code) {
        long os_errno = 0;

        switch (code) {
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_RESOLVE_HOST:
                return -EHOSTUNREACH;
        case CURLE_COULDNT_CONNECT:
                (void) api.easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
                return os_errno > 0 ? (int) -os_errno : -ECONNREFUSED;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_USE_SSL_FAILED:
                return -EPROTO;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
                return -ECONNRESET;
        default:
                return -EIO;
        }
}

static bool error_may_pass(int r) {
        return r == -ECONNREFUSED || r == -EHOSTUNREACH || r == -ENETUNREACH || r == -ETIMEDOUT ||
               r == -ECONNRESET || r == -EIO;
}

static void free_curl_easy(CURL **h) {
        if (*h)
                api.easy_cleanup(*h);
}

static void free_curl_slist(struct curl_slist **l) {
        if (*l)
                api.slist_free_all(*l);
}

/* One POST. Returns 0 on 2xx or -errno with error filled. */
static int post_once(const ExportHttpTarget *t, const char *url, const ExportIovec *body, char *error, size_t error_size) {
        _cleanup_(free_curl_easy) CURL *h = NULL;
        _cleanup_(free_curl_slist) struct curl_slist *headers = NULL;
        char curl_error[CURL_ERROR_SIZE] = "";
        BodyCursor cursor = { .v = body };
        ReplyText reply = {};
        long status = 0;
        CURLcode code;

        h = api.easy_init();
        if (!h)
                return -ENOMEM;
        struct curl_slist *l = api.slist_append(NULL, "Content-Type: application/vnd.fdo.journal");
        if (!l)
                return -ENOMEM;
        headers = l;
        /* No "100 Continue" round trip: journal-remote takes the body at once. */
        l = api.slist_append(headers, "Expect:");
        if (!l)
                return -ENOMEM;
        headers = l;

        long timeout_ms = (long) ((t->timeout_usec ?: EXPORT_HTTP_TIMEOUT_USEC_DEFAULT) / 1000);
        if (timeout_ms < 1)
                timeout_ms = 1;
        code = api.easy_setopt(h, CURLOPT_URL, url);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_POST, 1L);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_USERAGENT, "corejournal/" PACKAGE_VERSION);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_READFUNCTION, body_read);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_READDATA, &cursor);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_SEEKFUNCTION, body_seek);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_SEEKDATA, &cursor);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body->total_size);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_WRITEFUNCTION, reply_write);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_WRITEDATA, &reply);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
        if (code == CURLE_OK)
                code = api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        if (code == CURLE_OK && t->key_file)
                code = api.easy_setopt(h, CURLOPT_SSLKEY, t->key_file);
        if (code == CURLE_OK && t->cert_file)
                code = api.easy_setopt(h, CURLOPT_SSLCERT, t->cert_file);
        if (code == CURLE_OK && t->trust_file)
                code = api.easy_setopt(h, CURLOPT_CAINFO, t->trust_file);
        if (code != CURLE_OK) {
                (void) snprintf(error, error_size, "cannot set up the upload: %s", api.easy_strerror(code));
                return code == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        }

        code = api.easy_perform(h);
        if (code != CURLE_OK) {
                (void) snprintf(error, error_size, "%s: %s", url, curl_error[0] ? curl_error : api.easy_strerror(code));
                return curl_error_to_errno(h, code);
        }
        (void) api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300)
                return 0;
        (void) snprintf(error, error_size, "%s answered HTTP %ld%s%s", url, status, reply.len > 0 ? ": " : "", reply.text);
        if (status >= 400 && status < 500 && status != 408 && status != 429)
                return -EBADMSG;
        return -EIO;
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = { .tv_sec = (time_t) (usec / 1000000), .tv_nsec = (long) (usec % 1000000) * 1000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int export_sink_http_send(const ExportHttpTarget *target, const ExportRecord *record, char *error, size_t error_size) {
        _cleanup_(freep) char *url = NULL;
        ExportIovec body = {};
        ExportAddress address;
        int r;

        error[0] = 0;
        r = export_http_upload_url(target->url, &url, error, error_size);
        if (r < 0)
                return r;
        r = export_address_now(&address);
        if (r < 0)
                return r;
        r = export_iovec_build(record, EXPORT_ENCODING_EXPORT, &address, &body);
        if (r < 0)
                return r;

        unsigned attempts = target->attempts ?: EXPORT_HTTP_ATTEMPTS;
        uint64_t pause = target->backoff_usec ?: EXPORT_HTTP_BACKOFF_USEC;
        for (unsigned i = 0;; i++) {
                r = post_once(target, url, &body, error, error_size);
                if (r >= 0 || !error_may_pass(r) || i + 1 >= attempts)
                        break;
                sleep_usec(pause);
                pause *= 2;
        }
        export_iovec_done(&body);
        return r;
}
