/* timestep.c - calendar time steps: continuous step numbers from local civil dates. */
#include "hazmap/timestep.h"
#include "hazmap/hztime.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *const unit_names[] = {"week", "month", "quarter", "year"};

int ts_unit_parse(const char *s, ts_unit *out)
{
    for (int u = TS_WEEK; u <= TS_YEAR; u++)
        if (s && strcmp(s, unit_names[u]) == 0) {
            *out = (ts_unit)u;
            return 0;
        }
    return -1;
}

const char *ts_unit_name(ts_unit u)
{
    return u >= TS_WEEK && u <= TS_YEAR ? unit_names[u] : "?";
}

/* Floor division for negative times. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 1970-01-05 was the first Monday after the epoch: day 4. */
#define MONDAY0 4

int64_t ts_index(ts_unit u, int64_t t, int tz_offset_s)
{
    int64_t day = floor_div(t + tz_offset_s, 86400);
    if (u == TS_WEEK) return floor_div(day - MONDAY0, 7);
    int y, m, d;
    hztime_civil_from_days(day, &y, &m, &d);
    switch (u) {
    case TS_MONTH:
        return (int64_t)y * 12 + m - 1;
    case TS_QUARTER:
        return (int64_t)y * 4 + (m - 1) / 3;
    default:
        return y;
    }
}

int64_t ts_start(ts_unit u, int64_t k, int tz_offset_s)
{
    int64_t day;
    switch (u) {
    case TS_WEEK:
        day = MONDAY0 + 7 * k;
        break;
    case TS_MONTH:
        day =
            hztime_days_from_civil((int)floor_div(k, 12), (int)(k - 12 * floor_div(k, 12)) + 1, 1);
        break;
    case TS_QUARTER:
        day =
            hztime_days_from_civil((int)floor_div(k, 4), 3 * (int)(k - 4 * floor_div(k, 4)) + 1, 1);
        break;
    default:
        day = hztime_days_from_civil((int)k, 1, 1);
        break;
    }
    int64_t t = day * 86400 - tz_offset_s;
    assert(ts_index(u, t, tz_offset_s) == k);
    return t;
}

void ts_label(ts_unit u, int64_t k, char buf[32])
{
    int y, m, d;
    switch (u) {
    case TS_WEEK:
        hztime_civil_from_days(MONDAY0 + 7 * k, &y, &m, &d);
        snprintf(buf, 32, "%04d-%02d-%02d", y, m, d);
        break;
    case TS_MONTH:
        snprintf(buf, 32, "%04d-%02d", (int)floor_div(k, 12), (int)(k - 12 * floor_div(k, 12)) + 1);
        break;
    case TS_QUARTER:
        snprintf(buf, 32, "%04dQ%d", (int)floor_div(k, 4), (int)(k - 4 * floor_div(k, 4)) + 1);
        break;
    default:
        snprintf(buf, 32, "%04d", (int)k);
        break;
    }
}
