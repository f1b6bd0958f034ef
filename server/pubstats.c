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
#include "hazmap/release.h"

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
        for (size_t j = 0; j < i; j++)
            if (strcmp(rq->args[j].key, k) == 0) {
                bad(rs, "%.64s: given twice", k);
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
    hresp_header(rs, "Vary", "Authorization");
}
