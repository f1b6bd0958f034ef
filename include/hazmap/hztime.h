/* hztime.h - civil date/time parsing and formatting with fixed UTC offsets: the one date/time
 * parser of hazmap (importers, POST, query parameters and filters all read dates through here).
 *
 * Times are kept as seconds since 1970-01-01T00:00:00Z (int64). Local times without an offset
 * are read in a fixed offset (default +08:00, Asia/Shanghai, which has had no daylight saving
 * since 1991). Dates are proleptic Gregorian: February has 29 days in years divisible by 4,
 * except centuries not divisible by 400 (1900 has none, 2000 has one). Every parser checks the
 * civil fields (month 1-12, day within the month, hour < 24, minute < 60, second <= 60) and
 * returns 0 with *t set, or -1 leaving *t untouched. NULL input strings are rejected (-1). */
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

/* Dates as found in incident files: anything hztime_parse_iso() reads, "YYYY/MM/DD", and
 * "DD/MM/YYYY" or "DD.MM.YYYY" (day first: the European and Chinese-export convention), each of
 * the latter optionally followed by " HH:MM[:SS]" and an offset. Month and day may have one
 * digit. Spaces around s are ignored; at most 40 characters. */
int hztime_parse_date(const char *s, int tz_offset_s, int64_t *t);

/* A strptime-like reader for a given format: %Y (4 digits), %y (2 digits; < 70 is 20yy), %m %d
 * %H %M %S (1-2 digits), %% and literal characters; a space in fmt matches any run of spaces.
 * Fields not in fmt default to 1970-01-01 00:00:00. The time is local at tz_offset_s. */
int hztime_parse_format(const char *s, const char *fmt, int tz_offset_s, int64_t *t);

/* A time of day: "hhmm", "hmm" (as in 905), "hh:mm", "hh:mm:ss" or "hh.mm"; *secs is seconds
 * since midnight. Returns 0 or -1. */
int hztime_parse_tod(const char *s, int *secs);

/* The instant secs seconds after the local midnight (at tz_offset_s) that starts t's day. */
int64_t hztime_at_time_of_day(int64_t t, int tz_offset_s, int secs);

/* Formats t as "YYYY-MM-DDTHH:MM:SS+08:00" in the given offset. buf needs 32 bytes. */
void hztime_format_iso(int64_t t, int tz_offset_s, char buf[32]);

/* Parses an offset "+08:00", "-0330", "Z", "UTC", or "Asia/Shanghai" into seconds east of UTC.
 * Returns 0 or -1. */
int hztime_parse_offset(const char *s, int *offset_s);

#endif
