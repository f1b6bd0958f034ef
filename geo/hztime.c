/* hztime.c - civil date/time parsing and formatting with fixed UTC offsets.
 *
 * Every reader of a date in hazmap ends in civil_to_t(), the one place that checks a civil date
 * and time (month 1-12, the day within its month by the Gregorian leap rule, hour < 24, minute
 * < 60, second <= 60) and turns it into seconds since the epoch. */
#include "hazmap/hztime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms" (days_from_civil). */
int64_t hztime_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void hztime_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (mm <= 2));
    *m = mm;
    *d = dd;
}

/* The Gregorian rule: every 4th year is a leap year, but not every 100th, yet every 400th. */
static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

/* The one check of a civil date-time (see the top of the file); tz is seconds east of UTC. */
static int civil_to_t(int y, int mo, int d, int h, int mi, int s, int tz, int64_t *t)
{
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return -1;
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return -1;
    *t = hztime_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - tz;
    return 0;
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* Reads 1..max digits. */
static int digits_upto(const char **p, int max, int *out)
{
    int v = 0, i = 0;
    while (i < max && isdigit((unsigned char)(*p)[i]))
        v = v * 10 + ((*p)[i++] - '0');
    if (i == 0) return -1;
    *p += i;
    *out = v;
    return 0;
}

static int parse_offset_at(const char **p, int *off)
{
    const char *s = *p;
    if (*s == 'Z' || *s == 'z') {
        *off = 0;
        *p = s + 1;
        return 0;
    }
    if (*s != '+' && *s != '-') return -1;
    int sign = *s == '-' ? -1 : 1, hh, mm = 0;
    s++;
    if (digits(&s, 2, &hh)) return -1;
    if (*s == ':') {
        s++;
        if (digits(&s, 2, &mm)) return -1;
    } else if (isdigit((unsigned char)*s)) {
        if (digits(&s, 2, &mm)) return -1;
    }
    if (hh > 14 || mm > 59) return -1;
    *off = sign * (hh * 3600 + mm * 60);
    *p = s;
    return 0;
}

int hztime_parse_offset(const char *s, int *offset_s)
{
    if (!s) return -1;
    if (strcmp(s, "UTC") == 0 || strcmp(s, "Etc/UTC") == 0) {
        *offset_s = 0;
        return 0;
    }
    if (strcmp(s, "Asia/Shanghai") == 0 || strcmp(s, "Asia/Chongqing") == 0 ||
        strcmp(s, "PRC") == 0) {
        *offset_s = HZ_TZ_SHANGHAI;
        return 0;
    }
    const char *p = s;
    int off;
    if (parse_offset_at(&p, &off) || *p) return -1;
    *offset_s = off;
    return 0;
}

int hztime_parse_iso(const char *s, int tz_offset_s, int64_t *t)
{
    if (!s) return -1;
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0, off = tz_offset_s;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi)) return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &se)) return -1;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p)) return -1;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        if (*p && parse_offset_at(&p, &off)) return -1;
    }
    if (*p) return -1;
    return civil_to_t(y, mo, d, h, mi, se, off, t);
}

/* Copies s without its surrounding spaces into buf (len bytes); -1 if empty or too long. */
static int trimmed(const char *s, char *buf, size_t len)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0 || n >= len) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return 0;
}

int hztime_parse_date(const char *s, int tz_offset_s, int64_t *t)
{
    char buf[48];
    if (!s || trimmed(s, buf, 41) < 0) return -1;
    const char *p = buf;
    int y, mo, d;
    if (digits(&p, 4, &y) == 0 && *p == '/') {
        p++;
        if (digits_upto(&p, 2, &mo) < 0 || *p++ != '/' || digits_upto(&p, 2, &d) < 0) return -1;
    } else {
        p = buf;
        if (digits_upto(&p, 2, &d) < 0 || (*p != '/' && *p != '.'))
            return hztime_parse_iso(buf, tz_offset_s, t);
        char sep = *p++;
        if (digits_upto(&p, 2, &mo) < 0 || *p++ != sep || digits(&p, 4, &y) < 0) return -1;
    }
    /* the date rebuilt as ISO 8601, the time of day (if any) as written: hztime_parse_iso checks
     * the whole */
    if (*p && *p != ' ' && *p != 'T') return -1;
    char iso[64];
    snprintf(iso, sizeof iso, "%04d-%02d-%02d%s%s", y, mo, d, *p ? "T" : "", *p ? p + 1 : "");
    return hztime_parse_iso(iso, tz_offset_s, t);
}

/* One conversion of hztime_parse_format() at *p into the fields v (y, m, d, H, M, S). */
static int format_field(char conv, const char **p, int v[6])
{
    switch (conv) {
    case 'Y':
        return digits(p, 4, &v[0]);
    case 'y':
        if (digits(p, 2, &v[0]) < 0) return -1;
        v[0] += v[0] < 70 ? 2000 : 1900; /* POSIX strptime's pivot */
        return 0;
    case 'm':
        return digits_upto(p, 2, &v[1]);
    case 'd':
        return digits_upto(p, 2, &v[2]);
    case 'H':
        return digits_upto(p, 2, &v[3]);
    case 'M':
        return digits_upto(p, 2, &v[4]);
    case 'S':
        return digits_upto(p, 2, &v[5]);
    case '%':
        return **p == '%' ? ((*p)++, 0) : -1;
    }
    return -1;
}

int hztime_parse_format(const char *s, const char *fmt, int tz_offset_s, int64_t *t)
{
    if (!s || !fmt) return -1;
    int v[6] = {1970, 1, 1, 0, 0, 0};
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    for (const char *f = fmt; *f; f++) {
        if (*f == '%') {
            if (!*++f || format_field(*f, &p, v) < 0) return -1;
        } else if (*f == ' ') {
            while (isspace((unsigned char)*p))
                p++;
        } else if (*p++ != *f) {
            return -1;
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p) return -1;
    return civil_to_t(v[0], v[1], v[2], v[3], v[4], v[5], tz_offset_s, t);
}

int hztime_parse_tod(const char *s, int *secs)
{
    if (!s) return -1;
    while (isspace((unsigned char)*s))
        s++;
    int h, m, sec = 0;
    const char *p = s;
    size_t nd = 0;
    while (isdigit((unsigned char)p[nd]))
        nd++;
    if (p[nd] == ':' || p[nd] == '.') {
        if (digits_upto(&p, 2, &h) < 0 || (*p != ':' && *p != '.')) return -1;
        p++;
        if (digits(&p, 2, &m) < 0) return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec) < 0) return -1;
        }
    } else if (nd == 3 || nd == 4) {
        int v;
        if (digits(&p, (int)nd, &v) < 0) return -1;
        h = v / 100;
        m = v % 100;
    } else {
        return -1;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p || h > 23 || m > 59 || sec > 59) return -1;
    *secs = h * 3600 + m * 60 + sec;
    return 0;
}

/* Floor division of seconds into days, for times before 1970 too. */
static int64_t day_of(int64_t local)
{
    return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}

int64_t hztime_at_time_of_day(int64_t t, int tz_offset_s, int secs)
{
    return day_of(t + tz_offset_s) * 86400 - tz_offset_s + secs;
}

/* Two decimal digits of v at p. */
static char *put2(char *p, int v)
{
    *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

/* Written without printf: an import of a million rows formats a million of these. */
void hztime_format_iso(int64_t t, int tz_offset_s, char buf[32])
{
    int64_t lt = t + tz_offset_s;
    int64_t days = day_of(lt);
    int sod = (int)(lt - days * 86400);
    int y, m, d;
    hztime_civil_from_days(days, &y, &m, &d);
    int off = tz_offset_s < 0 ? -tz_offset_s : tz_offset_s;
    if (y < 0 || y > 9999) { /* years of other widths: printf, cut to the 31 characters */
        char tmp[96];
        if (tz_offset_s == 0)
            snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, sod / 3600,
                     sod / 60 % 60, sod % 60);
        else
            snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d,
                     sod / 3600, sod / 60 % 60, sod % 60, tz_offset_s < 0 ? '-' : '+', off / 3600,
                     off / 60 % 60);
        size_t n = strnlen(tmp, 31);
        memcpy(buf, tmp, n);
        buf[n] = 0;
        return;
    }
    char *p = put2(put2(buf, y / 100), y % 100);
    int v[5] = {m, d, sod / 3600, sod / 60 % 60, sod % 60};
    static const char sep[] = "--T::";
    for (int i = 0; i < 5; i++) {
        *p++ = sep[i];
        p = put2(p, v[i]);
    }
    if (tz_offset_s == 0) {
        *p++ = 'Z';
    } else {
        *p++ = tz_offset_s < 0 ? '-' : '+';
        p = put2(p, off / 3600);
        *p++ = ':';
        p = put2(p, off / 60 % 60);
    }
    *p = 0;
}
