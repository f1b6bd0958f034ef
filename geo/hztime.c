/* hztime.c - civil date/time parsing and formatting with fixed UTC offsets. */
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

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
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
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return -1;
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
        if (h > 23 || mi > 59 || se > 60) return -1;
        if (*p && parse_offset_at(&p, &off)) return -1;
    }
    if (*p) return -1;
    *t = hztime_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return 0;
}

void hztime_format_iso(int64_t t, int tz_offset_s, char buf[32])
{
    int64_t lt = t + tz_offset_s;
    int64_t days = lt >= 0 ? lt / 86400 : -((-lt + 86399) / 86400);
    int64_t sod = lt - days * 86400;
    int y, m, d;
    hztime_civil_from_days(days, &y, &m, &d);
    int off = tz_offset_s < 0 ? -tz_offset_s : tz_offset_s;
    if (tz_offset_s == 0)
        snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sod / 3600),
                 (int)(sod / 60 % 60), (int)(sod % 60));
    else
        snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d, (int)(sod / 3600),
                 (int)(sod / 60 % 60), (int)(sod % 60), tz_offset_s < 0 ? '-' : '+', off / 3600,
                 off / 60 % 60);
}
