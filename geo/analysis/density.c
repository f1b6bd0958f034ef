/* density.c - the kernel density analysis: selection, bandwidth, grid, KDE, provenance, GeoTIFF. */
#include "hazmap/density.h"
#include "hazmap/hztime.h"
#include "hazmap/raster.h"
#include "hazmap/workcrs.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <cpl_error.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>
#pragma GCC diagnostic pop

void density_opts_init(density_opts *o)
{
    memset(o, 0, sizeof *o);
    o->kernel = KDE_QUARTIC;
    o->rule = KDE_BW_ARCGIS;
    o->extent = DENSITY_EXTENT_AREAS;
}

static int parse_pos(const char *v, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !isfinite(d) || !(d > 0)) return -1;
    *out = d;
    return 0;
}

hz_status density_opts_set(density_opts *o, const char *key, const char *value, char *err,
                           size_t errlen)
{
    if (!value || !value[0]) return hz_fail(HZ_EINVAL, err, errlen, "%s: empty value", key);
    if (strcmp(key, "kernel") == 0) {
        if (kde_kernel_parse(value, &o->kernel) != 0)
            return hz_fail(HZ_EINVAL, err, errlen,
                           "kernel: unknown kernel '%s' (quartic, epanechnikov, triweight, "
                           "triangular, uniform, gaussian)",
                           value);
    } else if (strcmp(key, "bandwidth") == 0) {
        if (kde_bw_rule_parse(value, &o->rule) == 0) {
            o->bandwidth = 0;
        } else if (parse_pos(value, &o->bandwidth) != 0) {
            return hz_fail(HZ_EINVAL, err, errlen,
                           "bandwidth: '%s' is neither metres > 0 nor auto, arcgis, silverman, "
                           "scott",
                           value);
        }
    } else if (strcmp(key, "cell") == 0) {
        if (strcmp(value, "auto") == 0)
            o->cell = 0;
        else if (parse_pos(value, &o->cell) != 0)
            return hz_fail(HZ_EINVAL, err, errlen, "cell: '%s' is not metres > 0", value);
    } else if (strcmp(key, "extent") == 0) {
        if (strcmp(value, "areas") == 0)
            o->extent = DENSITY_EXTENT_AREAS;
        else if (strcmp(value, "points") == 0)
            o->extent = DENSITY_EXTENT_POINTS;
        else
            return hz_fail(HZ_EINVAL, err, errlen, "extent: '%s' is not areas or points", value);
    } else if (strcmp(key, "mask") == 0) {
        if (strcmp(value, "areas") == 0)
            o->mask_areas = 1;
        else if (strcmp(value, "none") == 0)
            o->mask_areas = 0;
        else
            return hz_fail(HZ_EINVAL, err, errlen, "mask: '%s' is not areas or none", value);
    } else {
        return hz_fail(HZ_EINVAL, err, errlen, "unknown density option '%s'", key);
    }
    return HZ_OK;
}

static void day_text(int64_t t, int tz, char out[11])
{
    char buf[32];
    hztime_format_iso(t, tz, buf);
    memcpy(out, buf, 10);
    out[10] = 0;
}

double density_years(const incset *s, const hz_filter *f, char *basis, size_t basislen)
{
    int64_t from, to;
    double years = incset_study_period(s, f, &from, &to);
    if (years <= 0) {
        if (basislen)
            snprintf(basis, basislen,
                     "no dated incidents in the period: years = 1, values are per km2 over the "
                     "whole record");
        return 1.0;
    }
    char a[11], b[11];
    day_text(from, f->tz_offset_s, a);
    day_text(to - 1, f->tz_offset_s, b);
    if (basislen)
        snprintf(basis, basislen,
                 "study period %s..%s (the filter's dates within the data's time span): %.6g "
                 "days / 365.25",
                 a, b, (double)(to - from) / 86400.0);
    return years;
}

/* The area's (multi)polygon projected to the working CRS, vertex by vertex (straight edges in
 * the working CRS between projected vertices), in *out (free with OGR_G_DestroyGeometry). */
static hz_status area_project(workcrs *w, const hz_area *a, OGRGeometryH *out, char *err,
                              size_t errlen)
{
    OGRGeometryH g = NULL;
    *out = NULL;
    if (OGR_G_CreateFromWkb(a->wkb, NULL, &g, (int)a->wkb_len) != OGRERR_NONE || !g)
        return hz_fail(HZ_EINVAL, err, errlen, "area %s: unreadable geometry", a->code);
    hz_status st = HZ_OK;
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    int npoly = t == wkbMultiPolygon ? OGR_G_GetGeometryCount(g) : 1;
    for (int i = 0; i < npoly && st == HZ_OK; i++) {
        OGRGeometryH poly = t == wkbMultiPolygon ? OGR_G_GetGeometryRef(g, i) : g;
        for (int r = 0; r < OGR_G_GetGeometryCount(poly) && st == HZ_OK; r++) {
            OGRGeometryH ring = OGR_G_GetGeometryRef(poly, r);
            int n = OGR_G_GetPointCount(ring);
            if (n <= 0) continue;
            double *xy = malloc(4 * (size_t)n * sizeof *xy);
            if (!xy) {
                st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
                break;
            }
            double *lon = xy, *lat = xy + n, *x = xy + 2 * n, *y = xy + 3 * n;
            for (int k = 0; k < n; k++) {
                lon[k] = OGR_G_GetX(ring, k);
                lat[k] = OGR_G_GetY(ring, k);
            }
            if (workcrs_forward(w, (size_t)n, lon, lat, x, y) != HZ_OK) {
                st = hz_fail(HZ_ECRS, err, errlen, "area %s: cannot project to %s", a->code,
                             workcrs_srs(w));
            } else {
                for (int k = 0; k < n && st == HZ_OK; k++) {
                    if (!isfinite(x[k]) || !isfinite(y[k]))
                        st = hz_fail(HZ_ECRS, err, errlen, "area %s: vertex outside %s", a->code,
                                     workcrs_srs(w));
                    else
                        OGR_G_SetPoint_2D(ring, k, x[k], y[k]);
                }
            }
            free(xy);
        }
    }
    if (st != HZ_OK) {
        OGR_G_DestroyGeometry(g);
        return st;
    }
    *out = g;
    return HZ_OK;
}

/* Sets the cells whose centre lies outside every geometry to DENSITY_NODATA (GDAL's rasteriser
 * on an in-memory byte mask; a cell is inside when its centre is) and counts them. */
static hz_status mask_outside(OGRGeometryH *geoms, int ngeoms, density_result *r, size_t *masked,
                              char *err, size_t errlen)
{
    *masked = 0;
    if (!GDALGetDriverByName("MEM")) GDALAllRegister();
    GDALDriverH mem = GDALGetDriverByName("MEM");
    const kde_grid *g = &r->grid;
    GDALDatasetH ds = mem ? GDALCreate(mem, "", g->nx, g->ny, 1, GDT_Byte, NULL) : NULL;
    if (!ds)
        return hz_fail(HZ_ENOMEM, err, errlen, "mask: cannot create a %d x %d mask", g->nx, g->ny);
    double gt[6] = {g->x0, g->cell, 0, g->y1, 0, -g->cell};
    GDALSetGeoTransform(ds, gt);
    int band = 1;
    double *burn = malloc((size_t)(ngeoms ? ngeoms : 1) * sizeof *burn);
    unsigned char *m = malloc((size_t)g->nx * g->ny);
    hz_status st = HZ_OK;
    if (!burn || !m) {
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    } else {
        for (int i = 0; i < ngeoms; i++)
            burn[i] = 1;
        if (GDALRasterizeGeometries(ds, 1, &band, ngeoms, geoms, NULL, NULL, burn, NULL, NULL,
                                    NULL) != CE_None ||
            GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, g->nx, g->ny, m, g->nx, g->ny,
                         GDT_Byte, 0, 0) != CE_None)
            st = hz_fail(HZ_EIO, err, errlen, "mask: rasterising the areas failed: %s",
                         CPLGetLastErrorMsg());
    }
    if (st == HZ_OK) {
        for (size_t c = 0, n = (size_t)g->nx * g->ny; c < n; c++) {
            if (!m[c]) {
                r->values[c] = (float)DENSITY_NODATA;
                (*masked)++;
            }
        }
    }
    free(burn);
    free(m);
    GDALClose(ds);
    return st;
}

static void free_geoms(OGRGeometryH *geoms, int n)
{
    for (int i = 0; i < n; i++)
        OGR_G_DestroyGeometry(geoms[i]);
    free(geoms);
}

void density_result_free(density_result *r)
{
    if (!r) return;
    free(r->values);
    free(r->wkt);
    json_decref(r->provenance);
    free(r);
}

/* The work of density_run(), freed by it alone: the selected points, the working CRS and the
 * areas projected into it (for the extent and the mask). */
typedef struct density_work {
    hz_points pts;
    workcrs *w;
    OGRGeometryH *geoms;
    int ngeoms;
} density_work;

/* How the bandwidth, cell, extent and "per year" were chosen, in the provenance's words. */
typedef struct density_why {
    char rule[768];
    char cell[192];
    const char *extent;
    char basis[256];
} density_why;

/* Selects the filtered incidents into w->pts (their count and weight sum into r) and opens the
 * working CRS w->w (its name and WKT into r). */
static hz_status select_points(const incset *s, const hz_filter *f, density_work *w,
                               density_result *r, char *err, size_t errlen)
{
    hz_status st = incset_select(s, f, &w->pts, err, errlen);
    if (st != HZ_OK) return st;
    r->incidents = w->pts.n;
    r->without_point = w->pts.without_point;
    r->linked_duplicates = w->pts.linked_duplicates;
    r->counted = w->pts.counted;
    for (size_t k = 0; k < w->pts.n; k++)
        r->weight_sum += w->pts.w[k];
    snprintf(r->work_srs, sizeof r->work_srs, "%s", incset_work_srs(s));
    w->w = workcrs_new(r->work_srs, 0, 0, err, errlen);
    if (!w->w) return HZ_ECRS;
    r->wkt = strdup(workcrs_wkt(w->w));
    if (!r->wkt) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return HZ_OK;
}

/* The bandwidth *h: given, or by a rule for the rule's own kernel converted to ours, then raised
 * to the disclosure floor; how it was chosen goes to rule (rule_len bytes). */
static hz_status choose_bandwidth(const hz_points *pts, const density_opts *o, double *h,
                                  char *rule, size_t rule_len, char *err, size_t errlen)
{
    if (o->bandwidth > 0) {
        *h = o->bandwidth;
        snprintf(rule, rule_len, "given");
    } else {
        char why[512] = "";
        double href;
        if (kde_bandwidth(pts, o->rule, &href, why, sizeof why) != HZ_OK)
            return hz_fail(HZ_EINVAL, err, errlen, "%s (%zu incidents selected; give --bandwidth)",
                           why, pts->n);
        kde_kernel from = kde_bw_rule_kernel(o->rule);
        *h = kde_bandwidth_convert(href, from, o->kernel);
        if (from != o->kernel)
            snprintf(rule, rule_len,
                     "%s; x %.4f to the %s kernel at equal smoothing (canonical bandwidths, "
                     "Marron & Nolan 1988) -> %.1f m",
                     why, *h / href, kde_kernel_name(o->kernel), *h);
        else
            snprintf(rule, rule_len, "%s", why);
    }
    double floored = disc_bandwidth(&o->disclosure, *h);
    if (floored != *h) {
        size_t l = strlen(rule);
        snprintf(rule + l, rule_len - l, "; raised from %.1f m to the minimum %.1f m", *h, floored);
        *h = floored;
    }
    return HZ_OK;
}

/* Projects the areas (f->area's alone when set) into w->geoms when the extent or the mask needs
 * them; w->ngeoms counts those done, so a failure leaves w freeable. */
static hz_status project_areas(const incset *s, const hz_filter *f, const density_opts *o,
                               density_work *w, char *err, size_t errlen)
{
    if (!((o->extent == DENSITY_EXTENT_AREAS || o->mask_areas) && incset_area_count(s) > 0))
        return HZ_OK;
    const hz_area *areas = incset_areas(s);
    int32_t only = f->area[0] ? incset_area_find(s, f->area) : -1;
    w->geoms = calloc(incset_area_count(s), sizeof *w->geoms);
    if (!w->geoms) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t a = 0; a < incset_area_count(s); a++) {
        if (only >= 0 && (int32_t)a != only) continue;
        hz_status st = area_project(w->w, &areas[a], &w->geoms[w->ngeoms], err, errlen);
        if (st != HZ_OK) return st;
        w->ngeoms++;
    }
    return HZ_OK;
}

/* The extent bb (xmin, ymin, xmax, ymax): the projected areas' box, or (with the points extent,
 * or without areas) the points' box grown by the kernel's reach for bandwidth h. */
static hz_status set_extent(const density_work *w, const density_opts *o, double h, double bb[4],
                            const char **extent_text, char *err, size_t errlen)
{
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
    *extent_text = "areas";
    for (int i = 0; i < w->ngeoms && o->extent == DENSITY_EXTENT_AREAS; i++) {
        OGREnvelope e;
        OGR_G_GetEnvelope(w->geoms[i], &e);
        bb[0] = fmin(bb[0], e.MinX);
        bb[1] = fmin(bb[1], e.MinY);
        bb[2] = fmax(bb[2], e.MaxX);
        bb[3] = fmax(bb[3], e.MaxY);
    }
    if (!(bb[2] >= bb[0])) {
        *extent_text = o->extent == DENSITY_EXTENT_AREAS ? "points (no areas)" : "points";
        double R = kde_kernel_support(o->kernel, h);
        const hz_points *p = &w->pts;
        /* The points' box, then grown by R: x - R rounds monotonically in x, so this equals the
         * box of the x - R and x + R (and spares 4 libm calls per point). */
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (size_t k = 0; k < p->n; k++) {
            double x = p->x[k], y = p->y[k];
            x0 = x < x0 ? x : x0;
            y0 = y < y0 ? y : y0;
            x1 = x > x1 ? x : x1;
            y1 = y > y1 ? y : y1;
        }
        bb[0] = fmin(bb[0], x0 - R);
        bb[1] = fmin(bb[1], y0 - R);
        bb[2] = fmax(bb[2], x1 + R);
        bb[3] = fmax(bb[3], y1 + R);
    }
    if (!(bb[2] >= bb[0]) || !(bb[3] >= bb[1]))
        return hz_fail(HZ_EINVAL, err, errlen,
                       "density: no areas and no incidents to set the extent");
    return HZ_OK;
}

/* The grid *g over bb, aligned to multiples of the cell (density.h): the cell given, or
 * bandwidth h / 10 coarsened until the grid fits, raised to the disclosure floor; how the cell
 * was chosen goes to cell_text (text_len bytes). */
static hz_status lay_grid(const density_opts *o, double h, const double bb[4], kde_grid *g,
                          char *cell_text, size_t text_len, char *err, size_t errlen)
{
    size_t max_cells = o->max_cells ? o->max_cells : DENSITY_MAX_CELLS;
    size_t limit = max_cells < DENSITY_DEFAULT_CELLS ? max_cells : DENSITY_DEFAULT_CELLS;
    double cell = o->cell;
    double x0, y1, fnx, fny;
    snprintf(cell_text, text_len, "given");
    if (!(cell > 0)) {
        cell = fmax(5.0, round(h / 10));
        snprintf(cell_text, text_len, "bandwidth / 10 in whole metres, at least 5 m");
    }
    double floored_cell = disc_cell(&o->disclosure, cell);
    if (floored_cell != cell) {
        size_t l = strlen(cell_text);
        snprintf(cell_text + l, text_len - l, "; raised from %g m to the minimum %g m", cell,
                 floored_cell);
        cell = floored_cell;
    }
    for (;;) {
        x0 = floor(bb[0] / cell) * cell;
        y1 = ceil(bb[3] / cell) * cell;
        fnx = fmax(1, ceil((bb[2] - x0) / cell));
        fny = fmax(1, ceil((y1 - bb[1]) / cell));
        if (o->cell > 0 || fnx * fny <= (double)limit) break;
        /* The default cell is coarsened in whole metres until the grid fits. */
        cell = fmax(cell + 1, ceil(cell * sqrt(fnx * fny / (double)limit)));
        snprintf(cell_text, text_len, "bandwidth / 10, coarsened to keep the grid within %zu cells",
                 limit);
    }
    if (fnx * fny > (double)max_cells || fnx > INT32_MAX || fny > INT32_MAX)
        return hz_fail(HZ_ELIMIT, err, errlen,
                       "cell: %.6g m gives %.0f x %.0f cells, over the limit of %zu; use a larger "
                       "cell",
                       cell, fnx, fny, max_cells);
    *g = (kde_grid){x0, y1, cell, (int)fnx, (int)fny};
    /* density.h: the default cell keeps the grid within limit cells, any cell within max_cells */
    size_t ncells = (size_t)g->nx * (size_t)g->ny;
    assert(g->nx >= 1 && g->ny >= 1 && ncells <= max_cells);
    assert(o->cell > 0 || ncells <= limit);
    return HZ_OK;
}

/* Fills r->values over r->grid: the density per km² per year (r->years, r->scale; basis says
 * why), cells outside the areas set to DENSITY_NODATA with the mask (*masked of them), and
 * r->max_value. */
static hz_status fill_values(const incset *s, const hz_filter *f, const density_opts *o,
                             const density_work *w, density_result *r, char *basis, size_t basislen,
                             size_t *masked, char *err, size_t errlen)
{
    r->years = density_years(s, f, basis, basislen);
    assert(r->years > 0); /* density.h: the period, or 1 without dated incidents */
    r->scale = 1e6 / r->years;
    size_t ncells = (size_t)r->grid.nx * (size_t)r->grid.ny;
    r->values = malloc(ncells * sizeof *r->values);
    if (!r->values)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory for %d x %d cells", r->grid.nx,
                       r->grid.ny);
    hz_status st = kde_compute(&w->pts, o->kernel, r->bandwidth, r->scale, &r->grid, o->nthreads,
                               r->values, err, errlen);
    if (st != HZ_OK) return st;
    if (o->mask_areas && w->ngeoms > 0 &&
        (st = mask_outside(w->geoms, w->ngeoms, r, masked, err, errlen)) != HZ_OK)
        return st;
    assert(*masked <= ncells);
    for (size_t c = 0; c < ncells; c++)
        if (r->values[c] > r->max_value) r->max_value = r->values[c];
    return HZ_OK;
}

/* r->provenance (API.md): what was selected, chosen (why) and computed. */
static hz_status set_provenance(const incset *s, const hz_filter *f, const density_opts *o,
                                const density_work *w, const density_why *why, size_t masked,
                                density_result *r, char *err, size_t errlen)
{
    char canon[1024];
    filter_canonical(f, canon, sizeof canon);
    int score = f->weight == HZ_WEIGHT_SCORE;
    const kde_grid *g = &r->grid;
    json_t *p = json_pack(
        "{s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:f, s:s, s:{s:f, s:f, s:f, s:f, s:i, s:i}, s:s,"
        " s:I, s:s, s:f, s:f, s:s, s:s, s:f, s:I, s:f}",
        "method", "kernel density estimation", "filters", canon, "kernel",
        kde_kernel_name(o->kernel), "kernel_formula", kde_kernel_formula(o->kernel), "bandwidth",
        r->bandwidth, "bandwidth_rule", why->rule, "bandwidth_source",
        o->bandwidth > 0 ? "given" : kde_bw_rule_name(o->rule), "cell_size", g->cell, "cell_rule",
        why->cell, "grid", "x0", g->x0, "y1", g->y1, "x1", g->x0 + g->nx * g->cell, "y0",
        g->y1 - g->ny * g->cell, "nx", g->nx, "ny", g->ny, "extent", why->extent, "incidents",
        (json_int_t)r->incidents, "weight", score ? "score" : "count", "weight_sum", r->weight_sum,
        "years", r->years, "years_basis", why->basis, "unit",
        score ? "severity score per km2 per year" : "incidents per km2 per year", "scale", r->scale,
        "data_version", (json_int_t)incset_data_version(s), "max_value", (double)r->max_value);
    if (!p || json_object_set_new(p, "work_srs", json_string(r->work_srs)) != 0) {
        json_decref(p);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    json_object_set_new(p, "without_point", json_integer((json_int_t)r->without_point));
    json_object_set_new(p, "counted", json_string(r->counted));
    json_object_set_new(p, "linked_duplicates", json_integer((json_int_t)r->linked_duplicates));
    json_object_set_new(p, "mask", json_string(o->mask_areas && w->ngeoms > 0 ? "areas" : "none"));
    json_object_set_new(p, "nodata_cells", json_integer((json_int_t)masked));
    r->provenance = p;
    return HZ_OK;
}

/* Runs the stages in order; the work is freed here whether they succeed or not. */
/* The budget (density_opts.max_work): refused before any kernel is evaluated, naming the
 * estimate and what would lower it. */
static hz_status check_work(const density_opts *o, size_t n, const density_result *r, char *err,
                            size_t errlen)
{
    if (!(o->max_work > 0)) return HZ_OK;
    double work = kde_work(o->kernel, n, r->bandwidth, r->grid.cell, r->grid.nx, r->grid.ny);
    if (work <= o->max_work) return HZ_OK;
    return hz_fail(HZ_ELIMIT, err, errlen,
                   "the estimated work of this density (%zu incidents, a %g m %s kernel on %g m "
                   "cells: %.3g units) is over the limit of %.3g; use a smaller bandwidth, a "
                   "larger cell or fewer incidents",
                   n, r->bandwidth, kde_kernel_name(o->kernel), r->grid.cell, work, o->max_work);
}

hz_status density_run(const incset *s, const hz_filter *f, const density_opts *o,
                      density_result **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!s || !f || !o) return hz_fail(HZ_EINVAL, err, errlen, "density: NULL argument");
    density_result *r = calloc(1, sizeof *r);
    if (!r) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    density_work w;
    memset(&w, 0, sizeof w);
    density_why why;
    double bb[4];
    size_t masked = 0;
    hz_status st = select_points(s, f, &w, r, err, errlen);
    if (st == HZ_OK)
        st = choose_bandwidth(&w.pts, o, &r->bandwidth, why.rule, sizeof why.rule, err, errlen);
    if (st == HZ_OK) st = project_areas(s, f, o, &w, err, errlen);
    if (st == HZ_OK) st = set_extent(&w, o, r->bandwidth, bb, &why.extent, err, errlen);
    if (st == HZ_OK)
        st = lay_grid(o, r->bandwidth, bb, &r->grid, why.cell, sizeof why.cell, err, errlen);
    if (st == HZ_OK) st = check_work(o, w.pts.n, r, err, errlen);
    if (st == HZ_OK)
        st = fill_values(s, f, o, &w, r, why.basis, sizeof why.basis, &masked, err, errlen);
    if (st == HZ_OK) st = set_provenance(s, f, o, &w, &why, masked, r, err, errlen);
    free_geoms(w.geoms, w.ngeoms);
    hz_points_free(&w.pts);
    workcrs_free(w.w);
    if (st != HZ_OK) {
        density_result_free(r);
        return st;
    }
    *out = r;
    return HZ_OK;
}

/* The raster description of a result; meta receives the KEY=VALUE strings (freed by the
 * caller with free_meta). */
static hz_status describe(const density_result *r, raster_desc *d, char **meta, size_t nmeta,
                          char *err, size_t errlen)
{
    memset(meta, 0, nmeta * sizeof *meta);
    char *prov = json_dumps(r->provenance, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *pv = r->provenance;
    const char *unit = json_string_value(json_object_get(pv, "unit"));
    const char *filters = json_string_value(json_object_get(pv, "filters"));
    const char *kernel = json_string_value(json_object_get(pv, "kernel"));
    const char *brule = json_string_value(json_object_get(pv, "bandwidth_rule"));
    if (!prov) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    size_t i = 0;
    if (asprintf(&meta[i++], "HAZMAP_PROVENANCE=%s", prov) < 0) meta[i - 1] = NULL;
    free(prov);
    if (asprintf(&meta[i++], "KERNEL=%s", kernel ? kernel : "") < 0) meta[i - 1] = NULL;
    if (asprintf(&meta[i++], "BANDWIDTH=%.17g", r->bandwidth) < 0) meta[i - 1] = NULL;
    if (asprintf(&meta[i++], "BANDWIDTH_RULE=%s", brule ? brule : "") < 0) meta[i - 1] = NULL;
    if (asprintf(&meta[i++], "CELL_SIZE=%.17g", r->grid.cell) < 0) meta[i - 1] = NULL;
    if (asprintf(&meta[i++], "UNIT=%s", unit ? unit : "") < 0) meta[i - 1] = NULL;
    if (asprintf(&meta[i++], "INCIDENTS=%zu", r->incidents) < 0) meta[i - 1] = NULL;
    if (asprintf(&meta[i++], "YEARS=%.17g", r->years) < 0) meta[i - 1] = NULL;
    if (asprintf(&meta[i++], "FILTERS=%s", filters ? filters : "") < 0) meta[i - 1] = NULL;
    if (asprintf(&meta[i++], "DATA_VERSION=%lld",
                 (long long)json_integer_value(json_object_get(pv, "data_version"))) < 0)
        meta[i - 1] = NULL;
    if (asprintf(&meta[i++], "WORK_SRS=%s", r->work_srs) < 0) meta[i - 1] = NULL;
    for (size_t k = 0; k < i; k++)
        if (!meta[k]) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    meta[i] = NULL;
    *d = (raster_desc){.nx = r->grid.nx,
                       .ny = r->grid.ny,
                       .gt = {r->grid.x0, r->grid.cell, 0, r->grid.y1, 0, -r->grid.cell},
                       .wkt = r->wkt,
                       .nodata = DENSITY_NODATA,
                       .description = "kernel density",
                       .unit = unit,
                       .meta = (const char *const *)meta};
    return HZ_OK;
}

static void free_meta(char **meta, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(meta[k]);
}

enum { NMETA = 16 };

hz_status density_write_geotiff(const density_result *r, const char *path,
                                const char *const *band_meta, char *err, size_t errlen)
{
    char *meta[NMETA];
    raster_desc d;
    hz_status st = describe(r, &d, meta, NMETA, err, errlen);
    d.band_meta = band_meta;
    if (st == HZ_OK) st = raster_write_geotiff(path, &d, r->values, err, errlen);
    free_meta(meta, NMETA);
    return st;
}

hz_status density_geotiff_bytes(const density_result *r, const char *const *band_meta,
                                unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    char *meta[NMETA];
    raster_desc d;
    *buf = NULL;
    *len = 0;
    hz_status st = describe(r, &d, meta, NMETA, err, errlen);
    d.band_meta = band_meta;
    if (st == HZ_OK) st = raster_geotiff_bytes(&d, r->values, buf, len, err, errlen);
    free_meta(meta, NMETA);
    return st;
}
