/* timestep.h - calendar time steps (week, month, quarter, year) for space-time cubes.
 *
 * A step is numbered continuously so that consecutive steps differ by one: weeks from the
 * Monday 1970-01-05 (week 0; earlier weeks are negative), months as year * 12 + month - 1,
 * quarters as year * 4 + quarter - 1, years as the year. Steps are taken in local time at a
 * fixed UTC offset (the filter's, +08:00 by default), so a month is the calendar month in
 * Chengdu. Weeks start on Monday (ISO 8601).
 *
 * Thread-safety: every function is reentrant. */
#ifndef HAZMAP_TIMESTEP_H
#define HAZMAP_TIMESTEP_H

#include <stdint.h>

typedef enum ts_unit { TS_WEEK = 0, TS_MONTH = 1, TS_QUARTER = 2, TS_YEAR = 3 } ts_unit;

/* "week" | "month" | "quarter" | "year": 0, else -1. */
int ts_unit_parse(const char *s, ts_unit *out);
const char *ts_unit_name(ts_unit u);

/* The step holding time t (seconds since the epoch) at UTC offset tz_offset_s. */
int64_t ts_index(ts_unit u, int64_t t, int tz_offset_s);

/* The first second of step k (seconds since the epoch); ts_index(u, ts_start(u, k)) == k. */
int64_t ts_start(ts_unit u, int64_t k, int tz_offset_s);

/* A label for step k: "2014-01-06" (the week's Monday), "2014-03", "2014Q2", "2014". */
void ts_label(ts_unit u, int64_t k, char buf[32]);

#endif
