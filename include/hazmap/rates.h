/* rates.h - counts and crude rates per 100,000 population per year with exact Poisson CIs, by
 * area x mechanism x age group x sex.
 *
 * Definitions (stated in every output's provenance):
 *  - Counts are the incidents passing the filter that lie inside an area; an incident assigned to
 *    a community also counts for its sub-district and district (area rows are nested).
 *  - The denominator is the area's total population (the store holds no population by age or sex),
 *    so a row split by age group or sex is that group's incidents per 100,000 of the whole
 *    population: the rows of one area add up to its crude rate. They are not age-specific rates.
 *    Without --by area the denominator is the filter's area, or the sum of the top-level areas.
 *  - Years: the filter's from/to when given; an open end is taken from the data's time span
 *    (first to last incident, whole days in +08:00); years = days / 365.25.
 *  - Age groups: 0-14, 15-24, 25-44, 45-64, 65+ (WHO injury surveillance guidelines, Holder et al.
 *    2001) and "unknown".
 *  - rate_lo/rate_hi: exact Poisson 95 % (Garwood 1936, poisson.h) scaled like the rate.
 *  - unstable: count < 20 (relative standard error above 22 %, the NCHS/CDC convention).
 *  - Rows: every area (within the filter's area) crossed with every value of the other grouped
 *    dimensions that occurs in the filtered data (or is selected by the filter), zero counts
 *    included: a zero is data.
 *
 * Ownership: rates_compute() returns a result freed with rates_free() (NULL is a no-op); it copies
 * what it needs from the snapshot. */
#ifndef HAZMAP_RATES_H
#define HAZMAP_RATES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hazmap/disclosure.h"
#include "hazmap/filter.h"
#include "hazmap/incset.h"
#include "hazmap/status.h"

enum {
    RATES_BY_AREA = 1 << 0,
    RATES_BY_MECHANISM = 1 << 1,
    RATES_BY_AGE = 1 << 2,
    RATES_BY_SEX = 1 << 3
};

enum { RATES_AGE_GROUPS = 6 };

/* Parses "area,mechanism,age_group,sex" (any subset, any order; "age" is accepted for
 * "age_group"; "" or "none" = no grouping) into *by. HZ_EINVAL naming the bad word. */
hz_status rates_parse_by(const char *text, unsigned *by, char *err, size_t errlen);

/* Age group index 0..5 of an age in years (-1 = unknown -> 5), and its name ("0-14" ... "65+",
 * "unknown"; borrowed, static). */
int rates_age_group(int age);
const char *rates_age_group_name(int group);

typedef struct rates_row {
    const char *area;      /* code, or NULL when not grouped by area and no area filter */
    const char *area_name; /* may be NULL */
    int mechanism;         /* hz_mechanism, or -1 when not grouped */
    int age_group;         /* 0..5, or -1 */
    int sex;               /* hz_sex, or -1 */
    int64_t count;
    int64_t population; /* -1 unknown */
    double years;
    double rate, rate_lo, rate_hi; /* per 100,000 per year; NaN when population or years unknown */
    int unstable;                  /* count < 20 */
} rates_row;

typedef struct rates_result {
    size_t n;
    rates_row *rows;
    unsigned by;
    double years;
    int64_t from, to;  /* the period used, [from, to) seconds; INT64_MIN if unknown */
    int64_t incidents; /* filtered incidents inside an area (events when events is 1) */
    int events;        /* 1: rates_compute_events() counted events */
    char filters[1024];
    char work_srs[256];
    int64_t data_version;
    char *strings; /* storage for the area codes and names (internal) */
} rates_result;

hz_status rates_compute(const incset *s, const hz_filter *f, unsigned by, rates_result **out,
                        char *err, size_t errlen);

/* The same counting events instead of records (record linkage, linkage_db.h): event[k] is the
 * event 0 .. nevents - 1 of incident k of incset_items(). An event counts once, in the row of its
 * first record (in the snapshot's id order) that passes the filter and lies in an area. event
 * NULL is rates_compute(). The provenance says "counted": "events" or "records". */
hz_status rates_compute_events(const incset *s, const hz_filter *f, unsigned by,
                               const uint32_t *event, size_t nevents, rates_result **out, char *err,
                               size_t errlen);
void rates_free(rates_result *r);

/* {"rows": [{area, area_name, mechanism, age_group, sex, count, population, years, rate,
 * rate_lo, rate_hi, unstable, suppressed}], "provenance": {...}}. Ungrouped dimensions are null.
 * A row hidden by pol (disclosure.h; NULL = nothing hidden) has count, rate, rate_lo, rate_hi null
 * and suppressed true; so does the same cell of every enclosing area (complementary suppression: a
 * parent's count minus its visible children would give the hidden one), and the provenance then has
 * no incident total. New reference in *out. */
hz_status rates_json(const rates_result *r, const disc_policy *pol, json_t **out, char *err,
                     size_t errlen);

/* The same rows as CSV (a UTF-8 byte order mark, for Excel; the header line; RFC 4180 quoting,
 * CRLF line ends, empty cells for null), into a malloc'd NUL-terminated buffer the caller frees. */
hz_status rates_csv(const rates_result *r, const disc_policy *pol, char **out, size_t *len,
                    char *err, size_t errlen);

#endif
