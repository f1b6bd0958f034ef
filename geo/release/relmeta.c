/* relmeta.c - the metadata of a public release: budget, mechanism, period, dimensions and
 * tables, as JSON (see release.h).
 *
 * Invariant: nothing here reads an incident or a cell. The metadata is a function of the
 * options, the areas, the period and the data version only, so it cannot carry a count. */
#include "relimpl.h"
#include "relgroups.h"
#include "hazmap/hztime.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

/* Adds v to obj under key; keeps count of failures in *bad (jansson returns -1 on OOM). */
static void put(json_t *obj, const char *key, json_t *v, int *bad)
{
    if (!v || json_object_set_new(obj, key, v) != 0) *bad = 1;
}

static void push(json_t *arr, json_t *v, int *bad)
{
    if (!v || json_array_append_new(arr, v) != 0) *bad = 1;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void date_text(int month, char buf[16])
{
    snprintf(buf, 16, "%04d-%02d-01", month / 12 % 10000, month % 12 + 1);
}

/* Days from the first of month m0 to the first of month m1. */
static int64_t days_between(int m0, int m1)
{
    return hztime_days_from_civil(m1 / 12, m1 % 12 + 1, 1) -
           hztime_days_from_civil(m0 / 12, m0 % 12 + 1, 1);
}

static json_t *area_dim(const rel_dims *d, const incset *s, int level, int *bad)
{
    json_t *dim = json_object(), *rows = json_array();
    size_t n = d->size[level == 0 ? RELD_DISTRICT : RELD_SUBDISTRICT];
    const hz_area *areas = incset_areas(s);
    for (size_t row = 0; row + 1 < n; row++) {
        const hz_area *a = &areas[d->area_of_row[level][row]];
        json_t *o = json_object();
        if (!o) *bad = 1;
        put(o, "code", json_string(a->code), bad);
        put(o, "name", json_string(a->name), bad);
        put(o, "name_en", str_or_null(a->name_en), bad);
        put(o, "parent", str_or_null(a->parent_code), bad);
        put(o, "population", a->population >= 0 ? json_integer(a->population) : json_null(), bad);
        push(rows, o, bad);
    }
    json_t *out = json_pack("{s:n, s:s}", "code", "name",
                            level == 0 ? "outside all districts" : "outside all sub-districts");
    push(rows, out, bad);
    put(dim, "rows", rows, bad);
    put(dim, "last_row",
        json_string("incidents in no area of this level (or in no area at all); population none"),
        bad);
    return dim;
}

/* Labels of a time dimension of `months` months per column over [m0, m1). */
static json_t *time_dim(const rel_dims *d, int months, int *bad)
{
    json_t *dim = json_object(), *labels = json_array(), *expo = json_array();
    for (int c = d->m0 / months; c <= (d->m1 - 1) / months; c++) {
        char buf[32];
        int first = c * months;
        if (months == 12)
            snprintf(buf, sizeof buf, "%04d", c % 10000);
        else if (months == 3)
            snprintf(buf, sizeof buf, "%04d-Q%d", first / 12 % 10000, first % 12 / 3 + 1);
        else
            snprintf(buf, sizeof buf, "%04d-%02d", first / 12 % 10000, first % 12 + 1);
        push(labels, json_string(buf), bad);
        int lo = first > d->m0 ? first : d->m0,
            hi = first + months < d->m1 ? first + months : d->m1;
        push(expo, json_real((double)days_between(lo, hi) / 365.25), bad);
    }
    put(dim, "labels", labels, bad);
    put(dim, "exposure_years", expo, bad);
    return dim;
}

static json_t *group_dim(relg_family f, int *bad)
{
    json_t *dim = json_object(), *labels = json_array(), *defs = json_array();
    for (int g = 0; g < relg_count(f); g++) {
        push(labels, json_string(relg_name(f, g)), bad);
        push(defs, json_string(relg_definition(f, g)), bad);
    }
    put(dim, "labels", labels, bad);
    put(dim, "definitions", defs, bad);
    return dim;
}

static json_t *dimensions(const rel_dims *d, const incset *s, int *bad)
{
    json_t *dims = json_object();
    put(dims, "district", area_dim(d, s, 0, bad), bad);
    put(dims, "subdistrict", area_dim(d, s, 1, bad), bad);
    put(dims, "year", time_dim(d, 12, bad), bad);
    json_t *period = time_dim(d, d->gran, bad);
    put(period, "granularity",
        json_string(d->gran == 12  ? "year"
                    : d->gran == 3 ? "quarter"
                                   : "month"),
        bad);
    put(dims, "period", period, bad);
    put(dims, "month", time_dim(d, 1, bad), bad);
    for (int f = 0; f < RELG_FAMILIES; f++)
        put(dims, relg_family_name((relg_family)f), group_dim((relg_family)f, bad), bad);
    put(dims, "cell",
        json_pack("{s:s, s:f, s:f, s:f, s:i, s:i, s:s}", "crs", incset_work_srs(s), "size", d->cell,
                  "x0", d->x0, "y1", d->y1, "nx", d->nx, "ny", d->ny, "index",
                  "j * nx + i: column i east of x0, row j south of y1 (the north edge); the "
                  "areas' extent, every cell listed, zeros included"),
        bad);
    return dims;
}

static json_t *tables(const rel_release *r, int *bad)
{
    json_t *arr = json_array();
    double total = 0;
    for (size_t k = 0; k < r->ntables; k++)
        total += r->tables[k].share;
    for (size_t k = 0; k < r->ntables; k++) {
        const rel_table *t = &r->tables[k];
        json_t *o = json_object(), *dims = json_array(), *shape = json_array();
        for (size_t j = 0; j < t->ndims; j++) {
            push(dims, json_string(t->dim[j]), bad);
            push(shape, json_integer((json_int_t)t->shape[j]), bad);
        }
        char s2[64];
        snprintf(s2, sizeof s2, "%llu/%llu", (unsigned long long)t->s2.num,
                 (unsigned long long)t->s2.den);
        put(o, "name", json_string(t->name), bad);
        put(o, "dims", dims, bad);
        put(o, "shape", shape, bad);
        put(o, "cells", json_integer((json_int_t)t->ncells), bad);
        put(o, "density_grid", json_boolean(t->density_grid), bad);
        put(o, "share", json_real(t->share / total), bad);
        put(o, "sigma2", json_string(s2), bad);
        put(o, "sigma", json_real(sqrt(dpn_sigma2(t->s2))), bad);
        put(o, "rho", json_real(dpn_rho(t->s2)), bad);
        put(o, "ci95_halfwidth", json_integer(t->half95), bad);
        push(arr, o, bad);
    }
    return arr;
}

json_t *rel_meta_build(const rel_release *r, const rel_dims *d, const incset *s,
                       const rel_options *o, double rho)
{
    int bad = 0;
    json_t *m = json_object();
    if (!m) return NULL;
    char created[32], q0[16], q1[16], from[16], to[16];
    hztime_format_iso(o->created == INT64_MIN ? (int64_t)time(NULL) : o->created, 0, created);
    rel_format_quarter(d->m0 / 3, q0);
    rel_format_quarter((d->m1 - 1) / 3, q1);
    date_text(d->m0, from);
    date_text(d->m1, to);
    put(m, "format", json_string("hazmap-release/1"), &bad);
    put(m, "created_at", json_string(created), &bad);
    put(m, "data_version", json_integer(incset_data_version(s)), &bad);
    put(m, "period",
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "first_quarter", q0, "last_quarter", q1, "from",
                  from, "until", to, "time_zone", "+08:00", "basis",
                  d->period_given ? "given" : "the data's span in whole quarters"),
        &bad);
    put(m, "privacy",
        json_pack(
            "{s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:s}", "model",
            "zero-concentrated differential privacy (zCDP, Bun & Steinke 2016)", "unit",
            "one incident: adding or removing one changes one cell of each table by 1 "
            "(L2 sensitivity 1 per table)",
            "mechanism",
            "discrete Gaussian N_Z(0, sigma2) per cell, sampled exactly (Canonne, Kamath & "
            "Steinke 2020, Algorithms 1-3), drawn once for this release",
            "noise_source", o->noise_source ? o->noise_source : "unspecified", "epsilon_requested",
            o->epsilon, "delta", o->delta, "rho", rho, "epsilon", dpn_epsilon(rho, o->delta),
            "accounting",
            "rho = sum over tables of 1 / (2 sigma2); epsilon = rho + 2 sqrt(rho ln(1/delta)) "
            "(Bun & Steinke 2016, Prop. 1.3)"),
        &bad);
    put(m, "suppression",
        json_pack("{s:i, s:s}", "min_count", o->disclosure.min_count, "rule",
                  "in a count table a noisy value below min_count is withheld (suppressed), "
                  "judged on the noisy value only; the cells of a density grid (density_grid) "
                  "are never withheld and may be negative: they are smoothed into surfaces "
                  "with a bandwidth of at least 300 m"),
        &bad);
    put(m, "interval",
        json_string("95 %: value -/+ ci95_halfwidth, the 97.5 % quantile of the table's discrete "
                    "Gaussian computed from its pmf; the lower end raised to 0"),
        &bad);
    put(m, "coverage",
        json_string("every incident dated within the period is in one cell of each table; one "
                    "outside the grid's extent is in no grid cell; undated incidents are in no "
                    "table; an incident in a community counts for its sub-district and district"),
        &bad);
    put(m, "noise_order",
        json_string("tables in the order listed, cells in row-major order (last dimension "
                    "fastest)"),
        &bad);
    put(m, "encoding",
        json_string("zlib-compressed LEB128 varints: 0 = suppressed, zigzag(value) + 1 = value"),
        &bad);
    put(m, "dimensions", dimensions(d, s, &bad), &bad);
    put(m, "tables", tables(r, &bad), &bad);
    if (bad) {
        json_decref(m);
        return NULL;
    }
    return m;
}
