/* relview.c - views of a release's grid tables (release.h): which groups and years one public
 * map shows, parsed from the public's parameters, and the grid of noisy sums it draws from. */
#include "hazmap/release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const json_t *dim_labels(const rel_release *r, const char *dim)
{
    const json_t *dims = json_object_get(rel_metadata(r), "dimensions");
    return json_object_get(json_object_get(dims, dim), "labels");
}

/* The index of label value in dimension dim, or -1. */
static int label_index(const rel_release *r, const char *dim, const char *value)
{
    const json_t *labels = dim_labels(r, dim);
    for (size_t k = 0; k < json_array_size(labels); k++)
        if (strcmp(json_string_value(json_array_get(labels, k)), value) == 0) return (int)k;
    return -1;
}

/* "a, b, c" of dimension dim's labels into buf. */
static void labels_list(const rel_release *r, const char *dim, char *buf, size_t n)
{
    const json_t *labels = dim_labels(r, dim);
    size_t used = 0;
    buf[0] = 0;
    for (size_t k = 0; k < json_array_size(labels) && used < n; k++) {
        int w = snprintf(buf + used, n - used, "%s%s", k ? ", " : "",
                         json_string_value(json_array_get(labels, k)));
        if (w < 0) break;
        used += (size_t)w;
    }
}

void rel_view_init(rel_view *v)
{
    v->family = "injury_group";
    v->group = -1;
    v->years = 0;
}

hz_status rel_view_set(const rel_release *r, rel_view *v, const char *key, const char *value,
                       char *err, size_t errlen)
{
    static const char *const families[] = {"injury_group", "place_group"};
    char list[512];
    if (strcmp(key, "year") == 0) {
        int k = label_index(r, "year", value);
        if (k < 0 || k >= 32 || v->years) {
            labels_list(r, "year", list, sizeof list);
            return hz_fail(HZ_EINVAL, err, errlen,
                           "year: '%.32s' is not one year of the release (%s)", value, list);
        }
        v->years = 1u << k;
        return HZ_OK;
    }
    for (size_t f = 0; f < sizeof families / sizeof *families; f++) {
        if (strcmp(key, families[f]) != 0) continue;
        int k = label_index(r, families[f], value);
        if (k < 0 || v->group >= 0) {
            labels_list(r, families[f], list, sizeof list);
            return hz_fail(HZ_EINVAL, err, errlen,
                           "%s: '%.32s' is not one group of the release (%s; one of "
                           "injury_group, place_group at a time)",
                           key, value, list);
        }
        v->family = families[f];
        v->group = k;
        return HZ_OK;
    }
    return HZ_ENOTFOUND;
}

int rel_view_canonical(const rel_release *r, const rel_view *v, char *buf, size_t buflen)
{
    const char *label =
        v->group >= 0
            ? json_string_value(json_array_get(dim_labels(r, v->family), (size_t)v->group))
            : "all";
    return snprintf(buf, buflen, "r%lld/%s=%s/years=%x", (long long)rel_id(r), v->family,
                    label ? label : "?", v->years);
}

static double meta_num(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* The grid's geometry from the metadata into g; -1 when malformed for a table of ncell cells. */
static int grid_geometry(const rel_release *r, size_t ncell, rel_grid *g)
{
    const json_t *cell = json_object_get(json_object_get(rel_metadata(r), "dimensions"), "cell");
    g->nx = (int)json_integer_value(json_object_get(cell, "nx"));
    g->ny = (int)json_integer_value(json_object_get(cell, "ny"));
    g->cell = meta_num(cell, "size");
    g->x0 = meta_num(cell, "x0");
    g->y1 = meta_num(cell, "y1");
    const char *crs = json_string_value(json_object_get(cell, "crs"));
    if (g->nx <= 0 || g->ny <= 0 || (size_t)g->nx * (size_t)g->ny != ncell || !(g->cell > 0) ||
        !crs || strlen(crs) >= sizeof g->crs)
        return -1;
    memcpy(g->crs, crs, strlen(crs) + 1);
    return 0;
}

hz_status rel_grid_sum(const rel_release *r, const rel_view *v, rel_grid *g, char *err,
                       size_t errlen)
{
    memset(g, 0, sizeof *g);
    const char *name = !v->family || strcmp(v->family, "injury_group") == 0 ? "grid_year_injury"
                       : strcmp(v->family, "place_group") == 0              ? "grid_year_place"
                                                                            : NULL;
    if (!name) return hz_fail(HZ_EINVAL, err, errlen, "no grid table by '%.32s'", v->family);
    const rel_table *t = rel_table_find(r, name);
    if (!t || rel_table_ndims(t) != 3)
        return hz_fail(HZ_EINVAL, err, errlen, "the release has no table %s", name);
    size_t ncell = rel_table_shape(t, 0), nyear = rel_table_shape(t, 1),
           ngroup = rel_table_shape(t, 2);
    if (grid_geometry(r, ncell, g))
        return hz_fail(HZ_EINVAL, err, errlen, "the release's grid metadata is malformed");
    if (v->group < -1 || v->group >= (int)ngroup)
        return hz_fail(HZ_EINVAL, err, errlen, "no group %d of %s", v->group, name);
    if (nyear > 32 || (nyear < 32 && (v->years >> nyear) != 0))
        return hz_fail(HZ_EINVAL, err, errlen, "a year outside the release");
    unsigned mask = v->years ? v->years : nyear >= 32 ? ~0u : (1u << nyear) - 1;
    const json_t *expo = json_object_get(
        json_object_get(json_object_get(rel_metadata(r), "dimensions"), "year"), "exposure_years");
    for (size_t y = 0; y < nyear; y++)
        if (mask >> y & 1) g->years += json_number_value(json_array_get(expo, y));
    if (!(g->years > 0)) g->years = 1;
    if (!(g->count = calloc(ncell, sizeof *g->count)))
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t c = 0; c < ncell; c++)
        for (size_t y = 0; y < nyear; y++) {
            if (!(mask >> y & 1)) continue;
            for (size_t k = 0; k < ngroup; k++) {
                if (v->group >= 0 && (int)k != v->group) continue;
                rel_value val;
                if (rel_table_cell(t, rel_table_index(t, (size_t[]){c, y, k}), &val))
                    g->count[c] += (double)val.value;
            }
        }
    size_t terms = 0;
    for (size_t y = 0; y < nyear; y++)
        terms += (mask >> y & 1) * (v->group >= 0 ? 1 : ngroup);
    dpn_ratio s2 = rel_table_s2(t);
    g->terms = (int)terms;
    g->var = (double)terms * ((double)s2.num / (double)s2.den);
    return HZ_OK;
}

void rel_grid_free(rel_grid *g)
{
    free(g->count);
    memset(g, 0, sizeof *g);
}
