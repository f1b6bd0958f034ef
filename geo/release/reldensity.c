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

hz_status rel_density(const rel_release *r, const char *family, int group, unsigned years_mask,
                      double h, double min_h, density_result **out, char *err, size_t errlen)
{
    *out = NULL;
    rel_view v = {family ? family : "injury_group", group, years_mask};
    if (!(h >= min_h)) h = min_h;
    if (!(h > 0)) return hz_fail(HZ_EINVAL, err, errlen, "bandwidth must be positive");
    rel_grid g;
    hz_status st = rel_grid_sum(r, &v, &g, err, errlen);
    if (st != HZ_OK) return st;
    size_t ncell = (size_t)g.nx * (size_t)g.ny;
    density_result *res = calloc(1, sizeof *res);
    hz_points p = {0};
    p.x = malloc(ncell * sizeof *p.x);
    p.y = malloc(ncell * sizeof *p.y);
    p.w = malloc(ncell * sizeof *p.w);
    if (res) res->values = malloc(ncell * sizeof *res->values);
    workcrs *w = NULL;
    if (!res || !p.x || !p.y || !p.w || !res->values) {
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < ncell; c++) {
        if (g.count[c] == 0) continue;
        /* index j * nx + i: column i east of x0, row j south of y1 */
        p.x[p.n] = g.x0 + ((double)(c % (size_t)g.nx) + 0.5) * g.cell;
        p.y[p.n] = g.y1 - ((double)(c / (size_t)g.nx) + 0.5) * g.cell;
        p.w[p.n] = g.count[c];
        p.n++;
    }
    res->grid = (kde_grid){.x0 = g.x0, .y1 = g.y1, .cell = g.cell, .nx = g.nx, .ny = g.ny};
    res->bandwidth = h;
    res->years = g.years;
    res->scale = 1e6 / g.years;
    st = kde_compute(&p, KDE_QUARTIC, h, res->scale, &res->grid, 1, res->values, err, errlen);
    if (st != HZ_OK) goto done;
    for (size_t c = 0; c < ncell; c++) {
        if (!(res->values[c] > 0)) res->values[c] = 0;
        if (res->values[c] > res->max_value) res->max_value = res->values[c];
    }
    snprintf(res->work_srs, sizeof res->work_srs, "%s", g.crs);
    if (!(w = workcrs_new(g.crs, 0, 0, err, errlen))) {
        st = HZ_ECRS;
        goto done;
    }
    if (!(res->wkt = strdup(workcrs_wkt(w)))) {
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        goto done;
    }
    char filters[160];
    rel_view_canonical(r, &v, filters, sizeof filters);
    res->provenance = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:f, s:s, s:f, s:f, s:s, s:s}", "release", (json_int_t)rel_id(r),
        "source", !strcmp(v.family, "place_group") ? "grid_year_place" : "grid_year_injury",
        "filters", filters, "method",
        "the release's noisy grid counts summed over the chosen years and groups, each spread "
        "from its cell's centre with the quartic kernel, clamped at 0",
        "kernel", "quartic", "bandwidth", h, "bandwidth_rule", "public floor", "cell", g.cell,
        "years", g.years, "unit", "incidents per km² per year", "work_srs", g.crs);
    if (!res->provenance) st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
done:
    rel_grid_free(&g);
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
