/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl-time.h"

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_MINUTE (60 * CTL_USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MINUTE)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)
#define USEC_PER_WEEK (7 * USEC_PER_DAY)
#define USEC_PER_MONTH (2629800 * CTL_USEC_PER_SEC) /* 30.44 days, as systemd counts */
#define USEC_PER_YEAR (31557600 * CTL_USEC_PER_SEC) /* 365.25 days */

const char *ctl_time_format(uint64_t usec, char buf[static CTL_TIME_STRING_MAX]) {
        static const char weekdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        time_t t = (time_t) (usec / CTL_USEC_PER_SEC);
        struct tm tm;
        char date[32];

        if (!localtime_r(&t, &tm) || strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) == 0) {
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "@%" PRIu64, usec / CTL_USEC_PER_SEC);
                return buf;
        }
        (void) snprintf(buf, CTL_TIME_STRING_MAX, "%s %s%s%s", weekdays[tm.tm_wday % 7], date,
                        tm.tm_zone ? " " : "", tm.tm_zone ? tm.tm_zone : "");
        return buf;
}

static const char *plural(uint64_t n, const char *one, const char *many) {
        return n == 1 ? one : many;
}

const char *ctl_time_format_relative(uint64_t usec, uint64_t now, char buf[static CTL_TIME_STRING_MAX]) {
        const char *s = usec <= now ? "ago" : "left";
        uint64_t d = usec <= now ? now - usec : usec - now;

        if (d >= USEC_PER_YEAR) {
                uint64_t years = d / USEC_PER_YEAR, months = (d % USEC_PER_YEAR) / USEC_PER_MONTH;
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 " %s %" PRIu64 " %s %s", years,
                                plural(years, "year", "years"), months, plural(months, "month", "months"), s);
        } else if (d >= USEC_PER_MONTH) {
                uint64_t months = d / USEC_PER_MONTH, days = (d % USEC_PER_MONTH) / USEC_PER_DAY;
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 " %s %" PRIu64 " %s %s", months,
                                plural(months, "month", "months"), days, plural(days, "day", "days"), s);
        } else if (d >= USEC_PER_WEEK) {
                uint64_t weeks = d / USEC_PER_WEEK, days = (d % USEC_PER_WEEK) / USEC_PER_DAY;
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 " %s %" PRIu64 " %s %s", weeks,
                                plural(weeks, "week", "weeks"), days, plural(days, "day", "days"), s);
        } else if (d >= 2 * USEC_PER_DAY)
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 " days %s", d / USEC_PER_DAY, s);
        else if (d >= 25 * USEC_PER_HOUR)
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "1 day %" PRIu64 "h %s", (d - USEC_PER_DAY) / USEC_PER_HOUR, s);
        else if (d >= 6 * USEC_PER_HOUR)
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 "h %s", d / USEC_PER_HOUR, s);
        else if (d >= USEC_PER_HOUR)
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 "h %" PRIu64 "min %s", d / USEC_PER_HOUR,
                                (d % USEC_PER_HOUR) / USEC_PER_MINUTE, s);
        else if (d >= 5 * USEC_PER_MINUTE)
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 "min %s", d / USEC_PER_MINUTE, s);
        else if (d >= USEC_PER_MINUTE)
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 "min %" PRIu64 "s %s", d / USEC_PER_MINUTE,
                                (d % USEC_PER_MINUTE) / CTL_USEC_PER_SEC, s);
        else if (d >= CTL_USEC_PER_SEC)
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 "s %s", d / CTL_USEC_PER_SEC, s);
        else if (d >= USEC_PER_MSEC)
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 "ms %s", d / USEC_PER_MSEC, s);
        else if (d > 0)
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "%" PRIu64 "us %s", d, s);
        else
                (void) snprintf(buf, CTL_TIME_STRING_MAX, "now");
        return buf;
}

static const struct {
        const char *name;
        uint64_t usec;
} time_units[] = {
        { "us", 1 },                       { "usec", 1 },
        { "ms", USEC_PER_MSEC },           { "msec", USEC_PER_MSEC },
        { "s", CTL_USEC_PER_SEC },         { "sec", CTL_USEC_PER_SEC },
        { "second", CTL_USEC_PER_SEC },    { "seconds", CTL_USEC_PER_SEC },
        { "m", USEC_PER_MINUTE },          { "min", USEC_PER_MINUTE },
        { "minute", USEC_PER_MINUTE },     { "minutes", USEC_PER_MINUTE },
        { "h", USEC_PER_HOUR },            { "hr", USEC_PER_HOUR },
        { "hour", USEC_PER_HOUR },         { "hours", USEC_PER_HOUR },
        { "d", USEC_PER_DAY },             { "day", USEC_PER_DAY },
        { "days", USEC_PER_DAY },          { "w", USEC_PER_WEEK },
        { "week", USEC_PER_WEEK },         { "weeks", USEC_PER_WEEK },
        { "M", USEC_PER_MONTH },           { "month", USEC_PER_MONTH },
        { "months", USEC_PER_MONTH },      { "y", USEC_PER_YEAR },
        { "year", USEC_PER_YEAR },         { "years", USEC_PER_YEAR },
};

/* Parses a span "1h 30min" (a bare number is seconds) from p up to end. Returns 0 or -EINVAL. */
static int parse_span(const char *p, const char *end, uint64_t *ret) {
        uint64_t total = 0;
        bool any = false;

        for (;;) {
                while (p < end && *p == ' ')
                        p++;
                if (p == end)
                        break;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                uint64_t n = 0;
                for (; p < end && *p >= '0' && *p <= '9'; p++) {
                        if (n > (UINT64_MAX - 9) / 10)
                                return -EINVAL;
                        n = n * 10 + (uint64_t) (*p - '0');
                }
                while (p < end && *p == ' ')
                        p++;
                const char *u = p;
                while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                        p++;
                uint64_t factor = 0;
                if (p == u)
                        factor = CTL_USEC_PER_SEC;
                else
                        for (size_t i = 0; i < sizeof(time_units) / sizeof(time_units[0]); i++)
                                if (strlen(time_units[i].name) == (size_t) (p - u) &&
                                    memcmp(time_units[i].name, u, (size_t) (p - u)) == 0) {
                                        factor = time_units[i].usec;
                                        break;
                                }
                if (factor == 0 || n > UINT64_MAX / factor || total > UINT64_MAX - n * factor)
                        return -EINVAL;
                total += n * factor;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

static int local_midnight(uint64_t now, int day_offset, uint64_t *ret) {
        time_t t = (time_t) (now / CTL_USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return -EINVAL;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_mday += day_offset;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t) -1 || t < 0)
                return -EINVAL;
        *ret = (uint64_t) t * CTL_USEC_PER_SEC;
        return 0;
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (or with 'T'), "HH:MM[:SS]" of today, in local time. */
static int parse_absolute(const char *s, uint64_t now, uint64_t *ret) {
        time_t t = (time_t) (now / CTL_USEC_PER_SEC);
        struct tm tm = {};
        const char *e;

        if (!localtime_r(&t, &tm))
                return -EINVAL;

        struct tm parsed = tm;
        e = strptime(s, "%Y-%m-%d", &parsed);
        if (e) {
                parsed.tm_hour = parsed.tm_min = parsed.tm_sec = 0;
                if (*e == ' ' || *e == 'T')
                        e++;
                else if (*e != 0)
                        return -EINVAL;
        } else {
                parsed = tm; /* strptime() may have set fields before it failed */
                e = s;
        }
        if (*e) {
                struct tm with_time = parsed;
                const char *f = strptime(e, "%H:%M:%S", &with_time);
                if (!f || *f) {
                        with_time = parsed;
                        with_time.tm_sec = 0;
                        f = strptime(e, "%H:%M", &with_time);
                }
                if (!f || *f)
                        return -EINVAL;
                parsed = with_time;
        } else if (e == s)
                return -EINVAL;

        parsed.tm_isdst = -1;
        t = mktime(&parsed);
        if (t == (time_t) -1 || t < 0)
                return -EINVAL;
        *ret = (uint64_t) t * CTL_USEC_PER_SEC;
        return 0;
}

int ctl_time_parse(const char *s, uint64_t now, uint64_t *ret) {
        size_t n = strlen(s);
        uint64_t v = 0, span;
        int r = 0;

        if (n == 0)
                return -EINVAL;
        if (strcmp(s, "now") == 0)
                v = now;
        else if (strcmp(s, "today") == 0)
                r = local_midnight(now, 0, &v);
        else if (strcmp(s, "yesterday") == 0)
                r = local_midnight(now, -1, &v);
        else if (strcmp(s, "tomorrow") == 0)
                r = local_midnight(now, 1, &v);
        else if (s[0] == '@') {
                uint64_t sec = 0, frac = 0, div = 1;
                const char *p = s + 1;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        if (sec > UINT64_MAX / CTL_USEC_PER_SEC / 10)
                                return -EINVAL;
                        sec = sec * 10 + (uint64_t) (*p - '0');
                }
                if (*p == '.')
                        for (p++; *p >= '0' && *p <= '9'; p++)
                                if (div < CTL_USEC_PER_SEC) {
                                        frac = frac * 10 + (uint64_t) (*p - '0');
                                        div *= 10;
                                }
                if (*p)
                        return -EINVAL;
                v = sec * CTL_USEC_PER_SEC + frac * (CTL_USEC_PER_SEC / div);
        } else if (s[0] == '-' || s[0] == '+') {
                r = parse_span(s + 1, s + n, &span);
                if (r < 0)
                        return r;
                if (s[0] == '-')
                        v = span > now ? 0 : now - span;
                else
                        v = span > CTL_USEC_INFINITY - 1 - now ? CTL_USEC_INFINITY - 1 : now + span;
        } else if (n > 4 && strcmp(s + n - 4, " ago") == 0) {
                r = parse_span(s, s + n - 4, &span);
                if (r < 0)
                        return r;
                v = span > now ? 0 : now - span;
        } else {
                r = parse_absolute(s, now, &v);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}
