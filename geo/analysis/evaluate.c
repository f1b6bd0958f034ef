/* evaluate.c - before/after rate ratios of an intervention, with a comparison area (evaluate.h). */
#include "hazmap/evaluate.h"
#include "hazmap/hztime.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define Z95 1.959963984540054 /* standard normal 0.975 quantile */
#define YEAR_S (365.25 * 86400.0)

int evaluate_rate_ratio(double a, double pt1, double b, double pt0, double *rr, double *lo,
                        double *hi)
{
    *rr = *lo = *hi = NAN;
    if (!(pt1 > 0) || !(pt0 > 0) || !(a >= 0) || !(b >= 0) || (a == 0 && b == 0)) return -1;
    int corrected = 0;
    if (a == 0 || b == 0) { /* Haldane-Anscombe: the log interval needs positive counts */
        a += 0.5;
        b += 0.5;
        corrected = 1;
    }
    double l = log((a / pt1) / (b / pt0)), se = sqrt(1.0 / a + 1.0 / b);
    *rr = exp(l);
    *lo = exp(l - Z95 * se);
    *hi = exp(l + Z95 * se);
    return corrected;
}

int evaluate_rrr(double a, double pt1, double b, double pt0, double c, double pt3, double d,
                 double pt2, double *rrr, double *lo, double *hi)
{
    *rrr = *lo = *hi = NAN;
    if (!(pt1 > 0) || !(pt0 > 0) || !(pt3 > 0) || !(pt2 > 0) || !(a >= 0) || !(b >= 0) ||
        !(c >= 0) || !(d >= 0) || (a == 0 && b == 0) || (c == 0 && d == 0))
        return -1;
    int corrected = 0;
    if (a == 0 || b == 0 || c == 0 || d == 0) {
        a += 0.5, b += 0.5, c += 0.5, d += 0.5;
        corrected = 1;
    }
    double l = log((a / pt1) / (b / pt0)) - log((c / pt3) / (d / pt2));
    double se = sqrt(1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d);
    *rrr = exp(l);
    *lo = exp(l - Z95 * se);
    *hi = exp(l + Z95 * se);
    return corrected;
}

/* Fills one arm: counts in both windows for area index ai, then its rate ratio. */
static hz_status fill_arm(const incset *s, const hz_filter *f, const char *code, int64_t start,
                          int before_days, int after_days, evaluate_arm *arm, char *err,
                          size_t errlen)
{
    memset(arm, 0, sizeof *arm);
    int32_t ai = incset_area_find(s, code);
    if (ai < 0) return hz_fail(HZ_EINVAL, err, errlen, "area: no area with code '%s'", code);
    const hz_area *area = &incset_areas(s)[ai];
    if (area->population <= 0)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "area '%s' has no population: person-time cannot be computed", code);
    snprintf(arm->code, sizeof arm->code, "%s", area->code);
    snprintf(arm->name, sizeof arm->name, "%s", area->name);
    arm->population = area->population;
    arm->before.from = start - (int64_t)before_days * 86400;
    arm->before.to = start;
    arm->after.from = start;
    arm->after.to = start + (int64_t)after_days * 86400;
    const hz_incident *it = incset_items(s);
    incset_note_scan(s);
    for (size_t k = 0, n = incset_count(s); k < n; k++) {
        const hz_incident *i = &it[k];
        if (i->t == INT64_MIN || i->t < arm->before.from || i->t >= arm->after.to) continue;
        if (!incset_match(s, f, ai, i)) continue;
        if (i->t < start)
            arm->before.count++;
        else
            arm->after.count++;
    }
    evaluate_window *w[2] = {&arm->before, &arm->after};
    for (int k = 0; k < 2; k++) {
        w[k]->person_years = (double)area->population * (double)(w[k]->to - w[k]->from) / YEAR_S;
        w[k]->rate = (double)w[k]->count / w[k]->person_years * 1e5;
    }
    arm->zero_corrected = evaluate_rate_ratio((double)arm->after.count, arm->after.person_years,
                                              (double)arm->before.count, arm->before.person_years,
                                              &arm->rr, &arm->rr_lo, &arm->rr_hi) == 1;
    return HZ_OK;
}

hz_status evaluate_run(const incset *s, const hz_filter *f, const char *code,
                       const char *compare_code, int64_t start, int before_days, int after_days,
                       evaluate_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->rrr = out->rrr_lo = out->rrr_hi = NAN;
    if (!code || !code[0]) return hz_fail(HZ_EINVAL, err, errlen, "area: an area code is required");
    if (before_days < 1 || after_days < 1)
        return hz_fail(HZ_EINVAL, err, errlen, "before_days/after_days: must be at least 1");
    /* The windows replace the filter's own area and date range. */
    hz_filter g = *f;
    g.area[0] = 0;
    g.from = INT64_MIN;
    g.to = INT64_MAX;
    out->start = start;
    out->before_days = before_days;
    out->after_days = after_days;
    hz_status rc = fill_arm(s, &g, code, start, before_days, after_days, &out->area, err, errlen);
    if (rc != HZ_OK) return rc;
    if (compare_code && compare_code[0]) {
        rc = fill_arm(s, &g, compare_code, start, before_days, after_days, &out->comparison, err,
                      errlen);
        if (rc != HZ_OK) return rc;
        out->has_comparison = 1;
        const evaluate_arm *A = &out->area, *C = &out->comparison;
        out->rrr_zero_corrected =
            evaluate_rrr((double)A->after.count, A->after.person_years, (double)A->before.count,
                         A->before.person_years, (double)C->after.count, C->after.person_years,
                         (double)C->before.count, C->before.person_years, &out->rrr, &out->rrr_lo,
                         &out->rrr_hi) == 1;
    }
    incset_time_span(s, &out->data_from, &out->data_to);
    filter_canonical(&g, out->filters, sizeof out->filters);
    snprintf(out->work_srs, sizeof out->work_srs, "%s", incset_work_srs(s));
    out->data_version = incset_data_version(s);
    return HZ_OK;
}

/* Start of the local (+08:00) day containing t. */
static int64_t local_day_start(int64_t t)
{
    int64_t l = t + HZ_TZ_SHANGHAI;
    int64_t d = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    return d * 86400 - HZ_TZ_SHANGHAI;
}

/* A number, or null when not finite. */
static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *window_json(const evaluate_window *w, int suppressed)
{
    char a[32], b[32];
    hztime_format_iso(w->from, HZ_TZ_SHANGHAI, a);
    hztime_format_iso(w->to, HZ_TZ_SHANGHAI, b);
    return json_pack("{s:s, s:s, s:o, s:f, s:o, s:b}", "from", a, "to", b, "count",
                     suppressed ? json_null() : json_integer(w->count), "person_years",
                     w->person_years, "rate", suppressed ? json_null() : num_or_null(w->rate),
                     "suppressed", suppressed);
}

/* One arm. When a window count of the arm is suppressed, everything derived from it goes too:
 * with the other count and both person-times public, RR (or its CI, or the zero-correction flag,
 * which says a count is 0) would give the hidden count back. */
static json_t *arm_json(const evaluate_arm *arm, const disc_policy *pol, int *suppressed)
{
    int sb = disc_hidden(pol, (long)arm->before.count);
    int sa = disc_hidden(pol, (long)arm->after.count);
    *suppressed = sb || sa;
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:b}", "area", arm->code, "name", arm->name,
        "population", (json_int_t)arm->population, "before", window_json(&arm->before, sb), "after",
        window_json(&arm->after, sa), "rr", *suppressed ? json_null() : num_or_null(arm->rr),
        "rr_lo", *suppressed ? json_null() : num_or_null(arm->rr_lo), "rr_hi",
        *suppressed ? json_null() : num_or_null(arm->rr_hi), "suppressed", *suppressed);
    if (o && !*suppressed)
        json_object_set_new(o, "zero_corrected", json_boolean(arm->zero_corrected));
    return o;
}

hz_status evaluate_json(const evaluate_result *r, const disc_policy *pol, json_t **out, char *err,
                        size_t errlen)
{
    char start[32];
    hztime_format_iso(r->start, HZ_TZ_SHANGHAI, start);
    int sa = 0, sc = 0;
    json_t *area = arm_json(&r->area, pol, &sa);
    json_t *cmp = r->has_comparison ? arm_json(&r->comparison, pol, &sc) : json_null();
    json_t *o = json_object();
    json_t *prov = json_object();
    if (!area || !cmp || !o || !prov) goto oom;
    int sr = sa || sc;
    json_object_set_new(o, "area", json_string(r->area.code));
    json_object_set_new(o, "area_name", json_string(r->area.name));
    json_object_set_new(o, "start", json_string(start));
    json_object_set_new(o, "before", json_incref(json_object_get(area, "before")));
    json_object_set_new(o, "after", json_incref(json_object_get(area, "after")));
    json_object_set_new(o, "population", json_integer(r->area.population));
    json_object_set_new(o, "rr", json_incref(json_object_get(area, "rr")));
    json_object_set_new(o, "rr_lo", json_incref(json_object_get(area, "rr_lo")));
    json_object_set_new(o, "rr_hi", json_incref(json_object_get(area, "rr_hi")));
    if (!sa) json_object_set_new(o, "zero_corrected", json_boolean(r->area.zero_corrected));
    json_object_set_new(o, "comparison", cmp);
    json_object_set_new(o, "rrr", sr ? json_null() : num_or_null(r->rrr));
    json_object_set_new(o, "rrr_lo", sr ? json_null() : num_or_null(r->rrr_lo));
    json_object_set_new(o, "rrr_hi", sr ? json_null() : num_or_null(r->rrr_hi));
    json_object_set_new(o, "suppressed", json_boolean(sr));
    json_decref(area);
    json_t *warn = json_array();
    /* The data cover whole local days from the first incident's to the last one's. */
    if (r->data_from == INT64_MIN || r->area.before.from < local_day_start(r->data_from) ||
        r->area.after.to > local_day_start(r->data_to) + 86400)
        json_array_append_new(warn, json_string("a window extends beyond the time span of the "
                                                "data: its count may be incomplete"));
    json_object_set_new(o, "warnings", warn);
    json_object_set_new(prov, "filters", json_string(r->filters));
    json_object_set_new(
        prov, "method",
        json_string("before/after rate ratio over equal person-time windows; 95 % "
                    "Wald CI on ln RR (Rothman, Greenland & Lash 2008, ch. 14); ratio of "
                    "rate ratios with CI on ln RRR (Altman & Bland 2003); 0.5 added "
                    "to every count of a ratio with a zero count"));
    json_object_set_new(prov, "before_days", json_integer(r->before_days));
    json_object_set_new(prov, "after_days", json_integer(r->after_days));
    json_object_set_new(prov, "windows",
                        json_string("before [start - before_days, start), after [start, start + "
                                    "after_days); 'to' is exclusive; local time +08:00"));
    json_object_set_new(prov, "person_time",
                        json_string("area population x window length / 365.25 days"));
    json_object_set_new(prov, "rate_unit", json_string("per 100,000 population per year"));
    json_object_set_new(prov, "work_srs", json_string(r->work_srs));
    /* The total less the visible counts would be the suppressed ones. */
    json_object_set_new(prov, "incidents",
                        !disc_total_shown(pol, sr)
                            ? json_null()
                            : json_integer(r->area.before.count + r->area.after.count +
                                           (r->has_comparison ? r->comparison.before.count +
                                                                    r->comparison.after.count
                                                              : 0)));
    json_object_set_new(prov, "data_version", json_integer(r->data_version));
    json_object_set_new(o, "provenance", prov);
    *out = o;
    return HZ_OK;
oom:
    json_decref(area);
    json_decref(cmp);
    json_decref(o);
    json_decref(prov);
    return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
}
