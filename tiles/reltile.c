/* reltile.c - the public's density tiles from a release's smoothed grid (reltile.h).
 *
 * Invariants:
 *  1. slot[k] holds either nothing (key[0] == 0) or view key's surface and breaks, computed
 *     from t->rel; a slot is only written under t->mu.
 *  2. A surface handed to a render is kept alive by its reference count (refs), so a view
 *     replaced meanwhile is freed by whichever of the slot and the render lets go last. */
#include "hazmap/reltile.h"
#include "hazmap/density.h"
#include "hazmap/tilemath.h"
#include "hazmap/workcrs.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct surface {
    density_result *d;
    colorramp_scale scale;
    int refs; /* the slot's and each render's; under the reltile's mutex */
} surface;

typedef struct slot {
    char key[160];
    surface *s;
} slot;

struct reltile {
    const rel_release *rel;
    double h;
    workcrs *w; /* lon/lat <-> the release's CRS; used under mu */
    pthread_mutex_t mu;
    slot slot[RELTILE_VIEWS];
};

static void surface_drop(surface *s)
{
    assert(!s || s->refs > 0);
    if (s && --s->refs == 0) {
        density_result_free(s->d);
        free(s);
    }
}

reltile *reltile_new(const rel_release *r, double h, char *err, size_t errlen)
{
    const json_t *cell = json_object_get(json_object_get(rel_metadata(r), "dimensions"), "cell");
    const char *crs = json_string_value(json_object_get(cell, "crs"));
    if (!crs) {
        hz_fail(HZ_EINVAL, err, errlen, "the release has no grid");
        return NULL;
    }
    reltile *t = calloc(1, sizeof *t);
    if (!t) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    t->rel = r;
    t->h = h;
    if (!(t->w = workcrs_new(crs, 0, 0, err, errlen))) {
        free(t);
        return NULL;
    }
    pthread_mutex_init(&t->mu, NULL);
    return t;
}

void reltile_free(reltile *t)
{
    if (!t) return;
    for (int k = 0; k < RELTILE_VIEWS; k++)
        surface_drop(t->slot[k].s);
    workcrs_free(t->w);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static uint64_t key_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Computes view v's surface and breaks (outside the lock). */
static hz_status surface_new(const reltile *t, const rel_view *v, surface **out, char *err,
                             size_t errlen)
{
    surface *s = calloc(1, sizeof *s);
    if (!s) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    hz_status st =
        rel_density(t->rel, v->family, v->group, v->years, t->h, t->h, &s->d, err, errlen);
    if (st != HZ_OK) {
        free(s);
        return st;
    }
    size_t n = (size_t)s->d->grid.nx * (size_t)s->d->grid.ny, nz = 0;
    double *vals = malloc((n ? n : 1) * sizeof *vals);
    if (!vals) {
        density_result_free(s->d);
        free(s);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t k = 0; k < n; k++)
        if (s->d->values[k] > 0) vals[nz++] = s->d->values[k];
    colorramp_scale_fit(vals, nz, &s->scale, NULL);
    free(vals);
    s->refs = 1;
    *out = s;
    return HZ_OK;
}

/* A counted reference to view v's surface (memoised); the caller drops it under t->mu. */
static hz_status surface_get(reltile *t, const rel_view *v, surface **out, char *err, size_t errlen)
{
    char key[160];
    rel_view_canonical(t->rel, v, key, sizeof key);
    slot *sl = &t->slot[key_hash(key) % RELTILE_VIEWS];
    pthread_mutex_lock(&t->mu);
    if (sl->s && strcmp(sl->key, key) == 0) {
        sl->s->refs++;
        *out = sl->s;
        pthread_mutex_unlock(&t->mu);
        return HZ_OK;
    }
    pthread_mutex_unlock(&t->mu);
    surface *s = NULL;
    hz_status st = surface_new(t, v, &s, err, errlen);
    if (st != HZ_OK) return st;
    pthread_mutex_lock(&t->mu);
    surface_drop(sl->s);
    snprintf(sl->key, sizeof sl->key, "%s", key);
    sl->s = s;
    s->refs++;
    pthread_mutex_unlock(&t->mu);
    *out = s;
    return HZ_OK;
}

static void surface_release(reltile *t, surface *s)
{
    pthread_mutex_lock(&t->mu);
    surface_drop(s);
    pthread_mutex_unlock(&t->mu);
}

hz_status reltile_scale(reltile *t, const rel_view *v, colorramp_scale *s, char *err, size_t errlen)
{
    surface *sf = NULL;
    hz_status st = surface_get(t, v, &sf, err, errlen);
    if (st != HZ_OK) return st;
    *s = sf->scale;
    surface_release(t, sf);
    return HZ_OK;
}

/* The surface bilinearly between cell centres at working-CRS point (x, y); 0 off the grid. */
static float sample(const density_result *d, double x, double y)
{
    const kde_grid *g = &d->grid;
    double fx = (x - g->x0) / g->cell - 0.5, fy = (g->y1 - y) / g->cell - 0.5;
    if (!(fx > -1 && fy > -1 && fx < g->nx && fy < g->ny)) return 0;
    long i = (long)floor(fx), j = (long)floor(fy);
    double ax = fx - (double)i, ay = fy - (double)j, acc = 0;
    for (int dj = 0; dj <= 1; dj++)
        for (int di = 0; di <= 1; di++) {
            long ii = i + di, jj = j + dj;
            if (ii < 0 || jj < 0 || ii >= g->nx || jj >= g->ny) continue;
            double wgt = (di ? ax : 1 - ax) * (dj ? ay : 1 - ay);
            acc += wgt * d->values[(size_t)jj * (size_t)g->nx + (size_t)ii];
        }
    return (float)acc;
}

/* The working-CRS positions of tile z/x/y's pixel centres into px, py (TILEMATH_SIZE² each):
 * projected exactly at every RELTILE_STEP-th pixel and bilinearly in between (a tile spans at
 * most a few kilometres, over which the map between Web Mercator and UTM bends by well under a
 * metre, while projecting every pixel was most of a tile's cost). */
enum { RELTILE_STEP = 16, RELTILE_NODES = TILEMATH_SIZE / RELTILE_STEP + 1 };

static hz_status pixel_positions(reltile *t, int z, int x, int y, double *px, double *py)
{
    double nx[RELTILE_NODES * RELTILE_NODES], ny[RELTILE_NODES * RELTILE_NODES];
    for (int j = 0; j < RELTILE_NODES; j++)
        for (int i = 0; i < RELTILE_NODES; i++) {
            double mx, my;
            tilemath_pixel_center(z, x, y, i * RELTILE_STEP, j * RELTILE_STEP, &mx, &my);
            tilemath_merc_to_lonlat(mx, my, &nx[j * RELTILE_NODES + i], &ny[j * RELTILE_NODES + i]);
        }
    pthread_mutex_lock(&t->mu);
    hz_status st = workcrs_forward(t->w, RELTILE_NODES * RELTILE_NODES, nx, ny, nx, ny);
    pthread_mutex_unlock(&t->mu);
    if (st != HZ_OK) return st;
    for (int j = 0; j < TILEMATH_SIZE; j++)
        for (int i = 0; i < TILEMATH_SIZE; i++) {
            int ci = i / RELTILE_STEP, cj = j / RELTILE_STEP;
            double ax = (double)(i % RELTILE_STEP) / RELTILE_STEP,
                   ay = (double)(j % RELTILE_STEP) / RELTILE_STEP;
            size_t k00 = (size_t)cj * RELTILE_NODES + (size_t)ci, k10 = k00 + 1,
                   k01 = k00 + RELTILE_NODES, k11 = k01 + 1;
            size_t k = (size_t)j * TILEMATH_SIZE + (size_t)i;
            px[k] = (1 - ay) * ((1 - ax) * nx[k00] + ax * nx[k10]) +
                    ay * ((1 - ax) * nx[k01] + ax * nx[k11]);
            py[k] = (1 - ay) * ((1 - ax) * ny[k00] + ax * ny[k10]) +
                    ay * ((1 - ax) * ny[k01] + ax * ny[k11]);
        }
    return HZ_OK;
}

hz_status reltile_values(reltile *t, const rel_view *v, int z, int x, int y, float *out,
                         colorramp_scale *scale, char *err, size_t errlen)
{
    if (!tilemath_valid(z, x, y))
        return hz_fail(HZ_EINVAL, err, errlen, "no tile %d/%d/%d", z, x, y);
    size_t n = (size_t)TILEMATH_SIZE * TILEMATH_SIZE;
    double *px = malloc(n * sizeof *px), *py = malloc(n * sizeof *py);
    surface *sf = NULL;
    hz_status st = px && py ? HZ_OK : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (st == HZ_OK) st = surface_get(t, v, &sf, err, errlen);
    if (st == HZ_OK && pixel_positions(t, z, x, y, px, py) != HZ_OK)
        st = hz_fail(HZ_ECRS, err, errlen, "tile %d/%d/%d: projection to %s failed", z, x, y,
                     sf->d->work_srs);
    for (size_t k = 0; st == HZ_OK && k < n; k++)
        out[k] = sample(sf->d, px[k], py[k]);
    if (st == HZ_OK && scale) *scale = sf->scale;
    if (sf) surface_release(t, sf);
    free(px);
    free(py);
    return st;
}

hz_status reltile_png(reltile *t, const rel_view *v, int z, int x, int y, unsigned char **png,
                      size_t *len, char *err, size_t errlen)
{
    *png = NULL;
    float *val = malloc((size_t)TILEMATH_SIZE * TILEMATH_SIZE * sizeof *val);
    if (!val) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    colorramp_scale scale;
    hz_status st = reltile_values(t, v, z, x, y, val, &scale, err, errlen);
    if (st == HZ_OK)
        st = colorramp_png(val, TILEMATH_SIZE, TILEMATH_SIZE, &scale, png, len, err, errlen);
    free(val);
    return st;
}

hz_status reltile_bounds(reltile *t, double b[4], char *err, size_t errlen)
{
    const json_t *cell =
        json_object_get(json_object_get(rel_metadata(t->rel), "dimensions"), "cell");
    double x0 = json_number_value(json_object_get(cell, "x0")),
           y1 = json_number_value(json_object_get(cell, "y1")),
           size = json_number_value(json_object_get(cell, "size"));
    double nx = (double)json_integer_value(json_object_get(cell, "nx")),
           ny = (double)json_integer_value(json_object_get(cell, "ny"));
    double x[4] = {x0, x0 + nx * size, x0 + nx * size, x0};
    double y[4] = {y1, y1, y1 - ny * size, y1 - ny * size};
    pthread_mutex_lock(&t->mu);
    hz_status st = workcrs_inverse(t->w, 4, x, y, x, y);
    pthread_mutex_unlock(&t->mu);
    if (st != HZ_OK) return hz_fail(HZ_ECRS, err, errlen, "the release's grid: inverse failed");
    b[0] = fmin(x[0], x[3]);
    b[1] = fmin(y[2], y[3]);
    b[2] = fmax(x[1], x[2]);
    b[3] = fmax(y[0], y[1]);
    return HZ_OK;
}
