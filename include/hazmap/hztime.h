/* hztime.h - civil date/time parsing and formatting with fixed UTC offsets.
 *
 * Times are kept as seconds since 1970-01-01T00:00:00Z (int64). Local times without an offset
 * are read in a fixed offset (default +08:00, Asia/Shanghai, which has had no daylight saving
 * since 1991). */
#ifndef HAZMAP_HZTIME_H
#define HAZMAP_HZTIME_H

#include <stdint.h>

#define HZ_TZ_SHANGHAI (8 * 3600)

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
int64_t hztime_days_from_civil(int y, int m, int d);

/* Inverse of hztime_days_from_civil. */
void hztime_civil_from_days(int64_t days, int *y, int *m, int *d);

/* Parses ISO 8601 "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" (T or space), with optional
 * "Z" or "+HH:MM"/"+HHMM"/"+HH" offset; without one, tz_offset_s applies. Validates ranges
 * (month 1-12, day within month, hour < 24, ...). Returns 0 and sets *t, or -1. */
int hztime_parse_iso(const char *s, int tz_offset_s, int64_t *t);

/* Formats t as "YYYY-MM-DDTHH:MM:SS+08:00" in the given offset. buf needs 32 bytes. */
void hztime_format_iso(int64_t t, int tz_offset_s, char buf[32]);

/* Parses an offset "+08:00", "-0330", "Z", "UTC", or "Asia/Shanghai" into seconds east of UTC.
 * Returns 0 or -1. */
int hztime_parse_offset(const char *s, int *offset_s);

#endif
