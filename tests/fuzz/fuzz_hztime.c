/* fuzz_hztime.c - libFuzzer harness of the date/time parser (hztime.h).
 *
 * The input is a date text; with a '|' in it, the text before is a hztime_parse_format() format
 * and the text after the date. Every parser is tried on it, at an offset chosen from the input's
 * length. Invariants:
 *   - whatever a parser accepts, hztime_format_iso() writes in any offset and hztime_parse_iso()
 *     reads back to the same instant (parse -> format -> parse round trip), and formatting that
 *     instant again gives the same text;
 *   - a bare ISO date is a local midnight; hztime_parse_date() accepts every ISO text
 *     hztime_parse_iso() accepts, with the same result;
 *   - a time of day is 0..86399 s and hztime_at_time_of_day() puts it on the right day;
 *   - an offset is within +-14:59 and a whole number of minutes;
 *   - days_from_civil and civil_from_days are inverse on the parsed date. */
#include "fuzzutil.h"
#include "hazmap/hztime.h"

#include <string.h>

static const int offsets[] = {0, 8 * 3600, -(3 * 3600 + 1800), 14 * 3600 + 59 * 60, -12 * 3600};

/* t formatted in tz and read back gives t; formatted again, the same text. */
static void round_trip(int64_t t)
{
    for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++) {
        char a[32], b[32];
        hztime_format_iso(t, offsets[i], a);
        FUZZ_CHECK(strlen(a) < 32);
        int64_t u;
        if (a[0] == '-' || strlen(a) != (offsets[i] ? 25u : 20u)) continue; /* years past 0..9999 */
        FUZZ_CHECK(hztime_parse_iso(a, 0, &u) == 0 && u == t);
        hztime_format_iso(u, offsets[i], b);
        FUZZ_CHECK(strcmp(a, b) == 0);
        int y, m, d;
        FUZZ_CHECK(sscanf(a, "%4d-%2d-%2d", &y, &m, &d) == 3);
        hztime_civil_from_days(hztime_days_from_civil(y, m, d), &y, &m, &d);
        char c[16];
        snprintf(c, sizeof c, "%04d-%02d-%02d", y, m, d);
        FUZZ_CHECK(strncmp(a, c, 10) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 200) return 0;
    char s[201];
    memcpy(s, data, size);
    s[size] = 0;
    int tz = offsets[size % (sizeof offsets / sizeof *offsets)];
    int64_t t, u;
    char *bar = strchr(s, '|');
    if (bar) {
        *bar = 0;
        if (hztime_parse_format(bar + 1, s, tz, &t) == 0) round_trip(t);
        return 0;
    }
    if (hztime_parse_iso(s, tz, &t) == 0) {
        round_trip(t);
        if (strlen(s) == 10) FUZZ_CHECK((t + tz) % 86400 == 0);
        if (size <= 40) FUZZ_CHECK(hztime_parse_date(s, tz, &u) == 0 && u == t);
    }
    if (hztime_parse_date(s, tz, &t) == 0) round_trip(t);
    int secs;
    if (hztime_parse_tod(s, &secs) == 0) {
        FUZZ_CHECK(secs >= 0 && secs < 86400);
        int64_t at = hztime_at_time_of_day(1700000000, tz, secs);
        char a[32], b[32];
        hztime_format_iso(at, tz, a);
        hztime_format_iso(1700000000, tz, b);
        FUZZ_CHECK(strncmp(a, b, 10) == 0); /* the same local day */
        FUZZ_CHECK((at + tz) % 86400 == secs);
    }
    int off;
    if (hztime_parse_offset(s, &off) == 0)
        FUZZ_CHECK(off % 60 == 0 && off >= -(14 * 3600 + 59 * 60) && off <= 14 * 3600 + 59 * 60);
    return 0;
}
