/* reldensity.c - public density surfaces from a release's grid tables (release.h).
 *
 * Each grid cell's noisy count (released, never withheld, possibly negative) becomes one
 * weighted point at the cell's centre; the quartic kernel at a bandwidth of at least the
 * disclosure floor (300 m, three cells or more) smooths the noise out, and the result is
 * clamped at 0 because a density cannot be negative (disclosure.h rule 6, PRIVACY.md). */
#include "hazmap/release.h"
#include "hazmap/density.h"
#include "hazmap/kde.h"
#include "hazmap/workcrs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double meta_num(const json_t *cell, const char *key)
{
    return json_number_value(json_object_get(cell, key));
}

hz_status rel_density(const rel_release *r, const char *family, int group, unsigned years_mask,
                      double h, double min_h, density_result **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!family) family = "injury_group";
    char name[64];
    if (strcmp(family, "injury_group") == 0)
        snprintf(name, sizeof name, "grid_year_injury");
    else if (strcmp(family, "place_group") == 0)
        snprintf(name, sizeof name, "grid_year_place");
    else
        return hz_fail(HZ_EINVAL, err, errlen, "no grid table by '%.32s'", family);
    const rel_table *t = rel_table_find(r, name);
    if (!t || rel_table_ndims(t) != 3)
        return hz_fail(HZ_EINVAL, err, errlen, "the release has no table %s", name);
    const json_t *dims = json_object_get(rel_metadata(r), "dimensions");
    const json_t *cell = json_object_get(dims, "cell");
    const json_t *expo = json_object_get(json_object_get(dims, "year"), "exposure_years");
    size_t ncell = rel_table_shape(t, 0), nyear = rel_table_shape(t, 1),
           ngroup = rel_table_shape(t, 2);
    int nx = (int)json_integer_value(json_object_get(cell, "nx")),
        ny = (int)json_integer_value(json_object_get(cell, "ny"));
    double size = meta_num(cell, "size"), x0 = meta_num(cell, "x0"), y1 = meta_num(cell, "y1");
    const char *crs = json_string_value(json_object_get(cell, "crs"));
    if (nx <= 0 || ny <= 0 || (size_t)nx * (size_t)ny != ncell || !(size > 0) || !crs)
        return hz_fail(HZ_EINVAL, err, errlen, "the release's grid metadata is malformed");
    if (group < -1 || group >= (int)ngroup)
        return hz_fail(HZ_EINVAL, err, errlen, "no group %d of %s", group, family);
    if (nyear > 32 || (years_mask >> nyear) != 0)
        return hz_fail(HZ_EINVAL, err, errlen, "a year outside the release");
    if (!years_mask) years_mask = nyear >= 32 ? ~0u : (1u << nyear) - 1;
    double years = 0;
    for (size_t y = 0; y < nyear; y++)
        if (years_mask >> y & 1) years += json_number_value(json_array_get(expo, y));
    if (!(years > 0)) years = 1;
    if (!(h >= min_h)) h = min_h;
    if (!(h > 0)) return hz_fail(HZ_EINVAL, err, errlen, "bandwidth must be positive");

    density_result *res = calloc(1, sizeof *res);
    hz_points p = {0};
    p.x = malloc(ncell * sizeof *p.x);
    p.y = malloc(ncell * sizeof *p.y);
    p.w = malloc(ncell * sizeof *p.w);
    if (res) res->values = malloc(ncell * sizeof *res->values);
    workcrs *w = NULL;
    hz_status st = HZ_OK;
    if (!res || !p.x || !p.y || !p.w || !res->values) {
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < ncell; c++) {
        int64_t sum = 0;
        for (size_t y = 0; y < nyear; y++) {
            if (!(years_mask >> y & 1)) continue;
            for (size_t g = 0; g < ngroup; g++) {
                if (group >= 0 && (int)g != group) continue;
                rel_value v;
                size_t idx[3] = {c, y, g};
                if (rel_table_cell(t, rel_table_index(t, idx), &v)) sum += v.value;
            }
        }
        if (sum == 0) continue;
        /* index j * nx + i: column i east of x0, row j south of y1 (the metadata's "cell") */
        p.x[p.n] = x0 + ((double)(c % (size_t)nx) + 0.5) * size;
        p.y[p.n] = y1 - ((double)(c / (size_t)nx) + 0.5) * size;
        p.w[p.n] = (double)sum;
        p.n++;
    }
    res->grid = (kde_grid){.x0 = x0, .y1 = y1, .cell = size, .nx = nx, .ny = ny};
    res->bandwidth = h;
    res->years = years;
    res->scale = 1e6 / years;
    st = kde_compute(&p, KDE_QUARTIC, h, res->scale, &res->grid, 1, res->values, err, errlen);
    if (st != HZ_OK) goto done;
    for (size_t c = 0; c < ncell; c++) {
        if (!(res->values[c] > 0)) res->values[c] = 0;
        if (res->values[c] > res->max_value) res->max_value = res->values[c];
    }
    snprintf(res->work_srs, sizeof res->work_srs, "%s", crs);
    if (!(w = workcrs_new(crs, 0, 0, err, errlen))) {
        st = HZ_ECRS;
        goto done;
    }
    if (!(res->wkt = strdup(workcrs_wkt(w)))) {
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        goto done;
    }
    char filters[160];
    snprintf(filters, sizeof filters, "%s=%s|years=0x%x", family,
             group >= 0
                 ? json_string_value(json_array_get(
                       json_object_get(json_object_get(dims, family), "labels"), (size_t)group))
                 : "all",
             years_mask);
    res->provenance = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:f, s:s, s:f, s:f, s:s, s:s}", "release", (json_int_t)rel_id(r),
        "source", name, "filters", filters, "method",
        "the release's noisy grid counts summed over the chosen years and groups, each spread "
        "from its cell's centre with the quartic kernel, clamped at 0",
        "kernel", "quartic", "bandwidth", h, "bandwidth_rule", "public floor", "cell", size,
        "years", years, "unit", "incidents per km² per year", "work_srs", crs);
    if (!res->provenance) st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
done:
    workcrs_free(w);
    free(p.x);
    free(p.y);
    free(p.w);
    if (st != HZ_OK) {
        density_result_free(res);
        return st;
    }
    *out = res;
    return HZ_OK;
}
