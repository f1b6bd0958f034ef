/* release.c - building the public statistical release: dimensions, one pass of counting, the
 * noise, suppression, and the accessors (see release.h).
 *
 * Invariants:
 *  1. Every incident adds 1 to at most one cell of each table (cell_of() gives one index per
 *     table or none), so each table has L2 sensitivity 1 and the zCDP sum of dpnoise.h holds.
 *  2. The noise does not depend on the data: the draws are taken from the source in a fixed
 *     order (tables in spec order, cells row-major) whose length depends on the dimensions only,
 *     so two databases with the same areas and period receive the same draws from the same
 *     stream.
 *  3. The exact counts exist only inside rel_build(): each cell's count becomes count + noise in
 *     place, and a suppressed cell is zeroed (relimpl.h invariant 2). */
#include "relimpl.h"
#include "relgroups.h"
#include "hazmap/hztime.h"
#include "hazmap/wkb.h"
#include "hazmap/workcrs.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct table_spec {
    const char *name;
    size_t ndims;
    rel_dim_kind dim[REL_MAX_DIMS];
    double share;     /* relative share of rho (normalised by dpn_split()) */
    int density_grid; /* 1: never withheld (disclosure.h rule 6) */
} table_spec;

/* The tables and their shares of rho, chosen on the sample (PRIVACY.md, tests/check_release.c):
 * the totals behind rates get a 95 % interval of +/- 10 at the default budget (so a rate of 100
 * incidents or more is within 10 %), the grid the largest shares (a 300 m map smooths 28 cells
 * of 100 m, each noised once per year and group: r >= 0.9 with the true map needs sigma near
 * 3), the detailed tables the rest. */
static const table_spec specs[] = {
    {"district_year", 2, {RELD_DISTRICT, RELD_YEAR}, 0.08, 0},
    {"subdistrict_year", 2, {RELD_SUBDISTRICT, RELD_YEAR}, 0.08, 0},
    {"subdistrict_period_injury", 3, {RELD_SUBDISTRICT, RELD_PERIOD, RELD_INJURY}, 0.07, 0},
    {"subdistrict_period_place", 3, {RELD_SUBDISTRICT, RELD_PERIOD, RELD_PLACE}, 0.07, 0},
    {"subdistrict_year_severity", 3, {RELD_SUBDISTRICT, RELD_YEAR, RELD_SEVERITY}, 0.07, 0},
    {"subdistrict_year_age_sex", 4, {RELD_SUBDISTRICT, RELD_YEAR, RELD_AGE, RELD_SEX}, 0.07, 0},
    {"district_month_injury", 3, {RELD_DISTRICT, RELD_MONTH, RELD_INJURY}, 0.07, 0},
    {"district_month_place", 3, {RELD_DISTRICT, RELD_MONTH, RELD_PLACE}, 0.07, 0},
    {"grid_year_injury", 3, {RELD_CELL, RELD_YEAR, RELD_INJURY}, 0.21, 1},
    {"grid_year_place", 3, {RELD_CELL, RELD_YEAR, RELD_PLACE}, 0.21, 1},
};
enum { NSPECS = sizeof specs / sizeof *specs };

static const char *const dim_names[RELD_KINDS] = {
    [RELD_DISTRICT] = "district", [RELD_SUBDISTRICT] = "subdistrict",
    [RELD_YEAR] = "year",         [RELD_PERIOD] = "period",
    [RELD_MONTH] = "month",       [RELD_INJURY] = "injury_group",
    [RELD_PLACE] = "place_group", [RELD_SEVERITY] = "severity_group",
    [RELD_AGE] = "age_band",      [RELD_SEX] = "sex",
    [RELD_CELL] = "cell"};

static const char *const level_names[REL_LEVELS] = {"district", "subdistrict"};

const char *rel_dim_name(rel_dim_kind k)
{
    return k < RELD_KINDS ? dim_names[k] : NULL;
}

/* ---- options ---- */

void rel_options_init(rel_options *o)
{
    memset(o, 0, sizeof *o);
    o->epsilon = REL_DEFAULT_EPSILON;
    o->delta = REL_DEFAULT_DELTA;
    o->disclosure = disc_public(10, 300);
    o->period = REL_QUARTER;
    o->first_quarter = o->last_quarter = -1;
    o->cell = DISC_PUBLIC_MIN_CELL;
    o->created = INT64_MIN;
    o->noise_source = "OpenSSL RAND_bytes";
}

hz_status rel_parse_granularity(const char *text, rel_granularity *g, char *err, size_t errlen)
{
    if (strcasecmp(text, "quarter") == 0)
        *g = REL_QUARTER;
    else if (strcasecmp(text, "month") == 0)
        *g = REL_MONTH;
    else if (strcasecmp(text, "year") == 0)
        *g = REL_YEAR;
    else
        return hz_fail(HZ_EINVAL, err, errlen,
                       "period: '%s' is not quarter, month or year (never finer than a month)",
                       text);
    return HZ_OK;
}

hz_status rel_parse_quarter(const char *text, int *quarter, char *err, size_t errlen)
{
    int y, q, n = 0;
    if ((sscanf(text, "%4d-Q%1d%n", &y, &q, &n) == 2 ||
         sscanf(text, "%4dQ%1d%n", &y, &q, &n) == 2) &&
        text[n] == 0 && y >= 1900 && y <= 9999 && q >= 1 && q <= 4) {
        *quarter = y * 4 + q - 1;
        return HZ_OK;
    }
    return hz_fail(HZ_EINVAL, err, errlen, "'%s' is not a quarter (YYYY-Qn, e.g. 2012-Q1)", text);
}

void rel_format_quarter(int q, char buf[16])
{
    snprintf(buf, 16, "%04d-Q%d", q / 4 % 10000, q % 4 + 1);
}

/* ---- dimensions ---- */

/* Month (year * 12 + month - 1) of instant t in local offset tz. */
static int month_of(int64_t t, int tz)
{
    int64_t l = t + tz;
    int64_t day = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    int y, m, d;
    hztime_civil_from_days(day, &y, &m, &d);
    return y * 12 + m - 1;
}

static hz_status dims_time(rel_dims *d, const incset *s, const rel_options *o, char *err,
                           size_t errlen)
{
    int q0 = o->first_quarter, q1 = o->last_quarter;
    d->tz = HZ_TZ_SHANGHAI;
    d->period_given = q0 >= 0 && q1 >= 0;
    if (!d->period_given) {
        int64_t first, last;
        incset_time_span(s, &first, &last);
        if (first == INT64_MIN)
            return hz_fail(HZ_EINVAL, err, errlen,
                           "release: no incident has a date; give the study period");
        q0 = month_of(first, d->tz) / 3;
        q1 = month_of(last, d->tz) / 3;
    }
    if (q1 < q0 || q1 - q0 >= 400)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "release: the study period must be 1 to 400 quarters");
    d->m0 = q0 * 3;
    d->m1 = (q1 + 1) * 3;
    d->gran = o->period;
    d->size[RELD_YEAR] = (size_t)((d->m1 - 1) / 12 - d->m0 / 12 + 1);
    d->size[RELD_PERIOD] = (size_t)((d->m1 - 1) / d->gran - d->m0 / d->gran + 1);
    d->size[RELD_MONTH] = (size_t)(d->m1 - d->m0);
    return HZ_OK;
}

static hz_status dims_areas(rel_dims *d, const incset *s, char *err, size_t errlen)
{
    size_t na = incset_area_count(s);
    const hz_area *areas = incset_areas(s);
    for (int l = 0; l < REL_LEVELS; l++) {
        d->area_of_row[l] = malloc((na + 1) * sizeof(int32_t));
        d->row_of_area[l] = malloc((na + 1) * sizeof(int32_t));
        if (!d->area_of_row[l] || !d->row_of_area[l])
            return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        size_t rows = 0;
        for (size_t a = 0; a < na; a++) /* the snapshot's areas are in code order */
            if (strcmp(areas[a].level, level_names[l]) == 0) {
                d->row_of_area[l][a] = (int32_t)rows;
                d->area_of_row[l][rows++] = (int32_t)a;
            }
        d->size[l == 0 ? RELD_DISTRICT : RELD_SUBDISTRICT] = rows + 1; /* + outside */
        /* Every other area belongs to the row of its nearest ancestor at this level. */
        for (size_t a = 0; a < na; a++) {
            if (strcmp(areas[a].level, level_names[l]) == 0) continue;
            d->row_of_area[l][a] = (int32_t)rows;
            for (int32_t p = areas[a].parent, depth = 0; p >= 0 && depth < 16;
                 p = areas[p].parent, depth++)
                if (strcmp(areas[p].level, level_names[l]) == 0) {
                    d->row_of_area[l][a] = d->row_of_area[l][p];
                    break;
                }
        }
    }
    return HZ_OK;
}

typedef struct bbox_ctx {
    double *x, *y;
    size_t n, cap;
} bbox_ctx;

static int collect_ring(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy)
{
    bbox_ctx *c = ud;
    (void)polygon;
    (void)ring;
    if (c->n + n > c->cap) {
        size_t cap = (c->n + n) * 2;
        double *nx = realloc(c->x, cap * sizeof *nx);
        if (nx) c->x = nx;
        double *ny = realloc(c->y, cap * sizeof *ny);
        if (ny) c->y = ny;
        if (!nx || !ny) return -2; /* out of memory, as wkb_polygon_rings() says it */
        c->cap = cap;
    }
    for (size_t k = 0; k < n; k++) {
        c->x[c->n] = xy[2 * k];
        c->y[c->n++] = xy[2 * k + 1];
    }
    return 0;
}

/* The grid: the areas' extent in the working CRS, aligned outward to multiples of the cell. */
static hz_status dims_grid(rel_dims *d, const incset *s, const rel_options *o, char *err,
                           size_t errlen)
{
    d->cell = disc_cell(&o->disclosure, o->cell > 0 ? o->cell : DISC_PUBLIC_MIN_CELL);
    size_t na = incset_area_count(s);
    if (na == 0) return HZ_OK; /* no extent: the grid tables have no cell */
    bbox_ctx c = {0};
    for (size_t a = 0; a < na; a++) {
        int rc =
            wkb_polygon_rings(incset_areas(s)[a].wkb, incset_areas(s)[a].wkb_len, collect_ring, &c);
        if (rc != 0) {
            free(c.x);
            free(c.y);
            if (rc == -2) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
            return hz_fail(HZ_EINVAL, err, errlen, "release: area %s has a malformed geometry",
                           incset_areas(s)[a].code);
        }
    }
    workcrs *w = workcrs_new(incset_work_srs(s), 0, 0, err, errlen);
    hz_status st = w ? workcrs_forward(w, c.n, c.x, c.y, c.x, c.y) : HZ_ECRS;
    double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t k = 0; k < c.n && st == HZ_OK; k++) {
        if (!isfinite(c.x[k]) || !isfinite(c.y[k])) continue;
        bb[0] = fmin(bb[0], c.x[k]);
        bb[1] = fmin(bb[1], c.y[k]);
        bb[2] = fmax(bb[2], c.x[k]);
        bb[3] = fmax(bb[3], c.y[k]);
    }
    workcrs_free(w);
    free(c.x);
    free(c.y);
    if (st != HZ_OK) return hz_fail(HZ_ECRS, err, errlen, "release: cannot project the areas");
    if (!(bb[2] >= bb[0] && bb[3] >= bb[1])) return HZ_OK;
    d->x0 = floor(bb[0] / d->cell) * d->cell;
    d->y1 = ceil(bb[3] / d->cell) * d->cell;
    double nx = ceil((bb[2] - d->x0) / d->cell), ny = ceil((d->y1 - bb[1]) / d->cell);
    if (nx * ny > REL_MAX_CELLS)
        return hz_fail(HZ_ELIMIT, err, errlen, "release: the areas' extent needs %.0f grid cells",
                       nx * ny);
    d->nx = nx < 1 ? 1 : (int)nx;
    d->ny = ny < 1 ? 1 : (int)ny;
    d->size[RELD_CELL] = (size_t)d->nx * (size_t)d->ny;
    return HZ_OK;
}

static void dims_free(rel_dims *d)
{
    for (int l = 0; l < REL_LEVELS; l++) {
        free(d->area_of_row[l]);
        free(d->row_of_area[l]);
    }
}

/* The index of incident i along every dimension kind, -1 where it has none. */
static void coords_of(const rel_dims *d, const hz_incident *i, long idx[RELD_KINDS])
{
    for (int k = 0; k < RELD_KINDS; k++)
        idx[k] = -1;
    int32_t a = i->area;
    idx[RELD_DISTRICT] = a >= 0 ? d->row_of_area[0][a] : (long)d->size[RELD_DISTRICT] - 1;
    idx[RELD_SUBDISTRICT] = a >= 0 ? d->row_of_area[1][a] : (long)d->size[RELD_SUBDISTRICT] - 1;
    if (i->t != INT64_MIN) {
        int m = month_of(i->t, d->tz);
        if (m >= d->m0 && m < d->m1) {
            idx[RELD_MONTH] = m - d->m0;
            idx[RELD_YEAR] = m / 12 - d->m0 / 12;
            idx[RELD_PERIOD] = m / d->gran - d->m0 / d->gran;
        }
    }
    idx[RELD_INJURY] = relg_of(RELG_INJURY, i);
    idx[RELD_PLACE] = relg_of(RELG_PLACE, i);
    idx[RELD_SEVERITY] = relg_of(RELG_SEVERITY, i);
    idx[RELD_AGE] = relg_of(RELG_AGE, i);
    idx[RELD_SEX] = relg_of(RELG_SEX, i);
    if (d->size[RELD_CELL] > 0 && isfinite(i->x) && isfinite(i->y)) {
        double fi = floor((i->x - d->x0) / d->cell), fj = floor((d->y1 - i->y) / d->cell);
        if (fi >= 0 && fi < d->nx && fj >= 0 && fj < d->ny)
            idx[RELD_CELL] = (long)fj * d->nx + (long)fi;
    }
}

/* ---- tables ---- */

hz_status rel_table_alloc(rel_table *t)
{
    size_t n = t->ncells ? t->ncells : 1;
    t->value = calloc(n, sizeof *t->value);
    t->suppressed = calloc(n, 1);
    return t->value && t->suppressed ? HZ_OK : HZ_ENOMEM;
}

static hz_status tables_init(rel_release *r, const rel_dims *d, char *err, size_t errlen)
{
    r->tables = calloc(NSPECS, sizeof *r->tables);
    if (!r->tables) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    r->ntables = NSPECS;
    double total = 0;
    for (size_t k = 0; k < NSPECS; k++) {
        rel_table *t = &r->tables[k];
        t->name = specs[k].name;
        t->ndims = specs[k].ndims;
        t->share = specs[k].share;
        t->density_grid = specs[k].density_grid;
        t->ncells = 1;
        for (size_t j = 0; j < t->ndims; j++) {
            t->dim[j] = dim_names[specs[k].dim[j]];
            t->shape[j] = d->size[specs[k].dim[j]];
            t->ncells *= t->shape[j];
        }
        total += (double)t->ncells;
        if (total > REL_MAX_CELLS)
            return hz_fail(HZ_ELIMIT, err, errlen, "release: more than %d cells", REL_MAX_CELLS);
        if (rel_table_alloc(t) != HZ_OK) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    return HZ_OK;
}

/* One pass: each incident adds one to its cell of every table it has a cell in (invariant 1). */
static void count_all(rel_release *r, const rel_dims *d, const incset *s)
{
    const hz_incident *items = incset_items(s);
    size_t n = incset_count(s);
    incset_note_scan(s);
    for (size_t k = 0; k < n; k++) {
        long c[RELD_KINDS];
        coords_of(d, &items[k], c);
        for (size_t ti = 0; ti < NSPECS; ti++) {
            rel_table *t = &r->tables[ti];
            size_t idx = 0;
            int in = 1;
            for (size_t j = 0; j < t->ndims && in; j++) {
                long v = c[specs[ti].dim[j]];
                in = v >= 0;
                idx = idx * t->shape[j] + (size_t)(in ? v : 0);
            }
            if (in) t->value[idx]++;
        }
    }
}

/* Count + noise for every cell, in order (invariant 2), then suppression (invariant 3). */
static hz_status noise_all(rel_release *r, const rel_options *o, dpn_source *noise, char *err,
                           size_t errlen)
{
    double share[NSPECS];
    dpn_ratio s2[NSPECS];
    for (size_t k = 0; k < NSPECS; k++)
        share[k] = specs[k].share;
    hz_status st = dpn_split(o->epsilon, o->delta, NSPECS, share, s2, err, errlen);
    if (st != HZ_OK) return st;
    for (size_t k = 0; k < NSPECS; k++) {
        rel_table *t = &r->tables[k];
        t->s2 = s2[k];
        t->half95 = dpn_quantile(s2[k], 0.975);
        for (size_t c = 0; c < t->ncells; c++) {
            int64_t z;
            if ((st = dpn_gaussian(noise, s2[k], &z)) != HZ_OK)
                return hz_fail(st, err, errlen, "release: the noise source failed (%s)",
                               hz_status_str(st));
            t->value[c] += z;
            t->suppressed[c] = (unsigned char)disc_release_withheld(&o->disclosure, t->density_grid,
                                                                    (long)t->value[c]);
            if (t->suppressed[c]) t->value[c] = 0;
        }
    }
    return HZ_OK;
}

hz_status rel_build(const incset *s, const rel_options *o, dpn_source *noise, rel_release **out,
                    char *err, size_t errlen)
{
    *out = NULL;
    if (o->period != REL_MONTH && o->period != REL_QUARTER && o->period != REL_YEAR)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "release: the period must be a month, quarter or year");
    if ((o->first_quarter < 0) != (o->last_quarter < 0))
        return hz_fail(HZ_EINVAL, err, errlen, "release: give both ends of the study period");
    rel_release *r = calloc(1, sizeof *r);
    rel_dims d;
    memset(&d, 0, sizeof d);
    if (!r) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (int f = 0; f < RELG_FAMILIES; f++)
        d.size[RELD_INJURY + f] = (size_t)relg_count((relg_family)f);
    hz_status st;
    if ((st = dims_time(&d, s, o, err, errlen)) != HZ_OK ||
        (st = dims_areas(&d, s, err, errlen)) != HZ_OK ||
        (st = dims_grid(&d, s, o, err, errlen)) != HZ_OK ||
        (st = tables_init(r, &d, err, errlen)) != HZ_OK)
        goto fail;
    count_all(r, &d, s);
    if ((st = noise_all(r, o, noise, err, errlen)) != HZ_OK) goto fail;
    double rho = 0;
    for (size_t k = 0; k < r->ntables; k++)
        rho += dpn_rho(r->tables[k].s2);
    assert(rho <= dpn_rho_for(o->epsilon, o->delta) * (1 + 1e-12));
    if (!(r->meta = rel_meta_build(r, &d, s, o, rho))) {
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        goto fail;
    }
    dims_free(&d);
    *out = r;
    return HZ_OK;
fail:
    dims_free(&d);
    rel_free(r);
    return st;
}

void rel_free(rel_release *r)
{
    if (!r) return;
    for (size_t k = 0; k < r->ntables; k++) {
        free(r->tables[k].value);
        free(r->tables[k].suppressed);
    }
    free(r->tables);
    json_decref(r->meta);
    free(r);
}

/* ---- accessors ---- */

int64_t rel_id(const rel_release *r)
{
    return r->id;
}

hz_status rel_set_project_effects(rel_release *r, json_t *effects)
{
    assert(r && r->meta);
    if (!json_is_array(effects)) {
        json_decref(effects);
        return HZ_EINVAL;
    }
    return json_object_set_new(r->meta, "project_effects", effects) == 0 ? HZ_OK : HZ_ENOMEM;
}

const json_t *rel_metadata(const rel_release *r)
{
    return r->meta;
}

size_t rel_table_count(const rel_release *r)
{
    return r->ntables;
}

const rel_table *rel_table_at(const rel_release *r, size_t i)
{
    return i < r->ntables ? &r->tables[i] : NULL;
}

const rel_table *rel_table_find(const rel_release *r, const char *name)
{
    for (size_t k = 0; k < r->ntables; k++)
        if (strcmp(r->tables[k].name, name) == 0) return &r->tables[k];
    return NULL;
}

const char *rel_table_name(const rel_table *t)
{
    return t->name;
}

size_t rel_table_ndims(const rel_table *t)
{
    return t->ndims;
}

const char *rel_table_dim(const rel_table *t, size_t d)
{
    return d < t->ndims ? t->dim[d] : NULL;
}

size_t rel_table_shape(const rel_table *t, size_t d)
{
    return d < t->ndims ? t->shape[d] : 0;
}

size_t rel_table_cells(const rel_table *t)
{
    return t->ncells;
}

dpn_ratio rel_table_s2(const rel_table *t)
{
    return t->s2;
}

int64_t rel_table_half95(const rel_table *t)
{
    return t->half95;
}

int rel_table_cell(const rel_table *t, size_t index, rel_value *v)
{
    if (index >= t->ncells || t->suppressed[index]) return 0;
    assert(t->half95 >= 0);
    v->value = t->value[index];
    v->lo = v->value - t->half95 > 0 ? v->value - t->half95 : 0;
    v->hi = v->value + t->half95;
    return 1;
}

size_t rel_table_index(const rel_table *t, const size_t *idx)
{
    size_t k = 0;
    for (size_t j = 0; j < t->ndims; j++) {
        if (idx[j] >= t->shape[j]) return (size_t)-1;
        k = k * t->shape[j] + idx[j];
    }
    return k;
}
