/* evaluate.h - before/after evaluation of an intervention: rate ratio and ratio of rate ratios.
 *
 * Rates are counts over person-time (population x window length in years of 365.25 days). The
 * rate ratio RR = (a / PT1) / (b / PT0), a = count after, b = count before, has the Wald interval
 * on the log scale, exp(ln RR +- z sqrt(1/a + 1/b)) (Rothman, Greenland & Lash, Modern
 * Epidemiology 3rd ed., ch. 14). With a comparison area (counts c after, d before) the ratio of
 * rate ratios RRR = RR_area / RR_comparison has exp(ln RRR +- z sqrt(1/a + 1/b + 1/c + 1/d))
 * (Altman & Bland 2003, "Interaction revisited", BMJ 326:219).
 *
 * Zero counts: the log interval needs every count > 0. When some count is 0 (and at least one
 * is not), 0.5 is added to each count of that ratio (Haldane-Anscombe correction) and the result
 * says so (zero_corrected); when both counts of a ratio are 0 the ratio is undefined (NaN).
 * evaluate_json() adds a warning when a window reaches outside the whole local days spanned by
 * the snapshot's incidents (a count there would be incomplete, biasing the ratio). */
#ifndef HAZMAP_EVALUATE_H
#define HAZMAP_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hazmap/disclosure.h"
#include "hazmap/filter.h"
#include "hazmap/incset.h"
#include "hazmap/status.h"

/* RR with 95 % CI from counts and person-times (the pure formula above). Returns 1 when the
 * zero-count correction was applied, 0 when not, -1 when undefined (a == b == 0, or a
 * person-time <= 0; outputs NaN). */
int evaluate_rate_ratio(double a, double pt1, double b, double pt0, double *rr, double *lo,
                        double *hi);

/* RRR = (a/pt1)/(b/pt0) / ((c/pt3)/(d/pt2)) with 95 % CI; the same return convention. */
int evaluate_rrr(double a, double pt1, double b, double pt0, double c, double pt3, double d,
                 double pt2, double *rrr, double *lo, double *hi);

typedef struct evaluate_window {
    int64_t from, to; /* [from, to), seconds since epoch */
    int64_t count;
    double person_years; /* population * (to - from) / 365.25 days */
    double rate;         /* per 100,000 per year */
} evaluate_window;

typedef struct evaluate_arm {
    char code[64];
    char name[256];
    int64_t population;
    evaluate_window before, after;
    double rr, rr_lo, rr_hi; /* NaN when undefined */
    int zero_corrected;
} evaluate_arm;

typedef struct evaluate_result {
    int64_t start; /* seconds since epoch */
    int before_days, after_days;
    evaluate_arm area;
    int has_comparison;
    evaluate_arm comparison;
    double rrr, rrr_lo, rrr_hi; /* NaN without comparison or when undefined */
    int rrr_zero_corrected;
    int64_t data_from, data_to; /* time span of the snapshot's incidents (INT64_MIN if none) */
    char filters[1024];         /* filter_canonical() of the filter used, area excluded */
    char work_srs[256];
    int64_t data_version;
} evaluate_result;

/* Counts the incidents passing f (its area and from/to are ignored: the windows replace them)
 * inside area `code` (with its descendants) in the windows [start - before_days, start) and
 * [start, start + after_days), and compares them; likewise for compare_code when non-NULL.
 * HZ_EINVAL for an unknown code, an area without population, or days < 1. */
hz_status evaluate_run(const incset *s, const hz_filter *f, const char *code,
                       const char *compare_code, int64_t start, int before_days, int after_days,
                       evaluate_result *out, char *err, size_t errlen);

/* The JSON of API.md (/api/evaluate) with provenance. Suppression (pol, disclosure.h; NULL = none):
 * a window count below it is replaced by null with "suppressed": true, and so is everything it
 * could be recomputed from: that arm's rate and ratio with its CI, its zero-correction flag, and
 * the provenance's incident total. New reference in *out. */
hz_status evaluate_json(const evaluate_result *r, const disc_policy *pol, json_t **out, char *err,
                        size_t errlen);

#endif
