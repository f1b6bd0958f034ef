/* pubstats.c - the public's /api/stats from the release's tables (pubstats.h).
 *
 * One table answers a request, chosen by the group asked for (by= or a group's value):
 * injury_group -> subdistrict_period_injury, place_group -> subdistrict_period_place,
 * severity_group -> subdistrict_year_severity, age_band or sex -> subdistrict_year_age_sex, none
 * -> subdistrict_year (district_year for a district's code). Every cell of the table that matches
 * the request's values is one row, withheld cells included (count null, withheld true): nothing
 * is summed, so each row is exactly a released cell. Rates use the metadata's populations and
 * exposure years (per 100,000 per year); the interval of a rate is the count's interval scaled. */
#include "hazmap/pubstats.h"
#include "hazmap/geojson.h"
#include "hazmap/oapif.h"
#include "hazmap/paging.h"
#include "hazmap/release.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DIMS = 4 };

static const char *const public_args[] = {
    "f",           "format",         "area",     "year", "quarter", "injury_group",
    "place_group", "severity_group", "age_band", "sex",  "by",      NULL};

static int is_public_arg(const char *k)
{
    for (const char *const *a = public_args; *a; a++)
        if (strcmp(*a, k) == 0) return 1;
    return 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
bad(hresp *rs, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hresp_error(rs, 400, "InvalidParameterValue",
                "%s; the public statistics come from the published release and may be asked "
                "only by " PUBSTATS_PARAMS,
                msg);
}

/* The dimension object of the metadata named dim. */
static const json_t *dim_of(const rel_release *r, const char *dim)
{
    return json_object_get(json_object_get(rel_metadata(r), "dimensions"), dim);
}

/* The label of index i of dimension dim (a code for an area dimension; NULL for the "outside"
 * row). */
static const char *label_of(const rel_release *r, const char *dim, size_t i)
{
    const json_t *d = dim_of(r, dim), *rows = json_object_get(d, "rows");
    if (rows) return json_string_value(json_object_get(json_array_get(rows, i), "code"));
    return json_string_value(json_array_get(json_object_get(d, "labels"), i));
}

static int is_area_dim(const char *dim)
{
    return strcmp(dim, "district") == 0 || strcmp(dim, "subdistrict") == 0;
}

/* Whether index i of dimension dim matches the request. */
static int dim_matches(const rel_release *r, const hreq *rq, const char *dim, size_t i)
{
    const char *label = label_of(r, dim, i), *v;
    if (is_area_dim(dim)) {
        if (!(v = hreq_arg_get(rq, "area"))) return 1;
        if (!label) return 0;
        const json_t *row = json_array_get(json_object_get(dim_of(r, dim), "rows"), i);
        const char *parent = json_string_value(json_object_get(row, "parent"));
        return strcmp(label, v) == 0 || (parent && strcmp(parent, v) == 0);
    }
    if (strcmp(dim, "year") == 0) return !(v = hreq_arg_get(rq, "year")) || strcmp(label, v) == 0;
    if (strcmp(dim, "period") == 0) {
        const char *y = hreq_arg_get(rq, "year");
        if (y && strncmp(label, y, strlen(y)) != 0) return 0;
        return !(v = hreq_arg_get(rq, "quarter")) || strcmp(label, v) == 0;
    }
    return !(v = hreq_arg_get(rq, dim)) || strcmp(label, v) == 0;
}

/* 1 when value v names an index of dimension dim (labels, or area codes). */
static int dim_has(const rel_release *r, const char *dim, const char *v)
{
    const json_t *d = dim_of(r, dim);
    size_t n = json_array_size(json_object_get(d, "rows") ? json_object_get(d, "rows")
                                                          : json_object_get(d, "labels"));
    for (size_t i = 0; i < n; i++) {
        const char *l = label_of(r, dim, i);
        if (l && strcmp(l, v) == 0) return 1;
    }
    return 0;
}

/* 1 when the comma-separated list by names word. */
static int by_names(const char *by, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = by; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, word, n) == 0) return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* Checks the arguments and picks the table; NULL with rs filled on a bad request. */
static const rel_table *pick_table(const rel_release *r, const hreq *rq, hresp *rs)
{
    for (size_t i = 0; i < rq->nargs; i++) {
        const char *k = rq->args[i].key;
        if (!is_public_arg(k)) {
            bad(rs, "%.64s: not a public parameter", k);
            return NULL;
        }
    }
    const char *v = hreq_arg_get(rq, "f");
    if (v && strcmp(v, "json") != 0) {
        bad(rs, "f: '%.32s' is not json", v);
        return NULL;
    }
    if ((v = hreq_arg_get(rq, "format")) && strcmp(v, "json") != 0) {
        bad(rs, "format: '%.32s' is not json", v);
        return NULL;
    }
    static const char *const valued[] = {
        "year",           "quarter",  "injury_group", "place_group",
        "severity_group", "age_band", "sex",          NULL};
    for (const char *const *k = valued; *k; k++) {
        const char *dim = strcmp(*k, "quarter") == 0 ? "period" : *k;
        if ((v = hreq_arg_get(rq, *k)) && !dim_has(r, dim, v)) {
            bad(rs, "%s: '%.64s' is not in the release", *k, v);
            return NULL;
        }
    }
    const char *area = hreq_arg_get(rq, "area");
    int district = area && dim_has(r, "district", area);
    if (area && !district && !dim_has(r, "subdistrict", area)) {
        bad(rs, "area: no area with code '%.64s' in the release", area);
        return NULL;
    }
    /* The group families asked for, by value or by by= (a comma-separated list). */
    const char *by = hreq_arg_get(rq, "by");
    static const char *const bys[] = {"area",        "year",           "injury_group",
                                      "place_group", "severity_group", "age_band",
                                      "sex",         "age_sex",        NULL};
    for (const char *p = by; p && *p;) {
        size_t len = strcspn(p, ",");
        int known = 0;
        for (const char *const *b = bys; *b; b++)
            known |= strlen(*b) == len && strncmp(*b, p, len) == 0;
        if (!known) {
            bad(rs,
                "by: '%.*s' is not area, year, injury_group, place_group, severity_group, "
                "age_band, sex or age_sex",
                (int)(len < 32 ? len : 32), p);
            return NULL;
        }
        p += len + (p[len] == ',');
    }
    const char *want = NULL;
    static const struct {
        const char *arg, *table;
    } pick[] = {{"injury_group", "subdistrict_period_injury"},
                {"place_group", "subdistrict_period_place"},
                {"severity_group", "subdistrict_year_severity"},
                {"age_band", "subdistrict_year_age_sex"},
                {"sex", "subdistrict_year_age_sex"},
                {"age_sex", "subdistrict_year_age_sex"}};
    for (size_t k = 0; k < sizeof pick / sizeof *pick; k++) {
        if (!hreq_arg_get(rq, pick[k].arg) && !by_names(by, pick[k].arg)) continue;
        if (want && strcmp(want, pick[k].table) != 0) {
            bad(rs,
                "%s: the release has no table crossing these groups (one of injury_group, "
                "place_group, severity_group, or age_band with sex)",
                pick[k].arg);
            return NULL;
        }
        want = pick[k].table;
    }
    if (!want) want = district ? "district_year" : "subdistrict_year";
    if (hreq_arg_get(rq, "quarter") && strstr(want, "_period_") == NULL) {
        bad(rs, "%s",
            "quarter: only with injury_group or place_group (the release's tables by "
            "period)");
        return NULL;
    }
    const rel_table *t = rel_table_find(r, want);
    if (!t || rel_table_ndims(t) > MAX_DIMS) {
        hresp_error(rs, 500, "InternalError", "the release has no table %s", want);
        return NULL;
    }
    return t;
}

/* Exposure years of index i of the time dimension dim. */
static double exposure(const rel_release *r, const char *dim, size_t i)
{
    return json_number_value(json_array_get(json_object_get(dim_of(r, dim), "exposure_years"), i));
}

static json_t *rate_or_null(int64_t n, double pop, double years)
{
    if (!(pop > 0) || !(years > 0)) return json_null();
    return json_real((double)n / (pop * years) * 1e5);
}

/* The row of the cell at idx. */
static json_t *row_json(const rel_release *r, const rel_table *t, const size_t *idx)
{
    json_t *o = json_object();
    double pop = -1, years = -1;
    for (size_t d = 0; d < rel_table_ndims(t); d++) {
        const char *dim = rel_table_dim(t, d), *label = label_of(r, dim, idx[d]);
        if (is_area_dim(dim)) {
            const json_t *row = json_array_get(json_object_get(dim_of(r, dim), "rows"), idx[d]);
            json_object_set_new(o, "area", label ? json_string(label) : json_null());
            json_object_set_new(o, "area_name", json_deep_copy(json_object_get(row, "name")));
            json_object_set_new(o, "level", json_string(dim));
            const json_t *p = json_object_get(row, "population");
            json_object_set_new(o, "population", p ? json_deep_copy(p) : json_null());
            if (json_is_integer(p)) pop = (double)json_integer_value(p);
        } else {
            json_object_set_new(o, dim, label ? json_string(label) : json_null());
            if (strcmp(dim, "year") == 0 || strcmp(dim, "period") == 0) {
                years = exposure(r, dim, idx[d]);
                json_object_set_new(o, "exposure_years", json_real(years));
            }
        }
    }
    rel_value v;
    if (rel_table_cell(t, rel_table_index(t, idx), &v)) {
        json_object_set_new(o, "count", json_integer(v.value));
        json_object_set_new(o, "lo", json_integer(v.lo));
        json_object_set_new(o, "hi", json_integer(v.hi));
        json_object_set_new(o, "withheld", json_false());
        json_object_set_new(o, "rate", rate_or_null(v.value, pop, years));
        json_object_set_new(o, "rate_lo", rate_or_null(v.lo, pop, years));
        json_object_set_new(o, "rate_hi", rate_or_null(v.hi, pop, years));
    } else {
        static const char *const keys[] = {"count", "lo", "hi", "rate", "rate_lo", "rate_hi"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            json_object_set_new(o, keys[k], json_null());
        json_object_set_new(o, "withheld", json_true());
    }
    return o;
}

void pubstats_handle(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_public_unreleased(c, rs)) return;
    const rel_release *r = c->rel;
    const rel_table *t = pick_table(r, rq, rs);
    if (!t) return;
    size_t nd = rel_table_ndims(t), idx[MAX_DIMS] = {0};
    json_t *rows = json_array();
    for (size_t cell = 0; cell < rel_table_cells(t); cell++) {
        /* idx is the cell's coordinates, last dimension fastest (row-major). */
        size_t rest = cell;
        for (size_t d = nd; d-- > 0;) {
            idx[d] = rest % rel_table_shape(t, d);
            rest /= rel_table_shape(t, d);
        }
        int ok = 1;
        for (size_t d = 0; d < nd && ok; d++)
            ok = dim_matches(r, rq, rel_table_dim(t, d), idx[d]);
        if (ok) json_array_append_new(rows, row_json(r, t, idx));
    }
    const json_t *meta = rel_metadata(r);
    json_t *j = json_pack(
        "{s:I, s:s, s:O, s:O, s:I, s:s, s:s, s:o}", "release", (json_int_t)rel_id(r), "table",
        rel_table_name(t), "period", json_object_get(meta, "period"), "created_at",
        json_object_get(meta, "created_at"), "withheld_below",
        (json_int_t)json_integer_value(
            json_object_get(json_object_get(meta, "suppression"), "min_count")),
        "method",
        "noisy counts of the public release (discrete Gaussian noise, zero-concentrated "
        "differential privacy; see the release's metadata and PRIVACY.md), each a released cell "
        "as published; rate per 100,000 per year from the metadata's population and exposure "
        "years",
        "interval",
        "95 %: count -/+ the 97.5 % quantile of the table's noise, the lower end "
        "raised to 0",
        "rows", rows);
    if (!j) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

/* ---- /api/evaluate ---- */

/* One window: the sum of the released cells of `table` for sub-district row `row`, periods
 * [p0, p1) of the time dimension (dimension 1), group g of dimension 2 (tables of 3 dims). */
typedef struct pub_window {
    int64_t count;
    int withheld, cells;
    double years;
} pub_window;

/* The first day (YYYY-MM-DD, local) of period k of t's time dimension (labels "YYYY", "YYYY-Qn"
 * or "YYYY-MM"); k = its size gives the end of the release's period. */
static void period_first(const rel_release *r, const rel_table *t, size_t k, char first[16])
{
    if (k >= rel_table_shape(t, 1)) {
        const json_t *period = json_object_get(rel_metadata(r), "period");
        snprintf(first, 16, "%.10s", json_string_value(json_object_get(period, "until")));
        return;
    }
    const char *l = label_of(r, rel_table_dim(t, 1), k);
    if (strlen(l) == 4)
        snprintf(first, 16, "%.4s-01-01", l);
    else if (l[5] == 'Q')
        snprintf(first, 16, "%.4s-%02d-01", l, (l[6] - '1') * 3 + 1);
    else
        snprintf(first, 16, "%.7s-01", l);
}

static void window_sum(const rel_release *r, const rel_table *t, size_t row, size_t p0, size_t p1,
                       int g, pub_window *w)
{
    memset(w, 0, sizeof *w);
    const char *tdim = rel_table_dim(t, 1);
    for (size_t p = p0; p < p1; p++) {
        size_t idx[3] = {row, p, g < 0 ? 0 : (size_t)g};
        rel_value v;
        if (rel_table_cell(t, rel_table_index(t, idx), &v))
            w->count += v.value;
        else
            w->withheld = 1;
        w->cells++;
        w->years += exposure(r, tdim, p);
    }
}

static json_t *window_json(const rel_release *r, const rel_table *t, size_t p0, size_t p1,
                           const pub_window *w, double pop, double s2)
{
    const char *tdim = rel_table_dim(t, 1);
    char from[16], to[16];
    period_first(r, t, p0, from);
    period_first(r, t, p1, to);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f}", "from", from, "to", to, "first_period",
                          label_of(r, tdim, p0), "last_period", label_of(r, tdim, p1 - 1),
                          "periods", (int)(p1 - p0), "exposure_years", w->years);
    if (w->withheld) {
        static const char *const keys[] = {"count", "rate", "rate_lo", "rate_hi"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            json_object_set_new(o, keys[k], json_null());
        json_object_set_new(o, "suppressed", json_true());
        return o;
    }
    double n = w->count > 0 ? (double)w->count : 0, sd = sqrt(n + s2 * w->cells);
    double per = pop > 0 && w->years > 0 ? 1e5 / (pop * w->years) : NAN;
    json_object_set_new(o, "count", json_integer(w->count));
    json_object_set_new(o, "suppressed", json_false());
    json_object_set_new(o, "rate", isfinite(per) ? json_real(n * per) : json_null());
    json_object_set_new(o, "rate_lo",
                        isfinite(per) ? json_real(fmax(0, n - 1.96 * sd) * per) : json_null());
    json_object_set_new(o, "rate_hi",
                        isfinite(per) ? json_real((n + 1.96 * sd) * per) : json_null());
    return o;
}

void pubstats_evaluate(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_public_unreleased(c, rs)) return;
    const rel_release *r = c->rel;
    static const char *const allowed[] = {
        "f", "area", "start", "before_days", "after_days", "injury_group", "place_group", NULL};
    for (size_t i = 0; i < rq->nargs; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(*a, rq->args[i].key) == 0;
        for (size_t j = 0; j < i && ok; j++)
            ok = strcmp(rq->args[j].key, rq->args[i].key) != 0;
        if (!ok) {
            hresp_error(rs, 400, "InvalidParameterValue",
                        "%.64s: the public evaluation comes from the published release and may "
                        "be asked only by area (a sub-district), start (the first day of a year, "
                        "or of a quarter with a group), before_days, after_days, and one of "
                        "injury_group, place_group",
                        rq->args[i].key);
            return;
        }
    }
    const char *area = hreq_arg_get(rq, "area"), *start = hreq_arg_get(rq, "start");
    const char *family = hreq_arg_get(rq, "injury_group")  ? "injury_group"
                         : hreq_arg_get(rq, "place_group") ? "place_group"
                                                           : NULL;
    if (hreq_arg_get(rq, "injury_group") && hreq_arg_get(rq, "place_group")) {
        hresp_error(rs, 400, "InvalidParameterValue",
                    "injury_group and place_group: the release has no table crossing them");
        return;
    }
    const rel_table *t =
        rel_table_find(r, !family                               ? "subdistrict_year"
                          : strcmp(family, "injury_group") == 0 ? "subdistrict_period_injury"
                                                                : "subdistrict_period_place");
    if (!area || !start || !t || !dim_has(r, "subdistrict", area)) {
        hresp_error(rs, 400, "InvalidParameterValue",
                    "area=CODE (a sub-district of the release) and start=YYYY-MM-DD are required");
        return;
    }
    size_t row = 0, nrow = rel_table_shape(t, 0);
    while (row < nrow &&
           !(label_of(r, "subdistrict", row) && strcmp(label_of(r, "subdistrict", row), area) == 0))
        row++;
    int g = -1;
    if (family) {
        const char *v = hreq_arg_get(rq, family);
        for (size_t k = 0; k < rel_table_shape(t, 2); k++)
            if (strcmp(label_of(r, family, k), v) == 0) g = (int)k;
        if (g < 0) {
            hresp_error(rs, 400, "InvalidParameterValue", "%s: '%.64s' is not in the release",
                        family, v);
            return;
        }
    }
    /* The period that starts on `start`: labels are "YYYY" or "YYYY-Qn" (or "YYYY-MM"). */
    const char *tdim = rel_table_dim(t, 1);
    size_t np = rel_table_shape(t, 1), p = np;
    for (size_t k = 0; k < np; k++) {
        char first[16];
        period_first(r, t, k, first);
        if (strcmp(first, start) == 0) p = k;
    }
    double days_per = exposure(r, tdim, 0) > 0.5 ? 365.25 : 365.25 / 4;
    long before = 365, after = 365;
    const char *v;
    if ((v = hreq_arg_get(rq, "before_days"))) before = strtol(v, NULL, 10);
    if ((v = hreq_arg_get(rq, "after_days"))) after = strtol(v, NULL, 10);
    long nb = lround((double)before / days_per), na = lround((double)after / days_per);
    if (p == np || p == 0 || nb < 1 || na < 1 || (size_t)nb > p || p + (size_t)na > np) {
        hresp_error(rs, 400, "InvalidParameterValue",
                    "start must be the first day of a %s of the release with at least one whole "
                    "period before it and after it (before_days and after_days are rounded to "
                    "whole periods and must stay within the release)",
                    family ? "quarter" : "year");
        return;
    }
    pub_window wb, wa;
    window_sum(r, t, row, p - (size_t)nb, p, g, &wb);
    window_sum(r, t, row, p, p + (size_t)na, g, &wa);
    dpn_ratio s2r = rel_table_s2(t);
    double s2 = s2r.den ? (double)s2r.num / (double)s2r.den : 0;
    const json_t *arow = json_array_get(json_object_get(dim_of(r, "subdistrict"), "rows"), row);
    const json_t *popj = json_object_get(arow, "population");
    double pop = json_is_integer(popj) ? (double)json_integer_value(popj) : -1;
    json_t *j = json_pack("{s:I, s:s, s:s, s:o, s:o}", "release", (json_int_t)rel_id(r), "area",
                          area, "table", rel_table_name(t), "before",
                          window_json(r, t, p - (size_t)nb, p, &wb, pop, s2), "after",
                          window_json(r, t, p, p + (size_t)na, &wa, pop, s2));
    double rr = NAN, lo = NAN, hi = NAN;
    if (!wb.withheld && !wa.withheld && wb.count > 0 && wa.count > 0 && wb.years > 0 &&
        wa.years > 0) {
        double b = (double)wb.count, a = (double)wa.count;
        rr = (a / wa.years) / (b / wb.years);
        double se = sqrt((a + s2 * wa.cells) / (a * a) + (b + s2 * wb.cells) / (b * b));
        lo = rr * exp(-1.96 * se);
        hi = rr * exp(1.96 * se);
    }
    json_object_set_new(j, "rr", isfinite(rr) ? json_real(rr) : json_null());
    json_object_set_new(j, "rr_lo", isfinite(lo) ? json_real(lo) : json_null());
    json_object_set_new(j, "rr_hi", isfinite(hi) ? json_real(hi) : json_null());
    json_object_set_new(
        j, "method",
        json_string("released noisy counts summed over whole periods; rate ratio after/before "
                    "per exposure year, 95 % interval by the delta method on log(rr) with each "
                    "window's variance its count plus the noise variance of its cells"));
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

/* ---- /collections/areas for the public ---- */

/* The release's row of area code: *dim is "district" or "subdistrict"; -1 when it has none. */
static long area_row(const rel_release *r, const char *code, const char **dim)
{
    static const char *const dims[] = {"subdistrict", "district"};
    for (size_t d = 0; d < 2; d++) {
        size_t n = json_array_size(json_object_get(dim_of(r, dims[d]), "rows"));
        for (size_t i = 0; i < n; i++) {
            const char *l = label_of(r, dims[d], i);
            if (l && strcmp(l, code) == 0) {
                *dim = dims[d];
                return (long)i;
            }
        }
    }
    return -1;
}

/* The released figures of area a in year index y, as properties: those of /api/stats' rows
 * under the collection's names (count_lo, count_hi, suppressed). */
static json_t *area_released(const rel_release *r, const hz_area *a, size_t y)
{
    const char *dim = NULL;
    long row = area_row(r, a->code, &dim);
    const rel_table *t = row < 0
                             ? NULL
                             : rel_table_find(r, strcmp(dim, "district") == 0 ? "district_year"
                                                                              : "subdistrict_year");
    if (!t) return json_pack("{s:n, s:b}", "count", "suppressed", 1);
    /* (area, year): the *_year tables' two dimensions; MAX_DIMS wide like the other callers' */
    size_t idx[MAX_DIMS] = {(size_t)row, y};
    json_t *cell = row_json(r, t, idx);
    static const char *const renames[][2] = {
        {"lo", "count_lo"}, {"hi", "count_hi"}, {"withheld", "suppressed"}};
    for (size_t k = 0; cell && k < sizeof renames / sizeof *renames; k++) {
        json_t *v = json_object_get(cell, renames[k][0]);
        if (v) json_object_set(cell, renames[k][1], v);
        json_object_del(cell, renames[k][0]);
    }
    json_object_del(cell, "area");
    json_object_del(cell, "area_name");
    json_object_del(cell, "level");
    return cell;
}

static json_t *area_feature_pub(const rel_release *r, const hz_area *a, size_t y)
{
    json_t *p = area_released(r, a, y);
    json_object_set_new(p, "code", json_string(a->code));
    json_object_set_new(p, "name", json_string(a->name));
    json_object_set_new(p, "name_en", a->name_en ? json_string(a->name_en) : json_null());
    json_object_set_new(p, "level", json_string(a->level));
    json_object_set_new(p, "parent_code",
                        a->parent_code ? json_string(a->parent_code) : json_null());
    json_t *geom = geojson_from_wkb(a->wkb, a->wkb_len);
    return json_pack("{s:s, s:s, s:o, s:o}", "type", "Feature", "id", a->code, "geometry",
                     geom ? geom : json_null(), "properties", p);
}

typedef struct area_job {
    const rel_release *r;
    const hz_area *areas;
    size_t year;
} area_job;

static json_t *area_feature_at(void *ud, size_t i)
{
    const area_job *j = ud;
    return area_feature_pub(j->r, &j->areas[i], j->year);
}

/* Checks the names of a public areas request: only f, year and, for items, limit, offset,
 * bbox, each once. -1 with rs filled (400) otherwise. */
static int areas_args(const hreq *rq, int items, hresp *rs)
{
    static const char *const allowed[] = {"f",    "year", "limit",    "offset",
                                          "bbox", "crs",  "bbox-crs", NULL};
    for (size_t i = 0; i < rq->nargs; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) /* a single area: f, year and crs */
            if (items || a - allowed < 2 || strcmp(*a, "crs") == 0)
                ok |= strcmp(*a, rq->args[i].key) == 0;
        for (size_t j = 0; j < i && ok; j++) /* the same value twice: hreq_repeated_arg() */
            ok = strcmp(rq->args[j].key, rq->args[i].key) != 0 ||
                 strcmp(rq->args[j].value, rq->args[i].value) == 0;
        if (!ok) {
            hresp_error(rs, 400, "InvalidParameterValue",
                        "%.64s: the public areas carry the published release's counts and rates "
                        "and may be asked only by year%s",
                        rq->args[i].key,
                        items ? " (and limit, offset, bbox, crs, bbox-crs)" : " (and crs)");
            return -1;
        }
    }
    return 0;
}

/* The year index of a public areas request (default: the release's last year). -1 with rs
 * filled (400) for a year the release does not have. */
static long areas_year(const rel_release *r, const hreq *rq, hresp *rs)
{
    const json_t *labels = json_object_get(dim_of(r, "year"), "labels");
    size_t ny = json_array_size(labels);
    const char *v = hreq_arg_get(rq, "year");
    if (!v) return ny ? (long)ny - 1 : -1;
    for (size_t k = 0; k < ny; k++)
        if (strcmp(json_string_value(json_array_get(labels, k)), v) == 0) return (long)k;
    hresp_error(rs, 400, "InvalidParameterValue", "year: '%.32s' is not a year of the release", v);
    return -1;
}

static json_t *areas_provenance(const rel_release *r, size_t y)
{
    return json_pack("{s:I, s:s, s:s, s:s}", "release", (json_int_t)rel_id(r), "year",
                     label_of(r, "year", y), "method",
                     "noisy counts of the public release's district_year and subdistrict_year "
                     "tables (see PRIVACY.md); rate per 100,000 per year of exposure",
                     "interval", "95 %: count -/+ the 97.5 % quantile of the table's noise");
}

void pubstats_areas_items(hctx *c, const hreq *rq, hresp *rs)
{
    if (areas_args(rq, 1, rs) || app_public_unreleased(c, rs)) return;
    long y = areas_year(c->rel, rq, rs);
    paging_params pg;
    hz_filter f;
    if (y < 0 || paging_parse(c, rq, &pg, &f, rs, (const char *const[]){"year", NULL})) return;
    paging_page *page = paging_page_new(&pg);
    if (!page) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    area_job job = {c->rel, incset_areas(c->snap), (size_t)y};
    paging_add_areas(c, &pg, page, area_feature_at, &job);
    json_t *prov = areas_provenance(c->rel, (size_t)y);
    paging_send(c, rq, rs, page, prov);
    json_decref(prov);
}

void pubstats_area_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    if (areas_args(rq, 0, rs) || app_public_unreleased(c, rs)) return;
    long y = areas_year(c->rel, rq, rs);
    if (y < 0) return;
    int32_t k = incset_area_find(c->snap, fid);
    if (k < 0) {
        hresp_error(rs, 404, "NotFound", "no area '%.64s'", fid);
        return;
    }
    int crs;
    if (paging_crs(c, rq, &crs, rs)) return;
    json_t *feat = area_feature_pub(c->rel, &incset_areas(c->snap)[k], (size_t)y);
    json_object_set_new(feat, "provenance", areas_provenance(c->rel, (size_t)y));
    json_object_set_new(feat, "links", paging_item_links(c));
    oapif_send_feature(rs, feat, crs);
}
