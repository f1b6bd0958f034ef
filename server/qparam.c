/* qparam.c - strict parsing of query-parameter values. */
#include "hazmap/qparam.h"
#include "hazmap/hztime.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hz_status qparam_double(const char *key, const char *v, double lo, double hi, double *out,
                        char *err, size_t errlen)
{
    char *end;
    errno = 0;
    /* strtod also accepts "inf", "nan" and hex floats: only plain decimals are allowed here. */
    for (const char *p = v; *p; p++)
        if (!strchr("0123456789.-+eE", *p))
            return hz_fail(HZ_EINVAL, err, errlen, "%s: '%.64s' is not a number", key, v);
    double x = strtod(v, &end);
    if (!*v || end == v || *end || errno == ERANGE || !isfinite(x))
        return hz_fail(HZ_EINVAL, err, errlen, "%s: '%.64s' is not a finite number", key, v);
    if (x < lo || x > hi)
        return hz_fail(HZ_EINVAL, err, errlen, "%s: %.64s is outside %g..%g", key, v, lo, hi);
    *out = x;
    return HZ_OK;
}

hz_status qparam_long(const char *key, const char *v, long lo, long hi, long *out, char *err,
                      size_t errlen)
{
    const char *p = v;
    if (*p == '-') p++;
    if (!*p) return hz_fail(HZ_EINVAL, err, errlen, "%s: '%.64s' is not an integer", key, v);
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return hz_fail(HZ_EINVAL, err, errlen, "%s: '%.64s' is not an integer", key, v);
    errno = 0;
    char *end;
    long x = strtol(v, &end, 10);
    if (errno == ERANGE || x < lo || x > hi)
        return hz_fail(HZ_EINVAL, err, errlen, "%s: %.64s is outside %ld..%ld", key, v, lo, hi);
    *out = x;
    return HZ_OK;
}

hz_status qparam_bbox(const char *v, double bb[4], char *err, size_t errlen)
{
    char part[64];
    const char *p = v;
    int n = 0;
    double x[6];
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (n == 6)
            return hz_fail(HZ_EINVAL, err, errlen,
                           "bbox: expected 4 numbers minlon,minlat,maxlon,maxlat (or 6 with "
                           "heights)");
        if (len == 0 || len >= sizeof part)
            return hz_fail(HZ_EINVAL, err, errlen, "bbox: empty or over-long number in '%.64s'", v);
        memcpy(part, p, len);
        part[len] = 0;
        hz_status s = qparam_double("bbox", part, -1e9, 1e9, &x[n], err, errlen);
        if (s != HZ_OK) return s;
        n++;
        if (!c) break;
        p = c + 1;
    }
    if (n != 4 && n != 6)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "bbox: expected 4 numbers minlon,minlat,maxlon,maxlat (or 6 with heights), "
                       "got %d",
                       n);
    /* OGC API - Features 1, 7.15.3: six numbers carry heights (ignored here) */
    double w = x[0], s = x[1], e = n == 6 ? x[3] : x[2], no = n == 6 ? x[4] : x[3];
    if (!(w >= -180 && w <= 180 && e >= -180 && e <= 180))
        return hz_fail(HZ_EINVAL, err, errlen, "bbox: longitudes must be in -180..180 in '%.64s'",
                       v);
    if (!(s >= -90 && s <= 90 && no >= -90 && no <= 90))
        return hz_fail(HZ_EINVAL, err, errlen, "bbox: latitudes must be in -90..90 in '%.64s'", v);
    if (!(s < no) || w == e)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "bbox: minlat < maxlat and minlon != maxlon are required in '%.64s' (a "
                       "minlon above maxlon crosses the antimeridian)",
                       v);
    bb[0] = w;
    bb[1] = s;
    bb[2] = e;
    bb[3] = no;
    return HZ_OK;
}

int qparam_bbox_split(const double bb[4], double parts[2][4])
{
    if (bb[0] <= bb[2]) {
        memcpy(parts[0], bb, sizeof parts[0]);
        return 1;
    }
    /* across the antimeridian: the part east of minlon and the part west of maxlon */
    double a[4] = {bb[0], bb[1], 180, bb[3]}, b[4] = {-180, bb[1], bb[2], bb[3]};
    memcpy(parts[0], a, sizeof a);
    memcpy(parts[1], b, sizeof b);
    return 2;
}

static int is_date_only(const char *s)
{
    return strlen(s) == 10 && s[4] == '-' && s[7] == '-';
}

/* Parses one end; *t_end is the first second after it (a whole day for a date, one second for a
 * date-time). */
static int parse_end(const char *s, int tz, int64_t *t, int64_t *t_end)
{
    if (hztime_parse_iso(s, tz, t) != 0) return -1;
    *t_end = *t + (is_date_only(s) ? 86400 : 1);
    return 0;
}

hz_status qparam_datetime(const char *v, int tz_offset_s, int64_t *from, int64_t *to, char *err,
                          size_t errlen)
{
    char a[64], b[64];
    const char *slash = strchr(v, '/');
    if (strlen(v) >= sizeof a) return hz_fail(HZ_EINVAL, err, errlen, "datetime: value too long");
    int64_t t, te;
    if (!slash) {
        if (!*v || parse_end(v, tz_offset_s, &t, &te) != 0)
            return hz_fail(HZ_EINVAL, err, errlen,
                           "datetime: '%.64s' is not an RFC 3339 date or date-time", v);
        *from = t;
        *to = te;
        return HZ_OK;
    }
    size_t la = (size_t)(slash - v);
    memcpy(a, v, la);
    a[la] = 0;
    snprintf(b, sizeof b, "%s", slash + 1);
    if (strchr(b, '/')) return hz_fail(HZ_EINVAL, err, errlen, "datetime: more than one '/'");
    int open_a = !*a || strcmp(a, "..") == 0, open_b = !*b || strcmp(b, "..") == 0;
    if (open_a && open_b)
        return hz_fail(HZ_EINVAL, err, errlen, "datetime: both ends of '%.64s' are open", v);
    *from = INT64_MIN;
    *to = INT64_MAX;
    if (!open_a) {
        if (parse_end(a, tz_offset_s, &t, &te) != 0)
            return hz_fail(HZ_EINVAL, err, errlen, "datetime: bad start '%.64s'", a);
        *from = t;
    }
    if (!open_b) {
        if (parse_end(b, tz_offset_s, &t, &te) != 0)
            return hz_fail(HZ_EINVAL, err, errlen, "datetime: bad end '%.64s'", b);
        *to = is_date_only(b) ? te : t + 1; /* an end instant is inclusive */
    }
    if (*from >= *to)
        return hz_fail(HZ_EINVAL, err, errlen, "datetime: start after end in '%.64s'", v);
    return HZ_OK;
}

hz_status qparam_enum(const char *key, const char *v, const char *const *names, int *idx, char *err,
                      size_t errlen)
{
    char list[256] = "";
    size_t off = 0;
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], v) == 0) {
            *idx = i;
            return HZ_OK;
        }
        if (off < sizeof list)
            off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "", names[i]);
    }
    return hz_fail(HZ_EINVAL, err, errlen, "%s: '%.64s' is not one of: %s", key, v, list);
}

int64_t qparam_path_id(const char *s)
{
    if (!s || !*s || strlen(s) > 18) return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
    }
    return v > 0 ? v : -1;
}
